"""A meeting's page beyond the meeting (finder.meetings.detail): next times, notices, others nearby."""
from __future__ import annotations

import datetime as dt

from finder.meetings import detail


def test_the_page_lists_the_next_three_times_and_none_once_it_ended(session, make_meeting, now):
    meeting = make_meeting(times=[(2, "19:00", 60), (4, "12:00", 60)])
    shown = detail.meeting_page(session, meeting, now)
    assert [o.start.strftime("%a %H:%M") for o in shown.upcoming] == ["Wed 19:00", "Fri 12:00", "Wed 19:00"]
    meeting.status = "inactive"
    assert detail.meeting_page(session, meeting, now).upcoming == []


def test_notices_announce_this_weeks_cancellations_and_closures_only(session, make_meeting, now):
    today = now.date()  # Wednesday in New York too (noon)
    meeting = make_meeting(exceptions=[
        dict(kind="cancelled", start_date=today + dt.timedelta(days=7), end_date=today + dt.timedelta(days=7),
             reason="Thanksgiving week"),
        dict(kind="closed", start_date=today + dt.timedelta(days=30), end_date=today + dt.timedelta(days=40),
             reason="Renovation"),
    ])
    notices = detail.meeting_page(session, meeting, now).notices
    assert [(n.kind, n.first, n.reason) for n in notices] == [("cancelled", today + dt.timedelta(days=7),
                                                                 "Thanksgiving week")]


def test_others_share_the_place_or_the_group_and_are_listed(session, make_meeting, make_body, make_place):
    group = make_body(kind="group", name="Hope Group")
    hall = make_place()
    meeting = make_meeting(name="Main", place=hall)
    same_place = make_meeting(name="B same place", place=hall)
    make_meeting(name="C same place, unpublished", place=hall, published=False)
    make_meeting(name="D same place, ended", place=hall, status="inactive")
    make_meeting(name="Elsewhere")
    meeting.group_id = group.id
    same_group = make_meeting(name="A same group", group_id=group.id)
    session.flush()
    assert detail.others_nearby(session, meeting) == [same_group, same_place]
