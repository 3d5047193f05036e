"""Meeting Guide and BMLT mappings, the code table, and the Meeting Guide feed endpoints."""
from __future__ import annotations

import datetime as dt
import json

import pytest
from types import SimpleNamespace

from sqlalchemy import select

from finder.meetings import bodies
from finder.core import bmlt
from finder.core import feed_check
from finder.core import meeting_guide
from finder.core import schedule
from finder.core import vocab
from finder.models import Meeting


# --- pure mappings ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("weekday, mg, bmlt", [(0, 1, 2), (1, 2, 3), (4, 5, 6), (5, 6, 7), (6, 0, 1)])
def test_weekday_conventions_round_trip(weekday: int, mg: int, bmlt: int) -> None:
    assert schedule.to_meeting_guide(weekday) == mg
    assert schedule.from_meeting_guide(mg) == weekday
    assert schedule.to_bmlt(weekday) == bmlt
    assert schedule.from_bmlt(bmlt) == weekday


def test_code_table_covers_every_format_and_fixes_spec_clashes() -> None:
    assert {row.na_code for row in meeting_guide.CODE_TABLE} == {f.code for f in vocab.FORMATS}
    assert meeting_guide.NA_TO_MG["DE"] == ("DE",)  # "G" is Gay in the Meeting Guide spec
    assert meeting_guide.NA_TO_MG["WCHR"] == ("X",)
    assert meeting_guide.NA_TO_MG["BT"] == ("LIT", "BT")
    assert meeting_guide.NA_TO_MG["VM"] == ()
    assert meeting_guide.MG_TO_NA["X"] == "WCHR"
    assert meeting_guide.MG_TO_NA["S"] == "ES"
    assert meeting_guide.MG_TO_NA["D"] == "DISC"
    assert meeting_guide.MG_TO_NA["SP"] == "SPK"
    for row in meeting_guide.code_table_json():
        assert set(row) == {"na_code", "name", "meeting_guide_types", "note"}


@pytest.mark.parametrize("url, known", [
    ("https://zoom.us/j/123", True), ("https://us02web.zoom.us/j/1?pwd=x", True),
    ("https://meet.google.com/abc-defg-hij", True), ("https://example.com/room", False),
    ("https://notzoom.us/j/1", False), ("javascript:alert(1)", False), ("zoom.us/j/1", False), ("http://[::1", False),
])
def test_known_conference_hosts(url: str, known: bool) -> None:
    assert meeting_guide.known_conference_url(url) is known


def test_end_time_past_midnight() -> None:
    assert meeting_guide.end_time(dt.time(23, 30), 90) == dt.time(1, 0)


def test_descendants_are_found_and_cycles_cut() -> None:
    pairs = [(1, None), (2, 1), (3, 2), (4, None), (5, 6), (6, 5)]
    assert bodies.descendant_ids(pairs, [1]) == {1, 2, 3}
    assert bodies.descendant_ids(pairs, [5]) == {5, 6}


def test_record_ids_are_stable_and_unique(make_meeting) -> None:
    meeting = make_meeting(times=[(0, "19:00", 60), (0, "07:00", 60), (6, "12:00", 90)])
    slots = bmlt.record_slots(meeting.times)
    ids = [bmlt.bmlt_record_id(meeting.id, s) for s, _ in slots]
    assert len(set(ids)) == 3
    assert [bmlt.split_record_id(i)[0] for i in ids] == [meeting.id] * 3
    assert sorted(s for s, _ in slots) == [1, 2, 8]  # Sunday=1, Monday=2, a second Monday time in a spare slot


