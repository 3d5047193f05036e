"""Meetings, their weekly times, their exceptions and the NA format vocabulary."""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON, Boolean, CheckConstraint, Column, Date, Float, ForeignKey, Index, Integer, String, Table, Time, true,
)
from sqlalchemy import text as text_clause
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from finder.clock import utcnow
from finder.db import Base, UTCDateTime
from finder.models._types import (
    created_at, demo_flag, intpk, long_str, name_str, phone_str, short_str, slug_str, text, updated_at, url_str,
)
from finder.models.places import Place, ServiceBody
from finder.models.sync import MeetingSync

ATTENDANCE = ("in_person", "online", "hybrid")
STATUSES = ("active", "temporarily_closed", "inactive")
FORMAT_KINDS = ("open_closed", "format", "literature", "audience", "access", "language", "venue")
EXCEPTION_KINDS = ("cancelled", "closed")
TEXTS_JSON = JSON().with_variant(JSONB(), "postgresql")

meeting_formats = Table(
    "meeting_formats",
    Base.metadata,
    Column("meeting_id", ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True),
    Column("format_id", ForeignKey("formats.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Format(Base):
    """A meeting format (Open, Step study, Wheelchair accessible, Spanish ...)."""

    __tablename__ = "formats"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('open_closed', 'format', 'literature', 'audience', 'access', 'language', 'venue')",
            name="kind_known",
        ),
    )

    id: Mapped[intpk]
    code: Mapped[str] = mapped_column(String(10), unique=True)
    name: Mapped[name_str]
    description: Mapped[long_str]
    kind: Mapped[str] = mapped_column(String(20))
    naws_code: Mapped[short_str]
    mg_code: Mapped[str | None] = mapped_column(String(10))
    world_id: Mapped[short_str]


def _created_as_listed(context: Any) -> dt.datetime:
    """A new meeting's details count as confirmed when it was written (its updated_at, which may be given)."""
    return context.get_current_parameters().get("updated_at") or utcnow()


class Meeting(Base):
    """A weekly NA meeting: one row per meeting, with one or more weekly times."""

    __tablename__ = "meetings"
    __table_args__ = (
        Index("ix_meetings_status_published", "status", "published"),
        Index("ix_meetings_source_source_id", "source", "source_id"),
        CheckConstraint("attendance IN ('in_person', 'online', 'hybrid')", name="attendance_known"),
        CheckConstraint("status IN ('active', 'temporarily_closed', 'inactive')", name="status_known"),
        CheckConstraint("sequence >= 0", name="sequence_nonnegative"),
    )

    id: Mapped[intpk]
    slug: Mapped[slug_str]
    name: Mapped[name_str]
    group_id: Mapped[int | None] = mapped_column(ForeignKey("service_bodies.id", ondelete="SET NULL"), index=True)
    service_body_id: Mapped[int | None] = mapped_column(
        ForeignKey("service_bodies.id", ondelete="SET NULL"), index=True
    )
    place_id: Mapped[int] = mapped_column(ForeignKey("places.id", ondelete="RESTRICT"), index=True)
    attendance: Mapped[str] = mapped_column(String(10), default="in_person", server_default="in_person")
    conference_url: Mapped[url_str]
    conference_notes: Mapped[long_str]
    phone: Mapped[phone_str]
    phone_notes: Mapped[long_str]
    language: Mapped[str] = mapped_column(String(8), default="en", server_default="en", index=True)
    notes: Mapped[text]
    # Its free text in other languages than its own, {language: {field: text}} (finder.core.texts): read with the
    # meeting, never on its own, so it rides in the meeting's row rather than a table joined to every read.
    # JSONB on PostgreSQL: it has equality, so SELECT DISTINCT over meetings keeps working.
    translations: Mapped[dict[str, dict[str, str]]] = mapped_column(
        TEXTS_JSON, default=dict, server_default=text_clause("'{}'"), info={"boundary": "texts"})
    status: Mapped[str] = mapped_column(String(20), default="active", server_default="active")
    published: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    sequence: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[created_at]
    updated_at: Mapped[updated_at]
    source: Mapped[short_str]
    source_id: Mapped[short_str]
    is_demo: Mapped[demo_flag]
    # Freshness (finder.freshness): when and by whom the details were last confirmed as right; when distinct
    # visitors' "nobody was there" reports marked it (None: not marked); the last re-confirm prompt to its
    # contact; when an unresolved mark went up to the admins above its service body.
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=_created_as_listed, index=True)
    confirmed_by: Mapped[short_str]
    reported_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, index=True)
    prompted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    escalated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    place: Mapped[Place] = relationship()
    # Kept in step with a BMLT server or Meeting Guide feed (finder.imports.sync) when set.
    sync: Mapped[MeetingSync | None] = relationship(back_populates="meeting", cascade="all, delete-orphan")
    group: Mapped[ServiceBody | None] = relationship(foreign_keys=[group_id])
    service_body: Mapped[ServiceBody | None] = relationship(
        foreign_keys=[service_body_id], back_populates="meetings"
    )
    times: Mapped[list[MeetingTime]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan",
        order_by="(MeetingTime.weekday, MeetingTime.start)",
    )
    formats: Mapped[list[Format]] = relationship(secondary=meeting_formats, order_by="Format.code")
    exceptions: Mapped[list[ScheduleException]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan", order_by="ScheduleException.start_date"
    )

    @property
    def format_codes(self) -> list[str]:
        return [f.code for f in self.formats]

    @property
    def is_online(self) -> bool:
        return self.attendance in ("online", "hybrid")

    @property
    def timezone(self) -> str:
        return self.place.timezone


