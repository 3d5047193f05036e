"""Tests for finder.search: distances, filters in each meeting's zone, paging, and exactness against brute force."""

import datetime as dt
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import insert, select, text

from finder.core import geo
from finder.geocode import shared_gazetteer
from finder.models import Meeting, MeetingTime, Place, ScheduleException
from finder.search import clock
from finder.search.loader import MeetingCache
from finder.search import (
    DEFAULT_RADIUS_KM, MAX_RADIUS_KM, SearchError, SearchQuery, find_nearby, query_from_args, replace,
)

UTC = dt.timezone.utc
PHILLY = (39.9526, -75.1652)
# Reference distances from Philadelphia City Hall, computed independently (spherical, R = 6371.0088 km).
NYC = (40.7128, -74.0060)  # ~129.6 km
PITTSBURGH = (40.4406, -79.9959)  # ~411 km


def spherical_km(a, b):
    """Independent great-circle distance: the spherical law of cosines."""
    p1, p2, dl = math.radians(a[0]), math.radians(b[0]), math.radians(b[1] - a[1])
    c = math.sin(p1) * math.sin(p2) + math.cos(p1) * math.cos(p2) * math.cos(dl)
    return geo.EARTH_RADIUS_KM * math.acos(max(-1.0, min(1.0, c)))


def ids(hits):
    return [hit.meeting.id for hit in hits]


@pytest.fixture
def at(make_place):
    """at(lat, lon, **place fields) -> a place there."""

    def build(lat, lon, **fields):
        fields.setdefault("timezone", "America/New_York")
        return make_place(latitude=lat, longitude=lon, **fields)

    return build


# --- Where ------------------------------------------------------------------------------------------------------


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


# --- What ------------------------------------------------------------------------------------------------------


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


# --- When: each meeting's own zone ---------------------------------------------------------------------------------


def test_starting_within_is_read_in_each_meetings_zone(session, make_meeting, at, now):
    # now = Wednesday 17:00 UTC = 12:00 in New York = 09:00 in Los Angeles.
    ny_soon = make_meeting(place=at(*PHILLY), times=[(2, "12:30", 60)])
    la_soon = make_meeting(place=at(34.05, -118.24, timezone="America/Los_Angeles"), times=[(2, "09:45", 60)])
    make_meeting(place=at(*PHILLY), times=[(2, "09:45", 60)])  # 09:45 in New York already happened
    make_meeting(place=at(*PHILLY), times=[(2, "14:00", 60)])  # two hours away
    query = SearchQuery(starts_within=60, sort="next_start")
    results = find_nearby(session, query, now)
    assert ids(results.meetings) == [ny_soon.id, la_soon.id]
    assert [hit.starts_in_minutes for hit in results.meetings] == [30, 45]
    assert results.meetings[1].next_start == dt.datetime(2026, 11, 25, 9, 45, tzinfo=results.meetings[1].next_start.tzinfo)
    assert str(results.meetings[1].next_start.tzinfo) == "America/Los_Angeles"


def test_in_progress_past_midnight(session, make_meeting, at):
    # Thursday 05:30 UTC = 00:30 Thursday in New York; Wednesday 23:30 for 90 minutes is still going.
    now = dt.datetime(2026, 11, 26, 5, 30, tzinfo=UTC)
    late = make_meeting(place=at(*PHILLY), times=[(2, "23:30", 90)])
    make_meeting(place=at(*PHILLY), times=[(2, "23:00", 60)])  # ended at midnight
    results = find_nearby(session, SearchQuery(point=PHILLY, radius_km=10, in_progress=True), now)
    assert ids(results.meetings) == [late.id]
    hit = results.meetings[0]
    assert hit.in_progress and hit.starts_in_minutes is None
    assert hit.next_start.isoformat() == "2026-11-25T23:30:00-05:00"


def test_starting_within_on_the_spring_forward_night(session, make_meeting, at):
    # 2026-03-08 07:10 UTC = 03:10 EDT, just after New York skipped 02:00-03:00.
    now = dt.datetime(2026, 3, 8, 7, 10, tzinfo=UTC)
    soon = make_meeting(place=at(*PHILLY), times=[(6, "03:30", 60)])
    make_meeting(place=at(*PHILLY), times=[(6, "04:30", 60)])  # 80 minutes away
    results = find_nearby(session, SearchQuery(point=PHILLY, radius_km=10, starts_within=30), now)
    assert ids(results.meetings) == [soon.id]
    assert results.meetings[0].starts_in_minutes == 20


