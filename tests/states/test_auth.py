"""AuthState wiring: login, sign-up, logout, guards and error display."""

import pytest
from sqlmodel import select

from hms.models import AuthSession, User
from hms.services import accounts
from hms.states.auth import AuthState
from hms.states.errors import GENERIC_MESSAGE
from tests.factories import DEFAULT_PASSWORD, make_doctor, make_patient
from tests.states.conftest import redirect_path, snapshot


def test_submit_login_patient_sets_cookie_and_goes_to_doctors(db, make_state):
    """A patient's login stores a session token and redirects to /doctors."""
    patient = make_patient(db, name="Pat")
    auth = make_state(AuthState)

    result = auth.submit_login({"email": patient.email, "password": DEFAULT_PASSWORD})

    assert redirect_path(result) == "/doctors"
    assert auth.session_token
    assert auth._current_user_id() == patient.id
    assert (auth.user_name, auth.user_role, auth.logged_in) == ("Pat", "patient", True)


def test_submit_login_doctor_goes_to_availability(db, make_state):
    """A doctor lands on /availability after logging in."""
    doctor = make_doctor(db)
    auth = make_state(AuthState)

    result = auth.submit_login({"email": doctor.email, "password": DEFAULT_PASSWORD})

    assert redirect_path(result) == "/availability"


@pytest.mark.parametrize("email_kind", ["known", "unknown"])
def test_submit_login_wrong_credentials_neutral_message(db, make_state, email_kind):
    """Unknown email and wrong password read the same; no cookie is set."""
    patient = make_patient(db)
    email = patient.email if email_kind == "known" else "nobody@example.com"
    auth = make_state(AuthState)

    result = auth.submit_login({"email": email, "password": "wrong password"})

    assert redirect_path(result) is None
    assert auth.alert_message == accounts.LOGIN_FAILED
    assert auth.session_token == ""
    assert not auth.logged_in


def test_submit_signup_doctor_creates_account_and_logs_in(engine, db, make_state):
    """A doctor signs up with a specialty and lands on /availability."""
    auth = make_state(AuthState)
    auth.set_signup_role("doctor")
    auth.preset_timezone("Europe/Berlin")

    result = auth.submit_signup(
        {
            "name": "Dr. Who",
            "email": "who@example.com",
            "password": "long enough pw",
            "specialty": "Cardiology",
        }
    )

    assert redirect_path(result) == "/availability"
    assert auth.user_timezone == "Europe/Berlin"
    assert auth._current_user().email == "who@example.com"


def test_submit_signup_short_password_shows_field_error(engine, make_state):
    """A too-short password is explained next to the field; nothing is written."""
    auth = make_state(AuthState)
    before = snapshot(engine)

    result = auth.submit_signup(
        {"name": "Pat", "email": "pat@example.com", "password": "short"}
    )

    assert redirect_path(result) is None
    assert "at least" in auth.field_errors["password"]
    assert snapshot(engine) == before


def test_preset_timezone_ignores_unknown_zone(make_state):
    """A browser zone that is not an IANA name leaves the preset alone."""
    auth = make_state(AuthState)

    auth.preset_timezone("Mars/Olympus")

    assert auth.signup_timezone == "UTC"


def test_logout_ends_server_session(db, make_state):
    """Logging out deletes the session row and forgets the cookie."""
    patient = make_patient(db)
    auth = make_state(AuthState, user=patient)

    result = auth.logout()

    assert redirect_path(result) == "/"
    assert auth.session_token == ""
    assert db.exec(select(AuthSession)).all() == []


def test_require_patient_redirects_visitor_to_login(engine, make_state):
    """The page guard sends visitors without a session to /login."""
    auth = make_state(AuthState)

    assert redirect_path(auth.require_patient()) == "/login"


def test_require_doctor_sends_patient_home(db, make_state):
    """A patient opening a doctor page is sent to their own home page."""
    auth = make_state(AuthState, user=make_patient(db))

    assert redirect_path(auth.require_doctor()) == "/doctors"


def test_redirect_if_logged_in_from_login_page(db, make_state):
    """A logged-in doctor opening /login goes to /availability."""
    auth = make_state(AuthState, user=make_doctor(db))

    assert redirect_path(auth.redirect_if_logged_in()) == "/availability"


def test_forged_cookie_is_nobody(engine, make_state):
    """A token that no session row matches resolves to no user."""
    auth = make_state(AuthState)
    auth.session_token = "forged-token"

    assert auth._current_user() is None
    assert redirect_path(auth.require_login()) == "/login"


def test_inactive_user_session_is_nobody(db, make_state):
    """A deactivated account's existing session no longer counts."""
    patient = make_patient(db)
    auth = make_state(AuthState, user=patient)
    user = db.get(User, patient.id)
    user.is_active = False
    db.add(user)
    db.commit()

    assert auth._current_user() is None


def test_unexpected_error_shows_generic_message(engine, make_state, monkeypatch):
    """An unexpected exception is logged, and the user sees no detail of it."""

    def broken(**_kwargs):
        raise RuntimeError("SELECT secret FROM internals")

    monkeypatch.setattr(accounts, "authenticate", broken)
    auth = make_state(AuthState)

    auth.submit_login({"email": "a@example.com", "password": "whatever1"})

    assert auth.alert_message == GENERIC_MESSAGE
    assert "secret" not in str(auth.field_errors)


def test_guard_then_login_returns_to_the_page_asked_for(db, make_state):
    """A visitor sent to log in from /appointments comes back there afterwards."""
    patient = make_patient(db)
    guarded = make_state(AuthState, path="/appointments")
    assert redirect_path(guarded.require_login()) == "/login?next=%2Fappointments"

    auth = make_state(AuthState, path="/login?next=%2Fappointments")
    result = auth.submit_login({"email": patient.email, "password": DEFAULT_PASSWORD})

    assert redirect_path(result) == "/appointments"


def test_login_ignores_next_pointing_elsewhere(db, make_state):
    """A `next` naming another site is ignored: no open redirect."""
    patient = make_patient(db)
    auth = make_state(AuthState, path="/login?next=//evil.example/x")

    result = auth.submit_login({"email": patient.email, "password": DEFAULT_PASSWORD})

    assert redirect_path(result) == "/doctors"
