"""finder.search.ranking: the box, exact distances, order and "N nearest", and exactness against brute force."""

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import insert, select, text

from finder.core import geo
from finder.models import Meeting, MeetingTime, Place
from finder.search.loader import MeetingCache
from finder.search import MAX_RADIUS_KM, SearchQuery, find_nearby
from tests.helpers import ids, spherical_km

UTC = dt.timezone.utc
PHILLY = (39.9526, -75.1652)
# Reference distances from Philadelphia City Hall, computed independently (spherical, R = 6371.0088 km).
NYC = (40.7128, -74.0060)  # ~129.6 km
PITTSBURGH = (40.4406, -79.9959)  # ~411 km


def test_radius_search_sorted_by_exact_distance(session, make_meeting, at, now):
    near = make_meeting(name="Near", place=at(39.96, -75.17))
    nyc = make_meeting(name="Big Apple", place=at(*NYC))
    make_meeting(name="Pittsburgh", place=at(*PITTSBURGH))
    results = find_nearby(session, SearchQuery(point=PHILLY, radius_km=200), now)
    assert ids(results.meetings) == [near.id, nyc.id]
    assert results.total_meetings == 2 and results.radius_km == 200
    assert results.meetings[1].distance_km == pytest.approx(spherical_km(PHILLY, NYC), rel=1e-9)
    assert results.meetings[1].distance_miles == pytest.approx(results.meetings[1].distance_km / 1.609344)
    assert 129 < results.meetings[1].distance_km < 130.5


def test_nearest_grows_the_radius_and_reports_it(session, make_meeting, at, now):
    far = make_meeting(place=at(*PITTSBURGH))
    nyc = make_meeting(place=at(*NYC))
    results = find_nearby(session, SearchQuery(point=PHILLY, nearest=2), now)
    assert ids(results.meetings) == [nyc.id, far.id]
    assert results.radius_km == pytest.approx(spherical_km(PHILLY, PITTSBURGH), rel=1e-9)
    one = find_nearby(session, SearchQuery(point=PHILLY, nearest=1), now)
    assert ids(one.meetings) == [nyc.id] and one.total_meetings == 1
    capped = find_nearby(session, SearchQuery(point=PHILLY, nearest=5, radius_km=200), now)
    assert ids(capped.meetings) == [nyc.id]


def test_nearest_when_nothing_exists(session, now):
    results = find_nearby(session, SearchQuery(point=PHILLY, nearest=3), now)
    assert results.meetings == [] and results.total_meetings == 0


def test_across_the_antimeridian(session, make_meeting, at, now):
    east = make_meeting(place=at(-17.0, 179.95, timezone="Pacific/Fiji"))
    west = make_meeting(place=at(-17.0, -179.95, timezone="Pacific/Fiji"))
    make_meeting(place=at(-17.0, 0.0, timezone="UTC"))
    results = find_nearby(session, SearchQuery(point=(-17.0, -179.99), radius_km=50), now)
    assert sorted(ids(results.meetings)) == sorted([east.id, west.id])
    assert ids(results.meetings)[0] == west.id
    assert results.meetings[1].distance_km == pytest.approx(spherical_km((-17.0, -179.99), (-17.0, 179.95)))


def test_near_the_pole(session, make_meeting, at, now):
    other_side = make_meeting(place=at(89.9, 170.0, timezone="UTC"))
    make_meeting(place=at(80.0, 0.0, timezone="UTC"))
    results = find_nearby(session, SearchQuery(point=(89.95, -10.0), radius_km=50), now)
    assert ids(results.meetings) == [other_side.id]


def test_no_point_lists_without_distance(session, make_meeting, at, now):
    a = make_meeting(name="Alpha", place=at(*NYC))
    b = make_meeting(name="Beta", place=at(*PITTSBURGH))
    results = find_nearby(session, SearchQuery(meeting_ids=frozenset({a.id, b.id})), now)
    assert ids(results.meetings) == [a.id, b.id]
    assert all(hit.distance_km is None for hit in results.meetings)
    assert results.radius_km is None


