"""The OpenAPI 3 description of /api/v1, served at /api/v1/openapi.json (a test holds it to the implementation)."""
from __future__ import annotations

from typing import Any

from finder.core import vocab
from finder.search import params

VERSION = "1.0.0"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _array(item: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": item}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {**schema, "nullable": True}


STRING = {"type": "string"}
NUMBER = {"type": "number"}
INTEGER = {"type": "integer"}
BOOLEAN = {"type": "boolean"}
FLAG = {"type": "string", "enum": ["0", "1"]}
DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
FORMAT_CODES = sorted(vocab.FORMAT_BY_CODE)


def _param(name: str, schema: dict[str, Any], description: str, *, repeatable: bool = False) -> dict[str, Any]:
    if repeatable:
        return {"name": name, "in": "query", "required": False, "description": description,
                "schema": _array(schema), "style": "form", "explode": True}
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}


# The search parameters, from the one table the parser, the page and the feeds share (finder.search.params).
SEARCH_PARAMETERS: tuple[dict[str, Any], ...] = tuple(
    _param(p.name, dict(p.schema), p.description, repeatable=p.repeatable) for p in params.PARAMETERS if p.api
)

SLUG = {"name": "slug", "in": "path", "required": True, "schema": {"type": "string", "maxLength": 120}}
BODY_ID = {"name": "body_id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 0}}


def _ok(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "200": {"description": description, "headers": {"ETag": {"schema": STRING}},
                "content": {"application/json": {"schema": schema}}},
        "304": {"description": "Not modified (If-None-Match matched the ETag)."},
    }


ERRORS = {
    "400": {"description": "A parameter cannot be used.", "content": {"application/json": {"schema": _ref("Error")}}},
    "404": {"description": "No such record.", "content": {"application/json": {"schema": _ref("Error")}}},
}


def _linked(responses: dict[str, Any], links: dict[str, Any]) -> dict[str, Any]:
    """Responses whose 200 says which operations its values feed (clients and fuzzers follow these)."""
    ok = {**responses["200"], "links": links}
    return {**responses, "200": ok}


def _link(operation_id: str, parameter: str, expression: str) -> dict[str, Any]:
    return {"operationId": operation_id, "parameters": {parameter: expression}}


def _get(summary: str, responses: dict[str, Any], parameters: list[dict[str, Any]] | None = None,
         operation_id: str = "") -> dict[str, Any]:
    operation: dict[str, Any] = {"summary": summary, "operationId": operation_id, "responses": responses}
    if parameters:
        operation["parameters"] = parameters
    return {"get": operation}


PLACE = {
    "type": "object",
    "required": ["name", "street", "city", "region", "postal_code", "country", "latitude", "longitude", "precision",
                 "timezone", "notes"],
    "properties": {
        "name": STRING, "street": STRING, "city": STRING, "region": STRING, "postal_code": STRING,
        "country": {"type": "string", "minLength": 2, "maxLength": 2},
        "latitude": {"type": "number", "minimum": -90, "maximum": 90},
        "longitude": {"type": "number", "minimum": -180, "maximum": 180},
        "precision": {"type": "string", "enum": ["rooftop", "postal_code", "city", "region"]},
        "timezone": STRING, "notes": STRING,
    },
}
MEETING = {
    "type": "object",
    "required": ["slug", "name", "url", "attendance", "status", "language", "timezone", "times", "formats", "place",
                 "conference_url", "conference_notes", "phone", "phone_notes", "notes", "translations",
                 "service_body_id",
                 "group_id", "updated_at", "confirmed_at", "reported_not_meeting"],
    "properties": {
        "slug": STRING, "name": STRING, "url": STRING,
        "attendance": {"type": "string", "enum": ["in_person", "online", "hybrid"]},
        "status": {"type": "string", "enum": ["active", "temporarily_closed", "inactive"]},
        "language": STRING, "timezone": STRING,
        "times": _array({
            "type": "object", "required": ["weekday", "day", "start", "duration_minutes", "end"],
            "properties": {"weekday": {"type": "integer", "minimum": 0, "maximum": 6,
                                       "description": "Monday=0 .. Sunday=6"},
                           "day": {"type": "string", "enum": DAYS}, "start": STRING,
                           "duration_minutes": INTEGER, "end": STRING},
        }),
        "formats": _array({"type": "object", "required": ["code", "name"],
                           "properties": {"code": STRING, "name": STRING}}),
        "place": _ref("Place"),
        "conference_url": STRING, "conference_notes": STRING, "phone": STRING, "phone_notes": STRING,
        "notes": STRING,
        "translations": {
            "type": "object",
            "description": "The meeting's free text in languages other than its own (`language`), as its organizers "
                           "gave it: keys are language codes (BCP 47 primary subtags such as es), values the "
                           "translated fields. `location_notes` translates `place.notes`; online and phone notes "
                           "appear only for an online or hybrid meeting. Show a reader the text in their language "
                           "when it is here, else the fields as written, and mark it with its language.",
            "additionalProperties": {
                "type": "object",
                "properties": {"notes": STRING, "location_notes": STRING, "conference_notes": STRING,
                               "phone_notes": STRING},
                "additionalProperties": False,
            },
        },
        "service_body_id": _nullable(INTEGER), "group_id": _nullable(INTEGER),
        "updated_at": _nullable({"type": "string", "format": "date-time"}),
        "confirmed_at": _nullable({"type": "string", "format": "date-time",
                                   "description": "when the details were last confirmed as right (by the meeting's "
                                                  "contact, a moderator, an approved change or a sync from its source)"}),
        "reported_not_meeting": {"type": "boolean",
                                 "description": "several visitors recently reported that nobody was there; check "
                                                "before you go (cleared when a moderator resolves the reports)"},
        "upcoming": _array({"type": "object", "required": ["start", "end", "in_progress"],
                            "properties": {"start": {"type": "string", "format": "date-time"},
                                           "end": {"type": "string", "format": "date-time"},
                                           "in_progress": BOOLEAN}}),
        "exceptions": _array({"type": "object", "properties": {
            "kind": {"type": "string", "enum": ["cancelled", "closed"]}, "start_date": STRING, "end_date": STRING,
            "reason": STRING}}),
    },
}
DISTANCE = {"distance_km": _nullable(NUMBER), "distance_miles": _nullable(NUMBER)}
CENTER = {
    "type": "object",
    "required": ["slug", "name", "url", "phone", "services", "place"],
    "properties": {
        "slug": STRING, "name": STRING, "name2": STRING, "url": STRING, "phone": STRING, "intake_phone": STRING,
        "website": STRING, "facility_type": STRING,
        "services": _array({"type": "object", "required": ["code", "name", "category"],
                            "properties": {"code": STRING, "name": STRING, "category": STRING}}),
        "place": _ref("Place"), "updated_at": _nullable({"type": "string", "format": "date-time"}),
    },
}
COUNSELOR = {
    "type": "object",
    "required": ["slug", "name", "url", "credentials", "accepting", "terms", "offices"],
    "properties": {
        "slug": STRING, "name": STRING, "url": STRING, "credentials": STRING, "license_number": STRING,
        "license_state": STRING,
        "phone": {"type": "string", "description": "blank unless the counselor made their contact public"},
        "email": STRING, "website": STRING, "telehealth": BOOLEAN, "in_person": BOOLEAN,
        "accepting": {"type": "string", "enum": ["yes", "no", "waitlist"]}, "fees": STRING,
        "sliding_scale": BOOLEAN, "bio": STRING,
        "terms": _array({"type": "object", "required": ["kind", "code", "name"],
                         "properties": {"kind": STRING, "code": STRING, "name": STRING}}),
        "offices": _array(_ref("Place")), "updated_at": _nullable({"type": "string", "format": "date-time"}),
    },
}
SERVICE_BODY = {
    "type": "object",
    "required": ["id", "parent_id", "kind", "name", "description", "url", "helpline", "world_id",
                 "meeting_guide_feed"],
    "properties": {
        "id": INTEGER, "parent_id": _nullable(INTEGER),
        "kind": {"type": "string", "enum": ["group", "area", "region", "zone"]}, "name": STRING,
        "description": STRING, "url": STRING, "helpline": STRING, "world_id": STRING, "meeting_guide_feed": STRING,
        "children": _array(INTEGER),
    },
}
FORMAT = {
    "type": "object",
    "required": ["code", "name", "description", "kind", "meeting_guide_types"],
    "properties": {"code": STRING, "name": STRING, "description": STRING, "kind": STRING,
                   "meeting_guide_types": _array(STRING)},
}
SEARCH_RESULT = {
    "type": "object",
    "required": ["query", "radius_km", "page", "per_page", "pages", "total", "meetings", "centers", "counselors"],
    "properties": {
        "query": {"type": "object", "properties": {
            "lat": _nullable(NUMBER), "lon": _nullable(NUMBER), "radius_km": _nullable(NUMBER),
            "nearest": _nullable(INTEGER), "kinds": _array(STRING), "sort": STRING}},
        "radius_km": _nullable(NUMBER), "page": INTEGER, "per_page": INTEGER, "pages": INTEGER,
        "total": {"type": "object", "required": ["meetings", "centers", "counselors"],
                  "properties": {"meetings": INTEGER, "centers": INTEGER, "counselors": INTEGER}},
        "meetings": _array({"allOf": [_ref("Meeting"), {"type": "object", "properties": {
            **DISTANCE, "next_start": _nullable({"type": "string", "format": "date-time"}),
            "in_progress": BOOLEAN, "starts_in_minutes": _nullable(INTEGER), "is_online_only": BOOLEAN}}]}),
        "centers": _array({"allOf": [_ref("Center"), {"type": "object", "properties": DISTANCE}]}),
        "counselors": _array({"allOf": [_ref("Counselor"), {"type": "object", "properties": {
            **DISTANCE, "nearest_office": {"allOf": [_ref("Place")], "nullable": True}}}]}),
    },
}
ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": {
        "type": "object", "required": ["code", "message", "field"],
        "properties": {
            "code": {**STRING, "description": "What went wrong, for software: the same in every language.",
                     "enum": ["invalid_parameter", "not_found", "method_not_allowed"]},
            "message": {**STRING, "description": "What went wrong, for people, in the language asked for "
                                                 "(`?locale=es`, else Accept-Language, else English); the "
                                                 "Content-Language header names it."},
            "field": {**_nullable(STRING), "description": "The parameter at fault, when one is."},
            "suggestions": {**_array(STRING), "description": "Places or codes to try instead."},
        },
    }},
}


