"""Calendar routes: .ics downloads and subscribable feeds (one meeting, a search, a service body, a group, a personal
list), the pages offering them, and the personal list's pages (blueprint `my_calendar`)."""
from __future__ import annotations

import datetime as dt
import re
from typing import Any

from flask import Blueprint, Response, abort, current_app, make_response, redirect, render_template, request, url_for
from flask_babel import gettext
from sqlalchemy import and_, select
from sqlalchemy.orm import Session, selectinload
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response as BaseResponse

from finder import db, geocode, printing, search
from finder.calendars import personal
from finder.calendars.feed_cache import CachedFeed, DataVersion, cached_feed
from finder.calendars.feeds import (
    MAX_FEED_MEETINGS, FeedError, body_meetings, canonical_feed_args, feed_args, feed_condition, feed_loader,
    feed_meetings, listed_meetings, query_for_feed, search_feed_name,
)
from finder.calendars.lists import decode_list, encode_list, meeting_ids_from
from finder.calendars.urls import (
    body_names, calendar_choices, feed_url, search_feed_url,
)
from finder.core import ical, subscribe
from finder.clock import utcnow
from finder.web.urls import absolute, absolute_url
from finder.meetings import bodies, visibility
from finder.models import CalendarList, Meeting, ServiceBody
from finder.web.filters import weekday_name

bp = Blueprint("calendars", __name__)
my_bp = Blueprint("my_calendar", __name__)


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
    response.make_conditional(request)  # in place: it returns the response as werkzeug's type
    return response


def bad_request(error: FeedError) -> Response:
    """400 naming the parameter, as plain text (calendar apps show it, if anything)."""
    message = f"Bad calendar request: {error.field}: {error.message}\n"
    return Response(message, status=400, content_type="text/plain; charset=utf-8")


def feed_alarm() -> int | None:
    """The reminder a feed URL asks for (`alarm`, minutes before each meeting). Raises FeedError (-> 400)."""
    try:
        return subscribe.parse_alarm(request.args.get(subscribe.ALARM_PARAMETER))
    except subscribe.AlarmError as error:
        raise FeedError(subscribe.ALARM_PARAMETER, str(error)) from None


# --- feeds ----------------------------------------------------------------------------------------------------


@bp.get("/meetings/<slug>.ics")
def meeting_ics(slug: str) -> Response:
    """One meeting as a calendar (download, or subscribe to follow its changes)."""
    alarm = feed_alarm()

    def build(session: Session, now: dt.datetime, version: DataVersion) -> tuple[list[Any], ical.FeedInfo]:
        found = feed_meetings(session, and_(Meeting.slug == slug, visibility.public()))
        if not found:
            abort(404)
        info = ical.FeedInfo(name=found[0].name, url=feed_url("calendars.meeting_ics", slug=slug),
                             description=f"One NA meeting, from {current_app.config['SITE_NAME']}.")
        return found, info

    return ics_response(cached_feed(("meeting", slug), build, alarm=alarm), filename=f"{slug}.ics")


def _body_info(body: ServiceBody) -> ical.FeedInfo:
    name = gettext("%(name)s: meetings", name=body.name)
    if body.kind == "group":
        return ical.FeedInfo(name=name, url=feed_url("calendars.group_ics", group_id=body.id),
                             description=gettext("Every meeting of %(name)s.", name=body.name))
    return ical.FeedInfo(name=name, url=feed_url("calendars.body_ics", body_id=body.id),
                         description=gettext("All meetings of %(name)s and the groups and bodies it serves.",
                                             name=body.name))


@bp.get("/calendars/body/<int:body_id>.ics")
def body_ics(body_id: int) -> Response:
    """Every meeting of a service body (area, region, zone) and of the bodies and groups under it."""
    alarm = feed_alarm()

    def build(session: Session, now: dt.datetime, version: DataVersion) -> tuple[list[Any], ical.FeedInfo]:
        body = session.get(ServiceBody, body_id)
        if body is None or body.kind == "group":
            abort(404)
        return body_meetings(session, bodies.subtree_ids(session, [body_id]), now), _body_info(body)

    response = ics_response(cached_feed(("body", str(body_id)), build, alarm=alarm))
    response.headers["Link"] = printing.link_header(body_id)
    return response


