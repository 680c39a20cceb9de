"""A doctor's availability (/availability): add, list and delete slots."""

import logging

import reflex as rx

from hms.db import session_scope
from hms.errors import ConflictError, ValidationError
from hms.services import availability
from hms.services.parsing import parse_date, parse_id, parse_int, parse_time
from hms.states.auth import AuthState
from hms.states.rows import MAX_WEEK, DayGroup, group_by_day, week_window
from hms.states.threads import off_event_loop

logger = logging.getLogger(__name__)

WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
SERIES_FIELDS = (
    "first_day",
    "last_day",
    "weekdays",
    "window_start",
    "window_end",
    "slot_minutes",
)


def weekday_field(index: int) -> str:
    """The form field of a weekday checkbox, 0 = Monday: `weekday_0`."""
    return f"weekday_{index}"


class AvailabilityState(AuthState):
    """The logged-in doctor's upcoming slots and the forms that change them."""

    days: list[DayGroup] = []
    schedule_loading: bool = True

    # Which 7-day page of the schedule is shown (0 = from today).
    week: int = 0
    week_label: str = ""
    # True when the week holds more slots than one page shows.
    list_truncated: bool = False

    confirm_delete_open: bool = False
    confirm_slot_id: int = 0
    confirm_label: str = ""

    def _refresh_schedule(self) -> None:
        doctor = self._require("doctor")
        window = week_window(doctor.timezone, self.week)
        self.week_label = window.label
        with session_scope() as session:
            slots = availability.list_doctor_schedule(
                session=session,
                doctor_id=doctor.id,
                start_at=window.start_at,
                end_at=window.end_at,
            )
        self.days = group_by_day(slots, doctor.timezone)
        self.list_truncated = len(slots) >= availability.WINDOW_ROW_LIMIT
        self.schedule_loading = False

    def _reload_quietly(self) -> None:
        try:
            self._refresh_schedule()
        except Exception:
            logger.exception("could not reload the schedule after a change")

    def _slot_label(self, slot_id: int) -> str:
        for day in self.days:
            for slot in day.slots:
                if slot.id == slot_id:
                    return f"{slot.full_label} — {slot.status_label}"
        return ""

    @rx.event
    @off_event_loop
    def show_week(self, step: int):
        """Show the next (+1) or previous (-1) week of the schedule."""
        self.week = min(max(self.week + int(step), 0), MAX_WEEK)
        try:
            self._refresh_schedule()
        except Exception as exc:
            return self._fail(exc)
        return None

    @rx.event
    @off_event_loop
    def load_availability(self):
        """Load the doctor's slots for the days ahead (on page load)."""
        self.schedule_loading = True
        self.confirm_delete_open = False
        try:
            self._refresh_schedule()
        except Exception as exc:
            self.schedule_loading = False
            return self._fail_load(exc)
        return None

    @rx.event
    @off_event_loop
    def submit_slot(self, form_data: dict):
        """Add one slot; date and times are in the doctor's timezone.

        Args:
            form_data: `slot_date` (YYYY-MM-DD), `slot_start`, `slot_end` (HH:MM).
        """
        if self._repeated_submit("one", form_data):
            return None
        self._clear_feedback()
        try:
            doctor = self._require("doctor")
            day = parse_date(str(form_data.get("slot_date", "")), field="day")
            start = parse_time(str(form_data.get("slot_start", "")), field="start")
            end = parse_time(str(form_data.get("slot_end", "")), field="end")
            with session_scope() as session:
                slot = availability.add_slot(
                    session=session, doctor_id=doctor.id, day=day, start=start, end=end
                )
        except Exception as exc:
            return self._fail(exc, form="one", fields=("day", "start", "end"))
        self._reload_quietly()
        label = self._slot_label(slot.id)
        return rx.toast.success(f"Slot added: {label}." if label else "Slot added.")

    def _series_args(self, form_data: dict) -> dict:
        """Parse the "add many" form into add_slots arguments (fields named)."""
        return {
            "first_day": parse_date(
                str(form_data.get("first_day", "")), field="first_day"
            ),
            "last_day": parse_date(
                str(form_data.get("last_day", "")), field="last_day"
            ),
            "weekdays": [n for n in range(7) if form_data.get(weekday_field(n))],
            "window_start": parse_time(
                str(form_data.get("window_start", "")), field="window_start"
            ),
            "window_end": parse_time(
                str(form_data.get("window_end", "")), field="window_end"
            ),
            "slot_minutes": parse_int(
                str(form_data.get("slot_minutes", "")),
                field="slot_minutes",
                minimum=availability.MIN_SLOT_MINUTES,
                maximum=availability.MAX_SLOT_MINUTES,
            ),
        }

    @rx.event
    @off_event_loop
    def submit_series(self, form_data: dict):
        """Add many slots at once (all or nothing), e.g. Mon–Fri 09:00–12:00 by 30 min.

        Args:
            form_data: `first_day`, `last_day`, `window_start`, `window_end` and
                `slot_minutes`, plus `weekday_0`..`weekday_6` for ticked boxes.
        """
        if self._repeated_submit("many", form_data):
            return None
        self._clear_feedback()
        try:
            doctor = self._require("doctor")
            args = self._series_args(form_data)
            if not args["weekdays"]:
                raise ValidationError("Tick at least one weekday.", field="weekdays")
            with session_scope() as session:
                added = availability.add_slots(
                    session=session, doctor_id=doctor.id, **args
                )
        except Exception as exc:
            return self._fail(exc, form="many", fields=SERIES_FIELDS)
        self._reload_quietly()
        return rx.toast.success(f"Added {len(added)} slots.")

    @rx.event
    @off_event_loop
    def delete_slot(self, slot_id: int):
        """Delete an open slot; for a booked one, ask for a reason first."""
        self._clear_feedback()
        try:
            doctor = self._require("doctor")
            slot_id = parse_id(str(slot_id), field="slot_id")
            with session_scope() as session:
                availability.delete_slot(
                    session=session, doctor_id=doctor.id, slot_id=slot_id
                )
        except ConflictError:
            # Booked: the doctor confirms and tells the patient why.
            self.confirm_slot_id = slot_id
            self.confirm_label = self._slot_label(slot_id)
            self.confirm_delete_open = True
            return None
        except Exception as exc:
            return self._fail(exc)
        self._reload_quietly()
        return rx.toast.success("Slot deleted.")

    @rx.event
    def set_confirm_delete_open(self, is_open: bool):
        """Open or close the "delete a booked slot" dialog."""
        self.confirm_delete_open = bool(is_open)
        if not is_open:
            self._clear_feedback()

    @rx.event
    @off_event_loop
    def submit_cancel_and_delete(self, form_data: dict):
        """Cancel the appointment in a booked slot, telling the patient why, and delete it.

        Args:
            form_data: `slot_id` and the required `reason`.
        """
        if self._repeated_submit("remove", form_data):
            return None
        self._clear_feedback()
        try:
            doctor = self._require("doctor")
            slot_id = parse_id(str(form_data.get("slot_id", "")), field="slot_id")
            with session_scope() as session:
                availability.cancel_and_delete_slot(
                    session=session,
                    doctor_id=doctor.id,
                    slot_id=slot_id,
                    reason=str(form_data.get("reason", "")),
                )
        except Exception as exc:
            return self._fail(exc, form="remove", fields=("reason",))
        self.confirm_delete_open = False
        self._reload_quietly()
        return rx.toast.success(
            "Appointment cancelled and slot deleted. The patient is told why."
        )
