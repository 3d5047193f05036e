"""Import meetings from our documented CSV (one row per meeting; see docs/IMPORTS.md)."""
from __future__ import annotations

import re

from finder.imports.exports import MEETING_COLUMNS, TEXT_COLUMN_SEPARATOR, TEXT_COLUMNS
from finder.imports import writer as r
from finder.imports.report import RowError
from finder.imports.tabular import CsvImporter, named_place_row, choice, parse_times, split_list
from finder.models import ATTENDANCE, STATUSES

REQUIRED = ("name", "times")


def row_to_record(row: dict[str, str]) -> r.MeetingRecord:
    """One CSV row -> a MeetingRecord; a missing slug is made from the name and city."""
    name, place, slug, derived = named_place_row(row)
    url = r.text(row.get("conference_url"), "conference_url", r.LONG_MAX)
    if url and not re.match(r"https?://", url, re.I):
        raise RowError("conference_url must be an http(s) link")
    language = r.text(row.get("language"), "language", 8).lower() or "en"
    if not re.fullmatch(r"[a-z]{2,3}", language):
        raise RowError(f"language {language!r} must be an ISO 639-1 code such as en or es")
    given_texts: dict[str, dict[str, str]] = {}
    for column in TEXT_COLUMNS:
        if row.get(column):
            text_field, tag = column.split(TEXT_COLUMN_SEPARATOR)
            given_texts.setdefault(tag, {})[text_field] = row[column]
    service_body = r.text(row.get("service_body"), "service_body", r.LONG_MAX)
    return r.MeetingRecord(
        slug=slug,
        name=name,
        source_id=slug,
        times=parse_times(row.get("times", "")),
        place=place,
        formats=[c.upper() for c in split_list(row.get("formats", ""))],
        attendance=choice(row, "attendance", ATTENDANCE, "in_person"),
        status=choice(row, "status", STATUSES, "active"),
        published=r.flag(row.get("published") or "yes", "published"),
        language=language,
        conference_url=url,
        conference_notes=r.text(row.get("conference_notes"), "conference_notes", r.LONG_MAX),
        phone=r.text(row.get("phone"), "phone"),
        phone_notes=r.text(row.get("phone_notes"), "phone_notes", r.LONG_MAX),
        notes=r.text(row.get("notes"), "notes", r.TEXT_MAX),
        translations=r.translations(given_texts, "translations", language,
                                    label=lambda tag, name: f"{name}{TEXT_COLUMN_SEPARATOR}{tag}"),
        group_name=r.text(row.get("group"), "group", r.NAME_MAX),
        bodies=[part.strip() for part in service_body.split(">") if part.strip()],
        slug_derived=derived,
    )


def _save_row(writer: r.Writer, resolver: r.Resolver, row: dict[str, str]) -> tuple[str, str]:
    record = row_to_record(row)
    r.resolve_place(record.place, resolver)
    return record.slug, writer.meeting(record)


# Import meetings from CSV; re-importing matches on slug. The caller commits.
import_csv = CsvImporter("csv-meetings", required=REQUIRED, known=MEETING_COLUMNS + TEXT_COLUMNS,
                         what="the meetings CSV", save_row=_save_row)
