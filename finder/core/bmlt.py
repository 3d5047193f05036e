"""Pure mapping from our model to the shapes the BMLT semantic API answers with (meetings, formats, service bodies)."""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from finder.core import schedule
from finder.core.freshness import public_notes
from finder.core.geo import km_to_miles
from finder.core.vocab import effective_format_codes
from finder.models import Format, Meeting, MeetingTime, ServiceBody


# --- BMLT -----------------------------------------------------------------------------------------------------

# BMLT's own key strings differ from ours in one place.
BMLT_KEY = {"HYBR": "HY"}
FROM_BMLT_KEY = {v: k for k, v in BMLT_KEY.items()}
BMLT_FORMAT_TYPE = {
    "open_closed": "O", "format": "FC1", "literature": "FC1", "audience": "FC3", "access": "FC2",
    "venue": "FC2", "language": "LANG",
}
BMLT_BODY_TYPE = {"group": "GR", "area": "AS", "region": "RS", "zone": "ZF"}
FROM_BMLT_BODY_TYPE = {"GR": "group", "AS": "area", "MA": "area", "LS": "area", "RS": "region", "ZF": "zone",
                       "WS": "zone"}
VENUE_TYPE = {"in_person": "1", "online": "2", "hybrid": "3"}

BMLT_MEETING_KEYS: tuple[tuple[str, str], ...] = (
    ("id_bigint", "ID"),
    ("worldid_mixed", "World ID"),
    ("shared_group_id_bigint", "Unused"),
    ("service_body_bigint", "Service Body ID"),
    ("weekday_tinyint", "Weekday (1 = Sunday)"),
    ("venue_type", "Venue Type (1 in person, 2 virtual, 3 hybrid)"),
    ("start_time", "Start Time"),
    ("duration_time", "Duration"),
    ("time_zone", "Time Zone"),
    ("formats", "Formats"),
    ("format_shared_id_list", "Format IDs"),
    ("lang_enum", "Language"),
    ("longitude", "Longitude"),
    ("latitude", "Latitude"),
    ("distance_in_km", "Distance (km)"),
    ("distance_in_miles", "Distance (miles)"),
    ("published", "Published"),
    ("root_server_uri", "Root Server URI"),
    ("meeting_name", "Meeting Name"),
    ("location_text", "Location Name"),
    ("location_info", "Additional Location Information"),
    ("location_street", "Street Address"),
    ("location_city_subsection", "Borough"),
    ("location_neighborhood", "Neighborhood"),
    ("location_municipality", "Town"),
    ("location_sub_province", "County"),
    ("location_province", "State"),
    ("location_postal_code_1", "Zip Code"),
    ("location_nation", "Nation"),
    ("comments", "Comments"),
    ("train_lines", "Train Lines"),
    ("bus_lines", "Bus Lines"),
    ("phone_meeting_number", "Phone Meeting Dial-in Number"),
    ("virtual_meeting_link", "Virtual Meeting Link"),
    ("virtual_meeting_additional_info", "Virtual Meeting Additional Information"),
    ("email_contact", "Email Contact"),
    ("contact_name_1", "Contact 1 Name"),
    ("contact_phone_1", "Contact 1 Phone"),
    ("contact_email_1", "Contact 1 Email"),
    ("contact_name_2", "Contact 2 Name"),
    ("contact_phone_2", "Contact 2 Phone"),
    ("contact_email_2", "Contact 2 Email"),
    # Our own key (BMLT servers may add keys; readers ignore those they don't know): YYYY-MM-DD, UTC.
    ("last_confirmed", "Last Confirmed"),
)
BMLT_FIELD_NAMES = tuple(key for key, _ in BMLT_MEETING_KEYS)
# Every query parameter our semantic API reads (a list parameter may also come as name[]). Anything else a client
# adds (jQuery's "_" cache buster, advanced_published, a tracking tag) changes nothing in the answer, so it is
# left out of the response cache's key.
QUERY_PARAMETERS = frozenset({
    "switcher", "callback", "weekdays", "venue_types", "formats", "formats_comparison_operator", "services",
    "recursive", "meeting_ids", "StartsAfterH", "StartsAfterM", "StartsBeforeH", "StartsBeforeM", "EndsBeforeH",
    "EndsBeforeM", "MinDurationH", "MinDurationM", "MaxDurationH", "MaxDurationM", "lang_enum", "SearchString",
    "StringSearchIsAnAddress", "SearchStringRadius", "lat_val", "long_val", "geo_width", "geo_width_km",
    "sort_results_by_distance", "sort_keys", "sort_key", "page_size", "page_num", "data_field_key",
    "get_used_formats", "get_formats_only", "meeting_key", "meeting_key_value", "key_strings", "show_all", "parents",
    "start_date", "end_date", "meeting_id", "service_body_id",
})
# Contact fields stay blank for the public: anonymity of trusted servants.
_PRIVATE_KEYS = ("email_contact", "contact_name_1", "contact_phone_1", "contact_email_1", "contact_name_2",
                 "contact_phone_2", "contact_email_2")
