"""How "starting within N minutes" and "in progress" work: every meeting's clock read in its own zone.

SQL first narrows to a superset; Python then decides exactly (read_clocks), with integer wall-clock arithmetic
where the zone's offset is steady and finder.core.schedule where it is not. The superset comes from one of two:

- online_prefilter, for online and hybrid meetings (the "online meetings starting now" quick link, and the
  online-only meetings a search around a place adds): the index of online_times (migration 0010), one range per
  group of zones sharing their UTC offsets and per day, so SQL reads only the weekly times starting soon;
- clock_prefilter, for any meeting: zones grouped by their UTC offset now, each group given one wall-clock
  window, widened by an hour for a DST change, tested on every meeting's weekly times.
"""
from __future__ import annotations

import datetime as dt
import functools
import math
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, or_, select, text
from sqlalchemy.orm import Session, aliased

from finder.core import schedule
from finder.models import Meeting, MeetingTime, Place, ScheduleException
from finder.search.query import SearchQuery

# Offsets of a zone can change inside a window (a DST night); the SQL prefilter widens by this, Python decides.
DST_SLACK = dt.timedelta(minutes=60)
_IN_CHUNK = 2000  # ids per IN (...) list: PostgreSQL caps a statement at 65535 parameters
WEEK_MINUTES = 7 * 24 * 60


def chunks(ids: Sequence[int]) -> Iterable[Sequence[int]]:
    for i in range(0, len(ids), _IN_CHUNK):
        yield ids[i: i + _IN_CHUNK]



@dataclass
class Candidate:
    """A meeting that passed the SQL filters, with what Python needs to finish the job."""

    meeting_id: int
    name: str
    distance_km: float | None
    online_only: bool
    timezone: str
    times: list[tuple[int, dt.time, int]] = field(default_factory=list)  # (weekday, local start, minutes)
    has_exceptions: bool = False
    clock_read: bool = False
    running_start: dt.datetime | None = None  # start of the occurrence in progress, aware, in the meeting's zone
    next_start: dt.datetime | None = None  # the first start strictly after now, aware, in the meeting's zone
    running_since: float | None = None  # minutes since running_start
    next_in: float = math.inf  # minutes until next_start

    @property
    def clock_key(self) -> float:
        """Sort key for "next start": what is on now first (earliest begun first), then soonest."""
        return -self.running_since if self.running_since is not None else self.next_in


@dataclass(frozen=True)
class Skip:
    start_date: dt.date
    end_date: dt.date


@functools.cache
def _all_zones() -> tuple[tuple[str, dt.tzinfo], ...]:
    """Every IANA zone this system knows, read once per process (listing them walks the zone directory)."""
    zones = []
    for name in sorted(zoneinfo.available_timezones()):
        try:
            zones.append((name, zoneinfo.ZoneInfo(name)))
        except (ValueError, OSError):  # a zone file the system lists but cannot read
            continue
    return tuple(zones)


@functools.lru_cache(maxsize=16)
def _zones_by_offset(quarter_hour: dt.datetime) -> tuple[tuple[dt.timedelta, tuple[str, ...]], ...]:
    """Every IANA zone grouped by its UTC offset at that instant: zones with one offset share a wall clock."""
    groups: dict[dt.timedelta, list[str]] = defaultdict(list)
    for name, zone in _all_zones():
        offset = quarter_hour.astimezone(zone).utcoffset()
        if offset is not None:
            groups[offset].append(name)
    return tuple((offset, tuple(sorted(names))) for offset, names in sorted(groups.items()))


def _local_window_clause(t: Any, start: dt.datetime, end: dt.datetime) -> ColumnElement[bool]:
    """Weekly times whose wall-clock start falls between two naive local datetimes (at most a few days apart)."""
    parts = []
    day = start.date()
    while day <= end.date():
        low = start.time() if day == start.date() else dt.time(0)
        high = end.time() if day == end.date() else dt.time(23, 59, 59, 999999)
        parts.append(and_(t.weekday == day.weekday(), t.start.between(low, high)))
        day += dt.timedelta(days=1)
    return or_(*parts)


