"""Numbers from hostile text: ASCII digits only, bounded, None for anything else (never an exception)."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from finder.core.numbers import parse_float, parse_int


@pytest.mark.parametrize(("text", "expected"), [
    ("7", 7), (" 42 ", 42), ("-3", -3), ("+5", 5), ("0007", 7), (12, 12),
    ("²", None), ("³", None), ("١٢", None), ("１２", None), ("1_000", None), ("", None), (" ", None),
    ("1e3", None), ("1.0", None), ("9" * 19, None), ("9" * 5000, None), (None, None), (True, None),
    ("\u20077", None), ("7\u200b", None), ("0x10", None), ("--1", None), (3.0, None),
])
def test_parse_int(text, expected):
    assert parse_int(text) == expected


def test_parse_int_bounds():
    assert parse_int("6", low=0, high=6) == 6
    assert parse_int("7", low=0, high=6) is None
    assert parse_int("-1", low=0) is None


@pytest.mark.parametrize(("text", "expected"), [
    ("39.95", 39.95), ("-75.1", -75.1), (".5", 0.5), ("1e3", 1000.0), ("5.", 5.0), (2, 2.0),
    ("nan", None), ("inf", None), ("-Infinity", None), ("1e999", None), ("١.٥", None), ("1_0", None),
    ("٣٩.٩٥", None), ("", None), ("1" * 21, None), ("0x1p3", None), (float("nan"), None), (False, None),
])
def test_parse_float(text, expected):
    assert parse_float(text) == expected


def test_parse_float_bounds():
    assert parse_float("90", low=-90, high=90) == 90.0
    assert parse_float("90.0001", low=-90, high=90) is None


@given(st.text(max_size=30))
def test_any_text_gives_a_number_or_none(text):
    number = parse_int(text)
    assert number is None or (isinstance(number, int) and abs(number) < 10**18)
    value = parse_float(text)
    assert value is None or isinstance(value, float)
