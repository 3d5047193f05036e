"""How URL arguments become a query: the one table of search parameters, and the parser it drives.

PARAMETERS is the only list of the shared search parameters. The parser below, the results page's kept parameters
and filter fields (finder.search.views), the calendar search feed (finder.calendars.feeds) and the OpenAPI document
(finder.api.openapi) are all derived from it; tests/test_search_params.py fails when one of them drifts. A new
filter is a table entry (its parser and the SearchQuery field it fills), its condition (finder.search.conditions)
and a test.
"""
from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext, lazy_gettext

from finder.core import schedule
from finder.core.flags import parse_flag
from finder.core.geo import miles_to_km
from finder.core.numbers import DB_INT_MAX, parse_float, parse_int
from finder.core.times import parse_time_of_day
from finder.core.words import N_
from finder.core.vocab import COUNSELOR_TERMS, FORMAT_BY_CODE, SERVICE_BY_CODE
from finder.search.query import (
    ATTENDANCE_VALUES, DEFAULT_RADIUS_KM, KINDS, MAX_NEAREST, MAX_PAGE, MAX_PER_PAGE, MAX_RADIUS_KM, MAX_SOON_MINUTES,
    SearchError, SearchQuery,
)

_SERVICE_CODES = {code for code, spec in SERVICE_BY_CODE.items() if spec.category != "payment"}
_PAYMENT_CODES = {code for code, spec in SERVICE_BY_CODE.items() if spec.category == "payment"}
_APPROACHES = {term.code for term in COUNSELOR_TERMS if term.kind == "approach"}
_MAX_VALUES = 50  # per repeatable parameter: nobody picks 51 formats; a crafted URL may
# Messages made before any request (the table below holds them): lazy, so each is read in the request's language.
_SOON_RANGE = lazy_gettext("'Starting within' must be 1 to %(most)s minutes.", most=MAX_SOON_MINUTES)
_LATITUDE = lazy_gettext("Latitude must be a number between -90 and 90.")
_LONGITUDE = lazy_gettext("Longitude must be a number between -180 and 180.")
# The unknown codes of each vocabulary (%(codes)s: what the URL gave).
_UNKNOWN_FORMAT = N_("Unknown format: %(codes)s.")
_UNKNOWN_SERVICE = N_("Unknown treatment service: %(codes)s.")
_UNKNOWN_PAYMENT = N_("Unknown payment option: %(codes)s.")
_UNKNOWN_APPROACH = N_("Unknown approach: %(codes)s.")


def _values(args: Mapping[str, Any], name: str, *, split: bool = True) -> list[str]:
    """All values of a repeatable parameter (commas separate values too), stripped, empty ones dropped."""
    if hasattr(args, "getlist"):
        raw = args.getlist(name)
    else:
        value = args.get(name)
        raw = [] if value is None else list(value) if isinstance(value, (list, tuple)) else [value]
    out: list[str] = []
    for item in raw:
        parts = str(item).split(",") if split else [str(item)]
        out.extend(part.strip() for part in parts if part.strip())
    if len(out) > _MAX_VALUES:
        raise SearchError(name, gettext("Too many values for %(name)s.", name=name))
    return out


def _one(args: Mapping[str, Any], name: str) -> str | None:
    values = _values(args, name, split=False)  # "Saint Louis, MO" is one value
    return values[0][:200] if values else None


def _flag(args: Mapping[str, Any], name: str) -> bool:
    try:
        return parse_flag(_one(args, name), default=False)
    except ValueError:
        raise SearchError(name, gettext("%(name)s must be 1 or 0.", name=name)) from None


def _number(args: Mapping[str, Any], name: str, message: str) -> float | None:
    value = _one(args, name)
    if value is None:
        return None
    number = parse_float(value)
    if number is None:
        raise SearchError(name, message)
    return number


def _integer(args: Mapping[str, Any], name: str, low: int, high: int, message: str) -> int | None:
    value = _one(args, name)
    if value is None:
        return None
    number = parse_int(value, low=low, high=high)
    if number is None:
        raise SearchError(name, message)
    return number


def _clock_time(args: Mapping[str, Any], name: str) -> dt.time | None:
    value = _one(args, name)
    if value is None:
        return None
    try:
        return parse_time_of_day(value, end_of_day=True)  # "to=24:00": until the day ends
    except ValueError:
        raise SearchError(name, gettext("Enter the time as HH:MM, for example 18:30 (got %(value)s).",
                                        value=repr(value[:20]))) from None


