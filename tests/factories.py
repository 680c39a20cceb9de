"""Small helpers that build rows for tests, committed and ready to use."""

from datetime import UTC, datetime, timedelta
from functools import cache
from itertools import count

from sqlmodel import Session

from hms.models import (
    Appointment,
    DoctorProfile,
    PatientProfile,
    Role,
    Slot,
    SlotState,
    User,
)
from hms.security import hash_password

DEFAULT_PASSWORD = "correct horse battery"
_numbers = count(1)


@cache
def _default_hash() -> str:
    return hash_password(DEFAULT_PASSWORD)


def make_user(
    session: Session,
    *,
    role: Role = Role.PATIENT,
    name: str | None = None,
    email: str | None = None,
    timezone: str = "UTC",
    specialty: str = "General practice",
    is_active: bool = True,
) -> User:
    """A user of `role` whose password is DEFAULT_PASSWORD, with its profile."""
    number = next(_numbers)
    email = email or f"{role.value}{number}@example.com"
    user = User(
        email=email,
        email_key=email.casefold(),
        password_hash=_default_hash(),
        role=role,
        name=name or f"{role.value.title()} {number}",
        timezone=timezone,
        is_active=is_active,
    )
    session.add(user)
    session.flush()
    if role == Role.DOCTOR:
        session.add(DoctorProfile(user_id=user.id, specialty=specialty))
    elif role == Role.PATIENT:
        session.add(PatientProfile(user_id=user.id))
    session.commit()
    return user


def make_doctor(session: Session, **kwargs) -> User:
    """A doctor (see make_user)."""
    return make_user(session, role=Role.DOCTOR, **kwargs)


def make_patient(session: Session, **kwargs) -> User:
    """A patient (see make_user)."""
    return make_user(session, role=Role.PATIENT, **kwargs)


def make_slot(
    session: Session,
    *,
    doctor: User,
    start_at: datetime | None = None,
    minutes: int = 30,
    state: SlotState = SlotState.OPEN,
) -> Slot:
    """A slot of `doctor`, by default tomorrow at 09:00 UTC for 30 minutes."""
    if start_at is None:
        tomorrow = datetime.now(UTC) + timedelta(days=1)
        start_at = tomorrow.replace(hour=9, minute=0, second=0, microsecond=0)
    slot = Slot(
        doctor_id=doctor.id,
        start_at=start_at,
        end_at=start_at + timedelta(minutes=minutes),
        state=state,
    )
    session.add(slot)
    session.commit()
    return slot


def make_appointment(
    session: Session, *, slot: Slot, patient: User, reason: str = ""
) -> Appointment:
    """A booked appointment of `patient` in `slot` (marks the slot booked)."""
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
    session.commit()
    return appointment


def make_cross_zone_appointment(session: Session, *, start_at: datetime) -> Appointment:
    """Dr Anna Weber (Cardiology, Europe/Berlin) booked by Sam Lee (New York)."""
    doctor = make_doctor(
        session,
        name="Dr Anna Weber",
        email="anna@clinic.example",
        timezone="Europe/Berlin",
        specialty="Cardiology",
    )
    patient = make_patient(
        session,
        name="Sam Lee",
        email="sam@patient.example",
        timezone="America/New_York",
    )
    slot = make_slot(session, doctor=doctor, start_at=start_at)
    return make_appointment(session, slot=slot, patient=patient, reason="Chest pain")
