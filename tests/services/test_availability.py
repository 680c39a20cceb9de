"""Doctors' availability: adding, listing and removing slots."""

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import func
from sqlmodel import select

from hms.errors import (
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    SlotUnavailableError,
    ValidationError,
)
from hms.models import Appointment, AppointmentStatus, Slot, SlotState, utc_now
from hms.services import availability, booking
from tests.factories import make_appointment, make_doctor, make_patient, make_slot

BERLIN = "Europe/Berlin"


def _next_monday_in_january() -> date:
    """A Monday in January of next year: in the future and without DST."""
    day = date(utc_now().year + 1, 1, 11)
    return day + timedelta(days=-day.weekday() % 7)


def _dst_start_day() -> date:
    """Next year's last Sunday of March, when Berlin skips 02:00–03:00."""
    day = date(utc_now().year + 1, 3, 31)
    return day - timedelta(days=(day.weekday() - 6) % 7)


def _utc(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=UTC)


def _tomorrow_at(hour: int, minute: int = 0) -> datetime:
    return _utc(utc_now().date() + timedelta(days=1), hour, minute)


def _slot_count(session, *where) -> int:
    return session.exec(select(func.count()).select_from(Slot).where(*where)).one()


def _fresh(session, model, row_id):
    return session.exec(
        select(model)
        .where(model.id == row_id)
        .execution_options(populate_existing=True)
    ).one()


def _add(session, doctor, day, start, end):
    return availability.add_slot(
        session=session,
        doctor_id=doctor.id,
        day=day,
        start=time.fromisoformat(start),
        end=time.fromisoformat(end),
    )


def _add_series(session, doctor, **overrides):
    monday = _next_monday_in_january()
    fields = {
        "first_day": monday,
        "last_day": monday + timedelta(days=6),
        "weekdays": [0, 1, 2, 3, 4],
        "window_start": time(9),
        "window_end": time(12),
        "slot_minutes": 30,
    }
    fields.update(overrides)
    return availability.add_slots(session=session, doctor_id=doctor.id, **fields)


def test_add_slot_converts_doctor_time_to_utc(session):
    """09:00–09:30 in Berlin on a winter day is stored as 08:00–08:30 UTC."""
    doctor = make_doctor(session, timezone=BERLIN)
    day = _next_monday_in_january()

    view = _add(session, doctor, day, "09:00", "09:30")
    session.commit()

    slot = session.get(Slot, view.id)
    assert (slot.start_at, slot.end_at) == (_utc(day, 8), _utc(day, 8, 30))
    assert (view.start_at, view.end_at, view.state) == (
        _utc(day, 8),
        _utc(day, 8, 30),
        "open",
    )
    assert slot.doctor_id == doctor.id


def test_add_slot_summer_time_offset(session):
    """In Berlin summer time (UTC+2) 09:00 is stored as 07:00 UTC."""
    doctor = make_doctor(session, timezone=BERLIN)
    day = date(utc_now().year + 1, 7, 14)

    view = _add(session, doctor, day, "09:00", "10:00")

    assert (view.start_at, view.end_at) == (_utc(day, 7), _utc(day, 8))


@pytest.mark.parametrize(("start", "end"), [("10:00", "10:00"), ("10:00", "09:00")])
def test_add_slot_end_not_after_start(session, start, end):
    """An end at or before the start is refused on the end field."""
    doctor = make_doctor(session)

    with pytest.raises(ValidationError) as caught:
        _add(session, doctor, _next_monday_in_january(), start, end)

    assert caught.value.field == "end"
    assert _slot_count(session) == 0


