"""Tests for finder.core.schedule: weekday conventions, occurrences, DST, past midnight, exceptions."""

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest

from finder.core import schedule
from finder.core.schedule import WeeklyTime

NY = ZoneInfo("America/New_York")
UTC = dt.timezone.utc


@dataclass
class Exc:
    start_date: dt.date
    end_date: dt.date | None = None
    kind: str = "cancelled"


@dataclass
class TimeRow:  # shaped like the MeetingTime model
    weekday: int
    start: dt.time
    duration_minutes: int | None = 60


# --- weekday conventions ------------------------------------------------------------------------------------

# (python, meeting guide, bmlt, byday, url, name) for every day of the week
WEEK = [
    (0, 1, 2, "MO", "mon", "Monday"),
    (1, 2, 3, "TU", "tue", "Tuesday"),
    (2, 3, 4, "WE", "wed", "Wednesday"),
    (3, 4, 5, "TH", "thu", "Thursday"),
    (4, 5, 6, "FR", "fri", "Friday"),
    (5, 6, 7, "SA", "sat", "Saturday"),
    (6, 0, 1, "SU", "sun", "Sunday"),
]


@pytest.mark.parametrize(("py", "mg", "bmlt", "byday", "url", "name"), WEEK)
def test_every_weekday_convention(py, mg, bmlt, byday, url, name):
    assert schedule.to_meeting_guide(py) == mg
    assert schedule.from_meeting_guide(mg) == py
    assert schedule.to_bmlt(py) == bmlt
    assert schedule.from_bmlt(bmlt) == py
    assert schedule.to_byday(py) == byday
    assert schedule.from_byday(byday.lower()) == py
    assert schedule.to_url(py) == url
    assert schedule.from_url(url.upper()) == py
    assert schedule.from_url(name) == py
    assert schedule.weekday_name(py) == name
    # the convention agrees with the calendar: 2026-06-01 is a Monday
    assert (dt.date(2026, 6, 1) + dt.timedelta(days=py)).weekday() == py


@pytest.mark.parametrize(
    ("func", "value"),
    [
        (schedule.to_meeting_guide, 7),
        (schedule.to_meeting_guide, -1),
        (schedule.to_meeting_guide, True),
        (schedule.from_meeting_guide, 7),
        (schedule.from_bmlt, 0),
        (schedule.from_bmlt, 8),
        (schedule.from_bmlt, "1"),
        (schedule.to_byday, 1.0),
        (schedule.from_byday, "XX"),
        (schedule.from_byday, None),
        (schedule.from_url, "funday"),
        (schedule.from_url, ""),
        (schedule.from_url, 3),
        (schedule.weekday_name, 9),
    ],
)
def test_conversions_reject_hostile_input(func, value):
    with pytest.raises(ValueError):
        func(value)


def test_weekly_time_validation():
    with pytest.raises(ValueError):
        WeeklyTime(7, dt.time(19))
    with pytest.raises(ValueError):
        WeeklyTime(0, dt.time(19, tzinfo=UTC))
    with pytest.raises(ValueError):
        WeeklyTime(0, dt.time(19), 0)
    with pytest.raises(ValueError):
        WeeklyTime(0, dt.time(19), 24 * 60 + 1)
    assert WeeklyTime.of(TimeRow(2, dt.time(7), None)).duration_minutes == 60


def test_unknown_zone_is_value_error():
    with pytest.raises(ValueError):
        schedule.next_occurrences([WeeklyTime(0, dt.time(19))], "Mars/Olympus", dt.datetime(2026, 1, 1, tzinfo=UTC))
    with pytest.raises(ValueError):
        schedule.next_occurrences([WeeklyTime(0, dt.time(19))], "../etc/passwd", dt.datetime(2026, 1, 1, tzinfo=UTC))


def test_naive_now_is_refused():
    with pytest.raises(ValueError):
        schedule.next_occurrences([WeeklyTime(0, dt.time(19))], NY, dt.datetime(2026, 1, 1))


# --- next occurrences -----------------------------------------------------------------------------------------


def test_next_occurrences_in_order_across_several_weekly_times():
    times = [TimeRow(4, dt.time(19, 30)), TimeRow(0, dt.time(12)), TimeRow(0, dt.time(19))]
    now = dt.datetime(2026, 6, 1, 12, 30, tzinfo=NY)  # Monday 12:30, the noon meeting is running
    got = schedule.next_occurrences(times, "America/New_York", now, n=4)
    assert [(o.start.date().isoformat(), o.start.time()) for o in got] == [
        ("2026-06-01", dt.time(12)),
        ("2026-06-01", dt.time(19)),
        ("2026-06-05", dt.time(19, 30)),
        ("2026-06-08", dt.time(12)),
    ]
    assert got[0].is_in_progress(now)
    assert not got[1].is_in_progress(now)
    assert all(o.start.tzinfo is not None and o.start.utcoffset() == dt.timedelta(hours=-4) for o in got)


