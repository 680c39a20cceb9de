"""Google Calendar sync: connect accounts, queue and run event jobs for appointments."""

import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlmodel import Session, delete, or_, select, update

from hms import config
from hms.config import Settings
from hms.errors import DeliveryError, HMSError
from hms.integrations import google_oauth
from hms.integrations.google_calendar import (
    CalendarApiError,
    CalendarTokenRevokedError,
    delete_event,
    event_id_for,
    insert_event,
)
from hms.models import (
    Appointment,
    AppointmentStatus,
    CalendarConnectionStatus,
    CalendarEvent,
    DoctorProfile,
    GoogleCalendarConnection,
    OAuthState,
    OutboxKind,
    OutboxMessage,
    OutboxState,
    User,
    utc_now,
)
from hms.security import hash_token
from hms.services.crypto import DecryptionError, decrypt_text, encrypt_text

logger = logging.getLogger(__name__)

OAUTH_STATE_TTL = timedelta(minutes=10)
_KEY_PREFIX = {
    OutboxKind.CALENDAR_CREATE: "calendar:create",
    OutboxKind.CALENDAR_DELETE: "calendar:delete",
}


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


# --- Queueing (called inside the booking transaction; no network) -----------


def _job_key(kind: OutboxKind, appointment_id: int, user_id: int) -> str:
    return f"{_KEY_PREFIX[kind]}:{appointment_id}:{user_id}"


def _ensure_job(
    session: Session, kind: OutboxKind, appointment_id: int, user_id: int
) -> None:
    """Add the job, or revive it if it died; a pending or sent one is left alone."""
    key = _job_key(kind, appointment_id, user_id)
    message = session.exec(
        select(OutboxMessage).where(OutboxMessage.idempotency_key == key)
    ).first()
    if message is None:
        payload = {"appointment_id": appointment_id, "user_id": user_id}
        message = OutboxMessage(kind=kind, idempotency_key=key, payload=payload)
    elif message.state == OutboxState.DEAD:
        message.state = OutboxState.PENDING
        message.attempts = 0
        message.next_attempt_at = utc_now()
        message.last_error = ""
    else:
        return
    session.add(message)
    logger.info("Queued %s for appointment %s user %s", kind, appointment_id, user_id)


def _parties(appointment: Appointment) -> tuple[int, int]:
    return appointment.patient_id, appointment.doctor_id


def queue_calendar_events(
    *, session: Session, appointment: Appointment, settings: Settings = config.settings
) -> None:
    """Queue one event per connected party of a new appointment.

    Args:
        session: the booking transaction's session.
        appointment: the new, flushed appointment.
        settings: settings; nothing is queued when Google is disabled.
    """
    if not settings.google_enabled:
        return
    for user_id in _parties(appointment):
        connection = session.get(GoogleCalendarConnection, user_id)
        if connection and connection.status == CalendarConnectionStatus.CONNECTED:
            _ensure_job(session, OutboxKind.CALENDAR_CREATE, appointment.id, user_id)


def queue_calendar_removals(
    *, session: Session, appointment: Appointment, settings: Settings = config.settings
) -> None:
    """Queue removal of the events of a cancelled appointment.

    A party gets a job when HMS recorded an event for them or they are
    connected (their create job may still be on its way).

    Args:
        session: the cancellation transaction's session.
        appointment: the cancelled appointment.
        settings: settings; nothing is queued when Google is disabled.
    """
    if not settings.google_enabled:
        return
    recorded = set(
        session.exec(
            select(CalendarEvent.user_id).where(
                CalendarEvent.appointment_id == appointment.id
            )
        ).all()
    )
    for user_id in _parties(appointment):
        if user_id in recorded or session.get(GoogleCalendarConnection, user_id):
            _ensure_job(session, OutboxKind.CALENDAR_DELETE, appointment.id, user_id)


# --- Running jobs (called by the outbox dispatcher) --------------------------


def _doctor_name(doctor: User) -> str:
    """`Dr. Ada Lovelace`, without doubling a title the name already has."""
    if doctor.name.lower().startswith(("dr ", "dr.")):
        return doctor.name
    return f"Dr. {doctor.name}"


def _doctor_label(session: Session, doctor: User) -> str:
    profile = session.get(DoctorProfile, doctor.id)
    name = _doctor_name(doctor)
    return f"{name} ({profile.specialty})" if profile else name


