"""Profile-page state for the Google Calendar connection."""

import logging
import secrets

import reflex as rx

from hms import config
from hms.db import session_scope
from hms.services.calendar_connection import (
    BROWSER_COOKIE,
    CONNECT_MESSAGES,
    CalendarConnectError,
    CalendarStatus,
    disconnect,
    get_connection_status,
    start_connect,
)
from hms.states.auth import AuthState
from hms.states.threads import off_event_loop

logger = logging.getLogger(__name__)

CONNECTED_NOTICE = (
    "Your Google Calendar is connected. New appointments will appear in it."
)
DISCONNECTED_NOTICE = "Google Calendar disconnected. Events already added stay there."
OAUTH_COOKIE_SECONDS = 15 * 60
LOGIN_NEEDED = "Please log in again to manage your calendar."
UNEXPECTED_ERROR = "Something went wrong on our side. Please try again in a minute."


def _load_status(user_id: int) -> CalendarStatus:
    with session_scope() as session:
        return get_connection_status(
            session=session, user_id=user_id, settings=config.settings
        )


def _start(user_id: int, browser_nonce: str) -> str:
    with session_scope() as session:
        return start_connect(
            session=session,
            user_id=user_id,
            browser_nonce=browser_nonce,
            settings=config.settings,
        )


def _signed_out_status() -> CalendarStatus:
    return CalendarStatus(
        enabled=config.settings.google_enabled,
        connected=False,
        broken=False,
        account_email="",
    )


def _disconnect(user_id: int) -> None:
    with session_scope() as session:
        disconnect(session=session, user_id=user_id, settings=config.settings)


class CalendarState(AuthState):
    """What the calendar card shows. No token, hash or row ever goes in a var."""

    enabled: bool = False
    connected: bool = False
    broken: bool = False
    account_email: str = ""
    notice: str = ""
    notice_is_error: bool = False

    # This browser's half of the OAuth round trip; the callback checks it.
    oauth_browser: str = rx.Cookie(
        "",
        name=BROWSER_COOKIE,
        path="/",
        same_site="lax",
        max_age=OAUTH_COOKIE_SECONDS,
    )

    def _show_calendar(self, status: CalendarStatus) -> None:
        self.enabled = status.enabled
        self.connected = status.connected
        self.broken = status.broken
        self.account_email = status.account_email

    def _show_outcome(self, outcome: str) -> None:
        """Explain the `?calendar=` outcome the OAuth callback redirected with."""
        if outcome == "connected":
            self.notice, self.notice_is_error = CONNECTED_NOTICE, False
        elif outcome in CONNECT_MESSAGES:
            self.notice = CONNECT_MESSAGES[outcome]
            self.notice_is_error = True
        else:
            self.notice, self.notice_is_error = "", False

    @rx.event
    @off_event_loop
    def load_calendar(self):
        """Load the user's connection status (run on page load)."""
        user_id = self._current_user_id()
        if user_id is None:
            self._show_calendar(_signed_out_status())
            return
        self._show_calendar(_load_status(user_id))
        self._show_outcome(self.router.url.query_parameters.get("calendar", ""))

    @rx.event
    @off_event_loop
    def connect_calendar(self):
        """Send the browser to Google's consent screen.

        Returns:
            A redirect to Google, or an error toast.
        """
        user_id = self._current_user_id()
        if user_id is None:
            return rx.toast.error(LOGIN_NEEDED)
        nonce = secrets.token_urlsafe(32)
        try:
            url = _start(user_id, nonce)
        except CalendarConnectError as error:
            return rx.toast.error(error.message)
        self.oauth_browser = nonce
        return rx.redirect(url, is_external=True)

    @rx.event(background=True)
    async def disconnect_calendar(self):
        """Disconnect the calendar and revoke HMS's access at Google.

        In the background: revoking waits on Google for up to 20 seconds.

        Returns:
            A toast saying what happened.
        """
        async with self:
            user_id = self._current_user_id()
        if user_id is None:
            return rx.toast.error(LOGIN_NEEDED)
        try:
            await rx.run_in_thread(lambda: _disconnect(user_id))
            status = await rx.run_in_thread(lambda: _load_status(user_id))
        except Exception:
            logger.exception("Calendar disconnect failed for user %s", user_id)
            return rx.toast.error(UNEXPECTED_ERROR)
        async with self:
            self._show_calendar(status)
            self.notice = ""
        return rx.toast.success(DISCONNECTED_NOTICE)
