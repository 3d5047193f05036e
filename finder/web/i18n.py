"""The interface language: chosen from the URL or the browser, Flask-Babel set up, the switch, and caches told.

A visitor's language comes from `?locale=` when the URL names one we have (so a shared link keeps its
language), else from Accept-Language, else English. Anything unknown or malformed is ignored, never an error.
`lang` is not used for this: it is the search's meeting-language filter, which stays apart from the interface
language (a Spanish reader may want English meetings, and the other way round).
"""
from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from flask import Flask, Response, g, has_request_context, request
from flask_babel import Babel, force_locale, get_locale
from markupsafe import Markup

from finder.web.urls import public_base

PARAM = "locale"
DEFAULT = "en"
# Every interface language, by its catalog code, named as its own readers name it (the switch shows these).
LANGUAGES = {"en": "English", "es": "Español"}
# The Babel locale that formats dates, times and numbers: US conventions (12-hour clock, decimal point) in both
# languages, since the finder serves US meetings; Spanish reads "lunes, 7:00 p.m.", as in the US and Mexico.
FORMAT_LOCALES = {"en": "en_US", "es": "es_US"}
_NEGOTIATED = "finder_locale_negotiated"
_FROM_URL = "finder_locale_from_url"


def language_of(value: str | None) -> str | None:
    """The interface language a tag names ('es', 'ES', 'es-MX', 'es_419' -> 'es'), or None when we have none."""
    if not value or len(value) > 35:
        return None
    primary = value.strip().replace("_", "-").split("-", 1)[0].lower()
    return primary if primary in LANGUAGES else None


def select_locale() -> str:
    """The request's language: the URL's, else the browser's best match, else English (Flask-Babel asks once)."""
    if not has_request_context():
        return DEFAULT
    asked = language_of(request.args.get(PARAM))
    if asked:
        setattr(g, _FROM_URL, asked)
        return asked
    setattr(g, _NEGOTIATED, True)
    return request.accept_languages.best_match(tuple(LANGUAGES), default=DEFAULT) or DEFAULT


def current_language() -> str:
    """The catalog code of the language this request (or force_locale block) speaks."""
    locale = get_locale()
    return locale.language if locale is not None and locale.language in LANGUAGES else DEFAULT


def format_locale() -> str:
    """The Babel locale to format dates, times and numbers with (see FORMAT_LOCALES)."""
    return FORMAT_LOCALES[current_language()]


def chosen_in_url() -> str | None:
    """The language the URL asked for, when it asked (links then carry it on), else None."""
    if not has_request_context():
        return None
    get_locale()
    return g.get(_FROM_URL)


def with_language(url: str, language: str | None) -> str:
    """A site URL (path, query and maybe #fragment) with ?locale= set to `language` (None removes it)."""
    parts = urlsplit(url)
    if parts.scheme or parts.netloc:
        return url
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != PARAM]
    if language:
        query.append((PARAM, language))
    return urlunsplit(("", "", parts.path, urlencode(query), parts.fragment))


def keep_language(url: str) -> str:
    """A site link that keeps the language the URL chose (a page reached through the switch stays in it);
    unchanged when the language came from the browser, which the next page will negotiate the same way."""
    language = chosen_in_url()
    return with_language(url, language) if language else url


def this_page_in(language: str) -> str:
    """This page's address (path and its query) in another language: what the switch and hreflang links use."""
    query = [(k, v) for k, v in request.args.items(multi=True) if k != PARAM] + [(PARAM, language)]
    return request.path + "?" + urlencode(query)


def language_links() -> list[dict[str, str]]:
    """The switch: every other language, with this page's address in it."""
    here = current_language()
    return [
        {"code": code, "name": name, "url": this_page_in(code)}
        for code, name in LANGUAGES.items() if code != here
    ]


def alternates() -> list[tuple[str, str]]:
    """(hreflang, absolute URL) of this page in every language, and x-default (the page without a choice)."""
    base = public_base()  # this_page_in and request.path are relative to the site's root
    found = [(code, base + this_page_in(code)) for code in LANGUAGES]
    plain = [(k, v) for k, v in request.args.items(multi=True) if k != PARAM]
    found.append(("x-default", base + request.path + ("?" + urlencode(plain) if plain else "")))
    return found


def _add_language_to_urls(endpoint: str | None, values: dict[str, Any]) -> None:
    """url_for keeps a language the URL chose (links, forms and redirects stay in it)."""
    if PARAM in values or not endpoint or endpoint == "static":
        return
    language = chosen_in_url()
    if language:
        values[PARAM] = language


def _vary(response: Response) -> Response:
    """A page whose language came from Accept-Language varies by it: no shared cache may serve it to others."""
    if g.get(_NEGOTIATED):
        response.vary.add("Accept-Language")
    return response


def language_field() -> Markup:
    """A hidden field that carries a URL-chosen language through a GET form (whose query replaces the action's)."""
    language = chosen_in_url()
    return Markup('<input type="hidden" name="%s" value="%s">') % (PARAM, language) if language else Markup("")


def template_values() -> dict[str, Any]:
    """What every template knows of the language: registered by finder.web.template_globals."""
    return {"language": current_language(), "language_links": language_links, "language_alternates": alternates,
            "language_field": language_field}


def in_language(language: str | None) -> Any:
    """A context in which gettext speaks `language` (mail to an organizer in the language they wrote in)."""
    return force_locale(language_of(language) or DEFAULT)


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT)
    Babel(app, locale_selector=select_locale)
    # {% trans %} blocks are wrapped like prose; their whitespace is not part of the message.
    app.jinja_env.policies["ext.i18n.trimmed"] = True
    app.url_defaults(_add_language_to_urls)
    app.after_request(_vary)

