"""The email function over real HTTP, sending to a real SMTP server on loopback."""

from __future__ import annotations

import json
import logging
from dataclasses import replace

import httpx
import pytest
from icalendar import Calendar

from email_service.message import message_id_for

INVITE = (
    "BEGIN:VCALENDAR\r\n"
    "VERSION:2.0\r\n"
    "PRODID:-//HMS//Appointments//EN\r\n"
    "METHOD:{method}\r\n"
    "BEGIN:VEVENT\r\n"
    "UID:booking-42@hms.example\r\n"
    "DTSTAMP:20260105T080000Z\r\n"
    "DTSTART:20260105T090000Z\r\n"
    "DTEND:20260105T093000Z\r\n"
    "SUMMARY:Appointment with Dr. Ångström\r\n"
    "END:VEVENT\r\n"
    "END:VCALENDAR\r\n"
)


def post(url: str, payload: object, headers: dict[str, str]) -> httpx.Response:
    """POST a JSON payload to the email function."""
    return httpx.post(url, json=payload, headers=headers, timeout=10)


def test_post_email_valid_request_delivers_over_smtp(
    email_url, auth, make_payload, smtp_server
):
    """A valid request is answered 202 and the relay receives the message."""
    payload = make_payload(html="<p>See you on <b>Monday</b>.</p>")

    response = post(email_url, payload, auth)

    assert response.status_code == 202
    assert response.json()["status"] == "sent"
    (envelope,) = smtp_server.envelopes
    assert envelope.rcpt_tos == ["patient@example.org"]
    assert envelope.mail_from == "clinic@hms.example"
    (message,) = smtp_server.messages
    assert message["To"].addresses[0].display_name == "Pat Example"
    assert message["Subject"] == "Your appointment"
    assert message.get_body(("plain",)).get_content().strip() == payload["text"]
    assert "<b>Monday</b>" in message.get_body(("html",)).get_content()


def test_post_email_message_id_derives_from_key(
    email_url, auth, make_payload, smtp_server
):
    """The Message-ID is a function of the idempotency key and sender domain."""
    payload = make_payload()

    response = post(email_url, payload, auth)

    expected = message_id_for(payload["idempotency_key"], domain="hms.example")
    assert response.json()["message_id"] == expected
    assert smtp_server.messages[0]["Message-ID"] == expected


@pytest.mark.parametrize("method", ["REQUEST", "CANCEL"])
def test_post_email_with_ics_attaches_invite(
    email_url, auth, make_payload, smtp_server, method
):
    """An ics is attached as invite.ics, text/calendar, with the ics METHOD."""
    response = post(email_url, make_payload(ics=INVITE.format(method=method)), auth)

    assert response.status_code == 202
    (attachment,) = smtp_server.messages[0].iter_attachments()
    assert attachment.get_filename() == "invite.ics"
    assert attachment.get_content_type() == "text/calendar"
    assert attachment.get_param("method") == method
    calendar = Calendar.from_ical(attachment.get_content())
    (event,) = calendar.walk("VEVENT")
    assert str(event["UID"]) == "booking-42@hms.example"
    assert str(event["SUMMARY"]) == "Appointment with Dr. Ångström"
    assert str(calendar["METHOD"]) == method


def test_post_email_non_ascii_name_and_subject_round_trip(
    email_url, auth, make_payload, smtp_server
):
    """Non-ASCII names and subjects travel encoded and decode unchanged."""
    payload = make_payload(to_name="Zoë Ångström", subject="Rendez-vous confirmé ✓")

    assert post(email_url, payload, auth).status_code == 202

    raw = smtp_server.envelopes[0].original_content
    assert raw.isascii()
    message = smtp_server.messages[0]
    assert message["To"].addresses[0].display_name == "Zoë Ångström"
    assert message["From"].addresses[0].display_name == "Clinique Zoë"
    assert message["Subject"] == "Rendez-vous confirmé ✓"


def test_post_email_repeated_key_sends_once(email_url, auth, make_payload, smtp_server):
    """A retry of a sent key answers 202 duplicate without sending again."""
    payload = make_payload()

    first = post(email_url, payload, auth)
    second = post(email_url, payload, auth)

    assert first.status_code == second.status_code == 202
    assert second.json() == {
        "status": "duplicate",
        "message_id": first.json()["message_id"],
    }
    assert len(smtp_server.envelopes) == 1


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic dGVzdA=="}],
    ids=["missing", "wrong", "other-scheme"],
)
def test_post_email_without_valid_token_is_unauthorized(
    email_url, make_payload, smtp_server, headers
):
    """Without the shared secret the answer is 401 and nothing is sent."""
    response = post(email_url, make_payload(), headers)

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert smtp_server.envelopes == []


def test_post_email_no_token_configured_refuses_by_default(
    serve, smtp_settings, make_payload, smtp_server
):
    """With no token configured and anonymous use not allowed, all get 401."""
    url = serve(replace(smtp_settings, token=None))

    response = post(url, make_payload(), {})

    assert response.status_code == 401
    assert smtp_server.envelopes == []


def test_post_email_anonymous_loopback_is_served_without_token(
    serve, smtp_settings, make_payload, smtp_server
):
    """The local dev server with no token serves loopback callers."""
    settings = replace(smtp_settings, token=None)
    url = serve(settings, allow_anonymous=True)

    response = post(url, make_payload(), {})

    assert response.status_code == 202
    assert len(smtp_server.envelopes) == 1


