"""The doctor directory patients browse: who, what specialty, next open time."""

from sqlalchemy import func
from sqlmodel import Session, col, select

from hms.errors import NotFoundError
from hms.models import DoctorProfile, Role, Slot, SlotState, User, utc_now
from hms.services.views import DoctorSummary

NAME_FILTER_MAX_LENGTH = 120


def _escape_like(text: str) -> str:
    """Make `%` and `_` in a search term match themselves."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _next_open_subquery(now):
    return (
        select(func.min(Slot.start_at))
        .where(Slot.doctor_id == User.id)
        .where(Slot.state == SlotState.OPEN)
        .where(Slot.start_at > now)
        .correlate(User)
        .scalar_subquery()
    )


def _doctors_query(now):
    return (
        select(User, DoctorProfile.specialty, _next_open_subquery(now))
        .join(DoctorProfile, DoctorProfile.user_id == User.id)
        .where(User.role == Role.DOCTOR)
        .where(User.is_active)
    )


def _summary(user: User, specialty: str, next_open_at) -> DoctorSummary:
    return DoctorSummary(
        id=user.id,
        name=user.name,
        specialty=specialty,
        timezone=user.timezone,
        next_open_at=next_open_at,
    )


def list_doctors(
    *,
    session: Session,
    specialty: str = "",
    name: str = "",
    limit: int = 50,
    offset: int = 0,
) -> list[DoctorSummary]:
    """Active doctors, optionally filtered, ordered by name, one page at a time.

    Args:
        session: an open session.
        specialty: exact specialty (any letter case); empty for all.
        name: part of the doctor's name (any letter case); empty for all.
        limit: page size.
        offset: rows to skip.

    Returns:
        Doctors with their next open time, in one SQL statement.
    """
    query = _doctors_query(utc_now())
    if specialty.strip():
        wanted = specialty.strip().lower()
        query = query.where(func.lower(DoctorProfile.specialty) == wanted)
    if name.strip():
        # lower() on both sides: SQL's lower and casefold disagree on "ß".
        typed = name.strip()[:NAME_FILTER_MAX_LENGTH].lower()
        pattern = "%" + _escape_like(typed) + "%"
        query = query.where(func.lower(User.name).like(pattern, escape="\\"))
    query = query.order_by(func.lower(User.name), User.id).offset(offset).limit(limit)
    return [_summary(*row) for row in session.exec(query).all()]


def list_specialties(*, session: Session) -> list[str]:
    """The distinct specialties of active doctors, sorted."""
    query = (
        select(DoctorProfile.specialty)
        .join(User, User.id == DoctorProfile.user_id)
        .where(User.is_active)
        .distinct()
        .order_by(DoctorProfile.specialty)
    )
    return list(session.exec(query).all())


def get_doctor(*, session: Session, doctor_id: int) -> DoctorSummary:
    """One active doctor.

    Raises:
        NotFoundError: no active doctor has this id.
    """
    row = session.exec(
        _doctors_query(utc_now()).where(col(User.id) == doctor_id)
    ).first()
    if row is None:
        raise NotFoundError("We couldn't find that doctor. Pick one from the list.")
    return _summary(*row)
