"""iCalendar invitations (and their cancellations) for appointments."""

import logging
from datetime import UTC, datetime

from icalendar import Calendar, Event, vCalAddress, vText

from hms.models import utc_now
from hms.services.email_content import AppointmentFacts, Party

logger = logging.getLogger(__name__)

PRODID = "-//HMS//Clinic appointments//EN"
UID_DOMAIN = "hms"
# An iTIP update must carry a higher SEQUENCE than what the calendar holds, or
# clients ignore it; a booking is 0 and its cancellation 1.
SEQUENCE_BOOKED = 0
SEQUENCE_CANCELLED = 1


def appointment_uid(appointment_id: int) -> str:
    """The UID every calendar knows this appointment by, stable across updates."""
    return f"appointment-{appointment_id}@{UID_DOMAIN}"


def booking_invitation(facts: AppointmentFacts, *, now: datetime | None = None) -> str:
    """A METHOD:REQUEST calendar that adds the appointment."""
    return _calendar(facts, method="REQUEST", now=now).to_ical().decode()


def cancellation(facts: AppointmentFacts, *, now: datetime | None = None) -> str:
    """A METHOD:CANCEL calendar that removes the appointment."""
    return _calendar(facts, method="CANCEL", now=now).to_ical().decode()


def _calendar(
    facts: AppointmentFacts, *, method: str, now: datetime | None
) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", method)
    calendar.add_component(_event(facts, method=method, now=now or utc_now()))
    return calendar


def _event(facts: AppointmentFacts, *, method: str, now: datetime) -> Event:
    cancelled = method == "CANCEL"
    event = Event()
    event.add("uid", appointment_uid(facts.appointment_id))
    event.add("dtstamp", now.astimezone(UTC))
    event.add("dtstart", facts.start_at.astimezone(UTC))
    event.add("dtend", facts.end_at.astimezone(UTC))
    event.add("sequence", SEQUENCE_CANCELLED if cancelled else SEQUENCE_BOOKED)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("summary", f"Appointment: {facts.doctor.name} / {facts.patient.name}")
    event.add("description", _description(facts))

    # The doctor runs the appointment; the patient is the one invited.
    event["organizer"] = _address(facts.doctor)
    attendee = _address(facts.patient)
    attendee.params["ROLE"] = vText("REQ-PARTICIPANT")
    attendee.params["PARTSTAT"] = vText("ACCEPTED")
    event.add("attendee", attendee, encode=0)
    return event


def _address(party: Party) -> vCalAddress:
    address = vCalAddress(f"mailto:{party.email}")
    address.params["CN"] = vText(party.name)
    return address


def _description(facts: AppointmentFacts) -> str:
    lines = [f"Doctor: {facts.doctor.name} ({facts.specialty})"]
    lines.append(f"Patient: {facts.patient.name}")
    if facts.reason:
        lines.append(f"Reason: {facts.reason}")
    return "\n".join(lines)
