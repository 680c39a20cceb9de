"""Booking and cancelling appointments: every rule and every refusal."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from hms.errors import (
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    SlotUnavailableError,
    ValidationError,
)
from hms.models import (
    Appointment,
    AppointmentStatus,
    OutboxMessage,
    Slot,
    SlotState,
    utc_now,
)
from hms.services import booking
from tests.factories import make_appointment, make_doctor, make_patient, make_slot


def _tomorrow_at(hour: int, minute: int = 0) -> datetime:
    tomorrow = utc_now().date() + timedelta(days=1)
    return datetime(
        tomorrow.year, tomorrow.month, tomorrow.day, hour, minute, tzinfo=UTC
    )


def _appointment_count(session, *where) -> int:
    query = select(func.count()).select_from(Appointment).where(*where)
    return session.exec(query).one()


def _fresh(session, model, row_id):
    return session.exec(
        select(model)
        .where(model.id == row_id)
        .execution_options(populate_existing=True)
    ).one()


def _book(session, patient, slot, reason=""):
    return booking.book_slot(
        session=session, patient_id=patient.id, slot_id=slot.id, reason=reason
    )


def _cancel(session, user, appointment, reason=""):
    return booking.cancel_appointment(
        session=session, user_id=user.id, appointment_id=appointment.id, reason=reason
    )


def test_book_slot_open_future(session):
    """Booking an open future slot copies its times and marks it booked."""
    doctor = make_doctor(session, name="Dr. House", specialty="Diagnostics")
    patient = make_patient(session, name="Pat")
    slot = make_slot(session, doctor=doctor, minutes=45)

    view = _book(session, patient, slot, reason="  Headache ")
    session.commit()

    stored = session.get(Appointment, view.id)
    assert (stored.slot_id, stored.patient_id, stored.doctor_id) == (
        slot.id,
        patient.id,
        doctor.id,
    )
    assert (stored.start_at, stored.end_at) == (slot.start_at, slot.end_at)
    assert stored.status == AppointmentStatus.BOOKED
    assert stored.reason == "Headache"
    assert _fresh(session, Slot, slot.id).state == SlotState.BOOKED
    assert (view.doctor_name, view.doctor_specialty, view.patient_name) == (
        "Dr. House",
        "Diagnostics",
        "Pat",
    )
    assert (view.start_at, view.end_at, view.status) == (
        slot.start_at,
        slot.end_at,
        "booked",
    )


def test_book_slot_writes_outbox_in_same_transaction(session):
    """Booking queues its notices in the booking's own transaction."""
    slot = make_slot(session, doctor=make_doctor(session))
    before = session.exec(select(func.count()).select_from(OutboxMessage)).one()
    session.commit()

    _book(session, make_patient(session), slot)
    session.rollback()
    after_rollback = session.exec(select(func.count()).select_from(OutboxMessage)).one()

    assert after_rollback == before


def test_book_slot_queues_outbox_message(session):
    """A committed booking leaves at least one outbox message."""
    slot = make_slot(session, doctor=make_doctor(session))
    patient = make_patient(session)
    before = session.exec(select(func.count()).select_from(OutboxMessage)).one()
    session.commit()

    _book(session, patient, slot)
    session.commit()

    after = session.exec(select(func.count()).select_from(OutboxMessage)).one()
    assert after > before


def test_book_slot_reason_at_limit(session):
    """A reason of exactly 500 characters is accepted."""
    slot = make_slot(session, doctor=make_doctor(session))

    view = _book(session, make_patient(session), slot, reason="r" * 500)

    assert len(view.reason) == 500


def test_book_slot_reason_too_long(session):
    """A reason over 500 characters is refused on the reason field."""
    slot = make_slot(session, doctor=make_doctor(session))
    patient = make_patient(session)

    with pytest.raises(ValidationError) as caught:
        _book(session, patient, slot, reason="r" * 501)

    assert caught.value.field == "reason"
    assert "500" in caught.value.message
    assert _appointment_count(session) == 0
    assert _fresh(session, Slot, slot.id).state == SlotState.OPEN


def test_book_slot_taken_by_another_patient(session):
    """A slot booked by someone else gives the "just taken" message."""
    slot = make_slot(session, doctor=make_doctor(session))
    first = make_patient(session)
    second = make_patient(session)
    _book(session, first, slot)
    session.commit()

    with pytest.raises(SlotUnavailableError) as caught:
        _book(session, second, slot)

    assert caught.value.message == booking.JUST_TAKEN
    assert _appointment_count(session) == 1
    assert _appointment_count(session, Appointment.patient_id == second.id) == 0


