"""Real parts for delivery tests: an SMTP sink and the email function over HTTP."""

import dataclasses
import os
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from hms.config import Settings, settings

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "test-email-token"
FROM_EMAIL = "HMS Clinic <hms@clinic.example>"


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SmtpSink:
    """An aiosmtpd handler keeping every accepted message, or refusing all.

    Set `reply` to an SMTP answer such as "451 4.3.0 Try later" to refuse.
    """

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.recipients: list[list[str]] = []
        self.refused = 0
        self.reply: str | None = None
        self.port = 0
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802
        with self._lock:
            if self.reply:
                self.refused += 1
                return self.reply
            message = message_from_bytes(envelope.content, policy=policy.default)
            self.messages.append(message)
            self.recipients.append(list(envelope.rcpt_tos))
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        """The messages whose envelope went to `address`."""
        return [
            message
            for message, rcpts in zip(self.messages, self.recipients, strict=True)
            if address in rcpts
        ]

    def message_id_counts(self) -> Counter:
        """How often each Message-ID arrived."""
        return Counter(message["Message-ID"] for message in self.messages)


class EmailFunction:
    """The email function as a real HTTP server, in a subprocess."""

    def __init__(self, *, smtp_port: int, mail_dir: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/email"
        self._env = {
            **os.environ,
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(smtp_port),
            "SMTP_SECURITY": "plain",
            "SMTP_TIMEOUT": "5",
            "EMAIL_SERVICE_TOKEN": TOKEN,
            "FROM_EMAIL": FROM_EMAIL,
            "MAIL_DIR": str(mail_dir),
        }
        self._process: subprocess.Popen | None = None

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        command = [sys.executable, "-m", "email_service", "--port", str(self.port)]
        self._process = subprocess.Popen(command, cwd=ROOT, env=self._env)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError("the email function exited at start")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("the email function did not start in time")

    def stop(self) -> None:
        """Stop the server, if it runs."""
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=10)
            self._process = None


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    """A real SMTP server on loopback that keeps what it receives."""
    sink = SmtpSink()
    sink.port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=sink.port)
    controller.start()
    yield sink
    controller.stop()


@pytest.fixture
def email_function(smtp_sink, tmp_path) -> Iterator[EmailFunction]:
    """The email function, not yet started, relaying to `smtp_sink`."""
    function = EmailFunction(smtp_port=smtp_sink.port, mail_dir=tmp_path / "no-mail")
    yield function
    function.stop()


@pytest.fixture
def running_email_function(email_function) -> EmailFunction:
    """The email function, started."""
    email_function.start()
    return email_function


@pytest.fixture
def http_settings(email_function, tmp_path) -> Settings:
    """App settings that deliver through the email function over HTTP."""
    return dataclasses.replace(
        settings,
        email_lambda_url=email_function.url,
        email_service_token=TOKEN,
        mail_dir=tmp_path / "mail",
    )
