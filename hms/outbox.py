"""The outbox dispatcher: deliver queued emails and calendar jobs, with retries.

Runs inside the app as a lifespan task (`run_dispatcher`) or on its own:
`python -m hms.outbox` loops, `python -m hms.outbox --once` drains and exits.
"""

import argparse
import asyncio
import logging
import random
import signal
import sys
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

import requests
from sqlalchemy import Engine, update
from sqlmodel import Session, select

from hms.config import Settings, settings
from hms.db import get_engine, lock_for_writing, session_scope
from hms.errors import DeliveryError
from hms.integrations.email_client import send_email
from hms.models import OutboxKind, OutboxMessage, OutboxState, utc_now
from hms.services import calendar_sync

logger = logging.getLogger(__name__)

LAST_ERROR_MAX = 500


@dataclass(frozen=True)
class DispatchPolicy:
    """How many rows to claim at once, how long to hold them, when to give up.

    Attributes:
        batch_size: Rows claimed per transaction.
        lease: How far a claim pushes `next_attempt_at`, so no other
            dispatcher takes the row while this one delivers its batch.
        delivery_budget: The longest one delivery may take (the email
            client's timeouts, a calendar call); a message is not started
            unless this much of its lease is left.
        max_attempts: Deliveries tried before a message goes dead.
        base_delay: Wait after the first failure; doubled after each one.
        max_delay: The longest wait between two attempts.
    """

    batch_size: int = 10
    lease: timedelta = timedelta(minutes=5)
    delivery_budget: timedelta = timedelta(seconds=60)
    max_attempts: int = 8
    base_delay: timedelta = timedelta(seconds=30)
    max_delay: timedelta = timedelta(hours=1)


DEFAULT_POLICY = DispatchPolicy()


@dataclass(frozen=True)
class ClaimedMessage:
    """A detached copy of a claimed row: delivery runs outside any transaction."""

    id: int
    kind: str
    idempotency_key: str
    payload: dict
    attempts: int


class Outcome(StrEnum):
    """What became of one delivery attempt."""

    SENT = "sent"
    RETRY = "retry"
    DEAD = "dead"
    # The lease ran out and another dispatcher took the row; its result counts.
    STALE = "stale"
    # Handed back untried: too little of the lease was left to deliver it.
    RELEASED = "released"


@dataclass
class DispatchReport:
    """How many messages a run claimed, and what became of them."""

    claimed: int = 0
    outcomes: dict[Outcome, int] = field(default_factory=dict)

    def add(self, outcome: Outcome) -> None:
        """Count one outcome."""
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1

    def merge(self, other: "DispatchReport") -> None:
        """Add another report's counts to this one."""
        self.claimed += other.claimed
        for outcome, count in other.outcomes.items():
            self.outcomes[outcome] = self.outcomes.get(outcome, 0) + count


def retry_delay(attempts: int, policy: DispatchPolicy = DEFAULT_POLICY) -> timedelta:
    """The wait before the next attempt, after `attempts` failed ones.

    Exponential with "equal jitter": between half and all of
    base * 2**(attempts-1), capped. tenacity and backoff compute waits for a
    loop sleeping in one process, through their own retry-state objects; here
    each row's next time is computed once per failure from its stored attempt
    count, so this two-line formula is clearer than adapting their internals.
    """
    # The exponent is capped so a huge attempt count cannot overflow timedelta.
    doublings = min(max(attempts - 1, 0), 30)
    ceiling = min(policy.max_delay, policy.base_delay * 2**doublings)
    return ceiling * random.uniform(0.5, 1.0)


def claim_due_messages(
    *, engine: Engine, policy: DispatchPolicy = DEFAULT_POLICY
) -> list[ClaimedMessage]:
    """Claim up to a batch of due messages and commit the claim at once.

    Each claimed row gets one more attempt and a `next_attempt_at` a lease
    ahead, so no dispatcher takes it again while this one delivers. On
    PostgreSQL, FOR UPDATE SKIP LOCKED lets dispatchers claim side by side;
    SQLite serialises claims through its write lock.
    """
    now = utc_now()
    with session_scope(engine) as session:
        lock_for_writing(session)
        query = (
            select(OutboxMessage)
            .where(OutboxMessage.state == OutboxState.PENDING)
            .where(OutboxMessage.next_attempt_at <= now)
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(policy.batch_size)
        )
        if engine.dialect.name != "sqlite":
            query = query.with_for_update(skip_locked=True)
        rows = session.exec(query).all()
        for row in rows:
            row.attempts += 1
            row.next_attempt_at = now + policy.lease
        return [_detach(row) for row in rows]


