"""Server-rendered pages: home, results, meeting/center/counselor details, errors; with JavaScript off by nature."""
from __future__ import annotations

import datetime as dt
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from finder.web import site
from finder.models import set_setting
from tests.helpers import get, Page

def _same_origin(url: str) -> bool:
    return url.startswith("/") and not url.startswith("//")


def assert_every_page_basics(page: Page) -> None:
    """Crisis help and 'information, not medical advice' on every page; nothing loaded from another origin."""
    hrefs = page.hrefs()
    assert "tel:911" in hrefs and "tel:988" in hrefs and "tel:+18006624357" in hrefs
    assert "information, not medical advice" in page.text.lower()
    assert page.resources and all(_same_origin(url) for url in page.resources), page.resources


# --- home ---------------------------------------------------------------------------------------------------


def test_home_has_one_search_box_location_quick_links_and_the_feed(sqlite_app: Any) -> None:
    response = sqlite_app.test_client().get("/")
    html = response.get_data(as_text=True)
    page = Page(html)
    assert_every_page_basics(page)
    assert [i["name"] for i in page.inputs if i.get("type") == "search"] == ["q"]
    assert 'data-locate' in html and "Use my location" in page.text
    assert '<link rel="alternate" type="application/json" title="Meetings Feed" href="/feeds/meeting-guide.json">' in html
    quick = {link.get("href"): " ".join(link) for link in page.links}
    assert any(h.startswith("/search?soon=") for h in quick)
    # Online includes hybrid meetings (they can be joined online too), soonest first.
    assert "/search?online=1&attendance=online,hybrid&soon=60&sort=next" in [h.replace("&amp;", "&") for h in quick]
    assert any("kind=centers" in h and "service=DT" in h for h in quick)
    assert "/learn/what-is-na" in page.hrefs() and "/learn/first-meeting" in page.hrefs()


def test_demo_notice_follows_the_demo_setting(app: Any, session: Any) -> None:
    assert "Demo data, not real meetings" not in app.test_client().get("/").get_data(as_text=True)
    set_setting(session, "demo_loaded", "1")
    session.commit()
    site.forget_demo_state()
    assert "Demo data, not real meetings" in app.test_client().get("/").get_data(as_text=True)
    site.forget_demo_state()


def test_about_credits_the_data(sqlite_app: Any) -> None:
    page = get(sqlite_app.test_client(), "/about")
    assert "GeoNames" in page.text and "CC BY 4.0" in page.text and "zipcodes" in page.text
    assert "Leaflet" not in page.text  # no map configured, nothing to credit


# --- results ------------------------------------------------------------------------------------------------


def test_results_show_distance_time_starts_in_badges_chips_and_details(pages: Any, make_meeting: Any) -> None:
    make_meeting(slug="noon-thirty", name="Noon Thirty", times=[(2, "12:25", 60)], formats=["O", "BEG", "DISC"],
                 attendance="hybrid")
    make_meeting(slug="closed-step", name="Closed Step", times=[(4, "19:00", 60)], formats=["C", "STEP"])
    page = get(pages, "/search?q=19103")
    assert_every_page_basics(page)
    text = page.text
    assert "Noon Thirty" in text and "Today 12:25 PM New York time" in text and "Starts in 25 min" in text
    assert "Friday 7:00 PM" in text
    assert re.search(r"0\.\d mi", text)
    assert "In person and online" in text and "In person" in text
    hrefs = page.hrefs()
    assert "/meetings/noon-thirty" in hrefs and "/meetings/closed-step" in hrefs
    assert "/learn/open-closed#open" in hrefs and "/learn/open-closed#closed" in hrefs
    assert "/learn/formats#fmt-beg" in hrefs and "/learn/formats#fmt-step" in hrefs
    assert "Beginners" in text and "Step study" in text  # chips in words, not codes
    # What was typed stays in the box.
    assert any(i.get("name") == "q" and i.get("value") == "19103" for i in page.inputs)


def test_every_result_links_to_an_explanation(pages: Any, make_meeting: Any, make_center: Any,
                                              make_counselor: Any) -> None:
    make_meeting(formats=[])  # a meeting with no formats at all still gets one
    make_center(services=["DT", "BU"])
    make_counselor(terms=[("approach", "cbt")])
    for kind in ("meetings", "centers", "counselors"):
        response = pages.get(f"/search?q=19103&kind={kind}")
        cards = re.findall(r'<li class="card">(.*?)</li>', response.get_data(as_text=True), re.S)
        assert cards, kind
        for card in cards:
            assert 'href="/learn/' in card, (kind, card)