def _codes(args: Mapping[str, Any], name: str, known: Iterable[str], what: str, *, upper: bool = True) -> frozenset[str]:
    values = [v.upper() if upper else v.lower() for v in _values(args, name)]
    known = set(known)
    unknown = [v for v in values if v not in known]
    if unknown:
        raise SearchError(name, gettext(what, codes=", ".join(u[:20] for u in unknown[:5])),
                          suggestions=sorted(known)[:50])
    return frozenset(values)


def _ids(args: Mapping[str, Any], name: str) -> frozenset[int]:
    out = set()
    for value in _values(args, name):
        number = parse_int(value, low=1, high=DB_INT_MAX)
        if number is None:
            raise SearchError(name, gettext("%(name)s must be a positive whole number.", name=name))
        out.add(number)
    return frozenset(out)


def _weekdays(args: Mapping[str, Any], name: str) -> frozenset[int]:
    weekdays = set()
    for token in _values(args, name):
        try:
            weekdays.add(schedule.from_url(token))
        except ValueError:
            raise SearchError(name, gettext("Days are mon, tue, wed, thu, fri, sat or sun.")) from None
    return frozenset(weekdays)


def _attendance(args: Mapping[str, Any], name: str) -> frozenset[str]:
    attendance = set()
    for value in _values(args, name):
        value = value.lower().replace("-", "_").replace(" ", "_")
        value = {"inperson": "in_person", "virtual": "online"}.get(value, value)
        if value not in ATTENDANCE_VALUES:
            raise SearchError(name, gettext("Attendance is in_person, online or hybrid."))
        attendance.add(value)
    return frozenset(attendance)


def _language(args: Mapping[str, Any], name: str) -> str | None:
    language = (_one(args, name) or "").lower() or None
    if language is not None and not re.fullmatch(r"[a-z]{2,3}", language):
        raise SearchError(name, gettext("The language must be a two-letter code such as en or es."))
    return language


def _open_closed(args: Mapping[str, Any], name: str) -> str | None:
    open_closed = (_one(args, name) or "").lower() or None
    if open_closed not in (None, "open", "closed"):
        raise SearchError(name, gettext("Choose open or closed."))
    return open_closed


def _sort(args: Mapping[str, Any], name: str) -> str:
    sort = (_one(args, name) or "distance").lower()
    if sort not in ("distance", "next", "next_start"):
        raise SearchError(name, gettext("Sort by distance or next."))
    return "distance" if sort == "distance" else "next_start"


def _with_default(parse: Callable[[Mapping[str, Any], str], Any], default: Any) -> Callable[[Mapping[str, Any], str], Any]:
    def parse_or_default(args: Mapping[str, Any], name: str) -> Any:
        value = parse(args, name)
        return default if value is None else value
    return parse_or_default


# --- the table ---------------------------------------------------------------------------------------------------

Parse = Callable[[Mapping[str, Any], str], Any]
ALL_KINDS = frozenset(KINDS)
MEETINGS, CENTERS, COUNSELORS = frozenset({"meetings"}), frozenset({"centers"}), frozenset({"counselors"})
# What a parameter does: where (place), how far (distance), what (kind), which (filter), which by the clock now
# (clock: a calendar feed leaves these out, as they would change every fetch), in what order, which page, and
# how to show it (view: the page's zone for "your time", no effect on what is found).
ROLES = ("place", "distance", "kind", "filter", "clock", "order", "paging", "view")

FLAG = {"type": "string", "enum": ["0", "1"]}
_HHMM = {"type": "string", "pattern": r"^\d{1,2}(:?\d{2})?\s*([aApP]\.?[mM]\.?)?$"}
_DAYS = [schedule.to_url(day) for day in range(7)]


@dataclass(frozen=True)
class Parameter:
    """One URL search parameter, as the parser, the page, the feeds and the OpenAPI document all read it."""

    name: str
    role: str
    schema: Mapping[str, Any]  # OpenAPI schema of one value
    description: str
    field: str | None = None  # the SearchQuery field it fills (None: query_from_args reads it itself)
    parse: Parse | None = None  # (args, name) -> that field's value; raises SearchError
    repeatable: bool = False
    kinds: frozenset[str] = ALL_KINDS  # the result kinds it applies to (a tab switch drops other tabs' filters)
    in_form: bool = False  # a field of the results page's filter form (templates/search/_filter_fields.html)
    api: bool = True  # documented in the OpenAPI document


