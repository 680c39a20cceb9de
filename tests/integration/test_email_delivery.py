"""Emails travel outbox → dispatcher → email function → SMTP, for real."""

import dataclasses
import threading
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy

import pytest
from icalendar import Calendar
from sqlalchemy import update
from sqlmodel import Session, select

import email_service.core
from email_service.recent import RecentKeys
from hms.config import settings
from hms.models import OutboxKind, OutboxMessage, OutboxState, utc_now
from hms.outbox import DEFAULT_POLICY, DispatchPolicy, Outcome, dispatch_once
from hms.services.booking import book_slot
from hms.services.notifications import queue_booking_confirmation
from tests.factories import (
    make_cross_zone_appointment,
    make_doctor,
    make_patient,
    make_slot,
)

# Tue 8 Dec 2026 08:00 UTC: 09:00 in Berlin, 03:00 in New York.
START = datetime(2026, 12, 8, 8, 0, tzinfo=UTC)


def _book(session: Session):
    """Queue the confirmation of a Berlin doctor's appointment with a NY patient."""
    appointment = make_cross_zone_appointment(session, start_at=START)
    queue_booking_confirmation(session=session, appointment=appointment)
    session.commit()
    return appointment


def _messages(session: Session) -> list[OutboxMessage]:
    # Ends the read transaction too: in WAL mode it would keep an old snapshot.
    session.rollback()
    session.expire_all()
    return list(session.exec(select(OutboxMessage).order_by(OutboxMessage.id)).all())


def _make_due(session: Session) -> None:
    """Pretend the backoff has passed for every pending message."""
    session.exec(update(OutboxMessage).values(next_attempt_at=utc_now()))
    session.commit()


def _invite(message) -> Calendar:
    part = next(p for p in message.iter_attachments() if p.get_filename())
    return Calendar.from_ical(part.get_content())


def test_booking_confirmation_arrives_over_smtp(
    session, sqlite_engine, smtp_sink, running_email_function, http_settings
):
    """Patient and doctor each get one email in their zone, with a valid invite."""
    appointment = _book(session)

    report = dispatch_once(engine=sqlite_engine, settings=http_settings)

    assert report.outcomes == {Outcome.SENT: 2}
    assert [m.state for m in _messages(session)] == [OutboxState.SENT] * 2
    [to_patient] = smtp_sink.to("sam@patient.example")
    [to_doctor] = smtp_sink.to("anna@clinic.example")
    assert to_patient["Subject"] == "Appointment confirmed with Dr Anna Weber"
    assert to_doctor["Subject"] == "New appointment: Sam Lee"
    assert to_patient["To"].addresses[0].display_name == "Sam Lee"

    patient_text = to_patient.get_body(("plain",)).get_content()
    doctor_text = to_doctor.get_body(("plain",)).get_content()
    assert "Tue 8 Dec 2026, 03:00–03:30 (America/New_York)" in patient_text
    assert "Tue 8 Dec 2026, 09:00–09:30 (Europe/Berlin)" in doctor_text
    assert "Cardiology" in patient_text
    assert "Chest pain" in doctor_text

    for message in (to_patient, to_doctor):
        calendar = _invite(message)
        [event] = calendar.walk("VEVENT")
        assert calendar["METHOD"] == "REQUEST"
        assert event["UID"] == f"appointment-{appointment.id}@hms"
        assert event.decoded("DTSTART") == START
        assert event.decoded("DTEND") == START + timedelta(minutes=30)


def test_email_function_down_then_back_delivers_each_once(
    session, sqlite_engine, smtp_sink, email_function, http_settings
):
    """A booking made while the function is down succeeds; each email comes later."""
    doctor = make_doctor(session, timezone="Europe/Berlin")
    patient = make_patient(session, timezone="America/New_York")
    slot = make_slot(session, doctor=doctor)
    with Session(sqlite_engine) as booking_session:
        book_slot(session=booking_session, patient_id=patient.id, slot_id=slot.id)
        booking_session.commit()
    before = utc_now()

    report = dispatch_once(engine=sqlite_engine, settings=http_settings)

    assert report.outcomes == {Outcome.RETRY: 2}
    for message in _messages(session):
        assert message.state == OutboxState.PENDING
        assert "unreachable" in message.last_error
        assert message.next_attempt_at > before
    assert smtp_sink.messages == []

    email_function.start()
    _make_due(session)
    assert dispatch_once(engine=sqlite_engine, settings=http_settings).outcomes == {
        Outcome.SENT: 2
    }
    _make_due(session)
    assert dispatch_once(engine=sqlite_engine, settings=http_settings).claimed == 0

    assert len(smtp_sink.messages) == 2
    assert set(smtp_sink.message_id_counts().values()) == {1}
    assert [m.state for m in _messages(session)] == [OutboxState.SENT] * 2


