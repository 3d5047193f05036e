"""Imports: golden feeds in, re-imports that update instead of duplicating, per-row reasons, fatal errors."""
from __future__ import annotations

import datetime as dt
import io
import http.server
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from finder.cli.common import TerminalProgress
from finder.imports import FatalImportError, meeting_guide
from finder.imports import writer as r
from finder.imports.report import read_bytes
from finder.models import Meeting, ServiceBody

FIXTURES = Path(__file__).parent / "fixtures"


@dataclass
class Hit:
    lat: float
    lon: float
    precision: str
    timezone: str | None


def fake_geocode(text: str) -> Hit | None:
    """A tiny gazetteer: the tests must not depend on the real one's data."""
    if "Lansdale" in text:
        return Hit(40.2415, -75.2838, "postal_code", "America/New_York")
    return None


def fake_zone(lat: float, lon: float) -> str | None:
    return "America/New_York" if -90 < lon < -66 else None


RESOLVER = r.Resolver(geocode=fake_geocode, timezone_at=fake_zone)


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


# --- validators -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("value, expected", [("7:05", dt.time(7, 5)), ("19:30:00", dt.time(19, 30))])
def test_clock_accepts_feed_spellings(value: str, expected: dt.time) -> None:
    assert r.clock(value, "time") == expected


@pytest.mark.parametrize("value", ["24:00", "7pm", "", None, "12:60", ["12:00"]])
def test_clock_rejects_garbage(value: object) -> None:
    with pytest.raises(r.RowError):
        r.clock(value, "time")


def test_parse_address_splits_four_parts() -> None:
    assert r.parse_address("1625 Locust St, Philadelphia, PA 19103, USA") == {
        "street": "1625 Locust St", "city": "Philadelphia", "region": "PA", "postal_code": "19103", "country": "US"}
    assert r.parse_address("Chicago, IL, USA")["city"] == "Chicago"


def test_text_rejects_wrong_types_and_oversize() -> None:
    with pytest.raises(r.RowError, match="must be text"):
        r.text({"a": 1}, "name")
    with pytest.raises(r.RowError, match="longer than"):
        r.text("x" * 81, "city")


# --- Meeting Guide ----------------------------------------------------------------------------------------------

def test_meeting_guide_golden_feed(session, now) -> None:
    report = meeting_guide.import_feed(session, FIXTURES / "meeting_guide.json", now=now, resolver=RESOLVER)
    session.commit()
    assert report.counts() == {"added": 4, "updated": 0, "unchanged": 0, "rejected": 0}, report.rejected
    serene = session.scalars(select(Meeting).where(Meeting.slug == "clean-and-serene")).one()
    assert sorted(t.weekday for t in serene.times) == [0, 2, 4]  # Meeting Guide 1,3,5 = Mon, Wed, Fri
    assert {t.duration_minutes for t in serene.times} == {90}
    assert serene.format_codes == ["BT", "DISC", "O", "WCHR"]
    assert serene.attendance == "in_person" and serene.place.precision == "rooftop"
    assert serene.place.notes == "Basement, side door on Locust St"
    assert serene.service_body.name == "Philadelphia Area" and serene.service_body.kind == "area"
    assert serene.service_body.parent.name == "Eastern Pennsylvania Region"
    assert serene.group.name == "Clean and Serene Group" and serene.group.kind == "group"
    owls = session.scalars(select(Meeting).where(Meeting.slug == "night-owls")).one()
    assert owls.attendance == "hybrid" and owls.status == "temporarily_closed"
    assert owls.times[0].weekday == 4 and owls.times[0].duration_minutes == 60  # past midnight
    assert owls.service_body.name == "Philadelphia Area"
    hope = session.scalars(select(Meeting).where(Meeting.slug == "hope-online")).one()
    assert hope.attendance == "online" and hope.times[0].weekday == 6 and hope.format_codes == ["ES", "O", "SPK"]
    assert hope.phone == "+13126266799,,81234567890#"
    lansdale = session.scalars(select(Meeting).where(Meeting.slug == "sunday-step-study")).one()
    assert lansdale.place.latitude == pytest.approx(40.2415)  # geocoded
    assert lansdale.place.precision == "postal_code" and lansdale.place.timezone == "America/New_York"
    assert count(session, ServiceBody) == 3  # region, area, one group: the shared area only once


