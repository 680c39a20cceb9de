"""Scenario 5: backend memory per connected, idle tab, measured from outside.

Tabs connect in steps (e.g. 250, 500, 1000 in all) and sit idle; the RSS of
the app's process tree is read after each step, and once more after every tab
has disconnected (the in-memory state manager keeps a tab's state until its
token expires). Three kinds of tab separate the framework's cost from HMS's:
- `logged-in`: hydrates with a patient's session cookie and runs the page's
  on_load, as a browser does;
- `anonymous`: hydrates without a cookie (the only kind a non-HMS app, such as
  Reflex's minimal app, understands);
- `unhydrated`: opens the socket with its tab token but sends no event, so the
  server links the token and builds the state tree with its defaults only.
"""

import asyncio
import logging
import time

from bench import patients as flows
from bench.app_process import AppProcess
from bench.common import Figures, load_sessions
from bench.ws_client import RxClient

logger = logging.getLogger(__name__)

SETTLE_SECONDS = 5
KINDS = ("logged-in", "anonymous", "unhydrated")
# The patients whose cookies the idle tabs use (others book in other scenarios).
FIRST_PATIENT = 1000


async def _open_unhydrated(base_url: str, count: int, parallel: int) -> list:
    """Connect `count` tabs that never send an event."""
    gate = asyncio.Semaphore(parallel)

    async def one() -> RxClient:
        async with gate:
            client = RxClient(base_url)
            await client.connect_only()
            return client

    return list(await asyncio.gather(*(one() for _ in range(count))))


async def _open(app: AppProcess, kind: str, page: str, tokens: list[str]) -> list:
    if kind == "unhydrated":
        return await _open_unhydrated(app.base_url, len(tokens), parallel=50)
    if kind == "anonymous":
        tokens = [""] * len(tokens)
    return await flows.open_clients(app.base_url, tokens, (page, None), parallel=50)


async def _settled_rss(app: AppProcess) -> int:
    await asyncio.sleep(SETTLE_SECONDS)
    return app.rss_bytes()


def _kb_per_tab(delta_bytes: int, tabs: int) -> float:
    return round(delta_bytes / 1024 / max(tabs, 1), 1)


async def run(
    app: AppProcess,
    *,
    steps: tuple[int, ...] = (1000,),
    page: str = "/doctors",
    kind: str = "logged-in",
) -> Figures:
    """Connect idle tabs of `kind` on `page` up to each total in `steps`.

    Returns:
        RSS before, after each step and after disconnecting; KB per tab for the
        whole run and for each step's new tabs.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}")
    sessions = load_sessions()["patients"]
    name = "memory_idle_clients"
    figures = Figures(name, extra={"kind": kind, "page": page, "steps": steps})
    before = await _settled_rss(app)
    rss, tabs, started = [before], [], time.perf_counter()

    for total in steps:
        new = [
            p["token"]
            for p in sessions[FIRST_PATIENT + len(tabs) : FIRST_PATIENT + total]
        ]
        opened = await _open(app, kind, page, new)
        for tab in opened:
            tab.forget()
        tabs += opened
        rss.append(await _settled_rss(app))
    figures.elapsed = time.perf_counter() - started

    await flows.close_all(tabs)
    after_close = await _settled_rss(app)
    figures.count("connected", len(tabs))
    counts = (0, *steps)
    figures.extra |= {
        "rss_mb": [round(r / 2**20, 1) for r in rss],
        "kb_per_client": _kb_per_tab(rss[-1] - before, len(tabs)),
        "kb_per_client_by_step": [
            _kb_per_tab(rss[i + 1] - rss[i], counts[i + 1] - counts[i])
            for i in range(len(steps))
        ],
        "rss_after_close_mb": round(after_close / 2**20, 1),
        "processes": len(app.backend_processes()),
    }
    return figures
