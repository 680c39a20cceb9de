"""Accounts: sign-up rules, login checks, profile and password changes."""

import pytest
from sqlalchemy import func
from sqlmodel import select

from hms.errors import (
    EmailTakenError,
    InvalidCredentialsError,
    NotFoundError,
    ValidationError,
)
from hms.models import DoctorProfile, PatientProfile, Role, User
from hms.security import verify_password
from hms.services import accounts
from tests.factories import DEFAULT_PASSWORD, make_doctor, make_patient

PASSWORD = "s3cret-enough"


def _register(session, **overrides):
    fields = {
        "email": "ada@example.com",
        "password": PASSWORD,
        "name": "Ada Lovelace",
        "role": "patient",
        "timezone": "Europe/London",
    }
    fields.update(overrides)
    return accounts.register_user(session=session, **fields)


def _user_count(session) -> int:
    return session.exec(select(func.count()).select_from(User)).one()


def _stored(session, user_id: int) -> User:
    return session.exec(
        select(User).where(User.id == user_id).execution_options(populate_existing=True)
    ).one()


def test_register_user_patient_creates_user_and_profile(session):
    """A patient sign-up stores the user with a patient profile and an argon2 hash."""
    user = _register(session)
    session.commit()

    stored = session.get(User, user.id)
    assert (user.email, user.name, user.role, user.timezone) == (
        "ada@example.com",
        "Ada Lovelace",
        "patient",
        "Europe/London",
    )
    assert stored.password_hash.startswith("$argon2")
    assert PASSWORD not in stored.password_hash
    assert session.get(PatientProfile, user.id) is not None
    assert session.get(DoctorProfile, user.id) is None


def test_register_user_doctor_stores_specialty(session):
    """A doctor sign-up stores the doctor profile with the specialty, trimmed."""
    user = _register(session, role="doctor", specialty="  Cardiology ")
    session.commit()

    assert user.role == "doctor"
    assert session.get(DoctorProfile, user.id).specialty == "Cardiology"
    assert session.get(PatientProfile, user.id) is None


def test_register_user_keeps_email_as_typed(session):
    """The email is stored with the letter case the user typed."""
    user = _register(session, email="Ada.Lovelace@Example.COM")
    session.commit()

    stored = session.get(User, user.id)
    assert stored.email == "Ada.Lovelace@Example.COM"
    assert stored.email_key == "ada.lovelace@example.com"


@pytest.mark.parametrize(
    "second", ["ada@example.com", "ADA@EXAMPLE.COM", "Ada@Example.com "]
)
def test_register_user_email_taken_any_case(session, second):
    """A second sign-up with the same email in any letter case is refused."""
    _register(session)
    session.commit()

    with pytest.raises(EmailTakenError) as caught:
        _register(session, email=second, name="Someone Else")

    assert caught.value.field == "email"
    assert _user_count(session) == 1


@pytest.mark.parametrize("email", ["", "not-an-email", "a@", "@example.com", "a b@c.d"])
def test_register_user_invalid_email(session, email):
    """An address that is not an email is refused on the email field."""
    with pytest.raises(ValidationError) as caught:
        _register(session, email=email)

    assert caught.value.field == "email"
    assert _user_count(session) == 0


@pytest.mark.parametrize("password", ["", "short", "x" * 7])
def test_register_user_password_too_short(session, password):
    """A password under 8 characters is refused, naming the limit."""
    with pytest.raises(ValidationError) as caught:
        _register(session, password=password)

    assert caught.value.field == "password"
    assert "8" in caught.value.message
    assert _user_count(session) == 0


def test_register_user_password_too_long(session):
    """A 129-character password is refused (not truncated), naming the limit."""
    with pytest.raises(ValidationError) as caught:
        _register(session, password="p" * 129)

    assert caught.value.field == "password"
    assert "128" in caught.value.message
    assert _user_count(session) == 0


