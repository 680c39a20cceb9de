"""Accounts: sign-up, login checks, profile and password changes."""

import logging
from functools import cache
from zoneinfo import available_timezones

from email_validator import EmailNotValidError, validate_email
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from hms.db import lock_for_writing
from hms.errors import (
    EmailTakenError,
    InvalidCredentialsError,
    NotFoundError,
    ValidationError,
)
from hms.models import DoctorProfile, PatientProfile, Role, User
from hms.security import dummy_verify, hash_password, verify_password
from hms.services import login_throttle, notifications
from hms.services.views import UserPublic

logger = logging.getLogger(__name__)

PASSWORD_MIN_LENGTH = 8
PASSWORD_MAX_LENGTH = 128
NAME_MAX_LENGTH = 120
SPECIALTY_MAX_LENGTH = 80
SELF_SERVICE_ROLES = (Role.PATIENT, Role.DOCTOR)
LOGIN_FAILED = "That email and password don't match an account. Check both and retry."


@cache
def list_timezones() -> list[str]:
    """Every IANA timezone name, sorted, for pickers and validation."""
    return sorted(available_timezones() - {"localtime", "Factory"})


# Old alias families kept by the tz database for compatibility only.
_ALIAS_PREFIXES = ("Etc/", "US/", "SystemV/", "Canada/", "Brazil/", "Chile/", "Mexico/")


@cache
def list_picker_timezones() -> list[str]:
    """The zones a picker offers: Region/City names and UTC, without old aliases.

    Every name in list_timezones() stays valid; this only shortens the menu.
    """
    return [
        name
        for name in list_timezones()
        if name == "UTC" or ("/" in name and not name.startswith(_ALIAS_PREFIXES))
    ]


def to_public(user: User) -> UserPublic:
    """The browser-safe shape of `user`."""
    return UserPublic(
        id=user.id,
        email=user.email,
        name=user.name,
        role=str(user.role),
        timezone=user.timezone,
    )


def _clean_email(email: str) -> str:
    try:
        checked = validate_email((email or "").strip(), check_deliverability=False)
    except EmailNotValidError:
        raise ValidationError(
            "Enter an email address like name@example.com.", field="email"
        ) from None
    return checked.original


def _clean_name(name: str, *, field: str = "name") -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationError("Enter your name.", field=field)
    if len(name) > NAME_MAX_LENGTH:
        raise ValidationError(
            f"Use at most {NAME_MAX_LENGTH} characters for the name.", field=field
        )
    return name


def _check_password(password: str, *, field: str = "password") -> None:
    if len(password or "") < PASSWORD_MIN_LENGTH:
        raise ValidationError(
            f"Use at least {PASSWORD_MIN_LENGTH} characters for the password.",
            field=field,
        )
    if len(password) > PASSWORD_MAX_LENGTH:
        raise ValidationError(
            f"Use at most {PASSWORD_MAX_LENGTH} characters for the password; "
            "longer ones are not cut short, they are refused.",
            field=field,
        )


def _check_timezone(timezone: str) -> str:
    if timezone not in list_timezones():
        raise ValidationError(
            "Choose a timezone from the list, such as Europe/Berlin.",
            field="timezone",
        )
    return timezone


def _check_specialty(specialty: str) -> str:
    specialty = (specialty or "").strip()
    if not specialty:
        raise ValidationError("Enter your specialty.", field="specialty")
    if len(specialty) > SPECIALTY_MAX_LENGTH:
        raise ValidationError(
            f"Use at most {SPECIALTY_MAX_LENGTH} characters for the specialty.",
            field="specialty",
        )
    return specialty


def _email_in_use(session: Session, email_key: str) -> bool:
    found = session.exec(select(User.id).where(User.email_key == email_key)).first()
    return found is not None