def test_book_slot_same_patient_twice(session):
    """Booking the same slot again says it is already yours; still one appointment."""
    slot = make_slot(session, doctor=make_doctor(session))
    patient = make_patient(session)
    _book(session, patient, slot)
    session.commit()

    with pytest.raises(SlotUnavailableError) as caught:
        _book(session, patient, slot)

    assert caught.value.message != booking.JUST_TAKEN
    assert "already booked" in caught.value.message
    assert _appointment_count(session) == 1


@pytest.mark.parametrize("case", ["removed", "past", "inactive doctor", "missing"])
def test_book_slot_not_bookable(session, case):
    """Removed, past, missing slots and inactive doctors' slots can't be booked."""
    patient = make_patient(session)
    doctor = make_doctor(session, is_active=case != "inactive doctor")
    if case == "removed":
        slot = make_slot(session, doctor=doctor, state=SlotState.REMOVED)
    elif case == "past":
        slot = make_slot(
            session, doctor=doctor, start_at=utc_now() - timedelta(minutes=10)
        )
    else:
        slot = make_slot(session, doctor=doctor)
    slot_id = 999_999 if case == "missing" else slot.id
    expected_state = slot.state

    with pytest.raises(SlotUnavailableError) as caught:
        booking.book_slot(session=session, patient_id=patient.id, slot_id=slot_id)

    assert caught.value.message != booking.JUST_TAKEN
    assert _appointment_count(session) == 0
    assert _fresh(session, Slot, slot.id).state == expected_state


def test_book_slot_started_but_not_over(session):
    """A slot that has started is no longer bookable."""
    start = utc_now() - timedelta(minutes=5)
    slot = make_slot(session, doctor=make_doctor(session), start_at=start, minutes=60)

    with pytest.raises(SlotUnavailableError):
        _book(session, make_patient(session), slot)

    assert _appointment_count(session) == 0


@pytest.mark.parametrize("who", ["doctor", "inactive patient", "nobody"])
def test_book_slot_not_an_active_patient(session, who):
    """Only active patients can book; doctors and others are refused."""
    doctor = make_doctor(session)
    slot = make_slot(session, doctor=doctor)
    if who == "doctor":
        user_id = doctor.id
    elif who == "inactive patient":
        user_id = make_patient(session, is_active=False).id
    else:
        user_id = 31337

    with pytest.raises(PermissionDeniedError):
        booking.book_slot(session=session, patient_id=user_id, slot_id=slot.id)

    assert _appointment_count(session) == 0
    assert _fresh(session, Slot, slot.id).state == SlotState.OPEN


@pytest.mark.parametrize(
    ("offset", "minutes"), [(0, 30), (15, 30), (-15, 30), (-30, 120)]
)
def test_book_slot_patient_overlapping_appointment(session, offset, minutes):
    """A patient cannot hold two overlapping appointments, even with two doctors."""
    patient = make_patient(session)
    start = _tomorrow_at(9)
    first = make_slot(session, doctor=make_doctor(session), start_at=start)
    second = make_slot(
        session,
        doctor=make_doctor(session),
        start_at=start + timedelta(minutes=offset),
        minutes=minutes,
    )
    _book(session, patient, first)
    session.commit()

    with pytest.raises(ConflictError):
        _book(session, patient, second)

    assert _appointment_count(session) == 1
    assert _fresh(session, Slot, second.id).state == SlotState.OPEN


def test_book_slot_back_to_back_appointments(session):
    """Appointments that only touch (09:00–09:30, 09:30–10:00) do not clash."""
    patient = make_patient(session)
    first = make_slot(session, doctor=make_doctor(session), start_at=_tomorrow_at(9))
    second = make_slot(
        session, doctor=make_doctor(session), start_at=_tomorrow_at(9, 30)
    )

    _book(session, patient, first)
    session.commit()
    _book(session, patient, second)
    session.commit()

    assert _appointment_count(session, Appointment.patient_id == patient.id) == 2


def test_book_slot_after_own_cancellation_no_clash(session):
    """A cancelled appointment does not block booking the same time elsewhere."""
    patient = make_patient(session)
    first = make_slot(session, doctor=make_doctor(session))
    second = make_slot(session, doctor=make_doctor(session))
    appointment = _book(session, patient, first)
    session.commit()
    _cancel(session, patient, appointment)
    session.commit()

    _book(session, patient, second)
    session.commit()

    assert _appointment_count(session, Appointment.status == "booked") == 1


