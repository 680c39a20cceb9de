"""The dispatcher claims, delivers and records outcomes; staff can retry the dead."""

import asyncio
import dataclasses
import socket
from datetime import timedelta

import pytest
from sqlmodel import Session, select

import email_service.core
from email_service.recent import RecentKeys
from hms.config import settings
from hms.errors import DeliveryError, NotFoundError
from hms.models import OutboxKind, OutboxMessage, OutboxState, utc_now
from hms.outbox import (
    DEFAULT_POLICY,
    DispatchPolicy,
    Outcome,
    claim_due_messages,
    dispatch_once,
    record_outcome,
    retry_delay,
    run_dispatcher,
)
from hms.services import calendar_sync
from hms.services.outbox_admin import list_dead_messages, retry_dead_message


def _closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/email"


@pytest.fixture
def local_settings(tmp_path, monkeypatch):
    """In-process delivery writing .eml files to a fresh folder."""
    monkeypatch.delenv("SMTP_HOST", raising=False)
    # The function remembers sent keys per process; start each test afresh.
    monkeypatch.setattr(email_service.core, "_recent", RecentKeys(maxsize=100))
    return dataclasses.replace(
        settings,
        email_lambda_url=None,
        mail_dir=tmp_path / "mail",
        run_outbox_in_app=True,
    )


def _add(session: Session, key: str = "email:test:1", **fields) -> OutboxMessage:
    fields.setdefault("kind", OutboxKind.EMAIL)
    fields.setdefault(
        "payload", {"to": "sam@patient.example", "subject": "Hi", "text": "Hello"}
    )
    message = OutboxMessage(idempotency_key=key, **fields)
    session.add(message)
    session.commit()
    return message


def _reload(session: Session, message: OutboxMessage) -> OutboxMessage:
    # Ends the read transaction too: in WAL mode it would keep an old snapshot.
    session.rollback()
    session.expire_all()
    return session.get(OutboxMessage, message.id)


def test_retry_delay_doubles_with_jitter_up_to_the_cap():
    """Each wait lies between half and all of an exponentially growing ceiling."""
    for attempts in range(1, 12):
        ceiling = min(
            DEFAULT_POLICY.max_delay, DEFAULT_POLICY.base_delay * 2 ** (attempts - 1)
        )
        for _ in range(20):
            assert ceiling / 2 <= retry_delay(attempts) <= ceiling


def test_claim_due_messages_leases_only_due_pending_rows(session, sqlite_engine):
    """Only due pending rows are claimed, each leased and counted as an attempt."""
    now = utc_now()
    due = _add(session, "email:due")
    _add(session, "email:later", next_attempt_at=now + timedelta(minutes=5))
    _add(session, "email:sent", state=OutboxState.SENT)
    _add(session, "email:dead", state=OutboxState.DEAD)

    claimed = claim_due_messages(engine=sqlite_engine)

    assert [(m.id, m.attempts) for m in claimed] == [(due.id, 1)]
    row = _reload(session, due)
    assert row.attempts == 1
    assert row.next_attempt_at >= now + DEFAULT_POLICY.lease
    assert claim_due_messages(engine=sqlite_engine) == []


def test_dispatch_email_function_unreachable_retries_later(session, sqlite_engine):
    """A refused connection leaves the message pending, with the error and a wait."""
    message = _add(session)
    unreachable = dataclasses.replace(settings, email_lambda_url=_closed_port_url())

    report = dispatch_once(engine=sqlite_engine, settings=unreachable)

    row = _reload(session, message)
    assert report.outcomes == {Outcome.RETRY: 1}
    assert (row.state, row.attempts) == (OutboxState.PENDING, 1)
    assert row.last_error == "email function unreachable: ConnectionError"
    assert row.next_attempt_at > utc_now() + DEFAULT_POLICY.base_delay / 3


def test_dispatch_in_process_sends_and_writes_eml(
    session, sqlite_engine, local_settings
):
    """In-process delivery marks the message sent and writes its .eml file."""
    message = _add(session)

    report = dispatch_once(engine=sqlite_engine, settings=local_settings)

    row = _reload(session, message)
    assert report.outcomes == {Outcome.SENT: 1}
    assert (row.state, row.attempts) == (OutboxState.SENT, 1)
    assert row.sent_at is not None
    assert len(list(local_settings.mail_dir.glob("*.eml"))) == 1


def test_dispatch_invalid_email_is_dead_at_once(session, sqlite_engine, local_settings):
    """A request the function refuses as invalid is not retried."""
    message = _add(
        session, payload={"to": "not an address", "subject": "Hi", "text": "Hello"}
    )

    report = dispatch_once(engine=sqlite_engine, settings=local_settings)

    row = _reload(session, message)
    assert report.outcomes == {Outcome.DEAD: 1}
    assert (row.state, row.attempts) == (OutboxState.DEAD, 1)
    assert row.last_error == "email function answered 400: invalid to"


