"""Pure mapping from our model to the Meeting Guide JSON shape, and the published NA -> Meeting Guide code table."""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from finder.core import schedule, texts, vocab
from finder.core.freshness import last_checked, public_notes
from finder.core.vocab import effective_format_codes
from finder.core.words import N_
from finder.models import Meeting, MeetingTime, ServiceBody

UTC = dt.timezone.utc


# --- the NA -> Meeting Guide code table ----------------------------------------------------------------------

@dataclass(frozen=True)
class CodeRow:
    """One row of our published code table: an NA format and the Meeting Guide types we send for it."""

    na_code: str
    name: str
    mg_types: tuple[str, ...]
    note_message: str  # the note's catalog words (N_), with %(codes)s for `note_codes`; pages translate it
    note_codes: str = ""

    @property
    def note(self) -> str:
        """The note in English, as the JSON table and the docs give it."""
        return self.note_message % {"codes": self.note_codes}


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
    "S-D": N_("sent as Speaker + Discussion"),
    "TOP": N_("sent as Discussion"),
    "VM": N_("not sent: online status comes from conference_url / conference_phone"),
    "HYBR": N_("not sent: hybrid means an address plus conference_url / conference_phone"),
    "TC": N_("sent when the building is temporarily closed"),
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
            N_("Meeting Guide type") if not extra else
            N_("NA code, no Meeting Guide equivalent") if len(extra) == len(types) else
            N_("Meeting Guide type, plus our NA code %(codes)s")
        )
        rows.append(CodeRow(spec.code, spec.name, types, note, ", ".join(extra) if "%(codes)s" in note else ""))
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


DAY_SLUGS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # by Python weekday


def time_slugs(slug: str, times: Sequence[MeetingTime]) -> list[tuple[MeetingTime, str]]:
    """One Meeting Guide slug per weekly time, in the week's order (Sunday first, as Meeting Guide counts).

    The first time of the week keeps the meeting's own slug, so a bookmark to it still opens the meeting when
    times are added; the others are `<slug>-<day>-<HHMM>` ("clean-living-wed-1900"). Nothing here depends on
    other meetings, so adding, renaming or removing one never changes another's slugs.
    """
    ordered = sorted(times, key=lambda t: (schedule.to_meeting_guide(t.weekday), t.start, t.duration_minutes))
    out: list[tuple[MeetingTime, str]] = []
    used: set[str] = set()
    for index, time in enumerate(ordered):
        candidate = slug if index == 0 else f"{slug}-{DAY_SLUGS[time.weekday]}-{time.start:%H%M}"
        unique, n = candidate, 2
        while unique in used:  # the same day and start twice (two lengths): never two equal slugs
            unique, n = f"{candidate}-{n}", n + 1
        used.add(unique)
        out.append((time, unique))
    return out


def body_chain(body: ServiceBody | None) -> list[ServiceBody]:
    """The service body and its ancestors, general first (zone, region, area); cycles are cut."""
    chain: list[ServiceBody] = []
    seen: set[int] = set()
    while body is not None and body.id not in seen:
        seen.add(body.id)
        chain.append(body)
        body = body.parent
    return list(reversed(chain))


# The free-text fields a meeting may give in other languages (finder.core.texts), by their Meeting Guide names.
# The specification has no field for this: `translations` ({language: {field: text}}) is this finder's own
# addition, which readers that do not know it pass over (README, "Imports").
TEXT_FIELDS = {"notes": "notes", "location_notes": "location_notes", "conference_url_notes": "conference_notes",
               "conference_phone_notes": "phone_notes"}


def translations_to_meeting_guide(meeting: Meeting) -> dict[str, dict[str, str]]:
    """A meeting's translations with Meeting Guide's field names; online notes only of an online meeting."""
    online = meeting.is_online
    out: dict[str, dict[str, str]] = {}
    for language, fields in texts.translations_of(meeting).items():
        entry = {name: fields[ours] for name, ours in TEXT_FIELDS.items()
                 if fields.get(ours) and (online or ours not in ("conference_notes", "phone_notes"))}
        if entry:
            out[language] = entry
    return out


def meeting_to_meeting_guide(
    meeting: Meeting, *, meeting_url: str, feedback_url: str = "", entity: str = "", entity_url: str = ""
) -> list[dict[str, Any]]:
    """One meeting -> one Meeting Guide entry per weekly time, each with an integer `day` and its own slug.

    The specification allows `day` as an array, but the most used reader (TSML UI) fails to load a feed that
    has one; one record per time, with slugs from time_slugs(), loads in every reader. Every entry carries the
    IANA zone, an address with country and `approximate`, types from the code table, a conference URL only
    when its host is one strict readers know, and `feedback_url`, the page that sends a correction to us.
    """
    place = meeting.place
    types = meeting_guide_types(effective_format_codes(meeting))
    notes = public_notes(meeting)
    base: dict[str, Any] = {
        "name": meeting.name,
        "slug": meeting.slug,
        "timezone": place.timezone,
        "types": types,
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
        "feedback_url": feedback_url,
        "updated": last_checked(meeting).astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),
    }
    if meeting.is_online and meeting.conference_url:
        if known_conference_url(meeting.conference_url):
            base["conference_url"] = meeting.conference_url
            base["conference_url_notes"] = meeting.conference_notes
        else:
            # Readers ignore a link on a host they do not know, and its notes with it; in the notes, which
            # every reader shows, the link still reaches people.
            link = " ".join(p for p in (meeting.conference_url, meeting.conference_notes) if p)
            notes = "\n".join(p for p in (notes, f"Online: {link}") if p)
    if meeting.is_online and meeting.phone:
        base["conference_phone"] = meeting.phone
        base["conference_phone_notes"] = meeting.phone_notes
    base["notes"] = notes
    base["translations"] = translations_to_meeting_guide(meeting)
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
    base = {k: v for k, v in base.items() if v not in ("", None, [], {})}

    entries = []
    for time, slug in time_slugs(meeting.slug, meeting.times):
        entry = dict(base)
        entry["slug"] = slug
        entry["day"] = schedule.to_meeting_guide(time.weekday)
        entry["time"] = _hhmm(time.start)
        entry["end_time"] = _hhmm(end_time(time.start, time.duration_minutes))
        entries.append(entry)
    return entries


def feed_entries(entries_by_meeting: Iterable[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """The whole feed from each meeting's entries, every slug unique.

    Meetings' own slugs are unique, and a time's slug differs from its meeting's; only a meeting whose own slug
    happens to equal another meeting's time slug ("x-wed-1900") could repeat one. Then the time's entry (never
    a meeting's own slug, which is its bookmark) takes its meeting's page address as a tie-breaker.
    """
    per_meeting = [list(entries) for entries in entries_by_meeting]
    own = {entries[0]["slug"] for entries in per_meeting if entries}
    out: list[dict[str, Any]] = []
    used: set[str] = set()
    for entries in per_meeting:
        for position, entry in enumerate(entries):
            slug = entry["slug"]
            if slug in used or (position > 0 and slug in own):
                base, n = f"{slug}-{_page_key(entry)}", 2
                slug = base
                while slug in used or slug in own:
                    slug, n = f"{base}-{n}", n + 1
                entry = {**entry, "slug": slug}
            used.add(slug)
            out.append(entry)
    return out


def _page_key(entry: dict[str, Any]) -> str:
    """The last path segment of the meeting page (its own slug), with a fallback: stable for that meeting."""
    return str(entry.get("url", "")).rstrip("/").rsplit("/", 1)[-1] or "meeting"
