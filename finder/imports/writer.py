"""Validated rows, and writing them: one meeting / center / counselor upsert that every importer shares.

Rows are checked completely before anything is written, so a rejected row never leaves half a record behind.
Re-importing finds the existing record by (source, source_id), else by slug, and never duplicates it.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import unicodedata
import zoneinfo
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Protocol, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from finder.models import (
    ATTENDANCE, SERVICE_BODY_KINDS, STATUSES, Counselor, CounselorTerm, Format, Meeting, MeetingSync, MeetingTime, Place,
    Service, ServiceBody, TreatmentCenter,
)
from finder.admin import audit
from finder.core import texts, vocab
from finder.core.flags import parse_flag
from finder.core.times import parse_time_of_day
from finder.imports.report import RowError
from finder import geocode
from finder.models import boundary
from finder.core.numbers import parse_float

Provider = TypeVar("Provider", TreatmentCenter, Counselor)

# Column sizes of the model: longer values are rejected with a reason instead of failing the transaction.
NAME_MAX, SHORT_MAX, LONG_MAX, SLUG_MAX, POSTAL_MAX, TEXT_MAX = 200, 80, 500, 120, 20, 20_000

COUNTRY_NAMES = {
    "usa": "US", "us": "US", "u.s.": "US", "u.s.a.": "US", "united states": "US", "united states of america": "US",
    "canada": "CA", "mexico": "MX", "méxico": "MX", "united kingdom": "GB", "uk": "GB", "great britain": "GB",
    "england": "GB", "ireland": "IE", "australia": "AU", "new zealand": "NZ", "germany": "DE",
    "deutschland": "DE", "france": "FR", "spain": "ES", "españa": "ES", "brazil": "BR", "brasil": "BR",
    "portugal": "PT", "italy": "IT", "india": "IN", "iran": "IR", "colombia": "CO", "argentina": "AR",
    "puerto rico": "PR", "philippines": "PH", "south africa": "ZA", "netherlands": "NL", "poland": "PL",
    "russia": "RU", "sweden": "SE", "norway": "NO", "denmark": "DK", "japan": "JP",
}
US_STATE = re.compile(r"^([A-Za-z]{2})(?:\s+(\d{5}(?:-\d{4})?))?$")


def vocab_formats() -> tuple[vocab.FormatSpec, ...]:
    return vocab.FORMATS


# --- small validators ---------------------------------------------------------------------------------------

def text(value: Any, field_name: str, max_len: int = SHORT_MAX, *, required: bool = False) -> str:
    """A trimmed string; numbers are accepted as text, anything else (lists, objects) is a row error."""
    if value is None:
        value = ""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise RowError(f"{field_name} must be text, not {type(value).__name__}")
    if isinstance(value, str) and "\x00" in value:
        raise RowError(f"{field_name} contains a NUL character")
    # The model boundary's cleaning, applied here too so a re-import compares clean text with clean text.
    result = boundary.clean(str(value), multiline=True).strip()
    if required and not result:
        raise RowError(f"{field_name} is missing")
    if len(result) > max_len:
        raise RowError(f"{field_name} is longer than {max_len} characters")
    return result


def translations(value: Any, field_name: str, own_language: str, names: dict[str, str] | None = None,
                 label: Callable[[str, str], str] | None = None) -> dict[str, dict[str, str]]:
    """A meeting's text in other languages, {language: {field: text}} (finder.core.texts); `names` maps the
    source's field names to ours. Unknown languages or fields, nested junk and over-long text are row errors."""
    if names is not None and isinstance(value, dict):
        renamed: dict[Any, Any] = {}
        for language, fields in value.items():
            if not isinstance(fields, dict):
                raise RowError(f"{field_name}.{str(language)[:40]} must be an object of fields")
            unknown = [str(k)[:40] for k in fields if k not in names]
            if unknown:
                raise RowError(f"{field_name}.{str(language)[:40]}: {unknown[0]!r} cannot be translated "
                               f"(only {', '.join(names)})")
            renamed[language] = {names[k]: v for k, v in fields.items()}
        value = renamed
    try:
        return texts.clean(value, own_language=own_language, clean_text=lambda t: boundary.clean(t, multiline=True),
                           label=label or (lambda language, name: f"{field_name}.{language}.{name}"))
    except texts.TextError as exc:
        raise RowError(str(exc).replace("translations", field_name, 1)) from None


