"""Pure helpers for subscribing: calendar apps' subscribe links, the reminder option and the names search feeds give
themselves.

Nothing here reads a request, the clock or the database: the views pass URLs, parameters and names in.
"""
from __future__ import annotations

import datetime as dt
import urllib.parse
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from finder.core import schedule
from finder.core.geo import km_to_miles
from finder.core.vocab import FORMAT_BY_CODE

# --- reminders ------------------------------------------------------------------------------------------------

ALARM_PARAMETER = "alarm"
MAX_ALARM_MINUTES = 1440  # a day before is the earliest reminder anyone asked for; more is a typo
ALARM_CHOICES = (10, 15, 30, 60, 120)  # what the subscribe form offers; the URL takes any 1..MAX_ALARM_MINUTES


class AlarmError(ValueError):
    """An alarm value that is not a whole number of minutes in range; the message says what to send."""


def parse_alarm(value: str | None) -> int | None:
    """Minutes before each meeting for a reminder, from the `alarm` URL parameter; None when absent or empty.

    Only ASCII digits count: int() would also take '١٥' or '+15', and a URL means one spelling per feed.
    """
    if value is None or value.strip() == "":
        return None
    text = value.strip()
    if not (text.isascii() and text.isdigit() and len(text) <= 4):
        raise AlarmError(f"alarm must be a whole number of minutes from 1 to {MAX_ALARM_MINUTES}")
    minutes = int(text)
    if not 1 <= minutes <= MAX_ALARM_MINUTES:
        raise AlarmError(f"alarm must be a whole number of minutes from 1 to {MAX_ALARM_MINUTES}")
    return minutes


def alarm_words(minutes: int) -> str:
    """'10 minutes', '1 hour', '1 hour 30 minutes', '1 day': how a reminder reads on a page or in an alarm."""
    if minutes == MAX_ALARM_MINUTES:
        return "1 day"
    hours, rest = divmod(minutes, 60)
    parts = []
    if hours:
        parts.append(f"{hours} hour{'s' if hours > 1 else ''}")
    if rest:
        parts.append(f"{rest} minute{'s' if rest > 1 else ''}")
    return " ".join(parts)


def with_alarm(url: str, minutes: int | None) -> str:
    """A feed URL with the reminder option set (or removed, for None); other parameters keep their order."""
    parts = urllib.parse.urlsplit(url)
    pairs = [(k, v) for k, v in urllib.parse.parse_qsl(parts.query, keep_blank_values=True) if k != ALARM_PARAMETER]
    if minutes is not None:
        pairs.append((ALARM_PARAMETER, str(minutes)))
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(pairs)))


# --- the apps behind "Subscribe" -------------------------------------------------------------------------------

GOOGLE_SUBSCRIBE = "https://calendar.google.com/calendar/r"
OUTLOOK_PERSONAL_SUBSCRIBE = "https://outlook.live.com/calendar/0/addfromweb"
OUTLOOK_WORK_SUBSCRIBE = "https://outlook.office.com/calendar/0/addfromweb"


def webcal_url(https_url: str) -> str:
    """The webcal:// form of a feed URL: phones and desktop calendar apps open their subscribe dialog for it."""
    scheme, sep, rest = https_url.partition("://")
    if not sep or scheme not in ("http", "https"):
        raise ValueError(f"not an http(s) URL: {https_url!r}")
    return "webcal://" + rest


@dataclass(frozen=True)
class SubscribeLinks:
    """Where each calendar app subscribes to one feed (all follow the same https address)."""

    https: str
    webcal: str
    google: str
    outlook: str
    outlook_work: str


def subscribe_links(https_url: str, name: str) -> SubscribeLinks:
    """Links that open each app's own "subscribe to this calendar" step for the feed at `https_url`.

    Google takes the webcal form in `cid` and fetches the feed itself; Outlook on the web takes the https URL and
    a name (the personal and the work-or-school service live on two hosts).
    """
    webcal = webcal_url(https_url)
    outlook_query = urllib.parse.urlencode({"url": https_url, "name": name[:100]})
    return SubscribeLinks(
        https=https_url,
        webcal=webcal,
        google=GOOGLE_SUBSCRIBE + "?" + urllib.parse.urlencode({"cid": webcal}),
        outlook=f"{OUTLOOK_PERSONAL_SUBSCRIBE}?{outlook_query}",
        outlook_work=f"{OUTLOOK_WORK_SUBSCRIBE}?{outlook_query}",
    )


# --- names feeds give themselves -------------------------------------------------------------------------------

MAX_NAME = 120  # calendar apps cut long names in their lists anyway
_WEEKDAYS = tuple(range(5))
_WEEKEND = (5, 6)


