"""Moderation and administration: login, the queue, decisions, direct edits, the audit log and the outbox."""
from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, abort, current_app, flash, make_response, redirect, render_template, request, url_for

from finder import db
from finder.admin import audit, auth, edits, pages, services
from finder.core.numbers import DB_INT_MAX, parse_int
from finder.clock import utcnow
from finder.imports import sync
from finder.models import Counselor, Meeting, ServiceBody, Submission, TreatmentCenter, User
from finder.submissions import forms, mail, workflow
from finder.web import ratelimit, security
from finder.web.responses import found_or_404

bp = Blueprint("admin", __name__, url_prefix="/admin")
# Logging in and out sit outside /admin: everything under /admin needs an account.
account_bp = Blueprint("account", __name__)


for blueprint in (bp, account_bp):
    blueprint.context_processor(pages.admin_globals)
    blueprint.after_request(pages.private)


def _safe_next(target: str | None) -> str:
    """Only a path on this site, read as the browser will read it, so the login cannot redirect elsewhere."""
    return security.same_site_path(target) or url_for("admin.queue")


# --- login ----------------------------------------------------------------------------------------------


def _login_email() -> str:
    return workflow.clean_text(request.form.get("email"))[:254]


def _address_and_account() -> str:
    """Failed logins count per address *and* account: a stranger elsewhere cannot lock the owner out."""
    return ratelimit.keyed(request.remote_addr or "unknown", auth.normalize_email(_login_email()))


def _too_many_attempts() -> Any:
    return render_template("admin/login.html", email=_login_email(),
                           error="Too many attempts. Please wait a few minutes, then try again.")


def _is_post() -> bool:
    return request.method == "POST"


@account_bp.route("/login", methods=["GET", "POST"])
# Every attempt counts as it arrives (atomically, in Redis when configured): parallel guesses cannot all pass
# the check before any is counted. The owner logs in once; a stranger elsewhere has their own counts.
@ratelimit.limited("LOGIN_RATE_LIMIT", scope="login", key=_address_and_account, applies=_is_post,
                   refused=_too_many_attempts)
@ratelimit.limited("LOGIN_ADDRESS_RATE_LIMIT", scope="login-address", applies=_is_post, refused=_too_many_attempts)
def login() -> Any:
    error, status, email = None, 200, ""
    if request.method == "POST":
        session = db.get_session()
        email = _login_email()
        user = auth.authenticate(session, email, str(request.form.get("password") or "")[:1024])
        if user is None:
            error, status = "That e-mail and password do not match an account.", 401
        else:
            auth.login(user, utcnow())
            session.commit()
            return redirect(_safe_next(request.args.get("next")), code=303)
    return make_response(render_template("admin/login.html", error=error, email=email), status)


@account_bp.post("/logout")
def logout() -> Any:
    auth.logout()
    db.get_session().commit()
    return redirect(url_for("account.login"), code=303)


# --- the queue and decisions ----------------------------------------------------------------------------


@bp.get("/")
@auth.require_role()
def queue() -> str:
    waiting, decided = services.queue(db.get_session(), auth.signed_in_user())
    return render_template("admin/queue.html", waiting=waiting, decided=decided)


def _submission_or_404(submission_id: int) -> Submission:
    return found_or_404(db.get_session().get(Submission, submission_id))


@bp.get("/submissions/<int:submission_id>")
@auth.require_role()
def submission(submission_id: int) -> str:
    return _render_submission(_submission_or_404(submission_id))


def _render_submission(item: Submission, status: int = 200, **extra: Any) -> Any:
    found = services.review(db.get_session(), item)
    page = render_template("admin/submission.html", item=item, changes=found.changes, duplicates=found.duplicates,
                           moved_on=found.moved_on, may_moderate=auth.can_moderate(auth.signed_in_user(), item),
                           **extra)
    return make_response(page, status)


@bp.post("/submissions/<int:submission_id>/approve")
@auth.require_role("admin", "body_admin")
def approve(submission_id: int) -> Any:
    return _decide(submission_id, "approve")


@bp.post("/submissions/<int:submission_id>/reject")
@auth.require_role("admin", "body_admin")
def reject(submission_id: int) -> Any:
    return _decide(submission_id, "reject")


def _decide(submission_id: int, decision: str, payload: dict[str, Any] | None = None) -> Any:
    session = db.get_session()
    item = _submission_or_404(submission_id)
    user = auth.signed_in_user()
    if not auth.can_moderate(user, item):
        abort(403)
    now = utcnow()
    try:
        services.decide(session, item, decision, actor=user, now=now, payload=payload,
                        reason=request.form.get("reason", ""))
    except PermissionError as exc:
        session.rollback()
        return _render_submission(item, 403, decision_error=str(exc))
    except workflow.AlreadyDecided as exc:
        session.rollback()
        session.refresh(item)
        return _render_submission(item, 409, decision_error=str(exc))
    except workflow.SubmissionError as exc:
        session.rollback()
        return _render_submission(item, 422, decision_error=str(exc),
                                  reason=workflow.clean_text(request.form.get("reason"), multiline=True))
    mail.tell_organizer_decided(session, item, now)
    session.commit()
    mail.deliver_in_background()
    flash(f"{item.reference} {'approved and published' if decision == 'approve' else 'rejected'}.")
    return redirect(url_for("admin.queue"), code=303)