class MeetingTime(Base):
    """One weekly slot: weekday (Monday=0), local start time in the place's zone, duration."""

    __tablename__ = "meeting_times"
    __table_args__ = (
        Index("ix_meeting_times_weekday_start", "weekday", "start"),
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_range"),
        CheckConstraint("duration_minutes BETWEEN 1 AND 1440", name="duration_range"),
    )

    id: Mapped[intpk]
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int] = mapped_column(Integer)
    start: Mapped[dt.time] = mapped_column(Time)
    duration_minutes: Mapped[int] = mapped_column(Integer, default=60, server_default="60")

    meeting: Mapped[Meeting] = relationship(back_populates="times")


class ScheduleException(Base):
    """A cancelled date (start_date == end_date) or a temporary closure (a date range)."""

    __tablename__ = "schedule_exceptions"
    __table_args__ = (
        CheckConstraint("kind IN ('cancelled', 'closed')", name="kind_known"),
        CheckConstraint("end_date >= start_date", name="dates_ordered"),
    )

    id: Mapped[intpk]
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date] = mapped_column(Date)
    reason: Mapped[long_str]
    created_at: Mapped[created_at]

    meeting: Mapped[Meeting] = relationship(back_populates="exceptions")


class MeetingPoint(Base):
    """Where a meeting is, for ranking by distance: a narrow copy of its place's coordinates, its name (the tie
    order) and whether a search lists it, one row per meeting.

    Written only by the database, through triggers on meetings and places (migration 0004), so no write path
    (the ORM, a bulk import, COPY, psql) can leave it behind. A search around a point reads the box from this
    table's partial index alone (on PostgreSQL an index-only scan, the id and name included in the index)
    instead of joining places to meetings row by row: a 10-mile search in a dense city ranks thousands of rows.
    """

    __tablename__ = "meeting_points"
    __table_args__ = (
        Index("ix_meeting_points_listed_location", "latitude", "longitude",
              postgresql_include=["meeting_id", "name"], postgresql_where=text_clause("listed"),
              sqlite_where=text_clause("listed")),
    )

    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True,
                                            autoincrement=False)
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)
    name: Mapped[name_str]
    # published, not inactive and not online-only: what a search around a point may list
    listed: Mapped[bool] = mapped_column(Boolean)


class OnlineTime(Base):
    """A weekly time of a listed online or hybrid meeting, with its place's zone: what "online meetings starting
    now" reads, one row per weekly time (its start as the minute of the day, in that zone).

    Written only by the database, through triggers on meeting_times, meetings and places (migration 0010), as
    meeting_points is, and holding a row exactly when the meeting is listed (finder.meetings.visibility.listed)
    and online or hybrid. The index answers "starting within N minutes in each meeting's own zone" as one range
    per group of zones sharing a UTC offset and per day (finder.search.clock.online_prefilter); it carries the
    meeting id and attendance so that SQLite reads the index alone.
    """

    __tablename__ = "online_times"
    __table_args__ = (
        Index("ix_online_times_clock", "timezone", "weekday", "start_minute", "meeting_id", "attendance"),
    )

    time_id: Mapped[int] = mapped_column(ForeignKey("meeting_times.id", ondelete="CASCADE"), primary_key=True,
                                         autoincrement=False)
    meeting_id: Mapped[int] = mapped_column(Integer)
    weekday: Mapped[int] = mapped_column(Integer)  # Monday = 0, as meeting_times
    start_minute: Mapped[int] = mapped_column(Integer)  # hour * 60 + minute, local
    timezone: Mapped[str] = mapped_column(String(64))
    attendance: Mapped[str] = mapped_column(String(10))  # 'online' or 'hybrid'
