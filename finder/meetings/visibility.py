"""Which meetings the public sees, defined once: every reader (search, feeds, calendars, API, pages, the duplicate
check) starts from these conditions.

- public: the meeting has a page (and an API record and a calendar): it is published. A meeting that no longer
  meets stays public, marked as such, so bookmarks and subscribed calendars learn it ended.
- listed: the meeting appears in search results, feeds and lists of meetings: public and still meeting.

Migration 0004 writes the listed rule into SQL triggers (meeting_points.listed); tests/test_meeting_points.py
checks the triggers against listed() on both databases.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, String, and_, literal_column, select
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.interfaces import LoaderOption

from finder.models import Meeting, ServiceBody

ENDED = "inactive"  # the status of a meeting that no longer meets


def public() -> ColumnElement[bool]:
    """Meetings that have a page: published."""
    return Meeting.published.is_(True)


def listed() -> ColumnElement[bool]:
    """Meetings in search results, feeds and lists: published and still meeting."""
    return and_(public(), Meeting.status != _word(ENDED))


def is_public(meeting: Any) -> bool:
    """public() for a meeting already loaded."""
    return bool(meeting.published)


def still_meets(meeting: Any) -> bool:
    """The Python side of listed's second half, for a meeting already loaded."""
    return meeting.status != ENDED


def public_meeting(session: Session, slug: str, *load: LoaderOption) -> Meeting | None:
    """The public meeting whose page is /meetings/<slug> (with `load` options), or None."""
    return session.scalars(select(Meeting).where(Meeting.slug == slug, public()).options(*load)).one_or_none()


def listed_meetings_select() -> Select[Meeting]:
    """Listed meetings as ORM objects, with what feeds read loaded, by slug."""
    return (
        select(Meeting)
        .where(listed())
        .options(
            selectinload(Meeting.times), selectinload(Meeting.formats), selectinload(Meeting.place),
            selectinload(Meeting.group), selectinload(Meeting.service_body).selectinload(ServiceBody.parent),
        )
        .order_by(Meeting.slug)
    )


def _word(word: str) -> ColumnElement[str]:
    """A fixed word as an SQL literal: a prepared statement's generic plan still knows it (finder.search.ranking)."""
    assert word.isidentifier()
    return literal_column(f"'{word}'", String)