def register_user(
    *,
    session: Session,
    email: str,
    password: str,
    name: str,
    role: str,
    timezone: str,
    specialty: str = "",
) -> UserPublic:
    """Create a patient or doctor account and queue its welcome email.

    Args:
        session: a session that has not run any statement yet; caller commits.
        email: kept as typed; unique regardless of letter case.
        password: PASSWORD_MIN_LENGTH to PASSWORD_MAX_LENGTH characters.
        name: the name shown to the other party.
        role: "patient" or "doctor".
        timezone: an IANA name such as Europe/Berlin.
        specialty: required for doctors.

    Returns:
        The new user.

    Raises:
        ValidationError: a field is missing or wrong (see `.field`).
        EmailTakenError: another account uses this email.
    """
    if role not in SELF_SERVICE_ROLES:
        raise ValidationError("Choose patient or doctor.", field="role")
    email = _clean_email(email)
    name = _clean_name(name)
    _check_password(password)
    _check_timezone(timezone)
    if role == Role.DOCTOR:
        specialty = _check_specialty(specialty)

    # Hash before taking the write lock: argon2 is slow on purpose.
    password_hash = hash_password(password)
    lock_for_writing(session)
    email_key = email.casefold()
    if _email_in_use(session, email_key):
        raise EmailTakenError(
            "An account with this email already exists. Log in instead.",
            field="email",
        )

    user = User(
        email=email,
        email_key=email_key,
        password_hash=password_hash,
        role=Role(role),
        name=name,
        timezone=timezone,
    )
    session.add(user)
    try:
        session.flush()
    except IntegrityError:
        # Two sign-ups with one email at the same moment: the index decides.
        session.rollback()
        raise EmailTakenError(
            "An account with this email already exists. Log in instead.",
            field="email",
        ) from None

    if role == Role.DOCTOR:
        session.add(DoctorProfile(user_id=user.id, specialty=specialty))
    else:
        session.add(PatientProfile(user_id=user.id))
    notifications.queue_welcome(session=session, user=user)
    session.flush()
    logger.info("user registered id=%s role=%s", user.id, role)
    return to_public(user)


def authenticate(*, session: Session, email: str, password: str) -> UserPublic:
    """Check an email and password.

    Raises:
        InvalidCredentialsError: the same message whether the email is unknown,
            the password wrong or the account deactivated.
        TooManyAttemptsError: this email failed too often lately (known or
            not, so the answer reveals nothing).
    """
    email_key = (email or "").strip().casefold()
    login_throttle.check_login_allowed(email_key)
    user = session.exec(select(User).where(User.email_key == email_key)).first()
    if user is None or len(password or "") > PASSWORD_MAX_LENGTH:
        dummy_verify()
        login_throttle.record_failed_login(email_key)
        raise InvalidCredentialsError(LOGIN_FAILED)
    if not verify_password(password, user.password_hash) or not user.is_active:
        login_throttle.record_failed_login(email_key)
        raise InvalidCredentialsError(LOGIN_FAILED)
    return to_public(user)


def _get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFoundError("That account no longer exists.")
    return user


def get_user_public(*, session: Session, user_id: int) -> UserPublic:
    """The public shape of one user.

    Raises:
        NotFoundError: no such user.
    """
    return to_public(_get_user(session, user_id))


def update_profile(
    *, session: Session, user_id: int, name: str, timezone: str
) -> UserPublic:
    """Change a user's name and timezone.

    Raises:
        ValidationError: empty or overlong name, unknown timezone.
    """
    name = _clean_name(name)
    _check_timezone(timezone)
    lock_for_writing(session)
    user = _get_user(session, user_id)
    user.name = name
    user.timezone = timezone
    session.add(user)
    session.flush()
    return to_public(user)


def change_password(
    *, session: Session, user_id: int, current_password: str, new_password: str
) -> None:
    """Replace a user's password after checking the current one.

    Raises:
        ValidationError: the current password is wrong, or the new one breaks
            the length rules.
    """
    lock_for_writing(session)
    user = _get_user(session, user_id)
    if not verify_password(current_password or "", user.password_hash):
        raise ValidationError(
            "The current password is not right.", field="current_password"
        )
    _check_password(new_password, field="new_password")
    user.password_hash = hash_password(new_password)
    session.add(user)
    session.flush()
    logger.info("password changed user_id=%s", user_id)
