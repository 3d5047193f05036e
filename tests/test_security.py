"""Security headers on every kind of response, proxy trust, admin routes closed to anonymous users, limits."""
from __future__ import annotations

import gzip
import re
from urllib.parse import urljoin, urlsplit

import pytest
from flask import Response, request
from werkzeug.routing.converters import NumberConverter

from tests.helpers import csrf_pair
from finder import create_app
from finder.web import security

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


# -- every admin route refuses anonymous and out-of-scope users (a walk over the URL map) ------------------

PRIVILEGED_PREFIXES = ("/admin", "/moderat")
PUBLIC_ENDPOINTS = {"account.login", "account.logout"}  # the way in, and a way out that needs no account
OBJECT_ARGUMENTS = ("submission_id", "meeting_id", "body_id", "center_id", "counselor_id")


def _fill(rule, values: dict[str, object]) -> str:
    """The rule's path with its arguments filled from `values` (unknown ones get 1 or 'x')."""
    url = rule.rule
    for name in rule.arguments:
        # ids are numbers (the app's <int:> is finder.web.security.BoundedIntegerConverter, a NumberConverter)
        default = 1 if isinstance(rule._converters[name], NumberConverter) else "x"
        url = re.sub(r"<(?:[^:<>]+:)?%s>" % name, str(values.get(name, default)), url)
    return url


def privileged_rules(app) -> list:
    return [r for r in app.url_map.iter_rules()
            if r.rule.startswith(PRIVILEGED_PREFIXES) and r.endpoint not in PUBLIC_ENDPOINTS]


def _requests(app, values):
    for rule in privileged_rules(app):
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method, _fill(rule, values)


def _as(client, user_id: int | None) -> None:
    """Sign the test client in as user_id (None: anonymous), with a known CSRF token in the session."""
    raw, _signed = csrf_pair(client.application)
    with client.session_transaction() as state:
        state.clear()
        state["csrf_token"] = raw
        if user_id is not None:
            state["user_id"] = user_id


def _send(client, method: str, url: str):
    if method == "GET":
        return client.get(url)
    token = csrf_pair(client.application)[1]
    return client.open(url, method=method, data={"csrf_token": token}, headers={"X-CSRF-Token": token})


@pytest.fixture
def walk_world(app, session, now, make_body, make_meeting, make_center, make_counselor, monkeypatch):
    """Two areas; a meeting, a pending change and a service body in the far one; one account per role."""
    from finder.admin import auth
    from finder.submissions import workflow

    monkeypatch.setattr(auth, "PASSWORD_METHOD", "pbkdf2:sha256:1000")
    app.extensions["finder.timezone_at"] = lambda lat, lon: "America/New_York"
    home = make_body(kind="area", name="Home Area")
    far = make_body(kind="area", name="Far Area")
    meeting = make_meeting(name="Far Meeting")
    meeting.service_body_id = far.id
    session.flush()
    session.refresh(meeting)
    proposal = workflow.proposal_from_meeting(meeting)
    proposal["notes"] = "changed by the walk"
    change = workflow.submit(session, kind="change", payload=proposal, meeting=meeting, now=now,
                                contact={"contact_name": "Sam", "contact_email": "sam@example.org"})
    users = {
        role: auth.create_user(session, email=f"{role}@example.org", password="correct horse battery", role=role,
                               service_body=home if role == "body_admin" else None, now=now)
        for role in ("body_admin", "observer")
    }
    session.commit()
    values = {"submission_id": change.id, "meeting_id": meeting.id, "body_id": far.id,
              "center_id": make_center().id, "counselor_id": make_counselor().id}
    session.commit()
    return {"values": values, "change": change, "meeting": meeting, **users}


def test_every_admin_route_refuses_anonymous_users(app, walk_world):
    client = app.test_client()
    walked = 0
    for rule, method, url in _requests(app, walk_world["values"]):
        _as(client, None)
        response = _send(client, method, url)
        assert response.status_code in (302, 303, 401, 403), (method, url, response.status_code)
        if response.status_code in (302, 303):
            assert urlsplit(response.headers["Location"]).path == "/login", (method, url)
        walked += 1
    assert walked >= 10  # the walk really covered the admin blueprint


def test_out_of_scope_admin_cannot_touch_another_areas_records(app, session, walk_world):
    client = app.test_client()
    for rule, method, url in _requests(app, walk_world["values"]):
        names_an_object = any(name in rule.arguments for name in OBJECT_ARGUMENTS)
        if not names_an_object or not (method != "GET" or url.endswith("/edit")):
            continue  # reading lists and the audit log is allowed to every account by design
        _as(client, walk_world["body_admin"].id)
        response = _send(client, method, url)
        assert response.status_code in (403, 404), (method, url, response.status_code)
    session.expire_all()
    assert walk_world["change"].status == "pending"
    assert walk_world["meeting"].notes != "changed by the walk"


def test_observers_cannot_change_anything(app, session, walk_world):
    client = app.test_client()
    for rule, method, url in _requests(app, walk_world["values"]):
        if method == "GET":
            continue
        _as(client, walk_world["observer"].id)
        response = _send(client, method, url)
        assert response.status_code == 403, (method, url, response.status_code)
    session.expire_all()
    assert walk_world["change"].status == "pending"


