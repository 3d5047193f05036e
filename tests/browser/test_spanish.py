"""A phone whose browser asks for Spanish: home, a search, a meeting, the explanation linked from the result, the
crisis page and the submission form, all in Spanish with a way back to English; the budgets hold in Spanish
(30 KB for the results page, axe 0 at phone size)."""
from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.browser.conftest import axe_violations, horizontal_overflow
from tests.helpers import BUDGET_BYTES, english_left, load_and_weigh

pytestmark = pytest.mark.browser

# A common phone (iPhone 12 to 15), asking for Spanish as a Mexican-American phone set to Spanish does.
SPANISH_PHONE = {"viewport": {"width": 390, "height": 844}, "locale": "es-US",
                 "extra_http_headers": {"Accept-Language": "es-US,es;q=0.9"}}
# Pages load slowly on a busy machine: generous waits, as the other browser tests allow.
WAIT_MS = 60_000


def _spanish_page(new_page):  # type: ignore[no-untyped-def]
    page = new_page(**SPANISH_PHONE)
    page.set_default_timeout(WAIT_MS)
    page.set_default_navigation_timeout(WAIT_MS)
    return page


def _assert_spanish_with_a_way_back(page, what: str) -> None:  # type: ignore[no-untyped-def]
    """Spanish throughout (after the page's script ran), and a link to this same page in English."""
    assert page.locator("html").get_attribute("lang") == "es", what
    left = english_left(page.content())
    assert not left, f"{what} still speaks English:\n" + "\n".join(left)
    back = page.locator('a[hreflang="en"]')
    assert back.count() >= 1, f"{what}: no link to English"
    here, there = urlsplit(page.url), urlsplit(back.first.get_attribute("href"))
    assert there.path == here.path, what  # the same page...
    kept = {k: v for k, v in parse_qs(here.query).items() if k != "locale"}
    assert {k: v for k, v in parse_qs(there.query).items() if k != "locale"} == kept, what  # ...and search
    assert parse_qs(there.query)["locale"] == ["en"], what
    assert back.first.is_visible(), what
    assert horizontal_overflow(page) == 0, what


def test_a_spanish_phone_from_home_to_the_submission_form(live, new_page):  # type: ignore[no-untyped-def]
    page = _spanish_page(new_page)
    page.goto(live.url + "/", timeout=WAIT_MS)
    _assert_spanish_with_a_way_back(page, "home")

    page.get_by_label("Ciudad, código postal o dirección").fill("19103")
    page.get_by_role("button", name="Buscar", exact=True).click()
    page.wait_for_url(re.compile(r"/search\?"), timeout=WAIT_MS, wait_until="domcontentloaded")
    assert parse_qs(urlsplit(page.url).query)["q"] == ["19103"]
    assert page.get_by_role("heading", level=1).inner_text().startswith("Reuniones de NA cerca de")
    page.locator("summary", has_text="Filtros").click()  # the filter form's words count too
    _assert_spanish_with_a_way_back(page, "results")
    results = page.url

    page.get_by_role("link", name="Clean and Serene", exact=True).click()
    page.wait_for_url(re.compile(r"/meetings/clean-and-serene"), timeout=WAIT_MS, wait_until="domcontentloaded")
    assert page.get_by_role("heading", level=1).inner_text() == "Clean and Serene"  # a name is data
    _assert_spanish_with_a_way_back(page, "meeting")

    page.goto(results, timeout=WAIT_MS)
    card = page.locator(".card", has_text="Clean and Serene")
    card.locator('a[href*="/learn/open-closed"]').first.click()
    page.wait_for_url(re.compile(r"/learn/open-closed#open$"), timeout=WAIT_MS, wait_until="domcontentloaded")
    assert page.locator("#open").count() == 1
    _assert_spanish_with_a_way_back(page, "the explanation of an open meeting")

    page.locator("aside.crisis").get_by_role("link", name=re.compile("^Más")).click()
    page.wait_for_url(re.compile(r"/learn/crisis"), timeout=WAIT_MS, wait_until="domcontentloaded")
    text = page.locator("main").inner_text()
    assert "marque 2" in text and "AYUDA" in text  # 988 in Spanish, said how
    _assert_spanish_with_a_way_back(page, "crisis page")

    page.locator("footer").get_by_role("link", name="Agregar o actualizar una reunión").click()
    page.wait_for_url(re.compile(r"/submit/"), timeout=WAIT_MS, wait_until="domcontentloaded")
    _assert_spanish_with_a_way_back(page, "submission start")
    page.locator('a[href*="/submit/new"]').first.click()
    page.wait_for_url(re.compile(r"/submit/new"), timeout=WAIT_MS, wait_until="domcontentloaded")
    _assert_spanish_with_a_way_back(page, "submission form")

    # The way back: English, same page, and it stays English on the next page.
    page.locator('a[hreflang="en"]').first.click()
    page.wait_for_url(re.compile(r"/submit/new\?locale=en"), timeout=WAIT_MS, wait_until="domcontentloaded")
    assert page.locator("html").get_attribute("lang") == "en"


def test_results_page_within_30_kb_compressed_in_spanish(live, new_page):  # type: ignore[no-untyped-def]
    page = _spanish_page(new_page)
    requests, sizes = load_and_weigh(page, live.url + "/search?q=19103&online=1")
    assert page.locator("html").get_attribute("lang") == "es"
    kinds = {re.sub(r"\.[0-9a-f]{8,}(?=\.)", "", url.rsplit("/", 1)[-1].split("?")[0]) for url in sizes}
    assert {"site.css", "site.js"} <= kinds
    total = sum(sizes.values())
    assert total <= BUDGET_BYTES, f"{total} bytes compressed: {sizes}"


def test_no_axe_violations_in_spanish_at_phone_size(live, new_page):  # type: ignore[no-untyped-def]
    page = _spanish_page(new_page)
    found = {}
    for path in ("/", "/search?q=19103", f"/meetings/{live.meeting}", "/learn/open-closed", "/learn/crisis",
                 "/submit/new", f"/centers/{live.center}", f"/counselors/{live.counselor}", "/no-such-page"):
        page.goto(live.url + path, timeout=WAIT_MS)
        assert page.locator("html").get_attribute("lang") == "es", path
        if path.startswith("/search"):
            page.locator("summary", has_text="Filtros").click()
        violations = axe_violations(page)
        if violations:
            found[path] = violations
    assert found == {}
