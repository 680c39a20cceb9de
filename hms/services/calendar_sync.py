"""Google Calendar sync: queue and run the event jobs of appointments."""

import logging
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlmodel import Session, select

from hms import config
from hms.config import Settings
from hms.errors import DeliveryError
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
    OutboxKind,
    OutboxMessage,
    OutboxState,
    User,
    utc_now,
)
from hms.services.crypto import DecryptionError, decrypt_text

logger = logging.getLogger(__name__)

_KEY_PREFIX = {
    OutboxKind.CALENDAR_CREATE: "calendar:create",
    OutboxKind.CALENDAR_DELETE: "calendar:delete",
}


# --- Queueing (called inside the booking transaction; no network) -----------


def _job_key(kind: OutboxKind, appointment_id: int, user_id: int) -> str:
    return f"{_KEY_PREFIX[kind]}:{appointment_id}:{user_id}"


def ensure_calendar_job(
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
            ensure_calendar_job(
                session, OutboxKind.CALENDAR_CREATE, appointment.id, user_id
            )


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
            ensure_calendar_job(
                session, OutboxKind.CALENDAR_DELETE, appointment.id, user_id
            )


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
    """Run `call()`, translating Google's failures into DeliveryError.

    The session's transaction is committed first: nothing waits on Google
    inside a transaction, and on SQLite a read snapshot held across the call
    could not become a write afterwards.
    """
    session.commit()
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
    _remove_if_cancelled_meanwhile(session, appointment_id, user_id, settings, http)


def _remove_if_cancelled_meanwhile(
    session: Session, appointment_id: int, user_id: int, settings: Settings, http
) -> None:
    """Delete the event just made if the appointment was cancelled during the call.

    A removal job that ran while Google was creating the event found nothing
    to delete; this closes that gap.
    """
    status = session.exec(
        select(Appointment.status)
        .where(Appointment.id == appointment_id)
        .execution_options(populate_existing=True)
    ).first()
    if status == AppointmentStatus.BOOKED:
        return
    logger.info("Appointment %s cancelled during event creation", appointment_id)
    _run_delete(session, appointment_id, user_id, settings, http)


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
    # If its insert lands after this delete, the create job removes it itself.
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

    The session is committed before each call to Google; the changes made
    after it (the event record; a connection marked broken) must be committed
    by the caller, also when DeliveryError is raised.

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
