"""finder.search.conditions: the filters SQL decides (visibility, weekday and time window, formats and the rest)."""

import datetime as dt


from finder.search import SearchQuery, find_nearby
from tests.helpers import ids

PHILLY = (39.9526, -75.1652)


def test_hidden_meetings_are_never_found(session, make_meeting, at, now):
    place = at(*PHILLY)
    shown = make_meeting(place=place)
    make_meeting(place=place, published=False)
    make_meeting(place=place, status="inactive")
    closed_venue = make_meeting(place=place, status="temporarily_closed")
    results = find_nearby(session, SearchQuery(point=PHILLY, radius_km=5), now)
    assert sorted(ids(results.meetings)) == sorted([shown.id, closed_venue.id])


def test_weekday_and_local_time_window(session, make_meeting, at, now):
    place = at(*PHILLY)
    monday_evening = make_meeting(place=place, times=[(0, "19:00", 60)])
    monday_morning = make_meeting(place=place, times=[(0, "07:00", 60)])
    tuesday_evening = make_meeting(place=place, times=[(1, "19:00", 60)])
    # Monday morning and Tuesday evening must not add up to "Monday evening".
    make_meeting(place=place, times=[(0, "07:00", 60), (1, "19:30", 60)])
    query = SearchQuery(point=PHILLY, radius_km=5, weekdays=frozenset({0}), time_from=dt.time(18), time_to=dt.time(21))
    assert ids(find_nearby(session, query, now).meetings) == [monday_evening.id]
    late = SearchQuery(point=PHILLY, radius_km=5, time_from=dt.time(18), time_to=dt.time(8))  # wraps midnight
    assert set(ids(find_nearby(session, late, now).meetings)) >= {monday_evening.id, monday_morning.id,
                                                                  tuesday_evening.id}


def test_formats_attendance_language_body(session, make_meeting, make_body, at, now):
    place = at(*PHILLY)
    region = make_body(kind="region", name="Region")
    area = make_body(kind="area", name="Area", parent_id=region.id)
    group = make_body(kind="group", name="Group", parent_id=area.id)
    open_wheel = make_meeting(place=place, formats=["O", "WCHR", "BEG"], service_body_id=area.id)
    closed_spanish = make_meeting(place=place, formats=["C", "ES"], language="es", group_id=group.id)
    hybrid = make_meeting(place=place, formats=["O", "STEP"], attendance="hybrid")
    point = dict(point=PHILLY, radius_km=5)

    def found(**filters):
        return set(ids(find_nearby(session, SearchQuery(**point, **filters), now).meetings))

    assert found(wheelchair=True) == {open_wheel.id}
    assert found(open_closed="closed") == {closed_spanish.id}
    assert found(open_closed="open") == {open_wheel.id, hybrid.id}
    assert found(formats_all=frozenset({"O", "BEG"})) == {open_wheel.id}
    assert found(formats_any=frozenset({"BEG", "STEP"})) == {open_wheel.id, hybrid.id}
    assert found(attendance=frozenset({"hybrid"})) == {hybrid.id}
    assert found(language="es") == {closed_spanish.id}
    assert found(service_body_ids=frozenset({region.id})) == {open_wheel.id, closed_spanish.id}
    assert found(group_ids=frozenset({group.id})) == {closed_spanish.id}
    assert found(text="clean and serene") == {open_wheel.id, closed_spanish.id, hybrid.id}
    assert found(text="100%_") == set()