# Slots per meeting in the BMLT id: BMLT has one row per weekday, we have one meeting with several times.
RECORD_SLOTS = 10


def bmlt_record_id(meeting_id: int, slot: int) -> int:
    """A stable BMLT `id_bigint` for one weekly time: meeting id * 10 + slot (slot 1..7 is the BMLT weekday)."""
    return meeting_id * RECORD_SLOTS + slot


def split_record_id(record_id: int) -> tuple[int, int]:
    """Inverse of bmlt_record_id: (meeting id, slot)."""
    return divmod(record_id, RECORD_SLOTS)


def record_slots(times: Sequence[MeetingTime]) -> list[tuple[int, MeetingTime]]:
    """(slot, time) for every weekly time: the BMLT weekday for the first time of a day, 8, 9, 0 for extras."""
    spare = [8, 9, 0]
    used: set[int] = set()
    slots = []
    for t in sorted(times, key=lambda t: (t.weekday, t.start)):
        slot = schedule.to_bmlt(t.weekday)
        if slot in used:
            if not spare:
                continue  # a fifth time on one weekday has no slot left; never happens in real schedules
            slot = spare.pop(0)
        used.add(slot)
        slots.append((slot, t))
    return slots


def _hhmmss(value: dt.time) -> str:
    return f"{value.hour:02d}:{value.minute:02d}:00"


def _duration(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}:00"


def _num(value: float | None, places: int = 7) -> str:
    if value is None:
        return ""
    text = f"{value:.{places}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def meeting_body_id(meeting: Meeting) -> int | None:
    """The service body a BMLT record names: the meeting's service body, else its group."""
    return meeting.service_body_id or meeting.group_id


def _bmlt_record(fields: dict[str, str], meeting_id: int, slot: int, time: MeetingTime) -> dict[str, str]:
    record = dict(fields)
    record["id_bigint"] = str(bmlt_record_id(meeting_id, slot))
    record["weekday_tinyint"] = str(schedule.to_bmlt(time.weekday))
    record["start_time"] = _hhmmss(time.start)
    record["duration_time"] = _duration(time.duration_minutes)
    return record


