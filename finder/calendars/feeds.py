"""Which meetings each calendar feed holds: the grace rule for closed meetings, the search parameters a feed keeps,
and how a search becomes a feed."""
from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import math
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from flask_babel import gettext
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, selectinload
from werkzeug.datastructures import MultiDict

from finder import cache as response_cache
from finder import search
from finder.core import schedule, subscribe
from finder.core.flags import parse_flag
from finder.meetings import visibility
from finder.models import Meeting
from finder.search import loader, params
from finder.web import i18n

# An inactive meeting stays in body and group feeds as STATUS:CANCELLED this long, so subscribers see it
# cancelled rather than silently vanish, then it is gone.
CANCELLED_GRACE = dt.timedelta(days=60)
MAX_LIST_MEETINGS = 100
MAX_FEED_MEETINGS = 10_000  # a search feed keeps the nearest this many
FEED_CACHED_NEAREST = 100  # a search feed of at most this many nearest reads them through the meeting cache


class FeedError(ValueError):
    """A feed request that cannot be answered: `field` names the parameter, `message` says why (-> 400)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message



def feed_condition(now: dt.datetime) -> Any:
    """Meetings that belong in a feed: the visible ones, and inactive ones within the grace period."""
    recently_closed = and_(
        visibility.public(), Meeting.status == visibility.ENDED, Meeting.updated_at >= now - CANCELLED_GRACE
    )
    return or_(visibility.listed(), recently_closed)


def feed_meetings(session: Session, condition: Any) -> list[Any]:
    """The meetings matching `condition`, with place, times, formats and exceptions, as plain rows
    (finder.search.loader): building ORM objects for a 10,000-meeting feed costs more than writing the feed."""
    return loader.meetings_where(session, condition, with_bodies=False, with_exceptions=True, order_by=Meeting.id)


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



# The search parameters a feed keeps: where, how far and which meetings (finder.search.params). Left out: paging,
# sorting, the kind of result, the clock-relative filters ("starting within 30 minutes", "in progress now", which
# would change every fetch) and the viewer's zone (a calendar app shows times in its own). Anything else is dropped
# too, so junk parameters neither reach url_for nor split the cache.
FEED_PARAMETERS = frozenset(params.names("place", "distance", "filter"))


def feed_args(args: Any) -> MultiDict[str, str]:
    """The search parameters a feed keeps (FEED_PARAMETERS), in their original order."""
    return MultiDict([(k, v) for k, v in args.items(multi=True) if k in FEED_PARAMETERS])


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


def feed_loader(query: search.SearchQuery, version: str, session: Session) -> search.MeetingLoader:
    """How a search feed reads its meetings: through the process's meeting cache at `version` when it is a few
    nearest meetings (the usual subscription; measured about a fifth of an uncached feed's time), directly when
    it may be thousands (a wide radius), which would only push the result pages' meetings out of that cache."""
    if query.nearest is not None and query.nearest <= FEED_CACHED_NEAREST:
        reader = response_cache.meeting_reader(session, version)
        if reader is not None:
            return reader
    return functools.partial(loader.meetings_by_id, with_bodies=False, with_exceptions=True)


# How values are spelled in a canonical feed URL (which parameters repeat comes from finder.search.params).
_UPPER_LISTS = frozenset({"format", "any_format", "service", "payment"})
_LOWER_LISTS = frozenset({"attendance", "approach"})
_ID_LISTS = frozenset({"body", "group"})
_FLAGS = frozenset(p.name for p in params.PARAMETERS if p.schema == params.FLAG)
_CLOCK = re.compile(r"^(\d{1,2}):?(\d{2})$")
COORDINATE_DECIMALS = 3  # the pages round a located search to this (~100 m); feeds share their rounding


def canonical_feed_args(pairs: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """The one spelling of a search's feed parameters: names in order, list values split, deduplicated and
    sorted, coordinates rounded as the pages round them, defaults and false flags dropped.

    Equal searches get equal lists (and so one feed URL and one cached feed). A value this cannot read is kept
    as sent, so the search parser still refuses it with its own message instead of it being silently changed.
    """
    collected: dict[str, list[str]] = {}
    for name, raw in pairs:
        value = " ".join(str(raw).split())
        if value == "":
            continue
        values = [v.strip() for v in value.split(",")] if _is_list(name) else [value]
        collected.setdefault(name, []).extend(v for v in values if v)
    out: list[tuple[str, str]] = []
    for name in sorted(collected):
        spelled = [_canonical_value(name, v) for v in collected[name]]
        kept = [v for v in spelled if v is not None]
        if not _is_list(name):
            kept = kept[:1]  # the parser reads the first value of a single parameter
        else:
            kept = sorted(set(kept), key=lambda v: _list_order(name, v))
        out.extend((name, v) for v in kept)
    return out


def _is_list(name: str) -> bool:
    parameter = params.BY_NAME.get(name)
    return parameter is not None and parameter.repeatable


def _list_order(name: str, value: str) -> tuple[int, str]:
    if name == "day":
        try:
            return schedule.from_url(value), value
        except ValueError:
            return 7, value
    if name in _ID_LISTS and value.isdigit():
        return int(value), value
    return 0, value


def _canonical_value(name: str, value: str) -> str | None:
    """One value's canonical spelling; None drops it (a default or a false flag)."""
    if name in ("lat", "lon"):
        number = _finite(value)
        return value if number is None else f"{round(number, COORDINATE_DECIMALS):.{COORDINATE_DECIMALS}f}"
    if name == "radius":
        number = _finite(value)
        return value if number is None else f"{number:g}"
    if name == "nearest":
        return str(int(value)) if value.isascii() and value.isdigit() else value
    if name == "unit":
        return None if value.lower() == "mi" else value.lower()
    if name == "day":
        try:
            return schedule.to_url(schedule.from_url(value))
        except ValueError:
            return value
    if name in ("from", "to"):
        match = _CLOCK.match(value)
        return f"{int(match.group(1)):02d}:{match.group(2)}" if match and value.isascii() else value
    if name in _FLAGS:
        try:
            return "1" if parse_flag(value) else None
        except ValueError:
            return value  # the search refuses it, with its message
    if name in _UPPER_LISTS:
        return value.upper()
    if name in _LOWER_LISTS or name in ("open", "lang"):
        return value.lower()
    if name in _ID_LISTS:
        return str(int(value)) if value.isascii() and value.isdigit() else value
    return value


def _finite(value: str) -> float | None:
    if not value.isascii():
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def search_feed_name(query: search.SearchQuery, place: str | None, body_names: Sequence[str], unit: str,
                     site_name: str = "", day_name: Callable[[int], str] = schedule.weekday_name) -> str:
    """What a search feed holds, as its calendar name (finder.core.subscribe.search_feed_name). In another
    language than English the name says less, in that language: the days and the place (`day_name` names a
    weekday, Monday = 0, in it)."""
    if i18n.current_language() == i18n.DEFAULT:
        return subscribe.search_feed_name(subscribe.describe(query, place, body_names, unit))
    days = ", ".join(day_name(day) for day in sorted(query.weekdays))
    place = (place or "").strip()[:60]
    if days and place:
        return gettext("NA meetings on %(days)s near %(place)s (%(site)s)", days=days, place=place, site=site_name)
    if days:
        return gettext("NA meetings on %(days)s (%(site)s)", days=days, site=site_name)
    if place:
        return gettext("NA meetings near %(place)s (%(site)s)", place=place, site=site_name)
    return gettext("NA meetings (%(site)s)", site=site_name)
