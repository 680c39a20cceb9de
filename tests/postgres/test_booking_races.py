"""Many requests at once on real PostgreSQL: nobody is ever double-booked."""

from collections import Counter
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import func
from sqlmodel import select

from hms.errors import ConflictError, SlotUnavailableError
from hms.models import Appointment, AppointmentStatus, Slot, SlotState, utc_now
from hms.services import availability, booking
from tests.factories import make_doctor, make_patient, make_slot

pytestmark = pytest.mark.postgres

THREADS = 50
ROUNDS = 5


def _start(round_number: int) -> datetime:
    """A distinct future hour per round, so a round's winner has no clash later."""
    base = datetime.combine(utc_now().date() + timedelta(days=2), time(), tzinfo=UTC)
    return base + timedelta(hours=round_number)


def _booked_for_slot(session, slot_id: int) -> list[Appointment]:
    query = (
        select(Appointment)
        .where(Appointment.slot_id == slot_id)
        .where(Appointment.status == AppointmentStatus.BOOKED)
    )
    return list(session.exec(query).all())


def _slot_state(session, slot_id: int) -> SlotState:
    query = select(Slot.state).where(Slot.id == slot_id)
    return session.exec(query).one()


def _kinds(outcomes) -> Counter:
    return Counter(type(outcome).__name__ for outcome in outcomes)


@pytest.mark.parametrize("round_number", range(ROUNDS))
def test_book_slot_many_patients_race_for_one_slot(pg_session, run_race, round_number):
    """50 patients at once: one appointment, everyone else hears "just taken"."""
    doctor = make_doctor(pg_session)
    patient_ids = [make_patient(pg_session).id for _ in range(THREADS)]
    slot_id = make_slot(pg_session, doctor=doctor, start_at=_start(round_number)).id

    outcomes = run_race(
        THREADS,
        lambda session, i: booking.book_slot(
            session=session, patient_id=patient_ids[i], slot_id=slot_id
        ),
    )

    winners = [o for o in outcomes if not isinstance(o, Exception)]
    losers = [o for o in outcomes if isinstance(o, Exception)]
    assert len(winners) == 1, _kinds(outcomes)
    assert all(type(o) is SlotUnavailableError for o in losers), _kinds(losers)
    assert {o.message for o in losers} == {booking.JUST_TAKEN}
    pg_session.rollback()
    booked = _booked_for_slot(pg_session, slot_id)
    assert [a.id for a in booked] == [winners[0].id]
    assert booked[0].patient_id == winners[0].patient_id
    assert _slot_state(pg_session, slot_id) == SlotState.BOOKED


def test_book_slot_many_patients_race_repeated_on_fresh_slots(pg_session, run_race):
    """Five rounds in one database, a fresh slot each: one appointment per slot."""
    doctor = make_doctor(pg_session)
    patient_ids = [make_patient(pg_session).id for _ in range(THREADS)]

    for round_number in range(ROUNDS):
        slot_id = make_slot(pg_session, doctor=doctor, start_at=_start(round_number)).id
        pg_session.commit()

        outcomes = run_race(
            THREADS,
            lambda session, i, slot_id=slot_id: booking.book_slot(
                session=session, patient_id=patient_ids[i], slot_id=slot_id
            ),
        )

        losers = [o for o in outcomes if isinstance(o, Exception)]
        assert len(losers) == THREADS - 1, _kinds(outcomes)
        assert all(
            type(o) is SlotUnavailableError and o.message == booking.JUST_TAKEN
            for o in losers
        ), _kinds(losers)
        assert len(_booked_for_slot(pg_session, slot_id)) == 1
        pg_session.rollback()

    total = pg_session.exec(select(func.count()).select_from(Appointment)).one()
    assert total == ROUNDS


@pytest.mark.parametrize("round_number", range(ROUNDS))
def test_book_slot_one_patient_double_submits(pg_session, run_race, round_number):
    """One patient submitting one slot from 50 threads gets exactly one appointment."""
    patient_id = make_patient(pg_session).id
    slot_id = make_slot(
        pg_session, doctor=make_doctor(pg_session), start_at=_start(round_number)
    ).id

    outcomes = run_race(
        THREADS,
        lambda session, _i: booking.book_slot(
            session=session, patient_id=patient_id, slot_id=slot_id
        ),
    )

    losers = [o for o in outcomes if isinstance(o, Exception)]
    assert len(losers) == THREADS - 1, _kinds(outcomes)
    assert all(type(o) is SlotUnavailableError for o in losers), _kinds(losers)
    pg_session.rollback()
    booked = _booked_for_slot(pg_session, slot_id)
    assert len(booked) == 1
    assert booked[0].patient_id == patient_id


@pytest.mark.parametrize("round_number", range(ROUNDS))
def test_book_slot_one_patient_two_overlapping_slots(
    pg_session, run_race, round_number
):
    """One patient racing for two overlapping slots of two doctors gets at most one."""
    patient_id = make_patient(pg_session).id
    start = _start(round_number)
    slot_ids = [
        make_slot(pg_session, doctor=make_doctor(pg_session), start_at=start).id,
        make_slot(
            pg_session,
            doctor=make_doctor(pg_session),
            start_at=start + timedelta(minutes=15),
        ).id,
    ]

    outcomes = run_race(
        THREADS,
        lambda session, i: booking.book_slot(
            session=session, patient_id=patient_id, slot_id=slot_ids[i % 2]
        ),
    )

    losers = [o for o in outcomes if isinstance(o, Exception)]
    assert len(losers) >= THREADS - 1, _kinds(outcomes)
    assert all(type(o) in (ConflictError, SlotUnavailableError) for o in losers), (
        _kinds(losers)
    )
    pg_session.rollback()
    query = (
        select(func.count())
        .select_from(Appointment)
        .where(Appointment.patient_id == patient_id)
        .where(Appointment.status == AppointmentStatus.BOOKED)
    )
    assert pg_session.exec(query).one() <= 1
    assert pg_session.exec(query).one() == THREADS - len(losers)


