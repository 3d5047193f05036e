"""Import treatment centers from our documented CSV (the export's columns; see docs/IMPORTS.md)."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy.orm import Session

from finder.imports.exports import CENTER_COLUMNS
from finder.imports import writer as r
from finder.imports.report import DEFAULT_MAX_BYTES, DEFAULT_MAX_ROWS, ImportReport, Progress, RowError
from finder.imports.tabular import start_csv_import, import_each_row, place_from_row, split_list

REQUIRED = ("name",)


def row_to_center(row: dict[str, str]) -> dict:
    if "__extra__" in row:
        raise RowError("the row has more cells than the header")
    name = r.text(row.get("name"), "name", r.NAME_MAX, required=True)
    place = place_from_row(row)
    given = r.text(row.get("slug"), "slug", r.SLUG_MAX)
    slug = r.slug(given) if given else r.slugify(f"{name} {place.city}")
    if not slug:
        raise RowError("slug is missing and the name has no letters to make one")
    return dict(
        slug=slug, source_id=slug, place=place,
        services=[c.upper() for c in split_list(row.get("services", ""))],
        name=name,
        name2=r.text(row.get("name2"), "name2", r.LONG_MAX),
        phone=r.text(row.get("phone"), "phone"),
        intake_phone=r.text(row.get("intake_phone"), "intake_phone"),
        website=r.text(row.get("website"), "website", r.LONG_MAX),
        facility_type=r.text(row.get("facility_type"), "facility_type"),
        published=r.flag(row.get("published") or "yes", "published"),
    )


def import_csv(session: Session, source: str | Path | bytes, *, now: dt.datetime,
               resolver: r.Resolver | None = None, max_bytes: int = DEFAULT_MAX_BYTES,
               max_rows: int = DEFAULT_MAX_ROWS, progress: Progress | None = None) -> ImportReport:
    """Import treatment centers from CSV; re-importing matches on slug. The caller commits."""
    started = start_csv_import(session, source, "csv-centers", now=now, resolver=resolver, max_bytes=max_bytes,
                               progress=progress)
    data, report, writer, resolver = started.data, started.report, started.writer, started.resolver
    def save(row: dict[str, str]) -> tuple[str, str]:
        values = row_to_center(row)
        r.resolve_place(values["place"], resolver)
        return values["slug"], writer.center(**values)

    return import_each_row(report, data, required=REQUIRED, known=CENTER_COLUMNS, max_rows=max_rows,
                           what="the treatment centers CSV", save=save)
