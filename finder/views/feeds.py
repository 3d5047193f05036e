"""Meeting Guide feeds (all meetings, one per service body) and our published NA -> Meeting Guide code table."""
from __future__ import annotations

import orjson
from typing import Any

from flask import Blueprint, Response, abort, current_app, render_template, request, url_for
from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload

from finder import bodies, db, feeds
from finder.plain import feed_meetings
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


def dumps(payload: object) -> str:
    """Compact UTF-8 JSON, as the standard library would write it (orjson: a 100k-meeting feed or a page of
    search results is encoded several times faster)."""
    return orjson.dumps(payload, option=orjson.OPT_NON_STR_KEYS).decode()


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
