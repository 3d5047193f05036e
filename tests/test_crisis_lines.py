"""The crisis-number table: complete rows, fresh reviews, and the right numbers for each place."""
from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

import pytest

from finder.learn import crisis_lines
from finder.learn.crisis_lines import LINES, bar_lines, lines_for, served_country

# Every country the demo data (and so the test data) places meetings in must have its own rows.
DEMO_COUNTRIES = {"US", "CA", "GB", "IE", "AU", "NZ", "IN", "MX", "DE", "BR"}


@pytest.mark.parametrize("line", LINES, ids=lambda line: f"{line.country}-{line.kind}")
def test_every_row_is_complete_sourced_and_recently_reviewed(line):  # type: ignore[no-untyped-def]
    assert line.kind in crisis_lines.KINDS
    assert line.name and line.number and line.about
    assert line.dial.lstrip("+").isdigit() and any(c.isdigit() for c in line.number)
    source = urlsplit(line.source)
    assert source.scheme == "https" and source.netloc
    assert dt.date(2026, 1, 1) <= line.reviewed <= dt.date.today()
    # A number is re-checked at least once a year.
    assert (dt.date.today() - line.reviewed).days <= 366, f"{line.name}: review it again"


def test_every_country_has_an_emergency_number_and_the_demo_countries_their_own_rows():  # type: ignore[no-untyped-def]
    assert DEMO_COUNTRIES <= set(crisis_lines.countries())
    assert set(crisis_lines.countries()) == set(crisis_lines.COUNTRY_NAMES)
    for country in crisis_lines.countries():
        assert [line.kind for line in lines_for(country)][0] == "emergency"


@pytest.mark.parametrize(("country", "numbers"), [
    ("US", ["911", "988"]),
    ("CA", ["911", "988"]),
    ("GB", ["999", "116 123"]),
    ("IE", ["112 or 999", "116 123"]),
    ("AU", ["000", "13 11 14"]),
    ("NZ", ["111", "1737"]),
    ("DE", ["112", "0800 111 0 111"]),
])
def test_the_bar_shows_the_emergency_number_then_the_crisis_line(country, numbers):  # type: ignore[no-untyped-def]
    assert [line.number for line in bar_lines(country)] == numbers


def test_an_eu_country_without_rows_gets_112_and_anywhere_else_the_us_numbers():  # type: ignore[no-untyped-def]
    assert [line.number for line in bar_lines("fr")] == ["112"]
    assert served_country("FR") == "EU"
    for unknown in (None, "", "JP", "ZZ", "<script>"):
        assert served_country(unknown) == "US"
        assert [line.number for line in bar_lines(unknown)] == ["911", "988"]


def test_links_dial_and_text_only_what_the_source_allows():  # type: ignore[no-untyped-def]
    us = {line.kind: line for line in lines_for("US")}
    assert us["crisis"].tel == "tel:988" and us["crisis"].sms == "sms:988"
    assert us["helpline"].tel == "tel:+18006624357" and us["helpline"].sms == ""
    samaritans = lines_for("GB")[1]
    assert samaritans.tel == "tel:116123" and samaritans.sms == ""
