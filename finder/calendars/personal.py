"""Personal calendar lists: create, open with the edit key, add and remove meetings, keep, expire.

A list has one lasting public address (its feed never moves when meetings are added or removed) and a private
edit key, of which only a hash is stored. It holds meeting ids and nothing about its owner. A list expires
LIST_LIFETIME after its owner last opened it with the edit key (or pressed Keep on its page); its feed's name
warns for the last EXPIRY_WARNING. Feed fetches do not count as use: a calendar app keeps fetching a list its
owner has long forgotten, which is the case expiry is for, and the warning is how that owner hears of it.

Functions take the session and `now`, and never commit: the request owns the transaction.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from flask_babel import gettext
from sqlalchemy import ColumnElement, and_, delete, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from finder import db
from finder.calendars import feeds
from finder.meetings import visibility
from finder.models import CalendarList, Meeting, calendar_list_meetings

MAX_LIST_MEETINGS = feeds.MAX_LIST_MEETINGS  # the same limit as a code-in-the-URL list
LIST_LIFETIME = dt.timedelta(days=365)
EXPIRY_WARNING = dt.timedelta(days=30)
# Opening a list records the use at most this often: a list page opened ten times a day is one write, not ten.
TOUCH_EVERY = dt.timedelta(days=1)
PUBLIC_ID_BYTES = 16  # 128 random bits: the address cannot be guessed or enumerated
SECRET_BYTES = 24  # 192 random bits: a fast hash of it is as safe as a slow hash of a password
FEED_NAME = "My NA meetings"
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


class ListError(Exception):
    """A list request that cannot be done; `message` says why in words for the page, `status` is the HTTP code."""

    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ListNotFound(ListError):
    status = 404


class ListExpired(ListError):
    status = 410


class BadEditKey(ListError):
    status = 403


class ListFull(ListError):
    status = 400


class NotListable(ListError):
    status = 404


@dataclass(frozen=True)
class NewList:
    """A list just made, with its edit key: the only moment the key exists outside the owner's link."""

    row: CalendarList
    secret: str


def hash_secret(secret: str) -> str:
    """The stored form of an edit key (hex SHA-256)."""
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def expires_at(row: CalendarList) -> dt.datetime:
    """When the list expires unless its owner opens or keeps it before then."""
    return row.used_at + LIST_LIFETIME


def expiry_warning(row: CalendarList, now: dt.datetime) -> dt.date | None:
    """The expiry date to warn about (in the feed's name and on its page) once it is near; None before."""
    ends = expires_at(row)
    return ends.date() if ends - EXPIRY_WARNING <= now else None


def create_list(session: Session, meeting_ids: Iterable[int], now: dt.datetime) -> NewList:
    """A new list holding `meeting_ids` (those that are listed; the rest are dropped). Raises ListFull."""
    ids = listable_ids(session, meeting_ids)
    if len(ids) > MAX_LIST_MEETINGS:
        raise ListFull(gettext("A list holds at most %(count)d meetings.", count=MAX_LIST_MEETINGS))
    secret = secrets.token_urlsafe(SECRET_BYTES)
    row = CalendarList(public_id=secrets.token_urlsafe(PUBLIC_ID_BYTES), secret_hash=hash_secret(secret),
                       created_at=now, changed_at=now, used_at=now)
    session.add(row)
    session.flush()
    if ids:
        session.execute(insert(calendar_list_meetings), [{"list_id": row.id, "meeting_id": i} for i in sorted(ids)])
    return NewList(row, secret)


def find_list(session: Session, public_id: str, now: dt.datetime) -> CalendarList:
    """The list at a public address. Raises ListNotFound (no such list) or ListExpired."""
    if not isinstance(public_id, str) or not _TOKEN.match(public_id):
        raise ListNotFound(gettext("There is no calendar at this address. Check that the link was copied completely."))
    row = session.scalars(select(CalendarList).where(CalendarList.public_id == public_id)).one_or_none()
    if row is None:
        raise ListNotFound(gettext("There is no calendar at this address: it was never made, or it expired and was "
                                   "deleted. Check that the link was copied completely."))
    if expires_at(row) <= now:
        raise ListExpired(gettext("This calendar expired on %(day)s, a year after it was last opened. Make a new "
                                  "one: its meetings are not kept.", day=_day(expires_at(row))))
    return row


def open_for_edit(session: Session, public_id: str, secret: str | None, now: dt.datetime, *,
                  lock: bool = False) -> CalendarList:
    """The list, when `secret` is its edit key; opening it counts as use (renews it). Raises BadEditKey,
    ListNotFound or ListExpired. `lock` holds the row until commit (for a change, so two at once cannot both
    pass the size limit)."""
    row = find_list(session, public_id, now)
    if lock:
        session.refresh(row, with_for_update=True)
    if not secret or not _TOKEN.match(secret) or not hmac.compare_digest(hash_secret(secret), row.secret_hash):
        raise BadEditKey(gettext("This edit link is not valid for this calendar: it may have been cut short when it "
                                 "was copied. The calendar itself is unchanged."))
    if now - row.used_at >= TOUCH_EVERY:
        row.used_at = now
    return row


def keep(row: CalendarList, now: dt.datetime) -> None:
    """Renew a list (someone with its address pressed Keep): it expires LIST_LIFETIME from now."""
    row.used_at = now


def meeting_ids(session: Session, row: CalendarList) -> list[int]:
    """The ids the list holds, ascending."""
    return list(session.scalars(
        select(calendar_list_meetings.c.meeting_id)
        .where(calendar_list_meetings.c.list_id == row.id)
        .order_by(calendar_list_meetings.c.meeting_id)
    ))


