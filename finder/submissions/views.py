"""The public submission form: a new meeting, a change, a cancelled week, a closure, "no longer meets"."""
from __future__ import annotations

from typing import Any

from flask import (
    Blueprint, Response, abort, current_app, make_response, redirect, render_template, request, url_for,
)
from flask_babel import gettext
from sqlalchemy.orm import Session, selectinload

from finder import db
from finder.clock import utcnow
from finder.meetings import visibility
from finder.models import Meeting, ServiceBody, Submission
from finder.submissions import mail, tokens, workflow
from finder.submissions.forms import form_choices, kind_label, locate_proposal, row_count
from finder.submissions.forms import validate_meeting_form
from finder.web import i18n, ratelimit

bp = Blueprint("submit", __name__, url_prefix="/submit")


def _organizer_from_token(session: Session) -> Submission | None:
    token = request.values.get("token")
    if not token:
        return None
    try:
        return _submission_named(session, token)
    except tokens.TokenError:
        return None


def _submission_named(session: Session, token: str) -> Submission | None:
    """The submission an organizer's token names, or None; raises tokens.TokenError for a stale or damaged one."""
    return workflow.submission_by_token(session, token, secret=current_app.config["SECRET_KEY"],
                                        max_age_days=current_app.config["ORGANIZER_TOKEN_DAYS"])


def _visible_meeting(session: Session, slug: str) -> Meeting:
    meeting = visibility.public_meeting(session, slug, selectinload(Meeting.times), selectinload(Meeting.formats),
                                        selectinload(Meeting.place))
    if meeting is None:
        abort(404)
    return meeting


def _no_store(response: Response) -> Response:
    # Private pages (a status link is a credential): never cached, never leaked by a Referer header.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


# --- pages ---------------------------------------------------------------------------------------------


@bp.get("/")
def index() -> str:
    """Start here: a new meeting, or find the meeting to change."""
    session = db.get_session()
    query = workflow.clean_text(request.args.get("q"))[:100]
    found = workflow.meetings_to_change(session, query) if query else []
    return render_template("submit/index.html", query=query, found=found)


def _sending() -> bool:
    """A submission is being sent: the form's last step, or any post of a one-off change."""
    return request.method == "POST" and request.form.get("action", "send") == "send"


def _over_the_limit() -> Any:
    return render_template("submit/refused.html", reason="rate")


# Submissions sent per visitor, one allowance for every kind. Counted as they arrive, not once stored: Redis's
# count is atomic, so visitors sending at once cannot all slip under the limit.
limit_submissions = ratelimit.limited("SUBMISSION_RATE_LIMIT", scope="submit", applies=_sending,
                                      refused=_over_the_limit)


@bp.route("/new", methods=["GET", "POST"])
@limit_submissions
def new_meeting() -> Any:
    return _meeting_form(None)


@bp.get("/change/<slug>")
def change_shortcut(slug: str) -> Any:
    """The short address meeting pages link to ("Report a change to this meeting")."""
    return redirect(url_for("submit.change_meeting", slug=slug), code=301)


@bp.route("/meetings/<slug>/change", methods=["GET", "POST"])
@limit_submissions
def change_meeting(slug: str) -> Any:
    return _meeting_form(_visible_meeting(db.get_session(), slug))


def _meeting_form(meeting: Meeting | None) -> Any:
    """The new/change form in up to three steps: edit -> check (place preview, diff, duplicates) -> send."""
    session = db.get_session()
    original = workflow.proposal_from_meeting(meeting) if meeting is not None else None
    organizer = _organizer_from_token(session)
    kind = "change" if meeting is not None else "new"
    if request.method == "GET":
        form: dict[str, Any] = workflow.form_from_proposal(original) if original else {"country": "US"}
        if organizer is not None:
            form.update(contact_name=organizer.contact_name, contact_email=organizer.contact_email)
        return _render_form(session, kind, meeting, form, {}, len(original["times"]) if original else 0)

    form = request.form
    action = form.get("action", "check")
    result = validate_meeting_form(session, form)
    contact = workflow.validate_contact(form)
    if action in ("add_row", "edit"):
        return _render_form(session, kind, meeting, form, {})
    errors = {**result.errors, **contact.errors}
    place = result.values["place"]
    if form.get("pin") and form.get("pin") != f"{place['latitude']},{place['longitude']}":
        place["precision"] = None  # the organizer moved the pin: the geocoder's precision no longer applies
    if not errors:
        locate_proposal(result, previous=original["place"] if original else None)
        errors = {**result.errors, **contact.errors}
    if errors:
        return _render_form(session, kind, meeting, form, errors), 422
    if original is not None and not workflow.diff(original, result.values):
        errors = {"name": gettext("Nothing has changed yet: edit what is different, then check again.")}
        return _render_form(session, kind, meeting, form, errors), 422
    if action != "send":
        return _render_check(session, kind, meeting, result.values, contact.values, original, form)
    refused = _refuse_if_spam(form)
    if refused is not None:
        return refused
    return _store(session, kind, meeting, result.values, contact.values)


