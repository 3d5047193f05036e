"""The search's contract: what to look for (SearchQuery), what comes back (hits, SearchResults), the limits, and
what makes a query invalid (SearchError)."""
from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext
from sqlalchemy.orm import Session

from finder.core.geo import km_to_miles, miles_to_km, valid_point
from finder.models import Counselor, Place, TreatmentCenter

KINDS = frozenset({"meetings", "centers", "counselors"})
ATTENDANCE_VALUES = frozenset({"in_person", "online", "hybrid"})
DEFAULT_RADIUS_KM = miles_to_km(25)
# Beyond this a radius search is a scan of a continent; "the N nearest" covers the rural case instead.
MAX_RADIUS_KM = miles_to_km(1000)
MAX_NEAREST = 200
MAX_PER_PAGE = 100
MAX_PAGE = 10_000
MAX_SOON_MINUTES = 24 * 60

class SearchError(ValueError):
    """A search the user asked for cannot run: which field, a message for people, and near matches for places."""

    def __init__(self, field: str, message: str, suggestions: Sequence[str] = ()) -> None:
        message = str(message)  # a lazy_gettext message is read now, in the request's language
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

    `meeting` is a finder.search.loader.PlainMeeting (or what a caller's loader returns): read-only, with the model's
    attribute names and properties."""

    meeting: Any
    distance_km: float | None  # None for online-only meetings
    next_start: dt.datetime | None  # aware, in the meeting's zone
    in_progress: bool
    starts_in_minutes: int | None  # None while in progress or when there is no next start
    is_online_only: bool

    @property
    def distance_miles(self) -> float | None:
        return None if self.distance_km is None else km_to_miles(self.distance_km)


@dataclass(frozen=True)
class CenterHit:
    center: TreatmentCenter
    distance_km: float | None

    @property
    def distance_miles(self) -> float | None:
        return None if self.distance_km is None else km_to_miles(self.distance_km)


@dataclass(frozen=True)
class CounselorHit:
    counselor: Counselor
    office: Place | None  # the nearest office (None for a telehealth-only counselor found without a point)
    distance_km: float | None

    @property
    def distance_miles(self) -> float | None:
        return None if self.distance_km is None else km_to_miles(self.distance_km)


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

MeetingLoader = Callable[[Session, Sequence[int]], Mapping[int, Any]]


def needs_clock(query: SearchQuery) -> bool:
    """Whether the query filters or sorts by the clock (read in each meeting's own zone: finder.search.clock)."""
    return query.starts_within is not None or query.in_progress or query.sort == "next_start"


def validate(query: SearchQuery) -> None:
    if query.point is not None:
        lat, lon = query.point
        if not valid_point(float(lat), float(lon)):
            raise SearchError("lat", gettext("Latitude must be between -90 and 90 and longitude between -180 and 180."))
    if query.radius_km is not None and not (math.isfinite(query.radius_km) and 0 < query.radius_km <= MAX_RADIUS_KM):
        raise SearchError("radius", gettext("The distance must be more than 0 and at most %(km)s km.",
                                            km=f"{MAX_RADIUS_KM:.0f}"))
    if query.nearest is not None and not 1 <= query.nearest <= MAX_NEAREST:
        raise SearchError("nearest", gettext("Ask for between 1 and %(most)s nearest results.", most=MAX_NEAREST))
    if query.point is None and (query.nearest or query.radius_km):
        raise SearchError("q", gettext("A distance needs a place: enter a town, a ZIP code or use your location."))
    if not query.kinds or not query.kinds <= KINDS:
        raise SearchError("kind", gettext("Choose meetings, treatment centers, counselors or all."))
    if query.page < 1 or query.per_page < 0:
        raise SearchError("page", gettext("Pages are numbered from 1."))
    if query.sort not in ("distance", "next_start"):
        raise SearchError("sort", gettext("Sort by distance or by next start."))
    if query.starts_within is not None and not 0 < query.starts_within <= MAX_SOON_MINUTES:
        raise SearchError("soon", gettext("'Starting within' must be 1 to %(most)s minutes.", most=MAX_SOON_MINUTES))
    if not query.schedule and needs_clock(query):
        raise ValueError("a search without schedule cannot filter or sort by the clock")


def page_of(items: list, page: int, per_page: int) -> list:
    if not per_page:
        return items
    return items[(page - 1) * per_page: page * per_page]


def replace(query: SearchQuery, **changes: Any) -> SearchQuery:
    """A copy of query with fields changed (feeds set per_page=0, pages switch sort)."""
    return dataclasses.replace(query, **changes)
