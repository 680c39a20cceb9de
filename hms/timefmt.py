"""Show UTC times in a viewer's timezone, always naming the zone.

Names are English and independent of the server's locale; building them from
tables instead of strftime also keeps long lists quick to render.
"""

from datetime import datetime
from zoneinfo import ZoneInfo

DAY_NAMES = (
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
)
MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def _local(moment: datetime, tz: str) -> datetime:
    return moment.astimezone(ZoneInfo(tz))


def _clock(local: datetime) -> str:
    return f"{local.hour:02d}:{local.minute:02d}"


def _short_day(local: datetime) -> str:
    """`Tue 8 Dec 2026`."""
    day, month = DAY_NAMES[local.weekday()][:3], MONTH_NAMES[local.month - 1][:3]
    return f"{day} {local.day} {month} {local.year}"


def format_time(moment: datetime, tz: str) -> str:
    """`09:00`: the wall-clock time in `tz`."""
    return _clock(_local(moment, tz))


def format_day(moment: datetime, tz: str) -> str:
    """`Tuesday 8 December 2026`: the calendar day in `tz`."""
    local = _local(moment, tz)
    weekday, month = DAY_NAMES[local.weekday()], MONTH_NAMES[local.month - 1]
    return f"{weekday} {local.day} {month} {local.year}"


def format_short_day(moment: datetime, tz: str) -> str:
    """`Tue 8 Dec`: a short day in `tz`, without the year."""
    return _short_day(_local(moment, tz)).rsplit(" ", 1)[0]


def format_day_with_year(moment: datetime, tz: str) -> str:
    """`Tue 8 Dec 2026 (Europe/Berlin)`: a short day in `tz`, naming the zone."""
    return f"{_short_day(_local(moment, tz))} ({tz})"


def local_day_key(moment: datetime, tz: str) -> str:
    """`2026-12-08`: a sortable key of the calendar day in `tz`."""
    return _local(moment, tz).date().isoformat()


def format_range(start: datetime, end: datetime, tz: str) -> str:
    """`Tue 8 Dec 2026, 09:00–09:30 (Europe/Berlin)`; both days if it crosses midnight."""
    local_start, local_end = _local(start, tz), _local(end, tz)
    day = _short_day(local_start)
    if local_start.date() == local_end.date():
        return f"{day}, {_clock(local_start)}–{_clock(local_end)} ({tz})"
    end_day = _short_day(local_end)
    return f"{day}, {_clock(local_start)} – {end_day}, {_clock(local_end)} ({tz})"
