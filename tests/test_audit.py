"""The audit log: entries record who, when, before/after as plain JSON; changes() filters by time and meeting."""
from __future__ import annotations

import datetime as dt
import json

import pytest

from finder.admin import audit
from finder.models import AuditEntry, User


def _admin(session):
    user = User(email="ada@example.org", name="Ada", password_hash="x", role="admin")
    session.add(user)
    session.flush()
    return user


def test_meeting_snapshot_is_plain_json(session, make_meeting):
    meeting = make_meeting(times=[(4, "19:30", 90), (0, "07:00", 60)], formats=["O", "BEG"],
                           exceptions=[{"kind": "cancelled", "start_date": dt.date(2026, 12, 25),
                                        "end_date": dt.date(2026, 12, 25), "reason": "Holiday"}])
    snap = audit.meeting_snapshot(meeting)
    assert json.loads(json.dumps(snap)) == snap
    assert snap["times"] == [{"weekday": 0, "start": "07:00", "duration_minutes": 60},
                             {"weekday": 4, "start": "19:30", "duration_minutes": 90}]
    assert snap["formats"] == ["BEG", "O"]
    assert snap["place"]["timezone"] == "America/New_York"
    assert snap["place"]["latitude"] == pytest.approx(39.9487)
    assert snap["exceptions"] == [{"kind": "cancelled", "start_date": "2026-12-25", "end_date": "2026-12-25",
                                   "reason": "Holiday"}]


def test_record_and_changes(session, make_meeting, now):
    admin = _admin(session)
    meeting = make_meeting()
    other = make_meeting()
    before = audit.meeting_snapshot(meeting)
    meeting.name = "New name"
    audit.record(session, actor=admin, action="update", entity=meeting, before=before,
                 after=audit.meeting_snapshot(meeting), submission=None, now=now)
    audit.record(session, actor="import:bmlt", action="import", entity=other, before=None,
                 after=audit.meeting_snapshot(other), submission=None, now=now + dt.timedelta(hours=1))
    session.commit()

    everything = audit.changes(session)
    assert [e.action for e in everything] == ["update", "import"]
    first = everything[0]
    assert (first.actor_id, first.actor_label, first.entity_type, first.entity_id) == (
        admin.id, "Ada", "meeting", meeting.id)
    assert first.created_at == now and first.created_at.tzinfo is not None
    assert audit.changed_fields(first.before, first.after) == ["name"]
    assert everything[1].actor is None and everything[1].actor_label == "import:bmlt"

    assert [e.entity_id for e in audit.changes(session, meeting_id=other.id)] == [other.id]
    assert [e.action for e in audit.changes(session, since=now + dt.timedelta(minutes=1))] == ["import"]
    assert [e.action for e in audit.changes(session, until=now + dt.timedelta(minutes=1))] == ["update"]
    assert audit.changes(session, since=now + dt.timedelta(days=1)) == []
    assert [e.action for e in audit.changes(session, newest_first=True, limit=1)] == ["import"]


def test_record_flushes_a_new_entity_and_accepts_a_deleted_one(session, make_place, now):
    from finder.models import ServiceBody

    body = ServiceBody(kind="area", name="Area <b>")
    session.add(body)
    entry = audit.record(session, actor=None, action="create", entity=body, before=None,
                         after=audit.snapshot(body), now=now)
    assert entry.entity_id == body.id and entry.entity_type == "service_body"
    gone = audit.record(session, actor=None, action="delete", entity=("meeting", 999), before={"id": 999},
                        after=None, now=now)
    session.commit()
    assert gone.entity_id == 999 and gone.actor_label == "system"
    assert session.get(AuditEntry, entry.id).after["name"] == "Area <b>"


def test_snapshot_never_copies_a_password_hash(session):
    user = _admin(session)
    assert "password_hash" not in audit.snapshot(user)


def test_record_refuses_unknown_actions_and_naive_times(session, make_meeting, now):
    meeting = make_meeting()
    with pytest.raises(ValueError):
        audit.record(session, actor=None, action="explode", entity=meeting, before=None, after=None, now=now)
    with pytest.raises(ValueError):
        audit.record(session, actor=None, action="update", entity=meeting, before=None, after=None,
                     now=now.replace(tzinfo=None))
