"""Domain errors; each message is fit to show the user as it is."""


class HMSError(Exception):
    """Base of every error a service raises on purpose.

    Args:
        message: what happened and what to do, in plain words.
        field: the form field the message belongs to, when there is one.
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class ValidationError(HMSError):
    """Input that breaks a rule; nothing was written."""


class NotAuthenticatedError(HMSError):
    """No valid session: the user must log in."""


class PermissionDeniedError(HMSError):
    """The user is logged in but may not do this."""


class NotFoundError(HMSError):
    """The thing asked for does not exist (or is not the user's to see)."""


class InvalidCredentialsError(HMSError):
    """Login failed; the same message for unknown email and wrong password."""


class EmailTakenError(ValidationError):
    """Another account already uses this email address."""


class SlotUnavailableError(HMSError):
    """The time was just taken, removed, or is otherwise not bookable."""


class ConflictError(HMSError):
    """The change clashes with existing data (an overlap, a booked slot)."""


class DeliveryError(Exception):
    """An outbox message could not be delivered this time.

    Args:
        detail: what went wrong, for the message's `last_error` (no secrets).
        retryable: False when retrying cannot help; the message goes dead.
    """

    def __init__(self, detail: str, *, retryable: bool = True) -> None:
        super().__init__(detail)
        self.detail = detail
        self.retryable = retryable
