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


def local_day_key(moment: datetime, tz: str) -> str:
    """`2026-12-08`: a sortable key of the calendar day in `tz`."""
    return _local(moment, tz).date().isoformat()


def format_range(start: datetime, end: datetime, tz: str) -> str:
    """`Tue 8 Dec 2026, 09:00–09:30 (Europe/Berlin)`."""
    local = _local(start, tz)
    day = f"{local:%a} {local.day} {local:%b %Y}"
    return f"{day}, {format_time(start, tz)}–{format_time(end, tz)} ({tz})"
