"""The logged-in user's profile (/profile): name, timezone, password."""

import logging

import reflex as rx

from hms.db import session_scope
from hms.services import accounts, auth_sessions
from hms.states.auth import AuthState
from hms.states.threads import off_event_loop

logger = logging.getLogger(__name__)


class ProfileState(AuthState):
    """Edit name and timezone; change the password."""

    profile_name: str = ""
    profile_timezone: str = "UTC"
    profile_email: str = ""
    # Bumped after a password change so the form's inputs are emptied.
    password_form_key: int = 0

    @rx.event
    @off_event_loop
    def load_profile(self):
        """Fill the form with the logged-in user's details (on page load)."""
        try:
            user = self._require()
        except Exception as exc:
            return self._fail_load(exc)
        self.profile_name = user.name
        self.profile_timezone = user.timezone
        self.profile_email = user.email
        return None

    @rx.event
    def set_profile_name(self, name: str):
        """Edit the name field."""
        self.profile_name = name

    @rx.event
    def set_profile_timezone(self, timezone: str):
        """Choose a timezone."""
        self.profile_timezone = timezone

    @rx.event
    @off_event_loop
    def submit_profile(self, form_data: dict):
        """Save name and timezone for the logged-in user.

        Args:
            form_data: unused; the values are the form's state vars.
        """
        self._clear_feedback()
        try:
            user = self._require()
            with session_scope() as session:
                updated = accounts.update_profile(
                    session=session,
                    user_id=user.id,
                    name=self.profile_name,
                    timezone=self.profile_timezone,
                )
        except Exception as exc:
            return self._fail(exc, form="profile", fields=("name", "timezone"))
        self._show_user(updated)
        self.profile_name = updated.name
        return rx.toast.success("Profile saved.")

    @rx.event
    @off_event_loop
    def submit_password(self, form_data: dict):
        """Change the password; other devices are logged out, this one stays in.

        Args:
            form_data: `current_password` and `new_password`.
        """
        if self._repeated_submit("password", form_data):
            return None
        self._clear_feedback()
        try:
            user = self._require()
            with session_scope() as session:
                accounts.change_password(
                    session=session,
                    user_id=user.id,
                    current_password=str(form_data.get("current_password", "")),
                    new_password=str(form_data.get("new_password", "")),
                )
                auth_sessions.end_all_sessions(session=session, user_id=user.id)
                token = auth_sessions.start_session(session=session, user_id=user.id)
        except Exception as exc:
            return self._fail(
                exc, form="password", fields=("current_password", "new_password")
            )
        self.session_token = token
        self.password_form_key += 1
        return rx.toast.success("Password changed. Other devices have been logged out.")
