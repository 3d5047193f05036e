"""finder.web.i18n and the catalogs: every template's words go through gettext, the Spanish catalog is complete,
the language comes from the URL or the browser (never an error), and caches never mix languages."""
from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from jinja2 import Environment, nodes

from finder.web import i18n

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates"
TRANSLATIONS = ROOT / "finder" / "translations"

# Moderation and import pages stay English (issue 20, item 8): moderators work in English.
ENGLISH_ONLY_PREFIXES = ("admin/", "imports/")
# Attributes whose values people read or hear.
SPOKEN_ATTRIBUTES = ("alt", "title", "aria-label", "placeholder", "content", "label", "value")
WORD = re.compile(r"[^\W\d_]{2,}")


def literal_text(source: str, env: Environment) -> list[str]:
    """The words a template writes outside gettext: its text between tags, and spoken attribute values."""
    pieces = []
    for output in env.parse(source).find_all(nodes.Output):
        for child in output.nodes:
            pieces.append(child.data if isinstance(child, nodes.TemplateData) else "\x00")
    text = "".join(pieces)
    text = re.sub(r"<(script|style)\b.*?</\1>|<!--.*?-->", " ", text, flags=re.S | re.I)
    # Text marked with a language of its own (lang="es" on an English page, a meeting's notes) is not the
    # interface's: it is shown as written.
    text = re.sub(r"<(?!html\b)(\w+)\b[^>]*\blang=\"[a-z]{2,3}\"[^>]*>.*?</\1>", " ", text, flags=re.S)
    found = []
    for tag in re.findall(r"<[^>]*>", text):
        for name, value in re.findall(r"([\w:-]+)\s*=\s*\"([^\"]*)\"", tag):
            # A <link>'s title names a feed for software (TSML UI looks for "Meetings Feed"), not for people.
            if name.lower() in SPOKEN_ATTRIBUTES and not tag.lower().startswith(("<meta charset", "<link")):
                # A <meta name="viewport"> or an input's value taken from a variable says nothing in words.
                if name.lower() == "content" and "description" not in tag:
                    continue
                # A button's value is sent, not shown; an input's is shown only on submit and reset buttons.
                if name.lower() == "value" and not (tag.startswith("<input") and re.search(r"type=\"(submit|reset)\"", tag)):
                    continue
                found += [value] if WORD.search(html.unescape(value.replace("\x00", " "))) else []
    between = re.sub(r"<[^>]*>", "\x00", text)
    # A macro that writes attributes (aria-describedby="...") writes them outside any tag of its own.
    between = re.sub(r'[\w:-]+="[^"<>]*"?', " ", between)
    found += [line.strip() for line in html.unescape(between).split("\x00") if WORD.search(line)]
    return found


def _env() -> Environment:
    return Environment(extensions=["jinja2.ext.i18n"])


def _templates() -> list[str]:
    return sorted(
        str(path.relative_to(TEMPLATES)) for path in TEMPLATES.rglob("*.html")
        if not str(path.relative_to(TEMPLATES)).startswith(ENGLISH_ONLY_PREFIXES)
    )


def test_literal_text_finds_words_outside_gettext() -> None:
    found = literal_text('<p title="Hi there">{{ _("Fine") }} Loose words <a aria-label="{{ x }}">·</a></p>', _env())
    assert found == ["Hi there", "Loose words"]
    assert literal_text('<p>{% trans %}All of it{% endtrans %} · 911</p>', _env()) == []


@pytest.mark.parametrize("name", _templates())
def test_templates_have_no_literal_text(name: str) -> None:
    found = literal_text((TEMPLATES / name).read_text(), _env())
    assert found == [], (
        f"{name} shows words outside gettext: wrap them in {{{{ _('...') }}}} or {{% trans %}}, then add their Spanish "
        "to finder/translations/es/LC_MESSAGES/messages.po (README, Translations)")


def _extracted() -> dict[str, tuple[str, int]]:
    with open(ROOT / "babel.cfg") as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    found = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords={**_keywords()}
    ):
        msgid = message[0] if isinstance(message, tuple) else message
        found.setdefault(msgid, (filename, lineno))
    return found


def _keywords() -> dict[str, object]:
    from babel.messages.extract import DEFAULT_KEYWORDS

    return {**DEFAULT_KEYWORDS, "lazy_gettext": None, "lazy_ngettext": (1, 2), "N_": None}


