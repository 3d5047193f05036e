"""Read a Meeting Guide feed by the strictest readers' rules (TSML UI, the Meeting Guide app) and say what they drop.

Pure: `check_feed` takes parsed JSON and returns every problem by record and field. The rules are what the
readers' own loaders do, not only what the specification allows: the specification allows `day` as an array,
but TSML UI's loader mishandles arrays (it removes the wrong records and then fails the whole feed with
"Invalid unit value"), so an array day counts as a dropped record here.

Severities, most serious first:
- `dropped`: a reader does not load the record at all;
- `hidden`: it is loaded but not shown as a meeting people can go to (TSML UI lists it as inactive);
- `ignored`: the record loads, but this field is thrown away;
- `warning`: loads as sent, but is outside the specification or looks wrong;
- `note`: informational (for example type codes readers do not know, which they skip).
"""
from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

SEVERITIES = ("dropped", "hidden", "ignored", "warning", "note")
_TIME = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")
_TIME_SECONDS = re.compile(r"([01]?\d|2[0-3]):([0-5]\d):[0-5]\d")
_UPDATED = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")
_URL_SAFE_SLUG = re.compile(r"[A-Za-z0-9][A-Za-z0-9._~-]*")
SLUG_MAX = 64  # the specification's "64 characters max"
NAME_MAX = 255
LONG_MEETING_MINUTES = 120  # TSML UI warns of anything longer
ADDRESS_FIELDS = ("address", "city", "state", "postal_code", "country")
ENTITY_FIELDS = ("entity_email", "entity_location", "entity_logo", "entity_phone", "entity_url",
                 "entity_website_url", "entity_feedback_emails")


@dataclass(frozen=True)
class Problem:
    """One finding: `record` counts from 1 in feed order (0 for the feed as a whole)."""

    record: int
    slug: str
    field: str
    severity: str
    message: str

    def line(self) -> str:
        where = "feed" if self.record == 0 else f"record {self.record}" + (f" ({self.slug})" if self.slug else "")
        return f"{where}, {self.field}: {self.severity}: {self.message}"


@dataclass
class FeedCheck:
    """Every problem found in one feed, with the counts a summary needs."""

    records: int = 0
    problems: list[Problem] = field(default_factory=list)

    def add(self, record: int, slug: str, field_name: str, severity: str, message: str) -> None:
        if severity not in SEVERITIES:
            raise ValueError(f"unknown severity {severity!r}")
        self.problems.append(Problem(record, slug, field_name, severity, message))

    def of(self, severity: str) -> list[Problem]:
        return [p for p in self.problems if p.severity == severity]

    def records_with(self, severity: str) -> set[int]:
        return {p.record for p in self.problems if p.severity == severity}

    @property
    def dropped(self) -> set[int]:
        """Records a reader would not load (0 in the set: the whole feed is unreadable)."""
        return self.records_with("dropped")

    @property
    def ok(self) -> bool:
        """True when readers load every record (nothing dropped)."""
        return not self.dropped

    def summary(self) -> str:
        dropped = self.dropped
        if 0 in dropped:
            return "readers load nothing from this feed: " + self.of("dropped")[0].message
        hidden = self.records_with("hidden") - dropped
        counts = Counter(p.severity for p in self.problems)
        return (f"{self.records} records: {self.records - len(dropped)} load, {len(dropped)} dropped, "
                f"{len(hidden)} hidden as inactive; {counts['ignored']} fields ignored, {counts['warning']} "
                f"warnings, {counts['note']} notes")


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _text(value: Any) -> str:
    """A value as readers see text: strings trimmed, numbers as text, anything else empty."""
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, (int, float)):
        return str(value)
    return value.strip() if isinstance(value, str) else ""


def _minutes(value: str) -> int | None:
    match = _TIME.fullmatch(value) or _TIME_SECONDS.fullmatch(value)
    return int(match[1]) * 60 + int(match[2]) if match else None


def _is_http(value: str) -> bool:
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _known_conference(url: str, hosts: Iterable[str]) -> bool:
    try:
        host = (urlsplit(url).hostname or "").lower()
    except ValueError:
        return False
    return _is_http(url) and any(host == known or host.endswith("." + known) for known in hosts)


