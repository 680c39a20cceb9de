"""Doctors' slots and the appointments booked into them."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Index, String, text
from sqlmodel import Field, SQLModel

from hms.models.users import utc_now

# The limit on a patient's reason for a visit, in characters.
REASON_MAX_LENGTH = 500


class SlotState(StrEnum):
    """A slot is open for booking, booked, or removed by its doctor."""

    OPEN = "open"
    BOOKED = "booked"
    REMOVED = "removed"


class AppointmentStatus(StrEnum):
    """Only booked appointments hold their slot."""

    BOOKED = "booked"
    CANCELLED = "cancelled"


class Slot(SQLModel, table=True):
    """A time a doctor can see one patient: [start_at, end_at), in UTC.

    On PostgreSQL an exclusion constraint (in the migration) forbids two
    live slots of one doctor to overlap; elsewhere the service checks.
    """

    __tablename__ = "slot"
    __table_args__ = (
        Index("ix_slot_doctor_start", "doctor_id", "start_at"),
        CheckConstraint("end_at > start_at", name="ck_slot_ends_after_start"),
    )

    id: int | None = Field(default=None, primary_key=True)
    doctor_id: int = Field(foreign_key="user.id")
    start_at: datetime
    end_at: datetime
    state: SlotState = Field(default=SlotState.OPEN, sa_type=String(16), index=True)
    created_at: datetime = Field(default_factory=utc_now)


class Appointment(SQLModel, table=True):
    """A patient's booking of a slot. Times are copied from the slot.

    The partial unique index makes a second active booking of one slot
    impossible, whatever the application code does.
    """

    __tablename__ = "appointment"
    __table_args__ = (
        Index(
            "uq_appointment_active_slot",
            "slot_id",
            unique=True,
            sqlite_where=text("status = 'booked'"),
            postgresql_where=text("status = 'booked'"),
        ),
        Index("ix_appointment_patient_start", "patient_id", "start_at"),
        Index("ix_appointment_doctor_start", "doctor_id", "start_at"),
        Index("ix_appointment_slot", "slot_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    slot_id: int = Field(foreign_key="slot.id")
    patient_id: int = Field(foreign_key="user.id")
    doctor_id: int = Field(foreign_key="user.id")
    start_at: datetime
    end_at: datetime
    status: AppointmentStatus = Field(
        default=AppointmentStatus.BOOKED, sa_type=String(16)
    )
    reason: str = Field(default="", max_length=REASON_MAX_LENGTH)
    created_at: datetime = Field(default_factory=utc_now)
    cancelled_at: datetime | None = None
    cancelled_by_id: int | None = Field(default=None, foreign_key="user.id")
    cancel_reason: str = Field(default="", max_length=REASON_MAX_LENGTH)