@pytest.mark.parametrize("language", [code for code in i18n.LANGUAGES if code != i18n.DEFAULT])
def test_every_catalog_has_every_message_translated(language: str) -> None:
    with open(TRANSLATIONS / language / "LC_MESSAGES" / "messages.po", "rb") as handle:
        catalog = read_po(handle, locale=language)
    problems = []
    for msgid, (filename, lineno) in sorted(_extracted().items()):
        message = catalog.get(msgid)
        if message is None:
            problems.append(f"missing: {msgid!r} ({filename}:{lineno}); run pybabel extract and update")
        elif message.fuzzy:
            problems.append(f"fuzzy: {msgid!r}")
        elif not all(message.string) if isinstance(message.string, tuple) else not message.string:
            problems.append(f"untranslated: {msgid!r}")
    for message, errors in catalog.check():
        problems += [f"{message.id!r}: {error}" for error in errors]
    assert problems == []


@pytest.mark.parametrize("language", [code for code in i18n.LANGUAGES if code != i18n.DEFAULT])
def test_no_catalog_entry_is_the_english_copied(language: str) -> None:
    """A msgstr that repeats an English sentence is a translation nobody wrote (names and codes may repeat)."""
    with open(TRANSLATIONS / language / "LC_MESSAGES" / "messages.po", "rb") as handle:
        catalog = read_po(handle, locale=language)
    copied = [
        message.id for message in catalog
        if message.id and message.string == message.id
        and len(re.findall(r"\b[a-z]{3,}\b", re.sub(r"%\(\w+\)\w|<[^>]*>", " ", str(message.id)))) >= 2
    ]
    assert copied == []


@pytest.mark.parametrize("language", [code for code in i18n.LANGUAGES if code != i18n.DEFAULT])
def test_every_catalog_is_written_as_pybabel_update_writes_it(language: str) -> None:
    """The README's commands (pybabel update -w 120 --ignore-obsolete) leave a catalog as it is: one written
    another way (the default 76 columns rewraps every entry, obsolete #~ entries) would turn the next update, and
    every merge, into a conflict over the whole file."""
    import io

    from babel.messages.pofile import write_po

    path = TRANSLATIONS / language / "LC_MESSAGES" / "messages.po"
    with open(path, "rb") as handle:
        catalog = read_po(handle, locale=language)
    rewritten = io.BytesIO()
    write_po(rewritten, catalog, width=120, ignore_obsolete=True, include_previous=False)
    assert rewritten.getvalue() == path.read_bytes(), (
        f"{path.relative_to(ROOT)} is not as `pybabel update -w 120` writes it: re-run the README's extract and "
        "update commands (Translations)")


def test_language_of_reads_tags_and_refuses_the_rest() -> None:
    assert i18n.language_of("es") == "es"
    assert i18n.language_of("ES-mx") == "es"
    assert i18n.language_of("es_419") == "es"
    assert i18n.language_of("en") == "en"
    for bad in ("", None, "zz", "e", "<script>", "es" * 40):
        assert i18n.language_of(bad) is None


def test_with_language_sets_replaces_and_removes_the_parameter() -> None:
    assert i18n.with_language("/learn/detox#med", "es") == "/learn/detox?locale=es#med"
    assert i18n.with_language("/search?q=Austin&locale=en", "es") == "/search?q=Austin&locale=es"
    assert i18n.with_language("/search?q=Austin&locale=en", None) == "/search?q=Austin"
    assert i18n.with_language("https://example.org/x", "es") == "https://example.org/x"


def _html_lang(body: str) -> str:
    found = re.search(r'<html lang="([^"]+)"', body)
    assert found, "no <html lang>"
    return found.group(1)


def test_a_browser_asking_for_spanish_gets_spanish_with_vary(sqlite_app) -> None:
    response = sqlite_app.test_client().get("/learn/what-is-na", headers={"Accept-Language": "es-MX,es;q=0.9,en;q=0.5"})
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert _html_lang(body) == "es"
    assert "Narcóticos Anónimos (NA) es una confraternidad" in body
    assert "Accept-Language" in response.headers.get("Vary", "")
    # The way back: a link to English that keeps this page, marked with its language.
    assert '<a href="/learn/what-is-na?locale=en" hreflang="en" lang="en">English</a>' in body


def test_the_url_names_the_language_and_links_keep_it(sqlite_app) -> None:
    response = sqlite_app.test_client().get("/learn/?locale=es", headers={"Accept-Language": "en"})
    body = response.get_data(as_text=True)
    assert _html_lang(body) == "es"
    assert "Accept-Language" not in response.headers.get("Vary", "")  # the URL decided, not the browser
    assert 'href="/learn/crisis?locale=es"' in body  # a page chosen in the URL keeps its language on the next page
    assert '<link rel="alternate" hreflang="en" href="http://localhost/learn/?locale=en">' in body
    assert '<link rel="alternate" hreflang="x-default" href="http://localhost/learn/">' in body


