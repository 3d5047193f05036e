"""How a radius search is ranked: a bounding box on the indexed coordinates, the exact great-circle distance in
SQL, the circle, the order and the page; and how "the N nearest" grows its radius until the circle holds N."""
from __future__ import annotations

import functools
import math
from typing import Any

from sqlalchemy import ColumnClause, ColumnElement, Float, Integer, and_, bindparam, func, literal_column, or_, select
from sqlalchemy.orm import Session

from finder.core.geo import EARTH_RADIUS_KM, MAX_DISTANCE_KM, BoundingBox, bounding_box
from finder.models import Meeting, MeetingPoint, Place
from finder.search import loader
from finder.search.clock import Candidate
from finder.search.conditions import (
    candidate_statement, constant, meeting_conditions, page_of, shape_of, sort_key,
)
from finder.search.query import DEFAULT_RADIUS_KM, SearchQuery, needs_clock

# The first radius tried for "the N nearest"; it grows from the density it finds. Measured at 1M meetings with
# city-weighted density (BENCHMARKS.md): 2 km needed 1.9 queries per "10 nearest", 4 km 1.5, with no more rows.
_FIRST_NEAREST_RADIUS_KM = 4.0


def box_clause(lon_ranges: int, dialect: str, at: Any = Place) -> ColumnElement[bool]:
    """`at` (Place or MeetingPoint) inside a box given later as bound parameters (box_params), with 0 (all), 1 or
    2 longitude ranges.

    The ranges are what the (latitude, longitude) btree index answers. An SQLite R*Tree was measured against
    this index at 1M places and was no faster (BENCHMARKS.md): the composite index holds both coordinates, so
    the range scan tests longitude without touching the table. On SQLite the longitude test is written
    `longitude + 0`: with ANALYZE statistics SQLite otherwise picks the longitude-only index, which reads a band
    around the whole Earth (11 ms instead of 1.4 ms at 1M places).
    """
    lat = at.latitude.between(opaque("lat_lo", Float, dialect), opaque("lat_hi", Float, dialect))
    if not lon_ranges:
        return lat
    longitude = at.longitude + 0 if dialect == "sqlite" else at.longitude
    lon = [longitude.between(opaque(f"lon_lo{i}", Float, dialect), opaque(f"lon_hi{i}", Float, dialect))
           for i in range(lon_ranges)]
    return and_(lat, lon[0] if len(lon) == 1 else or_(*lon))


def opaque(name: str, type_: Any, dialect: str) -> Any:
    """A bound value that PostgreSQL's planner estimates without looking at it: `(SELECT $n)`.

    psycopg prepares a statement a connection runs often, and PostgreSQL then plans each execution again
    for its values unless the generic plan's estimate is no costlier than theirs. For a box it always looked
    costlier (a box's value-based estimate is one row), so every search paid 0.2-0.4 ms of planning for the
    same plan. With the box and the page's LIMIT opaque (and fixed words as literals, constant), both
    estimates are equal and PostgreSQL settles on the generic plan: "10 nearest" at 1M meetings went from
    1.9 to 1.5 ms (BENCHMARKS.md). The index still serves the box: the subqueries run once, before the scan.
    SQLite plans every statement itself either way.
    """
    value = bindparam(name, type_=type_)
    return value if dialect == "sqlite" else select(value).scalar_subquery()


def lon_range_count(box: BoundingBox) -> int:
    """How many longitude ranges box_clause tests for this box (0: every longitude)."""
    return 0 if box.full_longitude else len(box.lon_ranges)


def box_params(box: BoundingBox) -> dict[str, float]:
    params = {"lat_lo": box.min_lat, "lat_hi": box.max_lat}
    if not box.full_longitude:
        for i, (lo, hi) in enumerate(box.lon_ranges):
            params[f"lon_lo{i}"], params[f"lon_hi{i}"] = lo, hi
    return params


def distance_sql(dialect: str, at: Any = Place) -> ColumnElement[float]:
    """finder.core.geo.haversine_km in SQL, operation for operation, from the point given as bound parameters to
    `at` (Place or MeetingPoint).

    The same IEEE operations in the same order as the Python function (the C library's sin, cos and asin on
    both sides; halving written as * 0.5, which is exact, because SQLAlchemy casts `/ 2` to NUMERIC on
    PostgreSQL), so SQL ranks and cuts by the very distances Python reports: tests/test_search_ranking.py checks
    equality. SQLite without its optional math functions gets Python's (finder.db registers them).
    """
    phi1 = bindparam("phi1", type_=Float)
    phi2 = func.radians(at.latitude)
    half_dphi = func.sin((phi2 - phi1) * 0.5)
    half_dlmb = func.sin(func.radians(at.longitude - bindparam("lon1", type_=Float)) * 0.5)
    a = half_dphi * half_dphi + bindparam("cos_phi1", type_=Float) * func.cos(phi2) * half_dlmb * half_dlmb
    smaller = func.min if dialect == "sqlite" else func.least  # asin's domain, against rounding at antipodes
    return (2 * EARTH_RADIUS_KM) * func.asin(smaller(1.0, func.sqrt(a)))


def point_params(point: tuple[float, float]) -> dict[str, float]:
    phi1 = math.radians(point[0])
    return {"phi1": phi1, "cos_phi1": math.cos(phi1), "lon1": point[1]}


def grow_to_nearest(query: SearchQuery, n: int, fetch: Any, distance_of: Any) -> tuple[list[Any], float]:
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
    return getattr(item, "meeting_id", 0) or getattr(item, "item_id", 0)