@bp.get("/calendars/group/<int:group_id>.ics")
def group_ics(group_id: int) -> Response:
    """Every meeting of one group."""
    alarm = feed_alarm()

    def build(session: Session, now: dt.datetime, version: DataVersion) -> tuple[list[Any], ical.FeedInfo]:
        group = session.get(ServiceBody, group_id)
        if group is None or group.kind != "group":
            abort(404)
        return body_meetings(session, {group_id}, now), _body_info(group)

    return ics_response(cached_feed(("group", str(group_id)), build, alarm=alarm))


@bp.get("/calendars/list/<code>.ics")
def list_ics(code: str) -> Response:
    """A code-in-the-URL list of meetings (the code is the whole list); kept working for existing subscribers."""
    alarm = feed_alarm()
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

    return ics_response(cached_feed(("list", canonical), build, alarm=alarm))


@bp.get("/calendars/search.ics")
def search_ics() -> Response:
    """The meetings a search finds, with the same parameters (and the same search function) as the search page.

    Equal searches share one feed: the parameters are read in their canonical spelling (feeds.canonical_feed_args),
    which is also the URL the pages offer and the cache key."""
    alarm = feed_alarm()
    pairs = canonical_feed_args(feed_args(request.args).items(multi=True))
    args = MultiDict(pairs)
    try:
        query = query_for_feed(search.query_from_args(args, geocode.get_geocoder(current_app)))
    except search.SearchError as error:
        return bad_request(FeedError(error.field, error.message))

    def build(session: Session, now: dt.datetime, version: DataVersion) -> tuple[list[Any], ical.FeedInfo]:
        try:
            # The hits bring their meetings as the feed needs them (times, formats, exceptions), read once.
            results = search.find_nearby(session, query, now, load_meetings=feed_loader(query, version.site, session))
        except search.SearchError as error:
            raise FeedError(error.field, error.message) from None
        meetings = [hit.meeting for hit in results.meetings][:MAX_FEED_MEETINGS]  # the nearest, when too many
        names = body_names([*query.service_body_ids, *query.group_ids])
        info = ical.FeedInfo(
            name=search_feed_name(query, args.get("q"), names, args.get("unit") or "mi",
                                  current_app.config["SITE_NAME"], weekday_name),
            url=search_feed_url(pairs),
            description=gettext("Meetings found by a search; the calendar follows them as they change."),
        )
        return meetings, info

    return ics_response(cached_feed(("search", *(f"{k}={v}" for k, v in pairs)), build, alarm=alarm))


# --- pages offering a body's or a group's feed ------------------------------------------------------------------


def _feed_page(body: ServiceBody, feed: str, meetings: list[Meeting]) -> str:
    info = _body_info(body)
    choices = calendar_choices(feed, name=info.name, title=gettext("Put the meetings of %(name)s in your calendar",
                                                                   name=body.name),
                               what=gettext("these meetings"), filename=f"{body.kind}-{body.id}.ics")
    if body.kind == "group":
        description = gettext("Every meeting of %(name)s.", name=body.name)
    else:
        description = gettext("All meetings of %(name)s and the groups and bodies it serves.", name=body.name)
    return render_template("calendars/feed.html", heading=gettext("%(name)s: meetings calendar", name=body.name),
                           description=description, choices=choices, meetings=meetings)


@bp.get("/calendars/body/<int:body_id>")
def body_page(body_id: int) -> str:
    """The two ways to put a service body's meetings in a calendar."""
    body = db.get_session().get(ServiceBody, body_id)
    if body is None or body.kind == "group":
        abort(404)
    return _feed_page(body, feed_url("calendars.body_ics", body_id=body_id), [])


@bp.get("/calendars/group/<int:group_id>")
def group_page(group_id: int) -> str:
    """The two ways to put a group's meetings in a calendar, and its meetings."""
    session = db.get_session()
    group = session.get(ServiceBody, group_id)
    if group is None or group.kind != "group":
        abort(404)
    meetings = list(session.scalars(
        select(Meeting).where(visibility.listed(), Meeting.group_id == group_id)
        .options(selectinload(Meeting.times)).order_by(Meeting.name, Meeting.id)
    ))
    return _feed_page(group, feed_url("calendars.group_ics", group_id=group_id), meetings)


# --- code-in-the-URL lists (before lasting lists): still answered, and turned into a lasting list in one step -------


