"""Hand one email to the email function, over HTTP or in this process."""

import logging
from dataclasses import replace

import requests

from hms.config import Settings, settings
from hms.errors import DeliveryError

logger = logging.getLogger(__name__)

# (connect, read) seconds: connecting is quick or the function is down; the
# read covers the function's own SMTP exchange (its timeout is 10 s).
TIMEOUTS = (3.05, 20.0)
# Answers no retry can change: a bad request, a bad token, a body too large.
PERMANENT = frozenset({400, 401, 403, 413, 422})


def send_email(
    *,
    payload: dict,
    idempotency_key: str,
    settings: Settings = settings,
    http: requests.Session | None = None,
) -> None:
    """Deliver one email; return only when the email function accepted it.

    With `EMAIL_LAMBDA_URL` set, POST it there with the bearer token; without,
    call the email function's handler in this process.

    Args:
        payload: The stored message: to, to_name, subject, text, html, ics.
        idempotency_key: Sent along so a retry never sends a second email.
        settings: The settings to use (tests pass their own).
        http: A requests session to reuse connections; one call otherwise.

    Raises:
        DeliveryError: `retryable` False for answers a retry cannot change.
    """
    body = _request_body(payload, idempotency_key)
    if settings.email_lambda_url:
        status, detail = _post(body, settings=settings, http=http)
    else:
        status, detail = _call_in_process(body, settings=settings)
    _classify(status, detail)


def _request_body(payload: dict, idempotency_key: str) -> dict:
    """The JSON the email function takes: the stored fields plus the key."""
    body = {name: value for name, value in payload.items() if value is not None}
    body["idempotency_key"] = idempotency_key
    return body


def _post(
    body: dict, *, settings: Settings, http: requests.Session | None
) -> tuple[int, str]:
    """POST to the email function; connection trouble is retryable."""
    headers = {"Authorization": f"Bearer {settings.email_service_token or ''}"}
    post = http.post if http is not None else requests.post
    try:
        # A redirect would turn the POST into a GET; treat it as an answer.
        response = post(
            settings.email_lambda_url,
            json=body,
            headers=headers,
            timeout=TIMEOUTS,
            allow_redirects=False,
        )
    except requests.RequestException as error:
        # The exception text can hold the URL; the class name is enough.
        raise DeliveryError(
            f"email function unreachable: {type(error).__name__}"
        ) from error
    return response.status_code, _error_of(response)


def _error_of(response: requests.Response) -> str:
    """A short reason from the function's JSON answer, if it gave one."""
    if 200 <= response.status_code < 300:
        return ""
    try:
        answer = response.json()
    except ValueError:
        return ""
    return _reason(answer)


def _reason(answer: object) -> str:
    """Name what went wrong without repeating any of the message's content.

    For invalid input only the field names are kept: the reasons may quote
    parts of an address, and `last_error` ends up in logs and staff pages.
    """
    if not isinstance(answer, dict):
        return ""
    errors = answer.get("errors")
    if isinstance(errors, dict):
        return "invalid " + ", ".join(sorted(str(name)[:50] for name in errors))
    detail = answer.get("detail") or answer.get("status")
    return str(detail)[:200] if detail else ""


def _call_in_process(body: dict, *, settings: Settings) -> tuple[int, str]:
    """Run the email function's handler here (it writes .eml files by default)."""
    try:
        # Imported late: the email function is its own deployable, needed here
        # only when the app has no URL to call.
        from email_service.core import EmailSettings, handle_email

        email_settings = EmailSettings.from_env()
        if not email_settings.smtp_host:
            email_settings = replace(email_settings, mail_dir=settings.mail_dir)
        status, answer = handle_email(body, settings=email_settings)
    except Exception as error:
        logger.exception("email function failed in process")
        raise DeliveryError(f"email function failed: {type(error).__name__}") from error
    return status, _reason(answer)


def _classify(status: int, detail: str) -> None:
    """Return on success (202); raise a DeliveryError saying whether to retry.

    SMTP refusals come back as 502/503 and are retried too: a relay that
    refuses everything is usually misconfigured, and fixed within the retries.
    """
    if 200 <= status < 300:
        return
    message = f"email function answered {status}" + (f": {detail}" if detail else "")
    raise DeliveryError(message, retryable=status not in PERMANENT)
