"""The sign-up page (/signup): one form, role chosen here."""

import reflex as rx

from hms import routes
from hms.components.forms import form_field, text_input, timezone_select
from hms.components.layout import page_layout
from hms.services import accounts
from hms.states.auth import AuthState

BROWSER_TIMEZONE_JS = "Intl.DateTimeFormat().resolvedOptions().timeZone"


def _role_choice(value: str, label: str) -> rx.Component:
    return rx.text(
        rx.flex(
            rx.radio_group.item(value=value, id=f"role-{value}"),
            label,
            spacing="2",
            align="center",
        ),
        as_="label",
        size="2",
    )


def _role_field() -> rx.Component:
    return form_field(
        "I am a",
        rx.radio_group.root(
            rx.hstack(
                _role_choice("patient", "Patient"),
                _role_choice("doctor", "Doctor"),
                spacing="5",
            ),
            value=AuthState.signup_role,
            on_change=AuthState.set_signup_role,
            name="role",
            id="role",
        ),
        name="role",
    )


def _fields() -> list[rx.Component]:
    return [
        form_field(
            "Full name",
            text_input("name", auto_complete="name", required=True),
            name="name",
            hint=f"Up to {accounts.NAME_MAX_LENGTH} characters; shown to the other side.",
        ),
        form_field(
            "Email",
            text_input("email", type="email", auto_complete="email", required=True),
            name="email",
        ),
        form_field(
            "Password",
            text_input(
                "password", type="password", auto_complete="new-password", required=True
            ),
            name="password",
            hint=(
                f"{accounts.PASSWORD_MIN_LENGTH} to {accounts.PASSWORD_MAX_LENGTH} "
                "characters. Longer ones are refused, never cut short."
            ),
        ),
        _role_field(),
        rx.cond(
            AuthState.signup_role == "doctor",
            form_field(
                "Specialty",
                text_input("specialty", placeholder="e.g. Dermatology"),
                name="specialty",
                hint=f"Up to {accounts.SPECIALTY_MAX_LENGTH} characters.",
            ),
        ),
        form_field(
            "Timezone",
            timezone_select(AuthState.signup_timezone, AuthState.set_signup_timezone),
            name="timezone",
            hint="Preset from your browser. All times are shown in this zone.",
        ),
    ]


@rx.page(
    route=routes.SIGNUP, title="Sign up — HMS", on_load=AuthState.redirect_if_logged_in
)
def signup() -> rx.Component:
    """Name, email, password, role (with specialty for doctors) and timezone."""
    return page_layout(
        "Create your account",
        rx.card(
            rx.form(
                rx.vstack(
                    *_fields(),
                    rx.button("Sign up", type="submit", size="3", id="signup-submit"),
                    rx.text(
                        "Already have an account? ",
                        rx.link("Log in", href=routes.LOGIN),
                        size="2",
                    ),
                    spacing="4",
                    align="stretch",
                ),
                on_submit=AuthState.submit_signup,
                on_mount=rx.call_script(
                    BROWSER_TIMEZONE_JS, callback=AuthState.preset_timezone
                ),
                id="signup-form",
            ),
            max_width="520px",
            width="100%",
        ),
    )