def test_in_progress_and_viewer_time(pages: Any, make_meeting: Any, make_place: Any) -> None:
    make_meeting(name="Right Now", times=[(2, "11:30", 60)])
    denver = make_place(name="", street="", city="Denver", region="CO", latitude=39.74, longitude=-104.99,
                        timezone="America/Denver", precision="city")
    make_meeting(name="Mile High", times=[(2, "19:00", 60)], attendance="online", place=denver,
                 conference_url="https://meet.example.org/1")
    page = get(pages, "/search?q=19103&online=1&tz=America/New_York")
    assert "In progress" in page.text
    # Online only: on the viewer's clock first, the meeting's after, both zones named.
    assert "Mile High" in page.text and "9:00 PM your time (New York)" in page.text and "7:00 PM Denver time" in page.text
    assert "https://meet.example.org/1" not in page.hrefs()  # joins are offered only close to the start
    assert "Online" in page.text
    # Without the browser's zone (no script), the zone of the searched place stands in for it.
    assert "9:00 PM your time (New York)" in get(pages, "/search?q=19103&online=1").text


def test_join_now_on_online_meetings_in_progress_or_about_to_start(pages: Any, make_meeting: Any) -> None:
    make_meeting(name="Now Online", times=[(2, "11:45", 60)], attendance="online",
                 conference_url="https://meet.example.org/now")
    make_meeting(name="Soon Hybrid", times=[(2, "12:20", 60)], attendance="hybrid",
                 conference_url="https://meet.example.org/soon")
    make_meeting(name="Unsafe Link", times=[(2, "12:10", 60)], attendance="online",
                 conference_url="javascript:alert(1)")
    page = get(pages, "/search?q=19103&online=1")
    assert "https://meet.example.org/now" in page.hrefs() and "https://meet.example.org/soon" in page.hrefs()
    assert not any(h.startswith("javascript:") for h in page.hrefs())
    assert re.search(r"Join online now ?: Now Online", page.text)


def test_filters_live_in_the_url_and_filter(pages: Any, make_meeting: Any) -> None:
    make_meeting(name="Open Wednesday", times=[(2, "19:00", 60)], formats=["O"])
    make_meeting(name="Closed Wednesday", times=[(2, "19:00", 60)], formats=["C"])
    make_meeting(name="Closed Monday", times=[(0, "19:00", 60)], formats=["C"])
    page = get(pages, "/search?q=19103&day=wed&open=closed&from=18:00")
    assert "Closed Wednesday" in page.text
    assert "Open Wednesday" not in page.text and "Closed Monday" not in page.text
    checked = {(i.get("name"), i.get("value")) for i in page.inputs if "checked" in i or "selected" in i}
    assert {("day", "wed"), ("open", "closed"), ("from", "18:00")} <= checked
    # The place is carried by the filter form, and new places keep the filters.
    hidden = {(i.get("name"), i.get("value")) for i in page.inputs if i.get("type") == "hidden"}
    assert ("q", "19103") in hidden and ("day", "wed") in hidden and ("open", "closed") in hidden


def test_pagination_links_keep_the_search(pages: Any, make_meeting: Any, make_place: Any) -> None:
    place = make_place()
    for n in range(27):
        make_meeting(name=f"Meeting {n:02d}", place=place)
    first = get(pages, "/search?q=19103&day=wed")
    assert "27 meetings" in first.text
    nxt = [link["href"] for link in first.links if link.get("rel") == "next"]
    assert len(nxt) == 1 and parse_qs(urlsplit(nxt[0]).query) == {"q": ["19103"], "day": ["wed"], "page": ["2"]}
    second = get(pages, nxt[0])
    assert "Page 2 of 2" in second.text and len(set(re.findall(r"Meeting \d\d", second.text))) == 2


def test_nothing_near_offers_a_wider_radius_and_online_meetings_soon(pages: Any, make_meeting: Any,
                                                                     make_place: Any) -> None:
    denver = make_place(name="", street="", city="Denver", region="CO", latitude=39.74, longitude=-104.99,
                        timezone="America/Denver", precision="city")
    make_meeting(name="Online Soon", times=[(2, "10:30", 60)], attendance="online", place=denver,
                 conference_url="https://meet.example.org/2")
    page = get(pages, "/search?lat=61.2&lon=-149.9")  # Anchorage: nothing seeded near
    assert "Nothing found within 25 mi" in page.text
    wider = [link["href"] for link in page.links if link["href"].startswith("/search") and "radius=" in link["href"]]
    assert wider and all(float(parse_qs(urlsplit(u).query)["radius"][0]) > 25 for u in wider)
    assert "Online meetings starting soon" in page.text and "Online Soon" in page.text


