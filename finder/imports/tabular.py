"""Reading our documented CSV files: header checks, row limits, cells un-escaped from spreadsheet protection."""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from finder.imports.exports import LIST_SEPARATOR, WEEKDAY_TOKENS, unescape_cell
from finder.imports import writer as r
from finder.imports.report import DEFAULT_MAX_BYTES, DEFAULT_MAX_ROWS, FatalImportError, ImportReport, Progress
from finder.imports.report import RowError, decode_text, read_bytes
from finder.core.numbers import parse_int

CSV_SOURCE = "csv"  # the source our CSV imports write: re-importing matches on slug

csv.field_size_limit(1_000_000)


def import_each_row(report: ImportReport, data: bytes, *, required: tuple[str, ...], known: tuple[str, ...],
                    max_rows: int, what: str, save: Callable[[dict[str, str]], tuple[str, str]]) -> ImportReport:
    """Run `save(row) -> (key, outcome)` on every row; a RowError rejects that row alone, with its reason."""
    for line, row in csv_rows(data, required=required, known=known, max_rows=max_rows, what=what):
        try:
            key, outcome = save(row)
            report.add(line, key, outcome)
        except RowError as exc:
            report.add(line, row.get("slug") or row.get("name", "")[:120], "rejected", [str(exc)])
    return report


