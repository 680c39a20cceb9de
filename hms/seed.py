"""Load a demo clinic: doctors in several specialties, open slots, patients.

Run `python -m hms.seed` (add `--if-empty` to do nothing when users exist).
"""

import argparse
import logging
import sys
import unicodedata
from datetime import date, time, timedelta

from sqlmodel import Session, func, select

from hms.db import get_engine, session_scope
from hms.models import User
from hms.services import accounts, availability

logger = logging.getLogger(__name__)

DEMO_PASSWORD = "demo-password"
CLINIC_TIMEZONE = "America/New_York"
WEEKDAYS = (0, 1, 2, 3, 4)
DEMO_DAYS = 14

# (name, specialty, timezone): one doctor consults remotely from Berlin.
DOCTORS = [
    ("Dr. Amara Okafor", "General practice", CLINIC_TIMEZONE),
    ("Dr. Benjamin Hart", "General practice", CLINIC_TIMEZONE),
    ("Dr. Chloé Moreau", "Cardiology", CLINIC_TIMEZONE),
    ("Dr. Daniel Kim", "Cardiology", CLINIC_TIMEZONE),
    ("Dr. Elena Petrova", "Dermatology", CLINIC_TIMEZONE),
    ("Dr. Farid Haddad", "Dermatology", "Europe/Berlin"),
    ("Dr. Grace Liu", "Pediatrics", CLINIC_TIMEZONE),
    ("Dr. Henrik Larsen", "Pediatrics", CLINIC_TIMEZONE),
    ("Dr. Isabel Reyes", "Orthopedics", CLINIC_TIMEZONE),
    ("Dr. Jonas Weber", "Neurology", CLINIC_TIMEZONE),
    ("Dr. Kavya Nair", "Psychiatry", CLINIC_TIMEZONE),
    ("Dr. Liam O'Connor", "Ophthalmology", CLINIC_TIMEZONE),
]
PATIENTS = [
    ("Maria Garcia", CLINIC_TIMEZONE),
    ("Noah Johnson", CLINIC_TIMEZONE),
    ("Olivia Chen", "America/Los_Angeles"),
    ("Pedro Alves", "Europe/Lisbon"),
]


def _email(name: str, role: str) -> str:
    first_name = name.removeprefix("Dr. ").split()[0].lower()
    # Demo addresses stay plain ASCII so every mail server accepts them.
    local = unicodedata.normalize("NFKD", first_name).encode("ascii", "ignore")
    local = local.decode()
    return f"{local}.{role}@demo.hms.example"


def _has_users(session: Session) -> bool:
    return session.exec(select(func.count()).select_from(User)).one() > 0


def _add_doctor(name: str, specialty: str, timezone: str) -> int:
    with session_scope() as session:
        doctor = accounts.register_user(
            session=session,
            email=_email(name, "doctor"),
            password=DEMO_PASSWORD,
            name=name,
            role="doctor",
            timezone=timezone,
            specialty=specialty,
        )
    return doctor.id


def _add_week_slots(doctor_id: int, first_day: date) -> int:
    added = 0
    for window in ((time(9), time(12)), (time(14), time(17))):
        with session_scope() as session:
            added += len(
                availability.add_slots(
                    session=session,
                    doctor_id=doctor_id,
                    first_day=first_day,
                    last_day=first_day + timedelta(days=DEMO_DAYS - 1),
                    weekdays=WEEKDAYS,
                    window_start=window[0],
                    window_end=window[1],
                    slot_minutes=30,
                )
            )
    return added


def _add_patient(name: str, timezone: str) -> None:
    with session_scope() as session:
        accounts.register_user(
            session=session,
            email=_email(name, "patient"),
            password=DEMO_PASSWORD,
            name=name,
            role="patient",
            timezone=timezone,
        )


def load_demo_clinic() -> list[tuple[str, str]]:
    """Create the demo doctors, their slots and patients.

    Returns:
        (email, role) of every demo login; all share DEMO_PASSWORD.
    """
    tomorrow = date.today() + timedelta(days=1)
    slot_count = 0
    for name, specialty, timezone in DOCTORS:
        slot_count += _add_week_slots(_add_doctor(name, specialty, timezone), tomorrow)
    for name, timezone in PATIENTS:
        _add_patient(name, timezone)
    logger.info("demo clinic loaded doctors=%s slots=%s", len(DOCTORS), slot_count)
    return [(_email(name, "doctor"), "doctor") for name, _, _ in DOCTORS] + [
        (_email(name, "patient"), "patient") for name, _ in PATIENTS
    ]


def _show_own_log_on_stdout() -> None:
    """The command's output is this module's log lines, shown plainly."""
    if logger.handlers:
        return
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False


def main(argv: list[str] | None = None) -> int:
    """Command line entry: load the demo clinic and print its logins."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--if-empty", action="store_true", help="do nothing if any user exists"
    )
    args = parser.parse_args(argv)
    _show_own_log_on_stdout()
    with Session(get_engine()) as session:
        if _has_users(session):
            if args.if_empty:
                return 0
            logger.warning("The database already has users; the demo was not loaded.")
            return 1

    logins = load_demo_clinic()
    # The demo password is public (README); it is no one's real secret.
    logger.info(
        "Demo clinic loaded. Every demo login uses the password: %s", DEMO_PASSWORD
    )
    for email, role in logins:
        logger.info("  %-8s %s", role, email)
    return 0


if __name__ == "__main__":
    sys.exit(main())
