"""The first minute on a phone: every way in from the home page puts the first result on the first screen, at
390x844 and at 320 px wide; tap targets are 24 px or more; directions, paging and the organizer's way in."""
from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from babel.support import Translations

import finder
from tests.browser.conftest import HOME

pytestmark = pytest.mark.browser

PHONES = {"390x844": {"width": 390, "height": 844}, "320x568": {"width": 320, "height": 568}}
# The interface languages a phone is tried in, each with the browser's Accept-Language that asks for it.
LOCALES = {"en": "en-US", "es": "es-US"}
CATALOGS = Path(finder.__file__).resolve().parent / "translations"
# The first result counts as seen when its title line is on the screen, not only its top edge.
TITLE_LINE = 40
# Controls people tap: every one at least 24x24 CSS px (WCAG 2.2, 2.5.8). Links inside running text are exempt
# by the criterion itself, so they are not listed here.
TAP_TARGETS = (
    ".site-header a, .crisis a, .demo-notice summary, .search-form button:not([hidden]), .search-form input[type=search], "
    ".tabs a, .seg a, .filters > summary, .chips a, .card-title a, .tags a, .join, .pager a, .directions a, "
    ".quick a, .actions a, .meeting-language .button"
)


def _words(locale: str) -> Callable[[str], str]:
    """The page's words in `locale`, from the compiled catalog (so the test follows the translation)."""
    if locale == "en":
        return lambda text: text
    catalog = Translations.load(str(CATALOGS), [locale], domain="messages")
    assert isinstance(catalog, Translations), f"no compiled {locale} catalog: run pybabel compile"
    return catalog.gettext


def _query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def _first_result_bottom(page: Any) -> float:
    """Where the first result's title line ends, in CSS px from the top of the page (the page is not scrolled)."""
    page.locator(".results .card").first.wait_for()
    box = page.evaluate("""() => { const r = document.querySelector('.results .card').getBoundingClientRect();
                                   return r.top + window.scrollY; }""")
    return box + TITLE_LINE


def _assert_on_first_screen(page: Any, viewport: dict[str, int], way: str) -> None:
    bottom = _first_result_bottom(page)
    assert bottom <= viewport["height"], f"{way}: first result ends at {bottom:.0f} px, screen is {viewport['height']}"


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("phone", PHONES)
def test_every_way_in_shows_a_result_on_the_first_screen(live, new_page, phone, locale):  # type: ignore[no-untyped-def]
    """In English and in Spanish (a browser that asks for it), whose longer words must not push results down."""
    viewport = PHONES[phone]
    _ = _words(locale)
    page = new_page(viewport=viewport, geolocation=HOME, permissions=["geolocation"], locale=LOCALES[locale])
    quick_links = ["Meetings starting soon near me", "Detox near me"]
    if locale == "es":
        quick_links.append("Spanish-language meetings near me")

    page.goto(live.url + "/")
    assert page.locator("html").get_attribute("lang") == locale
    page.get_by_label(_("City, ZIP code or address")).fill("19103")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/search\?"))
    _assert_on_first_screen(page, viewport, "typed place")

    page.goto(live.url + "/")
    page.get_by_role("button", name=_("Use my location")).click()
    page.wait_for_url(re.compile(r"lat="))
    _assert_on_first_screen(page, viewport, "use my location")

    for quick in quick_links:
        page.goto(live.url + "/")
        page.get_by_role("link", name=_(quick)).click()
        page.wait_for_url(re.compile(r"/search\?"))
        assert page.locator(".results .card").count() == 0  # no place yet: the page asks for one
        page.get_by_role("button", name=_("Use my location")).click()
        page.wait_for_url(re.compile(r"lat="))
        _assert_on_first_screen(page, viewport, quick)

    page.goto(live.url + "/")
    page.get_by_role("link", name=_("Online meetings starting now")).click()
    page.wait_for_url(re.compile(r"online=1"))
    _assert_on_first_screen(page, viewport, "online now")

    page.goto(live.url + "/search?q=19103")
    page.locator("summary", has_text=_("Filters")).click()
    page.get_by_label(_("Open: anyone")).check()
    page.get_by_role("button", name=_("Show results")).click()
    page.wait_for_url(re.compile(r"open=open"))
    assert page.locator("details.filters").get_attribute("open") is None  # filters never open by themselves
    _assert_on_first_screen(page, viewport, "filter change")

    page.locator(".tabs").get_by_role("link", name=_("Treatment")).click()
    page.wait_for_url(re.compile(r"kind=centers"))
    _assert_on_first_screen(page, viewport, "tab change")

    page.goto(live.url + "/search?q=19103&per_page=2")
    page.get_by_role("link", name=_("Next")).click()
    page.wait_for_url(re.compile(r"page=2"))
    _assert_on_first_screen(page, viewport, "next page")
    assert page.locator("html").get_attribute("lang") == locale
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]


