"""The database itself refuses overlaps and double bookings on PostgreSQL."""

from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from hms.models import Appointment, AppointmentStatus, Slot, SlotState, utc_now
from tests.factories import make_appointment, make_doctor, make_patient, make_slot

pytestmark = pytest.mark.postgres


def _start() -> datetime:
    day = utc_now().date() + timedelta(days=2)
    return datetime.combine(day, time(9), tzinfo=UTC)


def _count(session, model) -> int:
    return session.exec(select(func.count()).select_from(model)).one()


def _constraint(error: IntegrityError) -> str:
    return error.orig.diag.constraint_name


def _insert_slot(session, doctor, start, minutes=30, state=SlotState.OPEN) -> None:
    session.add(
        Slot(
            doctor_id=doctor.id,
            start_at=start,
            end_at=start + timedelta(minutes=minutes),
            state=state,
        )
    )
    session.commit()


def _insert_appointment(session, slot, patient, status=AppointmentStatus.BOOKED):
    session.add(
        Appointment(
            slot_id=slot.id,
            patient_id=patient.id,
            doctor_id=slot.doctor_id,
            start_at=slot.start_at,
            end_at=slot.end_at,
            status=status,
        )
    )
    session.commit()


@pytest.mark.parametrize(
    ("offset", "minutes", "state"),
    [
        (0, 30, SlotState.OPEN),
        (15, 30, SlotState.OPEN),
        (-15, 60, SlotState.BOOKED),
        (5, 10, SlotState.OPEN),
    ],
)
def test_slot_exclusion_refuses_overlap(pg_session, offset, minutes, state):
    """A doctor's overlapping live slot inserted directly is refused by the database."""
    doctor = make_doctor(pg_session)
    make_slot(pg_session, doctor=doctor, start_at=_start())

    with pytest.raises(IntegrityError) as caught:
        _insert_slot(
            pg_session, doctor, _start() + timedelta(minutes=offset), minutes, state
        )
    pg_session.rollback()

    assert _constraint(caught.value) == "ex_slot_no_overlap"
    assert _count(pg_session, Slot) == 1


def test_slot_exclusion_allows_removed_overlap(pg_session):
    """A removed slot may overlap a live one, in either order."""
    doctor = make_doctor(pg_session)
    make_slot(pg_session, doctor=doctor, start_at=_start())

    _insert_slot(pg_session, doctor, _start(), state=SlotState.REMOVED)
    _insert_slot(pg_session, doctor, _start(), state=SlotState.REMOVED)

    assert _count(pg_session, Slot) == 3


def test_slot_exclusion_refuses_reviving_removed_overlap(pg_session):
    """A removed slot cannot be turned live again while it overlaps a live one."""
    doctor = make_doctor(pg_session)
    removed = make_slot(pg_session, doctor=doctor, state=SlotState.REMOVED)
    make_slot(pg_session, doctor=doctor)

    removed.state = SlotState.OPEN
    pg_session.add(removed)
    with pytest.raises(IntegrityError) as caught:
        pg_session.commit()

    assert _constraint(caught.value) == "ex_slot_no_overlap"


def test_slot_exclusion_allows_back_to_back_and_other_doctors(pg_session):
    """Half-open ranges touch without overlapping; other doctors are independent."""
    doctor = make_doctor(pg_session)
    make_slot(pg_session, doctor=doctor, start_at=_start())

    _insert_slot(pg_session, doctor, _start() + timedelta(minutes=30))
    _insert_slot(pg_session, doctor, _start() - timedelta(minutes=30))
    _insert_slot(pg_session, make_doctor(pg_session), _start())

    assert _count(pg_session, Slot) == 4


def test_slot_check_refuses_end_before_start(pg_session):
    """A slot ending at or before its start is refused by the database."""
    doctor = make_doctor(pg_session)

    with pytest.raises(IntegrityError) as caught:
        _insert_slot(pg_session, doctor, _start(), minutes=0)

    assert _constraint(caught.value) == "ck_slot_ends_after_start"


def test_unique_index_refuses_second_booked_appointment(pg_session):
    """The partial unique index refuses a second booked appointment for one slot."""
    slot = make_slot(pg_session, doctor=make_doctor(pg_session))
    make_appointment(pg_session, slot=slot, patient=make_patient(pg_session))

    with pytest.raises(IntegrityError) as caught:
        _insert_appointment(pg_session, slot, make_patient(pg_session))
    pg_session.rollback()

    assert _constraint(caught.value) == "uq_appointment_active_slot"
    assert _count(pg_session, Appointment) == 1


def test_unique_index_ignores_cancelled_appointments(pg_session):
    """Cancelled appointments for a slot don't block its one booked appointment."""
    slot = make_slot(pg_session, doctor=make_doctor(pg_session))
    cancelled = AppointmentStatus.CANCELLED
    _insert_appointment(pg_session, slot, make_patient(pg_session), status=cancelled)
    _insert_appointment(pg_session, slot, make_patient(pg_session), status=cancelled)
    _insert_appointment(pg_session, slot, make_patient(pg_session))

    assert _count(pg_session, Appointment) == 3


def test_patient_exclusion_refuses_overlapping_appointments(pg_session):
    """A patient's two overlapping booked appointments are refused by the database."""
    patient = make_patient(pg_session)
    first = make_slot(pg_session, doctor=make_doctor(pg_session), start_at=_start())
    second = make_slot(
        pg_session,
        doctor=make_doctor(pg_session),
        start_at=_start() + timedelta(minutes=15),
    )
    make_appointment(pg_session, slot=first, patient=patient)

    with pytest.raises(IntegrityError) as caught:
        _insert_appointment(pg_session, second, patient)
    pg_session.rollback()

    assert _constraint(caught.value) == "ex_appointment_patient_no_overlap"
    assert _count(pg_session, Appointment) == 1


def test_patient_exclusion_ignores_cancelled(pg_session):
    """A cancelled appointment does not block an overlapping booked one."""
    patient = make_patient(pg_session)
    first = make_slot(pg_session, doctor=make_doctor(pg_session), start_at=_start())
    second = make_slot(pg_session, doctor=make_doctor(pg_session), start_at=_start())
    _insert_appointment(pg_session, first, patient, status=AppointmentStatus.CANCELLED)

    _insert_appointment(pg_session, second, patient)

    assert _count(pg_session, Appointment) == 2
