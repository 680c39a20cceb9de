"""Notifications queue the right emails, to the right people, safely written."""

from datetime import UTC, datetime

import pytest
from icalendar import Calendar
from sqlmodel import Session, select

from hms.models import OutboxKind, OutboxMessage, Role, User
from hms.services.email_content import format_when
from hms.services.notifications import (
    queue_booking_confirmation,
    queue_cancellation_notice,
    queue_welcome,
)
from tests.factories import (
    make_appointment,
    make_cross_zone_appointment,
    make_doctor,
    make_patient,
    make_slot,
    make_user,
)

START = datetime(2026, 12, 8, 8, 0, tzinfo=UTC)


@pytest.fixture
def appointment(session):
    """An appointment of a Berlin doctor with a New York patient."""
    return make_cross_zone_appointment(session, start_at=START)


def _queued(session: Session) -> dict[str, dict]:
    rows = session.exec(select(OutboxMessage)).all()
    assert {row.kind for row in rows} <= {OutboxKind.EMAIL}
    return {row.idempotency_key: row.payload for row in rows}


def _cancel(session, appointment, by, reason=""):
    appointment.cancel_reason = reason
    queue_cancellation_notice(session=session, appointment=appointment, cancelled_by=by)


def test_queue_booking_confirmation_to_patient_and_doctor(session, appointment):
    """One email each, with times in the reader's zone and a REQUEST invite."""
    queue_booking_confirmation(session=session, appointment=appointment)

    queued = _queued(session)
    patient = queued[f"email:booking:{appointment.id}:patient"]
    doctor = queued[f"email:booking:{appointment.id}:doctor"]
    assert len(queued) == 2
    assert (patient["to"], doctor["to"]) == (
        "sam@patient.example",
        "anna@clinic.example",
    )
    assert "Tue 8 Dec 2026, 03:00–03:30 (America/New_York)" in patient["text"]
    assert (
        "Doctor's time: Tue 8 Dec 2026, 09:00–09:30 (Europe/Berlin)" in patient["text"]
    )
    assert "Tue 8 Dec 2026, 09:00–09:30 (Europe/Berlin)" in doctor["text"]
    assert "Cardiology" in patient["text"]
    assert "Chest pain" in doctor["html"]

    calendar = Calendar.from_ical(patient["ics"])
    [event] = calendar.walk("VEVENT")
    assert calendar["METHOD"] == "REQUEST"
    assert event["SEQUENCE"] == 0
    assert event.decoded("DTSTART") == START


def test_queue_booking_confirmation_escapes_html(session):
    """Names and reasons typed by users reach the HTML escaped."""
    doctor = make_doctor(session, name="Dr <b>Bold</b>")
    patient = make_patient(session, name="<script>alert(1)</script>")
    slot = make_slot(session, doctor=doctor, start_at=START)
    appointment = make_appointment(
        session, slot=slot, patient=patient, reason="<img src=x onerror=alert(1)>"
    )

    queue_booking_confirmation(session=session, appointment=appointment)

    for payload in _queued(session).values():
        assert "<script>" not in payload["html"]
        assert "<img" not in payload["html"]
        assert "<b>Bold" not in payload["html"]
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in payload["html"]
        assert "&lt;img src=x onerror=alert(1)&gt;" in payload["html"]


def test_queue_booking_confirmation_name_with_line_break_stays_one_line(session):
    """A line break in a name never reaches a header."""
    doctor = make_doctor(session, name="Dr Line\nBreak")
    patient = make_patient(session, name="Pat\r\nBcc: x@example.com")
    slot = make_slot(session, doctor=doctor, start_at=START)
    appointment = make_appointment(session, slot=slot, patient=patient)

    queue_booking_confirmation(session=session, appointment=appointment)

    for payload in _queued(session).values():
        assert "\n" not in payload["subject"] and "\r" not in payload["subject"]
        assert "\n" not in payload["to_name"] and "\r" not in payload["to_name"]


