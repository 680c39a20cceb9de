"""The local server started by ``python -m email_service``."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

REPO = Path(__file__).resolve().parents[2]


def server_env(mail_dir: Path, **extra: str) -> dict[str, str]:
    """The environment with every email setting blanked, plus ``extra``.

    Blank rather than absent, so a developer's ``.env`` (which never overrides
    a set variable) cannot point the test at a real relay.
    """
    names = ("SMTP_HOST", "SMTP_PORT", "SMTP_SECURITY", "SMTP_USER")
    names += ("SMTP_PASSWORD", "FROM_EMAIL", "EMAIL_SERVICE_TOKEN")
    env = {**os.environ, **dict.fromkeys(names, "")}
    return {**env, "MAIL_DIR": str(mail_dir), **extra}


def wait_for_port(port: int, process: subprocess.Popen, timeout: float = 20) -> None:
    """Block until something listens on ``port``, failing if the server died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"server exited with {process.returncode}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    pytest.fail("server did not start listening in time")


@pytest.fixture
def run_server():
    """Start ``python -m email_service`` with given args; stop it afterwards."""
    processes: list[subprocess.Popen] = []

    def start(*args: str, env: dict[str, str]) -> subprocess.Popen:
        process = subprocess.Popen(
            [sys.executable, "-m", "email_service", *args],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        processes.append(process)
        return process

    yield start
    for process in processes:
        process.terminate()
        process.wait(timeout=10)
        process.stdout.close()


def test_server_command_serves_unauthenticated_on_loopback(
    run_server, unused_port, tmp_path, make_payload
):
    """Started with no token on loopback, it accepts a request and writes .eml."""
    process = run_server("--port", str(unused_port), env=server_env(tmp_path))
    wait_for_port(unused_port, process)

    response = httpx.post(
        f"http://127.0.0.1:{unused_port}/email", json=make_payload(), timeout=10
    )

    assert response.status_code == 202
    assert len(list(tmp_path.glob("*.eml"))) == 1


def test_server_command_port_from_environment_requires_token(
    run_server, unused_port, tmp_path, make_payload
):
    """EMAIL_SERVICE_PORT picks the port; a configured token is then required."""
    env = server_env(
        tmp_path, EMAIL_SERVICE_PORT=str(unused_port), EMAIL_SERVICE_TOKEN="t0ken"
    )
    process = run_server(env=env)
    wait_for_port(unused_port, process)
    url = f"http://127.0.0.1:{unused_port}/email"

    anonymous = httpx.post(url, json=make_payload(), timeout=10)
    authorised = httpx.post(
        url,
        json=make_payload(),
        headers={"Authorization": "Bearer t0ken"},
        timeout=10,
    )

    assert anonymous.status_code == 401
    assert authorised.status_code == 202


def test_server_command_public_host_without_token_refuses_to_start(
    run_server, unused_port, tmp_path
):
    """Asked to listen beyond loopback with no token, it exits instead."""
    process = run_server(
        "--host", "0.0.0.0", "--port", str(unused_port), env=server_env(tmp_path)
    )

    assert process.wait(timeout=20) == 2
    assert "EMAIL_SERVICE_TOKEN" in process.stdout.read()