def test_a_cancelled_date_is_not_starting_soon(session, make_meeting, at, now):
    today = dt.date(2026, 11, 25)
    make_meeting(place=at(*PHILLY), times=[(2, "12:30", 60)],
                 exceptions=[dict(kind="cancelled", start_date=today, end_date=today, reason="Thanksgiving eve")])
    results = find_nearby(session, SearchQuery(point=PHILLY, radius_km=10, starts_within=60), now)
    assert results.meetings == []
    every = find_nearby(session, SearchQuery(point=PHILLY, radius_km=10), now)
    assert every.meetings[0].next_start.date() == dt.date(2026, 12, 2)


def test_exceptions_in_reach_or_not_give_the_schedules_answer(session, make_meeting, at, now, monkeypatch):
    """A closure weeks away takes the clock's quick path, one that cancels the next weeks the exact one; both
    answer what finder.core.schedule says."""
    today = dt.date(2026, 11, 25)
    later = make_meeting(place=at(*PHILLY), times=[(2, "12:30", 60)], exceptions=[dict(
        kind="closed", start_date=today + dt.timedelta(days=30), end_date=today + dt.timedelta(days=60), reason="")])
    closed = make_meeting(place=at(39.9527, -75.1651), times=[(2, "12:30", 60)], exceptions=[dict(
        kind="closed", start_date=today, end_date=today + dt.timedelta(days=20), reason="")])
    exact = []
    real = clock.clock_exact
    monkeypatch.setattr(clock, "clock_exact", lambda c, *args: exact.append(c.meeting_id) or real(c, *args))
    hits = {hit.meeting.id: hit for hit in find_nearby(session, SearchQuery(point=PHILLY, radius_km=10), now).meetings}
    assert exact == [closed.id]
    assert hits[later.id].next_start.date() == dt.date(2026, 11, 25) and hits[later.id].starts_in_minutes == 30
    assert hits[closed.id].next_start.date() == dt.date(2026, 12, 16)  # the first Wednesday after the closure


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


# --- Centers and counselors -------------------------------------------------------------------------------------


def test_centers_by_service_and_payment(session, make_center, at, now):
    detox = make_center(place=at(*PHILLY), services=["DT", "BU", "MD"])
    make_center(place=at(39.96, -75.17), services=["OP", "PI"])
    make_center(place=at(*PITTSBURGH), services=["DT", "BU", "MD"])
    query = SearchQuery(point=PHILLY, radius_km=50, kinds=frozenset({"centers"}),
                        center_services=frozenset({"DT", "BU"}), payment=frozenset({"MD", "NP"}))
    results = find_nearby(session, query, now)
    assert [hit.center.id for hit in results.centers] == [detox.id]
    assert results.meetings == [] and results.total_centers == 1
    nearest = find_nearby(session, replace(query, radius_km=None, nearest=2), now)
    assert len(nearest.centers) == 2 and nearest.centers[1].distance_km > 400


def test_counselors_nearest_office_and_filters(session, make_counselor, at, now):
    near_office, far_office = at(39.96, -75.17), at(*NYC)
    both = make_counselor(offices=[far_office, near_office], terms=[("approach", "cbt"), ("insurance", "medicaid")])
    make_counselor(offices=[at(*PHILLY)], telehealth=False, accepting="waitlist")
    query = SearchQuery(point=PHILLY, radius_km=300, kinds=frozenset({"counselors"}))
    results = find_nearby(session, query, now)
    assert len(results.counselors) == 2
    only = find_nearby(session, replace(query, approaches=frozenset({"cbt"}), telehealth=True, accepting=True,
                                        payment=frozenset({"MD"})), now)
    assert [hit.counselor.id for hit in only.counselors] == [both.id]
    assert only.counselors[0].office.id == near_office.id
    assert only.counselors[0].distance_km == pytest.approx(spherical_km(PHILLY, (39.96, -75.17)), rel=1e-9)


