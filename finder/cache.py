"""The data version (bumped on every approval or import) and a response cache keyed by it.

Entries live in Redis when REDIS_URL is set, shared by every process, and in a per-process LRU otherwise or
while Redis is unreachable. A key is a hash of (data version, endpoint, normalized query[, minute]): bumping
the version makes every older entry unreachable at once, in every process, with no purge. Responses to
location searches are `private`: kept in process memory only, never written to Redis, because their query
and body hold where someone is.
"""
from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import logging
import threading
import time
import zlib
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from flask import Flask, Response, current_app, request
from sqlalchemy import Integer, event, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from finder.clock import utcnow
from finder.core import bmlt
from finder.models import SiteSetting
from finder import db
from finder.search.loader import MEETING_CACHE_ENTRIES, MeetingCache
from finder.web import compression, i18n

logger = logging.getLogger("finder.cache")

DATA_VERSION_KEY = "data_version"
DATA_CHANGED_AT_KEY = "data_changed_at"
REDIS_PREFIX = "finder:cache:"
REDIS_RETRY_SECONDS = 5.0
MEMORY_ENTRIES = 2048
MEMORY_BYTES = 64 * 1024 * 1024  # per store and process
MAX_ENTRY_BYTES = 16 * 1024 * 1024  # a bigger response (a whole-country feed) is rebuilt, not cached
# Response headers a cached copy keeps; anything else (cookies above all) is never replayed.
KEPT_HEADERS = ("Content-Type", "Cache-Control", "Content-Disposition", "Access-Control-Allow-Origin",
                "Link", "Last-Modified", "Vary", "ETag")


# -- the data version ------------------------------------------------------------------------------------

def data_version(session: Session) -> str:
    """The current data version ("0" before anything was ever approved or imported)."""
    return data_version_and_time(session)[0]


def data_version_and_time(session: Session) -> tuple[str, dt.datetime | None]:
    """The data version and when it last moved (None before the first bump that recorded it), in one read:
    what a feed's Last-Modified rests on, since the change may have been a meeting leaving it."""
    found = dict(session.execute(
        select(SiteSetting.key, SiteSetting.value).where(SiteSetting.key.in_((DATA_VERSION_KEY, DATA_CHANGED_AT_KEY)))
    ).all())
    try:
        changed_at = dt.datetime.fromisoformat(found[DATA_CHANGED_AT_KEY])
    except (KeyError, ValueError):
        changed_at = None
    return found.get(DATA_VERSION_KEY) or "0", changed_at


def bump_data_version(session: Session) -> None:
    """Mark the published data as changed; call it in the same transaction as the approval or import.

    The increment is one atomic UPDATE, so concurrent approvals never lose a bump; nothing is visible to
    other processes (and no cached entry stops being served) until the caller commits. The time of the
    change is kept beside it (the wall clock: this runs inside commit, whoever committed).
    """
    session.info[_BUMPED] = True
    _upsert(session, DATA_VERSION_KEY, (SiteSetting.value.cast(Integer) + 1).cast(SiteSetting.value.type), "1")
    stamp = utcnow().isoformat()
    _upsert(session, DATA_CHANGED_AT_KEY, stamp, stamp)


def _upsert(session: Session, key: str, value: Any, first: str) -> None:
    """Set a site setting to `value` (a SQL expression may read the old one) in one UPDATE, or create it as
    `first` when missing."""
    updated = update(SiteSetting).where(SiteSetting.key == key).values(value=value)
    if db.rows_changed(session, updated):
        return
    try:
        with session.begin_nested():
            session.execute(insert(SiteSetting).values(key=key, value=first))
    except IntegrityError:  # another transaction created the row first: update that one
        session.execute(updated)


# Tables whose rows change what searches, pages and feeds show: a committed write to any of them bumps the
# data version by itself (approvals, imports, admin edits), whoever wrote it and whether or not they remembered
# to call bump_data_version. Writes that bypass the ORM session (a raw COPY) must call it themselves.
CONTENT_TABLES = frozenset({
    "places", "service_bodies", "meetings", "meeting_times", "meeting_formats", "schedule_exceptions", "formats",
    "treatment_centers", "center_services", "services", "counselors", "counselor_terms", "counselor_term_links",
    "counselor_offices",
})
_PENDING = "finder.content_changed"
_BUMPED = "finder.data_version_bumped"
VERSION_CHECK_SECONDS = 1.0  # how long a process trusts the version it last read (another process's change
# shows within this; the committing process forgets its copy at once)


