"""Reports, resolutions, prompts, escalation and deactivation: the freshness loop's domain functions.

Every function takes the session, the actor (where one acts) and `now`, and none commits: the request or the
CLI command owns the transaction. The rules, with their settings (finder.config, README):
- A visitor's report is stored with a keyed hash of their address and the meeting, never the address; the key
  changes every REPORT_WINDOW_DAYS, so hashes count distinct reporters inside one window only, and the hashes of
  past windows are set to NULL by `purge_reporter_hashes`.
- REPORT_THRESHOLD (at least 2) distinct reporters of "nobody was there" in one window mark the meeting; a
  moderator resolves the mark (confirmed, changed, inactive). A mark left REPORT_ESCALATE_DAYS goes to the admins
  above its moderators; left REPORT_DEACTIVATE_DAYS (and not confirmed since), the meeting becomes inactive with
  an audit entry saying why.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import (
    CursorResult,
    and_,
    case,
    distinct,
    exists,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from finder.admin import auth
from finder.core.freshness import is_stale
from finder.core.words import N_
from finder.freshness.confirmation import confirm, not_a_change
from finder.meetings import visibility
from finder.models import (
    REPORT_KINDS,
    RESOLUTIONS,
    Meeting,
    MeetingReport,
    ServiceBody,
    Submission,
    User,
)
from finder.submissions import workflow as submissions

# English in data, mail to moderators and their pages; the report form shows them translated (|term).
REPORT_LABELS = {
    "nobody_there": N_("Nobody was there"),
    "wrong_time": N_("Wrong day or time"),
    "wrong_place": N_("Wrong place"),
    "bad_link": N_("The online link or phone does not work"),
    "other": N_("Something else"),
}
RESOLUTION_LABELS = {
    "confirmed": "Confirmed: it meets as listed",
    "changed": "Changed: the listing was corrected",
    "inactive": "Inactive: it no longer meets",
}
NOTE_LIMIT = 1000
SYSTEM_ACTOR = "system:freshness"
assert set(REPORT_LABELS) == set(REPORT_KINDS) and set(RESOLUTION_LABELS) == set(RESOLUTIONS)


class ReportError(ValueError):
    """A report or resolution cannot go through as asked; the message is meant for the person who tried."""


# Each Policy field and the setting it is read from.
POLICY_SETTINGS = {
    "prompt_months": "CONFIRM_PROMPT_MONTHS", "link_days": "CONFIRM_LINK_DAYS", "stale_days": "STALE_AFTER_DAYS",
    "threshold": "REPORT_THRESHOLD", "window_days": "REPORT_WINDOW_DAYS", "escalate_days": "REPORT_ESCALATE_DAYS",
    "deactivate_days": "REPORT_DEACTIVATE_DAYS",
}


@dataclass(frozen=True)
class Policy:
    """The freshness settings, read once from the app's config (finder.config documents each)."""

    prompt_months: int = 6
    link_days: int = 30
    stale_days: int = 365
    threshold: int = 3
    window_days: int = 30
    escalate_days: int = 14
    deactivate_days: int = 90

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Policy:
        values = {name: int(config[key]) for name, key in POLICY_SETTINGS.items()}
        return cls(**{**values, "threshold": max(2, values["threshold"])})

    @property
    def prompt_interval(self) -> dt.timedelta:
        # A month as the calendar's average, so six months is half a year whatever the start date.
        return dt.timedelta(days=round(self.prompt_months * 30.44))


# --- pure: windows, hashes, validation ----------------------------------------------------------------------


def window_of(now: dt.datetime, window_days: int) -> int:
    """The number of the report window `now` falls in (windows are fixed, counted from the Unix epoch)."""
    return int(now.timestamp()) // (window_days * 86400)


def client_identity(address: str | None) -> str:
    """What tells one visitor from another: their address, with an IPv6 address cut to its /64 (one household
    or phone gets a whole /64 and may rotate through it; counting each address would let one person look many)."""
    try:
        ip = ipaddress.ip_address((address or "").split("%", 1)[0])
    except ValueError:
        return "unknown"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network(f"{ip}/64", strict=False).network_address) + "/64"
    return str(ip)