def test_cancel_appointment_by_patient_reopens_slot(session):
    """A patient's cancellation reopens the slot and another patient can book it."""
    slot = make_slot(session, doctor=make_doctor(session))
    patient = make_patient(session)
    other = make_patient(session)
    appointment = _book(session, patient, slot)
    session.commit()

    view = _cancel(session, patient, appointment)
    session.commit()

    assert view.status == "cancelled"
    cancelled = _fresh(session, Appointment, appointment.id)
    assert cancelled.status == AppointmentStatus.CANCELLED
    assert cancelled.cancelled_by_id == patient.id
    assert cancelled.cancelled_at is not None
    assert _fresh(session, Slot, slot.id).state == SlotState.OPEN
    session.commit()

    rebooked = _book(session, other, slot)
    session.commit()
    assert rebooked.patient_id == other.id
    assert _appointment_count(session, Appointment.status == "booked") == 1


def test_cancel_appointment_by_doctor_with_reason(session):
    """A doctor cancels with a reason the patient sees; the slot reopens."""
    doctor = make_doctor(session, name="Dr. Busy")
    slot = make_slot(session, doctor=doctor)
    appointment = _book(session, make_patient(session), slot)
    session.commit()

    view = _cancel(session, doctor, appointment, reason="Called away")
    session.commit()

    assert (view.status, view.cancel_reason, view.cancelled_by_name) == (
        "cancelled",
        "Called away",
        "Dr. Busy",
    )
    assert _fresh(session, Slot, slot.id).state == SlotState.OPEN


@pytest.mark.parametrize("reason", ["", "   "])
def test_cancel_appointment_doctor_needs_reason(session, reason):
    """A doctor must give a reason; without one nothing changes."""
    doctor = make_doctor(session)
    slot = make_slot(session, doctor=doctor)
    appointment = make_appointment(session, slot=slot, patient=make_patient(session))

    with pytest.raises(ValidationError) as caught:
        _cancel(session, doctor, appointment, reason=reason)
    session.rollback()

    assert caught.value.field == "reason"
    assert _fresh(session, Appointment, appointment.id).status == "booked"
    assert _fresh(session, Slot, slot.id).state == SlotState.BOOKED


def test_cancel_appointment_reason_too_long(session):
    """A cancellation reason over 500 characters is refused on the reason field."""
    slot = make_slot(session, doctor=make_doctor(session))
    patient = make_patient(session)
    appointment = make_appointment(session, slot=slot, patient=patient)

    with pytest.raises(ValidationError) as caught:
        _cancel(session, patient, appointment, reason="x" * 501)
    session.rollback()

    assert caught.value.field == "reason"
    assert _fresh(session, Appointment, appointment.id).status == "booked"


@pytest.mark.parametrize("who", ["other patient", "other doctor"])
def test_cancel_appointment_not_mine(session, who):
    """Someone else's appointment is NotFoundError and stays booked."""
    slot = make_slot(session, doctor=make_doctor(session))
    appointment = make_appointment(session, slot=slot, patient=make_patient(session))
    intruder = make_patient(session) if who == "other patient" else make_doctor(session)

    with pytest.raises(NotFoundError):
        _cancel(session, intruder, appointment, reason="Because")
    session.rollback()

    assert _fresh(session, Appointment, appointment.id).status == "booked"
    assert _fresh(session, Slot, slot.id).state == SlotState.BOOKED


def test_cancel_appointment_unknown_id(session):
    """An appointment id that does not exist is NotFoundError."""
    patient = make_patient(session)

    with pytest.raises(NotFoundError):
        booking.cancel_appointment(
            session=session, user_id=patient.id, appointment_id=424242
        )


def test_cancel_appointment_twice(session):
    """Cancelling an already cancelled appointment is ConflictError."""
    slot = make_slot(session, doctor=make_doctor(session))
    patient = make_patient(session)
    appointment = make_appointment(session, slot=slot, patient=patient)
    _cancel(session, patient, appointment)
    session.commit()

    with pytest.raises(ConflictError):
        _cancel(session, patient, appointment)
    session.rollback()

    assert _appointment_count(session, Appointment.status == "cancelled") == 1


def test_cancel_appointment_in_the_past(session):
    """An appointment that has started or passed cannot be cancelled."""
    start = utc_now() - timedelta(hours=2)
    slot = make_slot(session, doctor=make_doctor(session), start_at=start)
    patient = make_patient(session)
    appointment = make_appointment(session, slot=slot, patient=patient)

    with pytest.raises(ConflictError):
        _cancel(session, patient, appointment)
    session.rollback()

    assert _fresh(session, Appointment, appointment.id).status == "booked"
    assert _fresh(session, Slot, slot.id).state == SlotState.BOOKED