PARAMETERS: tuple[Parameter, ...] = (
    Parameter("q", "place", {"type": "string", "maxLength": 200},
              "A place: town, \"City, ST\", ZIP code or \"lat,lon\"."),
    Parameter("lat", "place", {"type": "number", "minimum": -90, "maximum": 90},
              "Latitude; lat and lon go together (one alone is a 400), and win over q."),
    Parameter("lon", "place", {"type": "number", "minimum": -180, "maximum": 180}, "Longitude; needs lat."),
    Parameter("radius", "distance", {"type": "number", "exclusiveMinimum": True, "minimum": 0, "maximum": MAX_RADIUS_KM},
              "Distance from the place (q or lat/lon, required with it), in `unit`, at most 1000 miles. Default 25 "
              "miles.", in_form=True),
    Parameter("unit", "distance", {"type": "string", "enum": ["mi", "km"], "default": "mi"}, "Unit of radius.",
              in_form=True),
    Parameter("nearest", "distance", {"type": "integer", "minimum": 1, "maximum": MAX_NEAREST},
              "Only the N nearest (needs a place: q or lat/lon); the radius grows until N are found."),
    Parameter("kind", "kind", {"type": "string", "enum": ["meetings", "centers", "counselors", "all"]},
              "What to find (default meetings).", repeatable=True),
    Parameter("day", "filter", {"type": "string", "enum": _DAYS}, "Weekdays (local to each meeting).",
              "weekdays", _weekdays, repeatable=True, kinds=MEETINGS, in_form=True),
    Parameter("from", "filter", _HHMM, "Earliest local start time, HH:MM.",
              "time_from", lambda args, name: _clock_time(args, name), kinds=MEETINGS, in_form=True),
    Parameter("to", "filter", _HHMM, "Latest local start time, HH:MM (a window may wrap past midnight).",
              "time_to", lambda args, name: _clock_time(args, name), kinds=MEETINGS, in_form=True),
    Parameter("soon", "clock", {"type": "integer", "minimum": 1, "maximum": MAX_SOON_MINUTES},
              "Starting within this many minutes from now.",
              "starts_within", lambda args, name: _integer(
                  args, name, 1, MAX_SOON_MINUTES, _SOON_RANGE),
              kinds=MEETINGS, in_form=True),
    Parameter("now", "clock", FLAG, "1: only meetings in progress now.",
              "in_progress", lambda args, name: _flag(args, name), kinds=MEETINGS, in_form=True),
    Parameter("format", "filter", {"type": "string", "enum": sorted(FORMAT_BY_CODE)}, "Format codes; every one required.",
              "formats_all", lambda args, name: _codes(args, name, FORMAT_BY_CODE, _UNKNOWN_FORMAT),
              repeatable=True, kinds=MEETINGS, in_form=True),
    Parameter("any_format", "filter", {"type": "string", "enum": sorted(FORMAT_BY_CODE)},
              "Format codes; at least one.",
              "formats_any", lambda args, name: _codes(args, name, FORMAT_BY_CODE, _UNKNOWN_FORMAT),
              repeatable=True, kinds=MEETINGS),
    Parameter("attendance", "filter", {"type": "string", "enum": sorted(ATTENDANCE_VALUES)}, "How people attend.",
              "attendance", _attendance, repeatable=True, kinds=MEETINGS, in_form=True),
    Parameter("lang", "filter", {"type": "string", "pattern": "^[a-zA-Z]{2,3}$"},
              "Meeting language, ISO 639-1 (en, es).", "language", _language, kinds=MEETINGS, in_form=True),
    Parameter("wheelchair", "filter", FLAG, "1: wheelchair accessible only.",
              "wheelchair", lambda args, name: _flag(args, name), kinds=MEETINGS, in_form=True),
    Parameter("open", "filter", {"type": "string", "enum": ["open", "closed"]}, "Open or closed meetings.",
              "open_closed", _open_closed, kinds=MEETINGS, in_form=True),
    Parameter("body", "filter", {"type": "integer", "minimum": 1}, "Service body ids (their children included).",
              "service_body_ids", lambda args, name: _ids(args, name), repeatable=True, kinds=MEETINGS),
    Parameter("group", "filter", {"type": "integer", "minimum": 1}, "Group ids.",
              "group_ids", lambda args, name: _ids(args, name), repeatable=True, kinds=MEETINGS),
    Parameter("online", "filter", FLAG, "1: add online-only meetings whatever their distance.",
              "include_online", lambda args, name: _flag(args, name), kinds=MEETINGS),
    Parameter("text", "filter", {"type": "string", "maxLength": 200}, "Text in the name or location.",
              "text", lambda args, name: _one(args, name), in_form=True),
    Parameter("service", "filter", {"type": "string", "enum": sorted(_SERVICE_CODES)},
              "Treatment center service codes (all required).",
              "center_services", lambda args, name: _codes(args, name, _SERVICE_CODES, _UNKNOWN_SERVICE),
              repeatable=True, kinds=CENTERS, in_form=True),
    Parameter("payment", "filter", {"type": "string", "enum": sorted(_PAYMENT_CODES)},
              "Treatment center payment codes.",
              "payment", lambda args, name: _codes(args, name, _PAYMENT_CODES, _UNKNOWN_PAYMENT),
              repeatable=True, kinds=CENTERS, in_form=True),
    Parameter("approach", "filter", {"type": "string", "enum": sorted(_APPROACHES)}, "Counselor approaches.",
              "approaches", lambda args, name: _codes(args, name, _APPROACHES, _UNKNOWN_APPROACH, upper=False),
              repeatable=True, kinds=COUNSELORS, in_form=True),
    Parameter("telehealth", "filter", FLAG, "1: counselors offering telehealth.",
              "telehealth", lambda args, name: _flag(args, name), kinds=COUNSELORS, in_form=True),
    Parameter("accepting", "filter", FLAG, "1: counselors accepting new clients.",
              "accepting", lambda args, name: _flag(args, name), kinds=COUNSELORS, in_form=True),
    Parameter("sort", "order", {"type": "string", "enum": ["distance", "next"]},
              "Order: nearest first or soonest first.", "sort", _sort, kinds=MEETINGS),
    Parameter("page", "paging", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE}, "Page number, from 1.",
              "page", _with_default(functools.partial(
                  _integer, low=1, high=MAX_PAGE, message=lazy_gettext("The page must be a whole number from 1.")), 1)),
    Parameter("per_page", "paging", {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE}, "Results per page.",
              "per_page", _with_default(functools.partial(
                  _integer, low=1, high=MAX_PER_PAGE, message=lazy_gettext("Show 1 to %(most)s results per page.", most=MAX_PER_PAGE)), 25)),
    Parameter("tz", "view", {"type": "string", "maxLength": 64},
              "The viewer's IANA zone, for 'your time' on the results page.", api=False),
)
BY_NAME = {parameter.name: parameter for parameter in PARAMETERS}


