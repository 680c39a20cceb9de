"""The Google OAuth callback route: good states connect, anything else changes nothing."""

import dataclasses
from urllib.parse import parse_qs, urlsplit

import pytest
from oauthlib.oauth2.rfc6749.errors import InvalidGrantError
from sqlmodel import Session, select
from starlette.testclient import TestClient

from hms.api import callback_path, create_api
from hms.config import settings
from hms.integrations import google_oauth
from hms.models import GoogleCalendarConnection, OAuthState
from hms.services import calendar_connection
from hms.services.calendar_connection import BROWSER_COOKIE
from hms.services.crypto import decrypt_text
from tests.factories import make_patient

GOOGLE = dataclasses.replace(
    settings, google_client_id="client-id", google_client_secret="client-secret"
)
PATH = callback_path(GOOGLE)
# The nonce the connecting browser keeps in its cookie.
BROWSER = "browser-nonce"


@pytest.fixture
def client(sqlite_engine):
    """A test client for the callback app on the per-test database."""
    app = create_api(settings=GOOGLE, engine=sqlite_engine)
    return TestClient(app, follow_redirects=False, cookies={BROWSER_COOKIE: BROWSER})


@pytest.fixture
def exchange(monkeypatch):
    """Replace Google's token endpoint; count the calls."""
    calls = []

    def fake_fetch_token(flow, *, code):
        calls.append(code)
        return {
            "access_token": "at",
            "refresh_token": "plain-refresh-token",
            "scope": " ".join(google_oauth.SCOPES),
        }

    monkeypatch.setattr(google_oauth, "fetch_token", fake_fetch_token)
    return calls


@pytest.fixture
def started(session):
    """A patient who clicked "Connect": returns (user, state)."""
    patient = make_patient(session)
    url = calendar_connection.start_connect(
        session=session,
        user_id=patient.id,
        browser_nonce=BROWSER,
        settings=GOOGLE,
    )
    session.commit()
    state = parse_qs(urlsplit(url).query)["state"][0]
    return patient, state


def _outcome(response) -> str:
    assert response.status_code == 303
    location = urlsplit(response.headers["location"])
    assert location.path == "/profile"
    return parse_qs(location.query)["calendar"][0]


def _connections(engine):
    with Session(engine) as fresh:
        return fresh.exec(select(GoogleCalendarConnection)).all()


def test_callback_path_follows_redirect_uri():
    """The route is the path of GOOGLE_REDIRECT_URI."""
    assert PATH == "/integrations/google/oauth2/callback/"


def test_callback_good_state_stores_encrypted_token(
    client, started, exchange, sqlite_engine
):
    """A valid state connects the user; the column holds ciphertext."""
    patient, state = started

    response = client.get(PATH, params={"state": state, "code": "c0de"})

    assert _outcome(response) == "connected"
    assert response.headers["cache-control"] == "no-store"
    assert exchange == ["c0de"]
    (connection,) = _connections(sqlite_engine)
    assert connection.user_id == patient.id
    assert "plain-refresh-token" not in connection.refresh_token_encrypted
    assert decrypt_text(connection.refresh_token_encrypted) == "plain-refresh-token"


def test_callback_without_trailing_slash_works(client, started, exchange):
    """The path also answers without its final slash."""
    _, state = started
    response = client.get(PATH.rstrip("/"), params={"state": state, "code": "c"})
    assert _outcome(response) == "connected"


@pytest.mark.parametrize(
    "params",
    [
        {"state": "not-the-state", "code": "c"},
        {"code": "c"},
        {"state": "", "code": "c"},
    ],
)
def test_callback_bad_or_missing_state_refused(
    client, started, exchange, sqlite_engine, params
):
    """An unknown or missing state is refused without calling Google."""
    response = client.get(PATH, params=params)

    assert _outcome(response) == "invalid_state"
    assert exchange == []
    assert _connections(sqlite_engine) == []


def test_callback_reused_state_refused(client, started, exchange, sqlite_engine):
    """Replaying a used state changes nothing."""
    _, state = started
    client.get(PATH, params={"state": state, "code": "c"})
    before = _connections(sqlite_engine)[0].refresh_token_encrypted

    response = client.get(PATH, params={"state": state, "code": "other"})

    assert _outcome(response) == "invalid_state"
    assert exchange == ["c"]
    assert _connections(sqlite_engine)[0].refresh_token_encrypted == before


def test_callback_access_denied_changes_nothing(
    client, started, exchange, sqlite_engine
):
    """The user pressing Cancel at Google is explained; nothing is stored."""
    _, state = started
    response = client.get(PATH, params={"state": state, "error": "access_denied"})

    assert _outcome(response) == "access_denied"
    assert exchange == []
    assert _connections(sqlite_engine) == []


def test_callback_exchange_failure_consumes_state(
    client, started, sqlite_engine, monkeypatch
):
    """If Google refuses the code, nothing connects and the state is spent."""
    _, state = started

    def failing_fetch_token(flow, *, code):
        raise InvalidGrantError()

    monkeypatch.setattr(google_oauth, "fetch_token", failing_fetch_token)

    response = client.get(PATH, params={"state": state, "code": "c"})

    assert _outcome(response) == "exchange_failed"
    assert _connections(sqlite_engine) == []
    with Session(sqlite_engine) as fresh:
        assert fresh.exec(select(OAuthState)).one().used_at is not None


def test_callback_unexpected_error_shows_no_traceback(client, started, monkeypatch):
    """A bug becomes a plain outcome code, never a traceback."""
    _, state = started

    def broken_fetch_token(flow, *, code):
        raise RuntimeError("secret detail")

    monkeypatch.setattr(google_oauth, "fetch_token", broken_fetch_token)

    response = client.get(PATH, params={"state": state, "code": "c"})

    assert _outcome(response) == "exchange_failed"
    assert "secret detail" not in response.text


def test_callback_without_browser_cookie_refused(sqlite_engine, started, exchange):
    """The callback opened in a browser without the nonce cookie changes nothing."""
    _, state = started
    bare = TestClient(
        create_api(settings=GOOGLE, engine=sqlite_engine), follow_redirects=False
    )

    response = bare.get(PATH, params={"state": state, "code": "c"})

    assert _outcome(response) == "other_browser"
    assert exchange == []
    assert _connections(sqlite_engine) == []
