"""Scenario 4: a doctor's page and the doctor's availability page, with many slots.

SQL statements are counted in this process, around the service calls each
page's on_load handlers make (the app process is not instrumented); the
websocket latency of the same page loads is measured separately.
"""

import logging
import time

from sqlalchemy import event

from bench import patients as flows
from bench.common import Figures, load_sessions
from bench.ws_client import RxClient
from hms.db import make_engine, session_scope
from hms.services import auth_sessions, availability, directory
from hms.states.rows import week_window

logger = logging.getLogger(__name__)


def _count_statements(engine, calls) -> tuple[int, float]:
    """How many statements `calls` (each given a fresh session) send to the DB,
    and how long the calls took in this process."""
    statements = []
    started = time.perf_counter()

    def record(*_args, **_kwargs):
        statements.append(1)

    event.listen(engine, "before_cursor_execute", record)
    try:
        for call in calls:
            with session_scope(engine) as session:
                call(session)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return len(statements), time.perf_counter() - started


def statements_per_page(url: str, *, doctor: dict, patient_token: str) -> dict:
    """SQL statements (and seconds) of one doctor-page and one availability-page load.

    The doctor page's on_load runs require_patient then load_doctor (two
    session lookups, the doctor, the open slots); availability runs
    require_doctor then load_availability (two lookups, the schedule).
    """
    engine = make_engine(url)

    def lookup(token: str):
        return lambda s: auth_sessions.user_for_token(session=s, token=token)

    # The pages show one week at a time (week 0 = from today), in UTC here.
    week = week_window("UTC", 0)
    window = {"start_at": week.start_at, "end_at": week.end_at}
    doctor_page = [
        lookup(patient_token),
        lookup(patient_token),
        lambda s: directory.get_doctor(session=s, doctor_id=doctor["id"]),
        lambda s: availability.list_open_slots(
            session=s, doctor_id=doctor["id"], **window
        ),
    ]
    own_page = [
        lookup(doctor["token"]),
        lookup(doctor["token"]),
        lambda s: availability.list_doctor_schedule(
            session=s, doctor_id=doctor["id"], **window
        ),
    ]
    counts = {
        "doctor_page_sql": _count_statements(engine, doctor_page),
        "availability_page_sql": _count_statements(engine, own_page),
    }
    engine.dispose()
    return counts


async def _page_latency(base_url, token, page, repeats, figures) -> None:
    client = RxClient(base_url, session_token=token)
    await client.open(*page)
    try:
        for _ in range(repeats):
            client.forget()
            figures.latencies.append(await client.navigate(*page))
    finally:
        await client.close()


async def run(base_url: str, *, repeats: int = 50) -> list[Figures]:
    """For the big (5,000 slots) and small (50) doctor: SQL count and latency."""
    sessions = load_sessions()
    patient = sessions["patients"][4900]
    out = []
    for size in ("big_doctor", "small_doctor"):
        doctor = sessions[size]
        counts = statements_per_page(
            sessions["url"], doctor=doctor, patient_token=patient["token"]
        )
        pages = {
            "doctor_page": (patient["token"], flows.doctor_page(doctor["id"])),
            "availability_page": (doctor["token"], ("/availability", None)),
        }
        for name, (token, page) in pages.items():
            figures = Figures(f"read_{name}_{size}", extra={"slots": doctor["slots"]})
            statements, service_seconds = counts[f"{name}_sql"]
            figures.extra["sql_statements"] = statements
            figures.extra["service_calls_ms"] = round(1000 * service_seconds, 1)
            started = time.perf_counter()
            await _page_latency(base_url, token, page, repeats, figures)
            figures.elapsed = time.perf_counter() - started
            figures.count("loads", repeats)
            out.append(figures)
    return out
