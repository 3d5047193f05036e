"""Meetings read as plain rows: the search's result page, the Meeting Guide feeds and the BMLT answers.

Building ORM objects costs more than anything else a search or a feed does (measured: two thirds of a
"10 nearest" search, BENCHMARKS.md), and nothing that shows a result writes to it. These classes carry the
attribute names and the derived properties of the models (the models' own rules, not copies), so templates,
the JSON API, finder.core.meeting_guide, finder.bmlt.semantic and finder.core.ical read either alike.
"""
from __future__ import annotations

import datetime as dt
import functools
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import BindParameter, String, bindparam, cast, exists, func, select
from sqlalchemy.orm import Session

from finder.meetings import visibility
from finder.models import Format, Meeting, MeetingTime, Place, ScheduleException, ServiceBody, meeting_formats

CHUNK = 2000  # ids per IN (...) list: PostgreSQL caps a statement at 65535 parameters
# Meetings a process keeps for result pages (MeetingCache) unless MEETING_CACHE_ENTRIES says otherwise: about
# 9 KB each once their JSON and calendar events were written (tracemalloc on the demo data: 3 KB the row, 3 KB
# its JSON, 3 KB its events), so 90 MB at most.
MEETING_CACHE_ENTRIES = 10_000


def _reused(model_property: Any) -> property:
    """A model's derived property, the same getter on a plain row (typed Any: mypy reads a property off its
    class as the bare function)."""
    return property(model_property.fget)


@dataclass
class PlainBody:
    id: int
    parent_id: int | None
    kind: str
    name: str
    world_id: str
    parent: PlainBody | None = None


@dataclass(frozen=True)
class PlainFormat:
    id: int
    code: str
    name: str
    description: str
    kind: str
    naws_code: str
    mg_code: str | None
    world_id: str


@dataclass
class PlainTime:
    weekday: int
    start: dt.time
    duration_minutes: int
    id: int | None = None  # calendar UIDs are built from it: a weekly series keeps its UID when edited


@dataclass
class PlainException:
    kind: str
    start_date: dt.date
    end_date: dt.date
    reason: str
    created_at: dt.datetime | None


@dataclass
class PlainPlace:
    name: str
    street: str
    city: str
    region: str
    postal_code: str
    country: str
    latitude: float
    longitude: float
    precision: str
    timezone: str
    notes: str

    full_address = _reused(Place.full_address)
    is_approximate = _reused(Place.is_approximate)
    locality = _reused(Place.locality)


@dataclass
class PlainMeeting:
    id: int
    slug: str
    name: str
    attendance: str
    conference_url: str
    conference_notes: str
    phone: str
    phone_notes: str
    notes: str
    status: str
    created_at: dt.datetime | None
    updated_at: dt.datetime | None
    sequence: int
    group_id: int | None
    service_body_id: int | None
    language: str
    published: bool
    place: PlainPlace
    group: PlainBody | None = None
    service_body: PlainBody | None = None
    times: list[PlainTime] = field(default_factory=list)
    formats: list[PlainFormat] = field(default_factory=list)
    exceptions: list[PlainException] = field(default_factory=list)
    confirmed_at: dt.datetime | None = None  # finder.freshness: last confirmed, and a "not meeting" mark
    reported_at: dt.datetime | None = None
    translations: dict[str, dict[str, str]] = field(default_factory=dict)  # finder.core.texts
    has_exceptions: bool = False  # known from a page row even when the exceptions were not read
    # What a reader derived from this row and may reuse while the row lives: a MeetingCache shares rows across
    # requests, so the JSON API renders a cached meeting once (finder.api.records.meeting_json), not per request.
    derived: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)

    is_online = _reused(Meeting.is_online)
    format_codes = _reused(Meeting.format_codes)
    timezone = _reused(Meeting.timezone)


_MEETING_COLUMNS = (
    Meeting.id, Meeting.slug, Meeting.name, Meeting.attendance, Meeting.conference_url, Meeting.conference_notes,
    Meeting.phone, Meeting.phone_notes, Meeting.notes, Meeting.status, Meeting.created_at, Meeting.updated_at,
    Meeting.sequence, Meeting.group_id, Meeting.service_body_id, Meeting.language, Meeting.published,
    Meeting.confirmed_at, Meeting.reported_at, Meeting.translations,
)
_PLACE_COLUMNS = (
    Place.name, Place.street, Place.city, Place.region, Place.postal_code, Place.country, Place.latitude,
    Place.longitude, Place.precision, Place.timezone, Place.notes,
)
_BODY_COLUMNS = (ServiceBody.id, ServiceBody.parent_id, ServiceBody.kind, ServiceBody.name, ServiceBody.world_id)
_N = len(_MEETING_COLUMNS)

