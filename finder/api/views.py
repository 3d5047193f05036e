"""The JSON API under /api/v1: search (the pages' search function and parameters), records, formats, service bodies.

Every error is {"error": {"code", "message", "field"}} with a 4xx status: `code` and `field` are the same in every
language, `message` is for people and speaks the language the request asked for (?locale=, else Accept-Language,
else English; Content-Language says which). GET answers carry CORS for any origin and an ETag answered with 304.
"""
from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, current_app, request
from flask_babel import gettext
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from finder.clock import utcnow
from finder import cache, db, geocode, search
from finder.api import openapi, records
from finder.core import meeting_guide
from finder.meetings import visibility
from finder.models import Counselor, Format, Meeting, ServiceBody, TreatmentCenter
from finder.providers import services as providers
from finder.web import csrf
from finder.web.responses import dumps
from finder.web.i18n import current_language
from finder.web.urls import public_base

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
    response.headers["Content-Language"] = current_language()  # the message's; code and field have none
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
    response.make_conditional(request)  # in place: it returns the response as werkzeug's type
    return response


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
                    raise ApiError(405, "method_not_allowed", gettext("this API is read-only: use GET"))
                return _json(view(**kwargs), max_age)
            except ApiError as exc:
                return error_response(exc)

        # Read-only and cookie-free: every other method gets a JSON 405, never a CSRF form page.
        bp.add_url_rule(rule, endpoint=view.__name__.removesuffix("_view"), view_func=csrf.exempt(wrapper),
                        methods=ALL_METHODS)
        return wrapper

    return decorate


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
    return records.search_json(query, results, public_base(), now)


def _one(model: Any, slug: str, *options: Any) -> Any:
    """The published record with this slug (for a meeting: visibility.public, as its page; one that no longer
    meets is answered with its status, as the page shows it)."""
    if len(slug) > 120:
        raise ApiError(404, "not_found", gettext("no such record"), "slug")
    session = db.get_session()
    found = (visibility.public_meeting(session, slug, *options) if model is Meeting
             else providers.published(session, model, slug, *options))
    if found is None:
        raise ApiError(404, "not_found", gettext("no published record with slug %(slug)s", slug=repr(slug[:60])),
                       "slug")
    return found


@endpoint("/meetings/<slug>")
def meeting_view(slug: str) -> dict[str, Any]:
    """One published meeting, with its next occurrences and current exceptions."""
    meeting = _one(Meeting, slug, selectinload(Meeting.times), selectinload(Meeting.formats),
                   selectinload(Meeting.place), selectinload(Meeting.exceptions))
    return records.meeting_json(meeting, public_base(), utcnow(), upcoming=UPCOMING)


@endpoint("/centers/<slug>")
def center_view(slug: str) -> dict[str, Any]:
    center = _one(TreatmentCenter, slug, selectinload(TreatmentCenter.services), selectinload(TreatmentCenter.place))
    return records.center_json(center, public_base())


@endpoint("/counselors/<slug>")
def counselor_view(slug: str) -> dict[str, Any]:
    counselor = _one(Counselor, slug, selectinload(Counselor.terms), selectinload(Counselor.offices))
    return records.counselor_json(counselor, public_base())


@endpoint("/service-bodies")
def service_bodies_view() -> list[dict[str, Any]]:
    base = public_base()
    bodies = db.get_session().scalars(select(ServiceBody).order_by(ServiceBody.id))
    return [records.body_json(b, base) for b in bodies]


@endpoint("/service-bodies/<int:body_id>")
def service_body_view(body_id: int) -> dict[str, Any]:
    body = db.get_session().get(ServiceBody, body_id)
    if body is None:
        raise ApiError(404, "not_found", gettext("no service body %(id)s", id=body_id), "body_id")
    return {**records.body_json(body, public_base()), "children": [c.id for c in body.children]}


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
    message = gettext("no API route %(path)s; see /api/v1/openapi.json", path=f"/api/v1/{rest[:80]}")
    return error_response(ApiError(404, "not_found", message))
