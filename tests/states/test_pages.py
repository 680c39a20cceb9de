"""Page state wiring: what each handler loads, changes and shows."""

from datetime import date, timedelta

from sqlmodel import select

from hms.models import Appointment, AppointmentStatus, Slot, SlotState
from hms.services.booking import JUST_TAKEN
from hms.states.appointments import AppointmentsState
from hms.states.availability import AvailabilityState
from hms.states.doctors import ALL_SPECIALTIES, DoctorDetailState, DoctorsState
from hms.states.profile import ProfileState
from tests.factories import (
    DEFAULT_PASSWORD,
    make_appointment,
    make_doctor,
    make_patient,
    make_slot,
)
from tests.states.conftest import login_token, redirect_path


def test_load_doctors_lists_next_open_time_in_patient_zone(db, make_state):
    """Each doctor shows a specialty and the next open time with the zone named."""
    doctor = make_doctor(db, name="Dr. Ada", specialty="Cardiology")
    make_slot(db, doctor=doctor)
    make_doctor(db, name="Dr. Bo", specialty="Dermatology")
    state = make_state(DoctorsState, user=make_patient(db, timezone="Asia/Tokyo"))

    state.load_doctors()

    assert [d.name for d in state.doctors] == ["Dr. Ada", "Dr. Bo"]
    assert state.doctors[0].next_open.endswith("(Asia/Tokyo)")
    assert state.doctors[1].next_open == "No open times yet"
    assert state.specialties == [ALL_SPECIALTIES, "Cardiology", "Dermatology"]
    assert not state.doctors_loading


def test_filters_narrow_the_directory(db, make_state):
    """The specialty and name filters reload the list."""
    make_doctor(db, name="Dr. Ada", specialty="Cardiology")
    make_doctor(db, name="Dr. Bo", specialty="Dermatology")
    state = make_state(DoctorsState, user=make_patient(db))

    state.set_specialty_filter("Dermatology")
    assert [d.name for d in state.doctors] == ["Dr. Bo"]

    state.set_name_filter("ada")
    assert state.doctors == []

    state.clear_filters()
    assert len(state.doctors) == 2


def test_load_doctor_groups_slots_by_day_with_clinic_time(db, make_state):
    """Open times are grouped by the patient's day; the doctor's time shown when it differs."""
    doctor = make_doctor(db, timezone="Europe/Berlin")
    slot = make_slot(db, doctor=doctor)
    patient = make_patient(db, timezone="America/New_York")
    state = make_state(DoctorDetailState, user=patient, path=f"/doctors/{doctor.id}")

    state.load_doctor()

    assert state.doctor_found
    assert state.days[0].title.endswith("(America/New_York)")
    row = state.days[0].slots[0]
    assert row.id == slot.id
    assert "(Europe/Berlin) doctor's time" in row.clinic_label


def test_load_doctor_unknown_id_says_not_found(db, make_state):
    """A bad id in the URL shows a message, not an error page."""
    state = make_state(DoctorDetailState, user=make_patient(db), path="/doctors/abc")

    state.load_doctor()

    assert not state.doctor_found
    assert "couldn't find" in state.alert_message


def test_submit_booking_books_for_session_user(db, make_state):
    """Booking uses the session's patient and redirects to /appointments."""
    doctor, patient = make_doctor(db), make_patient(db)
    slot = make_slot(db, doctor=doctor)
    state = make_state(DoctorDetailState, user=patient, path=f"/doctors/{doctor.id}")
    state.load_doctor()
    state.open_booking(slot.id)

    result = state.submit_booking({"slot_id": str(slot.id), "reason": "Check-up"})

    assert redirect_path(result) == "/appointments"
    appointment = db.exec(select(Appointment)).one()
    assert (appointment.patient_id, appointment.reason) == (patient.id, "Check-up")


def test_submit_booking_double_submit_is_ignored(db, make_state):
    """A double click's second submit neither books again nor shows an error."""
    doctor, patient = make_doctor(db), make_patient(db)
    slot = make_slot(db, doctor=doctor)
    state = make_state(DoctorDetailState, user=patient, path=f"/doctors/{doctor.id}")
    state.load_doctor()
    state.open_booking(slot.id)
    state.submit_booking({"slot_id": str(slot.id), "reason": ""})

    second = state.submit_booking({"slot_id": str(slot.id), "reason": ""})

    assert second is None
    assert state.alert_message == ""
    assert len(db.exec(select(Appointment)).all()) == 1


