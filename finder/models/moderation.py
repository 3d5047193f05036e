"""Moderation: admin accounts, organizers' submissions, the audit log of every change, and the mail outbox."""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from finder.db import Base, UTCDateTime
from finder.models._types import created_at, intpk, long_str, short_str, text
from finder.models.meetings import Meeting
from finder.models.places import ServiceBody

ROLES = ("admin", "body_admin", "observer")
SUBMISSION_KINDS = ("new", "change", "cancel_week", "close", "inactive")
SUBMISSION_STATUSES = ("pending", "approved", "rejected")
AUDIT_ACTIONS = ("create", "update", "delete", "cancel_week", "close", "import")


class User(Base):
    """An admin account: a full admin, a service-body admin (that body and its children) or a read-only observer."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("role IN ('admin', 'body_admin', 'observer')", name="role_known"),
        CheckConstraint("role != 'body_admin' OR service_body_id IS NOT NULL", name="body_admin_has_body"),
    )

    id: Mapped[intpk]
    email: Mapped[str] = mapped_column(String(254), unique=True)  # stored lower-cased
    name: Mapped[short_str]
    password_hash: Mapped[str] = mapped_column(String(300))
    role: Mapped[str] = mapped_column(String(20))
    service_body_id: Mapped[int | None] = mapped_column(ForeignKey("service_bodies.id", ondelete="RESTRICT"))
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # Copied into the session cookie at login; logout, a new password and switching off add one, which ends
    # every session of the account (finder.admin.auth.current_user compares them).
    session_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[created_at]
    last_login_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    service_body: Mapped[ServiceBody | None] = relationship()

    @property
    def label(self) -> str:
        """How the audit log and pages name this person."""
        return self.name or self.email


class Submission(Base):
    """What an organizer proposed, stored before anything else happens; a moderator approves or rejects it.

    `payload` holds the validated proposal (see finder.submissions.workflow), `before` the meeting's snapshot when the
    organizer sent it, so the moderator's diff shows what they saw even if the meeting changed since.
    """

    __tablename__ = "submissions"
    __table_args__ = (
        Index("ix_submissions_status_created_at", "status", "created_at"),
        CheckConstraint(
            "kind IN ('new', 'change', 'cancel_week', 'close', 'inactive')", name="kind_known"
        ),
        CheckConstraint("status IN ('pending', 'approved', 'rejected')", name="status_known"),
    )

    id: Mapped[intpk]
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(10), default="pending", server_default="pending")
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id", ondelete="SET NULL"), index=True)
    service_body_id: Mapped[int | None] = mapped_column(
        ForeignKey("service_bodies.id", ondelete="SET NULL"), index=True
    )
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    contact_name: Mapped[short_str]
    contact_email: Mapped[str] = mapped_column(String(254), default="", server_default="")
    message: Mapped[text]
    created_at: Mapped[created_at]
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decision_reason: Mapped[long_str]
    # The interface language the organizer wrote in (finder.web.i18n.LANGUAGES): mail about it speaks it.
    interface_language: Mapped[str] = mapped_column(String(8), default="en", server_default="en")

    meeting: Mapped[Meeting | None] = relationship()
    service_body: Mapped[ServiceBody | None] = relationship()
    decided_by: Mapped[User | None] = relationship()


class AuditEntry(Base):
    """One change to one record: who, when, the record before and after (plain JSON), and from which submission."""

    __tablename__ = "audit_entries"
    __table_args__ = (
        Index("ix_audit_entries_entity", "entity_type", "entity_id"),
        CheckConstraint(
            "action IN ('create', 'update', 'delete', 'cancel_week', 'close', 'import')", name="action_known"
        ),
    )

    id: Mapped[intpk]
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    actor_label: Mapped[str] = mapped_column(String(254), default="", server_default="")
    action: Mapped[str] = mapped_column(String(20))
    entity_type: Mapped[str] = mapped_column(String(30))
    entity_id: Mapped[int] = mapped_column(Integer)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    submission_id: Mapped[int | None] = mapped_column(
        ForeignKey("submissions.id", ondelete="SET NULL"), index=True
    )
    reason: Mapped[long_str]  # why, when the change was not asked for by a person (a deactivation after reports)

    actor: Mapped[User | None] = relationship()
    submission: Mapped[Submission | None] = relationship()


class OutboxMessage(Base):
    """A notification e-mail: written in the same transaction as what caused it, delivered (or not) later."""

    __tablename__ = "outbox_messages"

    id: Mapped[intpk]
    created_at: Mapped[created_at]
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_error: Mapped[long_str]
    submission_id: Mapped[int | None] = mapped_column(ForeignKey("submissions.id", ondelete="SET NULL"))

    submission: Mapped[Submission | None] = relationship()
