"""What the results page shows around its results: the place used, other places of that name, the order and day
switches, the chosen filters as removable chips, the distance unit, the viewer's zone and the crisis country.

Values in, values out: the view passes the request's cleaned parameters, the geocoded place and `now`; links are
built by a function the view passes (this module knows no routes). Words stay in the templates.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from werkzeug.datastructures import MultiDict

from finder.core import schedule
from finder.geocode import country_of_zone
from finder.search import params

# Parameters that narrow a search and show as removable chips: the filter form's, but not its unit.
CHIP_PARAMS = tuple(p.name for p in params.PARAMETERS
                    if p.in_form and p.role in ("filter", "clock", "distance") and p.name != "unit")
# Countries whose people read distances in miles; everywhere else, kilometres.
MILE_COUNTRIES = frozenset({"US", "GB", "LR", "MM"})

UrlFor = Callable[[Sequence[tuple[str, str]]], str]


@dataclass(frozen=True)
class Place:
    """Where a search looked: a label to name it, its country and zone (each None when unknown)."""

    label: str | None
    country: str | None
    timezone: str | None


NOWHERE = Place(None, None, None)


def place_of(found: Any | None, point: tuple[float, float] | None, zone_at: Callable[[float, float], str | None]) -> Place:
    """The place a search used: the geocoder's answer for typed text, else what the point's zone tells."""
    if found is not None:
        return Place(found.label, found.country or country_of_zone(found.timezone), found.timezone)
    if point is not None:
        zone = zone_at(*point)
        return Place(None, country_of_zone(zone), zone)
    return NOWHERE


def other_places(geocoder: Any, typed: str) -> list[str]:
    """Other places bearing the name typed ("Portland, ME" when "Portland" found Oregon); [] when the text named a
    region, or the geocoder knows no homonyms (one passed in by a caller may not)."""
    alternatives = getattr(geocoder, "alternatives", None)
    return alternatives(typed) if alternatives and typed else []


def unit_for(args: MultiDict[str, str], country: str | None) -> str:
    """The distance unit: the one in the URL, else the searched country's (miles in the US and the UK)."""
    chosen = args.get("unit")
    if chosen in ("mi", "km"):
        return chosen
    return "mi" if country is None or country in MILE_COUNTRIES else "km"


def viewer_zone(browser_zone: str | None, place: Place) -> str | None:
    """The zone to show 'your time' in: the browser's when it is a real zone, else the searched place's."""
    for zone in (browser_zone, place.timezone):
        if zone:
            try:
                schedule.zone_of(zone)
                return zone
            except ValueError:
                continue
    return None


def with_params(args: MultiDict[str, str], **changes: Any) -> list[tuple[str, str]]:
    """The parameters with some replaced: None removes a name, a list sets several values, anything else one."""
    kept = [(name, value) for name, value in args.items(multi=True) if name not in changes]
    for name, value in changes.items():
        if value is None:
            continue
        values = value if isinstance(value, (list, tuple)) else [value]
        kept += [(name, str(v)) for v in values]
    return kept


def chips(args: MultiDict[str, str], url: UrlFor) -> list[tuple[str, str, str]]:
    """(name, value, URL of this search without it) for every chosen filter, in the URL's order."""
    found = []
    for name, value in args.items(multi=True):
        if name in CHIP_PARAMS:
            others = [v for v in args.getlist(name) if v != value]
            found.append((name, value, url(with_params(args, page=None, **{name: others or None}))))
    return found


def day_links(args: MultiDict[str, str], now: dt.datetime, zone: str | None,
              url: UrlFor) -> list[tuple[str, str, bool]]:
    """('today' | 'tomorrow', URL, chosen) on the viewer's calendar (UTC when no zone is known).

    Choosing one replaces any other day; choosing it again removes it."""
    local = now.astimezone(schedule.zone_of(zone) if zone else dt.timezone.utc).date()
    chosen = args.getlist("day")
    links = []
    for word, offset in (("today", 0), ("tomorrow", 1)):
        token = schedule.to_url((local + dt.timedelta(days=offset)).weekday())
        on = chosen == [token]
        links.append((word, url(with_params(args, page=None, day=None if on else token)), on))
    return links


def sort_links(args: MultiDict[str, str], url: UrlFor) -> dict[str, str]:
    """The same search ordered by next start ('next') or by distance ('distance')."""
    return {key: url(with_params(args, page=None, sort=key)) for key in ("next", "distance")}
