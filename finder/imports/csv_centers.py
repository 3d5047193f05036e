"""Import treatment centers from our documented CSV (the export's columns; see docs/IMPORTS.md)."""
from __future__ import annotations

from finder.imports.exports import CENTER_COLUMNS
from finder.imports import writer as r
from finder.imports.tabular import CsvImporter, named_place_row, split_list

REQUIRED = ("name",)


def row_to_center(row: dict[str, str]) -> dict:
    name, place, slug, _derived = named_place_row(row)
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


def _save_row(writer: r.Writer, resolver: r.Resolver, row: dict[str, str]) -> tuple[str, str]:
    values = row_to_center(row)
    r.resolve_place(values["place"], resolver)
    return values["slug"], writer.center(**values)


# Import treatment centers from CSV; re-importing matches on slug. The caller commits.
import_csv = CsvImporter("csv-centers", required=REQUIRED, known=CENTER_COLUMNS, what="the treatment centers CSV",
                         save_row=_save_row)
