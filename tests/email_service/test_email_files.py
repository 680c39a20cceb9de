"""Without SMTP_HOST the email function writes each message as an .eml file."""

from __future__ import annotations

from email import message_from_bytes, policy
from pathlib import Path

import httpx

from email_service.core import handle_email
from email_service.message import build_message
from email_service.settings import EmailSettings
from email_service.transport import write_eml
from email_service.validation import parse_request


def read_eml(path: Path):
    """Parse an .eml file with the modern email policy."""
    return message_from_bytes(path.read_bytes(), policy=policy.default)


def test_handle_email_without_smtp_host_writes_eml(tmp_path, make_payload):
    """In-process, with no relay, the message lands in MAIL_DIR named by key."""
    settings = EmailSettings(mail_dir=tmp_path, from_email="HMS <hms@clinic.example>")
    payload = make_payload(to_name="Zoë Ångström", subject="Grüße")

    status, body = handle_email(payload, settings=settings)

    assert (status, body["status"]) == (202, "sent")
    key = payload["idempotency_key"].replace(":", "_")
    (path,) = tmp_path.iterdir()
    assert path.name == f"{key}.eml"
    message = read_eml(path)
    assert message["To"].addresses[0].display_name == "Zoë Ångström"
    assert message["Subject"] == "Grüße"
    assert message["Message-ID"] == body["message_id"]
    assert message.get_body(("plain",)).get_content().strip() == payload["text"]


def test_handle_email_same_key_twice_keeps_one_file(tmp_path, make_payload):
    """A retry of the same key answers duplicate and adds no second file."""
    settings = EmailSettings(mail_dir=tmp_path)
    payload = make_payload()

    first = handle_email(payload, settings=settings)
    second = handle_email(payload, settings=settings)

    assert first[0] == second[0] == 202
    assert second[1]["status"] == "duplicate"
    assert len(list(tmp_path.iterdir())) == 1


def test_write_eml_same_key_overwrites(tmp_path, make_payload):
    """Writing the same key again replaces the file instead of adding one."""
    request = parse_request(make_payload())
    message = build_message(request, sender=EmailSettings().sender)

    first = write_eml(message, key=request.idempotency_key, directory=tmp_path)
    second = write_eml(message, key=request.idempotency_key, directory=tmp_path)

    assert first == second
    assert list(tmp_path.iterdir()) == [first]


def test_handle_email_unwritable_mail_dir_answers_503(tmp_path, make_payload):
    """A MAIL_DIR that cannot be created answers 503 so the caller retries."""
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    settings = EmailSettings(mail_dir=blocker / "mail")

    status, body = handle_email(make_payload(), settings=settings)

    assert (status, body["status"]) == (503, "temporary_failure")


def test_post_email_without_smtp_host_writes_eml(serve, auth, tmp_path, make_payload):
    """Over HTTP, with no relay configured, the message is written to MAIL_DIR."""
    settings = EmailSettings(mail_dir=tmp_path, token=auth["Authorization"][7:])
    payload = make_payload(ics="BEGIN:VCALENDAR\r\nMETHOD:CANCEL\r\nEND:VCALENDAR\r\n")

    response = httpx.post(serve(settings), json=payload, headers=auth, timeout=10)

    assert response.status_code == 202
    (path,) = tmp_path.glob("*.eml")
    (attachment,) = read_eml(path).iter_attachments()
    assert attachment.get_param("method") == "CANCEL"
