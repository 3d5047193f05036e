"""Freshness pages: "Report a problem", the confirm links, and the moderators' freshness and reports pages."""
from __future__ import annotations

import io
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy.orm import selectinload

from finder import db
from finder.admin import auth, pages
from finder.clock import utcnow
from finder.freshness import links, notices, services
from finder.freshness.confirmation import confirm
from finder.freshness.services import REPORT_LABELS, RESOLUTION_LABELS, Policy
from finder.imports import exports
from finder.meetings import visibility
from finder.models import Meeting, ServiceBody, User
from finder.submissions import mail, tokens
from finder.submissions import workflow as submissions
from finder.web import ratelimit
from finder.web.responses import found_or_404

bp = Blueprint("freshness", __name__)
bp.context_processor(pages.admin_globals)


def _policy() -> Policy:
    return Policy.from_config(current_app.config)


def _private(response: Response) -> Response:
    # Report forms, confirm links and moderators' pages: never cached, never indexed, no Referer with a token.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


bp.after_request(_private)


def _public_meeting(slug: str) -> Meeting:
    meeting = visibility.public_meeting(db.get_session(), slug, selectinload(Meeting.times),
                                        selectinload(Meeting.place))
    if meeting is None:
        abort(404)
    return meeting


# --- visitors: report a problem -----------------------------------------------------------------------------


def _reporting() -> bool:
    return request.method == "POST"


def _too_many_reports() -> Any:
    meeting = _public_meeting(str((request.view_args or {}).get("slug", "")))
    return render_template("submit/refused.html", meeting=meeting, reason="rate")


@bp.route("/meetings/<slug>/report", methods=["GET", "POST"])
@ratelimit.limited("REPORT_RATE_LIMIT", scope="report", applies=_reporting, refused=_too_many_reports)
def report(slug: str) -> Any:
    session = db.get_session()
    meeting = _public_meeting(slug)
    if not services.reportable(meeting):
        return render_template("freshness/report.html", meeting=meeting, closed=True, form={}, errors={},
                               labels=REPORT_LABELS), 409
    if request.method == "GET":
        return render_template("freshness/report.html", meeting=meeting, form={}, errors={}, labels=REPORT_LABELS)
    form = request.form
    if submissions.is_spam(form):
        return render_template("submit/refused.html", meeting=meeting, reason="spam"), 400
    result = services.validate_report(form)
    if not result.ok:
        return render_template("freshness/report.html", meeting=meeting, form=form, errors=result.errors,
                               labels=REPORT_LABELS), 422
    now = utcnow()
    outcome = services.report_problem(
        session, meeting, kind=result.values["kind"], note=result.values["note"],
        client=services.client_identity(request.remote_addr), secret=current_app.config["SECRET_KEY"],
        policy=_policy(), now=now)
    notices.tell_moderators(session, meeting, outcome, now=now)
    session.commit()
    mail.deliver_in_background()
    return render_template("freshness/report_sent.html", meeting=meeting, outcome=outcome)


# --- the contact's confirm links ---------------------------------------------------------------------------


def _link_meeting(token: str) -> tuple[Meeting | None, Any]:
    """The meeting a confirm token names, or (None, the page explaining why not)."""
    now = utcnow()
    try:
        link = links.read_confirm_token(current_app.config["SECRET_KEY"], token,
                                        max_age_days=_policy().link_days, now=now)
    except tokens.TokenError as exc:
        page = render_template("freshness/link.html", state="expired" if exc.expired else "invalid")
        return None, make_response(page, 410 if exc.expired else 404)
    meeting = db.get_session().get(Meeting, link.meeting_id)
    if meeting is None or not visibility.is_public(meeting):
        return None, make_response(render_template("freshness/link.html", state="invalid"), 404)
    if links.stamp(meeting.confirmed_at) != link.confirmed:
        return None, make_response(render_template("freshness/link.html", state="used", meeting=meeting), 410)
    return meeting, None


@bp.route("/confirm/<token>", methods=["GET", "POST"])
def confirm_link(token: str) -> Any:
    """"Still meeting as listed": the page has one button. A POST, not the GET, confirms: mail scanners open
    links in messages, and a scanner must not confirm a meeting nobody looked at."""
    meeting, refusal = _link_meeting(token)
    if meeting is None:
        return refusal
    if request.method == "GET":
        return render_template("freshness/link.html", state="ask", meeting=meeting, token=token)
    session = db.get_session()
    confirm(session, meeting, by="organizer (confirm link)", now=utcnow())
    session.commit()
    return render_template("freshness/link.html", state="done", meeting=meeting)