@pytest.mark.parametrize("reply", ["451 4.3.0 Try again later", "550 5.7.1 Refused"])
def test_smtp_refusal_retried_with_backoff_then_dead(
    reply, session, sqlite_engine, smtp_sink, running_email_function, http_settings
):
    """A relay that keeps refusing gets every attempt, then the message is dead."""
    smtp_sink.reply = reply
    _book(session)

    for attempt in range(1, DEFAULT_POLICY.max_attempts):
        before = utc_now()
        report = dispatch_once(engine=sqlite_engine, settings=http_settings)
        assert report.outcomes == {Outcome.RETRY: 2}
        ceiling = DEFAULT_POLICY.base_delay * 2 ** (attempt - 1)
        for message in _messages(session):
            assert message.attempts == attempt
            assert reply[:3] in message.last_error
            wait = message.next_attempt_at - before
            assert ceiling / 2 <= wait <= ceiling + timedelta(seconds=5)
        _make_due(session)

    report = dispatch_once(engine=sqlite_engine, settings=http_settings)

    assert report.outcomes == {Outcome.DEAD: 2}
    for message in _messages(session):
        assert message.state == OutboxState.DEAD
        assert message.attempts == DEFAULT_POLICY.max_attempts
        assert f"SMTP relay answered {reply[:3]}" in message.last_error
    assert smtp_sink.refused == 2 * DEFAULT_POLICY.max_attempts
    assert smtp_sink.messages == []


@pytest.mark.postgres
def test_two_dispatchers_on_postgres_deliver_each_message_once(
    pg_engine, pg_session, smtp_sink, running_email_function, http_settings
):
    """Two dispatchers draining 200 messages side by side never send one twice."""
    total = 200
    pg_session.add_all(
        OutboxMessage(
            kind=OutboxKind.EMAIL,
            idempotency_key=f"email:load:{number}",
            payload={
                "to": f"person{number}@patient.example",
                "subject": f"Load {number}",
                "text": "Hello",
            },
        )
        for number in range(total)
    )
    pg_session.commit()
    start = threading.Barrier(2)
    reports = []

    def dispatcher() -> None:
        start.wait()
        reports.append(
            dispatch_once(
                engine=pg_engine,
                settings=http_settings,
                policy=DispatchPolicy(batch_size=5),
            )
        )

    threads = [threading.Thread(target=dispatcher) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert sum(report.claimed for report in reports) == total
    assert all(report.claimed > 0 for report in reports)
    rows = _messages(pg_session)
    assert {(row.state, row.attempts) for row in rows} == {(OutboxState.SENT, 1)}
    counts = smtp_sink.message_id_counts()
    assert len(counts) == total
    assert set(counts.values()) == {1}


def test_in_process_mode_writes_eml_files(
    session, sqlite_engine, tmp_path, monkeypatch
):
    """Without a URL or SMTP host, the dispatcher writes .eml files to MAIL_DIR."""
    monkeypatch.delenv("SMTP_HOST", raising=False)
    # The function remembers sent keys per process; start this test afresh.
    monkeypatch.setattr(email_service.core, "_recent", RecentKeys(maxsize=100))
    mail_dir = tmp_path / "mail"
    local = dataclasses.replace(settings, email_lambda_url=None, mail_dir=mail_dir)
    appointment = _book(session)

    report = dispatch_once(engine=sqlite_engine, settings=local)

    assert report.outcomes == {Outcome.SENT: 2}
    files = sorted(mail_dir.glob("*.eml"))
    assert len(files) == 2
    messages = [
        message_from_bytes(path.read_bytes(), policy=policy.default) for path in files
    ]
    assert {str(m["To"].addresses[0].addr_spec) for m in messages} == {
        "sam@patient.example",
        "anna@clinic.example",
    }
    for message in messages:
        [event] = _invite(message).walk("VEVENT")
        assert event["UID"] == f"appointment-{appointment.id}@hms"


def test_wrong_token_is_dead_at_once(
    session, sqlite_engine, smtp_sink, running_email_function, http_settings
):
    """A token the function refuses (401) cannot be fixed by retrying."""
    _book(session)
    wrong = dataclasses.replace(http_settings, email_service_token="wrong-token")

    report = dispatch_once(engine=sqlite_engine, settings=wrong)

    assert report.outcomes == {Outcome.DEAD: 2}
    for message in _messages(session):
        assert message.last_error.startswith("email function answered 401")
        assert "wrong-token" not in message.last_error
    assert smtp_sink.messages == []