@pytest.mark.parametrize("locale", LOCALES)
def test_crisis_bar_and_demo_notice_take_one_line_each(live, new_page, locale):  # type: ignore[no-untyped-def]
    _ = _words(locale)
    for viewport in PHONES.values():
        page = new_page(viewport=viewport, locale=LOCALES[locale])
        page.goto(live.url + "/search?q=19103")
        bar = page.locator("aside.crisis")
        assert bar.bounding_box()["height"] <= 36
        for number in ("tel:911", "tel:988"):
            link = bar.locator(f"a[href='{number}']")
            assert link.is_visible()
            box = link.bounding_box()  # whole on the screen, never under the ellipsis
            assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"]
        words = re.escape(_("Call or text"))
        assert bar.get_by_role("link", name=re.compile(words + " 988")).count() == 1  # words for screen readers


def test_spanish_phone_keeps_the_header_short_and_the_search_row_inside_the_page(live, new_page):  # type: ignore[no-untyped-def]
    """Spanish words are longer: a wrapped header still takes two short lines, and "Cerca de mí" keeps the page's
    margin (it goes to the next line before it reaches the edge)."""
    for viewport in PHONES.values():
        page = new_page(viewport=viewport)
        page.goto(live.url + "/search?q=19103&locale=es")
        assert page.locator(".site-header").bounding_box()["height"] <= 70
        near = page.get_by_role("button", name="Cerca de mí")
        near.wait_for()
        box = near.bounding_box()
        assert box["x"] >= 12 and box["x"] + box["width"] <= viewport["width"] - 12
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]


def test_every_control_is_a_24_px_target(live, new_page):  # type: ignore[no-untyped-def]
    small = {}
    for viewport in PHONES.values():
        page = new_page(viewport=viewport)
        for path in ("/", "/search?q=19103&open=open&per_page=2", "/meetings/clean-and-serene",
                     "/search?soon=120&sort=next", "/search?q=19103&open=open&locale=es"):
            page.goto(live.url + path)
            for box in page.locator(TAP_TARGETS).evaluate_all(
                    "els => els.filter(e => e.offsetParent).map(e => { const r = e.getBoundingClientRect();"
                    " return [e.outerHTML.slice(0, 80), r.width, r.height]; })"):
                html, width, height = box
                if width < 24 or height < 24:
                    small[html] = (round(width), round(height))
    assert small == {}


def test_order_and_day_switches_live_in_the_url(live, new_page):  # type: ignore[no-untyped-def]
    page = new_page()
    page.goto(live.url + "/search?q=19103")
    order = page.get_by_role("list", name="Order")
    assert order.get_by_role("link", name="Nearest").get_attribute("aria-current") == "true"
    order.get_by_role("link", name="Soonest").click()
    page.wait_for_url(re.compile(r"sort=next"))
    titles = page.locator(".card-title").all_inner_texts()
    assert titles[0] == "Mile High Online" or titles[0] == "Clean and Serene"  # the two that start within 25 min
    page.get_by_role("list", name="Day").get_by_role("link", name="Today").click()
    page.wait_for_url(re.compile(r"day="))
    query = _query(page.url)
    assert query["sort"] == ["next"] and len(query["day"]) == 1
    chip = page.get_by_role("list", name=re.compile("Chosen filters")).get_by_role("link")
    assert chip.count() == 1
    chip.click()  # a chip removes its filter and keeps the rest of the search
    page.wait_for_url(lambda url: "day=" not in url)
    assert _query(page.url)["sort"] == ["next"]