def clock_prefilter(query: SearchQuery, now: dt.datetime) -> ColumnElement[bool] | None:
    """A superset, in SQL, of the meetings starting soon or in progress: the exact test runs in Python.

    Zones are grouped by their offset at `now`, so one wall-clock window serves each group; the windows are
    widened by an hour for a DST change inside them.
    """
    if query.starts_within is None and not query.in_progress:
        return None
    quarter = now.astimezone(dt.timezone.utc).replace(second=0, microsecond=0)
    quarter = quarter.replace(minute=quarter.minute - quarter.minute % 15)
    t = aliased(MeetingTime)
    groups = []
    for offset, zones in _zones_by_offset(quarter):
        local_now = (now.astimezone(dt.timezone.utc) + offset).replace(tzinfo=None)
        windows = []
        if query.starts_within is not None:
            windows.append(_local_window_clause(
                t, local_now - DST_SLACK, local_now + dt.timedelta(minutes=query.starts_within) + DST_SLACK))
        if query.in_progress:
            # Started at most a day ago (the longest meeting) and not in the future.
            windows.append(_local_window_clause(
                t, local_now - dt.timedelta(minutes=schedule.MAX_DURATION_MINUTES) - DST_SLACK,
                local_now + DST_SLACK))
        # The window first: a few comparisons that reject most weekly times before the zone list is looked up
        # (BENCHMARKS.md, quick links: "online meetings starting now" 548 -> 320 ms at 100k on SQLite).
        groups.append(and_(or_(*windows), Place.timezone.in_(zones)))
    return exists(select(1).where(t.meeting_id == Meeting.id, or_(*groups)))


# --- Online meetings: the narrow table of their weekly times (online_times, migration 0010) -----------------------

# How far a wall time may sit from the instant it means, beyond the zone's offsets inside the window: a time in a
# spring-forward gap is read with the offset before the gap (finder.core.schedule.local_start), which the zone
# may have left up to two hours earlier (Antarctica/Troll's change is two hours; most are one).
_GAP_REACH = dt.timedelta(hours=3)
_ZONES_IN_USE = text(
    "WITH RECURSIVE z(zone) AS (SELECT min(timezone) FROM online_times UNION ALL "
    "SELECT (SELECT min(timezone) FROM online_times WHERE timezone > z.zone) FROM z WHERE z.zone IS NOT NULL) "
    "SELECT zone FROM z WHERE zone IS NOT NULL"
)


def online_attendance(query: SearchQuery) -> frozenset[str] | None:
    """The attendances a search without a place reads when they are all online or hybrid (None otherwise): what
    online_prefilter can answer. With a place, the part without one is online-only meetings (find_nearby)."""
    if query.starts_within is None and not query.in_progress:
        return None
    if query.point is not None:
        return frozenset({"online"}) & query.attendance if query.attendance else frozenset({"online"})
    if query.attendance and query.attendance <= {"online", "hybrid"}:
        return query.attendance
    return None


def zones_in_use(connection: Any) -> list[str]:
    """The distinct zones of online_times, read by skipping through its index (one probe per zone, ~300)."""
    return list(connection.execute(_ZONES_IN_USE).scalars())


def _quarter(moment: dt.datetime) -> dt.datetime:
    """The UTC quarter-hour holding `moment`: every zone's offset changes on a quarter-hour of UTC, so a zone has
    the same offset at `moment` as at its quarter."""
    moment = moment.astimezone(dt.timezone.utc).replace(second=0, microsecond=0)
    return moment.replace(minute=moment.minute - moment.minute % 15)