_TIMES = select(MeetingTime.meeting_id, MeetingTime.weekday, MeetingTime.start, MeetingTime.duration_minutes,
                MeetingTime.id)
_FORMATS = select(meeting_formats.c.meeting_id, meeting_formats.c.format_id)
_EXCEPTIONS = select(ScheduleException.meeting_id, ScheduleException.kind, ScheduleException.start_date,
                     ScheduleException.end_date, ScheduleException.reason, ScheduleException.created_at)


def _aggregated(column: Any, *where: Any) -> Any:
    """One row's children as a comma-separated string (string_agg on PostgreSQL, group_concat on SQLite)."""
    return select(func.aggregate_strings(column, ",")).where(*where).scalar_subquery()


# A page of results in one query: the meeting, its place, its weekly times and format ids aggregated, and
# whether it has schedule exceptions (rare: read only then). On PostgreSQL each query is a round trip, and
# separate queries for times, formats and exceptions made up half of a "10 nearest" search.
PAGE_COLUMNS = (
    *_MEETING_COLUMNS, *_PLACE_COLUMNS,
    _aggregated(cast(MeetingTime.id, String) + " " + cast(MeetingTime.weekday, String) + " "
                + cast(MeetingTime.start, String) + " " + cast(func.coalesce(MeetingTime.duration_minutes, 60), String),
                MeetingTime.meeting_id == Meeting.id),
    _aggregated(cast(meeting_formats.c.format_id, String), meeting_formats.c.meeting_id == Meeting.id),
    exists().where(ScheduleException.meeting_id == Meeting.id),
)
_IDS: BindParameter[list[int]] = bindparam("ids", expanding=True)
_PAGE = select(*PAGE_COLUMNS).join(Place, Meeting.place_id == Place.id).where(Meeting.id.in_(_IDS))
_EXCEPTIONS_BY_ID = _EXCEPTIONS.where(ScheduleException.meeting_id.in_(_IDS)).order_by(ScheduleException.start_date)
_P = _N + len(_PLACE_COLUMNS)


def meetings_by_id(session: Session, ids: Sequence[int], *, with_bodies: bool = True,
                   with_exceptions: bool = False) -> dict[int, PlainMeeting]:
    """Meetings by id as plain rows, with times and formats; service bodies (and their ancestors) and schedule
    exceptions when asked. No visibility test here: the caller chose the ids."""
    ids = sorted(set(ids))
    found: dict[int, PlainMeeting] = {}
    # Many meetings name most bodies: one read of them all beats climbing the tree for every chunk.
    bodies = _bodies(session) if with_bodies and len(ids) > CHUNK else None
    connection = session.connection()  # Core rows: no ORM result processing
    for i in range(0, len(ids), CHUNK):
        found.update(page_meetings(connection, connection.execute(_PAGE, {"ids": ids[i:i + CHUNK]}).all()))
    if with_exceptions:
        add_exceptions(connection, found)
    if with_bodies:
        _link_bodies(session, list(found.values()), bodies)
    return found


def page_meetings(connection: Any, rows: Iterable[Sequence[Any]], *, skip: int = 0) -> dict[int, PlainMeeting]:
    """Meetings, in row order, from rows that hold PAGE_COLUMNS after `skip` leading columns of the caller's
    (finder.search selects a page's columns in its ranking query, saving a round trip); see add_exceptions."""
    found = {}
    for row in rows:
        meeting = _page_meeting(connection, row[skip:] if skip else row)
        found[meeting.id] = meeting
    return found


def _page_meeting(connection: Any, row: Sequence[Any]) -> PlainMeeting:
    """A meeting from a row of PAGE_COLUMNS; its exceptions are left to `add_exceptions`."""
    meeting = _meeting(row)
    times, format_ids, meeting.has_exceptions = row[_P:_P + 3]
    for weekly in (times or "").split(","):
        if weekly:
            time_id, weekday, start, minutes = weekly.split(" ")
            meeting.times.append(PlainTime(int(weekday), dt.time.fromisoformat(start), int(minutes), int(time_id)))
    formats = _format_vocabulary(connection)
    meeting.formats = [formats.get(int(f)) or _format_vocabulary(connection, fresh=True)[int(f)]
                       for f in (format_ids or "").split(",") if f]
    _sort_children([meeting])
    return meeting