class VersionMemo:
    """A data version as this process last read it, trusted for `seconds` (VERSION_CHECK_SECONDS unless given).

    A cache hit then costs no database round trip at all; a change committed by another process or host is
    seen within a second, and one committed by this process immediately.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic, seconds: float | None = None) -> None:
        self._value: Any = None
        self._read_at = 0.0
        self._clock = clock
        self._seconds = seconds

    def get(self, read: Callable[[], Any]) -> Any:
        now = self._clock()
        seconds = VERSION_CHECK_SECONDS if self._seconds is None else self._seconds
        if self._value is None or now - self._read_at >= seconds:
            self._value, self._read_at = read(), now
        return self._value

    def forget(self) -> None:
        self._value = None


def _changes_content(session: Session) -> bool:
    for obj in session.new | session.deleted:
        if getattr(getattr(obj, "__table__", None), "name", None) in CONTENT_TABLES:
            return True
    return any(
        getattr(getattr(obj, "__table__", None), "name", None) in CONTENT_TABLES and session.is_modified(obj)
        for obj in session.dirty
    )


def _note_flush(session: Session, _context: Any, _instances: Any) -> None:
    if _changes_content(session):
        session.info[_PENDING] = True


def _note_statement(state: Any) -> None:
    """session.execute(insert/update/delete(...)) on a content table (bulk imports write this way)."""
    if state.is_insert or state.is_update or state.is_delete:
        table = getattr(state.statement, "table", None)
        if getattr(table, "name", None) in CONTENT_TABLES:
            state.session.info[_PENDING] = True


def _bump_before_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a SAVEPOINT being released (bump_data_version's own insert among them): the outer commit bumps
    # commit() fires before_commit before its final flush, so look at unflushed changes too.
    if session.info.pop(_PENDING, False) or _changes_content(session):
        bump_data_version(session)


def _forget_on_rollback(session: Session, transaction: Any) -> None:
    if transaction.parent is None:
        session.info.pop(_PENDING, None)


def track_content_changes(maker: Any, memo: VersionMemo | None = None) -> None:
    """Bump the data version in the same transaction as any committed change to a content table."""
    event.listen(maker, "before_flush", _note_flush)
    event.listen(maker, "do_orm_execute", _note_statement)
    event.listen(maker, "before_commit", _bump_before_commit)
    event.listen(maker, "after_transaction_end", _forget_on_rollback)
    if memo is not None:
        def _after_commit(session: Session) -> None:
            if session.info.pop(_BUMPED, False):
                memo.forget()

        event.listen(maker, "after_commit", _after_commit)
        event.listen(maker, "after_rollback", lambda session: session.info.pop(_BUMPED, None))


# -- storage backends ------------------------------------------------------------------------------------

class MemoryStore:
    """A thread-safe LRU of bytes with per-entry expiry, bounded in entries and bytes, for one process."""

    def __init__(self, max_entries: int = MEMORY_ENTRIES, clock: Callable[[], float] = time.monotonic,
                 max_bytes: int = MEMORY_BYTES) -> None:
        self._entries: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._lock = threading.Lock()
        self._max = max_entries
        self._max_bytes = max_bytes
        self._bytes = 0
        self._clock = clock

    def get(self, key: str) -> bytes | None:
        with self._lock:
            item = self._entries.get(key)
            if item is None:
                return None
            if item[0] <= self._clock():
                del self._entries[key]
                self._bytes -= len(item[1])
                return None
            self._entries.move_to_end(key)
            return item[1]

    def set(self, key: str, value: bytes, ttl: int) -> None:
        if len(value) > min(MAX_ENTRY_BYTES, self._max_bytes):
            return
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= len(old[1])
            self._entries[key] = (self._clock() + ttl, value)
            self._bytes += len(value)
            while len(self._entries) > self._max or self._bytes > self._max_bytes:
                _, (_, dropped) = self._entries.popitem(last=False)
                self._bytes -= len(dropped)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0

    def __len__(self) -> int:
        return len(self._entries)


class RedisStore:
    """Redis with short timeouts; while it is unreachable every call goes to `fallback` and is retried later."""

    def __init__(self, url: str, fallback: MemoryStore, clock: Callable[[], float] = time.monotonic) -> None:
        import redis

        self._redis = redis.Redis.from_url(url, socket_timeout=0.25, socket_connect_timeout=0.25,
                                           health_check_interval=30)
        self._errors: tuple[type[BaseException], ...] = (redis.RedisError, OSError)
        self.fallback = fallback
        self._clock = clock
        self._down_until = 0.0

    @property
    def available(self) -> bool:
        return self._clock() >= self._down_until

    def _failed(self, exc: BaseException) -> None:
        if self.available:
            logger.warning("redis unavailable, caching in process memory: %s", type(exc).__name__)
        self._down_until = self._clock() + REDIS_RETRY_SECONDS

    def get(self, key: str) -> bytes | None:
        if not self.available:
            return self.fallback.get(key)
        try:
            value = self._redis.get(REDIS_PREFIX + key)
        except self._errors as exc:
            self._failed(exc)
            return self.fallback.get(key)
        return value if isinstance(value, bytes) else None

    def set(self, key: str, value: bytes, ttl: int) -> None:
        if len(value) > MAX_ENTRY_BYTES:
            return
        if not self.available:
            self.fallback.set(key, value, ttl)
            return
        try:
            self._redis.set(REDIS_PREFIX + key, value, ex=ttl)
        except self._errors as exc:
            self._failed(exc)
            self.fallback.set(key, value, ttl)


@dataclass
class ResponseCache:
    """Where cached responses go: `shared` (Redis or memory) for public data, `private` memory for searches."""

    shared: RedisStore | MemoryStore
    private: MemoryStore
    ttl: int

    def get(self, key: str, *, private: bool) -> bytes | None:
        return (self.private if private else self.shared).get(key)

    def set(self, key: str, value: bytes, *, private: bool) -> None:
        (self.private if private else self.shared).set(key, value, self.ttl)


def build_cache(config: Any) -> ResponseCache:
    memory = MemoryStore()
    url = config.get("REDIS_URL")
    shared: RedisStore | MemoryStore = RedisStore(url, fallback=memory) if url else memory
    return ResponseCache(shared=shared, private=MemoryStore(), ttl=int(config.get("CACHE_TTL") or 0))


def get_cache(app: Flask | None = None) -> ResponseCache:
    return (app or current_app).extensions["finder.cache"]


# -- keys and cached views -------------------------------------------------------------------------------

def normalized_query(pairs: Iterable[tuple[str, str]]) -> list[tuple[str, list[str]]]:
    """The query as sorted (name, sorted values), blank values dropped: ?b=2&a=1&a=0 and ?a=0&b=2&a=1 are equal.

    A name given with no value still counts: BMLT's `get_used_formats` changes the answer by its presence alone.
    """
    grouped: dict[str, set[str]] = {}
    for name, value in pairs:
        value = value.strip()
        values = grouped.setdefault(name, set())
        if value:
            values.add(value)
    return [(name, sorted(values)) for name, values in sorted(grouped.items())]


def cache_key(version: str, endpoint: str, path: str, pairs: Iterable[tuple[str, str]],
              minute: int | None = None, language: str = "") -> str:
    """A fixed-length hash of what determines the response; the raw query (a location) is never a key.

    `language` is the interface language of a page that has words in it: one language is never served to
    another, wherever it came from (the URL or Accept-Language)."""
    material = json.dumps([version, endpoint, path, normalized_query(pairs), minute, language], separators=(",", ":"))
    return hashlib.sha256(material.encode()).hexdigest()


def _pack(response: Response, minute: int | None = None) -> tuple[bytes, bytes]:
    """Status, kept headers, the body and, when worth it, its gzip encoding (so a hit costs no compression);
    returned with that gzip encoding (empty when not worth it) for the response being sent."""
    body = response.get_data()
    gz = compression.gzip_bytes(body) if compression.compressible(response.mimetype or "", len(body)) else b""
    headers = [(name, value) for name, value in response.headers.items() if name in KEPT_HEADERS]
    meta = json.dumps({"status": response.status_code, "headers": headers, "plain": len(body),
                       "minute": minute}).encode()
    return meta + b"\0" + body + gz, gz


def _minute_of(blob: bytes) -> int | None:
    """The minute a per-minute entry was rendered in (None for entries that do not age by the clock)."""
    return json.loads(blob.split(b"\0", 1)[0]).get("minute")


def _unpack(blob: bytes, gzip_ok: bool) -> Response:
    meta_bytes, rest = blob.split(b"\0", 1)
    meta = json.loads(meta_bytes)
    plain, gz = rest[: meta["plain"]], rest[meta["plain"]:]
    response = Response(plain, status=meta["status"], headers=[tuple(pair) for pair in meta["headers"]])
    if gz:
        response.vary.add("Accept-Encoding")
        if gzip_ok:
            compression.send_gzipped(response, gz)
    return response


def _storable(response: Response) -> bool:
    return (
        response.status_code == 200
        and not response.direct_passthrough
        and not response.is_streamed
        and "Set-Cookie" not in response.headers
        and "cookie" not in {v.lower() for v in response.vary}
        and "no-store" not in (response.headers.get("Cache-Control") or "")
    )


class _SingleFlight:
    """Which keys this process is re-rendering right now, so only one request per key does the work."""

    def __init__(self) -> None:
        self._keys: set[str] = set()
        self._lock = threading.Lock()

    def claim(self, key: str) -> bool:
        with self._lock:
            if key in self._keys:
                return False
            self._keys.add(key)
            return True

    def release(self, key: str) -> None:
        with self._lock:
            self._keys.discard(key)


def cached(view: Callable[..., Any], *, private: bool, per_minute: bool, session_getter: Callable[[], Session],
           clock: Callable[[], float] = time.time, localized: bool = False,
           parameters: frozenset[str] | None = None) -> Callable[..., Any]:
    """Wrap a GET view so equal queries under the same data version share one rendering.

    `per_minute` responses say "starts in 12 minutes": an entry is fresh during the minute it was rendered in.
    After that the first request re-renders it while concurrent requests for the same key get the previous
    minute's copy instead of piling up on the same work (at most a minute behind, and only during that
    re-render). Signed-in visitors (a session cookie) always get a fresh rendering: their pages can differ.
    `localized` responses are worded in the interface language, which is then part of the key.
    `parameters`, when given, are the query names the answer depends on: only they make the key.
    """
    flights = _SingleFlight()

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        app = current_app._get_current_object()  # type: ignore[attr-defined]  # current_app is typed as the app; it is the proxy to it
        store = get_cache(app)
        if (
            store.ttl <= 0
            or request.method not in ("GET", "HEAD")
            or app.config.get("SESSION_COOKIE_NAME", "session") in request.cookies
        ):
            return view(*args, **kwargs)
        # The host is part of the key: without PUBLIC_URL, feeds and pages build absolute links from it.
        version = app.extensions["finder.data_version_memo"].get(lambda: data_version(session_getter()))
        key = cache_key(version, request.endpoint or "", request.host_url + request.path,
                        key_pairs(request.args.items(multi=True), parameters),
                        language=i18n.current_language() if localized else "")
        minute = _minute_of_key(clock(), key) if per_minute else None
        blob = store.get(key, private=private)
        if blob is not None:
            rendered_in = _minute_of(blob)
            if rendered_in == minute or not flights.claim(key):
                return _hit(blob, "hit" if rendered_in == minute else "stale")
            try:  # this request refreshes the entry
                return _render_and_store(app, store, view, args, kwargs, key, minute, private)
            finally:
                flights.release(key)
        return _render_and_store(app, store, view, args, kwargs, key, minute, private)

    return wrapper


def _minute_of_key(now: float, key: str) -> int:
    """The minute `now` falls in, counted from a second of the minute fixed per key.

    An entry is at most a minute behind either way; staggering the minutes spreads re-renders over the minute.
    Measured: with every key turning stale at :00, each process re-rendered every searched place at once, and
    the p99 of a 60 s load run went to 200-250 ms (BENCHMARKS.md, "Load").
    """
    return int((now + zlib.crc32(key.encode()) % 60) // 60)


def _hit(blob: bytes, label: str) -> Response:
    response = _unpack(blob, compression.accepts_gzip())
    response.headers["X-Cache"] = label
    return response


def _render_and_store(app: Flask, store: ResponseCache, view: Callable[..., Any], args: Any, kwargs: Any,
                      key: str, minute: int | None, private: bool) -> Response:
    response = app.make_response(view(*args, **kwargs))
    if _storable(response):
        blob, gz = _pack(response, minute)
        store.set(key, blob, private=private)
        if gz and compression.accepts_gzip():  # already compressed for the entry: the compression hook need not do it again
            response.vary.add("Accept-Encoding")
            compression.send_gzipped(response, gz)
    response.headers["X-Cache"] = "miss"
    return response


def key_pairs(pairs: Iterable[tuple[str, str]], parameters: frozenset[str] | None) -> list[tuple[str, str]]:
    """The query pairs a cache key is made of: all, or those named in `parameters`, `x[]` counted as `x` (one
    list, two spellings). A parameter the answer ignores then neither splits the cache nor defeats it."""
    if parameters is None:
        return list(pairs)
    return [(name.removesuffix("[]"), value) for name, value in pairs if name.removesuffix("[]") in parameters]


@dataclass(frozen=True)
class CachePolicy:
    private: bool  # the query carries a location: process memory only
    per_minute: bool  # the body mentions relative times ("starts in 5 min")
    localized: bool = False  # the body is worded in the interface language (a page, not data)
    parameters: frozenset[str] | None = None  # the query names the answer depends on (None: every one)


def cache_endpoints(app: Flask, policies: dict[str, CachePolicy]) -> list[str]:
    """Wrap the named endpoints' views that exist in `app`; returns the ones wrapped."""
    wrapped = []
    for endpoint, policy in policies.items():
        view = app.view_functions.get(endpoint)
        if view is None or getattr(view, "__finder_cached__", False):
            continue
        new_view = cached(view, private=policy.private, per_minute=policy.per_minute,
                          session_getter=db.get_session, localized=policy.localized,
                          parameters=policy.parameters)
        new_view.__finder_cached__ = True  # type: ignore[attr-defined]  # a mark: wrap a view only once
        app.view_functions[endpoint] = new_view
        wrapped.append(endpoint)
    return wrapped


