"""What SQL decides about a meeting on its own: every filter that does not need the clock or a distance, and the
statement that reads candidates."""
from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Date, String, and_, bindparam, exists, func, literal_column, or_, select
from sqlalchemy.orm import aliased

from finder.core.vocab import FORMAT_BY_CODE
from finder.meetings import bodies
from finder.meetings import visibility
from finder.models import Format, Meeting, MeetingTime, Place, ScheduleException, meeting_formats
from finder.search.query import SearchQuery, needs_clock


def constant(word: str) -> ColumnElement[str]:
    """A fixed word of the code as an SQL literal, not a bound parameter: the planner knows it even in a
    prepared statement's generic plan (see opaque). Only for words written in this module."""
    assert word.isidentifier()
    return literal_column(f"'{word}'", String)



def page_of(items: list, page: int, per_page: int) -> list:
    if not per_page:
        return items
    return items[(page - 1) * per_page: page * per_page]



def format_clause(codes: Iterable[str], *, every: bool) -> ColumnElement[bool]:
    def has(condition: ColumnElement[bool]) -> ColumnElement[bool]:
        return exists(
            select(1).select_from(meeting_formats.join(Format, Format.id == meeting_formats.c.format_id))
            .where(meeting_formats.c.meeting_id == Meeting.id, condition)
        )

    codes = sorted(codes)
    if every:
        return and_(*(has(Format.code == code) for code in codes))
    return has(Format.code.in_(codes))


def time_window_clause(query: SearchQuery) -> ColumnElement[bool] | None:
    """A weekly time on one of the weekdays, starting inside the local window (which may wrap past midnight)."""
    # An alias: the outer query may join meeting_times itself, and this must not correlate to that row.
    t = aliased(MeetingTime)
    conditions: list[ColumnElement[bool]] = []
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



def meeting_conditions(query: SearchQuery) -> list[ColumnElement[bool]]:
    """Every filter that SQL can decide on its own."""
    conditions: list[ColumnElement[bool]] = [visibility.listed()]
    if query.attendance:
        conditions.append(Meeting.attendance.in_(sorted(query.attendance)))
    if query.language:
        language = query.language.lower()
        clause = Meeting.language == language
        if language.upper() in FORMAT_BY_CODE and FORMAT_BY_CODE[language.upper()].kind == "language":
            clause = or_(clause, format_clause([language.upper()], every=True))
        conditions.append(clause)
    every = set(query.formats_all)
    if query.wheelchair:
        every.add("WCHR")
    if query.open_closed == "open":
        every.add("O")
    elif query.open_closed == "closed":
        every.add("C")
    if every:
        conditions.append(format_clause(every, every=True))
    if query.formats_any:
        conditions.append(format_clause(query.formats_any, every=False))
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
    window = time_window_clause(query)
    if window is not None:
        conditions.append(window)
    return conditions



def candidate_statement(
    query: SearchQuery, conditions: Sequence[ColumnElement[bool]], extra: Sequence[ColumnElement[bool]],
) -> Any:
    """The SQL part of a meeting search; the exceptions horizon is the bound parameter `horizon`."""
    columns: list[Any] = [Meeting.id, Meeting.name, Meeting.attendance, Place.latitude, Place.longitude,
                          Place.timezone]
    clock = needs_clock(query)
    if clock:
        columns += [MeetingTime.weekday, MeetingTime.start, MeetingTime.duration_minutes,
                    exists(select(1).where(ScheduleException.meeting_id == Meeting.id,
                                           ScheduleException.end_date >= bindparam("horizon", type_=Date)))]
    stmt = select(*columns).join(Place, Meeting.place_id == Place.id)
    if clock:
        stmt = stmt.outerjoin(MeetingTime, MeetingTime.meeting_id == Meeting.id)
    return stmt.where(*conditions, *extra)



def shape_of(query: SearchQuery) -> SearchQuery:
    return dataclasses.replace(query, point=None, radius_km=None, nearest=None, page=1, per_page=0)



def sort_key(query: SearchQuery) -> Any:
    if query.sort == "next_start":
        return lambda c: (c.clock_key, c.distance_km if c.distance_km is not None else math.inf, c.meeting_id)
    # Online-only meetings come after every meeting with a real distance.
    return lambda c: (c.online_only or c.distance_km is None, c.distance_km or 0.0, c.name.lower(), c.meeting_id)


