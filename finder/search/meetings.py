"""Meetings near a point (or anywhere): candidates from SQL, exact distances, the clock filters, the order and the
page, loaded as plain rows (finder.search.loader)."""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy import bindparam
from sqlalchemy.orm import Session

from finder.core import schedule
from finder.core.geo import bounding_box, haversine_km
from finder.models import Meeting
from finder.search import loader
from finder.search.clock import (
    Candidate, chunks, clock_prefilter, online_attendance, online_prefilter, passes_clock, read_clocks,
)
from finder.search.conditions import (
    candidate_statement, constant, meeting_conditions, page_of, shape_of, sort_key,
)
from finder.search.query import DEFAULT_RADIUS_KM, MeetingHit, MeetingLoader, SearchQuery, needs_clock
from finder.search.ranking import (
    box_params, grow_to_nearest, lon_range_count, near_statement, ranked_in_sql, ranked_search,
)


def search_meetings(session: Session, query: SearchQuery, now: dt.datetime,
                     load_meetings: MeetingLoader | None = None) -> tuple[list[MeetingHit], int, float | None]:
    dialect = session.get_bind().dialect.name
    if ranked_in_sql(query):
        # A page's columns ride in the ranking query unless a loader (or a cache) provides the meetings.
        chosen, total, radius, loaded = ranked_search(session, query, dialect, load_pages=load_meetings is None)
        return load_meeting_hits(session, chosen, now, query.schedule, load_meetings, loaded), total, radius
    radius_used: float | None = None
    candidates: list[Candidate] = []
    if query.point is not None:
        shape = shape_of(query)
        lat, lon = query.point

        def within(radius: float) -> list[Candidate]:
            box = bounding_box(lat, lon, radius)
            stmt = near_statement(shape, lon_range_count(box), dialect)
            return fetch_candidates(session, query, now, stmt, box_params(box), radius)

        if query.nearest:
            candidates, radius_used = grow_to_nearest(query, query.nearest, within, distance_of=lambda c: c.distance_km or 0.0)
        else:
            radius_used = query.radius_km or DEFAULT_RADIUS_KM
            candidates = within(radius_used)
    if query.point is None or query.include_online:
        # Without a distance bound the clock filters need SQL's help to avoid reading every meeting's times.
        conditions = meeting_conditions(query)
        extra = [] if query.point is None else [Meeting.attendance == constant("online")]
        online = online_attendance(query)
        if online is None:
            # Every meeting's weekly times tested against the zones' windows (when there is a clock filter).
            clock = clock_prefilter(query, now)
            if clock is not None:
                conditions.append(clock)
            found = fetch_candidates(session, query, now, candidate_statement(query, conditions, extra), {}, None)
        else:
            # Online and hybrid meetings starting soon: the ids from their weekly times' own index (online_times),
            # then what the clock needs of them.
            starting = online_prefilter(session.connection(), query, now, online)
            if query.point is None and query.sort == "next_start" and len(conditions) == 1 + bool(query.attendance):
                # Nothing asked of the meetings but what online_times already holds (listed, the attendance).
                found = online_candidates(session, query, now, starting)
            else:
                found = []
                stmt = candidate_statement(query, [*conditions, Meeting.id.in_(bindparam("ids", expanding=True))],
                                           extra)
                for chunk in chunks(sorted(starting)):
                    found += fetch_candidates(session, query, now, stmt, {"ids": list(chunk)}, None)
        seen = {c.meeting_id for c in candidates}
        candidates += [c for c in found if c.meeting_id not in seen]
    candidates.sort(key=sort_key(query))
    total = len(candidates)
    chosen = page_of(candidates, query.page, query.per_page)
    return load_meeting_hits(session, chosen, now, query.schedule, load_meetings), total, radius_used



def fetch_candidates(
    session: Session, query: SearchQuery, now: dt.datetime, stmt: Any, params: dict[str, Any],
    radius_km: float | None,
) -> list[Candidate]:
    """Run the SQL part and the exact distance test, then the clock filters when the query has any."""
    clock = needs_clock(query)
    if clock:
        # Exceptions that ended before yesterday (anywhere on Earth) cannot affect anything from now on.
        params = {**params, "horizon": (now.astimezone(dt.timezone.utc) - dt.timedelta(days=2)).date()}
    point = query.point
    by_id: dict[int, Candidate] = {}
    for row in session.connection().execute(stmt, params):  # Core rows: no ORM bookkeeping on the hot path
        candidate = by_id.get(row[0])
        if candidate is None:
            distance = None
            if point is not None and row[3] is not None:
                distance = haversine_km(point[0], point[1], row[3], row[4])
                if radius_km is not None and distance > radius_km:
                    continue
            candidate = by_id[row[0]] = Candidate(row[0], row[1], distance, row[2] == "online", row[5])
        if clock:
            if row[6] is not None:
                candidate.times.append((row[6], row[7], row[8] or 60))
            candidate.has_exceptions = bool(row[9])
    candidates = list(by_id.values())
    if clock and candidates:
        read_clocks(session, candidates, now)
        if query.starts_within is not None or query.in_progress:
            candidates = [c for c in candidates if passes_clock(c, query)]
    return candidates