def names(*roles: str) -> tuple[str, ...]:
    """The parameter names with one of `roles` (every parameter when none is given), in table order."""
    return tuple(p.name for p in PARAMETERS if not roles or p.role in roles)


# --- the parser --------------------------------------------------------------------------------------------------


def query_from_args(
    args: Mapping[str, Any], geocoder: Any, *, default_kinds: frozenset[str] = frozenset({"meetings"}),
) -> SearchQuery:
    """Parse the shared URL parameters (PARAMETERS) into a SearchQuery. Raises SearchError with a message.

    Where: `lat`+`lon`, else `q` (geocoded; unknown places raise SearchError with suggestions). Distance:
    `radius` in `unit` (mi default, or km) and/or `nearest`; with a point and neither, a 25-mile radius. Every
    other parameter fills its SearchQuery field through its table entry's parser.
    """
    return query_and_place(args, geocoder, default_kinds=default_kinds)[0]


def query_and_place(
    args: Mapping[str, Any], geocoder: Any, *, default_kinds: frozenset[str] = frozenset({"meetings"}),
) -> tuple[SearchQuery, Any]:
    """query_from_args, and the geocoder's answer for `q` (None when the place came as coordinates, or there is
    none), so a page can name the place it searched and use its country and zone."""
    point, found = _place(args, geocoder)
    radius_km, nearest = _distance(args, point)
    kinds: set[str] = set()
    for kind in _values(args, "kind"):
        kind = kind.lower()
        if kind == "all":
            kinds |= KINDS
        elif kind in KINDS:
            kinds.add(kind)
        else:
            raise SearchError("kind", gettext("Choose meetings, centers, counselors or all."))
    fields = {p.field: p.parse(args, p.name) for p in PARAMETERS if p.field is not None and p.parse is not None}
    query = SearchQuery(point=point, radius_km=radius_km, nearest=nearest,
                        kinds=frozenset(kinds) or frozenset(default_kinds), **fields)
    return query, found