def test_meeting_guide_reimport_updates_and_never_duplicates(session, now) -> None:
    meeting_guide.import_feed(session, FIXTURES / "meeting_guide.json", now=now, resolver=RESOLVER)
    session.commit()
    again = meeting_guide.import_feed(session, FIXTURES / "meeting_guide.json", now=now, resolver=RESOLVER)
    session.commit()
    assert again.counts() == {"added": 0, "updated": 0, "unchanged": 4, "rejected": 0}
    data = json.loads((FIXTURES / "meeting_guide.json").read_text())
    data[0]["time"] = "19:30"
    data[0]["end_time"] = "21:00"
    later = now + dt.timedelta(days=1)
    changed = meeting_guide.import_feed(session, json.dumps(data).encode(), now=later, resolver=RESOLVER)
    session.commit()
    assert changed.counts()["updated"] == 1 and changed.counts()["unchanged"] == 3
    assert count(session, Meeting) == 4 and count(session, ServiceBody) == 3
    serene = session.scalars(select(Meeting).where(Meeting.slug == "clean-and-serene")).one()
    assert {t.start for t in serene.times} == {dt.time(19, 30)}
    assert serene.sequence == 1 and serene.updated_at == later


def test_meeting_guide_hostile_rows_are_rejected_with_reasons(session, now) -> None:
    report = meeting_guide.import_feed(session, FIXTURES / "meeting_guide_hostile.json", now=now, resolver=RESOLVER)
    session.commit()
    assert [row.key for row in report.added] == ["good-one"]
    reasons = {row.row: " ".join(row.reasons) for row in report.rejected}
    assert "slug is missing" in reasons[1]
    assert "duplicate slug" in reasons[3]
    assert "day must be" in reasons[4]
    assert "24-hour time" in reasons[5]
    assert "IANA" in reasons[6]
    assert "must be text" in reasons[7]
    assert "no address" in reasons[8]
    assert "out of range" in reasons[9]
    assert "http(s)" in reasons[10]
    assert "not a JSON object" in reasons[11] and "not a JSON object" in reasons[12]
    assert count(session, Meeting) == 1


@pytest.mark.parametrize("payload, message", [
    (b"{not json", "not valid JSON"), (b'{"a": 1}', "JSON array"), (b"\xff\xfe", "not valid JSON"),
])
def test_meeting_guide_fatal_errors(session, now, payload: bytes, message: str) -> None:
    with pytest.raises(FatalImportError, match=message):
        meeting_guide.import_feed(session, payload, now=now, resolver=RESOLVER)


def test_size_and_row_limits(session, now, tmp_path) -> None:
    path = tmp_path / "big.json"
    path.write_bytes(b"[" + b" " * 2000 + b"]")
    with pytest.raises(FatalImportError, match="byte limit"):
        meeting_guide.import_feed(session, path, now=now, resolver=RESOLVER, max_bytes=1000)
    with pytest.raises(FatalImportError, match="limit"):
        meeting_guide.import_feed(session, FIXTURES / "meeting_guide.json", now=now, resolver=RESOLVER, max_rows=2)
    with pytest.raises(FatalImportError, match="cannot read"):
        meeting_guide.import_feed(session, tmp_path / "missing.json", now=now, resolver=RESOLVER)


# --- URL sources: a local server only ---------------------------------------------------------------------------

class _Handler(http.server.BaseHTTPRequestHandler):
    routes: dict[str, tuple[int, bytes]] = {}

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        status, body = self.routes.get(self.path, (404, b"not found"))
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        if self.path != "/unannounced":
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def local_server(monkeypatch) -> Iterator[str]:
    from finder import outbound

    # The one test-only switch that lets the fetcher reach this machine's loopback server.
    monkeypatch.setattr(outbound, "default_fetcher", outbound.Fetcher(allow_loopback=True))
    feed = (FIXTURES / "meeting_guide.json").read_bytes()
    _Handler.routes = {"/feed.json": (200, feed), "/big.json": (200, b"[" + b" " * 5000 + b"]"),
                       "/unannounced": (200, b"[" + b" " * 5000 + b"]"), "/broken": (500, b"oops")}
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()