def test_now_in_another_zone_is_the_same_instant():
    times = [WeeklyTime(0, dt.time(19))]
    now_utc = dt.datetime(2026, 6, 1, 22, 59, tzinfo=UTC)  # 18:59 in New York
    assert schedule.starts_in_minutes(times, NY, now_utc) == 1
    assert schedule.next_occurrences(times, NY, now_utc)[0].start == dt.datetime(2026, 6, 1, 19, tzinfo=NY)


def test_meeting_ends_exactly_at_now_is_over():
    times = [WeeklyTime(0, dt.time(19))]
    now = dt.datetime(2026, 6, 1, 20, tzinfo=NY)
    assert not schedule.is_in_progress(times, NY, now)
    assert schedule.next_occurrences(times, NY, now)[0].start.date() == dt.date(2026, 6, 8)


def test_starts_in_minutes_rounds_up_and_respects_within():
    times = [WeeklyTime(2, dt.time(19))]
    now = dt.datetime(2026, 6, 3, 18, 40, 30, tzinfo=NY)
    assert schedule.starts_in_minutes(times, NY, now) == 20
    assert schedule.starts_in_minutes(times, NY, now, within=15) is None
    assert schedule.starts_in_minutes(times, NY, now, within=20) == 20


def test_starts_in_skips_the_running_meeting():
    times = [WeeklyTime(2, dt.time(19))]
    now = dt.datetime(2026, 6, 3, 19, 10, tzinfo=NY)
    assert schedule.is_in_progress(times, NY, now)
    assert schedule.starts_in_minutes(times, NY, now) == 7 * 24 * 60 - 10


def test_no_times_means_nothing():
    now = dt.datetime(2026, 6, 3, tzinfo=NY)
    assert schedule.next_occurrences([], NY, now) == []
    assert schedule.starts_in_minutes([], NY, now) is None
    assert not schedule.is_in_progress([], NY, now)


# --- past midnight ---------------------------------------------------------------------------------------------


def test_past_midnight_meeting_in_progress_the_next_day():
    # Saturday 23:00 for 2 h: still running at 00:30 on Sunday
    times = [WeeklyTime(5, dt.time(23), 120)]
    now = dt.datetime(2026, 6, 7, 0, 30, tzinfo=NY)
    current = schedule.current_occurrence(times, NY, now)
    assert current is not None
    assert current.start == dt.datetime(2026, 6, 6, 23, tzinfo=NY)
    assert current.end == dt.datetime(2026, 6, 7, 1, tzinfo=NY)
    assert current.end.date() > current.start.date()


def test_cancelled_date_refers_to_the_start_date_of_a_past_midnight_meeting():
    times = [WeeklyTime(5, dt.time(23), 120)]
    now = dt.datetime(2026, 6, 7, 0, 30, tzinfo=NY)
    cancelled = [Exc(dt.date(2026, 6, 6))]
    assert not schedule.is_in_progress(times, NY, now, cancelled)
    cancelled_sunday = [Exc(dt.date(2026, 6, 7))]
    assert schedule.is_in_progress(times, NY, now, cancelled_sunday)


def test_all_night_meeting_with_a_full_day_duration():
    times = [WeeklyTime(4, dt.time(20), 24 * 60)]
    now = dt.datetime(2026, 6, 6, 19, 59, tzinfo=NY)  # Saturday, 23 h 59 in
    assert schedule.is_in_progress(times, NY, now)


# --- exceptions -------------------------------------------------------------------------------------------------


def test_cancelled_weeks_and_closures_are_skipped():
    times = [TimeRow(0, dt.time(19))]
    now = dt.datetime(2026, 6, 1, 8, tzinfo=NY)
    exceptions = [
        Exc(dt.date(2026, 6, 1)),  # single cancelled date, end_date missing
        Exc(dt.date(2026, 6, 15), dt.date(2026, 6, 29), "closed"),  # closure range, inclusive
        Exc(dt.date(2026, 7, 20), dt.date(2026, 7, 1)),  # end before start: the start date only
    ]
    got = schedule.next_occurrences(times, NY, now, exceptions, n=4)
    assert [o.start.date() for o in got] == [
        dt.date(2026, 6, 8),
        dt.date(2026, 7, 6),
        dt.date(2026, 7, 13),
        dt.date(2026, 7, 27),
    ]


