"""The profile page's Google Calendar card: connect, disconnect, reconnect."""

import reflex as rx

from hms.states.calendar import CalendarState

BROKEN_MESSAGE = (
    "Your Google Calendar connection stopped working — reconnect your "
    "Google Calendar so new appointments appear in it again."
)


def _notice() -> rx.Component:
    """What the last connect attempt did (after Google sent the user back)."""
    return rx.cond(
        CalendarState.notice != "",
        rx.callout(
            CalendarState.notice,
            icon=rx.cond(CalendarState.notice_is_error, "triangle_alert", "check"),
            color_scheme=rx.cond(CalendarState.notice_is_error, "red", "green"),
            role=rx.cond(CalendarState.notice_is_error, "alert", "status"),
            width="100%",
        ),
    )


def _connected() -> rx.Component:
    return rx.hstack(
        rx.text(
            "Connected to ",
            rx.text.strong(
                rx.cond(
                    CalendarState.account_email != "",
                    CalendarState.account_email,
                    "your Google account",
                )
            ),
        ),
        rx.spacer(),
        rx.button(
            "Disconnect",
            variant="soft",
            color_scheme="gray",
            on_click=CalendarState.disconnect_calendar,
            id="calendar-disconnect",
        ),
        align="center",
        width="100%",
    )


def _broken() -> rx.Component:
    return rx.vstack(
        rx.callout(
            BROKEN_MESSAGE,
            icon="triangle_alert",
            color_scheme="amber",
            role="alert",
            width="100%",
        ),
        rx.hstack(
            rx.button(
                "Reconnect Google Calendar",
                on_click=CalendarState.connect_calendar,
                id="calendar-reconnect",
            ),
            rx.button(
                "Disconnect",
                variant="soft",
                color_scheme="gray",
                on_click=CalendarState.disconnect_calendar,
            ),
        ),
        width="100%",
    )


def _not_connected() -> rx.Component:
    return rx.vstack(
        rx.text(
            "Add your appointments to your Google Calendar automatically.",
            color_scheme="gray",
        ),
        rx.button(
            "Connect Google Calendar",
            on_click=CalendarState.connect_calendar,
            id="calendar-connect",
        ),
        width="100%",
    )


def calendar_connection_card() -> rx.Component:
    """The card; hidden entirely when Google Calendar is not configured.

    Put `CalendarState.load_calendar` in the page's `on_load`.
    """
    return rx.cond(
        CalendarState.enabled,
        rx.card(
            rx.vstack(
                rx.heading("Google Calendar", size="4"),
                _notice(),
                rx.cond(
                    CalendarState.connected,
                    _connected(),
                    rx.cond(CalendarState.broken, _broken(), _not_connected()),
                ),
                spacing="3",
                width="100%",
            ),
            width="100%",
            id="calendar-card",
        ),
    )
