"""Meeting Guide feeds (all meetings, one per service body) and our published NA -> Meeting Guide code table."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, current_app, render_template, url_for

from finder import db, printing
from finder.meetings import bodies
from finder.core import meeting_guide as mapping
from finder.search.loader import feed_meetings
from finder.models import ServiceBody
from finder.web import ratelimit
from finder.web.responses import dumps, json_response
from finder.web import i18n
from finder.web.urls import absolute_slug_urls, public_base

bp = Blueprint("feeds", __name__)

def _meeting_guide(meetings: list[Any]) -> list[dict]:
    """The feed: one entry per weekly time; corrections sent from another finder land in our moderation queue."""
    base = public_base()
    entity = current_app.config.get("SITE_NAME", "")
    meeting_url = absolute_slug_urls("main.meeting", **{i18n.PARAM: None})
    feedback_url = absolute_slug_urls("submit.change_meeting", **{i18n.PARAM: None})
    return mapping.feed_entries(
        mapping.meeting_to_meeting_guide(
            meeting, meeting_url=meeting_url(meeting.slug), feedback_url=feedback_url(meeting.slug), entity=entity,
            entity_url=base,
        )
        for meeting in meetings
    )


@bp.get("/feeds/meeting-guide.json")
@ratelimit.bulk
def meeting_guide() -> Response:
    """Every published meeting as a Meeting Guide JSON array."""
    return json_response(dumps(_meeting_guide(feed_meetings(db.get_session()))))


@bp.get("/feeds/meeting-guide/<int:body_id>.json")
@ratelimit.bulk
def meeting_guide_for_body(body_id: int) -> Response:
    """The published meetings of one service body and the bodies below it."""
    session = db.get_session()
    if session.get(ServiceBody, body_id) is None:
        abort(404)
    meetings = feed_meetings(session, bodies.subtree_ids(session, [body_id]))
    response = json_response(dumps(_meeting_guide(meetings)))
    response.headers["Link"] = printing.link_header(body_id)
    return response


@bp.get("/feeds/codes.json")
def code_table_json() -> Response:
    """Our NA -> Meeting Guide type table, for feed readers."""
    return json_response(mapping.code_table_json())


@bp.get("/feeds/codes")
def code_table() -> str:
    """The code table as a page, with the feed addresses."""
    return render_template(
        "feeds/codes.html", rows=mapping.CODE_TABLE,
        feed_url=url_for("feeds.meeting_guide", _external=True),
    )
