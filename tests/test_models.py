"""Model behaviour that other code relies on: UTC timestamps, unique slugs, addresses, relationships."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from finder.models import Meeting


def test_timestamps_come_back_aware_utc(session, make_meeting):
    meeting = make_meeting()
    session.commit()
    session.expire_all()
    loaded = session.get(Meeting, meeting.id)
    assert loaded.created_at.tzinfo is not None
    assert loaded.created_at.utcoffset() == dt.timedelta(0)


def test_naive_datetime_is_refused(session, make_meeting):
    meeting = make_meeting()
    meeting.updated_at = dt.datetime(2026, 1, 1)
    with pytest.raises(Exception, match="naive"):
        session.flush()


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


def test_service_body_tree(session, make_body):
    region = make_body(kind="region", name="Eastern PA Region")
    area = make_body(kind="area", name="Greater Philadelphia Area", parent=region)
    session.commit()
    assert [c.name for c in region.children] == ["Greater Philadelphia Area"]
    assert area.parent is region


def test_center_and_counselor(session, make_center, make_counselor):
    center = make_center(services=["DT", "METH"])
    counselor = make_counselor()
    session.commit()
    assert center.service_codes == {"DT", "METH"}
    assert [t.code for t in counselor.terms_of("approach")] == ["psychodynamic"]
    assert counselor.contact_public is False