def test_all_kinds_at_once(session, make_meeting, make_center, make_counselor, at, now):
    make_meeting(place=at(*PHILLY))
    make_center(place=at(*PHILLY))
    make_counselor(offices=[at(*PHILLY)])
    results = find_nearby(session, SearchQuery(point=PHILLY, radius_km=5, kinds=frozenset({"meetings", "centers",
                                                                                           "counselors"})), now)
    assert (results.total_meetings, results.total_centers, results.total_counselors) == (1, 1, 1)


# --- Bad queries ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("query", [
    SearchQuery(point=(91.0, 0.0), radius_km=5),
    SearchQuery(point=(0.0, 0.0), radius_km=-1),
    SearchQuery(point=(0.0, 0.0), radius_km=MAX_RADIUS_KM * 2),
    SearchQuery(point=(0.0, 0.0), radius_km=math.nan),
    SearchQuery(point=(0.0, 0.0), nearest=0),
    SearchQuery(radius_km=5),
    SearchQuery(point=(0.0, 0.0), radius_km=5, kinds=frozenset({"bars"})),
    SearchQuery(point=(0.0, 0.0), radius_km=5, page=0),
])
def test_invalid_queries_raise_search_error(sqlite_app, query, now):
    from finder import db

    with db.session_factory(sqlite_app)() as session:
        with pytest.raises(SearchError):
            find_nearby(session, query, now)


def test_naive_now_is_refused(sqlite_app):
    from finder import db

    with db.session_factory(sqlite_app)() as session, pytest.raises(ValueError):
        find_nearby(session, SearchQuery(), dt.datetime(2026, 1, 1))


# --- query_from_args --------------------------------------------------------------------------------------------


class MultiDict(dict):
    def getlist(self, key):
        value = self.get(key)
        return [] if value is None else value if isinstance(value, list) else [value]


@pytest.fixture(scope="module")
def geocoder():
    return shared_gazetteer()


def test_args_full(geocoder):
    query = query_from_args(MultiDict({
        "lat": "39.95", "lon": "-75.16", "radius": "10", "unit": "km", "kind": "all", "day": ["mon", "wed"],
        "from": "18:00", "to": "9pm", "soon": "60", "now": "1", "format": ["o", "BEG"], "any_format": "STEP,TRAD",
        "attendance": ["in-person", "hybrid"], "lang": "ES", "wheelchair": "1", "open": "closed", "body": "3",
        "group": ["4", "5"], "online": "1", "service": "DT", "payment": "md", "approach": "CBT",
        "telehealth": "yes", "accepting": "true", "sort": "next", "page": "2", "per_page": "50",
    }), geocoder)
    assert query.point == (39.95, -75.16) and query.radius_km == 10
    assert query.kinds == {"meetings", "centers", "counselors"}
    assert query.weekdays == {0, 2} and (query.time_from, query.time_to) == (dt.time(18), dt.time(21))
    assert query.starts_within == 60 and query.in_progress
    assert query.formats_all == {"O", "BEG"} and query.formats_any == {"STEP", "TRAD"}
    assert query.attendance == {"in_person", "hybrid"} and query.language == "es"
    assert query.wheelchair and query.open_closed == "closed" and query.include_online
    assert query.service_body_ids == {3} and query.group_ids == {4, 5}
    assert query.center_services == {"DT"} and query.payment == {"MD"} and query.approaches == {"cbt"}
    assert query.telehealth and query.accepting and query.sort == "next_start"
    assert (query.page, query.per_page) == (2, 50)


def test_args_place_text_and_defaults(geocoder):
    query = query_from_args({"q": "Saint Louis, MO"}, geocoder)
    assert geo.haversine_km(*query.point, 38.627, -90.199) < 15
    assert query.radius_km == pytest.approx(DEFAULT_RADIUS_KM) and query.kinds == {"meetings"}
    assert query_from_args({"q": "63101", "radius": "5"}, geocoder).radius_km == pytest.approx(geo.miles_to_km(5))
    assert query_from_args({"q": "63101", "nearest": "10"}, geocoder).radius_km is None
    assert query_from_args({}, geocoder, default_kinds=frozenset({"centers"})).kinds == {"centers"}
    assert query_from_args({}, geocoder).point is None


def test_unknown_place_gets_suggestions(geocoder):
    with pytest.raises(SearchError) as caught:
        query_from_args({"q": "Sant Lois, MO"}, geocoder)
    assert caught.value.field == "q"
    assert "couldn't find" in caught.value.message
    assert "Saint Louis, MO" in caught.value.suggestions