def reporter_hash(secret: str, window_id: int, meeting_id: int, client: str) -> str:
    """HMAC of (meeting, client) with a key derived from the secret and the window: equal for one visitor's
    reports on one meeting inside one window, unlinkable across meetings, and never the address itself."""
    if not secret:
        raise ValueError("a secret key is needed to count reporters")
    key = hmac.new(secret.encode(), f"finder.report-window:{window_id}".encode(), hashlib.sha256).digest()
    return hmac.new(key, f"{meeting_id}|{client}".encode(), hashlib.sha256).hexdigest()


def validate_report(form: Mapping[str, Any]) -> submissions.Validated:
    """The report form: a kind from the list and an optional note, kept as the visitor typed it (as text)."""
    errors: dict[str, str] = {}
    kind = submissions.clean_text(form.get("kind"))
    if kind not in REPORT_KINDS:
        errors["kind"] = "Please choose what was wrong."
    note = submissions.clean_text(form.get("note"), multiline=True)
    if len(note) > NOTE_LIMIT:
        errors["note"] = f"The note is too long: {len(note)} characters, at most {NOTE_LIMIT}."
    return submissions.Validated({"kind": kind, "note": note}, errors)


# --- reports -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportOutcome:
    """What a report did: stored or not (one visitor's repeat is not), whether it was the meeting's first open
    report (its moderators are told), and whether it marked the meeting."""

    report: MeetingReport | None
    first_open: bool = False
    marked: bool = False

    @property
    def stored(self) -> bool:
        return self.report is not None


def reportable(meeting: Meeting | None) -> bool:
    """Visitors may report on a meeting that has a public page and still meets."""
    return meeting is not None and visibility.is_public(meeting) and visibility.still_meets(meeting)


def report_problem(session: Session, meeting: Meeting, *, kind: str, note: str, client: str, secret: str,
                   policy: Policy, now: dt.datetime) -> ReportOutcome:
    """Store a visitor's report (validated beforehand with validate_report) and mark the meeting when enough
    distinct visitors said nobody was there. `client` is client_identity(address); only its keyed hash is kept.

    Raises ReportError for a meeting that cannot be reported on. A second report of the same kind from the same
    visitor on the same meeting inside the window stores nothing and returns an outcome with no report.
    """
    if not reportable(meeting):
        raise ReportError("This meeting cannot be reported on: it is not listed.")
    if kind not in REPORT_KINDS:
        raise ReportError("Please choose what was wrong.")
    window = window_of(now, policy.window_days)
    digest = reporter_hash(secret, window, meeting.id, client)
    repeat = select(MeetingReport.id).where(
        MeetingReport.meeting_id == meeting.id, MeetingReport.window_id == window,
        MeetingReport.reporter_hash == digest, MeetingReport.kind == kind)
    if session.scalar(repeat) is not None:
        return ReportOutcome(None)
    first_open = not session.scalar(select(exists().where(
        MeetingReport.meeting_id == meeting.id, MeetingReport.status == "open")))
    report = MeetingReport(meeting_id=meeting.id, kind=kind, note=note[:NOTE_LIMIT], created_at=now,
                           window_id=window, reporter_hash=digest, status="open")
    try:
        with session.begin_nested():  # two taps of one visitor racing: the unique index keeps one
            session.add(report)
    except IntegrityError:
        return ReportOutcome(None)
    marked = (kind == "nobody_there" and meeting.reported_at is None
              and distinct_reporters(session, meeting, window) >= policy.threshold)
    if marked:
        meeting.reported_at = now
        meeting.escalated_at = None
        not_a_change(meeting)
        session.flush()
    return ReportOutcome(report, first_open=first_open, marked=marked)


def distinct_reporters(session: Session, meeting: Meeting, window: int) -> int:
    """Distinct visitors with an open "nobody was there" report on the meeting inside the window."""
    return session.scalar(
        select(func.count(distinct(MeetingReport.reporter_hash))).where(
            MeetingReport.meeting_id == meeting.id, MeetingReport.window_id == window,
            MeetingReport.kind == "nobody_there", MeetingReport.status == "open",
            MeetingReport.reporter_hash.is_not(None))
    ) or 0


def purge_reporter_hashes(session: Session, *, policy: Policy, now: dt.datetime) -> int:
    """Drop the keyed hashes of every window that has ended; returns how many reports were cleared."""
    result = cast(CursorResult[Any], session.execute(
        update(MeetingReport)
        .where(MeetingReport.window_id < window_of(now, policy.window_days), MeetingReport.reporter_hash.is_not(None))
        .values(reporter_hash=None)
        .execution_options(synchronize_session=False)
    ))
    return result.rowcount or 0


