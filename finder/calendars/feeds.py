"""Which meetings each calendar feed holds: the grace rule for closed meetings, the search parameters a feed keeps,
and how a search becomes a feed."""
from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from collections.abc import Callable, Mapping
from typing import Any

from flask_babel import gettext
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, selectinload
from werkzeug.datastructures import MultiDict

from finder import cache as response_cache
from finder import search
from finder.core import schedule
from finder.meetings import visibility
from finder.models import Meeting
from finder.search import loader, params

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


def search_feed_name(args: Mapping[str, Any], site_name: str,
                     day_name: Callable[[int], str] = schedule.weekday_name) -> str:
    """A calendar name for a search: what and where, never raw coordinates; in the request's language, with
    `day_name` naming a weekday (Monday = 0) in it."""
    place = (args.get("q") or "").strip()[:60]
    days = ", ".join(_day_names(args.getlist("day") if hasattr(args, "getlist") else [], day_name))
    if days and place:
        return gettext("NA meetings on %(days)s near %(place)s (%(site)s)", days=days, place=place, site=site_name)
    if days:
        return gettext("NA meetings on %(days)s (%(site)s)", days=days, site=site_name)
    if place:
        return gettext("NA meetings near %(place)s (%(site)s)", place=place, site=site_name)
    return gettext("NA meetings (%(site)s)", site=site_name)


def _day_names(tokens: list[str], day_name: Callable[[int], str]) -> list[str]:
    names = []
    for token in tokens:
        try:
            names.append(day_name(schedule.from_url(token)))
        except ValueError:
            continue
    return names