def check_feed(data: Any, *, conference_hosts: Iterable[str], known_types: Iterable[str]) -> FeedCheck:
    """Every problem of a parsed Meeting Guide feed, by record and field (see the module docstring).

    `conference_hosts` are the hosts readers recognise for `conference_url`; `known_types` the type codes they
    know (others are skipped by readers and reported as notes).
    """
    result = FeedCheck()
    if not isinstance(data, list):
        result.add(0, "", "feed", "dropped", "a Meeting Guide feed must be a JSON array of meetings, not "
                   f"{'an object' if isinstance(data, dict) else type(data).__name__}")
        return result
    result.records = len(data)
    hosts = tuple(conference_hosts)
    types = frozenset(known_types)
    first_use: dict[str, int] = {}
    unknown_types: Counter[str] = Counter()
    for number, entry in enumerate(data, start=1):
        _check_record(result, number, entry, first_use, hosts, types, unknown_types)
    if unknown_types:
        listed = ", ".join(f"{code} ({n})" for code, n in sorted(unknown_types.items()))
        result.add(0, "", "types", "note", f"type codes readers do not know and skip: {listed}")
    return result


def _check_record(result: FeedCheck, number: int, entry: Any, first_use: dict[str, int], hosts: tuple[str, ...],
                  types: frozenset[str], unknown_types: Counter[str]) -> None:
    if not isinstance(entry, Mapping):
        result.add(number, "", "record", "dropped", "not a JSON object")
        return
    slug = _text(entry.get("slug"))
    severities: set[str] = set()

    def add(field_name: str, severity: str, message: str) -> None:
        severities.add(severity)
        result.add(number, slug, field_name, severity, message)

    if not slug:
        add("slug", "dropped", "no slug: readers key every meeting by it")
    elif slug in first_use:
        add("slug", "dropped", f"duplicate slug, first used by record {first_use[slug]}: readers keep only one")
    else:
        first_use[slug] = number
        if not _URL_SAFE_SLUG.fullmatch(slug):
            add("slug", "warning", "not URL-safe: bookmarks to it may break")
        if len(slug) > SLUG_MAX:
            add("slug", "warning", f"longer than {SLUG_MAX} characters")
    name = _text(entry.get("name"))
    if not name:
        add("name", "dropped", "no name (required by the specification)")
    elif len(name) > NAME_MAX:
        add("name", "warning", f"longer than {NAME_MAX} characters")

    _check_schedule(entry, add)
    in_person, online = _check_place_and_links(entry, add, hosts)
    _check_types(entry, add, types, unknown_types)
    if "dropped" not in severities and not in_person and not online:
        if "TC" in _type_codes(entry.get("types")):
            add("types", "note", "temporarily closed, with no conference link or phone: listed as inactive")
        else:
            add("approximate", "hidden", "no specific address (approximate) and no working conference link or "
                "phone: listed as inactive")
    _check_other_fields(entry, add)


def _check_schedule(entry: Mapping[str, Any], add: Any) -> bool:
    """Day, time, end time and zone; True when the record is dropped for them."""
    day, time = entry.get("day"), entry.get("time")
    if isinstance(day, list):
        add("day", "dropped", "day is an array: TSML UI mishandles arrays and can fail to load the whole feed "
            "(\"Invalid unit value\"); send one record per day with its own slug")
        return True
    if day is None and time in (None, ""):
        add("day", "dropped", "no day and time: the Meeting Guide app lists weekly meetings only "
            "(TSML UI shows it as by appointment)")
        return True
    if isinstance(day, bool) or not (isinstance(day, int) or (isinstance(day, str) and day.strip().isdigit())):
        add("day", "dropped", f"day must be a whole number 0 (Sunday) to 6, got {str(day)[:20]!r}")
        return True
    if isinstance(day, str):
        add("day", "warning", "day is text; send a number")
    if not 0 <= int(day) <= 6:
        add("day", "dropped", f"day must be 0 (Sunday) to 6, got {int(day)}")
        return True
    start = _minutes(_text(time)) if isinstance(time, str) else None
    if start is None:
        add("time", "dropped", f"time must be HH:MM (24-hour), got {str(time)[:20]!r}")
        return True
    if not _TIME.fullmatch(_text(time)):
        add("time", "warning", "time has seconds; send HH:MM")
    zone = _text(entry.get("timezone"))
    if not zone:
        add("timezone", "dropped", "no timezone: TSML UI drops the meeting unless the page sets one")
        return True
    if zone not in _zones():
        add("timezone", "dropped", f"{zone[:40]!r} is not an IANA time zone name")
        return True
    end_value = entry.get("end_time")
    if end_value not in (None, ""):
        end = _minutes(_text(end_value)) if isinstance(end_value, str) else None
        if end is None:
            add("end_time", "dropped", f"end_time must be HH:MM (24-hour), got {str(end_value)[:20]!r}")
            return True
        length = (end - start) % (24 * 60)
        if length > LONG_MEETING_MINUTES:
            add("end_time", "warning", f"a {length}-minute meeting: readers flag it as unusually long")
    return False


