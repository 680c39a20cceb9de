"""The HTTP face of the email function: ``POST /email`` behind a bearer token."""

from __future__ import annotations

import hmac
import ipaddress
import json
import logging
import re
import uuid
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from email_service.core import handle_email
from email_service.logs import log_request, request_id_var
from email_service.settings import EmailSettings

logger = logging.getLogger(__name__)

# Three bodies of 100,000 characters, each up to 4 bytes in UTF-8, plus room
# for JSON escaping; anything bigger is refused before it is parsed.
MAX_REQUEST_BYTES = 2_000_000

_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,100}")


class _Refused(Exception):
    """The request is answered before it reaches the core."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(body["status"])
        self.status = status
        self.body = body


def create_app(
    *, settings: EmailSettings | None = None, allow_anonymous: bool = False
) -> Starlette:
    """Build the Starlette app serving ``POST /email``.

    With ``EMAIL_SERVICE_TOKEN`` set, every request must carry it as
    ``Authorization: Bearer <token>``. Without it, every request is refused
    unless ``allow_anonymous`` is set, and even then only loopback clients are
    served: the local server sets it when bound to loopback, the Lambda entry
    never does, so a deployed function is never an open relay.

    Args:
        settings: Delivery settings and token; read from the environment when
            ``None``.
        allow_anonymous: Serve loopback clients when no token is configured.

    Returns:
        The ASGI app.
    """
    settings = settings or EmailSettings.from_env()

    async def post_email(request: Request) -> JSONResponse:
        request_id = _request_id(request)
        request_id_var.set(request_id)
        try:
            _authorize(request, settings=settings, allow_anonymous=allow_anonymous)
            payload = await _read_json(request)
        except _Refused as refused:
            log_request(logger, status=refused.status, outcome=refused.body["status"])
            return _respond(refused.status, refused.body, request_id=request_id)

        status, body = await run_in_threadpool(handle_email, payload, settings=settings)
        return _respond(status, body, request_id=request_id)

    return Starlette(routes=[Route("/email", post_email, methods=["POST"])])


def is_loopback(host: str | None) -> bool:
    """Tell whether a host name or address is this machine's loopback."""
    if host == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host or "")
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return (mapped or address).is_loopback


def _authorize(
    request: Request, *, settings: EmailSettings, allow_anonymous: bool
) -> None:
    """Raise ``_Refused`` (401) unless the caller may send mail."""
    if settings.token is None:
        client = request.client.host if request.client else None
        if allow_anonymous and is_loopback(client):
            return
        detail = "EMAIL_SERVICE_TOKEN is not configured on the email function"
        raise _Refused(401, {"status": "unauthorized", "detail": detail})

    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    expected = settings.token.encode()
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        token.strip().encode(), expected
    ):
        detail = "send Authorization: Bearer <EMAIL_SERVICE_TOKEN>"
        raise _Refused(401, {"status": "unauthorized", "detail": detail})


async def _read_json(request: Request) -> Any:
    """Read and decode the body, refusing oversize or malformed JSON (400)."""
    too_large = _Refused(
        400,
        {
            "status": "invalid",
            "errors": {"body": f"must be at most {MAX_REQUEST_BYTES} bytes"},
        },
    )
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_REQUEST_BYTES:
        raise too_large

    # Read in chunks so a lying or missing Content-Length cannot make us
    # buffer an unbounded body.
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_REQUEST_BYTES:
            raise too_large
    try:
        return json.loads(body)
    except ValueError as error:
        errors = {"body": "must be valid UTF-8 JSON"}
        raise _Refused(400, {"status": "invalid", "errors": errors}) from error


def _request_id(request: Request) -> str:
    """Use Lambda's request id, else a well-formed X-Request-Id, else a new id."""
    context = request.scope.get("aws.context")
    aws_id = getattr(context, "aws_request_id", None)
    if isinstance(aws_id, str) and aws_id:
        return aws_id
    given = request.headers.get("x-request-id", "")
    return given if _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex


def _respond(status: int, body: dict[str, Any], *, request_id: str) -> JSONResponse:
    """Answer with JSON, echoing the request id and the auth scheme on 401."""
    headers = {"X-Request-Id": request_id}
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    return JSONResponse(body, status_code=status, headers=headers)