def test_closed_for_longer_than_the_horizon():
    times = [WeeklyTime(0, dt.time(19))]
    now = dt.datetime(2026, 6, 1, tzinfo=NY)
    closure = [Exc(dt.date(2026, 1, 1), dt.date(2099, 1, 1), "closed")]
    assert schedule.next_occurrences(times, NY, now, closure) == []
    assert schedule.starts_in_minutes(times, NY, now, closure) is None


# --- DST -------------------------------------------------------------------------------------------------------


def test_spring_gap_start_is_read_with_the_offset_before_the_gap():
    # 2026-03-08 New York: 02:00 EST -> 03:00 EDT. A Sunday 02:30 meeting that day is at 03:30 EDT (= 07:30 UTC).
    times = [WeeklyTime(6, dt.time(2, 30))]
    now = dt.datetime(2026, 3, 7, 12, tzinfo=NY)
    first, second = schedule.next_occurrences(times, NY, now, n=2)
    assert first.start.astimezone(UTC) == dt.datetime(2026, 3, 8, 7, 30, tzinfo=UTC)
    assert (first.start.hour, first.start.minute) == (3, 30)
    assert first.start.utcoffset() == dt.timedelta(hours=-4)
    assert first.end.astimezone(UTC) - first.start.astimezone(UTC) == dt.timedelta(hours=1)
    assert (second.start.hour, second.start.minute) == (2, 30)  # normal again a week later


def test_autumn_overlap_means_the_first_of_the_two():
    # 2026-11-01 New York: 02:00 EDT -> 01:00 EST. A 01:30 meeting is at 01:30 EDT (= 05:30 UTC).
    times = [WeeklyTime(6, dt.time(1, 30))]
    now = dt.datetime(2026, 10, 31, 12, tzinfo=NY)
    occurrence = schedule.next_occurrences(times, NY, now)[0]
    assert occurrence.start.astimezone(UTC) == dt.datetime(2026, 11, 1, 5, 30, tzinfo=UTC)
    # an hour of elapsed time later the clock reads 01:30 again, now EST
    assert occurrence.end.astimezone(UTC) == dt.datetime(2026, 11, 1, 6, 30, tzinfo=UTC)
    assert occurrence.end.utcoffset() == dt.timedelta(hours=-5)


def test_local_time_holds_across_dst_in_several_zones():
    cases = {
        "America/New_York": (dt.date(2026, 3, 1), dt.date(2026, 3, 15)),
        "Europe/London": (dt.date(2026, 3, 22), dt.date(2026, 4, 5)),
        "Australia/Sydney": (dt.date(2026, 3, 29), dt.date(2026, 4, 12)),  # autumn there
        "Asia/Kolkata": (dt.date(2026, 3, 1), dt.date(2026, 3, 15)),
    }
    for zone, (before, after) in cases.items():
        times = [WeeklyTime(6, dt.time(19, 30))]
        now = dt.datetime.combine(before, dt.time(0), tzinfo=ZoneInfo(zone))
        got = schedule.next_occurrences(times, zone, now, n=3)
        assert [o.start.date() for o in got] == [before, before + dt.timedelta(7), after]
        assert all((o.start.hour, o.start.minute) == (19, 30) for o in got), zone


def test_in_progress_across_the_autumn_change():
    # 00:30 Sunday for 2 h on the fall-back night: elapsed 2 h ends at 01:30 EST
    times = [WeeklyTime(6, dt.time(0, 30), 120)]
    now = dt.datetime(2026, 11, 1, 6, 15, tzinfo=UTC)  # 01:15 EST, after the change
    assert schedule.is_in_progress(times, NY, now)
    assert not schedule.is_in_progress(times, NY, dt.datetime(2026, 11, 1, 6, 31, tzinfo=UTC))


# --- viewer's zone -------------------------------------------------------------------------------------------------


def test_viewer_time_only_when_it_differs():
    start = dt.datetime(2026, 6, 1, 19, tzinfo=NY)
    same = schedule.for_viewer(start, "America/Toronto")
    assert same.viewer is None and same.meeting == start
    other = schedule.for_viewer(start, "America/Los_Angeles")
    assert (other.viewer.hour, other.viewer.tzinfo) == (16, ZoneInfo("America/Los_Angeles"))
    assert other.viewer == start
    assert schedule.for_viewer(start, "Not/AZone").viewer is None
    assert schedule.for_viewer(start, None).viewer is None
    kolkata = schedule.for_viewer(start, "Asia/Kolkata").viewer
    assert (kolkata.date(), kolkata.hour, kolkata.minute) == (dt.date(2026, 6, 2), 4, 30)
