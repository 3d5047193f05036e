"""Zero axe-core violations (WCAG 2.2 A/AA) on the main pages; usable at 320 px and with 200% text."""
from __future__ import annotations

import pytest

from tests.browser.conftest import axe_violations, horizontal_overflow

pytestmark = pytest.mark.browser


def _pages(live):  # type: ignore[no-untyped-def]
    return {
        "home": "/",
        "results": "/search?q=19103",
        "meeting": f"/meetings/{live.meeting}",
        "online meeting": f"/meetings/{live.online_meeting}",
        "center": f"/centers/{live.center}",
        "counselor": f"/counselors/{live.counselor}",
        "learn": "/learn/formats",
        "overdose": "/learn/overdose",
        "crisis": "/learn/crisis",
        "detox": "/learn/detox",
        "proxy's down page": "/static/errors/down.html",
        "nothing near": "/search?q=Anchorage%2C+AK",
        "unknown place": "/search?q=Xqzzyville",
        "no place yet": "/search?soon=120&sort=next",
        "centers": "/search?q=19103&kind=centers",
        "counselors": "/search?q=19103&kind=counselors",
        "missing page": "/meetings/no-such-meeting",
        "about": "/about",
        "results in Spanish": "/search?q=19103&locale=es",
        "Spanish meetings only": "/search?q=19103&lang=es&locale=es",
    }


def test_no_axe_violations_on_main_pages(live, new_page):  # type: ignore[no-untyped-def]
    page = new_page()
    found = {}
    for name, path in _pages(live).items():
        page.goto(live.url + path)
        violations = axe_violations(page)
        if violations:
            found[name] = violations
    assert found == {}


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_no_axe_violations_in_either_colour_scheme_on_results(live, new_page, scheme):  # type: ignore[no-untyped-def]
    page = new_page(color_scheme=scheme)
    page.goto(live.url + "/search?q=19103")
    page.click("summary")  # the filters, open: their labels and contrast count too
    assert axe_violations(page) == []


def test_usable_at_320_px_and_with_200_percent_text(live, new_page):  # type: ignore[no-untyped-def]
    page = new_page(viewport={"width": 320, "height": 640})
    for path in _pages(live).values():
        page.goto(live.url + path)
        page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")  # filters too
        assert horizontal_overflow(page) == 0, f"horizontal scroll at 320 px on {path}"
        page.evaluate("document.documentElement.style.fontSize = '200%'")
        assert horizontal_overflow(page) == 0, f"horizontal scroll with 200% text on {path}"
        # The crisis numbers stay reachable and the search box stays usable.
        assert page.locator("aside.crisis a[href='tel:988']").is_visible()
