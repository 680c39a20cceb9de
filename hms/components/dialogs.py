"""A confirmation dialog holding one form: a hidden id, a reason, two buttons."""

import reflex as rx

from hms.components.forms import field_error


def _reason_input(*, label, textarea_id: str, hint: str, placeholder: str, error_key):
    return [
        rx.text(label, as_="label", size="2", weight="medium"),
        rx.text_area(
            name="reason",
            id=textarea_id,
            placeholder=placeholder,
            rows="3",
            width="100%",
        ),
        rx.text(hint, size="1", color_scheme="gray"),
        field_error(error_key),
    ]


def _actions(*, dismiss_label: str, confirm_label: str, confirm_id: str, color: str):
    return rx.flex(
        rx.dialog.close(
            rx.button(dismiss_label, variant="soft", color_scheme="gray", type="button")
        ),
        rx.button(confirm_label, type="submit", color_scheme=color, id=confirm_id),
        spacing="3",
        justify="end",
        wrap="wrap",
        width="100%",
    )


def reason_dialog(
    *,
    title: str,
    description: rx.Component | str,
    id_field: str,
    id_value,
    reason_label,
    reason_id: str,
    reason_hint: str,
    error_key: str,
    confirm_label: str,
    confirm_id: str,
    on_submit,
    is_open,
    on_open_change,
    dismiss_label: str = "Keep it",
    confirm_color: str = "red",
    placeholder: str = "",
) -> rx.Component:
    """A dialog whose form sends `id_field` (hidden) and `reason` to `on_submit`.

    Args:
        title: the question the dialog asks.
        description: what it is about (a var or text).
        id_field: the name of the hidden id input, e.g. "slot_id".
        id_value: the state var holding that id.
        reason_label: the label of the reason box (text or a var).
        reason_id: the element id of the reason box.
        reason_hint: the line under the box (its length limit).
        error_key: the `field_errors` key of the reason's message.
        confirm_label: the submit button's text.
        confirm_id: the submit button's element id.
        on_submit: the state's submit handler.
        is_open: the state var that opens the dialog.
        on_open_change: the state's handler for closing it.
        dismiss_label: the button that closes without doing anything.
        confirm_color: the submit button's colour.
        placeholder: an example shown in the empty reason box.
    """
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(title),
            rx.dialog.description(description),
            rx.form(
                rx.vstack(
                    rx.el.input(type="hidden", name=id_field, value=id_value),
                    *_reason_input(
                        label=reason_label,
                        textarea_id=reason_id,
                        hint=reason_hint,
                        placeholder=placeholder,
                        error_key=error_key,
                    ),
                    _actions(
                        dismiss_label=dismiss_label,
                        confirm_label=confirm_label,
                        confirm_id=confirm_id,
                        color=confirm_color,
                    ),
                    spacing="2",
                    width="100%",
                ),
                on_submit=on_submit,
            ),
        ),
        open=is_open,
        on_open_change=on_open_change,
    )