def test_submit_booking_taken_slot_says_so_and_reloads(db, make_state):
    """A slot taken meanwhile shows "just taken" and the list drops it."""
    doctor = make_doctor(db)
    taken = make_slot(db, doctor=doctor)
    other = make_slot(db, doctor=doctor, start_at=taken.start_at + timedelta(hours=2))
    state = make_state(
        DoctorDetailState, user=make_patient(db), path=f"/doctors/{doctor.id}"
    )
    state.load_doctor()
    make_appointment(db, slot=taken, patient=make_patient(db))

    state.submit_booking({"slot_id": str(taken.id)})

    assert state.alert_message == JUST_TAKEN
    assert not state.booking_open
    assert [s.id for day in state.days for s in day.slots] == [other.id]


def test_submit_booking_long_reason_is_a_field_error(db, make_state):
    """An overlong reason is explained next to the field; nothing is booked."""
    doctor = make_doctor(db)
    slot = make_slot(db, doctor=doctor)
    state = make_state(
        DoctorDetailState, user=make_patient(db), path=f"/doctors/{doctor.id}"
    )

    state.submit_booking({"slot_id": str(slot.id), "reason": "x" * 501})

    assert "500" in state.field_errors["booking.reason"]
    assert db.exec(select(Appointment)).all() == []


def test_load_appointments_for_patient_and_doctor(db, make_state):
    """Both sides see the appointment: the patient sees the doctor, and vice versa."""
    doctor = make_doctor(db, name="Dr. Ada")
    patient = make_patient(db, name="Pat")
    make_appointment(db, slot=make_slot(db, doctor=doctor), patient=patient)

    as_patient = make_state(AppointmentsState, user=patient)
    as_patient.load_appointments()
    as_doctor = make_state(AppointmentsState, user=doctor)
    as_doctor.load_appointments()

    assert as_patient.upcoming[0].with_whom == "Dr. Ada"
    assert as_doctor.upcoming[0].with_whom == "Pat"
    assert as_patient.upcoming[0].cancellable


def test_patient_cancels_without_reason(db, make_state):
    """A patient may cancel an upcoming appointment without giving a reason."""
    patient = make_patient(db)
    appointment = make_appointment(
        db, slot=make_slot(db, doctor=make_doctor(db)), patient=patient
    )
    state = make_state(AppointmentsState, user=patient)
    state.load_appointments()
    state.open_cancel(appointment.id)

    state.submit_cancel({"appointment_id": str(appointment.id), "reason": ""})

    db.refresh(appointment)
    assert appointment.status == AppointmentStatus.CANCELLED
    assert state.upcoming == [] and not state.cancel_open


def test_doctor_cancel_requires_reason(db, make_state):
    """A doctor's cancel without a reason is refused next to the reason field."""
    doctor = make_doctor(db)
    appointment = make_appointment(
        db, slot=make_slot(db, doctor=doctor), patient=make_patient(db)
    )
    state = make_state(AppointmentsState, user=doctor)

    state.submit_cancel({"appointment_id": str(appointment.id), "reason": " "})

    assert "reason" in state.field_errors["cancel.reason"].lower()
    db.refresh(appointment)
    assert appointment.status == AppointmentStatus.BOOKED


def _day_after_tomorrow() -> str:
    return (date.today() + timedelta(days=2)).isoformat()


def test_submit_slot_adds_one_and_reloads(db, make_state):
    """One slot is added in the doctor's zone and appears in the schedule."""
    doctor = make_doctor(db, timezone="Europe/Berlin")
    state = make_state(AvailabilityState, user=doctor)

    state.submit_slot(
        {"slot_date": _day_after_tomorrow(), "slot_start": "09:00", "slot_end": "09:30"}
    )

    assert state.field_errors == {}
    assert state.days[0].slots[0].time_label == "09:00–09:30 (Europe/Berlin)"


def test_submit_slot_end_before_start_is_field_error(engine, db, make_state):
    """End before start is shown next to the End field; nothing is written."""
    state = make_state(AvailabilityState, user=make_doctor(db))

    state.submit_slot(
        {"slot_date": _day_after_tomorrow(), "slot_start": "10:00", "slot_end": "09:00"}
    )

    assert "one.end" in state.field_errors
    assert db.exec(select(Slot)).all() == []


def test_submit_series_adds_ticked_weekdays(db, make_state):
    """A week Mon-Sun, 09:00-10:00 by 30 minutes, all days ticked: 14 slots."""
    state = make_state(AvailabilityState, user=make_doctor(db))
    first = date.today() + timedelta(days=1)

    state.submit_series(
        {
            "first_day": first.isoformat(),
            "last_day": (first + timedelta(days=6)).isoformat(),
            "window_start": "09:00",
            "window_end": "10:00",
            "slot_minutes": "30",
            **{f"weekday_{n}": "on" for n in range(7)},
        }
    )

    assert state.field_errors == {}
    assert len(db.exec(select(Slot)).all()) == 14


