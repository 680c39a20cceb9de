"""`python -m bench`: set up the clinic, start the app, run every scenario, stop.

Per-scenario flags: `--only contention,throughput,direct,read,memory,outbox`;
`--workers 2` (needs Redis) for the multi-worker rerun; see bench/README.md.
"""

import argparse
import asyncio
import logging
import platform
from pathlib import Path

from bench.app_process import app_env, start_app
from bench.common import DEFAULT_DB, DEFAULT_PORT, db_url, report
from bench.scenarios import contention, memory, outbox, readpath, throughput
from bench.setup_db import Shape, setup

logger = logging.getLogger(__name__)

ALL = ("contention", "throughput", "direct", "read", "memory", "outbox")
APP_SCENARIOS = {"contention", "throughput", "read", "memory"}


def _args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--only", default=",".join(ALL), help="comma-separated")
    parser.add_argument("--db", default=DEFAULT_DB)
    parser.add_argument("--skip-setup", action="store_true", help="reuse the database")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--workers", type=int, default=1, help=">1 needs --redis-url")
    parser.add_argument(
        "--redis-url", default=None, help="e.g. redis://127.0.0.1:6379/14"
    )
    parser.add_argument("--pool-size", type=int, default=10, help="DB_POOL_SIZE")
    parser.add_argument("--concurrency", default="16,64")
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--contenders", type=int, default=200)
    parser.add_argument(
        "--idle-clients", default="1000", help="memory: totals to step through"
    )
    parser.add_argument("--idle-page", default="/doctors", help="where idle tabs sit")
    parser.add_argument("--idle-tabs", default="logged-in", choices=memory.KINDS)
    parser.add_argument(
        "--app-dir", type=Path, default=None, help="run this built app, not HMS"
    )
    parser.add_argument("--outbox-messages", type=int, default=10_000)
    return parser.parse_args()


async def _app_scenarios(app, chosen: set[str], args) -> None:
    label = f"_w{args.workers}"
    if "contention" in chosen:
        report(
            await contention.run(app.base_url, patients=args.contenders, label=label)
        )
    for concurrency in [int(c) for c in args.concurrency.split(",")]:
        if "throughput" in chosen:
            figures = await throughput.run_ws(
                app.base_url, concurrency=concurrency, seconds=args.seconds, label=label
            )
            report(figures)
        if "direct" in chosen:
            direct = await asyncio.to_thread(
                throughput.run_direct,
                concurrency=concurrency,
                seconds=args.seconds,
                pool_size=args.pool_size,
            )
            report(direct)
    if "read" in chosen:
        for figures in await readpath.run(app.base_url):
            report(figures)
    if "memory" in chosen:
        steps = tuple(int(n) for n in args.idle_clients.split(","))
        figures = await memory.run(
            app, steps=steps, page=args.idle_page, kind=args.idle_tabs
        )
        report(figures)


def main() -> None:
    """Run the chosen scenarios end to end."""
    args = _args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("socketio").setLevel(logging.WARNING)
    logging.getLogger("engineio").setLevel(logging.WARNING)
    # The direct path runs the services here; their per-booking INFO is noise.
    logging.getLogger("hms").setLevel(logging.WARNING)
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    chosen = set(args.only.split(","))
    logger.info(
        "machine: %s, python %s", platform.platform(), platform.python_version()
    )

    if not args.skip_setup:
        setup(args.db, Shape())
    if chosen & APP_SCENARIOS:
        env = app_env(
            db_url(args.db),
            redis_url=args.redis_url,
            workers=args.workers,
            pool_size=args.pool_size,
        )
        app = start_app(env, port=args.port, app_dir=args.app_dir)
        try:
            asyncio.run(_app_scenarios(app, chosen, args))
        finally:
            app.stop()
    elif "direct" in chosen:
        for concurrency in [int(c) for c in args.concurrency.split(",")]:
            report(
                throughput.run_direct(
                    concurrency=concurrency,
                    seconds=args.seconds,
                    pool_size=args.pool_size,
                )
            )
    if "outbox" in chosen:
        for dispatchers in (1, 2):
            report(outbox.run(messages=args.outbox_messages, dispatchers=dispatchers))


if __name__ == "__main__":
    main()