# One keep-alive HTTP session per dispatcher thread (requests sessions are not
# shared safely across threads); reusing connections to the email function
# saves a TCP (and TLS) handshake per message.
_thread_state = threading.local()


def _http_session() -> requests.Session:
    if not hasattr(_thread_state, "http"):
        _thread_state.http = requests.Session()
    return _thread_state.http


def dispatch_batch(
    *,
    engine: Engine | None = None,
    settings: Settings = settings,
    policy: DispatchPolicy = DEFAULT_POLICY,
) -> DispatchReport:
    """Claim one batch, deliver each message, record each outcome.

    Args:
        engine: The database; the app's engine by default.
        settings: Where emails go (tests pass their own).
        policy: Batch size, lease and retry limits.

    Returns:
        The counts of this batch.
    """
    engine = engine or get_engine()
    # Taken before the claim, so the real lease ends no earlier than this.
    deadline = utc_now() + policy.lease - policy.delivery_budget
    claimed = claim_due_messages(engine=engine, policy=policy)
    report = DispatchReport(claimed=len(claimed))
    for message in claimed:
        # Slow deliveries ate the lease: starting now could send twice.
        if utc_now() > deadline:
            report.add(release_message(message, engine=engine))
            continue
        error = _attempt(message, engine=engine, settings=settings)
        report.add(record_outcome(message, error, engine=engine, policy=policy))
    return report


def dispatch_once(
    *,
    engine: Engine | None = None,
    settings: Settings = settings,
    policy: DispatchPolicy = DEFAULT_POLICY,
) -> DispatchReport:
    """Deliver batches until no message is due; see `dispatch_batch`."""
    total = DispatchReport()
    while True:
        report = dispatch_batch(engine=engine, settings=settings, policy=policy)
        total.merge(report)
        # A short batch means nothing else was due when it was claimed.
        if report.claimed < policy.batch_size:
            return total


async def run_dispatcher(
    *,
    interval: float = 1.0,
    engine: Engine | None = None,
    settings: Settings = settings,
    policy: DispatchPolicy = DEFAULT_POLICY,
) -> None:
    """Deliver due messages every `interval` seconds until cancelled.

    Meant for `app.register_lifespan_task(run_dispatcher)`. The blocking work
    runs in a worker thread; on cancellation the loop stops at once, and a
    batch already in its thread still finishes and records its outcomes.
    Does nothing when HMS_OUTBOX_IN_APP is off (a separate dispatcher runs).
    """
    if not settings.run_outbox_in_app:
        logger.info("outbox dispatcher not started in the app")
        return
    logger.info("outbox dispatcher started")
    try:
        while True:
            await asyncio.to_thread(
                _dispatch_safely, engine=engine, settings=settings, policy=policy
            )
            await asyncio.sleep(interval)
    except asyncio.CancelledError:
        logger.info("outbox dispatcher stopped")
        raise


def _dispatch_safely(**kwargs) -> None:
    """One drain; any error is logged so the loop carries on."""
    try:
        report = dispatch_once(**kwargs)
    except Exception:
        logger.exception("outbox dispatch failed; trying again shortly")
        return
    if report.claimed:
        logger.info("outbox run: claimed=%d %s", report.claimed, _counts(report))


def _detach(row: OutboxMessage) -> ClaimedMessage:
    return ClaimedMessage(
        id=row.id,
        kind=str(row.kind),
        idempotency_key=row.idempotency_key,
        payload=dict(row.payload),
        attempts=row.attempts,
    )


def _attempt(
    message: ClaimedMessage, *, engine: Engine, settings: Settings
) -> DeliveryError | None:
    """Deliver one message outside any transaction; return the error, if any."""
    try:
        if message.kind == OutboxKind.EMAIL:
            send_email(
                payload=message.payload,
                idempotency_key=message.idempotency_key,
                settings=settings,
                http=_http_session(),
            )
        elif message.kind in (OutboxKind.CALENDAR_CREATE, OutboxKind.CALENDAR_DELETE):
            _run_calendar_job(message, engine=engine, settings=settings)
        else:
            return DeliveryError(f"unknown kind {message.kind[:32]}", retryable=False)
    except DeliveryError as error:
        return error
    except Exception as error:
        logger.exception("outbox message %s failed unexpectedly", message.id)
        return DeliveryError(f"unexpected {type(error).__name__}")
    return None