@bp.get("/calendars/list")
def list_edit() -> Any:
    """Old links: `add` goes to "Add to my calendar"; `code` to that list's page (which offers to make it lasting)."""
    session = db.get_session()
    if request.args.get("code"):
        try:
            return redirect(url_for("calendars.list_page", code=encode_list(decode_list(request.args["code"]))), 303)
        except FeedError as error:
            return render_template("calendars/list.html", error=error.message, meetings=[], code=None), 400
    added = sorted(meeting_ids_from(request.args.getlist("add"), session))
    if added:
        return redirect(url_for("my_calendar.add", meeting_id=added[0]), code=303)
    return redirect(url_for("main.home"), code=303)


@bp.get("/calendars/list/<code>")
def list_page(code: str) -> Any:
    """The meetings of a code-in-the-URL list, its feed, and "make it a lasting list"."""
    try:
        ids = decode_list(code)
    except FeedError as error:
        return render_template("calendars/list.html", error=error.message, meetings=[], code=None), 400
    canonical = encode_list(ids)
    meetings = listed_meetings(db.get_session(), ids, utcnow())
    choices = calendar_choices(feed_url("calendars.list_ics", code=canonical), name=personal.FEED_NAME,
                               title=gettext("Put these meetings in your calendar"), what=gettext("this list"),
                               filename="my-meetings.ics")
    return render_template("calendars/list.html", error=None, meetings=meetings, code=canonical, choices=choices)


@bp.app_errorhandler(FeedError)
def _feed_error(error: FeedError) -> Response:
    return bad_request(error)


# --- personal lists: one lasting address, an edit key, remembered in this browser ---------------------------------

COOKIE = "finder_calendar"
COOKIE_PATH = "/calendars"  # sent to the calendar pages only, never with searches or meeting pages
COOKIE_DAYS = 400  # the longest browsers keep a cookie
_MEETING_ID = re.compile(r"^[0-9]{1,9}$")  # not \d, which also matches other scripts' digits


def remembered() -> tuple[str, str] | None:
    """(public id, edit key) of the list this browser remembers, from its cookie."""
    value = request.cookies.get(COOKIE, "")
    public_id, _, secret = value.partition(".")
    return (public_id, secret) if public_id and secret and len(value) <= 128 else None


def remember(response: BaseResponse, public_id: str, secret: str) -> BaseResponse:
    """Remember a list in this browser: a first-party cookie holding its address and edit key, nothing else."""
    response.set_cookie(COOKIE, f"{public_id}.{secret}", max_age=COOKIE_DAYS * 86400, path=COOKIE_PATH,
                        secure=request.is_secure, httponly=True, samesite="Lax")
    return response


def key_for(public_id: str, sent: str | None) -> str | None:
    """The edit key of a request: sent with it, else the one this browser remembers for that list."""
    if sent:
        return sent
    held = remembered()
    return held[1] if held and held[0] == public_id else None


def remembered_list(session: Session, now: dt.datetime) -> tuple[CalendarList, str] | None:
    """The remembered list and its key, while it exists and the key fits (else None: a new list starts)."""
    held = remembered()
    if held is None:
        return None
    try:
        return personal.open_for_edit(session, held[0], held[1], now, lock=request.method == "POST"), held[1]
    except personal.ListError:
        return None


@my_bp.errorhandler(personal.ListError)
def problem(error: personal.ListError, back: str | None = None) -> Response:
    """The page for a list request that cannot be done, with its status; nothing was changed."""
    headings = {404: gettext("Calendar not found"), 410: gettext("This calendar has expired"),
                403: gettext("Edit link not valid")}
    page = render_template("calendars/problem.html", heading=headings.get(error.status, gettext("That did not work")),
                           message=error.message, back=back)
    return private(make_response(page, error.status))


def private(response: Any) -> Response:
    """A page that holds an edit key is never kept by a browser or a proxy."""
    response = make_response(response)
    response.headers["Cache-Control"] = "no-store"
    return response


def edit_url(public_id: str, secret: str, **extra: Any) -> str:
    """The list's private edit link (the key rides in the query, which the request log never records)."""
    return url_for("my_calendar.edit", public_id=public_id, key=secret, **extra)


def list_choices(row: CalendarList, warn_on: dt.date | None) -> Any:
    return calendar_choices(feed_url("my_calendar.feed", public_id=row.public_id), name=personal.feed_name(warn_on),
                            title=gettext("Put these meetings in your calendar"), what=gettext("your list"),
                            filename="my-na-meetings.ics", html_id="my-calendar")


