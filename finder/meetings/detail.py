"""What a meeting's page shows besides the meeting: its next occurrences, the cancellations and closures worth
announcing, and the other meetings at its place or of its group."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.interfaces import LoaderOption

from finder.core import schedule
from finder.meetings import visibility
from finder.models import Meeting, ScheduleException

# How far ahead a cancellation or closure is announced at the top of a meeting's page.
NOTICE_DAYS = 7
OTHERS = 12


@dataclass(frozen=True)
class Notice:
    """A dated exception worth announcing: 'Not meeting on Thursday, Dec 24 (Christmas Eve)'."""

    kind: str
    first: dt.date
    last: dt.date
    reason: str


@dataclass(frozen=True)
class MeetingPage:
    upcoming: list[schedule.Occurrence]
    notices: list[Notice]
    others: list[Meeting]


def load_options() -> tuple[LoaderOption, ...]:
    """What the page reads of a meeting, loaded with it."""
    return (
        selectinload(Meeting.times), selectinload(Meeting.formats), selectinload(Meeting.place),
        selectinload(Meeting.exceptions), selectinload(Meeting.group), selectinload(Meeting.service_body),
    )


def meeting_page(session: Session, meeting: Meeting, now: dt.datetime) -> MeetingPage:
    """The next three occurrences (none once it no longer meets), this week's notices in its zone, and the listed
    meetings sharing its place or group, by name."""
    zone = meeting.place.timezone
    upcoming = schedule.next_occurrences(meeting.times, zone, now, meeting.exceptions, n=3) \
        if visibility.still_meets(meeting) else []
    today = now.astimezone(schedule.zone_of(zone)).date()
    return MeetingPage(upcoming, upcoming_notices(list(meeting.exceptions), today), others_nearby(session, meeting))


def upcoming_notices(exceptions: list[ScheduleException], today: dt.date) -> list[Notice]:
    """Cancellations and closures that touch the next NOTICE_DAYS days (today in the meeting's zone)."""
    horizon = today + dt.timedelta(days=NOTICE_DAYS)
    notices = []
    for first, last in schedule.skipped_ranges(exceptions):
        if first <= horizon and last >= today:
            source = next(e for e in exceptions if e.start_date == first)
            notices.append(Notice(source.kind, first, last, source.reason))
    return notices


def others_nearby(session: Session, meeting: Meeting) -> list[Meeting]:
    """Listed meetings at the same place or of the same group, by name."""
    nearby = [Meeting.place_id == meeting.place_id]
    if meeting.group_id is not None:
        nearby.append(Meeting.group_id == meeting.group_id)
    return list(session.scalars(
        select(Meeting).where(or_(*nearby), Meeting.id != meeting.id, visibility.listed())
        .options(selectinload(Meeting.times), selectinload(Meeting.place)).order_by(Meeting.name).limit(OTHERS)))
