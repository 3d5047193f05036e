"""The JSON API under /api/v1: search (the pages' search function and parameters), records, formats, service bodies.

Every error is {"error": {"code", "message", "field"}} with a 4xx status; GET answers carry CORS for any origin
and an ETag answered with 304.
"""
from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, current_app, request
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from finder.clock import utcnow
from finder import cache, db, geocode, search
from finder.web import csrf
from finder.core import meeting_guide
from finder.core import schedule
from finder.core import vocab
from finder.core.geo import km_to_miles
from finder.meetings import visibility
from finder.models import Counselor, Format, Meeting, Place, ServiceBody, TreatmentCenter
from finder.web.responses import dumps
from finder.web.urls import public_base
from finder.api import openapi

bp = Blueprint("api", __name__, url_prefix="/api/v1")

SEARCH_MAX_AGE = 60
RECORD_MAX_AGE = 300
UPCOMING = 5
ALL_METHODS = ["GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"]


class ApiError(Exception):
    """An answer other than 200: status, a stable code, a message for people, the parameter at fault."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None,
                 suggestions: list[str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field
        self.suggestions = suggestions or []


def error_response(exc: ApiError) -> Response:
    body: dict[str, Any] = {"code": exc.code, "message": exc.message, "field": exc.field}
    if exc.suggestions:
        body["suggestions"] = exc.suggestions
    response = Response(json.dumps({"error": body}), status=exc.status, mimetype="application/json")
    response.headers["Access-Control-Allow-Origin"] = "*"
    if exc.status == 405:
        response.headers["Allow"] = "GET, HEAD, OPTIONS"
    return response


def _json(payload: Any, max_age: int) -> Response:
    response = Response(dumps(payload), mimetype="application/json")
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Expose-Headers"] = "ETag"
    response.cache_control.public = True
    response.cache_control.max_age = max_age
    response.add_etag()
    return response.make_conditional(request)


def endpoint(rule: str, max_age: int = RECORD_MAX_AGE) -> Callable[[Callable[..., Any]], Callable[..., Response]]:
    """A GET route answering JSON; OPTIONS is a CORS preflight, other methods a JSON 405."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Response]:
        @functools.wraps(view)
        def wrapper(**kwargs: Any) -> Response:
            if request.method == "OPTIONS":
                response = Response(status=204)
                response.headers.update({
                    "Access-Control-Allow-Origin": "*", "Access-Control-Allow-Methods": "GET, HEAD, OPTIONS",
                    "Access-Control-Allow-Headers": "If-None-Match, Content-Type", "Access-Control-Max-Age": "86400",
                })
                return response
            try:
                if request.method not in ("GET", "HEAD"):
                    raise ApiError(405, "method_not_allowed", "this API is read-only: use GET")
                return _json(view(**kwargs), max_age)
            except ApiError as exc:
                return error_response(exc)

        # Read-only and cookie-free: every other method gets a JSON 405, never a CSRF form page.
        bp.add_url_rule(rule, endpoint=view.__name__.removesuffix("_view"), view_func=csrf.exempt(wrapper),
                        methods=ALL_METHODS)
        return wrapper

    return decorate


# --- shapes -------------------------------------------------------------------------------------------------------

def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def place_json(place: Place, *, exact: bool = True) -> dict[str, Any]:
    """A place; an online-only meeting's approximate place has no street."""
    return {
        "name": place.name, "street": place.street if exact else "", "city": place.city, "region": place.region,
        "postal_code": place.postal_code, "country": place.country, "latitude": place.latitude,
        "longitude": place.longitude, "precision": place.precision, "timezone": place.timezone,
        "notes": place.notes,
    }


def _formats(meeting: Meeting) -> list[dict[str, Any]]:
    by_code = {f.code: f for f in meeting.formats}
    out = []
    for code in vocab.effective_format_codes(meeting):
        fmt = by_code.get(code)
        spec = vocab.FORMAT_BY_CODE.get(code)
        out.append({"code": code, "name": fmt.name if fmt else spec.name if spec else code})
    return out


def meeting_json(meeting: Meeting, base: str, now: dt.datetime, *, upcoming: int = 0) -> dict[str, Any]:
    """A meeting with its weekly times (Monday=0 and mon..sun), formats, place and links; with `upcoming`, its
    next occurrences and current exceptions too. Treat the answer as read-only: it may be shared."""
    if upcoming:
        return {**_meeting_json(meeting, base), **_upcoming_json(meeting, now, upcoming)}
    derived = getattr(meeting, "derived", None)  # a finder.search.loader row: reuse its rendering (it may be cached)
    if derived is None:
        return _meeting_json(meeting, base)
    rendered = derived.get(("json", base))
    if rendered is None:
        rendered = derived[("json", base)] = _meeting_json(meeting, base)
    return rendered


