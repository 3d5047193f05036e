"""Import a BMLT server's GetSearchResults, GetFormats and GetServiceBodies JSON as meetings and service bodies."""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from finder.core import bmlt
from finder.core import schedule
from finder.imports import writer as r
from finder.imports.report import DEFAULT_MAX_BYTES, DEFAULT_MAX_ROWS, FatalImportError, ImportReport, RowError
from finder.imports.report import Progress, parse_json, read_bytes
from finder.core.numbers import parse_int

LANGUAGE = re.compile(r"[a-z]{2,3}")


def _list(data: Any, what: str, key: str | None = None) -> list[Any]:
    if key and isinstance(data, dict) and isinstance(data.get(key), list):
        data = data[key]
    if not isinstance(data, list):
        raise FatalImportError(f"{what} must be a JSON array")
    return data


def _int(value: Any, field_name: str) -> int:
    raw = r.text(value, field_name, 20, required=True)
    number = parse_int(raw)
    if number is None:
        raise RowError(f"{field_name} must be a whole number, got {raw!r}")
    return number


def _duration(value: Any) -> int:
    raw = r.text(value, "duration_time", 8)
    if not raw:
        return 60
    match = re.fullmatch(r"(\d{1,2}):(\d{2})(?::\d{2})?", raw)
    if not match:
        raise RowError(f"duration_time must be HH:MM:SS, got {raw!r}")
    minutes = int(match[1]) * 60 + int(match[2])
    if not 0 <= minutes <= 24 * 60:
        raise RowError("duration_time is longer than a day")
    return minutes or 60


def format_keys(formats: list[Any], known: set[str]) -> dict[str, str]:
    """BMLT format id and key string -> our NA code, for the formats we have."""
    mapping: dict[str, str] = {}
    for item in formats:
        if not isinstance(item, dict):
            continue
        key = str(item.get("key_string") or "").strip()
        code = bmlt.FROM_BMLT_KEY.get(key, key)
        if code not in known:
            world = str(item.get("world_id") or "").strip()
            code = next((spec.code for spec in r.vocab_formats() if world and spec.world_id == world), "")
        if code in known:
            mapping[key] = code
            if item.get("id") is not None:
                mapping[f"#{item['id']}"] = code
    return mapping


def record_to_meeting(rec: Any, *, formats: dict[str, str], bodies: dict[str, int],
                      known: set[str]) -> tuple[r.MeetingRecord, list[str]]:
    """One GetSearchResults record -> a MeetingRecord and notes about what was dropped."""
    if not isinstance(rec, dict):
        raise RowError("record is not a JSON object")
    notes: list[str] = []
    record_id = _int(rec.get("id_bigint"), "id_bigint")
    name = r.text(rec.get("meeting_name"), "meeting_name", r.NAME_MAX, required=True)
    tinyint = _int(rec.get("weekday_tinyint"), "weekday_tinyint")
    if not 1 <= tinyint <= 7:
        raise RowError(f"weekday_tinyint must be 1 (Sunday) to 7, got {tinyint}")
    start = r.clock(rec.get("start_time"), "start_time")
    keys = [k.strip() for k in r.text(rec.get("formats"), "formats", r.LONG_MAX).split(",") if k.strip()]
    codes: list[str] = []
    unknown: list[str] = []
    for key in keys:
        code = formats.get(key) or (bmlt.FROM_BMLT_KEY.get(key, key) if bmlt.FROM_BMLT_KEY.get(key, key) in known
                                    else None)
        (codes if code else unknown).append(code or key)
    if unknown:
        notes.append(f"ignored unknown formats {unknown}")
    venue = r.text(rec.get("venue_type"), "venue_type", 2)
    attendance = {"1": "in_person", "2": "online", "3": "hybrid"}.get(venue) or (
        "hybrid" if "HYBR" in codes else "online" if "VM" in codes else "in_person")
    status = "temporarily_closed" if "TC" in codes else "active"
    codes = [c for c in codes if c not in ("VM", "HYBR", "TC")]
    language = r.text(rec.get("lang_enum"), "lang_enum", 8).lower() or "en"
    if not LANGUAGE.fullmatch(language):
        raise RowError(f"lang_enum {language!r} is not a language code")
    body_ref = r.text(rec.get("service_body_bigint"), "service_body_bigint", 20)
    body_id = bodies.get(body_ref)
    if body_ref and body_id is None:
        notes.append(f"service body {body_ref} is not in the service bodies file")
    place = r.PlaceRecord(
        name=r.text(rec.get("location_text"), "location_text", r.LONG_MAX),
        notes=r.text(rec.get("location_info"), "location_info", r.LONG_MAX),
        street=r.text(rec.get("location_street"), "location_street", r.LONG_MAX),
        city=r.text(rec.get("location_municipality"), "location_municipality"),
        region=r.text(rec.get("location_province"), "location_province"),
        postal_code=r.text(rec.get("location_postal_code_1"), "location_postal_code_1", r.POSTAL_MAX),
        country=r.country(rec.get("location_nation")),
        latitude=r.number(rec.get("latitude"), "latitude"),
        longitude=r.number(rec.get("longitude"), "longitude"),
        timezone=r.zone(rec.get("time_zone"), "time_zone"),
    )
    if attendance == "online" or not place.street:
        place.precision = "city" if place.city else "region"
    link = r.text(rec.get("virtual_meeting_link"), "virtual_meeting_link", r.LONG_MAX)
    if link and not link.lower().startswith(("https://", "http://")):
        raise RowError("virtual_meeting_link must be an http(s) link")
    meeting = r.MeetingRecord(
        slug=f"{r.slugify(name, 90) or 'meeting'}-{record_id}",
        name=name,
        source_id=str(record_id),
        times=[(schedule.from_bmlt(tinyint), start, _duration(rec.get("duration_time")))],
        place=place,
        formats=codes,
        attendance=attendance,
        conference_url=link,
        conference_notes=r.text(rec.get("virtual_meeting_additional_info"), "virtual_meeting_additional_info",
                                r.LONG_MAX),
        phone=r.phone(rec.get("phone_meeting_number"), "phone_meeting_number"),
        language=language[:2],
        notes=r.text(rec.get("comments"), "comments", r.TEXT_MAX),
        status=status,
        published=r.text(rec.get("published"), "published", 2) != "0",
        service_body_id=body_id,
        slug_derived=True,
    )
    return meeting, notes


