"""Meeting Guide feeds (all meetings, one per service body) and our published NA -> Meeting Guide code table."""
from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from flask import Blueprint, Response, abort, current_app, render_template, request, url_for
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, selectinload

from finder import cache, db, feeds
from finder.search import visible_meetings_clause
from finder.models import Meeting, ServiceBody

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


def body_and_descendants(session: Session, body_id: int) -> set[int]:
    """The ids of a service body and every body below it."""
    pairs = session.execute(select(ServiceBody.id, ServiceBody.parent_id)).all()
    return feeds.descendant_ids(((i, p) for i, p in pairs), [body_id])


# --- a cache of built bodies -------------------------------------------------------------------------------------

BODY_CACHE_ENTRIES = 64
IN_LIST_MAX = 5000


def data_fingerprint(session: Session) -> str:
    """Changes whenever a published feed could: the data version, and every meeting or service body edit."""
    meetings = session.execute(select(func.count(Meeting.id), func.max(Meeting.updated_at))).one()
    bodies = session.execute(select(func.count(ServiceBody.id), func.max(ServiceBody.id))).one()
    return f"{cache.data_version(session)}|{meetings[0]}|{meetings[1]}|{bodies[0]}|{bodies[1]}"


class BodyCache:
    """Built feed bodies by key, valid while the data fingerprint is unchanged and for at most CACHE_TTL seconds.

    Whole-database feeds (Meeting Guide, BMLT without a location) take seconds to build at 100k meetings;
    feed readers poll them. Only location-free answers are kept: nothing here says where anyone is.
    """

    def __init__(self) -> None:
        self._entries: OrderedDict[str, tuple[str, float, str]] = OrderedDict()
        self._lock = threading.Lock()

    def get_or_build(self, key: str, fingerprint: str, ttl: float, build: Callable[[], str]) -> str:
        digest = hashlib.sha256(key.encode("utf-8")).hexdigest()
        now = time.monotonic()
        with self._lock:
            entry = self._entries.get(digest)
            if entry is not None and entry[0] == fingerprint and now - entry[1] < ttl:
                self._entries.move_to_end(digest)
                return entry[2]
        body = build()
        if ttl > 0:
            with self._lock:
                self._entries[digest] = (fingerprint, now, body)
                self._entries.move_to_end(digest)
                while len(self._entries) > BODY_CACHE_ENTRIES:
                    self._entries.popitem(last=False)
        return body


def cached_body(key: str, build: Callable[[], str]) -> str:
    """The body for key from the app's body cache, or built now (CACHE_TTL 0 turns the cache off)."""
    ttl = float(current_app.config.get("CACHE_TTL") or 0)
    if ttl <= 0:
        return build()
    store: BodyCache = current_app.extensions.setdefault("finder.feed_body_cache", BodyCache())
    return store.get_or_build(f"{public_base()}|{key}", data_fingerprint(db.get_session()), ttl, build)


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


def _meeting_guide(meetings: list[Meeting]) -> list[dict]:
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
    def build() -> str:
        return dumps(_meeting_guide(list(db.get_session().scalars(visible_meetings()))))

    return json_response(cached_body("meeting-guide", build))


@bp.get("/feeds/meeting-guide/<int:body_id>.json")
def meeting_guide_for_body(body_id: int) -> Response:
    """The published meetings of one service body and the bodies below it."""
    session = db.get_session()
    if session.get(ServiceBody, body_id) is None:
        abort(404)

    def build() -> str:
        ids = body_and_descendants(session, body_id)
        if len(ids) <= IN_LIST_MAX:
            query = visible_meetings().where(Meeting.service_body_id.in_(sorted(ids)) | Meeting.group_id.in_(sorted(ids)))
            meetings = list(session.scalars(query))
        else:  # a zone with thousands of groups: past the databases' parameter limits, filter here
            meetings = [m for m in session.scalars(visible_meetings())
                        if m.service_body_id in ids or m.group_id in ids]
        return dumps(_meeting_guide(meetings))

    return json_response(cached_body(f"meeting-guide/{body_id}", build))


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
