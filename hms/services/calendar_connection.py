"""Connecting a Google Calendar: the OAuth round trip, disconnecting, status."""

import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import Session, delete, or_, select, update

from hms import config
from hms.config import Settings
from hms.errors import HMSError
from hms.integrations import google_oauth
from hms.models import (
    Appointment,
    AppointmentStatus,
    CalendarConnectionStatus,
    CalendarEvent,
    GoogleCalendarConnection,
    OAuthState,
    OutboxKind,
    utc_now,
)
from hms.security import hash_token
from hms.services.calendar_sync import ensure_calendar_job
from hms.services.crypto import DecryptionError, decrypt_text, encrypt_text

logger = logging.getLogger(__name__)

OAUTH_STATE_TTL = timedelta(minutes=10)
# The cookie that holds the browser nonce; SameSite=Lax, so Google's redirect
# back to the callback brings it along.
BROWSER_COOKIE = "hms_oauth_browser"


class CalendarConnectError(HMSError):
    """Connecting a calendar failed; nothing about the connection changed.

    Args:
        code: a short machine code for URLs and logs (`invalid_state`,
            `exchange_failed`, `scope_denied`, `no_refresh_token`, `disabled`).
        message: what happened and what to do, fit to show the user.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


CONNECT_MESSAGES = {
    "disabled": "Google Calendar isn't set up on this server.",
    "invalid_state": (
        "This Google sign-in link has expired or was already used. "
        "Start again from your profile page."
    ),
    "other_browser": (
        "This Google sign-in was started in another browser, so nothing changed. "
        "Connect again from your profile page in this browser."
    ),
    "access_denied": (
        "You didn't allow HMS to use your Google Calendar, so nothing changed. "
        "You can try again from your profile page."
    ),
    "exchange_failed": (
        "Google didn't confirm the connection, so nothing changed. "
        "Please try again in a few minutes."
    ),
    "scope_denied": (
        "HMS needs permission to add events to your calendar. Connect again and "
        "leave the calendar box ticked."
    ),
    "no_refresh_token": (
        "Google didn't give HMS lasting access. Connect again and approve every step."
    ),
}


def _connect_error(code: str) -> CalendarConnectError:
    return CalendarConnectError(code, CONNECT_MESSAGES[code])


@dataclass(frozen=True)
class CalendarStatus:
    """What the profile page shows about a user's calendar connection."""

    enabled: bool
    connected: bool
    broken: bool
    account_email: str


# --- Connecting and disconnecting --------------------------------------------


def start_connect(
    *,
    session: Session,
    user_id: int,
    browser_nonce: str,
    settings: Settings = config.settings,
) -> str:
    """Begin connecting `user_id`'s Google Calendar.

    Stores a one-time state (as its hash) and the encrypted PKCE verifier,
    valid for ten minutes, and drops the user's old states.

    Args:
        session: a session; the caller commits.
        user_id: the signed-in user, resolved server-side.
        browser_nonce: a random value the caller also keeps in a cookie of the
            user's browser; the callback must bring it back.
        settings: settings with the Google OAuth client.

    Returns:
        The Google consent URL to redirect the browser to.

    Raises:
        CalendarConnectError: Google Calendar is not configured.
    """
    if not settings.google_enabled:
        raise _connect_error("disabled")
    now = utc_now()
    session.exec(
        delete(OAuthState).where(
            OAuthState.user_id == user_id,
            or_(OAuthState.used_at.is_not(None), OAuthState.expires_at <= now),
        )
    )

    state = secrets.token_urlsafe(32)
    verifier = google_oauth.new_code_verifier()
    session.add(
        OAuthState(
            state_hash=hash_token(state),
            user_id=user_id,
            code_verifier_encrypted=encrypt_text(verifier),
            browser_hash=hash_token(browser_nonce),
            expires_at=now + OAUTH_STATE_TTL,
        )
    )
    session.flush()
    logger.info("Calendar connect started for user %s", user_id)
    return google_oauth.authorization_url(
        state=state, code_verifier=verifier, settings=settings
    )


def _valid_state(session: Session, state: str, browser_nonce: str) -> OAuthState:
    row = session.exec(
        select(OAuthState).where(OAuthState.state_hash == hash_token(state))
    ).first()
    if row is None or row.used_at is not None or row.expires_at <= utc_now():
        raise _connect_error("invalid_state")
    # A link started in one browser must not connect a calendar in another.
    if not hmac.compare_digest(row.browser_hash, hash_token(browser_nonce or "")):
        raise _connect_error("other_browser")
    return row


def _claim_state(session: Session, row: OAuthState) -> bool:
    """Mark the state used; False if another request used it first."""
    result = session.exec(
        update(OAuthState)
        .where(OAuthState.id == row.id, OAuthState.used_at.is_(None))
        .values(used_at=utc_now())
    )
    return result.rowcount == 1


