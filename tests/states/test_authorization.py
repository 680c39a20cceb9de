"""Every protected handler refuses nobody, the wrong role and the wrong owner,
and changes nothing in the database when it does."""

from datetime import date, timedelta

import pytest

from hms.states.appointments import AppointmentsState
from hms.states.availability import AvailabilityState
from hms.states.doctors import DoctorDetailState, DoctorsState
from hms.states.profile import ProfileState
from tests.factories import (
    DEFAULT_PASSWORD,
    make_appointment,
    make_doctor,
    make_patient,
    make_slot,
)
from tests.states.conftest import redirect_path, snapshot


@pytest.fixture
def world(db):
    """Two doctors and two patients; doctor A has an open and a booked slot."""
    doctor_a, doctor_b = make_doctor(db), make_doctor(db)
    patient_a, patient_b = make_patient(db), make_patient(db)
    open_slot = make_slot(db, doctor=doctor_a)
    booked_slot = make_slot(
        db, doctor=doctor_a, start_at=open_slot.start_at + timedelta(hours=1)
    )
    appointment = make_appointment(db, slot=booked_slot, patient=patient_a)
    return {
        "doctor_a": doctor_a,
        "doctor_b": doctor_b,
        "patient_a": patient_a,
        "patient_b": patient_b,
        "open_slot": open_slot,
        "booked_slot": booked_slot,
        "appointment": appointment,
        "nobody": None,
    }


def _tomorrow() -> str:
    return (date.today() + timedelta(days=2)).isoformat()


# (state class, handler name, arguments built from the world)
ACTIONS = {
    "book": (
        DoctorDetailState,
        "submit_booking",
        lambda w: [{"slot_id": str(w["open_slot"].id), "reason": "x"}],
    ),
    "cancel": (
        AppointmentsState,
        "submit_cancel",
        lambda w: [{"appointment_id": str(w["appointment"].id), "reason": "sorry"}],
    ),
    "add_slot": (
        AvailabilityState,
        "submit_slot",
        lambda w: [
            {"slot_date": _tomorrow(), "slot_start": "15:00", "slot_end": "15:30"}
        ],
    ),
    "add_slots": (
        AvailabilityState,
        "submit_series",
        lambda w: [
            {
                "first_day": _tomorrow(),
                "last_day": _tomorrow(),
                "window_start": "15:00",
                "window_end": "16:00",
                "slot_minutes": "30",
                **{f"weekday_{n}": "on" for n in range(7)},
            }
        ],
    ),
    "delete_open_slot": (
        AvailabilityState,
        "delete_slot",
        lambda w: [w["open_slot"].id],
    ),
    "cancel_and_delete": (
        AvailabilityState,
        "submit_cancel_and_delete",
        lambda w: [{"slot_id": str(w["booked_slot"].id), "reason": "ill"}],
    ),
    "update_profile": (ProfileState, "submit_profile", lambda w: [{}]),
    "change_password": (
        ProfileState,
        "submit_password",
        lambda w: [
            {"current_password": DEFAULT_PASSWORD, "new_password": "brand new pw 1"}
        ],
    ),
}

# Who must be refused for each action, by role or by ownership.
REFUSED = [
    *[(action, "nobody") for action in ACTIONS],
    ("book", "doctor_a"),
    ("cancel", "patient_b"),
    ("cancel", "doctor_b"),
    ("add_slot", "patient_a"),
    ("add_slots", "patient_a"),
    ("delete_open_slot", "patient_a"),
    ("delete_open_slot", "doctor_b"),
    ("cancel_and_delete", "patient_a"),
    ("cancel_and_delete", "doctor_b"),
]


@pytest.mark.parametrize(("action", "who"), REFUSED)
def test_protected_handler_refused_changes_nothing(
    engine, world, make_state, action, who
):
    """The handler refuses, says so, and leaves every row as it was."""
    cls, handler, make_args = ACTIONS[action]
    state = make_state(cls, user=world[who])
    if cls is ProfileState:
        state.profile_name, state.profile_timezone = "Mallory", "Europe/Paris"
    before = snapshot(engine)

    result = getattr(state, handler)(*make_args(world))

    assert snapshot(engine) == before
    refused = redirect_path(result) == "/login" or state.alert_message
    assert refused, f"{action} as {who} was not refused visibly"


def test_cancel_other_patients_appointment_is_not_found(engine, world, make_state):
    """Another patient learns nothing about the appointment: it 'doesn't exist'."""
    state = make_state(AppointmentsState, user=world["patient_b"])

    state.submit_cancel({"appointment_id": str(world["appointment"].id)})

    assert "couldn't find" in state.alert_message


@pytest.mark.parametrize(
    ("cls", "handler", "who", "path"),
    [
        (AppointmentsState, "load_appointments", "nobody", "/appointments"),
        (AvailabilityState, "load_availability", "nobody", "/availability"),
        (AvailabilityState, "load_availability", "patient_a", "/availability"),
        (DoctorsState, "load_doctors", "nobody", "/doctors"),
        (DoctorsState, "load_doctors", "doctor_a", "/doctors"),
        (DoctorDetailState, "load_doctor", "nobody", "/doctors/1"),
        (DoctorDetailState, "load_doctor", "doctor_b", "/doctors/1"),
        (ProfileState, "load_profile", "nobody", "/profile"),
    ],
)
def test_protected_load_refused_shows_nothing(
    engine, world, make_state, cls, handler, who, path
):
    """A load by the wrong person fills no list and reveals no data.

    It also stays silent: the page guard before it redirects and says why.
    """
    state = make_state(cls, user=world[who], path=path)

    result = getattr(state, handler)()

    assert result is None
    assert state.alert_message == ""
    for var in ("upcoming", "past", "days", "doctors"):
        assert getattr(state, var, []) == []
    assert getattr(state, "profile_email", "") == ""


def test_load_availability_shows_only_own_slots(world, make_state):
    """Doctor B sees none of doctor A's slots or patients."""
    state = make_state(AvailabilityState, user=world["doctor_b"])

    state.load_availability()

    assert state.days == []