@functools.lru_cache(maxsize=64)
def _offset_groups(zones: tuple[str, ...], instants: tuple[dt.datetime, ...],
                   ) -> tuple[tuple[dt.timedelta, dt.timedelta, tuple[str, ...]], ...]:
    """Zones grouped by the least and greatest UTC offset they have at these quarter-hours: (lo, hi, zones).

    A zone whose offset is the same at all of them (nearly all, nearly always) has one exact wall-clock window.
    A bad zone name counts as UTC, as read_clocks reads it.
    """
    groups: dict[tuple[dt.timedelta, dt.timedelta], list[str]] = defaultdict(list)
    for name in zones:
        tz = zone_named(name)
        offsets = [instant.astimezone(tz).utcoffset() or dt.timedelta(0) for instant in instants]
        groups[min(offsets), max(offsets)].append(name)
    return tuple((lo, hi, tuple(names)) for (lo, hi), names in sorted(groups.items()))


def _minute_ranges(start: dt.datetime, end: dt.datetime) -> list[tuple[int, int, int]]:
    """(weekday, first minute, last minute) of the wall-clock times from `start` to `end` (naive, at most a few
    days apart), by day: past midnight the window goes on from minute 0 of the next weekday (Sunday -> Monday)."""
    parts = []
    day = start.date()
    while day <= end.date():
        low = start.hour * 60 + start.minute if day == start.date() else 0
        high = end.hour * 60 + end.minute if day == end.date() else 24 * 60 - 1
        parts.append((day.weekday(), low, high))
        day += dt.timedelta(days=1)
    return parts


def online_prefilter(connection: Any, query: SearchQuery, now: dt.datetime,
                     attendance: frozenset[str]) -> dict[int, tuple[str, str]]:
    """Meetings with a weekly time starting, in its own zone, inside the query's window, as {id: (zone,
    attendance)}: from
    online_times's index, one range per group of zones and per day. Exact but for whole minutes and a DST change
    inside the window (a zone whose offset moves gets the window of both offsets); read_clocks decides.

    The zones are those the table holds (a few hundred), grouped by their UTC offsets three hours before the
    window and three hours after it (wider than the window for a time in a spring-forward gap): usually about
    forty groups. The statement is
    written here, not built from SQLAlchemy expressions: its shape changes with the instant (groups, days), so
    SQLAlchemy would build and compile a new one for every search (BENCHMARKS.md, quick links).
    """
    zones = tuple(zones_in_use(connection))
    if not zones or not attendance:
        return {}
    utc_now = now.astimezone(dt.timezone.utc)
    first = utc_now - dt.timedelta(minutes=schedule.MAX_DURATION_MINUTES if query.in_progress else 0)
    last = utc_now + dt.timedelta(minutes=query.starts_within or 0)
    # A zone changes its offset at most once in so short a span (a day and a half at most), so its offsets
    # three hours either side of the window are the least and the greatest it has in it.
    instants = (_quarter(first - _GAP_REACH), _quarter(last + _GAP_REACH))
    mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    terms: list[str] = []
    params: list[Any] = []
    for lo, hi, names in _offset_groups(zones, instants):
        start, end = (first + lo).replace(tzinfo=None), (last + hi).replace(tzinfo=None)
        zone_list = ", ".join([mark] * len(names))
        for weekday, low, high in _minute_ranges(start, end):
            # (integers computed here are written in; the zone names, from the data, are bound)
            terms.append(f"(timezone IN ({zone_list}) AND weekday = {weekday:d} "
                         f"AND start_minute BETWEEN {low:d} AND {high:d})")
            params += names
    sql = f"SELECT meeting_id, timezone, attendance FROM online_times WHERE ({' OR '.join(terms)})"
    if attendance != {"online", "hybrid"}:
        sql += f" AND attendance IN ({', '.join([mark] * len(attendance))})"
        params += sorted(attendance)
    cursor = connection.connection.cursor()  # the driver's own rows: a few thousand at 1M meetings
    try:
        cursor.execute(sql, tuple(params))
        return {meeting_id: (zone, attendance) for meeting_id, zone, attendance in cursor.fetchall()}
    finally:
        cursor.close()


