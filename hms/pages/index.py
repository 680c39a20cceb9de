"""The start page (/): what HMS is, and the way in."""

import reflex as rx

from hms import routes
from hms.components.layout import page_layout
from hms.states.auth import AuthState


def _dashboard_link() -> rx.Component:
    return rx.match(
        AuthState.user_role,
        (
            "doctor",
            rx.link(rx.button("Go to your availability"), href=routes.AVAILABILITY),
        ),
        ("patient", rx.link(rx.button("Find a doctor"), href=routes.DOCTORS)),
        rx.link(rx.button("Go to your appointments"), href=routes.APPOINTMENTS),
    )


def _guest_actions() -> rx.Component:
    return rx.hstack(
        rx.link(rx.button("Sign up", size="3"), href=routes.SIGNUP),
        rx.link(rx.button("Log in", size="3", variant="soft"), href=routes.LOGIN),
        spacing="3",
        wrap="wrap",
    )


@rx.page(
    route=routes.INDEX,
    title="HMS — clinic appointments",
    on_load=AuthState.load_session,
)
def index() -> rx.Component:
    """What HMS is; log in or sign up; to the dashboard when logged in."""
    return page_layout(
        "Book a doctor's appointment in a minute",
        rx.card(
            rx.vstack(
                rx.text(
                    "Doctors publish the times they can see patients. Patients pick "
                    "one and book it; nobody is ever double-booked. Both get an email, "
                    "and every time is shown in your own timezone.",
                    size="3",
                ),
                rx.cond(
                    AuthState.logged_in,
                    rx.vstack(
                        rx.text(
                            "Welcome back, ", rx.text.strong(AuthState.user_name), "."
                        ),
                        _dashboard_link(),
                        spacing="2",
                    ),
                    _guest_actions(),
                ),
                spacing="4",
            ),
            size="3",
        ),
    )
