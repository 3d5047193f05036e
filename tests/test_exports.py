"""CSV exports: spreadsheet-safe cells, and round trips through the CSV importers (export, import, same data)."""
from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import delete

from finder.imports import exports
from finder.imports import csv_centers, csv_counselors, csv_meetings
from finder.imports import writer as r
from finder.models import (
    Counselor, Meeting, Place, ServiceBody, TreatmentCenter, counselor_offices,
)

RESOLVER = r.Resolver(geocode=None, timezone_at=lambda lat, lon: "America/New_York")
IMPORTERS = {"meetings": csv_meetings, "centers": csv_centers, "counselors": csv_counselors}


@pytest.mark.parametrize("value, escaped", [
    ("=HYPERLINK(\"http://evil\")", "'=HYPERLINK(\"http://evil\")"), ("+1 215", "'+1 215"), ("-75.1", "'-75.1"),
    ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"), ("\rx", "'\rx"), ("plain", "plain"), ("'quoted", "'quoted"),
])
def test_formula_cells_are_escaped_and_restored(value: str, escaped: str) -> None:
    assert exports.escape_cell(value) == escaped
    assert exports.unescape_cell(escaped) == value


def _data(make_meeting, make_body, make_center, make_counselor, make_place) -> None:
    region = make_body(kind="region", name="Eastern PA Region")
    area = make_body(kind="area", name="Philadelphia Area", parent_id=region.id)
    group = make_body(kind="group", name="Serenity Group", parent_id=area.id)
    make_meeting(slug="serenity", name="=cmd|' /C calc'!A0", times=[(0, "19:00", 90), (2, "07:00", 60)],
                 formats=["O", "BT", "WCHR"], service_body_id=area.id, group_id=group.id, attendance="hybrid",
                 conference_url="https://zoom.us/j/1", conference_notes="Passcode, \"1953\"",
                 phone="+16465588656,,1#", notes="Line one\nLine two", language="en")
    make_meeting(slug="online-only", times=[(6, "23:30", 120)], formats=["C"], attendance="online",
                 conference_url="https://meet.google.com/x", place_fields={"street": "", "precision": "city",
                                                                          "name": ""}, published=False)
    make_center(slug="gateway", services=["DT", "BU", "MD"], name2="-detox unit")
    office2 = make_place(name="", street="9 Main St", city="Lansdale", postal_code="19446", latitude=40.2415,
                         longitude=-75.2838)
    first = make_place(name="", street="1 Elm St")
    make_counselor(slug="alex", terms=[("approach", "psychodynamic"), ("approach", "cbt"), ("insurance", "medicaid"),
                                       ("language", "es")], offices=[first, office2], phone="@215-555-0100",
                   email="alex@example.org", sliding_scale=True)


def _wipe(session) -> None:
    session.execute(delete(counselor_offices))
    for model in (Meeting, TreatmentCenter, Counselor, ServiceBody, Place):
        if model is ServiceBody:
            session.execute(ServiceBody.__table__.update().values(parent_id=None))
        session.execute(delete(model))
    session.commit()
    session.expunge_all()  # bulk deletes leave stale objects behind, and SQLite reuses their ids


@pytest.mark.parametrize("kind", exports.KINDS)
def test_export_import_export_gives_the_same_csv(kind, session, now, make_meeting, make_body, make_center,
                                                 make_counselor, make_place) -> None:
    _data(make_meeting, make_body, make_center, make_counselor, make_place)
    session.commit()
    first = exports.export_csv(session, kind)
    rows = list(csv.DictReader(io.StringIO(first)))
    assert rows and list(rows[0]) == list(exports.COLUMNS[kind])
    for row in rows:
        for cell in row.values():
            assert not cell.startswith(exports.FORMULA_STARTS), cell

    same = IMPORTERS[kind].import_csv(session, first.encode(), now=now, resolver=RESOLVER)
    session.commit()
    assert same.counts()["added"] == same.counts()["rejected"] == same.counts()["updated"] == 0, same.to_json()

    _wipe(session)
    fresh = IMPORTERS[kind].import_csv(session, first.encode(), now=now, resolver=RESOLVER)
    session.commit()
    assert fresh.counts()["rejected"] == 0, fresh.to_json()
    assert exports.export_csv(session, kind) == first


def test_meeting_csv_hostile_rows(session, now) -> None:
    data = (
        "slug,name,times,formats,latitude,longitude,city,timezone,attendance,conference_url\r\n"
        "ok,Fine,mon 19:00 60,O;DISC,39.95,-75.16,Philadelphia,America/New_York,,\r\n"
        "ok,Duplicate,tue 19:00,O,39.95,-75.16,Philadelphia,,,\r\n"
        "bad-times,Bad,someday 7pm,O,39.95,-75.16,Philadelphia,,,\r\n"
        "bad-format,Bad,mon 19:00,XYZ,39.95,-75.16,Philadelphia,,,\r\n"
        "bad-attendance,Bad,mon 19:00,O,39.95,-75.16,Philadelphia,,maybe,\r\n"
        "bad-url,Bad,mon 19:00,O,39.95,-75.16,Philadelphia,,online,javascript:alert(1)\r\n"
        ",,mon 19:00,O,39.95,-75.16,Philadelphia,,,\r\n"
        "long,Long,mon 19:00 5000,O,39.95,-75.16,Philadelphia,,,\r\n"
    ).encode()
    report = csv_meetings.import_csv(session, data, now=now, resolver=RESOLVER)
    assert [row.key for row in report.added] == ["ok"]
    reasons = " | ".join(" ".join(row.reasons) for row in report.rejected)
    for expected in ("duplicate slug", "should look like", "unknown format codes", "attendance", "http(s)",
                     "name is missing", "1 to 1440"):
        assert expected in reasons


@pytest.mark.parametrize("payload, message", [
    (b"name,times,color\r\nA,mon 19:00,red\r\n", "do not know: color"),
    (b"slug,times\r\nx,mon 19:00\r\n", "lacks the columns name"),
    (b"", "empty"),
    (b"\xff\xfe\x00n", "not UTF-8"),
])
def test_meeting_csv_fatal_errors(session, now, payload: bytes, message: str) -> None:
    from finder.imports import FatalImportError

    with pytest.raises(FatalImportError, match=message):
        csv_meetings.import_csv(session, payload, now=now, resolver=RESOLVER)


def test_counselor_csv_merges_office_rows(session, now) -> None:
    data = (
        "slug,name,approaches,languages,city,latitude,longitude,street\r\n"
        "sam,Sam Lee,cbt;mi,en;es,Philadelphia,39.95,-75.16,1 Elm St\r\n"
        "sam,Sam Lee,cbt;mi,en;es,Lansdale,40.24,-75.28,9 Main St\r\n"
        "kim,Kim,astrology,,Philadelphia,39.95,-75.16,\r\n"
    ).encode()
    report = csv_counselors.import_csv(session, data, now=now, resolver=RESOLVER)
    session.commit()
    assert [row.key for row in report.added] == ["sam"]
    assert "unknown counselor terms" in report.rejected[0].reasons[0]
    sam = session.query(Counselor).filter_by(slug="sam").one()
    assert len(sam.offices) == 2 and {t.code for t in sam.terms} == {"cbt", "mi", "en", "es"}


def test_unknown_export_kind(sqlite_app) -> None:
    with pytest.raises(ValueError, match="unknown export kind"):
        exports.export_csv(None, "groups")  # type: ignore[arg-type]