@bp.route("/submissions/<int:submission_id>/edit", methods=["GET", "POST"])
@auth.require_role("admin", "body_admin")
def edit_submission(submission_id: int) -> Any:
    """Edit the organizer's proposal, then approve it as edited."""
    session = db.get_session()
    item = _submission_or_404(submission_id)
    if not auth.can_moderate(auth.signed_in_user(), item):
        abort(403)
    if not services.open_proposal(item):
        abort(404)
    if request.method == "GET":
        form: Any = workflow.form_from_proposal(item.payload)
        return _render_meeting_editor(form, {}, item=item, times=len(item.payload.get("times") or []))
    form = request.form
    if form.get("action") == "add_row":
        return _render_meeting_editor(form, {}, item=item)
    result = forms.validate_meeting_form(session, form)
    if result.ok:
        forms.locate_proposal(result, previous=item.payload.get("place"))
    if not result.ok:
        return _render_meeting_editor(form, result.errors, item=item), 422
    return _decide(submission_id, "approve", payload=result.values)


def _render_meeting_editor(form: Any, errors: dict[str, str], *, item: Submission | None = None,
                           meeting: Meeting | None = None, times: int = 0) -> str:
    target = meeting if meeting is not None else (item.meeting if item is not None else None)
    link = target.sync if target is not None else None
    return render_template("admin/meeting_edit.html", form=form, errors=errors, item=item, meeting=meeting,
                           rows=forms.row_count(form, times), synced=link,
                           edited_since_sync=target is not None and link is not None and sync.locally_edited(target),
                           **forms.form_choices(db.get_session()))


# --- meetings: list, direct edit, audit -----------------------------------------------------------------


@bp.get("/meetings")
@auth.require_role()
def meetings() -> str:
    query = workflow.clean_text(request.args.get("q"))[:100]
    return render_template("admin/meetings.html", meetings=services.meetings_named(db.get_session(), query),
                           query=query)


def _meeting_or_404(meeting_id: int) -> Meeting:
    return found_or_404(db.get_session().get(Meeting, meeting_id))


@bp.route("/meetings/<int:meeting_id>/edit", methods=["GET", "POST"])
@auth.require_role("admin", "body_admin")
def edit_meeting(meeting_id: int) -> Any:
    session = db.get_session()
    meeting = _meeting_or_404(meeting_id)
    user = auth.signed_in_user()
    if not auth.can_edit(user, meeting):
        abort(403)
    if request.method == "GET":
        filled, times = services.meeting_form(meeting)
        return _render_meeting_editor(filled, {}, meeting=meeting, times=times)
    form = request.form
    if form.get("action") == "add_row":
        return _render_meeting_editor(form, {}, meeting=meeting)
    result = forms.validate_meeting_form(session, form)
    status = form.get("status", meeting.status)
    services.check_meeting_edit(session, user, meeting, result, status)
    if result.ok:
        forms.locate_proposal(result, previous=workflow.proposal_from_meeting(meeting)["place"])
    if not result.ok:
        return _render_meeting_editor(form, result.errors, meeting=meeting), 422
    changed = workflow.update_meeting(session, meeting, result.values, actor=user, now=utcnow(),
                                      status=status, published=form.get("published") == "1")
    session.commit()
    flash("Saved." if changed else "Nothing changed.")
    return redirect(url_for("admin.meeting_audit", meeting_id=meeting.id), code=303)


@bp.get("/meetings/<int:meeting_id>/audit")
@auth.require_role()
def meeting_audit(meeting_id: int) -> str:
    meeting = _meeting_or_404(meeting_id)
    entries = audit.changes(db.get_session(), meeting_id=meeting.id, newest_first=True)
    return render_template("admin/meeting_audit.html", meeting=meeting, entries=entries,
                           diff=workflow.diff, may_edit=auth.can_edit(auth.signed_in_user(), meeting))


@bp.get("/changes")
@auth.require_role()
def changes() -> str:
    now = utcnow()
    days_n = parse_int(request.args.get("days"), low=1, high=366) or 7
    entries = audit.changes(db.get_session(), since=now - dt.timedelta(days=days_n), limit=500, newest_first=True)
    return render_template("admin/changes.html", entries=entries, days=days_n, changed_fields=audit.changed_fields)


# --- the outbox ------------------------------------------------------------------------------------------


@bp.get("/outbox")
@auth.require_role("admin")
def outbox() -> str:
    return render_template("admin/outbox.html", messages=services.outbox(db.get_session()),
                           smtp=bool(current_app.config.get("SMTP_HOST")))


# --- accounts -------------------------------------------------------------------------------------------


