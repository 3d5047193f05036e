"""The request log: JSON lines with method, path, status, duration; no query string, coordinates or IPs."""
from __future__ import annotations

import io
import json
import logging

import pytest

from finder.web import logging as finder_logging

SEARCHES = [
    "/search?lat=39.94871&lon=-75.16852&radius=5&q=19103",
    "/api/v1/search?lat=39.94871&lon=-75.16852&q=Philadelphia%2C+PA",
    "/no-such-page?lat=39.94871&lon=-75.16852&q=Philadelphia",
]


@pytest.fixture
def log_lines():
    """Capture the request logger's output as formatted by the production JSON formatter."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(finder_logging.JSONFormatter())
    logger = logging.getLogger(finder_logging.REQUEST_LOGGER_NAME)
    logger.addHandler(handler)
    old_level = logger.level
    logger.setLevel(logging.INFO)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    logger.removeHandler(handler)
    logger.setLevel(old_level)


@pytest.mark.parametrize("url", SEARCHES)
def test_request_line_has_no_location(sqlite_app, log_lines, url):
    sqlite_app.test_client().get(url, environ_base={"REMOTE_ADDR": "203.0.113.77"})
    (entry,) = log_lines()
    assert entry["method"] == "GET"
    assert entry["path"] == url.split("?")[0]
    assert isinstance(entry["status"], int) and entry["duration_ms"] >= 0
    raw = json.dumps(entry)
    for secret in ("39.94", "75.16", "19103", "Philadelphia", "lat=", "lon=", "q=", "203.0.113.77"):
        assert secret not in raw


def test_private_tokens_are_logged_as_the_route(sqlite_app, log_lines):
    token = "eyJzIjoxLCJyIjoiQUJDIn0.secret-part"
    sqlite_app.test_client().get(f"/submit/status/{token}")
    sqlite_app.test_client().get(f"/submit/new?token={token}")
    entries = log_lines()
    assert [e["path"] for e in entries] == ["/submit/status/<token>", "/submit/new"]
    assert "secret-part" not in json.dumps(entries)


def test_personal_calendar_addresses_are_logged_as_the_route(sqlite_app, log_lines):
    client = sqlite_app.test_client()
    client.get("/calendars/my/AAAAAAAAAAAAAAAAAAAAAA.ics")
    client.get("/calendars/my/AAAAAAAAAAAAAAAAAAAAAA/edit?key=BBBBBBBBBBBBBBBBBBBBBBBB")
    client.get("/calendars/list/AQ.ics")
    paths = [e["path"] for e in log_lines()]
    assert paths == ["/calendars/my/<public_id>.ics", "/calendars/my/<public_id>/edit", "/calendars/list/<code>.ics"]
    assert not any("AAAA" in p or "BBBB" in p for p in paths)


def test_ip_only_when_configured(sqlite_app, log_lines):
    sqlite_app.config["LOG_CLIENT_IP"] = True
    sqlite_app.test_client().get("/", environ_base={"REMOTE_ADDR": "203.0.113.77"})
    assert log_lines()[0]["ip"] == "203.0.113.77"


def test_errors_are_logged_with_status(sqlite_app, log_lines):
    sqlite_app.test_client().get("/no-such-page")
    sqlite_app.test_client().post("/healthz")
    assert [line["status"] for line in log_lines()] == [404, 405]


def test_formatter_is_one_json_object_per_line_with_exceptions():
    formatter = finder_logging.JSONFormatter()
    try:
        raise ValueError("bad\nthing")
    except ValueError:
        import sys

        record = logging.LogRecord("finder", logging.ERROR, __file__, 1, "failed %s", ("x",), sys.exc_info())
    line = formatter.format(record)
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["msg"] == "failed x" and entry["level"] == "error" and "ValueError" in entry["exc"]
    assert entry["ts"].endswith("Z")


def test_configure_is_idempotent():
    stream = io.StringIO()
    finder_logging.configure("INFO", stream)
    finder_logging.configure("INFO", stream)
    logger = logging.getLogger(finder_logging.LOGGER_NAME)
    assert sum(h.get_name() == "finder-json" for h in logger.handlers) == 1
    logging.getLogger("finder.test").info("hello", extra={"status": 200})
    (entry,) = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert entry["status"] == 200
    logger.handlers = [h for h in logger.handlers if h.get_name() != "finder-json"]
    logger.propagate = True


def test_database_errors_hide_query_parameters(app):
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    from finder import db

    with db.engine_for(app).connect() as connection:
        with pytest.raises(DBAPIError) as info:
            connection.execute(text("SELECT CAST(:lat AS INTEGER) FROM no_such_table"), {"lat": "39.948712"})
    assert "39.948712" not in str(info.value)
