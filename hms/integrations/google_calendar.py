"""Google Calendar v3: insert and delete one event in a user's calendar."""

import base64
import hashlib
import logging
from functools import cache
from importlib import resources

import google_auth_httplib2
import httplib2
from google.auth.exceptions import RefreshError, TransportError
from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build_from_document
from googleapiclient.errors import HttpError

from hms import config
from hms.config import Settings

logger = logging.getLogger(__name__)

CALENDAR_SCOPE = "https://www.googleapis.com/auth/calendar.events"
TOKEN_URI = "https://oauth2.googleapis.com/token"
PRIMARY_CALENDAR = "primary"
HTTP_TIMEOUT_SECONDS = 20

# Google answers these when it is busy or down; trying later helps.
_RETRYABLE_STATUSES = {408, 429, 500, 502, 503, 504}
_RATE_LIMIT_REASONS = {"rateLimitExceeded", "userRateLimitExceeded", "quotaExceeded"}


class CalendarTokenRevokedError(Exception):
    """Google no longer accepts the user's refresh token (revoked or expired)."""


class CalendarApiError(Exception):
    """A call to Google failed; `retryable` says whether trying later can help.

    Args:
        detail: what failed, without tokens or personal data.
        retryable: True for rate limits, server errors and network failures.
    """

    def __init__(self, detail: str, *, retryable: bool) -> None:
        super().__init__(detail)
        self.detail = detail
        self.retryable = retryable


def event_id_for(appointment_id: int, user_id: int) -> str:
    """The event id HMS uses for one appointment in one user's calendar.

    Deterministic, so a retried insert finds the event of the first attempt
    (Google answers 409). Google wants base32hex: lowercase a-v and 0-9.
    """
    digest = hashlib.sha256(f"hms:{appointment_id}:{user_id}".encode()).digest()
    encoded = base64.b32hexencode(digest).decode("ascii").rstrip("=").lower()
    return "hms" + encoded


@cache
def _discovery_document() -> str:
    """The Calendar v3 discovery document shipped with google-api-python-client."""
    documents = resources.files("googleapiclient.discovery_cache") / "documents"
    return (documents / "calendar.v3.json").read_text(encoding="utf-8")


def _credentials(refresh_token: str, settings: Settings) -> Credentials:
    """Credentials that fetch an access token from `refresh_token` on first use."""
    return Credentials(
        token=None,
        refresh_token=refresh_token,
        token_uri=TOKEN_URI,
        client_id=settings.google_client_id,
        client_secret=settings.google_client_secret,
        scopes=[CALENDAR_SCOPE],
    )


def build_calendar_service(
    *,
    refresh_token: str,
    settings: Settings = config.settings,
    http: httplib2.Http | None = None,
):
    """A Calendar v3 client acting for the owner of `refresh_token`.

    Args:
        refresh_token: the user's decrypted refresh token.
        settings: settings with the OAuth client id and secret.
        http: the transport (tests pass an HttpMockSequence); the token
            refresh goes through it too.

    Returns:
        A googleapiclient Resource for Calendar v3.
    """
    transport = http or httplib2.Http(timeout=HTTP_TIMEOUT_SECONDS)
    authorized = google_auth_httplib2.AuthorizedHttp(
        _credentials(refresh_token, settings), http=transport
    )
    return build_from_document(_discovery_document(), http=authorized)


def _error_reasons(error: HttpError) -> set[str]:
    details = error.error_details if isinstance(error.error_details, list) else []
    return {item.get("reason", "") for item in details if isinstance(item, dict)}


def _classify_http_error(error: HttpError, action: str) -> Exception:
    """Turn Google's HTTP error into a revoked-token or API error."""
    status = error.status_code
    if status == 401:
        return CalendarTokenRevokedError(f"{action}: Google answered 401")
    retryable = status in _RETRYABLE_STATUSES or (
        status == 403 and bool(_error_reasons(error) & _RATE_LIMIT_REASONS)
    )
    return CalendarApiError(f"{action}: Google answered {status}", retryable=retryable)


def _classify_refresh_error(error: RefreshError, action: str) -> Exception:
    """invalid_grant means the user revoked access or the token expired."""
    data = error.args[1] if len(error.args) > 1 else None
    code = data.get("error") if isinstance(data, dict) else None
    if code == "invalid_grant" or "invalid_grant" in str(error.args[:1]):
        return CalendarTokenRevokedError(f"{action}: refresh token refused")
    logger.warning("Google token refresh failed during %s: %s", action, code)
    return CalendarApiError(
        f"{action}: token refresh failed ({code or 'unknown'})",
        retryable=bool(getattr(error, "retryable", False)),
    )


def _call(request, action: str) -> dict:
    """Execute `request`, turning every failure into one of this module's errors."""
    try:
        return request.execute()
    except HttpError as error:
        raise _classify_http_error(error, action) from error
    except RefreshError as error:
        raise _classify_refresh_error(error, action) from error
    except (TransportError, httplib2.HttpLib2Error, OSError) as error:
        raise CalendarApiError(
            f"{action}: network error ({type(error).__name__})", retryable=True
        ) from error


def insert_event(
    *,
    refresh_token: str,
    event: dict,
    calendar_id: str = PRIMARY_CALENDAR,
    settings: Settings = config.settings,
    http: httplib2.Http | None = None,
) -> str:
    """Create `event` (which carries its own `id`) in the user's calendar.

    Args:
        refresh_token: the user's decrypted refresh token.
        event: the Calendar v3 event resource, including `id`.
        calendar_id: which calendar; the user's main one by default.
        settings: settings with the OAuth client id and secret.
        http: the transport, for tests.

    Returns:
        The event id. A 409 (the id exists: an earlier attempt got through)
        counts as success.

    Raises:
        CalendarTokenRevokedError: Google no longer accepts the token.
        CalendarApiError: anything else; see its `retryable`.
    """
    service = build_calendar_service(
        refresh_token=refresh_token, settings=settings, http=http
    )
    request = service.events().insert(
        calendarId=calendar_id, body=event, sendUpdates="none"
    )
    try:
        created = _call(request, "insert event")
    except CalendarApiError as error:
        if (
            isinstance(error.__cause__, HttpError)
            and error.__cause__.status_code == 409
        ):
            logger.info("Calendar event already existed; treating as created")
            return event["id"]
        raise
    return created.get("id", event["id"])


def delete_event(
    *,
    refresh_token: str,
    event_id: str,
    calendar_id: str = PRIMARY_CALENDAR,
    settings: Settings = config.settings,
    http: httplib2.Http | None = None,
) -> None:
    """Delete one event; an event already gone (404 or 410) counts as deleted.

    Args:
        refresh_token: the user's decrypted refresh token.
        event_id: the id HMS gave the event.
        calendar_id: which calendar; the user's main one by default.
        settings: settings with the OAuth client id and secret.
        http: the transport, for tests.

    Raises:
        CalendarTokenRevokedError: Google no longer accepts the token.
        CalendarApiError: anything else; see its `retryable`.
    """
    service = build_calendar_service(
        refresh_token=refresh_token, settings=settings, http=http
    )
    request = service.events().delete(
        calendarId=calendar_id, eventId=event_id, sendUpdates="none"
    )
    try:
        _call(request, "delete event")
    except CalendarApiError as error:
        cause = error.__cause__
        if isinstance(cause, HttpError) and cause.status_code in (404, 410):
            logger.info("Calendar event was already gone")
            return
        raise