def _meeting_json(meeting: Meeting, base: str) -> dict[str, Any]:
    data: dict[str, Any] = {
        "slug": meeting.slug,
        "name": meeting.name,
        "url": f"{base}/meetings/{meeting.slug}",
        "attendance": meeting.attendance,
        "status": meeting.status,
        "language": meeting.language,
        "timezone": meeting.place.timezone,
        "times": [
            {"weekday": t.weekday, "day": schedule.to_url(t.weekday), "start": t.start.strftime("%H:%M"),
             "duration_minutes": t.duration_minutes,
             "end": meeting_guide.end_time(t.start, t.duration_minutes).strftime("%H:%M")}
            for t in sorted(meeting.times, key=lambda t: (t.weekday, t.start))
        ],
        "formats": _formats(meeting),
        "place": place_json(meeting.place, exact=meeting.attendance != "online"),
        "conference_url": meeting.conference_url if meeting.is_online else "",
        "conference_notes": meeting.conference_notes if meeting.is_online else "",
        "phone": meeting.phone if meeting.is_online else "",
        "phone_notes": meeting.phone_notes if meeting.is_online else "",
        "notes": meeting.notes,
        "service_body_id": meeting.service_body_id,
        "group_id": meeting.group_id,
        "updated_at": _iso(meeting.updated_at),
        "confirmed_at": _iso(meeting.confirmed_at),
        # A mark set by several visitors' "nobody was there" reports, until a moderator resolves them.
        "reported_not_meeting": meeting.reported_at is not None and meeting.status != "inactive",
    }
    return data


def _upcoming_json(meeting: Meeting, now: dt.datetime, upcoming: int) -> dict[str, Any]:
    occurrences = schedule.next_occurrences(meeting.times, meeting.place.timezone, now, meeting.exceptions,
                                            n=upcoming) if visibility.still_meets(meeting) else []
    return {
        "upcoming": [{"start": o.start.isoformat(), "end": o.end.isoformat(), "in_progress": o.is_in_progress(now)}
                     for o in occurrences],
        "exceptions": [{"kind": e.kind, "start_date": e.start_date.isoformat(), "end_date": e.end_date.isoformat(),
                        "reason": e.reason}
                       for e in meeting.exceptions if e.end_date >= now.date() - dt.timedelta(days=1)],
    }


def center_json(center: TreatmentCenter, base: str) -> dict[str, Any]:
    return {
        "slug": center.slug, "name": center.name, "name2": center.name2, "url": f"{base}/centers/{center.slug}",
        "phone": center.phone, "intake_phone": center.intake_phone, "website": center.website,
        "facility_type": center.facility_type,
        "services": [{"code": s.code, "name": s.name, "category": s.category} for s in center.services],
        "place": place_json(center.place), "updated_at": _iso(center.updated_at),
    }


def counselor_json(counselor: Counselor, base: str) -> dict[str, Any]:
    """A counselor; phone, email and website only when the counselor made their contact public."""
    public = counselor.contact_public
    return {
        "slug": counselor.slug, "name": counselor.name, "url": f"{base}/counselors/{counselor.slug}",
        "credentials": counselor.credentials, "license_number": counselor.license_number,
        "license_state": counselor.license_state,
        "phone": counselor.phone if public else "", "email": counselor.email if public else "",
        "website": counselor.website if public else "",
        "telehealth": counselor.telehealth, "in_person": counselor.in_person, "accepting": counselor.accepting,
        "fees": counselor.fees, "sliding_scale": counselor.sliding_scale, "bio": counselor.bio,
        "terms": [{"kind": t.kind, "code": t.code, "name": t.name} for t in counselor.terms],
        "offices": [place_json(p) for p in counselor.offices], "updated_at": _iso(counselor.updated_at),
    }


def body_json(body: ServiceBody, base: str) -> dict[str, Any]:
    return {
        "id": body.id, "parent_id": body.parent_id, "kind": body.kind, "name": body.name,
        "description": body.description, "url": body.url, "helpline": body.helpline, "world_id": body.world_id,
        "meeting_guide_feed": f"{base}/feeds/meeting-guide/{body.id}.json",
    }


def _distance(km: float | None) -> dict[str, float | None]:
    return {"distance_km": None if km is None else round(km, 3),
            "distance_miles": None if km is None else round(km_to_miles(km), 3)}


# --- routes -------------------------------------------------------------------------------------------------------

