"""Calendar sync: queueing, running jobs against a scripted Google, connecting."""

import asyncio
import base64
import dataclasses
import json
from datetime import UTC, datetime, timedelta

import pytest
from googleapiclient.http import HttpMockSequence
from sqlmodel import Session, select

from hms.config import settings
from hms.errors import DeliveryError
from hms.integrations import google_oauth
from hms.integrations.google_calendar import event_id_for
from hms.models import (
    Appointment,
    AppointmentStatus,
    CalendarConnectionStatus,
    CalendarEvent,
    GoogleCalendarConnection,
    OAuthState,
    OutboxKind,
    OutboxMessage,
    OutboxState,
)
from hms.security import hash_token
from hms.services import calendar_connection, calendar_sync
from hms.services.crypto import decrypt_text, encrypt_text
from tests.factories import make_appointment, make_doctor, make_patient, make_slot

GOOGLE = dataclasses.replace(
    settings, google_client_id="client-id", google_client_secret="client-secret"
)
# The nonce the connecting browser keeps in its cookie.
BROWSER = "browser-nonce"
DISABLED = dataclasses.replace(
    settings, google_client_id=None, google_client_secret=None
)
TOKEN_OK = ({"status": "200"}, json.dumps({"access_token": "at", "expires_in": 3600}))
INVALID_GRANT = (
    {"status": "400"},
    json.dumps({"error": "invalid_grant", "error_description": "Token revoked."}),
)
CREATED = ({"status": "200"}, "echo_request_body")  # Google echoes the event
SERVER_ERROR = (
    {"status": "500"},
    json.dumps({"error": {"code": 500, "errors": [{"reason": "backendError"}]}}),
)


def _error(status: int) -> tuple[dict, str]:
    return {"status": str(status)}, json.dumps({"error": {"code": status}})


def _connect(session, user, status=CalendarConnectionStatus.CONNECTED):
    session.add(
        GoogleCalendarConnection(
            user_id=user.id,
            account_email="someone@gmail.com",
            refresh_token_encrypted=encrypt_text("refresh-" + str(user.id)),
            status=status,
        )
    )
    session.commit()


@pytest.fixture
def booking(session):
    """A Berlin patient booked with a New York doctor tomorrow 09:00 UTC."""
    doctor = make_doctor(session, name="Ada Lovelace", timezone="America/New_York")
    patient = make_patient(session, name="Bob Smith", timezone="Europe/Berlin")
    slot = make_slot(session, doctor=doctor)
    appointment = make_appointment(
        session, slot=slot, patient=patient, reason="Sore throat"
    )
    return doctor, patient, appointment


def _messages(session, kind=None):
    query = select(OutboxMessage)
    if kind:
        query = query.where(OutboxMessage.kind == kind)
    return session.exec(query).all()


def _queue_and_get(session, appointment, user):
    calendar_sync.queue_calendar_events(
        session=session, appointment=appointment, settings=GOOGLE
    )
    session.commit()
    key = f"calendar:create:{appointment.id}:{user.id}"
    return session.exec(
        select(OutboxMessage).where(OutboxMessage.idempotency_key == key)
    ).one()


def _run(session, message, answers):
    http = HttpMockSequence(list(answers))
    calendar_sync.run_calendar_job(
        session=session, message=message, settings=GOOGLE, http=http
    )
    session.commit()
    return http


# --- queueing -----------------------------------------------------------------


def test_queue_calendar_events_disabled_adds_nothing(session, booking):
    """Without Google credentials nothing is queued, even for connected users."""
    doctor, patient, appointment = booking
    _connect(session, patient)
    calendar_sync.queue_calendar_events(
        session=session, appointment=appointment, settings=DISABLED
    )
    calendar_sync.queue_calendar_removals(
        session=session, appointment=appointment, settings=DISABLED
    )
    assert _messages(session) == []


