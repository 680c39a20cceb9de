"""Turning form strings into dates, times and numbers, or naming the field."""

from datetime import date, time

import pytest

from hms.errors import ValidationError
from hms.services.parsing import parse_date, parse_int, parse_time


@pytest.mark.parametrize(
    ("text", "expected"),
    [("2026-12-08", date(2026, 12, 8)), (" 2027-01-31 ", date(2027, 1, 31))],
)
def test_parse_date_iso(text, expected):
    """An ISO date, with or without surrounding spaces, parses."""
    assert parse_date(text, field="first_day") == expected


@pytest.mark.parametrize("text", ["", "   ", None, "08/12/2026", "2026-02-30", "soon"])
def test_parse_date_invalid(text):
    """Anything but an ISO date is refused on the given field."""
    with pytest.raises(ValidationError) as caught:
        parse_date(text, field="first_day")

    assert caught.value.field == "first_day"
    assert caught.value.message == "Enter a date as YYYY-MM-DD."


@pytest.mark.parametrize(
    ("text", "expected"),
    [("09:30", time(9, 30)), (" 23:59 ", time(23, 59)), ("09:30:45", time(9, 30))],
)
def test_parse_time_of_day(text, expected):
    """A time of day parses; seconds are dropped."""
    assert parse_time(text, field="start") == expected


@pytest.mark.parametrize("text", ["", None, "25:00", "9.30", "noon", "09:60"])
def test_parse_time_invalid(text):
    """Anything but a time of day is refused on the given field."""
    with pytest.raises(ValidationError) as caught:
        parse_time(text, field="start")

    assert caught.value.field == "start"
    assert caught.value.message == "Enter a time as HH:MM."


@pytest.mark.parametrize(("text", "expected"), [("5", 5), (" 30 ", 30), ("480", 480)])
def test_parse_int_in_range(text, expected):
    """A whole number within the bounds (inclusive) parses."""
    assert parse_int(text, field="slot_minutes", minimum=5, maximum=480) == expected


@pytest.mark.parametrize("text", ["", None, "4", "481", "-1", "30.5", "thirty"])
def test_parse_int_invalid_or_out_of_range(text):
    """Non-numbers and numbers outside the bounds are refused, naming the bounds."""
    with pytest.raises(ValidationError) as caught:
        parse_int(text, field="slot_minutes", minimum=5, maximum=480)

    assert caught.value.field == "slot_minutes"
    assert caught.value.message == "Enter a whole number from 5 to 480."
