"""Upcoming and past appointments (/appointments), for patients and doctors."""

import reflex as rx

from hms import routes
from hms.components.dialogs import reason_dialog
from hms.components.feedback import empty_state, loading_state
from hms.components.layout import page_layout
from hms.models import REASON_MAX_LENGTH
from hms.states.appointments import AppointmentsState
from hms.states.auth import AuthState
from hms.states.rows import AppointmentRow


def _status_badge(status) -> rx.Component:
    return rx.badge(
        status,
        color_scheme=rx.match(
            status, ("booked", "green"), ("cancelled", "gray"), "gray"
        ),
        variant="soft",
    )


def _appointment_card(row: AppointmentRow) -> rx.Component:
    return rx.card(
        rx.flex(
            rx.vstack(
                rx.hstack(
                    rx.text(row.when, weight="bold"),
                    _status_badge(row.status),
                    spacing="2",
                    wrap="wrap",
                    align="center",
                ),
                rx.cond(
                    row.clinic_when != "",
                    rx.text(row.clinic_when, size="1", color_scheme="gray"),
                ),
                rx.text(rx.text.strong(row.with_whom), " · ", row.detail, size="2"),
                rx.cond(
                    row.reason != "",
                    rx.text("Reason: ", row.reason, size="2", color_scheme="gray"),
                ),
                rx.cond(
                    row.cancel_note != "",
                    rx.text(row.cancel_note, size="2", color_scheme="red"),
                ),
                spacing="1",
                min_width="0",
            ),
            rx.spacer(),
            rx.cond(
                row.cancellable,
                rx.button(
                    "Cancel appointment",
                    on_click=AppointmentsState.open_cancel(row.id),
                    color_scheme="red",
                    variant="soft",
                    id=f"cancel-{row.id}",
                ),
            ),
            direction=rx.breakpoints(initial="column", sm="row"),
            spacing="3",
        ),
        width="100%",
        class_name="appointment-card",
    )


def _section(title: str, rows, empty: rx.Component, section_id: str) -> rx.Component:
    return rx.vstack(
        rx.heading(title, size="5", as_="h2"),
        rx.cond(
            rows.length() > 0,
            rx.vstack(rx.foreach(rows, _appointment_card), spacing="3", width="100%"),
            empty,
        ),
        spacing="3",
        width="100%",
        id=section_id,
    )


def _cancel_dialog() -> rx.Component:
    return reason_dialog(
        title="Cancel this appointment?",
        description=AppointmentsState.cancel_label,
        id_field="appointment_id",
        id_value=AppointmentsState.cancel_appointment_id,
        reason_label=rx.cond(
            AuthState.user_role == "doctor",
            "Reason (required; the patient will see it)",
            "Reason (optional; the doctor will see it)",
        ),
        reason_id="cancel-reason",
        reason_hint=f"Up to {REASON_MAX_LENGTH} characters.",
        error_key="cancel.reason",
        confirm_label="Cancel appointment",
        confirm_id="confirm-cancel",
        on_submit=AppointmentsState.submit_cancel,
        is_open=AppointmentsState.cancel_open,
        on_open_change=AppointmentsState.set_cancel_open,
    )


def _empty_upcoming() -> rx.Component:
    return rx.cond(
        AuthState.user_role == "patient",
        empty_state(
            "No upcoming appointments.", rx.link("Find a doctor", href=routes.DOCTORS)
        ),
        empty_state(
            "No upcoming appointments.",
            rx.link("Add open times", href=routes.AVAILABILITY),
        ),
    )


@rx.page(
    route=routes.APPOINTMENTS,
    title="Appointments — HMS",
    on_load=[AuthState.require_login, AppointmentsState.load_appointments],
)
def appointments() -> rx.Component:
    """Upcoming and past appointments in the viewer's timezone; cancel upcoming ones."""
    return page_layout(
        "Appointments",
        rx.cond(
            AppointmentsState.appointments_loading,
            loading_state("Loading appointments…"),
            rx.vstack(
                _section(
                    "Upcoming",
                    AppointmentsState.upcoming,
                    _empty_upcoming(),
                    "upcoming",
                ),
                _section(
                    "Past and cancelled",
                    AppointmentsState.past,
                    empty_state("No past or cancelled appointments."),
                    "past",
                ),
                spacing="5",
                width="100%",
            ),
        ),
        _cancel_dialog(),
        subtitle=rx.text.span(
            "Times are shown in your timezone, ", AuthState.user_timezone, "."
        ),
    )
