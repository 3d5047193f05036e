"""Tests for finder.core.geo: distances, unit conversion and bounding boxes at the antimeridian and poles."""

import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from finder.core import geo


def destination(lat: float, lon: float, bearing_deg: float, distance_km: float) -> tuple[float, float]:
    """Point reached from (lat, lon) along a great circle: an independent construction for the box tests."""
    d = distance_km / geo.EARTH_RADIUS_KM
    phi1, lmb1, theta = math.radians(lat), math.radians(lon), math.radians(bearing_deg)
    phi2 = math.asin(math.sin(phi1) * math.cos(d) + math.cos(phi1) * math.sin(d) * math.cos(theta))
    lmb2 = lmb1 + math.atan2(math.sin(theta) * math.sin(d) * math.cos(phi1), math.cos(d) - math.sin(phi1) * math.sin(phi2))
    lon2 = (math.degrees(lmb2) + 540.0) % 360.0 - 180.0
    return math.degrees(phi2), lon2


def test_one_degree_of_the_equator():
    assert geo.haversine_km(0, 0, 0, 1) == pytest.approx(2 * math.pi * geo.EARTH_RADIUS_KM / 360, rel=1e-12)


def test_known_city_pairs():
    # Spherical reference values computed independently with the spherical law of cosines.
    def cosines(lat1, lon1, lat2, lon2):
        p1, p2, dl = math.radians(lat1), math.radians(lat2), math.radians(lon2 - lon1)
        return geo.EARTH_RADIUS_KM * math.acos(math.sin(p1) * math.sin(p2) + math.cos(p1) * math.cos(p2) * math.cos(dl))

    pairs = [
        ((40.6413, -73.7781), (33.9416, -118.4085)),  # JFK - LAX, ~3983 km
        ((51.4700, -0.4543), (-33.9399, 151.1753)),  # LHR - SYD
        ((-17.7134, 178.0650), (-13.8333, -171.7667)),  # Fiji - Samoa, across the antimeridian
    ]
    for a, b in pairs:
        assert geo.haversine_km(*a, *b) == pytest.approx(cosines(*a, *b), rel=1e-9)
    assert 3970 < geo.haversine_km(40.6413, -73.7781, 33.9416, -118.4085) < 3990
    # Across the antimeridian the short way round is ~1150 km, not ~38000.
    assert geo.haversine_km(-17.7134, 178.0650, -13.8333, -171.7667) < 1200


def test_antipodes_and_identity():
    assert geo.haversine_km(10, 20, 10, 20) == 0.0
    assert geo.haversine_km(0, 0, 0, 180) == pytest.approx(geo.MAX_DISTANCE_KM)
    assert geo.haversine_km(90, 0, -90, 0) == pytest.approx(geo.MAX_DISTANCE_KM)


def test_miles_round_trip():
    assert geo.miles_to_km(1) == 1.609344
    assert geo.km_to_miles(geo.miles_to_km(25)) == pytest.approx(25)


def test_plain_box():
    box = geo.bounding_box(40.0, -75.0, 10.0)
    assert len(box.lon_ranges) == 1
    (west, east), = box.lon_ranges
    assert west < -75.0 < east
    assert box.max_lat - 40.0 == pytest.approx(10.0 / 111.195, rel=1e-3)
    # At 40 degrees a degree of longitude is shorter, so the box is wider in longitude than latitude.
    assert east - west > box.max_lat - box.min_lat


def test_box_splits_at_the_antimeridian():
    box = geo.bounding_box(-17.0, 179.9, 50.0)
    assert len(box.lon_ranges) == 2
    assert box.contains(-17.0, -179.8)
    assert box.contains(-17.0, 179.5)
    assert not box.contains(-17.0, 0.0)
    west = geo.bounding_box(0.0, -179.95, 20.0)
    assert len(west.lon_ranges) == 2 and west.contains(0.0, 179.95)


def test_box_over_a_pole_spans_every_longitude():
    box = geo.bounding_box(89.5, 10.0, 100.0)
    assert box.full_longitude and box.max_lat == 90.0
    assert box.contains(89.8, -170.0)
    south = geo.bounding_box(-89.9, 0.0, 20.0)
    assert south.full_longitude and south.min_lat == -90.0


def test_huge_radius_is_the_whole_world():
    box = geo.bounding_box(0, 0, 30000)
    assert box.full_longitude and (box.min_lat, box.max_lat) == (-90.0, 90.0)


@pytest.mark.parametrize("lat,lon,radius", [(91, 0, 1), (0, 181, 1), (math.nan, 0, 1), (0, 0, -1), (0, 0, math.inf)])
def test_box_rejects_bad_input(lat, lon, radius):
    with pytest.raises(ValueError):
        geo.bounding_box(lat, lon, radius)


def test_valid_point():
    assert geo.valid_point(90, -180)
    assert not geo.valid_point(-90.0001, 0)
    assert not geo.valid_point(0, math.inf)


latitudes = st.one_of(st.floats(-90, 90), st.sampled_from([89.99, -89.99, 88.0, -88.0, 0.0]))
longitudes = st.one_of(st.floats(-180, 180), st.sampled_from([179.99, -179.99, 180.0, -180.0]))


@settings(max_examples=400, deadline=None)
@given(lat=latitudes, lon=longitudes, radius=st.floats(0.001, 25000), bearing=st.floats(0, 360), fraction=st.floats(0, 1))
def test_every_point_of_the_circle_is_in_the_box(lat, lon, radius, bearing, fraction):
    inside_lat, inside_lon = destination(lat, lon, bearing, radius * fraction)
    if geo.haversine_km(lat, lon, inside_lat, inside_lon) > radius:
        return  # rounding of the independent construction overshot the circle
    assert geo.bounding_box(lat, lon, radius).contains(inside_lat, inside_lon)


@settings(max_examples=200, deadline=None)
@given(lat=st.floats(-80, 80), lon=longitudes, radius=st.floats(0.1, 2000))
def test_box_is_tight(lat, lon, radius):
    """The box touches the circle: its corners of latitude are reached exactly, longitude within 0.1%."""
    box = geo.bounding_box(lat, lon, radius)
    if box.full_longitude:
        return
    lat_extent = box.max_lat - lat
    assert lat_extent == pytest.approx(math.degrees(radius / geo.EARTH_RADIUS_KM), abs=1e-6)
    total_lon = sum(hi - lo for lo, hi in box.lon_ranges)
    # Walk the circle: the largest longitude offset seen must match the box half-width.
    max_offset = 0.0
    for i in range(720):
        _, plon = destination(lat, lon, i / 2, radius)
        offset = abs((plon - lon + 540.0) % 360.0 - 180.0)
        max_offset = max(max_offset, offset)
    assert total_lon / 2 == pytest.approx(max_offset, rel=2e-3, abs=1e-6)


def test_the_mile_is_defined_once() -> None:
    """KM_PER_MILE is the only place the number lives; everything else converts through it."""
    package = Path(__file__).resolve().parent.parent / "finder"
    holders = [str(path.relative_to(package.parent)) for path in sorted(package.rglob("*.py"))
               if "1.609" in path.read_text() or "1609" in path.read_text()]
    assert holders == ["finder/core/geo.py"]
    assert geo.km_to_miles(geo.KM_PER_MILE) == 1 and geo.miles_to_km(1) == geo.KM_PER_MILE
