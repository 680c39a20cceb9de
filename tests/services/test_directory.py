"""The doctor directory: who is listed, filters, next open time."""

from datetime import UTC, datetime, timedelta

import pytest

from hms.errors import NotFoundError
from hms.models import SlotState, utc_now
from hms.services import directory
from tests.factories import make_appointment, make_doctor, make_patient, make_slot


def _tomorrow_at(hour: int) -> datetime:
    tomorrow = utc_now().date() + timedelta(days=1)
    return datetime(tomorrow.year, tomorrow.month, tomorrow.day, hour, tzinfo=UTC)


def test_list_doctors_next_open_time(session):
    """The next open time is the earliest future open slot, not a booked or past one."""
    doctor = make_doctor(session, name="Dr. Next")
    make_slot(session, doctor=doctor, start_at=utc_now() - timedelta(hours=3))
    booked = make_slot(session, doctor=doctor, start_at=_tomorrow_at(8))
    make_appointment(session, slot=booked, patient=make_patient(session))
    make_slot(session, doctor=doctor, start_at=_tomorrow_at(9), state=SlotState.REMOVED)
    make_slot(session, doctor=doctor, start_at=_tomorrow_at(12))
    make_slot(session, doctor=doctor, start_at=_tomorrow_at(10))
    make_slot(session, doctor=make_doctor(session), start_at=_tomorrow_at(7))

    summaries = {d.id: d for d in directory.list_doctors(session=session)}

    assert summaries[doctor.id].next_open_at == _tomorrow_at(10)
    assert summaries[doctor.id].next_open_at.tzinfo is not None


def test_list_doctors_without_open_slot(session):
    """A doctor with only booked or past slots has no next open time."""
    doctor = make_doctor(session)
    make_slot(session, doctor=doctor, start_at=utc_now() - timedelta(days=1))
    booked = make_slot(session, doctor=doctor, start_at=_tomorrow_at(8))
    make_appointment(session, slot=booked, patient=make_patient(session))

    (summary,) = directory.list_doctors(session=session)

    assert summary.next_open_at is None


def test_list_doctors_shows_specialty_and_timezone(session):
    """Each entry carries the doctor's name, specialty and timezone; patients are absent."""
    doctor = make_doctor(
        session, name="Dr. Who", specialty="Neurology", timezone="Asia/Tokyo"
    )
    make_patient(session)

    (summary,) = directory.list_doctors(session=session)

    assert (summary.id, summary.name, summary.specialty, summary.timezone) == (
        doctor.id,
        "Dr. Who",
        "Neurology",
        "Asia/Tokyo",
    )


@pytest.mark.parametrize("wanted", ["Cardiology", "cardiology", " CARDIOLOGY "])
def test_list_doctors_filter_by_specialty_any_case(session, wanted):
    """The specialty filter matches the whole specialty in any letter case."""
    heart = make_doctor(session, specialty="Cardiology")
    make_doctor(session, specialty="Dermatology")
    make_doctor(session, specialty="Cardiology surgery")

    found = directory.list_doctors(session=session, specialty=wanted)

    assert [d.id for d in found] == [heart.id]


@pytest.mark.parametrize("part", ["grace", "HOPP", " Grace H "])
def test_list_doctors_filter_by_part_of_name(session, part):
    """The name filter matches any part of the name in any letter case."""
    grace = make_doctor(session, name="Grace Hopper")
    make_doctor(session, name="Ada Lovelace")

    found = directory.list_doctors(session=session, name=part)

    assert [d.id for d in found] == [grace.id]


def test_list_doctors_excludes_inactive(session):
    """Deactivated doctors are not listed, even with open slots."""
    active = make_doctor(session, name="Active")
    inactive = make_doctor(session, name="Inactive", is_active=False)
    make_slot(session, doctor=inactive)

    found = directory.list_doctors(session=session)

    assert [d.id for d in found] == [active.id]


def test_list_doctors_ordered_by_name_and_paged(session):
    """Doctors come ordered by name, any letter case, one page at a time."""
    names = ["carol", "Alice", "bob", "Dave"]
    for name in names:
        make_doctor(session, name=name)

    first = directory.list_doctors(session=session, limit=2)
    second = directory.list_doctors(session=session, limit=2, offset=2)

    assert [d.name for d in first + second] == ["Alice", "bob", "carol", "Dave"]


def test_list_specialties_of_active_doctors(session):
    """Specialties are distinct, sorted, and only of active doctors."""
    make_doctor(session, specialty="Neurology")
    make_doctor(session, specialty="Cardiology")
    make_doctor(session, specialty="Cardiology")
    make_doctor(session, specialty="Oncology", is_active=False)

    assert directory.list_specialties(session=session) == ["Cardiology", "Neurology"]


def test_get_doctor_returns_summary(session):
    """An active doctor's id gives their summary with the next open time."""
    doctor = make_doctor(session, specialty="Neurology")
    make_slot(session, doctor=doctor, start_at=_tomorrow_at(9))

    summary = directory.get_doctor(session=session, doctor_id=doctor.id)

    assert (summary.id, summary.specialty) == (doctor.id, "Neurology")
    assert summary.next_open_at == _tomorrow_at(9)


@pytest.mark.parametrize("who", ["patient", "inactive doctor", "nobody"])
def test_get_doctor_not_an_active_doctor(session, who):
    """A patient's id, an inactive doctor's or an unknown id is NotFoundError."""
    if who == "patient":
        user_id = make_patient(session).id
    elif who == "inactive doctor":
        user_id = make_doctor(session, is_active=False).id
    else:
        user_id = 4242

    with pytest.raises(NotFoundError):
        directory.get_doctor(session=session, doctor_id=user_id)


@pytest.mark.parametrize("part", ["Öz", "öz", "ÖZ"])
def test_list_doctors_filter_by_name_non_ascii_letters(session, part):
    """The name filter matches accented capitals in any letter case (Dr. Öz)."""
    doctor = make_doctor(session, name="Dr. Öz")
    make_doctor(session, name="Dr. Oz")

    found = directory.list_doctors(session=session, name=part)

    assert [d.id for d in found] == [doctor.id]


@pytest.mark.parametrize("part", ["Weiß", "weiß"])
def test_list_doctors_filter_by_name_sharp_s(session, part):
    """A name with ß is found by typing it as it is written."""
    doctor = make_doctor(session, name="Dr. Weiß")

    found = directory.list_doctors(session=session, name=part)

    assert [d.id for d in found] == [doctor.id]


@pytest.mark.parametrize("wanted", ["Ästhetik", "ästhetik"])
def test_list_doctors_filter_by_specialty_non_ascii(session, wanted):
    """The specialty filter matches a specialty starting with an umlaut."""
    doctor = make_doctor(session, specialty="Ästhetik")

    found = directory.list_doctors(session=session, specialty=wanted)

    assert [d.id for d in found] == [doctor.id]
