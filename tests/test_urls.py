"""finder.web.urls: absolute links are right under a path prefix (SCRIPT_NAME) and with PUBLIC_URL, and every
reader that writes links (calendar feeds, the Meeting Guide feed, the API, mail, hreflang) agrees with url_for."""
from __future__ import annotations

from typing import Any

import pytest
from flask import url_for

from finder.calendars.urls import feed_url, links
from finder.web import i18n
from finder.web.urls import absolute, absolute_slug_urls, absolute_url, public_base, public_origin

PREFIXED = "http://localhost/na"  # the app mounted under /na


@pytest.fixture(params=[None, "https://meetings.example.org"], ids=["request-host", "PUBLIC_URL"])
def site(sqlite_app: Any, request: pytest.FixtureRequest) -> Any:
    sqlite_app.config["PUBLIC_URL"] = request.param
    return sqlite_app


def _origin(app: Any) -> str:
    return app.config["PUBLIC_URL"] or "http://localhost"


def test_bases_under_a_prefix(site: Any) -> None:
    with site.test_request_context("/", base_url=PREFIXED):
        assert public_origin() == _origin(site)
        assert public_base() == _origin(site) + "/na"
        assert absolute_url("main.meeting", slug="tuesday-hope") == _origin(site) + "/na/meetings/tuesday-hope"
        assert absolute(url_for("main.about")) == public_base() + "/about"


def test_slug_urls_match_url_for(site: Any) -> None:
    with site.test_request_context("/", base_url=PREFIXED):
        for endpoint in ("main.meeting", "submit.change_meeting"):
            many = absolute_slug_urls(endpoint)
            for slug in ("tuesday-hope", "café-night", "a b"):
                assert many(slug) == absolute_url(endpoint, slug=slug)


def test_readers_agree_on_a_meetings_address(site: Any) -> None:
    """A calendar event, a Meeting Guide entry and the API name the meeting page with one URL."""
    with site.test_request_context("/", base_url=PREFIXED):
        page = absolute_url("main.meeting", slug="tuesday-hope", **{i18n.PARAM: None})
        assert links().meeting_url("tuesday-hope") == page
        assert absolute_slug_urls("main.meeting", **{i18n.PARAM: None})("tuesday-hope") == page
        assert f"{public_base()}/meetings/tuesday-hope" == page  # the API's records
        assert feed_url("calendars.body_ics", body_id=3).startswith(_origin(site) + "/na/")


def test_hreflang_alternates_keep_the_prefix_once(site: Any) -> None:
    with site.test_request_context("/about?x=1", base_url=PREFIXED):
        for _code, url in i18n.alternates():
            assert url.startswith(_origin(site) + "/na/about?"), url
