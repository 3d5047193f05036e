"""Import a Meeting Guide JSON feed (a file or a URL) as meetings."""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from finder.core import meeting_guide
from finder.core import schedule, texts, vocab
from finder.imports import writer as r
from finder.imports.report import DEFAULT_MAX_BYTES, DEFAULT_MAX_ROWS, FatalImportError, ImportReport, RowError
from finder.imports.report import Progress, parse_json, read_bytes
from finder.core.numbers import parse_int

SOURCE = "meeting_guide"


def _days(value: Any) -> list[int]:
    raw = value if isinstance(value, list) else [value]
    days = []
    for item in raw:
        day = parse_int(item, low=0, high=6)
        if day is None:
            raise RowError(f"day must be 0 (Sunday) to 6, got {str(item)[:20]!r}")
        days.append(schedule.from_meeting_guide(day))
    if not days:
        raise RowError("day is an empty list")
    return sorted(set(days))


def _duration(start: dt.time, end: dt.time | None) -> int:
    if end is None:
        return 60
    minutes = (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)
    return minutes if minutes > 0 else minutes + 24 * 60  # an end before the start runs past midnight


def _types(value: Any) -> tuple[list[str], bool]:
    """Meeting Guide types -> (NA codes, temporarily closed); codes we don't know are dropped."""
    if value is None:
        return [], False
    if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
        raise RowError("types must be a list of codes")
    codes: list[str] = []
    closed = False
    known = {row.na_code for row in meeting_guide.CODE_TABLE}
    for mg in value:
        mg = mg.strip()
        if mg == "TC":
            closed = True
            continue
        code = meeting_guide.MG_TO_NA.get(mg) or (mg if mg in known and mg not in ("VM", "HYBR") else None)
        if code and code not in codes:
            codes.append(code)
    if "O" in codes and "C" in codes:  # a feed that says both is wrong about one: say neither
        codes = [c for c in codes if c not in ("O", "C")]
    return codes, closed


def _language(codes: list[str]) -> str:
    """The meeting's language from its types: the one language format given (ES -> es), else English (a feed
    names a bilingual meeting's two languages without saying which its text is in)."""
    languages = [c.lower() for c in codes if vocab.FORMAT_BY_CODE.get(c) is not None
                 and vocab.FORMAT_BY_CODE[c].kind == "language" and c.lower() in texts.KNOWN]
    return languages[0] if len(languages) == 1 else "en"