@bp.get("/confirm/<token>/changed")
def changed_link(token: str) -> Any:
    """"Something changed": the change form, filled in with what the meeting's page shows now."""
    meeting, refusal = _link_meeting(token)
    if meeting is None:
        return refusal
    return redirect(url_for("submit.change_meeting", slug=meeting.slug), code=303)


# --- moderators ------------------------------------------------------------------------------------------


def _account() -> User:
    """The logged-in account (the views below are behind auth.require_role)."""
    user = auth.current_user()
    if user is None:
        abort(403)
    return user


@bp.get("/admin/freshness")
@auth.require_role()
def overview() -> str:
    user = _account()
    rows = services.freshness_by_body(db.get_session(), scope=services.scope_of(user), policy=_policy(), now=utcnow())
    return render_template("admin/freshness/overview.html", rows=rows, policy=_policy())


def _body_or_404(body_key: str) -> ServiceBody | None:
    """A service body the user may see by id, or None for "no service body" (full admins and observers)."""
    body = None
    if body_key != "none":
        body = db.get_session().get(ServiceBody, int(body_key)) if body_key.isdigit() else None
        if body is None:
            abort(404)
    if not services.may_see_body(_account(), body):
        abort(403)
    return body


def _body_listing(body_key: str) -> tuple[ServiceBody | None, list[Meeting], dict[int, int]]:
    body = _body_or_404(body_key)
    session = db.get_session()
    meetings = services.body_meetings(session, body.id if body is not None else None)
    return body, meetings, services.open_report_counts(session, [m.id for m in meetings])


@bp.get("/admin/freshness/<body_key>")
@auth.require_role()
def body(body_key: str) -> str:
    found, meetings, counts = _body_listing(body_key)
    return render_template("admin/freshness/body.html", body=found, body_key=body_key, meetings=meetings,
                           counts=counts, policy=_policy(), now=utcnow(), is_stale=services.is_stale)


@bp.get("/admin/freshness/<body_key>.csv")
@auth.require_role()
def body_csv(body_key: str) -> Response:
    found, meetings, counts = _body_listing(body_key)
    out = io.StringIO()
    exports.write_csv(services.freshness_rows(meetings, counts, policy=_policy(), now=utcnow()),
                      services.FRESHNESS_COLUMNS, out)
    name = f"freshness-{found.id if found is not None else 'none'}.csv"
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.get("/admin/reports")
@auth.require_role()
def reports() -> str:
    user = _account()
    groups = services.open_reports(db.get_session(), user=services.scope_of(user))
    return render_template("admin/freshness/reports.html", groups=groups, labels=REPORT_LABELS)


def _meeting_or_404(meeting_id: int) -> Meeting:
    return found_or_404(db.get_session().get(Meeting, meeting_id))


@bp.get("/admin/reports/meetings/<int:meeting_id>")
@auth.require_role()
def meeting_reports(meeting_id: int, status: int = 200, error: str = "") -> Any:
    session = db.get_session()
    meeting = _meeting_or_404(meeting_id)
    user = _account()
    if not services.may_see_reports(user, meeting):
        abort(403)
    recent = services.recent_reports(session, meeting)
    page = render_template("admin/freshness/meeting_reports.html", meeting=meeting, reports=recent, labels=REPORT_LABELS,
                           resolutions=RESOLUTION_LABELS, may_resolve=auth.can_edit(user, meeting), error=error)
    return make_response(page, status)


@bp.post("/admin/reports/meetings/<int:meeting_id>/resolve")
@auth.require_role("admin", "body_admin")
def resolve(meeting_id: int) -> Any:
    session = db.get_session()
    meeting = _meeting_or_404(meeting_id)
    resolution = str(request.form.get("resolution") or "")
    try:
        count = services.resolve(session, meeting, actor=_account(), resolution=resolution, now=utcnow())
    except PermissionError:
        session.rollback()
        abort(403)
    except services.ReportError as exc:
        session.rollback()
        return meeting_reports(meeting_id, status=422, error=str(exc))
    session.commit()
    flash(f"{meeting.name}: {count} report{'s' if count != 1 else ''} resolved ({RESOLUTION_LABELS[resolution]}).")
    if resolution == "changed" and auth.can_edit(_account(), meeting):
        return redirect(url_for("admin.edit_meeting", meeting_id=meeting.id), code=303)
    return redirect(url_for("freshness.reports"), code=303)
