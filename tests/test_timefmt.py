"""Showing UTC times in a viewer's timezone, always naming the zone."""

from datetime import UTC, datetime, timedelta

from hms.timefmt import format_day, format_range, format_time, local_day_key

WINTER = datetime(2027, 1, 12, 8, 0, tzinfo=UTC)
SUMMER = datetime(2027, 7, 13, 8, 0, tzinfo=UTC)


def test_format_range_names_zone_and_local_time():
    """A range is shown in the viewer's local time with the zone's name."""
    end = datetime(2027, 1, 12, 8, 30, tzinfo=UTC)

    assert (
        format_range(WINTER, end, "Europe/Berlin")
        == "Tue 12 Jan 2027, 09:00–09:30 (Europe/Berlin)"
    )
    assert format_range(WINTER, end, "UTC") == "Tue 12 Jan 2027, 08:00–08:30 (UTC)"


def test_format_range_local_day_differs_from_utc_day():
    """The day shown is the local day, which may differ from the UTC day."""
    start = datetime(2027, 1, 12, 23, 30, tzinfo=UTC)
    end = datetime(2027, 1, 13, 0, 0, tzinfo=UTC)

    assert (
        format_range(start, end, "Asia/Tokyo")
        == "Wed 13 Jan 2027, 08:30–09:00 (Asia/Tokyo)"
    )
    assert (
        format_range(start, end, "America/New_York")
        == "Tue 12 Jan 2027, 18:30–19:00 (America/New_York)"
    )


def test_format_time_follows_daylight_saving():
    """The same UTC hour reads one hour later in Berlin's summer than its winter."""
    assert format_time(WINTER, "Europe/Berlin") == "09:00"
    assert format_time(SUMMER, "Europe/Berlin") == "10:00"


def test_format_day_and_key_in_zone():
    """The day name and sortable key are those of the viewer's calendar day."""
    late = datetime(2027, 1, 12, 23, 30, tzinfo=UTC)

    assert format_day(late, "Asia/Tokyo") == "Wednesday 13 January 2027"
    assert local_day_key(late, "Asia/Tokyo") == "2027-01-13"
    assert local_day_key(late, "UTC") == "2027-01-12"


def test_format_day_and_range_use_english_names():
    """Day and month names come out in English, zone named, minutes padded."""
    moment = datetime(2026, 12, 8, 8, 5, tzinfo=UTC)

    assert format_day(moment, "Europe/Berlin") == "Tuesday 8 December 2026"
    assert (
        format_range(moment, moment + timedelta(minutes=30), "Europe/Berlin")
        == "Tue 8 Dec 2026, 09:05–09:35 (Europe/Berlin)"
    )
