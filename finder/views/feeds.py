"""Meeting Guide feeds (all meetings, one per service body) and our published NA -> Meeting Guide code table."""
from __future__ import annotations

import json

from flask import Blueprint, Response, abort, current_app, render_template, request, url_for
from sqlalchemy import Select, select
from sqlalchemy.orm import Session, selectinload

from finder import db, feeds
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


def json_response(payload: object, *, status: int = 200, cors: bool = True, max_age: int = FEED_MAX_AGE_SECONDS,
                  mimetype: str = "application/json") -> Response:
    """A JSON response with CORS for any origin, an ETag and a 304 answer to a matching If-None-Match."""
    body = payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
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
    meetings = list(db.get_session().scalars(visible_meetings()))
    return json_response(_meeting_guide(meetings))


@bp.get("/feeds/meeting-guide/<int:body_id>.json")
def meeting_guide_for_body(body_id: int) -> Response:
    """The published meetings of one service body and the bodies below it."""
    session = db.get_session()
    if session.get(ServiceBody, body_id) is None:
        abort(404)
    ids = body_and_descendants(session, body_id)
    query = visible_meetings().where((Meeting.service_body_id.in_(ids)) | (Meeting.group_id.in_(ids)))
    return json_response(_meeting_guide(list(session.scalars(query))))


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
