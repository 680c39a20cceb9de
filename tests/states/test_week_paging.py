"""Week paging: lists show one 7-day page at a time and move between pages."""

from datetime import UTC, datetime, timedelta

from hms.services import availability
from hms.states.availability import AvailabilityState
from hms.states.doctors import DoctorDetailState
from tests.factories import make_doctor, make_patient, make_slot


def _at_nine(days_ahead: int) -> datetime:
    day = datetime.now(UTC) + timedelta(days=days_ahead)
    return day.replace(hour=9, minute=0, second=0, microsecond=0)


def _listed_ids(state) -> list[int]:
    return [slot.id for day in state.days for slot in day.slots]


def test_doctor_page_jumps_to_week_of_next_open_time(db, make_state):
    """With nothing open this week, the page opens on the week of the next time."""
    doctor = make_doctor(db)
    later = make_slot(db, doctor=doctor, start_at=_at_nine(20))
    patient = make_patient(db)
    state = make_state(DoctorDetailState, user=patient, path=f"/doctors/{doctor.id}")

    state.load_doctor()

    assert state.week == 2
    assert _listed_ids(state) == [later.id]
    assert state.week_label.endswith("(UTC)")


def test_doctor_page_show_week_moves_between_pages(db, make_state):
    """Later shows next week's times only; Earlier returns, never before today."""
    doctor = make_doctor(db)
    soon = make_slot(db, doctor=doctor, start_at=_at_nine(1))
    next_week = make_slot(db, doctor=doctor, start_at=_at_nine(8))
    patient = make_patient(db)
    state = make_state(DoctorDetailState, user=patient, path=f"/doctors/{doctor.id}")
    state.load_doctor()

    state.show_week(1)
    assert (state.week, _listed_ids(state)) == (1, [next_week.id])

    state.show_week(-1)
    state.show_week(-1)
    assert (state.week, _listed_ids(state)) == (0, [soon.id])


def test_availability_show_week_lists_that_week_only(db, make_state):
    """The doctor's schedule pages by week in the doctor's zone."""
    doctor = make_doctor(db, timezone="Europe/Berlin")
    make_slot(db, doctor=doctor, start_at=_at_nine(1))
    far = make_slot(db, doctor=doctor, start_at=_at_nine(15))
    state = make_state(AvailabilityState, user=doctor)
    state.load_availability()

    state.show_week(2)

    assert _listed_ids(state) == [far.id]
    assert "(Europe/Berlin)" in state.week_label


def test_availability_dense_week_is_capped_and_says_so(db, make_state, monkeypatch):
    """A week with more slots than a page holds shows the first ones and a note."""
    monkeypatch.setattr(availability, "WINDOW_ROW_LIMIT", 3)
    doctor = make_doctor(db)
    starts = [_at_nine(1) + timedelta(minutes=30 * n) for n in range(4)]
    slots = [make_slot(db, doctor=doctor, start_at=start) for start in starts]
    state = make_state(AvailabilityState, user=doctor)

    state.load_availability()

    assert _listed_ids(state) == [slot.id for slot in slots[:3]]
    assert state.list_truncated
