"""Calendar routes: .ics downloads and subscribable feeds (one meeting, a search, a service body, a group, a personal
list) and the personal list page."""
from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, Response, abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext
from sqlalchemy import and_
from sqlalchemy.orm import Session

from finder import db, geocode, printing, search
from finder.calendars.feed_cache import CachedFeed, DataVersion, cached_feed
from finder.calendars.feeds import (
    MAX_FEED_MEETINGS, FeedError, body_meetings, feed_args, feed_condition, feed_loader, feed_meetings, listed_meetings,
    query_for_feed, search_feed_name,
)
from finder.calendars.lists import decode_list, encode_list, meeting_ids_from
from finder.calendars.urls import calendar_actions, calendar_list_url, feed_url, search_feed_url
from finder.core import ical
from finder.meetings import bodies, visibility
from finder.models import Meeting, ServiceBody
from finder.web.filters import weekday_name

bp = Blueprint("calendars", __name__)


def ics_response(entry: CachedFeed, filename: str | None = None) -> Response:
    """text/calendar with a strong ETag and Last-Modified, answering If-None-Match / If-Modified-Since with 304."""
    response = Response(entry.body, status=200, content_type=ical.CONTENT_TYPE)
    response.set_etag(entry.etag)
    if entry.last_modified is not None:
        response.last_modified = entry.last_modified
    # no-transform: proxies must not recompress or rewrite; clients compare bytes and some mishandle gzip.
    response.headers["Cache-Control"] = "public, max-age=300, no-transform"
    if filename:
        safe = "".join(c for c in filename if c.isalnum() or c in "-_.") or "calendar.ics"
        response.headers["Content-Disposition"] = f'attachment; filename="{safe}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response.make_conditional(request)



def bad_request(error: FeedError) -> Response:
    """400 naming the parameter, as plain text (calendar apps show it, if anything)."""
    message = f"Bad calendar request: {error.field}: {error.message}\n"
    return Response(message, status=400, content_type="text/plain; charset=utf-8")



# --- views ----------------------------------------------------------------------------------------------------


@bp.get("/meetings/<slug>.ics")
def meeting_ics(slug: str) -> Response:
    """One meeting as a calendar (download, or subscribe to follow its changes)."""

    def build(session: Session, now: dt.datetime, version: DataVersion) -> tuple[list[Any], ical.FeedInfo]:
        found = feed_meetings(session, and_(Meeting.slug == slug, visibility.public()))
        if not found:
            abort(404)
        info = ical.FeedInfo(name=found[0].name, url=feed_url("calendars.meeting_ics", slug=slug))
        return found, info

    return ics_response(cached_feed(("meeting", slug), build), filename=f"{slug}.ics")


@bp.get("/calendars/body/<int:body_id>.ics")
def body_ics(body_id: int) -> Response:
    """Every meeting of a service body (area, region, zone) and of the bodies and groups under it."""

    def build(session: Session, now: dt.datetime, version: DataVersion) -> tuple[list[Any], ical.FeedInfo]:
        body = session.get(ServiceBody, body_id)
        if body is None:
            abort(404)
        meetings = body_meetings(session, bodies.subtree_ids(session, [body_id]), now)
        info = ical.FeedInfo(
            name=gettext("%(name)s: meetings", name=body.name),
            url=feed_url("calendars.body_ics", body_id=body_id),
            description=gettext("All meetings of %(name)s and the groups and bodies it serves.", name=body.name),
        )
        return meetings, info

    response = ics_response(cached_feed(("body", str(body_id)), build))
    response.headers["Link"] = printing.link_header(body_id)
    return response


@bp.get("/calendars/group/<int:group_id>.ics")
def group_ics(group_id: int) -> Response:
    """Every meeting of one group."""

    def build(session: Session, now: dt.datetime, version: DataVersion) -> tuple[list[Any], ical.FeedInfo]:
        group = session.get(ServiceBody, group_id)
        if group is None or group.kind != "group":
            abort(404)
        info = ical.FeedInfo(
            name=gettext("%(name)s: meetings", name=group.name), url=feed_url("calendars.group_ics", group_id=group_id)
        )
        return body_meetings(session, {group_id}, now), info

    return ics_response(cached_feed(("group", str(group_id)), build))