def test_meeting_guide_from_url(session, now, local_server: str) -> None:
    report = meeting_guide.import_feed(session, f"{local_server}/feed.json", now=now, resolver=RESOLVER)
    assert report.counts()["added"] == 4
    assert report.source.startswith("127.0.0.1:")


def test_url_limits_and_errors(local_server: str) -> None:
    with pytest.raises(FatalImportError, match="byte limit"):
        read_bytes(f"{local_server}/big.json", max_bytes=1000)
    with pytest.raises(FatalImportError, match="byte limit"):
        read_bytes(f"{local_server}/unannounced", max_bytes=1000)
    with pytest.raises(FatalImportError, match="HTTP 500"):
        read_bytes(f"{local_server}/broken")
    with pytest.raises(FatalImportError, match="cannot fetch"):
        read_bytes("http://127.0.0.1:9/feed.json", timeout=2)
    with pytest.raises(FatalImportError, match="not on the public internet"):
        read_bytes("http://100.64.0.1/feed.json")  # carrier-grade NAT is not private, and not public either


def test_upload_from_url_goes_through_the_app_fetcher(app, client, logged_in, local_server: str) -> None:
    """Import from URL uses finder.outbound: a name is resolved once, by the app's resolver, and checked."""
    from finder import outbound

    token = logged_in("admin")
    port = local_server.rsplit(":", 1)[1]
    app.extensions["finder.outbound"] = outbound.Fetcher(
        resolver=lambda host, _port: {"feeds.test": ["127.0.0.1"], "cgnat.test": ["100.64.9.9"]}[host],
        allow_loopback=True)
    fetched = _upload(client, token, "meeting-guide", {}, url=f"http://feeds.test:{port}/feed.json")
    assert fetched.status_code == 200 and b"4 added" in fetched.data
    refused = _upload(client, token, "meeting-guide", {}, url=f"http://cgnat.test:{port}/feed.json")
    assert refused.status_code == 400 and b"not on the public internet" in refused.data


# --- BMLT -------------------------------------------------------------------------------------------------------

def _bmlt(session, now, results=FIXTURES / "bmlt_search_results.json"):
    from finder.imports import bmlt

    return bmlt.import_server(session, results=results, formats=FIXTURES / "bmlt_formats.json",
                              service_bodies=FIXTURES / "bmlt_service_bodies.json", now=now, resolver=RESOLVER)


def test_bmlt_golden_files(session, now) -> None:
    report = _bmlt(session, now)
    session.commit()
    assert report.counts() == {"added": 4, "updated": 0, "unchanged": 0, "rejected": 1}
    assert "weekday_tinyint" in report.rejected[0].reasons[0]
    bodies = {b.name: b for b in session.scalars(select(ServiceBody))}
    assert bodies["Philadelphia Area"].parent is bodies["Eastern Pennsylvania Region"]
    assert bodies["Philadelphia Area"].helpline == "215-555-0100" and bodies["Philadelphia Area"].kind == "area"
    assert bodies["Eastern Pennsylvania Region"].kind == "region"
    monday = session.scalars(select(Meeting).where(Meeting.source_id == "1001")).one()
    assert monday.source == "bmlt:bmlt.example-region.org"
    assert [(t.weekday, t.start, t.duration_minutes) for t in monday.times] == [(0, dt.time(19), 90)]
    assert monday.format_codes == ["BT", "DISC", "O", "WCHR"]
    assert monday.service_body is bodies["Philadelphia Area"]
    assert monday.phone == ""  # contact fields of trusted servants are never imported
    lunch = session.scalars(select(Meeting).where(Meeting.source_id == "1002")).one()
    assert lunch.attendance == "hybrid" and lunch.format_codes == ["C", "STEP"] and lunch.place.country == "US"
    online = session.scalars(select(Meeting).where(Meeting.source_id == "1003")).one()
    assert online.attendance == "online" and online.language == "es" and online.times[0].weekday == 6
    assert online.place.precision == "city"
    late = session.scalars(select(Meeting).where(Meeting.source_id == "1004")).one()
    assert late.status == "temporarily_closed" and late.place.timezone == "America/New_York"
    assert late.times[0].weekday == 5
    added = {row.key: row.reasons for row in report.added}
    assert any("ZZZ" in " ".join(reasons) for reasons in added.values())


