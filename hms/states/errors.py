"""Turn errors raised by services into what the user sees, in one place."""

import logging

import reflex as rx

from hms import routes
from hms.errors import HMSError, NotAuthenticatedError

logger = logging.getLogger(__name__)

GENERIC_MESSAGE = "Something went wrong, please try again."
LOGIN_AGAIN_MESSAGE = "You are logged out, so nothing was changed. Please log in."


def field_key(form: str, field: str) -> str:
    """The key of a field's message in `field_errors`: `form.field` or `field`."""
    return f"{form}.{field}" if form else field


def user_message(exc: BaseException) -> str:
    """The text to show for `exc`: a domain error's own message, else a generic one."""
    if isinstance(exc, HMSError):
        return exc.message
    return GENERIC_MESSAGE


def feedback_for(
    exc: BaseException, *, form: str = "", fields: tuple[str, ...] = ()
) -> tuple[dict[str, str], str, rx.event.EventSpec | list | None]:
    """What to show for `exc`: (field messages, alert text, event to return).

    Unexpected exceptions are logged with their traceback and shown as a
    generic message; their text never reaches the browser.

    Args:
        exc: the exception a handler caught.
        form: prefix of the field keys, for pages with several forms.
        fields: the fields the form shows messages next to; a message for any
            other field goes to the alert instead, so none is lost.

    Returns:
        Field messages to merge into `field_errors`, the alert text (may be
        empty) and an event (toast or redirect) for the handler to return.
    """
    if isinstance(exc, NotAuthenticatedError):
        # The login page clears alerts on load, so say it in a toast too.
        return (
            {},
            LOGIN_AGAIN_MESSAGE,
            [rx.toast.info(LOGIN_AGAIN_MESSAGE), rx.redirect(routes.LOGIN)],
        )
    if isinstance(exc, HMSError):
        if exc.field and exc.field in fields:
            return {field_key(form, exc.field): exc.message}, "", None
        return {}, exc.message, rx.toast.error(exc.message)
    logger.exception("unexpected error in an event handler")
    return {}, GENERIC_MESSAGE, rx.toast.error(GENERIC_MESSAGE)
