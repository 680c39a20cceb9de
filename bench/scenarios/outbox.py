"""Scenario 6: deliver 10,000 due emails through the email function to a
loopback SMTP server, with one and with two dispatcher processes."""

import logging
import os
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from datetime import UTC, datetime

from aiosmtpd.controller import Controller
from sqlalchemy import insert, text

from bench.common import RESULTS_DIR, ROOT_DIR, Figures
from bench.setup_db import recreate_database
from hms.db import make_engine
from hms.migrations import upgrade_to_head
from hms.models import OutboxMessage

logger = logging.getLogger(__name__)

DB_NAME = "hms_bench_outbox"
DRAIN_TIMEOUT = 900


class CountingHandler:
    """An aiosmtpd handler that counts messages by Message-ID."""

    def __init__(self) -> None:
        self.ids: Counter[str] = Counter()
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd API)
        message_id = ""
        for line in envelope.content.split(b"\r\n"):
            if not line:
                break
            if line.lower().startswith(b"message-id:"):
                message_id = line.split(b":", 1)[1].strip().decode()
        with self._lock:
            self.ids[message_id] += 1
        return "250 OK"


def _fill(url: str, count: int) -> None:
    now = datetime.now(UTC)
    rows = [
        {
            "kind": "email",
            "idempotency_key": f"bench:outbox:{n}",
            "payload": {
                "to": f"patient-{n}@example.com",
                "subject": "Bench",
                "text": "Hello.",
            },
            "state": "pending",
            "attempts": 0,
            "next_attempt_at": now,
            "last_error": "",
            "created_at": now,
        }
        for n in range(count)
    ]
    engine = make_engine(url)
    with engine.begin() as conn:
        for start in range(0, count, 5000):
            conn.execute(insert(OutboxMessage.__table__), rows[start : start + 5000])
    engine.dispose()


def _states(url: str) -> dict[str, int]:
    engine = make_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT state, count(*) FROM outbox_message GROUP BY state")
        )
        states = dict(rows.all())
    engine.dispose()
    return states


def _start_email_function(port: int, smtp_port: int) -> subprocess.Popen:
    env = dict(
        os.environ,
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=str(smtp_port),
        SMTP_SECURITY="plain",
        FROM_EMAIL="HMS <no-reply@example.com>",
    )
    env.pop("EMAIL_SERVICE_TOKEN", None)
    log = (RESULTS_DIR / "email_service.log").open("w")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "email_service",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=ROOT_DIR,
    )
    for _ in range(60):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/email", timeout=1)
        except urllib.error.HTTPError:
            return process  # 405 to a GET: it is up
        except OSError:
            time.sleep(0.5)
    process.terminate()
    raise TimeoutError("email function did not start")


def _dispatch(url: str, email_url: str, dispatchers: int) -> float:
    env = dict(os.environ, DATABASE_URL=url, EMAIL_LAMBDA_URL=email_url)
    env.pop("EMAIL_SERVICE_TOKEN", None)
    started = time.perf_counter()
    logs = [(RESULTS_DIR / f"dispatcher-{n}.log").open("w") for n in range(dispatchers)]
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "hms.outbox", "--once"],
            env=env,
            cwd=ROOT_DIR,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        for log in logs
    ]
    for process in processes:
        process.wait(DRAIN_TIMEOUT)
    return time.perf_counter() - started


def run(
    *,
    messages: int = 10_000,
    dispatchers: int = 1,
    port: int = 3290,
    smtp_port: int = 3291,
) -> Figures:
    """Fill a fresh database with due emails, drain it, count what SMTP got."""
    figures = Figures(f"outbox_{dispatchers}_dispatchers", extra={"messages": messages})
    url = recreate_database(DB_NAME)
    upgrade_to_head(make_engine(url))
    _fill(url, messages)

    handler = CountingHandler()
    smtp = Controller(handler, hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    email = _start_email_function(port, smtp_port)
    try:
        figures.elapsed = _dispatch(url, f"http://127.0.0.1:{port}/email", dispatchers)
    finally:
        email.terminate()
        email.wait(10)
        smtp.stop()

    received = sum(handler.ids.values())
    figures.count("smtp_received", received)
    figures.count("duplicates", received - len(handler.ids))
    figures.extra["db_states"] = _states(url)
    figures.extra["messages_per_s"] = round(received / figures.elapsed, 1)
    return figures