# --- resolving --------------------------------------------------------------------------------------------


def resolve(session: Session, meeting: Meeting, *, actor: User, resolution: str, now: dt.datetime) -> int:
    """A moderator's answer to a meeting's open reports: it meets as listed ('confirmed'), the listing was
    corrected ('changed'), or it no longer meets ('inactive', audited). The mark goes in every case.

    Returns how many reports were resolved. Raises PermissionError when the actor may not edit the meeting,
    ReportError for an unknown resolution or a meeting with nothing to resolve.
    """
    if not auth.can_edit(actor, meeting):
        raise PermissionError("You may only resolve reports on meetings you look after.")
    if resolution not in RESOLUTIONS:
        raise ReportError("Please choose confirmed, changed or inactive.")
    count = _close_reports(session, meeting, resolution=resolution, by=actor, now=now)
    if not count and meeting.reported_at is None:
        raise ReportError("This meeting has no open reports.")
    if resolution == "inactive":
        deactivate(session, meeting, actor=actor, now=now,
                   reason=f"Reports resolved by {actor.label}: the meeting no longer meets.")
    else:
        confirm(session, meeting, by=actor, now=now)
    return count


def _close_reports(session: Session, meeting: Meeting, *, resolution: str, by: User | str,
                   now: dt.datetime) -> int:
    result = cast(CursorResult[Any], session.execute(
        update(MeetingReport)
        .where(MeetingReport.meeting_id == meeting.id, MeetingReport.status == "open")
        .values(status="resolved", resolution=resolution, resolved_at=now,
                resolved_by_id=by.id if isinstance(by, User) else None,
                resolved_by_label=by.label if isinstance(by, User) else by)
        .execution_options(synchronize_session=False)
    ))
    if meeting.reported_at is not None or meeting.escalated_at is not None:
        meeting.reported_at = meeting.escalated_at = None
        not_a_change(meeting)
        session.flush()
    return result.rowcount or 0


def deactivate(session: Session, meeting: Meeting, *, actor: User | str, now: dt.datetime, reason: str) -> None:
    """Set the meeting inactive, with an audit entry whose reason says why."""
    submissions.update_meeting(session, meeting, {}, actor=actor, now=now, status="inactive", reason=reason)


# --- what the cron run does ------------------------------------------------------------------------------


def prompts_due(session: Session, *, policy: Policy, now: dt.datetime, limit: int = 1000) -> list[tuple[Meeting, str]]:
    """Meetings whose details were last confirmed (and whose contact last asked) more than the prompt interval
    ago, with their contact's address: the organizer of its latest approved submission that left one."""
    if policy.prompt_months <= 0:
        return []
    cutoff = now - policy.prompt_interval
    has_contact = and_(Submission.meeting_id == Meeting.id, Submission.status == "approved",
                       Submission.contact_email != "")
    meetings = list(session.scalars(
        select(Meeting)
        .where(visibility.listed(),
               or_(Meeting.confirmed_at.is_(None), Meeting.confirmed_at < cutoff),
               or_(Meeting.prompted_at.is_(None), Meeting.prompted_at < cutoff),
               exists().where(has_contact))
        .options(selectinload(Meeting.times), selectinload(Meeting.place))
        .order_by(Meeting.confirmed_at.is_not(None), Meeting.confirmed_at, Meeting.id)
        .limit(limit)
    ))
    contacts: dict[int, str] = {}
    rows = session.execute(
        select(Submission.meeting_id, Submission.contact_email)
        .where(Submission.meeting_id.in_([m.id for m in meetings] or [-1]), Submission.status == "approved",
               Submission.contact_email != "")
        .order_by(Submission.decided_at.desc(), Submission.id.desc())
    )
    for meeting_id, email in rows:
        if meeting_id is not None:
            contacts.setdefault(meeting_id, email)
    return [(m, contacts[m.id]) for m in meetings if m.id in contacts]


