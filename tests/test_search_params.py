"""finder.search.params: the one table of search parameters, and every reader derived from it (no drift)."""
from __future__ import annotations

import dataclasses
import datetime as dt
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from finder.calendars import feeds
from finder.core import geo
from finder.geocode import shared_gazetteer
from finder.search import (
    DEFAULT_RADIUS_KM, MAX_RADIUS_KM, SearchError, SearchQuery, params, query_from_args,
)
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


@pytest.fixture(scope="module")
def geocoder():
    return shared_gazetteer()


def test_args_full(geocoder):
    query = query_from_args(MultiDict({
        "lat": "39.95", "lon": "-75.16", "radius": "10", "unit": "km", "kind": "all", "day": ["mon", "wed"],
        "from": "18:00", "to": "9pm", "soon": "60", "now": "1", "format": ["o", "BEG"], "any_format": "STEP,TRAD",
        "attendance": ["in-person", "hybrid"], "lang": "ES", "wheelchair": "1", "open": "closed", "body": "3",
        "group": ["4", "5"], "online": "1", "service": "DT", "payment": "md", "approach": "CBT",
        "telehealth": "yes", "accepting": "true", "sort": "next", "page": "2", "per_page": "50",
    }), geocoder)
    assert query.point == (39.95, -75.16) and query.radius_km == 10
    assert query.kinds == {"meetings", "centers", "counselors"}
    assert query.weekdays == {0, 2} and (query.time_from, query.time_to) == (dt.time(18), dt.time(21))
    assert query.starts_within == 60 and query.in_progress
    assert query.formats_all == {"O", "BEG"} and query.formats_any == {"STEP", "TRAD"}
    assert query.attendance == {"in_person", "hybrid"} and query.language == "es"
    assert query.wheelchair and query.open_closed == "closed" and query.include_online
    assert query.service_body_ids == {3} and query.group_ids == {4, 5}
    assert query.center_services == {"DT"} and query.payment == {"MD"} and query.approaches == {"cbt"}
    assert query.telehealth and query.accepting and query.sort == "next_start"
    assert (query.page, query.per_page) == (2, 50)


def test_args_place_text_and_defaults(geocoder):
    query = query_from_args({"q": "Saint Louis, MO"}, geocoder)
    assert geo.haversine_km(*query.point, 38.627, -90.199) < 15
    assert query.radius_km == pytest.approx(DEFAULT_RADIUS_KM) and query.kinds == {"meetings"}
    assert query_from_args({"q": "63101", "radius": "5"}, geocoder).radius_km == pytest.approx(geo.miles_to_km(5))
    assert query_from_args({"q": "63101", "nearest": "10"}, geocoder).radius_km is None
    assert query_from_args({}, geocoder, default_kinds=frozenset({"centers"})).kinds == {"centers"}
    assert query_from_args({}, geocoder).point is None


def test_unknown_place_gets_suggestions(geocoder):
    with pytest.raises(SearchError) as caught:
        query_from_args({"q": "Sant Lois, MO"}, geocoder)
    assert caught.value.field == "q"
    assert "couldn't find" in caught.value.message
    assert "Saint Louis, MO" in caught.value.suggestions


@pytest.mark.parametrize("args,field", [
    ({"lat": "91", "lon": "0"}, "lat"),
    ({"lat": "0", "lon": "-180.5"}, "lon"),
    ({"lat": "0"}, "lon"),
    ({"lat": "nan", "lon": "0"}, "lat"),
    ({"lat": "1e999", "lon": "0"}, "lat"),
    ({"lat": "abc", "lon": "0"}, "lat"),
    ({"q": "95,200"}, "q"),
    ({"q": "10001", "radius": "-5"}, "radius"),
    ({"q": "10001", "radius": "0"}, "radius"),
    ({"q": "10001", "radius": "100000"}, "radius"),
    ({"q": "10001", "radius": "inf"}, "radius"),
    ({"q": "10001", "unit": "furlongs"}, "unit"),
    ({"q": "10001", "nearest": "0"}, "nearest"),
    ({"q": "10001", "nearest": "5000"}, "nearest"),
    ({"q": "10001", "nearest": "2.5"}, "nearest"),
    ({"radius": "5"}, "q"),
    ({"kind": "bars"}, "kind"),
    ({"day": "funday"}, "day"),
    ({"from": "25:00"}, "from"),
    ({"to": "7:61"}, "to"),
    ({"from": "13pm"}, "from"),
    ({"soon": "-5"}, "soon"),
    ({"soon": "99999"}, "soon"),
    ({"now": "maybe"}, "now"),
    ({"format": "XYZ"}, "format"),
    ({"any_format": "O,nope"}, "any_format"),
    ({"attendance": "telepathy"}, "attendance"),
    ({"lang": "english!"}, "lang"),
    ({"open": "ajar"}, "open"),
    ({"body": "-1"}, "body"),
    ({"group": "x"}, "group"),
    ({"service": "SPA"}, "service"),
    ({"payment": "BITCOIN"}, "payment"),
    ({"approach": "shouting"}, "approach"),
    ({"sort": "random"}, "sort"),
    ({"page": "0"}, "page"),
    ({"per_page": "1000"}, "per_page"),
    ({"per_page": "0"}, "per_page"),
    ({"format": ["O"] * 60}, "format"),
])
def test_bad_args_say_which_field(geocoder, args, field):
    with pytest.raises(SearchError) as caught:
        query_from_args(MultiDict(args), geocoder)
    assert caught.value.field == field
    assert caught.value.message


PARAMS = ["q", "lat", "lon", "radius", "unit", "nearest", "kind", "day", "from", "to", "soon", "now", "format",
          "any_format", "attendance", "lang", "wheelchair", "open", "body", "group", "online", "service", "payment",
          "approach", "telehealth", "accepting", "sort", "page", "per_page"]


hostile = st.one_of(st.text(max_size=30), st.sampled_from(
    ["", "0", "-1", "1e309", "nan", "NaN", "inf", "-0", "٣", "１２", "24:00", "99:99", "'; DROP TABLE meetings; --",
     "mon,tue,,", "%00", "\x00", "1" * 400, "all", "O,C", "180", "-90", "mi", "km"]))


@settings(max_examples=300, deadline=None)
@given(args=st.dictionaries(st.sampled_from(PARAMS), st.one_of(hostile, st.lists(hostile, max_size=4)), max_size=6))
def test_hostile_args_give_a_query_or_a_search_error(geocoder, args):
    try:
        query = query_from_args(MultiDict(args), geocoder)
    except SearchError as exc:
        assert exc.field and exc.message
        return
    assert query.point is None or geo.valid_point(*query.point)
    assert query.radius_km is None or 0 < query.radius_km <= MAX_RADIUS_KM