def link(value: Any, field_name: str) -> str:
    """An http(s) URL, or "" for anything else (a `javascript:` link in a source is dropped, never served)."""
    result = text(value, field_name, LONG_MAX)
    return result if boundary.is_web_link(result) else ""


def phone(value: Any, field_name: str) -> str:
    """A phone number or helpline as written, or "" when it is a link in disguise (javascript:, data:)."""
    result = text(value, field_name)
    return result if boundary.is_phone_like(result) else ""


def number(value: Any, field_name: str) -> float | None:
    """A finite float from a number or numeric text; "" and None mean absent."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    result = parse_float(value)
    if result is None:
        raise RowError(f"{field_name} must be a number, got {str(value)[:40]!r}")
    return result


def clock(value: Any, field_name: str) -> dt.time:
    """ "H:MM", "HH:MM" or "HH:MM:SS" (24 h) -> time (finder.core.times, strict); "24:00" is refused."""
    raw = text(value, field_name, 8, required=True)
    try:
        return parse_time_of_day(raw, strict=True)
    except ValueError:
        raise RowError(f"{field_name} must be a 24-hour time like 19:30, got {raw!r}") from None


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _alias_table(groups: dict[str, tuple[str, ...]]) -> dict[str, str]:
    return {alias: zone_name for zone_name, aliases in groups.items() for alias in aliases}


# What feeds write for a North American zone instead of its IANA name: abbreviations (which mean the zone with
# its daylight saving time, not tzdata's fixed-offset "EST"), Windows names and the old US/ and Canada/ links.
ZONE_ALIASES = _alias_table({
    "America/New_York": ("est", "edt", "eastern", "eastern time", "eastern standard time", "us/eastern", "est5edt"),
    "America/Chicago": ("cst", "cdt", "central", "central time", "central standard time", "us/central", "cst6cdt"),
    "America/Denver": ("mst", "mdt", "mountain", "mountain time", "mountain standard time", "us/mountain",
                       "mst7mdt"),
    "America/Phoenix": ("us/arizona", "arizona", "us mountain standard time"),
    "America/Los_Angeles": ("pst", "pdt", "pacific", "pacific time", "pacific standard time", "us/pacific",
                            "pst8pdt"),
    "America/Anchorage": ("akst", "akdt", "alaska", "alaskan standard time", "us/alaska"),
    "Pacific/Honolulu": ("hst", "hawaii", "hawaiian standard time", "us/hawaii"),
    "America/Halifax": ("ast", "adt", "atlantic", "atlantic standard time", "canada/atlantic"),
    "America/St_Johns": ("nst", "ndt", "newfoundland standard time", "canada/newfoundland"),
    "America/Toronto": ("canada/eastern",), "America/Winnipeg": ("canada/central",),
    "America/Edmonton": ("canada/mountain",), "America/Vancouver": ("canada/pacific",),
})


@lru_cache(maxsize=1)
def _zones_by_folded_name() -> dict[str, str]:
    return {name.lower(): name for name in _zones()}


def zone(value: Any, field_name: str = "timezone") -> str:
    """An IANA zone name ("" when absent), from the name or a common alias ("EST", "US/Eastern", "Eastern
    Standard Time", "america/new york"); anything else is a row error."""
    name = text(value, field_name, 64)
    if not name:
        return ""
    folded = " ".join(name.lower().split())
    found = ZONE_ALIASES.get(folded) or _zones_by_folded_name().get(folded.replace(" ", "_"))
    if found is None:
        raise RowError(f"{field_name} {name!r} is not an IANA time zone name")
    return found


def country(value: Any, field_name: str = "country") -> str:
    """ISO 3166 alpha-2 from a code or a common country name; "" when absent."""
    raw = text(value, field_name, 80)
    if not raw:
        return ""
    if len(raw) == 2 and raw.isalpha():
        return raw.upper()
    code = COUNTRY_NAMES.get(raw.lower())
    if code is None:
        raise RowError(f"{field_name} {raw!r} is not a country we recognise; use a two-letter ISO code")
    return code


def slugify(value: str, max_len: int = SLUG_MAX) -> str:
    """A URL-safe lowercase slug (ASCII letters, digits, hyphens)."""
    ascii_text = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:max_len].strip("-")


