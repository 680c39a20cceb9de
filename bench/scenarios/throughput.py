"""Scenarios 2 and 3: concurrent patients booking distinct slots for a while,
over the websocket (the app) and through the service layer directly."""

import asyncio
import logging
import math
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import text

from bench import patients as flows
from bench.common import PASSWORD, Figures, db_counts, load_sessions, percentile
from hms.db import make_engine, session_scope
from hms.errors import SlotUnavailableError
from hms.services.booking import book_slot

logger = logging.getLogger(__name__)

# No worker books more than this many slots in one run, whatever the time.
MAX_PER_WORKER = 400
# The doctor page lists one week; a worker pages through at most this many.
MAX_WEEKS = 12


def assignment(
    worker: int, concurrency: int, doctors: list[int]
) -> tuple[int, int, int]:
    """(doctor, share, shares) of a worker: patient `worker` books only from one
    doctor, whose slots never overlap, so a patient never clashes with itself."""
    shares = math.ceil(concurrency / len(doctors))
    return doctors[worker % len(doctors)], worker // len(doctors), shares


def _tally(figures: Figures, seconds: float, outcome: str) -> None:
    figures.latencies.append(seconds)
    figures.count(outcome if outcome in (flows.BOOKED, flows.TAKEN) else "errors")


async def _open_tab(base_url, patient, doctor, gate, journeys: Figures):
    """Log in through the form, list doctors, open the doctor: the tab to book in."""
    async with gate:
        client, steps = await flows.journey(
            base_url, patient["email"], PASSWORD, doctor
        )
    for step, seconds in steps.items():
        journeys.extra.setdefault(step, []).append(seconds)
    return client


async def _ws_worker(client, share, shares, deadline, figures) -> None:
    """Book this worker's share of the listed slots, week after week."""
    booked = 0
    for _ in range(MAX_WEEKS):
        for slot_id in flows.listed_slot_ids(client)[share::shares]:
            if time.monotonic() >= deadline or booked >= MAX_PER_WORKER:
                return
            client.forget()
            await flows.choose_slot(client, slot_id)
            _tally(figures, *await flows.submit_booking(client, slot_id))
            booked += 1
        await flows.next_week(client)
    # Out of slots before time: rerun bench.setup_db for full-length runs.
    figures.count("workers_out_of_slots")


async def run_ws(
    base_url: str, *, concurrency: int, seconds: float, label=""
) -> Figures:
    """`concurrency` tabs, each on its doctor's page, booking slot after slot.

    Each tab first logs in through the form, lists the doctors and opens its
    doctor (p95 of each step is reported); the clock starts after.
    """
    sessions = load_sessions()
    figures = Figures(f"throughput_ws{label}", extra={"concurrency": concurrency})
    plans = [
        assignment(i, concurrency, sessions["pool_doctors"]) for i in range(concurrency)
    ]
    gate = asyncio.Semaphore(16)
    journeys = Figures("journeys")
    clients = await asyncio.gather(
        *(
            _open_tab(base_url, sessions["patients"][i], doctor, gate, journeys)
            for i, (doctor, _, _) in enumerate(plans)
        )
    )
    for step, values in journeys.extra.items():
        figures.extra[f"{step}_p95_ms"] = round(1000 * percentile(values, 95), 1)
    deadline = time.monotonic() + seconds
    started = time.perf_counter()
    try:
        results = await asyncio.gather(
            *(
                _ws_worker(c, share, shares, deadline, figures)
                for c, (_, share, shares) in zip(clients, plans, strict=True)
            ),
            return_exceptions=True,
        )
    finally:
        figures.elapsed = time.perf_counter() - started
        await flows.close_all(clients)
    for result in results:
        if isinstance(result, BaseException):
            figures.count("worker_errors")
            logger.warning("worker failed: %r", result)
    _rate(figures)
    return figures


def _open_slots(engine, doctor: int, share: int, shares: int) -> list[int]:
    query = text(
        "SELECT id FROM slot WHERE doctor_id = :d AND state = 'open' "
        "AND start_at > now() ORDER BY start_at LIMIT :n"
    )
    with engine.connect() as conn:
        ids = conn.execute(query, {"d": doctor, "n": MAX_PER_WORKER * shares}).scalars()
        return list(ids)[share::shares][:MAX_PER_WORKER]


def _direct_worker(engine, patient_id, slots, deadline, figures, lock) -> None:
    for slot_id in slots:
        if time.monotonic() >= deadline:
            return
        started = time.perf_counter()
        try:
            with session_scope(engine) as session:
                book_slot(session=session, patient_id=patient_id, slot_id=slot_id)
            outcome = flows.BOOKED
        except SlotUnavailableError:
            outcome = flows.TAKEN
        except Exception:
            logger.exception("direct booking failed")
            outcome = "errors"
        with lock:
            _tally(figures, time.perf_counter() - started, outcome)
    with lock:
        figures.count("workers_out_of_slots")


def run_direct(
    *, concurrency: int, seconds: float, pool_size: int = 10, label=""
) -> Figures:
    """The same bookings through hms.services.booking.book_slot, one thread each."""
    sessions = load_sessions()
    # Up to one connection per thread: the pool must not be the bottleneck.
    engine = make_engine(sessions["url"], pool_size=max(pool_size, concurrency // 2))
    figures = Figures(f"throughput_direct{label}", extra={"concurrency": concurrency})
    plans = []
    for i in range(concurrency):
        doctor, share, shares = assignment(i, concurrency, sessions["pool_doctors"])
        plans.append(
            (sessions["patients"][i]["id"], _open_slots(engine, doctor, share, shares))
        )
    lock = threading.Lock()
    deadline = time.monotonic() + seconds
    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        for patient_id, slots in plans:
            pool.submit(
                _direct_worker, engine, patient_id, slots, deadline, figures, lock
            )
    figures.elapsed = time.perf_counter() - started
    engine.dispose()
    _rate(figures)
    return figures


def _rate(figures: Figures) -> None:
    """Add bookings/s and the database totals after the run."""
    figures.extra |= db_counts(load_sessions()["url"])
    booked = figures.counts.get(flows.BOOKED, 0)
    figures.extra["bookings_per_s"] = (
        round(booked / figures.elapsed, 1) if figures.elapsed else 0
    )
