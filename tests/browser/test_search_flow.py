"""A newcomer on a phone: search by place (with and without JavaScript), by location, filter, open a meeting,
follow the explanation links (quick links and a refused location: tests/browser/test_phone.py)."""
from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.browser.conftest import HOME

pytestmark = pytest.mark.browser


def _query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def test_search_filter_and_open_a_meeting_without_javascript(live, new_page):  # type: ignore[no-untyped-def]
    page = new_page(java_script_enabled=False)
    page.goto(live.url + "/")
    assert not page.get_by_role("button", name="Use my location").is_visible()  # needs script: stays hidden
    page.get_by_label("City, ZIP code or address").fill("19103")
    page.get_by_role("button", name="Find", exact=True).click()
    page.wait_for_url(re.compile(r"/search\?"))
    assert _query(page.url)["q"] == ["19103"]
    # The heading names the place the search used, not only what was typed.
    assert page.get_by_role("heading", level=1).inner_text() == "NA meetings near Philadelphia, PA 19103"
    assert page.get_by_role("link", name="Clean and Serene", exact=True).is_visible()
    assert page.locator(".card .soon").first.inner_text().startswith("Starts in")

    page.locator("summary", has_text="Filters").click()  # <details> opens without script
    page.get_by_label("Closed: addicts only").check()
    page.get_by_role("button", name="Show results").click()
    page.wait_for_url(re.compile(r"open=closed"))
    assert _query(page.url)["q"] == ["19103"]
    titles = page.locator(".card-title").all_inner_texts()
    assert "Just for Today Group" in titles and "Clean and Serene" not in titles
    assert page.get_by_label("Closed: addicts only").is_checked()  # the form shows the search it made

    page.get_by_role("link", name="Just for Today Group", exact=True).click()
    assert page.get_by_role("heading", level=1).inner_text() == "Just for Today Group"
    assert page.get_by_text("Mon, Thu 12:00\u20131:00 PM").is_visible()  # days that share a time go together
    assert page.get_by_role("link", name="Apple Maps").get_attribute("href").startswith("https://maps.apple.com/")


def test_use_my_location_when_granted(live, new_page):  # type: ignore[no-untyped-def]
    page = new_page(geolocation=HOME, permissions=["geolocation"])
    page.goto(live.url + "/")
    page.get_by_role("button", name="Use my location").click()
    page.wait_for_url(re.compile(r"/search\?.*lat="))
    query = _query(page.url)
    # Rounded to about 100 m before it leaves the phone, and sent only in this one request.
    assert query["lat"] == ["39.953"] and query["lon"] == ["-75.165"] and "q" not in query
    assert query["tz"] == ["America/New_York"]
    assert page.get_by_role("heading", level=1).inner_text() == "NA meetings near you"
    assert page.get_by_role("link", name="Clean and Serene", exact=True).is_visible()
    # Online meeting in Denver, shown on the viewer's clock as well as its own.
    page.goto(live.url + "/search?lat=39.953&lon=-75.165&online=1&tz=America/New_York")
    when = page.locator(".card", has_text="Mile High Online").locator(".when").inner_text()
    assert "your time (New York)" in when and "Denver time" in when


def test_filters_with_javascript_make_a_shareable_url(live, new_page):  # type: ignore[no-untyped-def]
    page = new_page()
    page.goto(live.url + "/search?q=19103")
    page.locator("summary", has_text="Filters").click()
    page.get_by_label("Language", exact=True).select_option("es")
    page.get_by_role("button", name="Show results").click()
    page.wait_for_url(re.compile(r"lang=es"))
    shared = page.url
    titles = page.locator(".card-title").all_inner_texts()
    assert titles == ["Spring Garden Step Study"]
    other = new_page(java_script_enabled=False)
    other.goto(shared)
    assert other.locator(".card-title").all_inner_texts() == titles


def test_explanation_links_from_results_and_details(live, new_page):  # type: ignore[no-untyped-def]
    page = new_page()
    page.goto(live.url + "/search?q=19103")
    card = page.locator(".card", has_text="Clean and Serene")
    card.get_by_role("link", name=re.compile("^Open")).click()
    page.wait_for_url(re.compile(r"/learn/open-closed#open$"))
    assert page.locator("#open").count() == 1
    page.go_back()
    page.locator(".card", has_text="Clean and Serene").get_by_role("link", name="Beginners").click()
    page.wait_for_url(re.compile(r"/learn/formats#fmt-beg$"))
    assert page.locator("#fmt-beg").is_visible()
    page.goto(live.url + f"/centers/{live.center}")
    page.get_by_role("link", name="Buprenorphine").first.click()
    page.wait_for_url(re.compile(r"/learn/detox#med-buprenorphine$"))
    assert page.locator("#med-buprenorphine").count() == 1
    page.goto(live.url + f"/counselors/{live.counselor}")
    page.get_by_role("link", name="Psychodynamic (dynamic) psychotherapy").click()
    page.wait_for_url(re.compile(r"/learn/counseling#approach-psychodynamic$"))
    assert page.locator("#approach-psychodynamic").count() == 1


def test_calendar_download_from_a_meeting_page(live, new_page):  # type: ignore[no-untyped-def]
    import icalendar

    page = new_page(accept_downloads=True)
    page.goto(live.url + f"/meetings/{live.meeting}")
    with page.expect_download() as info:
        page.get_by_role("link", name="Download once (.ics)").click()
    download = info.value
    assert download.suggested_filename == f"{live.meeting}.ics"
    with open(download.path(), "rb") as handle:
        calendar = icalendar.Calendar.from_ical(handle.read())
    events = list(calendar.walk("VEVENT"))
    assert events and all(str(event["SUMMARY"]).startswith("Clean and Serene") for event in events)
    series = [event for event in events if "RECURRENCE-ID" not in event]  # cancelled weeks are overrides
    assert series and {str(event["RRULE"]["FREQ"][0]) for event in series} == {"WEEKLY"}
    # The results page offers the same for the whole search.
    page.goto(live.url + "/search?q=19103")
    assert page.get_by_role("link", name="Download once (.ics)").get_attribute("href").startswith(
        live.url + "/calendars/search.ics?")
