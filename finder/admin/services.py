"""What the moderators' pages do, as functions of (session, actor, now): the queue, reviewing and deciding a
submission, editing a meeting, accounts, and the lists behind each admin page.

None of them commits: the request owns the transaction. Each raises PermissionError where the actor may not act.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from finder import db
from finder.admin import audit, auth
from finder.models import (
    Counselor, Meeting, MeetingSync, OutboxMessage, Service, ServiceBody, Submission, TreatmentCenter, User,
)
from finder.submissions import workflow
from finder.submissions.workflow import Validated

PAGE = 100
MEETING_STATUSES = ("active", "temporarily_closed", "inactive")
COUNSELOR_FLAGS = ("contact_public", "telehealth", "in_person", "sliding_scale", "published")
_COUNSELOR_FIELDS = ("name", "credentials", "license_number", "license_state", "phone", "email", "website", "fees",
                     "bio", "accepting")
_CENTER_FIELDS = ("name", "name2", "phone", "intake_phone", "website", "facility_type")


# --- the queue and decisions -----------------------------------------------------------------------------------


def queue(session: Session, user: User) -> tuple[list[Submission], list[Submission]]:
    """(waiting, recently decided) submissions the user may moderate: a service-body admin sees their own."""
    waiting = workflow.pending(session)
    decided = workflow.recent(session, limit=50)
    if user.role == "body_admin":
        waiting = [s for s in waiting if auth.can_moderate(user, s)]
        decided = [s for s in decided if auth.can_moderate(user, s)]
    return waiting, decided[:20]


@dataclass(frozen=True, slots=True)
class Review:
    """What a moderator weighs before deciding: the proposed changes, whether the meeting changed since the
    organizer saw it, and meetings that look like this one."""

    changes: list[Any] | None
    moved_on: bool
    duplicates: list[Meeting] = field(default_factory=list)


def review(session: Session, item: Submission) -> Review:
    changes = workflow.diff(item.before, item.payload) if item.kind in ("new", "change") else None
    # The meeting changed since the organizer saw it: the moderator should know before approving.
    moved_on = bool(item.meeting is not None and item.before is not None and item.status == "pending" and set(
        audit.changed_fields(item.before, audit.meeting_snapshot(item.meeting))) - {"sequence"})
    duplicates = (workflow.find_duplicates(session, item.payload, exclude_id=item.meeting_id)
                  if open_proposal(item) else [])
    return Review(changes, moved_on, duplicates)


def decide(session: Session, item: Submission, decision: str, *, actor: User, now: dt.datetime, reason: str = "",
           payload: dict[str, Any] | None = None) -> None:
    """Approve (as the organizer sent it, or as edited: `payload`) or reject (with `reason`) a submission.

    Raises PermissionError, workflow.AlreadyDecided or workflow.SubmissionError (the message says why)."""
    if decision == "approve":
        workflow.approve(session, item, actor=actor, now=now, payload=payload)
    else:
        workflow.reject(session, item, actor=actor, reason=reason, now=now)


def open_proposal(item: Submission) -> bool:
    """A new meeting or a change still waiting: the kind a moderator may edit before approving."""
    return item.kind in ("new", "change") and item.status == "pending"


# --- meetings ----------------------------------------------------------------------------------------------------


def meetings_named(session: Session, text: str, *, limit: int = PAGE) -> list[Meeting]:
    """Meetings, published or not, whose name contains `text` (all of them when empty), by name."""
    statement = select(Meeting).options(selectinload(Meeting.place), selectinload(Meeting.service_body),
                                        selectinload(Meeting.group),
                                        selectinload(Meeting.sync).selectinload(MeetingSync.source),
                                        ).order_by(Meeting.name).limit(limit)
    if text:
        statement = statement.where(db.contains(Meeting.name, text))
    return list(session.scalars(statement))


def check_meeting_edit(session: Session, actor: User, meeting: Meeting, result: Validated, status: str) -> None:
    """Add to `result.errors` what a direct edit may not do: an unknown status, a place outside the actor's bodies."""
    if status not in MEETING_STATUSES:
        result.errors["status"] = "Please choose a status from the list."
    try:
        workflow.check_placement(session, actor, result.values.get("service_body_id"), meeting)
    except PermissionError as exc:
        result.errors["service_body_id"] = str(exc)


def meeting_form(meeting: Meeting) -> tuple[dict[str, Any], int]:
    """The edit form filled in from the meeting as it is, and how many weekly times it has."""
    original = workflow.proposal_from_meeting(meeting)
    form: dict[str, Any] = workflow.form_from_proposal(original)
    form.update(status=meeting.status, published="1" if meeting.published else "")
    return form, len(original["times"])


# --- accounts ----------------------------------------------------------------------------------------------------


def create_account(session: Session, form: Mapping[str, Any], *, actor: User, now: dt.datetime,
                   body: ServiceBody | None) -> User:
    """A new account from the form, audited. Raises auth.AccountError (its message names what is wrong)."""
    user = auth.create_user(
        session, email=str(form.get("email") or ""), password=str(form.get("password") or ""),
        role=str(form.get("role") or ""), service_body=body, name=workflow.clean_text(form.get("name")), now=now)
    audit.record(session, actor=actor, action="create", entity=user, before=None, after=audit.snapshot(user), now=now)
    return user


def accounts(session: Session) -> list[User]:
    return list(session.scalars(select(User).options(selectinload(User.service_body)).order_by(User.email)))


def sentence(error: Exception) -> str:
    """An account error as a sentence for the page: 'that e-mail is taken' -> 'That e-mail is taken.'"""
    text = str(error)
    return text[:1].upper() + text[1:] + "."


# --- service bodies, treatment centers, counselors, the outbox ----------------------------------------------------


def bodies(session: Session, *, limit: int = 2000) -> list[ServiceBody]:
    return list(session.scalars(select(ServiceBody).order_by(ServiceBody.name).limit(limit)))


def body_form(body: ServiceBody | None) -> dict[str, Any]:
    if body is None:
        return {}
    return {"name": body.name, "kind": body.kind, "description": body.description, "url": body.url,
            "helpline": body.helpline, "world_id": body.world_id, "parent_id": str(body.parent_id or "")}


def centers(session: Session) -> list[TreatmentCenter]:
    return list(session.scalars(select(TreatmentCenter).order_by(TreatmentCenter.name).limit(PAGE)))


def counselors(session: Session) -> list[Counselor]:
    return list(session.scalars(select(Counselor).order_by(Counselor.name).limit(PAGE)))


def services(session: Session) -> list[Service]:
    return list(session.scalars(select(Service).order_by(Service.category, Service.name)))


def center_form(center: TreatmentCenter) -> dict[str, Any]:
    form: dict[str, Any] = {k: getattr(center, k) for k in _CENTER_FIELDS}
    form.update(published="1" if center.published else "", services=sorted(center.service_codes))
    return form


def counselor_form(counselor: Counselor) -> dict[str, Any]:
    form: dict[str, Any] = {k: getattr(counselor, k) for k in _COUNSELOR_FIELDS}
    form.update({flag: "1" if getattr(counselor, flag) else "" for flag in COUNSELOR_FLAGS})
    return form


def outbox(session: Session, *, limit: int = 200) -> list[OutboxMessage]:
    return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)))
