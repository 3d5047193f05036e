"""finder.search.providers: the treatment center and counselor searches."""


import pytest

from finder.search import SearchQuery, find_nearby, replace
from tests.helpers import spherical_km

PHILLY = (39.9526, -75.1652)
# Reference distances from Philadelphia City Hall, computed independently (spherical, R = 6371.0088 km).
NYC = (40.7128, -74.0060)  # ~129.6 km
PITTSBURGH = (40.4406, -79.9959)  # ~411 km


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
