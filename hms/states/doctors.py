"""Patients browse doctors, see one doctor's open times and book one."""

import logging

import reflex as rx

from hms import routes
from hms.db import session_scope
from hms.errors import NotFoundError, SlotUnavailableError
from hms.services import availability, booking, directory
from hms.services.parsing import parse_id
from hms.states.auth import AuthState
from hms.states.rows import (
    MAX_WEEK,
    DayGroup,
    DoctorRow,
    doctor_row,
    group_by_day,
    week_window,
    weeks_until,
)
from hms.states.threads import off_event_loop

logger = logging.getLogger(__name__)

ALL_SPECIALTIES = "All specialties"
# TODO: the directory shows the first PAGE_SIZE doctors; add "load more"
# paging once a clinic has more doctors than that.
PAGE_SIZE = 50


class DoctorsState(AuthState):
    """The doctor directory (/doctors), for patients."""

    doctors: list[DoctorRow] = []
    specialties: list[str] = [ALL_SPECIALTIES]
    specialty_filter: str = ALL_SPECIALTIES
    name_filter: str = ""
    doctors_loading: bool = True

    def _refresh_doctors(self):
        user = self._require("patient")
        specialty = (
            "" if self.specialty_filter == ALL_SPECIALTIES else self.specialty_filter
        )
        with session_scope() as session:
            found = directory.list_doctors(
                session=session,
                specialty=specialty,
                name=self.name_filter,
                limit=PAGE_SIZE,
            )
            specialties = directory.list_specialties(session=session)
        self.doctors = [doctor_row(doctor, user.timezone) for doctor in found]
        self.specialties = [ALL_SPECIALTIES, *specialties]
        self.doctors_loading = False

    def _reload(self, *, on_load: bool = False):
        try:
            self._refresh_doctors()
        except Exception as exc:
            self.doctors_loading = False
            return self._fail_load(exc) if on_load else self._fail(exc)
        return None

    @rx.event
    @off_event_loop
    def load_doctors(self):
        """Load the directory for the logged-in patient (on page load)."""
        self.doctors_loading = True
        return self._reload(on_load=True)

    @rx.event
    @off_event_loop
    def set_specialty_filter(self, specialty: str):
        """Show only doctors of `specialty` (or all)."""
        self.specialty_filter = specialty or ALL_SPECIALTIES
        return self._reload()

    @rx.event
    @off_event_loop
    def set_name_filter(self, name: str):
        """Show only doctors whose name contains `name` (the input is debounced)."""
        self.name_filter = (name or "")[: directory.NAME_FILTER_MAX_LENGTH]
        return self._reload()

    @rx.event
    @off_event_loop
    def clear_filters(self):
        """Show every doctor again."""
        self.specialty_filter = ALL_SPECIALTIES
        self.name_filter = ""
        return self._reload()


