"""Queue the emails that tell people what happened to their appointments.

Each function only adds outbox rows to the caller's transaction: the email
goes out after the caller commits, through the outbox dispatcher.
"""

import logging

from sqlmodel import Session, select

from hms.models import (
    Appointment,
    DoctorProfile,
    OutboxKind,
    OutboxMessage,
    Role,
    User,
)
from hms.services import email_content, ics
from hms.services.email_content import AppointmentFacts, EmailContent, Party

logger = logging.getLogger(__name__)


def queue_welcome(*, session: Session, user: User) -> None:
    """Queue the welcome email for a new account.

    Args:
        session: The caller's session; the row is added, not committed.
        user: The new account (flushed here if it has no id yet).
    """
    if user.id is None:
        session.flush()
    content = email_content.welcome(name=user.name, role=str(user.role))
    _queue_email(
        session=session,
        key=f"email:welcome:{user.id}",
        recipient=_party(user),
        content=content,
    )


def queue_booking_confirmation(*, session: Session, appointment: Appointment) -> None:
    """Queue the booking confirmation to the patient and the doctor.

    Each email carries a METHOD:REQUEST invitation for the appointment.

    Args:
        session: The caller's session; rows are added, not committed.
        appointment: The new appointment (flushed here if it has no id yet).
    """
    facts = _facts(session=session, appointment=appointment)
    invitation = ics.booking_invitation(facts)
    for side, recipient in (("patient", facts.patient), ("doctor", facts.doctor)):
        _queue_email(
            session=session,
            key=f"email:booking:{facts.appointment_id}:{side}",
            recipient=recipient,
            content=email_content.booking_confirmation(facts, recipient=recipient),
            ics_text=invitation,
        )


def queue_cancellation_notice(
    *, session: Session, appointment: Appointment, cancelled_by: User
) -> None:
    """Queue the cancellation notice to both the patient and the doctor.

    The other party learns who cancelled and why; the one who cancelled gets
    a confirmation. Both get the calendar update that removes the invite.

    Args:
        session: The caller's session; rows are added, not committed.
        appointment: The cancelled appointment, with its cancel reason set.
        cancelled_by: The user who cancelled.
    """
    facts = _facts(session=session, appointment=appointment)
    removal = ics.cancellation(facts)
    by_label = _cancelled_by_label(facts, appointment=appointment, user=cancelled_by)
    for side, recipient in (("patient", facts.patient), ("doctor", facts.doctor)):
        # The one who cancelled gets it too: their calendar holds the invite.
        own = cancelled_by.id == getattr(appointment, f"{side}_id")
        content = email_content.cancellation_notice(
            facts,
            recipient=recipient,
            cancelled_by="you" if own else by_label,
            reason=appointment.cancel_reason,
        )
        _queue_email(
            session=session,
            key=f"email:cancel:{facts.appointment_id}:{side}",
            recipient=recipient,
            content=content,
            ics_text=removal,
        )


def _cancelled_by_label(
    facts: AppointmentFacts, *, appointment: Appointment, user: User
) -> str:
    """How the notice names who cancelled."""
    if user.id == appointment.patient_id:
        return facts.patient.name
    if user.id == appointment.doctor_id:
        return facts.doctor.name
    if user.role == Role.ADMIN:
        return "the clinic"
    return user.name


def _facts(*, session: Session, appointment: Appointment) -> AppointmentFacts:
    """Load the people and specialty an appointment email needs."""
    if appointment.id is None:
        session.flush()
    patient = session.get(User, appointment.patient_id)
    doctor = session.get(User, appointment.doctor_id)
    profile = session.get(DoctorProfile, appointment.doctor_id)
    return AppointmentFacts(
        appointment_id=appointment.id,
        patient=_party(patient),
        doctor=_party(doctor),
        specialty=profile.specialty if profile else "",
        reason=appointment.reason,
        start_at=appointment.start_at,
        end_at=appointment.end_at,
    )


def _party(user: User) -> Party:
    return Party(name=user.name, email=user.email, timezone=user.timezone)


def _queue_email(
    *,
    session: Session,
    key: str,
    recipient: Party,
    content: EmailContent,
    ics_text: str | None = None,
) -> None:
    """Add one EMAIL row, unless a row with the same key is already queued.

    Skipping a known key keeps a repeated call from breaking the caller's
    transaction on the unique index; the first message already covers it.
    """
    existing = session.exec(
        select(OutboxMessage.id).where(OutboxMessage.idempotency_key == key)
    ).first()
    if existing is not None:
        logger.info("email already queued: message=%s", existing)
        return

    payload = {
        "to": recipient.email,
        "to_name": email_content.one_line(recipient.name) or None,
        "subject": content.subject,
        "text": content.text,
        "html": content.html,
    }
    if ics_text:
        payload["ics"] = ics_text
    session.add(
        OutboxMessage(kind=OutboxKind.EMAIL, idempotency_key=key, payload=payload)
    )
    logger.info("email queued: key=%s", key)