@pytest.mark.parametrize("args,field", [
    ({"lat": "91", "lon": "0"}, "lat"),
    ({"lat": "0", "lon": "-180.5"}, "lon"),
    ({"lat": "0"}, "lon"),
    ({"lat": "nan", "lon": "0"}, "lat"),
    ({"lat": "1e999", "lon": "0"}, "lat"),
    ({"lat": "abc", "lon": "0"}, "lat"),
    ({"q": "95,200"}, "q"),
    ({"q": "10001", "radius": "-5"}, "radius"),
    ({"q": "10001", "radius": "0"}, "radius"),
    ({"q": "10001", "radius": "100000"}, "radius"),
    ({"q": "10001", "radius": "inf"}, "radius"),
    ({"q": "10001", "unit": "furlongs"}, "unit"),
    ({"q": "10001", "nearest": "0"}, "nearest"),
    ({"q": "10001", "nearest": "5000"}, "nearest"),
    ({"q": "10001", "nearest": "2.5"}, "nearest"),
    ({"radius": "5"}, "q"),
    ({"kind": "bars"}, "kind"),
    ({"day": "funday"}, "day"),
    ({"from": "25:00"}, "from"),
    ({"to": "7:61"}, "to"),
    ({"from": "13pm"}, "from"),
    ({"soon": "-5"}, "soon"),
    ({"soon": "99999"}, "soon"),
    ({"now": "maybe"}, "now"),
    ({"format": "XYZ"}, "format"),
    ({"any_format": "O,nope"}, "any_format"),
    ({"attendance": "telepathy"}, "attendance"),
    ({"lang": "english!"}, "lang"),
    ({"open": "ajar"}, "open"),
    ({"body": "-1"}, "body"),
    ({"group": "x"}, "group"),
    ({"service": "SPA"}, "service"),
    ({"payment": "BITCOIN"}, "payment"),
    ({"approach": "shouting"}, "approach"),
    ({"sort": "random"}, "sort"),
    ({"page": "0"}, "page"),
    ({"per_page": "1000"}, "per_page"),
    ({"per_page": "0"}, "per_page"),
    ({"format": ["O"] * 60}, "format"),
])
def test_bad_args_say_which_field(geocoder, args, field):
    with pytest.raises(SearchError) as caught:
        query_from_args(MultiDict(args), geocoder)
    assert caught.value.field == field
    assert caught.value.message


PARAMS = ["q", "lat", "lon", "radius", "unit", "nearest", "kind", "day", "from", "to", "soon", "now", "format",
          "any_format", "attendance", "lang", "wheelchair", "open", "body", "group", "online", "service", "payment",
          "approach", "telehealth", "accepting", "sort", "page", "per_page"]
hostile = st.one_of(st.text(max_size=30), st.sampled_from(
    ["", "0", "-1", "1e309", "nan", "NaN", "inf", "-0", "٣", "１２", "24:00", "99:99", "'; DROP TABLE meetings; --",
     "mon,tue,,", "%00", "\x00", "1" * 400, "all", "O,C", "180", "-90", "mi", "km"]))


@settings(max_examples=300, deadline=None)
@given(args=st.dictionaries(st.sampled_from(PARAMS), st.one_of(hostile, st.lists(hostile, max_size=4)), max_size=6))
def test_hostile_args_give_a_query_or_a_search_error(geocoder, args):
    try:
        query = query_from_args(MultiDict(args), geocoder)
    except SearchError as exc:
        assert exc.field and exc.message
        return
    assert query.point is None or geo.valid_point(*query.point)
    assert query.radius_km is None or 0 < query.radius_km <= MAX_RADIUS_KM


# --- Exactness: the index never changes the answer ------------------------------------------------------------------

# Clusters where the geometry is hard: the antimeridian on both sides, both poles, the equator, dense and sparse.
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


# --- The clock arithmetic agrees with finder.core.schedule ------------------------------------------------------------