def _run_calendar_job(
    message: ClaimedMessage, *, engine: Engine, settings: Settings
) -> None:
    """Hand a calendar message to the calendar sync service.

    Its session's changes (event ids, a connection marked broken) are
    committed even when the job raises DeliveryError, as calendar sync asks.
    """
    with Session(engine, expire_on_commit=False) as session:
        row = session.get(OutboxMessage, message.id)
        try:
            calendar_sync.run_calendar_job(
                session=session, message=row, settings=settings
            )
        except DeliveryError:
            session.commit()
            raise
        session.commit()


def record_outcome(
    message: ClaimedMessage,
    error: DeliveryError | None,
    *,
    engine: Engine,
    policy: DispatchPolicy,
) -> Outcome:
    """Write the outcome of a claimed message in a new transaction.

    The update matches the attempt count of the claim: if the lease ran out
    and another dispatcher claimed the row since, this result is dropped.

    Args:
        message: The claimed message.
        error: Why delivery failed, or None when it succeeded.
        engine: The database.
        policy: The retry limits.

    Returns:
        What became of the message; STALE when the claim no longer held.
    """
    now = utc_now()
    outcome, values = _outcome_values(message, error, now=now, policy=policy)
    with session_scope(engine) as session:
        result = session.exec(
            update(OutboxMessage)
            .where(OutboxMessage.id == message.id)
            .where(OutboxMessage.attempts == message.attempts)
            .where(OutboxMessage.state == OutboxState.PENDING)
            .values(**values)
        )
    if result.rowcount != 1:
        logger.warning("outbox message %s was reclaimed; result dropped", message.id)
        return Outcome.STALE
    _log_outcome(message, outcome, error, values)
    return outcome


def release_message(message: ClaimedMessage, *, engine: Engine) -> Outcome:
    """Hand an untried claimed message back: due now, its attempt not counted.

    Args:
        message: The claimed message.
        engine: The database.

    Returns:
        RELEASED, or STALE when the claim no longer held.
    """
    with session_scope(engine) as session:
        result = session.exec(
            update(OutboxMessage)
            .where(OutboxMessage.id == message.id)
            .where(OutboxMessage.attempts == message.attempts)
            .where(OutboxMessage.state == OutboxState.PENDING)
            .values(attempts=message.attempts - 1, next_attempt_at=utc_now())
        )
    if result.rowcount != 1:
        return Outcome.STALE
    logger.info("outbox message %s released untried", message.id)
    return Outcome.RELEASED


def _outcome_values(
    message: ClaimedMessage,
    error: DeliveryError | None,
    *,
    now: datetime,
    policy: DispatchPolicy,
) -> tuple[Outcome, dict]:
    """The outcome of an attempt and the columns that record it."""
    if error is None:
        return Outcome.SENT, {"state": OutboxState.SENT, "sent_at": now}
    last_error = error.detail[:LAST_ERROR_MAX]
    if not error.retryable or message.attempts >= policy.max_attempts:
        return Outcome.DEAD, {"state": OutboxState.DEAD, "last_error": last_error}
    next_at = now + retry_delay(message.attempts, policy)
    return Outcome.RETRY, {"next_attempt_at": next_at, "last_error": last_error}


def _log_outcome(
    message: ClaimedMessage, outcome: Outcome, error: DeliveryError | None, values
) -> None:
    """Log ids and outcomes only; error details carry no message content."""
    ident = (message.id, message.kind, message.attempts)
    if outcome == Outcome.SENT:
        logger.info("outbox message %s (%s) sent on attempt %s", *ident)
    elif outcome == Outcome.RETRY:
        logger.warning(
            "outbox message %s (%s) failed attempt %s, retry at %s: %s",
            *ident,
            values["next_attempt_at"].isoformat(timespec="seconds"),
            error.detail,
        )
    else:
        logger.error(
            "outbox message %s (%s) dead after attempt %s: %s", *ident, error.detail
        )


def _counts(report: DispatchReport) -> str:
    return " ".join(f"{name}={count}" for name, count in report.outcomes.items())


def main(argv: list[str] | None = None) -> int:
    """Run the dispatcher from the command line; see the module docstring."""
    parser = argparse.ArgumentParser(prog="python -m hms.outbox")
    parser.add_argument("--once", action="store_true", help="drain, then exit")
    parser.add_argument("--interval", type=float, default=1.0, help="seconds")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")

    if args.once:
        report = dispatch_once()
        logger.info("outbox drained: claimed=%d %s", report.claimed, _counts(report))
        return 0

    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    logger.info("outbox dispatcher running; Ctrl+C stops it")
    while not stop.is_set():
        _dispatch_safely()
        stop.wait(args.interval)
    logger.info("outbox dispatcher stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