def test_queue_calendar_events_only_connected_parties(session, booking):
    """One create job per connected party, keyed by appointment and user."""
    doctor, patient, appointment = booking
    _connect(session, patient)
    _connect(session, doctor, CalendarConnectionStatus.BROKEN)

    calendar_sync.queue_calendar_events(
        session=session, appointment=appointment, settings=GOOGLE
    )
    calendar_sync.queue_calendar_events(
        session=session, appointment=appointment, settings=GOOGLE
    )
    session.commit()

    (message,) = _messages(session)
    assert message.kind == OutboxKind.CALENDAR_CREATE
    assert message.idempotency_key == f"calendar:create:{appointment.id}:{patient.id}"
    assert message.payload == {"appointment_id": appointment.id, "user_id": patient.id}


def test_queue_calendar_events_nobody_connected_adds_nothing(session, booking):
    """Parties without a connection get no jobs."""
    _, _, appointment = booking
    calendar_sync.queue_calendar_events(
        session=session, appointment=appointment, settings=GOOGLE
    )
    assert _messages(session) == []


# --- running create jobs --------------------------------------------------------


def test_run_create_job_sends_event_in_users_zone(session, booking):
    """The patient's event is titled with the doctor and timed in Berlin."""
    doctor, patient, appointment = booking
    _connect(session, patient)
    message = _queue_and_get(session, appointment, patient)

    http = _run(session, message, [TOKEN_OK, CREATED])

    uri, method, body, _ = http.request_sequence[1]
    assert method == "POST"
    assert "/calendars/primary/events" in uri
    event = json.loads(body)
    expected_id = event_id_for(appointment.id, patient.id)
    assert event["id"] == expected_id
    assert event["summary"] == "Appointment with Dr. Ada Lovelace"
    assert "Sore throat" in event["description"]
    assert "Dr. Ada Lovelace (General practice)" in event["description"]
    start = appointment.start_at.astimezone(UTC)
    assert event["start"]["timeZone"] == "Europe/Berlin"
    assert datetime.fromisoformat(event["start"]["dateTime"]) == start
    assert event["start"]["dateTime"].endswith(("+01:00", "+02:00"))
    assert datetime.fromisoformat(event["end"]["dateTime"]) == appointment.end_at
    record = session.exec(select(CalendarEvent)).one()
    assert (record.user_id, record.google_event_id) == (patient.id, expected_id)


def test_run_create_job_for_doctor_names_patient(session, booking):
    """The doctor's event names the patient, in the doctor's zone."""
    doctor, patient, appointment = booking
    _connect(session, doctor)
    message = _queue_and_get(session, appointment, doctor)

    http = _run(session, message, [TOKEN_OK, CREATED])

    event = json.loads(http.request_sequence[1][2])
    assert event["summary"] == "Appointment: Bob Smith"
    assert event["start"]["timeZone"] == "America/New_York"


def test_run_create_job_conflict_on_retry_counts_as_success(session, booking):
    """A 409 (an earlier attempt got through) records the event."""
    _, patient, appointment = booking
    _connect(session, patient)
    message = _queue_and_get(session, appointment, patient)

    _run(session, message, [TOKEN_OK, _error(409)])

    assert session.exec(select(CalendarEvent)).one().user_id == patient.id


def test_run_create_job_server_error_then_success(session, booking):
    """A 500 raises a retryable DeliveryError; the retry creates the event once."""
    _, patient, appointment = booking
    _connect(session, patient)
    message = _queue_and_get(session, appointment, patient)

    with pytest.raises(DeliveryError) as caught:
        _run(session, message, [TOKEN_OK, SERVER_ERROR])
    assert caught.value.retryable
    assert session.exec(select(CalendarEvent)).all() == []

    _run(session, message, [TOKEN_OK, CREATED])
    _run(session, message, [])  # a third run finds the record: no request
    assert len(session.exec(select(CalendarEvent)).all()) == 1