class DoctorDetailState(AuthState):
    """One doctor's open times (/doctors/[doctor_id]) and the booking dialog."""

    doctor_name: str = ""
    doctor_specialty: str = ""
    doctor_timezone: str = ""
    doctor_found: bool = False
    days: list[DayGroup] = []
    slots_loading: bool = True

    booking_open: bool = False
    booking_slot_id: int = 0
    booking_label: str = ""

    # Backend only: the slot this tab booked last, to ignore a double submit.
    _just_booked_slot_id: int = 0

    # Which 7-day page of open times is shown (0 = from today).
    week: int = 0
    week_label: str = ""
    # True when the week holds more times than one page shows.
    list_truncated: bool = False

    def _route_doctor_id(self) -> int:
        """The doctor id from the URL path, e.g. 7 for /doctors/7."""
        path = str(self.router.url.path or "")
        segment = path.rstrip("/").rsplit("/", 1)[-1]
        try:
            return parse_id(segment, field="doctor")
        except Exception:
            raise NotFoundError(
                "We couldn't find that doctor. Pick one from the list."
            ) from None

    def _refresh_slots(self) -> None:
        user = self._require("patient")
        doctor_id = self._route_doctor_id()
        with session_scope() as session:
            doctor = directory.get_doctor(session=session, doctor_id=doctor_id)
            slots = self._open_slots_of_week(session, doctor_id, user.timezone)
            # An empty first week jumps to the week of the next open time.
            if not slots and self.week == 0 and doctor.next_open_at:
                self.week = min(
                    weeks_until(doctor.next_open_at, user.timezone), MAX_WEEK
                )
                slots = self._open_slots_of_week(session, doctor_id, user.timezone)
        self.doctor_name = doctor.name
        self.doctor_specialty = doctor.specialty
        self.doctor_timezone = doctor.timezone
        self.doctor_found = True
        self.days = group_by_day(slots, user.timezone, doctor.timezone)
        self.list_truncated = len(slots) >= availability.WINDOW_ROW_LIMIT
        self.slots_loading = False

    def _open_slots_of_week(self, session, doctor_id: int, viewer_tz: str):
        window = week_window(viewer_tz, self.week)
        self.week_label = window.label
        return availability.list_open_slots(
            session=session,
            doctor_id=doctor_id,
            start_at=window.start_at,
            end_at=window.end_at,
        )

    @rx.event
    @off_event_loop
    def show_week(self, step: int):
        """Show the next (+1) or previous (-1) week of open times."""
        self.week = min(max(self.week + int(step), 0), MAX_WEEK)
        try:
            self._refresh_slots()
        except Exception as exc:
            return self._fail(exc)
        return None

    def _slot_label(self, slot_id: int) -> str:
        for day in self.days:
            for slot in day.slots:
                if slot.id == slot_id:
                    return slot.full_label
        return ""

    @rx.event
    @off_event_loop
    def load_doctor(self):
        """Load the doctor and their open times (on page load)."""
        self.slots_loading = True
        self.doctor_found = False
        self.days = []
        self.week = 0
        self.booking_open = False
        try:
            self._refresh_slots()
        except Exception as exc:
            self.slots_loading = False
            return self._fail_load(exc)
        return None

    @rx.event
    def open_booking(self, slot_id: int):
        """Open the booking dialog for one of the listed slots."""
        self._clear_feedback()
        label = self._slot_label(int(slot_id))
        if not label:
            return rx.toast.error("That time is no longer listed. Choose another.")
        self.booking_slot_id = int(slot_id)
        self.booking_label = label
        self.booking_open = True
        return None

    @rx.event
    def set_booking_open(self, is_open: bool):
        """Open or close the booking dialog (Cancel button, Escape, outside click)."""
        self.booking_open = bool(is_open)
        if not is_open:
            self._clear_feedback()

    @rx.event
    @off_event_loop
    def submit_booking(self, form_data: dict):
        """Book the chosen slot for the logged-in patient.

        Only the slot id and the reason come from the browser; the patient is
        the session's user and the slot is re-checked by the service.

        Args:
            form_data: `slot_id` and an optional `reason`.
        """
        self._clear_feedback()
        try:
            patient = self._require("patient")
            slot_id = parse_id(str(form_data.get("slot_id", "")), field="slot_id")
            with session_scope() as session:
                booked = booking.book_slot(
                    session=session,
                    patient_id=patient.id,
                    slot_id=slot_id,
                    reason=str(form_data.get("reason", "")),
                )
        except SlotUnavailableError as exc:
            if slot_id == self._just_booked_slot_id:
                # A double click's second submit: the first one booked it.
                return None
            self.booking_open = False
            event = self._fail(exc)
            self._reload_after_failure()
            return event
        except Exception as exc:
            return self._fail(exc, form="booking", fields=("reason",))
        self.booking_open = False
        self._just_booked_slot_id = slot_id
        logger.info("booked appointment id=%s from the doctor page", booked.id)
        return [
            rx.toast.success(
                f"Booked: {self.booking_label}. See it under Appointments."
            ),
            rx.redirect(routes.APPOINTMENTS),
        ]

    def _reload_after_failure(self) -> None:
        try:
            self._refresh_slots()
        except Exception:
            logger.exception("could not reload the open times after a failed booking")