def slug(value: Any, field_name: str = "slug") -> str:
    """A given slug kept as-is when URL-safe, made URL-safe otherwise; empty is a row error."""
    raw = text(value, field_name, SLUG_MAX, required=True)
    if re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._~-]*", raw):
        return raw
    made = slugify(raw)
    if not made:
        raise RowError(f"{field_name} {raw!r} has no letters or digits")
    return made


# Spreadsheets abbreviate yes/no and true/false to a letter; otherwise the words are finder.core.flags'.
_FLAG_LETTERS = {"y": "yes", "n": "no", "t": "true", "f": "false"}


def flag(value: Any, field_name: str) -> bool:
    """Yes/no in the spellings spreadsheets and feeds use."""
    if isinstance(value, bool):
        return value
    raw = text(value, field_name, 10).lower()
    try:
        return parse_flag(_FLAG_LETTERS.get(raw, raw), default=False)
    except ValueError:
        raise RowError(f"{field_name} must be yes or no, got {raw!r}") from None


# --- records --------------------------------------------------------------------------------------------------

@dataclass
class PlaceRecord:
    """An address as a source gave it; coordinates and zone may be missing until resolved."""

    name: str = ""
    street: str = ""
    city: str = ""
    region: str = ""
    postal_code: str = ""
    country: str = ""
    latitude: float | None = None
    longitude: float | None = None
    precision: str = "rooftop"
    timezone: str = ""
    notes: str = ""

    def address_text(self) -> str:
        return ", ".join(p for p in (self.street, self.city, f"{self.region} {self.postal_code}".strip(),
                                     self.country) if p)


@dataclass
class MeetingRecord:
    """One meeting as the importers normalise it (Python weekdays, local times, NA format codes)."""

    slug: str
    name: str
    source_id: str
    times: list[tuple[int, dt.time, int]]
    place: PlaceRecord
    formats: list[str] = field(default_factory=list)
    attendance: str = "in_person"
    conference_url: str = ""
    conference_notes: str = ""
    phone: str = ""
    phone_notes: str = ""
    language: str = "en"
    notes: str = ""
    translations: dict[str, dict[str, str]] = field(default_factory=dict)  # checked with texts()
    status: str = "active"
    published: bool = True
    group_name: str = ""
    bodies: list[str] = field(default_factory=list)  # regions, general -> specific (names)
    service_body_id: int | None = None  # set directly when the source carries its own service bodies
    slug_derived: bool = False  # True when we made the slug up (the source has none)


class GeocodeHit(Protocol):
    # Read-only members, so a frozen dataclass (finder.geocode.GeocodeResult) fits.
    @property
    def lat(self) -> float: ...
    @property
    def lon(self) -> float: ...
    @property
    def precision(self) -> str: ...
    @property
    def timezone(self) -> str | None: ...


@dataclass(frozen=True)
class Resolver:
    """Fills in missing coordinates (geocode an address) and zones (timezone_at); either may be absent."""

    geocode: Callable[[str], GeocodeHit | None] | None = None
    timezone_at: Callable[[float, float], str | None] | None = None


