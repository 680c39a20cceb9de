"""Booking and cancelling appointments, safe against races."""

import logging

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, or_, select

from hms.db import lock_for_writing
from hms.errors import (
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    SlotUnavailableError,
    ValidationError,
)
from hms.models import (
    REASON_MAX_LENGTH,
    Appointment,
    AppointmentStatus,
    DoctorProfile,
    Role,
    Slot,
    SlotState,
    User,
    utc_now,
)
from hms.services import calendar_sync, notifications
from hms.services.views import AppointmentLists, AppointmentView

logger = logging.getLogger(__name__)

JUST_TAKEN = "This time was just taken by someone else. Please choose another time."
LIST_LIMIT = 200


def clean_reason(reason: str, *, field: str = "reason", required: bool = False) -> str:
    """Strip a free-text reason and check its length.

    Raises:
        ValidationError: too long, or empty when `required`.
    """
    reason = (reason or "").strip()
    if required and not reason:
        raise ValidationError("Give a reason; the patient will see it.", field=field)
    if len(reason) > REASON_MAX_LENGTH:
        raise ValidationError(
            f"Use at most {REASON_MAX_LENGTH} characters (you have {len(reason)}).",
            field=field,
        )
    return reason


def _lock_user(session: Session, user_id: int) -> User | None:
    query = (
        select(User)
        .where(User.id == user_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return session.exec(query).first()


def _lock_slot(session: Session, slot_id: int) -> Slot | None:
    return session.exec(
        select(Slot)
        .where(Slot.id == slot_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()


def _require_patient(session: Session, patient_id: int) -> User:
    patient = _lock_user(session, patient_id)
    if patient is None or not patient.is_active or patient.role != Role.PATIENT:
        raise PermissionDeniedError("Only patients can book appointments.")
    return patient


def _active_appointment(session: Session, slot_id: int) -> Appointment | None:
    query = (
        select(Appointment)
        .where(Appointment.slot_id == slot_id)
        .where(Appointment.status == AppointmentStatus.BOOKED)
    )
    return session.exec(query).first()


def _check_bookable(session: Session, slot: Slot | None, patient: User) -> Slot:
    if slot is None or slot.state == SlotState.REMOVED:
        raise SlotUnavailableError(
            "This time is no longer offered. Please choose another time."
        )
    if slot.state == SlotState.BOOKED:
        holder = _active_appointment(session, slot.id)
        if holder is not None and holder.patient_id == patient.id:
            raise SlotUnavailableError("You have already booked this time.")
        raise SlotUnavailableError(JUST_TAKEN)
    if slot.start_at <= utc_now():
        raise SlotUnavailableError("This time has already passed. Choose a later one.")
    doctor = session.get(User, slot.doctor_id)
    if doctor is None or not doctor.is_active:
        raise SlotUnavailableError("This doctor is not taking bookings at the moment.")
    return slot


def _check_patient_free(session: Session, patient: User, slot: Slot) -> None:
    clash = session.exec(
        select(Appointment.id)
        .where(Appointment.patient_id == patient.id)
        .where(Appointment.status == AppointmentStatus.BOOKED)
        .where(Appointment.start_at < slot.end_at)
        .where(Appointment.end_at > slot.start_at)
    ).first()
    if clash is not None:
        raise ConflictError(
            "You already have an appointment at that time. "
            "Cancel it first or choose another time."
        )


def book_slot(
    *, session: Session, patient_id: int, slot_id: int, reason: str = ""
) -> AppointmentView:
    """Book a slot for a patient, or say clearly why not.

    Everything but the ids is re-read inside one transaction: the slot row is
    locked (FOR UPDATE on PostgreSQL; the write lock on SQLite), and the
    unique index on active appointments catches anything that slips past.

    Args:
        session: a session that has not run any statement yet; caller commits.
        patient_id: the logged-in patient, from the server-side session.
        slot_id: the slot the patient chose.
        reason: optional, at most REASON_MAX_LENGTH characters.

    Returns:
        The new appointment.

    Raises:
        PermissionDeniedError: the user is not an active patient.
        ValidationError: the reason is too long.
        SlotUnavailableError: gone, taken, in the past, or doctor inactive.
        ConflictError: the patient already has an overlapping appointment.
    """
    reason = clean_reason(reason)
    lock_for_writing(session)
    patient = _require_patient(session, patient_id)
    slot = _check_bookable(session, _lock_slot(session, slot_id), patient)
    _check_patient_free(session, patient, slot)

    appointment = Appointment(
        slot_id=slot.id,
        patient_id=patient.id,
        doctor_id=slot.doctor_id,
        start_at=slot.start_at,
        end_at=slot.end_at,
        reason=reason,
    )
    slot.state = SlotState.BOOKED
    session.add_all([appointment, slot])
    try:
        session.flush()
    except IntegrityError:
        # The unique index (or, on PostgreSQL, the overlap constraint) fired.
        session.rollback()
        raise SlotUnavailableError(JUST_TAKEN) from None

    notifications.queue_booking_confirmation(session=session, appointment=appointment)
    calendar_sync.queue_calendar_events(session=session, appointment=appointment)
    logger.info("appointment booked id=%s slot_id=%s", appointment.id, slot.id)
    return get_appointment(session=session, appointment_id=appointment.id)


def _check_may_cancel(user: User | None, appointment: Appointment | None) -> User:
    missing = NotFoundError("We couldn't find that appointment.")
    if user is None or not user.is_active or appointment is None:
        raise missing
    if user.role == Role.ADMIN:
        return user
    if appointment.patient_id != user.id and appointment.doctor_id != user.id:
        raise missing
    return user


def cancel_locked_appointment(
    *, session: Session, appointment: Appointment, by: User, reason: str
) -> None:
    """Cancel an appointment whose row the caller has locked; reopen its slot.

    The slot reopens only while it is still in the future and not removed.
    """
    now = utc_now()
    appointment.status = AppointmentStatus.CANCELLED
    appointment.cancelled_at = now
    appointment.cancelled_by_id = by.id
    appointment.cancel_reason = reason
    slot = _lock_slot(session, appointment.slot_id)
    if slot is not None and slot.state == SlotState.BOOKED and slot.start_at > now:
        slot.state = SlotState.OPEN
        session.add(slot)
    session.add(appointment)
    session.flush()

    notifications.queue_cancellation_notice(
        session=session, appointment=appointment, cancelled_by=by
    )
    calendar_sync.queue_calendar_removals(session=session, appointment=appointment)
    logger.info("appointment cancelled id=%s by_user_id=%s", appointment.id, by.id)


def cancel_appointment(
    *, session: Session, user_id: int, appointment_id: int, reason: str = ""
) -> AppointmentView:
    """Cancel an upcoming appointment as its patient, its doctor or an admin.

    Args:
        session: a session that has not run any statement yet; caller commits.
        user_id: the logged-in user, from the server-side session.
        appointment_id: the appointment to cancel.
        reason: required from doctors (the patient sees it); optional otherwise.

    Returns:
        The cancelled appointment.

    Raises:
        NotFoundError: no such appointment, or not the user's.
        ValidationError: a doctor gave no reason, or it is too long.
        ConflictError: already cancelled, or already started.
    """
    lock_for_writing(session)
    user = _lock_user(session, user_id)
    # Every writer locks user, then slot, then appointment; the same order
    # everywhere is what keeps PostgreSQL from deadlocking two of them.
    slot_id = session.exec(
        select(Appointment.slot_id).where(Appointment.id == appointment_id)
    ).first()
    if slot_id is not None:
        _lock_slot(session, slot_id)
    query = select(Appointment).where(Appointment.id == appointment_id)
    appointment = session.exec(
        query.with_for_update().execution_options(populate_existing=True)
    ).first()
    user = _check_may_cancel(user, appointment)
    reason = clean_reason(reason, required=user.role == Role.DOCTOR)

    if appointment.status != AppointmentStatus.BOOKED:
        raise ConflictError("This appointment is already cancelled.")
    if appointment.start_at <= utc_now():
        raise ConflictError(
            "This appointment has already started or passed; it can't be cancelled."
        )
    cancel_locked_appointment(
        session=session, appointment=appointment, by=user, reason=reason
    )
    return get_appointment(session=session, appointment_id=appointment.id)


def _appointments_query():
    doctor = aliased(User, name="doctor")
    patient = aliased(User, name="patient")
    canceller = aliased(User, name="canceller")
    query = (
        select(
            Appointment,
            doctor.name,
            DoctorProfile.specialty,
            doctor.timezone,
            patient.name,
            patient.timezone,
            canceller.name,
        )
        .join(doctor, doctor.id == Appointment.doctor_id)
        .join(patient, patient.id == Appointment.patient_id)
        .outerjoin(DoctorProfile, DoctorProfile.user_id == Appointment.doctor_id)
        .outerjoin(canceller, canceller.id == Appointment.cancelled_by_id)
    )
    return query


def _view(row) -> AppointmentView:
    appointment, doctor_name, specialty, doctor_tz, patient_name, patient_tz, by = row
    return AppointmentView(
        id=appointment.id,
        start_at=appointment.start_at,
        end_at=appointment.end_at,
        status=str(appointment.status),
        reason=appointment.reason,
        doctor_id=appointment.doctor_id,
        doctor_name=doctor_name,
        doctor_specialty=specialty or "",
        doctor_timezone=doctor_tz,
        patient_id=appointment.patient_id,
        patient_name=patient_name,
        patient_timezone=patient_tz,
        cancel_reason=appointment.cancel_reason,
        cancelled_by_name=by or "",
    )


def get_appointment(*, session: Session, appointment_id: int) -> AppointmentView:
    """One appointment with both parties' names (no ownership check).

    Raises:
        NotFoundError: no such appointment.
    """
    query = _appointments_query().where(Appointment.id == appointment_id)
    row = session.exec(query).first()
    if row is None:
        raise NotFoundError("We couldn't find that appointment.")
    return _view(row)


def list_appointments(*, session: Session, user_id: int) -> AppointmentLists:
    """A patient's or doctor's appointments: upcoming first-soonest, past latest.

    Upcoming means booked and not yet over; everything else is past.
    Each list holds at most LIST_LIMIT rows.

    Raises:
        PermissionDeniedError: the user is neither patient nor doctor.
    """
    user = session.get(User, user_id)
    if user is None or user.role not in (Role.PATIENT, Role.DOCTOR):
        raise PermissionDeniedError("Only patients and doctors have appointments.")
    owner = (
        Appointment.patient_id if user.role == Role.PATIENT else Appointment.doctor_id
    )
    now = utc_now()
    is_upcoming = (Appointment.status == AppointmentStatus.BOOKED) & (
        Appointment.end_at > now
    )

    upcoming_query = _appointments_query().where(owner == user_id).where(is_upcoming)
    upcoming = session.exec(
        upcoming_query.order_by(Appointment.start_at).limit(LIST_LIMIT)
    ).all()
    past_query = (
        _appointments_query()
        .where(owner == user_id)
        .where(
            or_(
                Appointment.status != AppointmentStatus.BOOKED,
                Appointment.end_at <= now,
            )
        )
    )
    past = session.exec(
        past_query.order_by(col(Appointment.start_at).desc()).limit(LIST_LIMIT)
    ).all()
    return AppointmentLists(
        upcoming=[_view(row) for row in upcoming], past=[_view(row) for row in past]
    )