def test_book_slot_many_patients_many_slots(pg_session, run_race):
    """50 patients spread over 5 slots: exactly one appointment per slot."""
    doctor = make_doctor(pg_session)
    patient_ids = [make_patient(pg_session).id for _ in range(THREADS)]
    slot_ids = [
        make_slot(pg_session, doctor=doctor, start_at=_start(n)).id
        for n in range(ROUNDS)
    ]

    outcomes = run_race(
        THREADS,
        lambda session, i: booking.book_slot(
            session=session, patient_id=patient_ids[i], slot_id=slot_ids[i % ROUNDS]
        ),
    )

    winners = [o for o in outcomes if not isinstance(o, Exception)]
    losers = [o for o in outcomes if isinstance(o, Exception)]
    assert sorted(w.id for w in winners) == sorted({w.id for w in winners})
    assert len(winners) == ROUNDS, _kinds(outcomes)
    assert {o.message for o in losers} == {booking.JUST_TAKEN}, _kinds(losers)
    pg_session.rollback()
    for slot_id in slot_ids:
        assert len(_booked_for_slot(pg_session, slot_id)) == 1


def test_cancel_and_rebook_race(pg_session, run_race):
    """After a cancellation, 50 patients race again and exactly one rebooks."""
    doctor = make_doctor(pg_session)
    first = make_patient(pg_session)
    patient_ids = [make_patient(pg_session).id for _ in range(THREADS)]
    slot_id = make_slot(pg_session, doctor=doctor, start_at=_start(0)).id
    appointment = booking.book_slot(
        session=pg_session, patient_id=first.id, slot_id=slot_id
    )
    pg_session.commit()
    booking.cancel_appointment(
        session=pg_session, user_id=first.id, appointment_id=appointment.id
    )
    pg_session.commit()

    outcomes = run_race(
        THREADS,
        lambda session, i: booking.book_slot(
            session=session, patient_id=patient_ids[i], slot_id=slot_id
        ),
    )

    losers = [o for o in outcomes if isinstance(o, Exception)]
    assert len(losers) == THREADS - 1, _kinds(outcomes)
    assert {o.message for o in losers} == {booking.JUST_TAKEN}
    pg_session.rollback()
    assert len(_booked_for_slot(pg_session, slot_id)) == 1


def _future_day(offset: int) -> date:
    return utc_now().date() + timedelta(days=3 + offset)


@pytest.mark.parametrize("round_number", range(ROUNDS))
def test_add_slot_overlapping_race(pg_session, run_race, round_number):
    """Two threads adding overlapping slots for one doctor: one wins, one conflicts."""
    doctor_id = make_doctor(pg_session).id
    day = _future_day(round_number)
    spans = [(time(9), time(10)), (time(9, 30), time(10, 30))]

    outcomes = run_race(
        2,
        lambda session, i: availability.add_slot(
            session=session,
            doctor_id=doctor_id,
            day=day,
            start=spans[i][0],
            end=spans[i][1],
        ),
    )

    kinds = _kinds(outcomes)
    assert kinds == Counter({"SlotView": 1, "ConflictError": 1}), kinds
    pg_session.rollback()
    count = select(func.count()).select_from(Slot).where(Slot.doctor_id == doctor_id)
    assert pg_session.exec(count).one() == 1


def test_add_slot_many_threads_same_time(pg_session, run_race):
    """50 threads adding the same slot for one doctor leave exactly one slot."""
    doctor_id = make_doctor(pg_session).id
    day = _future_day(0)

    outcomes = run_race(
        THREADS,
        lambda session, _i: availability.add_slot(
            session=session, doctor_id=doctor_id, day=day, start=time(9), end=time(10)
        ),
    )

    kinds = _kinds(outcomes)
    assert kinds == Counter({"SlotView": 1, "ConflictError": THREADS - 1}), kinds
    pg_session.rollback()
    count = select(func.count()).select_from(Slot).where(Slot.doctor_id == doctor_id)
    assert pg_session.exec(count).one() == 1


def test_add_slots_series_race(pg_session, run_race):
    """Two overlapping series at once: one is added whole, the other not at all."""
    doctor_id = make_doctor(pg_session).id
    first_day = _future_day(0)

    outcomes = run_race(
        2,
        lambda session, i: availability.add_slots(
            session=session,
            doctor_id=doctor_id,
            first_day=first_day,
            last_day=first_day + timedelta(days=6),
            weekdays=range(7),
            window_start=time(9 + i),
            window_end=time(12 + i),
            slot_minutes=30,
        ),
    )

    assert _kinds(outcomes) == Counter({"list": 1, "ConflictError": 1})
    pg_session.rollback()
    count = select(func.count()).select_from(Slot).where(Slot.doctor_id == doctor_id)
    assert pg_session.exec(count).one() == 7 * 6