def holds(row: CalendarList) -> ColumnElement[bool]:
    """A condition on Meeting: in this list (for the feed's one query)."""
    return Meeting.id.in_(
        select(calendar_list_meetings.c.meeting_id).where(calendar_list_meetings.c.list_id == row.id)
    )


def listable_ids(session: Session, meeting_ids: Iterable[int]) -> set[int]:
    """Of `meeting_ids`, those that exist and are listed (finder.meetings.visibility: published, still meeting)."""
    wanted = {int(i) for i in meeting_ids if 0 < int(i) < 2**31}
    if not wanted:
        return set()
    return set(session.scalars(select(Meeting.id).where(Meeting.id.in_(sorted(wanted)), visibility.listed())))


def add_meeting(session: Session, row: CalendarList, meeting_id: int, now: dt.datetime) -> bool:
    """Add a meeting; False when it was already there. Raises NotListable (no such listed meeting) or ListFull.

    Nothing changes when it raises."""
    if not listable_ids(session, [meeting_id]):
        raise NotListable(gettext("That meeting is not in the directory (or no longer meets), so it cannot be added."))
    present = calendar_list_meetings.c
    if session.scalar(select(func.count()).where(and_(present.list_id == row.id, present.meeting_id == meeting_id))):
        return False
    if (session.scalar(select(func.count()).where(present.list_id == row.id)) or 0) >= MAX_LIST_MEETINGS:
        raise ListFull(gettext("Your list already holds %(count)d meetings, the most one list can. Remove one to "
                               "add another.", count=MAX_LIST_MEETINGS))
    try:
        with session.begin_nested():  # the same meeting added twice at once: the second finds it there
            session.execute(insert(calendar_list_meetings).values(list_id=row.id, meeting_id=meeting_id))
    except IntegrityError:
        return False
    row.changed_at = now
    return True


def change_list(session: Session, row: CalendarList, *, add: int | None, remove: int | None,
                now: dt.datetime) -> dict[str, int]:
    """One tap on the edit page: add and/or remove a meeting. Returns what was done ({"added": id, "removed": id},
    for the page to say). Raises NotListable or ListFull; the caller rolls back."""
    done: dict[str, int] = {}
    if add is not None:
        add_meeting(session, row, add, now)
        done["added"] = add
    if remove is not None:
        remove_meeting(session, row, remove, now)
        done["removed"] = remove
    return done


def add_or_start(session: Session, held: tuple[CalendarList, str] | None, meeting_id: int,
                 now: dt.datetime) -> tuple[CalendarList, str, str]:
    """"Add to my calendar": into the list this browser holds (row, edit key), or a new list started with it.
    Returns (row, edit key, "added" or "started"). Raises NotListable or ListFull."""
    if held is not None:
        add_meeting(session, held[0], meeting_id, now)
        return held[0], held[1], "added"
    listable_meeting(session, meeting_id)
    made = create_list(session, [meeting_id], now)
    return made.row, made.secret, "started"


def refused_opening(error: ListError) -> bool:
    """Whether the list could not be opened at all (unknown, expired, wrong key), rather than refusing a change."""
    return isinstance(error, (BadEditKey, ListNotFound, ListExpired))


def remove_meeting(session: Session, row: CalendarList, meeting_id: int, now: dt.datetime) -> bool:
    """Remove a meeting; False when it was not there."""
    present = calendar_list_meetings.c
    if not db.rows_changed(
        session, delete(calendar_list_meetings).where(present.list_id == row.id, present.meeting_id == meeting_id)
    ):
        return False
    row.changed_at = now
    return True


def prune_expired(session: Session, now: dt.datetime) -> int:
    """Delete every expired list (its meetings go with it); returns how many. For a daily cron job."""
    return db.rows_changed(session, delete(CalendarList).where(CalendarList.used_at <= now - LIST_LIFETIME)) or 0


def _day(moment: dt.datetime) -> str:
    return f"{moment:%B} {moment.day}, {moment.year}"


# --- what a list's pages show --------------------------------------------------------------------------------------


def feed_name(warn_on: dt.date | None) -> str:
    """The list's calendar name: where a forgotten list's owner sees that it will expire."""
    if warn_on is None:
        return FEED_NAME
    return f"{FEED_NAME} (expires {warn_on:%B} {warn_on.day}, {warn_on.year}: open your list to keep it)"


def list_meetings(session: Session, row: CalendarList, now: dt.datetime) -> list[Meeting]:
    """The list's meetings for its pages, by name (one that left the directory is no longer shown)."""
    query = (select(Meeting).where(feeds.feed_condition(now), holds(row))
             .options(selectinload(Meeting.times)).order_by(Meeting.name, Meeting.id))
    return list(session.scalars(query))


def listable_meeting(session: Session, meeting_id: int) -> Meeting:
    """The meeting to add, when listed. Raises NotListable."""
    meeting = session.scalars(select(Meeting).where(Meeting.id == meeting_id, visibility.listed())
                              .options(selectinload(Meeting.times))).one_or_none()
    if meeting is None:
        raise NotListable(gettext("That meeting is not in the directory (or no longer meets), so it cannot "
                                  "be added to a calendar."))
    return meeting


def meeting_name(session: Session, meeting_id: int) -> str | None:
    """A meeting's name, for saying what a change to a list did."""
    return session.scalar(select(Meeting.name).where(Meeting.id == meeting_id))
