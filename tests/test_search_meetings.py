"""finder.search.meetings: the meeting search through find_nearby (online, paging, all kinds, loaders)."""


import pytest

from finder.search import SearchQuery, find_nearby, replace
from tests.helpers import ids

PHILLY = (39.9526, -75.1652)
# Reference distances from Philadelphia City Hall, computed independently (spherical, R = 6371.0088 km).
NYC = (40.7128, -74.0060)  # ~129.6 km


def test_online_meetings_regardless_of_distance(session, make_meeting, at, now):
    local = make_meeting(place=at(*PHILLY), times=[(2, "12:30", 60)])
    far_online = make_meeting(place=at(34.05, -118.24, timezone="America/Los_Angeles", precision="city"),
                              attendance="online", conference_url="https://example.org/j/1", times=[(2, "09:20", 60)])
    nearby_online = make_meeting(place=at(*PHILLY, precision="city"), attendance="online", times=[(2, "12:40", 60)])
    plain = find_nearby(session, SearchQuery(point=PHILLY, radius_km=10), now)
    assert ids(plain.meetings) == [local.id]
    results = find_nearby(session, SearchQuery(point=PHILLY, radius_km=10, include_online=True, starts_within=60), now)
    assert ids(results.meetings) == [local.id, nearby_online.id, far_online.id]
    assert [hit.is_online_only for hit in results.meetings] == [False, True, True]
    assert results.meetings[2].distance_km is None and results.meetings[0].distance_km is not None
    by_time = find_nearby(session, replace(SearchQuery(point=PHILLY, radius_km=10, include_online=True),
                                           sort="next_start"), now)
    assert ids(by_time.meetings) == [far_online.id, local.id, nearby_online.id]


def test_paging(session, make_meeting, at, now):
    meetings = [make_meeting(place=at(39.95 + i * 0.01, -75.16)) for i in range(7)]
    first = find_nearby(session, SearchQuery(point=(39.95, -75.16), radius_km=50, per_page=3), now)
    third = find_nearby(session, SearchQuery(point=(39.95, -75.16), radius_km=50, per_page=3, page=3), now)
    everything = find_nearby(session, SearchQuery(point=(39.95, -75.16), radius_km=50, per_page=0), now)
    assert ids(first.meetings) == [m.id for m in meetings[:3]]
    assert ids(third.meetings) == [meetings[6].id]
    assert first.total_meetings == 7 and first.pages == 3
    assert len(everything.meetings) == 7


def test_all_kinds_at_once(session, make_meeting, make_center, make_counselor, at, now):
    make_meeting(place=at(*PHILLY))
    make_center(place=at(*PHILLY))
    make_counselor(offices=[at(*PHILLY)])
    results = find_nearby(session, SearchQuery(point=PHILLY, radius_km=5, kinds=frozenset({"meetings", "centers",
                                                                                           "counselors"})), now)
    assert (results.total_meetings, results.total_centers, results.total_counselors) == (1, 1, 1)


def test_day_filter_and_starting_soon_together(session, make_meeting, at, now):
    # The time filters are EXISTS subqueries on meeting_times while the clock path joins it: they must not mix.
    soon = make_meeting(place=at(*PHILLY), times=[(2, "12:30", 60), (4, "19:00", 60)])
    make_meeting(place=at(*PHILLY), times=[(3, "12:30", 60)])
    query = SearchQuery(point=PHILLY, radius_km=10, weekdays=frozenset({4}), starts_within=60)
    assert ids(find_nearby(session, query, now).meetings) == [soon.id]
    query = SearchQuery(point=PHILLY, radius_km=10, weekdays=frozenset({3}), starts_within=60)
    assert find_nearby(session, query, now).meetings == []


def test_search_without_schedule_finds_the_same_meetings(session, make_meeting, at, now):
    make_meeting(name="Near", place=at(39.96, -75.17))
    make_meeting(name="Big Apple", place=at(*NYC))
    full = find_nearby(session, SearchQuery(point=PHILLY, radius_km=200, per_page=0), now)
    lean = find_nearby(session, SearchQuery(point=PHILLY, radius_km=200, per_page=0, schedule=False), now)
    assert ids(lean.meetings) == ids(full.meetings)
    assert [h.distance_km for h in lean.meetings] == [h.distance_km for h in full.meetings]
    assert all(h.next_start is None for h in lean.meetings)
    assert all(h.next_start is not None for h in full.meetings)


def test_search_without_schedule_refuses_clock_filters_and_loaders_need_it(session, now):
    with pytest.raises(ValueError, match="clock"):
        find_nearby(session, SearchQuery(point=PHILLY, radius_km=10, starts_within=30, schedule=False), now)
    with pytest.raises(ValueError, match="loader"):
        find_nearby(session, SearchQuery(point=PHILLY, radius_km=10), now, load_meetings=lambda s, i: {})


def test_a_meeting_loader_replaces_the_orm_load(session, make_meeting, at, now):
    meeting = make_meeting(name="Near", place=at(39.96, -75.17))
    seen: list[list[int]] = []

    def loader(_session, wanted):
        seen.append(sorted(wanted))
        return {i: f"row {i}" for i in wanted}

    results = find_nearby(session, SearchQuery(point=PHILLY, radius_km=50, schedule=False), now, load_meetings=loader)
    assert seen == [[meeting.id]]
    assert [h.meeting for h in results.meetings] == [f"row {meeting.id}"]