@functools.lru_cache(maxsize=256)
def near_statement(shape: SearchQuery, lon_ranges: int, dialect: str) -> Any:
    """The statement for a search around a point, built once per shape of query and reused with new boxes.

    `shape` is the query without its point, distances and page, so "meetings near me" costs no statement
    building after the first time; the box comes in as bound parameters (see box_params).
    """
    local = [] if "online" in shape.attendance else [Meeting.attendance != constant("online")]
    return candidate_statement(shape, meeting_conditions(shape), [*local, box_clause(lon_ranges, dialect)])



def ranked_in_sql(query: SearchQuery) -> bool:
    """A search SQL can rank, cut and page by itself: around a point, by distance, without a clock filter and
    without online-only meetings (the clock is read in each meeting's zone, and online-only rows have no
    distance to rank by; both stay with Python in fetch_candidates)."""
    return (query.point is not None and not needs_clock(query) and not query.include_online
            and "online" not in query.attendance)


@functools.lru_cache(maxsize=256)
def _ranked_statement(shape: SearchQuery, lon_ranges: int, dialect: str, limited: bool, with_page: bool) -> Any:
    """Meetings within the bound `radius` of the point, nearest first (ties by name, then id), as rows of
    (distance, how many in the circle, *columns): finder.search.loader.PAGE_COLUMNS when `with_page`, else (id, name);
    `limit` and `offset` are bound too when `limited`.

    The box narrows by index, then SQL computes the distances, trims the box to the circle, orders, counts
    and cuts, so only the rows of the page leave the database: a 10-mile search in a city holds thousands of
    meetings, and scoring each in Python was most of an uncached search (BENCHMARKS.md). The page's own
    columns come in the same statement (PostgreSQL computes their subqueries after the LIMIT), so a search
    whose first radius holds its answer is one round trip; one level, not a join back to a ranked subquery,
    which took PostgreSQL a third longer to plan and run.
    """
    conditions = meeting_conditions(shape)
    if len(conditions) == 1 and not with_page:  # no filter but visibility: the meeting_points index alone
        distance = distance_sql(dialect, MeetingPoint)
        stmt = (select(distance, func.count().over(), MeetingPoint.meeting_id, MeetingPoint.name)
                .where(_LISTED, box_clause(lon_ranges, dialect, MeetingPoint),
                       distance <= bindparam("radius", type_=Float))
                .order_by(distance, func.lower(MeetingPoint.name), MeetingPoint.meeting_id))
    else:
        distance = distance_sql(dialect)
        columns = loader.PAGE_COLUMNS if with_page else (Meeting.id, Meeting.name)
        stmt = (select(distance, func.count().over(), *columns).join(Place, Meeting.place_id == Place.id)
                .where(*conditions, Meeting.attendance != constant("online"),
                       box_clause(lon_ranges, dialect), distance <= bindparam("radius", type_=Float))
                .order_by(distance, func.lower(Meeting.name), Meeting.id))
    if limited:
        stmt = stmt.limit(opaque("limit", Integer, dialect)).offset(opaque("offset", Integer, dialect))
    return stmt


_RANKED = 2  # ranked rows lead with (distance, how many in the circle)
# The partial index's own predicate, written as it is: SQLite uses a partial index only for a query whose WHERE
# names its condition term for term, and SQLAlchemy writes a Boolean-typed column as `listed = 1` there (then
# every search read the whole table). Untyped, it stays `meeting_points.listed`; tests/test_search_ranking.py checks
# that both databases use the index.
_LISTED: ColumnClause[Any] = literal_column("meeting_points.listed")


def ranked_search(
    session: Session, query: SearchQuery, dialect: str, *, load_pages: bool,
) -> tuple[list[Candidate], int, float, dict[int, Any] | None]:
    """For a search SQL ranks (ranked_in_sql): the page, how many meetings were found, the radius used, and the
    page's meetings as finder.search.loader rows when `load_pages` and the ranking query could carry them (else None)."""
    point = query.point
    assert point is not None
    shape = shape_of(query)
    connection = session.connection()
    pages: dict[int, Any] = {}

    def ranked(radius: float, limit: int | None, offset: int = 0,
               with_page: bool = False) -> tuple[list[Candidate], int]:
        box = bounding_box(*point, radius)
        stmt = _ranked_statement(shape, lon_range_count(box), dialect,
                                 limit is not None, with_page)
        params: dict[str, Any] = {**box_params(box), **point_params(point), "radius": radius}
        if limit is not None:
            params.update(limit=limit, offset=offset)
        rows = connection.execute(stmt, params).all()
        total = rows[0][1] if rows else 0
        if not with_page:
            # (the zone comes with the meeting when its page is loaded: load_meeting_hits)
            return [Candidate(row[2], row[3], row[0], False, "") for row in rows], total
        pages.clear()
        pages.update(loader.page_meetings(connection, rows, skip=_RANKED))
        return [Candidate(m.id, m.name, row[0], False, m.place.timezone)
                for row, m in zip(rows, pages.values())], total

    if query.nearest:
        n = query.nearest
        # The page's columns ride along when all N fit on the first page (the usual case); a longer list is
        # paged here and its page loaded afterwards.
        with_page = load_pages and (not query.per_page or (query.page == 1 and n <= query.per_page))
        # At most N rows per radius tried: fewer than N means the circle held them all, so grow_to_nearest can grow it.
        chosen, radius_used = grow_to_nearest(query, n, lambda radius: ranked(radius, n, with_page=with_page)[0],
                                       distance_of=lambda c: c.distance_km)
        total = len(chosen)
        chosen = page_of(chosen, query.page, query.per_page)
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
    chosen.sort(key=sort_key(query))
    if not (with_page and chosen):  # (an empty page past the end was counted by a query without page columns)
        return chosen, total, radius_used, None
    if query.schedule:
        loader.add_exceptions(connection, pages)
    return chosen, total, radius_used, pages