def test_post_email_bad_address_is_rejected(email_url, auth, make_payload, smtp_server):
    """An invalid recipient address answers 400 naming the field."""
    response = post(email_url, make_payload(to="not-an-address"), auth)

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"to"}
    assert smtp_server.envelopes == []


def test_post_email_missing_fields_are_each_named(email_url, auth, smtp_server):
    """A request missing required fields answers 400 naming every one."""
    response = post(email_url, {"to_name": "Pat"}, auth)

    assert response.status_code == 400
    errors = response.json()["errors"]
    assert set(errors) == {"to", "subject", "text", "idempotency_key"}
    assert all(reason == "is required" for reason in errors.values())


@pytest.mark.parametrize(
    ("field", "size"),
    [("text", 100_001), ("html", 100_001), ("ics", 100_001), ("subject", 201)],
)
def test_post_email_oversize_field_is_rejected(
    email_url, auth, make_payload, smtp_server, field, size
):
    """A field over its limit answers 400 naming the field and the limit."""
    value = "BEGIN:VCALENDAR" + "x" * (size - 15) if field == "ics" else "x" * size

    response = post(email_url, make_payload(**{field: value}), auth)

    assert response.status_code == 400
    assert "at most" in response.json()["errors"][field]
    assert smtp_server.envelopes == []


def test_post_email_header_injection_in_name_is_refused(
    email_url, auth, make_payload, smtp_server
):
    """A to_name smuggling a Bcc header is refused, never sent."""
    payload = make_payload(to_name="Pat\r\nBcc: evil@example.com")

    response = post(email_url, payload, auth)

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"to_name"}
    assert smtp_server.envelopes == []


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("to", "pat@example.org\nBcc: evil@example.com"),
        ("subject", "Hello\r\nBcc: evil@example.com"),
        ("idempotency_key", "key\rX"),
        ("to_name", "Pat\u2028Bcc: evil@example.com"),
    ],
)
def test_post_email_line_break_in_header_field_is_refused(
    email_url, auth, make_payload, smtp_server, field, value
):
    """CR, LF or any line break in a header value answers 400 naming the field."""
    response = post(email_url, make_payload(**{field: value}), auth)

    assert response.status_code == 400
    assert "line breaks" in response.json()["errors"][field]
    assert smtp_server.envelopes == []


def test_post_email_unknown_field_is_rejected(email_url, auth, make_payload):
    """A misspelt field answers 400 rather than being silently dropped."""
    response = post(email_url, make_payload(htm="<p>hi</p>"), auth)

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"htm"}


def test_post_email_malformed_json_is_rejected(email_url, auth):
    """A body that is not JSON answers 400 naming the body."""
    response = httpx.post(email_url, content=b"{not json", headers=auth, timeout=10)

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"body"}


def test_post_email_oversize_request_is_rejected(email_url, auth):
    """A request body over the byte limit answers 400 before being parsed."""
    body = b'{"text": "' + b"x" * 2_000_001 + b'"}'

    response = httpx.post(email_url, content=body, headers=auth, timeout=10)

    assert response.status_code == 400
    assert "bytes" in response.json()["errors"]["body"]


def test_post_email_smtp_temporary_failure_answers_503(
    email_url, auth, make_payload, smtp_server
):
    """A 451 from the relay answers 503, and a later retry is sent."""
    payload = make_payload()
    smtp_server.handler.reply = "451 4.3.0 Try again later"

    failed = post(email_url, payload, auth)
    smtp_server.handler.reply = None
    retried = post(email_url, payload, auth)

    assert failed.status_code == 503
    assert failed.json()["status"] == "temporary_failure"
    assert retried.status_code == 202
    assert retried.json()["status"] == "sent"
    assert len(smtp_server.envelopes) == 1


def test_post_email_smtp_permanent_failure_answers_502(
    email_url, auth, make_payload, smtp_server
):
    """A 550 from the relay answers 502."""
    smtp_server.handler.reply = "550 5.1.1 Mailbox unavailable"

    response = post(email_url, make_payload(), auth)

    assert response.status_code == 502
    assert response.json()["status"] == "permanent_failure"


def test_post_email_smtp_unreachable_answers_503(
    serve, smtp_settings, unused_port, auth, make_payload
):
    """A relay that refuses connections answers 503 so the caller retries."""
    settings = replace(smtp_settings, smtp_port=unused_port)

    response = post(serve(settings), make_payload(), auth)

    assert response.status_code == 503


def test_post_email_logs_one_json_line_without_personal_data(
    email_url, auth, make_payload, caplog
):
    """Each request logs one JSON line with ids and outcome, no body or address."""
    payload = make_payload(to="zoe.private@example.org", text="secret diagnosis")
    caplog.set_level(logging.INFO, logger="email_service")

    response = post(email_url, {**payload}, {**auth, "X-Request-Id": "req-123"})

    lines = [r.getMessage() for r in caplog.records if r.name.startswith("email_")]
    (line,) = lines
    record = json.loads(line)
    assert response.headers["X-Request-Id"] == "req-123"
    assert record["request_id"] == "req-123"
    assert record["idempotency_key"] == payload["idempotency_key"]
    assert record["status"] == 202
    assert record["outcome"] == "sent"
    assert record["recipient_domain"] == "example.org"
    assert "zoe.private" not in line
    assert "secret diagnosis" not in line
