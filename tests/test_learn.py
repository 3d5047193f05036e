"""The /learn/ pages as a browser gets them: status, structure, links that land, and the facts that must be there."""
from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest

from finder import content


@dataclass
class Parsed:
    ids: set[str] = field(default_factory=set)
    headings: list[int] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    scripts: int = 0
    inline_styles: int = 0
    spanish: list[str] = field(default_factory=list)
    text: str = ""


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parsed = Parsed()
        self._texts: list[str] = []
        self._spanish_depth = 0
        self._open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id"):
            assert a["id"] not in self.parsed.ids, f"duplicate id {a['id']}"
            self.parsed.ids.add(a["id"])
        if len(tag) == 2 and tag[0] == "h" and tag[1].isdigit():
            self.parsed.headings.append(int(tag[1]))
        if tag == "a" and a.get("href"):
            self.parsed.links.append(a["href"])
        for name in ("src", "srcset", "data"):
            if a.get(name):
                self.parsed.sources.append(a[name])
        if tag == "link" and a.get("href"):
            self.parsed.sources.append(a["href"])
        if tag == "script" and not a.get("src"):
            self.parsed.scripts += 1  # inline scripts only: the site's own script file is allowed
        if tag == "style" or "style" in a:
            self.parsed.inline_styles += 1
        if tag in {"br", "meta", "link", "img", "input", "hr"}:
            return
        self._open.append(tag)
        if self._spanish_depth or a.get("lang", "").startswith("es"):
            self._spanish_depth += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in {"br", "meta", "link", "img", "input", "hr"}:
            return
        if self._open and self._open[-1] == tag:
            self._open.pop()
            if self._spanish_depth:
                self._spanish_depth -= 1

    def handle_data(self, data: str) -> None:
        self._texts.append(data)
        if self._spanish_depth and data.strip():
            self.parsed.spanish.append(data.strip())

    def close(self) -> None:
        super().close()
        self.parsed.text = " ".join(" ".join(self._texts).split())


def parse(html: str) -> Parsed:
    collector = _Collector()
    collector.feed(html)
    collector.close()
    return collector.parsed


@pytest.fixture
def web(sqlite_app):
    """The pages hold no data, so one backend is enough; see test_links_from_real_records for both."""
    return sqlite_app.test_client()


def get_page(web, path: str) -> Parsed:
    response = web.get(path)
    assert response.status_code == 200, path
    assert response.mimetype == "text/html"
    return parse(response.get_data(as_text=True))


def assert_lands(web, url: str, cache: dict[str, Parsed]) -> None:
    """An internal link answers 200 and, when it has a #fragment, the page has that id."""
    parts = urlsplit(url)
    if parts.path not in cache:
        cache[parts.path] = get_page(web, parts.path)
    if parts.fragment:
        assert parts.fragment in cache[parts.path].ids, url


PAGE_PATHS = ["/learn/"] + [page.url for page in content.PAGES]


@pytest.mark.parametrize("path", PAGE_PATHS)
def test_page_structure(web, path):
    parsed = get_page(web, path)
    assert parsed.headings.count(1) == 1 and parsed.headings[0] == 1, "one h1, first"
    for before, after in zip(parsed.headings, parsed.headings[1:]):
        assert after <= before + 1, f"heading jumps from h{before} to h{after}"
    assert parsed.scripts == 0 and parsed.inline_styles == 0
    for url in parsed.links + parsed.sources:
        scheme = urlsplit(url).scheme
        assert scheme in {"", "tel", "sms"} and not url.startswith("//"), f"{url} leaves the site"


@pytest.mark.parametrize("path", PAGE_PATHS)
def test_every_link_on_the_page_lands(web, path):
    cache: dict[str, Parsed] = {}
    parsed = get_page(web, path)
    cache[urlsplit(path).path] = parsed
    for url in parsed.links:
        if urlsplit(url).scheme:
            continue
        if url.startswith("#"):
            assert url[1:] in parsed.ids, url
            continue
        assert_lands(web, url, cache)


