"""A bounded schemathesis run against the OpenAPI document: no request the schema allows may cause a 5xx."""
from __future__ import annotations

import pytest

schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, settings  # noqa: E402

OPENAPI_PATH = "/api/v1/openapi.json"
MAX_EXAMPLES = 30  # per operation; enough to try every parameter's edges while staying a few seconds each


@pytest.fixture
def api_schema(sqlite_app, make_meeting, make_center, make_counselor, session):
    """The live schema of an app with a little data, so searches find and serialize real rows."""
    make_meeting()
    make_meeting(attendance="online", conference_url="https://meet.example.org/x", formats=["C", "BEG"])
    make_center()
    make_counselor()
    session.commit()
    if sqlite_app.test_client().get(OPENAPI_PATH).status_code == 404:
        pytest.skip("the API has no OpenAPI document on this build")
    return schemathesis.openapi.from_wsgi(OPENAPI_PATH, sqlite_app)


schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.mark.slow
@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_api_never_answers_5xx(case):
    response = case.call()
    assert response.status_code < 500, (case.method, case.formatted_path, case.query, response.text[:500])
    if response.headers.get("Content-Type", "").startswith("application/json"):
        response.json()  # every JSON answer, errors included, parses
