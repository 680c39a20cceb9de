"""Check an email request against the JSON contract and say what is wrong."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

from email_validator import EmailNotValidError, validate_email

logger = logging.getLogger(__name__)

MAX_SUBJECT = 200
MAX_NAME = 200
MAX_BODY = 100_000
MAX_ICS = 100_000
MAX_KEY = 200
MAX_ADDRESS = 254

# Field -> (required, longest allowed value in characters).
FIELDS: dict[str, tuple[bool, int]] = {
    "to": (True, MAX_ADDRESS),
    "to_name": (False, MAX_NAME),
    "subject": (True, MAX_SUBJECT),
    "text": (True, MAX_BODY),
    "html": (False, MAX_BODY),
    "ics": (False, MAX_ICS),
    "idempotency_key": (True, MAX_KEY),
}
HEADER_FIELDS = ("to", "to_name", "subject", "idempotency_key")

# Besides CR and LF, refuse every other control and Unicode line-break
# character: some mail software treats them as line ends, which would let a
# value start a new header.
_HEADER_UNSAFE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f\x85\u2028\u2029]")
_KEY_PATTERN = re.compile(r"[A-Za-z0-9._:-]+")


@dataclass(frozen=True)
class EmailRequest:
    """A request that passed validation; ``to`` is the normalised address."""

    to: str
    subject: str
    text: str
    idempotency_key: str
    to_name: str | None = None
    html: str | None = None
    ics: str | None = None


class InvalidRequest(Exception):
    """The request breaks the contract; ``errors`` maps field to reason."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(", ".join(sorted(errors)))
        self.errors = errors


def parse_request(payload: Any) -> EmailRequest:
    """Validate a decoded JSON payload.

    Args:
        payload: The decoded JSON body.

    Returns:
        The validated request.

    Raises:
        InvalidRequest: With one reason per offending field.
    """
    if not isinstance(payload, dict):
        raise InvalidRequest({"body": "must be a JSON object"})
    errors = {name: "is not a known field" for name in payload if name not in FIELDS}
    values: dict[str, str] = {}
    for name, (required, limit) in FIELDS.items():
        value, reason = _check_field(payload.get(name), required=required, limit=limit)
        if reason is None and value is not None:
            value, reason = _check_content(name, value)
        if reason is not None:
            errors[name] = reason
        elif value is not None:
            values[name] = value

    if errors:
        raise InvalidRequest(errors)
    return EmailRequest(**values)


def _check_field(
    value: Any, *, required: bool, limit: int
) -> tuple[str | None, str | None]:
    """Check presence, type and length; return (value, reason)."""
    if value is None or value == "":
        return None, "is required" if required else None
    if not isinstance(value, str):
        return None, "must be a string"
    if len(value) > limit:
        return None, f"must be at most {limit} characters (got {len(value)})"
    return value, None


def _check_content(name: str, value: str) -> tuple[str, str | None]:
    """Check what one field may contain; return (normalised value, reason)."""
    if name in HEADER_FIELDS and _HEADER_UNSAFE.search(value):
        return value, "must not contain line breaks or control characters"
    if name == "to":
        return _normalise_address(value)
    if name == "idempotency_key" and not _KEY_PATTERN.fullmatch(value):
        return value, "may contain only letters, digits and . _ : -"
    if name == "ics" and not value.lstrip().upper().startswith("BEGIN:VCALENDAR"):
        return value, "must be an iCalendar object starting with BEGIN:VCALENDAR"
    if name in ("subject", "text") and not value.strip():
        return value, "is required"
    return value, None


def _normalise_address(address: str) -> tuple[str, str | None]:
    """Validate the recipient; return (normalised address, reason)."""
    try:
        # ASCII-only local parts: an SMTPUTF8 address would fail at most
        # relays, so refuse it here with a reason instead of a 502 later.
        result = validate_email(
            address, check_deliverability=False, allow_smtputf8=False
        )
    except EmailNotValidError as error:
        return address, str(error)
    return result.ascii_email or result.normalized, None