# -- conditional GETs ------------------------------------------------------------------------------------

def make_conditional(response: Response) -> Response:
    """after_request hook: an ETag on every successful GET body, and 304 when the client already has it."""
    if (
        request.method in ("GET", "HEAD")
        and response.status_code == 200
        and not response.direct_passthrough
        and not response.is_streamed
        and "no-store" not in (response.headers.get("Cache-Control") or "")
    ):
        if not response.get_etag()[0]:
            response.add_etag()
        response.make_conditional(request)
    return response


def meeting_reader(session: Session, version: str | None = None) -> Callable[..., Any] | None:
    """The process's finder.search.loader.MeetingCache at the current data version (or at `version`, which the caller
    read just before), as finder.search.find_nearby's `cached_meetings`; None when caching is off (CACHE_TTL = 0
    or MEETING_CACHE_ENTRIES = 0)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # current_app is typed as the app; it is the proxy to it
    meetings = app.extensions["finder.meeting_cache"]
    if get_cache(app).ttl <= 0 or not meetings.capacity:
        return None
    if version is None:
        version = app.extensions["finder.data_version_memo"].get(lambda: data_version(session))
    return meetings.reader(version)


# The endpoints worth caching: the search page (a location in its query: private; "starts in 5 min": per
# minute), whole-feed JSON that costs a scan of every meeting (public, shared through Redis) and BMLT, whose
# queries may carry coordinates. Calendar feeds keep their own cache (finder.calendars.views). Names that do
# not exist on this build are skipped.
POLICIES: dict[str, CachePolicy] = {
    "search.results": CachePolicy(private=True, per_minute=True, localized=True),
    "api.search": CachePolicy(private=True, per_minute=True),
    "feeds.meeting_guide": CachePolicy(private=False, per_minute=False),
    "feeds.meeting_guide_for_body": CachePolicy(private=False, per_minute=False),
    "bmlt.json_interface": CachePolicy(private=True, per_minute=False, parameters=bmlt.QUERY_PARAMETERS),
    "bmlt.jsonp_interface": CachePolicy(private=True, per_minute=False, parameters=bmlt.QUERY_PARAMETERS),
}


def init_app(app: Flask) -> None:
    """Create the cache, add conditional GETs; call after the blueprints are registered."""
    app.extensions["finder.cache"] = build_cache(app.config)
    app.extensions["finder.meeting_cache"] = MeetingCache(app.config.get("MEETING_CACHE_ENTRIES", MEETING_CACHE_ENTRIES))
    memo = app.extensions["finder.data_version_memo"] = VersionMemo()
    track_content_changes(db.session_factory(app), memo)
    cache_endpoints(app, POLICIES)
    app.after_request(make_conditional)
