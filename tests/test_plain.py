"""finder.search.loader reads meetings as plain rows that say what the ORM objects say, on both databases."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from finder.search import loader
from finder.models import Format, Meeting

EXCEPTIONS = [
    dict(kind="closed", start_date=dt.date(2026, 12, 20), end_date=dt.date(2027, 1, 3), reason="Holidays"),
    dict(kind="cancelled", start_date=dt.date(2026, 12, 1), end_date=dt.date(2026, 12, 1), reason=""),
]


def _same(plain_meeting: loader.PlainMeeting, meeting: Meeting) -> None:
    for name in ("id", "slug", "name", "attendance", "status", "sequence", "group_id", "service_body_id",
                 "language", "published", "notes", "conference_url", "is_online", "format_codes", "timezone"):
        assert getattr(plain_meeting, name) == getattr(meeting, name), name
    for name in ("name", "city", "latitude", "longitude", "timezone", "full_address", "locality", "is_approximate"):
        assert getattr(plain_meeting.place, name) == getattr(meeting.place, name), name
    assert [(t.id, t.weekday, t.start, t.duration_minutes) for t in plain_meeting.times] == \
        [(t.id, t.weekday, t.start, t.duration_minutes) for t in meeting.times]
    columns = ("id", "code", "name", "description", "kind", "naws_code", "mg_code", "world_id")
    assert [[getattr(f, c) for c in columns] for f in plain_meeting.formats] == \
        [[getattr(f, c) for c in columns] for f in meeting.formats]


def test_page_rows_match_the_models(session, make_meeting):
    busy = make_meeting(times=[(6, "23:30", 90), (0, "07:00", None), (0, "06:45:30", 60)],
                        formats=["WCHR", "O", "ES", "BT"], exceptions=EXCEPTIONS, attendance="hybrid",
                        conference_url="https://meet.example.org/x", sequence=3)
    bare = make_meeting(times=[], formats=[], notes="Back door, ring twice")
    session.expire_all()
    found = loader.meetings_by_id(session, [bare.id, busy.id, bare.id], with_bodies=False, with_exceptions=True)
    assert sorted(found) == sorted([busy.id, bare.id])
    for meeting in (session.get(Meeting, busy.id), session.get(Meeting, bare.id)):
        _same(found[meeting.id], meeting)
    assert [t.duration_minutes for t in found[busy.id].times] == [60, 60, 90]  # an unknown duration reads as 60
    # The same rows through the feeds' loader (children joined to a condition): calendars build UIDs from t.id.
    for loaded in loader.meetings_where(session, Meeting.id.in_([busy.id, bare.id]), with_exceptions=True):
        _same(loaded, session.get(Meeting, loaded.id))
        assert [e.start_date for e in loaded.exceptions] == [e.start_date for e in found[loaded.id].exceptions]
    assert [(e.kind, e.start_date) for e in found[busy.id].exceptions] == [
        ("cancelled", dt.date(2026, 12, 1)), ("closed", dt.date(2026, 12, 20))]
    assert found[bare.id].times == [] and found[bare.id].formats == [] and found[bare.id].exceptions == []


def test_exceptions_only_when_asked_and_bodies_linked(session, make_meeting, make_body):
    area = make_body(kind="area", name="Center City Area")
    group = make_body(kind="group", name="Hope Group", parent=area)
    meeting = make_meeting(exceptions=EXCEPTIONS, group_id=group.id, service_body_id=area.id)
    found = loader.meetings_by_id(session, [meeting.id])[meeting.id]
    assert found.exceptions == []
    assert found.group.name == "Hope Group" and found.group.parent.name == "Center City Area"
    assert found.service_body.name == "Center City Area"


def test_a_format_added_after_the_vocabulary_was_read_is_found(session, make_meeting):
    first = make_meeting(formats=["O"])
    loader.meetings_by_id(session, [first.id], with_bodies=False)  # reads the vocabulary
    session.add(Format(code="ZZ", name="Zebra", description="", kind="format", naws_code="", world_id=""))
    session.flush()
    second = make_meeting(formats=["ZZ", "O"])
    found = loader.meetings_by_id(session, [second.id], with_bodies=False)[second.id]
    assert [f.code for f in found.formats] == ["O", "ZZ"]
    assert session.scalar(select(Format.name).where(Format.code == "ZZ")) == found.formats[1].name


def test_unknown_ids_are_left_out(session):
    assert loader.meetings_by_id(session, [10**9], with_bodies=False) == {}
    assert loader.meetings_by_id(session, []) == {}


def test_meeting_cache_reads_a_meeting_once_per_data_version(session, make_meeting):
    from sqlalchemy import event

    busy = make_meeting(exceptions=EXCEPTIONS, formats=["O"])
    bare, third = make_meeting(), make_meeting()
    session.commit()
    statements = []
    engine = session.get_bind()

    def count(_connection, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        cache = loader.MeetingCache(entries=2)
        first = cache.meetings(session, [bare.id, busy.id, 10**9], "1")
        assert list(first) == [bare.id, busy.id]  # the order asked, an unknown id left out
        assert [e.kind for e in first[busy.id].exceptions] == ["cancelled", "closed"]  # exceptions always read
        read = len(statements)
        assert read > 0
        again = cache.meetings(session, [bare.id, busy.id], "1")  # busy is now the most recently used
        assert len(statements) == read and again[busy.id] is first[busy.id]  # served from memory
        cache.meetings(session, [third.id], "1")  # two entries at most: bare, the least recently used, goes
        assert len(cache) == 2
        read = len(statements)
        assert cache.meetings(session, [busy.id], "1")[busy.id] is first[busy.id] and len(statements) == read
        assert cache.meetings(session, [bare.id], "1")[bare.id] is not first[bare.id] and len(statements) > read
        # A new data version (an approval or import committed) empties it: every meeting is read again.
        read = len(statements)
        fresh = cache.meetings(session, [busy.id], "2")
        assert fresh[busy.id] is not first[busy.id] and len(statements) > read
        _same(fresh[busy.id], session.get(Meeting, busy.id))
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_meeting_cache_keeps_rows_only_for_the_version_it_holds(session, make_meeting, monkeypatch):
    """A request that read its version before another request saw a newer one does not store its (older) rows."""
    meeting = make_meeting()
    session.commit()
    cache = loader.MeetingCache()
    real = loader.meetings_by_id

    def racing(*args, **kwargs):
        found = real(*args, **kwargs)
        cache.meetings(session, [], "2")  # meanwhile, another request sees version 2
        return found

    monkeypatch.setattr(loader, "meetings_by_id", racing)
    assert meeting.id in cache.meetings(session, [meeting.id], "1")
    assert len(cache) == 0