@endpoint("/search", max_age=SEARCH_MAX_AGE)
def search_view() -> dict[str, Any]:
    """Search with the pages' parameters (see the OpenAPI document)."""
    try:
        query = search.query_from_args(request.args, geocode.get_geocoder(current_app))
        now = utcnow()
        session = db.get_session()
        results = search.find_nearby(session, query, now, cached_meetings=cache.meeting_reader(session))
    except search.SearchError as exc:
        raise ApiError(400, "invalid_parameter", exc.message, exc.field, exc.suggestions) from None
    base = public_base()
    return {
        "query": {"lat": query.point[0] if query.point else None, "lon": query.point[1] if query.point else None,
                  "radius_km": query.radius_km, "nearest": query.nearest, "kinds": sorted(query.kinds),
                  "sort": query.sort},
        "radius_km": results.radius_km, "page": results.page, "per_page": results.per_page, "pages": results.pages,
        "total": {"meetings": results.total_meetings, "centers": results.total_centers,
                  "counselors": results.total_counselors},
        "meetings": [{**meeting_json(h.meeting, base, now), **_distance(h.distance_km),
                      "next_start": _iso(h.next_start), "in_progress": h.in_progress,
                      "starts_in_minutes": h.starts_in_minutes, "is_online_only": h.is_online_only}
                     for h in results.meetings],
        "centers": [{**center_json(h.center, base), **_distance(h.distance_km)} for h in results.centers],
        "counselors": [{**counselor_json(h.counselor, base), **_distance(h.distance_km),
                        "nearest_office": place_json(h.office) if h.office is not None else None}
                       for h in results.counselors],
    }


def _one(model: Any, slug: str, *options: Any) -> Any:
    """The published record with this slug (for a meeting: visibility.public, as its page; one that no longer
    meets is answered with its status, as the page shows it)."""
    if len(slug) > 120:
        raise ApiError(404, "not_found", "no such record", "slug")
    published = visibility.public() if model is Meeting else model.published.is_(True)
    found = db.get_session().scalars(select(model).where(model.slug == slug, published).options(*options)).one_or_none()
    if found is None:
        raise ApiError(404, "not_found", f"no published record with slug {slug[:60]!r}", "slug")
    return found


@endpoint("/meetings/<slug>")
def meeting_view(slug: str) -> dict[str, Any]:
    """One published meeting, with its next occurrences and current exceptions."""
    meeting = _one(Meeting, slug, selectinload(Meeting.times), selectinload(Meeting.formats),
                   selectinload(Meeting.place), selectinload(Meeting.exceptions))
    return meeting_json(meeting, public_base(), utcnow(), upcoming=UPCOMING)


@endpoint("/centers/<slug>")
def center_view(slug: str) -> dict[str, Any]:
    center = _one(TreatmentCenter, slug, selectinload(TreatmentCenter.services), selectinload(TreatmentCenter.place))
    return center_json(center, public_base())


@endpoint("/counselors/<slug>")
def counselor_view(slug: str) -> dict[str, Any]:
    counselor = _one(Counselor, slug, selectinload(Counselor.terms), selectinload(Counselor.offices))
    return counselor_json(counselor, public_base())


@endpoint("/service-bodies")
def service_bodies_view() -> list[dict[str, Any]]:
    base = public_base()
    bodies = db.get_session().scalars(select(ServiceBody).order_by(ServiceBody.id))
    return [body_json(b, base) for b in bodies]


@endpoint("/service-bodies/<int:body_id>")
def service_body_view(body_id: int) -> dict[str, Any]:
    body = db.get_session().get(ServiceBody, body_id)
    if body is None:
        raise ApiError(404, "not_found", f"no service body {body_id}", "body_id")
    return {**body_json(body, public_base()), "children": [c.id for c in body.children]}


@endpoint("/formats")
def formats_view() -> list[dict[str, Any]]:
    formats = db.get_session().scalars(select(Format).order_by(Format.code))
    return [{"code": f.code, "name": f.name, "description": f.description, "kind": f.kind,
             "meeting_guide_types": list(meeting_guide.NA_TO_MG.get(f.code, ()))} for f in formats]


@endpoint("/openapi.json", max_age=RECORD_MAX_AGE)
def openapi_view() -> dict[str, Any]:
    return openapi.document(f"{public_base()}/api/v1")


@bp.route("/", methods=ALL_METHODS, defaults={"rest": ""})
@bp.route("/<path:rest>", methods=ALL_METHODS)
@csrf.exempt
def unknown(rest: str) -> Response:
    """Any other path under /api/v1: a JSON 404, not an HTML page."""
    return error_response(ApiError(404, "not_found", f"no API route /api/v1/{rest[:80]}; see /api/v1/openapi.json"))
