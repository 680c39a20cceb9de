"""Fixtures that run the real app in production mode and drive it in Chromium.

The app runs as a `reflex run --env prod` subprocess in the repository root,
on one free port, against a fresh SQLite file that has been migrated first.
Tests seed data in-process through the services against the same file, using
`app_env["DATABASE_URL"]`.
"""

import logging
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]
REFLEX = Path(sys.executable).with_name("reflex")
CHROMIUM = os.environ.get("HMS_E2E_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Built apart from the developer's .web, so a running ./scripts/start is left
# alone; kept between runs (var/ is git-ignored) so later builds are quicker.
WEB_DIR = Path(os.environ.get("HMS_E2E_WEB_DIR", ROOT / "var" / "e2e-web"))
# The first production build takes 1-3 minutes on a small machine.
START_TIMEOUT = float(os.environ.get("HMS_E2E_START_TIMEOUT", "600"))
MIGRATE_TIMEOUT = 300
LOG_TAIL_LINES = 80

# Settings from the caller's environment that must not leak into the test app.
SCRUBBED_ENV = (
    "DB_NAME",
    "DB_USER",
    "DB_PASSWORD",
    "DB_HOST",
    "DB_PORT",
    "EMAIL_LAMBDA_URL",
    "EMAIL_SERVICE_TOKEN",
    "GOOGLE_CLIENT_ID",
    "GOOGLE_CLIENT_SECRET",
    "GOOGLE_REDIRECT_URI",
    "REFLEX_DB_URL",
    "REFLEX_REDIS_URL",
    "REFLEX_FRONTEND_PORT",
    "REFLEX_BACKEND_PORT",
    "REFLEX_DEPLOY_URL",
    "GRANIAN_WORKERS",
)


def _free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _log_tail(log_path: Path) -> str:
    """The last lines of the app's log, for failure messages."""
    if not log_path.exists():
        return "(no output)"
    lines = log_path.read_text(errors="replace").splitlines()
    return "\n".join(lines[-LOG_TAIL_LINES:])


def _process_env(
    app_env: dict[str, str], base_url: str, state_dir: Path
) -> dict[str, str]:
    """The environment of the app subprocess: ours, minus leaks, plus app_env."""
    env = {k: v for k, v in os.environ.items() if k not in SCRUBBED_ENV}
    env.update(app_env)
    env.update(
        # Empty values win over a developer's .env (python-dotenv won't override).
        REDIS_URL="",
        EMAIL_LAMBDA_URL="",
        GOOGLE_CLIENT_ID="",
        GOOGLE_CLIENT_SECRET="",
        # Same origin for the page and its websocket, whatever "localhost" means.
        REFLEX_API_URL=base_url,
        REFLEX_WEB_WORKDIR=str(WEB_DIR),
        REFLEX_STATES_WORKDIR=str(state_dir),
        REFLEX_USE_SYSTEM_BUN="1",
        REFLEX_TELEMETRY_ENABLED="false",
        PYTHONUNBUFFERED="1",
    )
    return env


def _migrate(env: dict[str, str], log_path: Path) -> None:
    """Apply the Alembic migrations to the test database, or fail the session."""
    if not (ROOT / "alembic.ini").exists() or not (ROOT / "alembic").is_dir():
        pytest.fail("alembic.ini or alembic/ is missing: cannot create the schema")
    with log_path.open("w") as log:
        result = subprocess.run(
            [str(REFLEX), "db", "migrate"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            timeout=MIGRATE_TIMEOUT,
            check=False,
        )
    if result.returncode != 0:
        pytest.fail(
            f"`reflex db migrate` failed (exit {result.returncode}); "
            f"full output in {log_path}:\n{_log_tail(log_path)}"
        )


def _answers(url: str) -> bool:
    """True when `url` answers HTTP 200."""
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def _wait_until_up(process: subprocess.Popen, base_url: str, log_path: Path) -> None:
    """Block until the app serves /ping and its home page, or fail the session."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(
                f"the app exited with code {process.returncode} while starting; "
                f"full output in {log_path}:\n{_log_tail(log_path)}"
            )
        if _answers(f"{base_url}/ping") and _answers(f"{base_url}/"):
            return
        time.sleep(1)
    pytest.fail(
        f"the app did not answer {base_url}/ping within {START_TIMEOUT:.0f}s; "
        f"full output in {log_path}:\n{_log_tail(log_path)}"
    )


def _stop(process: subprocess.Popen) -> None:
    """Stop the app and every process it started (its own process group)."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)


@pytest.fixture(scope="session")
def e2e_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Temporary folder of the app under test: database, mail and logs."""
    return tmp_path_factory.mktemp("e2e-app")


@pytest.fixture(scope="session")
def app_env(e2e_dir: Path) -> dict[str, str]:
    """Settings of the app under test: its SQLite DATABASE_URL and MAIL_DIR.

    Create an engine with `hms.db.make_engine(app_env["DATABASE_URL"])` to seed
    data that the running app then sees; emails land as files in MAIL_DIR.
    """
    mail_dir = e2e_dir / "mail"
    mail_dir.mkdir(exist_ok=True)
    return {
        "DATABASE_URL": f"sqlite:///{e2e_dir / 'hms.db'}",
        "MAIL_DIR": str(mail_dir),
        "HMS_OUTBOX_IN_APP": "1",
        "HMS_ENV": "development",
    }


@pytest.fixture(scope="session")
def app_url(app_env: dict[str, str], e2e_dir: Path) -> Iterator[str]:
    """Base URL (no trailing slash) of the app running in production mode."""
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = _process_env(app_env, base_url, e2e_dir / "states")
    _migrate(env, e2e_dir / "migrate.log")

    log_path = e2e_dir / "app.log"
    logger.info("starting the app on %s; output in %s", base_url, log_path)
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [str(REFLEX), "run", "--env", "prod"]
            + ["--frontend-port", str(port), "--backend-port", str(port)],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_until_up(process, base_url, log_path)
        yield base_url
    finally:
        _stop(process)


# Module scope: Playwright's sync API keeps an asyncio loop running while it is
# open, which breaks async code in whatever non-e2e tests run after it.
@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Headless Debian Chromium driven by Playwright, for one test module."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run ./scripts/test to install it")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser, app_url: str) -> Iterator[Page]:
    """A fresh browser context and page whose relative URLs go to the app."""
    context = browser.new_context(base_url=app_url)
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def new_page(browser: Browser, app_url: str) -> Iterator[Callable[..., Page]]:
    """A factory of pages, each in its own browser context (own cookies).

    Call it once per user a test needs side by side; keyword arguments go to
    `browser.new_context`, e.g. `new_page(timezone_id="Asia/Tokyo")` or
    `new_page(viewport={"width": 390, "height": 844})`. Every context is
    closed after the test.
    """
    contexts = []

    def open_page(**options) -> Page:
        context = browser.new_context(base_url=app_url, **options)
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test under tests/e2e with `e2e`."""
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.e2e)
