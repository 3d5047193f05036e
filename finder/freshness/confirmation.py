"""Recording that a meeting's details were confirmed: the one call every kind of confirmation makes."""
from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from finder.models import Meeting, User


def confirm(session: Session, meeting: Meeting, *, by: User | str, now: dt.datetime) -> bool:
    """Record that the meeting's details were confirmed as right at `now` by `by` (an admin account, or a label
    such as "organizer", "approved NA-7K3QX2" or "sync:bmlt"). Returns False when it was already confirmed
    after `now` (a sync replaying old data never moves the date back).

    A confirmation is not a change: `updated_at` (the calendars' LAST-MODIFIED) keeps its value. It does not
    clear a "not meeting" mark either; only a moderator's resolution does (finder.freshness.services.resolve).
    Neither flushes nor commits (a sync writes a whole source in one flush).
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if meeting.confirmed_at is not None and meeting.confirmed_at > now:
        return False
    meeting.confirmed_at = now
    meeting.confirmed_by = (by.label if isinstance(by, User) else by)[:80]
    not_a_change(meeting)
    return True


def not_a_change(meeting: Meeting) -> None:
    """Keep `updated_at` as it is when only freshness bookkeeping is written (a confirmation, a mark, a prompt):
    the column's onupdate would stamp it with the clock; naming it in the UPDATE keeps its value."""
    flag_modified(meeting, "updated_at")