def test_bmlt_reimport_is_unchanged_then_updates(session, now) -> None:
    _bmlt(session, now)
    session.commit()
    again = _bmlt(session, now)
    session.commit()
    assert again.counts() == {"added": 0, "updated": 0, "unchanged": 4, "rejected": 1}
    data = json.loads((FIXTURES / "bmlt_search_results.json").read_text())
    data[0]["meeting_name"] = "Monday Night Miracles (new name)"
    changed = _bmlt(session, now, results=json.dumps(data).encode())
    assert changed.counts()["updated"] == 1
    renamed = session.scalars(select(Meeting).where(Meeting.source_id == "1001")).one()
    assert renamed.name.endswith("(new name)") and renamed.slug == "monday-night-miracles-1001"
    assert count(session, Meeting) == 4 and count(session, ServiceBody) == 3


@pytest.mark.parametrize("results, message", [(b'{"x": 1}', "must be a JSON array"), (b"nope", "not valid JSON")])
def test_bmlt_fatal_errors(session, now, results: bytes, message: str) -> None:
    with pytest.raises(FatalImportError, match=message):
        _bmlt(session, now, results=results)


# --- SAMHSA -----------------------------------------------------------------------------------------------------

def test_samhsa_export_page(session, now) -> None:
    from finder.imports import samhsa
    from finder.models import TreatmentCenter

    report = samhsa.import_export(session, FIXTURES / "samhsa_page.json", now=now, resolver=RESOLVER)
    session.commit()
    assert report.counts() == {"added": 2, "updated": 0, "unchanged": 0, "rejected": 2}
    reasons = {row.row: row.reasons[0] for row in report.rejected}
    assert "could not be located" in reasons[3] and "frid is missing" in reasons[4]
    gateway = session.scalars(select(TreatmentCenter).where(TreatmentCenter.source_id == "AAAAA1234")).one()
    assert gateway.service_codes == {"DT", "CO", "OP", "RES", "HI", "BU", "NU", "A2", "MD", "MC", "PI", "SF", "MI",
                                     "SS", "SP", "AH"}
    assert gateway.place.street == "1200 Spring Garden St, Suite 300" and gateway.place.timezone == "America/New_York"
    assert gateway.intake_phone == "215-555-0143" and gateway.name2 == "Detox and Residential Unit"
    clinic = session.scalars(select(TreatmentCenter).where(TreatmentCenter.source_id == "BBBBB5678")).one()
    assert clinic.service_codes == {"OP", "CT", "METH", "OTP", "MD", "NP"}
    assert clinic.website == "https://northeast-otp.example"
    again = samhsa.import_export(session, FIXTURES / "samhsa_page.json", now=now, resolver=RESOLVER)
    assert again.counts()["unchanged"] == 2 and count(session, TreatmentCenter) == 2


def test_samhsa_not_an_export(session, now) -> None:
    from finder.imports import samhsa

    with pytest.raises(FatalImportError, match="rows"):
        samhsa.import_export(session, b"[1, 2]", now=now, resolver=RESOLVER)


# --- CLI --------------------------------------------------------------------------------------------------------

