"""Sources that meetings are kept in step with (a BMLT root server or a Meeting Guide feed), their last run, and
which meetings each keeps."""
from __future__ import annotations

import datetime as dt

from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from finder.db import Base, UTCDateTime
from finder.models._types import created_at, intpk, long_str, text

if TYPE_CHECKING:
    from finder.models.meetings import Meeting

SYNC_KINDS = ("bmlt", "meeting_guide")


class SyncSource(Base):
    """One `sync-bmlt` or `sync-meeting-guide` target: the URL and, for BMLT, the service bodies taken from it.

    The meetings it wrote are its own (MeetingSync): only those are unpublished when they leave the source, so
    two syncs of different service bodies of one server never unpublish each other's meetings.
    """

    __tablename__ = "sync_sources"
    __table_args__ = (
        UniqueConstraint("kind", "url", "scope"),
        CheckConstraint("kind IN ('bmlt', 'meeting_guide')", name="kind_known"),
    )

    id: Mapped[intpk]
    kind: Mapped[str] = mapped_column(String(20))
    url: Mapped[long_str]
    scope: Mapped[long_str]  # BMLT service body ids as the source numbers them, "12,13"; "" = everything
    created_at: Mapped[created_at]
    last_run_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_success_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[text]
    last_summary: Mapped[long_str]

    @property
    def label(self) -> str:
        what = "BMLT root server" if self.kind == "bmlt" else "Meeting Guide feed"
        return f"{what} {self.url}" + (f" (service bodies {self.scope})" if self.scope else "")


class MeetingSync(Base):
    """A meeting a sync keeps in step with its source, and a hash of what that sync last wrote: a meeting whose
    details no longer hash the same was edited here, and the next run will overwrite the edit.

    A table of its own, not columns on meetings: a sync's bookkeeping is not a change visitors see, so it
    neither bumps the data version nor touches the meetings table's triggers.
    """

    __tablename__ = "meeting_syncs"

    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True,
                                            autoincrement=False)
    sync_source_id: Mapped[int] = mapped_column(ForeignKey("sync_sources.id", ondelete="CASCADE"), index=True)
    synced_hash: Mapped[str] = mapped_column(String(64), default="", server_default="")

    meeting: Mapped[Meeting] = relationship(back_populates="sync")
    source: Mapped[SyncSource] = relationship()
