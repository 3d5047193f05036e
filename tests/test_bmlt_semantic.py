"""finder.bmlt.semantic: every parameter of DOMAIN.md 3.2 against fixtures with known distances, and GetChanges."""
from __future__ import annotations

import datetime as dt
import math
from types import SimpleNamespace

import pytest

from finder.bmlt import semantic
from finder.core import bmlt
from tests.helpers import SPOTS, assert_all_strings
from tests.helpers import bmlt_get as get
from tests.helpers import bmlt_names as names

HALL = (39.9526, -75.1652)  # the reference point: Philadelphia City Hall


def sphere_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance by the spherical law of cosines: independent of the haversine under test."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    cosine = math.sin(lat1) * math.sin(lat2) + math.cos(lat1) * math.cos(lat2) * math.cos(lon2 - lon1)
    return 6371.0088 * math.acos(max(-1.0, min(1.0, cosine)))



@pytest.mark.parametrize("width, unit", [(10, "geo_width"), (16.09344, "geo_width_km")])
def test_radius_and_distances(client, world, width: float, unit: str) -> None:
    records = get(client, f"switcher=GetSearchResults&lat_val={HALL[0]}&long_val={HALL[1]}&{unit}={width}"
                          "&sort_results_by_distance=1")
    expected = sorted((sphere_km(HALL, SPOTS[k]), k) for k in "abce" if sphere_km(HALL, SPOTS[k]) <= 16.09344)
    assert [r["meeting_name"][0].lower() for r in records] == ["a", "e", "e", "b"] == \
        [k for _, k in expected for _ in range(2 if k == "e" else 1)]
    for record in records:
        key = record["meeting_name"][0].lower()
        assert float(record["distance_in_km"]) == pytest.approx(sphere_km(HALL, SPOTS[key]), abs=1e-3)
        assert float(record["distance_in_miles"]) == pytest.approx(sphere_km(HALL, SPOTS[key]) / 1.609344, abs=1e-3)


@pytest.mark.parametrize("n, expected", [(1, ["Alpha"]), (3, ["Alpha", "Echo", "Echo", "Bravo"]),
                                         (4, ["Alpha", "Echo", "Echo", "Bravo", "Charlie"])])
def test_negative_width_means_n_nearest(client, world, n: int, expected: list[str]) -> None:
    records = get(client, f"switcher=GetSearchResults&lat_val={HALL[0]}&long_val={HALL[1]}&geo_width=-{n}"
                          "&sort_results_by_distance=1")
    assert names(records) == expected
    farthest = max(float(r["distance_in_km"]) for r in records)
    others = [sphere_km(HALL, SPOTS[k]) for k in "abcde"]
    assert sum(1 for d in others if d <= farthest + 1e-3) == n  # the smallest radius holding N meetings


@pytest.mark.parametrize("query, expected", [
    ("weekdays=2", ["Alpha"]),
    ("weekdays[]=1&weekdays[]=7", ["Charlie", "Delta"]),
    ("weekdays=3,5", ["Echo", "Echo"]),
    ("weekdays=-2&weekdays=-3&weekdays=-5", ["Charlie", "Bravo", "Delta"]),
    ("venue_types=2", ["Charlie"]),
    ("venue_types[]=1&venue_types[]=3", ["Alpha", "Echo", "Echo", "Bravo", "Delta"]),
    ("venue_types=-1", ["Charlie", "Bravo"]),
    ("StartsAfterH=18&StartsAfterM=30", ["Charlie", "Alpha", "Delta"]),
    ("StartsBeforeH=12", ["Echo"]),
    ("StartsAfterH=11&StartsBeforeH=19", ["Echo", "Bravo"]),
    ("SearchString=echo", ["Echo", "Echo"]),
    ("SearchString=lansdale", ["Delta"]),
])
def test_filters(client, world, query: str, expected: list[str]) -> None:
    assert names(get(client, f"switcher=GetSearchResults&{query}")) == expected


def _format_ids(client) -> dict[str, str]:
    return {f["key_string"]: f["id"] for f in get(client, "switcher=GetFormats&show_all=1")}