def test_register_user_password_at_max_length_logs_in(session):
    """A 128-character password is accepted and logs in; one character less fails."""
    password = "p" * 127 + "q"
    user = _register(session, password=password)
    session.commit()

    found = accounts.authenticate(
        session=session, email="ada@example.com", password=password
    )
    assert found.id == user.id
    with pytest.raises(InvalidCredentialsError):
        accounts.authenticate(
            session=session, email="ada@example.com", password=password[:-1]
        )


@pytest.mark.parametrize("name", ["", "   "])
def test_register_user_missing_name(session, name):
    """A sign-up without a name is refused on the name field."""
    with pytest.raises(ValidationError) as caught:
        _register(session, name=name)

    assert caught.value.field == "name"
    assert _user_count(session) == 0


def test_register_user_name_too_long(session):
    """A name over 120 characters is refused on the name field."""
    with pytest.raises(ValidationError) as caught:
        _register(session, name="N" * 121)

    assert caught.value.field == "name"
    assert _user_count(session) == 0


@pytest.mark.parametrize("timezone", ["", "Mars/Olympus", "europe/berlin", "CEST"])
def test_register_user_unknown_timezone(session, timezone):
    """A timezone that is not an IANA name is refused on the timezone field."""
    with pytest.raises(ValidationError) as caught:
        _register(session, timezone=timezone)

    assert caught.value.field == "timezone"
    assert _user_count(session) == 0


@pytest.mark.parametrize("specialty", ["", "  "])
def test_register_user_doctor_without_specialty(session, specialty):
    """A doctor sign-up without a specialty is refused on the specialty field."""
    with pytest.raises(ValidationError) as caught:
        _register(session, role="doctor", specialty=specialty)

    assert caught.value.field == "specialty"
    assert _user_count(session) == 0


@pytest.mark.parametrize("role", ["admin", "", "Patient", "nurse"])
def test_register_user_role_not_self_service(session, role):
    """Only patient and doctor can be chosen at sign-up; admin is refused."""
    with pytest.raises(ValidationError) as caught:
        _register(session, role=role)

    assert caught.value.field == "role"
    assert _user_count(session) == 0


def test_authenticate_right_password(session):
    """The right email and password return the user's public shape."""
    user = make_patient(session, email="bob@example.com")

    found = accounts.authenticate(
        session=session, email="bob@example.com", password=DEFAULT_PASSWORD
    )

    assert (found.id, found.role) == (user.id, "patient")
    assert not hasattr(found, "password_hash")


def test_authenticate_email_any_case(session):
    """Login matches the email in any letter case and ignores surrounding spaces."""
    user = make_patient(session, email="Bob@Example.com")

    found = accounts.authenticate(
        session=session, email="  bOB@eXAMPLE.COM ", password=DEFAULT_PASSWORD
    )

    assert found.id == user.id


def test_authenticate_wrong_password_and_unknown_email_same_message(session):
    """A wrong password and an unknown email fail with the identical message."""
    make_patient(session, email="bob@example.com")

    with pytest.raises(InvalidCredentialsError) as wrong:
        accounts.authenticate(
            session=session, email="bob@example.com", password="wrong password"
        )
    with pytest.raises(InvalidCredentialsError) as unknown:
        accounts.authenticate(
            session=session, email="nobody@example.com", password=DEFAULT_PASSWORD
        )

    assert wrong.value.message == unknown.value.message == accounts.LOGIN_FAILED
    assert wrong.value.field == unknown.value.field


def test_authenticate_inactive_user(session):
    """A deactivated account cannot log in, with the same message as a wrong password."""
    make_patient(session, email="gone@example.com", is_active=False)

    with pytest.raises(InvalidCredentialsError) as caught:
        accounts.authenticate(
            session=session, email="gone@example.com", password=DEFAULT_PASSWORD
        )

    assert caught.value.message == accounts.LOGIN_FAILED


