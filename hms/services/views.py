"""Small read-only shapes that services return and states display."""

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class UserPublic:
    """What may be shown about the logged-in user: no hash, no token."""

    id: int
    email: str
    name: str
    role: str
    timezone: str


@dataclass(frozen=True)
class DoctorSummary:
    """A doctor in the directory, with their next open time if any."""

    id: int
    name: str
    specialty: str
    timezone: str
    next_open_at: datetime | None


@dataclass(frozen=True)
class SlotView:
    """A slot; booked ones carry the patient's name for their doctor."""

    id: int
    start_at: datetime
    end_at: datetime
    state: str
    patient_name: str = ""
    appointment_id: int | None = None


@dataclass(frozen=True)
class AppointmentView:
    """An appointment with both parties' names and timezones."""

    id: int
    start_at: datetime
    end_at: datetime
    status: str
    reason: str
    doctor_id: int
    doctor_name: str
    doctor_specialty: str
    doctor_timezone: str
    patient_id: int
    patient_name: str
    patient_timezone: str
    cancel_reason: str
    cancelled_by_name: str


@dataclass(frozen=True)
class AppointmentLists:
    """A user's appointments split at the present moment."""

    upcoming: list[AppointmentView]
    past: list[AppointmentView]
