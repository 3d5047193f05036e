"""Result cards: a search's meetings worded for the results page in one pass, and the fragments they reuse."""
from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from flask import current_app, url_for
from markupsafe import Markup

from finder.core.freshness import freshness_note
from finder.web import i18n
from finder.web.filters import distance, http_url, starts_in, term, viewer_when, when, zone_name

# A result card offers "Join online now" while the meeting runs or from this many minutes before it starts.
JOIN_NOW_MINUTES = 30
# Characters werkzeug's default URL converter leaves unquoted in a path segment (werkzeug.routing.converters).
_PATH_SAFE = "!$&'()*+,/:;=@"


@dataclass(slots=True)  # not frozen: a frozen dataclass's __init__ costs twice as much
class MeetingCard:
    """A meeting found, worded for its result card.

    The wording is done here in one pass: as nested macros and filters it was most of the results page's
    rendering time (measured, about 1 ms of 25 cards), and the template now only places these values."""

    meeting: Any
    url: str
    start_iso: str  # '' when there is no upcoming date
    when: str  # 'Today 7:30 PM' on the meeting's clock
    zone: str  # the meeting's zone as people name it: 'Chicago'
    in_progress: bool
    starts: str  # 'Starts in 25 min'; '' when in progress, unknown or more than 3 hours away
    viewer_when: str  # '8:30 PM' on the viewer's clock when it reads differently, else ''
    viewer_zone: str  # the viewer's zone as people name it ('' when unknown)
    viewer_first: bool  # an online-only meeting shown on the viewer's clock first
    online_only: bool
    distance: str  # '' for online-only meetings
    locality: str
    join_url: str  # the meeting's http(s) link while it runs or is about to start, else ''
    tags: Markup  # the open/closed badge, attendance and format chips
    freshness: str  # 'Recently reported as not meeting: ...' or 'Not confirmed in over a year: ...', else ''


def meeting_cards(hits: list[Any], now: dt.datetime, unit: str, viewer_zone: str | None) -> list[MeetingCard]:
    """The result cards of some search.MeetingHit, in their order (unit: 'mi' or 'km')."""
    meeting_url = slug_urls("main.meeting")
    stale_days = current_app.config["STALE_AFTER_DAYS"]
    return [_meeting_card(hit, now, unit, viewer_zone, meeting_url, stale_days) for hit in hits]


def slug_urls(endpoint: str) -> Callable[[str], str]:
    """url_for(endpoint, slug=...) for many slugs, at the cost of one url_for (a page of 25 results spent a tenth
    of its rendering in url_for). The endpoint's URL must end with its <slug>."""
    marker = "-"
    prefix = url_for(endpoint, slug=marker)[: -len(marker)]
    return lambda slug: prefix + quote(slug, safe=_PATH_SAFE)


def _meeting_card(hit: Any, now: dt.datetime, unit: str, viewer_zone: str | None,
                  meeting_url: Callable[[str], str], stale_days: int) -> MeetingCard:
    m = hit.meeting
    start, minutes = hit.next_start, hit.starts_in_minutes
    about_to_start = hit.in_progress or (minutes is not None and minutes <= JOIN_NOW_MINUTES)
    theirs = viewer_when(start, viewer_zone, now)
    return MeetingCard(
        meeting=m,
        url=meeting_url(m.slug),
        start_iso=start.isoformat() if start else "",
        when=when(start, now),
        zone=zone_name(m.place.timezone),
        in_progress=hit.in_progress,
        starts=starts_in(minutes).capitalize(),
        viewer_when=theirs,
        viewer_zone=zone_name(viewer_zone),
        viewer_first=bool(theirs) and hit.is_online_only,
        online_only=hit.is_online_only,
        distance=distance(hit.distance_km, unit),
        locality=m.place.locality,
        join_url=http_url(m.conference_url) if m.is_online and about_to_start else "",
        tags=meeting_tags(m),
        freshness=freshness_note(m, now, stale_days),
    )


def fragment_cache(maxsize: int) -> Callable[[Callable[..., Markup]], Callable[..., Markup]]:
    """Memoize a function that renders a fragment from its (hashable) arguments and the interface language alone,
    in a bounded LRU (a fragment's words are in the language of the request that rendered it, and its links carry
    ?locale= when that request's URL chose the language: both are part of the key).

    Not while templates reload (development), so an edited template shows at once. The cache is per process,
    shared by every app in it: they all render the same templates."""
    def decorator(render: Callable[..., Markup]) -> Callable[..., Markup]:
        cached = functools.lru_cache(maxsize=maxsize)(lambda _language, _in_url, *args: render(*args))

        @functools.wraps(render)
        def fragment(*args: Any) -> Markup:
            if current_app.jinja_env.auto_reload:
                return render(*args)
            return cached(i18n.current_language(), i18n.chosen_in_url(), *args)
        # lru_cache's own handles, on the wrapper (tests and benchmarks read and clear it)
        fragment.cache_info = cached.cache_info  # type: ignore[attr-defined]  # an attribute set on a function
        fragment.cache_clear = cached.cache_clear  # type: ignore[attr-defined]  # likewise
        return fragment
    return decorator


def meeting_tags(meeting: Any) -> Markup:
    """A result card's badges and format chips (the _macros.html macro of that name), in the reader's language."""
    formats = tuple((f.code, term(f.name), term(f.description), f.kind) for f in meeting.formats)
    return _meeting_tags(meeting.attendance, formats, meeting.status == "temporarily_closed")


# Keyed by the values shown, so nothing can go stale. 100k demo meetings have 14k combinations.
@fragment_cache(maxsize=4096)
def _meeting_tags(attendance: str, formats: tuple[tuple[str, str, str, str], ...], venue_closed: bool) -> Markup:
    macros = current_app.jinja_env.get_template("_macros.html").module
    return macros.meeting_tags(attendance, formats, venue_closed)  # type: ignore[attr-defined]  # a macro; Jinja types none
