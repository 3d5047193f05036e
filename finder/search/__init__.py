"""Nearby search: the one function behind the pages, the JSON API, the iCal search feeds and the BMLT endpoint.

How a search runs: a bounding box on the indexed latitude/longitude picks candidate
places and SQL applies every filter that does not depend on the clock. Around a point with no clock filter,
SQL also computes the exact haversine distance, trims the box to the circle, counts, orders and returns only
the page, with the page's own columns (finder.search.ranking). Otherwise the distance is computed in Python, the
clock-dependent filters ("starting within", "in progress") are evaluated in each meeting's own zone with
finder.core.schedule, and the page is loaded afterwards. Either way the page comes as plain rows (finder.search.loader).

The parts: query (the contract), params (URL arguments -> SearchQuery), conditions (filters SQL decides),
ranking (box, distance, order, "N nearest"), clock ("starting within", "in progress"), meetings and providers
(each kind's search), loader (meetings as plain rows).
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from finder.search.meetings import search_meetings
from finder.search.params import query_and_place, query_from_args
from finder.search.providers import search_centers, search_counselors
from finder.search.query import (
    ATTENDANCE_VALUES, DEFAULT_RADIUS_KM, KINDS, MAX_NEAREST, MAX_PAGE, MAX_PER_PAGE, MAX_RADIUS_KM, MAX_SOON_MINUTES,
    CenterHit, CounselorHit, MeetingHit, MeetingLoader, SearchError, SearchQuery, SearchResults, replace, validate,
)

__all__ = [
    "ATTENDANCE_VALUES", "DEFAULT_RADIUS_KM", "KINDS", "MAX_NEAREST", "MAX_PAGE", "MAX_PER_PAGE", "MAX_RADIUS_KM",
    "MAX_SOON_MINUTES", "CenterHit", "CounselorHit", "MeetingHit", "MeetingLoader", "SearchError", "SearchQuery",
    "SearchResults", "find_nearby", "query_and_place", "query_from_args", "replace",
]


def find_nearby(session: Session, query: SearchQuery, now: dt.datetime, *,
                load_meetings: MeetingLoader | None = None,
                cached_meetings: MeetingLoader | None = None) -> SearchResults:
    """Run a search. `now` must be aware. Raises SearchError for an invalid query; never commits.

    Distances are great-circle km (haversine). With a point and a radius, everything within the radius; with
    `nearest` N, the N nearest (within `radius_km` when given too); with no point, no distance limit (used for
    personal lists, service-body listings and "online meetings starting soon"). Online-only meetings are matched
    by location only when `attendance` names 'online'; `include_online` adds them regardless of distance.
    Results are sorted by distance (ties by name) or by next start, and paged per kind.

    The chosen meetings are loaded as finder.search.loader rows (times, formats, exceptions; no service bodies).
    `load_meetings(session, ids) -> {id: meeting}` replaces that load (BMLT passes one that links service
    bodies); it needs `schedule=False`, as the clock needs the exceptions a caller's loader may not read.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    validate(query)
    if load_meetings is not None and query.schedule:
        raise ValueError("a meeting loader needs a search without schedule")
    page, per_page = query.page, query.per_page
    results: dict[str, Any] = {"page": page, "per_page": per_page}
    radius_used: float | None = query.radius_km if query.point and not query.nearest else None
    if "meetings" in query.kinds:
        hits, total, radius = search_meetings(session, query, now, load_meetings or cached_meetings)
        results.update(meetings=hits, total_meetings=total)
        radius_used = _widest(radius_used, radius)
    if "centers" in query.kinds:
        center_hits, total, radius = search_centers(session, query)
        results.update(centers=center_hits, total_centers=total)
        radius_used = _widest(radius_used, radius)
    if "counselors" in query.kinds:
        counselor_hits, total, radius = search_counselors(session, query)
        results.update(counselors=counselor_hits, total_counselors=total)
        radius_used = _widest(radius_used, radius)
    return SearchResults(radius_km=radius_used, **results)


def _widest(a: float | None, b: float | None) -> float | None:
    if a is None:
        return b
    return a if b is None else max(a, b)


