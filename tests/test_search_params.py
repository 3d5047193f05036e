"""finder.search.params: the one table of search parameters, and every reader derived from it (no drift)."""
from __future__ import annotations

import dataclasses
import re
from typing import Any

import pytest
from werkzeug.datastructures import MultiDict

from finder.calendars import feeds
from finder.search import SearchQuery, params
from finder.search import views as search_views

# SearchQuery fields no URL parameter fills: the parser sets the place, distance and kinds itself; the rest are
# set by callers (a personal list's ids, a feed's "no schedule").
NOT_FROM_THE_TABLE = {"point", "radius_km", "nearest", "kinds", "meeting_ids", "schedule"}


class RecordingArgs(MultiDict):
    """Request arguments that remember which names were asked for."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.asked: set[str] = set()

    def get(self, key, default=None, type=None):  # noqa: A002 (werkzeug's signature)
        self.asked.add(key)
        return super().get(key, default, type)

    def getlist(self, key, type=None):  # noqa: A002
        self.asked.add(key)
        return super().getlist(key, type)


def test_the_parser_reads_exactly_the_table() -> None:
    args = RecordingArgs()
    params.query_from_args(args, geocoder=None)
    assert args.asked == set(params.names()) - set(params.names("view"))


def test_every_query_field_is_filled_by_one_table_entry() -> None:
    fields = [p.field for p in params.PARAMETERS if p.field is not None]
    assert len(fields) == len(set(fields))
    assert set(fields) == {f.name for f in dataclasses.fields(SearchQuery)} - NOT_FROM_THE_TABLE
    assert all((p.field is None) == (p.parse is None) for p in params.PARAMETERS)
    assert {p.role for p in params.PARAMETERS} <= set(params.ROLES)


def test_the_page_keeps_every_parameter_and_drops_only_other_tabs_filters() -> None:
    assert search_views.KNOWN_PARAMS == params.names()
    assert "text" in search_views.KNOWN_PARAMS and "text" not in search_views.TAB_FILTER_PARAMS
    kept = search_views._clean_args(MultiDict([("text", " hall "), ("junk", "x"), ("day", "")]))
    assert list(kept.items(multi=True)) == [("text", "hall")]


@pytest.mark.parametrize("kind", ["meetings", "centers", "counselors"])
def test_the_filter_form_has_a_field_for_each_form_parameter_of_its_tab(sqlite_app, kind: str) -> None:
    with sqlite_app.test_request_context("/search"):
        html = str(search_views._rendered_filter_fields(kind, "mi", ()))
    shown = set(re.findall(r'name="([a-z_]+)"', html))
    wanted = {p.name for p in params.PARAMETERS if p.in_form and kind in p.kinds}
    assert shown == wanted


def test_feeds_keep_where_how_far_and_which_never_the_clock_or_the_page() -> None:
    assert feeds.FEED_PARAMETERS == set(params.names("place", "distance", "filter"))
    assert "text" in feeds.FEED_PARAMETERS
    assert not feeds.FEED_PARAMETERS & {"soon", "now", "sort", "page", "per_page", "kind", "tz"}


def test_the_openapi_document_lists_the_table(sqlite_app) -> None:
    doc = sqlite_app.test_client().get("/api/v1/openapi.json").get_json()
    documented = doc["paths"]["/search"]["get"]["parameters"]
    assert [p["name"] for p in documented] == [p.name for p in params.PARAMETERS if p.api]


def test_text_reaches_the_page_links_and_the_feed(client, session, make_meeting) -> None:
    make_meeting(name="Serenity Hall Group")
    make_meeting(name="Basement Crew")
    session.commit()
    page = client.get("/search?lat=39.95&lon=-75.17&text=hall").get_data(as_text=True)
    assert "Serenity Hall Group" in page and "Basement Crew" not in page
    assert "text=hall" in page  # pager, tabs and the calendar links keep it
    feed = client.get("/calendars/search.ics?lat=39.95&lon=-75.17&text=hall").get_data(as_text=True)
    assert "Serenity Hall Group" in feed and "Basement Crew" not in feed