def resolver_for_app(app: Any) -> Resolver:
    """The app's configured geocoder and zone finder (tests may set app.extensions["finder.timezone_at"])."""
    return Resolver(geocode=geocode.get_geocoder(app).geocode,
                    timezone_at=app.extensions.get("finder.timezone_at") or geocode.timezone_at)


def default_resolver() -> Resolver:
    """The offline gazetteer and zone finder of finder.geocode."""
    gazetteer = geocode.shared_gazetteer()
    return Resolver(geocode=gazetteer.geocode, timezone_at=geocode.timezone_at)


def resolve_place(place: PlaceRecord, resolver: Resolver) -> PlaceRecord:
    """Complete coordinates and zone, or raise RowError saying what is missing."""
    if (place.latitude is None) != (place.longitude is None):
        raise RowError("latitude and longitude must be given together")
    if place.latitude is None:
        address = place.address_text()
        hit = None
        if address and resolver.geocode is not None:
            try:
                hit = resolver.geocode(address) or (
                    resolver.geocode(f"{place.city}, {place.region}") if place.city else None
                )
            except ValueError:
                hit = None
        if hit is None:
            raise RowError("no coordinates, and the address could not be located")
        place.latitude, place.longitude = hit.lat, hit.lon
        # A gazetteer hit is never better than the postal code or city it matched.
        if place.precision == "rooftop":
            place.precision = hit.precision if hit.precision != "rooftop" else "city"
        if not place.timezone and hit.timezone:
            place.timezone = hit.timezone
    assert place.latitude is not None and place.longitude is not None
    if not (-90 <= place.latitude <= 90 and -180 <= place.longitude <= 180):
        raise RowError(f"coordinates {place.latitude}, {place.longitude} are out of range")
    if place.latitude == 0 and place.longitude == 0:
        raise RowError("coordinates 0, 0 are a placeholder, not a place")
    if not place.timezone:
        found = resolver.timezone_at(place.latitude, place.longitude) if resolver.timezone_at else None
        if not found:
            raise RowError("no time zone, and none could be found for the coordinates")
        place.timezone = found
    if not place.country:
        place.country = "US"
    return place


def parse_address(formatted: str) -> dict[str, str]:
    """Split "street, city, ST 12345, country" (3 or 4 parts; 2 for "city, ST") into fields."""
    parts = [p.strip() for p in formatted.split(",") if p.strip()]
    out = {"street": "", "city": "", "region": "", "postal_code": "", "country": ""}
    if not parts:
        return out
    if len(parts) >= 2:
        try:
            out["country"] = country(parts[-1])
            parts = parts[:-1]
        except RowError:
            pass
    if parts:
        match = US_STATE.match(parts[-1])
        if match and len(parts) >= 2:
            out["region"], out["postal_code"] = match[1].upper(), match[2] or ""
            parts = parts[:-1]
        elif len(parts) >= 3:
            out["region"] = parts[-1]
            parts = parts[:-1]
    if len(parts) >= 2:
        out["street"], out["city"] = ", ".join(parts[:-1]), parts[-1]
    elif parts:
        out["city"] = parts[0]
    return out


def body_kinds(path: list[str]) -> list[tuple[str, str]]:
    """Service body names, general first, each optionally "kind:name" -> (kind, name) pairs.

    Unprefixed names take their kind from the specific end: the last is an area, then a region, then a zone.
    """
    positional = ["area", "region", "zone", "zone"]
    pairs: list[tuple[str, str]] = []
    for depth, segment in enumerate(reversed(path[-4:])):
        kind, _, rest = segment.partition(":")
        if rest and kind.strip().lower() in SERVICE_BODY_KINDS:
            pairs.append((kind.strip().lower(), text(rest, "service body", NAME_MAX, required=True)))
        else:
            pairs.append((positional[depth], text(segment, "service body", NAME_MAX, required=True)))
    return list(reversed(pairs))


