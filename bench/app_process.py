"""Start and stop the app in production mode against the benchmark database.

The app runs from a snapshot copy of the tree (default /tmp/hms-bench-app), so
its frontend build never collides with a dev server building in the working
tree, and the code under test cannot change during a run.
"""

import logging
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import psutil

from bench.common import RESULTS_DIR, ROOT_DIR

logger = logging.getLogger(__name__)

SNAPSHOT_DIR = Path(os.environ.get("BENCH_APP_DIR", "/tmp/hms-bench-app"))
EXCLUDES = (
    ".git",
    ".venv",
    "var",
    "bench/results",
    ".states",
    ".pytest_cache",
    ".ruff_cache",
    ".web/build",
)
REFLEX = str(Path(sys.executable).with_name("reflex"))


def snapshot(source: Path = ROOT_DIR, target: Path = SNAPSHOT_DIR) -> Path:
    """Copy the tree (with .web/node_modules, without .venv and .git) to `target`."""
    target.mkdir(parents=True, exist_ok=True)
    excludes = [f"--exclude=/{name}" for name in EXCLUDES]
    subprocess.run(
        [
            "rsync",
            "-a",
            "--delete",
            "--exclude=__pycache__",
            *excludes,
            f"{source}/",
            f"{target}/",
        ],
        check=True,
    )
    return target


def app_env(
    db_url: str,
    *,
    redis_url: str | None = None,
    workers: int = 1,
    pool_size: int = 10,
    extra: dict | None = None,
) -> dict[str, str]:
    """The environment of the app under test: production settings, loopback only."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("REFLEX_", "GRANIAN_"))
    }
    env |= {
        "DATABASE_URL": db_url,
        "HMS_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(32),
        "DB_POOL_SIZE": str(pool_size),
        # Bookings queue emails; the outbox scenario measures delivery on its own.
        "HMS_OUTBOX_IN_APP": "false",
        "MAIL_DIR": str(RESULTS_DIR / "mail"),
        "REFLEX_USE_SYSTEM_BUN": "1",
        "REFLEX_TELEMETRY_ENABLED": "false",
        "GRANIAN_WORKERS": str(workers),
    }
    env.pop("REDIS_URL", None)
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env | (extra or {})


@dataclass
class AppProcess:
    """A running `reflex run --env prod` on one port, and its log."""

    process: subprocess.Popen
    port: int
    log_path: Path

    @property
    def base_url(self) -> str:
        """The app's loopback URL."""
        return f"http://127.0.0.1:{self.port}"

    def backend_processes(self) -> list[psutil.Process]:
        """The reflex process and all its descendants (granian workers, ...)."""
        root = psutil.Process(self.process.pid)
        return [root, *root.children(recursive=True)]

    def rss_bytes(self) -> int:
        """Resident memory of the whole process tree."""
        total = 0
        for proc in self.backend_processes():
            try:
                total += proc.memory_info().rss
            except psutil.NoSuchProcess:
                continue
        return total

    def stop(self, timeout: float = 20) -> None:
        """Stop the process group we started, then anything left of it."""
        if self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGINT)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(5)


def _wait_ready(app: AppProcess, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if app.process.poll() is not None:
            raise RuntimeError(f"app exited; see {app.log_path}")
        try:
            with urllib.request.urlopen(f"{app.base_url}/ping", timeout=2) as reply:
                if reply.status == 200:
                    return
        except OSError:
            time.sleep(1)
    app.stop()
    raise TimeoutError(f"app not ready after {timeout:.0f} s; see {app.log_path}")


def start_app(
    env: dict[str, str],
    *,
    port: int,
    app_dir: Path | None = None,
    timeout: float = 600,
    log_name: str = "app.log",
) -> AppProcess:
    """Snapshot the tree, start the app in prod mode on `port`, wait for /ping.

    Args:
        env: See app_env.
        port: Frontend and backend share it, as in production.
        app_dir: An existing snapshot to run; a fresh one by default.
        timeout: Seconds to wait for the build and the first /ping.
        log_name: File under bench/results/ for the app's output.
    """
    app_dir = app_dir or snapshot()
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    log_path = RESULTS_DIR / log_name
    command = [
        REFLEX,
        "run",
        "--env",
        "prod",
        "--frontend-port",
        str(port),
        "--backend-port",
        str(port),
        "--backend-host",
        "127.0.0.1",
        "--loglevel",
        "warning",
    ]
    with log_path.open("w") as log:
        process = subprocess.Popen(
            command,
            cwd=app_dir,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    app = AppProcess(process=process, port=port, log_path=log_path)
    logger.info("starting app pid=%s on port %s (log %s)", process.pid, port, log_path)
    _wait_ready(app, timeout)
    return app
