"""A card listing one day's slots under the day's heading."""

from collections.abc import Callable

import reflex as rx

from hms.states.rows import DayGroup, SlotRow


def day_card(
    day: DayGroup, slot_row: Callable[[SlotRow], rx.Component], *, heading: str
) -> rx.Component:
    """The day's title (`heading` is "h2" or "h3") and one row per slot."""
    return rx.card(
        rx.vstack(
            rx.heading(day.title, size="3", as_=heading),
            rx.foreach(day.slots, slot_row),
            spacing="2",
            width="100%",
        ),
        width="100%",
    )