def test_online_now_sorts_by_next_start_with_times_on_the_viewers_clock(live, new_page):  # type: ignore[no-untyped-def]
    page = new_page(timezone_id="America/Chicago")
    page.goto(live.url + "/")
    link = page.get_by_role("link", name="Online meetings starting now")
    query = _query(link.get_attribute("href"))
    assert query["tz"] == ["America/Chicago"]  # the browser's zone travels with the quick link
    assert query["sort"] == ["next"] and query["attendance"] == ["online,hybrid"]
    # The same search without its one-hour window, so both online meetings of the test data are in it.
    page.goto(live.url + "/search?online=1&attendance=online,hybrid&sort=next&tz=America/Chicago")
    titles = page.locator(".card-title").all_inner_texts()
    # Hybrid meetings can be joined online too; soonest first (Clean and Serene starts in about 25 minutes).
    assert titles.index("Clean and Serene") < titles.index("Mile High Online")
    online_only = page.locator(".card", has_text="Mile High Online").locator(".when").inner_text()
    # Online only: the viewer's clock first, then the meeting's, each zone named.
    assert "your time (Chicago)" in online_only and "Denver time" in online_only
    hybrid = page.locator(".card", has_text="Clean and Serene").locator(".when").inner_text()
    assert "New York time" in hybrid and "your time" in hybrid


def test_quick_link_without_javascript_shows_the_box(live, new_page):  # type: ignore[no-untyped-def]
    page = new_page(java_script_enabled=False)
    page.goto(live.url + "/")
    page.get_by_role("link", name="Meetings starting soon near me").click()
    page.wait_for_url(re.compile(r"soon=120"))
    assert not page.get_by_role("button", name="Use my location").is_visible()
    page.get_by_label("City, ZIP code or address").fill("19103")
    page.get_by_role("button", name="Find", exact=True).click()
    page.wait_for_url(re.compile(r"q=19103"))
    query = _query(page.url)
    assert query["soon"] == ["120"] and query["sort"] == ["next"]
    assert page.locator(".results .card").count() >= 1


def test_quick_link_when_location_is_denied_falls_back_to_the_box(live, new_page):  # type: ignore[no-untyped-def]
    page = new_page(permissions=[])
    page.goto(live.url + "/search?soon=120&sort=next")
    page.get_by_role("button", name="Use my location").click()
    page.locator("[data-locate-status]").filter(has_text="Type a city or ZIP code").wait_for()
    assert page.evaluate("document.activeElement.id") == "q"
    page.keyboard.type("19103")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"q=19103"))
    assert _query(page.url)["soon"] == ["120"]


def test_first_directions_link_opens_everywhere(live, new_page):  # type: ignore[no-untyped-def]
    page = new_page()
    page.goto(live.url + f"/meetings/{live.meeting}")
    links = page.get_by_role("list", name="Directions").get_by_role("link")
    assert links.first.get_attribute("href").startswith("https://maps.apple.com/")
    hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
    assert [h.split(":", 1)[0] for h in hrefs] == ["https", "https", "https", "geo"]


def test_a_page_past_the_end_shows_the_last_page(live, new_page):  # type: ignore[no-untyped-def]
    page = new_page()
    page.goto(live.url + "/search?q=19103&per_page=2&page=9")
    pager = page.get_by_role("navigation", name="Pages")
    assert "Page 2 of 2" in pager.inner_text()
    assert page.locator(".results .card").count() >= 1
    assert page.get_by_text("There are only 2 pages").is_visible()


def test_organizers_find_the_way_in_from_home(live, new_page):  # type: ignore[no-untyped-def]
    page = new_page()
    page.goto(live.url + "/")
    page.locator("main").get_by_role("link", name="Add or update a meeting").click()
    page.wait_for_url(re.compile(r"/submit/$"))
    assert page.locator("footer").get_by_role("link", name="Add or update a meeting").count() == 1
