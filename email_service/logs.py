"""One JSON log line per request, tagged with the current request id."""

from __future__ import annotations

import json
import logging
import uuid
from contextvars import ContextVar
from typing import Any

logger = logging.getLogger(__name__)

# Set by the HTTP layer for the request it serves; in-process callers get a
# fresh id per call.
request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)


def current_request_id() -> str:
    """Return the id of the request being served, or a new one."""
    return request_id_var.get() or uuid.uuid4().hex


def recipient_domain(address: Any) -> str | None:
    """Return the domain of an address, which is all the log may hold of it."""
    if not isinstance(address, str) or "@" not in address:
        return None
    return address.rpartition("@")[2][:255].lower()


def log_request(target: logging.Logger, **fields: Any) -> None:
    """Write one JSON line describing a request's outcome.

    Args:
        target: The calling module's logger.
        **fields: Ids, outcome and status; never bodies or full addresses.
    """
    record = {"event": "email_request", "request_id": current_request_id(), **fields}
    level = logging.WARNING if fields.get("status", 0) >= 400 else logging.INFO
    target.log(level, json.dumps(record, sort_keys=True))