def test_cli_imports_commit_once_and_report(runner, session) -> None:
    result = runner.invoke(args=["import-bmlt", "--results", str(FIXTURES / "bmlt_search_results.json"),
                                 "--formats", str(FIXTURES / "bmlt_formats.json"),
                                 "--service-bodies", str(FIXTURES / "bmlt_service_bodies.json"), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "dry run" in result.output and count(session, Meeting) == 0
    result = runner.invoke(args=["import-meeting-guide", str(FIXTURES / "meeting_guide.json")])
    assert result.exit_code == 0, result.output
    assert "meeting-guide import from meeting_guide.json:" in result.output
    assert count(session, Meeting) >= 3
    # The planner learns the new row counts at once (finder.db.refresh_statistics).
    engine = session.get_bind()
    if engine.dialect.name == "postgresql":
        analyzed = session.execute(text("SELECT last_analyze FROM pg_stat_user_tables WHERE relname = 'meetings'"))
        assert analyzed.scalar() is not None
    else:
        assert "meetings" in session.execute(text("SELECT tbl FROM sqlite_stat1")).scalars().all()


def test_cli_statistics_failure_is_a_warning_after_the_commit(runner, session, monkeypatch) -> None:
    from sqlalchemy.exc import OperationalError

    from finder import db

    def refuse(*args, **kwargs):
        raise OperationalError("ANALYZE", {}, Exception("canceling statement due to lock timeout"))

    monkeypatch.setattr(db, "refresh_statistics", refuse)
    result = runner.invoke(args=["import-meeting-guide", str(FIXTURES / "meeting_guide.json")])
    assert result.exit_code == 0, result.output
    assert "the data is saved, but the planner statistics were not refreshed" in result.output
    assert "meeting-guide import from meeting_guide.json:" in result.output and "nothing was imported" not in result.output
    assert count(session, Meeting) >= 3


def test_cli_fatal_error_saves_nothing(runner, session, tmp_path) -> None:
    bad = tmp_path / "feed.json"
    bad.write_text("[{\"name\": ")
    result = runner.invoke(args=["import-meeting-guide", str(bad)])
    assert result.exit_code == 1 and "nothing was imported" in result.output
    assert count(session, Meeting) == 0


def test_cli_csv_import_and_export(runner, session, tmp_path) -> None:
    path = tmp_path / "meetings.csv"
    path.write_text("slug,name,times,formats,latitude,longitude,city,timezone\r\n"
                    "csv-one,CSV One,mon 19:00 60,O,39.95,-75.16,Philadelphia,America/New_York\r\n")
    result = runner.invoke(args=["import-csv-meetings", str(path)])
    assert result.exit_code == 0 and "1 added" in result.output, result.output
    out = tmp_path / "out.csv"
    result = runner.invoke(args=["export-csv", "meetings", "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert "csv-one,CSV One,mon 19:00 60,O," in out.read_text()
    assert runner.invoke(args=["export-csv", "groups"]).exit_code == 2


# --- admin upload -----------------------------------------------------------------------------------------------

def _upload(client, token, kind, files, **fields):
    import io

    data = {"csrf_token": token, "kind": kind, **fields}
    for name, content in files.items():
        data[name] = (io.BytesIO(content), f"{name}.upload")
    return client.post("/admin/imports/", data=data, content_type="multipart/form-data")


CSV = ("slug,name,times,formats,latitude,longitude,city,timezone\r\n"
       "up-one,Uploaded One,mon 19:00 60,O,39.95,-75.16,Philadelphia,America/New_York\r\n"
       "up-bad,Bad,someday,O,39.95,-75.16,Philadelphia,America/New_York\r\n").encode()


def test_upload_dry_run_then_import(client, session, logged_in) -> None:
    token = logged_in("admin")
    page = client.get("/admin/imports/")
    assert page.status_code == 200 and b"Import data" in page.data
    checked = _upload(client, token, "csv-meetings", {"file": CSV}, dry_run="1")
    assert checked.status_code == 200 and b"nothing was saved" in checked.data and b"should look like" in checked.data
    assert count(session, Meeting) == 0
    done = _upload(client, token, "csv-meetings", {"file": CSV})
    assert done.status_code == 200 and b"1 added" in done.data
    session.expire_all()
    assert count(session, Meeting) == 1


def test_upload_bmlt_files_and_fatal_errors(client, session, logged_in) -> None:
    token = logged_in("admin")
    files = {"results": (FIXTURES / "bmlt_search_results.json").read_bytes(),
             "formats": (FIXTURES / "bmlt_formats.json").read_bytes(),
             "service_bodies": (FIXTURES / "bmlt_service_bodies.json").read_bytes()}
    assert b"4 added" in _upload(client, token, "bmlt", files).data
    broken = _upload(client, token, "meeting-guide", {"file": b"{oops"})
    assert broken.status_code == 400 and b"Nothing was imported" in broken.data
    missing = _upload(client, token, "samhsa", {})
    assert missing.status_code == 400 and b"choose a file" in missing.data
    inside = _upload(client, token, "meeting-guide", {}, url="http://127.0.0.1:9/feed.json")
    assert inside.status_code == 400 and b"not on the public internet" in inside.data
    assert _upload(client, token, "nonsense", {"file": b"x"}).status_code == 400


def test_upload_is_for_admins_only(client, logged_in) -> None:
    assert client.get("/admin/imports/").status_code == 302  # to the login page
    logged_in("observer")
    assert client.get("/admin/imports/").status_code == 403


def test_an_import_bumps_the_data_version_only_when_it_changes_something(session, now) -> None:
    from finder import cache

    before = cache.data_version(session)
    meeting_guide.import_feed(session, FIXTURES / "meeting_guide.json", now=now, resolver=RESOLVER)
    session.commit()
    bumped = cache.data_version(session)
    assert bumped != before
    meeting_guide.import_feed(session, FIXTURES / "meeting_guide.json", now=now, resolver=RESOLVER)
    session.commit()
    assert cache.data_version(session) == bumped


@pytest.mark.parametrize(("data", "message"), [
    (b"[" * 100_000 + b"]" * 100_000, "nested more than"),
    (b"[" * 70 + b"]" * 70, "nested more than 64 levels"),
    (b'[{"day": ' + b"1" * 5000 + b"}]", "5000 characters long"),
    (b'[{"latitude": 1' + b"0" * 400 + b'.5}]', "characters long"),
    (b'[{"latitude": NaN}]', "NaN is not a JSON number"),
])
def test_hostile_json_is_a_clear_fatal_error(data, message) -> None:
    from finder.imports.report import parse_json

    with pytest.raises(FatalImportError, match=message):
        parse_json(data, "the feed")


def test_hostile_json_upload_is_a_400_with_a_report(client, logged_in) -> None:
    token = logged_in("admin")
    for data in (b"[" * 100_000, b"[" * 5000 + b"]" * 5000, b'[{"day": ' + b"9" * 5000 + b"}]"):
        response = _upload(client, token, "meeting-guide", {"file": data})
        assert response.status_code == 400 and b"Nothing was imported" in response.data


def test_upload_under_the_import_limit_is_read_even_above_the_form_limit(app, client, logged_in) -> None:
    """The import cap applies before the CSRF check reads the form: 3 MB under a 20 MB cap is not a 413."""
    token = logged_in("admin")
    assert app.config["MAX_CONTENT_LENGTH"] < 3_000_000 < app.config["IMPORT_MAX_BYTES"]
    import io

    from werkzeug.datastructures import FileStorage
    from werkzeug.test import encode_multipart

    def post(size: int, **fields: str):
        # Encoded in memory: the test client would spool a large body to a temporary file it never closes.
        boundary, body = encode_multipart({"csrf_token": token, "kind": "meeting-guide", **fields,
                                           "file": FileStorage(io.BytesIO(b"[" + b" " * size + b"]"), "feed.json")})
        return client.post("/admin/imports/", data=body, content_type=f"multipart/form-data; boundary={boundary}")

    assert post(3_000_000, dry_run="1").status_code == 200  # was a 413 from the general 2 MB limit
    assert post(3 * app.config["IMPORT_MAX_BYTES"] + 70_000).status_code == 413


# --- progress on a terminal -------------------------------------------------------------------------------------

class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_on_a_terminal_and_nothing_otherwise(session, now) -> None:
    screen = _Terminal()
    progress = TerminalProgress("rows", file=screen)
    report = meeting_guide.import_feed(session, FIXTURES / "meeting_guide.json", now=now, resolver=RESOLVER,
                                       progress=progress)
    progress.close()
    assert "rows" in screen.getvalue() and "4/4" in screen.getvalue() and len(report.rows) == 4
    quiet = io.StringIO()
    silent = TerminalProgress("rows", file=quiet)
    meeting_guide.import_feed(session, FIXTURES / "meeting_guide.json", now=now, resolver=RESOLVER, progress=silent)
    silent.close()
    assert quiet.getvalue() == ""
