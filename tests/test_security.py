"""Security headers on every kind of response, proxy trust, admin routes closed to anonymous users, limits."""
from __future__ import annotations

import gzip
import re

import pytest
from flask import Response, request

from finder import create_app, security

CALENDAR = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n" + "X-FILLER:" + "x" * 4000 + "\r\nEND:VCALENDAR\r\n"


def _origins(policy: str) -> set[str]:
    """Every source expression in a CSP that names a host (anything with a scheme or a dot)."""
    sources = set()
    for directive in policy.split(";"):
        for token in directive.split()[1:]:
            if "://" in token or ("." in token and not token.startswith("'")):
                sources.add(token)
    return sources


def _add_test_routes(app) -> None:
    """A calendar and a form endpoint of the kinds other blueprints serve, for the hooks to act on."""
    @app.get("/_test/calendar.ics")
    def _calendar() -> Response:
        return Response(CALENDAR, mimetype="text/calendar")

    @app.post("/_test/form")
    def _form() -> str:
        return str(len(request.form))

    @app.post("/api/_test/form")
    def _api_form() -> str:
        return str(len(request.form))


@pytest.fixture
def secured(sqlite_app):
    _add_test_routes(sqlite_app)
    return sqlite_app


def test_policy_has_no_other_origin():
    policy = security.content_security_policy(None)
    assert _origins(policy) == set()
    assert "frame-ancestors 'none'" in policy
    assert "default-src 'self'" in policy
    assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy
    assert re.search(r"img-src 'self' data:(;|$)", policy)


def test_map_tile_origin_is_the_only_outside_origin_and_only_for_images():
    policy = security.content_security_policy("https://tiles.example.org/osm/{z}/{x}/{y}.png")
    assert _origins(policy) == {"https://tiles.example.org"}
    img = next(d for d in policy.split("; ") if d.startswith("img-src"))
    assert img == "img-src 'self' data: https://tiles.example.org"


@pytest.mark.parametrize("hostile", [
    "javascript:alert(1)", "https://evil.example; script-src *", "https://a.example'/{z}", "//nohost", "ftp://x.org/",
])
def test_hostile_tile_urls_add_nothing(hostile):
    assert security.tile_origin(hostile) is None
    assert security.content_security_policy(hostile) == security.content_security_policy(None)


def test_tile_origin_drops_credentials_and_path():
    assert security.tile_origin("https://user:pw@t.example:8443/{z}/{x}/{y}.png") == "https://t.example:8443"


@pytest.mark.parametrize("path", ["/", "/healthz", "/no-such-page", "/api/v1/no-such-thing", "/_test/calendar.ics"])
def test_headers_on_pages_api_errors_and_calendars(secured, path):
    response = secured.test_client().get(path)
    headers = response.headers
    assert headers["Content-Security-Policy"] == security.content_security_policy(None)
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert "geolocation=(self)" in headers["Permissions-Policy"]
    assert headers["X-Frame-Options"] == "DENY"
    assert "Strict-Transport-Security" not in headers  # plain http


def test_hsts_on_https_only(secured):
    client = secured.test_client()
    assert "max-age=" in client.get("/", base_url="https://localhost").headers["Strict-Transport-Security"]
    assert "Strict-Transport-Security" not in client.get("/", base_url="http://localhost").headers


def test_forwarded_proto_ignored_without_trusted_proxies(secured):
    response = secured.test_client().get("/", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" not in response.headers


def test_forwarded_proto_honoured_with_one_trusted_proxy(sqlite_template, tmp_path):
    import shutil

    path = tmp_path / "db.sqlite3"
    shutil.copy(sqlite_template, path)
    app = create_app({"TESTING": True, "SECRET_KEY": "k", "DATABASE_URL": f"sqlite:///{path}", "TRUSTED_PROXIES": 1})
    client = app.test_client()
    assert "Strict-Transport-Security" in client.get("/", headers={"X-Forwarded-Proto": "https"}).headers
    # A client-supplied value to the left of the proxy's own is not believed.
    spoofed = client.get("/", headers={"X-Forwarded-Proto": "https, http"})
    assert "Strict-Transport-Security" not in spoofed.headers


def test_calendars_are_never_compressed(secured):
    response = secured.test_client().get("/_test/calendar.ics", headers={"Accept-Encoding": "gzip, deflate, br"})
    assert "Content-Encoding" not in response.headers
    assert response.data.startswith(b"BEGIN:VCALENDAR")


def test_real_meeting_calendar_has_headers_and_no_gzip(app, session, make_meeting):
    meeting = make_meeting(notes="x" * 2000)
    session.commit()
    response = app.test_client().get(f"/meetings/{meeting.slug}.ics", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    assert "Content-Encoding" not in response.headers
    assert response.data.startswith(b"BEGIN:VCALENDAR")
    assert response.headers["Content-Security-Policy"] == security.content_security_policy(None)
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_html_is_compressed_for_clients_that_accept_it(secured):
    response = secured.test_client().get("/no-such-page", headers={"Accept-Encoding": "gzip"})
    assert response.headers["Content-Encoding"] == "gzip"
    assert b"Page not found" in gzip.decompress(response.data)


def test_upload_over_the_limit_is_413(secured):
    limit = secured.config["MAX_CONTENT_LENGTH"]
    client = secured.test_client()
    body = {"data": "x" * (limit + 1)}
    page = client.post("/_test/form", data=body)
    assert page.status_code == 413 and page.mimetype == "text/html"
    api = client.post("/api/_test/form", data=body)
    assert api.status_code == 413 and api.get_json()["error"]["status"] == 413


def test_session_cookie_is_hardened(sqlite_app):
    assert sqlite_app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert sqlite_app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


# -- every admin route refuses anonymous visitors ----------------------------------------------------------

PRIVILEGED_PREFIXES = ("/admin", "/moderat")


def _sample_url(rule) -> str:
    """Fill a rule's arguments with plausible values (ids 1, slugs and tokens 'x')."""
    values = {}
    for name in rule.arguments:
        converter = rule._converters[name].__class__.__name__
        values[name] = 1 if converter in ("IntegerConverter", "NumberConverter") else "x"
    url = rule.rule
    for name, value in values.items():
        url = re.sub(r"<(?:[^:<>]+:)?%s>" % name, str(value), url)
    return url


# The sign-in page is the one admin address that must open for everybody.
PUBLIC_ADMIN_ENDPOINTS = {"admin.login"}


def privileged_rules(app) -> list:
    return [r for r in app.url_map.iter_rules()
            if r.rule.startswith(PRIVILEGED_PREFIXES) and r.endpoint not in PUBLIC_ADMIN_ENDPOINTS]


def test_every_admin_route_refuses_anonymous_users(app):
    rules = privileged_rules(app)
    if not rules:
        pytest.skip("no admin routes registered yet")
    client = app.test_client()
    # A valid CSRF token, so what refuses the request is the authorization check, not the CSRF check.
    from finder import csrf

    for rule in rules:
        url = _sample_url(rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            with client.session_transaction() as sess:  # set anew: logout clears the session
                sess[csrf._SESSION_KEY] = "walk-token"
            response = client.open(url, method=method, headers={csrf.HEADER_NAME: "walk-token"})
            assert response.status_code in (302, 303, 401, 403), (method, url, response.status_code)
            if response.status_code in (302, 303):
                assert "login" in response.headers["Location"], (method, url, response.headers["Location"])
