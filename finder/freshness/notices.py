"""The freshness loop's messages, written to the outbox (finder.notify), and the daily run that sends them.

Rendering needs an app and a request context (url_for builds the links): the views have one; the CLI pushes one
for PUBLIC_URL. Nothing here commits.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from flask import current_app, render_template
from sqlalchemy import select
from sqlalchemy.orm import Session

from finder.freshness import links, services
from finder.freshness.confirmation import not_a_change
from finder.freshness.services import REPORT_LABELS, Policy
from finder.models import Meeting, User
from finder.submissions import notify
from finder.web.urls import absolute_url


def configured_moderators() -> list[str]:
    return [a.strip() for a in current_app.config.get("MODERATOR_EMAILS", "").split(",") if a.strip()]


def queue_prompt(session: Session, meeting: Meeting, recipient: str, *, policy: Policy, now: dt.datetime) -> None:
    """Ask the meeting's contact whether it still meets as listed, with two signed links, and note when."""
    token = links.make_confirm_token(current_app.config["SECRET_KEY"], meeting.id, meeting.confirmed_at)
    notify.queue(
        session, recipients=[recipient], now=now,
        subject=f"Is {meeting.name} still meeting as listed?",
        body=render_template(
            "freshness/mail_prompt.txt", meeting=meeting, policy=policy,
            confirm_url=absolute_url("freshness.confirm_link", token=token),
            change_url=absolute_url("freshness.changed_link", token=token),
            page_url=absolute_url("main.meeting", slug=meeting.slug)),
    )
    meeting.prompted_at = now
    not_a_change(meeting)


def tell_moderators(session: Session, meeting: Meeting, outcome: services.ReportOutcome, *,
                    now: dt.datetime) -> None:
    """A meeting's first open report, or its marking as not meeting, goes to the moderators of its service body
    (later reports wait for the digest, so a busy meeting does not flood them)."""
    if outcome.report is None or not (outcome.first_open or outcome.marked):
        return
    subject = (f"Reported as not meeting: {meeting.name}" if outcome.marked
               else f"A visitor reported a problem: {meeting.name}")
    notify.queue(
        session, recipients=services.moderators_of(session, meeting, configured=configured_moderators()), now=now,
        subject=subject,
        body=render_template("freshness/mail_report.txt", meeting=meeting, outcome=outcome, labels=REPORT_LABELS,
                             review_url=absolute_url("freshness.meeting_reports", meeting_id=meeting.id)),
    )


@dataclass
class RunReport:
    """What one run did, for the command's output."""

    prompted: int = 0
    escalated: list[Meeting] = field(default_factory=list)
    deactivated: list[Meeting] = field(default_factory=list)
    purged: int = 0

    def lines(self) -> list[str]:
        return [
            f"prompts sent: {self.prompted}",
            f"escalated: {len(self.escalated)}" + "".join(f"\n  {m.slug}" for m in self.escalated),
            f"deactivated: {len(self.deactivated)}" + "".join(f"\n  {m.slug}" for m in self.deactivated),
            f"reporter hashes dropped: {self.purged}",
        ]


def run(session: Session, *, policy: Policy, now: dt.datetime) -> RunReport:
    """The daily run: prompts due, escalations due, deactivations due, and expired reporter hashes dropped."""
    report = RunReport()
    for meeting, recipient in services.prompts_due(session, policy=policy, now=now):
        queue_prompt(session, meeting, recipient, policy=policy, now=now)
        report.prompted += 1
    report.deactivated = services.deactivate_unresolved(session, policy=policy, now=now)
    escalate_before = now - dt.timedelta(days=policy.escalate_days)
    for meeting in services.marked_meetings(session, older_than=escalate_before, unescalated=True):
        notify.queue(
            session, now=now,
            recipients=services.moderators_of(session, meeting, configured=configured_moderators(), above_only=True),
            subject=f"Unresolved for {policy.escalate_days} days: {meeting.name} reported as not meeting",
            body=render_template("freshness/mail_escalation.txt", meeting=meeting, policy=policy,
                                 review_url=absolute_url("freshness.meeting_reports", meeting_id=meeting.id)),
        )
        meeting.escalated_at = now
        not_a_change(meeting)
        report.escalated.append(meeting)
    report.purged = services.purge_reporter_hashes(session, policy=policy, now=now)
    session.flush()
    return report


def queue_digests(session: Session, *, now: dt.datetime) -> int:
    """One message per moderator (and configured address) listing the open reports they may resolve; returns
    how many were written. Moderators with nothing open get nothing."""
    accounts: Iterable[User] = session.scalars(
        select(User).where(User.active.is_(True), User.role.in_(("admin", "body_admin"))).order_by(User.id))
    everything = services.open_reports(session)
    sent = 0
    targets: list[tuple[list[str], list[services.OpenReports]]] = []
    if configured_moderators():
        targets.append((configured_moderators(), everything))
    for account in accounts:
        targets.append(([account.email], services.open_reports(session, user=account)))
    for recipients, groups in targets:
        if not groups:
            continue
        notify.queue(
            session, recipients=recipients, now=now,
            subject=f"Open reports: {len(groups)} meeting{'s' if len(groups) != 1 else ''}",
            body=render_template("freshness/mail_digest.txt", groups=groups, labels=REPORT_LABELS,
                                 reports_url=absolute_url("freshness.reports")),
        )
        sent += len(recipients)
    return sent
