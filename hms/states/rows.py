"""Display rows for state vars: only ids and ready-to-show strings."""

import dataclasses
from collections.abc import Iterable
from datetime import datetime, time
from zoneinfo import ZoneInfo

from hms import routes
from hms.services.availability import WINDOW_DAYS, start_of_local_day
from hms.services.views import AppointmentView, DoctorSummary, SlotView
from hms.timefmt import (
    format_day,
    format_day_with_year,
    format_range,
    format_short_day,
    format_time,
    local_day_key,
)


@dataclasses.dataclass
class DoctorRow:
    """One doctor in the directory."""

    id: int = 0
    name: str = ""
    specialty: str = ""
    next_open: str = ""
    url: str = ""


@dataclasses.dataclass
class SlotRow:
    """One slot, with its times already written out."""

    id: int = 0
    time_label: str = ""
    clinic_label: str = ""
    full_label: str = ""
    state: str = ""
    status_label: str = ""
    booked: bool = False


@dataclasses.dataclass
class DayGroup:
    """The slots of one calendar day, in the viewer's timezone."""

    key: str = ""
    title: str = ""
    slots: list[SlotRow] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class AppointmentRow:
    """One appointment as the viewer sees it."""

    id: int = 0
    when: str = ""
    clinic_when: str = ""
    with_whom: str = ""
    detail: str = ""
    reason: str = ""
    status: str = ""
    cancel_note: str = ""
    cancellable: bool = False


def doctor_row(doctor: DoctorSummary, viewer_tz: str) -> DoctorRow:
    """A directory row; the next open time in the viewer's zone, zone named."""
    if doctor.next_open_at is None:
        next_open = "No open times yet"
    else:
        day = format_day(doctor.next_open_at, viewer_tz)
        next_open = (
            f"{day}, {format_time(doctor.next_open_at, viewer_tz)} ({viewer_tz})"
        )
    return DoctorRow(
        id=doctor.id,
        name=doctor.name,
        specialty=doctor.specialty,
        next_open=next_open,
        url=routes.doctor_url(doctor.id),
    )


def _slot_status(slot: SlotView) -> str:
    if slot.state == "booked":
        return f"Booked by {slot.patient_name}" if slot.patient_name else "Booked"
    return slot.state.capitalize()


def slot_row(slot: SlotView, viewer_tz: str, clinic_tz: str = "") -> SlotRow:
    """A slot row in `viewer_tz`, plus the doctor's time when their zone differs."""
    start, end = slot.start_at, slot.end_at
    time_label = f"{format_time(start, viewer_tz)}–{format_time(end, viewer_tz)}"
    clinic_label = ""
    if clinic_tz and clinic_tz != viewer_tz:
        clinic_label = format_range(start, end, clinic_tz) + " doctor's time"
    return SlotRow(
        id=slot.id,
        time_label=f"{time_label} ({viewer_tz})",
        clinic_label=clinic_label,
        full_label=format_range(start, end, viewer_tz),
        state=slot.state,
        status_label=_slot_status(slot),
        booked=slot.state == "booked",
    )


def group_by_day(
    slots: Iterable[SlotView], viewer_tz: str, clinic_tz: str = ""
) -> list[DayGroup]:
    """Slots grouped by calendar day in `viewer_tz`, in the given order."""
    groups: dict[str, DayGroup] = {}
    for slot in slots:
        key = local_day_key(slot.start_at, viewer_tz)
        if key not in groups:
            title = f"{format_day(slot.start_at, viewer_tz)} ({viewer_tz})"
            groups[key] = DayGroup(key=key, title=title)
        groups[key].slots.append(slot_row(slot, viewer_tz, clinic_tz))
    return list(groups.values())


def _cancel_note(appointment: AppointmentView) -> str:
    if appointment.status != "cancelled":
        return ""
    who = appointment.cancelled_by_name or "someone"
    note = f"Cancelled by {who}"
    return f"{note}: {appointment.cancel_reason}" if appointment.cancel_reason else note


def appointment_row(
    appointment: AppointmentView, viewer_role: str, viewer_tz: str, upcoming: bool
) -> AppointmentRow:
    """An appointment as a patient (sees the doctor) or a doctor (sees the patient)."""
    start, end = appointment.start_at, appointment.end_at
    if viewer_role == "doctor":
        with_whom, detail, other_tz = appointment.patient_name, "Patient", ""
    else:
        with_whom = appointment.doctor_name
        detail = appointment.doctor_specialty
        other_tz = appointment.doctor_timezone
    clinic_when = ""
    if other_tz and other_tz != viewer_tz:
        clinic_when = format_range(start, end, other_tz) + " doctor's time"
    return AppointmentRow(
        id=appointment.id,
        when=format_range(start, end, viewer_tz),
        clinic_when=clinic_when,
        with_whom=with_whom,
        detail=detail,
        reason=appointment.reason,
        status=appointment.status,
        cancel_note=_cancel_note(appointment),
        cancellable=upcoming and appointment.status == "booked",
    )


# Lists page back and forth a year at most.
MAX_WEEK = 52


@dataclasses.dataclass(frozen=True)
class WeekWindow:
    """One 7-day page of a list, counted on the viewer's calendar."""

    start_at: datetime
    end_at: datetime
    label: str


def week_window(tz: str, week: int) -> WeekWindow:
    """The `week`-th 7-day page from today in `tz` (0 = starting today).

    Counted on the local calendar, so a daylight-saving change can't shift it;
    the label reads e.g. "Thu 3 Dec – Wed 9 Dec 2026 (America/New_York)".
    """
    start_at = start_of_local_day(tz, days_from_today=week * WINDOW_DAYS)
    end_at = start_of_local_day(tz, days_from_today=(week + 1) * WINDOW_DAYS)
    last_day = start_of_local_day(tz, days_from_today=(week + 1) * WINDOW_DAYS - 1)
    label = f"{format_short_day(start_at, tz)} – {format_day_with_year(last_day, tz)}"
    return WeekWindow(start_at=start_at, end_at=end_at, label=label)


def weeks_until(moment: datetime, tz: str) -> int:
    """How many 7-day pages from today in `tz` come before the one holding `moment`."""
    today = start_of_local_day(tz)
    local_day = datetime.combine(
        moment.astimezone(ZoneInfo(tz)).date(), time(), tzinfo=ZoneInfo(tz)
    )
    return max(0, (local_day - today.astimezone(ZoneInfo(tz))).days // WINDOW_DAYS)