def marked_meetings(session: Session, *, older_than: dt.datetime, unescalated: bool = False) -> list[Meeting]:
    """Meetings marked as not meeting at or before `older_than` (and not yet escalated, when asked)."""
    query = (select(Meeting).where(Meeting.reported_at.is_not(None), Meeting.reported_at <= older_than,
                                   visibility.listed())
             .options(selectinload(Meeting.service_body)).order_by(Meeting.reported_at, Meeting.id))
    if unescalated:
        query = query.where(Meeting.escalated_at.is_(None))
    return list(session.scalars(query))


def deactivate_unresolved(session: Session, *, policy: Policy, now: dt.datetime) -> list[Meeting]:
    """Make inactive every meeting marked longer than REPORT_DEACTIVATE_DAYS ago that nobody resolved and that
    was not confirmed since it was marked (an organizer's "still meeting" keeps it listed for a moderator)."""
    done = []
    for meeting in marked_meetings(session, older_than=now - dt.timedelta(days=policy.deactivate_days)):
        marked_at = meeting.reported_at
        assert marked_at is not None
        if meeting.confirmed_at is not None and meeting.confirmed_at > marked_at:
            continue
        reason = (f"Reported as not meeting by {policy.threshold} or more visitors on {marked_at:%Y-%m-%d}; "
                  f"unresolved after {policy.deactivate_days} days.")
        _close_reports(session, meeting, resolution="inactive", by=SYSTEM_ACTOR, now=now)
        deactivate(session, meeting, actor=SYSTEM_ACTOR, now=now, reason=reason)
        done.append(meeting)
    return done


# --- what moderators see ------------------------------------------------------------------------------------


def moderators_of(session: Session, meeting: Meeting, *, configured: Iterable[str] = (),
                  above_only: bool = False) -> list[str]:
    """Addresses told about a meeting's reports: the configured moderator addresses and every active account
    that may edit the meeting; with above_only, only those above its own service body (full admins and the
    admins of bodies higher up), for an escalation."""
    accounts = session.scalars(select(User).where(User.active.is_(True), User.role.in_(("admin", "body_admin")))
                               .order_by(User.id))
    found = [a.strip() for a in configured if a and a.strip()]
    for user in accounts:
        if not auth.can_edit(user, meeting):
            continue
        if above_only and user.role == "body_admin" and user.service_body_id in (
                meeting.service_body_id, meeting.group_id):
            continue
        found.append(user.email)
    return list(dict.fromkeys(found))


@dataclass
class OpenReports:
    """One meeting's open reports, summed up for the digest and the moderators' page."""

    meeting: Meeting
    reports: list[MeetingReport] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for report in self.reports:
            counts[report.kind] = counts.get(report.kind, 0) + 1
        return counts

    @property
    def first_at(self) -> dt.datetime:
        return min(r.created_at for r in self.reports)

    @property
    def notes(self) -> list[MeetingReport]:
        return [r for r in self.reports if r.note]


def open_reports(session: Session, *, user: User | None = None, meeting: Meeting | None = None,
                 limit: int = 2000) -> list[OpenReports]:
    """Open reports grouped by meeting, marked meetings first, then the oldest report first; with `user`, only
    meetings that account may edit."""
    query = (select(MeetingReport).where(MeetingReport.status == "open")
             .options(selectinload(MeetingReport.meeting).selectinload(Meeting.service_body),
                      selectinload(MeetingReport.meeting).selectinload(Meeting.group))
             .order_by(MeetingReport.created_at, MeetingReport.id).limit(limit))
    if meeting is not None:
        query = query.where(MeetingReport.meeting_id == meeting.id)
    grouped: dict[int, OpenReports] = {}
    for report in session.scalars(query):
        if user is not None and not auth.can_edit(user, report.meeting):
            continue
        grouped.setdefault(report.meeting_id, OpenReports(report.meeting)).reports.append(report)
    return sorted(grouped.values(), key=lambda g: (g.meeting.reported_at is None, g.first_at))


@dataclass(frozen=True)
class BodyFreshness:
    """A service body's listed meetings: how many, how many confirmed lately, how many marked as not meeting."""

    body: ServiceBody | None
    total: int
    confirmed: int
    reported: int

    @property
    def share(self) -> float:
        return self.confirmed / self.total if self.total else 0.0


