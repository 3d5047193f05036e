"""CSV exports of meetings, treatment centers and counselors: safe to open in a spreadsheet, and re-importable.

The column lists here are the documented CSV format (docs/IMPORTS.md); the CSV importers read the same columns.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from finder.core import meeting_guide, texts
from finder.models import Counselor, Meeting, Place, ServiceBody, TreatmentCenter

WEEKDAY_TOKENS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
LIST_SEPARATOR = ";"
# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection, OWASP).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

PLACE_COLUMNS = ("location", "street", "city", "region", "postal_code", "country", "latitude", "longitude",
                 "precision", "timezone", "location_notes")
MEETING_COLUMNS = (
    "slug", "name", "times", "formats", "attendance", "status", "published", "language", "conference_url",
    "conference_notes", "phone", "phone_notes", "notes", "group", "service_body", *PLACE_COLUMNS,
)
# A meeting's text in another language: "<field>:<language>" ("notes:es"), one column per field and language
# given (finder.core.texts); an export writes the columns its meetings use.
TEXT_COLUMN_SEPARATOR = ":"
TEXT_COLUMNS = tuple(f"{name}{TEXT_COLUMN_SEPARATOR}{language}"
                     for name in ("notes", "location_notes", "conference_notes", "phone_notes")
                     for language, _ in texts.LANGUAGES)
CENTER_COLUMNS = (
    "slug", "name", "name2", "services", "phone", "intake_phone", "website", "facility_type", "published",
    *PLACE_COLUMNS,
)
COUNSELOR_COLUMNS = (
    "slug", "name", "credentials", "license_number", "license_state", "phone", "email", "website",
    "contact_public", "telehealth", "in_person", "accepting", "fees", "sliding_scale", "approaches",
    "session_formats", "insurance", "languages", "bio", "published", *PLACE_COLUMNS,
)
KINDS = ("meetings", "centers", "counselors")


def escape_cell(value: str) -> str:
    """Prefix a cell a spreadsheet would evaluate with an apostrophe (shown as text, never run)."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def unescape_cell(value: str) -> str:
    """Undo escape_cell when reading our own CSV back (an apostrophe before a formula start)."""
    return value[1:] if value.startswith("'") and value[1:].startswith(FORMULA_STARTS) else value


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        # Even a negative number is prefixed: the rule is simple to audit and the importers undo it.
        return escape_cell(repr(round(value, 7)))
    return escape_cell(str(value))


def format_times(times: Iterable[Any]) -> str:
    """Weekly times as "mon 19:00 60; wed 19:00 90" (local start, duration in minutes)."""
    return f"{LIST_SEPARATOR} ".join(
        f"{WEEKDAY_TOKENS[t.weekday]} {t.start.hour:02d}:{t.start.minute:02d} {t.duration_minutes}"
        for t in sorted(times, key=lambda t: (t.weekday, t.start))
    )


def body_path(body: ServiceBody | None) -> str:
    """A service body and its ancestors as "region:Eastern PA > area:Philadelphia" (general first)."""
    return " > ".join(f"{b.kind}:{b.name}" for b in meeting_guide.body_chain(body))


def _place(place: Place) -> dict[str, Any]:
    return {
        "location": place.name, "street": place.street, "city": place.city, "region": place.region,
        "postal_code": place.postal_code, "country": place.country, "latitude": place.latitude,
        "longitude": place.longitude, "precision": place.precision, "timezone": place.timezone,
        "location_notes": place.notes,
    }


def meeting_row(meeting: Meeting) -> dict[str, Any]:
    """One meeting as a CSV row (raw values; write_csv escapes them)."""
    return {
        "slug": meeting.slug, "name": meeting.name, "times": format_times(meeting.times),
        "formats": LIST_SEPARATOR.join(sorted(meeting.format_codes)), "attendance": meeting.attendance,
        "status": meeting.status, "published": meeting.published, "language": meeting.language,
        "conference_url": meeting.conference_url, "conference_notes": meeting.conference_notes,
        "phone": meeting.phone, "phone_notes": meeting.phone_notes, "notes": meeting.notes,
        "group": meeting.group.name if meeting.group is not None else "",
        "service_body": body_path(meeting.service_body),
        **_place(meeting.place),
        **{f"{name}{TEXT_COLUMN_SEPARATOR}{language}": text
           for language, fields in texts.translations_of(meeting).items() for name, text in fields.items()},
    }


