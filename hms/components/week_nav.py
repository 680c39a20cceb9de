"""Earlier / later buttons around the label of the week a list shows."""

import reflex as rx

from hms.services.availability import WINDOW_ROW_LIMIT

TRUNCATED_NOTE = (
    f"This week has more than {WINDOW_ROW_LIMIT} times; only the first "
    f"{WINDOW_ROW_LIMIT} are shown."
)


def truncated_note(truncated) -> rx.Component:
    """Says so when a week holds more rows than a page shows."""
    return rx.cond(truncated, rx.text(TRUNCATED_NOTE, size="2", color_scheme="amber"))


def week_nav(label, week, on_step) -> rx.Component:
    """A row: "Earlier", the week's label, "Later".

    Args:
        label: the state var holding the week's label.
        week: the state var holding the week index (0 = from today).
        on_step: the event handler taking -1 or +1.
    """
    return rx.hstack(
        rx.button(
            rx.icon("chevron_left", size=16),
            "Earlier",
            variant="soft",
            disabled=week == 0,
            on_click=on_step(-1),
            id="week-earlier",
        ),
        rx.text(label, weight="medium", align="center", id="week-label"),
        rx.button(
            "Later",
            rx.icon("chevron_right", size=16),
            variant="soft",
            on_click=on_step(1),
            id="week-later",
        ),
        justify="between",
        align="center",
        width="100%",
        wrap="wrap",
    )