CLUSTERS = [(-17.0, 179.9), (-17.0, -179.9), (65.0, 179.5), (65.0, -179.5), (89.5, 0.0), (89.9, 120.0),
            (-89.5, 45.0), (0.0, 0.0), (40.0, -75.0), (51.5, -0.1), (-33.9, 151.2), (35.0, 139.0)]


@pytest.fixture
def scattered(session):
    """About 360 places with one meeting each, spread around hard spots; returns {meeting_id: (lat, lon)}."""
    import random

    rng = random.Random(20261126)
    points = []
    for lat, lon in CLUSTERS:
        for _ in range(30):
            spread = rng.choice([0.05, 0.5, 3.0])
            plat = max(-90.0, min(90.0, lat + rng.gauss(0, spread)))
            plon = (lon + rng.gauss(0, spread * 3) + 180.0) % 360.0 - 180.0
            points.append((plat, plon))
    place_ids = session.scalars(insert(Place).returning(Place.id), [
        dict(name="", street="", city="", region="", postal_code="", country="US", latitude=lat, longitude=lon,
             precision="rooftop", timezone="UTC", notes="") for lat, lon in points]).all()
    now_ = dt.datetime(2026, 1, 1, tzinfo=UTC)
    meeting_ids = session.scalars(insert(Meeting).returning(Meeting.id), [
        dict(slug=f"m{i}", name=f"M{i:04d}", place_id=pid, attendance="in_person", status="active", published=True,
             language="en", created_at=now_, updated_at=now_) for i, pid in enumerate(place_ids)]).all()
    session.execute(insert(MeetingTime), [dict(meeting_id=m, weekday=0, start=dt.time(19), duration_minutes=60)
                                          for m in meeting_ids])
    session.flush()
    rows = session.execute(select(Meeting.id, Place.latitude, Place.longitude).join(Place)).all()
    return {mid: (lat, lon) for mid, lat, lon in rows}


latitudes = st.one_of(st.floats(-90, 90), st.sampled_from([c[0] for c in CLUSTERS] + [90.0, -90.0]))


longitudes = st.one_of(st.floats(-180, 180), st.sampled_from([c[1] for c in CLUSTERS] + [180.0, -180.0]))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lat=latitudes, lon=longitudes, radius=st.floats(0.5, MAX_RADIUS_KM), nearest=st.integers(1, 40))
def test_results_equal_brute_force(session, scattered, now, lat, lon, radius, nearest):
    distances = {mid: geo.haversine_km(lat, lon, *point) for mid, point in scattered.items()}
    expected = {mid for mid, d in distances.items() if d <= radius}
    results = find_nearby(session, SearchQuery(point=(lat, lon), radius_km=radius, per_page=0), now)
    assert set(ids(results.meetings)) == expected
    assert [hit.distance_km for hit in results.meetings] == sorted(distances[m] for m in expected)

    nearest_results = find_nearby(session, SearchQuery(point=(lat, lon), nearest=nearest, per_page=0), now)
    assert [hit.distance_km for hit in nearest_results.meetings] == sorted(distances.values())[:nearest]
    assert nearest_results.radius_km == pytest.approx(sorted(distances.values())[nearest - 1])

    # The pages' path: ranked from meeting_points, the meetings from a meeting cache.
    cached = MeetingCache().reader("1")
    first_page = find_nearby(session, SearchQuery(point=(lat, lon), radius_km=radius, per_page=10), now,
                             cached_meetings=cached)
    assert first_page.total_meetings == len(expected)
    assert [hit.distance_km for hit in first_page.meetings] == sorted(distances[m] for m in expected)[:10]
    nearest_page = find_nearby(session, SearchQuery(point=(lat, lon), nearest=nearest, per_page=10), now,
                               cached_meetings=cached)
    assert [hit.distance_km for hit in nearest_page.meetings] == sorted(distances.values())[:min(nearest, 10)]


