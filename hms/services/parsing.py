"""Turn form strings into typed values, or say which field to fix."""

from datetime import date, time

from hms.errors import ValidationError


def parse_date(text: str, *, field: str) -> date:
    """Parse an ISO date such as 2026-12-08 (what date inputs send).

    Raises:
        ValidationError: empty or not a date.
    """
    try:
        return date.fromisoformat((text or "").strip())
    except ValueError:
        raise ValidationError("Enter a date as YYYY-MM-DD.", field=field) from None


def parse_time(text: str, *, field: str) -> time:
    """Parse a time of day such as 09:30 (what time inputs send).

    Raises:
        ValidationError: empty or not a time.
    """
    try:
        parsed = time.fromisoformat((text or "").strip())
    except ValueError:
        raise ValidationError("Enter a time as HH:MM.", field=field) from None
    return parsed.replace(second=0, microsecond=0)


def parse_int(text: str, *, field: str, minimum: int, maximum: int) -> int:
    """Parse a whole number between `minimum` and `maximum`.

    Raises:
        ValidationError: not a number, or out of range.
    """
    message = f"Enter a whole number from {minimum} to {maximum}."
    try:
        value = int((text or "").strip())
    except ValueError:
        raise ValidationError(message, field=field) from None
    if not minimum <= value <= maximum:
        raise ValidationError(message, field=field)
    return value


# Ids are 32-bit integers in both databases.
MAX_ID = 2**31 - 1


def parse_id(value: object, *, field: str) -> int:
    """Parse a row id sent by the browser (a positive whole number).

    Raises:
        ValidationError: not a valid id.
    """
    return parse_int(str(value), field=field, minimum=1, maximum=MAX_ID)
