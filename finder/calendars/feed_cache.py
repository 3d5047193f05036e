"""The calendar feed cache: built feeds kept briefly per process by hashed key, checked against the data version.

Every feed is built by finder.core.ical from the same inputs to the same bytes, so the ETag is a hash of the body and
any worker answers a conditional request the same way. Built feeds are kept briefly in process memory (keyed by
a hash, so no searched place is kept in readable form) to answer 304s without touching the database.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy.orm import Session

from finder.clock import utcnow
from finder import cache as response_cache
from finder import db
from finder.calendars.urls import links
from finder.web.urls import public_base
from finder.core import ical
from finder.web import i18n

CACHE_SECONDS = 300  # a built feed is reused at most this long (catches edits that do not touch meetings)
CHECK_SECONDS = 10  # within this, cached feeds are served without asking the database whether data changed
CACHE_MAX_BYTES = 64 * 1024 * 1024


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



def _cache_key(kind: str, parts: Iterable[str], year: int) -> str:
    # Hashed: a search feed's key holds the searched place, which must not sit in memory in readable form.
    raw = "\x1f".join([kind, public_base(), str(year), i18n.current_language(), *parts])
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()




def cached_feed(
    key_parts: tuple[str, ...],
    build: Callable[[Session, dt.datetime, DataVersion], tuple[Iterable[Any], ical.FeedInfo]],
    *,
    alarm: int | None = None,
    changed_at: dt.datetime | None = None,
) -> CachedFeed:
    """The feed for `key_parts`, from the cache while the data is unchanged, else built with
    `build(session, now, version)`, where `version` is the data version read just before (the label the built
    feed is kept under). `alarm` puts a reminder that many minutes before each meeting; `changed_at` is a change
    the data version does not see (a personal list's own edits), which must then be part of `key_parts`."""
    now = utcnow()
    cache = feed_cache()
    key = _cache_key(key_parts[0], (*key_parts[1:], f"alarm={alarm or ''}"), now.year)
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
    feed = ical.build_feed(meetings, info, links(), now.year, alarm)
    etag = hashlib.sha256(feed.body).hexdigest()[:32]
    # HTTP Last-Modified must move whenever the bytes may have: a meeting leaving the feed or the yearly
    # VTIMEZONE window does not show in the feed's own LAST-MODIFIED, so take the latest change anywhere.
    stamps = [feed.last_modified, version.changed_at, changed_at, dt.datetime(now.year, 1, 1, tzinfo=dt.timezone.utc)]
    last_modified = max(s for s in stamps if s is not None)
    entry = CachedFeed(version, clock, etag, last_modified, feed.body)
    if max_age > 0:
        cache.put(key, entry)
    return entry


