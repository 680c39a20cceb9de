"""Let staff see the messages that could not be delivered, and send them again."""

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from hms.errors import NotFoundError
from hms.models import OutboxMessage, OutboxState, utc_now

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DeadMessage:
    """What staff see of a dead message: no addresses, no bodies."""

    id: int
    kind: str
    idempotency_key: str
    attempts: int
    last_error: str
    created_at: datetime


def list_dead_messages(*, session: Session, limit: int = 50) -> list[DeadMessage]:
    """The most recent messages that ran out of attempts or were refused.

    Callers check that the user is staff; the rows say nothing personal, but
    are of no use to anyone else.

    Args:
        session: A database session.
        limit: At most this many, newest first.

    Returns:
        The dead messages.
    """
    rows = session.exec(
        select(OutboxMessage)
        .where(OutboxMessage.state == OutboxState.DEAD)
        .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
        .limit(limit)
    ).all()
    return [_dead_message(row) for row in rows]


def retry_dead_message(*, session: Session, message_id: int) -> None:
    """Put a dead message back in the queue with a fresh set of attempts.

    The caller commits. The message keeps its idempotency key, so it is
    still delivered at most once.

    Args:
        session: The caller's session.
        message_id: The dead message.

    Raises:
        NotFoundError: No dead message has this id.
    """
    message = session.get(OutboxMessage, message_id)
    if message is None or message.state != OutboxState.DEAD:
        raise NotFoundError("That message is not waiting for a retry; reload the list.")
    message.state = OutboxState.PENDING
    message.attempts = 0
    message.next_attempt_at = utc_now()
    session.add(message)
    session.flush()
    logger.info("dead outbox message %s queued again", message_id)


def _dead_message(row: OutboxMessage) -> DeadMessage:
    return DeadMessage(
        id=row.id,
        kind=str(row.kind),
        idempotency_key=row.idempotency_key,
        attempts=row.attempts,
        last_error=row.last_error,
        created_at=row.created_at,
    )