def test_formats_and_or_and_excluded(client, world) -> None:
    ids = _format_ids(client)
    base = "switcher=GetSearchResults"
    assert names(get(client, f"{base}&formats[]={ids['O']}&formats[]={ids['WCHR']}")) == ["Alpha"]
    assert names(get(client, f"{base}&formats={ids['SPK']},{ids['JFT']}&formats_comparison_operator=OR")) == \
        ["Charlie", "Delta"]
    assert names(get(client, f"{base}&formats=-{ids['C']}")) == ["Charlie", "Alpha", "Echo", "Echo"]
    assert names(get(client, f"{base}&formats={ids['VM']}")) == ["Charlie"]
    assert names(get(client, f"{base}&formats={ids['HY']}")) == ["Bravo"]
    assert names(get(client, f"{base}&formats={ids['TC']}")) == ["Delta"]
    assert names(get(client, f"{base}&formats={ids['O']}&formats=-{ids['BT']}")) == ["Charlie", "Alpha"]


def test_services_with_and_without_recursion(client, world) -> None:
    base = "switcher=GetSearchResults"
    assert names(get(client, f"{base}&services={world.region.id}")) == []
    assert len(get(client, f"{base}&services={world.region.id}&recursive=1")) == 6
    assert names(get(client, f"{base}&services[]={world.area2.id}")) == ["Charlie", "Delta"]
    assert names(get(client, f"{base}&services[]={world.group.id}")) == ["Bravo"]
    assert names(get(client, f"{base}&services={world.region.id}&services=-{world.area1.id}&recursive=1")) == \
        ["Charlie", "Delta"]


def test_sort_paging_fields_and_ids(client, world) -> None:
    base = "switcher=GetSearchResults"
    assert names(get(client, f"{base}&sort_keys=meeting_name")) == ["Alpha", "Bravo", "Charlie", "Delta", "Echo",
                                                                     "Echo"]
    by_town = f"{base}&sort_keys=location_municipality,meeting_name&page_size=2"
    assert names(get(client, by_town)) == ["Delta", "Charlie"]  # Lansdale, Norristown, then Philadelphia
    assert names(get(client, f"{by_town}&page_num=2")) == ["Alpha", "Bravo"]
    assert names(get(client, f"{by_town}&page_num=9")) == []
    records = get(client, f"{base}&data_field_key=meeting_name,weekday_tinyint,not_a_field")
    assert all(set(r) == {"meeting_name", "weekday_tinyint"} for r in records)
    echo_ids = [r["id_bigint"] for r in get(client, f"{base}&SearchString=echo")]
    assert names(get(client, f"{base}&meeting_ids[]={echo_ids[1]}")) == ["Echo"]


def test_get_used_formats_shape(client, world) -> None:
    answer = get(client, f"switcher=GetSearchResults&get_used_formats&services[]={world.area2.id}")
    assert set(answer) == {"meetings", "formats"}
    used = {k for r in answer["meetings"] for k in r["formats"].split(",")}
    assert {f["key_string"] for f in answer["formats"]} == used == {"O", "SPK", "ES", "VM", "C", "JFT", "TC"}
    only = get(client, f"switcher=GetSearchResults&get_formats_only&services[]={world.area2.id}")
    assert set(only) == {"formats"}


def test_get_formats_in_use_by_default(client, world) -> None:
    keys = {f["key_string"] for f in get(client, "switcher=GetFormats")}
    assert keys == {"O", "C", "DISC", "WCHR", "STEP", "HY", "SPK", "ES", "VM", "JFT", "TC", "BT"}
    everything = get(client, "switcher=GetFormats&show_all=1")
    assert len(everything) > len(keys) and all(f["format_type_enum"] for f in everything)
    assert_all_strings(everything)


def test_service_bodies_shapes(client, world) -> None:
    bodies = {b["name"]: b for b in get(client, "switcher=GetServiceBodies")}
    assert bodies["Eastern PA Region"]["parent_id"] == "0" and bodies["Eastern PA Region"]["type"] == "RS"
    assert bodies["Philadelphia Area"]["helpline"] == "215-555-0100"
    assert bodies["Lunch Group"]["type"] == "GR"
    tree = get(client, f"switcher=GetServiceBodies&services={world.region.id}&recursive=1")
    assert len(tree) == 4
    assert [b["name"] for b in get(client, f"switcher=GetServiceBodies&services={world.area2.id}")] == \
        ["Montgomery Area"]


