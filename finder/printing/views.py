"""Printed lists over HTTP: the options page (/print/) and the PDF (/print/meetings.pdf), both keeping the list's
search and its options in the URL."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, render_template, request
from flask_babel import force_locale, gettext, ngettext

from finder import cache, db, search
from finder.core import print_options
from finder.clock import utcnow
from finder.geocode import get_geocoder
from finder.printing import pdf, service
from finder.web import i18n
from finder.web.urls import public_base

bp = Blueprint("printing", __name__)


class _Problem(Exception):
    def __init__(self, status: int, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.field = status, message, field


def _prepare() -> tuple[list[tuple[str, str]], print_options.PrintOptions, service.Prepared | None]:
    pairs = service.list_args(request.args)
    try:
        options = print_options.parse_options(request.args)
    except print_options.OptionError as error:
        raise _Problem(400, gettext(error.template, **error.params), error.field) from None
    if not pairs:
        return pairs, options, None
    session = db.get_session()
    version = current_app.extensions["finder.data_version_memo"].get(lambda: cache.data_version(session))
    try:
        prepared = service.prepare(
            session, pairs, options, utcnow(), geocoder=get_geocoder(current_app), base_url=public_base(),
            version=version, limit=current_app.config.get("PRINT_MAX_MEETINGS") or service.MAX_MEETINGS,
        )
    except search.SearchError as error:
        raise _Problem(400, error.message, error.field) from None
    except service.UnknownBody as error:
        raise _Problem(404, gettext("There is no service body %(id)s here. Start from its page or a search.",
                                    id=error.body_id), "body") from None
    except service.ListTooLong as error:
        raise _Problem(400, error.message) from None
    return pairs, options, prepared


def _options_page(status: int = 200, problem: _Problem | None = None, pairs: Any = None,
                  prepared: service.Prepared | None = None) -> tuple[str, int]:
    typed = {name: request.args.get(name, "").strip()[:100] for name in print_options.OPTION_NAMES}
    return render_template(
        "printing/options.html", problem=problem, pairs=pairs if pairs is not None else service.list_args(request.args),
        typed=typed, prepared=prepared, papers=tuple(print_options.PAPERS), max_columns=print_options.MAX_COLUMNS,
        max_pages=print_options.MAX_PAGE_BUDGET, languages=print_options.LANGUAGES, language_names=i18n.LANGUAGES,
        current_language=i18n.current_language(),
    ), status


@bp.get("/print/")
def options_page() -> tuple[str, int]:
    """Choose how to print the list; the form sends the same parameters to the PDF."""
    try:
        pairs, _options, prepared = _prepare()
    except _Problem as problem:
        return _options_page(problem.status, problem)
    return _options_page(pairs=pairs, prepared=prepared)


@bp.get("/print/meetings.pdf")
def list_pdf() -> Any:
    """The PDF; a problem with the list or its options answers with the options page saying what to change."""
    try:
        pairs, _options, prepared = _prepare()
    except _Problem as problem:
        return _options_page(problem.status, problem)
    if prepared is None:
        return _options_page(400, _Problem(400, gettext("Choose a list to print: search for meetings, or open a "
                                                        "service body's page, and follow “Print this list”."), "q"))
    if prepared.etag in request.if_none_match:
        return _pdf_response(b"", prepared, status=304)
    store = cache.get_cache(current_app)
    try:
        # The list's own language, whatever the page's: the PDF is cached by its options, not by who asked.
        with force_locale(prepared.options.language):
            body = service.render(prepared, store if store.ttl > 0 else None, render_template,
                                  service.processes(current_app.config.get("PRINT_PROCESSES")))
    except pdf.CannotFit as error:
        message = ngettext("This list does not fit in %(num)s page: even in the smallest readable type it needs "
                           "%(needed)s. Allow %(needed)s pages, or narrow the list.",
                           "This list does not fit in %(num)s pages: even in the smallest readable type it needs "
                           "%(needed)s. Allow %(needed)s pages, or narrow the list.", error.budget, needed=error.needed)
        return _options_page(400, _Problem(400, message, "max_pages"), pairs, prepared)
    except service.Busy:
        response = Response(gettext("Many lists are being printed right now. Please try again in a minute."),
                            status=503, mimetype="text/plain")
        response.headers["Retry-After"] = "60"
        return response
    return _pdf_response(body, prepared)


def _pdf_response(body: bytes, prepared: service.Prepared, status: int = 200) -> Response:
    response = Response(body, status=status, mimetype="application/pdf")
    response.set_etag(prepared.etag)
    response.headers["Content-Disposition"] = 'inline; filename="meetings.pdf"'
    # A list around someone's location stays in their browser; others may be shared by caches in between.
    if prepared.private:
        response.cache_control.private = True
    response.cache_control.public = not prepared.private
    response.cache_control.max_age = int(current_app.config.get("CACHE_TTL") or 0)
    return response