@pytest.mark.parametrize("target", [
    "https://evil.example/", "//evil.example/x", "/\\evil.example", "\\/evil.example", "https:evil.example",
    "javascript:alert(1)", " //evil.example", "/%2F%2Fevil.example", "/\t/evil.example", "/\n/evil.example",
    "\t//evil.example", "/\r\n/evil.example", "/.//evil.example", "/..//evil.example", "///evil.example",
    "https://localhost@evil.example/", "http:evil.example", "\x00//evil.example", "/\\/evil.example",
    "https:/\t/evil.example",
])
def test_login_never_redirects_off_site(app, session, now, monkeypatch, target):
    from urllib.parse import quote

    from finder.admin import auth

    monkeypatch.setattr(auth, "PASSWORD_METHOD", "pbkdf2:sha256:1000")
    auth.create_user(session, email="admin@example.org", password="correct horse battery", role="admin", now=now)
    session.commit()
    client = app.test_client()
    _as(client, None)
    response = client.post(f"/login?next={quote(target, safe='')}",
                           data={"csrf_token": csrf_pair(app)[1], "email": "admin@example.org",
                                 "password": "correct horse battery"})
    assert response.status_code in (302, 303)
    location = response.headers["Location"]
    assert location.isascii() and location.isprintable() and "\\" not in location, location
    # Where a browser goes: WHATWG parsing drops tabs and newlines and reads a backslash as a slash.
    followed = urlsplit(urljoin("https://site.example/login", location.replace("\t", "").replace("\\", "/")))
    assert followed.netloc == "site.example" and not location.startswith("//"), location


@pytest.mark.parametrize(("target", "expected"), [
    ("/admin/meetings?q=a b", "/admin/meetings?q=a%20b"), ("/admin/", "/admin/"), ("/a/../b#x", "/b#x"),
    ("/caf\u00e9", "/caf%C3%A9"), ("", None), (None, None), ("//evil.example", None), ("/\t/evil.example", None),
    ("https://evil.example/", None), ("/.//evil.example", None),
])
def test_same_site_path(target, expected):
    assert security.same_site_path(target) == expected


# --- Host header: only trusted hosts reach a view -------------------------------------------------------------

FORGED_PATHS = ["/", "/api/v1/openapi.json", "/feeds/meeting-guide.json", "/submit/new", "/login",
                "/bmlt/client_interface/json/?switcher=GetServerInfo", "/submit/status/not-a-token", "/nowhere"]


def _host_app(sqlite_template, tmp_path, **config):
    import shutil

    path = tmp_path / "db.sqlite3"
    shutil.copy(sqlite_template, path)
    return create_app({"TESTING": True, "SECRET_KEY": "k", "DATABASE_URL": f"sqlite:///{path}", **config})


@pytest.mark.parametrize("path", FORGED_PATHS)
def test_forged_host_is_refused_everywhere(sqlite_app, path):
    client = sqlite_app.test_client()
    for host in ("evil.example", "evil.example:80", "localhost.evil.example", "localhost@evil.example", "a b"):
        response = client.get(path, headers={"Host": host})
        assert response.status_code == 400, (path, host, response.status_code)
        assert b"evil.example" not in response.data
    assert client.get(path).status_code < 500  # localhost: bin/serve and the test client


def test_public_url_and_trusted_hosts_are_the_hosts(sqlite_template, tmp_path):
    app = _host_app(sqlite_template, tmp_path, PUBLIC_URL="https://meetings.example.org",
                    TRUSTED_HOSTS=["www.example.org", ".na.example"])
    client = app.test_client()
    for host in ("meetings.example.org", "www.example.org", "area5.na.example", "localhost:5000", "127.0.0.1:8000"):
        assert client.get("/api/v1/openapi.json", headers={"Host": host}).status_code == 200, host
    for host in ("example.org", "evil.example", "meetings.example.org.evil.example", "na.example.evil"):
        assert client.get("/api/v1/openapi.json", headers={"Host": host}).status_code == 400, host


def test_forwarded_host_from_a_trusted_proxy_is_checked_too(sqlite_template, tmp_path):
    app = _host_app(sqlite_template, tmp_path, PUBLIC_URL="https://meetings.example.org", TRUSTED_PROXIES=1)
    client = app.test_client()
    assert client.get("/", headers={"X-Forwarded-Host": "evil.example"}).status_code == 400
    assert client.get("/", headers={"X-Forwarded-Host": "meetings.example.org"}).status_code == 200


def test_trusted_hosts_setting_is_read_from_the_environment():
    from finder import config

    read = config.from_env({"TRUSTED_HOSTS": " www.example.org, .NA.example ,,"}, "/tmp")
    assert read["TRUSTED_HOSTS"] == ["www.example.org", ".na.example"]
    assert security.trusted_hosts({"PUBLIC_URL": "https://Meetings.example.org:8443"}) == [
        "meetings.example.org", "localhost", "127.0.0.1"]
