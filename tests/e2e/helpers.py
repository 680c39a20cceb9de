"""Steps the browser tests share: sign up, log in, add slots, seed data, read mail.

Browser steps act like a user (ids from hms/pages, visible text); seeding
steps call the services in-process against the app's own SQLite file, for
set-up a test is not about.
"""

import re
import time
import uuid
from datetime import date, datetime
from datetime import time as clock
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from zoneinfo import ZoneInfo

from playwright.sync_api import Page, expect
from sqlalchemy import Engine, func
from sqlmodel import select

from hms.db import make_engine, session_scope
from hms.models.users import User
from hms.services import accounts, availability, booking
from hms.services.views import SlotView

PASSWORD = "correct horse battery staple"
PHONE_VIEWPORT = {"width": 390, "height": 844}
DESKTOP_VIEWPORT = {"width": 1280, "height": 800}
MAIL_TIMEOUT_S = 20.0

_engines: dict[str, Engine] = {}


# --- names ---------------------------------------------------------------


def unique(prefix: str) -> str:
    """`prefix` plus a short random tag, so tests never share a user."""
    return f"{prefix} {uuid.uuid4().hex[:8]}"


def unique_email(prefix: str = "user") -> str:
    """A fresh address such as `patient-1a2b3c4d@example.com`."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}@example.com"


# --- browser steps -------------------------------------------------------


def url_of(path: str) -> re.Pattern:
    """Matches the app's URL of `path` (e.g. "/login"), with or without a final /."""
    return re.compile(rf"^https?://[^/]+{re.escape(path.rstrip('/'))}/?(\?.*)?$")


HOME_URL = url_of("/")


def wait_until_interactive(page: Page) -> None:
    """Wait until the page's scripts have loaded, so forms submit through Reflex."""
    page.wait_for_load_state("networkidle")


def choose_option(page: Page, trigger: str, option: str) -> None:
    """Pick `option` in the Radix select whose trigger matches the selector `trigger`."""
    page.locator(trigger).click()
    page.get_by_role("option", name=option, exact=True).click()
    expect(page.locator(trigger)).to_have_text(option)


def signup(
    page: Page,
    *,
    name: str,
    email: str,
    password: str = PASSWORD,
    role: str = "patient",
    specialty: str = "",
    timezone: str = "",
) -> None:
    """Sign up through /signup and wait for the role's home page.

    Args:
        timezone: chosen in the timezone select; empty keeps the browser's zone.
    """
    page.goto("/signup")
    wait_until_interactive(page)
    browser_zone = page.evaluate("Intl.DateTimeFormat().resolvedOptions().timeZone")
    # The form presets the browser's zone; wait for it so it can't undo a choice.
    expect(page.locator("#timezone")).to_have_text(browser_zone)
    page.fill("#name", name)
    page.fill("#email", email)
    page.fill("#password", password)
    page.click(f"#role-{role}")
    if role == "doctor":
        page.fill("#specialty", specialty)
    if timezone and timezone != browser_zone:
        choose_option(page, "#timezone", timezone)
    page.click("#signup-submit")
    home = "/availability" if role == "doctor" else "/doctors"
    page.wait_for_url(url_of(home))
    expect(page.locator("#current-user-name")).to_have_text(name)
    wait_until_loaded(page)


def wait_until_loaded(page: Page) -> None:
    """Wait until a role's home page has loaded its list (slots or doctors)."""
    if "/availability" in page.url:
        loaded = page.locator("#schedule .slot-row, #schedule .empty-state")
    else:
        loaded = page.locator(".doctor-card, .empty-state")
    expect(loaded.first).to_be_visible()


def login(page: Page, email: str, password: str = PASSWORD) -> None:
    """Fill in and submit the login form (the caller checks where it leads)."""
    page.goto("/login")
    wait_until_interactive(page)
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("#login-submit")


def logout(page: Page) -> None:
    """Click Log out in the top bar and wait for the home page."""
    page.click("#logout")
    page.wait_for_url(HOME_URL)


def add_one_slot(page: Page, day: date, start: str, end: str) -> None:
    """Add one slot with the "Add one slot" form on /availability."""
    page.fill("#slot-date", day.isoformat())
    page.fill("#slot-start", start)
    page.fill("#slot-end", end)
    page.click("#add-slot")


def set_checkbox(page: Page, selector: str, checked: bool) -> None:
    """Tick or untick a Radix checkbox (a button with aria-checked)."""
    box = page.locator(selector)
    if (box.get_attribute("aria-checked") == "true") != checked:
        box.click()
    expect(box).to_have_attribute("aria-checked", "true" if checked else "false")


