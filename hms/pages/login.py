"""The login page (/login)."""

import reflex as rx

from hms import routes
from hms.components.forms import form_field, text_input
from hms.components.layout import page_layout
from hms.states.auth import AuthState


@rx.page(
    route=routes.LOGIN, title="Log in — HMS", on_load=AuthState.redirect_if_logged_in
)
def login() -> rx.Component:
    """Email and password; one neutral message when they don't match."""
    return page_layout(
        "Log in",
        rx.card(
            rx.form(
                rx.vstack(
                    form_field(
                        "Email",
                        text_input(
                            "email", type="email", auto_complete="email", required=True
                        ),
                        name="email",
                    ),
                    form_field(
                        "Password",
                        text_input(
                            "password",
                            type="password",
                            auto_complete="current-password",
                            required=True,
                        ),
                        name="password",
                    ),
                    rx.button("Log in", type="submit", size="3", id="login-submit"),
                    rx.text(
                        "New here? ",
                        rx.link("Sign up", href=routes.SIGNUP),
                        size="2",
                    ),
                    spacing="4",
                    align="stretch",
                ),
                on_submit=AuthState.submit_login,
                id="login-form",
            ),
            max_width="420px",
            width="100%",
        ),
    )
