"""The BMLT semantic API: parameters parsed into our one search, answers shaped as BMLT clients expect.

Every answer is built from strings only (BMLT clients call .trim() on values), ids resolve across switchers,
and a bad parameter raises BmltError (the view answers 400), never a 500.
"""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from finder.meetings import bodies as service_tree
from finder.core import bmlt
from finder.core import vocab
from finder.core import schedule
from finder.core.geo import haversine_km, miles_to_km
from finder.models import Format, Meeting, ServiceBody, meeting_formats
from finder import search
from finder.meetings import visibility
from finder.search import loader
from finder.core.numbers import parse_float, parse_int

SERVER_VERSION = "3.0.3"  # the BMLT API level we answer like; crouton and other clients check it
MAX_LIST_VALUES = 100
MAX_PAGE_SIZE = 1000
MAX_NEAREST = 200
VENUE_TYPES = {1: "in_person", 2: "online", 3: "hybrid"}
_INT_MAX = 10**12 - 1  # ids and counts BMLT clients send
# Record fields that sort as numbers, not text.
_NUMERIC_SORT = {"id_bigint", "service_body_bigint", "weekday_tinyint", "venue_type", "distance_in_km",
                 "distance_in_miles", "latitude", "longitude"}
DEFAULT_SORT = ("weekday_tinyint", "start_time", "meeting_name", "id_bigint")
# The root server's `sort_key` shortcuts (what meeting-list generators such as bread send).
SORT_KEY_ALIASES = {
    "weekday": ("weekday_tinyint", "location_municipality", "location_city_subsection", "start_time",
                "location_neighborhood"),
    "time": ("weekday_tinyint", "start_time", "location_municipality", "location_city_subsection",
             "location_neighborhood"),
    "town": ("location_municipality", "location_city_subsection", "location_neighborhood", "weekday_tinyint",
             "start_time"),
    "state": ("location_province", "location_municipality", "location_city_subsection", "weekday_tinyint",
              "start_time"),
    "weekday_state": ("weekday_tinyint", "location_province", "location_municipality", "start_time",
                      "location_city_subsection"),
}


