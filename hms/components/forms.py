"""Labelled form fields with their error message underneath."""

import reflex as rx

from hms.services.accounts import list_picker_timezones
from hms.states.auth import AuthState
from hms.states.errors import field_key


def field_error(key: str) -> rx.Component:
    """The message for field `key` in AuthState.field_errors, when there is one."""
    return rx.cond(
        AuthState.field_errors.contains(key),
        rx.text(
            AuthState.field_errors.get(key, ""),
            color_scheme="red",
            size="2",
            role="alert",
            id=f"{key.replace('.', '-')}-error",
        ),
    )


def form_field(
    label: str,
    control: rx.Component,
    *,
    name: str,
    form: str = "",
    hint: str = "",
) -> rx.Component:
    """A label, the control, an optional hint and the field's error message.

    Args:
        label: the visible label.
        control: the input, select, textarea...
        name: the field name services use in their errors (e.g. "email").
        form: the form's prefix in `field_errors`, for pages with several forms.
        hint: a short rule shown under the control (e.g. length limits).
    """
    # Tie the label to the control, so screen readers announce it and a click
    # on the label focuses the field.
    control_id = getattr(control, "id", None)
    return rx.vstack(
        rx.text(
            label,
            as_="label",
            size="2",
            weight="medium",
            html_for=control_id if isinstance(control_id, str) else None,
        ),
        control,
        rx.text(hint, size="1", color_scheme="gray") if hint else rx.fragment(),
        field_error(field_key(form, name)),
        spacing="1",
        width="100%",
        align="stretch",
    )


def text_input(name: str, *, id: str = "", **props) -> rx.Component:
    """An input whose form field is `name` and whose element id defaults to it."""
    return rx.input(name=name, id=id or name.replace("_", "-"), width="100%", **props)


def timezone_select(value, on_change, *, name: str = "timezone") -> rx.Component:
    """A select of the IANA timezones (Region/City names and UTC)."""
    return rx.select(
        list_picker_timezones(),
        value=value,
        on_change=on_change,
        name=name,
        id=name,
        width="100%",
        position="popper",
    )