def center_row(center: TreatmentCenter) -> dict[str, Any]:
    return {
        "slug": center.slug, "name": center.name, "name2": center.name2,
        "services": LIST_SEPARATOR.join(sorted(center.service_codes)), "phone": center.phone,
        "intake_phone": center.intake_phone, "website": center.website, "facility_type": center.facility_type,
        "published": center.published, **_place(center.place),
    }


def counselor_rows(counselor: Counselor) -> list[dict[str, Any]]:
    """One row per office (a counselor with two offices has two rows with the same slug)."""
    def codes(kind: str) -> str:
        return LIST_SEPARATOR.join(sorted(t.code for t in counselor.terms_of(kind)))

    base = {
        "slug": counselor.slug, "name": counselor.name, "credentials": counselor.credentials,
        "license_number": counselor.license_number, "license_state": counselor.license_state,
        "phone": counselor.phone, "email": counselor.email, "website": counselor.website,
        "contact_public": counselor.contact_public, "telehealth": counselor.telehealth,
        "in_person": counselor.in_person, "accepting": counselor.accepting, "fees": counselor.fees,
        "sliding_scale": counselor.sliding_scale, "approaches": codes("approach"),
        "session_formats": codes("format"), "insurance": codes("insurance"), "languages": codes("language"),
        "bio": counselor.bio, "published": counselor.published,
    }
    offices = sorted(counselor.offices, key=lambda p: p.id)
    return [{**base, **_place(p)} for p in offices] or [base]


def rows(session: Session, kind: str) -> Iterator[dict[str, Any]]:
    """Every record of a kind (meetings, centers, counselors) as CSV rows, in slug order."""
    if kind == "meetings":
        query = select(Meeting).options(
            selectinload(Meeting.times), selectinload(Meeting.formats), selectinload(Meeting.place),
            selectinload(Meeting.group), selectinload(Meeting.service_body),
        ).order_by(Meeting.slug)
        for meeting in session.scalars(query):
            yield meeting_row(meeting)
    elif kind == "centers":
        centers = select(TreatmentCenter).options(
            selectinload(TreatmentCenter.services), selectinload(TreatmentCenter.place)
        ).order_by(TreatmentCenter.slug)
        for center in session.scalars(centers):
            yield center_row(center)
    elif kind == "counselors":
        counselors = select(Counselor).options(
            selectinload(Counselor.terms), selectinload(Counselor.offices)
        ).order_by(Counselor.slug)
        for counselor in session.scalars(counselors):
            yield from counselor_rows(counselor)
    else:
        raise ValueError(f"unknown export kind {kind!r}; use one of {', '.join(KINDS)}")


COLUMNS = {"meetings": MEETING_COLUMNS, "centers": CENTER_COLUMNS, "counselors": COUNSELOR_COLUMNS}


def write_csv(records: Iterable[dict[str, Any]], columns: tuple[str, ...], out: io.TextIOBase | Any) -> None:
    """Write rows as CSV (header first, CRLF lines as RFC 4180 says), every cell escaped."""
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for record in records:
        writer.writerow([_cell(record.get(column)) for column in columns])


def export_csv(session: Session, kind: str) -> str:
    """The whole CSV export of a kind as text."""
    if kind not in COLUMNS:
        raise ValueError(f"unknown export kind {kind!r}; use one of {', '.join(KINDS)}")
    out = io.StringIO()
    records: Iterable[dict[str, Any]] = rows(session, kind)
    columns = COLUMNS[kind]
    if kind == "meetings":
        records = list(records)
        used = {column for record in records for column in record}
        columns = (*columns, *(c for c in TEXT_COLUMNS if c in used))
    write_csv(records, columns, out)
    return out.getvalue()
