"""finder.models.meetings: unique slugs, a meeting's times, formats and place."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from finder.models import Meeting


def test_slug_is_unique(session, make_meeting):
    make_meeting(slug="same")
    with pytest.raises(IntegrityError):
        make_meeting(slug="same")


def test_times_formats_and_place(session, make_meeting):
    meeting = make_meeting(times=[(6, "23:30", 90), (0, "07:00", 60)], formats=["C", "STEP", "WCHR"])
    session.commit()
    session.expire_all()
    loaded = session.scalars(select(Meeting).where(Meeting.id == meeting.id)).one()
    assert [(t.weekday, t.start, t.duration_minutes) for t in loaded.times] == [
        (0, dt.time(7, 0), 60), (6, dt.time(23, 30), 90)
    ]
    assert loaded.format_codes == ["C", "STEP", "WCHR"]
    assert loaded.timezone == "America/New_York"
    assert loaded.place.full_address == "1625 Locust St, Philadelphia, PA 19103, US"
