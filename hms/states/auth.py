"""Who is logged in: the session cookie, sign-up, login, logout and page guards."""

import json
import logging
import time

import reflex as rx

from hms import routes
from hms.config import settings
from hms.db import session_scope
from hms.errors import NotAuthenticatedError, PermissionDeniedError
from hms.services import accounts, auth_sessions
from hms.services.views import UserPublic
from hms.states.errors import feedback_for
from hms.states.threads import off_event_loop

logger = logging.getLogger(__name__)

SESSION_COOKIE = "hms_session"
SECONDS_PER_DAY = 24 * 60 * 60
ROLES = ("patient", "doctor")
SIGNUP_FIELDS = ("name", "email", "password", "timezone", "specialty", "role")
# Identical submits of one form closer than this are a double click.
DOUBLE_SUBMIT_SECONDS = 3.0
WRONG_ROLE_MESSAGE = "That page is not available for your account."


class AuthState(rx.State):
    """The logged-in user, resolved on the server from the session cookie.

    Every page state subclasses this one, so handlers reach the cookie through
    `_current_user()` / `_require()` and never trust ids sent by the browser.
    Only display values are public vars.
    """

    # The raw session token; the server stores only its hash.
    # TODO: rx.Cookie is written by the page's JavaScript, so it cannot be
    # HttpOnly; move to a server-set cookie if Reflex gains a way to do so.
    session_token: str = rx.Cookie(
        "",
        name=SESSION_COOKIE,
        path="/",
        same_site="strict",
        max_age=settings.session_days * SECONDS_PER_DAY,
    )

    # Display only; handlers re-read the user from the token.
    user_name: str = ""
    user_role: str = ""
    user_timezone: str = ""
    logged_in: bool = False

    # Feedback of the form on screen: messages by field key, and an alert.
    field_errors: dict[str, str] = {}
    alert_message: str = ""

    # Backend only: the last form this tab sent (name, data, when), so a
    # double click's second submit can be dropped.
    _last_submit: tuple[str, str, float] = ("", "", 0.0)

    # Sign-up choices that change what the form shows.
    signup_role: str = "patient"
    signup_timezone: str = "UTC"

    # --- helpers (underscore: not callable from the browser) -------------

    def _current_user(self) -> UserPublic | None:
        """The user behind the session cookie, read from the database, or None."""
        if not self.session_token:
            return None
        with session_scope() as session:
            return auth_sessions.user_for_token(
                session=session, token=self.session_token
            )

    def _current_user_id(self) -> int | None:
        """The id of the logged-in user, or None."""
        user = self._current_user()
        return user.id if user else None

    def _require(self, *roles: str) -> UserPublic:
        """The logged-in user, who must have one of `roles` (any role if none).

        Raises:
            NotAuthenticatedError: nobody is logged in (or the session expired).
            PermissionDeniedError: the user has another role.
        """
        user = self._current_user()
        self._show_user(user)
        if user is None:
            raise NotAuthenticatedError("Please log in to continue.")
        if roles and user.role not in roles:
            raise PermissionDeniedError(WRONG_ROLE_MESSAGE)
        return user

    def _show_user(self, user: UserPublic | None) -> None:
        """Copy the user's display values into the public vars."""
        self.logged_in = user is not None
        self.user_name = user.name if user else ""
        self.user_role = user.role if user else ""
        self.user_timezone = user.timezone if user else ""

    def _repeated_submit(self, form: str, form_data: dict) -> bool:
        """True when this tab just sent the same form with the same data.

        A double click sends a form twice; the second would only show an
        error ("already booked", "overlaps") next to the first one's success.
        """
        now = time.monotonic()
        fingerprint = json.dumps(form_data, sort_keys=True, default=str)
        last_form, last_fingerprint, last_at = self._last_submit
        self._last_submit = (form, fingerprint, now)
        same = (form, fingerprint) == (last_form, last_fingerprint)
        return same and now - last_at < DOUBLE_SUBMIT_SECONDS

    def _clear_feedback(self) -> None:
        self.field_errors = {}
        self.alert_message = ""

    def _fail(
        self,
        exc: BaseException,
        *,
        form: str = "",
        fields: tuple[str, ...] = (),
        toast: bool = True,
    ):
        """Show `exc` to the user (field message, alert or toast); return the event.

        Args:
            exc: what a handler caught.
            form: prefix of the field keys (see errors.field_key).
            fields: the fields the form can show a message next to.
            toast: also pop up the alert as a toast (for pages that scroll).
        """
        messages, alert, event = feedback_for(exc, form=form, fields=fields)
        self.field_errors = {**self.field_errors, **messages}
        self.alert_message = alert
        if isinstance(exc, NotAuthenticatedError):
            self._show_user(None)
        elif not toast:
            return None
        return event

    def _fail_load(self, exc: BaseException):
        """Like _fail, for on-load handlers that run after a page guard.

        The guard has already redirected a logged-out or wrong-role user and
        said why, so those errors stay silent here instead of saying it twice.
        """
        if isinstance(exc, NotAuthenticatedError | PermissionDeniedError):
            return None
        return self._fail(exc)

    def _guard(self, *roles: str):
        """On-load check: redirect away unless the user has one of `roles`."""
        self._clear_feedback()
        user = self._current_user()
        self._show_user(user)
        if user is None:
            return rx.redirect(routes.login_url(self.router.url.path))
        if roles and user.role not in roles:
            return [
                rx.toast.warning(WRONG_ROLE_MESSAGE),
                rx.redirect(routes.home_for(user.role)),
            ]
        return None

    def _log_in(self, user: UserPublic, token: str):
        self.session_token = token
        self._show_user(user)
        wanted = self.router.url.query_parameters.get("next", "")
        return rx.redirect(routes.safe_next(wanted) or routes.home_for(user.role))

    # --- page guards (only redirect; handlers check again) ---------------

    @rx.event
    @off_event_loop
    def load_session(self):
        """Show who is logged in (top bar) on pages anyone may see."""
        self._clear_feedback()
        self._show_user(self._current_user())

    @rx.event
    @off_event_loop
    def require_login(self):
        """Send visitors who are not logged in to the login page."""
        return self._guard()

    @rx.event
    @off_event_loop
    def require_patient(self):
        """Only patients stay on the page."""
        return self._guard("patient")

    @rx.event
    @off_event_loop
    def require_doctor(self):
        """Only doctors stay on the page."""
        return self._guard("doctor")

    @rx.event
    @off_event_loop
    def redirect_if_logged_in(self):
        """Send logged-in users from the login/sign-up pages to their home page."""
        self._clear_feedback()
        user = self._current_user()
        self._show_user(user)
        if user is not None:
            return rx.redirect(routes.home_for(user.role))
        return None

    # --- sign-up form ----------------------------------------------------

    @rx.event
    def set_signup_role(self, role: str):
        """Choose patient or doctor on the sign-up form."""
        self.signup_role = role if role in ROLES else "patient"

    @rx.event
    def set_signup_timezone(self, timezone: str):
        """Choose the timezone on the sign-up form."""
        self.signup_timezone = timezone

    @rx.event
    def preset_timezone(self, browser_timezone: str):
        """Preset the sign-up timezone with the one the browser reports."""
        if isinstance(browser_timezone, str) and (
            browser_timezone in accounts.list_timezones()
        ):
            self.signup_timezone = browser_timezone

    @rx.event
    @off_event_loop
    def submit_signup(self, form_data: dict):
        """Create the account, log it in and go to the role's home page.

        Args:
            form_data: name, email, password and specialty (role and timezone
                come from the form's choices).
        """
        if self._repeated_submit("signup", form_data):
            return None
        self._clear_feedback()
        try:
            with session_scope() as session:
                user = accounts.register_user(
                    session=session,
                    email=str(form_data.get("email", "")),
                    password=str(form_data.get("password", "")),
                    name=str(form_data.get("name", "")),
                    role=self.signup_role,
                    timezone=self.signup_timezone,
                    specialty=str(form_data.get("specialty", "")),
                )
                token = auth_sessions.start_session(session=session, user_id=user.id)
        except Exception as exc:
            return self._fail(exc, fields=SIGNUP_FIELDS, toast=False)
        return [rx.toast.success(f"Welcome, {user.name}!"), self._log_in(user, token)]

    # --- login / logout --------------------------------------------------

    @rx.event
    @off_event_loop
    def submit_login(self, form_data: dict):
        """Check email and password, start a session and go to the home page.

        Args:
            form_data: email and password.
        """
        self._clear_feedback()
        try:
            with session_scope() as session:
                user = accounts.authenticate(
                    session=session,
                    email=str(form_data.get("email", "")),
                    password=str(form_data.get("password", "")),
                )
            # A write of its own: SQLite can't turn a read transaction into a
            # write once another connection has committed.
            with session_scope() as session:
                token = auth_sessions.start_session(session=session, user_id=user.id)
        except Exception as exc:
            return self._fail(exc, toast=False)
        return self._log_in(user, token)

    @rx.event
    @off_event_loop
    def logout(self):
        """End the session on the server and forget the cookie."""
        token = self.session_token
        try:
            with session_scope() as session:
                auth_sessions.end_session(session=session, token=token)
        except Exception:
            logger.exception("could not end a session; clearing the cookie anyway")
        self.session_token = ""
        self._show_user(None)
        self._clear_feedback()
        return rx.redirect(routes.INDEX)