@my_bp.get("/calendars/my/<public_id>.ics")
def feed(public_id: str) -> Response:
    """A personal list's feed, at the address that never changes; `alarm` adds a reminder N minutes before."""
    alarm = feed_alarm()
    now = utcnow()
    try:
        row = personal.find_list(db.get_session(), public_id, now)
    except personal.ListError as error:
        return Response(error.message + "\n", status=error.status, content_type="text/plain; charset=utf-8")
    warn_on = personal.expiry_warning(row, now)
    page = absolute_url("my_calendar.page", public_id=public_id)

    def build(session: Session, now: dt.datetime, version: DataVersion) -> tuple[list[Any], ical.FeedInfo]:
        info = ical.FeedInfo(
            name=personal.feed_name(warn_on), url=feed_url("my_calendar.feed", public_id=public_id),
            description=f"NA meetings chosen on {current_app.config['SITE_NAME']}. The list is kept for a year after "
                        f"it was last opened with its edit link; to keep it, open {page} and press Keep.",
        )
        return feed_meetings(session, and_(feed_condition(now), personal.holds(row))), info

    # Editing a list is not a change to the site's data: the list's own change time keys its cached feed.
    key = ("my", public_id, row.changed_at.isoformat(), warn_on.isoformat() if warn_on else "")
    return ics_response(cached_feed(key, build, alarm=alarm, changed_at=row.changed_at))


@my_bp.get("/calendars/my/<public_id>")
def page(public_id: str) -> Any:
    """A list's public page: its meetings and the ways to subscribe (changing it takes the edit link)."""
    now = utcnow()
    session = db.get_session()
    row = personal.find_list(session, public_id, now)
    warn_on = personal.expiry_warning(row, now)
    return render_template(
        "calendars/my_list.html", row=row, editing=False, meetings=personal.list_meetings(session, row, now),
        choices=list_choices(row, warn_on), warn_on=warn_on, expires=personal.expires_at(row).date(), error=None,
        done=gettext("Kept: this calendar now lasts another year.") if request.args.get("kept") else None,
    )


def find_meetings(session: Session, text: str, now: dt.datetime) -> list[Any]:
    """Meetings whose name or place (venue, street, town, ZIP code) holds `text`, through the one search."""
    query = search.query_from_args({"text": text, "per_page": "20"}, geocode.get_geocoder(current_app))
    return [hit.meeting for hit in search.find_nearby(session, query, now).meetings]


def done_message(session: Session) -> str | None:
    """What the last change did, from the redirect's query (`added`, `removed` or `started` with a meeting id)."""
    words = {"added": gettext("Added \u201c%(name)s\u201d."), "removed": gettext("Removed \u201c%(name)s\u201d."),
             "started": gettext("Your list is ready with \u201c%(name)s\u201d.")}
    for action, message in words.items():
        value = request.args.get(action, "")
        if _MEETING_ID.match(value):
            name = personal.meeting_name(session, int(value))
            if name:
                return message % {"name": name}
    return None


@my_bp.get("/calendars/my/<public_id>/edit")
def edit(public_id: str) -> Any:
    """The edit page: the list, one-tap remove, a finder to add more; opening it keeps the list alive."""
    now = utcnow()
    session = db.get_session(primary=True)  # opening it records the use
    secret = key_for(public_id, request.args.get("key"))
    row = personal.open_for_edit(session, public_id, secret, now)
    session.commit()
    assert secret is not None  # open_for_edit refuses a missing key
    meetings = personal.list_meetings(session, row, now)
    find = " ".join(request.args.get("find", "").split())[:100]
    found, find_error = None, None
    if find:
        try:
            found = find_meetings(session, find, now)
        except search.SearchError as error:
            find_error = error.message
    return private(render_template(
        "calendars/my_list.html", row=row, editing=True, key=secret, meetings=meetings,
        held={m.id for m in meetings}, find=find, found=found, find_error=find_error,
        choices=list_choices(row, None), warn_on=None, error=None, done=done_message(session),
        edit_action=url_for("my_calendar.change", public_id=public_id),
        edit_link=absolute(edit_url(public_id, secret)), remembered=remembered() == (public_id, secret),
    ))