def test_index_lists_every_page_with_its_summary(web):
    parsed = get_page(web, "/learn/")
    for page in content.PAGES:
        assert page.url in parsed.links
        assert " ".join(page.summary.split()) in parsed.text


def test_learn_without_slash_redirects_to_the_index(web):
    response = web.get("/learn")
    assert response.status_code in (301, 308)
    assert urlsplit(response.headers["Location"]).path == "/learn/"


@pytest.mark.parametrize("slug", ["nope", "CRISIS", "crisis.html", "%3Cscript%3Ealert(1)%3C%2Fscript%3E", "_page"])
def test_unknown_slugs_are_404_and_never_echoed_raw(web, slug):
    response = web.get(f"/learn/{slug}")
    assert response.status_code == 404
    assert "<script>alert" not in response.get_data(as_text=True)


def test_every_content_link_lands(web):
    everything = content.links_for_meeting(
        SimpleNamespace(
            formats=[SimpleNamespace(code=spec.code) for group in content.FORMAT_GROUPS
                     for spec in group.formats],
            attendance="hybrid",
        )
    )
    everything += content.links_for_meeting(SimpleNamespace(formats=[], attendance="in_person"))
    cache: dict[str, Parsed] = {}
    for url in urls_of(everything) + urls_of(content.ALWAYS_LINKS) + [
        content.page_url("detox", anchor) for _, anchor, _ in content.MEDICATION_ANCHORS
    ] + [content.page_url("counseling", anchor) for anchor, _ in content.APPROACH_ANCHORS.values()] + [
        content.page_url("open-closed", "open"), content.page_url("open-closed", "closed"),
    ]:
        assert_lands(web, url, cache)


def test_every_format_has_its_anchor_and_meaning_on_the_formats_page(web):
    parsed = get_page(web, "/learn/formats")
    for group in content.FORMAT_GROUPS:
        for spec in group.formats:
            assert content.format_anchor(spec.code) in parsed.ids
            assert " ".join(spec.description.split()) in parsed.text


def urls_of(links) -> list[str]:
    return [link.url for link in links]


def test_links_from_real_records(client, make_meeting, make_center, make_counselor):
    """The linking functions read ORM objects as well as stand-ins, and their links land (both backends)."""
    meeting = make_meeting(formats=["C", "BEG", "SPK", "ES"], attendance="online")
    center = make_center(services=["DT", "RES", "METH", "A2", "SS"])
    counselor = make_counselor(terms=[("approach", "mi"), ("approach", "family"), ("format", "family")])
    meeting_urls = urls_of(content.links_for_meeting(meeting))
    assert "/learn/open-closed#closed" in meeting_urls and "/learn/first-meeting#online" in meeting_urls
    assert "/learn/formats#fmt-spk" in meeting_urls and "/learn/formats#fmt-es" not in meeting_urls
    center_urls = urls_of(content.links_for_center(center))
    assert {"/learn/detox#med-methadone", "/learn/detox#med-alpha2", "/learn/after-detox"} <= set(center_urls)
    assert urls_of(content.links_for_counselor(counselor)) == [
        "/learn/counseling", "/learn/counseling#approach-mi", "/learn/counseling#approach-family",
    ]
    cache: dict[str, Parsed] = {}
    for url in meeting_urls + center_urls + urls_of(content.links_for_counselor(counselor)):
        assert_lands(client, url, cache)


# --- the facts each page must carry (DOMAIN.md section 6) ---------------------------------------------------------

def test_what_is_na_gets_the_history_right(web):
    text = get_page(web, "/learn/what-is-na").text
    for fact in ("1947", "Lexington, Kentucky", "1953 in Southern California", "about 70,000", "over 140 countries",
                 "It is free", "The only requirement for membership is a desire to stop using"):
        assert fact in text, fact
    assert "That was the earlier group, not NA" in text


