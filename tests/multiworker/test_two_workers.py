"""Two backend workers sharing state through Redis serve one user interchangeably."""

import asyncio

import psutil
import pytest
from sqlalchemy import create_engine, text

from bench import patients as flows
from bench.ws_client import AUTH, RxClient, var

pytestmark = [pytest.mark.redis, pytest.mark.postgres]

TABS = 12


def _worker_pids_with_sockets(app) -> set[int]:
    """The backend processes holding an established connection on the app port."""
    pids = set()
    for proc in app.backend_processes():
        try:
            connections = proc.net_connections(kind="tcp")
        except psutil.NoSuchProcess:
            continue
        if any(
            c.status == psutil.CONN_ESTABLISHED and c.laddr.port == app.port
            for c in connections
        ):
            pids.add(proc.pid)
    return pids


def _logged_in_name(client: RxClient) -> str | None:
    for update in client.updates:
        if var(update, AUTH, "logged_in") is True:
            return var(update, AUTH, "user_name")
    return None


async def _open_tabs(app, token: str, count: int) -> list[RxClient]:
    tabs = []
    for _ in range(count):
        tab = RxClient(app.base_url, session_token=token)
        await tab.open("/doctors")
        tabs.append(tab)
    return tabs


def test_session_cookie_logs_in_on_every_worker(two_worker_app, clinic):
    """Tabs with the same session cookie all see the user, whichever worker serves them."""
    patient = clinic["patients"][0]

    async def scenario():
        tabs = await _open_tabs(two_worker_app, patient["token"], TABS)
        try:
            names = [_logged_in_name(tab) for tab in tabs]
            workers = _worker_pids_with_sockets(two_worker_app)
        finally:
            await flows.close_all(tabs)
        return names, workers

    names, workers = asyncio.run(scenario())
    assert names == ["Patient 0"] * TABS
    assert len(workers) == 2, f"all {TABS} tabs landed on one worker: {workers}"


def test_same_slot_through_two_workers_books_once(two_worker_app, clinic):
    """Patients on both workers pressing Book on one slot get one appointment."""
    doctor = clinic["contention_doctor"]
    contenders = clinic["patients"][10:30]
    engine = create_engine(clinic["url"])
    with engine.connect() as conn:
        slot_id = conn.execute(
            text("SELECT min(id) FROM slot WHERE doctor_id = :d"), {"d": doctor}
        ).scalar_one()

    async def scenario():
        tabs = await flows.open_clients(
            two_worker_app.base_url,
            [p["token"] for p in contenders],
            flows.doctor_page(doctor),
            parallel=5,
        )
        try:
            workers = _worker_pids_with_sockets(two_worker_app)
            await asyncio.gather(*(flows.choose_slot(t, slot_id) for t in tabs))
            answers = await asyncio.gather(
                *(flows.submit_booking(t, slot_id, timeout=60) for t in tabs)
            )
        finally:
            await flows.close_all(tabs)
        return [outcome for _, outcome in answers], workers

    outcomes, workers = asyncio.run(scenario())
    with engine.connect() as conn:
        held = conn.execute(
            text("SELECT count(*) FROM appointment WHERE slot_id = :s"), {"s": slot_id}
        ).scalar_one()
    engine.dispose()

    assert len(workers) == 2
    assert outcomes.count(flows.BOOKED) == 1
    assert outcomes.count(flows.TAKEN) == len(contenders) - 1
    assert held == 1
