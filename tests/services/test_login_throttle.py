"""Failed logins are limited per account; the limit says what to do."""

import pytest

from hms.errors import InvalidCredentialsError
from hms.services import accounts, login_throttle
from hms.services.login_throttle import TooManyAttemptsError
from tests.factories import DEFAULT_PASSWORD, make_patient

LIMIT = login_throttle.FAILED_LOGIN_LIMIT.amount


def _fail_login(session, email: str, times: int) -> None:
    for _ in range(times):
        with pytest.raises(InvalidCredentialsError):
            accounts.authenticate(session=session, email=email, password="wrong-pass")


def test_authenticate_after_too_many_failures_refused_even_with_right_password(
    session,
):
    """Past the limit even the right password is refused, with a wait message."""
    patient = make_patient(session)
    _fail_login(session, patient.email, LIMIT)

    with pytest.raises(TooManyAttemptsError) as caught:
        accounts.authenticate(
            session=session, email=patient.email, password=DEFAULT_PASSWORD
        )

    assert "Wait 15 minutes" in caught.value.message


def test_authenticate_below_the_limit_still_works(session):
    """A few typos don't lock anyone out."""
    patient = make_patient(session)
    _fail_login(session, patient.email, LIMIT - 1)

    user = accounts.authenticate(
        session=session, email=patient.email, password=DEFAULT_PASSWORD
    )

    assert user.id == patient.id


def test_authenticate_limit_is_per_account_and_case_insensitive(session):
    """Failures for one email (any letter case) don't block another account."""
    locked, other = make_patient(session), make_patient(session)
    _fail_login(session, locked.email.upper(), LIMIT)

    with pytest.raises(TooManyAttemptsError):
        accounts.authenticate(
            session=session, email=locked.email, password=DEFAULT_PASSWORD
        )
    assert (
        accounts.authenticate(
            session=session, email=other.email, password=DEFAULT_PASSWORD
        ).id
        == other.id
    )


def test_authenticate_unknown_email_throttled_the_same(session):
    """An unknown email is throttled like a real one, so nothing is revealed."""
    _fail_login(session, "nobody@example.com", LIMIT)

    with pytest.raises(TooManyAttemptsError):
        accounts.authenticate(
            session=session, email="nobody@example.com", password="anything-at-all"
        )
