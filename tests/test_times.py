"""finder.core.times: one reading of a time of day, and each caller still reading what it read before.

The tables were recorded from the four parsers this one replaced (the submission form, the search's from/to
arguments, import cells, import "times" lists), before the change."""
from __future__ import annotations

import datetime as dt

import pytest
from werkzeug.datastructures import MultiDict

from finder.core.times import parse_time_of_day
from finder.imports import writer
from finder.imports.tabular import parse_times
from finder.search.params import query_from_args
from finder.submissions.workflow import validate_times

T = dt.time
# input: what the submission form, the search and an import cell made of it before (None: refused).
BEFORE = {
    "19:30": (T(19, 30), T(19, 30), T(19, 30)),
    "7:30 PM": (T(19, 30), T(19, 30), None),
    "7:30pm": (T(19, 30), T(19, 30), None),
    "7 pm": (T(19), T(19), None),
    "7pm": (T(19), T(19), None),
    "7 p.m.": (T(19), T(19), None),
    "7:30 P.M.": (T(19, 30), T(19, 30), None),
    "7:30p.m": (T(19, 30), None, None),
    "12 am": (T(0), T(0), None),
    "12:15 AM": (T(0, 15), T(0, 15), None),
    "12 pm": (T(12), T(12), None),
    "0:00": (T(0), T(0), T(0)),
    "00:00": (T(0), T(0), T(0)),
    "7": (T(7), T(7), None),
    "19": (T(19), T(19), None),
    "1930": (None, T(19, 30), None),
    "730": (None, T(7, 30), None),
    "0730": (None, T(7, 30), None),
    "24:00": (None, T(23, 59, 59), None),
    "24": (None, T(23, 59, 59), None),
    "23:59": (T(23, 59), T(23, 59), T(23, 59)),
    "19:30:00": (None, None, T(19, 30)),
    "19:30:59": (None, None, T(19, 30)),
    " 19:30 ": (T(19, 30), T(19, 30), T(19, 30)),
    "7:30 a.m.": (T(7, 30), T(7, 30), None),
    "7:30 am": (T(7, 30), T(7, 30), None),
    "7:30  pm": (T(19, 30), T(19, 30), None),
    "٧:٣٠": (T(7, 30), T(7, 30), T(7, 30)),
}
REFUSED_BY_ALL = ["7.30", "19.30", "23:60", "25:00", "13 pm", "0 am", "7:5", "noon", "19h30", "7 : 30",
                  "12:00:60", "", "1:2:3", "123456", "7 pmm"]


def _form_time(text: str) -> dt.time | None:
    errors: dict[str, str] = {}
    times = validate_times(MultiDict({"day_0": "0", "start_0": text}), errors)
    return dt.time.fromisoformat(times[0]["start"]) if times and not errors else None


def _search_time(text: str) -> dt.time | None:
    from finder.search.query import SearchError
    try:
        return query_from_args(MultiDict({"from": text}), None).time_from
    except SearchError:
        return None


def _import_time(text: str) -> dt.time | None:
    from finder.imports.report import RowError
    try:
        return writer.clock(text, "time")
    except RowError:
        return None


@pytest.mark.parametrize("text", sorted(BEFORE))
def test_each_caller_reads_what_it_read_before(app, text: str) -> None:
    form, search, imported = BEFORE[text]
    with app.test_request_context():
        if form is not None:
            assert _form_time(text) == form
        if search is not None:
            assert _search_time(text) == search
    assert _import_time(text) == imported  # imports are strict: they refuse what they refused
    if imported is not None:
        assert parse_times(f"mon {text.strip()} 45") == [(0, imported, 45)]


@pytest.mark.parametrize("text", REFUSED_BY_ALL)
def test_still_refused_everywhere(app, text: str) -> None:
    with app.test_request_context():
        assert _form_time(text) is None and _search_time(text) is None
    assert _import_time(text) is None


@pytest.mark.parametrize("text, expected", [
    ("19:30", T(19, 30)), ("1930", T(19, 30)), ("7:30 pm", T(19, 30)), ("7 P.M.", T(19)), ("12 am", T(0)),
    ("12:30 pm", T(12, 30)), ("19:30:45", T(19, 30)), (" 9 ", T(9)), ("0000", T(0)),
])
def test_time_of_day(text: str, expected: dt.time) -> None:
    assert parse_time_of_day(text) == expected


@pytest.mark.parametrize("text", ["7", "19", "1930", "7:30 pm", "7pm", "12 am", "7 a.m."])
def test_strict_reads_only_24_hour_clock_times(text: str) -> None:
    parse_time_of_day(text)
    with pytest.raises(ValueError):
        parse_time_of_day(text, strict=True)
    assert parse_time_of_day("7:05", strict=True) == T(7, 5) and parse_time_of_day("19:30:00", strict=True) == T(19, 30)


def test_midnight_at_the_end_of_a_range() -> None:
    assert parse_time_of_day("24:00", end_of_day=True) == T(23, 59, 59)
    for text in ("24:00", "24:01", "24:30"):
        with pytest.raises(ValueError):
            parse_time_of_day(text)
    with pytest.raises(ValueError):
        parse_time_of_day("24:01", end_of_day=True)


@pytest.mark.parametrize("text", REFUSED_BY_ALL)
def test_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_time_of_day(text)
