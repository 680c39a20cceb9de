"""Scenario 1: many patients press Book on the same slot at the same moment."""

import asyncio
import logging

from sqlalchemy import create_engine, text

from bench import patients as flows
from bench.common import Figures, load_sessions

logger = logging.getLogger(__name__)

# Patients 4000.. are kept for this scenario; others book elsewhere.
FIRST_PATIENT = 4000


def next_open_slot(url: str, doctor_id: int) -> int:
    """The contention doctor's first slot nobody has booked yet."""
    engine = create_engine(url)
    query = text(
        "SELECT id FROM slot WHERE doctor_id = :d AND state = 'open' "
        "AND start_at > now() ORDER BY start_at LIMIT 1"
    )
    with engine.connect() as conn:
        slot_id = conn.execute(query, {"d": doctor_id}).scalar_one()
    engine.dispose()
    return slot_id


def appointments_for(url: str, slot_id: int) -> int:
    """How many active appointments hold `slot_id` (must be 1)."""
    engine = create_engine(url)
    query = text(
        "SELECT count(*) FROM appointment WHERE slot_id = :s AND status = 'booked'"
    )
    with engine.connect() as conn:
        count = conn.execute(query, {"s": slot_id}).scalar_one()
    engine.dispose()
    return count


async def run(base_url: str, *, patients: int = 200, label: str = "") -> Figures:
    """Open the slot's page in `patients` tabs, click it, then all press Book."""
    sessions = load_sessions()
    url, doctor = sessions["url"], sessions["contention_doctor"]
    slot_id = next_open_slot(url, doctor)
    chosen = sessions["patients"][FIRST_PATIENT : FIRST_PATIENT + patients]
    figures = Figures(
        f"contention{label}", extra={"patients": patients, "slot": slot_id}
    )

    page = flows.doctor_page(doctor)
    clients = await flows.open_clients(base_url, [p["token"] for p in chosen], page)
    try:
        await asyncio.gather(*(flows.choose_slot(c, slot_id) for c in clients))
        started = asyncio.get_running_loop().time()
        answers = await asyncio.gather(
            *(flows.submit_booking(c, slot_id, timeout=120) for c in clients),
            return_exceptions=True,
        )
        figures.elapsed = asyncio.get_running_loop().time() - started
    finally:
        await flows.close_all(clients)

    for answer in answers:
        if isinstance(answer, BaseException):
            figures.count("errors")
            logger.warning("booking failed: %r", answer)
            continue
        seconds, outcome = answer
        figures.latencies.append(seconds)
        figures.count(outcome if outcome in (flows.BOOKED, flows.TAKEN) else "errors")
    figures.extra["db_appointments_for_slot"] = appointments_for(url, slot_id)
    figures.extra["exact"] = (
        figures.counts.get(flows.BOOKED) == 1
        and figures.counts.get(flows.TAKEN) == patients - 1
        and figures.extra["db_appointments_for_slot"] == 1
    )
    return figures
