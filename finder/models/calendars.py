"""Personal calendar lists: meeting ids under one lasting subscribe address, changed through a private edit key."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column

from finder.db import Base, UTCDateTime
from finder.models._types import created_at, intpk

# Which meetings a list holds: ids only. Deleting a meeting (or the list) deletes its rows.
calendar_list_meetings = Table(
    "calendar_list_meetings",
    Base.metadata,
    Column("list_id", ForeignKey("calendar_lists.id", ondelete="CASCADE"), primary_key=True),
    Column("meeting_id", ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class CalendarList(Base):
    """A personal list of meetings with one lasting public address (`public_id`, in the feed URL).

    Nothing about its owner is kept: no name, e-mail, address or location; `secret_hash` is the SHA-256 of the
    edit key, which exists only in the owner's edit link and browser cookie. `changed_at` is the last change of
    its meetings (the feed's Last-Modified and cache key); `used_at` the last time its owner opened or kept it,
    from which it expires (finder.calendar_lists).
    """

    __tablename__ = "calendar_lists"

    id: Mapped[intpk]
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[created_at]
    changed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