def test_meeting_guide_entry_is_valid_for_strict_readers(make_meeting, make_body, now) -> None:
    region = make_body(kind="region", name="Eastern PA Region")
    area = make_body(kind="area", name="Philadelphia Area", parent_id=region.id)
    group = make_body(kind="group", name="Clean Living Group", parent_id=area.id)
    meeting = make_meeting(
        slug="clean-living", times=[(0, "19:00", 60), (2, "19:00", 60)], formats=["O", "BT", "WCHR", "ES"],
        service_body_id=area.id, group_id=group.id, attendance="hybrid", conference_url="https://zoom.us/j/99",
        conference_notes="Passcode 1953", phone="+16465588656,,99#", updated_at=now,
    )
    entry, wednesday = meeting_guide.meeting_to_meeting_guide(
        meeting, meeting_url="https://x.test/meetings/clean-living",
        feedback_url="https://x.test/submit/meetings/clean-living/change")
    assert entry["slug"] == "clean-living" and wednesday["slug"] == "clean-living-wed-1900"
    assert (entry["day"], wednesday["day"]) == (1, 3)  # one record per weekly time, day an integer
    assert entry["time"] == "19:00" and entry["end_time"] == "20:00"
    assert entry["feedback_url"] == "https://x.test/submit/meetings/clean-living/change"
    assert {k: v for k, v in wednesday.items() if k not in ("slug", "day")} == \
        {k: v for k, v in entry.items() if k not in ("slug", "day")}
    assert entry["timezone"] == "America/New_York"
    assert sorted(entry["types"]) == ["BT", "LIT", "O", "S", "X"]
    assert len(entry["formatted_address"].split(",")) >= 4 and entry["formatted_address"].endswith("US")
    assert entry["approximate"] == "no"
    assert entry["conference_url"] == "https://zoom.us/j/99"
    assert entry["conference_phone"] == "+16465588656,,99#"
    assert entry["regions"] == ["Eastern PA Region", "Philadelphia Area"]
    assert entry["group"] == "Clean Living Group"
    assert entry["updated"] == "2026-11-25 17:00:00"
    assert isinstance(entry["latitude"], float)
    json.dumps(entry)


def test_meeting_guide_splits_distinct_times_and_hides_unknown_hosts(make_meeting) -> None:
    meeting = make_meeting(
        slug="night-owls", times=[(4, "23:30", 90), (5, "10:00", 60)], attendance="online",
        conference_url="https://meet.example.org/na", place_fields={"street": "", "precision": "city"},
    )
    entries = meeting_guide.meeting_to_meeting_guide(meeting, meeting_url="u")
    assert [e["slug"] for e in entries] == ["night-owls", "night-owls-sat-1000"]  # Friday first in the week
    late = next(e for e in entries if e["time"] == "23:30")
    assert late["end_time"] == "01:00" and late["day"] == 5
    assert "conference_url" not in late and "conference_url_notes" not in late  # readers would ignore both
    assert "Online: https://meet.example.org/na" in late["notes"]
    assert late["approximate"] == "yes"
    assert "address" not in late


def test_bmlt_record_is_all_strings_and_contacts_blank(make_meeting, make_body) -> None:
    area = make_body(kind="area")
    meeting = make_meeting(times=[(6, "18:30", 75)], formats=["C", "STEP"], service_body_id=area.id,
                           attendance="online", conference_url="https://zoom.us/j/1")
    (record,) = bmlt.meeting_to_bmlt_records(meeting, root_server_uri="https://x.test/bmlt", distance_km=10.0)
    assert set(record) == set(bmlt.BMLT_FIELD_NAMES)
    assert all(isinstance(v, str) for v in record.values())
    assert record["weekday_tinyint"] == "1"
    assert record["start_time"] == "18:30:00" and record["duration_time"] == "01:15:00"
    assert record["formats"] == "C,STEP,VM"
    assert record["venue_type"] == "2"
    assert record["service_body_bigint"] == str(area.id)
    assert record["distance_in_km"] == "10" and record["distance_in_miles"] == "6.2137"
    assert record["location_street"] == ""
    assert all(record[k] == "" for k in record if k.startswith("contact_") or k == "email_contact")


