"""Error handlers: a database outage is a 503 with Retry-After, never a traceback; pages or JSON by path."""
from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from flask import abort
from sqlalchemy import text

from tests.helpers import csrf_pair
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
    assert_crisis_numbers_in_main(body)  # the crisis numbers stay on the page during an outage
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
    assert_crisis_numbers_in_main(html.get_data(as_text=True))
    for prefix in ("/api", "/bmlt"):
        data = client.get(f"{prefix}/_test/{status}")
        assert data.status_code == status
        assert data.get_json()["error"]["status"] == status


def test_405_keeps_allow_header(sqlite_app):
    client = sqlite_app.test_client()
    raw, signed = csrf_pair(sqlite_app)
    with client.session_transaction() as state:  # a valid CSRF token, so routing is what answers
        state["csrf_token"] = raw
    response = client.post("/healthz", headers={"X-CSRF-Token": signed})
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
    assert_crisis_numbers_in_main(body)
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


# --- crisis numbers on every error page, including the proxy's page when the app is down ---------------------------

CRISIS_LINKS = {"tel:911", "tel:988", "tel:+18006624357"}
REPO = Path(__file__).resolve().parent.parent


class _Links(HTMLParser):
    """Links inside <main> (the page's own text, not the header's crisis bar), every link, scripts, resources."""

    def __init__(self) -> None:
        super().__init__()
        self.main_depth = 0
        self.main_links: set[str] = set()
        self.links: set[str] = set()
        self.scripts = 0
        self.resources: list[str] = []
        self.spanish = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {name: value or "" for name, value in attrs}
        if tag == "main" or self.main_depth:
            self.main_depth += 1
        if tag == "a" and a.get("href"):
            self.links.add(a["href"])
            if self.main_depth:
                self.main_links.add(a["href"])
        if tag == "script":
            self.scripts += 1
        if tag == "link" and a.get("href"):
            self.resources.append(a["href"])
        if a.get("src"):
            self.resources.append(a["src"])
        if a.get("lang", "").startswith("es"):
            self.spanish = True

    def handle_endtag(self, tag: str) -> None:
        if self.main_depth:
            self.main_depth -= 1


def parse_links(html: str) -> _Links:
    parser = _Links()
    parser.feed(html)
    parser.close()
    return parser


def assert_crisis_numbers_in_main(html: str) -> None:
    """The page's own text carries 911, 988 and the SAMHSA Helpline, whatever happens to the header."""
    assert CRISIS_LINKS <= parse_links(html).main_links


def test_csrf_error_page_has_the_crisis_numbers(sqlite_app):
    response = sqlite_app.test_client().post("/submit/new", data={"name": "x"})
    assert response.status_code == 400
    assert_crisis_numbers_in_main(response.get_data(as_text=True))


def test_error_page_keeps_the_crisis_numbers_when_templates_fail(sqlite_app, monkeypatch):
    from finder import errors

    def broken(*args, **kwargs):
        raise RuntimeError("template layer down")

    monkeypatch.setattr(errors, "render_template", broken)
    with sqlite_app.test_request_context("/somewhere"):
        response = errors.error_response(500)
    body = response.get_data(as_text=True)
    assert response.status_code == 500 and "template layer down" not in body
    assert CRISIS_LINKS <= parse_links(body).links


DOWN_PAGE = REPO / "static" / "errors" / "down.html"
NGINX_CONF = REPO / "deploy" / "nginx" / "finder.conf"


def test_proxy_down_page_stands_alone_with_the_crisis_numbers():
    html = DOWN_PAGE.read_text(encoding="utf-8")
    parsed = parse_links(html)
    assert CRISIS_LINKS <= parsed.main_links
    for fact in ("Emergency or overdose", "988 Suicide and Crisis Lifeline", "SAMHSA National Helpline",
                 "it is not a medical or counseling line", "Give naloxone", "2 to 3 minutes"):
        assert fact in html, fact
    assert parsed.spanish, "a Spanish line, marked lang=es"
    # The Spanish part says how to reach 988 in Spanish (988lifeline.org: press 2 when calling, text AYUDA).
    assert "al llamar, marque 2; por texto, escriba AYUDA" in html and "Línea Nacional de Ayuda de SAMHSA" in html
    # No app behind it: no script, and only files nginx serves from disk (the plain, unfingerprinted names).
    assert parsed.scripts == 0
    for url in parsed.resources:
        assert url.startswith("/static/") and (REPO / url.lstrip("/")).is_file(), url
    for url in parsed.links:
        assert url.split(":")[0] in {"tel", "sms"} or url.startswith(("/", "#")), url


def _nginx_directives(text: str) -> list[tuple[int, list[str]]]:
    """(block depth, words) for every directive of an nginx config; comments dropped, blocks opened by '{'."""
    directives: list[tuple[int, list[str]]] = []
    depth = 0
    words: list[str] = []
    for token in re.findall(r'"[^"]*"|[{};]|[^\s{};]+', re.sub(r"#[^\n]*", "", text)):
        if token in "{};" and len(token) == 1:
            if words:
                directives.append((depth, words))
            words = []
            depth += {"{": 1, "}": -1, ";": 0}[token]
        else:
            words.append(token.strip('"'))
    return directives


def test_nginx_serves_the_down_page_for_502_503_504():
    directives = _nginx_directives(NGINX_CONF.read_text(encoding="utf-8"))
    error_pages = [words for depth, words in directives if words[0] == "error_page"]
    assert error_pages, "an error_page directive"
    codes, target = error_pages[0][1:-1], error_pages[0][-1]
    assert {"502", "503", "504"} <= set(codes)
    # the location that answers the target: exact match, internal, pointing at the file in the repository
    index = next(i for i, (_, words) in enumerate(directives) if words[:3] == ["location", "=", target])
    depth = directives[index][0]
    body = []
    for inner_depth, words in directives[index + 1:]:
        if inner_depth <= depth:
            break
        body.append(words)
    assert ["internal"] in body
    alias = next(words[1] for words in body if words[0] == "alias")
    static_root = next(words[-1] for _, words in directives
                       if words[0] == "alias" and len(words) > 1 and words[1].endswith("/static/"))
    assert alias.startswith(static_root)
    assert (REPO / "static" / alias[len(static_root):]).resolve() == DOWN_PAGE.resolve()