def _place(args: Mapping[str, Any], geocoder: Any) -> tuple[tuple[float, float] | None, Any]:
    """The point to search around, and the geocoder's answer when it came from `q`."""
    lat = _number(args, "lat", _LATITUDE)
    lon = _number(args, "lon", _LONGITUDE)
    if (lat is None) != (lon is None):
        raise SearchError("lat" if lat is None else "lon", gettext("Give both latitude and longitude."))
    if lat is not None and lon is not None:
        if not -90 <= lat <= 90:
            raise SearchError("lat", _LATITUDE)
        if not -180 <= lon <= 180:
            raise SearchError("lon", _LONGITUDE)
        return (lat, lon), None
    place_text = _one(args, "q")
    if not place_text:
        return None, None
    try:
        found = geocoder.geocode(place_text)
    except ValueError as exc:
        # The geocoder's words (a "lat,lon" out of range) are in the catalog too (finder.search.query).
        raise SearchError("q", gettext(str(exc))) from None
    if found is None:
        raise _unplaced(place_text, geocoder)
    return (found.lat, found.lon), found


# A house number, then a word: "1625 Locust St", "12b Main Road". ZIP codes and coordinates never match.
_STREET = re.compile(r"^\s*\d+[a-z]?\s+[^\d\s,]", re.IGNORECASE)
_ZIP_AT_END = re.compile(r"\b(\d{5})(?:-\d{4})?\s*$")


def _unplaced(text: str, geocoder: Any) -> SearchError:
    """Why a place was not found, and what to try: for a street address the offline gazetteer cannot place (a
    configured geocoder would have), its ZIP code and its town when those can be placed."""
    if not _STREET.match(text):
        return SearchError("q", gettext("We couldn't find that place. Try a ZIP code, or a town and state."),
                           suggestions=geocoder.suggest(text))
    tries = []
    zip_code = _ZIP_AT_END.search(text)
    if zip_code:
        tries.append(zip_code.group(1))
    parts = [part.strip() for part in text.split(",") if part.strip()]
    for start in range(1, len(parts)):
        town = _ZIP_AT_END.sub("", ", ".join(parts[start:])).strip(" ,")
        if town and geocoder.geocode(town) is not None:
            tries.append(town)
            break
    message = (gettext("We couldn't place that street address (this site finds places by ZIP code and town). "
                       "Search by its ZIP code or town instead:") if tries else
               gettext("We couldn't place that street address (this site finds places by ZIP code and town). "
                       "Search by its ZIP code or town instead."))
    return SearchError("q", message, suggestions=tries)


def _distance(args: Mapping[str, Any], point: tuple[float, float] | None) -> tuple[float | None, int | None]:
    unit = (_one(args, "unit") or "mi").lower()
    if unit not in ("mi", "km"):
        raise SearchError("unit", gettext("The unit must be mi or km."))
    radius = _number(args, "radius", lazy_gettext("The distance must be a number."))
    radius_km = None
    if radius is not None:
        radius_km = miles_to_km(radius) if unit == "mi" else radius
        if radius_km <= 0:
            raise SearchError("radius", gettext("The distance must be more than 0."))
        if radius_km > MAX_RADIUS_KM + 1e-9:
            message = (gettext("The distance can be at most 1000 miles; try 'nearest' instead.") if unit == "mi" else
                       gettext("The distance can be at most %(km)s km; try 'nearest' instead.",
                               km=f"{MAX_RADIUS_KM:.0f}"))
            raise SearchError("radius", message)
    nearest = _integer(args, "nearest", 1, MAX_NEAREST,
                       lazy_gettext("'Nearest' must be a whole number from 1 to %(most)s.", most=MAX_NEAREST))
    if point is None and (radius_km is not None or nearest is not None):
        raise SearchError("q", gettext("A distance needs a place: enter a town, a ZIP code or use your location."))
    if point is not None and radius_km is None and nearest is None:
        radius_km = DEFAULT_RADIUS_KM
    return radius_km, nearest