def test_add_slot_start_in_past(session):
    """A slot that started already is refused on the start field."""
    doctor = make_doctor(session)
    yesterday = utc_now().date() - timedelta(days=1)

    with pytest.raises(ValidationError) as caught:
        _add(session, doctor, yesterday, "09:00", "10:00")

    assert caught.value.field == "start"
    assert _slot_count(session) == 0


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("09:30", "10:30"),
        ("08:30", "09:30"),
        ("09:00", "10:00"),
        ("09:15", "09:45"),
        ("08:00", "11:00"),
    ],
)
def test_add_slot_overlaps_existing(session, start, end):
    """Any overlap with another of the doctor's slots is refused on start."""
    doctor = make_doctor(session)
    day = _next_monday_in_january()
    _add(session, doctor, day, "09:00", "10:00")
    session.commit()

    with pytest.raises(ConflictError) as caught:
        _add(session, doctor, day, start, end)

    assert caught.value.field == "start"
    assert _slot_count(session) == 1


def test_add_slot_overlaps_booked_slot(session):
    """A booked slot blocks an overlapping new one like an open one does."""
    doctor = make_doctor(session)
    slot = make_slot(session, doctor=doctor, start_at=_tomorrow_at(9), minutes=60)
    make_appointment(session, slot=slot, patient=make_patient(session))

    with pytest.raises(ConflictError):
        _add(session, doctor, slot.start_at.date(), "09:30", "10:30")

    assert _slot_count(session) == 1


def test_add_slot_may_overlap_removed_slot_or_other_doctor(session):
    """Removed slots and other doctors' slots do not block a new slot."""
    doctor = make_doctor(session)
    start = _tomorrow_at(9)
    make_slot(session, doctor=doctor, start_at=start, state=SlotState.REMOVED)
    make_slot(session, doctor=make_doctor(session), start_at=start)

    view = _add(session, doctor, start.date(), "09:00", "09:30")
    session.commit()

    assert view.start_at == start
    assert _slot_count(session, Slot.doctor_id == doctor.id) == 2


def test_add_slot_back_to_back(session):
    """Slots are half-open: 09:00–10:00 and 10:00–11:00 both fit."""
    doctor = make_doctor(session)
    day = _next_monday_in_january()

    _add(session, doctor, day, "09:00", "10:00")
    session.commit()
    _add(session, doctor, day, "10:00", "11:00")
    session.commit()
    _add(session, doctor, day, "08:00", "09:00")
    session.commit()

    assert _slot_count(session) == 3


@pytest.mark.parametrize(
    ("start", "end"), [("09:00", "09:04"), ("09:00", "17:01"), ("00:00", "23:59")]
)
def test_add_slot_absurd_length(session, start, end):
    """Slots shorter than 5 minutes or longer than 8 hours are refused on end."""
    doctor = make_doctor(session)

    with pytest.raises(ValidationError) as caught:
        _add(session, doctor, _next_monday_in_january(), start, end)

    assert caught.value.field == "end"
    assert _slot_count(session) == 0


@pytest.mark.parametrize(("start", "end"), [("09:00", "09:05"), ("09:00", "17:00")])
def test_add_slot_length_limits_inclusive(session, start, end):
    """Exactly 5 minutes and exactly 8 hours are allowed."""
    doctor = make_doctor(session)

    _add(session, doctor, _next_monday_in_january(), start, end)
    session.commit()

    assert _slot_count(session) == 1


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [("02:30", "03:30", "start"), ("01:30", "02:30", "end")],
)
def test_add_slot_time_skipped_by_dst(session, start, end, field):
    """A wall-clock time that does not exist (spring forward) is refused."""
    doctor = make_doctor(session, timezone=BERLIN)

    with pytest.raises(ValidationError) as caught:
        _add(session, doctor, _dst_start_day(), start, end)

    assert caught.value.field == field
    assert _slot_count(session) == 0


def test_add_slot_across_dst_jump_uses_real_length(session):
    """01:30–03:30 on the spring-forward night is one real hour long."""
    doctor = make_doctor(session, timezone=BERLIN)
    day = _dst_start_day()

    view = _add(session, doctor, day, "01:30", "03:30")

    assert (view.start_at, view.end_at) == (_utc(day, 0, 30), _utc(day, 1, 30))


