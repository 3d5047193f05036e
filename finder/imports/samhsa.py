"""Import a SAMHSA treatment locator export (FindTreatment.gov JSON pages) as treatment centers."""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from finder.imports import writer as r
from finder.imports.report import DEFAULT_MAX_BYTES, DEFAULT_MAX_ROWS, FatalImportError, ImportReport, RowError
from finder.imports.report import Progress, parse_json, read_bytes

SOURCE = "samhsa"

# Service labels of the locator -> our service codes; matched as lowercase substrings, first match wins.
SERVICE_LABELS: tuple[tuple[str, str], ...] = (
    ("clonidine", "A2"), ("lofexidine", "A2"),
    ("opioid treatment program", "OTP"),
    ("methadone", "METH"),
    ("buprenorphine", "BU"),
    ("naltrexone", "NU"), ("vivitrol", "NU"),
    ("detox", "DT"),
    ("hospital inpatient", "HI"),
    ("residential", "RES"),
    ("transitional housing", "HH"), ("halfway house", "HH"), ("sober home", "HH"),
    ("outpatient", "OP"),
    ("co-occurring", "CO"),
    ("telemedicine", "CT"), ("telehealth", "CT"),
    ("private health insurance", "PI"),
    ("medicaid", "MD"),
    ("medicare", "MC"),
    ("sliding fee", "SS"),
    ("no charge", "NP"), ("free", "NP"),
    ("cash or self-payment", "SF"), ("self-pay", "SF"),
    ("military", "MI"), ("tricare", "MI"),
    ("spanish", "SP"),
    ("sign language", "AH"), ("asl", "AH"),
)


def service_codes(services: Any, known: set[str]) -> list[str]:
    """The locator's [{f1 label, f2 category, f3 "value; value"}] -> our service codes (unknown labels dropped)."""
    if services in (None, ""):
        return []
    if not isinstance(services, list):
        raise RowError("services must be a list")
    codes: set[str] = set()
    for item in services:
        if not isinstance(item, dict):
            raise RowError("each service must be an object")
        values = [v.strip() for v in re.split(r";", str(item.get("f3") or "")) if v.strip()]
        for value in values:
            if value.upper() in known:
                codes.add(value.upper())
                continue
            lower = value.lower()
            for label, code in SERVICE_LABELS:
                if (label == "asl" and re.search(r"\basl\b", lower)) or (label != "asl" and label in lower):
                    codes.add(code)
                    break
    return sorted(codes)


def row_to_center(row: Any, known: set[str]) -> dict[str, Any]:
    """One locator row -> the Writer.center keyword arguments."""
    if not isinstance(row, dict):
        raise RowError("row is not a JSON object")
    frid = r.text(row.get("frid"), "frid", r.SHORT_MAX, required=True)
    name = r.text(row.get("name1"), "name1", r.NAME_MAX, required=True)
    street = ", ".join(p for p in (r.text(row.get("street1"), "street1", r.LONG_MAX),
                                   r.text(row.get("street2"), "street2", r.LONG_MAX)) if p)
    zip_code = r.text(row.get("zip"), "zip", r.POSTAL_MAX)
    place = r.PlaceRecord(
        street=street[: r.LONG_MAX],
        city=r.text(row.get("city"), "city"),
        region=r.text(row.get("state"), "state"),
        postal_code=zip_code,
        country="US",
        latitude=r.number(row.get("latitude"), "latitude"),
        longitude=r.number(row.get("longitude"), "longitude"),
        precision="rooftop" if street else "postal_code",
    )
    website = r.text(row.get("website"), "website", r.LONG_MAX)
    if website and not re.match(r"https?://", website, re.I):
        website = "https://" + website if re.fullmatch(r"[\w.-]+\.[a-z]{2,}(/\S*)?", website, re.I) else ""
    phone = r.text(row.get("phone"), "phone")
    return dict(
        slug=f"{r.slugify(name, 100) or 'center'}-{r.slugify(frid, 18)}",
        source_id=frid,
        place=place,
        services=service_codes(row.get("services"), known),
        name=name,
        name2=r.text(row.get("name2"), "name2", r.LONG_MAX),
        phone=phone,
        intake_phone=r.text(row.get("intake1") or row.get("intake_phone"), "intake1"),
        website=website,
        facility_type=r.text(row.get("type_facility"), "type_facility"),
        published=True,
    )


def import_export(
    session: Session,
    source: str | Path | bytes,
    *,
    now: dt.datetime,
    resolver: r.Resolver | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_rows: int = DEFAULT_MAX_ROWS,
    progress: Progress | None = None,
) -> ImportReport:
    """Import one locator export page (or a list of pages); `frid` is the source id. The caller commits."""
    data = parse_json(read_bytes(source, max_bytes=max_bytes), "the SAMHSA export")
    pages = data if isinstance(data, list) and all(isinstance(p, dict) and "rows" in p for p in data) else [data]
    rows: list[Any] = []
    for page in pages:
        if not isinstance(page, dict) or not isinstance(page.get("rows"), list):
            raise FatalImportError("a SAMHSA export is an object with a \"rows\" array")
        rows.extend(page["rows"])
    if len(rows) > max_rows:
        raise FatalImportError(f"{len(rows)} facilities is more than the {max_rows} limit")
    resolver = resolver or r.default_resolver()
    label = "upload" if isinstance(source, bytes) else Path(str(source)).name
    report = ImportReport("samhsa", label, progress=progress)
    report.expect(len(rows))
    writer = r.Writer(session, source=SOURCE, now=now, actor="import:samhsa")
    known = set(writer.service_codes())
    for number, row in enumerate(rows, start=1):
        key = str(row.get("frid", "")) if isinstance(row, dict) else ""
        try:
            values = row_to_center(row, known)
            r.resolve_place(values["place"], resolver)
            report.add(number, values["slug"], writer.center(**values))
        except RowError as exc:
            report.add(number, key, "rejected", [str(exc)])
    return report