def test_server_info_field_keys_and_values(client, world) -> None:
    (info,) = get(client, "switcher=GetServerInfo")
    assert info["version"].startswith("3.") and "meeting_name" in info["available_keys"]
    assert_all_strings(info)
    keys = get(client, "switcher=GetFieldKeys")
    assert {k["key"] for k in keys} == set(bmlt.BMLT_FIELD_NAMES)
    values = get(client, "switcher=GetFieldValues&meeting_key=location_municipality")
    assert {v["location_municipality"] for v in values} >= {"Philadelphia", "Norristown", "Lansdale"}
    get(client, "switcher=GetFieldValues&meeting_key=password", 400)


@pytest.mark.parametrize("query, field", [
    ("switcher=Nope", "switcher"), ("", "switcher"),
    ("switcher=GetSearchResults&weekdays=8", "weekdays"), ("switcher=GetSearchResults&weekdays=mon", "weekdays"),
    ("switcher=GetSearchResults&venue_types=4", "venue_types"), ("switcher=GetSearchResults&formats=999999", "formats"),
    ("switcher=GetSearchResults&formats_comparison_operator=XOR", "formats_comparison_operator"),
    ("switcher=GetSearchResults&lat_val=100&long_val=0&geo_width=5", "lat_val"),
    ("switcher=GetSearchResults&lat_val=40&geo_width=5", "long_val"),
    ("switcher=GetSearchResults&lat_val=40&long_val=-75&geo_width=-1.5", "geo_width"),
    ("switcher=GetSearchResults&lat_val=40&long_val=-75&geo_width=nan", "geo_width"),
    ("switcher=GetSearchResults&lat_val=40&long_val=-75&geo_width=0", "geo_width"),
    ("switcher=GetSearchResults&StartsAfterH=25", "StartsAfterH"),
    ("switcher=GetSearchResults&page_size=0", "page_size"), ("switcher=GetSearchResults&page_num=x", "page_num"),
    ("switcher=GetSearchResults&meeting_key=password&meeting_key_value=x", "meeting_key"),
    ("switcher=GetSearchResults&services=abc", "services"),
    ("switcher=GetChanges&start_date=yesterday", "start_date"),
])
def test_bad_parameters_are_400_with_a_message(client, world, query: str, field: str) -> None:
    answer = get(client, query, 400)
    assert answer["error"]["field"] == field and answer["error"]["message"]


# --- GetChanges, from audit entries ------------------------------------------------------------------------------

def test_get_changes_maps_audit_entries(session, world) -> None:
    alpha = world.meetings["a"]
    at = dt.datetime(2026, 11, 20, 15, 30, tzinfo=dt.timezone.utc)
    snap = {"name": "Alpha", "published": True, "times": [{"weekday": 0, "start": "19:00", "duration_minutes": 60}]}
    entries = [
        SimpleNamespace(id=1, created_at=at, action="create", entity_type="meeting", entity_id=alpha.id,
                        before=None, after=snap, submission_id=None),
        SimpleNamespace(id=2, created_at=at, action="update", entity_type="meeting", entity_id=alpha.id,
                        before=snap, after={**snap, "name": "Alpha new"}, submission_id=None),
        SimpleNamespace(id=3, created_at=at, action="update", entity_type="meeting", entity_id=world.meetings["f"].id,
                        before=snap, after=snap, submission_id=None),
        SimpleNamespace(id=4, created_at=at, action="delete", entity_type="meeting", entity_id=987654,
                        before={**snap, "name": "Gone"}, after=None, submission_id=None),
        SimpleNamespace(id=5, created_at=at, action="update", entity_type="center", entity_id=1,
                        before={}, after={}, submission_id=None),
    ]
    calls = []

    def changes(session, *, since=None, until=None, meeting_id=None):
        calls.append((since, until, meeting_id))
        return entries

    args = {"start_date": "2026-11-01", "end_date": "2026-11-20"}
    records = semantic.get_changes(session, args, changes)
    assert calls[0][0] == dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc)
    assert calls[0][1] == dt.datetime(2026, 11, 21, tzinfo=dt.timezone.utc)
    assert [r["change_type"] for r in records] == ["comdef_change_type_new", "comdef_change_type_change",
                                                   "comdef_change_type_delete"]
    assert records[0]["meeting_id"] == str(bmlt.bmlt_record_id(alpha.id, 2))
    assert records[1]["details"] == "changed: name" and records[2]["meeting_exists"] == "0"
    assert all(r["user_name"] == "" for r in records)
    assert_all_strings(records)
    semantic.get_changes(session, {"meeting_id": records[0]["meeting_id"]}, changes)
    assert calls[-1][2] == alpha.id


