"""The page for addresses that don't exist, inside the usual layout."""

import reflex as rx

from hms import routes
from hms.components.layout import page_layout
from hms.states.auth import AuthState


@rx.page(route="404", title="Page not found — HMS", on_load=AuthState.load_session)
def not_found() -> rx.Component:
    """Says the address is wrong and offers the way back."""
    return page_layout(
        "Page not found",
        rx.text("There is no page at this address. Check it, or start again here:"),
        rx.link(rx.button("Go to the start page"), href=routes.INDEX),
    )