def test_centers_and_counselors_tabs(pages: Any, make_center: Any, make_counselor: Any) -> None:
    make_center(name="Hope Center", services=["DT", "BU", "METH", "MD"], intake_phone="215-555-0199")
    make_counselor(name="Sam Lee", terms=[("approach", "psychodynamic")], telehealth=True, accepting="yes")
    centers = get(pages, "/search?q=19103&kind=centers&service=DT")
    assert "Hope Center" in centers.text and "Detox" in centers.text and "Medicaid" in centers.text
    assert "/learn/detox#med-buprenorphine" in centers.hrefs() and "tel:215-555-0199".replace("-", "") in centers.hrefs()
    counselors = get(pages, "/search?q=19103&kind=counselors&telehealth=1")
    assert "Sam Lee" in counselors.text and "Accepting new clients" in counselors.text
    assert "/learn/counseling#approach-psychodynamic" in counselors.hrefs()
    tabs = [link for link in counselors.links if link.get("aria-current") == "page"]
    assert [t["href"] for t in tabs] == ["/search?q=19103&kind=counselors"]


@pytest.mark.parametrize(
    ("query", "status", "message"),
    [
        ("", 200, "Where should we look?"),
        ("?q=", 200, "Where should we look?"),
        ("?q=Phillydelphiaa", 400, "Philadelphia, PA"),
        ("?q=Xqzzyville", 400, "couldn"),
        ("?lat=91&lon=0", 400, "Latitude"),
        ("?q=19103&day=someday", 400, "Days are"),
        ("?q=19103&radius=-5", 400, "distance"),
    ],
)
def test_bad_input_gets_a_kind_answer(pages: Any, query: str, status: int, message: str) -> None:
    page = get(pages, "/search" + query, status)
    assert message in page.text
    assert_every_page_basics(page)