def test_day_filter_and_starting_soon_together(session, make_meeting, at, now):
    # The time filters are EXISTS subqueries on meeting_times while the clock path joins it: they must not mix.
    soon = make_meeting(place=at(*PHILLY), times=[(2, "12:30", 60), (4, "19:00", 60)])
    make_meeting(place=at(*PHILLY), times=[(3, "12:30", 60)])
    query = SearchQuery(point=PHILLY, radius_km=10, weekdays=frozenset({4}), starts_within=60)
    assert ids(find_nearby(session, query, now).meetings) == [soon.id]
    query = SearchQuery(point=PHILLY, radius_km=10, weekdays=frozenset({3}), starts_within=60)
    assert find_nearby(session, query, now).meetings == []


@settings(max_examples=300, deadline=None)
@given(
    zone=st.sampled_from(["America/New_York", "Europe/London", "Australia/Lord_Howe", "Asia/Kolkata",
                          "Pacific/Chatham", "America/St_Johns", "UTC", "Not/AZone"]),
    minutes=st.integers(0, 2 * 366 * 24 * 60),
    times=st.lists(st.tuples(st.integers(0, 6), st.integers(0, 23), st.sampled_from([0, 15, 30, 45]),
                             st.sampled_from([30, 60, 90, 180, 1440])), min_size=0, max_size=4),
)
def test_wall_clock_arithmetic_matches_schedule(zone, minutes, times):

    now = dt.datetime(2026, 1, 1, tzinfo=UTC) + dt.timedelta(minutes=minutes, seconds=17)
    weekly = [(w, dt.time(h, m), d) for w, h, m, d in times]
    fast = clock.Candidate(1, "m", None, False, zone, times=list(weekly))
    clock.read_clocks(None, [fast], now)
    exact = clock.Candidate(1, "m", None, False, zone, times=list(weekly))
    clock.clock_exact(exact, now, [])
    assert fast.next_in == pytest.approx(exact.next_in, abs=1e-6)
    assert fast.next_start == exact.next_start
    assert (fast.next_start is None or str(fast.next_start.tzinfo) == str(exact.next_start.tzinfo))
    assert fast.running_start == exact.running_start
    if exact.running_since is None:
        assert fast.running_since is None
    else:
        assert fast.running_since == pytest.approx(exact.running_since, abs=1e-6)
    if fast.next_start is not None:  # the same wall clock, not only the same instant
        assert fast.next_start.replace(tzinfo=None) == exact.next_start.replace(tzinfo=None)


# --- Without the clock (feeds that need no next occurrence) ------------------------------------------------------


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


# --- Ties at one address ----------------------------------------------------------------------------------------


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


# --- The clock prefilter: a superset of the exact answer ------------------------------------------------------------

PREFILTER_ZONES = ["America/New_York", "Europe/London", "Australia/Sydney", "Asia/Kolkata", "Pacific/Chatham",
                   "America/St_Johns", "Pacific/Kiritimati", "Pacific/Pago_Pago"]
PREFILTER_STARTS = [dt.time(0), dt.time(0, 30), dt.time(1, 30), dt.time(2, 30), dt.time(3), dt.time(12),
                    dt.time(22, 30), dt.time(23, 30), dt.time(23, 59)]


@pytest.fixture
def every_zone_and_hour(session):
    """One meeting per zone, weekday and start in PREFILTER_STARTS; returns (meeting id, zone, weekday, start)."""
    place_ids = session.scalars(insert(Place).returning(Place.id), [
        dict(name="", street="", city="", region="", postal_code="", country="US", latitude=0.0, longitude=0.0,
             precision="rooftop", timezone=zone, notes="") for zone in PREFILTER_ZONES]).all()
    slots = [(pid, zone, weekday, start) for pid, zone in zip(place_ids, PREFILTER_ZONES)
             for weekday in range(7) for start in PREFILTER_STARTS]
    created = dt.datetime(2026, 1, 1, tzinfo=UTC)
    meeting_ids = session.scalars(insert(Meeting).returning(Meeting.id), [
        dict(slug=f"p{i}", name=f"P{i:04d}", place_id=pid, attendance="online", status="active", published=True,
             language="en", created_at=created, updated_at=created) for i, (pid, *_rest) in enumerate(slots)]).all()
    session.execute(insert(MeetingTime), [dict(meeting_id=m, weekday=w, start=s, duration_minutes=90)
                                          for m, (_pid, _zone, w, s) in zip(meeting_ids, slots)])
    session.flush()
    return [(m, zone, w, s) for m, (_pid, zone, w, s) in zip(meeting_ids, slots)]


