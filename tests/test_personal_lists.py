"""Tests for finder.calendars.personal: lasting personal lists, their edit key, limits and expiry (both databases)."""
import datetime as dt

import pytest
from sqlalchemy import func, select

from finder.calendars import personal as lists
from finder.models import Meeting
from finder.models import CalendarList, calendar_list_meetings

NOW = dt.datetime(2026, 12, 6, 12, 0, tzinfo=dt.timezone.utc)


def test_a_new_list_keeps_only_a_hash_of_its_key_and_only_listed_meetings(session, make_meeting):
    shown, hidden, gone = make_meeting(), make_meeting(published=False), make_meeting(status="inactive")
    made = lists.create_list(session, [shown.id, hidden.id, gone.id, 999_999], NOW)
    session.commit()
    row = session.get(CalendarList, made.row.id)
    assert lists.meeting_ids(session, row) == [shown.id]
    assert row.secret_hash == lists.hash_secret(made.secret) and made.secret not in row.secret_hash
    assert len(row.public_id) >= 22 and len(made.secret) >= 32 and row.public_id != made.secret
    assert (row.changed_at, row.used_at) == (NOW, NOW)


def test_adding_and_removing_keep_the_address(session, make_meeting):
    first, second = make_meeting(), make_meeting()
    made = lists.create_list(session, [first.id], NOW)
    address = made.row.public_id
    later = NOW + dt.timedelta(hours=3)
    row = lists.open_for_edit(session, address, made.secret, later)
    assert lists.add_meeting(session, row, second.id, later) is True
    assert lists.add_meeting(session, row, second.id, later) is False  # already there: nothing changes
    assert lists.remove_meeting(session, row, first.id, later) is True
    assert lists.remove_meeting(session, row, first.id, later) is False
    session.commit()
    again = lists.find_list(session, address, later)
    assert again.id == made.row.id and lists.meeting_ids(session, again) == [second.id]
    assert again.changed_at == later


@pytest.mark.parametrize("secret", ["", None, "x" * 10, "A" * 32, "not a key at all!", "\u0661" * 32])
def test_a_tampered_edit_key_changes_nothing(session, make_meeting, secret):
    meeting = make_meeting()
    made = lists.create_list(session, [meeting.id], NOW)
    session.commit()
    with pytest.raises(lists.BadEditKey) as caught:
        lists.open_for_edit(session, made.row.public_id, secret, NOW)
    assert caught.value.status == 403
    assert lists.meeting_ids(session, made.row) == [meeting.id]


@pytest.mark.parametrize("public_id", ["", "nope", "a" * 22, "../../etc/passwd", "a" * 500])
def test_an_unknown_address_is_not_found(session, public_id):
    with pytest.raises(lists.ListNotFound) as caught:
        lists.find_list(session, public_id, NOW)
    assert caught.value.status == 404 and "address" in caught.value.message


def test_only_listed_meetings_can_be_added(session, make_meeting):
    made = lists.create_list(session, [], NOW)
    for meeting_id in (make_meeting(published=False).id, make_meeting(status="inactive").id, 123_456_789):
        with pytest.raises(lists.NotListable):
            lists.add_meeting(session, made.row, meeting_id, NOW)
    assert lists.meeting_ids(session, made.row) == []


def test_a_full_list_refuses_one_more_and_loses_nothing(session, make_meeting, make_place):
    place = make_place()
    meetings = [make_meeting(place=place) for _ in range(lists.MAX_LIST_MEETINGS + 1)]
    made = lists.create_list(session, [m.id for m in meetings[:-1]], NOW)
    with pytest.raises(lists.ListFull, match="100"):
        lists.add_meeting(session, made.row, meetings[-1].id, NOW)
    assert len(lists.meeting_ids(session, made.row)) == lists.MAX_LIST_MEETINGS
    with pytest.raises(lists.ListFull):
        lists.create_list(session, [m.id for m in meetings], NOW)


