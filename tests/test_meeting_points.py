"""meeting_points, the copy of each meeting's coordinates that searches rank from, is kept true by the database's
triggers on every write path, on both databases."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, case, delete, insert, select, text, update

from finder import db, migrate
from finder.meetings import visibility
from finder.models import Meeting, MeetingPoint, Place

# What the migration's triggers must maintain: the one listed rule (finder.meetings.visibility), less online-only
# meetings (they have no place to rank by), computed from the tables themselves.
EXPECTED = (
    select(Meeting.id, Place.latitude, Place.longitude, Meeting.name,
           case((and_(visibility.listed(), Meeting.attendance != "online"), 1), else_=0))
    .join(Place, Place.id == Meeting.place_id).order_by(Meeting.id)
)


def _points(session) -> list[tuple]:
    rows = session.execute(select(MeetingPoint.meeting_id, MeetingPoint.latitude, MeetingPoint.longitude,
                                  MeetingPoint.name, MeetingPoint.listed).order_by(MeetingPoint.meeting_id))
    return [(*row[:4], int(row[4])) for row in rows]


def _in_step(session) -> None:
    session.flush()
    assert _points(session) == [tuple(row) for row in session.execute(EXPECTED)]


def test_points_follow_meetings_through_the_orm(session, make_meeting, make_place):
    shared = make_place(latitude=40.0, longitude=-75.0)
    first, second = make_meeting(place=shared), make_meeting(place=shared)
    other = make_meeting(attendance="hybrid")
    _in_step(session)
    assert len(_points(session)) == 3 and all(point[4] == 1 for point in _points(session))
    first.name = "Renamed Group"
    second.published = False
    other.status = "inactive"
    _in_step(session)
    other.status, other.attendance = "temporarily_closed", "online"  # closed for now is listed; online-only not
    _in_step(session)
    shared.latitude, shared.longitude = 41.5, -74.25  # the place moves: both of its meetings move with it
    _in_step(session)
    assert session.get(MeetingPoint, first.id).latitude == 41.5
    first.place = make_place(latitude=-33.9, longitude=151.2)  # a meeting changes place
    _in_step(session)
    session.delete(second)
    _in_step(session)
    assert session.get(MeetingPoint, second.id) is None


def test_points_follow_bulk_writes(session, make_meeting, make_place):
    """Imports write with Core statements (and COPY on PostgreSQL): the triggers see those too."""
    place = make_place()
    template = make_meeting(place=place)
    session.execute(insert(Meeting), [
        dict(slug=f"bulk-{i}", name=f"Bulk {i}", place_id=place.id, attendance="in_person", status="active",
             published=True, language="en", sequence=0, created_at=dt.datetime.now(dt.timezone.utc),
             updated_at=dt.datetime.now(dt.timezone.utc))
        for i in range(5)
    ])
    _in_step(session)
    session.execute(update(Meeting).where(Meeting.slug.like("bulk-%")).values(published=False))
    session.execute(update(Place).where(Place.id == place.id).values(latitude=10.0, longitude=20.0))
    _in_step(session)
    session.execute(delete(Meeting).where(Meeting.slug == "bulk-0"))
    _in_step(session)
    assert session.get(MeetingPoint, template.id).latitude == 10.0


def test_upgrade_copies_meetings_that_existed_before(tmp_path):
    engine = db.make_engine(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    migrate.upgrade(engine, "0003_moderation")
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO places (id, name, street, city, region, postal_code, country, latitude, longitude, "
            "precision, timezone, notes, is_demo) VALUES (1, 'Hall', '', 'Town', '', '', 'US', 45.5, -122.6, "
            "'rooftop', 'America/Los_Angeles', '', 0)"))
        for n, published in ((1, 1), (2, 0)):
            connection.execute(text(
                "INSERT INTO meetings (id, slug, name, place_id, attendance, status, published, language, sequence, "
                "conference_url, conference_notes, phone, phone_notes, notes, source, source_id, is_demo, "
                f"created_at, updated_at) VALUES ({n}, 'm{n}', 'Meeting {n}', 1, 'in_person', 'active', {published}, "
                "'en', 0, '', '', '', '', '', '', '', 0, '2026-01-01 00:00:00', '2026-01-01 00:00:00')"))
    migrate.upgrade(engine)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT meeting_id, latitude, listed FROM meeting_points ORDER BY 1")).all() \
            == [(1, 45.5, 1), (2, 45.5, 0)]
    engine.dispose()