def _zone_name(user: User) -> str:
    try:
        ZoneInfo(user.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return "UTC"
    return user.timezone


def build_event(*, session: Session, appointment: Appointment, owner: User) -> dict:
    """The Calendar v3 event for `appointment` in `owner`'s calendar.

    Args:
        session: to read the other party.
        appointment: the booked appointment.
        owner: the patient or the doctor whose calendar gets the event.

    Returns:
        The event resource, with HMS's deterministic `id` and times in the
        owner's IANA zone.
    """
    doctor = session.get(User, appointment.doctor_id)
    patient = session.get(User, appointment.patient_id)
    if owner.id == doctor.id:
        summary = f"Appointment: {patient.name}"
        lines = [f"Patient: {patient.name}"]
    else:
        summary = f"Appointment with {_doctor_name(doctor)}"
        lines = [f"Doctor: {_doctor_label(session, doctor)}"]
    if appointment.reason:
        lines.append(f"Reason: {appointment.reason}")
    lines.append("Booked through HMS. To cancel, use HMS.")

    zone = _zone_name(owner)
    return {
        "id": event_id_for(appointment.id, owner.id),
        "summary": summary,
        "description": "\n".join(lines),
        "start": _event_time(appointment.start_at, zone),
        "end": _event_time(appointment.end_at, zone),
        "extendedProperties": {"private": {"hmsAppointmentId": str(appointment.id)}},
    }


def _event_time(moment, zone: str) -> dict:
    return {"dateTime": moment.astimezone(ZoneInfo(zone)).isoformat(), "timeZone": zone}


def _mark_broken(session: Session, connection: GoogleCalendarConnection) -> None:
    connection.status = CalendarConnectionStatus.BROKEN
    connection.broken_at = utc_now()
    session.add(connection)
    session.flush()
    logger.warning("Calendar connection of user %s is broken", connection.user_id)


def _usable_token(session: Session, connection: GoogleCalendarConnection) -> str:
    """The decrypted refresh token, or DeliveryError (dead) if it is unusable."""
    if connection.status == CalendarConnectionStatus.BROKEN:
        raise DeliveryError("calendar connection is broken", retryable=False)
    try:
        return decrypt_text(connection.refresh_token_encrypted)
    except DecryptionError:
        # SECRET_KEY changed: only a reconnect can give us a token again.
        _mark_broken(session, connection)
        raise DeliveryError("stored token unreadable", retryable=False) from None


def _call_google(session: Session, connection: GoogleCalendarConnection, call):
    """Run `call()`, translating Google's failures into DeliveryError."""
    try:
        return call()
    except CalendarTokenRevokedError as error:
        _mark_broken(session, connection)
        raise DeliveryError(str(error), retryable=False) from error
    except CalendarApiError as error:
        raise DeliveryError(error.detail, retryable=error.retryable) from error


def _run_create(
    session: Session, appointment_id: int, user_id: int, settings: Settings, http
) -> None:
    appointment = session.get(Appointment, appointment_id)
    connection = session.get(GoogleCalendarConnection, user_id)
    if appointment is None or appointment.status != AppointmentStatus.BOOKED:
        logger.info("Skipping calendar event: appointment %s gone", appointment_id)
        return
    if connection is None:
        logger.info("Skipping calendar event: user %s not connected", user_id)
        return
    if _recorded_event(session, appointment_id, user_id):
        return

    token = _usable_token(session, connection)
    owner = session.get(User, user_id)
    event = build_event(session=session, appointment=appointment, owner=owner)
    event_id = _call_google(
        session,
        connection,
        lambda: insert_event(
            refresh_token=token, event=event, settings=settings, http=http
        ),
    )
    session.add(
        CalendarEvent(
            appointment_id=appointment_id, user_id=user_id, google_event_id=event_id
        )
    )
    session.flush()
    logger.info(
        "Calendar event created: appointment %s user %s", appointment_id, user_id
    )


def _recorded_event(
    session: Session, appointment_id: int, user_id: int
) -> CalendarEvent | None:
    return session.exec(
        select(CalendarEvent).where(
            CalendarEvent.appointment_id == appointment_id,
            CalendarEvent.user_id == user_id,
        )
    ).first()


def _run_delete(
    session: Session, appointment_id: int, user_id: int, settings: Settings, http
) -> None:
    connection = session.get(GoogleCalendarConnection, user_id)
    if connection is None:
        logger.info("Cannot remove calendar event: user %s disconnected", user_id)
        return
    recorded = _recorded_event(session, appointment_id, user_id)
    # Without a record, the create job may be in flight: its id is predictable.
    # TODO(#4): a create that lands after this delete leaves an event behind;
    # closing that needs the dispatcher to order jobs per appointment.
    event_id = (
        recorded.google_event_id if recorded else event_id_for(appointment_id, user_id)
    )

    token = _usable_token(session, connection)
    _call_google(
        session,
        connection,
        lambda: delete_event(
            refresh_token=token, event_id=event_id, settings=settings, http=http
        ),
    )
    if recorded:
        session.delete(recorded)
        session.flush()
    logger.info(
        "Calendar event removed: appointment %s user %s", appointment_id, user_id
    )


def run_calendar_job(
    *,
    session: Session,
    message: OutboxMessage,
    settings: Settings = config.settings,
    http=None,
) -> None:
    """Create or delete one Google Calendar event for an outbox message.

    The session's changes (the event record; a connection marked broken)
    must be committed by the caller, also when DeliveryError is raised.

    Args:
        session: the dispatcher's session.
        message: a CALENDAR_CREATE or CALENDAR_DELETE message.
        settings: settings with the Google OAuth client.
        http: the HTTP transport for Google, for tests.

    Raises:
        DeliveryError: retryable for rate limits, outages and network errors;
            not retryable when the user's token was revoked (the connection
            is then marked broken) or the job can never succeed.
    """
    if not settings.google_enabled:
        raise DeliveryError("Google Calendar is not configured", retryable=False)
    try:
        appointment_id = int(message.payload["appointment_id"])
        user_id = int(message.payload["user_id"])
    except (KeyError, TypeError, ValueError):
        raise DeliveryError("malformed calendar payload", retryable=False) from None

    if message.kind == OutboxKind.CALENDAR_CREATE:
        _run_create(session, appointment_id, user_id, settings, http)
    elif message.kind == OutboxKind.CALENDAR_DELETE:
        _run_delete(session, appointment_id, user_id, settings, http)
    else:
        raise DeliveryError(f"not a calendar job: {message.kind}", retryable=False)


# --- Connecting and disconnecting --------------------------------------------


def start_connect(
    *, session: Session, user_id: int, settings: Settings = config.settings
) -> str:
    """Begin connecting `user_id`'s Google Calendar.

    Stores a one-time state (as its hash) and the encrypted PKCE verifier,
    valid for ten minutes, and drops the user's old states.

    Args:
        session: a session; the caller commits.
        user_id: the signed-in user, resolved server-side.
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
            expires_at=now + OAUTH_STATE_TTL,
        )
    )
    session.flush()
    logger.info("Calendar connect started for user %s", user_id)
    return google_oauth.authorization_url(
        state=state, code_verifier=verifier, settings=settings
    )


def _valid_state(session: Session, state: str) -> OAuthState:
    row = session.exec(
        select(OAuthState).where(OAuthState.state_hash == hash_token(state))
    ).first()
    if row is None or row.used_at is not None or row.expires_at <= utc_now():
        raise _connect_error("invalid_state")
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
        _ensure_job(session, OutboxKind.CALENDAR_CREATE, appointment_id, user_id)

    orphaned = session.exec(
        select(Appointment.id).where(
            Appointment.status == AppointmentStatus.CANCELLED,
            Appointment.id.in_(has_event),
        )
    ).all()
    for appointment_id in orphaned:
        _ensure_job(session, OutboxKind.CALENDAR_DELETE, appointment_id, user_id)
    logger.info(
        "Requeued %s calendar jobs for reconnected user %s",
        len(upcoming) + len(orphaned),
        user_id,
    )


def complete_connect(
    *, session: Session, state: str, code: str, settings: Settings = config.settings
) -> int:
    """Finish connecting: check the state, exchange the code, store the token.

    The state is consumed even when the exchange fails, so commit the
    session after catching CalendarConnectError. Google is called before
    anything is written, so no write lock is held during the call.

    Args:
        session: a session; the caller commits.
        state: the `state` query parameter of the callback.
        code: the `code` query parameter of the callback.
        settings: settings with the Google OAuth client.

    Returns:
        The id of the user whose calendar is now connected.

    Raises:
        CalendarConnectError: unknown, expired or used state; Google refused
            the code; calendar access or a refresh token was not granted.
    """
    if not settings.google_enabled:
        raise _connect_error("disabled")
    # TODO(#4): also bind the state to the browser's session cookie, so a link
    # started by one HMS account cannot be completed in another person's browser.
    row = _valid_state(session, state)
    try:
        verifier = decrypt_text(row.code_verifier_encrypted)
    except DecryptionError:
        raise _connect_error("invalid_state") from None

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
