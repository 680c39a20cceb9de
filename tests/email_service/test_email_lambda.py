"""The Lambda entry point, fed real API Gateway HTTP API (v2) events."""

from __future__ import annotations

import base64
import importlib
import json
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

PACKAGE_DIR = Path(__file__).resolve().parents[2] / "email_service"
ENV_NAMES = (
    "SMTP_HOST",
    "SMTP_PORT",
    "SMTP_SECURITY",
    "SMTP_USER",
    "SMTP_PASSWORD",
    "FROM_EMAIL",
    "MAIL_DIR",
    "EMAIL_SERVICE_TOKEN",
)


def http_api_event(payload: dict, *, token: str | None, base64_body=False) -> dict:
    """Build the event API Gateway's HTTP API sends for ``POST /email``."""
    body = json.dumps(payload)
    headers = {
        "content-type": "application/json",
        "content-length": str(len(body.encode())),
        "host": "abc123.execute-api.eu-west-1.amazonaws.com",
        "user-agent": "hms-outbox",
        "x-forwarded-for": "203.0.113.7",
        "x-forwarded-port": "443",
        "x-forwarded-proto": "https",
    }
    if token is not None:
        headers["authorization"] = f"Bearer {token}"
    if base64_body:
        body = base64.b64encode(body.encode()).decode()
    return {
        "version": "2.0",
        "routeKey": "POST /email",
        "rawPath": "/email",
        "rawQueryString": "",
        "headers": headers,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abc123",
            "domainName": "abc123.execute-api.eu-west-1.amazonaws.com",
            "domainPrefix": "abc123",
            "http": {
                "method": "POST",
                "path": "/email",
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.7",
                "userAgent": "hms-outbox",
            },
            "requestId": "Ab1cDEfGhIjKLmN=",
            "routeKey": "POST /email",
            "stage": "$default",
            "time": "05/Jan/2026:08:00:00 +0000",
            "timeEpoch": 1767600000000,
        },
        "body": body,
        "isBase64Encoded": base64_body,
    }


def lambda_context() -> SimpleNamespace:
    """A stand-in for the context object Lambda passes the handler."""
    return SimpleNamespace(
        aws_request_id="5f1e2d3c-aaaa-bbbb-cccc-123456789abc",
        function_name="hms-email-dev-email",
        memory_limit_in_mb=256,
        get_remaining_time_in_millis=lambda: 29_000,
    )


@pytest.fixture
def lambda_module(monkeypatch):
    """Import the Lambda entry afresh with the environment serverless.yml sets."""

    def load(**env: str):
        for name in ENV_NAMES:
            monkeypatch.delenv(name, raising=False)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        return importlib.reload(importlib.import_module("email_service.lambda_handler"))

    return load


@pytest.fixture
def smtp_env(smtp_settings) -> dict[str, str]:
    """Environment pointing the function at the loopback SMTP server."""
    return {
        "SMTP_HOST": smtp_settings.smtp_host,
        "SMTP_PORT": str(smtp_settings.smtp_port),
        "SMTP_SECURITY": "plain",
        "FROM_EMAIL": smtp_settings.from_email,
        "EMAIL_SERVICE_TOKEN": smtp_settings.token,
    }


@pytest.mark.parametrize("base64_body", [False, True], ids=["text", "base64"])
def test_lambda_handler_http_api_event_delivers_message(
    lambda_module, smtp_env, smtp_server, make_payload, base64_body
):
    """An HTTP API v2 event with the token is answered 202 and the mail arrives."""
    module = lambda_module(**smtp_env)
    payload = make_payload(subject="Termin bestätigt")
    event = http_api_event(
        payload, token=smtp_env["EMAIL_SERVICE_TOKEN"], base64_body=base64_body
    )

    response = module.handler(event, lambda_context())

    assert response["statusCode"] == 202
    assert json.loads(response["body"])["status"] == "sent"
    assert response["headers"]["x-request-id"] == lambda_context().aws_request_id
    (message,) = smtp_server.messages
    assert message["Subject"] == "Termin bestätigt"
    assert smtp_server.envelopes[0].rcpt_tos == [payload["to"]]


def test_lambda_handler_wrong_token_is_unauthorized(
    lambda_module, smtp_env, smtp_server, make_payload
):
    """An event with a wrong token is answered 401 and nothing is sent."""
    module = lambda_module(**smtp_env)

    response = module.handler(
        http_api_event(make_payload(), token="wrong"), lambda_context()
    )

    assert response["statusCode"] == 401
    assert smtp_server.envelopes == []


def test_lambda_handler_without_token_configured_refuses_everyone(
    lambda_module, smtp_env, smtp_server, make_payload
):
    """With EMAIL_SERVICE_TOKEN unset the function is no open relay: 401."""
    module = lambda_module(**{**smtp_env, "EMAIL_SERVICE_TOKEN": ""})

    response = module.handler(
        http_api_event(make_payload(), token=None), lambda_context()
    )

    assert response["statusCode"] == 401
    assert smtp_server.envelopes == []


def test_lambda_handler_flat_bundle_imports_and_serves(tmp_path, make_payload):
    """Zipped flat as serverless packages it, the handler imports and answers."""
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    for source in PACKAGE_DIR.glob("*.py"):
        shutil.copy(source, bundle / source.name)
    event = http_api_event(make_payload(), token="flat-token")
    script = (
        "import json, sys, types, lambda_handler\n"
        "ctx = types.SimpleNamespace(aws_request_id='flat-1')\n"
        "print(json.dumps(lambda_handler.handler(json.load(sys.stdin), ctx)))\n"
    )
    env = {"EMAIL_SERVICE_TOKEN": "flat-token", "MAIL_DIR": str(tmp_path / "mail")}

    # -E -s keeps PYTHONPATH and user site-packages out, so only the bundle
    # can provide email_service.
    result = subprocess.run(
        [sys.executable, "-E", "-s", "-c", script],
        cwd=bundle,
        env=env,
        input=json.dumps(event),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.splitlines()[-1])["statusCode"] == 202
    assert len(list((tmp_path / "mail").glob("*.eml"))) == 1
