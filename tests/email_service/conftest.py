"""Fixtures for the email function: a loopback SMTP server and the HTTP app."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
import uvicorn
from aiosmtpd.controller import Controller

from email_service.http_app import create_app
from email_service.settings import EmailSettings

TOKEN = "test-token-0123456789"
FROM_EMAIL = "Clinique Zoë <clinic@hms.example>"


@dataclass
class RecordingHandler:
    """aiosmtpd handler keeping each message, or answering ``reply`` instead."""

    envelopes: list = field(default_factory=list)
    reply: str | None = None

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802
        """Store the envelope, or refuse it with the configured reply."""
        if self.reply is not None:
            return self.reply
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


@dataclass
class SmtpServer:
    """A running loopback SMTP server and what it received."""

    port: int
    handler: RecordingHandler

    @property
    def messages(self) -> list[EmailMessage]:
        """Received messages, parsed with the modern email policy."""
        return [
            message_from_bytes(envelope.original_content, policy=policy.default)
            for envelope in self.handler.envelopes
        ]

    @property
    def envelopes(self) -> list:
        """Received SMTP envelopes (sender, recipients, raw bytes)."""
        return self.handler.envelopes


def _free_port() -> int:
    """Return a loopback TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def unused_port() -> int:
    """A loopback TCP port nobody listens on."""
    return _free_port()


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """Run an aiosmtpd server on a free loopback port for one test."""
    handler = RecordingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        yield SmtpServer(port=controller.port, handler=handler)
    finally:
        controller.stop()


@pytest.fixture
def smtp_settings(smtp_server: SmtpServer, tmp_path: Path) -> EmailSettings:
    """Settings sending to the loopback SMTP server, token required."""
    return EmailSettings(
        smtp_host="127.0.0.1",
        smtp_port=smtp_server.port,
        smtp_security="plain",
        smtp_timeout=5,
        from_email=FROM_EMAIL,
        mail_dir=tmp_path / "mail",
        token=TOKEN,
    )


@pytest.fixture
def serve() -> Iterator[Callable[..., str]]:
    """Start the HTTP app with uvicorn in a thread; return its /email URL."""
    servers: list[tuple[uvicorn.Server, threading.Thread]] = []

    def start(settings: EmailSettings, *, allow_anonymous: bool = False) -> str:
        app = create_app(settings=settings, allow_anonymous=allow_anonymous)
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        config = uvicorn.Config(app, log_level="warning", access_log=False)
        server = uvicorn.Server(config)
        thread = threading.Thread(
            target=lambda: asyncio.run(server.serve(sockets=[sock])), daemon=True
        )
        thread.start()
        servers.append((server, thread))
        _wait_until(lambda: server.started)
        return f"http://127.0.0.1:{sock.getsockname()[1]}/email"

    yield start
    for server, thread in servers:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def email_url(serve: Callable[..., str], smtp_settings: EmailSettings) -> str:
    """URL of the HTTP app sending to the loopback SMTP server."""
    return serve(smtp_settings)


@pytest.fixture
def auth() -> dict[str, str]:
    """Headers carrying the right bearer token."""
    return {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def make_payload() -> Callable[..., dict]:
    """Build a valid request payload with a fresh key; ``None`` drops a field."""

    def make(**overrides: object) -> dict:
        payload = {
            "to": "patient@example.org",
            "to_name": "Pat Example",
            "subject": "Your appointment",
            "text": "See you on Monday at 09:00.",
            "idempotency_key": f"booking-{uuid.uuid4().hex}:patient",
        }
        payload.update(overrides)
        return {name: value for name, value in payload.items() if value is not None}

    return make


def _wait_until(condition: Callable[[], bool], *, timeout: float = 10) -> None:
    """Poll ``condition`` until it holds, failing the test after ``timeout``."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail("server did not start in time")
        time.sleep(0.02)
