"""Hostile input, everywhere: every route, every form field and query parameter it takes, a corpus of values.

Routes come from the URL map; their parameters are discovered, not listed: the fields of every form on the
route's page (as an admin, so admin forms are included), the query keys of links on the page, the OpenAPI
document's parameters for /api, and a few parameters every reader of the request uses. Each parameter gets
each corpus value (the other fields keep the form's own values); any 5xx fails. One test per database walks
everything, so the suite stays a few seconds.
"""
from __future__ import annotations

import re
from collections import defaultdict
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlsplit

import pytest
from werkzeug.routing.converters import NumberConverter

from tests.helpers import csrf_pair
from finder.models import Submission
from finder.submissions import tokens

CORPUS = [
    "²", "١٢", "\u202e1\u202c\u200b\x00\x1b[31m", "99999999999999999999999", "9" * 5000, "nan", "[" * 2000,
    "x" * 60_000, "/\t/evil.example", "javascript:alert(1)", "http://169.254.169.254/latest/",
]
# Parameters a page does not show get the values that broke things before, not the whole corpus.
SHORT_CORPUS = ["²", "9" * 5000, "\x00\u202e", "//evil.example"]
# Read by many views from the request, whether or not a page shows them.
COMMON = ("q", "next", "token", "callback", "switcher", "page", "lat", "add", "days", "action")


class _Forms(HTMLParser):
    """Forms (method, action, fields with their values) and link query keys of one page."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict] = []
        self.link_keys: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form":
            self.forms.append({"method": (a.get("method") or "get").upper(), "action": a.get("action") or "",
                               "fields": {}})
        elif tag in ("input", "select", "textarea", "button") and self.forms and a.get("name"):
            fields = self.forms[-1]["fields"]
            if a.get("type") in ("checkbox", "radio") and "checked" not in a and a["name"] in fields:
                return
            fields.setdefault(a["name"], a.get("value") or "")
        elif tag == "a" and a.get("href") and "?" in (a.get("href") or ""):
            self.link_keys.update(key for key, _ in parse_qsl(urlsplit(a["href"]).query))


def _parse(html: str) -> _Forms:
    parser = _Forms()
    parser.feed(html)
    return parser


@pytest.fixture
def hostile_world(app, session, now, make_body, make_meeting, make_center, make_counselor, monkeypatch):
    from finder.admin import auth

    monkeypatch.setattr(auth, "PASSWORD_METHOD", "pbkdf2:sha256:1000")
    app.config.update(SUBMISSION_RATE_LIMIT="", PUBLIC_RATE_LIMIT="", LOGIN_RATE_LIMIT="", LOGIN_ADDRESS_RATE_LIMIT="")
    app.extensions["finder.timezone_at"] = lambda lat, lon: "America/New_York"
    body = make_body(kind="area", name="Hostile Area")
    meeting = make_meeting(service_body_id=body.id)
    center, counselor = make_center(), make_counselor()
    admin = auth.create_user(session, email="admin@example.org", password="correct horse battery", role="admin",
                             now=now)
    submission = Submission(kind="inactive", status="pending", reference="NA-HOSTILE", payload={}, created_at=now,
                            meeting_id=meeting.id, service_body_id=body.id)
    session.add(submission)
    session.commit()
    return {"ids": {"meeting_id": meeting.id, "body_id": body.id, "center_id": center.id,
                    "counselor_id": counselor.id, "submission_id": submission.id, "user_id": admin.id},
            "slugs": {"slug": meeting.slug, "center": center.slug, "counselor": counselor.slug},
            "token": tokens.make_token(app.config["SECRET_KEY"], submission.id, submission.reference),
            "admin": admin.id}


def _url(rule, world) -> str:
    url = rule.rule
    for name, converter in rule._converters.items():  # arguments in the path (not defaults)
        if isinstance(converter, NumberConverter):
            value = world["ids"].get(name, 1)
        elif name == "token":
            value = world["token"]
        elif name == "what":
            value = "cancel"
        elif "slug" in name:
            value = world["slugs"]["slug"]
        else:
            value = "x"
        url = re.sub(r"<(?:[^:<>]+(?:\([^)]*\))?:)?%s>" % name, str(value), url)
    return url


def _distinct(names: set[str]) -> set[str]:
    """One of each numbered family (day_0, day_1 ... -> day_0): the rows are read by the same code."""
    kept: dict[str, str] = {}
    for name in sorted(names):
        kept.setdefault(re.sub(r"_\d+$", "_N", name), name)
    return set(kept.values())


def _openapi_parameters(client) -> dict[str, set[str]]:
    spec = client.get("/api/v1/openapi.json").get_json()
    found: dict[str, set[str]] = defaultdict(set)
    for path, operations in spec["paths"].items():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "query":
                    found[re.sub(r"\{[^}]+\}", "", path)].add(parameter["name"])
    return found


def _check(response, what: str, failures: list[str]) -> None:
    if response.status_code >= 500:
        failures.append(f"{response.status_code} {what}")


# Hostile values are refused while parsing, before any query (and the PostgreSQL-only overflow is a DataError,
# answered 400 by finder.web.errors): SQLite keeps the walk within the suite's time.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_no_hostile_value_reaches_a_500(app, hostile_world):
    client = app.test_client()
    raw, token = csrf_pair(app)
    with client.session_transaction() as state:
        state["csrf_token"] = raw
        state["user_id"] = hostile_world["admin"]
    api_parameters = _openapi_parameters(client)
    failures: list[str] = []
    sent = 0
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.rule.startswith("/logout"):
            continue
        url = _url(rule, hostile_world)
        page = client.get(url) if "GET" in rule.methods else None
        found = _parse(page.get_data(as_text=True)) if page is not None and page.mimetype == "text/html" else _Forms()
        keys = set(COMMON) | found.link_keys | {k for prefix, names in api_parameters.items()
                                                 if url.startswith("/api/v1" + prefix.rstrip("/")) for k in names}
        forms = [f for f in found.forms if f["method"] == "GET"]
        shown = _distinct({name for form in forms for name in form["fields"]} | found.link_keys)
        if "GET" in rule.methods:
            for key in sorted(_distinct(keys | shown)):
                for value in CORPUS if key in shown else SHORT_CORPUS:
                    _check(client.get(url, query_string={key: value}), f"GET {url} {key}={value[:20]!r}", failures)
                    sent += 1
                _check(client.get(url, query_string=[(key, "1"), (key, "²")]), f"GET {url} {key} twice", failures)
        if "POST" in rule.methods:
            posted = [f for f in found.forms if f["method"] == "POST" and (f["action"] in ("", url)
                                                                           or urlsplit(f["action"]).path == url)]
            fields = {name: value for form in posted for name, value in form["fields"].items()}
            fields.update(csrf_token=token)
            for key in sorted(_distinct(set(fields) - {"csrf_token"}) | {"action", "next"}):
                for value in CORPUS:
                    response = client.post(url, data={**fields, key: value})
                    _check(response, f"POST {url} {key}={value[:20]!r}", failures)
                    sent += 1
            with client.session_transaction() as state:  # a form may log out or rotate the session
                state["csrf_token"] = raw
                state["user_id"] = hostile_world["admin"]
    assert sent > 1500, sent  # the walk really ran (routes, fields and corpus multiplied)
    assert failures == [], failures[:20]