@dataclass(frozen=True)
class SearchDescription:
    """What a search feed holds, in the words its calendar name is made of (see search_feed_name)."""

    place: str | None = None  # the place as typed ("77088"); None for coordinates, which a name never shows
    located: bool = False  # a point was given (typed or from coordinates)
    radius_km: float | None = None
    nearest: int | None = None
    unit: str = "mi"
    weekdays: frozenset[int] = frozenset()
    time_from: dt.time | None = None
    time_to: dt.time | None = None
    open_closed: str | None = None
    attendance: frozenset[str] = frozenset()
    formats: tuple[str, ...] = ()
    wheelchair: bool = False
    body_names: tuple[str, ...] = ()
    text: str | None = None


def search_feed_name(what: SearchDescription) -> str:
    """A calendar name saying what a search feed holds: "NA meetings within 10 mi of 77088, evenings from 18:00".

    Never raw coordinates: a calendar name shows wherever the calendar is shared or synced.
    """
    kind = _kind_words(what)
    head = f"NA {kind}meetings"
    where = what.place or ("the chosen place" if what.located else None)
    if what.nearest is not None and where:
        head = f"The {what.nearest} NA {kind}meetings nearest {where}"
    elif what.radius_km is not None and where:
        distance = km_to_miles(what.radius_km) if what.unit == "mi" else what.radius_km
        head += f" within {_number(distance)} {what.unit} of {where}"
    elif where:
        head += f" near {where}"
    if what.body_names:
        head += " of " + _joined(list(what.body_names))
    if what.text:
        head += f" matching \u201c{what.text[:40]}\u201d"
    tail = [words for words in (_day_words(what.weekdays), _time_words(what.time_from, what.time_to)) if words]
    if what.formats:
        tail.append(", ".join(what.formats[:3]) + (f" and {len(what.formats) - 3} more" if len(what.formats) > 3 else ""))
    if what.wheelchair:
        tail.append("wheelchair accessible")
    name = ", ".join([head, *tail])
    return name if len(name) <= MAX_NAME else name[: MAX_NAME - 1].rstrip(" ,") + "\u2026"


def format_names(codes: Iterable[str]) -> tuple[str, ...]:
    """Format codes as their names, sorted by name (unknown codes as sent)."""
    return tuple(sorted(FORMAT_BY_CODE[c].name if c in FORMAT_BY_CODE else c for c in codes))


def _kind_words(what: SearchDescription) -> str:
    words = []
    if what.open_closed in ("open", "closed"):
        words.append(what.open_closed)
    attendance = {"in_person": "in-person", "online": "online", "hybrid": "hybrid"}
    named = [attendance[a] for a in sorted(what.attendance) if a in attendance]
    if named:
        words.append(" or ".join(named))
    return "".join(w + " " for w in words)


def _number(value: float) -> str:
    return f"{value:.0f}" if abs(value - round(value)) < 0.05 else f"{value:.1f}"


def _joined(items: Sequence[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _day_words(weekdays: frozenset[int]) -> str:
    days = sorted(weekdays)
    if not days or len(days) == 7:
        return ""
    if tuple(days) == _WEEKDAYS:
        return "weekdays"
    if tuple(days) == _WEEKEND:
        return "weekends"
    return _joined([schedule.weekday_name(d) + "s" for d in days])


def _time_words(start: dt.time | None, end: dt.time | None) -> str:
    if start is not None and end is not None:
        return f"starting {start:%H:%M}\u2013{end:%H:%M}"
    if start is not None:
        return f"evenings from {start:%H:%M}" if start.hour >= 17 else f"starting from {start:%H:%M}"
    if end is not None:
        return f"mornings until {end:%H:%M}" if end.hour < 12 else f"starting by {end:%H:%M}"
    return ""


def describe(query: object, place: str | None, body_names: Sequence[str] = (), unit: str = "mi") -> SearchDescription:
    """A SearchDescription from a parsed search (finder.search.SearchQuery or anything with its field names)."""
    def get(name: str) -> Any:
        return getattr(query, name)

    formats = set(get("formats_all")) | set(get("formats_any"))
    return SearchDescription(
        place=" ".join(place.split())[:60] if place else None,
        located=get("point") is not None,
        radius_km=get("radius_km"),
        nearest=get("nearest"),
        unit=unit if unit in ("mi", "km") else "mi",
        weekdays=frozenset(get("weekdays")),
        time_from=get("time_from"),
        time_to=get("time_to"),
        open_closed=get("open_closed"),
        attendance=frozenset(get("attendance")),
        formats=format_names(formats),
        wheelchair=bool(get("wheelchair")),
        body_names=tuple(body_names),
        text=get("text"),
    )

