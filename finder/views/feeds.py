"""Meeting Guide feeds (all meetings, one per service body) and our published NA -> Meeting Guide code table."""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from collections.abc import Sequence
from typing import Any

from flask import Blueprint, Response, abort, current_app, render_template, request, url_for
from sqlalchemy import Select, select
from sqlalchemy.orm import Session, selectinload

from finder import bodies, db, feeds
from finder.search import visible_meetings_clause
from finder.models import Format, Meeting, MeetingTime, Place, ServiceBody, meeting_formats

bp = Blueprint("feeds", __name__)

FEED_MAX_AGE_SECONDS = 900


def public_base() -> str:
    """The site's absolute base URL without a trailing slash: PUBLIC_URL, else the request's host."""
    return current_app.config.get("PUBLIC_URL") or request.url_root.rstrip("/")


def visible_meetings() -> Select[tuple[Meeting]]:
    """Published meetings that still meet (inactive ones leave every feed), with what feeds read loaded."""
    return (
        select(Meeting)
        .where(visible_meetings_clause())
        .options(
            selectinload(Meeting.times), selectinload(Meeting.formats), selectinload(Meeting.place),
            selectinload(Meeting.group), selectinload(Meeting.service_body).selectinload(ServiceBody.parent),
        )
        .order_by(Meeting.slug)
    )


@dataclass
class _Body:
    id: int
    parent_id: int | None
    kind: str
    name: str
    world_id: str
    parent: _Body | None = None


@dataclass
class _Format:
    id: int
    code: str


@dataclass
class _Time:
    weekday: int
    start: dt.time
    duration_minutes: int


@dataclass
class _Place:
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

    # The same rules as the model's, read from plain rows.
    full_address = property(Place.full_address.fget)
    is_approximate = property(Place.is_approximate.fget)


@dataclass
class _Meeting:
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
    updated_at: dt.datetime
    group_id: int | None
    service_body_id: int | None
    language: str
    published: bool
    place: _Place
    group: _Body | None = None
    service_body: _Body | None = None
    times: list[_Time] = field(default_factory=list)
    formats: list[_Format] = field(default_factory=list)

    is_online = property(Meeting.is_online.fget)
    format_codes = property(Meeting.format_codes.fget)


FEED_CHUNK = 2000


def feed_meetings(session: Session, body_ids: set[int] | None = None) -> list[_Meeting]:
    """Visible meetings as plain rows for the Meeting Guide feed, in slug order, optionally of some bodies.

    Whole-database feeds hold tens of thousands of meetings: plain rows build several times faster than ORM
    objects, and the mapping functions read both alike.
    """
    meetings = _plain_meetings(session, [visible_meetings_clause()], body_ids=body_ids, ordered=True)
    return meetings


def plain_meetings_by_id(session: Session, ids: Sequence[int]) -> dict[int, _Meeting]:
    """Meetings by id as the same plain rows (a finder.search loader for BMLT: no visibility test here)."""
    found: dict[int, _Meeting] = {}
    ids = sorted(ids)
    # Many meetings name most bodies: one read of them all beats climbing the tree for every chunk.
    bodies = _bodies(session) if len(ids) > FEED_CHUNK else None
    for i in range(0, len(ids), FEED_CHUNK):
        chunk = ids[i:i + FEED_CHUNK]
        found.update((m.id, m) for m in _plain_meetings(session, [Meeting.id.in_(chunk)], bodies=bodies))
    return found


_BODY_COLUMNS = (ServiceBody.id, ServiceBody.parent_id, ServiceBody.kind, ServiceBody.name, ServiceBody.world_id)


def _bodies(session: Session, wanted: set[int] | None = None) -> dict[int, _Body]:
    """Service bodies with their parents linked: all of them, or the wanted ones and their ancestors."""
    if wanted is None:
        bodies = {row[0]: _Body(*row) for row in session.connection().execute(select(*_BODY_COLUMNS)).all()}
    else:
        # A small answer names few bodies: read them and climb the tree a level per query (a handful of levels).
        bodies = {}
        missing = sorted(wanted)
        while missing:
            for i in range(0, len(missing), FEED_CHUNK):
                for row in session.connection().execute(select(*_BODY_COLUMNS).where(ServiceBody.id.in_(missing[i:i + FEED_CHUNK]))):
                    bodies[row[0]] = _Body(*row)
            asked = set(missing)
            missing = sorted({b.parent_id for b in bodies.values() if b.parent_id is not None
                              and b.parent_id not in bodies and b.parent_id not in asked})
    for body in bodies.values():
        body.parent = bodies.get(body.parent_id) if body.parent_id is not None else None
    return bodies