def add_many_slots(
    page: Page,
    *,
    first_day: date,
    last_day: date,
    weekdays: set[int],
    window_start: str,
    window_end: str,
    slot_minutes: int,
) -> None:
    """Add a series with the "Add many slots" form on /availability (0 = Monday)."""
    page.fill("#first-day", first_day.isoformat())
    page.fill("#last-day", last_day.isoformat())
    for weekday in range(7):
        set_checkbox(page, f"#weekday-{weekday}", weekday in weekdays)
    page.fill("#window-start", window_start)
    page.fill("#window-end", window_end)
    page.fill("#slot-minutes", str(slot_minutes))
    page.click("#add-slots")


def book(page: Page, slot_id: int, reason: str = "") -> None:
    """On a doctor's page: Book a slot, give the reason, confirm."""
    page.click(f"#book-{slot_id}")
    expect(page.get_by_role("dialog")).to_be_visible()
    if reason:
        page.fill("#reason", reason)
    page.click("#confirm-booking")


# --- times ---------------------------------------------------------------


def at(day: date, hhmm: str, zone: str) -> datetime:
    """The moment `day` `hhmm` on the wall clock of `zone`."""
    return datetime.combine(day, clock.fromisoformat(hhmm), ZoneInfo(zone))


def wall_clock(moment: datetime, zone: str) -> str:
    """`09:00`: the time `moment` shows in `zone`."""
    return moment.astimezone(ZoneInfo(zone)).strftime("%H:%M")


def today_in(zone: str) -> date:
    """Today's date in `zone`."""
    return datetime.now(ZoneInfo(zone)).date()


# --- seeding through the services ----------------------------------------


def engine_for(app_env: dict[str, str]) -> Engine:
    """One engine per test database, on the file the running app uses."""
    url = app_env["DATABASE_URL"]
    if url not in _engines:
        _engines[url] = make_engine(url)
    return _engines[url]


def seed_user(
    app_env: dict[str, str],
    *,
    name: str,
    role: str = "patient",
    timezone: str = "UTC",
    specialty: str = "",
    email: str = "",
    password: str = PASSWORD,
) -> tuple[int, str]:
    """Register a user directly; returns (id, email)."""
    email = email or unique_email(role)
    with session_scope(engine_for(app_env)) as session:
        user = accounts.register_user(
            session=session,
            email=email,
            password=password,
            name=name,
            role=role,
            timezone=timezone,
            specialty=specialty,
        )
    return user.id, email


def seed_slot(
    app_env: dict[str, str], doctor_id: int, day: date, start: str, end: str
) -> int:
    """Add one slot for a doctor (times in the doctor's zone); returns its id."""
    with session_scope(engine_for(app_env)) as session:
        slot = availability.add_slot(
            session=session,
            doctor_id=doctor_id,
            day=day,
            start=clock.fromisoformat(start),
            end=clock.fromisoformat(end),
        )
    return slot.id


def seed_booking(
    app_env: dict[str, str], patient_id: int, slot_id: int, reason: str = ""
) -> int:
    """Book a slot for a patient, as another browser tab would; returns its id."""
    with session_scope(engine_for(app_env)) as session:
        appointment = booking.book_slot(
            session=session, patient_id=patient_id, slot_id=slot_id, reason=reason
        )
    return appointment.id


def user_id(app_env: dict[str, str], email: str) -> int:
    """The id of the account with `email`."""
    with session_scope(engine_for(app_env)) as session:
        query = select(User.id).where(func.lower(User.email) == email.lower())
        return session.exec(query).one()


def open_slots(app_env: dict[str, str], doctor_id: int) -> list[SlotView]:
    """A doctor's open future slots, soonest first."""
    with session_scope(engine_for(app_env)) as session:
        return availability.list_open_slots(session=session, doctor_id=doctor_id)


# --- mail ----------------------------------------------------------------


def read_mail(mail_dir: str | Path) -> list[EmailMessage]:
    """Every .eml file the app has written to `mail_dir`."""
    parser = BytesParser(policy=policy.default)
    messages = []
    for path in sorted(Path(mail_dir).glob("*.eml")):
        with path.open("rb") as handle:
            messages.append(parser.parse(handle))
    return messages


def wait_for_mail(
    mail_dir: str | Path, to: str, subject: str, timeout: float = MAIL_TIMEOUT_S
) -> EmailMessage:
    """The message to `to` with `subject`, polling until the outbox delivers it.

    Raises:
        AssertionError: it did not arrive within `timeout` seconds.
    """
    deadline = time.monotonic() + timeout
    while True:
        found = [
            message
            for message in read_mail(mail_dir)
            if to.lower() in str(message["To"]).lower()
            and str(message["Subject"]) == subject
        ]
        if found:
            return found[0]
        if time.monotonic() > deadline:
            seen = [(str(m["To"]), str(m["Subject"])) for m in read_mail(mail_dir)]
            raise AssertionError(
                f"no email to {to!r} with subject {subject!r} within {timeout:.0f}s; "
                f"the mail folder holds {seen}"
            )
        time.sleep(0.5)