def document(server_url: str) -> dict[str, Any]:
    """The OpenAPI 3.0 document; server_url is the absolute /api/v1 base."""
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "NA meeting finder API", "version": VERSION,
            "description": "Narcotics Anonymous meetings, treatment centers and counselors near a place. Read-only, "
                           "CORS for any origin, ETag and 304. Weekdays are Monday=0 in `times`. Errors are "
                           "{\"error\": {\"code\", \"message\", \"field\"}}: `code` and `field` are the same in every language, "
                           "`message` follows `?locale=es` or Accept-Language. The same data is also served as a "
                           "Meeting Guide feed (/feeds/meeting-guide.json) and a BMLT semantic API (/bmlt).",
        },
        "servers": [{"url": server_url}],
        "paths": {
            "/search": _get("Search meetings, treatment centers and counselors", _linked({
                **_ok(_ref("SearchResult"), "Results, nearest (or soonest) first, paged per kind."), **ERRORS}, {
                    "meeting": _link("getMeeting", "slug", "$response.body#/meetings/0/slug"),
                    "center": _link("getCenter", "slug", "$response.body#/centers/0/slug"),
                    "counselor": _link("getCounselor", "slug", "$response.body#/counselors/0/slug"),
                }), list(SEARCH_PARAMETERS), "search"),
            "/meetings/{slug}": _get("One published meeting", {
                **_ok(_ref("Meeting"), "The meeting with its next occurrences."), **ERRORS}, [SLUG], "getMeeting"),
            "/centers/{slug}": _get("One treatment center", {
                **_ok(_ref("Center"), "The center."), **ERRORS}, [SLUG], "getCenter"),
            "/counselors/{slug}": _get("One counselor", {
                **_ok(_ref("Counselor"), "The counselor."), **ERRORS}, [SLUG], "getCounselor"),
            "/service-bodies": _get("Every service body (groups, areas, regions, zones)", _linked({
                **_ok(_array(_ref("ServiceBody")), "The service bodies.")}, {
                    "serviceBody": _link("getServiceBody", "body_id", "$response.body#/0/id"),
                }), None, "listServiceBodies"),
            "/service-bodies/{body_id}": _get("One service body and its children", {
                **_ok(_ref("ServiceBody"), "The service body."), **ERRORS}, [BODY_ID], "getServiceBody"),
            "/formats": _get("The NA meeting formats and their Meeting Guide types", {
                **_ok(_array(_ref("Format")), "Every format.")}, None, "listFormats"),
            "/openapi.json": _get("This document", {
                **_ok({"type": "object"}, "The OpenAPI document.")}, None, "getOpenApi"),
        },
        "components": {"schemas": {
            "Place": PLACE, "Meeting": MEETING, "Center": CENTER, "Counselor": COUNSELOR,
            "ServiceBody": SERVICE_BODY, "Format": FORMAT, "SearchResult": SEARCH_RESULT, "Error": ERROR,
        }},
    }
