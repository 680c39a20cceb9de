"""Google Calendar links: per-user connections, created events, OAuth states."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from hms.models.users import utc_now


class CalendarConnectionStatus(StrEnum):
    """Connected until Google refuses the refresh token; then broken."""

    CONNECTED = "connected"
    BROKEN = "broken"


class GoogleCalendarConnection(SQLModel, table=True):
    """A user's link to their Google Calendar. The refresh token is encrypted.

    Never put this row in a Reflex var: `refresh_token_encrypted` is a secret.
    """

    __tablename__ = "google_calendar_connection"

    user_id: int = Field(foreign_key="user.id", primary_key=True)
    account_email: str = Field(default="", max_length=254)
    refresh_token_encrypted: str = Field(sa_column=Column(Text, nullable=False))
    scope: str = Field(default="", max_length=1000)
    status: CalendarConnectionStatus = Field(
        default=CalendarConnectionStatus.CONNECTED, sa_type=String(16)
    )
    connected_at: datetime = Field(default_factory=utc_now)
    broken_at: datetime | None = None


class CalendarEvent(SQLModel, table=True):
    """An event HMS created in one user's calendar for one appointment."""

    __tablename__ = "calendar_event"
    __table_args__ = (
        UniqueConstraint(
            "appointment_id", "user_id", name="uq_calendar_event_appointment_user"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    appointment_id: int = Field(foreign_key="appointment.id")
    user_id: int = Field(foreign_key="user.id", index=True)
    google_event_id: str = Field(max_length=1024)
    created_at: datetime = Field(default_factory=utc_now)


class OAuthState(SQLModel, table=True):
    """A one-time OAuth `state`, stored as its SHA-256, with its PKCE verifier."""

    __tablename__ = "oauth_state"

    id: int | None = Field(default=None, primary_key=True)
    state_hash: str = Field(max_length=64, unique=True, index=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    code_verifier_encrypted: str = Field(sa_column=Column(Text, nullable=False))
    # SHA-256 of a nonce kept in a cookie of the browser that started the flow.
    browser_hash: str = Field(default="", max_length=64)
    created_at: datetime = Field(default_factory=utc_now)
    expires_at: datetime
    used_at: datetime | None = None
