"""finder.core.bmlt: meetings as BMLT records (every field a string, ids, order) and the parameters a cache key uses."""
from __future__ import annotations

from finder.core import bmlt
from tests.helpers import assert_all_strings
from tests.helpers import bmlt_get as get
from tests.helpers import bmlt_names as names


def test_records_are_complete_strings_and_resolve(client, world) -> None:
    records = get(client, "switcher=GetSearchResults")
    assert_all_strings(records)
    assert sorted(names(records)) == ["Alpha", "Bravo", "Charlie", "Delta", "Echo", "Echo"]
    for record in records:
        assert set(record) == set(bmlt.BMLT_FIELD_NAMES)
        assert record["contact_name_1"] == record["contact_phone_1"] == record["email_contact"] == ""
        for key in ("location_municipality", "location_province", "location_postal_code_1"):
            assert isinstance(record[key], str)
    assert len({r["id_bigint"] for r in records}) == len(records)
    bodies = {b["id"] for b in get(client, "switcher=GetServiceBodies")}
    assert {r["service_body_bigint"] for r in records} <= bodies
    roots = {r["root_server_uri"] for r in records}
    formats = get(client, "switcher=GetFormats&show_all=1")
    assert roots == {f["root_server_uri"] for f in formats} and len(roots) == 1
    assert roots.pop().endswith("/bmlt")
    # default order: weekday (1=Sunday) then start time
    assert names(records) == ["Charlie", "Alpha", "Echo", "Echo", "Bravo", "Delta"]
    echo = [r for r in records if r["meeting_name"] == "Echo"]
    assert [r["weekday_tinyint"] for r in echo] == ["3", "5"] and echo[0]["start_time"] == "07:00:00"
    bravo = next(r for r in records if r["meeting_name"] == "Bravo")
    assert bravo["service_body_bigint"] == str(world.area1.id) and bravo["worldid_mixed"] == "G00012345"
    assert bravo["venue_type"] == "3" and bravo["formats"] == "C,HY,STEP"
    delta = next(r for r in records if r["meeting_name"] == "Delta")
    assert delta["formats"] == "C,JFT,TC" and delta["duration_time"] == "01:30:00"


def test_the_cache_key_is_made_of_the_parameters_we_use(client, world) -> None:
    query = f"switcher=GetSearchResults&services[]={world.area1.id}&callback=cb"
    first = client.get(f"/bmlt/client_interface/jsonp/?{query}&_=1")
    again = client.get(f"/bmlt/client_interface/jsonp/?{query}&_=2&advanced_published=0")
    assert first.headers["X-Cache"] == "miss" and again.headers["X-Cache"] == "hit"
    assert first.data == again.data
    other = client.get(f"/bmlt/client_interface/jsonp/?{query.replace('cb', 'other')}&_=3")
    assert other.headers["X-Cache"] == "miss" and other.data.startswith(b"other(")
    spelled = client.get(f"/bmlt/client_interface/jsonp/?switcher=GetSearchResults&services={world.area1.id}"
                         "&callback=cb")
    assert spelled.headers["X-Cache"] == "hit"  # services=1 and services[]=1 are one list
