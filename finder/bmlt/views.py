"""The BMLT semantic endpoint at /bmlt: client_interface/json/ and /jsonp/ (crouton and other clients)."""
from __future__ import annotations

import json
import re
from typing import Any

from flask import Blueprint, Response, current_app, request
from sqlalchemy import select

from finder.clock import utcnow
from finder import db
from finder.admin import audit
from finder.bmlt import semantic
from finder.core import bmlt
from finder.models import ServiceBody
from finder.web import ratelimit
from finder.web.responses import dumps
from finder.web.urls import public_base
from finder import geocode

bp = Blueprint("bmlt", __name__, url_prefix="/bmlt")

# What crouton, jQuery ("jQuery3710123_1700000000") and other BMLT clients send: ASCII names, dotted at most
# three deep. `\w` would admit any Unicode letter; ASCII keeps the answer plain, predictable JavaScript.
CALLBACK = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]{0,63}(?:\.[A-Za-z_$][A-Za-z0-9_$]{0,63}){0,3}", re.ASCII)
MAX_AGE_SECONDS = 300


class _Refused(Exception):
    def __init__(self, status: int, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field


def root_server_uri() -> str:
    """The one root URI every record names (meetings and formats must agree)."""
    return f"{public_base()}/bmlt"


def _geocode(text: str) -> tuple[float, float] | None:
    try:
        found = geocode.get_geocoder(current_app).geocode(text)
    except ValueError:
        return None
    return (found.lat, found.lon) if found else None


class _Strings:
    """An answer of BMLT meeting records (strings by construction) and stringified formats: stringify would copy."""

    def __init__(self, payload: Any) -> None:
        self.payload = payload


def _answer(switcher: str) -> Any:
    session = db.get_session()
    args = request.args
    root = root_server_uri()
    if switcher == "GetSearchResults":
        formats = semantic.all_formats(session)
        params = semantic.parse_search(args, semantic.formats_by_id(formats), _geocode)
        pairs: list[tuple[int, int | None]] = []
        if params.recursive and (params.services or params.services_excluded):  # the tree is read only to walk it
            pairs = [(i, p) for i, p in session.execute(select(ServiceBody.id, ServiceBody.parent_id))]
        records, meetings = semantic.search_records(session, params, utcnow(),
                                                root_server_uri=root, body_pairs=pairs)
        if params.formats_only or params.used_formats:
            used = bmlt.stringify(semantic.get_formats(formats, used=semantic.used_format_codes(meetings), key_strings=[],
                                                    root_server_uri=root))
            return _Strings({"formats": used} if params.formats_only else {"meetings": records, "formats": used})
        return _Strings(records)
    if switcher == "GetFormats":
        formats = semantic.all_formats(session)
        used = None if semantic.flag(args, "show_all") else semantic.formats_in_use(session)
        return semantic.get_formats(formats, used=used, key_strings=semantic.values(args, "key_strings"),
                                root_server_uri=root, lang=(semantic.one(args, "lang_enum") or "en")[:3])
    if switcher == "GetServiceBodies":
        bodies = list(session.scalars(select(ServiceBody).order_by(ServiceBody.id)))
        return semantic.get_service_bodies(bodies, services=semantic.int_values(args, "services"),
                                       recursive=semantic.flag(args, "recursive"), parents=semantic.flag(args, "parents"))
    if switcher == "GetServerInfo":
        return semantic.server_info(center=None, formats_count=len(semantic.all_formats(session)))
    if switcher == "GetFieldKeys":
        return semantic.field_keys()
    if switcher == "GetFieldValues":
        key = semantic.one(args, "meeting_key") or ""
        return semantic.field_values(semantic.visible_meetings(session), key, root_server_uri=root)
    if switcher == "GetChanges":
        return semantic.get_changes(session, args, audit.changes)
    raise _Refused(400, "unknown_switcher", f"unknown switcher {switcher[:40]!r}; use GetSearchResults, GetFormats, "
                   "GetServiceBodies, GetServerInfo, GetFieldKeys, GetFieldValues or GetChanges", "switcher")


def _error(status: int, code: str, message: str, field: str | None) -> Response:
    body = json.dumps({"error": {"code": code, "message": message, "field": field}})
    response = Response(body, status=status, mimetype="application/json")
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def _respond(wrap_callback: bool) -> Response:
    callback = None
    if wrap_callback:
        callback = request.args.get("callback", "")
        if not CALLBACK.fullmatch(callback) or len(callback) > 128:
            return _error(400, "bad_callback", "callback must be a JavaScript name such as cb or ns.cb", "callback")
    try:
        answer = _answer(request.args.get("switcher", ""))
        body = dumps(answer.payload if isinstance(answer, _Strings) else bmlt.stringify(answer))
    except semantic.BmltError as exc:
        return _error(400, "bad_parameter", exc.message, exc.field)
    except _Refused as exc:
        return _error(exc.status, exc.code, exc.message, exc.field)
    if callback:
        response = Response(f"{callback}({body});", mimetype="application/javascript")
        response.headers["X-Content-Type-Options"] = "nosniff"
    else:
        response = Response(body, mimetype="application/json")
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.cache_control.public = True
    response.cache_control.max_age = MAX_AGE_SECONDS
    response.add_etag()
    response.make_conditional(request)  # in place: it returns the response as werkzeug's type
    return response


@bp.get("/client_interface/json/")
@bp.get("/client_interface/json")
@ratelimit.bulk
def json_interface() -> Response:
    return _respond(False)


@bp.get("/client_interface/jsonp/")
@bp.get("/client_interface/jsonp")
@ratelimit.bulk
def jsonp_interface() -> Response:
    return _respond(True)
