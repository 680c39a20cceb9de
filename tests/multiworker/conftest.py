"""Start the real app in production mode with 2 workers, Redis state and a fresh
PostgreSQL database; shared by the multi-worker tests (slow: it builds the app)."""

import os
import socket
import uuid
from pathlib import Path

import pytest
import redis

from bench.app_process import app_env, snapshot, start_app
from bench.setup_db import Shape, populate, recreate_database
from hms.db import make_engine
from hms.migrations import upgrade_to_head

REDIS_URL = "redis://127.0.0.1:6379/15"
PORT = int(os.environ.get("HMS_MULTIWORKER_PORT", "3250"))
APP_DIR = "/tmp/hms-multiworker-app"
SMALL_CLINIC = Shape(
    patients=40,
    pool_doctors=2,
    slots_per_doctor=16,
    contention_slots=8,
    big_doctor_slots=10,
    small_doctor_slots=5,
)


def _reachable(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True


@pytest.fixture(scope="package")
def clinic():
    """A fresh database with a small clinic; dropped afterwards."""
    # python-socketio's asyncio client needs aiohttp for its websocket transport.
    pytest.importorskip("aiohttp", reason="pip install aiohttp (the load client)")
    if not (_reachable(5432) and _reachable(6379)):
        pytest.skip("needs PostgreSQL on 127.0.0.1:5432 and Redis on 127.0.0.1:6379")
    name = f"hms_multiworker_{uuid.uuid4().hex[:8]}"
    url = recreate_database(name)
    upgrade_to_head(make_engine(url))
    yield populate(url, SMALL_CLINIC)
    admin = make_engine(url.rsplit("/", 1)[0] + "/postgres")
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


@pytest.fixture(scope="package")
def two_worker_app(clinic):
    """The app in prod mode, GRANIAN_WORKERS=2, state in Redis db 15."""
    redis.Redis.from_url(REDIS_URL).flushdb()
    env = app_env(clinic["url"], redis_url=REDIS_URL, workers=2)
    app_dir = snapshot(target=Path(APP_DIR))
    app = start_app(env, port=PORT, app_dir=app_dir, log_name="multiworker-app.log")
    yield app
    app.stop()
    redis.Redis.from_url(REDIS_URL).flushdb()