def test_run_create_job_revoked_token_marks_connection_broken(session, booking):
    """invalid_grant: the connection breaks, the job dies, the user sees it."""
    _, patient, appointment = booking
    _connect(session, patient)
    message = _queue_and_get(session, appointment, patient)

    with pytest.raises(DeliveryError) as caught:
        _run(session, message, [INVALID_GRANT])
    session.commit()  # the dispatcher records the failure; our change goes too

    assert caught.value.retryable is False
    status = calendar_connection.get_connection_status(
        session=session, user_id=patient.id, settings=GOOGLE
    )
    assert (status.connected, status.broken) == (False, True)
    with pytest.raises(DeliveryError) as again:
        _run(session, message, [])
    assert again.value.retryable is False


def test_run_create_job_unauthorized_marks_connection_broken(session, booking):
    """A persistent 401 is treated like a revoked token."""
    _, patient, appointment = booking
    _connect(session, patient)
    message = _queue_and_get(session, appointment, patient)

    with pytest.raises(DeliveryError):
        _run(session, message, [TOKEN_OK, _error(401)] * 3)
    session.commit()

    connection = session.get(GoogleCalendarConnection, patient.id)
    assert connection.status == CalendarConnectionStatus.BROKEN


def test_run_create_job_cancelled_appointment_is_skipped(session, booking):
    """An appointment cancelled before the job ran gets no event."""
    _, patient, appointment = booking
    _connect(session, patient)
    message = _queue_and_get(session, appointment, patient)
    appointment.status = AppointmentStatus.CANCELLED
    session.add(appointment)
    session.commit()

    http = _run(session, message, [])
    assert http.request_sequence == []


# --- removals -------------------------------------------------------------------


def test_cancellation_deletes_exactly_the_recorded_event(session, booking):
    """The delete job deletes the stored event id and forgets the record."""
    _, patient, appointment = booking
    _connect(session, patient)
    _run(session, _queue_and_get(session, appointment, patient), [TOKEN_OK, CREATED])
    appointment.status = AppointmentStatus.CANCELLED
    calendar_sync.queue_calendar_removals(
        session=session, appointment=appointment, settings=GOOGLE
    )
    session.commit()
    (message,) = _messages(session, OutboxKind.CALENDAR_DELETE)
    assert message.idempotency_key == f"calendar:delete:{appointment.id}:{patient.id}"

    http = _run(session, message, [TOKEN_OK, ({"status": "204"}, "")])

    uri, method, _, _ = http.request_sequence[1]
    assert method == "DELETE"
    assert uri.split("?")[0].endswith(
        f"/calendars/primary/events/{event_id_for(appointment.id, patient.id)}"
    )
    assert session.exec(select(CalendarEvent)).all() == []


def test_delete_job_not_found_is_done(session, booking):
    """A 404 on delete (the user deleted it) completes the job."""
    _, patient, appointment = booking
    _connect(session, patient)
    calendar_sync.queue_calendar_removals(
        session=session, appointment=appointment, settings=GOOGLE
    )
    session.commit()
    (message,) = _messages(session, OutboxKind.CALENDAR_DELETE)

    _run(session, message, [TOKEN_OK, _error(404)])


# --- connecting -----------------------------------------------------------------


def _id_token(email: str, aud: str = "client-id") -> str:
    def part(data: dict) -> str:
        raw = json.dumps(data).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    claims = {"iss": "https://accounts.google.com", "aud": aud, "email": email}
    return f"{part({'alg': 'RS256'})}.{part(claims)}.c2ln"


@pytest.fixture
def google_token(monkeypatch):
    """Replace the token endpoint call; record the codes and verifiers sent."""
    calls = []
    answer = {
        "access_token": "at",
        "refresh_token": "the-refresh-token",
        "scope": " ".join(google_oauth.SCOPES),
        "id_token": _id_token("bob@gmail.com"),
    }

    def fake_fetch_token(flow, *, code):
        calls.append((code, flow.code_verifier))
        return dict(answer)

    monkeypatch.setattr(google_oauth, "fetch_token", fake_fetch_token)
    return calls, answer


