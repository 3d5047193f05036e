"""Weekly meeting times: occurrences in the place's zone, "in progress", "starts in", weekday conventions.

Pure: values in, values out; the caller passes `now` (aware). Times are wall-clock times in the meeting's IANA
zone. Two DST rules, chosen to agree with RFC 5545 section 3.3.5 so the web page and every calendar app show
the same instant:

* Spring gap: a local start that does not exist (02:30 on a spring-forward night in New York) is read with the
  offset in force before the gap, which lands it on the same instant the clock calls 03:30. The meeting is shown
  at 03:30 that one day; it is not skipped and not moved to 01:30.
* Autumn overlap: a local start that happens twice (01:30 on a fall-back night) means the first one
  (`fold=0`, still daylight time).

Durations are elapsed time: a 60-minute meeting that starts at 01:30 EDT on a fall-back night ends at 01:30 EST.
A meeting may run past midnight; it belongs to the date (and weekday) it starts on, so a cancelled date or a
closure range refers to occurrences that *start* on those dates, and a meeting that began yesterday evening can
be in progress now.
"""

from __future__ import annotations


import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol
from zoneinfo import ZoneInfo

from finder.core.words import N_

UTC = dt.timezone.utc

# Python's convention (Monday=0) is the one used inside the code; everything below converts at the edges.
_BYDAY = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_URL = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# English names (pages show Babel's names in the reader's language; the catalog holds these for |term).
_NAMES = (N_("Monday"), N_("Tuesday"), N_("Wednesday"), N_("Thursday"), N_("Friday"), N_("Saturday"), N_("Sunday"))

# How far ahead to look for the next occurrence. A long closure can hide many weeks; beyond two years a meeting
# is, for a person looking for one tonight, not happening.
_SEARCH_DAYS = 2 * 366
MAX_DURATION_MINUTES = 24 * 60


def _check_weekday(value: object, low: int, high: int, convention: str) -> int:
    # bool is an int in Python; True must not silently mean Tuesday.
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"{convention} weekday must be an integer {low}..{high}, got {value!r}")
    return value


def to_meeting_guide(weekday: int) -> int:
    """Python weekday (Monday=0) -> Meeting Guide `day` (Sunday=0)."""
    return (_check_weekday(weekday, 0, 6, "Python") + 1) % 7


def from_meeting_guide(day: int) -> int:
    """Meeting Guide `day` (Sunday=0..Saturday=6) -> Python weekday; raises ValueError outside 0..6."""
    return (_check_weekday(day, 0, 6, "Meeting Guide") - 1) % 7


def to_bmlt(weekday: int) -> int:
    """Python weekday -> BMLT `weekday_tinyint` (Sunday=1..Saturday=7)."""
    return (_check_weekday(weekday, 0, 6, "Python") + 1) % 7 + 1


def from_bmlt(tinyint: int) -> int:
    """BMLT `weekday_tinyint` (Sunday=1..Saturday=7) -> Python weekday; raises ValueError outside 1..7."""
    return (_check_weekday(tinyint, 1, 7, "BMLT") - 2) % 7


def to_byday(weekday: int) -> str:
    """Python weekday -> iCalendar BYDAY code ('MO'..'SU')."""
    return _BYDAY[_check_weekday(weekday, 0, 6, "Python")]


def from_byday(code: str) -> int:
    """iCalendar BYDAY code ('MO'..'SU', any case) -> Python weekday; raises ValueError otherwise."""
    try:
        return _BYDAY.index(code.strip().upper())
    except (AttributeError, ValueError):
        raise ValueError(f"not an iCalendar weekday: {code!r}") from None


def to_url(weekday: int) -> str:
    """Python weekday -> URL token ('mon'..'sun')."""
    return _URL[_check_weekday(weekday, 0, 6, "Python")]


def from_url(token: str) -> int:
    """URL token ('mon'..'sun', or the full English name, any case) -> Python weekday; raises ValueError."""
    if isinstance(token, str):
        word = token.strip().lower()
        if word in _URL:
            return _URL.index(word)
        names = [name.lower() for name in _NAMES]
        if word in names:
            return names.index(word)
    raise ValueError(f"not a weekday: {token!r} (use mon, tue, wed, thu, fri, sat or sun)")


def weekday_name(weekday: int) -> str:
    """Python weekday -> English name ('Monday')."""
    return _NAMES[_check_weekday(weekday, 0, 6, "Python")]


# Read-only members (properties), so frozen dataclasses and ORM rows both fit.
class WeeklyTimeLike(Protocol):
    @property
    def weekday(self) -> int: ...
    @property
    def start(self) -> dt.time: ...
    @property
    def duration_minutes(self) -> int: ...