@functools.lru_cache(maxsize=1024)
def zone_named(name: str) -> dt.tzinfo:
    try:
        return schedule.zone_of(name)
    except ValueError:
        return dt.timezone.utc  # a bad zone name in the data must not break everyone's search


_WEEK_US = WEEK_MINUTES * 60_000_000


def _week_microsecond(weekday: int, moment: dt.time | dt.datetime) -> int:
    return (((weekday * 24 + moment.hour) * 60 + moment.minute) * 60 + moment.second) * 1_000_000 + moment.microsecond


def read_clocks(
    session: Session | None, candidates: Sequence[Candidate], now: dt.datetime,
    skips: Mapping[int, list[Any]] | None = None,
) -> None:
    """Set the running and next occurrence of every candidate, exactly.

    Wall-clock arithmetic (integer microseconds of the week) is exact for a zone whose offset does not change
    from a day ago to eight days ahead and a meeting without exceptions; the others (a DST week, a cancelled
    date) go through finder.core.schedule. `skips` gives exceptions already loaded; otherwise they are queried.
    """
    zones: dict[str, tuple[dt.datetime, int] | None] = {}  # zone -> (local now, its week microsecond) if steady
    if skips is None:
        skips = defaultdict(list)
        exact = [c.meeting_id for c in candidates if c.has_exceptions]
        for chunk in chunks(exact):
            for meeting_id, first, last in session.execute(  # type: ignore[union-attr]  # given when skips are not
                    select(ScheduleException.meeting_id, ScheduleException.start_date, ScheduleException.end_date)
                    .where(ScheduleException.meeting_id.in_(chunk))):
                skips[meeting_id].append(Skip(first, last))
    for candidate in candidates:
        candidate.clock_read = True
        if candidate.timezone not in zones:
            tz = zone_named(candidate.timezone)
            local_now = now.astimezone(tz)
            offset = local_now.utcoffset()
            steady = all((now + dt.timedelta(days=d)).astimezone(tz).utcoffset() == offset for d in (-1, 4, 8))
            zones[candidate.timezone] = (local_now, _week_microsecond(local_now.weekday(), local_now)) if steady else None
        steady_now = zones[candidate.timezone]
        if steady_now is None or candidate.has_exceptions:
            clock_exact(candidate, now, skips.get(candidate.meeting_id, []))
            continue
        local_now, now_us = steady_now
        longest_since, soonest = -1, _WEEK_US + 1
        for weekday, local_start, duration in candidate.times:
            start_us = _week_microsecond(weekday, local_start)
            since = (now_us - start_us) % _WEEK_US
            if since < duration * 60_000_000:
                longest_since = max(longest_since, since)
            soonest = min(soonest, (start_us - now_us) % _WEEK_US or _WEEK_US)
        # Same-zone arithmetic on aware datetimes is wall-clock arithmetic, exact while the offset holds.
        if longest_since >= 0:
            candidate.running_start = local_now - dt.timedelta(microseconds=longest_since)
            candidate.running_since = longest_since / 60_000_000
        if soonest <= _WEEK_US:
            candidate.next_start = local_now + dt.timedelta(microseconds=soonest)
            candidate.next_in = soonest / 60_000_000


def clock_exact(candidate: Candidate, now: dt.datetime, skips: Sequence[Any]) -> None:
    tz = zone_named(candidate.timezone)
    times = [schedule.WeeklyTime(*weekly) for weekly in candidate.times]
    upcoming = schedule.next_occurrences(times, tz, now, skips, n=1)
    if upcoming and upcoming[0].is_in_progress(now):
        candidate.running_start = upcoming[0].start
        candidate.running_since = (now - upcoming[0].start).total_seconds() / 60
    following = schedule.next_start(times, tz, now, skips)
    if following is not None:
        candidate.next_start = following.start
        candidate.next_in = (following.start - now).total_seconds() / 60


def passes_clock(candidate: Candidate, query: SearchQuery) -> bool:
    if query.in_progress and candidate.running_since is not None:
        return True
    return query.starts_within is not None and candidate.next_in <= query.starts_within