@pytest.mark.parametrize("role", ["patient", "inactive doctor"])
def test_add_slot_not_an_active_doctor(session, role):
    """Patients and deactivated doctors cannot add slots."""
    if role == "patient":
        user = make_patient(session)
    else:
        user = make_doctor(session, is_active=False)

    with pytest.raises(PermissionDeniedError):
        _add(session, user, _next_monday_in_january(), "09:00", "10:00")

    assert _slot_count(session) == 0


def test_add_slots_weekday_series(session):
    """Mon–Fri 09:00–12:00 in 30-minute slots over one week makes 30 slots."""
    doctor = make_doctor(session, timezone=BERLIN)
    monday = _next_monday_in_january()

    views = _add_series(session, doctor)
    session.commit()

    expected = [
        (_utc(monday + timedelta(days=d), 8) + timedelta(minutes=30 * n))
        for d in range(5)
        for n in range(6)
    ]
    stored = session.exec(select(Slot).order_by(Slot.start_at)).all()
    assert len(views) == len(stored) == 30
    assert [s.start_at for s in stored] == expected
    assert [v.start_at for v in views] == expected
    assert all(s.end_at - s.start_at == timedelta(minutes=30) for s in stored)
    assert {s.state for s in stored} == {SlotState.OPEN}


def test_add_slots_all_or_nothing_on_clash(session):
    """One clash with an existing slot refuses the whole series."""
    doctor = make_doctor(session, timezone=BERLIN)
    wednesday = _next_monday_in_january() + timedelta(days=2)
    _add(session, doctor, wednesday, "10:15", "10:45")
    session.commit()

    with pytest.raises(ConflictError) as caught:
        _add_series(session, doctor)

    assert caught.value.field == "start"
    assert _slot_count(session) == 1


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"last_day": _next_monday_in_january() - timedelta(days=1)}, "last_day"),
        (
            {
                "first_day": utc_now().date() - timedelta(days=2),
                "last_day": utc_now().date() + timedelta(days=2),
            },
            "first_day",
        ),
        (
            {"last_day": _next_monday_in_january() + timedelta(days=92)},
            "last_day",
        ),
        ({"weekdays": []}, "weekdays"),
        ({"weekdays": [0, 7]}, "weekdays"),
        ({"weekdays": [-1]}, "weekdays"),
        ({"slot_minutes": 4}, "slot_minutes"),
        ({"slot_minutes": 481}, "slot_minutes"),
        ({"slot_minutes": 0}, "slot_minutes"),
        ({"window_end": time(9)}, "window_end"),
        ({"window_end": time(8)}, "window_end"),
        ({"window_end": time(9, 20)}, "slot_minutes"),
        (
            {
                "weekdays": range(7),
                "window_start": time(0),
                "window_end": time(23, 55),
                "slot_minutes": 5,
            },
            "last_day",
        ),
    ],
)
def test_add_slots_invalid_series(session, overrides, field):
    """A bad range, weekday set, slot length or window is refused on its field."""
    doctor = make_doctor(session, timezone=BERLIN)

    with pytest.raises(ValidationError) as caught:
        _add_series(session, doctor, **overrides)

    assert caught.value.field == field
    assert _slot_count(session) == 0


def test_add_slots_longest_range_allowed(session):
    """92 days counting both ends is the longest range accepted."""
    doctor = make_doctor(session)
    monday = _next_monday_in_january()

    views = _add_series(
        session,
        doctor,
        last_day=monday + timedelta(days=91),
        weekdays=[0],
        window_end=time(9, 30),
    )

    assert len(views) == 14


def test_add_slots_dst_window_refused(session):
    """A window starting at a skipped wall-clock time is refused on window_start."""
    doctor = make_doctor(session, timezone=BERLIN)
    day = _dst_start_day()

    with pytest.raises(ValidationError) as caught:
        _add_series(
            session,
            doctor,
            first_day=day,
            last_day=day,
            weekdays=[6],
            window_start=time(2, 30),
            window_end=time(4),
        )

    assert caught.value.field == "window_start"
    assert _slot_count(session) == 0


