"""Pure mappings from our model to the shapes real clients read: Meeting Guide JSON and the BMLT semantic API."""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from finder import schedule, vocab
from finder.geo import km_to_miles
from finder.models import Format, Meeting, MeetingTime, ServiceBody

UTC = dt.timezone.utc


# --- the NA -> Meeting Guide code table ----------------------------------------------------------------------

@dataclass(frozen=True)
class CodeRow:
    """One row of our published code table: an NA format and the Meeting Guide types we send for it."""

    na_code: str
    name: str
    mg_types: tuple[str, ...]
    note: str


# Meeting Guide's spec types that mean the same thing as an NA format. NA codes with no spec type are sent
# under their own NA code (readers ignore types they don't know; NA-aware readers use this table). "CF"
# (child-friendly) is the spec's children-welcome type. Literature studies also carry the spec's generic "LIT".
_MG_OVERRIDES: dict[str, tuple[str, ...]] = {
    "S-D": ("SP", "D"),
    "TOP": ("D",),
    "BT": ("LIT", "BT"),
    "JFT": ("LIT", "JFT"),
    "IW": ("LIT", "IW"),
    "SWG": ("LIT", "SWG"),
    "LC": ("LIT", "LC"),
    "GP": ("LIT", "GP"),
    "SPAD": ("LIT", "SPAD"),
    "IP": ("LIT", "IP"),
    "QA": ("QA",),
    "NC": ("NC",),
    # Attendance is derived from the conference fields in Meeting Guide; a closed building is TC.
    "VM": (),
    "HYBR": (),
    "TC": ("TC",),
}
_NOTES = {
    "S-D": "sent as Speaker + Discussion",
    "TOP": "sent as Discussion",
    "VM": "not sent: online status comes from conference_url / conference_phone",
    "HYBR": "not sent: hybrid means an address plus conference_url / conference_phone",
    "TC": "sent when the building is temporarily closed",
}


# Types defined by the Meeting Guide specification (the ones near NA's formats, and the languages).
MG_SPEC_TYPES = frozenset({
    "11", "12x12", "A", "ABSI", "AL", "AL-AN", "ASL", "B", "BA", "BE", "BI", "BRK", "C", "CAN", "CF", "D", "DB",
    "DD", "DE", "DR", "EN", "FF", "FR", "G", "GR", "H", "HE", "ITA", "JA", "KOR", "L", "LGBTQ", "LIT", "LS", "M",
    "MED", "N", "NDG", "O", "OUT", "P", "POA", "POL", "POR", "PUN", "RUS", "S", "SEN", "SM", "SP", "ST", "T", "TC",
    "TR", "TUR", "W", "X", "XB", "XT", "Y",
})


def _code_table() -> tuple[CodeRow, ...]:
    rows = []
    for spec in vocab.FORMATS:
        types = _MG_OVERRIDES.get(spec.code, (spec.mg_code,) if spec.mg_code else (spec.code,))
        extra = [t for t in types if t not in MG_SPEC_TYPES]
        note = _NOTES.get(spec.code) or (
            "Meeting Guide type" if not extra else
            "NA code, no Meeting Guide equivalent" if len(extra) == len(types) else
            f"Meeting Guide type, plus our NA code {', '.join(extra)}"
        )
        rows.append(CodeRow(spec.code, spec.name, types, note))
    return tuple(rows)


CODE_TABLE: tuple[CodeRow, ...] = _code_table()
NA_TO_MG: dict[str, tuple[str, ...]] = {row.na_code: row.mg_types for row in CODE_TABLE}
# The reverse for imports: a Meeting Guide type -> our NA code (first NA code that sends it alone wins).
MG_TO_NA: dict[str, str] = {}
for _row in CODE_TABLE:
    if len(_row.mg_types) == 1:
        MG_TO_NA.setdefault(_row.mg_types[0], _row.na_code)
MG_TO_NA.update({"LIT": "IP", "G": "GL", "L": "GL", "LGBTQ": "GL", "T": "GL", "BI": "GL", "SP": "SPK", "D": "DISC"})
del _row


def code_table_json() -> list[dict[str, Any]]:
    """The published NA -> Meeting Guide code table as JSON-ready rows."""
    return [
        {"na_code": r.na_code, "name": r.name, "meeting_guide_types": list(r.mg_types), "note": r.note}
        for r in CODE_TABLE
    ]


def effective_format_codes(meeting: Meeting) -> list[str]:
    """The meeting's NA format codes with the venue codes derived from attendance and status, sorted."""
    codes = {code for code in meeting.format_codes if code not in vocab.VENUE_FORMATS}
    if meeting.attendance == "online":
        codes.add("VM")
    elif meeting.attendance == "hybrid":
        codes.add("HYBR")
    if meeting.status == "temporarily_closed":
        codes.add("TC")
    return sorted(codes)


def meeting_guide_types(codes: Iterable[str]) -> list[str]:
    """NA format codes -> Meeting Guide types (deduplicated, in a stable order)."""
    types: list[str] = []
    for code in codes:
        for mg in NA_TO_MG.get(code, (code,)):
            if mg not in types:
                types.append(mg)
    return types


# --- Meeting Guide --------------------------------------------------------------------------------------------

