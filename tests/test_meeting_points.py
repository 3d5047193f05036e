"""meeting_points, the copy of each meeting's coordinates that searches rank from, and online_times, the copy of
online and hybrid meetings' weekly times with their zones, are kept true by the database's triggers on every write
path, on both databases."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, case, delete, insert, select, text, update

from finder import db, migrate
from finder.meetings import visibility
from finder.models import Meeting, MeetingPoint, MeetingTime, OnlineTime, Place

# What the migration's triggers must maintain: the one listed rule (finder.meetings.visibility), less online-only
# meetings (they have no place to rank by), computed from the tables themselves.
EXPECTED = (
    select(Meeting.id, Place.latitude, Place.longitude, Meeting.name,
           case((and_(visibility.listed(), Meeting.attendance != "online"), 1), else_=0))
    .join(Place, Place.id == Meeting.place_id).order_by(Meeting.id)
)


# What migration 0010's triggers must maintain: a row per weekly time of a meeting that is listed (the same rule)
# and online or hybrid, with its place's zone and its start's minute of the day.
EXPECTED_ONLINE = (
    select(MeetingTime.id, MeetingTime.meeting_id, MeetingTime.weekday, MeetingTime.start, Place.timezone,
           Meeting.attendance)
    .join(Meeting, Meeting.id == MeetingTime.meeting_id).join(Place, Place.id == Meeting.place_id)
    .where(visibility.listed(), Meeting.attendance.in_(("online", "hybrid"))).order_by(MeetingTime.id)
)


def _online_times(session) -> list[tuple]:
    return [tuple(row) for row in session.execute(
        select(OnlineTime.time_id, OnlineTime.meeting_id, OnlineTime.weekday, OnlineTime.start_minute,
               OnlineTime.timezone, OnlineTime.attendance).order_by(OnlineTime.time_id))]


def _expected_online(session) -> list[tuple]:
    return [(time_id, meeting_id, weekday, start.hour * 60 + start.minute, zone, attendance)
            for time_id, meeting_id, weekday, start, zone, attendance in session.execute(EXPECTED_ONLINE)]


def _points(session) -> list[tuple]:
    rows = session.execute(select(MeetingPoint.meeting_id, MeetingPoint.latitude, MeetingPoint.longitude,
                                  MeetingPoint.name, MeetingPoint.listed).order_by(MeetingPoint.meeting_id))
    return [(*row[:4], int(row[4])) for row in rows]


def _in_step(session) -> None:
    session.flush()
    assert _points(session) == [tuple(row) for row in session.execute(EXPECTED)]
    assert _online_times(session) == _expected_online(session)


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


def test_online_times_follow_meetings_times_and_places(session, make_meeting, make_place):
    home = make_place(timezone="America/Chicago")
    online = make_meeting(attendance="online", place=home, times=[(0, "19:00", 60), (6, "23:30", 90)])
    hybrid = make_meeting(attendance="hybrid", times=[(2, "07:15:30", 60)])
    in_person = make_meeting(place=home, times=[(3, "12:00", 60)])
    _in_step(session)
    assert sorted(row[1] for row in _online_times(session)) == [online.id, online.id, hybrid.id]
    assert {row[3] for row in _online_times(session)} == {19 * 60, 23 * 60 + 30, 7 * 60 + 15}
    online.times[0].start = dt.time(20, 45)  # a weekly time moves
    online.times[1].weekday = 5
    _in_step(session)
    online.times.append(MeetingTime(weekday=4, start=dt.time(6), duration_minutes=60))  # one more time
    hybrid.times.clear()  # times deleted
    _in_step(session)
    in_person.attendance = "hybrid"  # it can be joined online now
    _in_step(session)
    home.timezone = "Pacific/Kiritimati"  # the place's zone changes: its meetings' times follow
    _in_step(session)
    assert {row[4] for row in _online_times(session) if row[1] == online.id} == {"Pacific/Kiritimati"}
    online.published = False
    in_person.status = "temporarily_closed"  # closed for now is still listed
    _in_step(session)
    online.published, in_person.status = True, "inactive"
    _in_step(session)
    online.place = make_place(timezone="Pacific/Pago_Pago")  # a meeting changes place
    online.attendance = "in_person"
    _in_step(session)
    online.attendance = "online"
    _in_step(session)
    session.delete(online)
    _in_step(session)
    assert not session.scalars(select(OnlineTime).where(OnlineTime.meeting_id == online.id)).all()


def test_online_times_follow_bulk_writes(session, make_meeting, make_place):
    place = make_place(timezone="Europe/London")
    meeting = make_meeting(place=place, attendance="online", times=[])
    session.execute(insert(MeetingTime), [dict(meeting_id=meeting.id, weekday=d, start=dt.time(18, 30),
                                               duration_minutes=60) for d in range(7)])
    _in_step(session)
    assert len(_online_times(session)) == 7
    session.execute(update(MeetingTime).where(MeetingTime.weekday == 0).values(start=dt.time(9)))
    session.execute(update(Place).where(Place.id == place.id).values(timezone="Asia/Kolkata"))
    _in_step(session)
    session.execute(update(Meeting).where(Meeting.id == meeting.id).values(attendance="hybrid"))
    _in_step(session)
    session.execute(update(Meeting).where(Meeting.id == meeting.id).values(status="inactive"))
    _in_step(session)
    assert _online_times(session) == []
    session.execute(update(Meeting).where(Meeting.id == meeting.id).values(status="active"))
    session.execute(delete(MeetingTime).where(MeetingTime.weekday == 3))
    _in_step(session)
    assert len(_online_times(session)) == 6


def test_upgrade_copies_online_times_that_existed_before(tmp_path):
    engine = db.make_engine(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    migrate.upgrade(engine, "0009_calendar_lists")
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO places (id, name, street, city, region, postal_code, country, latitude, longitude, "
            "precision, timezone, notes, is_demo) VALUES (1, 'Hall', '', 'Town', '', '', 'US', 45.5, -122.6, "
            "'rooftop', 'America/Los_Angeles', '', 0)"))
        for n, attendance in ((1, "online"), (2, "in_person"), (3, "hybrid")):
            connection.execute(text(
                "INSERT INTO meetings (id, slug, name, place_id, attendance, status, published, language, sequence, "
                "conference_url, conference_notes, phone, phone_notes, notes, source, source_id, is_demo, "
                f"created_at, updated_at) VALUES ({n}, 'm{n}', 'Meeting {n}', 1, '{attendance}', 'active', 1, "
                "'en', 0, '', '', '', '', '', '', '', 0, '2026-01-01 00:00:00', '2026-01-01 00:00:00')"))
            connection.execute(text(
                f"INSERT INTO meeting_times (id, meeting_id, weekday, start, duration_minutes) "
                f"VALUES ({n}, {n}, 6, '21:05:00.000000', 60)"))
    migrate.upgrade(engine)
    with engine.connect() as connection:
        assert connection.execute(text(
            "SELECT time_id, meeting_id, weekday, start_minute, timezone, attendance FROM online_times ORDER BY 1"
        )).all() == [(1, 1, 6, 21 * 60 + 5, "America/Los_Angeles", "online"),
                     (3, 3, 6, 21 * 60 + 5, "America/Los_Angeles", "hybrid")]
    engine.dispose()
