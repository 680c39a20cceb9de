"""The core workflow in Chromium: a doctor offers times, patients book them.

Each person has their own browser context (own cookies). The doctor works in
Europe/Berlin, the patients in America/New_York, so every time on screen is
checked in the viewer's zone.
"""

import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import Page, expect

from hms.services.booking import JUST_TAKEN
from tests.e2e.helpers import (
    add_many_slots,
    add_one_slot,
    at,
    book,
    choose_option,
    login,
    open_slots,
    seed_booking,
    seed_slot,
    seed_user,
    signup,
    today_in,
    unique,
    unique_email,
    url_of,
    user_id,
    wait_for_mail,
    wall_clock,
)

pytestmark = pytest.mark.e2e

DOCTOR_ZONE = "Europe/Berlin"
PATIENT_ZONE = "America/New_York"


def _day_title(day: date, zone: str) -> str:
    """A day card's heading, e.g. `Tuesday 8 December 2026 (Europe/Berlin)`."""
    return f"{day:%A} {day.day} {day:%B %Y} ({zone})"


def _slot_row(page: Page, slot_id: int):
    """The row of one slot in the doctor's schedule."""
    return page.locator("#schedule .slot-row").filter(
        has=page.locator(f"#delete-{slot_id}")
    )


def _doctor_signs_up(new_page) -> tuple[Page, str, str, str]:
    """A doctor signs up in a Berlin browser; returns (page, name, email, specialty)."""
    page = new_page(timezone_id=DOCTOR_ZONE)
    name = unique("Dr Ada Lind")
    email = unique_email("doctor")
    specialty = unique("Cardiology")
    signup(page, name=name, email=email, role="doctor", specialty=specialty)
    expect(page.locator("#current-user-role")).to_have_text("doctor")
    return page, name, email, specialty


def test_add_slots_one_and_many_listed_in_schedule(
    new_page, app_env: dict[str, str]
) -> None:
    """A new doctor adds one slot and a series; all show as open, by day."""
    page, _, email, _ = _doctor_signs_up(new_page)
    schedule = page.locator("#schedule")
    expect(schedule.locator(".empty-state")).to_be_visible()
    tomorrow = today_in(DOCTOR_ZONE) + timedelta(days=1)

    add_one_slot(page, tomorrow, "09:00", "09:30")

    expect(page.get_by_text(re.compile(r"^Slot added: .*09:00–09:30"))).to_be_visible()
    expect(schedule).to_contain_text(_day_title(tomorrow, DOCTOR_ZONE))
    row = schedule.locator(".slot-row").filter(has_text="09:00–09:30")
    expect(row).to_contain_text(f"09:00–09:30 ({DOCTOR_ZONE})")
    expect(row).to_contain_text("Open")

    # Days 2 to 6 from today, every weekday: all in the week shown first.
    first_day = tomorrow + timedelta(days=1)
    add_many_slots(
        page,
        first_day=first_day,
        last_day=first_day + timedelta(days=4),
        weekdays=set(range(7)),
        window_start="10:00",
        window_end="11:00",
        slot_minutes=30,
    )

    expect(page.get_by_text("Added 10 slots.")).to_be_visible()
    expect(schedule.locator(".slot-row")).to_have_count(11)
    for offset in range(5):
        expect(schedule).to_contain_text(
            _day_title(first_day + timedelta(days=offset), DOCTOR_ZONE)
        )
    late_rows = schedule.locator(".slot-row").filter(has_text="10:30–11:00")
    expect(late_rows).to_have_count(5)
    expect(schedule.locator(".slot-row").filter(has_text="Open")).to_have_count(11)
    assert len(open_slots(app_env, user_id(app_env, email))) == 11


