"""Moderation and administration: login, the queue, decisions, direct edits, the audit log and the outbox."""
from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, abort, current_app, flash, make_response, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from finder import db
from finder.admin import audit, auth, edits, pages
from finder.core.numbers import DB_INT_MAX, parse_int
from finder.clock import utcnow
from finder.imports import sync
from finder.models import (
    Counselor, Meeting, MeetingSync, OutboxMessage, Service, ServiceBody, Submission, TreatmentCenter, User,
)
from finder.submissions import forms, mail, workflow
from finder.web import ratelimit, security

bp = Blueprint("admin", __name__, url_prefix="/admin")
# Logging in and out sit outside /admin: everything under /admin needs an account.
account_bp = Blueprint("account", __name__)
PAGE = 100


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
    session = db.get_session()
    user = auth.current_user()
    waiting = workflow.pending(session)
    decided = workflow.recent(session, limit=50)
    if user.role == "body_admin":
        waiting = [s for s in waiting if auth.can_moderate(user, s)]
        decided = [s for s in decided if auth.can_moderate(user, s)]
    return render_template("admin/queue.html", waiting=waiting, decided=decided[:20])


def _submission_or_404(submission_id: int) -> Submission:
    found = db.get_session().get(Submission, submission_id)
    if found is None:
        abort(404)
    return found


@bp.get("/submissions/<int:submission_id>")
@auth.require_role()
def submission(submission_id: int) -> str:
    return _render_submission(_submission_or_404(submission_id))


