"""The words pages use for distances, times, "starts in", labels and links."""
from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from finder.web import filters

NY = ZoneInfo("America/New_York")
NOW = dt.datetime(2026, 11, 25, 17, 0, tzinfo=dt.timezone.utc)  # Wednesday, noon in New York


@pytest.mark.parametrize(
    ("km", "unit", "expected"),
    [
        (None, "mi", ""),
        (0.05, "mi", "under 0.1 mi"),
        (1.609344, "mi", "1.0 mi"),
        (0.8, "mi", "0.5 mi"),
        (40.0, "mi", "25 mi"),
        (2.25, "km", "2.2 km"),
        (1609.344, "mi", "1,000 mi"),
        (3.0, "furlongs", "1.9 mi"),  # an unknown unit falls back to miles, never an error
    ],
)
def test_distance_in_miles_or_km(km, unit, expected):
    assert filters.distance(km, unit) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(dt.time(0, 0), "12:00 AM"), (dt.time(12, 0), "12:00 PM"), (dt.time(19, 5), "7:05 PM"), (dt.time(9, 30), "9:30 AM")],
)
def test_clock_reads_like_a_phone(value, expected):
    assert filters.clock(value) == expected


def test_clock_text_reads_url_times_and_keeps_junk_as_is():
    assert filters.clock_text("19:00") == "7:00 PM"
    assert filters.clock_text("<b>") == "<b>"


@pytest.mark.parametrize(
    ("minutes", "expected"),
    [(None, ""), (-5, ""), (0, "starts now"), (1, "starts in 1 min"), (25, "starts in 25 min"), (60, "starts in 1 h"),
     (65, "starts in 1 h 5 min"), (180, "starts in 3 h"), (181, "")],
)
def test_starts_in(minutes, expected):
    assert filters.starts_in(minutes) == expected


def test_when_says_today_tomorrow_weekday_or_date_in_the_meetings_zone():
    today = dt.datetime(2026, 11, 25, 19, 30, tzinfo=NY)
    assert filters.when(today, NOW) == "Today 7:30 PM"
    assert filters.when(today + dt.timedelta(days=1), NOW) == "Tomorrow 7:30 PM"
    assert filters.when(today + dt.timedelta(days=3), NOW) == "Saturday 7:30 PM"
    assert filters.when(today + dt.timedelta(days=8), NOW) == "Thursday, Dec 3 7:30 PM"
    assert filters.when(None, NOW) == ""
    # 11 PM in New York on Tuesday is already Wednesday in UTC: "today" is judged in the meeting's zone.
    late = dt.datetime(2026, 11, 25, 23, 0, tzinfo=NY)
    assert filters.when(late, dt.datetime(2026, 11, 26, 3, 30, tzinfo=dt.timezone.utc)) == "Today 11:00 PM"


def test_viewer_when_only_when_the_viewers_clock_differs():
    start = dt.datetime(2026, 11, 25, 19, 0, tzinfo=ZoneInfo("America/Denver"))
    assert filters.viewer_when(start, "America/New_York", NOW) == "9:00 PM"  # same day: the time is enough
    assert filters.viewer_when(start, "America/Denver", NOW) == ""
    assert filters.viewer_when(start, "America/Phoenix", NOW) == ""  # no DST in Arizona: same wall clock in November
    assert filters.viewer_when(start, "Not/AZone", NOW) == ""
    assert filters.viewer_when(start, None, NOW) == ""
    late = dt.datetime(2026, 11, 25, 23, 0, tzinfo=ZoneInfo("America/Los_Angeles"))
    assert filters.viewer_when(late, "Europe/Berlin", NOW) == "Tomorrow 8:00 AM"


@pytest.mark.parametrize(("zone", "name"), [
    ("America/Chicago", "Chicago"), ("America/Argentina/Buenos_Aires", "Buenos Aires"), ("Europe/London", "London"),
    ("UTC", "UTC"), ("Etc/UTC", "UTC"), (None, ""), ("", ""),
])
def test_zone_names_are_the_zones_city(zone, name):
    assert filters.zone_name(zone) == name


def test_zone_names_speak_the_readers_language(sqlite_app):
    from finder.web import i18n

    with sqlite_app.test_request_context("/"):
        with i18n.in_language("es"):
            assert filters.zone_name("America/New_York") == "Nueva York"
            assert filters.zone_name("America/Los_Angeles") == "Los Ángeles"
            assert filters.zone_name("Not/AZone") == "AZone"
        assert filters.zone_name("America/New_York") == "New York"