def test_hostile_strings_are_escaped_and_kept(pages: Any) -> None:
    hostile = '"><script>alert(1)</script><img src=x onerror=alert(2)>'
    response = pages.get("/search", query_string={"q": hostile, "tz": "<x>", "kind": "<b>"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "<script>alert(1)" not in html and "<img src=x" not in html
    assert any(i.get("name") == "q" and i.get("value") == hostile for i in Page(html).inputs)


def test_unknown_place_suggestions_keep_the_filters(pages: Any) -> None:
    page = get(pages, "/search?q=Phila&day=fri", 400)
    suggestion = [link["href"] for link in page.links if "Philadelphia" in link["href"]]
    assert suggestion and parse_qs(urlsplit(suggestion[0]).query) == {"q": ["Philadelphia, PA"], "day": ["fri"]}


# --- meeting page -------------------------------------------------------------------------------------------


def test_meeting_page_has_times_next_directions_join_formats_and_more(pages: Any, make_meeting: Any,
                                                                      make_body: Any) -> None:
    group = make_body(kind="group", name="Serenity Group")
    area = make_body(kind="area", name="Center City Area", helpline="+1 215-555-0123")
    meeting = make_meeting(slug="serene", name="Serene", times=[(2, "19:00", 60), (5, "23:30", 90)],
                           formats=["O", "BEG", "WCHR"], attendance="hybrid", group_id=group.id,
                           service_body_id=area.id,
                           conference_url="https://meet.example.org/j/1", conference_notes="Passcode: hope",
                           phone="+1 646 555 0100,,1953#")
    make_meeting(slug="same-place", name="Same Place Lunch", place=meeting.place, times=[(0, "12:00", 60)])
    page = get(pages, "/meetings/serene")
    assert_every_page_basics(page)
    text, hrefs = page.text, page.hrefs()
    assert "Wednesdays 7:00\u20138:00 PM" in text and "Saturdays 11:30 PM\u20131:00 AM (next day)" in text
    assert "Next: Today 7:00 PM New York time" in text
    # The dial-in string reads as a number to call and the code it dials for you.
    assert "Call +1 646 555 0100" in text and "1953#" in text
    assert any(h.startswith("geo:39.948700,-75.168500") for h in hrefs)
    assert any(h.startswith("https://maps.apple.com/") for h in hrefs)
    assert any(h.startswith("https://www.google.com/maps/dir/") for h in hrefs)
    assert any(h.startswith("https://www.openstreetmap.org/directions") for h in hrefs)
    assert "https://meet.example.org/j/1" in hrefs and "tel:+16465550100,,1953%23" in hrefs
    assert "Passcode: hope" in text
    assert "Focused on people new to recovery." in text and "/learn/formats#fmt-beg" in hrefs
    assert "/meetings/same-place" in hrefs
    assert "Serenity Group" in text and "tel:+12155550123" in hrefs
    assert "/submit/meetings/serene/change" in hrefs and "/submit/meetings/serene/cancel" in hrefs
    assert "/learn/what-is-na" in hrefs and "/learn/withdrawal" in hrefs and "/learn/open-closed#open" in hrefs


def test_meeting_status_notices(pages: Any, make_meeting: Any) -> None:
    make_meeting(slug="tc", status="temporarily_closed", attendance="hybrid", conference_url="https://x.example/1")
    make_meeting(slug="gone", status="inactive")
    make_meeting(slug="holiday", times=[(3, "19:00", 60)], exceptions=[
        {"kind": "cancelled", "start_date": dt.date(2026, 11, 26), "end_date": dt.date(2026, 11, 26),
         "reason": "Thanksgiving"}])
    assert "The venue is temporarily closed. The meeting goes on online" in get(pages, "/meetings/tc").text
    gone = get(pages, "/meetings/gone")
    assert "This meeting no longer meets" in gone.text and "Next:" not in gone.text
    holiday = get(pages, "/meetings/holiday")
    # The reason is the organizer's own words, marked with the meeting's language.
    assert "Not meeting on Thursday, November 26" in holiday.text
    assert '<span lang="en">Thanksgiving</span>' in pages.get("/meetings/holiday").get_data(as_text=True)
    assert "Next: Thursday, Dec 3 7:00 PM" in holiday.text


def test_meeting_page_never_links_a_non_web_conference_url(pages: Any, make_meeting: Any) -> None:
    make_meeting(slug="bad-link", attendance="online", conference_url="javascript:alert(1)")
    response = pages.get("/meetings/bad-link")
    assert response.status_code == 200 and "javascript:" not in response.get_data(as_text=True)


def test_unknown_and_unpublished_meetings_are_kind_404s(pages: Any, make_meeting: Any) -> None:
    make_meeting(slug="hidden", published=False)
    for url in ("/meetings/hidden", "/meetings/nope", "/centers/nope", "/counselors/nope"):
        page = get(pages, url, 404)
        assert "We couldn't find that page" in page.text
        assert_every_page_basics(page)


# --- providers ----------------------------------------------------------------------------------------------


def test_center_page(pages: Any, make_center: Any) -> None:
    make_center(slug="hope", name="Hope Center", services=["DT", "BU", "A2", "MD", "SS", "SP"],
                phone="215-555-0100", intake_phone="215-555-0199", website="https://hope.example.org")
    page = get(pages, "/centers/hope")
    assert_every_page_basics(page)
    text, hrefs = page.text, page.hrefs()
    for words in ("Care offered", "Detox", "Medications", "Buprenorphine", "Payment accepted", "Medicaid",
                  "Sliding fee scale", "Languages", "Spanish"):
        assert words in text
    assert "tel:2155550199" in hrefs and "tel:2155550100" in hrefs and "https://hope.example.org" in hrefs
    assert "/learn/detox#med-buprenorphine" in hrefs and "/learn/detox#med-alpha2" in hrefs
    assert "/learn/after-detox" in hrefs and "/learn/rehab" in hrefs
    assert any(h.startswith("geo:") for h in hrefs)


def test_counselor_page_shows_contact_only_when_public(pages: Any, make_counselor: Any) -> None:
    make_counselor(slug="open-book", name="Open Book", credentials="LADC, LPC", phone="215-555-0111",
                   email="ob@example.org", contact_public=True, accepting="waitlist", sliding_scale=True,
                   terms=[("approach", "psychodynamic"), ("approach", "mi"), ("format", "group")])
    make_counselor(slug="private", name="Private Person", phone="215-555-0222", email="pp@example.org",
                   contact_public=False)
    page = get(pages, "/counselors/open-book")
    assert_every_page_basics(page)
    assert "LADC, LPC" in page.text and "Waiting list for new clients" in page.text and "Telehealth" in page.text
    assert "Psychodynamic (dynamic) psychotherapy" in page.text and "Group sessions" in page.text
    assert "tel:2155550111" in page.hrefs() and "mailto:ob@example.org" in page.hrefs()
    assert "/learn/counseling#approach-psychodynamic" in page.hrefs() and "/learn/counseling#approach-mi" in page.hrefs()
    private = pages.get("/counselors/private").get_data(as_text=True)
    assert "215-555-0222" not in private and "pp@example.org" not in private


# --- map ----------------------------------------------------------------------------------------------------


def test_no_map_and_no_leaflet_unless_configured(pages: Any, app: Any, make_meeting: Any) -> None:
    make_meeting(slug="mapped")
    html = pages.get("/meetings/mapped").get_data(as_text=True)
    assert "leaflet" not in html and 'id="map"' not in html
    app.config["MAP_TILE_URL"] = "https://tile.example.org/{z}/{x}/{y}.png"
    app.config["MAP_ATTRIBUTION"] = "&copy; Example"
    html = pages.get("/meetings/mapped").get_data(as_text=True)
    assert re.search(r'src="/static/vendor/leaflet/leaflet(\.[0-9a-f]+)?\.js"', html) and 'data-tiles="https://tile.example.org/{z}/{x}/{y}.png"' in html
    assert "Leaflet" in pages.get("/about").get_data(as_text=True)