def _type_codes(value: Any) -> list[str]:
    if not isinstance(value, list):
        return []
    return [str(t).strip() for t in value if isinstance(t, (str, int)) and not isinstance(t, bool)]


def _check_place_and_links(entry: Mapping[str, Any], add: Any, hosts: tuple[str, ...]) -> tuple[bool, bool]:
    """(shown in person, shown online) as TSML UI decides them."""
    formatted = _text(entry.get("formatted_address"))
    parts = [_text(entry.get(name)) for name in ADDRESS_FIELDS]
    if not formatted and not any(parts):
        add("formatted_address", "dropped", "no address information (formatted_address or address, city, "
            "state, postal_code, country)")
        return False, False
    if not formatted:
        formatted = ", ".join(p for p in parts if p)
    approximate_value = entry.get("approximate")
    if isinstance(approximate_value, str) and approximate_value.strip().lower() in ("yes", "no"):
        approximate = approximate_value.strip().lower() == "yes"
    elif approximate_value is None:
        approximate = len(formatted.split(",")) < 4
        if approximate:
            add("approximate", "warning", "no approximate field and an address of fewer than 4 parts: readers "
                "treat it as approximate (not in person); send \"approximate\": \"no\" for a real address")
    else:
        approximate = len(formatted.split(",")) < 4
        add("approximate", "ignored", "approximate must be \"yes\" or \"no\"")
    for name in ("latitude", "longitude"):
        value = entry.get(name)
        if value in (None, ""):
            continue
        try:
            number = float(value) if not isinstance(value, bool) else None
        except (TypeError, ValueError):
            number = None
        limit = 90 if name == "latitude" else 180
        if number is None or not -limit <= number <= limit:
            add(name, "ignored", f"{name} must be a number from -{limit} to {limit}")
        elif isinstance(value, str):
            add(name, "warning", f"{name} is text; send a number")

    online = False
    url = _text(entry.get("conference_url"))
    if url:
        if _known_conference(url, hosts):
            online = True
        else:
            add("conference_url", "ignored", "not a conference service readers recognise: the link is not shown "
                "(put it in conference_url_notes)")
    phone = _text(entry.get("conference_phone"))
    if phone:
        if len(re.sub(r"[^\d,+#]", "", phone)) >= 10:
            online = True
        else:
            add("conference_phone", "ignored", "fewer than 10 digits: the number is not shown")
    if _text(entry.get("conference_url_notes")) and not url:
        add("conference_url_notes", "ignored", "notes without a conference_url are not shown")
    in_person = not approximate and "TC" not in _type_codes(entry.get("types"))
    return in_person, online


def _check_types(entry: Mapping[str, Any], add: Any, known: frozenset[str], unknown: Counter[str]) -> None:
    value = entry.get("types")
    if value is None:
        return
    if not isinstance(value, list):
        add("types", "ignored", "types must be an array of codes")
        return
    for item in value:
        if isinstance(item, bool) or not isinstance(item, (str, int)):
            add("types", "ignored", f"a type code must be text, got {type(item).__name__}")
            continue
        code = str(item).strip()
        if code == "ONL":
            add("types", "warning", "ONL is retired: online status comes from conference_url / conference_phone")
        elif code not in known:
            unknown[code] += 1


def _check_other_fields(entry: Mapping[str, Any], add: Any) -> None:
    updated = entry.get("updated")
    if updated not in (None, ""):
        valid = isinstance(updated, str) and _UPDATED.fullmatch(updated.strip()) is not None
        if valid:
            try:
                dt.datetime.strptime(updated.strip(), "%Y-%m-%d %H:%M:%S")
            except ValueError:
                valid = False
        if not valid:
            add("updated", "ignored", "updated must be a UTC time \"YYYY-MM-DD HH:MM:SS\"")
    for name in ("url", "edit_url", "entity_url", "entity_website_url", "entity_logo"):
        value = entry.get(name)
        if value not in (None, "") and not (isinstance(value, str) and _is_http(value.strip())):
            add(name, "ignored", f"{name} must be an http(s) address")
    feedback = entry.get("feedback_url")
    if feedback not in (None, "") and not (isinstance(feedback, str) and (
            _is_http(feedback.strip()) or feedback.strip().lower().startswith("mailto:"))):
        add("feedback_url", "ignored", "feedback_url must be an http(s) or mailto: address")
    regions = entry.get("regions")
    if regions is not None and (not isinstance(regions, list) or not all(isinstance(r, str) for r in regions)):
        add("regions", "ignored", "regions must be an array of names, general first")
    if any(entry.get(name) not in (None, "", []) for name in ENTITY_FIELDS) and not _text(entry.get("entity")):
        add("entity", "warning", "entity fields without entity (the specification requires it with them)")
