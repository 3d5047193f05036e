"""The mail a submission sends (received, decided, a moderator's notice), queued in the outbox, then delivered
(a helper of views: mail is rendered from templates, with links absolute to this site)."""
from __future__ import annotations

import datetime as dt
import threading

from flask import current_app, render_template
from flask_babel import gettext
from sqlalchemy import select
from sqlalchemy.orm import Session

from finder import db
from finder.clock import utcnow
from finder.admin import auth
from finder.models import Submission, User
from finder.submissions import notify, tokens
from finder.submissions.forms import kind_label
from finder.submissions.workflow import KIND_LABELS
from finder.web import i18n
from finder.web.urls import absolute_url


def organizer_status_url(submission: Submission) -> str:
    """The organizer's private status link, absolute, in the language they wrote in (for mail)."""
    token = tokens.make_token(current_app.config["SECRET_KEY"], submission.id, submission.reference)
    return absolute_url("submit.status", token=token, locale=submission.interface_language)


def tell_organizer_received(session: Session, submission: Submission, now: dt.datetime) -> None:
    """"We received your submission", in the language the organizer wrote in (when they left an address)."""
    if not submission.contact_email:
        return
    with i18n.in_language(submission.interface_language):
        notify.queue(
            session, recipients=[submission.contact_email], submission=submission, now=now,
            subject=gettext("We received your submission %(reference)s", reference=submission.reference),
            body=render_template("submit/mail_received.txt", submission=submission,
                                 status_url=organizer_status_url(submission), kind_label=kind_label(submission.kind)),
        )


def tell_organizer_decided(session: Session, submission: Submission, now: dt.datetime) -> None:
    """Approved or not published, in the organizer's language, not the moderator's."""
    if not submission.contact_email:
        return
    with i18n.in_language(submission.interface_language):
        reference = submission.reference
        subject = (gettext("Your submission %(reference)s was approved", reference=reference)
                   if submission.status == "approved"
                   else gettext("Your submission %(reference)s was not published", reference=reference))
        notify.queue(
            session, recipients=[submission.contact_email], submission=submission, now=now, subject=subject,
            body=render_template("submit/mail_decision.txt", submission=submission,
                                 kind_label=kind_label(submission.kind),
                                 status_url=organizer_status_url(submission)),
        )


def tell_moderators(session: Session, submission: Submission, now: dt.datetime) -> None:
    """A new submission, to the configured addresses and every active account that may moderate it."""
    configured = [a for a in current_app.config.get("MODERATOR_EMAILS", "").split(",") if a.strip()]
    accounts = session.scalars(select(User).where(User.active.is_(True), User.role.in_(("admin", "body_admin"))))
    recipients = configured + [u.email for u in accounts if auth.can_moderate(u, submission)]
    with i18n.in_language("en"):  # moderators work in English (issue 20, item 8)
        notify.queue(
            session, recipients=recipients, submission=submission, now=now,
            subject=f"New submission {submission.reference}: {KIND_LABELS[submission.kind]}",
            body=render_template("submit/mail_moderators.txt", submission=submission,
                                 kind_label=KIND_LABELS[submission.kind],
                                 review_url=absolute_url("admin.submission", submission_id=submission.id)),
        )


def deliver_in_background() -> None:
    """Send what waits in the outbox without holding up the page; under test, synchronously."""
    transport = notify.make_transport(current_app.config)
    if transport is None:
        return
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # current_app is typed as the app; it is the proxy to it

    def run() -> None:
        session = db.session_factory(app)()
        try:
            notify.deliver_pending(session, transport, now=utcnow())
        except Exception:  # a broken mail setup must never surface to the organizer
            app.logger.exception("notification delivery failed")
        finally:
            session.close()

    if app.testing:
        run()
        return
    threading.Thread(target=run, name="finder-notify", daemon=True).start()