@pytest.mark.parametrize("point", [(40.0, -75.0), (-17.0, 180.0), (89.7, 60.0)], ids=["city", "antimeridian", "pole"])
def test_pages_ranked_in_sql_add_up_to_the_whole_list(session, scattered, now, point):
    # Radius searches without a clock filter are ranked, counted and paged by SQL (LIMIT/OFFSET, count OVER),
    # with one longitude range, two (across the antimeridian) or none (around a pole).
    whole = find_nearby(session, SearchQuery(point=point, radius_km=400, per_page=0), now)
    assert whole.total_meetings == len(whole.meetings) > 20
    paged, page = [], 1
    while True:
        results = find_nearby(session, SearchQuery(point=point, radius_km=400, per_page=7, page=page), now)
        assert results.total_meetings == whole.total_meetings
        if not results.meetings:
            break
        paged += results.meetings
        page += 1
    assert ids(paged) == ids(whole.meetings)
    assert page == results.pages + 1  # the page past the end is empty and still knows the total


def test_ranked_ties_are_ordered_by_name_then_id(session, make_meeting, at, now):
    place = at(*PHILLY)
    later = make_meeting(name="b Group", place=place)
    first = make_meeting(name="A Group", place=place)
    again = make_meeting(name="B group", place=place)
    results = find_nearby(session, SearchQuery(point=PHILLY, radius_km=5), now)
    assert ids(results.meetings) == [first.id, later.id, again.id]
    nearest = find_nearby(session, SearchQuery(point=PHILLY, nearest=2), now)
    assert ids(nearest.meetings) == [first.id, later.id]


def test_postgresql_keeps_one_plan_for_the_ranked_search(session, scattered, now):
    # The box bounds are scalar subqueries on PostgreSQL so that its plan cache settles on the generic plan
    # instead of planning every search again (finder.search.ranking.box_clause).
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("PostgreSQL's plan cache")
    session.commit()
    session.execute(text("ANALYZE places"))
    session.execute(text("ANALYZE meetings"))
    for i in range(15):  # psycopg prepares a statement after five runs; PostgreSQL decides after five plans
        results = find_nearby(session, SearchQuery(point=(40.0 + i / 100, -75.0), radius_km=50), now)
        assert results.total_meetings > 0
    plans = session.execute(text(
        "SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement LIKE '%asin(least(%'")).all()
    assert plans and max(generic for generic, _ in plans) >= 2


def test_a_search_without_filters_ranks_from_the_meeting_points_index(session, scattered, now):
    """Both databases answer the box from meeting_points' partial index: SQLite only when the query names its
    predicate term for term (finder.search.ranking._LISTED)."""
    from sqlalchemy import event

    session.commit()
    seen = []
    engine = session.get_bind()

    def capture(_connection, _cursor, statement, parameters, *_args):
        if "FROM meeting_points" in statement:
            seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        cached = MeetingCache().reader("1")
        results = find_nearby(session, SearchQuery(point=(40.0, -75.0), radius_km=50), now, cached_meetings=cached)
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    assert results.total_meetings > 0 and seen
    statement, parameters = seen[0]
    explain = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN "
    plan = " ".join(str(row) for row in session.connection().exec_driver_sql(explain + statement, parameters))
    assert "ix_meeting_points_listed_location" in plan


def test_nearest_keeps_every_tie_at_one_address(session, make_meeting, at, now):
    # Twenty meetings share one church: the N chosen are the first by name, as the brute force orders them.
    church = at(39.96, -75.17)
    make_meeting(name="Farther", place=at(40.2, -75.3))
    names = [f"Group {i:02d}" for i in range(20)]
    for name in reversed(names):
        make_meeting(name=name, place=church)
    results = find_nearby(session, SearchQuery(point=PHILLY, nearest=15, per_page=0), now)
    assert [hit.meeting.name for hit in results.meetings] == names[:15]
    assert len({hit.distance_km for hit in results.meetings}) == 1
    everything = find_nearby(session, SearchQuery(point=PHILLY, nearest=21, per_page=0), now)
    assert [hit.meeting.name for hit in everything.meetings] == [*names, "Farther"]
