"""The OpenAPI document matches the implementation: routes, path and query parameters, and answer shapes."""
from __future__ import annotations

import re
from typing import Any

import pytest
from openapi_schema_validator import OAS30Validator
from openapi_spec_validator import validate
from werkzeug.datastructures import MultiDict

from finder import search

HOSTILE = ["", "x", "-1", "0", "1e309", "nan", "99999999999999", "\x00", "%", "1,2,3", "<script>", "é" * 300,
           "mon,xyz", "25:61", "-90.5"]


@pytest.fixture
def doc(sqlite_app) -> dict[str, Any]:
    return sqlite_app.test_client().get("/api/v1/openapi.json").get_json()


def test_document_is_valid_openapi(doc) -> None:
    validate(doc)
    assert doc["servers"][0]["url"].endswith("/api/v1")


def _api_rules(app) -> dict[str, set[str]]:
    """Every /api/v1 route as an OpenAPI path -> its path parameter names (the catch-all 404 route excluded)."""
    rules = {}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.endpoint == "api.unknown":
            continue
        path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule[len("/api/v1"):])
        rules[path] = set(rule.arguments)
        assert "GET" in rule.methods
    return rules


def test_every_route_is_documented_and_nothing_else(sqlite_app, doc) -> None:
    rules = _api_rules(sqlite_app)
    assert set(rules) == set(doc["paths"])
    for path, arguments in rules.items():
        operation = doc["paths"][path]["get"]
        documented = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
        assert documented == arguments == set(re.findall(r"{([a-z_]+)}", path)), path
        assert "200" in operation["responses"]


class RecordingArgs(MultiDict):
    """Request arguments that remember every name the parser asked for."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: set[str] = set()

    def get(self, key, default=None, type=None):  # noqa: A002 (werkzeug's signature)
        self.asked.add(key)
        return super().get(key, default, type)

    def getlist(self, key, type=None):  # noqa: A002
        self.asked.add(key)
        return super().getlist(key, type)

    def __contains__(self, key) -> bool:
        self.asked.add(key)
        return super().__contains__(key)

    def __getitem__(self, key):
        self.asked.add(key)
        return super().__getitem__(key)


def test_search_parameters_match_what_the_parser_reads(doc) -> None:
    args = RecordingArgs()
    search.query_from_args(args, geocoder=None)
    documented = {p["name"] for p in doc["paths"]["/search"]["get"]["parameters"]}
    assert documented == args.asked


def _validator(doc: dict[str, Any], name: str) -> OAS30Validator:
    return OAS30Validator({"components": doc["components"], "$ref": f"#/components/schemas/{name}"})


def test_answers_match_their_schemas(client, session, doc, make_meeting, make_body, make_center, make_counselor) -> None:
    area = make_body(kind="area", name="Philadelphia Area")
    make_meeting(slug="m1", service_body_id=area.id, exceptions=[
        {"kind": "cancelled", "start_date": __import__("datetime").date(2026, 12, 24),
         "end_date": __import__("datetime").date(2026, 12, 24), "reason": "Holiday"}])
    make_meeting(slug="m2", attendance="online", conference_url="https://zoom.us/j/1",
                 place_fields={"street": "", "precision": "city"})
    make_center(slug="c1")
    make_counselor(slug="k1")
    session.commit()
    checks = [
        ("/api/v1/search?lat=39.95&lon=-75.16&kind=all&online=1", "SearchResult"),
        ("/api/v1/search?q=19103&nearest=3&sort=next", "SearchResult"),
        ("/api/v1/meetings/m1", "Meeting"), ("/api/v1/meetings/m2", "Meeting"),
        ("/api/v1/centers/c1", "Center"), ("/api/v1/counselors/k1", "Counselor"),
        (f"/api/v1/service-bodies/{area.id}", "ServiceBody"),
        ("/api/v1/meetings/nope", "Error"), ("/api/v1/search?lat=91&lon=0", "Error"),
    ]
    for url, schema in checks:
        response = client.get(url)
        assert response.status_code in (200, 400, 404), url
        _validator(doc, schema).validate(response.get_json())
    for url, schema in (("/api/v1/service-bodies", "ServiceBody"), ("/api/v1/formats", "Format")):
        for item in client.get(url).get_json():
            _validator(doc, schema).validate(item)


def test_every_documented_parameter_survives_hostile_values(sqlite_app, doc) -> None:
    client = sqlite_app.test_client()
    error = _validator(doc, "Error")
    for parameter in doc["paths"]["/search"]["get"]["parameters"]:
        for value in HOSTILE:
            response = client.get("/api/v1/search", query_string={parameter["name"]: value, "lat": "40",
                                                                    "lon": "-75"} if parameter["name"] not in
                                  ("lat", "lon") else {parameter["name"]: value})
            assert response.status_code in (200, 400), (parameter["name"], value, response.status_code)
            if response.status_code == 400:
                error.validate(response.get_json())
    for path in ("/api/v1/meetings/%00", "/api/v1/centers/" + "x" * 500, "/api/v1/service-bodies/99999999999999"):
        assert client.get(path).status_code == 404