def _render_form(session: Session, kind: str, meeting: Meeting | None, form: Any, errors: dict[str, str],
                 times: int = 0) -> str:
    return render_template(
        "submit/meeting_form.html", kind=kind, kind_label=kind_label(kind), meeting=meeting, form=form,
        errors=errors, rows=row_count(form, times), token=request.values.get("token", ""), **form_choices(session),
    )


def _render_check(session: Session, kind: str, meeting: Meeting | None, proposal: dict[str, Any],
                  contact: dict[str, str], original: dict[str, Any] | None, form: Any) -> str:
    duplicates = workflow.find_duplicates(session, proposal, exclude_id=meeting.id if meeting else None)
    hidden = workflow.form_from_proposal(proposal)
    hidden.update(contact)
    hidden.pop("latitude"), hidden.pop("longitude")
    return render_template(
        "submit/check.html", kind=kind, kind_label=kind_label(kind), meeting=meeting, proposal=proposal,
        changes=workflow.diff(original, proposal) if original else None, duplicates=duplicates,
        hidden=hidden, place=proposal["place"], token=form.get("token", ""),
        osm_url=_map_link(proposal["place"]["latitude"], proposal["place"]["longitude"]),
        body=session.get(ServiceBody, proposal["service_body_id"])
        if proposal["service_body_id"] else None,
    )


def _map_link(lat: float, lon: float) -> str:
    # A plain link the organizer may choose to follow: nothing is loaded from a map server by our pages.
    return f"https://www.openstreetmap.org/?mlat={lat:.6f}&mlon={lon:.6f}#map=18/{lat:.6f}/{lon:.6f}"


def _refuse_if_spam(form: Any) -> Any:
    if workflow.is_spam(form):
        # Bots get a plain refusal; nothing is stored and nothing tells them which field gave them away.
        return render_template("submit/refused.html", reason="spam"), 400
    return None


def _store(session: Session, kind: str, meeting: Meeting | None, payload: dict[str, Any],
           contact: dict[str, str]) -> Any:
    """Store first (with its notifications, in one commit), then try to deliver mail, then redirect."""
    now = utcnow()
    submission = workflow.submit(session, kind=kind, payload=payload, meeting=meeting, contact=contact, now=now,
                                 language=i18n.current_language())
    mail.tell_moderators(session, submission, now)
    mail.tell_organizer_received(session, submission, now)
    token = tokens.make_token(current_app.config["SECRET_KEY"], submission.id, submission.reference)
    session.commit()
    mail.deliver_in_background()
    return redirect(url_for("submit.status", token=token, sent=1), code=303)


# --- one-off changes: a cancelled week, a closure, no longer meets -------------------------------------------


@bp.route("/meetings/<slug>/<any(cancel, close, inactive):what>", methods=["GET", "POST"])
@limit_submissions
def meeting_event(slug: str, what: str) -> Any:
    session = db.get_session()
    meeting = _visible_meeting(session, slug)
    kind = workflow.EVENT_KINDS[what]
    today = workflow.meeting_today(meeting, utcnow())
    organizer = _organizer_from_token(session)
    form: Any = request.form if request.method == "POST" else (
        {"contact_name": organizer.contact_name, "contact_email": organizer.contact_email} if organizer else {})
    errors: dict[str, str] = {}
    if request.method == "POST":
        result = workflow.validate_event(kind, form, meeting, today)
        contact = workflow.validate_contact(form)
        errors = {**result.errors, **contact.errors}
        if not errors:
            refused = _refuse_if_spam(form)
            if refused is not None:
                return refused
            return _store(session, kind, meeting, result.values, contact.values)
    upcoming = workflow.upcoming_dates(meeting, today)
    page = render_template("submit/meeting_event.html", kind=kind, kind_label=kind_label(kind), meeting=meeting,
                           form=form, errors=errors, upcoming=upcoming, today=today,
                           token=request.values.get("token", ""))
    return (page, 422) if errors else page


# --- the organizer's private status page --------------------------------------------------------------


@bp.get("/status/<token>")
def status(token: str) -> Any:
    session = db.get_session()
    try:
        submission = _submission_named(session, token)
    except tokens.TokenError as exc:
        page = render_template("submit/bad_token.html", expired=exc.expired)
        return _no_store(make_response(page, 410 if exc.expired else 404))
    if submission is None:
        return _no_store(make_response(render_template("submit/bad_token.html", expired=False), 404))
    page = render_template(
        "submit/status.html", submission=submission, kind_label=kind_label(submission.kind), token=token,
        just_sent=request.args.get("sent") == "1",
        meeting=submission.meeting if submission.meeting is not None and visibility.is_public(submission.meeting) else None,
    )
    return _no_store(make_response(page))
