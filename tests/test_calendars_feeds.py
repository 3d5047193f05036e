"""Tests for finder.calendars.feeds: the one canonical form of a search feed's parameters."""
from finder.calendars import feeds


def test_equal_searches_have_one_canonical_form():
    a = feeds.canonical_feed_args([
        ("radius", "10.0"), ("q", " 77088 "), ("day", "Thu,mon"), ("format", "o"), ("format", "DISC"),
        ("unit", "mi"), ("wheelchair", "yes"), ("online", "0"), ("from", "6:00"), ("lat", ""),
    ])
    b = feeds.canonical_feed_args([
        ("q", "77088"), ("day", "mon"), ("day", "thursday"), ("day", "mon"), ("format", "disc,O"), ("radius", "10"),
        ("from", "06:00"), ("wheelchair", "1"),
    ])
    assert a == b == [("day", "mon"), ("day", "thu"), ("format", "DISC"), ("format", "O"), ("from", "06:00"),
                      ("q", "77088"), ("radius", "10"), ("wheelchair", "1")]


def test_coordinates_are_rounded_as_the_pages_round_them():
    near = feeds.canonical_feed_args([("lat", "29.88123"), ("lon", "-95.44999"), ("nearest", "010")])
    also = feeds.canonical_feed_args([("lon", "-95.4504"), ("lat", "29.8809")])
    assert near == [("lat", "29.881"), ("lon", "-95.450"), ("nearest", "10")]
    assert also == [("lat", "29.881"), ("lon", "-95.450")]


def test_unreadable_values_are_kept_for_the_parser_to_refuse():
    kept = feeds.canonical_feed_args([("lat", "north"), ("radius", "nan"), ("day", "someday"), ("body", "x1"),
                                        ("wheelchair", "maybe"), ("from", "\u0661\u0668:00")])
    assert dict(kept) == {"lat": "north", "radius": "nan", "day": "someday", "body": "x1", "wheelchair": "maybe",
                          "from": "\u0661\u0668:00"}


def test_single_parameters_keep_their_first_value_and_lists_are_sorted_numerically():
    assert feeds.canonical_feed_args([("q", "a"), ("q", "b"), ("body", "10"), ("body", "9")]) == [
        ("body", "9"), ("body", "10"), ("q", "a")]