@pytest.mark.parametrize("now", [
    dt.datetime(2026, 3, 8, 6, 50, tzinfo=UTC),  # New York, ten minutes before it springs forward
    dt.datetime(2026, 11, 1, 5, 30, tzinfo=UTC),  # New York, inside the hour it repeats
    dt.datetime(2026, 3, 29, 0, 45, tzinfo=UTC),  # London, fifteen minutes before it springs forward
    dt.datetime(2026, 4, 4, 15, 30, tzinfo=UTC),  # Sydney and Chatham, before their clocks go back
    dt.datetime(2026, 9, 26, 13, 50, tzinfo=UTC),  # Chatham springs forward at 02:45 local
    dt.datetime(2026, 12, 6, 4, 30, tzinfo=UTC),  # Saturday 23:30 in New York: the week wraps to Sunday
    dt.datetime(2026, 12, 5, 9, 40, tzinfo=UTC),  # Saturday 23:40 in Kiritimati (UTC+14)
], ids=["ny-spring", "ny-fall", "london-spring", "sydney-fall", "chatham-spring", "ny-week-wraps", "kiritimati-wraps"])
@pytest.mark.parametrize("starts_within,in_progress", [(30, False), (120, False), (None, True)])
def test_clock_prefilter_holds_every_exact_answer(session, every_zone_and_hour, now, starts_within, in_progress):
    query = SearchQuery(include_online=True, starts_within=starts_within, in_progress=in_progress)
    narrowed = set(session.scalars(select(Meeting.id).join(Place).where(clock.clock_prefilter(query, now))))
    candidates = [clock.Candidate(m, "", None, True, zone, times=[(w, s, 90)]) for m, zone, w, s in every_zone_and_hour]
    clock.read_clocks(session, candidates, now, skips={})
    exact = {c.meeting_id for c in candidates if clock.passes_clock(c, query)}
    assert exact and exact <= narrowed
    assert len(narrowed) < len(candidates)


# --- Online meetings starting soon: online_times's index (migration 0010) -----------------------------------------

ONLINE_NOWS = [
    dt.datetime(2026, 3, 8, 6, 50, tzinfo=UTC),  # New York, ten minutes before it springs forward
    dt.datetime(2026, 3, 8, 7, 10, tzinfo=UTC),  # New York, ten minutes after: 02:30 (no such time) is at 03:30
    dt.datetime(2026, 11, 1, 5, 30, tzinfo=UTC),  # New York, inside the hour it repeats
    dt.datetime(2026, 3, 29, 0, 45, tzinfo=UTC),  # London, fifteen minutes before it springs forward
    dt.datetime(2026, 4, 4, 15, 30, tzinfo=UTC),  # Sydney and Chatham, before their clocks go back
    dt.datetime(2026, 9, 26, 13, 50, tzinfo=UTC),  # Chatham springs forward at 02:45 local
    dt.datetime(2026, 12, 6, 4, 30, tzinfo=UTC),  # Saturday 23:30 in New York: the week wraps to Sunday
    dt.datetime(2026, 12, 5, 9, 40, tzinfo=UTC),  # Saturday 23:40 in Kiritimati (UTC+14)
    dt.datetime(2026, 12, 7, 10, 45, tzinfo=UTC),  # Sunday 23:45 in Pago Pago (UTC-11), Tuesday 00:45 in Kiritimati
    dt.datetime(2026, 12, 9, 16, 45, 30, tzinfo=UTC),  # no change anywhere near: every zone's window is exact
]
ONLINE_IDS = ["ny-spring", "ny-after-gap", "ny-fall", "london-spring", "sydney-fall", "chatham-spring",
              "ny-week-wraps", "kiritimati-wraps", "pago-pago-wraps", "steady"]


def _online_narrowed(session, query, now):
    return set(clock.online_prefilter(session.connection(), query, now, clock.online_attendance(query)))


