"""finder.api.views: the JSON API through its routes (search, records, privacy, errors, CORS, ETags)."""
from __future__ import annotations

import datetime as dt

import pytest


@pytest.fixture
def data(session, make_meeting, make_body, make_center, make_counselor, make_place):
    area = make_body(kind="area", name="Philadelphia Area")
    child = make_body(kind="group", name="Home Group", parent_id=area.id)
    near = make_meeting(slug="near", name="Near Group", times=[(0, "19:00", 60), (2, "07:30", 90)],
                        formats=["O", "WCHR"], service_body_id=area.id, group_id=child.id,
                        exceptions=[{"kind": "cancelled", "start_date": dt.date(2030, 1, 7),
                                     "end_date": dt.date(2030, 1, 7), "reason": "Holiday"}])
    far = make_meeting(slug="far", name="Far Group", formats=["C"],
                       place=make_place(latitude=40.2415, longitude=-75.2838, city="Lansdale"))
    online = make_meeting(slug="online", name="Online Hope", attendance="online",
                          conference_url="https://zoom.us/j/7", conference_notes="Passcode 1",
                          place=make_place(street="", precision="city", name=""))
    make_meeting(slug="draft", published=False)
    make_meeting(slug="gone", status="inactive")
    make_center(slug="gateway", name="Gateway Recovery")
    make_counselor(slug="private", phone="215-555-0199", email="p@example.org", contact_public=False)
    make_counselor(slug="public", phone="215-555-0100", email="c@example.org", contact_public=True)
    session.commit()
    return {"area": area, "near": near, "far": far, "online": online}


def test_search_uses_the_shared_parameters(client, data) -> None:
    answer = client.get("/api/v1/search?lat=39.9526&lon=-75.1652&radius=5").get_json()
    assert [m["slug"] for m in answer["meetings"]] == ["near"]
    hit = answer["meetings"][0]
    assert hit["distance_km"] < 1 and hit["distance_miles"] < hit["distance_km"]
    assert hit["times"][0] == {"weekday": 0, "day": "mon", "start": "19:00", "duration_minutes": 60, "end": "20:00"}
    assert {f["code"] for f in hit["formats"]} == {"O", "WCHR"}
    assert answer["total"]["meetings"] == 1 and answer["query"]["radius_km"] == pytest.approx(8.04672)
    both = client.get("/api/v1/search?lat=39.9526&lon=-75.1652&radius=50&open=closed").get_json()
    assert [m["slug"] for m in both["meetings"]] == ["far"]
    online = client.get("/api/v1/search?lat=39.9526&lon=-75.1652&radius=5&online=1").get_json()
    assert [m["slug"] for m in online["meetings"]] == ["near", "online"]
    assert online["meetings"][1]["is_online_only"] and online["meetings"][1]["place"]["street"] == ""
    assert client.get("/api/v1/search?q=19103&day=wed").get_json()["meetings"][0]["slug"] == "near"


def test_search_errors_are_json_400(client, data) -> None:
    response = client.get("/api/v1/search?q=Atlantis%20Under%20The%20Sea%20ZZ")
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "invalid_parameter" and error["field"] == "q" and error["message"]
    assert client.get("/api/v1/search?format=NOPE").get_json()["error"]["field"] == "format"
    assert client.get("/api/v1/search?per_page=1000").status_code == 400


def test_all_kinds_and_counselor_privacy(client, data) -> None:
    answer = client.get("/api/v1/search?lat=39.9526&lon=-75.1652&kind=all").get_json()
    assert [c["slug"] for c in answer["centers"]] == ["gateway"]
    counselors = {c["slug"]: c for c in answer["counselors"]}
    assert counselors["private"]["phone"] == "" and counselors["private"]["email"] == ""
    assert counselors["public"]["phone"] == "215-555-0100"
    assert counselors["public"]["nearest_office"]["city"] == "Philadelphia"
    assert client.get("/api/v1/counselors/private").get_json()["email"] == ""


def test_meeting_record_has_upcoming_and_hides_drafts(client, data) -> None:
    meeting = client.get("/api/v1/meetings/near").get_json()
    assert meeting["service_body_id"] == data["area"].id and len(meeting["upcoming"]) == 5
    starts = [dt.datetime.fromisoformat(o["start"]) for o in meeting["upcoming"]]
    assert starts == sorted(starts) and all(s.tzinfo is not None for s in starts)
    assert {s.strftime("%a %H:%M") for s in starts} <= {"Mon 19:00", "Wed 07:30"}
    assert meeting["exceptions"][0]["reason"] == "Holiday"
    assert client.get("/api/v1/meetings/online").get_json()["conference_url"] == "https://zoom.us/j/7"
    for slug in ("draft", "missing"):
        response = client.get(f"/api/v1/meetings/{slug}")
        assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"
    # A meeting that no longer meets keeps its page, and so its record: marked, with nothing upcoming.
    gone = client.get("/api/v1/meetings/gone").get_json()
    assert gone["status"] == "inactive" and gone["upcoming"] == []
    assert client.get("/meetings/gone").status_code == 200
    assert client.get("/api/v1/centers/gateway").get_json()["services"]


def test_service_bodies_and_formats(client, data) -> None:
    bodies = client.get("/api/v1/service-bodies").get_json()
    assert {b["name"] for b in bodies} == {"Philadelphia Area", "Home Group"}
    area = client.get(f"/api/v1/service-bodies/{data['area'].id}").get_json()
    assert len(area["children"]) == 1 and area["meeting_guide_feed"].endswith(f"/feeds/meeting-guide/{area['id']}.json")
    formats = {f["code"]: f for f in client.get("/api/v1/formats").get_json()}
    assert formats["WCHR"]["meeting_guide_types"] == ["X"]


def test_cors_etag_and_methods(client, data) -> None:
    first = client.get("/api/v1/formats")
    assert first.headers["Access-Control-Allow-Origin"] == "*" and first.headers["ETag"]
    again = client.get("/api/v1/formats", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    preflight = client.options("/api/v1/search", headers={"Origin": "https://x.example",
                                                           "Access-Control-Request-Method": "GET"})
    assert preflight.status_code == 204 and "GET" in preflight.headers["Access-Control-Allow-Methods"]
    for method in ("post", "put", "delete", "patch"):
        response = getattr(client, method)("/api/v1/formats")
        assert response.status_code == 405 and response.get_json()["error"]["code"] == "method_not_allowed"
    missing = client.get("/api/v1/nothing/here")
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "not_found"


def test_search_sees_a_committed_change_through_the_meeting_cache(client, data, session) -> None:
    """Result pages come from the process's meeting cache; a committed edit bumps the data version and shows
    at once (each query below is new, so the response cache cannot answer it)."""
    first = client.get("/api/v1/search?lat=39.9526&lon=-75.1652&radius=5").get_json()
    again = client.get("/api/v1/search?lat=39.9527&lon=-75.1652&radius=5").get_json()
    assert first["meetings"][0]["name"] == again["meetings"][0]["name"] == "Near Group"
    data["near"].name = "Near Group (new room)"
    session.commit()
    moved = client.get("/api/v1/search?lat=39.9528&lon=-75.1652&radius=5").get_json()
    assert moved["meetings"][0]["name"] == "Near Group (new room)"