def _start(session, user) -> str:
    url = calendar_connection.start_connect(
        session=session,
        user_id=user.id,
        browser_nonce=BROWSER,
        settings=GOOGLE,
    )
    session.commit()
    return dict(p.split("=", 1) for p in url.split("?", 1)[1].split("&"))["state"]


def test_start_connect_url_and_stored_state(session, booking):
    """The URL asks for offline calendar access with PKCE; the state is hashed."""
    _, patient, _ = booking
    url = calendar_connection.start_connect(
        session=session,
        user_id=patient.id,
        browser_nonce=BROWSER,
        settings=GOOGLE,
    )
    assert url.startswith("https://accounts.google.com/o/oauth2/auth?")
    for part in (
        "access_type=offline",
        "prompt=consent",
        "code_challenge_method=S256",
        "calendar.events",
        "client_id=client-id",
    ):
        assert part in url
    row = session.exec(select(OAuthState)).one()
    state = url.split("state=")[1].split("&")[0]
    assert row.state_hash != state and len(row.state_hash) == 64
    assert row.expires_at - datetime.now(UTC) <= timedelta(minutes=10)


def test_start_connect_disabled_refuses(session, booking):
    """Without Google credentials connecting is refused with a plain message."""
    _, patient, _ = booking
    with pytest.raises(calendar_connection.CalendarConnectError) as caught:
        calendar_connection.start_connect(
            session=session,
            user_id=patient.id,
            browser_nonce=BROWSER,
            settings=DISABLED,
        )
    assert caught.value.code == "disabled"


def test_complete_connect_stores_encrypted_token(session, booking, google_token):
    """A good state connects: token encrypted, email from the id_token."""
    _, patient, _ = booking
    calls, _ = google_token
    state = _start(session, patient)
    verifier = decrypt_text(
        session.exec(select(OAuthState)).one().code_verifier_encrypted
    )

    user_id = calendar_connection.complete_connect(
        session=session,
        state=state,
        code="the-code",
        browser_nonce=BROWSER,
        settings=GOOGLE,
    )
    session.commit()

    assert user_id == patient.id
    assert calls == [("the-code", verifier)]
    connection = session.get(GoogleCalendarConnection, patient.id)
    assert connection.refresh_token_encrypted != "the-refresh-token"
    assert decrypt_text(connection.refresh_token_encrypted) == "the-refresh-token"
    assert connection.account_email == "bob@gmail.com"
    assert session.exec(select(OAuthState)).one().used_at is not None


def test_complete_connect_reused_state_refused(session, booking, google_token):
    """A state works once."""
    _, patient, _ = booking
    state = _start(session, patient)
    calendar_connection.complete_connect(
        session=session, state=state, code="c", browser_nonce=BROWSER, settings=GOOGLE
    )
    session.commit()
    with pytest.raises(calendar_connection.CalendarConnectError) as caught:
        calendar_connection.complete_connect(
            session=session,
            state=state,
            code="c",
            browser_nonce=BROWSER,
            settings=GOOGLE,
        )
    assert caught.value.code == "invalid_state"


def test_complete_connect_expired_state_refused(session, booking, google_token):
    """A state older than ten minutes is refused and Google is not called."""
    _, patient, _ = booking
    calls, _ = google_token
    state = _start(session, patient)
    row = session.exec(select(OAuthState)).one()
    row.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    session.add(row)
    session.commit()

    with pytest.raises(calendar_connection.CalendarConnectError):
        calendar_connection.complete_connect(
            session=session,
            state=state,
            code="c",
            browser_nonce=BROWSER,
            settings=GOOGLE,
        )
    assert calls == []
    assert session.get(GoogleCalendarConnection, patient.id) is None


