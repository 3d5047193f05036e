"""finder.meetings.visibility: public (has a page) and listed (in results and feeds), and every reader agreeing."""
from __future__ import annotations

import itertools
import json

import pytest
from sqlalchemy import select

from finder.meetings import visibility
from finder.models import Meeting

STATES = list(itertools.product([True, False], ["active", "temporarily_closed", "inactive"]))


@pytest.fixture
def every_state(session, make_meeting, make_body) -> dict[tuple[bool, str], Meeting]:
    area = make_body(name="Philadelphia Area", kind="area")
    meetings = {(published, status): make_meeting(slug=f"{status}-{int(published)}", published=published,
                                                  status=status, times=[(0, "19:00", 60)], service_body_id=area.id)
                for published, status in STATES}
    session.commit()
    return meetings


def _matching(session, condition) -> set[tuple[bool, str]]:
    rows = session.execute(select(Meeting.published, Meeting.status).where(condition))
    return {(bool(published), status) for published, status in rows}


def test_public_is_published_and_listed_is_public_and_still_meeting(session, every_state) -> None:
    assert _matching(session, visibility.public()) == {(True, s) for s in ("active", "temporarily_closed", "inactive")}
    assert _matching(session, visibility.listed()) == {(True, "active"), (True, "temporarily_closed")}
    for (published, status), meeting in every_state.items():
        assert visibility.is_public(meeting) == published
        assert visibility.still_meets(meeting) == (status != "inactive")


def test_the_page_the_api_and_the_calendar_agree_on_every_meeting(client, every_state) -> None:
    for (published, status), meeting in every_state.items():
        answers = {client.get(url).status_code for url in (
            f"/meetings/{meeting.slug}", f"/api/v1/meetings/{meeting.slug}", f"/meetings/{meeting.slug}.ics")}
        assert answers == ({200} if published else {404}), (published, status)


def test_search_feeds_and_the_bmlt_list_only_listed_meetings(client, every_state) -> None:
    listed = {m.slug for (published, status), m in every_state.items() if published and status != "inactive"}
    found = client.get("/api/v1/search?lat=39.9487&lon=-75.1685&radius=5&per_page=100").get_json()
    assert {m["slug"] for m in found["meetings"]} == listed
    feed = client.get("/feeds/meeting-guide.json").get_json()
    assert {entry["slug"] for entry in feed} == listed
    bmlt = json.loads(client.get("/bmlt/client_interface/json/?switcher=GetSearchResults").data)
    assert {record["meeting_name"] for record in bmlt} == {every_state[state].name for state in every_state
                                                          if every_state[state].slug in listed}