def test_add_slots_patient_refused(session):
    """A patient cannot add a series of slots."""
    patient = make_patient(session)

    with pytest.raises(PermissionDeniedError):
        _add_series(session, patient)

    assert _slot_count(session) == 0


def test_list_doctor_schedule_open_and_booked(session):
    """The schedule lists open and booked slots, booked ones with patient and id."""
    doctor = make_doctor(session)
    patient = make_patient(session, name="Pat Booked")
    open_slot = make_slot(session, doctor=doctor, start_at=_tomorrow_at(9))
    booked = make_slot(session, doctor=doctor, start_at=_tomorrow_at(10))
    appointment = make_appointment(session, slot=booked, patient=patient)
    make_slot(
        session, doctor=doctor, start_at=_tomorrow_at(11), state=SlotState.REMOVED
    )
    make_slot(session, doctor=doctor, start_at=_tomorrow_at(9) + timedelta(days=20))
    make_slot(session, doctor=make_doctor(session), start_at=_tomorrow_at(12))

    schedule = availability.list_doctor_schedule(session=session, doctor_id=doctor.id)

    assert [(v.id, v.state, v.patient_name, v.appointment_id) for v in schedule] == [
        (open_slot.id, "open", "", None),
        (booked.id, "booked", "Pat Booked", appointment.id),
    ]


def test_list_doctor_schedule_ignores_cancelled_appointments(session):
    """A reopened slot shows no patient, even with a cancelled appointment on it."""
    doctor = make_doctor(session)
    slot = make_slot(session, doctor=doctor, start_at=_tomorrow_at(9))
    appointment = make_appointment(session, slot=slot, patient=make_patient(session))
    booking.cancel_appointment(
        session=session, user_id=appointment.patient_id, appointment_id=appointment.id
    )
    session.commit()

    schedule = availability.list_doctor_schedule(session=session, doctor_id=doctor.id)

    assert [(v.id, v.state, v.patient_name, v.appointment_id) for v in schedule] == [
        (slot.id, "open", "", None)
    ]


def test_list_doctor_schedule_patient_refused(session):
    """Only doctors have a schedule."""
    patient = make_patient(session)

    with pytest.raises(PermissionDeniedError):
        availability.list_doctor_schedule(session=session, doctor_id=patient.id)


def test_delete_slot_open(session):
    """Deleting an open slot marks it removed; it is neither listed nor bookable."""
    doctor = make_doctor(session)
    slot = make_slot(session, doctor=doctor)
    patient = make_patient(session)

    availability.delete_slot(session=session, doctor_id=doctor.id, slot_id=slot.id)
    session.commit()

    assert _fresh(session, Slot, slot.id).state == SlotState.REMOVED
    schedule = availability.list_doctor_schedule(session=session, doctor_id=doctor.id)
    assert schedule == []
    open_slots = availability.list_open_slots(session=session, doctor_id=doctor.id)
    assert open_slots == []
    session.commit()
    with pytest.raises(SlotUnavailableError):
        booking.book_slot(session=session, patient_id=patient.id, slot_id=slot.id)
    assert session.exec(select(func.count()).select_from(Appointment)).one() == 0


def test_delete_slot_booked_refused(session):
    """A booked slot cannot be deleted; the slot and the appointment stay."""
    doctor = make_doctor(session)
    slot = make_slot(session, doctor=doctor)
    appointment = make_appointment(session, slot=slot, patient=make_patient(session))

    with pytest.raises(ConflictError):
        availability.delete_slot(session=session, doctor_id=doctor.id, slot_id=slot.id)
    session.rollback()

    assert _fresh(session, Slot, slot.id).state == SlotState.BOOKED
    assert _fresh(session, Appointment, appointment.id).status == "booked"


