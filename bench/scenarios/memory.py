"""Scenario 5: backend memory per connected, logged-in, idle tab."""

import asyncio
import logging
import time

from bench import patients as flows
from bench.app_process import AppProcess
from bench.common import Figures, load_sessions

logger = logging.getLogger(__name__)

SETTLE_SECONDS = 5


async def run(
    app: AppProcess, *, clients: int = 1000, page: str = "/doctors"
) -> Figures:
    """Connect `clients` logged-in tabs on `page`, let them idle, compare RSS."""
    sessions = load_sessions()
    tokens = [p["token"] for p in sessions["patients"][1000 : 1000 + clients]]
    figures = Figures("memory_idle_clients", extra={"clients": clients, "page": page})
    await asyncio.sleep(SETTLE_SECONDS)
    before = app.rss_bytes()
    started = time.perf_counter()
    tabs = await flows.open_clients(
        app.base_url, tokens, (page, None), parallel=50
    )
    figures.elapsed = time.perf_counter() - started
    for tab in tabs:
        tab.forget()
    await asyncio.sleep(SETTLE_SECONDS)
    after = app.rss_bytes()
    await flows.close_all(tabs)
    figures.count("connected", len(tabs))
    figures.extra |= {
        "rss_before_mb": round(before / 2**20, 1),
        "rss_after_mb": round(after / 2**20, 1),
        "kb_per_client": round((after - before) / 1024 / max(len(tabs), 1), 1),
        "processes": len(app.backend_processes()),
    }
    return figures