def test_expiry_counts_from_the_last_use_and_warns_first(session, make_meeting):
    made = lists.create_list(session, [make_meeting().id], NOW)
    session.commit()
    row = made.row
    assert lists.expires_at(row) == NOW + lists.LIST_LIFETIME
    assert lists.expiry_warning(row, NOW + dt.timedelta(days=300)) is None
    warned = NOW + lists.LIST_LIFETIME - lists.EXPIRY_WARNING
    assert lists.expiry_warning(row, warned) == (NOW + lists.LIST_LIFETIME).date()
    # Opening it with the key renews it; a feed fetch (find_list) does not.
    lists.find_list(session, row.public_id, warned)
    assert row.used_at == NOW
    lists.open_for_edit(session, row.public_id, made.secret, warned)
    assert row.used_at == warned and lists.expiry_warning(row, warned) is None
    lists.keep(row, warned + dt.timedelta(days=1))
    session.commit()
    with pytest.raises(lists.ListExpired) as caught:
        lists.find_list(session, row.public_id, warned + dt.timedelta(days=1) + lists.LIST_LIFETIME)
    assert caught.value.status == 410 and "expired" in caught.value.message


def test_opening_often_writes_at_most_once_a_day(session, make_meeting):
    made = lists.create_list(session, [make_meeting().id], NOW)
    session.commit()
    lists.open_for_edit(session, made.row.public_id, made.secret, NOW + dt.timedelta(hours=5))
    assert made.row.used_at == NOW
    lists.open_for_edit(session, made.row.public_id, made.secret, NOW + dt.timedelta(days=1))
    assert made.row.used_at == NOW + dt.timedelta(days=1)


def test_prune_deletes_expired_lists_and_their_rows_only(session, make_meeting):
    meeting = make_meeting()
    lists.create_list(session, [meeting.id], NOW - lists.LIST_LIFETIME - dt.timedelta(days=1))
    fresh = lists.create_list(session, [meeting.id], NOW)
    session.commit()
    assert lists.prune_expired(session, NOW) == 1
    session.commit()
    assert session.scalars(select(CalendarList.public_id)).all() == [fresh.row.public_id]
    assert session.scalar(select(func.count()).select_from(calendar_list_meetings)) == 1


def test_deleting_a_meeting_removes_it_from_lists(session, make_meeting):
    keep, drop = make_meeting(), make_meeting()
    made = lists.create_list(session, [keep.id, drop.id], NOW)
    session.commit()
    session.delete(session.get(Meeting, drop.id))
    session.commit()
    assert lists.meeting_ids(session, made.row) == [keep.id]


def test_the_prune_command_deletes_expired_lists(runner, session, make_meeting):
    old = lists.create_list(session, [make_meeting().id], NOW - lists.LIST_LIFETIME - dt.timedelta(days=400))
    session.commit()
    old_id = old.row.id
    result = runner.invoke(args=["prune-calendar-lists"])
    assert result.exit_code == 0 and "deleted 1 expired calendar list(s)" in result.output
    session.expunge_all()
    assert session.get(CalendarList, old_id) is None


def test_add_to_my_calendar_starts_a_list_then_adds_to_it(session, make_meeting, now):
    first, second = make_meeting(), make_meeting()
    row, secret, done = lists.add_or_start(session, None, first.id, now)
    assert done == "started" and lists.meeting_ids(session, row) == [first.id]
    assert lists.add_or_start(session, (row, secret), second.id, now) == (row, secret, "added")
    assert lists.change_list(session, row, add=None, remove=first.id, now=now) == {"removed": first.id}
    assert lists.meeting_ids(session, row) == [second.id]


def test_only_a_list_that_could_not_be_opened_refuses_opening():
    assert lists.refused_opening(lists.BadEditKey("x"))
    assert lists.refused_opening(lists.ListExpired("x"))
    assert not lists.refused_opening(lists.ListFull("x"))
