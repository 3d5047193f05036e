"""Import counselors from our documented CSV: one row per office, rows sharing a slug are one counselor."""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from sqlalchemy.orm import Session

from finder.imports.exports import COUNSELOR_COLUMNS
from finder.imports import writer as r
from finder.imports.report import DEFAULT_MAX_BYTES, DEFAULT_MAX_ROWS, ImportReport, Progress, RowError
from finder.imports.tabular import start_csv_import, choice, csv_rows, place_from_row, split_list
from finder.models import ACCEPTING

REQUIRED = ("name",)
TERM_COLUMNS = (("approaches", "approach"), ("session_formats", "format"), ("insurance", "insurance"),
                ("languages", "language"))


def row_to_counselor(row: dict[str, str]) -> dict:
    """The counselor columns of one row (its office is read separately)."""
    if "__extra__" in row:
        raise RowError("the row has more cells than the header")
    name = r.text(row.get("name"), "name", r.NAME_MAX, required=True)
    given = r.text(row.get("slug"), "slug", r.SLUG_MAX)
    slug = r.slug(given) if given else r.slugify(f"{name} {row.get('city', '')}")
    if not slug:
        raise RowError("slug is missing and the name has no letters to make one")
    email = r.text(row.get("email"), "email", r.LONG_MAX)
    if email and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
        raise RowError(f"email {email!r} is not an email address")
    website = r.text(row.get("website"), "website", r.LONG_MAX)
    if website and not re.match(r"https?://", website, re.I):
        raise RowError("website must be an http(s) link")
    terms = [(kind, code.lower()) for column, kind in TERM_COLUMNS for code in split_list(row.get(column, ""))]
    return dict(
        slug=slug, source_id=slug, terms=terms,
        name=name,
        credentials=r.text(row.get("credentials"), "credentials", r.LONG_MAX),
        license_number=r.text(row.get("license_number"), "license_number"),
        license_state=r.text(row.get("license_state"), "license_state"),
        phone=r.text(row.get("phone"), "phone"),
        email=email,
        website=website,
        contact_public=r.flag(row.get("contact_public"), "contact_public"),
        telehealth=r.flag(row.get("telehealth"), "telehealth"),
        in_person=r.flag(row.get("in_person") or "yes", "in_person"),
        accepting=choice(row, "accepting", ACCEPTING, "yes"),
        fees=r.text(row.get("fees"), "fees", r.LONG_MAX),
        sliding_scale=r.flag(row.get("sliding_scale"), "sliding_scale"),
        bio=r.text(row.get("bio"), "bio", r.TEXT_MAX),
        published=r.flag(row.get("published") or "yes", "published"),
    )


def _has_office(row: dict[str, str]) -> bool:
    return any(row.get(c, "").strip() for c in ("street", "city", "latitude", "postal_code", "location"))


def import_csv(session: Session, source: str | Path | bytes, *, now: dt.datetime,
               resolver: r.Resolver | None = None, max_bytes: int = DEFAULT_MAX_BYTES,
               max_rows: int = DEFAULT_MAX_ROWS, progress: Progress | None = None) -> ImportReport:
    """Import counselors from CSV; re-importing matches on slug. The caller commits."""
    started = start_csv_import(session, source, "csv-counselors", now=now, resolver=resolver, max_bytes=max_bytes,
                               progress=progress)
    data, report, writer, resolver = started.data, started.report, started.writer, started.resolver
    # Group the office rows of each counselor first: a counselor is written once, with all offices.
    groups: dict[str, tuple[int, dict, list[r.PlaceRecord]]] = {}
    failed: set[str] = set()
    for line, row in csv_rows(data, required=REQUIRED, known=COUNSELOR_COLUMNS, max_rows=max_rows,
                              what="the counselors CSV"):
        key = row.get("slug") or row.get("name", "")[:120]
        try:
            values = row_to_counselor(row)
            office = r.resolve_place(place_from_row(row), resolver) if _has_office(row) else None
        except RowError as exc:
            report.add(line, key, "rejected", [str(exc)])
            failed.add(key)
            continue
        if values["slug"] in groups:
            first_line, first, offices = groups[values["slug"]]
            if first != values:
                report.add(line, values["slug"], "rejected",
                           ["an office row differs from the first row of this counselor in a non-office column"])
                failed.add(values["slug"])
                continue
            if office is not None:
                offices.append(office)
        else:
            groups[values["slug"]] = (line, values, [office] if office is not None else [])
    for slug, (line, values, offices) in groups.items():
        if slug in failed:
            report.add(line, slug, "rejected", ["another row of this counselor was rejected"])
            continue
        try:
            report.add(line, slug, writer.counselor(offices=offices, **values))
        except RowError as exc:
            report.add(line, slug, "rejected", [str(exc)])
    report.rows.sort(key=lambda row: row.row)
    return report