def entry_to_record(entry: Any) -> r.MeetingRecord:
    """One Meeting Guide entry -> a MeetingRecord (coordinates and zone may still be missing)."""
    if not isinstance(entry, dict):
        raise RowError("entry is not a JSON object")
    name = r.text(entry.get("name"), "name", r.NAME_MAX, required=True)
    slug = r.slug(entry.get("slug"))
    if entry.get("day") is None or entry.get("time") in (None, ""):
        raise RowError("day and time are required for a weekly meeting")
    days = _days(entry["day"])
    start = r.clock(entry["time"], "time")
    end = r.clock(entry["end_time"], "end_time") if entry.get("end_time") not in (None, "") else None
    duration = _duration(start, end)
    formats, closed = _types(entry.get("types"))

    place = r.PlaceRecord(
        name=r.text(entry.get("location"), "location", r.LONG_MAX),
        notes=r.text(entry.get("location_notes"), "location_notes", r.LONG_MAX),
        latitude=r.number(entry.get("latitude"), "latitude"),
        longitude=r.number(entry.get("longitude"), "longitude"),
        timezone=r.zone(entry.get("timezone")),
    )
    formatted = r.text(entry.get("formatted_address"), "formatted_address", r.LONG_MAX)
    parsed = r.parse_address(formatted) if formatted else {}
    place.street = r.text(entry.get("address"), "address", r.LONG_MAX) or parsed.get("street", "")
    place.city = r.text(entry.get("city"), "city") or parsed.get("city", "")
    place.region = r.text(entry.get("state"), "state") or parsed.get("region", "")
    place.postal_code = r.text(entry.get("postal_code"), "postal_code", r.POSTAL_MAX) or parsed.get("postal_code", "")
    place.country = r.country(entry.get("country")) or parsed.get("country", "")
    if not (place.street or place.city or place.latitude is not None):
        raise RowError("no address information")
    approximate = r.text(entry.get("approximate"), "approximate", 5).lower()
    if approximate == "yes" or not place.street:
        place.precision = "city" if place.city else "region"

    conference_url = r.text(entry.get("conference_url"), "conference_url", r.LONG_MAX)
    if conference_url and not conference_url.lower().startswith(("https://", "http://")):
        raise RowError("conference_url must be an http(s) link")
    phone = r.text(entry.get("conference_phone"), "conference_phone")
    online = bool(conference_url or phone)
    in_person = place.precision == "rooftop" and bool(place.street)
    attendance = "hybrid" if online and in_person else "online" if online else "in_person"

    regions = entry.get("regions")
    if regions is not None:
        if not isinstance(regions, list) or not all(isinstance(x, str) for x in regions):
            raise RowError("regions must be a list of names")
        bodies = [x.strip() for x in regions if x.strip()]
    else:
        bodies = [x for x in (r.text(entry.get("region"), "region", r.NAME_MAX),
                              r.text(entry.get("sub_region"), "sub_region", r.NAME_MAX)) if x]
    language = _language(formats)
    return r.MeetingRecord(
        slug=slug, name=name, source_id=slug, place=place, language=language,
        times=[(day, start, duration) for day in days],
        formats=formats,
        attendance=attendance,
        conference_url=conference_url,
        conference_notes=r.text(entry.get("conference_url_notes"), "conference_url_notes", r.LONG_MAX),
        phone=phone,
        phone_notes=r.text(entry.get("conference_phone_notes"), "conference_phone_notes", r.LONG_MAX),
        notes=r.text(entry.get("notes"), "notes", r.TEXT_MAX),
        translations=r.translations(entry.get("translations"), "translations", language,
                                    meeting_guide.TEXT_FIELDS),
        status="temporarily_closed" if closed else "active",
        group_name=r.text(entry.get("group"), "group", r.NAME_MAX),
        bodies=bodies,
    )


def import_feed(
    session: Session,
    source: str | Path | bytes,
    *,
    now: dt.datetime,
    resolver: r.Resolver | None = None,
    label: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_rows: int = DEFAULT_MAX_ROWS,
    progress: Progress | None = None,
) -> ImportReport:
    """Import a Meeting Guide feed from a path, an http(s) URL or bytes; the caller commits.

    Raises FatalImportError (the caller must roll back) when the feed cannot be read or is not a JSON array.
    """
    name = label or (urlsplit(source).netloc if isinstance(source, str) and "://" in source else
                     Path(source).name if not isinstance(source, bytes) else "upload")
    data = parse_json(read_bytes(source, max_bytes=max_bytes), "the Meeting Guide feed")
    if isinstance(data, dict) and isinstance(data.get("meetings"), list):
        data = data["meetings"]  # some servers wrap the array
    if not isinstance(data, list):
        raise FatalImportError("a Meeting Guide feed must be a JSON array of meetings")
    if len(data) > max_rows:
        raise FatalImportError(f"the feed has {len(data)} meetings, more than the {max_rows} limit")
    resolver = resolver or r.default_resolver()
    report = ImportReport("meeting-guide", name, progress=progress)
    report.expect(len(data))
    writer = r.Writer(session, source=SOURCE, now=now, actor="import:meeting-guide")
    for number, entry in enumerate(data, start=1):
        key = str(entry.get("slug") or entry.get("name") or "")[:120] if isinstance(entry, dict) else ""
        try:
            record = entry_to_record(entry)
            r.resolve_place(record.place, resolver)
            report.add(number, record.slug, writer.meeting(record))
        except RowError as exc:
            report.add(number, key, "rejected", [str(exc)])
    return report
