"""Plain helpers tests share (not fixtures: those live in conftest.py): a page parser, form fields as a browser
sends them, a fake geocoder, CSRF pairs, and the skip-or-fail rule for missing components."""
from __future__ import annotations

import os
import re
from html.parser import HTMLParser
from typing import Any

import pytest
from itsdangerous import URLSafeTimedSerializer
from werkzeug.datastructures import MultiDict

from finder.geocode import GeocodeResult

# In CI every backend must really run: a missing PostgreSQL or Chromium fails instead of skipping.
REQUIRE_ALL = os.environ.get("CI", "").lower() in {"1", "true"} or os.environ.get("FINDER_REQUIRE_ALL") == "1"


def unavailable(reason: str) -> None:
    """Skip on a laptop without the component; fail in CI, where it must be there."""
    if REQUIRE_ALL:
        pytest.fail(f"required in CI: {reason}")
    pytest.skip(reason)


def csrf_pair(app: Any, raw: str = "a-known-csrf-token") -> tuple[str, str]:
    """(what Flask-WTF keeps in the session, the signed token a form sends) for a test that sets the session."""
    return raw, URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token").dumps(raw)


PHILLY = GeocodeResult(39.9526, -75.1652, "Philadelphia, PA", "city", "America/New_York", "US")
ZIP = GeocodeResult(39.9512, -75.1741, "Philadelphia, PA 19103", "postal_code", "America/New_York", "US")


class FakeGeocoder:
    """The geocoding seam, offline and instant: two known places, suggestions for anything else."""

    def geocode(self, text: str) -> GeocodeResult | None:
        return {"19103": ZIP, "philadelphia, pa": PHILLY}.get(text.strip().lower())

    def suggest(self, text: str, limit: int = 5) -> list[str]:
        return ["Philadelphia, PA"] if text.lower().startswith("phil") else []


class Page(HTMLParser):
    """The bits of a page the tests look at: links, inputs, scripts, stylesheets and text."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.links: list[dict[str, str]] = []
        self.inputs: list[dict[str, str]] = []
        self.resources: list[str] = []
        self.text_parts: list[str] = []
        self._skip = 0
        self._select = ""
        self.feed(html)
        self.text = re.sub(r"\s+", " ", " ".join(self.text_parts))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "a":
            self.links.append(a)
        elif tag == "select":
            self._select = a.get("name", "")
        elif tag == "input":
            self.inputs.append({**a, "tag": tag})
        elif tag == "option":
            self.inputs.append({**a, "tag": tag, "name": self._select})
        elif tag == "script" and "src" in a:
            self.resources.append(a["src"])
        elif tag == "link" and a.get("rel") in ("stylesheet", "icon"):
            self.resources.append(a["href"])
        if tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.text_parts.append(data)

    def hrefs(self) -> list[str]:
        return [link.get("href", "") for link in self.links]


def get(client: Any, url: str, status: int = 200) -> Page:
    response = client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    return Page(response.get_data(as_text=True))


class CommittingClient:
    """The test client, committing what the factories flushed before each request (the app has its own session)."""

    def __init__(self, app: Any, session: Any) -> None:
        self._client = app.test_client()
        self._session = session

    def get(self, *args: Any, **kwargs: Any) -> Any:
        self._session.commit()
        return self._client.get(*args, **kwargs)


class _Inputs(HTMLParser):
    """The inputs a browser would send from a page's forms."""


    def __init__(self) -> None:
        super().__init__()
        self.fields: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input" and attrs.get("name") and (attrs.get("type") not in ("checkbox", "radio")
                                                     or "checked" in attrs):
            self.fields.append((attrs["name"], attrs.get("value") or ""))


def form_fields(html: str, **overrides) -> MultiDict:
    """What the browser would send from the page's form (inputs only), with some values replaced."""
    parser = _Inputs()
    parser.feed(html)
    fields = MultiDict(parser.fields)
    for key, value in overrides.items():
        fields.setlist(key, [value])
    return fields