# Conference hosts strict readers (TSML UI) recognise; a link to any other host makes them drop the meeting.
KNOWN_CONFERENCE_HOSTS = (
    "zoom.us", "zoom.com", "meet.google.com", "teams.microsoft.com", "teams.live.com", "webex.com",
    "gotomeeting.com", "gotomeet.me", "meet.goto.com", "bluejeans.com", "skype.com", "join.skype.com",
    "discord.gg", "discord.com", "freeconference.com", "freeconferencecall.com", "meet.jit.si", "whereby.com",
    "signal.group", "chat.whatsapp.com", "facetime.apple.com", "zoho.com", "meetings.ringcentral.com",
)


def known_conference_url(url: str) -> bool:
    """True for an https link on a conference host that Meeting Guide readers recognise."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return False
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("https", "http") or not host:
        return False
    return any(host == known or host.endswith("." + known) for known in KNOWN_CONFERENCE_HOSTS)


def _hhmm(value: dt.time) -> str:
    return f"{value.hour:02d}:{value.minute:02d}"


def end_time(start: dt.time, duration_minutes: int) -> dt.time:
    """The wall-clock end of a slot; a meeting past midnight ends on the next day's clock."""
    minutes = (start.hour * 60 + start.minute + duration_minutes) % (24 * 60)
    return dt.time(minutes // 60, minutes % 60)


def _slot_groups(times: Sequence[MeetingTime]) -> list[tuple[dt.time, int, list[int]]]:
    """Group weekly times that share start and duration: Meeting Guide sends one entry per group."""
    groups: dict[tuple[dt.time, int], list[int]] = {}
    for t in sorted(times, key=lambda t: (t.weekday, t.start)):
        groups.setdefault((t.start, t.duration_minutes), [])
        if t.weekday not in groups[(t.start, t.duration_minutes)]:
            groups[(t.start, t.duration_minutes)].append(t.weekday)
    return [(start, duration, days) for (start, duration), days in groups.items()]


def body_chain(body: ServiceBody | None) -> list[ServiceBody]:
    """The service body and its ancestors, general first (zone, region, area); cycles are cut."""
    chain: list[ServiceBody] = []
    seen: set[int] = set()
    while body is not None and body.id not in seen:
        seen.add(body.id)
        chain.append(body)
        body = body.parent
    return list(reversed(chain))


def meeting_to_meeting_guide(
    meeting: Meeting, *, meeting_url: str, entity: str = "", entity_url: str = ""
) -> list[dict[str, Any]]:
    """One meeting -> Meeting Guide entries (usually one; one per distinct start/duration otherwise).

    Every entry carries a stable unique slug, the IANA zone, an address with country and `approximate`,
    types from the code table, and a conference URL only when its host is one strict readers know.
    """
    place = meeting.place
    types = meeting_guide_types(effective_format_codes(meeting))
    base: dict[str, Any] = {
        "name": meeting.name,
        "slug": meeting.slug,
        "timezone": place.timezone,
        "types": types,
        "notes": meeting.notes,
        "location": place.name,
        "location_notes": place.notes,
        "formatted_address": place.full_address,
        "address": place.street,
        "city": place.city,
        "state": place.region,
        "postal_code": place.postal_code,
        "country": place.country,
        "latitude": round(place.latitude, 6),
        "longitude": round(place.longitude, 6),
        "approximate": "yes" if place.is_approximate or meeting.attendance == "online" else "no",
        "url": meeting_url,
        "updated": meeting.updated_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),
    }
    conference_notes = meeting.conference_notes
    if meeting.is_online and meeting.conference_url:
        if known_conference_url(meeting.conference_url):
            base["conference_url"] = meeting.conference_url
        else:
            # An unknown host would make strict readers drop the whole meeting; the link still reaches people.
            conference_notes = " ".join(p for p in (meeting.conference_url, conference_notes) if p)
    if meeting.is_online and conference_notes:
        base["conference_url_notes"] = conference_notes
    if meeting.is_online and meeting.phone:
        base["conference_phone"] = meeting.phone
        if meeting.phone_notes:
            base["conference_phone_notes"] = meeting.phone_notes
    if meeting.group is not None:
        base["group"] = meeting.group.name
    regions = [b.name for b in body_chain(meeting.service_body) if b.kind != "group"]
    if regions:
        base["regions"] = regions
        base["region"] = regions[-2] if len(regions) > 1 else regions[-1]
        if len(regions) > 1:
            base["sub_region"] = regions[-1]
    if entity:
        base["entity"] = entity
    if entity_url:
        base["entity_url"] = entity_url
    base = {k: v for k, v in base.items() if v not in ("", None, [])}

    groups = _slot_groups(meeting.times)
    if not groups:
        return [base]
    entries = []
    for start, duration, days in groups:
        entry = dict(base)
        if len(groups) > 1:
            entry["slug"] = f"{meeting.slug}-{start.hour:02d}{start.minute:02d}"
        mg_days = [schedule.to_meeting_guide(d) for d in days]
        entry["day"] = mg_days[0] if len(mg_days) == 1 else mg_days
        entry["time"] = _hhmm(start)
        entry["end_time"] = _hhmm(end_time(start, duration))
        entries.append(entry)
    return entries


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
)
BMLT_FIELD_NAMES = tuple(key for key, _ in BMLT_MEETING_KEYS)
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


def meeting_to_bmlt(
    meeting: Meeting,
    slot: int,
    time: MeetingTime,
    *,
    root_server_uri: str,
    distance_km: float | None = None,
) -> dict[str, str]:
    """One weekly time of a meeting -> a BMLT meeting record; every value a string, missing values ""."""
    return _bmlt_record(_bmlt_meeting_fields(meeting, root_server_uri=root_server_uri, distance_km=distance_km),
                        meeting.id, slot, time)


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
        "comments": meeting.notes,
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
