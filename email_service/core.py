"""Handle one email request in-process: validate, build, deliver, answer."""

from __future__ import annotations

import logging
import time
from typing import Any

from email_service.logs import log_request, recipient_domain
from email_service.message import build_message
from email_service.recent import RecentKeys
from email_service.settings import EmailSettings
from email_service.transport import DeliveryError, deliver
from email_service.validation import InvalidRequest, parse_request

logger = logging.getLogger(__name__)

RECENT_KEYS_MAX = 1000

# Shared by every call in this process, whatever the settings: a key is one
# message however it was delivered.
_recent = RecentKeys(maxsize=RECENT_KEYS_MAX)


def handle_email(
    payload: dict, *, settings: EmailSettings | None = None
) -> tuple[int, dict]:
    """Validate a request, build the message and send it (or write ``.eml``).

    Authentication is the HTTP layer's job; the app's outbox dispatcher calls
    this directly when no EMAIL_LAMBDA_URL is set.

    Args:
        payload: The JSON contract: ``to``, ``to_name``, ``subject``, ``text``,
            ``html``, ``ics``, ``idempotency_key``.
        settings: How to deliver; read from the environment when ``None``.

    Returns:
        ``(http_status, json_body)``: 202 sent or duplicate, 400 invalid,
        503 temporary delivery failure, 502 permanent refusal, 500 on a bug.
    """
    settings = settings or EmailSettings.from_env()
    started = time.monotonic()
    try:
        status, body, log_fields = _process(payload, settings)
    except Exception:
        # A bug rather than bad input or a relay fault: keep the traceback and
        # answer 500, which the caller retries like any server error.
        logger.exception("email request failed unexpectedly")
        status, body, log_fields = 500, {"status": "error"}, {}
    fields = payload if isinstance(payload, dict) else {}
    log_request(
        logger,
        idempotency_key=_loggable_key(fields.get("idempotency_key")),
        recipient_domain=recipient_domain(fields.get("to")),
        status=status,
        outcome=body["status"],
        duration_ms=round((time.monotonic() - started) * 1000),
        **log_fields,
    )
    return status, body


def _process(payload: Any, settings: EmailSettings) -> tuple[int, dict, dict]:
    """Do the work; return (status, response body, extra log fields)."""
    try:
        request = parse_request(payload)
    except InvalidRequest as error:
        return (
            400,
            {"status": "invalid", "errors": error.errors},
            {"invalid_fields": sorted(name[:50] for name in error.errors)},
        )

    key = request.idempotency_key
    sent_as = _recent.get(key)
    if sent_as is not None:
        return 202, {"status": "duplicate", "message_id": sent_as}, {}

    message = build_message(request, sender=settings.sender)
    try:
        transport = deliver(message, to=request.to, key=key, settings=settings)
    except DeliveryError as error:
        return _failure(error)

    message_id = str(message["Message-ID"])
    _recent.add(key, message_id)
    return 202, {"status": "sent", "message_id": message_id}, {"transport": transport}


def _failure(error: DeliveryError) -> tuple[int, dict, dict]:
    """Answer 503 for a failure a retry may cure, 502 for a permanent one."""
    status = 503 if error.temporary else 502
    outcome = "temporary_failure" if error.temporary else "permanent_failure"
    body = {"status": outcome, "detail": str(error)}
    return (
        status,
        body,
        {"smtp_code": error.smtp_code, "cause": type(error.__cause__).__name__},
    )


def _loggable_key(key: Any) -> str | None:
    """Return the idempotency key, capped, or ``None`` if absent or not text."""
    return key[:200] if isinstance(key, str) else None