def test_dispatch_dead_after_max_attempts(session, sqlite_engine):
    """The last allowed failure makes the message dead, keeping its error."""
    message = _add(session)
    unreachable = dataclasses.replace(settings, email_lambda_url=_closed_port_url())
    policy = DispatchPolicy(max_attempts=2, base_delay=timedelta(0))

    outcomes = [
        dispatch_once(engine=sqlite_engine, settings=unreachable, policy=policy)
        for _ in range(3)
    ]

    assert [o.outcomes for o in outcomes] == [{Outcome.RETRY: 1}, {Outcome.DEAD: 1}, {}]
    row = _reload(session, message)
    assert (row.state, row.attempts) == (OutboxState.DEAD, 2)
    assert "unreachable" in row.last_error


def test_record_outcome_after_lease_lost_is_dropped(session, sqlite_engine):
    """A result that arrives after another dispatcher reclaimed the row is ignored."""
    message = _add(session)
    [first] = claim_due_messages(engine=sqlite_engine)
    row = _reload(session, message)
    row.next_attempt_at = utc_now()
    session.add(row)
    session.commit()
    [second] = claim_due_messages(engine=sqlite_engine)

    assert record_outcome(first, None, engine=sqlite_engine, policy=DEFAULT_POLICY) == (
        Outcome.STALE
    )
    assert record_outcome(
        second, None, engine=sqlite_engine, policy=DEFAULT_POLICY
    ) == (Outcome.SENT)
    assert _reload(session, message).state == OutboxState.SENT


def test_dispatch_releases_messages_when_lease_runs_short(session, sqlite_engine):
    """Messages a batch has no lease left for go back untried, not twice."""
    first, second = _add(session, "email:one"), _add(session, "email:two")
    no_time = DispatchPolicy(lease=timedelta(0), delivery_budget=timedelta(0))

    report = dispatch_once(engine=sqlite_engine, policy=no_time)

    assert report.outcomes == {Outcome.RELEASED: 2}
    for message in (first, second):
        row = _reload(session, message)
        assert (row.state, row.attempts) == (OutboxState.PENDING, 0)
        assert row.next_attempt_at <= utc_now()


@pytest.mark.parametrize(
    ("error", "state"),
    [(None, OutboxState.SENT), (DeliveryError("revoked", retryable=False), "dead")],
)
def test_calendar_message_handed_to_calendar_job(
    error, state, session, sqlite_engine, monkeypatch
):
    """Calendar messages go to calendar sync; its writes are kept even on error."""
    seen = []

    def run_calendar_job(*, session, message, settings):
        seen.append(message.idempotency_key)
        # Stands in for calendar sync's own writes (an event id, a broken link).
        session.add(OutboxMessage(kind=OutboxKind.EMAIL, idempotency_key="side"))
        if error:
            raise error

    monkeypatch.setattr(calendar_sync, "run_calendar_job", run_calendar_job)
    message = _add(session, "calendar:delete:1", kind=OutboxKind.CALENDAR_DELETE)

    dispatch_once(engine=sqlite_engine)

    assert seen == ["calendar:delete:1"]
    assert _reload(session, message).state == state
    keys = session.exec(select(OutboxMessage.idempotency_key)).all()
    assert "side" in keys


def test_run_dispatcher_delivers_then_stops_on_cancel(
    session, sqlite_engine, local_settings
):
    """The lifespan task delivers in the background and ends when cancelled."""
    message = _add(session)

    async def scenario() -> asyncio.Task:
        task = asyncio.create_task(
            run_dispatcher(interval=0.05, engine=sqlite_engine, settings=local_settings)
        )
        for _ in range(200):
            await asyncio.sleep(0.05)
            if _reload(session, message).state == OutboxState.SENT:
                break
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return task

    task = asyncio.run(scenario())

    assert task.cancelled()
    assert _reload(session, message).state == OutboxState.SENT


def test_run_dispatcher_off_in_app_returns_at_once(sqlite_engine, local_settings):
    """With HMS_OUTBOX_IN_APP off the lifespan task ends without working."""
    off = dataclasses.replace(local_settings, run_outbox_in_app=False)

    asyncio.run(asyncio.wait_for(run_dispatcher(engine=sqlite_engine, settings=off), 1))


def test_list_and_retry_dead_messages(session):
    """Staff see dead messages without content and can queue one again."""
    dead = _add(session, "email:dead", state=OutboxState.DEAD, attempts=8)
    _add(session, "email:pending")

    [listed] = list_dead_messages(session=session)
    retry_dead_message(session=session, message_id=dead.id)
    session.commit()

    assert (listed.id, listed.attempts) == (dead.id, 8)
    assert not hasattr(listed, "payload")
    row = _reload(session, dead)
    assert (row.state, row.attempts) == (OutboxState.PENDING, 0)
    assert row.next_attempt_at <= utc_now()
    assert list_dead_messages(session=session) == []


def test_retry_dead_message_not_dead(session):
    """Only a dead message can be retried."""
    pending = _add(session)

    with pytest.raises(NotFoundError):
        retry_dead_message(session=session, message_id=pending.id)


def test_claimed_rows_are_plain_copies(session, sqlite_engine):
    """Claims return detached copies, so delivery holds no session or transaction."""
    _add(session)

    [claimed] = claim_due_messages(engine=sqlite_engine)

    assert not isinstance(claimed, OutboxMessage)
    assert session.exec(select(OutboxMessage)).one().attempts == 1
