"""One doctor's open times (/doctors/[doctor_id]) and booking, for patients."""

import reflex as rx

from hms import routes
from hms.components.day_card import day_card
from hms.components.dialogs import reason_dialog
from hms.components.feedback import empty_state, loading_state
from hms.components.layout import page_layout
from hms.components.week_nav import truncated_note, week_nav
from hms.models import REASON_MAX_LENGTH
from hms.states.auth import AuthState
from hms.states.doctors import DoctorDetailState
from hms.states.rows import DayGroup, SlotRow


def _slot_row(slot: SlotRow) -> rx.Component:
    return rx.flex(
        rx.vstack(
            rx.text(slot.time_label, weight="medium"),
            rx.cond(
                slot.clinic_label != "",
                rx.text(slot.clinic_label, size="1", color_scheme="gray"),
            ),
            spacing="0",
        ),
        rx.spacer(),
        rx.button(
            "Book",
            on_click=DoctorDetailState.open_booking(slot.id),
            id=f"book-{slot.id}",
            size="2",
        ),
        align="center",
        spacing="3",
        width="100%",
        class_name="slot-row",
    )


def _day_card(day: DayGroup) -> rx.Component:
    return day_card(day, _slot_row, heading="h2")


def _booking_dialog() -> rx.Component:
    return reason_dialog(
        title="Book this time",
        description=rx.fragment(
            DoctorDetailState.booking_label, " with ", DoctorDetailState.doctor_name
        ),
        id_field="slot_id",
        id_value=DoctorDetailState.booking_slot_id,
        reason_label="Reason for the visit (optional)",
        reason_id="reason",
        reason_hint=f"Up to {REASON_MAX_LENGTH} characters; only the doctor sees it.",
        placeholder="What would you like to see the doctor about?",
        error_key="booking.reason",
        dismiss_label="Cancel",
        confirm_label="Confirm booking",
        confirm_id="confirm-booking",
        confirm_color="teal",
        on_submit=DoctorDetailState.submit_booking,
        is_open=DoctorDetailState.booking_open,
        on_open_change=DoctorDetailState.set_booking_open,
    )


def _timezone_note() -> rx.Component:
    return rx.text(
        "Times are in your timezone (",
        AuthState.user_timezone,
        ")",
        rx.cond(
            DoctorDetailState.doctor_timezone != AuthState.user_timezone,
            rx.text.span(
                "; the doctor's time (",
                DoctorDetailState.doctor_timezone,
                ") is shown under each",
            ),
        ),
        ".",
        size="2",
        color_scheme="gray",
    )


def _slots() -> rx.Component:
    return rx.vstack(
        week_nav(
            DoctorDetailState.week_label,
            DoctorDetailState.week,
            DoctorDetailState.show_week,
        ),
        truncated_note(DoctorDetailState.list_truncated),
        rx.cond(
            DoctorDetailState.slots_loading,
            loading_state("Loading open times…"),
            rx.cond(
                DoctorDetailState.days.length() > 0,
                rx.vstack(
                    rx.foreach(DoctorDetailState.days, _day_card),
                    spacing="3",
                    width="100%",
                ),
                empty_state(
                    "No open times this week. Try later weeks or another doctor.",
                    rx.link("Choose another doctor", href=routes.DOCTORS),
                ),
            ),
        ),
        spacing="3",
        width="100%",
    )


@rx.page(
    route=routes.DOCTOR_DETAIL,
    title="Book an appointment — HMS",
    on_load=[AuthState.require_patient, DoctorDetailState.load_doctor],
)
def doctor_detail() -> rx.Component:
    """Open times grouped by day in the patient's zone; a Book button on each."""
    return page_layout(
        rx.cond(
            DoctorDetailState.doctor_found, DoctorDetailState.doctor_name, "Doctor"
        ),
        rx.cond(
            DoctorDetailState.doctor_found,
            rx.vstack(
                rx.badge(
                    DoctorDetailState.doctor_specialty,
                    variant="soft",
                    color_scheme="teal",
                ),
                _timezone_note(),
                _slots(),
                spacing="3",
                width="100%",
            ),
            rx.cond(
                DoctorDetailState.slots_loading,
                loading_state(),
                rx.link("Back to all doctors", href=routes.DOCTORS),
            ),
        ),
        _booking_dialog(),
    )