def test_stringify_has_no_nulls() -> None:
    assert bmlt.stringify({"a": None, "b": [1, True, {"c": 2.5}]}) == {"a": "", "b": ["1", "1", {"c": "2.5"}]}


# --- endpoints ----------------------------------------------------------------------------------------------

def test_meeting_guide_feed_lists_published_meetings_with_cors_and_etag(client, session, make_meeting) -> None:
    make_meeting(slug="visible")
    make_meeting(slug="draft", published=False)
    make_meeting(slug="gone", status="inactive")
    make_meeting(slug="closed-building", status="temporarily_closed", attendance="online",
                 conference_url="https://zoom.us/j/5")
    session.commit()
    response = client.get("/feeds/meeting-guide.json")
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    data = json.loads(response.data)
    assert isinstance(data, list)
    assert [m["slug"] for m in data] == ["closed-building", "visible"]
    assert "TC" in data[0]["types"]
    again = client.get("/feeds/meeting-guide.json", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_feed_per_service_body_includes_children(client, session, make_meeting, make_body) -> None:
    region = make_body(kind="region", name="Region")
    area = make_body(kind="area", name="Area", parent_id=region.id)
    other = make_body(kind="area", name="Other")
    make_meeting(slug="in-area", service_body_id=area.id)
    make_meeting(slug="elsewhere", service_body_id=other.id)
    session.commit()
    data = client.get(f"/feeds/meeting-guide/{region.id}.json").get_json()
    assert [m["slug"] for m in data] == ["in-area"]
    assert client.get("/feeds/meeting-guide/999999.json").status_code == 404


def test_code_table_page_and_json(sqlite_app) -> None:
    client = sqlite_app.test_client()
    page = client.get("/feeds/codes")
    assert page.status_code == 200 and b"Basic Text study" in page.data
    rows = client.get("/feeds/codes.json").get_json()
    assert {"na_code": "WCHR", "name": "Wheelchair accessible", "meeting_guide_types": ["X"],
            "note": "Meeting Guide type"} in rows


def test_docs_publish_the_same_code_table_and_columns() -> None:
    from pathlib import Path

    from finder.imports import exports

    text = (Path(__file__).resolve().parent.parent / "docs" / "IMPORTS.md").read_text(encoding="utf-8")
    for row in meeting_guide.CODE_TABLE:
        types = ", ".join(f"`{t}`" for t in row.mg_types) or "(none)"
        assert f"| `{row.na_code}` | {row.name} | {types} | {row.note} |" in text, row.na_code
    for columns in exports.COLUMNS.values():
        for column in columns:
            assert f"`{column}`" in text, column


def test_plain_rows_give_the_same_feed_as_the_model(app, session, make_meeting, make_body) -> None:

    from finder.meeting_guide import views as feed_views
    from finder.meetings.visibility import listed_meetings_select

    region = make_body(kind="region", name="Region")
    area = make_body(kind="area", name="Area", parent_id=region.id)
    group = make_body(kind="group", name="Group", parent_id=area.id)
    make_meeting(slug="one", service_body_id=area.id, group_id=group.id, times=[(0, "19:00", 60), (3, "07:00", 45)],
                 formats=["O", "BT", "WCHR"], attendance="hybrid", conference_url="https://zoom.us/j/2", phone="+1")
    make_meeting(slug="two", attendance="online", conference_url="https://example.org/x", status="temporarily_closed",
                 place_fields={"street": "", "precision": "city"})
    session.commit()
    session.expire_all()
    orm = list(session.scalars(listed_meetings_select()))
    rows = feed_views.feed_meetings(session)
    assert [m.slug for m in rows] == [m.slug for m in orm] == ["one", "two"]
    for plain, model in zip(rows, orm):
        assert meeting_guide.meeting_to_meeting_guide(plain, meeting_url="u") == \
            meeting_guide.meeting_to_meeting_guide(model, meeting_url="u")
    assert [m.slug for m in feed_views.feed_meetings(session, {region.id, area.id})] == ["one"]


# --- the feed as the strictest readers read it --------------------------------------------------------------

def read_strictly(data: object) -> feed_check.FeedCheck:
    return feed_check.check_feed(data, conference_hosts=meeting_guide.KNOWN_CONFERENCE_HOSTS,
                                 known_types=meeting_guide.MG_SPEC_TYPES)


def serious(result: feed_check.FeedCheck) -> list[str]:
    return [p.line() for p in result.problems if p.severity in ("dropped", "hidden", "ignored")]


@pytest.fixture
def busy_area(session, make_meeting, make_body):
    region = make_body(kind="region", name="Region")
    area = make_body(kind="area", name="Area", parent_id=region.id)
    other = make_body(kind="area", name="Other", parent_id=region.id)
    make_meeting(slug="clean-living", service_body_id=area.id, formats=["O", "BT", "JFT"],
                 times=[(0, "19:00", 60), (2, "19:00", 60), (2, "07:00", 45), (6, "10:00", 90)])
    # a meeting whose own slug is what a time of clean-living would be called
    make_meeting(slug="clean-living-wed-1900", service_body_id=area.id, times=[(3, "12:00", 60)])
    make_meeting(slug="hybrid", service_body_id=other.id, attendance="hybrid", conference_url="https://zoom.us/j/1",
                 times=[(1, "18:00", 60), (4, "18:00", 60)])
    make_meeting(slug="online", service_body_id=other.id, attendance="online", conference_url="https://zoom.us/j/2",
                 phone="+16465588656,,2#", place_fields={"street": "", "precision": "city"})
    make_meeting(slug="closed", service_body_id=area.id, status="temporarily_closed")
    session.commit()
    return SimpleNamespace(region=region, area=area, other=other)


def test_every_feed_loads_in_the_strictest_readers(client, busy_area) -> None:
    full = client.get("/feeds/meeting-guide.json").get_json()
    assert len(full) == 9 and all(type(e["day"]) is int for e in full)
    result = read_strictly(full)
    assert serious(result) == [] and result.ok
    assert len({e["slug"] for e in full}) == len(full)
    for body in (busy_area.region, busy_area.area, busy_area.other):
        part = client.get(f"/feeds/meeting-guide/{body.id}.json").get_json()
        assert part and serious(read_strictly(part)) == [] and len({e["slug"] for e in part}) == len(part)
    slugs = {e["slug"] for e in full}
    assert {"clean-living", "clean-living-mon-1900", "clean-living-wed-0700", "clean-living-wed-1900"} <= slugs
    assert "clean-living-wed-1900-clean-living" in slugs  # the time yields to the other meeting's own slug


def test_feed_links_lead_to_the_meeting_page_and_our_change_form(client, busy_area) -> None:
    entry = next(e for e in client.get("/feeds/meeting-guide.json").get_json() if e["slug"] == "clean-living-mon-1900")
    for url in (entry["url"], entry["feedback_url"]):
        assert url.startswith("http://localhost/")
        page = client.get(url.removeprefix("http://localhost"))
        assert page.status_code == 200 and b"clean" in page.data.lower()
    assert entry["feedback_url"].endswith("/submit/meetings/clean-living/change")


def test_slugs_stay_when_other_meetings_change(client, session, busy_area, make_meeting) -> None:
    def slugs_of(name_prefix: str) -> list[str]:
        return sorted(e["slug"] for e in client.get("/feeds/meeting-guide.json").get_json()
                      if e["url"].endswith(f"/meetings/{name_prefix}"))

    before = slugs_of("clean-living")
    make_meeting(slug="another", service_body_id=busy_area.area.id, times=[(2, "19:00", 60)])
    hybrid = session.scalars(select(Meeting).where(Meeting.slug == "hybrid")).one()
    hybrid.name = "Renamed"
    session.delete(session.scalars(select(Meeting).where(Meeting.slug == "online")).one())
    session.commit()
    assert slugs_of("clean-living") == before
