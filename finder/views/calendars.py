"""Calendar downloads and subscribable feeds: one meeting, a search, a service body, a group, a personal list.

Every feed is built by finder.ical from the same inputs to the same bytes, so the ETag is a hash of the body and
any worker answers a conditional request the same way. Built feeds are kept briefly in process memory (keyed by
a hash, so no searched place is kept in readable form) to answer 304s without touching the database.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import datetime as dt
import functools
import hashlib
import threading
import time
import urllib.parse
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, abort, current_app, redirect, render_template, request, url_for
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, selectinload
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException

from finder import cache as response_cache
from finder import bodies, content, db, geocode, ical, plain, schedule, search
from finder.models import Meeting, ServiceBody

bp = Blueprint("calendars", __name__)

# An inactive meeting stays in body and group feeds as STATUS:CANCELLED this long, so subscribers see it
# cancelled rather than silently vanish, then it is gone.
CANCELLED_GRACE = dt.timedelta(days=60)
MAX_LIST_MEETINGS = 100
MAX_FEED_MEETINGS = 10_000  # a search feed keeps the nearest this many
FEED_CACHED_NEAREST = 100  # a search feed of at most this many nearest reads them through the meeting cache
CACHE_SECONDS = 300  # a built feed is reused at most this long (catches edits that do not touch meetings)
CHECK_SECONDS = 10  # within this, cached feeds are served without asking the database whether data changed
CACHE_MAX_BYTES = 64 * 1024 * 1024


class FeedError(ValueError):
    """A feed request that cannot be answered: `field` names the parameter, `message` says why (-> 400)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


# --- personal lists: a short code that holds only meeting ids --------------------------------------------------------


def encode_list(meeting_ids: Iterable[int]) -> str:
    """A URL-safe code for a set of meeting ids: sorted, delta- and varint-encoded, base64url without padding.

    The code *is* the list: nothing about the person (or the list) is stored anywhere.
    """
    ids = sorted({int(i) for i in meeting_ids})
    if not ids or ids[0] <= 0:
        raise FeedError("list", "a list needs at least one meeting")
    if len(ids) > MAX_LIST_MEETINGS:
        raise FeedError("list", f"a list holds at most {MAX_LIST_MEETINGS} meetings")
    out = bytearray()
    previous = 0
    for value in ids:
        delta = value - previous
        previous = value
        while True:
            byte = delta & 0x7F
            delta >>= 7
            out.append(byte | (0x80 if delta else 0))
            if not delta:
                break
    return base64.urlsafe_b64encode(bytes(out)).decode("ascii").rstrip("=")


def decode_list(code: str) -> list[int]:
    """The meeting ids a code holds, sorted; raises FeedError for anything that is not a code we made."""
    if not code or len(code) > 4 * MAX_LIST_MEETINGS or not all(c.isalnum() or c in "-_" for c in code):
        raise FeedError("list", "this personal calendar link is not valid (was it copied completely?)")
    try:
        raw = base64.urlsafe_b64decode(code + "=" * (-len(code) % 4))
    except (binascii.Error, ValueError):
        raise FeedError("list", "this personal calendar link is not valid (was it copied completely?)") from None
    ids: list[int] = []
    value = shift = previous = 0
    for byte in raw:
        value |= (byte & 0x7F) << shift
        shift += 7
        if shift > 35:
            raise FeedError("list", "this personal calendar link is not valid")
        if not byte & 0x80:
            if value == 0:  # a zero delta would repeat an id: not a code encode_list makes
                raise FeedError("list", "this personal calendar link is not valid")
            previous += value
            ids.append(previous)
            value = shift = 0
    if shift or not ids or len(ids) > MAX_LIST_MEETINGS:
        raise FeedError("list", "this personal calendar link is not valid")
    return ids


# --- the meetings each feed holds -----------------------------------------------------------------------------


def feed_condition(now: dt.datetime) -> Any:
    """Meetings that belong in a feed: the visible ones, and inactive ones within the grace period."""
    recently_closed = and_(
        Meeting.published.is_(True), Meeting.status == "inactive", Meeting.updated_at >= now - CANCELLED_GRACE
    )
    return or_(search.visible_meetings_clause(), recently_closed)