def test_book_slot_seen_by_doctor_and_hidden_from_others(
    new_page, app_env: dict[str, str]
) -> None:
    """A patient in another zone finds the doctor and books; everyone sees it right."""
    doctor, doctor_name, doctor_email, specialty = _doctor_signs_up(new_page)
    tomorrow = today_in(DOCTOR_ZONE) + timedelta(days=1)
    add_one_slot(doctor, tomorrow, "09:00", "09:30")
    expect(doctor.locator("#schedule .slot-row")).to_have_count(1)
    add_one_slot(doctor, tomorrow, "09:30", "10:00")
    expect(doctor.locator("#schedule .slot-row")).to_have_count(2)
    doctor_id = user_id(app_env, doctor_email)
    booked_slot, other_slot = (slot.id for slot in open_slots(app_env, doctor_id))

    # The patient signs up in New York and finds the doctor.
    patient = new_page()
    patient_name = unique("Pat Quinn")
    patient_email = unique_email("patient")
    signup(patient, name=patient_name, email=patient_email, timezone=PATIENT_ZONE)
    expect(
        patient.get_by_text(f"Times are shown in your timezone, {PATIENT_ZONE}.")
    ).to_be_visible()
    choose_option(patient, "#specialty-filter", specialty)
    expect(patient.locator(".doctor-card")).to_have_count(1)
    patient.fill("#name-filter", doctor_name)
    card = patient.locator(".doctor-card")
    expect(card).to_have_count(1)
    expect(card).to_contain_text(doctor_name)
    card.get_by_role("link", name="See open times").click()

    # The doctor's page shows the times in New York, with the doctor's time.
    patient.wait_for_url(url_of(f"/doctors/{doctor_id}"))
    expect(patient.get_by_role("heading", name=doctor_name)).to_be_visible()
    start, end = at(tomorrow, "09:00", DOCTOR_ZONE), at(tomorrow, "09:30", DOCTOR_ZONE)
    local_label = (
        f"{wall_clock(start, PATIENT_ZONE)}–{wall_clock(end, PATIENT_ZONE)} "
        f"({PATIENT_ZONE})"
    )
    row = patient.locator(".slot-row").filter(
        has=patient.locator(f"#book-{booked_slot}")
    )
    expect(row).to_contain_text(local_label)
    expect(row).to_contain_text("09:00–09:30 (Europe/Berlin) doctor's time")

    reason = "Chest pain when climbing stairs"
    book(patient, booked_slot, reason)

    # Confirmation: a toast, then the appointment under Upcoming.
    expect(patient.get_by_text(re.compile(r"^Booked: "))).to_be_visible()
    patient.wait_for_url(url_of("/appointments"))
    upcoming = patient.locator("#upcoming")
    expect(upcoming).to_contain_text(doctor_name)
    expect(upcoming).to_contain_text(f"Reason: {reason}")
    expect(upcoming).to_contain_text(local_label.split(" (")[0])
    expect(upcoming).to_contain_text("booked")

    # The doctor sees who booked, on the schedule and under Appointments.
    doctor.goto("/availability")
    expect(_slot_row(doctor, booked_slot)).to_contain_text(f"Booked by {patient_name}")
    expect(_slot_row(doctor, other_slot)).to_contain_text("Open")
    doctor.goto("/appointments")
    expect(doctor.locator("#upcoming")).to_contain_text(patient_name)
    expect(doctor.locator("#upcoming")).to_contain_text(f"Reason: {reason}")
    expect(doctor.locator("#upcoming")).to_contain_text("09:00–09:30")

    # A second patient sees only the time still open.
    other = new_page()
    signup(other, name=unique("Sam Other"), email=unique_email("patient"))
    other.goto(f"/doctors/{doctor_id}")
    expect(other.locator(f"#book-{other_slot}")).to_be_visible()
    expect(other.locator(f"#book-{booked_slot}")).to_have_count(0)

    # Both sides get a confirmation email.
    to_patient = wait_for_mail(
        app_env["MAIL_DIR"], patient_email, f"Appointment confirmed with {doctor_name}"
    )
    to_doctor = wait_for_mail(
        app_env["MAIL_DIR"], doctor_email, f"New appointment: {patient_name}"
    )
    assert patient_email in str(to_patient["To"])
    assert doctor_email in str(to_doctor["To"])


def test_book_slot_from_stale_page_shows_just_taken(
    page: Page, app_env: dict[str, str]
) -> None:
    """Booking a time someone took after the page loaded says so and drops it."""
    doctor_id, _ = seed_user(
        app_env,
        name=unique("Dr Stale"),
        role="doctor",
        timezone=DOCTOR_ZONE,
        specialty="Dermatology",
    )
    tomorrow = today_in(DOCTOR_ZONE) + timedelta(days=1)
    taken = seed_slot(app_env, doctor_id, tomorrow, "11:00", "11:30")
    still_open = seed_slot(app_env, doctor_id, tomorrow, "11:30", "12:00")
    first_patient, _ = seed_user(app_env, name=unique("First Patient"))
    _, late_email = seed_user(
        app_env, name=unique("Late Patient"), timezone=PATIENT_ZONE
    )
    login(page, late_email)
    page.wait_for_url(url_of("/doctors"))
    page.goto(f"/doctors/{doctor_id}")
    expect(page.locator(f"#book-{taken}")).to_be_visible()

    seed_booking(app_env, first_patient, taken, "Booked in another tab")
    book(page, taken, "Too late")

    expect(page.locator("#alert")).to_have_text(JUST_TAKEN)
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(page.locator(f"#book-{taken}")).to_have_count(0)
    expect(page.locator(f"#book-{still_open}")).to_be_visible()
    expect(page).to_have_url(url_of(f"/doctors/{doctor_id}"))
