"""The model boundary: every way in (ORM writes, imports, forms) stores clean text, web links and phone numbers."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from finder.imports.writer import Resolver
from finder.models import Meeting, ServiceBody, boundary

BIDI_AND_CONTROLS = "Ar\u202eea\u2066 \x07One\u200b\x1b[31m"


@pytest.mark.parametrize(("value", "multiline", "expected"), [
    ("Plain", False, "Plain"), ("Ar\u202eea", False, "Area"), ("a\nb\tc", True, "a\nb\tc"),
    ("a\nb\tc", False, "a b c"), ("a\u2028b", True, "a\nb"), ("no\x00nul", False, "nonul"),
    ("\u0645\u06cc\u200c\u062e\u0648\u0627\u0645", False, "\u0645\u06cc\u200c\u062e\u0648\u0627\u0645"),  # ZWNJ kept
    ("a\u00a0b", False, "a b"), ("\u2067x\u2069", False, "x"),
])
def test_clean(value, multiline, expected):
    assert boundary.clean(value, multiline=multiline) == expected


@pytest.mark.parametrize(("value", "ok"), [
    ("https://na.example/area", True), ("http://na.example", True), ("javascript:alert(1)", False),
    (" JavaScript:alert(1)", False), ("data:text/html,x", False), ("//na.example", False), ("https:///x", False),
    ("https://na.example/a b", False),
])
def test_is_web_link(value, ok):
    assert boundary.is_web_link(value) is ok


@pytest.mark.parametrize(("value", "ok"), [
    ("215-555-0100", True), ("+1 (215) 555-0100 ext. 4", True), ("tel:+12155550100", True), ("Ext:12", True),
    ("javascript:alert(1)", False), ("data:text/html,x", False), ("vbscript:x", False),
])
def test_is_phone_like(value, ok):
    assert boundary.is_phone_like(value) is ok


def test_every_orm_write_is_cleaned(session):
    body = ServiceBody(kind="area", name=BIDI_AND_CONTROLS, description="line one\nline\u202e two",
                       url="javascript:alert(document.cookie)", helpline="javascript:alert(1)")
    session.add(body)
    session.flush()
    assert (body.name, body.description, body.url, body.helpline) == ("Area One[31m", "line one\nline two", "", "")
    body.url = "https://na.example/"
    body.helpline = "data:text/html,<script>"
    session.flush()
    assert (body.url, body.helpline) == ("https://na.example/", "")


def test_bmlt_import_drops_script_links_and_bidi(session, now, tmp_path, client):
    from finder.imports import bmlt

    fixtures = Path(__file__).parent / "fixtures"
    bodies = json.loads((fixtures / "bmlt_service_bodies.json").read_text())
    bodies[0].update(url="javascript:alert(1)", helpline="javascript:alert(2)", name="Phila\u202edelphia Area")
    path = tmp_path / "bodies.json"
    path.write_text(json.dumps(bodies))
    bmlt.import_server(session, results=fixtures / "bmlt_search_results.json", formats=fixtures / "bmlt_formats.json",
                       service_bodies=path, now=now,
                       resolver=Resolver(geocode=None, timezone_at=lambda lat, lon: "America/New_York"))
    session.commit()
    stored = session.query(ServiceBody).filter_by(world_id=bodies[0]["world_id"]).one()
    assert (stored.name, stored.url, stored.helpline) == ("Philadelphia Area", "", "")
    served = client.get("/bmlt/client_interface/json/?switcher=GetServiceBodies").get_json()
    assert not any("javascript:" in json.dumps(item) or "\u202e" in json.dumps(item) for item in served)
    api = client.get("/api/v1/service-bodies").get_data(as_text=True)
    assert "javascript:" not in api
    assert all("javascript:" not in m.conference_url for m in session.query(Meeting))