@pytest.mark.parametrize("now", ONLINE_NOWS, ids=ONLINE_IDS)
@pytest.mark.parametrize("starts_within,in_progress", [(30, False), (120, False), (None, True), (60, True)])
def test_online_prefilter_holds_every_exact_answer(session, every_zone_and_hour, now, starts_within, in_progress):
    query = SearchQuery(attendance=frozenset({"online", "hybrid"}), starts_within=starts_within,
                        in_progress=in_progress)
    narrowed = _online_narrowed(session, query, now)
    candidates = [clock.Candidate(m, "", None, True, zone, times=[(w, s, 90)]) for m, zone, w, s in every_zone_and_hour]
    clock.read_clocks(session, candidates, now, skips={})
    exact = {c.meeting_id for c in candidates if clock.passes_clock(c, query)}
    assert exact and exact <= narrowed
    if not in_progress:
        # Starting soon reads only the times starting soon: whole minutes (a start in now's own minute counts),
        # and around a change of offset the window of both offsets.
        week = clock.WEEK_MINUTES
        steady = {zone for zone in PREFILTER_ZONES if all(
            (now + dt.timedelta(hours=h)).astimezone(clock.zone_named(zone)).utcoffset()
            == now.astimezone(clock.zone_named(zone)).utcoffset() for h in (-3, 3, 6))}
        for c in candidates:
            if c.meeting_id in narrowed and c.timezone in steady:
                assert c.next_in <= starts_within or c.next_in > week - 1, (c.timezone, c.times)
        assert len(narrowed) < 2 * len(exact) + 10


def test_online_prefilter_keeps_the_old_answer(session, every_zone_and_hour):
    """Both prefilters hold the same exact answers, and the new one reads fewer meetings."""
    for now in ONLINE_NOWS:
        query = SearchQuery(attendance=frozenset({"online"}), starts_within=60)
        old = set(session.scalars(select(Meeting.id).join(Place).where(clock.clock_prefilter(query, now))))
        new = _online_narrowed(session, query, now)
        results = find_nearby(session, replace(query, per_page=0), now)
        assert {hit.meeting.id for hit in results.meetings} <= new <= old | new
        assert len(new) <= len(old)


@pytest.fixture
def online_across_zones(session, make_meeting, make_place):
    """Online and hybrid meetings east and west of UTC and across the antimeridian, all on Sunday at 19:00 local,
    plus one in-person meeting at the same time."""
    made = {}
    for zone, attendance in [("Pacific/Kiritimati", "online"), ("Pacific/Pago_Pago", "online"),
                             ("Asia/Kolkata", "hybrid"), ("America/Los_Angeles", "online"),
                             ("Europe/Berlin", "hybrid"), ("America/New_York", "in_person")]:
        made[zone] = make_meeting(name=f"Sunday {zone}", attendance=attendance, times=[(6, "19:00", 60)],
                                  place=make_place(timezone=zone))
    return made


def _online_now(session, now, attendance=("online", "hybrid"), within=60):
    query = SearchQuery(attendance=frozenset(attendance), starts_within=within, sort="next_start", per_page=0)
    return [hit.meeting.place.timezone for hit in find_nearby(session, query, now).meetings]


@pytest.mark.parametrize("zone,utc_start", [
    ("Pacific/Kiritimati", dt.datetime(2026, 12, 6, 5, 0, tzinfo=UTC)),  # Sunday 19:00 at UTC+14: Sunday 05:00 UTC
    ("Pacific/Pago_Pago", dt.datetime(2026, 12, 7, 6, 0, tzinfo=UTC)),  # Sunday 19:00 at UTC-11: Monday 06:00 UTC
    ("Asia/Kolkata", dt.datetime(2026, 12, 6, 13, 30, tzinfo=UTC)),  # UTC+5:30
    ("America/Los_Angeles", dt.datetime(2026, 12, 7, 3, 0, tzinfo=UTC)),  # UTC-8: Monday 03:00 UTC
    ("Europe/Berlin", dt.datetime(2026, 12, 6, 18, 0, tzinfo=UTC)),  # UTC+1
])
def test_online_starting_soon_in_each_zone(session, online_across_zones, zone, utc_start):
    assert _online_now(session, utc_start - dt.timedelta(minutes=45)) == [zone]
    assert _online_now(session, utc_start - dt.timedelta(minutes=61)) == []
    assert _online_now(session, utc_start) == []  # begun: no longer "starting"
    assert zone not in _online_now(session, utc_start + dt.timedelta(days=7, minutes=-30), within=20)