class ExceptionLike(Protocol):
    @property
    def start_date(self) -> dt.date: ...
    @property
    def end_date(self) -> dt.date | None: ...


@dataclass(frozen=True)
class WeeklyTime:
    """One weekly slot: Python weekday, local start (naive time, read in the place's zone), elapsed minutes."""

    weekday: int
    start: dt.time
    duration_minutes: int = 60

    def __post_init__(self) -> None:
        _check_weekday(self.weekday, 0, 6, "Python")
        if not isinstance(self.start, dt.time) or self.start.tzinfo is not None:
            raise ValueError("start must be a naive datetime.time: the zone is the place's")
        if (
            isinstance(self.duration_minutes, bool)
            or not isinstance(self.duration_minutes, int)
            or not 1 <= self.duration_minutes <= MAX_DURATION_MINUTES
        ):
            raise ValueError(f"duration_minutes must be 1..{MAX_DURATION_MINUTES}")

    @classmethod
    def of(cls, obj: WeeklyTimeLike) -> WeeklyTime:
        """A WeeklyTime from anything with weekday/start/duration_minutes (a MeetingTime row)."""
        if isinstance(obj, cls):
            return obj
        duration = obj.duration_minutes if obj.duration_minutes is not None else 60
        return cls(obj.weekday, obj.start, duration)


@dataclass(frozen=True)
class Occurrence:
    """One meeting instance: aware start and end in the meeting's zone, and the weekly time it comes from."""

    start: dt.datetime
    end: dt.datetime
    weekly_time: WeeklyTime

    def is_in_progress(self, now: dt.datetime) -> bool:
        """True when start <= now < end."""
        return self.start <= now < self.end


def zone_of(zone: str | dt.tzinfo) -> dt.tzinfo:
    """An IANA zone name (or a tzinfo) -> tzinfo; raises ValueError for an unknown name."""
    if isinstance(zone, dt.tzinfo):
        return zone
    try:
        return ZoneInfo(zone)
    except (ValueError, TypeError, OSError, KeyError) as exc:  # zoneinfo raises several kinds for bad keys
        raise ValueError(f"unknown time zone: {zone!r}") from exc


def local_start(day: dt.date, start: dt.time, zone: str | dt.tzinfo) -> dt.datetime:
    """The aware instant a wall-clock `start` on `day` means in `zone` (DST rules: see the module docstring)."""
    tz = zone_of(zone)
    nominal = dt.datetime.combine(day, start, tzinfo=tz)  # fold=0: first of two, or pre-gap offset
    # Round-tripping through UTC turns a non-existent 02:30 into the real 03:30 on the same instant.
    return nominal.astimezone(UTC).astimezone(tz)


def occurrence_on(day: dt.date, weekly_time: WeeklyTime, zone: str | dt.tzinfo) -> Occurrence:
    """The occurrence of `weekly_time` starting on `day` (which must be its weekday)."""
    if day.weekday() != weekly_time.weekday:
        raise ValueError(f"{day} is a {weekday_name(day.weekday())}, not a {weekday_name(weekly_time.weekday)}")
    start = local_start(day, weekly_time.start, zone)
    end = (start.astimezone(UTC) + dt.timedelta(minutes=weekly_time.duration_minutes)).astimezone(start.tzinfo)
    return Occurrence(start, end, weekly_time)


def first_on_or_after(day: dt.date, weekday: int) -> dt.date:
    """The first date on or after `day` that falls on `weekday` (Python convention)."""
    return day + dt.timedelta(days=(_check_weekday(weekday, 0, 6, "Python") - day.weekday()) % 7)


def skipped_ranges(exceptions: Iterable[ExceptionLike]) -> list[tuple[dt.date, dt.date]]:
    """(first, last) date ranges, inclusive, on which occurrences are skipped (cancelled or closed).

    A missing or earlier end_date means a single day. Both kinds skip: a cancellation is one date, a closure a
    range.
    """
    ranges = []
    for exc in exceptions:
        first = exc.start_date
        last = exc.end_date if exc.end_date is not None and exc.end_date >= first else first
        ranges.append((first, last))
    return sorted(ranges)


def is_skipped(day: dt.date, ranges: list[tuple[dt.date, dt.date]]) -> bool:
    """True when `day` falls in one of `ranges` (from skipped_ranges)."""
    return any(first <= day <= last for first, last in ranges)


def _require_aware(now: dt.datetime) -> None:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")


