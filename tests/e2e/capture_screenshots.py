"""Take the README's screenshots (1280x800 PNG) into docs/screenshots/.

Not part of the test suite (pytest only collects test_*.py); run it by hand:

    HMS_CAPTURE_SCREENSHOTS=1 .venv/bin/python -m pytest tests/e2e/capture_screenshots.py

It starts the app like the end-to-end tests do, seeds a small clinic through
the services and photographs the doctor's availability, a doctor's open times
as a patient sees them, and the doctor's appointments.
"""

import os
from datetime import time, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from hms.db import session_scope
from hms.services import availability
from tests.e2e.helpers import (
    DESKTOP_VIEWPORT,
    engine_for,
    login,
    open_slots,
    seed_booking,
    seed_user,
    today_in,
    url_of,
)

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        os.environ.get("HMS_CAPTURE_SCREENSHOTS") != "1",
        reason="set HMS_CAPTURE_SCREENSHOTS=1 to take the README screenshots",
    ),
]

OUT_DIR = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
MAX_BYTES = 300_000
DOCTOR_ZONE = "Europe/Berlin"


def _seed_clinic(app_env: dict[str, str]) -> dict[str, object]:
    """A doctor with a week of morning slots, two of them booked."""
    doctor_id, doctor_email = seed_user(
        app_env,
        name="Dr. Amelia Hart",
        role="doctor",
        timezone=DOCTOR_ZONE,
        specialty="Dermatology",
    )
    seed_user(
        app_env,
        name="Dr. Omar Haddad",
        role="doctor",
        timezone=DOCTOR_ZONE,
        specialty="Cardiology",
    )
    first_day = today_in(DOCTOR_ZONE) + timedelta(days=1)
    with session_scope(engine_for(app_env)) as session:
        availability.add_slots(
            session=session,
            doctor_id=doctor_id,
            first_day=first_day,
            last_day=first_day + timedelta(days=6),
            weekdays=range(5),
            window_start=time(9, 0),
            window_end=time(11, 0),
            slot_minutes=30,
        )
    slots = open_slots(app_env, doctor_id)
    jonas, _ = seed_user(app_env, name="Jonas Weber", timezone=DOCTOR_ZONE)
    maria, maria_email = seed_user(
        app_env, name="Maria Silva", timezone="America/New_York"
    )
    seed_booking(app_env, jonas, slots[1].id, "Follow-up on a skin rash")
    seed_booking(app_env, maria, slots[6].id, "Mole check before travelling")
    return {"doctor_id": doctor_id, "doctor": doctor_email, "patient": maria_email}


def _shoot(page: Page, name: str) -> None:
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    path = OUT_DIR / f"{name}.png"
    page.mouse.move(0, 0)
    page.screenshot(path=str(path), type="png", animations="disabled")
    size = path.stat().st_size
    assert size < MAX_BYTES, f"{path} is {size} bytes; keep it under {MAX_BYTES}"


def test_capture_readme_screenshots(new_page, app_env: dict[str, str]) -> None:
    """Writes availability.png, doctor-open-times.png and appointments.png."""
    clinic = _seed_clinic(app_env)

    doctor = new_page(viewport=DESKTOP_VIEWPORT, timezone_id=DOCTOR_ZONE)
    login(doctor, clinic["doctor"])
    doctor.wait_for_url(url_of("/availability"))
    expect(doctor.get_by_text("Booked by Jonas Weber")).to_be_visible()
    doctor.get_by_text("Add many slots").scroll_into_view_if_needed()
    _shoot(doctor, "availability")

    doctor.goto("/appointments")
    expect(doctor.locator("#upcoming .appointment-card")).to_have_count(2)
    _shoot(doctor, "appointments")

    patient = new_page(viewport=DESKTOP_VIEWPORT, timezone_id="America/New_York")
    login(patient, clinic["patient"])
    patient.wait_for_url(url_of("/doctors"))
    patient.goto(f"/doctors/{clinic['doctor_id']}")
    expect(patient.locator(".slot-row").first).to_be_visible()
    _shoot(patient, "doctor-open-times")