def test_complete_connect_without_calendar_scope_refused(
    session, booking, google_token
):
    """If the user unticks calendar access, nothing is connected."""
    _, patient, _ = booking
    _, answer = google_token
    answer["scope"] = "openid https://www.googleapis.com/auth/userinfo.email"
    state = _start(session, patient)
    with pytest.raises(calendar_connection.CalendarConnectError) as caught:
        calendar_connection.complete_connect(
            session=session,
            state=state,
            code="c",
            browser_nonce=BROWSER,
            settings=GOOGLE,
        )
    assert caught.value.code == "scope_denied"
    assert session.get(GoogleCalendarConnection, patient.id) is None


def test_reconnect_after_broken_requeues_missing_events_once(
    session, booking, google_token
):
    """Reconnecting revives the dead create job; a second connect adds nothing."""
    _, patient, appointment = booking
    _connect(session, patient)
    message = _queue_and_get(session, appointment, patient)
    with pytest.raises(DeliveryError):
        _run(session, message, [INVALID_GRANT])
    message.state = OutboxState.DEAD  # what the dispatcher does
    session.add(message)
    session.commit()

    calendar_connection.complete_connect(
        session=session,
        state=_start(session, patient),
        code="c",
        browser_nonce=BROWSER,
        settings=GOOGLE,
    )
    session.commit()
    session.refresh(message)
    assert message.state == OutboxState.PENDING
    assert session.get(GoogleCalendarConnection, patient.id).status == "connected"

    message.state = OutboxState.DEAD
    session.add(message)
    session.commit()
    calendar_connection.complete_connect(
        session=session,
        state=_start(session, patient),
        code="c",
        browser_nonce=BROWSER,
        settings=GOOGLE,
    )
    session.commit()
    session.refresh(message)
    assert message.state == OutboxState.DEAD
    assert len(_messages(session)) == 1


def test_disconnect_revokes_and_forgets_token(session, booking, monkeypatch):
    """Disconnecting revokes at Google and deletes the stored token."""
    _, patient, _ = booking
    _connect(session, patient)
    revoked = []
    monkeypatch.setattr(google_oauth, "revoke_token", revoked.append)

    calendar_connection.disconnect(session=session, user_id=patient.id, settings=GOOGLE)
    session.commit()

    assert revoked == [f"refresh-{patient.id}"]
    assert session.get(GoogleCalendarConnection, patient.id) is None
    status = calendar_connection.get_connection_status(
        session=session, user_id=patient.id, settings=GOOGLE
    )
    assert status == calendar_connection.CalendarStatus(True, False, False, "")


def test_get_connection_status_disabled(session, booking):
    """Without Google credentials the card is not enabled."""
    _, patient, _ = booking
    status = calendar_connection.get_connection_status(
        session=session, user_id=patient.id, settings=DISABLED
    )
    assert status.enabled is False


# --- PostgreSQL (schema built by the migrations) --------------------------------


@pytest.mark.postgres
def test_calendar_job_on_postgresql(pg_session):
    """The migrated schema holds connections, jobs and event records."""
    doctor = make_doctor(pg_session)
    patient = make_patient(pg_session, timezone="Asia/Tokyo")
    appointment = make_appointment(
        pg_session, slot=make_slot(pg_session, doctor=doctor), patient=patient
    )
    _connect(pg_session, patient)
    message = _queue_and_get(pg_session, appointment, patient)

    _run(pg_session, message, [TOKEN_OK, CREATED])

    record = pg_session.exec(select(CalendarEvent)).one()
    assert record.google_event_id == event_id_for(appointment.id, patient.id)


# --- the profile card's state (disabled mode) -----------------------------------