def _bmlt_meeting_fields(meeting: Meeting, *, root_server_uri: str, distance_km: float | None) -> dict[str, str]:
    """The fields of a BMLT record shared by every weekly time of a meeting, in BMLT_FIELD_NAMES order."""
    place = meeting.place
    codes = effective_format_codes(meeting)
    formats_by_code = {f.code: f for f in meeting.formats}
    body_id = meeting_body_id(meeting)
    online = meeting.is_online
    record: dict[str, str] = {key: "" for key in BMLT_FIELD_NAMES}
    record.update({
        "worldid_mixed": meeting.group.world_id if meeting.group is not None else "",
        "shared_group_id_bigint": "",
        "service_body_bigint": str(body_id) if body_id is not None else "",
        "venue_type": VENUE_TYPE.get(meeting.attendance, "1"),
        "time_zone": place.timezone,
        "formats": ",".join(BMLT_KEY.get(c, c) for c in codes),
        "format_shared_id_list": ",".join(str(formats_by_code[c].id) for c in codes if c in formats_by_code),
        "lang_enum": meeting.language or "en",
        "longitude": _num(place.longitude),
        "latitude": _num(place.latitude),
        "distance_in_km": _num(distance_km, 4) if distance_km is not None else "",
        "distance_in_miles": _num(km_to_miles(distance_km), 4) if distance_km is not None else "",
        "published": "1" if meeting.published else "0",
        "root_server_uri": root_server_uri,
        "meeting_name": meeting.name,
        "location_text": place.name,
        "location_info": place.notes,
        "location_street": "" if meeting.attendance == "online" else place.street,
        "location_municipality": place.city,
        "location_province": place.region,
        "location_postal_code_1": place.postal_code,
        "location_nation": place.country,
        "comments": public_notes(meeting),
        "last_confirmed": meeting.confirmed_at.astimezone(dt.timezone.utc).date().isoformat()
        if meeting.confirmed_at else "",
        "phone_meeting_number": meeting.phone if online else "",
        "virtual_meeting_link": meeting.conference_url if online else "",
        "virtual_meeting_additional_info": meeting.conference_notes if online else "",
    })
    for key in _PRIVATE_KEYS:
        record[key] = ""
    return {k: ("" if v is None else str(v)) for k, v in record.items()}


def meeting_to_bmlt_records(
    meeting: Meeting, *, root_server_uri: str, distance_km: float | None = None
) -> list[dict[str, str]]:
    """Every weekly time of a meeting as a BMLT record (BMLT has one row per weekday)."""
    slots = record_slots(meeting.times)
    if not slots:
        return []
    fields = _bmlt_meeting_fields(meeting, root_server_uri=root_server_uri, distance_km=distance_km)
    return [_bmlt_record(fields, meeting.id, slot, t) for slot, t in slots]


def format_to_bmlt(fmt: Format, *, root_server_uri: str, lang: str = "en") -> dict[str, str]:
    """A Format -> a BMLT GetFormats record (all strings)."""
    return {
        "key_string": BMLT_KEY.get(fmt.code, fmt.code),
        "name_string": fmt.name,
        "description_string": fmt.description,
        "lang": lang,
        "id": str(fmt.id),
        "world_id": fmt.world_id or "",
        "root_server_uri": root_server_uri,
        "format_type_enum": BMLT_FORMAT_TYPE.get(fmt.kind, "FC1"),
    }


def service_body_to_bmlt(body: ServiceBody) -> dict[str, str]:
    """A ServiceBody -> a BMLT GetServiceBodies record (all strings; parent_id "0" at the root)."""
    return {
        "id": str(body.id),
        "parent_id": str(body.parent_id or 0),
        "name": body.name,
        "description": body.description,
        "type": BMLT_BODY_TYPE.get(body.kind, "AS"),
        "url": body.url,
        "helpline": body.helpline,
        "world_id": body.world_id,
    }


def stringify(value: Any) -> Any:
    """Make a JSON-ready structure BMLT-safe: every scalar a string, None -> ""."""
    # Strings first and exact types before the ABC checks: a BMLT answer holds a million strings, and an
    # isinstance test against Mapping costs far more than one against str.
    kind = type(value)
    if kind is str:
        return value
    if kind is dict:
        return {k if type(k) is str else str(k): v if type(v) is str else stringify(v) for k, v in value.items()}
    if kind is list:
        return [v if type(v) is str else stringify(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): stringify(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [stringify(v) for v in value]
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)
