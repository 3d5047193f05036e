"""How URL arguments become a query: the shared search parameters of the pages, the feeds and the JSON API."""
from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

from finder.core import schedule
from finder.core.geo import miles_to_km
from finder.core.vocab import COUNSELOR_TERMS, FORMAT_BY_CODE, SERVICE_BY_CODE
from finder.search.query import (
    ATTENDANCE_VALUES, DEFAULT_RADIUS_KM, KINDS, MAX_NEAREST, MAX_PAGE, MAX_PER_PAGE, MAX_RADIUS_KM, MAX_SOON_MINUTES,
    SearchError, SearchQuery,
)

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}
_SERVICE_CODES = {code for code, spec in SERVICE_BY_CODE.items() if spec.category != "payment"}
_PAYMENT_CODES = {code for code, spec in SERVICE_BY_CODE.items() if spec.category == "payment"}
_APPROACHES = {term.code for term in COUNSELOR_TERMS if term.kind == "approach"}
_TIME = re.compile(r"^\s*(\d{1,2})(?::?(\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)?\s*$", re.IGNORECASE)
_MAX_VALUES = 50  # per repeatable parameter: nobody picks 51 formats; a crafted URL may


def _values(args: Mapping[str, Any], name: str, *, split: bool = True) -> list[str]:
    """All values of a repeatable parameter (commas separate values too), stripped, empty ones dropped."""
    if hasattr(args, "getlist"):
        raw = args.getlist(name)
    else:
        value = args.get(name)
        raw = [] if value is None else list(value) if isinstance(value, (list, tuple)) else [value]
    out = []
    for item in raw:
        parts = str(item).split(",") if split else [str(item)]
        out.extend(part.strip() for part in parts if part.strip())
    if len(out) > _MAX_VALUES:
        raise SearchError(name, f"Too many values for {name}.")
    return out


def _one(args: Mapping[str, Any], name: str) -> str | None:
    values = _values(args, name, split=False)  # "Saint Louis, MO" is one value
    return values[0][:200] if values else None


def _flag(args: Mapping[str, Any], name: str) -> bool:
    value = _one(args, name)
    if value is None or value.lower() in _FALSE:
        return False
    if value.lower() in _TRUE:
        return True
    raise SearchError(name, f"{name} must be 1 or 0.")


def _number(args: Mapping[str, Any], name: str, message: str) -> float | None:
    value = _one(args, name)
    if value is None:
        return None
    try:
        number = float(value)
    except ValueError:
        raise SearchError(name, message) from None
    if not math.isfinite(number):
        raise SearchError(name, message)
    return number


def _integer(args: Mapping[str, Any], name: str, low: int, high: int, message: str) -> int | None:
    value = _one(args, name)
    if value is None:
        return None
    if not re.fullmatch(r"[+-]?\d{1,9}", value):
        raise SearchError(name, message)
    number = int(value)
    if not low <= number <= high:
        raise SearchError(name, message)
    return number


def _clock_time(args: Mapping[str, Any], name: str) -> dt.time | None:
    value = _one(args, name)
    if value is None:
        return None
    match = _TIME.match(value)
    message = f"Enter the time as HH:MM, for example 18:30 (got {value[:20]!r})."
    if not match:
        raise SearchError(name, message)
    hour, minute, meridiem = int(match.group(1)), int(match.group(2) or 0), (match.group(3) or "").lower()
    if meridiem:
        if not 1 <= hour <= 12:
            raise SearchError(name, message)
        hour = hour % 12 + (12 if meridiem.startswith("p") else 0)
    if hour == 24 and minute == 0:
        return dt.time(23, 59, 59)
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise SearchError(name, message)
    return dt.time(hour, minute)


def _codes(args: Mapping[str, Any], name: str, known: Iterable[str], what: str, *, upper: bool = True) -> frozenset[str]:
    values = [v.upper() if upper else v.lower() for v in _values(args, name)]
    known = set(known)
    unknown = [v for v in values if v not in known]
    if unknown:
        raise SearchError(name, f"Unknown {what}: {', '.join(u[:20] for u in unknown[:5])}.",
                          suggestions=sorted(known)[:50])
    return frozenset(values)


def _ids(args: Mapping[str, Any], name: str) -> frozenset[int]:
    out = set()
    for value in _values(args, name):
        if not re.fullmatch(r"\d{1,9}", value) or int(value) < 1:
            raise SearchError(name, f"{name} must be a positive whole number.")
        out.add(int(value))
    return frozenset(out)