def add_exceptions(connection: Any, meetings: dict[int, PlainMeeting]) -> None:
    """Read the schedule exceptions of the meetings (from a page's rows) that have some."""
    excepted = sorted(m.id for m in meetings.values() if m.has_exceptions)
    for i in range(0, len(excepted), CHUNK):
        for meeting_id, *values in connection.execute(_EXCEPTIONS_BY_ID, {"ids": excepted[i:i + CHUNK]}).all():
            meetings[meeting_id].exceptions.append(PlainException(*values))


# The format vocabulary by engine: seeded by the migrations and not edited in the app, read once per process
# (and again when a page names an id it has not seen).
_VOCABULARY: weakref.WeakKeyDictionary[Any, dict[int, PlainFormat]] = weakref.WeakKeyDictionary()


def _format_vocabulary(connection: Any, *, fresh: bool = False) -> dict[int, PlainFormat]:
    known = _VOCABULARY.get(connection.engine)
    if known is None or fresh:
        rows = connection.execute(select(Format.id, Format.code, Format.name, Format.description, Format.kind,
                                         Format.naws_code, Format.mg_code, Format.world_id)).all()
        known = _VOCABULARY[connection.engine] = {row[0]: PlainFormat(*row) for row in rows}
    return known


def feed_meetings(session: Session, body_ids: set[int] | None = None) -> list[PlainMeeting]:
    """Visible meetings in slug order for the Meeting Guide feeds: all of them, or those of some bodies."""
    return meetings_where(session, visibility.listed(), body_ids=body_ids)


def meetings_where(session: Session, condition: Any, *, body_ids: set[int] | None = None,
                   with_bodies: bool = True, with_exceptions: bool = False,
                   order_by: Any = Meeting.slug) -> list[PlainMeeting]:
    """The meetings matching `condition` (on Meeting's columns), with times and formats, and service bodies and
    schedule exceptions as asked; `body_ids` keeps those served by, or a group of, one of those bodies.

    Whole-database feeds hold tens of thousands of meetings: plain rows build several times faster than ORM
    objects, and the children are read with a join to the same condition rather than listed by id.
    """
    query = select(*_MEETING_COLUMNS, *_PLACE_COLUMNS).join(Place, Meeting.place_id == Place.id).where(condition)
    connection = session.connection()
    meetings = []
    for row in connection.execute(query.order_by(order_by)).all():
        meeting = _meeting(row)
        if body_ids is not None and meeting.service_body_id not in body_ids and meeting.group_id not in body_ids:
            continue
        meetings.append(meeting)
    by_id = {m.id: m for m in meetings}
    if body_ids is None:
        # Every meeting the condition matches is kept: join to it rather than list thousands of ids.
        batches: list[tuple[Any, Any, Any, dict[str, Any]]] = [(_TIMES.join(Meeting, Meeting.id == MeetingTime.meeting_id).where(condition),
                    _FORMATS.join(Meeting, Meeting.id == meeting_formats.c.meeting_id).where(condition),
                    _EXCEPTIONS.join(Meeting, Meeting.id == ScheduleException.meeting_id).where(condition), {})]
    else:
        ids = sorted(by_id)
        batches = [(_TIMES.where(MeetingTime.meeting_id.in_(_IDS)),
                    _FORMATS.where(meeting_formats.c.meeting_id.in_(_IDS)),
                    _EXCEPTIONS.where(ScheduleException.meeting_id.in_(_IDS)), {"ids": ids[i:i + CHUNK]})
                   for i in range(0, len(ids), CHUNK)]
    _attach(connection, by_id, batches, with_exceptions=with_exceptions)
    if with_bodies:
        _link_bodies(session, meetings, None)
    return meetings


def _meeting(row: Sequence[Any]) -> PlainMeeting:
    # The slice fills the fields before `place` (mypy cannot count a slice, so it fears a clash).
    return PlainMeeting(*row[:_N - 3], confirmed_at=row[_N - 3], reported_at=row[_N - 2],  # type: ignore[misc]
                        translations=row[_N - 1] or {}, place=PlainPlace(*row[_N:_N + len(_PLACE_COLUMNS)]))


def _attach(connection: Any, by_id: dict[int, PlainMeeting], batches: list[tuple[Any, Any, Any, dict]], *,
            with_exceptions: bool) -> None:
    """Fill in times, formats (and exceptions) of `by_id` from (times, formats, exceptions, parameters) batches."""
    formats = _format_vocabulary(connection, fresh=True)
    for times_query, formats_query, exceptions_query, params in batches:
        for meeting_id, weekday, start, duration, time_id in connection.execute(times_query, params).all():
            if meeting_id in by_id:
                by_id[meeting_id].times.append(PlainTime(weekday, start, duration or 60, time_id))
        for meeting_id, format_id in connection.execute(formats_query, params).all():
            if meeting_id in by_id:
                by_id[meeting_id].formats.append(formats[format_id])
        if with_exceptions:
            for meeting_id, *values in connection.execute(exceptions_query.order_by(ScheduleException.start_date),
                                                          params).all():
                if meeting_id in by_id:
                    by_id[meeting_id].exceptions.append(PlainException(*values))
    _sort_children(by_id.values())


