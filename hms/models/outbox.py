"""Side effects waiting to be delivered after the change that caused them."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Column, Index, String
from sqlmodel import Field, SQLModel

from hms.models.users import utc_now


class OutboxState(StrEnum):
    """Pending until delivered (sent) or out of attempts (dead)."""

    PENDING = "pending"
    SENT = "sent"
    DEAD = "dead"


class OutboxKind(StrEnum):
    """What the dispatcher does with a message."""

    EMAIL = "email"
    CALENDAR_CREATE = "calendar_create"
    CALENDAR_DELETE = "calendar_delete"


class OutboxMessage(SQLModel, table=True):
    """One email or calendar job, written in the transaction that caused it."""

    __tablename__ = "outbox_message"
    __table_args__ = (Index("ix_outbox_due", "state", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: OutboxKind = Field(sa_type=String(32))
    idempotency_key: str = Field(max_length=200, unique=True)
    payload: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    state: OutboxState = Field(default=OutboxState.PENDING, sa_type=String(16))
    attempts: int = Field(default=0)
    next_attempt_at: datetime = Field(default_factory=utc_now)
    last_error: str = Field(default="", max_length=1000)
    created_at: datetime = Field(default_factory=utc_now)
    sent_at: datetime | None = None
