"""Result cards (finder.search.cards): a search's hits worded once, as the results page places them."""
from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from finder.search import cards

NY = ZoneInfo("America/New_York")
NOW = dt.datetime(2026, 11, 25, 17, 0, tzinfo=dt.timezone.utc)  # Wednesday, noon in New York


def hit(minutes: int | None, *, in_progress: bool = False, attendance: str = "hybrid", online_only: bool = False,
        km: float | None = 1.2, **meeting: object) -> SimpleNamespace:
    start = NOW.astimezone(NY) + dt.timedelta(minutes=minutes) if minutes is not None else None
    values = dict(slug="noon-hope", attendance=attendance, status="active", formats=[],
                  place=SimpleNamespace(timezone="America/New_York", locality="Philadelphia"),
                  conference_url="https://zoom.example/j/1", is_online=attendance != "in_person",
                  confirmed_at=NOW - dt.timedelta(days=10), reported_at=None)
    values.update(meeting)
    return SimpleNamespace(meeting=SimpleNamespace(**values), next_start=start, starts_in_minutes=minutes,
                           in_progress=in_progress, is_online_only=online_only, distance_km=km)


@pytest.fixture
def page(sqlite_app):
    with sqlite_app.test_request_context("/search"):
        yield lambda hits, unit="mi", zone=None: cards.meeting_cards(hits, NOW, unit, zone)


def test_a_card_says_when_where_and_how_far(page):
    card = page([hit(25)])[0]
    assert card.url == "/meetings/noon-hope" and card.when == "Today 12:25 PM" and card.zone == "New York"
    assert card.starts == "Starts in 25 min" and card.distance == "0.7 mi" and card.locality == "Philadelphia"
    assert page([hit(25)], unit="km")[0].distance == "1.2 km"
    assert card.freshness == ""


def test_join_online_is_offered_only_near_the_start(page):
    assert page([hit(cards.JOIN_NOW_MINUTES)])[0].join_url == "https://zoom.example/j/1"
    assert page([hit(cards.JOIN_NOW_MINUTES + 1)])[0].join_url == ""
    assert page([hit(0, in_progress=True)])[0].join_url == "https://zoom.example/j/1"
    assert page([hit(5, attendance="in_person")])[0].join_url == ""
    assert page([hit(5, conference_url="javascript:alert(1)")])[0].join_url == ""


def test_online_only_meetings_lead_with_the_viewers_clock(page):
    card = page([hit(60, online_only=True, km=None)], zone="America/Los_Angeles")[0]
    assert card.viewer_when == "10:00 AM" and card.viewer_zone == "Los Angeles" and card.viewer_first
    assert card.distance == ""
    assert not page([hit(60)], zone="America/Los_Angeles")[0].viewer_first  # in person: the meeting's clock first


def test_cards_carry_the_freshness_warning(page):
    assert page([hit(60, confirmed_at=None)])[0].freshness.startswith("Not confirmed in over a year")
    assert page([hit(60, reported_at=NOW)])[0].freshness.startswith("Recently reported as not meeting")


def test_slug_urls_quote_like_url_for(sqlite_app):
    with sqlite_app.test_request_context("/"):
        url = cards.slug_urls("main.meeting")
        assert url("café au lait") == "/meetings/caf%C3%A9%20au%20lait" and url("a/b") == "/meetings/a/b"
