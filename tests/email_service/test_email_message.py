"""Building the MIME message and validating requests, without any server."""

from __future__ import annotations

from email import message_from_bytes, policy
from email.headerregistry import Address

import pytest

from email_service.message import build_message, ics_method, message_id_for
from email_service.validation import InvalidRequest, parse_request

SENDER = Address(display_name="HMS", addr_spec="hms@clinic.example")


def test_message_id_for_same_key_is_stable():
    """The same key always yields the same Message-ID; others differ."""
    first = message_id_for("booking-42:patient", domain="clinic.example")

    assert first == message_id_for("booking-42:patient", domain="clinic.example")
    assert first != message_id_for("booking-42:doctor", domain="clinic.example")
    assert first.startswith("<") and first.endswith("@clinic.example>")
    assert ":" not in first


@pytest.mark.parametrize(
    ("ics", "method"),
    [
        ("BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nEND:VCALENDAR", "REQUEST"),
        ("BEGIN:VCALENDAR\nmethod:cancel\nEND:VCALENDAR", "CANCEL"),
        ("BEGIN:VCALENDAR\r\nEND:VCALENDAR", None),
    ],
)
def test_ics_method_reads_method_line(ics, method):
    """The METHOD line, in any case or line ending, names the iTIP method."""
    assert ics_method(ics) == method


def test_build_message_text_only_is_single_part(make_payload):
    """Without HTML or invite the message is one text/plain part."""
    message = build_message(parse_request(make_payload()), sender=SENDER)

    assert message.get_content_type() == "text/plain"
    assert message["Auto-Submitted"] == "auto-generated"


def test_build_message_html_and_ics_nest_alternative_in_mixed(make_payload):
    """HTML becomes an alternative, the invite an attachment beside it."""
    payload = make_payload(html="<p>Hi</p>", ics="BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n")

    message = build_message(parse_request(payload), sender=SENDER)
    parsed = message_from_bytes(message.as_bytes(), policy=policy.default)

    assert parsed.get_content_type() == "multipart/mixed"
    body, invite = parsed.iter_parts()
    assert body.get_content_type() == "multipart/alternative"
    assert invite.get_filename() == "invite.ics"
    assert invite.get_param("method") is None


def test_parse_request_normalises_address_domain(make_payload):
    """The recipient's domain is lower-cased and IDNs are punycoded."""
    assert parse_request(make_payload(to="Pat@Example.ORG")).to == "Pat@example.org"
    assert parse_request(make_payload(to="z@bücher.example")).to == (
        "z@xn--bcher-kva.example"
    )


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"to": "zoë@example.org"}, "to"),
        ({"subject": "   "}, "subject"),
        ({"text": 42}, "text"),
        ({"ics": "not a calendar"}, "ics"),
        ({"idempotency_key": "booking 42"}, "idempotency_key"),
        ({"idempotency_key": "k" * 201}, "idempotency_key"),
    ],
)
def test_parse_request_invalid_field_is_named(make_payload, overrides, field):
    """Each kind of invalid value is reported under its own field."""
    with pytest.raises(InvalidRequest) as caught:
        parse_request(make_payload(**overrides))

    assert set(caught.value.errors) == {field}


def test_parse_request_non_object_is_refused():
    """A JSON array or string instead of an object is refused as the body."""
    with pytest.raises(InvalidRequest) as caught:
        parse_request(["to", "subject"])

    assert caught.value.errors == {"body": "must be a JSON object"}