def test_weekly_times_group_days_that_share_a_time():
    def slot(weekday, hour, minute=0, length=60):
        return SimpleNamespace(weekday=weekday, start=dt.time(hour, minute), duration_minutes=length)

    weekdays = [slot(d, 19, 0, 90) for d in range(5)]
    assert filters.grouped_times(weekdays) == ["Mon\u2013Fri 7:00\u20138:30 PM"]
    assert filters.grouped_times([slot(0, 12), slot(3, 12)]) == ["Mon, Thu 12:00\u20131:00 PM"]
    assert filters.grouped_times([slot(5, 10, 0, 90)]) == ["Saturdays 10:00\u201311:30 AM"]
    assert filters.grouped_times([slot(4, 23, 30, 90), slot(0, 11, 30)]) == [
        "Mondays 11:30 AM\u201312:30 PM", "Fridays 11:30 PM\u20131:00 AM (next day)"]
    assert filters.grouped_times([slot(d, 7) for d in range(7)]) == ["Every day 7:00\u20138:00 AM"]
    assert filters.grouped_times([slot(0, 7), slot(1, 7), slot(3, 7), slot(4, 7), slot(5, 7)]) == [
        "Mon, Tue, Thu\u2013Sat 7:00\u20138:00 AM"]


@pytest.mark.parametrize(("phone", "parts"), [
    ("+1 646 555 0100,,1953#", ("+1 646 555 0100", "1953#")),
    ("+1 646 555 0100", ("+1 646 555 0100", "")),
    ("646-555-0100;123456", ("646-555-0100", "123456")),
    (None, ("", "")),
])
def test_dial_in_strings_split_into_number_and_code(phone, parts):
    assert filters.dial_parts(phone) == parts


def test_zone_abbr_spells_numeric_offsets():
    assert filters.zone_abbr(dt.datetime(2026, 7, 1, 12, tzinfo=NY)) == "EDT"
    assert filters.zone_abbr(dt.datetime(2026, 7, 1, 12, tzinfo=ZoneInfo("Asia/Kolkata"))) == "IST"
    assert filters.zone_abbr(dt.datetime(2026, 7, 1, 12, tzinfo=ZoneInfo("America/Sao_Paulo"))) == "UTC-3"
    assert filters.zone_abbr(dt.datetime(2026, 7, 1, 12, tzinfo=ZoneInfo("Asia/Kathmandu"))) == "UTC+5:45"


def test_weekday_names_follow_the_python_convention():
    assert [filters.weekday_name(w) for w in (0, 6)] == ["Monday", "Sunday"]


@pytest.mark.parametrize(("minutes", "expected"), [(60, "1 hour"), (90, "1 hour 30 min"), (45, "45 min"), (120, "2 hours")])
def test_duration(minutes, expected):
    assert filters.duration(minutes) == expected


def test_end_clock_says_next_day_past_midnight():
    assert filters.end_clock(SimpleNamespace(start=dt.time(19), duration_minutes=60)) == "8:00 PM"
    assert filters.end_clock(SimpleNamespace(start=dt.time(23, 30), duration_minutes=90)) == "1:00 AM (next day)"


def test_amount():
    assert [filters.amount(v) for v in (None, 5.0, 2.5, 16.09)] == ["", "5", "2.5", "16"]


def test_labels_in_words():
    assert filters.attendance_label("in_person") == "In person"
    assert filters.attendance_label("hybrid") == "In person and online"
    assert filters.accepting_label("waitlist") == "Waiting list for new clients"


@pytest.mark.parametrize(
    ("phone", "expected"),
    [("+1 (646) 555-0100", "tel:+16465550100"), ("646 555 0100,,123#", "tel:6465550100,,123%23"), ("", ""),
     ("call me<script>", "")],
)
def test_tel_keeps_only_dialable_characters(phone, expected):
    assert filters.tel(phone) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [("https://zoom.us/j/1", "https://zoom.us/j/1"), ("http://x.org", "http://x.org"), ("javascript:alert(1)", ""),
     ("JAVASCRIPT:alert(1)", ""), ("data:text/html,hi", ""), ("//evil.example", ""), ("", ""), (None, "")],
)
def test_http_url_lets_only_web_links_through(url, expected):
    assert filters.http_url(url) == expected


def test_nl2br_escapes_then_keeps_lines():
    assert str(filters.nl2br("Side door\n<b>stairs</b>")) == "Side door<br>&lt;b&gt;stairs&lt;/b&gt;"


@pytest.mark.parametrize("value, expected", [
    (dt.date(2026, 12, 6), "December 6, 2026"),
    (dt.date(2027, 1, 31), "January 31, 2027"),
])
def test_long_date_has_no_leading_zero(value, expected):
    assert filters.long_date(value) == expected
