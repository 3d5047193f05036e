"""finder.imports.writer: the field validators, and an import that changes nothing bumps no data version."""
from __future__ import annotations

import datetime as dt

import pytest

from finder.imports import meeting_guide
from finder.imports import writer as r
from tests.helpers import FIXTURES, RESOLVER


@pytest.mark.parametrize("value, expected", [("7:05", dt.time(7, 5)), ("19:30:00", dt.time(19, 30))])
def test_clock_accepts_feed_spellings(value: str, expected: dt.time) -> None:
    assert r.clock(value, "time") == expected


@pytest.mark.parametrize("value", ["24:00", "7pm", "", None, "12:60", ["12:00"]])
def test_clock_rejects_garbage(value: object) -> None:
    with pytest.raises(r.RowError):
        r.clock(value, "time")


def test_parse_address_splits_four_parts() -> None:
    assert r.parse_address("1625 Locust St, Philadelphia, PA 19103, USA") == {
        "street": "1625 Locust St", "city": "Philadelphia", "region": "PA", "postal_code": "19103", "country": "US"}
    assert r.parse_address("Chicago, IL, USA")["city"] == "Chicago"


def test_text_rejects_wrong_types_and_oversize() -> None:
    with pytest.raises(r.RowError, match="must be text"):
        r.text({"a": 1}, "name")
    with pytest.raises(r.RowError, match="longer than"):
        r.text("x" * 81, "city")


def test_an_import_bumps_the_data_version_only_when_it_changes_something(session, now) -> None:
    from finder import cache

    before = cache.data_version(session)
    meeting_guide.import_feed(session, FIXTURES / "meeting_guide.json", now=now, resolver=RESOLVER)
    session.commit()
    bumped = cache.data_version(session)
    assert bumped != before
    meeting_guide.import_feed(session, FIXTURES / "meeting_guide.json", now=now, resolver=RESOLVER)
    session.commit()
    assert cache.data_version(session) == bumped
