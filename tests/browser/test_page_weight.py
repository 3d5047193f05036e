"""Budgets: the results page moves <= 30 KB (HTML + CSS + JS, gzip-compressed) and asks no other origin."""
from __future__ import annotations

import re

import pytest

from tests.helpers import BUDGET_BYTES, load_and_weigh

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("language", ["", "&locale=es"])  # Spanish words are longer: the budget holds there too
def test_results_page_within_30_kb_compressed(live, new_page, language):  # type: ignore[no-untyped-def]
    requests, sizes = load_and_weigh(new_page(), live.url + "/search?q=19103&online=1" + language)
    # Static names carry a content hash (site.3f2a9c1b.css); compare the names without it.
    kinds = {re.sub(r"\.[0-9a-f]{8,}(?=\.)", "", url.rsplit("/", 1)[-1].split("?")[0]) for url in sizes}
    assert {"site.css", "site.js"} <= kinds  # the page, its stylesheet and its script were all counted
    total = sum(sizes.values())
    assert total <= BUDGET_BYTES, f"{total} bytes compressed: {sizes}"


@pytest.mark.parametrize("path", ["/", "/search?q=19103", "/meetings/clean-and-serene", "/centers/hope-recovery",
                                  "/counselors/alex-rivera", "/learn/withdrawal"])
def test_no_request_leaves_the_site(live, new_page, path):  # type: ignore[no-untyped-def]
    requests, _ = load_and_weigh(new_page(), live.url + path)
    elsewhere = [url for url in requests if not url.startswith(live.url + "/") and not url.startswith("data:")]
    assert requests and elsewhere == []


def test_optional_map_uses_the_local_leaflet_and_only_the_configured_tiles(live, new_page):  # type: ignore[no-untyped-def]
    # A tile server on this same origin stands in for the operator's; the point is what else gets asked for.
    live.app.config["MAP_TILE_URL"] = live.url + "/tiles/{z}/{x}/{y}.png"
    live.app.config["MAP_ATTRIBUTION"] = "Test tiles"
    try:
        page = new_page()
        requests, _ = load_and_weigh(page, live.url + f"/meetings/{live.meeting}")
        page.locator("#map.leaflet-container path.leaflet-interactive").wait_for()
        assert page.locator("#map .leaflet-control-attribution").inner_text().endswith("Test tiles")
        assert any(re.fullmatch(re.escape(live.url) + r"/static/vendor/leaflet/leaflet(\.[0-9a-f]+)?\.js", url)
                   for url in requests)
        assert any(url.startswith(live.url + "/tiles/") for url in requests)
        assert all(url.startswith(live.url + "/") or url.startswith("data:") for url in requests)
    finally:
        live.app.config["MAP_TILE_URL"] = None
        live.app.config["MAP_ATTRIBUTION"] = ""