def _sort_children(meetings: Iterable[PlainMeeting]) -> None:
    """The models' order: times by (weekday, start), formats by code."""
    for meeting in meetings:
        meeting.times.sort(key=lambda t: (t.weekday, t.start))
        meeting.formats.sort(key=lambda f: f.code)


def _link_bodies(session: Session, meetings: list[PlainMeeting], bodies: dict[int, PlainBody] | None) -> None:
    """Set group and service_body; `bodies` None reads only the ones named (and their ancestors)."""
    if bodies is None:
        named = {i for m in meetings for i in (m.group_id, m.service_body_id) if i}
        bodies = _bodies(session, named if len(named) <= CHUNK else None)
    for meeting in meetings:
        meeting.group = bodies.get(meeting.group_id) if meeting.group_id else None
        meeting.service_body = bodies.get(meeting.service_body_id) if meeting.service_body_id else None


def _bodies(session: Session, wanted: set[int] | None = None) -> dict[int, PlainBody]:
    """Service bodies with their parents linked: all of them, or the wanted ones and their ancestors."""
    connection = session.connection()
    if wanted is None:
        bodies = {row[0]: PlainBody(*row) for row in connection.execute(select(*_BODY_COLUMNS)).all()}
    else:
        # A small answer names few bodies: read them and climb the tree a level per query (a handful of levels).
        bodies = {}
        missing = sorted(wanted)
        while missing:
            for i in range(0, len(missing), CHUNK):
                for row in connection.execute(select(*_BODY_COLUMNS).where(ServiceBody.id.in_(missing[i:i + CHUNK]))):
                    bodies[row[0]] = PlainBody(*row)
            asked = set(missing)
            missing = sorted({b.parent_id for b in bodies.values() if b.parent_id is not None
                              and b.parent_id not in bodies and b.parent_id not in asked})
    for body in bodies.values():
        body.parent = bodies.get(body.parent_id) if body.parent_id is not None else None
    return bodies


class MeetingCache:
    """Plain meetings (times, formats and exceptions; no service bodies) of one data version, for one process.

    Every phone in a city is shown the same meetings, whatever its exact position, so a search with fresh
    coordinates (which no response cache can answer) finds most of its page here instead of reading the
    page's rows and exceptions and building them again (BENCHMARKS.md, "Load"). The most recently used
    `entries` are kept. A new data version empties the cache (`meetings`), so an approval or an import shows
    as soon as it does in the response cache. What it returns is shared: callers must not modify it.
    """

    def __init__(self, entries: int = MEETING_CACHE_ENTRIES) -> None:
        self._entries: OrderedDict[int, PlainMeeting] = OrderedDict()
        self.capacity = entries
        self._version: Any = None
        self._lock = threading.Lock()

    def meetings(self, session: Session, ids: Sequence[int], version: Any) -> dict[int, PlainMeeting]:
        """The meetings with these ids at data version `version` (read before the call), in the order given;
        ids that do not exist are left out. Those not held are read in one batch, with their exceptions."""
        held: dict[int, PlainMeeting] = {}
        with self._lock:
            if version != self._version:
                self._entries.clear()
                self._version = version
            for meeting_id in ids:
                meeting = self._entries.get(meeting_id)
                if meeting is not None:
                    self._entries.move_to_end(meeting_id)
                    held[meeting_id] = meeting
        missing = [i for i in ids if i not in held]
        if missing:
            read = meetings_by_id(session, missing, with_bodies=False, with_exceptions=True)
            held.update(read)
            with self._lock:
                # Rows read after `version` was are at least that new; if another request has seen a newer
                # version meanwhile, these may be older than it and are not kept.
                if version == self._version:
                    self._entries.update(read)
                    while len(self._entries) > self.capacity:
                        self._entries.popitem(last=False)
        return {i: held[i] for i in ids if i in held}

    def reader(self, version: Any) -> Callable[[Session, Sequence[int]], dict[int, PlainMeeting]]:
        """`meetings` at `version`, as finder.search.find_nearby's `cached_meetings` takes it."""
        return functools.partial(self.meetings, version=version)

    def __len__(self) -> int:
        return len(self._entries)