@bp.get("/calendars/list/<code>.ics")
def list_ics(code: str) -> Response:
    """A personal list of meetings; the code in the URL is the whole list."""
    try:
        ids = decode_list(code)
    except FeedError as error:
        return bad_request(error)
    canonical = encode_list(ids)

    def build(session: Session, now: dt.datetime, version: DataVersion) -> tuple[list[Any], ical.FeedInfo]:
        info = ical.FeedInfo(
            name=gettext("My meetings (%(site)s)", site=current_app.config["SITE_NAME"]),
            url=feed_url("calendars.list_ics", code=canonical),
        )
        return feed_meetings(session, and_(feed_condition(now), Meeting.id.in_(ids))), info

    return ics_response(cached_feed(("list", canonical), build))


@bp.get("/calendars/search.ics")
def search_ics() -> Response:
    """The meetings a search finds, with the same parameters (and the same search function) as the search page."""
    args = feed_args(request.args)
    try:
        query = search.query_from_args(args, geocode.get_geocoder(current_app))
        query = query_for_feed(query)
    except search.SearchError as error:
        return bad_request(FeedError(error.field, error.message))
    except FeedError as error:
        return bad_request(error)
    parts = tuple(f"{k}={v}" for k, v in sorted(args.items(multi=True)))

    def build(session: Session, now: dt.datetime, version: DataVersion) -> tuple[list[Any], ical.FeedInfo]:
        try:
            # The hits bring their meetings as the feed needs them (times, formats, exceptions), read once.
            results = search.find_nearby(session, query, now, load_meetings=feed_loader(query, version.site, session))
        except search.SearchError as error:
            raise FeedError(error.field, error.message) from None
        meetings = [hit.meeting for hit in results.meetings][:MAX_FEED_MEETINGS]  # the nearest, when too many
        info = ical.FeedInfo(
            name=search_feed_name(args, current_app.config["SITE_NAME"], weekday_name),
            url=search_feed_url(args),
            description=gettext("Meetings found by a search; the calendar follows them as they change."),
        )
        return meetings, info

    return ics_response(cached_feed(("search", *parts), build))



@bp.get("/calendars/list")
def list_edit() -> Any:
    """Build or change a personal list: `code` (the list so far), `add` / `remove` (ids, slugs or links)."""
    session = db.get_session()
    try:
        current = set(decode_list(request.args["code"])) if request.args.get("code") else set()
    except FeedError as error:
        return render_template("calendars/list.html", error=error.message, meetings=[], code=None), 400
    current |= meeting_ids_from(request.args.getlist("add"), session)
    current -= meeting_ids_from(request.args.getlist("remove"), session)
    if not current:
        return render_template("calendars/list.html", error=None, meetings=[], code=None)
    try:
        code = encode_list(current)
    except FeedError as error:
        return render_template("calendars/list.html", error=error.message, meetings=[], code=None), 400
    return redirect(url_for("calendars.list_page", code=code), code=303)


@bp.get("/calendars/list/<code>")
def list_page(code: str) -> Any:
    """The meetings of a personal list, with the ways to put them in a calendar app."""
    try:
        ids = decode_list(code)
    except FeedError as error:
        return render_template("calendars/list.html", error=error.message, meetings=[], code=None), 400
    meetings = listed_meetings(db.get_session(), ids, dt.datetime.now(dt.timezone.utc))
    return render_template("calendars/list.html", error=None, meetings=meetings, code=encode_list(ids))


@bp.app_errorhandler(FeedError)
def _feed_error(error: FeedError) -> Response:
    return bad_request(error)



@bp.app_context_processor
def _calendar_helpers() -> dict[str, Any]:
    return {"calendar_actions": calendar_actions, "calendar_list_url": calendar_list_url}