def import_bodies(writer: r.Writer, items: list[Any], report: ImportReport) -> dict[str, int]:
    """Service bodies parents first; returns BMLT id -> our id. Bodies are matched by kind, name and parent."""
    by_id: dict[str, dict[str, Any]] = {}
    for item in items:
        if isinstance(item, dict) and str(item.get("id", "")).strip():
            by_id[str(item["id"]).strip()] = item
    mapping: dict[str, int] = {}
    pending = list(by_id)
    while pending:
        progressed = False
        for ext in list(pending):
            item = by_id[ext]
            parent = str(item.get("parent_id") or "0").strip()
            if parent not in ("0", "") and parent in by_id and parent not in mapping:
                continue  # wait for the parent
            pending.remove(ext)
            progressed = True
            try:
                body = writer.body(
                    bmlt.FROM_BMLT_BODY_TYPE.get(str(item.get("type") or "AS"), "area"),
                    r.text(item.get("name"), "name", r.NAME_MAX, required=True),
                    mapping.get(parent),
                    description=r.text(item.get("description"), "description", r.TEXT_MAX),
                    url=r.link(item.get("url"), "url"),
                    helpline=r.phone(item.get("helpline"), "helpline"),
                    world_id=r.text(item.get("world_id"), "world_id"),
                )
                mapping[ext] = body.id
            except RowError as exc:
                report.add(0, f"service body {ext}", "rejected", [str(exc)])
        if not progressed:  # a parent cycle: attach the rest at the root
            parentless = pending.pop(0)
            by_id[parentless] = {**by_id[parentless], "parent_id": "0"}
            pending.insert(0, parentless)
    return mapping


def import_server(
    session: Session,
    *,
    results: str | Path | bytes,
    formats: str | Path | bytes,
    service_bodies: str | Path | bytes,
    now: dt.datetime,
    resolver: r.Resolver | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_rows: int = DEFAULT_MAX_ROWS,
    progress: Progress | None = None,
) -> ImportReport:
    """Import BMLT JSON (each argument a path, a URL or bytes); the caller commits or rolls back.

    One meeting per BMLT record (BMLT keeps one row per weekday); re-imports match on the record id.
    """
    rows = _list(parse_json(read_bytes(results, max_bytes=max_bytes), "GetSearchResults"), "GetSearchResults",
                 "meetings")
    format_items = _list(parse_json(read_bytes(formats, max_bytes=max_bytes), "GetFormats"), "GetFormats")
    body_items = _list(parse_json(read_bytes(service_bodies, max_bytes=max_bytes), "GetServiceBodies"),
                       "GetServiceBodies")
    if len(rows) > max_rows:
        raise FatalImportError(f"{len(rows)} meetings is more than the {max_rows} limit")
    root = next((str(x.get("root_server_uri") or "") for x in rows if isinstance(x, dict)), "")
    host = urlsplit(root).netloc if "://" in root else ""
    source = f"bmlt:{host}" if host else "bmlt"
    resolver = resolver or r.default_resolver()
    report = ImportReport("bmlt", host or "files", progress=progress)
    report.expect(len(rows))
    writer = r.Writer(session, source=source, now=now, actor="import:bmlt")
    known = set(writer.format_codes())
    bodies = import_bodies(writer, body_items, report)
    format_map = format_keys(format_items, known)
    for number, item in enumerate(rows, start=1):
        key = str(item.get("id_bigint", "")) if isinstance(item, dict) else ""
        try:
            meeting, notes = record_to_meeting(item, formats=format_map, bodies=bodies, known=known)
            r.resolve_place(meeting.place, resolver)
            report.add(number, meeting.slug, writer.meeting(meeting), notes)
        except RowError as exc:
            report.add(number, key, "rejected", [str(exc)])
    return report