@bp.route("/users", methods=["GET", "POST"])
@auth.require_role("admin")
def users() -> Any:
    """Accounts: the list, and a form to add one (the new moderator gets the password from the admin)."""
    session = db.get_session()
    errors: dict[str, str] = {}
    form: Any = {}
    status = 200
    if request.method == "POST":
        form = request.form
        body_id = parse_int(form.get("service_body_id"), low=1, high=DB_INT_MAX)
        body = session.get(ServiceBody, body_id) if body_id is not None else None
        try:
            user = services.create_account(session, form, actor=auth.signed_in_user(), now=utcnow(), body=body)
            session.commit()
            flash(f"Account {user.email} created.")
            return redirect(url_for("admin.users"), code=303)
        except auth.AccountError as exc:
            session.rollback()
            errors["email"] = services.sentence(exc)
            status = 422
    page = render_template("admin/users.html", accounts=services.accounts(session),
                           bodies=services.bodies(session, limit=5000), form=form, errors=errors)
    return make_response(page, status)


@bp.post("/users/<int:user_id>/active")
@auth.require_role("admin")
def user_active(user_id: int) -> Any:
    session = db.get_session()
    account = found_or_404(session.get(User, user_id))
    try:
        auth.set_active(session, account, request.form.get("active") == "1", actor=auth.signed_in_user(),
                        now=utcnow())
    except auth.AccountError as exc:
        flash(services.sentence(exc))
        return redirect(url_for("admin.users"), code=303)
    session.commit()
    flash(f"{account.email} {'can log in again' if account.active else 'can no longer log in'}.")
    return redirect(url_for("admin.users"), code=303)


# --- service bodies, treatment centers, counselors --------------------------------------------------------


@bp.get("/bodies")
@auth.require_role()
def bodies() -> str:
    return render_template("admin/bodies.html", bodies=services.bodies(db.get_session()))


@bp.route("/bodies/new", methods=["GET", "POST"])
@bp.route("/bodies/<int:body_id>/edit", methods=["GET", "POST"])
@auth.require_role("admin", "body_admin")
def edit_body(body_id: int | None = None) -> Any:
    session = db.get_session()
    user = auth.signed_in_user()
    body = session.get(ServiceBody, body_id) if body_id is not None else None
    if body_id is not None and body is None:
        abort(404)
    if body is not None and not auth.can_edit_body(user, body):
        abort(403)
    allowed = edits.editable_bodies(session, user)
    if request.method == "GET":
        return render_template("admin/body_edit.html", body=body, form=services.body_form(body), errors={},
                               parents=allowed)
    result = edits.validate_body_edit(session, request.form, editor=user, body=body)
    if not result.ok:
        return render_template("admin/body_edit.html", body=body, form=request.form, errors=result.errors,
                               parents=allowed), 422
    target = body if body is not None else ServiceBody()
    edits.save(session, target, result.values, actor=user, now=utcnow())
    session.commit()
    flash("Saved.")
    return redirect(url_for("admin.bodies"), code=303)


@bp.get("/centers")
@auth.require_role()
def centers() -> str:
    return render_template("admin/providers.html", kind="centers", rows=services.centers(db.get_session()))


@bp.get("/counselors")
@auth.require_role()
def counselors() -> str:
    return render_template("admin/providers.html", kind="counselors", rows=services.counselors(db.get_session()))


@bp.route("/centers/<int:center_id>/edit", methods=["GET", "POST"])
@auth.require_role("admin")
def edit_center(center_id: int) -> Any:
    session = db.get_session()
    center = found_or_404(session.get(TreatmentCenter, center_id))
    offered = services.services(session)
    if request.method == "GET":
        return render_template("admin/center_edit.html", center=center, form=services.center_form(center),
                               errors={}, services=offered)
    result = edits.validate_center(request.form, known_services={s.code for s in offered})
    if not result.ok:
        return render_template("admin/center_edit.html", center=center, form=request.form, errors=result.errors,
                               services=offered), 422
    edits.save(session, center, result.values, actor=auth.signed_in_user(), now=utcnow())
    session.commit()
    flash("Saved.")
    return redirect(url_for("admin.centers"), code=303)


@bp.route("/counselors/<int:counselor_id>/edit", methods=["GET", "POST"])
@auth.require_role("admin")
def edit_counselor(counselor_id: int) -> Any:
    session = db.get_session()
    counselor = found_or_404(session.get(Counselor, counselor_id))
    flags = services.COUNSELOR_FLAGS
    if request.method == "GET":
        return render_template("admin/counselor_edit.html", counselor=counselor, form=services.counselor_form(counselor),
                               errors={}, flags=flags)
    result = edits.validate_counselor(request.form)
    if not result.ok:
        return render_template("admin/counselor_edit.html", counselor=counselor, form=request.form,
                               errors=result.errors, flags=flags), 422
    edits.save(session, counselor, result.values, actor=auth.signed_in_user(), now=utcnow())
    session.commit()
    flash("Saved.")
    return redirect(url_for("admin.counselors"), code=303)

