"""Tests for finder.core.subscribe: subscribe links, the reminder option, canonical search feeds, feed names."""
import datetime as dt
import urllib.parse

import pytest

from finder.core import subscribe as links
from finder.core.subscribe import AlarmError, SearchDescription, search_feed_name
from finder.core.geo import miles_to_km


@pytest.mark.parametrize("value, minutes", [(None, None), ("", None), ("  ", None), ("1", 1), ("15", 15),
                                            (" 30 ", 30), ("1440", 1440), ("0060", 60)])
def test_alarm_values(value, minutes):
    assert links.parse_alarm(value) == minutes


@pytest.mark.parametrize("value", ["0", "1441", "-15", "+15", "15.5", "1e3", "abc", "\u0661\u0665", "１５",
                                   "99999999999", "15 min"])
def test_alarm_out_of_range_or_not_a_number_is_refused(value):
    with pytest.raises(AlarmError, match="1 to 1440"):
        links.parse_alarm(value)


def test_alarm_words():
    assert [links.alarm_words(m) for m in (1, 10, 60, 90, 120, 1440)] == [
        "1 minute", "10 minutes", "1 hour", "1 hour 30 minutes", "2 hours", "1 day"]


def test_with_alarm_sets_replaces_and_removes():
    url = "https://x.org/calendars/search.ics?q=77088&radius=10"
    assert links.with_alarm(url, 15) == "https://x.org/calendars/search.ics?q=77088&radius=10&alarm=15"
    assert links.with_alarm(links.with_alarm(url, 15), 30).endswith("radius=10&alarm=30")
    assert links.with_alarm(links.with_alarm(url, 15), None) == url
    assert links.with_alarm("https://x.org/m.ics", 10) == "https://x.org/m.ics?alarm=10"


def test_subscribe_links_for_each_app():
    found = links.subscribe_links("https://x.org/calendars/my/abc.ics?alarm=15", "My NA meetings")
    assert found.webcal == "webcal://x.org/calendars/my/abc.ics?alarm=15"
    google = urllib.parse.urlsplit(found.google)
    assert (google.scheme, google.netloc, google.path) == ("https", "calendar.google.com", "/calendar/r")
    assert urllib.parse.parse_qs(google.query) == {"cid": [found.webcal]}
    for url, host in ((found.outlook, "outlook.live.com"), (found.outlook_work, "outlook.office.com")):
        parts = urllib.parse.urlsplit(url)
        assert (parts.netloc, parts.path) == (host, "/calendar/0/addfromweb")
        assert urllib.parse.parse_qs(parts.query) == {"url": [found.https], "name": ["My NA meetings"]}


def test_webcal_refuses_other_schemes():
    assert links.webcal_url("http://x.org/a.ics") == "webcal://x.org/a.ics"
    for bad in ("javascript:alert(1)", "ftp://x.org/a.ics", "x.org/a.ics"):
        with pytest.raises(ValueError):
            links.webcal_url(bad)


def test_search_feed_names_say_what_they_hold():
    evening = SearchDescription(place="77088", located=True, radius_km=miles_to_km(10), time_from=dt.time(18))
    assert search_feed_name(evening) == "NA meetings within 10 mi of 77088, evenings from 18:00"
    nearest = SearchDescription(place="Philadelphia, PA", located=True, nearest=5, weekdays=frozenset({0, 3}),
                                open_closed="open")
    assert search_feed_name(nearest) == "The 5 NA open meetings nearest Philadelphia, PA, Mondays and Thursdays"
    assert search_feed_name(SearchDescription(located=True, radius_km=10, unit="km",
                                              weekdays=frozenset(range(5)))) == (
        "NA meetings within 10 km of the chosen place, weekdays")
    body = SearchDescription(body_names=("Center City Area",), attendance=frozenset({"online"}),
                             formats=("Speaker", "Women"), time_to=dt.time(9), wheelchair=True)
    assert search_feed_name(body) == (
        "NA online meetings of Center City Area, mornings until 09:00, Speaker, Women, wheelchair accessible")


def test_a_long_name_is_cut():
    name = search_feed_name(SearchDescription(place="x" * 60, located=True, radius_km=10,
                                              formats=tuple(f"Format {i}" for i in range(10)),
                                              body_names=tuple(f"Area {i}" for i in range(10))))
    assert len(name) <= links.MAX_NAME and name.endswith("\u2026")


def test_describe_reads_a_parsed_search():
    from finder import search

    class Geocoder:
        def geocode(self, text):
            return None

        def suggest(self, text):
            return []

    query = search.query_from_args({"lat": "29.88", "lon": "-95.45", "radius": "10", "day": "sat,sun",
                                    "format": "SPK", "any_format": "W"}, Geocoder())
    what = links.describe(query, None)
    assert what.place is None and what.located and what.weekdays == frozenset({5, 6})
    assert what.formats == ("Speaker", "Women")
    assert search_feed_name(what) == "NA meetings within 10 mi of the chosen place, weekends, Speaker, Women"
