"""Nearby search: the one function behind the pages, the JSON API, the iCal search feeds and the BMLT endpoint.

How a search runs: a bounding box on the indexed latitude/longitude picks candidate
places and SQL applies every filter that does not depend on the clock. Around a point with no clock filter,
SQL also computes the exact haversine distance, trims the box to the circle, counts, orders and returns only
the page, with the page's own columns (_ranked_statement). Otherwise the distance is computed in Python, the
clock-dependent filters ("starting within", "in progress") are evaluated in each meeting's own zone with
finder.schedule, and the page is loaded afterwards. Either way the page comes as plain rows (finder.plain).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import math
import re
import zoneinfo
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    ColumnElement, Date, Float, Integer, String, and_, bindparam, exists, false, func, literal_column, or_,
    select, true,
)
from sqlalchemy.orm import Session, aliased, joinedload, selectinload

from finder import bodies, plain, schedule
from finder.geo import (
    EARTH_RADIUS_KM, MAX_DISTANCE_KM, BoundingBox, bounding_box, haversine_km, miles_to_km, valid_point,
)
from finder.models import (
    Counselor, CounselorTerm, Format, Meeting, MeetingPoint, MeetingTime, Place, ScheduleException, Service,
    TreatmentCenter, center_services, counselor_offices, counselor_terms, meeting_formats,
)
from finder.vocab import COUNSELOR_TERMS, FORMAT_BY_CODE, SERVICE_BY_CODE

KINDS = frozenset({"meetings", "centers", "counselors"})
ATTENDANCE_VALUES = frozenset({"in_person", "online", "hybrid"})
DEFAULT_RADIUS_KM = miles_to_km(25)
# Beyond this a radius search is a scan of a continent; "the N nearest" covers the rural case instead.
MAX_RADIUS_KM = miles_to_km(1000)
MAX_NEAREST = 200
MAX_PER_PAGE = 100
MAX_PAGE = 10_000
MAX_SOON_MINUTES = 24 * 60
# The first radius tried for "the N nearest"; it grows from the density it finds. Measured at 1M meetings with
# city-weighted density (BENCHMARKS.md): 2 km needed 1.9 queries per "10 nearest", 4 km 1.5, with no more rows.
_FIRST_NEAREST_RADIUS_KM = 4.0
# Offsets of a zone can change inside a window (a DST night); the SQL prefilter widens by this, Python decides.
_DST_SLACK = dt.timedelta(minutes=60)
_IN_CHUNK = 2000  # ids per IN (...) list: PostgreSQL caps a statement at 65535 parameters
_WEEK_MINUTES = 7 * 24 * 60


# --- The contract -----------------------------------------------------------------------------------------------


class SearchError(ValueError):
    """A search the user asked for cannot run: which field, a message for people, and near matches for places."""

    def __init__(self, field: str, message: str, suggestions: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        self.suggestions = list(suggestions)


@dataclass(frozen=True)
class SearchQuery:
    """What to look for; see the module docstring of finder.search and the URL parameters in query_from_args."""

    point: tuple[float, float] | None = None  # (lat, lon)
    radius_km: float | None = None  # None together with nearest=N means auto radius
    nearest: int | None = None  # "the N nearest"
    kinds: frozenset[str] = frozenset({"meetings"})
    weekdays: frozenset[int] = frozenset()  # Python convention, empty = any
    time_from: dt.time | None = None  # local start time window, in the meeting's zone
    time_to: dt.time | None = None
    starts_within: int | None = None  # minutes from now
    in_progress: bool = False
    formats_all: frozenset[str] = frozenset()
    formats_any: frozenset[str] = frozenset()
    attendance: frozenset[str] = frozenset()
    language: str | None = None
    wheelchair: bool = False
    open_closed: str | None = None  # 'open' | 'closed'
    service_body_ids: frozenset[int] = frozenset()  # children included
    group_ids: frozenset[int] = frozenset()
    meeting_ids: frozenset[int] = frozenset()
    include_online: bool = False  # online-only meetings regardless of distance
    text: str | None = None  # name/location substring
    center_services: frozenset[str] = frozenset()
    payment: frozenset[str] = frozenset()
    approaches: frozenset[str] = frozenset()
    telehealth: bool = False
    accepting: bool = False
    sort: str = "distance"  # 'distance' | 'next_start'
    page: int = 1
    per_page: int = 25  # 0 = no paging (feeds)
    # False: hits carry no next_start / in_progress (feeds and BMLT list weekly times, not occurrences), which
    # spares loading exceptions and the per-meeting zone arithmetic; not allowed with a clock filter or sort.
    schedule: bool = True


@dataclass(frozen=True)
class MeetingHit:
    """A meeting found. next_start is the current occurrence's start while in progress, else the next one.

    `meeting` is a finder.plain.PlainMeeting (or what a caller's loader returns): read-only, with the model's
    attribute names and properties."""

    meeting: Any
    distance_km: float | None  # None for online-only meetings
    next_start: dt.datetime | None  # aware, in the meeting's zone
    in_progress: bool
    starts_in_minutes: int | None  # None while in progress or when there is no next start
    is_online_only: bool

    @property
    def distance_miles(self) -> float | None:
        return None if self.distance_km is None else self.distance_km / 1.609344


@dataclass(frozen=True)
class CenterHit:
    center: TreatmentCenter
    distance_km: float | None

    @property
    def distance_miles(self) -> float | None:
        return None if self.distance_km is None else self.distance_km / 1.609344


@dataclass(frozen=True)
class CounselorHit:
    counselor: Counselor
    office: Place | None  # the nearest office (None for a telehealth-only counselor found without a point)
    distance_km: float | None

    @property
    def distance_miles(self) -> float | None:
        return None if self.distance_km is None else self.distance_km / 1.609344


@dataclass(frozen=True)
class SearchResults:
    meetings: list[MeetingHit] = field(default_factory=list)
    centers: list[CenterHit] = field(default_factory=list)
    counselors: list[CounselorHit] = field(default_factory=list)
    radius_km: float | None = None  # the radius searched (for "N nearest": the distance of the farthest hit)
    total_meetings: int = 0
    total_centers: int = 0
    total_counselors: int = 0
    page: int = 1
    per_page: int = 25

    @property
    def total(self) -> int:
        return self.total_meetings + self.total_centers + self.total_counselors

    @property
    def pages(self) -> int:
        """Pages needed for the longest of the three lists (1 when not paged)."""
        if not self.per_page:
            return 1
        longest = max(self.total_meetings, self.total_centers, self.total_counselors)
        return max(1, math.ceil(longest / self.per_page))


def visible_meetings_clause() -> ColumnElement[bool]:
    """The one definition of a meeting the public may see: published and not inactive."""
    return and_(Meeting.published.is_(True), Meeting.status != _constant("inactive"))


def _constant(word: str) -> ColumnElement[str]:
    """A fixed word of the code as an SQL literal, not a bound parameter: the planner knows it even in a
    prepared statement's generic plan (see _opaque). Only for words written in this module."""
    assert word.isidentifier()
    return literal_column(f"'{word}'", String)


# --- The search -------------------------------------------------------------------------------------------------


MeetingLoader = Callable[[Session, Sequence[int]], Mapping[int, Any]]


def find_nearby(session: Session, query: SearchQuery, now: dt.datetime, *,
                load_meetings: MeetingLoader | None = None,
                cached_meetings: MeetingLoader | None = None) -> SearchResults:
    """Run a search. `now` must be aware. Raises SearchError for an invalid query; never commits.

    Distances are great-circle km (haversine). With a point and a radius, everything within the radius; with
    `nearest` N, the N nearest (within `radius_km` when given too); with no point, no distance limit (used for
    personal lists, service-body listings and "online meetings starting soon"). Online-only meetings are matched
    by location only when `attendance` names 'online'; `include_online` adds them regardless of distance.
    Results are sorted by distance (ties by name) or by next start, and paged per kind.

    The chosen meetings are loaded as finder.plain rows (times, formats, exceptions; no service bodies).
    `load_meetings(session, ids) -> {id: meeting}` replaces that load (BMLT passes one that links service
    bodies); it needs `schedule=False`, as the clock needs the exceptions a caller's loader may not read.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    _validate(query)
    if load_meetings is not None and query.schedule:
        raise ValueError("a meeting loader needs a search without schedule")
    page, per_page = query.page, query.per_page
    results: dict[str, Any] = {"page": page, "per_page": per_page}
    radius_used: float | None = query.radius_km if query.point and not query.nearest else None
    if "meetings" in query.kinds:
        hits, total, radius = _search_meetings(session, query, now, load_meetings or cached_meetings)
        results.update(meetings=hits, total_meetings=total)
        radius_used = _widest(radius_used, radius)
    if "centers" in query.kinds:
        center_hits, total, radius = _search_centers(session, query)
        results.update(centers=center_hits, total_centers=total)
        radius_used = _widest(radius_used, radius)
    if "counselors" in query.kinds:
        counselor_hits, total, radius = _search_counselors(session, query)
        results.update(counselors=counselor_hits, total_counselors=total)
        radius_used = _widest(radius_used, radius)
    return SearchResults(radius_km=radius_used, **results)


def _widest(a: float | None, b: float | None) -> float | None:
    if a is None:
        return b
    return a if b is None else max(a, b)


def _validate(query: SearchQuery) -> None:
    if query.point is not None:
        lat, lon = query.point
        if not valid_point(float(lat), float(lon)):
            raise SearchError("lat", "Latitude must be between -90 and 90 and longitude between -180 and 180.")
    if query.radius_km is not None and not (math.isfinite(query.radius_km) and 0 < query.radius_km <= MAX_RADIUS_KM):
        raise SearchError("radius", f"The distance must be more than 0 and at most {MAX_RADIUS_KM:.0f} km.")
    if query.nearest is not None and not 1 <= query.nearest <= MAX_NEAREST:
        raise SearchError("nearest", f"Ask for between 1 and {MAX_NEAREST} nearest results.")
    if query.point is None and (query.nearest or query.radius_km):
        raise SearchError("q", "A distance needs a place: enter a town, a ZIP code or use your location.")
    if not query.kinds or not query.kinds <= KINDS:
        raise SearchError("kind", "Choose meetings, treatment centers, counselors or all.")
    if query.page < 1 or query.per_page < 0:
        raise SearchError("page", "Pages are numbered from 1.")
    if query.sort not in ("distance", "next_start"):
        raise SearchError("sort", "Sort by distance or by next start.")
    if query.starts_within is not None and not 0 < query.starts_within <= MAX_SOON_MINUTES:
        raise SearchError("soon", f"'Starting within' must be 1 to {MAX_SOON_MINUTES} minutes.")
    if not query.schedule and _needs_clock(query):
        raise ValueError("a search without schedule cannot filter or sort by the clock")


def _page(items: list, page: int, per_page: int) -> list:
    if not per_page:
        return items
    return items[(page - 1) * per_page: page * per_page]


def _chunks(ids: Sequence[int]) -> Iterable[Sequence[int]]:
    for i in range(0, len(ids), _IN_CHUNK):
        yield ids[i: i + _IN_CHUNK]


# --- Spatial prefilter ------------------------------------------------------------------------------------------

def _box_clause(lon_ranges: int, dialect: str, at: Any = Place) -> ColumnElement[bool]:
    """`at` (Place or MeetingPoint) inside a box given later as bound parameters (_box_params), with 0 (all), 1 or
    2 longitude ranges.

    The ranges are what the (latitude, longitude) btree index answers. An SQLite R*Tree was measured against
    this index at 1M places and was no faster (BENCHMARKS.md): the composite index holds both coordinates, so
    the range scan tests longitude without touching the table. On SQLite the longitude test is written
    `longitude + 0`: with ANALYZE statistics SQLite otherwise picks the longitude-only index, which reads a band
    around the whole Earth (11 ms instead of 1.4 ms at 1M places).
    """
    lat = at.latitude.between(_opaque("lat_lo", Float, dialect), _opaque("lat_hi", Float, dialect))
    if not lon_ranges:
        return lat
    longitude = at.longitude + 0 if dialect == "sqlite" else at.longitude
    lon = [longitude.between(_opaque(f"lon_lo{i}", Float, dialect), _opaque(f"lon_hi{i}", Float, dialect))
           for i in range(lon_ranges)]
    return and_(lat, lon[0] if len(lon) == 1 else or_(*lon))


def _opaque(name: str, type_: Any, dialect: str) -> Any:
    """A bound value that PostgreSQL's planner estimates without looking at it: `(SELECT $n)`.

    psycopg prepares a statement a connection runs often, and PostgreSQL then plans each execution again
    for its values unless the generic plan's estimate is no costlier than theirs. For a box it always looked
    costlier (a box's value-based estimate is one row), so every search paid 0.2-0.4 ms of planning for the
    same plan. With the box and the page's LIMIT opaque (and fixed words as literals, _constant), both
    estimates are equal and PostgreSQL settles on the generic plan: "10 nearest" at 1M meetings went from
    1.9 to 1.5 ms (BENCHMARKS.md). The index still serves the box: the subqueries run once, before the scan.
    SQLite plans every statement itself either way.
    """
    value = bindparam(name, type_=type_)
    return value if dialect == "sqlite" else select(value).scalar_subquery()


def _lon_range_count(box: BoundingBox) -> int:
    """How many longitude ranges _box_clause tests for this box (0: every longitude)."""
    return 0 if box.full_longitude else len(box.lon_ranges)


def _box_params(box: BoundingBox) -> dict[str, float]:
    params = {"lat_lo": box.min_lat, "lat_hi": box.max_lat}
    if not box.full_longitude:
        for i, (lo, hi) in enumerate(box.lon_ranges):
            params[f"lon_lo{i}"], params[f"lon_hi{i}"] = lo, hi
    return params


def _distance_sql(dialect: str, at: Any = Place) -> ColumnElement[float]:
    """finder.geo.haversine_km in SQL, operation for operation, from the point given as bound parameters to
    `at` (Place or MeetingPoint).

    The same IEEE operations in the same order as the Python function (the C library's sin, cos and asin on
    both sides; halving written as * 0.5, which is exact, because SQLAlchemy casts `/ 2` to NUMERIC on
    PostgreSQL), so SQL ranks and cuts by the very distances Python reports: tests/test_search.py checks
    equality. SQLite without its optional math functions gets Python's (finder.db registers them).
    """
    phi1 = bindparam("phi1", type_=Float)
    phi2 = func.radians(at.latitude)
    half_dphi = func.sin((phi2 - phi1) * 0.5)
    half_dlmb = func.sin(func.radians(at.longitude - bindparam("lon1", type_=Float)) * 0.5)
    a = half_dphi * half_dphi + bindparam("cos_phi1", type_=Float) * func.cos(phi2) * half_dlmb * half_dlmb
    smaller = func.min if dialect == "sqlite" else func.least  # asin's domain, against rounding at antipodes
    return (2 * EARTH_RADIUS_KM) * func.asin(smaller(1.0, func.sqrt(a)))


def _point_params(point: tuple[float, float]) -> dict[str, float]:
    phi1 = math.radians(point[0])
    return {"phi1": phi1, "cos_phi1": math.cos(phi1), "lon1": point[1]}


# --- Meetings ---------------------------------------------------------------------------------------------------


@dataclass
class _Candidate:
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
class _Skip:
    start_date: dt.date
    end_date: dt.date


def _format_clause(codes: Iterable[str], *, every: bool) -> ColumnElement[bool]:
    def has(condition: ColumnElement[bool]) -> ColumnElement[bool]:
        return exists(
            select(1).select_from(meeting_formats.join(Format, Format.id == meeting_formats.c.format_id))
            .where(meeting_formats.c.meeting_id == Meeting.id, condition)
        )

    codes = sorted(codes)
    if every:
        return and_(*(has(Format.code == code) for code in codes))
    return has(Format.code.in_(codes))


def _time_window_clause(query: SearchQuery) -> ColumnElement[bool] | None:
    """A weekly time on one of the weekdays, starting inside the local window (which may wrap past midnight)."""
    # An alias: the outer query may join meeting_times itself, and this must not correlate to that row.
    t = aliased(MeetingTime)
    conditions = []
    if query.weekdays:
        conditions.append(t.weekday.in_(sorted(query.weekdays)))
    start_from, start_to = query.time_from, query.time_to
    if start_from is not None and start_to is not None and start_from > start_to:
        conditions.append(or_(t.start >= start_from, t.start <= start_to))
    else:
        if start_from is not None:
            conditions.append(t.start >= start_from)
        if start_to is not None:
            conditions.append(t.start <= start_to)
    if not conditions:
        return None
    return exists(select(1).where(t.meeting_id == Meeting.id, *conditions))


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


def _clock_prefilter(query: SearchQuery, now: dt.datetime) -> ColumnElement[bool] | None:
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
                t, local_now - _DST_SLACK, local_now + dt.timedelta(minutes=query.starts_within) + _DST_SLACK))
        if query.in_progress:
            # Started at most a day ago (the longest meeting) and not in the future.
            windows.append(_local_window_clause(
                t, local_now - dt.timedelta(minutes=schedule.MAX_DURATION_MINUTES) - _DST_SLACK,
                local_now + _DST_SLACK))
        groups.append(and_(Place.timezone.in_(zones), or_(*windows)))
    return exists(select(1).where(t.meeting_id == Meeting.id, or_(*groups)))


def _meeting_conditions(query: SearchQuery) -> list[ColumnElement[bool]]:
    """Every filter that SQL can decide on its own."""
    conditions: list[ColumnElement[bool]] = [visible_meetings_clause()]
    if query.attendance:
        conditions.append(Meeting.attendance.in_(sorted(query.attendance)))
    if query.language:
        language = query.language.lower()
        clause = Meeting.language == language
        if language.upper() in FORMAT_BY_CODE and FORMAT_BY_CODE[language.upper()].kind == "language":
            clause = or_(clause, _format_clause([language.upper()], every=True))
        conditions.append(clause)
    every = set(query.formats_all)
    if query.wheelchair:
        every.add("WCHR")
    if query.open_closed == "open":
        every.add("O")
    elif query.open_closed == "closed":
        every.add("C")
    if every:
        conditions.append(_format_clause(every, every=True))
    if query.formats_any:
        conditions.append(_format_clause(query.formats_any, every=False))
    if query.service_body_ids:
        tree = bodies.subtree_select(query.service_body_ids)
        conditions.append(or_(Meeting.service_body_id.in_(tree), Meeting.group_id.in_(tree)))
    if query.group_ids:
        conditions.append(Meeting.group_id.in_(sorted(query.group_ids)))
    if query.meeting_ids:
        conditions.append(Meeting.id.in_(sorted(query.meeting_ids)))
    if query.text:
        needle = query.text.strip().lower()[:100]
        conditions.append(or_(*(func.lower(column).contains(needle, autoescape=True) for column in (
            Meeting.name, Place.name, Place.city, Place.street, Place.postal_code))))
    window = _time_window_clause(query)
    if window is not None:
        conditions.append(window)
    return conditions


def _needs_clock(query: SearchQuery) -> bool:
    return query.starts_within is not None or query.in_progress or query.sort == "next_start"


def _candidate_statement(
    query: SearchQuery, conditions: Sequence[ColumnElement[bool]], extra: Sequence[ColumnElement[bool]],
) -> Any:
    """The SQL part of a meeting search; the exceptions horizon is the bound parameter `horizon`."""
    columns: list[Any] = [Meeting.id, Meeting.name, Meeting.attendance, Place.latitude, Place.longitude,
                          Place.timezone]
    clock = _needs_clock(query)
    if clock:
        columns += [MeetingTime.weekday, MeetingTime.start, MeetingTime.duration_minutes,
                    exists(select(1).where(ScheduleException.meeting_id == Meeting.id,
                                           ScheduleException.end_date >= bindparam("horizon", type_=Date)))]
    stmt = select(*columns).join(Place, Meeting.place_id == Place.id)
    if clock:
        stmt = stmt.outerjoin(MeetingTime, MeetingTime.meeting_id == Meeting.id)
    return stmt.where(*conditions, *extra)


@functools.lru_cache(maxsize=256)
def _near_statement(shape: SearchQuery, lon_ranges: int, dialect: str) -> Any:
    """The statement for a search around a point, built once per shape of query and reused with new boxes.

    `shape` is the query without its point, distances and page, so "meetings near me" costs no statement
    building after the first time; the box comes in as bound parameters (see _box_params).
    """
    local = [] if "online" in shape.attendance else [Meeting.attendance != _constant("online")]
    return _candidate_statement(shape, _meeting_conditions(shape), [*local, _box_clause(lon_ranges, dialect)])


def _shape(query: SearchQuery) -> SearchQuery:
    return dataclasses.replace(query, point=None, radius_km=None, nearest=None, page=1, per_page=0)


def _ranked_in_sql(query: SearchQuery) -> bool:
    """A search SQL can rank, cut and page by itself: around a point, by distance, without a clock filter and
    without online-only meetings (the clock is read in each meeting's zone, and online-only rows have no
    distance to rank by; both stay with Python in _fetch_candidates)."""
    return (query.point is not None and not _needs_clock(query) and not query.include_online
            and "online" not in query.attendance)


@functools.lru_cache(maxsize=256)
def _ranked_statement(shape: SearchQuery, lon_ranges: int, dialect: str, limited: bool, with_page: bool) -> Any:
    """Meetings within the bound `radius` of the point, nearest first (ties by name, then id), as rows of
    (distance, how many in the circle, *columns): finder.plain.PAGE_COLUMNS when `with_page`, else (id, name);
    `limit` and `offset` are bound too when `limited`.

    The box narrows by index, then SQL computes the distances, trims the box to the circle, orders, counts
    and cuts, so only the rows of the page leave the database: a 10-mile search in a city holds thousands of
    meetings, and scoring each in Python was most of an uncached search (BENCHMARKS.md). The page's own
    columns come in the same statement (PostgreSQL computes their subqueries after the LIMIT), so a search
    whose first radius holds its answer is one round trip; one level, not a join back to a ranked subquery,
    which took PostgreSQL a third longer to plan and run.
    """
    conditions = _meeting_conditions(shape)
    if len(conditions) == 1 and not with_page:  # no filter but visibility: the meeting_points index alone
        distance = _distance_sql(dialect, MeetingPoint)
        stmt = (select(distance, func.count().over(), MeetingPoint.meeting_id, MeetingPoint.name)
                .where(_LISTED, _box_clause(lon_ranges, dialect, MeetingPoint),
                       distance <= bindparam("radius", type_=Float))
                .order_by(distance, func.lower(MeetingPoint.name), MeetingPoint.meeting_id))
    else:
        distance = _distance_sql(dialect)
        columns = plain.PAGE_COLUMNS if with_page else (Meeting.id, Meeting.name)
        stmt = (select(distance, func.count().over(), *columns).join(Place, Meeting.place_id == Place.id)
                .where(*conditions, Meeting.attendance != _constant("online"),
                       _box_clause(lon_ranges, dialect), distance <= bindparam("radius", type_=Float))
                .order_by(distance, func.lower(Meeting.name), Meeting.id))
    if limited:
        stmt = stmt.limit(_opaque("limit", Integer, dialect)).offset(_opaque("offset", Integer, dialect))
    return stmt


_RANKED = 2  # ranked rows lead with (distance, how many in the circle)
# The partial index's own predicate, written as it is: SQLite uses a partial index only for a query whose WHERE
# names its condition term for term, and SQLAlchemy writes a Boolean-typed column as `listed = 1` there (then
# every search read the whole table). Untyped, it stays `meeting_points.listed`; tests/test_search.py checks
# that both databases use the index.
_LISTED = literal_column("meeting_points.listed")


def _ranked_search(
    session: Session, query: SearchQuery, dialect: str, *, load_pages: bool,
) -> tuple[list[_Candidate], int, float, dict[int, Any] | None]:
    """For a search SQL ranks (_ranked_in_sql): the page, how many meetings were found, the radius used, and the
    page's meetings as finder.plain rows when `load_pages` and the ranking query could carry them (else None)."""
    point = query.point
    assert point is not None
    shape = _shape(query)
    connection = session.connection()
    pages: dict[int, Any] = {}

    def ranked(radius: float, limit: int | None, offset: int = 0,
               with_page: bool = False) -> tuple[list[_Candidate], int]:
        box = bounding_box(*point, radius)
        stmt = _ranked_statement(shape, _lon_range_count(box), dialect,
                                 limit is not None, with_page)
        params: dict[str, Any] = {**_box_params(box), **_point_params(point), "radius": radius}
        if limit is not None:
            params.update(limit=limit, offset=offset)
        rows = connection.execute(stmt, params).all()
        total = rows[0][1] if rows else 0
        if not with_page:
            # (the zone comes with the meeting when its page is loaded: _load_meeting_hits)
            return [_Candidate(row[2], row[3], row[0], False, "") for row in rows], total
        pages.clear()
        pages.update(plain.page_meetings(connection, rows, skip=_RANKED))
        return [_Candidate(m.id, m.name, row[0], False, m.place.timezone)
                for row, m in zip(rows, pages.values())], total

    if query.nearest:
        n = query.nearest
        # The page's columns ride along when all N fit on the first page (the usual case); a longer list is
        # paged here and its page loaded afterwards.
        with_page = load_pages and (not query.per_page or (query.page == 1 and n <= query.per_page))
        # At most N rows per radius tried: fewer than N means the circle held them all, so _nearest can grow it.
        chosen, radius_used = _nearest(query, n, lambda radius: ranked(radius, n, with_page=with_page)[0],
                                       distance_of=lambda c: c.distance_km)
        total = len(chosen)
        chosen = _page(chosen, query.page, query.per_page)
    else:
        radius_used = query.radius_km or DEFAULT_RADIUS_KM
        with_page = load_pages and bool(query.per_page)
        if not query.per_page:
            chosen, total = ranked(radius_used, None)
        else:
            chosen, total = ranked(radius_used, query.per_page, (query.page - 1) * query.per_page, with_page)
            if not chosen and query.page > 1:  # past the last page: the count still tells the pager where it ends
                total = ranked(radius_used, 1)[1]
    # Same order as the Python path within the page (SQLite's lower() folds ASCII only).
    chosen.sort(key=_sort_key(query))
    if not (with_page and chosen):  # (an empty page past the end was counted by a query without page columns)
        return chosen, total, radius_used, None
    if query.schedule:
        plain.add_exceptions(connection, pages)
    return chosen, total, radius_used, pages


def _fetch_candidates(
    session: Session, query: SearchQuery, now: dt.datetime, stmt: Any, params: dict[str, Any],
    radius_km: float | None,
) -> list[_Candidate]:
    """Run the SQL part and the exact distance test, then the clock filters when the query has any."""
    clock = _needs_clock(query)
    if clock:
        # Exceptions that ended before yesterday (anywhere on Earth) cannot affect anything from now on.
        params = {**params, "horizon": (now.astimezone(dt.timezone.utc) - dt.timedelta(days=2)).date()}
    point = query.point
    by_id: dict[int, _Candidate] = {}
    for row in session.connection().execute(stmt, params):  # Core rows: no ORM bookkeeping on the hot path
        candidate = by_id.get(row[0])
        if candidate is None:
            distance = None
            if point is not None and row[3] is not None:
                distance = haversine_km(point[0], point[1], row[3], row[4])
                if radius_km is not None and distance > radius_km:
                    continue
            candidate = by_id[row[0]] = _Candidate(row[0], row[1], distance, row[2] == "online", row[5])
        if clock:
            if row[6] is not None:
                candidate.times.append((row[6], row[7], row[8] or 60))
            candidate.has_exceptions = bool(row[9])
    candidates = list(by_id.values())
    if clock and candidates:
        _read_clocks(session, candidates, now)
        if query.starts_within is not None or query.in_progress:
            candidates = [c for c in candidates if _passes_clock(c, query)]
    return candidates


@functools.lru_cache(maxsize=1024)
def _zone(name: str) -> dt.tzinfo:
    try:
        return schedule.zone_of(name)
    except ValueError:
        return dt.timezone.utc  # a bad zone name in the data must not break everyone's search


_WEEK_US = _WEEK_MINUTES * 60_000_000


def _week_microsecond(weekday: int, moment: dt.time | dt.datetime) -> int:
    return (((weekday * 24 + moment.hour) * 60 + moment.minute) * 60 + moment.second) * 1_000_000 + moment.microsecond


def _read_clocks(
    session: Session | None, candidates: Sequence[_Candidate], now: dt.datetime,
    skips: Mapping[int, list[Any]] | None = None,
) -> None:
    """Set the running and next occurrence of every candidate, exactly.

    Wall-clock arithmetic (integer microseconds of the week) is exact for a zone whose offset does not change
    from a day ago to eight days ahead and a meeting without exceptions; the others (a DST week, a cancelled
    date) go through finder.schedule. `skips` gives exceptions already loaded; otherwise they are queried.
    """
    zones: dict[str, tuple[dt.datetime, int] | None] = {}  # zone -> (local now, its week microsecond) if steady
    if skips is None:
        skips = defaultdict(list)
        exact = [c.meeting_id for c in candidates if c.has_exceptions]
        for chunk in _chunks(exact):
            for meeting_id, first, last in session.execute(  # type: ignore[union-attr]
                    select(ScheduleException.meeting_id, ScheduleException.start_date, ScheduleException.end_date)
                    .where(ScheduleException.meeting_id.in_(chunk))):
                skips[meeting_id].append(_Skip(first, last))
    for candidate in candidates:
        candidate.clock_read = True
        if candidate.timezone not in zones:
            tz = _zone(candidate.timezone)
            local_now = now.astimezone(tz)
            offset = local_now.utcoffset()
            steady = all((now + dt.timedelta(days=d)).astimezone(tz).utcoffset() == offset for d in (-1, 4, 8))
            zones[candidate.timezone] = (local_now, _week_microsecond(local_now.weekday(), local_now)) if steady else None
        steady_now = zones[candidate.timezone]
        if steady_now is None or candidate.has_exceptions:
            _clock_exact(candidate, now, skips.get(candidate.meeting_id, []))
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


def _clock_exact(candidate: _Candidate, now: dt.datetime, skips: Sequence[Any]) -> None:
    tz = _zone(candidate.timezone)
    times = [schedule.WeeklyTime(*weekly) for weekly in candidate.times]
    upcoming = schedule.next_occurrences(times, tz, now, skips, n=1)
    if upcoming and upcoming[0].is_in_progress(now):
        candidate.running_start = upcoming[0].start
        candidate.running_since = (now - upcoming[0].start).total_seconds() / 60
    following = schedule.next_start(times, tz, now, skips)
    if following is not None:
        candidate.next_start = following.start
        candidate.next_in = (following.start - now).total_seconds() / 60


def _passes_clock(candidate: _Candidate, query: SearchQuery) -> bool:
    if query.in_progress and candidate.running_since is not None:
        return True
    return query.starts_within is not None and candidate.next_in <= query.starts_within


def _sort_key(query: SearchQuery) -> Any:
    if query.sort == "next_start":
        return lambda c: (c.clock_key, c.distance_km if c.distance_km is not None else math.inf, c.meeting_id)
    # Online-only meetings come after every meeting with a real distance.
    return lambda c: (c.online_only or c.distance_km is None, c.distance_km or 0.0, c.name.lower(), c.meeting_id)


def _search_meetings(session: Session, query: SearchQuery, now: dt.datetime,
                     load_meetings: MeetingLoader | None = None) -> tuple[list[MeetingHit], int, float | None]:
    dialect = session.get_bind().dialect.name
    if _ranked_in_sql(query):
        # A page's columns ride in the ranking query unless a loader (or a cache) provides the meetings.
        chosen, total, radius, loaded = _ranked_search(session, query, dialect, load_pages=load_meetings is None)
        return _load_meeting_hits(session, chosen, now, query.schedule, load_meetings, loaded), total, radius
    radius_used: float | None = None
    candidates: list[_Candidate] = []
    if query.point is not None:
        shape = _shape(query)

        def within(radius: float) -> list[_Candidate]:
            box = bounding_box(*query.point, radius)  # type: ignore[misc]
            stmt = _near_statement(shape, _lon_range_count(box), dialect)
            return _fetch_candidates(session, query, now, stmt, _box_params(box), radius)

        if query.nearest:
            candidates, radius_used = _nearest(query, query.nearest, within, distance_of=lambda c: c.distance_km or 0.0)
        else:
            radius_used = query.radius_km or DEFAULT_RADIUS_KM
            candidates = within(radius_used)
    if query.point is None or query.include_online:
        # Without a distance bound the clock filters need SQL's help to avoid reading every meeting's times.
        conditions = _meeting_conditions(query)
        clock = _clock_prefilter(query, now)
        if clock is not None:
            conditions.append(clock)
        extra = [] if query.point is None else [Meeting.attendance == _constant("online")]
        seen = {c.meeting_id for c in candidates}
        found = _fetch_candidates(session, query, now, _candidate_statement(query, conditions, extra), {}, None)
        candidates += [c for c in found if c.meeting_id not in seen]
    candidates.sort(key=_sort_key(query))
    total = len(candidates)
    chosen = _page(candidates, query.page, query.per_page)
    return _load_meeting_hits(session, chosen, now, query.schedule, load_meetings), total, radius_used


def _nearest(query: SearchQuery, n: int, fetch: Any, distance_of: Any) -> tuple[list, float | None]:
    """The n nearest: grow the radius from the density found until the circle holds n (or the cap is reached).

    Candidates within radius r are exact (the box is trimmed to the circle), so once n of them lie within r they
    are the n nearest on Earth.
    """
    cap = query.radius_km or MAX_DISTANCE_KM
    radius = min(_FIRST_NEAREST_RADIUS_KM, cap)
    while True:
        found = fetch(radius)
        if len(found) >= n or radius >= cap:
            break
        if found:
            # Points per area: scale the radius by sqrt(n / found), with margin, at least doubling.
            growth = min(max(math.sqrt(n / len(found)) * 1.5, 2.0), 16.0)
        else:
            growth = 8.0
        radius = min(radius * growth, cap)
    found.sort(key=lambda c: (distance_of(c), getattr(c, "name", ""), _identity(c)))
    found = found[:n]
    used = max((distance_of(c) for c in found), default=radius) if len(found) >= n else radius
    return found, used


def _identity(item: Any) -> int:
    return getattr(item, "meeting_id", None) or getattr(item, "item_id", 0)


def _load_meeting_hits(session: Session, chosen: list[_Candidate], now: dt.datetime,
                       schedule_wanted: bool = True, load_meetings: MeetingLoader | None = None,
                       loaded: Mapping[int, Any] | None = None) -> list[MeetingHit]:
    """Hits for the chosen candidates: their meetings (`loaded` already, or read now) and their clocks."""
    if not chosen:
        return []
    if loaded is None:
        ids = [c.meeting_id for c in chosen]
        # Plain rows (finder.plain), not ORM objects: two thirds of a "10 nearest" search went to the ORM.
        loaded = (plain.meetings_by_id(session, ids, with_bodies=False, with_exceptions=schedule_wanted)
                  if load_meetings is None else dict(load_meetings(session, ids)))
    if not schedule_wanted:
        return [MeetingHit(meeting=loaded[c.meeting_id], distance_km=None if c.online_only else c.distance_km,
                           next_start=None, in_progress=False, starts_in_minutes=None, is_online_only=c.online_only)
                for c in chosen]
    unread = [c for c in chosen if not c.clock_read]
    today = now.astimezone(dt.timezone.utc).date()
    # Only an exception overlapping these days can move a weekly meeting's running or next occurrence: that
    # is at most a week away (a day either side for the zones), unless an exception in reach cancels it. The
    # others (a closure next month) leave the meeting on _read_clocks' quick path instead of finder.schedule.
    horizon, reach = today - dt.timedelta(days=2), today + dt.timedelta(days=9)
    for candidate in unread:
        meeting = loaded[candidate.meeting_id]
        candidate.timezone = meeting.place.timezone
        candidate.times = [(t.weekday, t.start, t.duration_minutes or 60) for t in meeting.times]
        candidate.has_exceptions = any(e.end_date >= horizon and e.start_date <= reach for e in meeting.exceptions)
    _read_clocks(session, unread, now, skips={c.meeting_id: loaded[c.meeting_id].exceptions for c in unread})
    hits = []
    for candidate in chosen:
        running = candidate.running_start is not None
        start = candidate.running_start if running else candidate.next_start
        hits.append(MeetingHit(
            meeting=loaded[candidate.meeting_id],
            distance_km=None if candidate.online_only else candidate.distance_km,
            next_start=start, in_progress=running,
            starts_in_minutes=None if running or start is None else schedule.minutes_until(start, now),
            is_online_only=candidate.online_only,
        ))
    return hits


# --- Treatment centers and counselors ---------------------------------------------------------------------------


@dataclass
class _Found:
    item_id: int
    name: str
    distance_km: float | None
    place_id: int | None = None


def _spatial_rows(
    session: Session, query: SearchQuery, stmt_for: Any, radius: float | None,
) -> list[_Found]:
    """Rows of (id, name, place id, lat, lon) within the radius, one per item, nearest place kept."""
    dialect = session.get_bind().dialect.name
    extra, params = [], {}
    if query.point is not None and radius is not None:
        box = bounding_box(*query.point, radius)
        extra, params = [_box_clause(_lon_range_count(box), dialect)], _box_params(box)
    best: dict[int, _Found] = {}
    for item_id, name, place_id, lat, lon in session.connection().execute(stmt_for(extra), params):
        distance = None
        if query.point is not None and lat is not None:
            distance = haversine_km(query.point[0], query.point[1], lat, lon)
            if radius is not None and distance > radius:
                continue
        current = best.get(item_id)
        if current is None or (distance is not None and (current.distance_km is None or distance < current.distance_km)):
            best[item_id] = _Found(item_id, name, distance, place_id)
    return list(best.values())


def _search_items(session: Session, query: SearchQuery, stmt_for: Any) -> tuple[list[_Found], int, float | None]:
    radius_used = None
    if query.point is not None and query.nearest:
        found, radius_used = _nearest(query, query.nearest, lambda r: _spatial_rows(session, query, stmt_for, r),
                                      distance_of=lambda f: f.distance_km if f.distance_km is not None else 0.0)
    else:
        radius = (query.radius_km or DEFAULT_RADIUS_KM) if query.point is not None else None
        found = _spatial_rows(session, query, stmt_for, radius)
        radius_used = radius
    found.sort(key=lambda f: (f.distance_km is None, f.distance_km or 0.0, f.name.lower(), f.item_id))
    return _page(found, query.page, query.per_page), len(found), radius_used


def _has_services(codes: Iterable[str]) -> list[ColumnElement[bool]]:
    return [
        exists(select(1).select_from(center_services.join(Service, Service.id == center_services.c.service_id))
               .where(center_services.c.center_id == TreatmentCenter.id, Service.code == code))
        for code in sorted(codes)
    ]


def _search_centers(session: Session, query: SearchQuery) -> tuple[list[CenterHit], int, float | None]:
    conditions: list[ColumnElement[bool]] = [TreatmentCenter.published.is_(True)]
    conditions += _has_services(query.center_services)
    if query.payment:
        # Any of the payment options the person has will do.
        conditions.append(exists(
            select(1).select_from(center_services.join(Service, Service.id == center_services.c.service_id))
            .where(center_services.c.center_id == TreatmentCenter.id, Service.code.in_(sorted(query.payment)))))
    if query.text:
        needle = query.text.strip().lower()[:100]
        conditions.append(or_(func.lower(TreatmentCenter.name).contains(needle, autoescape=True),
                              func.lower(Place.city).contains(needle, autoescape=True)))

    def stmt_for(extra: list) -> Any:
        return (
            select(TreatmentCenter.id, TreatmentCenter.name, Place.id, Place.latitude, Place.longitude)
            .join(Place, TreatmentCenter.place_id == Place.id).where(*conditions, *extra))

    found, total, radius = _search_items(session, query, stmt_for)
    loaded = {c.id: c for c in session.scalars(
        select(TreatmentCenter).where(TreatmentCenter.id.in_([f.item_id for f in found]))
        .options(joinedload(TreatmentCenter.place), selectinload(TreatmentCenter.services)))} if found else {}
    return [CenterHit(loaded[f.item_id], f.distance_km) for f in found], total, radius


# Center payment codes that have a counselor insurance term of the same meaning.
_PAYMENT_TO_INSURANCE = {"MD": "medicaid", "MC": "medicare", "PI": "private", "MI": "tricare"}


def _search_counselors(session: Session, query: SearchQuery) -> tuple[list[CounselorHit], int, float | None]:
    conditions: list[ColumnElement[bool]] = [Counselor.published.is_(True)]

    def has_term(kind: str, codes: Iterable[str]) -> ColumnElement[bool]:
        return exists(
            select(1).select_from(counselor_terms.join(CounselorTerm, CounselorTerm.id == counselor_terms.c.term_id))
            .where(counselor_terms.c.counselor_id == Counselor.id, CounselorTerm.kind == kind,
                   CounselorTerm.code.in_(sorted(codes))))

    for code in sorted(query.approaches):
        conditions.append(has_term("approach", [code]))
    if query.telehealth:
        conditions.append(Counselor.telehealth.is_(True))
    if query.accepting:
        conditions.append(Counselor.accepting == "yes")
    if query.payment:
        options = []
        insurance = {_PAYMENT_TO_INSURANCE[c] for c in query.payment if c in _PAYMENT_TO_INSURANCE}
        if insurance:
            options.append(has_term("insurance", insurance))
        if "SS" in query.payment:
            options.append(Counselor.sliding_scale.is_(True))
        if "SF" in query.payment:
            options.append(true())  # every counselor takes self-pay
        conditions.append(or_(*options) if options else false())
    if query.text:
        needle = query.text.strip().lower()[:100]
        conditions.append(func.lower(Counselor.name).contains(needle, autoescape=True))

    def stmt_for(extra: list) -> Any:
        return (
            select(Counselor.id, Counselor.name, Place.id, Place.latitude, Place.longitude)
            .select_from(Counselor)
            .join(counselor_offices, counselor_offices.c.counselor_id == Counselor.id, isouter=not extra)
            .join(Place, Place.id == counselor_offices.c.place_id, isouter=not extra)
            .where(*conditions, *extra))

    found, total, radius = _search_items(session, query, stmt_for)
    ids = [f.item_id for f in found]
    loaded = {c.id: c for c in session.scalars(
        select(Counselor).where(Counselor.id.in_(ids))
        .options(selectinload(Counselor.offices), selectinload(Counselor.terms)))} if ids else {}
    hits = []
    for f in found:
        counselor = loaded[f.item_id]
        office = next((p for p in counselor.offices if p.id == f.place_id), None)
        hits.append(CounselorHit(counselor, office, f.distance_km))
    return hits, total, radius


# --- URL parameters ---------------------------------------------------------------------------------------------

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}
_SERVICE_CODES = {code for code, spec in SERVICE_BY_CODE.items() if spec.category != "payment"}
_PAYMENT_CODES = {code for code, spec in SERVICE_BY_CODE.items() if spec.category == "payment"}
_APPROACHES = {term.code for term in COUNSELOR_TERMS if term.kind == "approach"}
_TIME = re.compile(r"^\s*(\d{1,2})(?::?(\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)?\s*$", re.IGNORECASE)
_MAX_VALUES = 50  # per repeatable parameter: nobody picks 51 formats; a crafted URL may


def _values(args: Mapping[str, Any], name: str, *, split: bool = True) -> list[str]:
    """All values of a repeatable parameter (commas separate values too), stripped, empty ones dropped."""
    if hasattr(args, "getlist"):
        raw = args.getlist(name)
    else:
        value = args.get(name)
        raw = [] if value is None else list(value) if isinstance(value, (list, tuple)) else [value]
    out = []
    for item in raw:
        parts = str(item).split(",") if split else [str(item)]
        out.extend(part.strip() for part in parts if part.strip())
    if len(out) > _MAX_VALUES:
        raise SearchError(name, f"Too many values for {name}.")
    return out


def _one(args: Mapping[str, Any], name: str) -> str | None:
    values = _values(args, name, split=False)  # "Saint Louis, MO" is one value
    return values[0][:200] if values else None


def _flag(args: Mapping[str, Any], name: str) -> bool:
    value = _one(args, name)
    if value is None or value.lower() in _FALSE:
        return False
    if value.lower() in _TRUE:
        return True
    raise SearchError(name, f"{name} must be 1 or 0.")


def _number(args: Mapping[str, Any], name: str, message: str) -> float | None:
    value = _one(args, name)
    if value is None:
        return None
    try:
        number = float(value)
    except ValueError:
        raise SearchError(name, message) from None
    if not math.isfinite(number):
        raise SearchError(name, message)
    return number


def _integer(args: Mapping[str, Any], name: str, low: int, high: int, message: str) -> int | None:
    value = _one(args, name)
    if value is None:
        return None
    if not re.fullmatch(r"[+-]?\d{1,9}", value):
        raise SearchError(name, message)
    number = int(value)
    if not low <= number <= high:
        raise SearchError(name, message)
    return number


def _clock_time(args: Mapping[str, Any], name: str) -> dt.time | None:
    value = _one(args, name)
    if value is None:
        return None
    match = _TIME.match(value)
    message = f"Enter the time as HH:MM, for example 18:30 (got {value[:20]!r})."
    if not match:
        raise SearchError(name, message)
    hour, minute, meridiem = int(match.group(1)), int(match.group(2) or 0), (match.group(3) or "").lower()
    if meridiem:
        if not 1 <= hour <= 12:
            raise SearchError(name, message)
        hour = hour % 12 + (12 if meridiem.startswith("p") else 0)
    if hour == 24 and minute == 0:
        return dt.time(23, 59, 59)
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise SearchError(name, message)
    return dt.time(hour, minute)


def _codes(args: Mapping[str, Any], name: str, known: Iterable[str], what: str, *, upper: bool = True) -> frozenset[str]:
    values = [v.upper() if upper else v.lower() for v in _values(args, name)]
    known = set(known)
    unknown = [v for v in values if v not in known]
    if unknown:
        raise SearchError(name, f"Unknown {what}: {', '.join(u[:20] for u in unknown[:5])}.",
                          suggestions=sorted(known)[:50])
    return frozenset(values)


def _ids(args: Mapping[str, Any], name: str) -> frozenset[int]:
    out = set()
    for value in _values(args, name):
        if not re.fullmatch(r"\d{1,9}", value) or int(value) < 1:
            raise SearchError(name, f"{name} must be a positive whole number.")
        out.add(int(value))
    return frozenset(out)


def query_from_args(
    args: Mapping[str, Any], geocoder: Any, *, default_kinds: frozenset[str] = frozenset({"meetings"}),
) -> SearchQuery:
    """Parse the shared URL parameters (see common.md) into a SearchQuery. Raises SearchError with a message.

    Where: `lat`+`lon`, else `q` (geocoded; unknown places raise SearchError with suggestions). Distance:
    `radius` in `unit` (mi default, or km) and/or `nearest`; with a point and neither, a 25-mile radius.
    """
    point: tuple[float, float] | None = None
    lat = _number(args, "lat", "Latitude must be a number between -90 and 90.")
    lon = _number(args, "lon", "Longitude must be a number between -180 and 180.")
    if (lat is None) != (lon is None):
        raise SearchError("lat" if lat is None else "lon", "Give both latitude and longitude.")
    if lat is not None and lon is not None:
        if not -90 <= lat <= 90:
            raise SearchError("lat", "Latitude must be a number between -90 and 90.")
        if not -180 <= lon <= 180:
            raise SearchError("lon", "Longitude must be a number between -180 and 180.")
        point = (lat, lon)
    place_text = _one(args, "q")
    if point is None and place_text:
        try:
            found = geocoder.geocode(place_text)
        except ValueError as exc:
            raise SearchError("q", str(exc)) from None
        if found is None:
            raise SearchError("q", "We couldn't find that place. Try a ZIP code, or a town and state.",
                              suggestions=geocoder.suggest(place_text))
        point = (found.lat, found.lon)

    unit = (_one(args, "unit") or "mi").lower()
    if unit not in ("mi", "km"):
        raise SearchError("unit", "The unit must be mi or km.")
    radius = _number(args, "radius", "The distance must be a number.")
    radius_km = None
    if radius is not None:
        radius_km = miles_to_km(radius) if unit == "mi" else radius
        if radius_km <= 0:
            raise SearchError("radius", "The distance must be more than 0.")
        if radius_km > MAX_RADIUS_KM + 1e-9:
            limit = "1000 miles" if unit == "mi" else f"{MAX_RADIUS_KM:.0f} km"
            raise SearchError("radius", f"The distance can be at most {limit}; try 'nearest' instead.")
    nearest = _integer(args, "nearest", 1, MAX_NEAREST, f"'Nearest' must be a whole number from 1 to {MAX_NEAREST}.")
    if point is None and (radius_km is not None or nearest is not None):
        raise SearchError("q", "A distance needs a place: enter a town, a ZIP code or use your location.")
    if point is not None and radius_km is None and nearest is None:
        radius_km = DEFAULT_RADIUS_KM

    kinds: set[str] = set()
    for kind in _values(args, "kind"):
        kind = kind.lower()
        if kind == "all":
            kinds |= KINDS
        elif kind in KINDS:
            kinds.add(kind)
        else:
            raise SearchError("kind", "Choose meetings, centers, counselors or all.")
    weekdays = set()
    for token in _values(args, "day"):
        try:
            weekdays.add(schedule.from_url(token))
        except ValueError:
            raise SearchError("day", "Days are mon, tue, wed, thu, fri, sat or sun.") from None

    open_closed = (_one(args, "open") or "").lower() or None
    if open_closed not in (None, "open", "closed"):
        raise SearchError("open", "Choose open or closed.")
    language = (_one(args, "lang") or "").lower() or None
    if language is not None and not re.fullmatch(r"[a-z]{2,3}", language):
        raise SearchError("lang", "The language must be a two-letter code such as en or es.")
    attendance = set()
    for value in _values(args, "attendance"):
        value = value.lower().replace("-", "_").replace(" ", "_")
        value = {"inperson": "in_person", "virtual": "online"}.get(value, value)
        if value not in ATTENDANCE_VALUES:
            raise SearchError("attendance", "Attendance is in_person, online or hybrid.")
        attendance.add(value)
    sort = (_one(args, "sort") or "distance").lower()
    if sort not in ("distance", "next", "next_start"):
        raise SearchError("sort", "Sort by distance or next.")
    soon = _integer(args, "soon", 1, MAX_SOON_MINUTES, f"'Starting within' must be 1 to {MAX_SOON_MINUTES} minutes.")
    text_filter = _one(args, "text")

    return SearchQuery(
        point=point,
        radius_km=radius_km,
        nearest=nearest,
        kinds=frozenset(kinds) or frozenset(default_kinds),
        weekdays=frozenset(weekdays),
        time_from=_clock_time(args, "from"),
        time_to=_clock_time(args, "to"),
        starts_within=soon,
        in_progress=_flag(args, "now"),
        formats_all=_codes(args, "format", FORMAT_BY_CODE, "format"),
        formats_any=_codes(args, "any_format", FORMAT_BY_CODE, "format"),
        attendance=frozenset(attendance),
        language=language,
        wheelchair=_flag(args, "wheelchair"),
        open_closed=open_closed,
        service_body_ids=_ids(args, "body"),
        group_ids=_ids(args, "group"),
        include_online=_flag(args, "online"),
        text=text_filter,
        center_services=_codes(args, "service", _SERVICE_CODES, "treatment service"),
        payment=_codes(args, "payment", _PAYMENT_CODES, "payment option"),
        approaches=_codes(args, "approach", _APPROACHES, "approach", upper=False),
        telehealth=_flag(args, "telehealth"),
        accepting=_flag(args, "accepting"),
        sort="distance" if sort == "distance" else "next_start",
        page=_integer(args, "page", 1, MAX_PAGE, "The page must be a whole number from 1.") or 1,
        per_page=_integer(args, "per_page", 1, MAX_PER_PAGE, f"Show 1 to {MAX_PER_PAGE} results per page.") or 25,
    )


def replace(query: SearchQuery, **changes: Any) -> SearchQuery:
    """A copy of query with fields changed (feeds set per_page=0, pages switch sort)."""
    return dataclasses.replace(query, **changes)