def test_authenticate_overlong_password(session):
    """A password over the maximum length fails like any wrong password."""
    make_patient(session, email="bob@example.com")

    with pytest.raises(InvalidCredentialsError) as caught:
        accounts.authenticate(
            session=session, email="bob@example.com", password="p" * 10_000
        )

    assert caught.value.message == accounts.LOGIN_FAILED


def test_update_profile_changes_name_and_timezone(session):
    """A profile update stores the new name (trimmed) and timezone."""
    user = make_doctor(session)

    public = accounts.update_profile(
        session=session, user_id=user.id, name="  Dr. Grace ", timezone="Asia/Tokyo"
    )
    session.commit()

    stored = _stored(session, user.id)
    assert (public.name, public.timezone) == ("Dr. Grace", "Asia/Tokyo")
    assert (stored.name, stored.timezone) == ("Dr. Grace", "Asia/Tokyo")
    assert stored.role == Role.DOCTOR


@pytest.mark.parametrize(
    ("name", "timezone", "field"),
    [("", "UTC", "name"), ("Grace", "Nowhere/City", "timezone")],
)
def test_update_profile_invalid_input(session, name, timezone, field):
    """An empty name or an unknown timezone is refused and nothing changes."""
    user = make_patient(session, name="Old Name", timezone="UTC")

    with pytest.raises(ValidationError) as caught:
        accounts.update_profile(
            session=session, user_id=user.id, name=name, timezone=timezone
        )
    session.rollback()

    assert caught.value.field == field
    stored = _stored(session, user.id)
    assert (stored.name, stored.timezone) == ("Old Name", "UTC")


def test_update_profile_unknown_user(session):
    """Updating a user that does not exist raises NotFoundError."""
    with pytest.raises(NotFoundError):
        accounts.update_profile(session=session, user_id=999, name="X", timezone="UTC")


def test_change_password_then_login_with_new(session):
    """After a password change the new password logs in and the old one does not."""
    user = make_patient(session, email="bob@example.com")

    accounts.change_password(
        session=session,
        user_id=user.id,
        current_password=DEFAULT_PASSWORD,
        new_password="brand new password",
    )
    session.commit()

    assert accounts.authenticate(
        session=session, email="bob@example.com", password="brand new password"
    )
    with pytest.raises(InvalidCredentialsError):
        accounts.authenticate(
            session=session, email="bob@example.com", password=DEFAULT_PASSWORD
        )


def test_change_password_wrong_current(session):
    """A wrong current password is refused on current_password; the hash stays."""
    user = make_patient(session)
    before = user.password_hash

    with pytest.raises(ValidationError) as caught:
        accounts.change_password(
            session=session,
            user_id=user.id,
            current_password="not my password",
            new_password="brand new password",
        )
    session.rollback()

    assert caught.value.field == "current_password"
    assert _stored(session, user.id).password_hash == before


@pytest.mark.parametrize(
    ("new_password", "limit"), [("short", "8"), ("p" * 129, "128")]
)
def test_change_password_new_breaks_length_rule(session, new_password, limit):
    """A new password too short or too long is refused on new_password."""
    user = make_patient(session)
    before = user.password_hash

    with pytest.raises(ValidationError) as caught:
        accounts.change_password(
            session=session,
            user_id=user.id,
            current_password=DEFAULT_PASSWORD,
            new_password=new_password,
        )
    session.rollback()

    assert caught.value.field == "new_password"
    assert limit in caught.value.message
    stored = _stored(session, user.id)
    assert stored.password_hash == before
    assert verify_password(DEFAULT_PASSWORD, stored.password_hash)


def test_list_picker_timezones_leaves_out_old_aliases():
    """The picker offers Region/City zones and UTC, not aliases like US/Eastern."""
    picker = accounts.list_picker_timezones()

    assert {"UTC", "Europe/Berlin", "America/New_York"} <= set(picker)
    assert not {"US/Eastern", "Etc/GMT+5", "Zulu", "EST"} & set(picker)
    assert set(picker) <= set(accounts.list_timezones())