def test_delete_slot_already_removed(session):
    """Deleting a removed slot again is NotFoundError."""
    doctor = make_doctor(session)
    slot = make_slot(session, doctor=doctor, state=SlotState.REMOVED)

    with pytest.raises(NotFoundError):
        availability.delete_slot(session=session, doctor_id=doctor.id, slot_id=slot.id)


def test_delete_slot_of_another_doctor(session):
    """A doctor cannot delete another doctor's slot; it stays open."""
    owner = make_doctor(session)
    intruder = make_doctor(session)
    slot = make_slot(session, doctor=owner)

    with pytest.raises(NotFoundError):
        availability.delete_slot(
            session=session, doctor_id=intruder.id, slot_id=slot.id
        )
    session.rollback()

    assert _fresh(session, Slot, slot.id).state == SlotState.OPEN


def test_delete_slot_patient_refused(session):
    """A patient cannot delete slots, not even with a real slot id."""
    slot = make_slot(session, doctor=make_doctor(session))
    patient = make_patient(session)

    with pytest.raises(PermissionDeniedError):
        availability.delete_slot(session=session, doctor_id=patient.id, slot_id=slot.id)
    session.rollback()

    assert _fresh(session, Slot, slot.id).state == SlotState.OPEN


@pytest.mark.parametrize("reason", ["", "   ", "x" * 501])
def test_cancel_and_delete_slot_needs_valid_reason(session, reason):
    """Cancelling a booked slot needs a reason of at most 500 characters."""
    doctor = make_doctor(session)
    slot = make_slot(session, doctor=doctor)
    appointment = make_appointment(session, slot=slot, patient=make_patient(session))

    with pytest.raises(ValidationError) as caught:
        availability.cancel_and_delete_slot(
            session=session, doctor_id=doctor.id, slot_id=slot.id, reason=reason
        )
    session.rollback()

    assert caught.value.field == "reason"
    assert _fresh(session, Slot, slot.id).state == SlotState.BOOKED
    assert _fresh(session, Appointment, appointment.id).status == "booked"


def test_cancel_and_delete_slot_booked(session):
    """The appointment is cancelled with the doctor's reason and the slot removed."""
    doctor = make_doctor(session)
    slot = make_slot(session, doctor=doctor)
    appointment = make_appointment(session, slot=slot, patient=make_patient(session))

    availability.cancel_and_delete_slot(
        session=session, doctor_id=doctor.id, slot_id=slot.id, reason=" Ill today "
    )
    session.commit()

    cancelled = _fresh(session, Appointment, appointment.id)
    assert cancelled.status == AppointmentStatus.CANCELLED
    assert cancelled.cancel_reason == "Ill today"
    assert cancelled.cancelled_by_id == doctor.id
    assert cancelled.cancelled_at is not None
    assert _fresh(session, Slot, slot.id).state == SlotState.REMOVED
    assert availability.list_doctor_schedule(session=session, doctor_id=doctor.id) == []


def test_cancel_and_delete_slot_open(session):
    """An open slot is simply removed."""
    doctor = make_doctor(session)
    slot = make_slot(session, doctor=doctor)

    availability.cancel_and_delete_slot(
        session=session, doctor_id=doctor.id, slot_id=slot.id, reason="Closed"
    )
    session.commit()

    assert _fresh(session, Slot, slot.id).state == SlotState.REMOVED


def test_cancel_and_delete_slot_of_another_doctor(session):
    """A doctor cannot cancel another doctor's booked slot; nothing changes."""
    owner = make_doctor(session)
    intruder = make_doctor(session)
    slot = make_slot(session, doctor=owner)
    appointment = make_appointment(session, slot=slot, patient=make_patient(session))

    with pytest.raises(NotFoundError):
        availability.cancel_and_delete_slot(
            session=session, doctor_id=intruder.id, slot_id=slot.id, reason="Mine now"
        )
    session.rollback()

    assert _fresh(session, Slot, slot.id).state == SlotState.BOOKED
    kept = _fresh(session, Appointment, appointment.id)
    assert (kept.status, kept.cancel_reason) == (AppointmentStatus.BOOKED, "")


