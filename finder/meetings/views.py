"""The home page, the meeting page, a service body's page, the about page, error pages and the health check."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask import Blueprint, abort, current_app, jsonify, render_template, request, url_for
from sqlalchemy import or_, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import selectinload

from finder import cache, db
from finder.core.print_options import PrintOptions
from finder.geocode import get_geocoder
from finder.learn import content
from finder.core import schedule
from finder.clock import utcnow
from finder.core.freshness import freshness_note
from finder.geocode import country_of_zone
from finder.migrate import schema_status
from finder.models import Meeting, ScheduleException, ServiceBody
from finder.meetings import visibility
from finder.printing import service as printing
from finder.search import page as results_page
from finder.web.urls import public_base

bp = Blueprint("main", __name__)

# How far ahead a cancellation or closure is announced at the top of a meeting's page.
NOTICE_DAYS = 7


@bp.get("/")
def home() -> str:
    return render_template("main/home.html")


@bp.get("/about")
def about() -> str:
    return render_template("about.html")


@dataclass(frozen=True)
class Notice:
    """A dated exception worth announcing: 'Not meeting on Thursday, Dec 24 (Christmas Eve)'."""

    kind: str
    first: dt.date
    last: dt.date
    reason: str


def upcoming_notices(exceptions: list[ScheduleException], today: dt.date) -> list[Notice]:
    """Cancellations and closures that touch the next NOTICE_DAYS days (today in the meeting's zone)."""
    horizon = today + dt.timedelta(days=NOTICE_DAYS)
    notices = []
    for first, last in schedule.skipped_ranges(exceptions):
        if first <= horizon and last >= today:
            source = next(e for e in exceptions if e.start_date == first)
            notices.append(Notice(source.kind, first, last, source.reason))
    return notices


def _meeting_options():  # type: ignore[no-untyped-def]
    return (
        selectinload(Meeting.times), selectinload(Meeting.formats), selectinload(Meeting.place),
        selectinload(Meeting.exceptions), selectinload(Meeting.group), selectinload(Meeting.service_body),
    )


@bp.get("/meetings/<slug>")
def meeting(slug: str) -> str:
    session = db.get_session()
    found = visibility.public_meeting(session, slug, *_meeting_options())
    if found is None:
        abort(404)
    now = utcnow()
    zone = found.place.timezone
    upcoming = [] if not visibility.still_meets(found) else schedule.next_occurrences(
        found.times, zone, now, found.exceptions, n=3
    )
    today = now.astimezone(schedule.zone_of(zone)).date()
    nearby = [Meeting.place_id == found.place_id]
    if found.group_id is not None:
        nearby.append(Meeting.group_id == found.group_id)
    others = session.scalars(
        select(Meeting)
        .where(or_(*nearby), Meeting.id != found.id, visibility.listed())
        .options(selectinload(Meeting.times), selectinload(Meeting.place))
        .order_by(Meeting.name)
        .limit(12)
    ).all()
    return render_template(
        "meetings/detail.html",
        meeting=found,
        now=now,
        upcoming=upcoming,
        notices=upcoming_notices(list(found.exceptions), today),
        others=others,
        links=[*content.links_for_meeting(found), *content.ALWAYS_LINKS],
        # The browser's zone comes with links from the results (the page script adds it): times on its clock too.
        viewer_tz=results_page.viewer_zone(request.args.get("tz", "")[:64], results_page.NOWHERE),
        crisis_country=found.place.country or country_of_zone(zone),
        freshness=freshness_note(found, now, current_app.config["STALE_AFTER_DAYS"]),
    )


@bp.get("/bodies/<int:body_id>")
def body(body_id: int) -> str:
    """A service body: who it is, its helpline, the bodies below it, its meetings by day (the printed list's
    entries, which its QR code leads to), and its printed list, calendar and feed."""
    session = db.get_session()
    found = session.get(ServiceBody, body_id)
    if found is None:
        abort(404)
    children = session.scalars(select(ServiceBody).where(ServiceBody.parent_id == body_id)
                               .order_by(ServiceBody.name)).all()
    version = current_app.extensions["finder.data_version_memo"].get(lambda: cache.data_version(session))
    prepared, too_long = None, None
    try:
        prepared = printing.prepare(
            session, [("body", str(body_id))], PrintOptions(), utcnow(), geocoder=get_geocoder(current_app),
            base_url=public_base(), version=version,
            limit=current_app.config.get("PRINT_MAX_MEETINGS") or printing.MAX_MEETINGS,
        )
    except printing.ListTooLong as error:
        too_long = error.message
    return render_template(
        "meetings/body.html", body=found, children=children, prepared=prepared, too_long=too_long,
        print_url=url_for("printing.options_page", body=body_id),
        feed_url=url_for("feeds.meeting_guide_for_body", body_id=body_id),
        calendar_url=url_for("calendars.body_ics", body_id=body_id),
    )


@bp.get("/healthz")
def healthz():  # type: ignore[no-untyped-def]
    """200 when the database answers and its schema is current, 503 otherwise."""
    engine = db.engine_for(current_app)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        schema = schema_status(engine)
    except SQLAlchemyError:
        return jsonify(status="unavailable", database="unreachable"), 503
    if schema != "current":
        return jsonify(status="unavailable", database="reachable", schema=schema), 503
    return jsonify(status="ok", database="ok", schema=schema)
