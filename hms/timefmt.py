"""Show UTC times in a viewer's timezone, always naming the zone."""

from datetime import datetime
from zoneinfo import ZoneInfo


def _local(moment: datetime, tz: str) -> datetime:
    return moment.astimezone(ZoneInfo(tz))


def format_time(moment: datetime, tz: str) -> str:
    """`09:00`: the wall-clock time in `tz`."""
    return _local(moment, tz).strftime("%H:%M")


def format_day(moment: datetime, tz: str) -> str:
    """`Tuesday 8 December 2026`: the calendar day in `tz`."""
    local = _local(moment, tz)
    return f"{local:%A} {local.day} {local:%B %Y}"


def format_short_day(moment: datetime, tz: str) -> str:
    """`Tue 8 Dec`: a short day in `tz`, without the year."""
    local = _local(moment, tz)
    return f"{local:%a} {local.day} {local:%b}"


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
        return f"{day}, {local_start:%H:%M}–{local_end:%H:%M} ({tz})"
    end_day = _short_day(local_end)
    return f"{day}, {local_start:%H:%M} – {end_day}, {local_end:%H:%M} ({tz})"


def _short_day(local: datetime) -> str:
    return f"{local:%a} {local.day} {local:%b %Y}"