def test_crisis_page_numbers_can_be_tapped(web):
    parsed = get_page(web, "/learn/crisis")
    assert {"tel:911", "tel:988", "sms:988", "tel:+18006624357"} <= set(parsed.links)
    for fact in ("free and confidential", "24 hours a day, 7 days a week", "English and Spanish",
                 "information, not medical advice"):
        assert fact in parsed.text, fact


def test_spanish_text_is_marked_as_spanish(web):
    parsed = get_page(web, "/learn/crisis")
    spanish = " ".join(parsed.spanish)
    assert "español" in spanish and "gratuita y confidencial" in spanish
    english_only = get_page(web, "/learn/withdrawal")
    assert "español" not in english_only.text


def test_withdrawal_page_symptoms_and_timeline(web):
    parsed = get_page(web, "/learn/withdrawal")
    for fact in ("about 12 hours after the last use", "roughly 24 to 72 hours", "7 to 14 days",
                 "Fentanyl and long-acting opioids can shift these times", "dehydrate", "Mixing substances",
                 "Seek medical help", "Goose bumps", "Yawning".lower(), "Tapering"):
        assert fact in parsed.text, fact
    assert {"medical-help", "timeline"} <= parsed.ids
    # the most important thing comes first: when to get help precedes the symptom lists
    assert parsed.text.index("When to get medical help") < parsed.text.index("Early symptoms")


def test_after_detox_says_the_danger_first_and_plainly(web):
    text = get_page(web, "/learn/after-detox").text
    danger = text.index("The dose you used to take can now kill you")
    assert danger < text.index("naloxone") and danger < text.index("Keep going")
    assert "going back to your old dose can be fatal" in text
    assert "often without a prescription" in text


def test_detox_page_medications_and_evidence(web):
    parsed = get_page(web, "/learn/detox")
    assert {"med-methadone", "med-buprenorphine", "med-alpha2", "med-naltrexone", "otp", "ongoing"} <= parsed.ids
    assert "the evidence favours buprenorphine and methadone over clonidine and lofexidine" in parsed.text
    assert "not a failure" in parsed.text and "Outpatient" in parsed.text and "Inpatient" in parsed.text


def test_rehab_and_support_pages_say_detox_alone_is_not_treatment(web):
    for path in ("/learn/rehab", "/learn/support-groups", "/learn/detox", "/learn/after-detox"):
        assert "etox alone is not treatment" in get_page(web, path).text, path


def test_first_meeting_covers_what_a_newcomer_fears(web):
    parsed = get_page(web, "/learn/first-meeting")
    for fact in ("no one has to speak", "Key tags", "Giving is voluntary", "Hybrid meetings"):
        assert fact in parsed.text, fact
    assert {"online", "key-tags", "collection"} <= parsed.ids


def test_open_closed_page_meanings(web):
    parsed = get_page(web, "/learn/open-closed")
    assert {"open", "closed"} <= parsed.ids
    assert "only for people who have, or think they may have, a drug problem" in parsed.text


def test_counseling_page_explains_dynamic_psychotherapy(web):
    text = get_page(web, "/learn/counseling").text
    assert "unconscious conflicts" in text and "channel them" in text


def test_other_templates_reach_the_links_and_format_words(sqlite_app):
    """Result and detail templates render explanation links and format chips without importing anything."""
    from flask import render_template_string

    source = (
        "{% for link in learn_links_for_meeting(m) + learn_always_links|list %}[{{ link.url }}|{{ link.label }}]"
        "{% endfor %}{% set name, meaning = format_explanation('beg') %}{{ name }}: {{ meaning }} "
        "{{ format_url('S-D') }} {{ format_explanation('nope') is none }}"
    )
    meeting = SimpleNamespace(formats=[SimpleNamespace(code="C")], attendance="in_person")
    with sqlite_app.test_request_context("/"):
        out = render_template_string(source, m=meeting)
    assert "[/learn/open-closed#closed|Closed meeting: who it is for]" in out
    assert "[/learn/crisis|" in out
    assert "Beginners: Focused on people new to recovery." in out
    assert "/learn/formats#fmt-s-d True" in out