def next_occurrences(
    times: Iterable[WeeklyTimeLike],
    zone: str | dt.tzinfo,
    now: dt.datetime,
    exceptions: Iterable[ExceptionLike] = (),
    n: int = 1,
) -> list[Occurrence]:
    """The next `n` occurrences that have not ended at `now`, earliest start first.

    An occurrence in progress at `now` (even one that started yesterday evening) comes first; use
    `Occurrence.is_in_progress(now)` to tell. Cancelled dates and closure ranges (by start date, in the
    meeting's zone) are skipped. Looks about two years ahead; fewer than `n` come back if the meeting has no
    times or is closed for longer.
    """
    _require_aware(now)
    weekly = sorted({WeeklyTime.of(t) for t in times}, key=lambda w: (w.weekday, w.start, w.duration_minutes))
    if not weekly or n <= 0:
        return []
    tz = zone_of(zone)
    ranges = skipped_ranges(exceptions)
    by_weekday: dict[int, list[WeeklyTime]] = {}
    for w in weekly:
        by_weekday.setdefault(w.weekday, []).append(w)
    # Start far enough back to catch an occurrence that began before today and is still running.
    lookback = math.ceil(max(w.duration_minutes for w in weekly) / (24 * 60))
    day = now.astimezone(tz).date() - dt.timedelta(days=lookback)
    found: list[Occurrence] = []
    for _ in range(_SEARCH_DAYS + lookback):
        if len(found) >= n:
            break
        if day.weekday() in by_weekday and not is_skipped(day, ranges):
            for w in by_weekday[day.weekday()]:
                occurrence = occurrence_on(day, w, tz)
                if occurrence.end > now:
                    found.append(occurrence)
        day += dt.timedelta(days=1)
    found.sort(key=lambda o: (o.start, o.end))
    return found[:n]


def current_occurrence(
    times: Iterable[WeeklyTimeLike],
    zone: str | dt.tzinfo,
    now: dt.datetime,
    exceptions: Iterable[ExceptionLike] = (),
) -> Occurrence | None:
    """The occurrence in progress at `now`, or None."""
    upcoming = next_occurrences(times, zone, now, exceptions, n=1)
    return upcoming[0] if upcoming and upcoming[0].is_in_progress(now) else None


def is_in_progress(
    times: Iterable[WeeklyTimeLike],
    zone: str | dt.tzinfo,
    now: dt.datetime,
    exceptions: Iterable[ExceptionLike] = (),
) -> bool:
    """True when an occurrence is running at `now` (start <= now < end)."""
    return current_occurrence(times, zone, now, exceptions) is not None


def next_start(
    times: Iterable[WeeklyTimeLike],
    zone: str | dt.tzinfo,
    now: dt.datetime,
    exceptions: Iterable[ExceptionLike] = (),
) -> Occurrence | None:
    """The first occurrence starting strictly after `now` (an in-progress one is passed over), or None."""
    times = list(times)
    for occurrence in next_occurrences(times, zone, now, exceptions, n=2 * max(len(times), 1)):
        if occurrence.start > now:
            return occurrence
    return None


def minutes_until(start: dt.datetime, now: dt.datetime) -> int:
    """Whole minutes from `now` to `start`, rounded up (a meeting 30 s away "starts in 1 minute"); 0 if past."""
    _require_aware(now)
    seconds = (start - now).total_seconds()
    return max(0, math.ceil(seconds / 60))


def starts_in_minutes(
    times: Iterable[WeeklyTimeLike],
    zone: str | dt.tzinfo,
    now: dt.datetime,
    exceptions: Iterable[ExceptionLike] = (),
    within: int | None = None,
) -> int | None:
    """Minutes until the next start after `now` (rounded up), or None if none (or not within `within` minutes)."""
    upcoming = next_start(times, zone, now, exceptions)
    if upcoming is None:
        return None
    minutes = minutes_until(upcoming.start, now)
    if within is not None and minutes > within:
        return None
    return minutes


@dataclass(frozen=True)
class ViewerTimes:
    """A start shown in the meeting's zone, and in the viewer's zone when the wall clock there reads otherwise."""

    meeting: dt.datetime
    viewer: dt.datetime | None


def for_viewer(start: dt.datetime, viewer_zone: str | dt.tzinfo | None) -> ViewerTimes:
    """The start in the meeting's zone and, if the viewer's zone shows a different wall time or date, in theirs.

    An unknown or missing viewer zone gives only the meeting's time (never guess the viewer's zone).
    """
    _require_aware(start)
    if viewer_zone is None:
        return ViewerTimes(start, None)
    try:
        tz = zone_of(viewer_zone)
    except ValueError:
        return ViewerTimes(start, None)
    theirs = start.astimezone(tz)
    if theirs.replace(tzinfo=None) == start.replace(tzinfo=None):
        return ViewerTimes(start, None)
    return ViewerTimes(start, theirs)