# --- writing --------------------------------------------------------------------------------------------------

LOOK_UP = object()  # Writer.meeting: find the existing meeting by source id, else slug


class Writer:
    """Upserts validated records into one session for one import run (it never commits)."""

    def __init__(self, session: Session, *, source: str, now: dt.datetime, actor: str,
                 sync_source_id: int | None = None, defer_audit: bool = False) -> None:
        self.session = session
        # Deferred: records are flushed together and audited in finish(), instead of a flush per record (a
        # whole source synced at once: one INSERT round trip per table, not per meeting).
        self._deferred: list[tuple[Any, dict[str, Any] | None]] | None = [] if defer_audit else None
        self.source = source[:SHORT_MAX]
        self.sync_source_id = sync_source_id  # set by a sync: the meetings it writes are its own
        self.now = now
        self.actor = actor
        self._formats = {f.code: f for f in session.scalars(select(Format))}
        self._services = {s.code: s for s in session.scalars(select(Service))}
        self._terms = {(t.kind, t.code): t for t in session.scalars(select(CounselorTerm))}
        self._bodies: dict[tuple[str, str, int | None], ServiceBody] = {}
        self.seen_slugs: set[str] = set()
        self.seen_ids: set[str] = set()

    def format_codes(self) -> list[str]:
        return sorted(self._formats)

    def service_codes(self) -> list[str]:
        return sorted(self._services)

    # service bodies

    def body(self, kind: str, name: str, parent_id: int | None, **columns: str) -> ServiceBody:
        """The service body of that kind, name and parent, created when missing; columns update it."""
        key = (kind, name, parent_id)
        found = self._bodies.get(key) or self.session.scalars(
            select(ServiceBody).where(ServiceBody.kind == kind, ServiceBody.name == name,
                                      ServiceBody.parent_id.is_(None) if parent_id is None
                                      else ServiceBody.parent_id == parent_id)
        ).first()
        if found is None:
            found = ServiceBody(kind=kind, name=name, parent_id=parent_id, **columns)
            self.session.add(found)
            self.session.flush()
        else:
            for column, value in columns.items():
                if getattr(found, column) != value:
                    setattr(found, column, value)
        self._bodies[key] = found
        return found

    def _meeting_bodies(self, rec: MeetingRecord) -> tuple[int | None, int | None]:
        body_id = rec.service_body_id
        if body_id is None and rec.bodies:
            parent: int | None = None
            for kind, name in body_kinds(rec.bodies):
                parent = self.body(kind, name, parent).id
            body_id = parent
        group_id = self.body("group", rec.group_name[:NAME_MAX], body_id).id if rec.group_name else None
        return body_id, group_id

    # claims within one run: a second row with the same slug or id is rejected, not merged

    def claim(self, slug: str, source_id: str) -> None:
        if slug in self.seen_slugs:
            raise RowError(f"duplicate slug {slug!r} in this import")
        if source_id and source_id in self.seen_ids:
            raise RowError(f"duplicate id {source_id!r} in this import")
        self.seen_slugs.add(slug)
        if source_id:
            self.seen_ids.add(source_id)

    def _existing(self, model: Any, slug: str, source_id: str, options: Iterable[Any] = ()) -> Any:
        if source_id:
            found = self.session.scalars(
                select(model).where(model.source == self.source, model.source_id == source_id).options(*options)
            ).first()
            if found is not None:
                return found
        return self.session.scalars(select(model).where(model.slug == slug).options(*options)).first()

    def _free_slug(self, model: Any, wanted: str, owner_id: int | None) -> str:
        # Records of this run not yet flushed are covered by claim(); the database answers for the rest.
        with self.session.no_autoflush:
            taken = self.session.scalars(select(model.id).where(model.slug == wanted)).first()
        if taken is None or taken == owner_id:
            return wanted
        raise RowError(f"slug {wanted!r} already belongs to another record")

    def _place(self, current: Place | None, rec: PlaceRecord) -> Place:
        values = place_values(rec)
        if current is not None and place_values_of(current) == values:
            return current
        # A changed address gets a new place row: places may be shared, and moving a shared one moves others.
        place = Place(**values)
        self.session.add(place)
        return place

    def _audit(self, entity: Any, before: dict[str, Any] | None) -> None:
        """Log the change like any other edit, so BMLT GetChanges and the admin history show imports too."""
        if self._deferred is not None:
            self._deferred.append((entity, before))
            return
        self.session.flush()
        audit.record(self.session, actor=self.actor, action="import", entity=entity, before=before,
                     after=audit.snapshot(entity), now=self.now)

    def finish(self) -> None:
        """Flush what a deferred writer holds and write its audit entries (each record is written once a run,
        so its state now is the state it was written with)."""
        if not self._deferred:
            return
        self.session.flush()
        for entity, before in self._deferred:
            audit.record(self.session, actor=self.actor, action="import", entity=entity, before=before,
                         after=audit.snapshot(entity), now=self.now)
        self._deferred.clear()

    def _snapshot(self, entity: Any) -> dict[str, Any]:
        return audit.snapshot(entity)

    # meetings

    def meeting(self, rec: MeetingRecord, existing: Meeting | None | object = LOOK_UP) -> str:
        """Add or update one meeting; returns "added", "updated" or "unchanged".

        `existing` is the meeting the record is for, when the caller found it already (a sync matches whole
        sources at once, with times, formats and place loaded); None means a new meeting.
        """
        unknown = [c for c in rec.formats if c not in self._formats]
        if unknown:
            raise RowError(f"unknown format codes {unknown}")
        if rec.attendance not in ATTENDANCE or rec.status not in STATUSES:
            raise RowError("attendance or status has an unknown value")
        self.claim(rec.slug, rec.source_id)
        if existing is LOOK_UP:
            existing = self._existing(
                Meeting, rec.slug, rec.source_id,
                (selectinload(Meeting.times), selectinload(Meeting.formats), selectinload(Meeting.place)),
            )
        assert existing is None or isinstance(existing, Meeting)
        if existing is not None and rec.slug_derived and existing.source == self.source:
            rec.slug = existing.slug  # a made-up slug is a bookmark once published: a new name keeps it
        slug_value = rec.slug if existing is not None and existing.slug == rec.slug else \
            self._free_slug(Meeting, rec.slug, existing.id if existing is not None else None)
        body_id, group_id = self._meeting_bodies(rec)
        wanted = meeting_state(rec, body_id, group_id)
        if existing is not None and meeting_state_of(existing) == wanted:
            self._own(existing, rec.source_id, wanted)
            return "unchanged"
        before = self._snapshot(existing) if existing is not None else None
        meeting = existing or Meeting(created_at=self.now, sequence=0)
        schedule_changed = existing is not None and (
            meeting_state_of(existing)["times"] != wanted["times"]
            or meeting_state_of(existing)["place"] != wanted["place"]
            or existing.status != rec.status
        )
        meeting.slug = slug_value
        for column in ("name", "attendance", "conference_url", "conference_notes", "phone", "phone_notes",
                       "language", "notes", "translations", "status", "published"):
            setattr(meeting, column, getattr(rec, column))
        meeting.service_body_id, meeting.group_id = body_id, group_id
        meeting.source, meeting.source_id = self.source, rec.source_id
        meeting.place = self._place(existing.place if existing is not None else None, rec.place)
        if existing is None or meeting_state_of(existing)["times"] != wanted["times"]:
            meeting.times = [MeetingTime(weekday=w, start=s, duration_minutes=d) for w, s, d in rec.times]
        meeting.formats = [self._formats[c] for c in sorted(set(rec.formats))]
        meeting.updated_at = self.now
        if schedule_changed:
            meeting.sequence = (meeting.sequence or 0) + 1
        self._own(meeting, rec.source_id, wanted)
        if existing is None:
            self.session.add(meeting)
        self._audit(meeting, before)
        return "added" if existing is None else "updated"

    def _own(self, meeting: Meeting, source_id: str, state: dict[str, Any]) -> None:
        """A sync's mark on a meeting it wrote: its source, the sync, and the hash of what it wrote. Assigned
        only when different, so a meeting the sync leaves as it was is not written at all."""
        if self.sync_source_id is None:
            return
        for column, value in (("source", self.source), ("source_id", source_id)):
            if getattr(meeting, column) != value:
                setattr(meeting, column, value)
        synced_hash = state_hash(state)
        if meeting.sync is None:
            meeting.sync = MeetingSync(sync_source_id=self.sync_source_id, synced_hash=synced_hash)
        elif (meeting.sync.sync_source_id, meeting.sync.synced_hash) != (self.sync_source_id, synced_hash):
            meeting.sync.sync_source_id, meeting.sync.synced_hash = self.sync_source_id, synced_hash

    def unpublish(self, meeting: Meeting) -> bool:
        """Take a meeting its source no longer lists off the site (it is kept, never deleted); False when it
        was not published. Not a local edit: the hash moves with it."""
        if not meeting.published:
            return False
        before = self._snapshot(meeting)
        meeting.published = False
        meeting.updated_at = self.now
        if meeting.sync is not None:
            meeting.sync.synced_hash = state_hash(meeting_state_of(meeting))
        self._audit(meeting, before)
        return True

    # treatment centers and counselors

    def center(self, *, slug: str, source_id: str, place: PlaceRecord, services: list[str],
               **columns: Any) -> str:
        """Add or update one treatment center; columns are TreatmentCenter columns."""
        unknown = [c for c in services if c not in self._services]
        if unknown:
            raise RowError(f"unknown service codes {unknown}")

        def relate(center: TreatmentCenter, existing: TreatmentCenter | None) -> None:
            center.place = self._place(existing.place if existing is not None else None, place)
            center.services = [self._services[c] for c in sorted(set(services))]

        return self._provider(
            TreatmentCenter, slug, source_id, columns, _center_state, relate,
            load=(selectinload(TreatmentCenter.services), selectinload(TreatmentCenter.place)),
            relations={"services": sorted(set(services)), "place": place_values(place)})

    def counselor(self, *, slug: str, source_id: str, offices: list[PlaceRecord], terms: list[tuple[str, str]],
                  **columns: Any) -> str:
        """Add or update one counselor; columns are Counselor columns, terms (kind, code) pairs."""
        unknown = [f"{k}:{c}" for k, c in terms if (k, c) not in self._terms]
        if unknown:
            raise RowError(f"unknown counselor terms {unknown}")

        def relate(counselor: Counselor, existing: Counselor | None) -> None:
            current = list(existing.offices) if existing is not None else []
            counselor.offices = [
                self._place(current[i] if i < len(current) else None, p) for i, p in enumerate(offices)
            ]
            counselor.terms = [self._terms[t] for t in sorted(set(terms))]

        return self._provider(
            Counselor, slug, source_id, columns, _counselor_state, relate,
            load=(selectinload(Counselor.terms), selectinload(Counselor.offices)),
            relations={"terms": sorted(set(terms)), "offices": [place_values(p) for p in offices]})

    def _provider(self, model: type[Provider], slug: str, source_id: str, columns: dict[str, Any],
                  state_of: Callable[[Provider, dict[str, Any]], dict[str, Any]],
                  relate: Callable[[Provider, Provider | None], None], *, load: tuple[Any, ...],
                  relations: dict[str, Any]) -> str:
        """Add or update a center or counselor: "unchanged" when what it holds equals what the row wants (its
        columns and `relations`, compared through `state_of`), else set the columns, let `relate` set the
        related rows, and audit."""
        self.claim(slug, source_id)
        existing: Provider | None = self._existing(model, slug, source_id, load)
        wanted = {**columns, "slug": slug, **relations}
        if existing is not None and state_of(existing, wanted) == wanted:
            return "unchanged"
        before = self._snapshot(existing) if existing is not None else None
        record = existing or model(created_at=self.now)
        record.slug = self._free_slug(model, slug, record.id)
        for column, value in columns.items():
            setattr(record, column, value)
        record.source, record.source_id = self.source, source_id
        relate(record, existing)
        record.updated_at = self.now
        if existing is None:
            self.session.add(record)
        self._audit(record, before)
        return "added" if existing is None else "updated"


