"""Visitors' reports of a problem with a meeting: what was wrong, never who said so."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from finder.db import Base, UTCDateTime
from finder.models._types import intpk, text
from finder.models.meetings import Meeting
from finder.models.moderation import User

REPORT_KINDS = ("nobody_there", "wrong_time", "wrong_place", "bad_link", "other")
REPORT_STATUSES = ("open", "resolved")
RESOLUTIONS = ("confirmed", "changed", "inactive")


class MeetingReport(Base):
    """One visitor's report on one meeting, kept for its moderators.

    No address, account or cookie is stored. `reporter_hash` is a keyed hash of the visitor's address and the
    meeting, with a key that exists only for the window `window_id` (finder.freshness.reporter_hash): it lets us
    count distinct reporters inside the window and is set to NULL once the window has passed, after which the
    report cannot be linked to anyone or to any other report.
    """

    __tablename__ = "meeting_reports"
    __table_args__ = (
        # One report of a kind per visitor, meeting and window: a flood from one client stores nothing more.
        Index("uq_meeting_reports_meeting_window_reporter_kind", "meeting_id", "window_id", "reporter_hash", "kind",
              unique=True),
        Index("ix_meeting_reports_status_created_at", "status", "created_at"),
        CheckConstraint(
            "kind IN ('nobody_there', 'wrong_time', 'wrong_place', 'bad_link', 'other')", name="kind_known"
        ),
        CheckConstraint("status IN ('open', 'resolved')", name="status_known"),
        CheckConstraint(
            "resolution IS NULL OR resolution IN ('confirmed', 'changed', 'inactive')", name="resolution_known"
        ),
    )

    id: Mapped[intpk]
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))  # first in uq_ index
    kind: Mapped[str] = mapped_column(String(20))
    note: Mapped[text]  # the visitor's own words: shown to moderators only, as text, never published
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    window_id: Mapped[int] = mapped_column(Integer)
    reporter_hash: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(10), default="open", server_default="open")
    resolution: Mapped[str | None] = mapped_column(String(20))
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    resolved_by_label: Mapped[str] = mapped_column(String(254), default="", server_default="")

    meeting: Mapped[Meeting] = relationship()
    resolved_by: Mapped[User | None] = relationship()