def test_get_changes_lists_imported_meetings(client, session, now) -> None:
    from pathlib import Path

    from finder.imports import bmlt as bmlt_import
    from finder.imports import writer as r

    fixtures = Path(__file__).parent / "fixtures"
    bmlt_import.import_server(session, results=fixtures / "bmlt_search_results.json",
                              formats=fixtures / "bmlt_formats.json",
                              service_bodies=fixtures / "bmlt_service_bodies.json", now=now,
                              resolver=r.Resolver(timezone_at=lambda lat, lon: "America/New_York"))
    session.commit()
    changes = get(client, "switcher=GetChanges&start_date=2026-11-25&end_date=2026-11-25")
    assert len(changes) == 4 and {c["change_type"] for c in changes} == {"comdef_change_type_new"}
    assert "Monday Night Miracles" in {c["meeting_name"] for c in changes}
    assert get(client, "switcher=GetChanges&start_date=2026-11-26") == []
    records = get(client, "switcher=GetSearchResults&SearchString=Monday Night")
    one = get(client, f"switcher=GetChanges&meeting_id={records[0]['id_bigint']}")
    assert [c["meeting_name"] for c in one] == ["Monday Night Miracles"]
    assert one[0]["meeting_id"] == records[0]["id_bigint"]


# --- what meeting-list generators and other clients send -----------------------------------------------------

def test_parameters_we_do_not_know_change_nothing(client, world) -> None:
    plain = get(client, "switcher=GetSearchResults")
    assert get(client, "switcher=GetSearchResults&advanced_published=0&_=1733481234567&utm_source=x") == plain
    assert get(client, "switcher=GetSearchResults&sort_keys=password,meeting_name") == \
        get(client, "switcher=GetSearchResults&sort_keys=meeting_name")  # a key we lack sorts nothing


def test_data_field_key_and_sort_key_as_bread_sends_them(client, world) -> None:
    towns = get(client, "switcher=GetSearchResults&sort_key=town&data_field_key=location_municipality")
    assert all(set(r) == {"location_municipality"} for r in towns)
    assert [r["location_municipality"] for r in towns] == sorted(r["location_municipality"] for r in towns)
    records = get(client, "switcher=GetSearchResults&data_field_key=meeting_name,start_time,weekday_tinyint"
                          "&sort_keys=weekday_tinyint,start_time")
    assert all(list(r) == ["meeting_name", "start_time", "weekday_tinyint"] for r in records)
    keys = [(int(r["weekday_tinyint"]), r["start_time"]) for r in records]
    assert keys == sorted(keys)


def test_get_formats_only_as_bread_sends_it(client, world) -> None:
    only = get(client, f"switcher=GetSearchResults&recursive=1&services[]={world.area2.id}&get_formats_only")
    assert set(only) == {"formats"}
    assert sorted(f["key_string"] for f in only["formats"]) == ["C", "ES", "JFT", "O", "SPK", "TC", "VM"]
    used = get(client, f"switcher=GetSearchResults&services[]={world.area2.id}&sort_keys=meeting_name"
                       "&get_used_formats&lang_enum=en")
    assert set(used) == {"meetings", "formats"} and names(used["meetings"]) == ["Charlie", "Delta"]
    assert_all_strings(used)


def test_duration_end_and_field_filters(client, world) -> None:
    assert names(get(client, "switcher=GetSearchResults&MinDurationH=1&MinDurationM=30")) == ["Delta"]
    assert "Delta" not in names(get(client, "switcher=GetSearchResults&MaxDurationH=1"))
    ends = names(get(client, "switcher=GetSearchResults&EndsBeforeH=13"))
    assert "Echo" in ends and "Bravo" in ends and "Alpha" not in ends
    assert names(get(client, "switcher=GetSearchResults&meeting_key=location_municipality"
                             "&meeting_key_value=Lansdale")) == ["Delta"]
    assert names(get(client, "switcher=GetSearchResults&meeting_key=start_time&meeting_key_value=12:00")) == ["Bravo"]