def place_values(rec: PlaceRecord) -> dict[str, Any]:
    """The Place columns for a resolved record (coordinates rounded to ~1 cm so equal inputs compare equal)."""
    assert rec.latitude is not None and rec.longitude is not None, "resolve_place first"
    return {
        "name": rec.name, "street": rec.street, "city": rec.city, "region": rec.region,
        "postal_code": rec.postal_code, "country": rec.country or "US", "latitude": round(rec.latitude, 7),
        "longitude": round(rec.longitude, 7), "precision": rec.precision, "timezone": rec.timezone,
        "notes": rec.notes,
    }


def place_values_of(place: Place) -> dict[str, Any]:
    return {
        "name": place.name, "street": place.street, "city": place.city, "region": place.region,
        "postal_code": place.postal_code, "country": place.country, "latitude": round(place.latitude, 7),
        "longitude": round(place.longitude, 7), "precision": place.precision, "timezone": place.timezone,
        "notes": place.notes,
    }


_MEETING_COLUMNS = ("slug", "name", "attendance", "conference_url", "conference_notes", "phone", "phone_notes",
                    "language", "notes", "status", "published")


def meeting_state(rec: MeetingRecord, body_id: int | None, group_id: int | None) -> dict[str, Any]:
    """What a record would make of a meeting, in a comparable form."""
    state = {column: getattr(rec, column) for column in _MEETING_COLUMNS}
    if rec.translations:  # only when there are some: the hashes syncs stored before translations stay valid
        state["translations"] = rec.translations
    state.update(
        service_body_id=body_id, group_id=group_id, formats=sorted(set(rec.formats)), place=place_values(rec.place),
        times=sorted((w, s.strftime("%H:%M"), d) for w, s, d in rec.times),
    )
    return state


