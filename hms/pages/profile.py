"""The profile page (/profile): name, timezone, password, calendar connection."""

import reflex as rx

from hms import routes
from hms.components.calendar_connection import calendar_connection_card
from hms.components.forms import form_field, text_input, timezone_select
from hms.components.layout import page_layout
from hms.services import accounts
from hms.states.auth import AuthState
from hms.states.calendar import CalendarState
from hms.states.profile import ProfileState


def _details_form() -> rx.Component:
    return rx.card(
        rx.form(
            rx.vstack(
                rx.heading("Your details", size="4", as_="h2"),
                rx.text(
                    "Email: ", rx.text.strong(ProfileState.profile_email), size="2"
                ),
                form_field(
                    "Name",
                    text_input(
                        "name",
                        id="profile-name",
                        value=ProfileState.profile_name,
                        on_change=ProfileState.set_profile_name,
                    ),
                    name="name",
                    form="profile",
                    hint=f"Up to {accounts.NAME_MAX_LENGTH} characters.",
                ),
                form_field(
                    "Timezone",
                    timezone_select(
                        ProfileState.profile_timezone, ProfileState.set_profile_timezone
                    ),
                    name="timezone",
                    form="profile",
                    hint="Every time in HMS is shown in this zone.",
                ),
                rx.button("Save profile", type="submit", id="save-profile"),
                spacing="3",
                align="stretch",
            ),
            on_submit=ProfileState.submit_profile,
            id="profile-form",
        ),
        width="100%",
    )


def _password_form() -> rx.Component:
    return rx.card(
        rx.form(
            rx.vstack(
                rx.heading("Change password", size="4", as_="h2"),
                form_field(
                    "Current password",
                    text_input(
                        "current_password",
                        type="password",
                        auto_complete="current-password",
                        required=True,
                    ),
                    name="current_password",
                    form="password",
                ),
                form_field(
                    "New password",
                    text_input(
                        "new_password",
                        type="password",
                        auto_complete="new-password",
                        required=True,
                    ),
                    name="new_password",
                    form="password",
                    hint=(
                        f"{accounts.PASSWORD_MIN_LENGTH} to {accounts.PASSWORD_MAX_LENGTH} "
                        "characters. Other devices are logged out."
                    ),
                ),
                rx.button("Change password", type="submit", id="change-password"),
                spacing="3",
                align="stretch",
            ),
            on_submit=ProfileState.submit_password,
            id="password-form",
            key=ProfileState.password_form_key,
        ),
        width="100%",
    )


@rx.page(
    route=routes.PROFILE,
    title="Profile — HMS",
    on_load=[
        AuthState.require_login,
        ProfileState.load_profile,
        CalendarState.load_calendar,
    ],
)
def profile() -> rx.Component:
    """Edit name and timezone, change the password, connect a calendar."""
    return page_layout(
        "Profile",
        rx.grid(
            _details_form(),
            _password_form(),
            columns=rx.breakpoints(initial="1", md="2"),
            spacing="4",
            width="100%",
        ),
        calendar_connection_card(),
    )