def csv_rows(data: bytes, *, required: tuple[str, ...], known: tuple[str, ...], max_rows: int,
             what: str) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row) for each data row; FatalImportError for a missing header column or too many rows."""
    text = decode_text(data, what)
    sample = text[:4096]
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    try:
        header = [h.strip().lower().lstrip("\ufeff") for h in next(reader)]
    except StopIteration:
        raise FatalImportError(f"{what} is empty") from None
    except csv.Error as exc:
        raise FatalImportError(f"{what} is not readable CSV: {exc}") from None
    missing = [c for c in required if c not in header]
    if missing:
        raise FatalImportError(f"{what} lacks the columns {', '.join(missing)}; see docs/IMPORTS.md")
    unknown = [h for h in header if h and h not in known]
    if unknown:
        raise FatalImportError(f"{what} has columns we do not know: {', '.join(unknown)}; see docs/IMPORTS.md")
    count = 0
    try:
        for values in reader:
            if not any(v.strip() for v in values):
                continue
            count += 1
            if count > max_rows:
                raise FatalImportError(f"{what} has more than the {max_rows} row limit")
            row = {column: unescape_cell(values[i]) if i < len(values) else "" for i, column in enumerate(header)}
            if len(values) > len(header):
                row["__extra__"] = "x"
            yield reader.line_num, row
    except csv.Error as exc:
        raise FatalImportError(f"{what} is not readable CSV near line {reader.line_num}: {exc}") from None


def split_list(value: str) -> list[str]:
    """ "O; DISC" or "O,DISC" or "O DISC" -> ["O", "DISC"]."""
    return [part for part in re.split(r"[;,\s]+", value.strip()) if part]


def parse_times(value: str) -> list[tuple[int, dt.time, int]]:
    """ "mon 19:00 60; wed 19:00" -> Python weekdays, local start times, durations (default 60)."""
    times = []
    for chunk in [c.strip() for c in value.split(LIST_SEPARATOR) if c.strip()]:
        parts = chunk.split()
        if len(parts) not in (2, 3) or parts[0].lower()[:3] not in WEEKDAY_TOKENS:
            raise RowError(f"times: {chunk!r} should look like \"mon 19:00 60\"")
        duration = 60
        if len(parts) == 3:
            minutes = parse_int(parts[2], low=1, high=1440)
            if minutes is None:
                raise RowError(f"times: duration {parts[2]!r} must be 1 to 1440 minutes")
            duration = minutes
        times.append((WEEKDAY_TOKENS.index(parts[0].lower()[:3]), r.clock(parts[1], "times"), duration))
    if not times:
        raise RowError("times is missing")
    if len(set(times)) != len(times):
        raise RowError("times lists the same slot twice")
    return times


def place_from_row(row: dict[str, str]) -> r.PlaceRecord:
    """The shared place columns of our CSV formats."""
    precision = r.text(row.get("precision"), "precision", 20) or "rooftop"
    if precision not in ("rooftop", "postal_code", "city", "region"):
        raise RowError(f"precision {precision!r} must be rooftop, postal_code, city or region")
    return r.PlaceRecord(
        name=r.text(row.get("location"), "location", r.LONG_MAX),
        street=r.text(row.get("street"), "street", r.LONG_MAX),
        city=r.text(row.get("city"), "city"),
        region=r.text(row.get("region"), "region"),
        postal_code=r.text(row.get("postal_code"), "postal_code", r.POSTAL_MAX),
        country=r.country(row.get("country")),
        latitude=r.number(row.get("latitude"), "latitude"),
        longitude=r.number(row.get("longitude"), "longitude"),
        precision=precision,
        timezone=r.zone(row.get("timezone")),
        notes=r.text(row.get("location_notes"), "location_notes", r.LONG_MAX),
    )


class NamedPlace(NamedTuple):
    name: str
    place: r.PlaceRecord
    slug: str
    slug_derived: bool  # no slug was given: made from the name and the city


def named_place_row(row: dict[str, str]) -> NamedPlace:
    """The name, place and slug of a row of our CSV formats with one place a row; a missing slug is made from the
    name and the city."""
    if "__extra__" in row:
        raise RowError("the row has more cells than the header")
    name = r.text(row.get("name"), "name", r.NAME_MAX, required=True)
    place = place_from_row(row)
    given = r.text(row.get("slug"), "slug", r.SLUG_MAX)
    slug = r.slug(given) if given else r.slugify(f"{name} {place.city}")
    if not slug:
        raise RowError("slug is missing and the name has no letters to make one")
    return NamedPlace(name, place, slug, not given)


def choice(row: dict[str, str], column: str, allowed: tuple[str, ...], default: str) -> str:
    value = r.text(row.get(column), column, 40).lower() or default
    if value not in allowed:
        raise RowError(f"{column} {value!r} must be one of {', '.join(allowed)}")
    return value


@dataclass(frozen=True)
class CsvImport:
    """What an import of one of our CSV files works with: its bytes, its report, the writer and the resolver."""

    data: bytes
    report: ImportReport
    writer: r.Writer
    resolver: r.Resolver


def start_csv_import(session: Any, source: str | Path | bytes, kind: str, *, now: dt.datetime,
                     resolver: r.Resolver | None, max_bytes: int, progress: Progress | None) -> CsvImport:
    """Read a CSV file (or an upload's bytes) and open its report, expecting a row a line less the header."""
    data = read_bytes(source, max_bytes=max_bytes)
    report = ImportReport(kind, "upload" if isinstance(source, bytes) else Path(str(source)).name, progress=progress)
    report.expect(max(data.count(b"\n") - 1, 1))  # lines less the header: rows, unless a cell holds a newline
    return CsvImport(data, report, r.Writer(session, source=CSV_SOURCE, now=now, actor="import:csv"),
                     resolver or r.default_resolver())


class CsvImporter:
    """The import function of one of our CSV formats where each row is one record: called as
    `import_csv(session, source, now=..., resolver=None, max_bytes=..., max_rows=..., progress=None)`, it runs
    `save_row(writer, resolver, row) -> (key, outcome)` on every row. The caller commits."""

    def __init__(self, kind: str, *, required: tuple[str, ...], known: tuple[str, ...], what: str,
                 save_row: Callable[[r.Writer, r.Resolver, dict[str, str]], tuple[str, str]]) -> None:
        self.kind, self.required, self.known, self.what, self.save_row = kind, required, known, what, save_row

    def __call__(self, session: Any, source: str | Path | bytes, *, now: dt.datetime,
                 resolver: r.Resolver | None = None, max_bytes: int = DEFAULT_MAX_BYTES,
                 max_rows: int = DEFAULT_MAX_ROWS, progress: Progress | None = None) -> ImportReport:
        started = start_csv_import(session, source, self.kind, now=now, resolver=resolver, max_bytes=max_bytes,
                                   progress=progress)
        return import_each_row(started.report, started.data, required=self.required, known=self.known,
                               max_rows=max_rows, what=self.what,
                               save=lambda row: self.save_row(started.writer, started.resolver, row))
