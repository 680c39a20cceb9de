"""People and their sessions: users, role profiles, auth sessions."""

from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import String
from sqlmodel import Field, SQLModel


def utc_now() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


class Role(StrEnum):
    """What a user is in the clinic."""

    PATIENT = "patient"
    DOCTOR = "doctor"
    ADMIN = "admin"


class User(SQLModel, table=True):
    """Anyone who can log in. `email_key` is the case-folded email, unique."""

    __tablename__ = "user"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254)
    email_key: str = Field(max_length=254, unique=True, index=True)
    password_hash: str = Field(max_length=255)
    role: Role = Field(sa_type=String(16), index=True)
    name: str = Field(max_length=120)
    timezone: str = Field(max_length=64)
    is_active: bool = Field(default=True)
    created_at: datetime = Field(default_factory=utc_now)


class DoctorProfile(SQLModel, table=True):
    """What a doctor adds to their account."""

    __tablename__ = "doctor_profile"

    user_id: int = Field(foreign_key="user.id", primary_key=True)
    specialty: str = Field(max_length=80, index=True)
    bio: str = Field(default="", max_length=1000)


class PatientProfile(SQLModel, table=True):
    """What a patient adds to their account."""

    __tablename__ = "patient_profile"

    user_id: int = Field(foreign_key="user.id", primary_key=True)
    phone: str = Field(default="", max_length=32)


class AuthSession(SQLModel, table=True):
    """A login. Only the SHA-256 of the token is stored."""

    __tablename__ = "auth_session"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    created_at: datetime = Field(default_factory=utc_now)
    expires_at: datetime
