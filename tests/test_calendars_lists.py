"""Tests for finder.calendars.lists: the code-in-the-URL list, its round trip, limits and hostile codes."""
import pytest

from finder.calendars.feeds import FeedError
from finder.calendars.lists import decode_list, encode_list


def test_list_code_round_trip():
    for ids in ([1], [5, 3, 5, 1], [127, 128, 16384, 2**31 - 1], list(range(1, 101))):
        code = encode_list(ids)
        assert decode_list(code) == sorted(set(ids))
        assert all(c.isalnum() or c in "-_" for c in code)
    assert len(encode_list([1201, 1340, 7788, 15000])) <= 12


@pytest.mark.parametrize(
    "code", ["", "!!!!", "a" * 500, "AA", "gA", "_____-", "AQAB", "..%2F..%2Fetc", "x y"],
)
def test_hostile_list_codes_are_refused(code):
    with pytest.raises(FeedError):
        decode_list(code)


def test_list_code_limits():
    with pytest.raises(FeedError):
        encode_list([])
    with pytest.raises(FeedError):
        encode_list(range(1, 102))
    with pytest.raises(FeedError):
        encode_list([0, 1])