def test_submit_series_without_weekdays_is_field_error(db, make_state):
    """No ticked weekday is explained next to the weekday boxes."""
    state = make_state(AvailabilityState, user=make_doctor(db))

    state.submit_series(
        {
            "first_day": _day_after_tomorrow(),
            "last_day": _day_after_tomorrow(),
            "window_start": "09:00",
            "window_end": "10:00",
            "slot_minutes": "30",
        }
    )

    assert "many.weekdays" in state.field_errors


def test_delete_open_slot_removes_it(db, make_state):
    """Deleting an open slot removes it from the schedule."""
    doctor = make_doctor(db)
    slot = make_slot(db, doctor=doctor)
    state = make_state(AvailabilityState, user=doctor)
    state.load_availability()

    state.delete_slot(slot.id)

    db.refresh(slot)
    assert slot.state == SlotState.REMOVED
    assert state.days == []


def test_delete_booked_slot_asks_then_cancels_with_reason(db, make_state):
    """A booked slot opens the confirmation; with a reason it is cancelled and removed."""
    doctor, patient = make_doctor(db), make_patient(db, name="Pat")
    slot = make_slot(db, doctor=doctor)
    appointment = make_appointment(db, slot=slot, patient=patient)
    state = make_state(AvailabilityState, user=doctor)
    state.load_availability()
    assert state.days[0].slots[0].status_label == "Booked by Pat"

    state.delete_slot(slot.id)
    assert state.confirm_delete_open and state.confirm_slot_id == slot.id
    db.refresh(slot)
    assert slot.state == SlotState.BOOKED

    state.submit_cancel_and_delete({"slot_id": str(slot.id), "reason": "Ill today"})

    db.rollback()  # end the read transaction that still sees the old rows
    db.refresh(slot)
    db.refresh(appointment)
    assert slot.state == SlotState.REMOVED
    assert appointment.cancel_reason == "Ill today"
    assert not state.confirm_delete_open


def test_submit_profile_updates_name_and_zone(db, make_state):
    """Saving the profile changes the name and timezone shown in the top bar."""
    state = make_state(ProfileState, user=make_patient(db))
    state.load_profile()
    state.set_profile_name("New Name")
    state.set_profile_timezone("Europe/Paris")

    state.submit_profile({})

    assert (state.user_name, state.user_timezone) == ("New Name", "Europe/Paris")


def test_submit_password_rotates_sessions(db, make_state):
    """A password change logs out other devices and keeps this one logged in."""
    patient = make_patient(db)
    other_device = login_token(patient.id)
    state = make_state(ProfileState, user=patient)

    state.submit_password(
        {"current_password": DEFAULT_PASSWORD, "new_password": "a new password"}
    )

    assert state._current_user_id() == patient.id
    state.session_token = other_device
    assert state._current_user() is None


def test_submit_password_wrong_current_is_field_error(db, make_state):
    """A wrong current password is shown next to that field."""
    state = make_state(ProfileState, user=make_patient(db))

    state.submit_password(
        {"current_password": "not it at all", "new_password": "a new password"}
    )

    assert "password.current_password" in state.field_errors


def test_submit_slot_double_click_adds_once_without_error(db, make_state):
    """The same slot form sent twice at once adds one slot and shows no error."""
    doctor = make_doctor(db)
    state = make_state(AvailabilityState, user=doctor)
    form = {
        "slot_date": _day_after_tomorrow(),
        "slot_start": "09:00",
        "slot_end": "09:30",
    }
    state.submit_slot(form)

    second = state.submit_slot(dict(form))

    assert second is None
    assert state.field_errors == {}
    assert state.alert_message == ""
    assert len(db.exec(select(Slot)).all()) == 1


def test_submit_slot_changed_form_is_not_a_double_click(db, make_state):
    """A second, different slot sent right after the first is added too."""
    doctor = make_doctor(db)
    state = make_state(AvailabilityState, user=doctor)
    day = _day_after_tomorrow()
    state.submit_slot({"slot_date": day, "slot_start": "09:00", "slot_end": "09:30"})

    state.submit_slot({"slot_date": day, "slot_start": "10:00", "slot_end": "10:30"})

    assert len(db.exec(select(Slot)).all()) == 2