class BmltError(ValueError):
    """A parameter a BMLT client sent cannot be used; `field` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


# --- parameter reading --------------------------------------------------------------------------------------------

def values(args: Any, name: str) -> list[str]:
    """A list parameter in any BMLT spelling: x[]=1&x[]=2, x=1,2 or x=1&x=2; empty parts dropped."""
    raw: list[str] = []
    for key in (name, f"{name}[]"):
        raw.extend(args.getlist(key) if hasattr(args, "getlist") else
                   ([args[key]] if key in args and args[key] is not None else []))
    out = [part.strip() for item in raw for part in str(item).split(",") if part.strip()]
    if len(out) > MAX_LIST_VALUES:
        raise BmltError(name, f"too many values for {name} (at most {MAX_LIST_VALUES})")
    return out


def int_values(args: Any, name: str) -> list[int]:
    out = []
    for value in values(args, name):
        number = parse_int(value)
        if number is None or abs(number) > _INT_MAX:
            raise BmltError(name, f"{name} takes whole numbers, got {value[:20]!r}")
        out.append(number)
    return out


def one(args: Any, name: str) -> str | None:
    value = args.get(name)
    if value is None:
        return None
    return str(value).strip()


def integer(args: Any, name: str, low: int, high: int) -> int | None:
    value = one(args, name)
    if value in (None, ""):
        return None
    number = parse_int(value, low=low, high=high)
    if number is None:
        raise BmltError(name, f"{name} must be a whole number from {low} to {high}")
    return number


def number(args: Any, name: str) -> float | None:
    value = one(args, name)
    if value in (None, ""):
        return None
    result = parse_float(value)
    if result is None:
        raise BmltError(name, f"{name} must be a finite number")
    return result


def flag(args: Any, name: str) -> bool:
    value = one(args, name)
    return value is not None and value.lower() not in ("0", "false", "no", "off")


def split_signed(numbers: Iterable[int]) -> tuple[set[int], set[int]]:
    """BMLT lists: positive ids include, negative ids exclude."""
    include: set[int] = set()
    exclude: set[int] = set()
    for n in numbers:
        (exclude if n < 0 else include).add(abs(n))
    return include, exclude


# --- GetSearchResults ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SearchParams:
    """A GetSearchResults request in our terms (Python weekdays, NA format codes, our meeting ids)."""

    point: tuple[float, float] | None = None
    radius_km: float | None = None
    nearest: int | None = None
    weekdays: frozenset[int] = frozenset()
    weekdays_excluded: frozenset[int] = frozenset()
    attendance: frozenset[str] = frozenset()
    formats_all: frozenset[str] = frozenset()
    formats_any: frozenset[str] = frozenset()
    formats_excluded: frozenset[str] = frozenset()
    services: frozenset[int] = frozenset()
    services_excluded: frozenset[int] = frozenset()
    recursive: bool = False
    meeting_ids: frozenset[int] = frozenset()
    record_ids: frozenset[int] = frozenset()
    starts_after: dt.time | None = None
    starts_before: dt.time | None = None
    ends_before: dt.time | None = None
    min_duration: int | None = None  # minutes
    max_duration: int | None = None
    field_match: tuple[str, str] | None = None  # meeting_key, meeting_key_value: records whose field equals it
    text: str | None = None
    languages: frozenset[str] = frozenset()
    sort_by_distance: bool = False
    sort_keys: tuple[str, ...] = ()
    page_size: int | None = None
    page_num: int = 1
    fields: tuple[str, ...] = ()
    used_formats: bool = False
    formats_only: bool = False


def _clock(args: Any, hour_name: str, minute_name: str) -> dt.time | None:
    hour = integer(args, hour_name, 0, 24)
    minute = integer(args, minute_name, 0, 59)
    if hour is None and minute is None:
        return None
    hour, minute = hour or 0, minute or 0
    if hour == 24:
        if minute:
            raise BmltError(hour_name, f"{hour_name} 24 allows minute 0 only")
        return dt.time(23, 59, 59)
    return dt.time(hour, minute)


def parse_search(args: Any, formats_by_id: Mapping[int, str],
                 geocode: Callable[[str], tuple[float, float] | None] | None = None) -> SearchParams:
    """Read every GetSearchResults parameter (DOMAIN.md 3.2); raises BmltError for a value we cannot use."""
    params: dict[str, Any] = {}
    include, exclude = split_signed(int_values(args, "weekdays"))
    if any(not 1 <= d <= 7 for d in include | exclude):
        raise BmltError("weekdays", "weekdays are 1 (Sunday) to 7 (Saturday); negative to exclude")
    params["weekdays"] = frozenset(schedule.from_bmlt(d) for d in include)
    params["weekdays_excluded"] = frozenset(schedule.from_bmlt(d) for d in exclude)

    include, exclude = split_signed(int_values(args, "venue_types"))
    if any(v not in VENUE_TYPES for v in include | exclude):
        raise BmltError("venue_types", "venue_types are 1 (in person), 2 (virtual) or 3 (hybrid)")
    attendance = {VENUE_TYPES[v] for v in include} or set(VENUE_TYPES.values())
    params["attendance"] = frozenset(attendance - {VENUE_TYPES[v] for v in exclude})

    include, exclude = split_signed(int_values(args, "formats"))
    unknown = sorted((include | exclude) - set(formats_by_id))
    if unknown:
        raise BmltError("formats", f"unknown format ids {unknown[:10]}")
    operator = (one(args, "formats_comparison_operator") or "AND").upper()
    if operator not in ("AND", "OR"):
        raise BmltError("formats_comparison_operator", "formats_comparison_operator is AND or OR")
    codes = frozenset(formats_by_id[i] for i in include)
    params["formats_all" if operator == "AND" else "formats_any"] = codes
    params["formats_excluded"] = frozenset(formats_by_id[i] for i in exclude)

    include, exclude = split_signed(int_values(args, "services"))
    params.update(services=frozenset(include), services_excluded=frozenset(exclude),
                  recursive=flag(args, "recursive"))

    record_ids, _ = split_signed(int_values(args, "meeting_ids"))
    params["record_ids"] = frozenset(record_ids)
    params["meeting_ids"] = frozenset(bmlt.split_record_id(i)[0] for i in record_ids)

    params["starts_after"] = _clock(args, "StartsAfterH", "StartsAfterM")
    params["starts_before"] = _clock(args, "StartsBeforeH", "StartsBeforeM")
    params["ends_before"] = _clock(args, "EndsBeforeH", "EndsBeforeM")
    for name, prefix in (("min_duration", "MinDuration"), ("max_duration", "MaxDuration")):
        length = _clock(args, f"{prefix}H", f"{prefix}M")
        params[name] = None if length is None else length.hour * 60 + length.minute + (1 if length.second else 0)
    meeting_key = one(args, "meeting_key")
    if meeting_key:
        if meeting_key not in bmlt.BMLT_FIELD_NAMES:
            raise BmltError("meeting_key", f"unknown meeting_key {meeting_key[:40]!r}")
        wanted = one(args, "meeting_key_value") or ""
        if meeting_key in ("start_time", "duration_time") and wanted.count(":") == 1:
            wanted += ":00"  # clients send HH:MM; records say HH:MM:SS
        params["field_match"] = (meeting_key, wanted)

    languages = [v.lower() for v in values(args, "lang_enum")]
    if any(not re.fullmatch(r"[a-z]{2,3}", v) for v in languages):
        raise BmltError("lang_enum", "lang_enum is a language code such as en or es")
    # Clients send lang_enum for the language of format names; as a meeting filter BMLT ignores it too.

    text = one(args, "SearchString")
    if text:
        text = text[:200]
        if flag(args, "StringSearchIsAnAddress"):
            if geocode is None:
                raise BmltError("SearchString", "address search is not available")
            found = geocode(text)
            if found is None:
                raise BmltError("SearchString", "that address could not be found")
            params["point"] = found
            width = number(args, "SearchStringRadius")
            _set_width(params, width, "SearchStringRadius", miles=True)
        else:
            params["text"] = text

    lat, lon = number(args, "lat_val"), number(args, "long_val")
    if (lat is None) != (lon is None):
        raise BmltError("lat_val" if lat is None else "long_val", "give both lat_val and long_val")
    if lat is not None and lon is not None:
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise BmltError("lat_val", "lat_val must be -90..90 and long_val -180..180")
        params["point"] = (lat, lon)
        miles, km = number(args, "geo_width"), number(args, "geo_width_km")
        if miles is not None and km is not None:
            raise BmltError("geo_width", "give geo_width (miles) or geo_width_km, not both")
        _set_width(params, km if km is not None else miles, "geo_width_km" if km is not None else "geo_width",
                   miles=km is None)
    elif number(args, "geo_width") is not None or number(args, "geo_width_km") is not None:
        raise BmltError("lat_val", "geo_width needs lat_val and long_val")

    params["sort_by_distance"] = flag(args, "sort_results_by_distance")
    sort_keys = values(args, "sort_keys") or list(SORT_KEY_ALIASES.get(one(args, "sort_key") or "", ()))
    # A key this server does not have sorts nothing, as on a BMLT root server: never a failed answer.
    params["sort_keys"] = tuple(k for k in sort_keys if k in bmlt.BMLT_FIELD_NAMES)
    params["page_size"] = integer(args, "page_size", 1, MAX_PAGE_SIZE)
    params["page_num"] = integer(args, "page_num", 1, 1_000_000) or 1
    params["fields"] = tuple(k for k in values(args, "data_field_key") if k in bmlt.BMLT_FIELD_NAMES)
    params["used_formats"] = "get_used_formats" in args
    params["formats_only"] = "get_formats_only" in args
    return SearchParams(**params)


def _set_width(params: dict[str, Any], width: float | None, name: str, *, miles: bool) -> None:
    """Positive: a radius; negative -N: the N nearest ("the smallest radius holding at least N")."""
    if width is None:
        return
    if width < 0:
        n = int(-width)
        if n != -width or not 1 <= n <= MAX_NEAREST:
            raise BmltError(name, f"a negative {name} is -N for the N nearest, N from 1 to {MAX_NEAREST}")
        params["nearest"] = n
    elif width == 0:
        raise BmltError(name, f"{name} must not be 0")
    else:
        km = miles_to_km(width) if miles else width
        if km > miles_to_km(1000):
            raise BmltError(name, f"{name} is at most 1000 miles; use a negative width for the nearest")
        params["radius_km"] = km


def search_query(params: SearchParams) -> Any:
    """The finder.search query for the parts SQL can decide; the rest is applied to the BMLT records."""
    venue = {"VM", "HYBR", "TC"}
    return search.SearchQuery(
        point=params.point,
        radius_km=params.radius_km,
        nearest=params.nearest,
        kinds=frozenset({"meetings"}),
        weekdays=params.weekdays or (frozenset(range(7)) - params.weekdays_excluded
                                     if params.weekdays_excluded else frozenset()),
        formats_all=params.formats_all - venue,
        formats_any=frozenset() if params.formats_any & venue else params.formats_any,
        attendance=params.attendance,
        service_body_ids=params.services,
        meeting_ids=params.meeting_ids,
        text=params.text,
        sort="distance",
        per_page=0,
        schedule=False,  # BMLT records list weekly times, never the next occurrence
    )


def _minutes(hhmmss: str) -> int:
    hours, minutes, *_ = hhmmss.split(":")
    return int(hours) * 60 + int(minutes)


def _record_passes(record: dict[str, str], params: SearchParams) -> bool:
    if params.field_match is not None and record.get(params.field_match[0], "") != params.field_match[1]:
        return False
    duration = _minutes(record["duration_time"])
    if params.min_duration is not None and duration < params.min_duration:
        return False
    if params.max_duration is not None and duration > params.max_duration:
        return False
    if params.ends_before is not None and _minutes(record["start_time"]) + duration > \
            params.ends_before.hour * 60 + params.ends_before.minute:
        return False
    weekday = schedule.from_bmlt(int(record["weekday_tinyint"]))
    if params.weekdays and weekday not in params.weekdays:
        return False
    if weekday in params.weekdays_excluded:
        return False
    start = dt.time.fromisoformat(record["start_time"])
    if params.starts_after is not None and not start > params.starts_after:
        return False
    if params.starts_before is not None and not start < params.starts_before:
        return False
    if params.record_ids and int(record["id_bigint"]) not in params.record_ids:
        return False
    return True


def _meeting_passes(meeting: Meeting, params: SearchParams, allowed_bodies: set[int] | None,
                    excluded_bodies: set[int]) -> bool:
    codes = set(vocab.effective_format_codes(meeting))
    if not params.formats_all <= codes:
        return False
    if params.formats_any and not params.formats_any & codes:
        return False
    if params.formats_excluded & codes:
        return False
    body = bmlt.meeting_body_id(meeting)
    if body is None:
        return False  # a BMLT record must name a service body that resolves
    bodies = {meeting.service_body_id, meeting.group_id} - {None}
    if allowed_bodies is not None and not bodies & allowed_bodies:
        return False
    if bodies & excluded_bodies:
        return False
    return True


def _sort_value(record: dict[str, str], key: str) -> Any:
    value = record.get(key, "")
    if key in _NUMERIC_SORT:
        try:
            return (0, float(value))
        except ValueError:
            return (1, 0.0)  # blanks (no distance) sort last
    return (0, value.lower())


def search_records(session: Session, params: SearchParams, now: dt.datetime, *, root_server_uri: str,
                   body_pairs: list[tuple[int, int | None]]) -> tuple[list[dict[str, str]], list[Meeting]]:
    """Run the search and return (the page of BMLT records, the meetings behind every matching record)."""
    allowed = None
    if params.services:
        allowed = service_tree.descendant_ids(body_pairs, params.services) if params.recursive else set(params.services)
    excluded = service_tree.descendant_ids(body_pairs, params.services_excluded) if params.recursive else \
        set(params.services_excluded)
    query = search_query(params)
    while True:
        try:
            # Plain rows: an unfiltered answer holds every meeting, and ORM objects cost several times more.
            results = search.find_nearby(session, query, now, load_meetings=loader.meetings_by_id)
        except search.SearchError as exc:
            raise BmltError(exc.field, exc.message) from None
        meetings = [hit for hit in results.meetings if _meeting_passes(hit.meeting, params, allowed, excluded)]
        # "The N nearest" counts meetings BMLT can show: when filters the search cannot express dropped some,
        # ask for more until N pass or the search has nothing more to give.
        if params.nearest is None or len(meetings) >= params.nearest or query.nearest is None \
                or len(results.meetings) < query.nearest or query.nearest >= search.MAX_NEAREST:
            break
        query = search.replace(query, nearest=min(query.nearest * 2, search.MAX_NEAREST))
    distances: dict[int, float | None] = {}
    for hit in meetings:
        distance = hit.distance_km
        if distance is None and params.point is not None:
            place = hit.meeting.place  # BMLT gives virtual meetings a distance too, from their approximate place
            distance = haversine_km(params.point[0], params.point[1], place.latitude, place.longitude)
        distances[hit.meeting.id] = distance
    if params.nearest is not None:
        meetings.sort(key=lambda hit: (distances[hit.meeting.id] or 0.0, hit.meeting.name, hit.meeting.id))
        meetings = meetings[:params.nearest]
    records: list[dict[str, str]] = []
    used: list[Meeting] = []
    for hit in meetings:
        distance = distances[hit.meeting.id]
        chosen = [r for r in bmlt.meeting_to_bmlt_records(hit.meeting, root_server_uri=root_server_uri,
                                                           distance_km=distance) if _record_passes(r, params)]
        if chosen:
            used.append(hit.meeting)
            records.extend(chosen)
    keys = params.sort_keys or (("distance_in_km", *DEFAULT_SORT) if params.sort_by_distance and params.point
                                else DEFAULT_SORT)
    if params.sort_by_distance and params.point and params.sort_keys:
        keys = ("distance_in_km", *params.sort_keys)
    records.sort(key=lambda r: tuple(_sort_value(r, k) for k in (*keys, "id_bigint")))
    if params.page_size:
        start = (params.page_num - 1) * params.page_size
        records = records[start:start + params.page_size]
    if params.fields:
        records = [{k: r[k] for k in params.fields} for r in records]
    return records, used


# --- formats, service bodies, server info, field keys ------------------------------------------------------------

def all_formats(session: Session) -> list[Format]:
    return list(session.scalars(select(Format).order_by(Format.id)))


def formats_by_id(formats: Iterable[Format]) -> dict[int, str]:
    return {f.id: f.code for f in formats}


def used_format_codes(meetings: Iterable[Meeting]) -> set[str]:
    return {code for m in meetings for code in vocab.effective_format_codes(m)}


def formats_in_use(session: Session) -> set[str]:
    """The format codes of published meetings, with the venue codes their attendance and status imply (SQL)."""
    visible = select(Meeting.id).where(visibility.listed())
    codes = set(session.scalars(
        select(Format.code).distinct().join(meeting_formats, meeting_formats.c.format_id == Format.id)
        .where(meeting_formats.c.meeting_id.in_(visible))
    ))
    codes -= {"VM", "HYBR", "TC"}
    states = session.execute(select(Meeting.attendance, Meeting.status).distinct().where(visibility.listed()))
    for attendance, status in states:
        codes |= {"online": {"VM"}, "hybrid": {"HYBR"}}.get(attendance, set())
        if status == "temporarily_closed":
            codes.add("TC")
    return codes


def visible_meetings(session: Session) -> list[Meeting]:
    """Published, not inactive meetings with formats loaded (for formats in use and field values)."""
    return list(session.scalars(visibility.listed_meetings_select()))


def get_formats(formats: list[Format], *, used: set[str] | None, key_strings: list[str], root_server_uri: str,
                lang: str = "en") -> list[dict[str, str]]:
    """GetFormats records: the formats in use (all when used is None), optionally only some key strings."""
    wanted = {bmlt.FROM_BMLT_KEY.get(k, k) for k in key_strings}
    out = []
    for fmt in formats:
        if used is not None and fmt.code not in used and fmt.code not in wanted:
            continue
        if wanted and fmt.code not in wanted:
            continue
        out.append(bmlt.format_to_bmlt(fmt, root_server_uri=root_server_uri, lang=lang))
    return out


def get_service_bodies(bodies: list[ServiceBody], *, services: list[int], recursive: bool,
                       parents: bool) -> list[dict[str, str]]:
    """GetServiceBodies: all, or the listed ones (negative ids excluded), with children and/or ancestors."""
    include, exclude = split_signed(services)
    pairs = [(b.id, b.parent_id) for b in bodies]
    by_id = {b.id: b for b in bodies}
    if include:
        chosen = service_tree.descendant_ids(pairs, include) if recursive else set(include)
        if parents:
            for body_id in list(chosen):
                seen: set[int] = set()
                parent = by_id[body_id].parent_id if body_id in by_id else None
                while parent is not None and parent in by_id and parent not in seen:
                    seen.add(parent)
                    chosen.add(parent)
                    parent = by_id[parent].parent_id
    else:
        chosen = set(by_id)
    chosen -= service_tree.descendant_ids(pairs, exclude) if recursive else exclude
    return [bmlt.service_body_to_bmlt(b) for b in bodies if b.id in chosen]


def server_info(*, center: tuple[float, float] | None, formats_count: int) -> list[dict[str, str]]:
    """GetServerInfo: one record, every value a string."""
    lat, lon = center or (39.8283, -98.5795)
    return [bmlt.stringify({
        "version": SERVER_VERSION,
        "versionInt": "3000003",
        "langs": "en",
        "nativeLang": "en",
        "centerLongitude": round(lon, 6),
        "centerLatitude": round(lat, 6),
        "centerZoomLevel": 9,
        "defaultDuration": "01:00:00",
        "regionBias": "us",
        "charSet": "UTF-8",
        "distanceUnits": "mi",
        "semanticAdmin": "0",
        "emailEnabled": "0",
        "emailIncludesServiceBodies": "0",
        "changesPerMeeting": "0",
        "meeting_states_and_provinces": "",
        "meeting_counties_and_sub_provinces": "",
        "available_keys": ",".join(bmlt.BMLT_FIELD_NAMES),
        "google_api_key": "",
        "dbVersion": "",
        "dbPrefix": "",
        "meeting_time_zones_enabled": "1",
        "phpVersion": "",
        "auto_geocoding_enabled": "0",
        "commit": "",
        "default_closed_status": "1",
        "aggregator_mode_enabled": "0",
        "formats_count": formats_count,
    })]


def field_keys() -> list[dict[str, str]]:
    """GetFieldKeys: every record key and a label."""
    return [{"key": key, "description": label} for key, label in bmlt.BMLT_MEETING_KEYS]


def field_values(meetings: list[Meeting], key: str, *, root_server_uri: str) -> list[dict[str, str]]:
    """GetFieldValues: each distinct value of one record key and the record ids that have it."""
    if key not in bmlt.BMLT_FIELD_NAMES:
        raise BmltError("meeting_key", f"unknown meeting_key {key[:40]!r}")
    grouped: dict[str, list[str]] = {}
    for meeting in meetings:
        if bmlt.meeting_body_id(meeting) is None:
            continue
        for record in bmlt.meeting_to_bmlt_records(meeting, root_server_uri=root_server_uri):
            grouped.setdefault(record[key], []).append(record["id_bigint"])
    return [{key: value, "ids": ",".join(ids)} for value, ids in sorted(grouped.items())]


# --- GetChanges ---------------------------------------------------------------------------------------------------

CHANGE_TYPES = {"new": "comdef_change_type_new", "change": "comdef_change_type_change",
                "delete": "comdef_change_type_delete"}


def parse_date(args: Any, name: str) -> dt.date | None:
    value = one(args, name)
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise BmltError(name, f"{name} must be a date YYYY-MM-DD") from None


def change_record(entry: Any, *, meeting_name: str, body: ServiceBody | None, meeting_exists: bool) -> dict[str, Any]:
    """One audit entry -> a GetChanges record. Who changed it stays private: trusted servants are anonymous."""
    before, after = entry.before, entry.after
    kind = "new" if before is None else "delete" if after is None else "change"
    snapshot = after or before or {}
    times = snapshot.get("times") or []
    slot = schedule.to_bmlt(times[0]["weekday"]) if times else 1
    changed = [k for k in dict.fromkeys([*(before or {}), *(after or {})])
               if (before or {}).get(k) != (after or {}).get(k)]
    created = entry.created_at.astimezone(dt.timezone.utc)
    return bmlt.stringify({
        "date_int": int(created.timestamp()),
        "date_string": created.strftime("%Y-%m-%d %H:%M:%S"),
        "change_type": CHANGE_TYPES[kind],
        "change_id": entry.id,
        "meeting_id": bmlt.bmlt_record_id(entry.entity_id, slot),
        "meeting_name": meeting_name,
        "user_id": "",
        "user_name": "",
        "service_body_id": body.id if body is not None else "",
        "service_body_name": body.name if body is not None else "",
        "meeting_exists": meeting_exists,
        "details": f"changed: {', '.join(changed)}" if kind == "change" else kind,
        "json_data": {"before": before or {}, "after": after or {}},
    })


def get_changes(session: Session, args: Any, changes: Callable[..., list[Any]]) -> list[dict[str, Any]]:
    """GetChanges from the audit log: start_date / end_date (inclusive days, UTC), meeting_id, service_body_id."""
    start, end = parse_date(args, "start_date"), parse_date(args, "end_date")
    if start and end and end < start:
        raise BmltError("end_date", "end_date is before start_date")
    record_id = integer(args, "meeting_id", 1, 10**12)
    body_id = integer(args, "service_body_id", 1, 10**12)
    since = dt.datetime.combine(start, dt.time(), dt.timezone.utc) if start else None
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), dt.timezone.utc) if end else None
    meeting_id = bmlt.split_record_id(record_id)[0] if record_id else None
    entries = [e for e in changes(session, since=since, until=until, meeting_id=meeting_id)
               if e.entity_type == "meeting"]
    ids = sorted({e.entity_id for e in entries})
    meetings = {m.id: m for m in session.scalars(
        select(Meeting).where(Meeting.id.in_(ids)).options(selectinload(Meeting.service_body)))} if ids else {}
    out = []
    for entry in entries:
        meeting = meetings.get(entry.entity_id)
        snapshot = entry.after or entry.before or {}
        body = meeting.service_body if meeting is not None else None
        if body_id is not None and (body is None or body.id != body_id):
            continue
        if not (meeting.published if meeting is not None else snapshot.get("published")):
            continue  # a draft's history is as private as the draft
        out.append(change_record(entry, meeting_name=meeting.name if meeting else str(snapshot.get("name", "")),
                                 body=body, meeting_exists=meeting is not None))
    return out