def feed_meetings(session: Session, condition: Any) -> list[Any]:
    """The meetings matching `condition`, with place, times, formats and exceptions, as plain rows
    (finder.plain): building ORM objects for a 10,000-meeting feed costs more than writing the feed."""
    return plain.meetings_where(session, condition, with_bodies=False, with_exceptions=True, order_by=Meeting.id)


def body_meetings(session: Session, body_ids: set[int], now: dt.datetime) -> list[Any]:
    """Feed meetings served by, or belonging to a group in, any of `body_ids`."""
    in_bodies = or_(Meeting.service_body_id.in_(body_ids), Meeting.group_id.in_(body_ids))
    return feed_meetings(session, and_(feed_condition(now), in_bodies))


def listed_meetings(session: Session, meeting_ids: list[int], now: dt.datetime) -> list[Meeting]:
    """The meetings of a personal list that still exist and are published, as rows for the list page."""
    query = (
        select(Meeting)
        .where(feed_condition(now), Meeting.id.in_(meeting_ids))
        .options(selectinload(Meeting.times))
        .order_by(Meeting.name, Meeting.id)
    )
    return list(session.scalars(query))


@dataclass(frozen=True)
class DataVersion:
    """The site's data version (finder.cache) and when it last moved."""

    site: str
    changed_at: dt.datetime | None


def data_version(session: Session) -> DataVersion:
    """The data version in one row read (not a count of every meeting, which was most of an uncached feed's
    time at 100,000 meetings). It moves on every committed change to meetings, places, formats and
    exceptions made through the app, by anyone, including a meeting leaving a feed."""
    return DataVersion(*response_cache.data_version_and_time(session))


# --- the feed cache -------------------------------------------------------------------------------------------


@dataclass
class CachedFeed:
    version: DataVersion
    built_at: float
    etag: str
    last_modified: dt.datetime | None
    body: bytes


class FeedCache:
    """A small LRU of built feeds, by hashed key; bounded in total bytes. Thread-safe."""

    def __init__(self, max_bytes: int = CACHE_MAX_BYTES) -> None:
        self._entries: OrderedDict[str, CachedFeed] = OrderedDict()
        self._size = 0
        self._max = max_bytes
        self._lock = threading.Lock()
        # The data version for every feed of this process, read at most once per CHECK_SECONDS. Checking per
        # feed (a count and a max over meetings, a few ms at 100k meetings) for 200 cached feeds in 3 processes
        # kept PostgreSQL busy and the p99 of cached feeds at 300 ms (BENCHMARKS.md, "Load").
        self.version = response_cache.VersionMemo(clock=lambda: time.monotonic(), seconds=CHECK_SECONDS)

    def get(self, key: str) -> CachedFeed | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            return entry

    def put(self, key: str, entry: CachedFeed) -> None:
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._size -= len(old.body)
            if len(entry.body) > self._max:
                return
            self._entries[key] = entry
            self._size += len(entry.body)
            while self._size > self._max:
                _, dropped = self._entries.popitem(last=False)
                self._size -= len(dropped.body)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._size = 0


def feed_cache() -> FeedCache:
    """The app's feed cache (one per process)."""
    return current_app.extensions.setdefault("finder.feed_cache", FeedCache())


# --- responses ------------------------------------------------------------------------------------------------


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def public_base() -> str:
    """The absolute base URL feeds and links use: PUBLIC_URL if set, else this request's host."""
    return current_app.config.get("PUBLIC_URL") or request.host_url.rstrip("/")


def links() -> ical.Links:
    """The URLs events point at, from url_for once (not per meeting: feeds hold thousands)."""
    base = public_base()
    template = base + url_for("main.meeting", slug="SLUG")
    prefix, suffix = template.split("SLUG", 1)
    uid_domain = current_app.config.get("CALENDAR_UID_DOMAIN") or urllib.parse.urlsplit(base).hostname or "finder"
    return ical.Links(
        meeting_url=lambda slug: prefix + urllib.parse.quote(slug, safe="") + suffix,
        explanation_url=base + content.page_url("formats"),
        uid_domain=uid_domain,
        first_meeting_url=base + content.page_url("first-meeting"),
    )


