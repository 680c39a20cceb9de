"""Subjects and bodies of the emails HMS sends, written per recipient."""

import logging
from dataclasses import dataclass
from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from hms.timefmt import format_range

logger = logging.getLogger(__name__)

PRODUCT_NAME = "HMS"


@dataclass(frozen=True)
class EmailContent:
    """What one recipient reads: subject, plain text and an HTML alternative."""

    subject: str
    text: str
    html: str


@dataclass(frozen=True)
class Party:
    """A person named in an email, with the zone they read times in."""

    name: str
    email: str
    timezone: str


@dataclass(frozen=True)
class AppointmentFacts:
    """Everything an appointment email says, gathered before writing it."""

    appointment_id: int
    patient: Party
    doctor: Party
    specialty: str
    reason: str
    start_at: datetime
    end_at: datetime


def zone_or_utc(name: str) -> ZoneInfo:
    """The zone called `name`, or UTC when the name is unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        # A bad zone in a profile must not stop the email; UTC is still right.
        logger.warning("unknown timezone in a profile; using UTC")
        return ZoneInfo("UTC")


def format_when(start_at: datetime, end_at: datetime, timezone: str) -> str:
    """Say when, in `timezone` (UTC if unknown), naming the zone."""
    return format_range(start_at, end_at, zone_or_utc(timezone).key)


def booking_confirmation(facts: AppointmentFacts, *, recipient: Party) -> EmailContent:
    """The confirmation for `recipient`, the patient or the doctor."""
    lines = _appointment_lines(facts, recipient=recipient)
    if recipient == facts.patient:
        subject = f"Appointment confirmed with {facts.doctor.name}"
        intro = f"Your appointment with {facts.doctor.name} is booked."
    else:
        subject = f"New appointment: {facts.patient.name}"
        intro = f"{facts.patient.name} booked an appointment with you."
    outro = "The attached invitation adds it to your calendar."
    return _compose(subject, recipient, intro, lines, outro)


def cancellation_notice(
    facts: AppointmentFacts, *, recipient: Party, cancelled_by: str, reason: str
) -> EmailContent:
    """The notice for `recipient` that the appointment was cancelled.

    Args:
        facts: The appointment.
        recipient: Who reads this email.
        cancelled_by: How to name who cancelled ("the patient", a name...).
        reason: Why, as given by whoever cancelled; may be empty.
    """
    lines = _appointment_lines(facts, recipient=recipient)
    if reason:
        lines.append(("Reason for cancelling", reason))
    other = facts.doctor if recipient == facts.patient else facts.patient
    subject = f"Appointment cancelled: {other.name}"
    intro = f"Your appointment with {other.name} was cancelled by {cancelled_by}."
    outro = "The attached update removes it from your calendar."
    return _compose(subject, recipient, intro, lines, outro)


def welcome(*, name: str, role: str) -> EmailContent:
    """The welcome email for a new account of `role`."""
    recipient = Party(name=name, email="", timezone="UTC")
    intro = f"Your {PRODUCT_NAME} account is ready."
    if role == "doctor":
        outro = "Add the times you can see patients under Availability."
    else:
        outro = "Find a doctor and book a time that suits you under Doctors."
    return _compose(f"Welcome to {PRODUCT_NAME}", recipient, intro, [], outro)


def _appointment_lines(
    facts: AppointmentFacts, *, recipient: Party
) -> list[tuple[str, str]]:
    """The labelled facts, with times in the recipient's zone first."""
    when = format_when(facts.start_at, facts.end_at, recipient.timezone)
    lines = [("When", when)]
    # A patient in another zone also needs the doctor's local time.
    if recipient == facts.patient and recipient.timezone != facts.doctor.timezone:
        clinic = format_when(facts.start_at, facts.end_at, facts.doctor.timezone)
        lines.append(("Doctor's time", clinic))
    lines += [
        ("Doctor", facts.doctor.name),
        ("Specialty", facts.specialty),
        ("Patient", facts.patient.name),
    ]
    if facts.reason:
        lines.append(("Reason for the visit", facts.reason))
    return lines


def _compose(
    subject: str,
    recipient: Party,
    intro: str,
    lines: list[tuple[str, str]],
    outro: str,
) -> EmailContent:
    """Write the plain text and the HTML of one email from the same parts."""
    greeting = f"Hello {recipient.name},"
    text_lines = [f"{label}: {value}" for label, value in lines]
    text = "\n\n".join(
        part for part in (greeting, intro, "\n".join(text_lines), outro) if part
    )
    text += f"\n\n— {PRODUCT_NAME}\n"

    # Every value may come from a user (names, reasons): escape all of them.
    rows = "".join(
        f"<tr><th align='left'>{escape(label)}</th><td>{escape(value)}</td></tr>"
        for label, value in lines
    )
    table = f"<table>{rows}</table>" if rows else ""
    html = (
        f"<html><body><p>{escape(greeting)}</p><p>{escape(intro)}</p>"
        f"{table}<p>{escape(outro)}</p><p>— {PRODUCT_NAME}</p></body></html>"
    )
    return EmailContent(subject=one_line(subject), text=text, html=html)


def one_line(value: str) -> str:
    """`value` with every run of whitespace (line breaks too) made one space.

    Headers such as the subject must not carry line breaks, and a name typed
    with one must not make the email function refuse the message.
    """
    printable = "".join(char for char in value if char.isprintable() or char.isspace())
    return " ".join(printable.split())