def test_list_appointments_splits_upcoming_and_past(session):
    """Upcoming holds booked future ones soonest first; past the rest, latest first."""
    doctor = make_doctor(session, name="Dr. List", specialty="ENT")
    patient = make_patient(session, name="Pat List")
    later = make_slot(session, doctor=doctor, start_at=_tomorrow_at(11))
    sooner = make_slot(session, doctor=doctor, start_at=_tomorrow_at(9))
    old = make_slot(session, doctor=doctor, start_at=utc_now() - timedelta(days=2))
    dropped = make_slot(session, doctor=doctor, start_at=_tomorrow_at(13))
    later_appt = make_appointment(session, slot=later, patient=patient)
    sooner_appt = make_appointment(session, slot=sooner, patient=patient)
    old_appt = make_appointment(session, slot=old, patient=patient)
    dropped_appt = make_appointment(session, slot=dropped, patient=patient)
    _cancel(session, patient, dropped_appt)
    session.commit()
    make_appointment(
        session,
        slot=make_slot(session, doctor=doctor, start_at=_tomorrow_at(15)),
        patient=make_patient(session),
    )

    mine = booking.list_appointments(session=session, user_id=patient.id)

    assert [a.id for a in mine.upcoming] == [sooner_appt.id, later_appt.id]
    assert [a.id for a in mine.past] == [dropped_appt.id, old_appt.id]
    first = mine.upcoming[0]
    assert (first.doctor_name, first.doctor_specialty, first.patient_name) == (
        "Dr. List",
        "ENT",
        "Pat List",
    )
    assert mine.past[0].status == "cancelled"


def test_list_appointments_for_doctor(session):
    """A doctor sees the appointments in their slots with the patients' names."""
    doctor = make_doctor(session)
    slot = make_slot(session, doctor=doctor)
    appointment = make_appointment(
        session, slot=slot, patient=make_patient(session, name="Pat Seen")
    )
    other_slot = make_slot(session, doctor=make_doctor(session))
    make_appointment(session, slot=other_slot, patient=make_patient(session))

    lists = booking.list_appointments(session=session, user_id=doctor.id)

    assert [(a.id, a.patient_name) for a in lists.upcoming] == [
        (appointment.id, "Pat Seen")
    ]
    assert lists.past == []


def test_list_appointments_in_progress_is_upcoming(session):
    """An appointment that has started but not ended is still upcoming."""
    start = utc_now() - timedelta(minutes=10)
    slot = make_slot(session, doctor=make_doctor(session), start_at=start, minutes=60)
    patient = make_patient(session)
    appointment = make_appointment(session, slot=slot, patient=patient)

    lists = booking.list_appointments(session=session, user_id=patient.id)

    assert [a.id for a in lists.upcoming] == [appointment.id]


def test_unique_index_refuses_second_booked_appointment(session):
    """The database refuses a second booked appointment for one slot."""
    slot = make_slot(session, doctor=make_doctor(session))
    make_appointment(session, slot=slot, patient=make_patient(session))
    other = make_patient(session)

    session.add(
        Appointment(
            slot_id=slot.id,
            patient_id=other.id,
            doctor_id=slot.doctor_id,
            start_at=slot.start_at,
            end_at=slot.end_at,
        )
    )
    with pytest.raises(IntegrityError):
        session.commit()
    session.rollback()

    assert _appointment_count(session) == 1


def test_unique_index_allows_cancelled_duplicates(session):
    """Cancelled appointments do not count against the one-per-slot index."""
    slot = make_slot(session, doctor=make_doctor(session))
    make_appointment(session, slot=slot, patient=make_patient(session))
    for _ in range(2):
        session.add(
            Appointment(
                slot_id=slot.id,
                patient_id=make_patient(session).id,
                doctor_id=slot.doctor_id,
                start_at=slot.start_at,
                end_at=slot.end_at,
                status=AppointmentStatus.CANCELLED,
            )
        )
    session.commit()

    assert _appointment_count(session, Appointment.slot_id == slot.id) == 3


def test_book_slot_threads_on_sqlite(sqlite_engine, session):
    """Ten patients booking one slot at once on SQLite: one wins, nine hear "just taken"."""
    slot_id = make_slot(session, doctor=make_doctor(session)).id
    patient_ids = [make_patient(session).id for _ in range(10)]
    barrier = threading.Barrier(len(patient_ids), timeout=30)

    def attempt(patient_id: int) -> object:
        barrier.wait()
        with Session(sqlite_engine, expire_on_commit=False) as own:
            try:
                view = booking.book_slot(
                    session=own, patient_id=patient_id, slot_id=slot_id
                )
                own.commit()
            except Exception as error:  # noqa: BLE001  (the test inspects it)
                return error
            return view

    with ThreadPoolExecutor(max_workers=len(patient_ids)) as pool:
        outcomes = list(pool.map(attempt, patient_ids))

    losers = [o for o in outcomes if isinstance(o, Exception)]
    assert len(losers) == len(patient_ids) - 1, outcomes
    assert all(
        type(o) is SlotUnavailableError and o.message == booking.JUST_TAKEN
        for o in losers
    ), losers
    assert _appointment_count(session, Appointment.slot_id == slot_id) == 1