def test_online_starting_soon_online_only_or_hybrid(session, online_across_zones):
    now = dt.datetime(2026, 12, 6, 12, 50, tzinfo=UTC)  # Kolkata 18:20, Kiritimati Monday 02:50
    assert _online_now(session, now) == ["Asia/Kolkata"]
    assert _online_now(session, now, attendance=("online",)) == []
    assert _online_now(session, now, attendance=("hybrid",)) == ["Asia/Kolkata"]
    # Berlin (hybrid) and New York (in person) in one window: only the hybrid one can be joined online.
    evening = dt.datetime(2026, 12, 6, 17, 30, tzinfo=UTC)
    assert _online_now(session, evening, within=24 * 60) == [
        "Europe/Berlin", "America/Los_Angeles", "Pacific/Pago_Pago"]
    assert _online_now(session, evening, attendance=("online",), within=24 * 60) == [
        "America/Los_Angeles", "Pacific/Pago_Pago"]


def test_online_starting_soon_through_a_dst_week(session, make_meeting, make_place):
    """New York springs forward on Sunday 8 March 2026: a 19:00 meeting is at 00:00 UTC before, 23:00 UTC after;
    a 02:30 meeting that day (no such time) starts at 03:30 EDT."""
    evening = make_meeting(attendance="online", times=[(d, "19:00", 60) for d in range(7)],
                           place=make_place(timezone="America/New_York"))
    gap = make_meeting(attendance="online", times=[(6, "02:30", 60)], place=make_place(timezone="America/New_York"))
    saturday = dt.datetime(2026, 3, 7, 23, 30, tzinfo=UTC)  # Saturday 18:30 EST
    sunday = dt.datetime(2026, 3, 8, 22, 30, tzinfo=UTC)  # Sunday 18:30 EDT
    for now in (saturday, sunday):
        hits = find_nearby(session, SearchQuery(attendance=frozenset({"online"}), starts_within=30), now).meetings
        assert [hit.meeting.id for hit in hits] == [evening.id] and hits[0].starts_in_minutes == 30
    after_gap = dt.datetime(2026, 3, 8, 7, 10, tzinfo=UTC)  # 03:10 EDT
    hits = find_nearby(session, SearchQuery(attendance=frozenset({"online"}), starts_within=30), after_gap).meetings
    assert [hit.meeting.id for hit in hits] == [gap.id] and hits[0].starts_in_minutes == 20


def test_online_starting_soon_leaves_unlisted_meetings(session, make_meeting, make_place, now):
    times = [(d, (now + dt.timedelta(minutes=20)).astimezone(clock.zone_named("Europe/London")).time(), 60)
             for d in range(7)]
    shown = make_meeting(attendance="online", times=times, place=make_place(timezone="Europe/London"))
    make_meeting(attendance="online", times=times, published=False, place=make_place(timezone="Europe/London"))
    make_meeting(attendance="online", times=times, status="inactive", place=make_place(timezone="Europe/London"))
    hits = find_nearby(session, SearchQuery(attendance=frozenset({"online", "hybrid"}), starts_within=30), now)
    assert [hit.meeting.id for hit in hits.meetings] == [shown.id]


@pytest.mark.parametrize("now", ONLINE_NOWS[::3], ids=ONLINE_IDS[::3])
def test_online_now_reads_the_same_with_or_without_other_filters(session, every_zone_and_hour, now):
    """"Online meetings starting now" reads only online_times and the meetings' weekly times and exceptions; with
    any other filter it reads the meetings' rows. Both give the same hits, in the same order, cancelled weeks
    included."""
    for meeting_id, _zone, _weekday, _start in every_zone_and_hour[::5]:
        session.add(ScheduleException(meeting_id=meeting_id, kind="cancelled", start_date=now.date(),
                                      end_date=now.date()))
    session.flush()
    for within, running in ((120, False), (60, True)):
        query = SearchQuery(attendance=frozenset({"online", "hybrid"}), starts_within=within, in_progress=running,
                            sort="next_start", per_page=0)
        lean = [(h.meeting.id, h.next_start, h.in_progress) for h in find_nearby(session, query, now).meetings]
        general = [(h.meeting.id, h.next_start, h.in_progress)
                   for h in find_nearby(session, replace(query, language="en"), now).meetings]
        assert lean and lean == general