def meeting_state_of(meeting: Meeting) -> dict[str, Any]:
    """The same comparable form, read from a stored meeting."""
    state = {column: getattr(meeting, column) for column in _MEETING_COLUMNS}
    if meeting.translations:
        state["translations"] = meeting.translations
    state.update(
        service_body_id=meeting.service_body_id, group_id=meeting.group_id, formats=sorted(meeting.format_codes),
        place=place_values_of(meeting.place),
        times=sorted((t.weekday, t.start.strftime("%H:%M"), t.duration_minutes) for t in meeting.times),
    )
    return state


def state_hash(state: dict[str, Any]) -> str:
    """A fingerprint of a meeting_state(): what a sync wrote, to see later whether it was edited here."""
    return hashlib.sha256(json.dumps(state, sort_keys=True, default=str).encode()).hexdigest()


def _center_state(center: TreatmentCenter, wanted: dict[str, Any]) -> dict[str, Any]:
    state = {k: getattr(center, k) for k in wanted if k not in ("services", "place")}
    state.update(services=sorted(center.service_codes), place=place_values_of(center.place))
    return state


def _counselor_state(counselor: Counselor, wanted: dict[str, Any]) -> dict[str, Any]:
    state = {k: getattr(counselor, k) for k in wanted if k not in ("terms", "offices")}
    state.update(terms=sorted((t.kind, t.code) for t in counselor.terms),
                 offices=[place_values_of(p) for p in counselor.offices])
    return state