def test_list_open_slots_only_future_open(session):
    """Open future slots within the window are listed, soonest first."""
    doctor = make_doctor(session)
    later = make_slot(session, doctor=doctor, start_at=_tomorrow_at(11))
    sooner = make_slot(session, doctor=doctor, start_at=_tomorrow_at(9))
    booked = make_slot(session, doctor=doctor, start_at=_tomorrow_at(10))
    make_appointment(session, slot=booked, patient=make_patient(session))
    make_slot(
        session, doctor=doctor, start_at=_tomorrow_at(12), state=SlotState.REMOVED
    )
    make_slot(session, doctor=doctor, start_at=utc_now() - timedelta(hours=2))
    make_slot(session, doctor=doctor, start_at=utc_now() + timedelta(days=40))
    make_slot(session, doctor=make_doctor(session), start_at=_tomorrow_at(13))

    slots = availability.list_open_slots(session=session, doctor_id=doctor.id)

    assert [s.id for s in slots] == [sooner.id, later.id]
    assert {s.state for s in slots} == {"open"}


@pytest.mark.parametrize("who", ["patient", "inactive doctor", "nobody"])
def test_list_open_slots_not_an_active_doctor(session, who):
    """Open slots are only listed for active doctors."""
    if who == "patient":
        user_id = make_patient(session).id
    elif who == "inactive doctor":
        doctor = make_doctor(session, is_active=False)
        make_slot(session, doctor=doctor)
        user_id = doctor.id
    else:
        user_id = 12345

    with pytest.raises(NotFoundError):
        availability.list_open_slots(session=session, doctor_id=user_id)


def test_cancel_and_delete_slot_past_appointment_refused(session):
    """An appointment that has already started can't be cancelled by removing its slot."""
    doctor = make_doctor(session)
    start = utc_now() - timedelta(hours=1)
    slot = make_slot(session, doctor=doctor, start_at=start, minutes=30)
    appointment = make_appointment(session, slot=slot, patient=make_patient(session))

    with pytest.raises(ConflictError):
        availability.cancel_and_delete_slot(
            session=session, doctor_id=doctor.id, slot_id=slot.id, reason="Oops"
        )
    session.rollback()

    assert _fresh(session, Appointment, appointment.id).status == "booked"
    assert _fresh(session, Slot, slot.id).state == SlotState.BOOKED


def test_add_slot_too_far_ahead_refused(session):
    """A slot more than MAX_DAYS_AHEAD days away is refused on the date field."""
    doctor = make_doctor(session)
    far = date.today() + timedelta(days=availability.MAX_DAYS_AHEAD + 2)

    with pytest.raises(ValidationError) as caught:
        availability.add_slot(
            session=session,
            doctor_id=doctor.id,
            day=far,
            start=time(9),
            end=time(10),
        )

    assert caught.value.field == "day"
    assert session.exec(select(func.count()).select_from(Slot)).one() == 0


def test_add_slots_too_far_ahead_refused(session):
    """A series ending more than MAX_DAYS_AHEAD days away is refused."""
    doctor = make_doctor(session)
    last = date.today() + timedelta(days=availability.MAX_DAYS_AHEAD + 2)

    with pytest.raises(ValidationError) as caught:
        availability.add_slots(
            session=session,
            doctor_id=doctor.id,
            first_day=last - timedelta(days=3),
            last_day=last,
            weekdays=range(7),
            window_start=time(9),
            window_end=time(10),
            slot_minutes=30,
        )

    assert caught.value.field == "last_day"
    assert session.exec(select(func.count()).select_from(Slot)).one() == 0