def _plain_meetings(session: Session, conditions: list[Any], *, body_ids: set[int] | None = None,
                    ordered: bool = False, bodies: dict[int, _Body] | None = None) -> list[_Meeting]:
    """Meetings matching `conditions` as plain rows, with times, formats and service bodies (read here unless
    given: all of them when `body_ids` selects the feed, else the ones the meetings name and their ancestors)."""
    columns = [Meeting.id, Meeting.slug, Meeting.name, Meeting.attendance, Meeting.conference_url,
               Meeting.conference_notes, Meeting.phone, Meeting.phone_notes, Meeting.notes, Meeting.status,
               Meeting.updated_at, Meeting.group_id, Meeting.service_body_id, Meeting.language, Meeting.published]
    place_columns = [Place.name, Place.street, Place.city, Place.region, Place.postal_code, Place.country,
                     Place.latitude, Place.longitude, Place.precision, Place.timezone, Place.notes]
    query = select(*columns, *place_columns).join(Place, Meeting.place_id == Place.id).where(*conditions)
    if ordered:
        query = query.order_by(Meeting.slug)
    connection = session.connection()  # Core rows, fetched at once: no ORM result processing, no row-by-row fetch
    meetings = []
    for row in connection.execute(query).all():
        meeting = _Meeting(*row[:len(columns)], place=_Place(*row[len(columns):]))
        if body_ids is not None and meeting.service_body_id not in body_ids and meeting.group_id not in body_ids:
            continue
        meetings.append(meeting)
    if bodies is None:
        named = {i for m in meetings for i in (m.group_id, m.service_body_id) if i}
        bodies = _bodies(session, named if len(named) <= FEED_CHUNK else None)
    for meeting in meetings:
        meeting.group = bodies.get(meeting.group_id) if meeting.group_id else None
        meeting.service_body = bodies.get(meeting.service_body_id) if meeting.service_body_id else None
    by_id = {m.id: m for m in meetings}
    formats = {i: _Format(i, code) for i, code in connection.execute(select(Format.id, Format.code)).all()}
    times = select(MeetingTime.meeting_id, MeetingTime.weekday, MeetingTime.start, MeetingTime.duration_minutes)
    codes = select(meeting_formats.c.meeting_id, meeting_formats.c.format_id)
    if body_ids is None:
        # Every meeting the conditions match is kept: join to them rather than list thousands of ids.
        batches = [(times.join(Meeting, Meeting.id == MeetingTime.meeting_id).where(*conditions),
                    codes.join(Meeting, Meeting.id == meeting_formats.c.meeting_id).where(*conditions))]
    else:
        ids = sorted(by_id)
        batches = [(times.where(MeetingTime.meeting_id.in_(ids[i:i + FEED_CHUNK])),
                    codes.where(meeting_formats.c.meeting_id.in_(ids[i:i + FEED_CHUNK])))
                   for i in range(0, len(ids), FEED_CHUNK)]
    for times_query, codes_query in batches:
        for meeting_id, weekday, start, duration in connection.execute(times_query).all():
            by_id[meeting_id].times.append(_Time(weekday, start, duration or 60))
        for meeting_id, format_id in connection.execute(codes_query).all():
            by_id[meeting_id].formats.append(formats[format_id])
    return meetings


def dumps(payload: object) -> str:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))


def json_response(payload: object, *, status: int = 200, cors: bool = True, max_age: int = FEED_MAX_AGE_SECONDS,
                  mimetype: str = "application/json") -> Response:
    """A JSON response with CORS for any origin, an ETag and a 304 answer to a matching If-None-Match."""
    body = payload if isinstance(payload, str) else dumps(payload)
    response = Response(body, status=status, mimetype=mimetype)
    if cors:
        response.headers["Access-Control-Allow-Origin"] = "*"
    if status == 200:
        response.cache_control.public = True
        response.cache_control.max_age = max_age
        response.add_etag()
        response.make_conditional(request)
    return response


def _meeting_guide(meetings: list[Any]) -> list[dict]:
    base = public_base()
    entity = current_app.config.get("SITE_NAME", "")
    entries: list[dict] = []
    for meeting in meetings:
        entries.extend(feeds.meeting_to_meeting_guide(
            meeting, meeting_url=f"{base}/meetings/{meeting.slug}", entity=entity, entity_url=base,
        ))
    return entries


@bp.get("/feeds/meeting-guide.json")
def meeting_guide() -> Response:
    """Every published meeting as a Meeting Guide JSON array."""
    return json_response(dumps(_meeting_guide(feed_meetings(db.get_session()))))


@bp.get("/feeds/meeting-guide/<int:body_id>.json")
def meeting_guide_for_body(body_id: int) -> Response:
    """The published meetings of one service body and the bodies below it."""
    session = db.get_session()
    if session.get(ServiceBody, body_id) is None:
        abort(404)
    meetings = feed_meetings(session, bodies.subtree_ids(session, [body_id]))
    return json_response(dumps(_meeting_guide(meetings)))


@bp.get("/feeds/codes.json")
def code_table_json() -> Response:
    """Our NA -> Meeting Guide type table, for feed readers."""
    return json_response(feeds.code_table_json())


@bp.get("/feeds/codes")
def code_table() -> str:
    """The code table as a page, with the feed addresses."""
    return render_template(
        "feeds/codes.html", rows=feeds.CODE_TABLE,
        feed_url=url_for("feeds.meeting_guide", _external=True),
    )