def query_from_args(
    args: Mapping[str, Any], geocoder: Any, *, default_kinds: frozenset[str] = frozenset({"meetings"}),
) -> SearchQuery:
    """Parse the shared URL parameters (see common.md) into a SearchQuery. Raises SearchError with a message.

    Where: `lat`+`lon`, else `q` (geocoded; unknown places raise SearchError with suggestions). Distance:
    `radius` in `unit` (mi default, or km) and/or `nearest`; with a point and neither, a 25-mile radius.
    """
    point: tuple[float, float] | None = None
    lat = _number(args, "lat", "Latitude must be a number between -90 and 90.")
    lon = _number(args, "lon", "Longitude must be a number between -180 and 180.")
    if (lat is None) != (lon is None):
        raise SearchError("lat" if lat is None else "lon", "Give both latitude and longitude.")
    if lat is not None and lon is not None:
        if not -90 <= lat <= 90:
            raise SearchError("lat", "Latitude must be a number between -90 and 90.")
        if not -180 <= lon <= 180:
            raise SearchError("lon", "Longitude must be a number between -180 and 180.")
        point = (lat, lon)
    place_text = _one(args, "q")
    if point is None and place_text:
        try:
            found = geocoder.geocode(place_text)
        except ValueError as exc:
            raise SearchError("q", str(exc)) from None
        if found is None:
            raise SearchError("q", "We couldn't find that place. Try a ZIP code, or a town and state.",
                              suggestions=geocoder.suggest(place_text))
        point = (found.lat, found.lon)

    unit = (_one(args, "unit") or "mi").lower()
    if unit not in ("mi", "km"):
        raise SearchError("unit", "The unit must be mi or km.")
    radius = _number(args, "radius", "The distance must be a number.")
    radius_km = None
    if radius is not None:
        radius_km = miles_to_km(radius) if unit == "mi" else radius
        if radius_km <= 0:
            raise SearchError("radius", "The distance must be more than 0.")
        if radius_km > MAX_RADIUS_KM + 1e-9:
            limit = "1000 miles" if unit == "mi" else f"{MAX_RADIUS_KM:.0f} km"
            raise SearchError("radius", f"The distance can be at most {limit}; try 'nearest' instead.")
    nearest = _integer(args, "nearest", 1, MAX_NEAREST, f"'Nearest' must be a whole number from 1 to {MAX_NEAREST}.")
    if point is None and (radius_km is not None or nearest is not None):
        raise SearchError("q", "A distance needs a place: enter a town, a ZIP code or use your location.")
    if point is not None and radius_km is None and nearest is None:
        radius_km = DEFAULT_RADIUS_KM

    kinds: set[str] = set()
    for kind in _values(args, "kind"):
        kind = kind.lower()
        if kind == "all":
            kinds |= KINDS
        elif kind in KINDS:
            kinds.add(kind)
        else:
            raise SearchError("kind", "Choose meetings, centers, counselors or all.")
    weekdays = set()
    for token in _values(args, "day"):
        try:
            weekdays.add(schedule.from_url(token))
        except ValueError:
            raise SearchError("day", "Days are mon, tue, wed, thu, fri, sat or sun.") from None

    open_closed = (_one(args, "open") or "").lower() or None
    if open_closed not in (None, "open", "closed"):
        raise SearchError("open", "Choose open or closed.")
    language = (_one(args, "lang") or "").lower() or None
    if language is not None and not re.fullmatch(r"[a-z]{2,3}", language):
        raise SearchError("lang", "The language must be a two-letter code such as en or es.")
    attendance = set()
    for value in _values(args, "attendance"):
        value = value.lower().replace("-", "_").replace(" ", "_")
        value = {"inperson": "in_person", "virtual": "online"}.get(value, value)
        if value not in ATTENDANCE_VALUES:
            raise SearchError("attendance", "Attendance is in_person, online or hybrid.")
        attendance.add(value)
    sort = (_one(args, "sort") or "distance").lower()
    if sort not in ("distance", "next", "next_start"):
        raise SearchError("sort", "Sort by distance or next.")
    soon = _integer(args, "soon", 1, MAX_SOON_MINUTES, f"'Starting within' must be 1 to {MAX_SOON_MINUTES} minutes.")
    text_filter = _one(args, "text")

    return SearchQuery(
        point=point,
        radius_km=radius_km,
        nearest=nearest,
        kinds=frozenset(kinds) or frozenset(default_kinds),
        weekdays=frozenset(weekdays),
        time_from=_clock_time(args, "from"),
        time_to=_clock_time(args, "to"),
        starts_within=soon,
        in_progress=_flag(args, "now"),
        formats_all=_codes(args, "format", FORMAT_BY_CODE, "format"),
        formats_any=_codes(args, "any_format", FORMAT_BY_CODE, "format"),
        attendance=frozenset(attendance),
        language=language,
        wheelchair=_flag(args, "wheelchair"),
        open_closed=open_closed,
        service_body_ids=_ids(args, "body"),
        group_ids=_ids(args, "group"),
        include_online=_flag(args, "online"),
        text=text_filter,
        center_services=_codes(args, "service", _SERVICE_CODES, "treatment service"),
        payment=_codes(args, "payment", _PAYMENT_CODES, "payment option"),
        approaches=_codes(args, "approach", _APPROACHES, "approach", upper=False),
        telehealth=_flag(args, "telehealth"),
        accepting=_flag(args, "accepting"),
        sort="distance" if sort == "distance" else "next_start",
        page=_integer(args, "page", 1, MAX_PAGE, "The page must be a whole number from 1.") or 1,
        per_page=_integer(args, "per_page", 1, MAX_PER_PAGE, f"Show 1 to {MAX_PER_PAGE} results per page.") or 25,
    )
