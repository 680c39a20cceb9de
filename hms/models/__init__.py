"""SQLModel tables. Importing this package registers every table."""

from hms.models.calendar import (
    CalendarConnectionStatus,
    CalendarEvent,
    GoogleCalendarConnection,
    OAuthState,
)
from hms.models.outbox import OutboxKind, OutboxMessage, OutboxState
from hms.models.scheduling import (
    REASON_MAX_LENGTH,
    Appointment,
    AppointmentStatus,
    Slot,
    SlotState,
)
from hms.models.users import (
    AuthSession,
    DoctorProfile,
    PatientProfile,
    Role,
    User,
    utc_now,
)

__all__ = [
    "REASON_MAX_LENGTH",
    "Appointment",
    "AppointmentStatus",
    "AuthSession",
    "CalendarConnectionStatus",
    "CalendarEvent",
    "DoctorProfile",
    "GoogleCalendarConnection",
    "OAuthState",
    "OutboxKind",
    "OutboxMessage",
    "OutboxState",
    "PatientProfile",
    "Role",
    "Slot",
    "SlotState",
    "User",
    "utc_now",
]
