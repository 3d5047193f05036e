"""The results page's rendering shortcuts (finder.search.views, finder.web.filters): what they reuse between requests
never shows one search's choices in another, goes stale after an edit, or holds the searcher's place."""
from __future__ import annotations

import json
import re
from typing import Any

from flask import url_for
from sqlalchemy import select

from finder.search.cards import slug_urls
from finder.models import Format
from finder.search.views import FILTER_FIELD_PARAMS, PLACE_PARAMS
from tests.helpers import get


def _checked(page: Any, name: str) -> set[str]:
    return {i.get("value", "") for i in page.inputs if i.get("name") == name and ("checked" in i or "selected" in i)}


def test_links_built_from_one_url_for_equal_url_for(sqlite_app: Any) -> None:
    slugs = ["noon-thirty", "café au lait", "a/b", "50%?#&=x", "ünïcode-ß", "+plus+"]
    for base_url in ("http://localhost/", "http://localhost/finder/"):  # also under an application root
        with sqlite_app.test_request_context("/", base_url=base_url):
            for endpoint in ("main.meeting", "providers.center", "providers.counselor"):
                built = slug_urls(endpoint)
                assert [built(s) for s in slugs] == [url_for(endpoint, slug=s) for s in slugs]


def test_filter_fields_show_each_search_its_own_choices(pages: Any, make_meeting: Any) -> None:  # noqa: F811
    make_meeting(formats=["O", "BEG"])
    first = get(pages, "/search?q=19103&format=BEG&day=wed")
    assert _checked(first, "format") == {"BEG"} and _checked(first, "day") == {"wed"}
    second = get(pages, "/search?q=19103&format=STEP&attendance=online,hybrid&unit=km")
    assert _checked(second, "format") == {"STEP"} and _checked(second, "day") == set()
    assert _checked(second, "attendance") == {"online,hybrid"} and _checked(second, "unit") == {"km"}
    again = get(pages, "/search?q=19103&format=BEG&day=wed")
    assert _checked(again, "format") == {"BEG"} and _checked(again, "attendance") == {""}


def test_filter_fields_are_never_keyed_by_the_place() -> None:
    # The fields are cached per process by these parameters: a searcher's place or zone must not be one of them.
    assert not set(FILTER_FIELD_PARAMS) & {*PLACE_PARAMS, "tz"}


def test_result_tags_follow_an_edit_of_the_meeting(pages: Any, make_meeting: Any, session: Any) -> None:  # noqa: F811
    meeting = make_meeting(name="Edited", formats=["O", "BEG"], attendance="in_person")
    make_meeting(name="Twin", formats=["O", "BEG"], attendance="in_person")  # the same tags: one rendering
    before = _cards(pages)
    assert all('href="/learn/open-closed#open"' in card and ">Beginners<" in card for card in before.values())
    meeting.formats = list(session.scalars(select(Format).where(Format.code.in_(["C", "STEP"]))))
    meeting.attendance = "hybrid"
    after = _cards(pages)
    assert ">Beginners<" not in after["Edited"] and ">Step study<" in after["Edited"]
    assert 'href="/learn/open-closed#closed"' in after["Edited"] and "In person and online" in after["Edited"]
    assert after["Twin"] == before["Twin"]


def _cards(client: Any) -> dict[str, str]:
    """The result cards of a search near the test place, by meeting name."""
    html = client.get("/search?q=19103").get_data(as_text=True)
    return {re.search(r'card-title"><a [^>]*>([^<]*)<', card).group(1): card  # type: ignore[union-attr]
            for card in re.findall(r'<li class="card">(.*?)</li>', html, re.S)}


def test_card_says_when_the_venue_is_closed(pages: Any, make_meeting: Any) -> None:  # noqa: F811
    make_meeting(name="Moved Online", status="temporarily_closed", attendance="hybrid")
    make_meeting(name="As Usual")
    cards = _cards(pages)
    assert "Venue temporarily closed; meeting online." in cards["Moved Online"]
    assert "temporarily" not in cards["As Usual"]


def test_map_points_only_with_a_map(pages: Any, make_meeting: Any, app: Any) -> None:  # noqa: F811
    make_meeting(slug="on-the-map", name="On the Map")
    assert 'id="map"' not in pages.get("/search?q=19103").get_data(as_text=True)
    app.config["MAP_TILE_URL"] = "https://tiles.example.org/{z}/{x}/{y}.png"
    html = pages.get("/search?q=19103&radius=5").get_data(as_text=True)
    found = re.search(r'data-points="([^"]*)"', html)
    assert found is not None
    points = json.loads(found.group(1).replace("&#34;", '"').replace("&quot;", '"').replace("&amp;", "&"))
    assert [(p["label"], p["url"]) for p in points] == [("On the Map", "/meetings/on-the-map")]


def test_the_spanish_meetings_filter_shows_on_spanish_results(client, session, make_meeting):
    make_meeting(place_fields={"latitude": 39.95, "longitude": -75.16})
    session.commit()
    spanish = client.get("/search?lat=39.9487&lon=-75.1685&locale=es").get_data(as_text=True)
    assert "Solo reuniones en español" in spanish and "lang=es" in spanish
    english = client.get("/search?lat=39.9487&lon=-75.1685").get_data(as_text=True)
    assert "Only meetings in Spanish" not in english
