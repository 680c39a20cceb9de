"""Upcoming and past appointments (/appointments), and cancelling one."""

import logging

import reflex as rx

from hms.db import session_scope
from hms.services import booking
from hms.services.parsing import parse_id
from hms.states.auth import AuthState
from hms.states.rows import AppointmentRow, appointment_row
from hms.states.threads import off_event_loop

logger = logging.getLogger(__name__)


class AppointmentsState(AuthState):
    """The viewer's appointments, in the viewer's timezone."""

    upcoming: list[AppointmentRow] = []
    past: list[AppointmentRow] = []
    appointments_loading: bool = True

    cancel_open: bool = False
    cancel_appointment_id: int = 0
    cancel_label: str = ""

    def _refresh_appointments(self) -> None:
        user = self._require("patient", "doctor")
        with session_scope() as session:
            lists = booking.list_appointments(session=session, user_id=user.id)
        self.upcoming = [
            appointment_row(a, user.role, user.timezone, upcoming=True)
            for a in lists.upcoming
        ]
        self.past = [
            appointment_row(a, user.role, user.timezone, upcoming=False)
            for a in lists.past
        ]
        self.appointments_loading = False

    @rx.event
    @off_event_loop
    def load_appointments(self):
        """Load the logged-in user's appointments (on page load)."""
        self.appointments_loading = True
        self.cancel_open = False
        try:
            self._refresh_appointments()
        except Exception as exc:
            self.appointments_loading = False
            return self._fail_load(exc)
        return None

    @rx.event
    def open_cancel(self, appointment_id: int):
        """Open the confirmation dialog for one of the listed appointments."""
        self._clear_feedback()
        row = next((a for a in self.upcoming if a.id == int(appointment_id)), None)
        if row is None:
            return rx.toast.error(
                "That appointment is no longer listed. Reload the page."
            )
        self.cancel_appointment_id = row.id
        self.cancel_label = f"{row.when} with {row.with_whom}"
        self.cancel_open = True
        return None

    @rx.event
    def set_cancel_open(self, is_open: bool):
        """Open or close the cancel dialog."""
        self.cancel_open = bool(is_open)
        if not is_open:
            self._clear_feedback()

    @rx.event
    @off_event_loop
    def submit_cancel(self, form_data: dict):
        """Cancel an appointment of the logged-in user.

        Doctors must give a reason (the patient sees it); patients may.

        Args:
            form_data: `appointment_id` and `reason`.
        """
        if self._repeated_submit("cancel", form_data):
            return None
        self._clear_feedback()
        try:
            user = self._require("patient", "doctor")
            appointment_id = parse_id(
                str(form_data.get("appointment_id", "")), field="appointment_id"
            )
            with session_scope() as session:
                booking.cancel_appointment(
                    session=session,
                    user_id=user.id,
                    appointment_id=appointment_id,
                    reason=str(form_data.get("reason", "")),
                )
        except Exception as exc:
            return self._fail(exc, form="cancel", fields=("reason",))
        self.cancel_open = False
        try:
            self._refresh_appointments()
        except Exception:
            logger.exception("could not reload appointments after a cancellation")
        return rx.toast.success(
            "The appointment is cancelled. We've let the other side know."
        )