def freshness_by_body(session: Session, *, scope: User | None, policy: Policy,
                      now: dt.datetime) -> list[BodyFreshness]:
    """Per service body, the share of its listed meetings confirmed within STALE_AFTER_DAYS, lowest share first;
    `scope` a service-body admin keeps the bodies they look after, None keeps all (meetings with no service
    body are counted under None)."""
    recent = now - dt.timedelta(days=policy.stale_days)
    rows = session.execute(
        select(Meeting.service_body_id, func.count(),
               func.sum(case((Meeting.confirmed_at >= recent, 1), else_=0)),
               func.sum(case((Meeting.reported_at.is_not(None), 1), else_=0)))
        .where(visibility.listed()).group_by(Meeting.service_body_id)
    ).all()
    bodies = {b.id: b for b in session.scalars(select(ServiceBody).where(
        ServiceBody.id.in_([r[0] for r in rows if r[0] is not None] or [-1])))}
    found = []
    for body_id, total, confirmed, reported in rows:
        body = bodies.get(body_id) if body_id is not None else None
        if scope is not None and (body is None or not auth.in_scope(scope, body)):
            continue
        found.append(BodyFreshness(body, int(total), int(confirmed or 0), int(reported or 0)))
    return sorted(found, key=lambda f: (f.share, f.body.name if f.body else ""))


def body_meetings(session: Session, body_id: int | None, *, limit: int = 5000) -> list[Meeting]:
    """A body's listed meetings, those marked as not meeting first, then the longest unconfirmed."""
    where = Meeting.service_body_id.is_(None) if body_id is None else Meeting.service_body_id == body_id
    return list(session.scalars(
        select(Meeting).where(visibility.listed(), where)
        .options(selectinload(Meeting.place), selectinload(Meeting.service_body))
        .order_by(Meeting.reported_at.is_(None), Meeting.confirmed_at.is_not(None), Meeting.confirmed_at,
                  Meeting.name).limit(limit)
    ))


def scope_of(user: User) -> User | None:
    """Whose meetings a moderator's freshness and reports pages list: a service-body admin's own (the account is
    the scope); everyone's (None) for admins and observers."""
    return user if user.role == "body_admin" else None


def may_see_body(user: User, body: ServiceBody | None) -> bool:
    """Whether a freshness page for `body` (None: meetings under no service body) is the user's to see."""
    scope = scope_of(user)
    return scope is None or (body is not None and auth.in_scope(scope, body))


def may_see_reports(user: User, meeting: Meeting) -> bool:
    """Whether a meeting's report history is the user's to see."""
    return scope_of(user) is None or auth.can_edit(user, meeting)


def recent_reports(session: Session, meeting: Meeting, *, limit: int = 100) -> list[MeetingReport]:
    """A meeting's reports, open or resolved, newest first."""
    return list(session.scalars(
        select(MeetingReport).where(MeetingReport.meeting_id == meeting.id)
        .order_by(MeetingReport.created_at.desc(), MeetingReport.id.desc()).limit(limit)))


def open_report_counts(session: Session, meeting_ids: list[int]) -> dict[int, int]:
    """Open reports per meeting, for the freshness list and its CSV."""
    if not meeting_ids:
        return {}
    rows = session.execute(select(MeetingReport.meeting_id, func.count())
                           .where(MeetingReport.status == "open", MeetingReport.meeting_id.in_(meeting_ids))
                           .group_by(MeetingReport.meeting_id))
    return {meeting_id: int(n) for meeting_id, n in rows}


FRESHNESS_COLUMNS = ("slug", "name", "service_body", "status", "last_confirmed", "confirmed_by", "stale",
                     "reported_not_meeting_since", "open_reports")


def freshness_rows(meetings: list[Meeting], counts: Mapping[int, int], *, policy: Policy,
                   now: dt.datetime) -> list[dict[str, Any]]:
    """The freshness list as rows for a CSV (dates in UTC, ISO 8601)."""
    return [{
        "slug": m.slug, "name": m.name, "service_body": m.service_body.name if m.service_body else "",
        "status": m.status, "last_confirmed": m.confirmed_at.date().isoformat() if m.confirmed_at else "",
        "confirmed_by": m.confirmed_by, "stale": is_stale(m.confirmed_at, now, policy.stale_days),
        "reported_not_meeting_since": m.reported_at.date().isoformat() if m.reported_at else "",
        "open_reports": counts.get(m.id, 0),
    } for m in meetings]