@pytest.mark.parametrize("query, header", [
    ("?locale=zz", None), ("?locale=%3Cscript%3E", None), ("?locale=" + "e" * 100, None), ("", "zz-ZZ, ;;q=x"),
    ("", "*"), ("?locale=", "en-US"),
])
def test_unknown_or_malformed_languages_fall_back_to_english(sqlite_app, query: str, header: str | None) -> None:
    headers = {"Accept-Language": header} if header is not None else {}
    response = sqlite_app.test_client().get("/learn/crisis" + query, headers=headers)
    assert response.status_code == 200
    assert _html_lang(response.get_data(as_text=True)) == "en"


def test_the_switch_keeps_the_search_and_its_arguments(sqlite_app) -> None:
    with sqlite_app.test_request_context("/search?q=Austin&day=mon&day=tue&locale=en"):
        sqlite_app.preprocess_request()
        links = i18n.language_links()
    assert links == [{"code": "es", "name": "Español", "url": "/search?q=Austin&day=mon&day=tue&locale=es"}]


def test_error_pages_speak_the_visitors_language(sqlite_app) -> None:
    response = sqlite_app.test_client().get("/learn/no-such-page", headers={"Accept-Language": "es"})
    body = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "No encontramos esa página" in body
    assert "marque 2" in body  # 988 in Spanish, in the page's own crisis numbers


def test_the_crisis_bar_says_how_to_reach_988_and_samhsa_in_spanish(sqlite_app) -> None:
    body = sqlite_app.test_client().get("/learn/?locale=es").get_data(as_text=True)
    bar = body[body.index('<aside class="crisis"'):body.index("</aside>")]
    assert "marque 2" in bar and "AYUDA" in bar and "1-800-662-4357" in bar and "en español" in bar


def test_learn_pages_keep_their_sources_and_review_date_in_spanish(sqlite_app) -> None:
    english = sqlite_app.test_client().get("/learn/detox?locale=en").get_data(as_text=True)
    spanish = sqlite_app.test_client().get("/learn/detox?locale=es").get_data(as_text=True)
    assert re.findall(r'<a href="(https://[^"]+)" rel="noreferrer', english) == re.findall(
        r'<a href="(https://[^"]+)" rel="noreferrer', spanish)
    assert re.search(r'<time datetime="(\d{4}-\d\d-\d\d)">', english).group(1) == re.search(
        r'<time datetime="(\d{4}-\d\d-\d\d)">', spanish).group(1)
    assert "de diciembre de" in spanish or "de " in re.search(r"<time[^>]*>([^<]+)</time>", spanish).group(1)


def test_mail_and_other_work_can_speak_a_chosen_language(sqlite_app) -> None:
    from flask_babel import gettext

    with sqlite_app.test_request_context("/"):
        with i18n.in_language("es"):
            assert gettext("Page not found") == "Página no encontrada"
        with i18n.in_language("xx"):
            assert gettext("Page not found") == "Page not found"
        assert gettext("Page not found") == "Page not found"


def test_get_forms_carry_a_url_chosen_language(sqlite_app) -> None:
    client = sqlite_app.test_client()
    assert '<input type="hidden" name="locale" value="es">' in client.get("/submit/?locale=es").get_data(as_text=True)
    assert 'name="locale"' not in client.get("/submit/", headers={"Accept-Language": "es"}).get_data(as_text=True)


def test_spanish_visitors_get_a_one_tap_filter_for_spanish_meetings(sqlite_app) -> None:
    template = sqlite_app.jinja_env.get_template("search/_meeting_language.html")
    with sqlite_app.test_request_context("/search?q=Austin&day=mon&day=tue&page=2&locale=es"):
        sqlite_app.preprocess_request()
        html = template.render(language=i18n.current_language(), kind="meetings")
    assert "Solo reuniones en español" in html
    assert 'href="/search?q=Austin&amp;day=mon&amp;day=tue&amp;locale=es&amp;lang=es"' in html  # page dropped
    with sqlite_app.test_request_context("/search?q=Austin&lang=es&locale=es"):
        sqlite_app.preprocess_request()
        html = template.render(language=i18n.current_language(), kind="meetings")
    assert 'href="/search?q=Austin&amp;locale=es"' in html and "Mostrar reuniones en todos los idiomas" in html
    with sqlite_app.test_request_context("/search?q=Austin", headers={"Accept-Language": "en"}):
        sqlite_app.preprocess_request()
        assert template.render(language=i18n.current_language(), kind="meetings").strip() == ""
