"""A doctor's availability (/availability): add one or many slots, see, delete."""

import reflex as rx

from hms import routes
from hms.components.day_card import day_card
from hms.components.dialogs import reason_dialog
from hms.components.feedback import empty_state, loading_state
from hms.components.forms import form_field, text_input
from hms.components.layout import page_layout
from hms.components.week_nav import truncated_note, week_nav
from hms.models import REASON_MAX_LENGTH
from hms.states.auth import AuthState
from hms.states.availability import (
    WEEKDAY_NAMES,
    AvailabilityState,
    weekday_field,
)
from hms.states.rows import DayGroup, SlotRow


def _one_slot_form() -> rx.Component:
    return rx.card(
        rx.form(
            rx.vstack(
                rx.heading("Add one slot", size="4", as_="h2"),
                form_field(
                    "Date",
                    text_input("slot_date", type="date", required=True),
                    name="day",
                    form="one",
                ),
                rx.hstack(
                    form_field(
                        "Start",
                        text_input("slot_start", type="time", required=True),
                        name="start",
                        form="one",
                    ),
                    form_field(
                        "End",
                        text_input("slot_end", type="time", required=True),
                        name="end",
                        form="one",
                    ),
                    spacing="3",
                    width="100%",
                ),
                rx.button("Add slot", type="submit", id="add-slot"),
                spacing="3",
                align="stretch",
            ),
            on_submit=AvailabilityState.submit_slot,
            id="one-slot-form",
        ),
        width="100%",
    )


def _weekday_box(index: int, label: str) -> rx.Component:
    return rx.text(
        rx.flex(
            rx.checkbox(
                name=weekday_field(index),
                id=f"weekday-{index}",
                default_checked=index < 5,
            ),
            label,
            spacing="1",
            align="center",
        ),
        as_="label",
        size="2",
    )


def _series_form() -> rx.Component:
    return rx.card(
        rx.form(
            rx.vstack(
                rx.heading("Add many slots", size="4", as_="h2"),
                rx.hstack(
                    form_field(
                        "First date",
                        text_input("first_day", type="date", required=True),
                        name="first_day",
                        form="many",
                    ),
                    form_field(
                        "Last date",
                        text_input("last_day", type="date", required=True),
                        name="last_day",
                        form="many",
                    ),
                    spacing="3",
                    width="100%",
                ),
                form_field(
                    "On",
                    rx.flex(
                        *[
                            _weekday_box(i, name)
                            for i, name in enumerate(WEEKDAY_NAMES)
                        ],
                        spacing="3",
                        wrap="wrap",
                    ),
                    name="weekdays",
                    form="many",
                ),
                rx.hstack(
                    form_field(
                        "From",
                        text_input("window_start", type="time", required=True),
                        name="window_start",
                        form="many",
                    ),
                    form_field(
                        "Until",
                        text_input("window_end", type="time", required=True),
                        name="window_end",
                        form="many",
                    ),
                    spacing="3",
                    width="100%",
                ),
                form_field(
                    "Slot length (minutes)",
                    text_input(
                        "slot_minutes",
                        type="number",
                        min=5,
                        max=480,
                        step=5,
                        default_value="30",
                        required=True,
                    ),
                    name="slot_minutes",
                    form="many",
                ),
                rx.button("Add slots", type="submit", id="add-slots"),
                spacing="3",
                align="stretch",
            ),
            on_submit=AvailabilityState.submit_series,
            id="series-form",
        ),
        width="100%",
    )


def _slot_row(slot: SlotRow) -> rx.Component:
    return rx.flex(
        rx.flex(
            rx.text(slot.time_label, weight="medium"),
            rx.badge(
                slot.status_label,
                color_scheme=rx.cond(slot.booked, "amber", "green"),
                variant="soft",
            ),
            direction=rx.breakpoints(initial="column", sm="row"),
            align=rx.breakpoints(initial="start", sm="center"),
            spacing="2",
        ),
        rx.spacer(),
        rx.button(
            "Delete",
            on_click=AvailabilityState.delete_slot(slot.id),
            color_scheme="red",
            variant="soft",
            size="1",
            id=f"delete-{slot.id}",
        ),
        align="center",
        spacing="3",
        width="100%",
        class_name="slot-row",
    )


def _day_card(day: DayGroup) -> rx.Component:
    return day_card(day, _slot_row, heading="h3")


def _schedule() -> rx.Component:
    return rx.vstack(
        rx.heading("Your slots", size="5", as_="h2"),
        week_nav(
            AvailabilityState.week_label,
            AvailabilityState.week,
            AvailabilityState.show_week,
        ),
        truncated_note(AvailabilityState.list_truncated),
        rx.cond(
            AvailabilityState.schedule_loading,
            loading_state("Loading your slots…"),
            rx.cond(
                AvailabilityState.days.length() > 0,
                rx.vstack(
                    rx.foreach(AvailabilityState.days, _day_card),
                    spacing="3",
                    width="100%",
                ),
                empty_state("No slots this week. Add some above so patients can book."),
            ),
        ),
        spacing="3",
        width="100%",
        id="schedule",
    )


def _remove_booked_dialog() -> rx.Component:
    return reason_dialog(
        title="This time is booked",
        description=rx.fragment(
            AvailabilityState.confirm_label,
            ". Deleting it cancels the appointment; the patient gets your reason.",
        ),
        id_field="slot_id",
        id_value=AvailabilityState.confirm_slot_id,
        reason_label="Reason for the patient (required)",
        reason_id="delete-reason",
        reason_hint=f"Up to {REASON_MAX_LENGTH} characters.",
        error_key="remove.reason",
        confirm_label="Cancel appointment and delete",
        confirm_id="confirm-delete",
        on_submit=AvailabilityState.submit_cancel_and_delete,
        is_open=AvailabilityState.confirm_delete_open,
        on_open_change=AvailabilityState.set_confirm_delete_open,
    )


@rx.page(
    route=routes.AVAILABILITY,
    title="Availability — HMS",
    on_load=[AuthState.require_doctor, AvailabilityState.load_availability],
)
def availability() -> rx.Component:
    """Forms to add slots, then the days ahead with each slot's state."""
    return page_layout(
        "Availability",
        rx.grid(
            _one_slot_form(),
            _series_form(),
            columns=rx.breakpoints(initial="1", md="2"),
            spacing="4",
            width="100%",
        ),
        _schedule(),
        _remove_booked_dialog(),
        subtitle=rx.text.span(
            "Dates and times are in your timezone, ", AuthState.user_timezone, "."
        ),
    )
