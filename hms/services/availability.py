"""Doctors' availability: add one or many slots, see them, remove them."""

import logging
from collections.abc import Collection
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from hms.db import lock_for_writing
from hms.errors import ConflictError, NotFoundError, PermissionDeniedError
from hms.errors import ValidationError as Invalid
from hms.models import (
    Appointment,
    AppointmentStatus,
    Role,
    Slot,
    SlotState,
    User,
    utc_now,
)
from hms.services.booking import cancel_locked_appointment, clean_reason
from hms.services.views import SlotView
from hms.timefmt import format_range

logger = logging.getLogger(__name__)

MIN_SLOT_MINUTES = 5
MAX_SLOT_MINUTES = 8 * 60
MAX_RANGE_DAYS = 92
# How far ahead slots may be offered.
MAX_DAYS_AHEAD = 366
MAX_SLOTS_PER_REQUEST = 1000
# Lists show one week at a time, and never more than this many rows.
WINDOW_DAYS = 7
WINDOW_ROW_LIMIT = 200


def _lock_doctor(session: Session, doctor_id: int) -> User:
    # Locking the doctor's row serialises their slot changes on PostgreSQL.
    query = (
        select(User)
        .where(User.id == doctor_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    doctor = session.exec(query).first()
    if doctor is None or not doctor.is_active or doctor.role != Role.DOCTOR:
        raise PermissionDeniedError("Only doctors can manage availability.")
    return doctor


def _to_utc(day: date, moment: time, tz: ZoneInfo, *, field: str) -> datetime:
    local = datetime.combine(day, moment, tzinfo=tz)
    # A wall-clock time skipped by a daylight-saving jump does not round-trip.
    if local.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != local.replace(
        tzinfo=None
    ):
        raise Invalid(
            f"{moment:%H:%M} does not exist on {day} in {tz.key} "
            "(the clocks change). Choose another time.",
            field=field,
        )
    return local.astimezone(UTC)


def _check_length(start: datetime, end: datetime, *, field: str = "end") -> None:
    if end <= start:
        raise Invalid("The end must be after the start.", field=field)
    minutes = (end - start) / timedelta(minutes=1)
    if minutes < MIN_SLOT_MINUTES or minutes > MAX_SLOT_MINUTES:
        raise Invalid(
            f"A slot lasts from {MIN_SLOT_MINUTES} minutes to "
            f"{MAX_SLOT_MINUTES // 60} hours.",
            field=field,
        )


def _check_no_overlap(
    session: Session, doctor: User, spans: list[tuple[datetime, datetime]]
) -> None:
    """Refuse if any span overlaps a live slot (half-open intervals)."""
    first = min(start for start, _ in spans)
    last = max(end for _, end in spans)
    existing = session.exec(
        select(Slot.start_at, Slot.end_at)
        .where(Slot.doctor_id == doctor.id)
        .where(Slot.state != SlotState.REMOVED)
        .where(Slot.start_at < last)
        .where(Slot.end_at > first)
    ).all()
    for start, end in spans:
        for other_start, other_end in existing:
            if other_start < end and other_end > start:
                clash = format_range(other_start, other_end, doctor.timezone)
                raise ConflictError(
                    f"This overlaps your slot on {clash}. "
                    "Choose times that don't overlap.",
                    field="start",
                )


def _insert_slots(
    session: Session, doctor: User, spans: list[tuple[datetime, datetime]]
) -> list[SlotView]:
    _check_no_overlap(session, doctor, spans)
    slots = [Slot(doctor_id=doctor.id, start_at=s, end_at=e) for s, e in spans]
    session.add_all(slots)
    try:
        session.flush()
    except IntegrityError:
        # PostgreSQL's exclusion constraint: a concurrent request got there first.
        session.rollback()
        raise ConflictError(
            "These times overlap slots you just added. Reload and try again.",
            field="start",
        ) from None
    logger.info("slots added doctor_id=%s count=%s", doctor.id, len(slots))
    return [_slot_view(slot) for slot in slots]


def _slot_view(slot: Slot, patient_name: str = "", appointment_id=None) -> SlotView:
    return SlotView(
        id=slot.id,
        start_at=slot.start_at,
        end_at=slot.end_at,
        state=str(slot.state),
        patient_name=patient_name or "",
        appointment_id=appointment_id,
    )


def add_slot(
    *, session: Session, doctor_id: int, day: date, start: time, end: time
) -> SlotView:
    """Add one slot; `day`, `start` and `end` are in the doctor's timezone.

    Args:
        session: a session that has not run any statement yet; caller commits.
        doctor_id: the logged-in doctor, from the server-side session.
        day: the calendar day.
        start: when the slot starts.
        end: when it ends; after `start`, on the same day.

    Returns:
        The new slot.

    Raises:
        ValidationError: end not after start, start in the past, or a length
            outside MIN_SLOT_MINUTES..MAX_SLOT_MINUTES.
        ConflictError: it overlaps another of the doctor's slots.
        PermissionDeniedError: the user is not an active doctor.
    """
    lock_for_writing(session)
    doctor = _lock_doctor(session, doctor_id)
    tz = ZoneInfo(doctor.timezone)
    start_at = _to_utc(day, start, tz, field="start")
    end_at = _to_utc(day, end, tz, field="end")
    _check_length(start_at, end_at)
    if start_at <= utc_now():
        raise Invalid("This start time has passed. Choose a later one.", field="start")
    if start_at > utc_now() + timedelta(days=MAX_DAYS_AHEAD):
        raise Invalid(f"Offer times at most {MAX_DAYS_AHEAD} days ahead.", field="day")
    return _insert_slots(session, doctor, [(start_at, end_at)])[0]


def _check_series(
    first_day: date,
    last_day: date,
    weekdays: Collection[int],
    window_start: time,
    window_end: time,
    slot_minutes: int,
    today: date,
) -> None:
    if last_day < first_day:
        raise Invalid("The last date must not be before the first.", field="last_day")
    if first_day < today:
        raise Invalid(
            "The first date has passed. Start today or later.", field="first_day"
        )
    if (last_day - today).days > MAX_DAYS_AHEAD:
        raise Invalid(
            f"Offer times at most {MAX_DAYS_AHEAD} days ahead.", field="last_day"
        )
    if (last_day - first_day).days >= MAX_RANGE_DAYS:
        raise Invalid(f"Add at most {MAX_RANGE_DAYS} days at a time.", field="last_day")
    if not weekdays or not set(weekdays) <= set(range(7)):
        raise Invalid("Tick at least one weekday.", field="weekdays")
    if not MIN_SLOT_MINUTES <= slot_minutes <= MAX_SLOT_MINUTES:
        raise Invalid(
            f"A slot lasts from {MIN_SLOT_MINUTES} to {MAX_SLOT_MINUTES} minutes.",
            field="slot_minutes",
        )
    if window_end <= window_start:
        raise Invalid("The window must end after it starts.", field="window_end")


def _series_spans(
    doctor: User,
    days: list[date],
    window_start: time,
    window_end: time,
    slot_minutes: int,
) -> list[tuple[datetime, datetime]]:
    tz = ZoneInfo(doctor.timezone)
    length = timedelta(minutes=slot_minutes)
    now = utc_now()
    spans = []
    for day in days:
        cursor = _to_utc(day, window_start, tz, field="window_start")
        window_close = _to_utc(day, window_end, tz, field="window_end")
        while cursor + length <= window_close:
            # Today's times that have already passed are simply left out.
            if cursor > now:
                spans.append((cursor, cursor + length))
            cursor += length
    return spans


def add_slots(
    *,
    session: Session,
    doctor_id: int,
    first_day: date,
    last_day: date,
    weekdays: Collection[int],
    window_start: time,
    window_end: time,
    slot_minutes: int,
) -> list[SlotView]:
    """Add a series of slots: on `weekdays` from `first_day` to `last_day`,
    back to back from `window_start` to `window_end` (doctor's timezone).

    All or nothing: any overlap refuses the whole series.

    Args:
        session: a session that has not run any statement yet; caller commits.
        doctor_id: the logged-in doctor, from the server-side session.
        first_day: the first date, today or later.
        last_day: the last date, at most MAX_RANGE_DAYS after the first.
        weekdays: 0 for Monday to 6 for Sunday.
        window_start: each day's first start time.
        window_end: each day's last end time.
        slot_minutes: each slot's length.

    Returns:
        The new slots, earliest first.

    Raises:
        ValidationError: a field is wrong (see `.field`), or no slot fits.
        ConflictError: a new slot overlaps an existing one.
        PermissionDeniedError: the user is not an active doctor.
    """
    lock_for_writing(session)
    doctor = _lock_doctor(session, doctor_id)
    today = utc_now().astimezone(ZoneInfo(doctor.timezone)).date()
    _check_series(
        first_day, last_day, weekdays, window_start, window_end, slot_minutes, today
    )
    day_count = (last_day - first_day).days + 1
    days = [first_day + timedelta(days=n) for n in range(day_count)]
    days = [day for day in days if day.weekday() in set(weekdays)]
    spans = _series_spans(doctor, days, window_start, window_end, slot_minutes)
    if not spans:
        raise Invalid(
            "No slot fits: check the dates, weekdays, window and slot length.",
            field="slot_minutes",
        )
    if len(spans) > MAX_SLOTS_PER_REQUEST:
        raise Invalid(
            f"That makes {len(spans)} slots; add at most "
            f"{MAX_SLOTS_PER_REQUEST} at a time.",
            field="last_day",
        )
    return _insert_slots(session, doctor, spans)


def start_of_local_day(tz: str, *, days_from_today: int = 0) -> datetime:
    """Midnight (in UTC) of today + `days_from_today` on the calendar of `tz`."""
    zone = ZoneInfo(tz)
    day = utc_now().astimezone(zone).date() + timedelta(days=days_from_today)
    return datetime.combine(day, time(), tzinfo=zone).astimezone(UTC)


def list_doctor_schedule(
    *,
    session: Session,
    doctor_id: int,
    start_at: datetime | None = None,
    end_at: datetime | None = None,
) -> list[SlotView]:
    """A doctor's live slots in [start_at, end_at), soonest first.

    Booked slots carry the patient's name and the appointment id. One SQL
    statement, at most WINDOW_ROW_LIMIT rows, so a page never holds thousands.

    Args:
        session: an open session.
        doctor_id: the logged-in doctor, from the server-side session.
        start_at: the window's start; default the start of the doctor's today.
        end_at: the window's end; default WINDOW_DAYS after its start.

    Raises:
        PermissionDeniedError: the user is not a doctor.
    """
    doctor = session.get(User, doctor_id)
    if doctor is None or doctor.role != Role.DOCTOR:
        raise PermissionDeniedError("Only doctors have availability.")
    window_start = start_at or start_of_local_day(doctor.timezone)
    window_end = end_at or window_start + timedelta(days=WINDOW_DAYS)

    rows = session.exec(
        select(Slot, User.name, Appointment.id)
        .outerjoin(
            Appointment,
            (Appointment.slot_id == Slot.id)
            & (Appointment.status == AppointmentStatus.BOOKED),
        )
        .outerjoin(User, User.id == Appointment.patient_id)
        .where(Slot.doctor_id == doctor_id)
        .where(Slot.state != SlotState.REMOVED)
        .where(Slot.start_at >= window_start)
        .where(Slot.start_at < window_end)
        .order_by(Slot.start_at)
        .limit(WINDOW_ROW_LIMIT)
    ).all()
    return [
        _slot_view(slot, name, appointment_id) for slot, name, appointment_id in rows
    ]


def list_open_slots(
    *,
    session: Session,
    doctor_id: int,
    start_at: datetime | None = None,
    end_at: datetime | None = None,
) -> list[SlotView]:
    """A doctor's open future slots in [start_at, end_at), soonest first.

    At most WINDOW_ROW_LIMIT rows, in one SQL statement.

    Args:
        session: an open session.
        doctor_id: the doctor whose times a patient is looking at.
        start_at: the window's start (default now); past times never show.
        end_at: the window's end; default WINDOW_DAYS after its start.

    Raises:
        NotFoundError: no active doctor has this id.
    """
    doctor = session.get(User, doctor_id)
    if doctor is None or not doctor.is_active or doctor.role != Role.DOCTOR:
        raise NotFoundError("We couldn't find that doctor. Pick one from the list.")
    now = utc_now()
    window_start = max(start_at or now, now)
    window_end = end_at or (start_at or now) + timedelta(days=WINDOW_DAYS)
    slots = session.exec(
        select(Slot)
        .where(Slot.doctor_id == doctor_id)
        .where(Slot.state == SlotState.OPEN)
        .where(Slot.start_at > window_start)
        .where(Slot.start_at < window_end)
        .order_by(Slot.start_at)
        .limit(WINDOW_ROW_LIMIT)
    ).all()
    return [_slot_view(slot) for slot in slots]


def _lock_own_slot(session: Session, doctor: User, slot_id: int) -> Slot:
    slot = session.exec(
        select(Slot)
        .where(Slot.id == slot_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    if slot is None or slot.doctor_id != doctor.id or slot.state == SlotState.REMOVED:
        raise NotFoundError("That slot no longer exists. Reload the page.")
    return slot


def delete_slot(*, session: Session, doctor_id: int, slot_id: int) -> None:
    """Remove one of the doctor's open slots.

    Raises:
        NotFoundError: not the doctor's slot, or already removed.
        ConflictError: the slot is booked; cancel the appointment first
            (see cancel_and_delete_slot).
        PermissionDeniedError: the user is not an active doctor.
    """
    lock_for_writing(session)
    doctor = _lock_doctor(session, doctor_id)
    slot = _lock_own_slot(session, doctor, slot_id)
    if slot.state == SlotState.BOOKED:
        raise ConflictError(
            "This time is booked. Cancel the appointment (with a reason for the "
            "patient) before deleting it."
        )
    slot.state = SlotState.REMOVED
    session.add(slot)
    session.flush()
    logger.info("slot removed id=%s doctor_id=%s", slot.id, doctor.id)


def cancel_and_delete_slot(
    *, session: Session, doctor_id: int, slot_id: int, reason: str
) -> None:
    """Cancel the appointment in a booked slot (telling the patient why) and
    remove the slot. An open slot is simply removed.

    Raises:
        ValidationError: no reason, or too long.
        NotFoundError: not the doctor's slot, or already removed.
        PermissionDeniedError: the user is not an active doctor.
    """
    reason = clean_reason(reason, required=True)
    lock_for_writing(session)
    doctor = _lock_doctor(session, doctor_id)
    slot = _lock_own_slot(session, doctor, slot_id)
    if slot.state == SlotState.BOOKED:
        query = (
            select(Appointment)
            .where(Appointment.slot_id == slot.id)
            .where(Appointment.status == AppointmentStatus.BOOKED)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        appointment = session.exec(query).first()
        if appointment is not None:
            if appointment.start_at <= utc_now():
                raise ConflictError(
                    "This appointment has already started or passed; "
                    "it can't be cancelled."
                )
            cancel_locked_appointment(
                session=session, appointment=appointment, by=doctor, reason=reason
            )
    slot.state = SlotState.REMOVED
    session.add(slot)
    session.flush()
    logger.info("booked slot removed id=%s doctor_id=%s", slot.id, doctor.id)
