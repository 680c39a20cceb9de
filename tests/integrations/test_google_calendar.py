"""Google Calendar client: requests sent and how Google's answers are classified."""

import dataclasses
import json
import re

import pytest
from googleapiclient.http import HttpMockSequence

from hms.config import settings
from hms.integrations.google_calendar import (
    CalendarApiError,
    CalendarTokenRevokedError,
    delete_event,
    event_id_for,
    insert_event,
)

GOOGLE = dataclasses.replace(
    settings, google_client_id="client-id", google_client_secret="client-secret"
)
TOKEN_OK = ({"status": "200"}, json.dumps({"access_token": "at", "expires_in": 3600}))
INVALID_GRANT = (
    {"status": "400"},
    json.dumps({"error": "invalid_grant", "error_description": "Token revoked."}),
)
EVENT_ID = event_id_for(7, 3)
EVENT = {
    "id": EVENT_ID,
    "summary": "Appointment with Dr. Who",
    "start": {"dateTime": "2026-12-08T10:00:00+01:00", "timeZone": "Europe/Berlin"},
    "end": {"dateTime": "2026-12-08T10:30:00+01:00", "timeZone": "Europe/Berlin"},
}


def _error(status: int, reason: str = "backendError") -> tuple[dict, str]:
    body = {"error": {"code": status, "message": "x", "errors": [{"reason": reason}]}}
    return {"status": str(status)}, json.dumps(body)


def _insert(http: HttpMockSequence) -> str:
    return insert_event(refresh_token="rt", event=EVENT, settings=GOOGLE, http=http)


def _delete(http: HttpMockSequence) -> None:
    delete_event(refresh_token="rt", event_id=EVENT_ID, settings=GOOGLE, http=http)


def test_event_id_for_is_base32hex_and_stable():
    """Event ids use only a-v and 0-9, fit Google's length rule, and repeat."""
    assert re.fullmatch(r"[a-v0-9]{5,1024}", EVENT_ID)
    assert event_id_for(7, 3) == EVENT_ID
    assert event_id_for(7, 4) != EVENT_ID


def test_insert_event_success_sends_primary_calendar_and_body():
    """The token is refreshed, then the event is POSTed to the primary calendar."""
    http = HttpMockSequence([TOKEN_OK, ({"status": "200"}, json.dumps(EVENT))])

    assert _insert(http) == EVENT_ID

    (token_uri, token_method, token_body, _), (uri, method, body, headers) = (
        http.request_sequence
    )
    assert (token_method, token_uri) == ("POST", "https://oauth2.googleapis.com/token")
    assert b"refresh_token=rt" in token_body
    assert method == "POST"
    assert uri.startswith(
        "https://www.googleapis.com/calendar/v3/calendars/primary/events?"
    )
    assert "sendUpdates=none" in uri
    assert headers["authorization"] == "Bearer at"
    sent = json.loads(body)
    assert sent["id"] == EVENT_ID
    assert sent["start"] == EVENT["start"] and sent["end"] == EVENT["end"]


def test_insert_event_conflict_counts_as_created():
    """A 409 means an earlier attempt created the event: success."""
    http = HttpMockSequence([TOKEN_OK, _error(409, "duplicate")])
    assert _insert(http) == EVENT_ID


def test_insert_event_invalid_grant_is_token_revoked():
    """Google refusing the refresh token is the distinct revoked error."""
    http = HttpMockSequence([INVALID_GRANT])
    with pytest.raises(CalendarTokenRevokedError):
        _insert(http)
    assert len(http.request_sequence) == 1


def test_insert_event_unauthorized_is_token_revoked():
    """A 401 that survives the client's own refresh-and-retry means revoked."""
    http = HttpMockSequence([TOKEN_OK, _error(401)] * 3)
    with pytest.raises(CalendarTokenRevokedError):
        _insert(http)


@pytest.mark.parametrize(
    ("answer", "retryable"),
    [
        (_error(500), True),
        (_error(503), True),
        (_error(429, "rateLimitExceeded"), True),
        (_error(403, "rateLimitExceeded"), True),
        (_error(403, "forbidden"), False),
        (_error(400, "invalid"), False),
    ],
)
def test_insert_event_errors_are_classified(answer, retryable):
    """Rate limits and server errors are retryable; other refusals are not."""
    http = HttpMockSequence([TOKEN_OK, answer])
    with pytest.raises(CalendarApiError) as caught:
        _insert(http)
    assert caught.value.retryable is retryable


def test_insert_event_network_failure_is_retryable():
    """A connection error is worth retrying."""

    class Broken(HttpMockSequence):
        def request(self, *args, **kwargs):
            raise ConnectionResetError("reset")

    with pytest.raises(CalendarApiError) as caught:
        _insert(Broken([]))
    assert caught.value.retryable


def test_delete_event_sends_delete_for_the_event_id():
    """Deleting addresses the event by id in the primary calendar."""
    http = HttpMockSequence([TOKEN_OK, ({"status": "204"}, "")])
    _delete(http)
    uri, method, _, _ = http.request_sequence[-1]
    assert method == "DELETE"
    assert uri.startswith(
        f"https://www.googleapis.com/calendar/v3/calendars/primary/events/{EVENT_ID}"
    )


@pytest.mark.parametrize("status", [404, 410])
def test_delete_event_already_gone_is_done(status):
    """An event that is already gone counts as deleted."""
    http = HttpMockSequence([TOKEN_OK, _error(status, "notFound")])
    _delete(http)


def test_delete_event_server_error_is_retryable():
    """A 500 on delete can be retried."""
    http = HttpMockSequence([TOKEN_OK, _error(500)])
    with pytest.raises(CalendarApiError) as caught:
        _delete(http)
    assert caught.value.retryable
