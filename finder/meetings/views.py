"""The home page, the meeting page, a service body's page, the about page, error pages and the health check."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from finder import cache, db
from finder.core.print_options import PrintOptions
from finder.geocode import get_geocoder
from finder.learn import content
from finder.clock import utcnow
from finder.core.freshness import freshness_note
from finder.geocode import country_of_zone
from finder.migrate import schema_status
from finder.models import ServiceBody
from finder.meetings import bodies, detail, visibility
from finder.printing import service as printing
from finder.printing import words as print_words
from finder.search import page as results_page
from finder.web.responses import found_or_404
from finder.web.urls import public_base

bp = Blueprint("main", __name__)


@bp.get("/")
def home() -> str:
    return render_template("main/home.html")


@bp.get("/about")
def about() -> str:
    return render_template("about.html")


@bp.get("/meetings/<slug>")
def meeting(slug: str) -> str:
    session = db.get_session()
    found = found_or_404(visibility.public_meeting(session, slug, *detail.load_options()))
    now = utcnow()
    shown = detail.meeting_page(session, found, now)
    return render_template(
        "meetings/detail.html",
        meeting=found,
        now=now,
        upcoming=shown.upcoming,
        notices=shown.notices,
        others=shown.others,
        links=[*content.links_for_meeting(found), *content.ALWAYS_LINKS],
        # The browser's zone comes with links from the results (the page script adds it): times on its clock too.
        viewer_tz=results_page.viewer_zone(request.args.get("tz", "")[:64], results_page.NOWHERE),
        crisis_country=found.place.country or country_of_zone(found.place.timezone),
        freshness=freshness_note(found, now, current_app.config["STALE_AFTER_DAYS"]),
    )


@bp.get("/bodies/<int:body_id>")
def body(body_id: int) -> str:
    """A service body: who it is, its helpline, the bodies below it, its meetings by day (the printed list's
    entries, which its QR code leads to), and its printed list, calendar and feed."""
    session = db.get_session()
    found = found_or_404(session.get(ServiceBody, body_id))
    children = bodies.children(session, body_id)
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
        # The printed list's words, in the page's language: section titles, day or city headings, notices.
        list_words=print_words.text(), **print_words.template_helpers(),
    )


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
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