def _cache_key(kind: str, parts: Iterable[str], year: int) -> str:
    # Hashed: a search feed's key holds the searched place, which must not sit in memory in readable form.
    raw = "\x1f".join([kind, public_base(), str(year), *parts])
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


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


def cached_feed(
    key_parts: tuple[str, ...],
    build: Callable[[Session, dt.datetime, DataVersion], tuple[Iterable[Any], ical.FeedInfo]],
) -> CachedFeed:
    """The feed for `key_parts`, from the cache while the data is unchanged, else built with
    `build(session, now, version)`, where `version` is the data version read just before (the label the built
    feed is kept under)."""
    now = _now()
    cache = feed_cache()
    key = _cache_key(key_parts[0], key_parts[1:], now.year)
    entry = cache.get(key)
    clock = time.monotonic()
    max_age = current_app.config.get("CALENDAR_CACHE_SECONDS", CACHE_SECONDS)
    session = db.get_session()  # no connection until a query runs
    if entry is not None and clock - entry.built_at < max_age:
        if entry.version == cache.version.get(lambda: data_version(session)):
            return entry
    # Building: read the version now, as Last-Modified and the next checks rest on it.
    cache.version.forget()
    version = cache.version.get(lambda: data_version(session))
    meetings, info = build(session, now, version)
    feed = ical.build_feed(meetings, info, links(), now.year)
    etag = hashlib.sha256(feed.body).hexdigest()[:32]
    # HTTP Last-Modified must move whenever the bytes may have: a meeting leaving the feed or the yearly
    # VTIMEZONE window does not show in the feed's own LAST-MODIFIED, so take the latest change anywhere.
    stamps = [feed.last_modified, version.changed_at, dt.datetime(now.year, 1, 1, tzinfo=dt.timezone.utc)]
    last_modified = max(s for s in stamps if s is not None)
    entry = CachedFeed(version, clock, etag, last_modified, feed.body)
    if max_age > 0:
        cache.put(key, entry)
    return entry


def bad_request(error: FeedError) -> Response:
    """400 naming the parameter, as plain text (calendar apps show it, if anything)."""
    message = f"Bad calendar request: {error.field}: {error.message}\n"
    return Response(message, status=400, content_type="text/plain; charset=utf-8")


def feed_url(endpoint: str, **values: Any) -> str:
    """The absolute https (or configured) URL of a feed."""
    return public_base() + url_for(endpoint, **values)


# --- views ----------------------------------------------------------------------------------------------------


@bp.get("/meetings/<slug>.ics")
def meeting_ics(slug: str) -> Response:
    """One meeting as a calendar (download, or subscribe to follow its changes)."""

    def build(session: Session, now: dt.datetime, version: DataVersion) -> tuple[list[Any], ical.FeedInfo]:
        found = feed_meetings(session, and_(Meeting.slug == slug, Meeting.published.is_(True)))
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
            name=f"{body.name}: meetings",
            url=feed_url("calendars.body_ics", body_id=body_id),
            description=f"All meetings of {body.name} and the groups and bodies it serves.",
        )
        return meetings, info

    return ics_response(cached_feed(("body", str(body_id)), build))


