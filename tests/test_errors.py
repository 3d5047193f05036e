"""Error handlers: a database outage is a 503 with Retry-After, never a traceback; pages or JSON by path."""
from __future__ import annotations

import pytest
from flask import abort
from sqlalchemy import text

from finder import create_app, db

UNREACHABLE = "postgresql+psycopg://nobody@127.0.0.1:1/none"
LEAKS = ("Traceback", "psycopg", "sqlalchemy", "OperationalError", "127.0.0.1", "SELECT", 'File "')


def _outage_app():
    app = create_app({"TESTING": True, "SECRET_KEY": "k", "DATABASE_URL": UNREACHABLE})

    @app.get("/_test/needs-db")
    def needs_db() -> str:
        db.get_session().execute(text("SELECT 1"))
        return "ok"

    @app.get("/api/_test/needs-db")
    def api_needs_db() -> str:
        db.get_session().execute(text("SELECT 1"))
        return "ok"

    return app


def _assert_no_internals(body: str) -> None:
    for leak in LEAKS:
        assert leak not in body, leak


def test_database_outage_is_503_page_with_retry_after():
    response = _outage_app().test_client().get("/_test/needs-db")
    assert response.status_code == 503
    assert response.mimetype == "text/html"
    assert int(response.headers["Retry-After"]) > 0
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_data(as_text=True)
    assert "Temporarily unavailable" in body
    assert "tel:988" in body  # the crisis numbers stay on the page during an outage
    _assert_no_internals(body)


def test_database_outage_is_503_json_on_api_paths():
    response = _outage_app().test_client().get("/api/_test/needs-db")
    assert response.status_code == 503
    assert response.get_json()["error"]["status"] == 503
    assert int(response.headers["Retry-After"]) > 0
    _assert_no_internals(response.get_data(as_text=True))


def test_json_preferred_by_accept_header():
    response = _outage_app().test_client().get("/_test/needs-db", headers={"Accept": "application/json"})
    assert response.status_code == 503 and response.get_json()["error"]["title"]


def test_statement_timeout_is_503(database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("statement_timeout is a PostgreSQL setting")
    app = create_app({"TESTING": True, "DATABASE_URL": database_url, "SECRET_KEY": "test-secret",
                      "SERVER_NAME": None, "DB_STATEMENT_TIMEOUT_MS": 50})
    app.config["PROPAGATE_EXCEPTIONS"] = True

    @app.get("/_test/slow")
    def slow() -> str:
        db.get_session().execute(text("SELECT pg_sleep(2)"))  # a GET: the read engine, in autocommit
        return "ok"

    try:
        assert app.test_client().get("/_test/slow").status_code == 503
    finally:
        db.dispose_engines(app)


def test_engine_has_a_statement_timeout(app):
    engine = db.engine_for(app)
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only")
    with engine.connect() as connection:
        assert connection.execute(text("SHOW statement_timeout")).scalar() == "5s"
        assert connection.execute(text("SHOW jit")).scalar() == "off"


@pytest.mark.parametrize("status", [400, 403, 404, 405, 413, 429])
def test_http_errors_page_and_json(sqlite_app, status):
    @sqlite_app.get(f"/_test/{status}")
    def page() -> str:
        abort(status)

    @sqlite_app.get(f"/api/_test/{status}")
    def api() -> str:
        abort(status)

    @sqlite_app.get(f"/bmlt/_test/{status}")
    def bmlt() -> str:
        abort(status)

    client = sqlite_app.test_client()
    html = client.get(f"/_test/{status}")
    assert html.status_code == status and html.mimetype == "text/html"
    assert "<h1>" in html.get_data(as_text=True)
    for prefix in ("/api", "/bmlt"):
        data = client.get(f"{prefix}/_test/{status}")
        assert data.status_code == status
        assert data.get_json()["error"]["status"] == status


def test_405_keeps_allow_header(sqlite_app):
    client = sqlite_app.test_client()
    with client.session_transaction() as state:  # a valid CSRF token, so routing is what answers
        state["_csrf"] = "t"
    response = client.post("/healthz", headers={"X-CSRF-Token": "t"})
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]


def test_500_page_hides_internals(sqlite_app):
    sqlite_app.config["PROPAGATE_EXCEPTIONS"] = False

    @sqlite_app.get("/_test/boom")
    def boom() -> str:
        raise RuntimeError("secret internal detail at /srv/finder/app.py")

    @sqlite_app.get("/api/_test/boom")
    def api_boom() -> str:
        raise RuntimeError("secret internal detail")

    client = sqlite_app.test_client()
    page = client.get("/_test/boom")
    assert page.status_code == 500
    body = page.get_data(as_text=True)
    assert "Something went wrong" in body and "secret" not in body and "RuntimeError" not in body
    api = client.get("/api/_test/boom")
    assert api.status_code == 500 and "secret" not in api.get_data(as_text=True)
    assert api.get_json()["error"]["status"] == 500


@pytest.mark.parametrize("path", [
    "/api/v1/service-bodies/9223372036854775808", "/api/v1/service-bodies/2147483648",
    "/feeds/meeting-guide/99999999999999999999.json", "/calendars/body/9223372036854775808.ics",
])
def test_ids_past_the_database_integer_are_404(app, path):
    response = app.test_client().get(path)
    assert response.status_code == 404


def test_values_the_database_refuses_are_400(app):
    @app.get("/_test/huge")
    def huge() -> str:
        db.get_session().execute(text("SELECT CAST(:n AS INTEGER)"), {"n": 2**70})
        return "ok"

    response = app.test_client().get("/_test/huge")
    assert response.status_code == 400
    assert "Traceback" not in response.get_data(as_text=True)