def _save_connection(
    session: Session, user_id: int, grant: google_oauth.GoogleGrant
) -> bool:
    """Store the grant; True when it replaces a broken connection."""
    connection = session.get(GoogleCalendarConnection, user_id)
    was_broken = bool(
        connection and connection.status == CalendarConnectionStatus.BROKEN
    )
    connection = connection or GoogleCalendarConnection(
        user_id=user_id, refresh_token_encrypted=""
    )
    connection.refresh_token_encrypted = encrypt_text(grant.refresh_token)
    connection.account_email = grant.account_email
    connection.scope = grant.scope
    connection.status = CalendarConnectionStatus.CONNECTED
    connection.connected_at = utc_now()
    connection.broken_at = None
    session.add(connection)
    session.flush()
    return was_broken


def _requeue_after_reconnect(session: Session, user_id: int) -> None:
    """Queue what failed while the connection was broken, once.

    Creates for upcoming booked appointments without an event, and removals
    for recorded events of appointments cancelled meanwhile.
    """
    is_party = or_(Appointment.patient_id == user_id, Appointment.doctor_id == user_id)
    has_event = select(CalendarEvent.appointment_id).where(
        CalendarEvent.user_id == user_id
    )
    upcoming = session.exec(
        select(Appointment.id).where(
            is_party,
            Appointment.status == AppointmentStatus.BOOKED,
            Appointment.start_at > utc_now(),
            Appointment.id.not_in(has_event),
        )
    ).all()
    for appointment_id in upcoming:
        ensure_calendar_job(
            session, OutboxKind.CALENDAR_CREATE, appointment_id, user_id
        )

    orphaned = session.exec(
        select(Appointment.id).where(
            Appointment.status == AppointmentStatus.CANCELLED,
            Appointment.id.in_(has_event),
        )
    ).all()
    for appointment_id in orphaned:
        ensure_calendar_job(
            session, OutboxKind.CALENDAR_DELETE, appointment_id, user_id
        )
    logger.info(
        "Requeued %s calendar jobs for reconnected user %s",
        len(upcoming) + len(orphaned),
        user_id,
    )


def complete_connect(
    *,
    session: Session,
    state: str,
    code: str,
    browser_nonce: str,
    settings: Settings = config.settings,
) -> int:
    """Finish connecting: check the state, exchange the code, store the token.

    The state is consumed even when the exchange fails, so commit the
    session after catching CalendarConnectError. The session is committed
    before Google is called, so no transaction is open during the call.

    Args:
        session: a session; the caller commits.
        state: the `state` query parameter of the callback.
        code: the `code` query parameter of the callback.
        browser_nonce: the nonce cookie the callback request carried.
        settings: settings with the Google OAuth client.

    Returns:
        The id of the user whose calendar is now connected.

    Raises:
        CalendarConnectError: unknown, expired or used state, or another
            browser than the one that started; Google refused
            the code; calendar access or a refresh token was not granted.
    """
    if not settings.google_enabled:
        raise _connect_error("disabled")
    row = _valid_state(session, state, browser_nonce)
    try:
        verifier = decrypt_text(row.code_verifier_encrypted)
    except DecryptionError:
        raise _connect_error("invalid_state") from None

    # End the read transaction: nothing waits on Google inside a transaction,
    # and on SQLite a snapshot held across the call could not become a write.
    session.commit()
    try:
        grant = google_oauth.exchange_code(
            code=code, code_verifier=verifier, settings=settings
        )
    except google_oauth.OAuthExchangeError as error:
        _claim_state(session, row)
        raise _connect_error(error.code) from error
    if not _claim_state(session, row):
        raise _connect_error("invalid_state")

    if _save_connection(session, row.user_id, grant):
        _requeue_after_reconnect(session, row.user_id)
    logger.info("Calendar connected for user %s", row.user_id)
    return row.user_id


def disconnect(
    *, session: Session, user_id: int, settings: Settings = config.settings
) -> None:
    """Forget `user_id`'s Google token, revoking it at Google when possible.

    Events already created stay in the user's calendar, and their records
    stay so a later reconnect can still remove them on cancellation.

    Args:
        session: a session; the caller commits.
        user_id: the signed-in user, resolved server-side.
        settings: settings (unused today; kept for symmetry and tests).
    """
    connection = session.get(GoogleCalendarConnection, user_id)
    if connection is None:
        return
    if connection.status == CalendarConnectionStatus.CONNECTED:
        try:
            google_oauth.revoke_token(decrypt_text(connection.refresh_token_encrypted))
        except DecryptionError:
            logger.warning("Token of user %s unreadable; not revoked", user_id)
    session.delete(connection)
    session.flush()
    logger.info("Calendar disconnected for user %s", user_id)


def get_connection_status(
    *, session: Session, user_id: int, settings: Settings = config.settings
) -> CalendarStatus:
    """Whether Google Calendar is available and how `user_id` is connected.

    Args:
        session: a session.
        user_id: the signed-in user, resolved server-side.
        settings: settings; `enabled` is False without Google credentials.

    Returns:
        A CalendarStatus with no secrets in it.
    """
    connection = session.get(GoogleCalendarConnection, user_id)
    status = connection.status if connection else None
    return CalendarStatus(
        enabled=settings.google_enabled,
        connected=status == CalendarConnectionStatus.CONNECTED,
        broken=status == CalendarConnectionStatus.BROKEN,
        account_email=connection.account_email if connection else "",
    )
