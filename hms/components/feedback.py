"""Alerts, empty lists and loading placeholders."""

import reflex as rx

from hms.states.auth import AuthState


def alert_callout() -> rx.Component:
    """The current form's alert (e.g. "This time was just taken…"), if any."""
    return rx.cond(
        AuthState.alert_message != "",
        rx.callout(
            AuthState.alert_message,
            icon="triangle_alert",
            color_scheme="red",
            role="alert",
            id="alert",
            width="100%",
        ),
    )


def empty_state(message: str, *children: rx.Component) -> rx.Component:
    """A quiet card saying a list is empty, with optional next steps."""
    return rx.card(
        rx.vstack(
            rx.icon("inbox", color=rx.color("gray", 9)),
            rx.text(message, color_scheme="gray"),
            *children,
            align="center",
            spacing="2",
        ),
        width="100%",
        class_name="empty-state",
    )


def loading_state(label: str = "Loading…") -> rx.Component:
    """A spinner with a label, shown while a list loads."""
    return rx.hstack(
        rx.spinner(size="2"),
        rx.text(label, color_scheme="gray"),
        align="center",
        spacing="2",
        padding_y="1rem",
        role="status",
    )