def _render_submission(item: Submission, status: int = 200, **extra: Any) -> Any:
    session = db.get_session()
    changes = None
    if item.kind in ("new", "change"):
        changes = workflow.diff(item.before, item.payload)
    # The meeting changed since the organizer saw it: the moderator should know before approving.
    moved_on = bool(item.meeting is not None and item.before is not None and item.status == "pending" and set(
        audit.changed_fields(item.before, audit.meeting_snapshot(item.meeting))) - {"sequence"})
    duplicates = (workflow.find_duplicates(session, item.payload, exclude_id=item.meeting_id)
                  if item.kind in ("new", "change") and item.status == "pending" else [])
    page = render_template("admin/submission.html", item=item, changes=changes, duplicates=duplicates,
                           moved_on=moved_on, may_moderate=auth.can_moderate(auth.current_user(), item),
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
    user = auth.current_user()
    if not auth.can_moderate(user, item):
        abort(403)
    now = utcnow()
    try:
        if decision == "approve":
            workflow.approve(session, item, actor=user, now=now, payload=payload)
        else:
            workflow.reject(session, item, actor=user, reason=request.form.get("reason", ""), now=now)
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
    if not auth.can_moderate(auth.current_user(), item):
        abort(403)
    if item.kind not in ("new", "change") or item.status != "pending":
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
    synced = target is not None and target.sync is not None
    return render_template("admin/meeting_edit.html", form=form, errors=errors, item=item, meeting=meeting,
                           rows=forms.row_count(form, times), synced=target.sync if synced else None,
                           edited_since_sync=synced and sync.locally_edited(target),
                           **forms.form_choices(db.get_session()))


# --- meetings: list, direct edit, audit -----------------------------------------------------------------


@bp.get("/meetings")
@auth.require_role()
def meetings() -> str:
    session = db.get_session()
    query = workflow.clean_text(request.args.get("q"))[:100]
    statement = select(Meeting).options(selectinload(Meeting.place), selectinload(Meeting.service_body),
                                        selectinload(Meeting.group),
                                        selectinload(Meeting.sync).selectinload(MeetingSync.source),
                                        ).order_by(Meeting.name).limit(PAGE)
    if query:
        pattern = "%" + query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        statement = statement.where(Meeting.name.ilike(pattern, escape="\\"))
    return render_template("admin/meetings.html", meetings=list(session.scalars(statement)), query=query)


def _meeting_or_404(meeting_id: int) -> Meeting:
    found = db.get_session().get(Meeting, meeting_id)
    if found is None:
        abort(404)
    return found


@bp.route("/meetings/<int:meeting_id>/edit", methods=["GET", "POST"])
@auth.require_role("admin", "body_admin")
def edit_meeting(meeting_id: int) -> Any:
    session = db.get_session()
    meeting = _meeting_or_404(meeting_id)
    user = auth.current_user()
    if not auth.can_edit(user, meeting):
        abort(403)
    original = workflow.proposal_from_meeting(meeting)
    if request.method == "GET":
        form: Any = workflow.form_from_proposal(original)
        form.update(status=meeting.status, published="1" if meeting.published else "")
        return _render_meeting_editor(form, {}, meeting=meeting, times=len(original["times"]))
    form = request.form
    if form.get("action") == "add_row":
        return _render_meeting_editor(form, {}, meeting=meeting)
    result = forms.validate_meeting_form(session, form)
    status = form.get("status", meeting.status)
    if status not in ("active", "temporarily_closed", "inactive"):
        result.errors["status"] = "Please choose a status from the list."
    try:
        workflow.check_placement(session, user, result.values.get("service_body_id"), meeting)
    except PermissionError as exc:
        result.errors["service_body_id"] = str(exc)
    if result.ok:
        forms.locate_proposal(result, previous=original["place"])
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
                           diff=workflow.diff, may_edit=auth.can_edit(auth.current_user(), meeting))


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
    messages = db.get_session().scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(200)).all()
    return render_template("admin/outbox.html", messages=messages,
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
            user = auth.create_user(
                session, email=str(form.get("email") or ""), password=str(form.get("password") or ""),
                role=str(form.get("role") or ""), service_body=body, name=workflow.clean_text(form.get("name")),
                now=utcnow())
            audit.record(session, actor=auth.current_user(), action="create", entity=user, before=None,
                         after=audit.snapshot(user), now=utcnow())
            session.commit()
            flash(f"Account {user.email} created.")
            return redirect(url_for("admin.users"), code=303)
        except auth.AccountError as exc:
            session.rollback()
            errors["email"] = str(exc)[:1].upper() + str(exc)[1:] + "."
            status = 422
    accounts = session.scalars(select(User).options(selectinload(User.service_body)).order_by(User.email)).all()
    bodies = session.scalars(select(ServiceBody).order_by(ServiceBody.name).limit(5000)).all()
    page = render_template("admin/users.html", accounts=accounts, bodies=bodies, form=form, errors=errors)
    return make_response(page, status)


@bp.post("/users/<int:user_id>/active")
@auth.require_role("admin")
def user_active(user_id: int) -> Any:
    session = db.get_session()
    account = session.get(User, user_id) or abort(404)
    try:
        auth.set_active(session, account, request.form.get("active") == "1", actor=auth.current_user(),
                        now=utcnow())
    except auth.AccountError as exc:
        flash(str(exc)[:1].upper() + str(exc)[1:] + ".")
        return redirect(url_for("admin.users"), code=303)
    session.commit()
    flash(f"{account.email} {'can log in again' if account.active else 'can no longer log in'}.")
    return redirect(url_for("admin.users"), code=303)


# --- service bodies, treatment centers, counselors --------------------------------------------------------


@bp.get("/bodies")
@auth.require_role()
def bodies() -> str:
    all_bodies = db.get_session().scalars(select(ServiceBody).order_by(ServiceBody.name).limit(2000)).all()
    return render_template("admin/bodies.html", bodies=all_bodies)


@bp.route("/bodies/new", methods=["GET", "POST"])
@bp.route("/bodies/<int:body_id>/edit", methods=["GET", "POST"])
@auth.require_role("admin", "body_admin")
def edit_body(body_id: int | None = None) -> Any:
    session = db.get_session()
    user = auth.current_user()
    body = session.get(ServiceBody, body_id) if body_id is not None else None
    if body_id is not None and body is None:
        abort(404)
    if body is not None and not auth.can_edit_body(user, body):
        abort(403)
    allowed = edits.editable_bodies(session, user)
    if request.method == "GET":
        form: Any = {} if body is None else {
            "name": body.name, "kind": body.kind, "description": body.description, "url": body.url,
            "helpline": body.helpline, "world_id": body.world_id, "parent_id": str(body.parent_id or "")}
        return render_template("admin/body_edit.html", body=body, form=form, errors={}, parents=allowed)
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
    rows = db.get_session().scalars(select(TreatmentCenter).order_by(TreatmentCenter.name).limit(PAGE)).all()
    return render_template("admin/providers.html", kind="centers", rows=rows)


@bp.get("/counselors")
@auth.require_role()
def counselors() -> str:
    rows = db.get_session().scalars(select(Counselor).order_by(Counselor.name).limit(PAGE)).all()
    return render_template("admin/providers.html", kind="counselors", rows=rows)


@bp.route("/centers/<int:center_id>/edit", methods=["GET", "POST"])
@auth.require_role("admin")
def edit_center(center_id: int) -> Any:
    session = db.get_session()
    center = session.get(TreatmentCenter, center_id) or abort(404)
    services = session.scalars(select(Service).order_by(Service.category, Service.name)).all()
    if request.method == "GET":
        form: Any = {k: getattr(center, k) for k in ("name", "name2", "phone", "intake_phone", "website",
                                                     "facility_type")}
        form.update(published="1" if center.published else "", services=sorted(center.service_codes))
        return render_template("admin/center_edit.html", center=center, form=form, errors={}, services=services)
    result = edits.validate_center(request.form, known_services={s.code for s in services})
    if not result.ok:
        return render_template("admin/center_edit.html", center=center, form=request.form, errors=result.errors,
                               services=services), 422
    edits.save(session, center, result.values, actor=auth.current_user(), now=utcnow())
    session.commit()
    flash("Saved.")
    return redirect(url_for("admin.centers"), code=303)


@bp.route("/counselors/<int:counselor_id>/edit", methods=["GET", "POST"])
@auth.require_role("admin")
def edit_counselor(counselor_id: int) -> Any:
    session = db.get_session()
    counselor = session.get(Counselor, counselor_id) or abort(404)
    flags = ("contact_public", "telehealth", "in_person", "sliding_scale", "published")
    if request.method == "GET":
        form: Any = {k: getattr(counselor, k) for k in ("name", "credentials", "license_number", "license_state",
                                                        "phone", "email", "website", "fees", "bio", "accepting")}
        form.update({flag: "1" if getattr(counselor, flag) else "" for flag in flags})
        return render_template("admin/counselor_edit.html", counselor=counselor, form=form, errors={}, flags=flags)
    result = edits.validate_counselor(request.form)
    if not result.ok:
        return render_template("admin/counselor_edit.html", counselor=counselor, form=request.form,
                               errors=result.errors, flags=flags), 422
    edits.save(session, counselor, result.values, actor=auth.current_user(), now=utcnow())
    session.commit()
    flash("Saved.")
    return redirect(url_for("admin.counselors"), code=303)