def meeting_id_in(form: Any, name: str) -> int | None:
    """A meeting id from a form field; None when absent. Raises NotListable for anything but a plain number."""
    value = (form.get(name) or "").strip()
    if not value:
        return None
    if not _MEETING_ID.match(value):
        raise personal.NotListable(gettext("That is not a meeting number, so nothing was added or removed."))
    return int(value)


@my_bp.post("/calendars/my/<public_id>/edit")
def change(public_id: str) -> Any:
    """Add or remove one meeting (one tap), then back to the edit page; nothing changes when it cannot be done."""
    now = utcnow()
    session = db.get_session()
    secret = key_for(public_id, request.form.get("key"))
    try:
        row = personal.open_for_edit(session, public_id, secret, now, lock=True)
        done = personal.change_list(session, row, add=meeting_id_in(request.form, "add"),
                                    remove=meeting_id_in(request.form, "remove"), now=now)
    except personal.ListError as error:
        session.rollback()
        opened = secret and not personal.refused_opening(error)  # then the edit page is the way back
        return problem(error, edit_url(public_id, secret) if opened and secret else None)
    session.commit()
    assert secret is not None  # open_for_edit refuses a missing key
    return redirect(edit_url(public_id, secret, **done), code=303)


@my_bp.get("/calendars/add/<int:meeting_id>")
def add(meeting_id: int) -> Any:
    """Confirm "Add to my calendar": which list it goes to (this browser's, or a new one) before anything is kept."""
    now = utcnow()
    session = db.get_session(primary=True)  # opening the remembered list records the use
    meeting = personal.listable_meeting(session, meeting_id)
    found = remembered_list(session, now)
    session.commit()
    row, secret = found if found else (None, None)
    return private(render_template(
        "calendars/add.html", meeting=meeting, row=row,
        count=len(personal.meeting_ids(session, row)) if row is not None else 0,
        edit_link=edit_url(row.public_id, secret) if row is not None and secret else None,
    ))


@my_bp.post("/calendars/add/<int:meeting_id>")
def add_now(meeting_id: int) -> Any:
    """Add to this browser's list, or start one (and remember it here), then show the list."""
    now = utcnow()
    session = db.get_session()
    found = remembered_list(session, now)
    try:
        row, secret, done = personal.add_or_start(session, found, meeting_id, now)
    except personal.ListError as error:
        session.rollback()
        return problem(error, edit_url(found[0].public_id, found[1]) if found else None)
    session.commit()
    response = redirect(edit_url(row.public_id, secret, **{done: meeting_id}), code=303)
    return remember(response, row.public_id, secret) if done == "started" else response


@my_bp.post("/calendars/my/<public_id>/keep")
def keep(public_id: str) -> Any:
    """Keep a list another year. Anyone with its address may: keeping changes nothing in it."""
    now = utcnow()
    session = db.get_session()
    personal.keep(personal.find_list(session, public_id, now), now)
    session.commit()
    return redirect(url_for("my_calendar.page", public_id=public_id, kept=1), code=303)


@my_bp.post("/calendars/my/<public_id>/remember", endpoint="remember")
def remember_here(public_id: str) -> Any:
    """Remember this list in this browser, so "Add to my calendar" adds to it."""
    now = utcnow()
    session = db.get_session()
    secret = request.form.get("key") or ""
    personal.open_for_edit(session, public_id, secret, now)
    session.commit()
    return remember(redirect(edit_url(public_id, secret), code=303), public_id, secret)


@my_bp.post("/calendars/my/<public_id>/forget")
def forget(public_id: str) -> Any:
    """Forget the remembered list in this browser (the list itself stays at its addresses)."""
    response = redirect(url_for("my_calendar.page", public_id=public_id), code=303)
    response.delete_cookie(COOKIE, path=COOKIE_PATH, secure=request.is_secure, httponly=True, samesite="Lax")
    return response


@my_bp.post("/calendars/list/<code>/keep")
def convert(code: str) -> Any:
    """Turn a code-in-the-URL list into a lasting list in one step (its old address keeps working too)."""
    now = utcnow()
    session = db.get_session()
    try:
        made = personal.create_list(session, decode_list(code), now)
    except FeedError as error:
        return problem(personal.ListNotFound(gettext("This list's link is not valid: %(why)s.", why=error.message)))
    session.commit()
    response = redirect(edit_url(made.row.public_id, made.secret), code=303)
    return remember(response, made.row.public_id, made.secret)