def test_queue_cancellation_by_patient_tells_doctor_and_confirms(session, appointment):
    """The doctor hears who cancelled and why; the patient gets a confirmation."""
    patient = session.get(User, appointment.patient_id)

    _cancel(session, appointment, patient, reason="Feeling better")

    queued = _queued(session)
    assert set(queued) == {
        f"email:cancel:{appointment.id}:doctor",
        f"email:cancel:{appointment.id}:patient",
    }
    assert (
        "was cancelled by you"
        in queued[f"email:cancel:{appointment.id}:patient"]["text"]
    )
    notice = queued[f"email:cancel:{appointment.id}:doctor"]
    assert notice["to"] == "anna@clinic.example"
    assert "cancelled by Sam Lee" in notice["text"]
    assert "Feeling better" in notice["text"]
    calendar = Calendar.from_ical(notice["ics"])
    [event] = calendar.walk("VEVENT")
    assert calendar["METHOD"] == "CANCEL"
    assert event["SEQUENCE"] == 1
    assert event["UID"] == f"appointment-{appointment.id}@hms"


def test_queue_cancellation_by_doctor_tells_patient(session, appointment):
    """The patient hears of a doctor's cancellation, in the patient's zone."""
    doctor = session.get(User, appointment.doctor_id)

    _cancel(session, appointment, doctor)

    queued = _queued(session)
    assert (
        "was cancelled by you"
        in queued[f"email:cancel:{appointment.id}:doctor"]["text"]
    )
    notice = queued[f"email:cancel:{appointment.id}:patient"]
    assert notice["to"] == "sam@patient.example"
    assert "(America/New_York)" in notice["text"]


def test_queue_cancellation_by_admin_tells_both(session, appointment):
    """When the clinic cancels, both sides are told."""
    admin = make_user(session, role=Role.ADMIN)

    _cancel(session, appointment, admin)

    queued = _queued(session)
    assert set(queued) == {
        f"email:cancel:{appointment.id}:patient",
        f"email:cancel:{appointment.id}:doctor",
    }
    assert all("cancelled by the clinic" in p["text"] for p in queued.values())


def test_queue_welcome(session):
    """A new account gets one welcome email, keyed by the user id."""
    user = make_patient(session, name="Sam Lee", email="sam@patient.example")

    queue_welcome(session=session, user=user)

    payload = _queued(session)[f"email:welcome:{user.id}"]
    assert payload["to"] == "sam@patient.example"
    assert payload["subject"] == "Welcome to HMS"
    assert "Hello Sam Lee," in payload["text"]


def test_queue_booking_confirmation_twice_queues_once(session, appointment):
    """Queuing the same notice again adds nothing and raises nothing."""
    queue_booking_confirmation(session=session, appointment=appointment)
    session.flush()
    queue_booking_confirmation(session=session, appointment=appointment)
    session.flush()

    assert len(_queued(session)) == 2


def test_queue_booking_confirmation_leaves_commit_to_caller(session, appointment):
    """The rows belong to the caller's transaction: a rollback removes them."""
    queue_booking_confirmation(session=session, appointment=appointment)
    session.rollback()

    assert _queued(session) == {}


def test_format_when_across_midnight_names_both_days():
    """An appointment crossing midnight in the reader's zone names both days."""
    start = datetime(2026, 12, 8, 22, 45, tzinfo=UTC)
    end = datetime(2026, 12, 8, 23, 30, tzinfo=UTC)

    assert format_when(start, end, "Europe/Berlin") == (
        "Tue 8 Dec 2026, 23:45 – Wed 9 Dec 2026, 00:30 (Europe/Berlin)"
    )


def test_format_when_unknown_zone_falls_back_to_utc():
    """A bad zone in a profile still gives a correct time, in UTC."""
    end = datetime(2026, 12, 8, 8, 30, tzinfo=UTC)

    assert (
        format_when(START, end, "Mars/Olympus") == "Tue 8 Dec 2026, 08:00–08:30 (UTC)"
    )
