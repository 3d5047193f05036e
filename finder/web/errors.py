"""Error pages and JSON errors: clear words for people, a stable shape for API clients, never internals."""
from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from markupsafe import escape
from sqlalchemy.exc import DataError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from werkzeug.exceptions import HTTPException, InternalServerError

from finder.core.words import N_
from finder.web.i18n import current_language

logger = logging.getLogger("finder.web.errors")

RETRY_AFTER_SECONDS = 15

# The crisis numbers of templates/errors/_crisis.html, for the page that renders when templates themselves fail:
# the same catalog sentences, so the page speaks the visitor's language (Spanish says how to reach 988 in Spanish);
# this English copy is the last resort when even the catalog cannot be read.
CRISIS_FALLBACK_LINES = (
    N_("Need help right now?"),
    N_('Emergency or overdose: call <a href="tel:911">911</a>.'),
    N_('In crisis, or thinking about suicide: call or text <a href="tel:988">988</a>.'),
    N_('Help finding treatment: SAMHSA National Helpline, <a href="tel:+18006624357">1-800-662-4357</a> '
       '(free, 24/7, English and Spanish).'),
)
CRISIS_FALLBACK_HTML = (
    '<h2>Need help right now?</h2><ul>'
    '<li>Emergency or overdose: call <a href="tel:911">911</a>.</li>'
    '<li>In crisis, or thinking about suicide: call or text <a href="tel:988">988</a>.</li>'
    '<li>Help finding treatment: SAMHSA National Helpline, <a href="tel:+18006624357">1-800-662-4357</a> '
    '(free, 24/7, English and Spanish).</li></ul>'
)
JSON_PREFIXES = ("/api/", "/bmlt/")

# Words for people, in the visitor's language (pages and JSON alike; JSON's `status` is the same in every
# language); the status code's own phrase is the fallback.
MESSAGES = {
    400: (N_("That request didn't make sense"), N_("Something in the address or the form could not be read. Try the search again.")),
    401: (N_("Please sign in"), N_("This page is for signed-in organizers and moderators.")),
    403: (N_("Not allowed"), N_("Your account cannot open this page.")),
    404: (N_("Page not found"), N_("We couldn't find that page. The meeting may have moved or closed.")),
    405: (N_("Not allowed here"), N_("This address doesn't accept that kind of request.")),
    413: (N_("Too large"), N_("That upload is larger than we accept.")),
    429: (N_("Too many requests"), N_("Please wait a moment and try again.")),
    500: (N_("Something went wrong"), N_("An error on our side stopped this page. It has been logged; please try again.")),
    503: (N_("Temporarily unavailable"), N_("The meeting list can't be reached right now. Please try again in a minute.")),
}


def wants_json() -> bool:
    """API and BMLT paths answer in JSON, as does a client that prefers JSON over HTML."""
    path = request.path
    if path.startswith(JSON_PREFIXES) or path in ("/api", "/bmlt") or path.endswith(".json"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


def error_response(status: int, detail: str | None = None) -> Response:
    """Render `status` as JSON {"error": {"status", "title", "detail"}} or as an HTML page."""
    title, text = MESSAGES.get(status, (InternalServerError.name, MESSAGES[500][1]))
    # A detail the request's own code gave (a rate limit's words) is shown as written.
    title, detail = gettext(title), detail or gettext(text)
    if wants_json():
        response = jsonify(error={"status": status, "title": title, "detail": detail})
        response.headers["Content-Language"] = current_language()
    else:
        try:
            # A missing page gets the search box too: the person was probably looking for a meeting.
            template = "errors/404.html" if status == 404 else "errors/error.html"
            body = render_template(template, status=status, title=title, detail=detail)
        except Exception:  # the page must render even when the template layer is what broke
            logger.exception("error page template failed")
            body = fallback_page(title, detail)
        response = Response(body, mimetype="text/html")
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


def crisis_fallback_html() -> str:
    """The crisis numbers for the template-free page, in the visitor's language (English if the catalog fails)."""
    try:
        heading, *lines = (gettext(line) for line in CRISIS_FALLBACK_LINES)
    except Exception:  # the last page must render whatever broke
        logger.exception("crisis lines could not be translated")
        return CRISIS_FALLBACK_HTML
    return f"<h2>{heading}</h2><ul>" + "".join(f"<li>{line}</li>" for line in lines) + "</ul>"


def fallback_page(title: str, detail: str) -> str:
    """The error page without templates: title, detail and crisis numbers, marked with the visitor's language."""
    try:
        language = current_language()
    except Exception:  # the page must still render
        language = "en"
    return (f'<!doctype html><html lang="{escape(language)}"><meta charset="utf-8"><title>{escape(title)}</title>'
            f"<h1>{escape(title)}</h1><p>{escape(detail)}</p>" + crisis_fallback_html())


def handle_http_error(exc: HTTPException) -> ResponseReturnValue:
    """404, 400, 405, 413, 429 ...: our page or JSON, keeping the headers the exception carries (Allow)."""
    if exc.code is None:
        return exc
    if exc.response is not None:
        return exc.response  # a page the raiser built (a rate limit's own 429 page)
    detail = exc.description if exc.code in (400, 422, 429) and exc.description != type(exc).description else None
    response = error_response(exc.code, detail)
    for name, value in exc.get_headers():
        if name.lower() not in ("content-type", "content-length"):
            response.headers[name] = value
    return response


def handle_database_unavailable(exc: Exception) -> Response:
    """The database is down, restarting, overloaded or timed out: 503 with Retry-After, never a traceback.

    OperationalError covers refused connections, a connection dropped mid-query, statement_timeout and
    SQLite's "database is locked"; a pool TimeoutError means every connection is busy.
    """
    logger.warning("database unavailable: %s", type(getattr(exc, "orig", None) or exc).__name__)
    response = error_response(503)
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def handle_bad_value(exc: Exception) -> Response:
    """A value the database cannot hold (an id past 2**63, text where a number belongs) is the client's error."""
    logger.warning("request value refused by the database: %s on %s", type(exc).__name__, request.path)
    return error_response(400)


def handle_server_error(exc: InternalServerError) -> Response:
    """The 500 page: the traceback goes to the log (Flask logged it), never to the client."""
    return error_response(500)


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(OperationalError, handle_database_unavailable)
    app.register_error_handler(PoolTimeoutError, handle_database_unavailable)
    app.register_error_handler(InterfaceError, handle_database_unavailable)
    app.register_error_handler(DataError, handle_bad_value)
    app.register_error_handler(OverflowError, handle_bad_value)  # sqlite3 raises it unwrapped for huge ints
    app.register_error_handler(InternalServerError, handle_server_error)