@pytest.fixture
def calendar_state(monkeypatch, sqlite_engine):
    """A CalendarState on the test database whose signed-in user is settable."""
    from hms import config
    from hms.db import session_scope
    from hms.states import calendar as calendar_states

    monkeypatch.setattr(
        calendar_states, "session_scope", lambda: session_scope(sqlite_engine)
    )
    user = {"id": None}
    monkeypatch.setattr(
        calendar_states.CalendarState, "_current_user_id", lambda self: user["id"]
    )
    state = calendar_states.CalendarState(_reflex_internal_init=True)
    return state, user, lambda value: monkeypatch.setattr(config, "settings", value)


def test_calendar_state_disabled_is_not_enabled(calendar_state, session, booking):
    """Without GOOGLE_CLIENT_ID the card stays hidden."""
    state, user, use_settings = calendar_state
    _, patient, _ = booking
    user["id"] = patient.id
    use_settings(DISABLED)

    asyncio.run(type(state).load_calendar.fn(state))

    assert state.enabled is False


def test_calendar_state_shows_broken_connection(calendar_state, session, booking):
    """A broken connection shows as broken with its account, never the token."""
    state, user, use_settings = calendar_state
    _, patient, _ = booking
    _connect(session, patient, CalendarConnectionStatus.BROKEN)
    user["id"] = patient.id
    use_settings(GOOGLE)

    asyncio.run(type(state).load_calendar.fn(state))

    assert (state.enabled, state.connected, state.broken) == (True, False, True)
    assert state.account_email == "someone@gmail.com"
    assert "refresh" not in json.dumps(state.dict())


def test_complete_connect_other_browser_refused(session, booking, google_token):
    """A link finished in another browser (no or another nonce) connects nothing."""
    _, patient, _ = booking
    calls, _ = google_token
    state = _start(session, patient)

    with pytest.raises(calendar_connection.CalendarConnectError) as caught:
        calendar_connection.complete_connect(
            session=session,
            state=state,
            code="c",
            browser_nonce="someone-elses-browser",
            settings=GOOGLE,
        )

    assert caught.value.code == "other_browser"
    assert calls == []
    assert session.get(GoogleCalendarConnection, patient.id) is None


def test_start_connect_stores_browser_nonce_hashed(session, booking):
    """Only the SHA-256 of the browser nonce is stored."""
    _, patient, _ = booking
    _start(session, patient)

    row = session.exec(select(OAuthState)).one()

    assert row.browser_hash == hash_token(BROWSER)


def test_calendar_state_connect_keeps_nonce_in_cookie(calendar_state, session, booking):
    """Connecting sets the browser's nonce cookie and stores only its hash."""
    state, user, use_settings = calendar_state
    _, patient, _ = booking
    user["id"] = patient.id
    use_settings(GOOGLE)

    asyncio.run(type(state).connect_calendar.fn(state))

    assert len(state.oauth_browser) >= 40
    row = session.exec(select(OAuthState)).one()
    assert row.browser_hash == hash_token(state.oauth_browser)


def test_create_removes_event_if_cancelled_during_the_call(
    session, sqlite_engine, booking, monkeypatch
):
    """An appointment cancelled while Google created its event loses the event."""
    _, patient, appointment = booking
    _connect(session, patient)
    message = _queue_and_get(session, appointment, patient)
    deleted = []

    def insert_then_cancel(*, refresh_token, event, settings, http=None):
        # Meanwhile the patient cancels, and the removal job finds nothing.
        with Session(sqlite_engine) as other:
            row = other.get(Appointment, appointment.id)
            row.status = AppointmentStatus.CANCELLED
            other.add(row)
            other.commit()
        return event["id"]

    def record_delete(*, refresh_token, event_id, settings, http=None, **_):
        deleted.append(event_id)

    monkeypatch.setattr(calendar_sync, "insert_event", insert_then_cancel)
    monkeypatch.setattr(calendar_sync, "delete_event", record_delete)

    calendar_sync.run_calendar_job(session=session, message=message, settings=GOOGLE)

    assert deleted == [event_id_for(appointment.id, patient.id)]
