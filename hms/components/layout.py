"""The one page layout: top bar, page title, content column."""

import reflex as rx

from hms import routes
from hms.components.feedback import alert_callout
from hms.states.auth import AuthState

CONTENT_WIDTH = "960px"

PATIENT_LINKS = (
    ("Find a doctor", routes.DOCTORS),
    ("Appointments", routes.APPOINTMENTS),
)
DOCTOR_LINKS = (
    ("Availability", routes.AVAILABILITY),
    ("Appointments", routes.APPOINTMENTS),
)
COMMON_LINKS = (("Profile", routes.PROFILE),)


def _nav_link(label: str, href: str) -> rx.Component:
    return rx.link(label, href=href, size="2", weight="medium", underline="hover")


def _role_links(link=_nav_link) -> rx.Component:
    """The links of the logged-in user's role, then the common ones."""
    return rx.fragment(
        rx.match(
            AuthState.user_role,
            (
                "patient",
                rx.fragment(*[link(label, href) for label, href in PATIENT_LINKS]),
            ),
            (
                "doctor",
                rx.fragment(*[link(label, href) for label, href in DOCTOR_LINKS]),
            ),
            rx.fragment(),
        ),
        *[link(label, href) for label, href in COMMON_LINKS],
    )


def _user_badge() -> rx.Component:
    return rx.hstack(
        rx.text(AuthState.user_name, size="2", weight="bold", id="current-user-name"),
        rx.badge(AuthState.user_role, variant="soft", id="current-user-role"),
        align="center",
        spacing="2",
    )


def _logout_button(**props) -> rx.Component:
    return rx.button(
        "Log out",
        on_click=AuthState.logout,
        variant="soft",
        size="2",
        id="logout",
        **props,
    )


def _guest_links() -> rx.Component:
    return rx.hstack(
        rx.link(rx.button("Log in", variant="soft", size="2"), href=routes.LOGIN),
        rx.link(rx.button("Sign up", size="2"), href=routes.SIGNUP),
        spacing="2",
    )


def _desktop_bar() -> rx.Component:
    return rx.cond(
        AuthState.logged_in,
        rx.hstack(
            _role_links(),
            rx.separator(orientation="vertical", size="1"),
            _user_badge(),
            _logout_button(),
            align="center",
            spacing="4",
        ),
        _guest_links(),
    )


def _menu_item(label: str, href: str) -> rx.Component:
    return rx.menu.item(label, on_click=rx.redirect(href))


def _mobile_bar() -> rx.Component:
    return rx.cond(
        AuthState.logged_in,
        rx.menu.root(
            rx.menu.trigger(
                rx.button(rx.icon("menu"), "Menu", variant="soft", size="2", id="menu")
            ),
            rx.menu.content(
                rx.box(_user_badge(), padding_x="0.5rem", padding_y="0.25rem"),
                rx.menu.separator(),
                _role_links(_menu_item),
                rx.menu.separator(),
                rx.menu.item("Log out", on_click=AuthState.logout, color="red"),
            ),
        ),
        _guest_links(),
    )


def top_bar() -> rx.Component:
    """Brand, the user's name and role, their pages and Log out (or log in/sign up)."""
    return rx.el.header(
        rx.hstack(
            rx.link(
                rx.text("HMS", size="6", weight="bold"),
                href=routes.INDEX,
                underline="none",
                id="brand",
            ),
            rx.spacer(),
            rx.tablet_and_desktop(_desktop_bar()),
            rx.mobile_only(_mobile_bar()),
            align="center",
            max_width=CONTENT_WIDTH,
            margin_x="auto",
            padding_x="1rem",
            padding_y="0.75rem",
        ),
        border_bottom=f"1px solid {rx.color('gray', 5)}",
        background=rx.color("gray", 1),
        width="100%",
    )


def page_layout(title, *children: rx.Component, subtitle=None) -> rx.Component:
    """A page: top bar, heading, the page's alert, then the content."""
    return rx.box(
        top_bar(),
        rx.el.main(
            rx.vstack(
                rx.heading(title, size="7", as_="h1"),
                rx.text(subtitle, color_scheme="gray")
                if subtitle is not None
                else rx.fragment(),
                alert_callout(),
                *children,
                spacing="4",
                width="100%",
                align="stretch",
            ),
            max_width=CONTENT_WIDTH,
            margin_x="auto",
            padding_x="1rem",
            padding_y="1.5rem",
        ),
        min_height="100vh",
    )