@bp.get("/calendars/group/<int:group_id>.ics")
def group_ics(group_id: int) -> Response:
    """Every meeting of one group."""

    def build(session: Session, now: dt.datetime, version: DataVersion) -> tuple[list[Any], ical.FeedInfo]:
        group = session.get(ServiceBody, group_id)
        if group is None or group.kind != "group":
            abort(404)
        info = ical.FeedInfo(
            name=f"{group.name}: meetings", url=feed_url("calendars.group_ics", group_id=group_id)
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
            name=f"My meetings ({current_app.config['SITE_NAME']})",
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
            results = search.find_nearby(session, query, now, load_meetings=feed_loader(query, version))
        except search.SearchError as error:
            raise FeedError(error.field, error.message) from None
        meetings = [hit.meeting for hit in results.meetings][:MAX_FEED_MEETINGS]  # the nearest, when too many
        info = ical.FeedInfo(
            name=search_feed_name(args, current_app.config["SITE_NAME"]),
            url=search_feed_url(args),
            description="Meetings found by a search; the calendar follows them as they change.",
        )
        return meetings, info

    return ics_response(cached_feed(("search", *parts), build))


# The shared search parameters (notes/common.md) a feed keeps. Left out: paging, sorting, the kind of result,
# the clock-relative filters ("starting within 30 minutes", "in progress now", which would change every fetch)
# and the viewer's zone (a calendar app shows times in its own). Anything else is dropped too, so junk
# parameters neither reach url_for nor split the cache.
FEED_PARAMETERS = frozenset({
    "q", "lat", "lon", "radius", "unit", "nearest", "day", "from", "to", "format", "any_format", "attendance",
    "lang", "wheelchair", "open", "body", "group", "online", "service", "payment", "approach", "telehealth",
    "accepting",
})


def feed_args(args: Any) -> MultiDict[str, str]:
    """The search parameters a feed keeps (FEED_PARAMETERS), in their original order."""
    return MultiDict([(k, v) for k, v in args.items(multi=True) if k in FEED_PARAMETERS])


def search_feed_url(args: MultiDict[str, str]) -> str:
    """The absolute URL of the search feed for `args` (already filtered by feed_args)."""
    query = urllib.parse.urlencode(list(args.items(multi=True)))
    return feed_url("calendars.search_ics") + (f"?{query}" if query else "")


def query_for_feed(query: search.SearchQuery) -> search.SearchQuery:
    """A search as a feed: meetings only, unpaged; it must be limited to a place, a service body or a group.

    Raises FeedError otherwise: a feed of every meeting in the world is nobody's calendar and a heavy request.
    """
    limited = query.point or query.service_body_ids or query.group_ids or query.meeting_ids or query.text
    if not limited:
        raise FeedError("q", "Give a place (q, or lat and lon), a service body (body) or a group (group).")
    return dataclasses.replace(
        query, kinds=frozenset({"meetings"}), page=1, per_page=0, starts_within=None, in_progress=False,
        schedule=False,  # a calendar lists weekly series, not the next occurrence
    )


def feed_loader(query: search.SearchQuery, version: DataVersion) -> search.MeetingLoader:
    """How a search feed reads its meetings: through the process's meeting cache at `version` when it is a few
    nearest meetings (the usual subscription; measured about a fifth of an uncached feed's time), directly when
    it may be thousands (a wide radius), which would only push the result pages' meetings out of that cache."""
    if query.nearest is not None and query.nearest <= FEED_CACHED_NEAREST:
        reader = response_cache.meeting_reader(db.get_session(), version.site)
        if reader is not None:
            return reader
    return functools.partial(plain.meetings_by_id, with_bodies=False, with_exceptions=True)


def search_feed_name(args: Mapping[str, Any], site_name: str) -> str:
    """A calendar name for a search: what and where, never raw coordinates."""
    place = (args.get("q") or "").strip()[:60]
    days = ", ".join(_day_names(args.getlist("day") if hasattr(args, "getlist") else []))
    name = "NA meetings"
    if days:
        name += f" on {days}"
    if place:
        name += f" near {place}"
    return f"{name} ({site_name})"


def _day_names(tokens: list[str]) -> list[str]:
    names = []
    for token in tokens:
        try:
            names.append(schedule.weekday_name(schedule.from_url(token)))
        except ValueError:
            continue
    return names


# --- the personal list page (HTML) -----------------------------------------------------------------------------


def _meeting_ids_from(values: Iterable[str], session: Session) -> set[int]:
    """Published meetings named by form values (ids, slugs or pasted meeting page links); others are ignored."""
    ids: set[int] = set()
    slugs: set[str] = set()
    for raw in list(values)[:MAX_LIST_MEETINGS]:
        value = (raw or "").strip()[:500]
        if not value:
            continue
        if value.isdigit() and len(value) <= 10:
            ids.add(int(value))
            continue
        path = urllib.parse.urlsplit(value).path if "/" in value else value
        slug = path.rstrip("/").rsplit("/", 1)[-1].removesuffix(".ics")
        if slug:
            slugs.add(slug[:120])
    if not ids and not slugs:
        return set()
    named = or_(Meeting.id.in_(ids), Meeting.slug.in_(slugs))
    return set(session.scalars(select(Meeting.id).where(named, Meeting.published.is_(True))))


@bp.get("/calendars/list")
def list_edit() -> Any:
    """Build or change a personal list: `code` (the list so far), `add` / `remove` (ids, slugs or links)."""
    session = db.get_session()
    try:
        current = set(decode_list(request.args["code"])) if request.args.get("code") else set()
    except FeedError as error:
        return render_template("calendars/list.html", error=error.message, meetings=[], code=None), 400
    current |= _meeting_ids_from(request.args.getlist("add"), session)
    current -= _meeting_ids_from(request.args.getlist("remove"), session)
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
    meetings = listed_meetings(db.get_session(), ids, _now())
    return render_template("calendars/list.html", error=None, meetings=meetings, code=encode_list(ids))


@bp.app_errorhandler(FeedError)
def _feed_error(error: FeedError) -> Response:
    return bad_request(error)


# --- what the calendar partial shows ----------------------------------------------------------------------------


@dataclass(frozen=True)
class CalendarActions:
    """The links of templates/calendars/_calendar_actions.html."""

    https_url: str
    webcal_url: str
    google_subscribe_url: str
    google_links: list[tuple[str, str]]
    download_name: str | None
    list_url: str | None
    label: str
    note: str
    related: tuple[tuple[str, str, str], ...] = ()  # (label, webcal URL, https URL): the group's, the area's


def related_feeds(meeting: Meeting) -> tuple[tuple[str, str, str], ...]:
    """Feeds of the meeting's group and of its service body (with the bodies under it), when it has them."""
    found = []
    group = getattr(meeting, "group", None)
    if group is not None and group.kind == "group":
        https = feed_url("calendars.group_ics", group_id=group.id)
        found.append((f"All meetings of {group.name}", ical.webcal_url(https), https))
    body = getattr(meeting, "service_body", None)
    if body is not None:
        https = feed_url("calendars.body_ics", body_id=body.id)
        found.append((f"All meetings of {body.name}", ical.webcal_url(https), https))
    return tuple(found)


def google_subscribe_url(feed: str) -> str:
    """Google Calendar's "add by URL" for a feed (Google fetches it itself, every 8-24 h)."""
    return "https://calendar.google.com/calendar/r?" + urllib.parse.urlencode({"cid": ical.webcal_url(feed)})


def calendar_actions(meeting: Meeting | None = None) -> CalendarActions | None:
    """Links for a meeting page (when `meeting` is given) or for the current search's results."""
    try:
        if meeting is not None:
            https = feed_url("calendars.meeting_ics", slug=meeting.slug)
            return CalendarActions(
                https_url=https,
                webcal_url=ical.webcal_url(https),
                google_subscribe_url=google_subscribe_url(https),
                google_links=ical.google_calendar_url(meeting, links(), _now()),
                download_name=f"{meeting.slug}.ics",
                list_url=url_for("calendars.list_edit", add=meeting.id),
                label="this meeting",
                note="your calendar follows changes to this meeting",
                related=related_feeds(meeting),
            )
        args = feed_args(request.args)
        if not any(args.get(key) for key in ("q", "lat", "body", "group")):
            return None  # no search yet: there is nothing to subscribe to
        https = search_feed_url(args)
        return CalendarActions(
            https_url=https,
            webcal_url=ical.webcal_url(https),
            google_subscribe_url=google_subscribe_url(https),
            google_links=[],
            download_name="meetings.ics",
            list_url=None,
            label="these results",
            note="your calendar follows these results as meetings are added or change",
        )
    except (HTTPException, RuntimeError):
        return None  # a page rendered outside a request has no URLs to offer


def calendar_list_url(code: str) -> dict[str, str]:
    """The https, webcal and Google subscribe URLs of a personal list's feed."""
    https = feed_url("calendars.list_ics", code=code)
    return {"https": https, "webcal": ical.webcal_url(https), "google": google_subscribe_url(https)}


@bp.app_context_processor
def _calendar_helpers() -> dict[str, Any]:
    return {"calendar_actions": calendar_actions, "calendar_list_url": calendar_list_url}