def online_candidates(session: Session, query: SearchQuery, now: dt.datetime,
                      starting: Mapping[int, tuple[str, str]]) -> list[Candidate]:
    """fetch_candidates for online_prefilter's meetings when nothing else is asked of them: each one's zone and
    attendance come from online_times, so only their weekly times and whether they have exceptions are read
    (two narrow statements instead of a row per meeting and time joined to its place: at 1M meetings about
    2,500 meetings start within the hour; BENCHMARKS.md). Without names: the order is by next start.

    The statements are written here with the ids in them (integers read from the database): SQLAlchemy's
    expanding IN named and bound each of thousands of ids, and its rows cost more than the database's."""
    by_id = {m: Candidate(m, "", None, attendance == "online", zone) for m, (zone, attendance) in starting.items()}
    horizon = (now.astimezone(dt.timezone.utc) - dt.timedelta(days=2)).date()
    cursor = session.connection().connection.cursor()
    try:
        for chunk in chunks(sorted(by_id)):
            ids = ", ".join(str(int(m)) for m in chunk)
            cursor.execute(f"SELECT meeting_id, weekday, start, duration_minutes FROM meeting_times "
                           f"WHERE meeting_id IN ({ids})")
            for meeting_id, weekday, start, duration in cursor.fetchall():
                if isinstance(start, str):  # SQLite stores a time as text (SQLAlchemy's Time writes ISO 8601)
                    start = dt.time.fromisoformat(start)
                by_id[meeting_id].times.append((weekday, start, duration or 60))
            cursor.execute(f"SELECT DISTINCT meeting_id FROM schedule_exceptions WHERE meeting_id IN ({ids}) "
                           f"AND end_date >= '{horizon.isoformat()}'")
            for (meeting_id,) in cursor.fetchall():
                by_id[meeting_id].has_exceptions = True
    finally:
        cursor.close()
    candidates = list(by_id.values())
    read_clocks(session, candidates, now)
    return [c for c in candidates if passes_clock(c, query)]


def load_meeting_hits(session: Session, chosen: list[Candidate], now: dt.datetime,
                       schedule_wanted: bool = True, load_meetings: MeetingLoader | None = None,
                       loaded: Mapping[int, Any] | None = None) -> list[MeetingHit]:
    """Hits for the chosen candidates: their meetings (`loaded` already, or read now) and their clocks."""
    if not chosen:
        return []
    if loaded is None:
        ids = [c.meeting_id for c in chosen]
        # Plain rows (finder.search.loader), not ORM objects: two thirds of a "10 nearest" search went to the ORM.
        loaded = (loader.meetings_by_id(session, ids, with_bodies=False, with_exceptions=schedule_wanted)
                  if load_meetings is None else dict(load_meetings(session, ids)))
    if not schedule_wanted:
        return [MeetingHit(meeting=loaded[c.meeting_id], distance_km=None if c.online_only else c.distance_km,
                           next_start=None, in_progress=False, starts_in_minutes=None, is_online_only=c.online_only)
                for c in chosen]
    unread = [c for c in chosen if not c.clock_read]
    today = now.astimezone(dt.timezone.utc).date()
    # Only an exception overlapping these days can move a weekly meeting's running or next occurrence: that
    # is at most a week away (a day either side for the zones), unless an exception in reach cancels it. The
    # others (a closure next month) leave the meeting on read_clocks' quick path instead of finder.core.schedule.
    horizon, reach = today - dt.timedelta(days=2), today + dt.timedelta(days=9)
    for candidate in unread:
        meeting = loaded[candidate.meeting_id]
        candidate.timezone = meeting.place.timezone
        candidate.times = [(t.weekday, t.start, t.duration_minutes or 60) for t in meeting.times]
        candidate.has_exceptions = any(e.end_date >= horizon and e.start_date <= reach for e in meeting.exceptions)
    read_clocks(session, unread, now, skips={c.meeting_id: loaded[c.meeting_id].exceptions for c in unread})
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


