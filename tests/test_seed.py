"""The demo clinic loads once and says how to log in."""

from sqlmodel import Session, func, select

import hms.db
from hms import seed
from hms.models import Role, Slot, User


def test_seed_loads_demo_clinic_once_and_prints_logins(
    sqlite_engine, monkeypatch, capsys
):
    """First run loads doctors, slots and patients; a second run refuses."""
    monkeypatch.setattr(hms.db, "get_engine", lambda: sqlite_engine)
    monkeypatch.setattr(seed, "get_engine", lambda: sqlite_engine)

    assert seed.main([]) == 0
    printed = capsys.readouterr().out

    with Session(sqlite_engine) as session:
        doctors = session.exec(
            select(func.count()).select_from(User).where(User.role == Role.DOCTOR)
        ).one()
        slots = session.exec(select(func.count()).select_from(Slot)).one()
    assert doctors == len(seed.DOCTORS)
    assert slots > 0
    assert seed.DEMO_PASSWORD in printed
    assert "amara.doctor@demo.hms.example" in printed
    assert seed.main([]) == 1
    assert seed.main(["--if-empty"]) == 0
