"""The /learn/ pages as a browser gets them: status, structure, links that land, and the facts that must be there."""
from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest

from finder.learn import content


BLOCKS = {"p", "li", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6", "td", "th", "caption", "figcaption"}
VOID = {"br", "meta", "link", "img", "input", "hr", "wbr", "source"}


@dataclass
class Parsed:
    ids: set[str] = field(default_factory=set)
    headings: list[int] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    source_links: list[tuple[str, str]] = field(default_factory=list)  # (href, rel) inside the sources footer
    sources: list[str] = field(default_factory=list)
    scripts: int = 0
    inline_styles: int = 0
    spanish: list[str] = field(default_factory=list)
    text: str = ""
    prose: list[str] = field(default_factory=list)  # the article's English text, one entry per block, no sources


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parsed = Parsed()
        self._texts: list[str] = []
        self._open: list[str] = []
        # Depths (in open elements) at which each region began; None when outside it.
        self._spanish_at: int | None = None
        self._sources_at: int | None = None
        self._article_at: int | None = None
        self._block: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {name: value or "" for name, value in attrs}
        if a.get("id"):
            assert a["id"] not in self.parsed.ids, f"duplicate id {a['id']}"
            self.parsed.ids.add(a["id"])
        if len(tag) == 2 and tag[0] == "h" and tag[1].isdigit():
            self.parsed.headings.append(int(tag[1]))
        if tag == "a" and a.get("href"):
            if self._sources_at is not None:
                self.parsed.source_links.append((a["href"], a.get("rel", "")))
            else:
                self.parsed.links.append(a["href"])
        for name in ("src", "srcset", "data"):
            if a.get(name):
                self.parsed.sources.append(a[name])
        if tag == "link" and a.get("href") and a.get("rel") != "alternate":  # an alternate (hreflang) loads nothing
            self.parsed.sources.append(a["href"])
        if tag == "script" and not a.get("src"):
            self.parsed.scripts += 1  # inline scripts only: the site's own script file is allowed
        if tag == "style" or "style" in a:
            self.parsed.inline_styles += 1
        if tag in VOID:
            return
        if tag in BLOCKS:
            self._end_block()
        self._open.append(tag)
        depth = len(self._open)
        if self._spanish_at is None and a.get("lang", "").startswith("es"):
            self._spanish_at = depth
        if self._sources_at is None and "learn-sources" in a.get("class", "").split():
            self._sources_at = depth
        if self._article_at is None and tag == "article":
            self._article_at = depth

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        if tag in BLOCKS:
            self._end_block()
        if self._open and self._open[-1] == tag:
            depth = len(self._open)
            self._open.pop()
            if self._spanish_at == depth:
                self._spanish_at = None
            if self._sources_at == depth:
                self._sources_at = None
            if self._article_at == depth:
                self._article_at = None

    def handle_data(self, data: str) -> None:
        self._texts.append(data)
        if self._spanish_at is not None:
            if data.strip():
                self.parsed.spanish.append(data.strip())
        elif self._article_at is not None and self._sources_at is None:
            self._block.append(data)

    def _end_block(self) -> None:
        """A list item or heading ends a thought as a full stop would: readability formulas count it as one."""
        block = " ".join(" ".join(self._block).split())
        self._block = []
        if block:
            self.parsed.prose.append(block if block[-1] in ".!?:" else block + ".")

    def close(self) -> None:
        super().close()
        self._end_block()
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
    # The only links off the site are the cited sources: https, and they tell the other site nothing.
    for url, rel in parsed.source_links:
        if urlsplit(url).scheme:
            assert urlsplit(url).scheme == "https", url
            assert "noreferrer" in rel.split(), url


PAGE_IDS = [page.slug for page in content.PAGES]


@pytest.mark.parametrize("page", content.PAGES, ids=PAGE_IDS)
def test_every_page_lists_its_sources_and_when_they_were_checked(web, page):
    parsed = get_page(web, page.url)
    assert page.sources, "every page cites at least one source"
    assert [url for url, _ in parsed.source_links if url.startswith("https://")] == [
        source.url for source in content.page_sources(page)
    ]
    for source in content.page_sources(page):
        assert f"{source.publisher}: {source.title}" in parsed.text
    assert f"Last reviewed: {page.reviewed.strftime('%B')} {page.reviewed.day}, {page.reviewed.year}" in parsed.text
    assert "sources" in parsed.ids


# Grade 8 or below (Flesch-Kincaid), on the page's own English text: headings and list items count as sentences,
# the sources list and the Spanish lines are left out. Long medicine names cost syllables, so sentences stay short.
MAX_GRADE = 8.0


@pytest.mark.parametrize("page", content.PAGES, ids=PAGE_IDS)
def test_every_page_reads_at_grade_8_or_below(web, page):
    import textstat

    prose = " ".join(get_page(web, page.url).prose)
    assert len(prose.split()) > 40, "the page has text to measure"
    grade = textstat.flesch_kincaid_grade(prose)
    assert grade <= MAX_GRADE, f"{page.slug} reads at grade {grade}"


def test_readability_check_can_fail():
    """The measure tells dense prose from plain prose, so the test above can catch a page that drifts."""
    import textstat

    plain = "Call 911. Give naloxone. Stay with them. Help is on the way."
    dense = ("Pharmacological interventions utilizing opioid agonist maintenance demonstrably reduce mortality "
             "associated with opioid use disorder, particularly following detoxification-induced tolerance loss.")
    assert textstat.flesch_kincaid_grade(plain) <= MAX_GRADE < textstat.flesch_kincaid_grade(dense)


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


def test_what_is_na_says_what_na_is_not(web):
    parsed = get_page(web, "/learn/what-is-na")
    assert {"any-drug", "is-not", "anonymity", "sponsors", "readings", "court-slips"} <= parsed.ids
    for fact in ("Not professional treatment", "spiritual, not religious", "Not tied to any treatment center",
                 "Each group decides", "NA is not only for opioids"):
        assert fact in parsed.text, fact
    assert "/learn/families" in parsed.links and "/learn/na-and-medication" in parsed.links


def test_crisis_page_numbers_can_be_tapped(web):
    parsed = get_page(web, "/learn/crisis")
    assert {"tel:911", "tel:988", "sms:988", "tel:+18006624357"} <= set(parsed.links)
    for fact in ("free and confidential", "24 hours a day, 7 days a week, 365 days a year", "English and Spanish",
                 "information, not medical advice", "It gives information and referrals",
                 "It is not a medical line, and it does not give counseling"):
        assert fact in parsed.text, fact


OVERDOSE_STEPS = ("Call 911", "Give naloxone", "rescue breathing", "recovery position", "Stay with them",
                  "Give a second dose", "after 2 to 3 minutes", "Naloxone wears off sooner than many opioids",
                  "the overdose can come back", "Good Samaritan laws", "different in each state")
OVERDOSE_SIGNS = ("will not wake up", "breathing is very slow", "blue or gray", "pinpoints", "gurgling")


@pytest.mark.parametrize("path", ["/learn/crisis", "/learn/after-detox", "/learn/overdose"])
def test_overdose_steps_are_on_the_pages_a_reader_in_danger_lands_on(web, path):
    parsed = get_page(web, path)
    assert "overdose-steps" in parsed.ids
    for fact in OVERDOSE_SIGNS + OVERDOSE_STEPS:
        assert fact in parsed.text, fact
    # the call comes before naloxone, and the second dose after it
    steps = parsed.text[parsed.text.index("Someone may be overdosing: what to do"):]
    assert steps.index("Call 911") < steps.index("Give naloxone") < steps.index("Give a second dose")


def test_overdose_page_covers_fentanyl_and_staying_alive(web):
    parsed = get_page(web, "/learn/overdose")
    assert {"naloxone", "fentanyl", "test-strips", "not-alone", "start-low"} <= parsed.ids
    for fact in ("Since 2023, the nasal spray is sold over the counter", "often free from health departments",
                 "Fentanyl test strips", "a clean result does not mean a drug is safe", "Never Use Alone",
                 "neverusealone.com", "after you stop naltrexone", "use much less"):
        assert fact in parsed.text, fact


def test_spanish_text_is_marked_as_spanish(web):
    parsed = get_page(web, "/learn/crisis")
    spanish = " ".join(parsed.spanish)
    assert "español" in spanish and "gratuita y confidencial" in spanish
    english_only = get_page(web, "/learn/withdrawal")
    assert "español" not in english_only.text


def test_withdrawal_page_symptoms_and_timeline(web):
    parsed = get_page(web, "/learn/withdrawal")
    for fact in ("8 to 24 hours after the last use", "about 12 hours", "The worst comes 1 to 3 days after the last use",
                 "about 4 to 10 days", "For methadone, it starts later and lasts longer, often 10 to 20 days",
                 "can last for weeks or months", "Fentanyl can change these times", "dehydration",
                 "Mixing substances", "Seek medical help", "Goose bumps and chills", "Yawning", "Craving",
                 "A fast heartbeat", "Restless legs", "A taper makes withdrawal milder",
                 "usually makes it last longer, not shorter"):
        assert fact in parsed.text, fact
    for unsupported in ("Tiredness", "taste or smell", "24 to 72 hours", "7 to 14 days"):
        assert unsupported not in parsed.text, unsupported
    assert {"medical-help", "timeline", "other-drugs", "pregnancy"} <= parsed.ids
    # the most important thing comes first: when to get help precedes the symptom lists
    assert parsed.text.index("When to get medical help") < parsed.text.index("Early symptoms")


def test_withdrawal_page_warns_about_other_drugs_and_pregnancy(web):
    text = get_page(web, "/learn/withdrawal").text
    for fact in ("NA is for people with any drug problem", "can cause seizures", "It can kill",
                 "Get medical help first", "think about suicide", "call or text 988",
                 "Do not stop opioids suddenly on your own", "medication is the recommended care",
                 "methadone or buprenorphine"):
        assert fact in text, fact


def test_after_detox_says_the_danger_first_and_plainly(web):
    text = get_page(web, "/learn/after-detox").text
    danger = text.index("The dose you used to take can now kill you")
    assert danger < text.index("naloxone") and danger < text.index("Keep going")
    assert "going back to your old dose can be fatal" in text
    assert "sold over the counter, without a prescription" in text and "often give it out for free" in text
    assert "often without a prescription" not in text
    assert "often the treatment itself, instead of detox" in text


def test_detox_page_medications_and_evidence(web):
    parsed = get_page(web, "/learn/detox")
    assert {"med-methadone", "med-buprenorphine", "med-alpha2", "med-naltrexone", "otp", "ongoing"} <= parsed.ids
    assert "the evidence favours buprenorphine and methadone over clonidine and lofexidine" in parsed.text
    assert "not a failure" in parsed.text and "Outpatient" in parsed.text and "Inpatient" in parsed.text


def test_detox_page_carries_the_corrected_facts(web):
    text = get_page(web, "/learn/detox").text
    for fact in ("A taper makes withdrawal milder. It usually makes it last longer, not shorter",
                 "Since January 2023, no special waiver is needed", "DEA registration covers Schedule III",
                 "too soon after your last opioid, it can bring on sudden, severe withdrawal",
                 "more likely after fentanyl",
                 "methadone for opioid addiction comes only from certified opioid treatment programs (OTPs)",
                 "free of all opioids for 7 to 10 days", "the risk of overdose is high",
                 "The FDA approved lofexidine in 2018", "Clonidine is used \"off-label\"",
                 "lower your blood pressure and make you dizzy",
                 "keep taking methadone or buprenorphine for months or years", "Maintenance lowers the risk of dying"):
        assert fact in text, fact
    assert "This makes detox shorter" not in text
    # maintenance is said before the taper: medication usually replaces detox, it is not only an afterthought
    assert text.index("This is called maintenance") < text.index("This is called tapering")


def test_na_and_medication_states_na_literature_and_safety(web):
    parsed = get_page(web, "/learn/na-and-medication")
    for fact in ("NA is a program of complete abstinence", "medication-assisted treatment are welcome at meetings",
                 "the welcome can be different from group to group", "Bulletin #29", "\"NA Groups and Medication\"",
                 "\"Narcotics Anonymous and Persons Receiving Medication-Assisted Treatment\"",
                 "Never stop a medication because someone at a meeting says so", "talk to your prescriber first",
                 "SMART Recovery", "not a ranking"):
        assert fact in parsed.text, fact
    assert "never-stop" in parsed.ids


def test_families_page(web):
    parsed = get_page(web, "/learn/families")
    for fact in ("Nar-Anon Family Groups", "Families Anonymous", "Community Reinforcement and Family Training",
                 "Keep naloxone at home", "also answers family members"):
        assert fact in parsed.text, fact
    assert "/learn/overdose" in parsed.links


def test_choosing_treatment_page(web):
    text = get_page(web, "/learn/choosing-treatment").text
    for fact in ("FindTreatment.gov", "Will you keep giving me my medication?", "licensed by their state",
                 "accredited", "Patient brokering", "Free travel"):
        assert fact in text, fact


def test_counseling_credentials_are_licenses_or_certifications(web):
    text = get_page(web, "/learn/counseling").text
    assert "LADC (licensed alcohol and drug counselor), LPC (licensed professional counselor)" in text
    assert "are state licenses" in text
    assert "CADC, NCAC and MAC are certifications" in text


def test_rehab_and_support_pages_say_detox_alone_is_not_treatment(web):
    for path in ("/learn/rehab", "/learn/support-groups", "/learn/detox", "/learn/after-detox"):
        assert "etox alone is not treatment" in get_page(web, path).text, path


def test_first_meeting_covers_what_a_newcomer_fears(web):
    parsed = get_page(web, "/learn/first-meeting")
    for fact in ("no one has to speak", "Key tags", "Giving is voluntary", "Hybrid meetings", "by phone only",
                 "Keep your microphone on mute", "Never record"):
        assert fact in parsed.text, fact
    assert {"online", "etiquette", "key-tags", "collection"} <= parsed.ids


def test_open_closed_page_meanings(web):
    parsed = get_page(web, "/learn/open-closed")
    assert {"open", "closed"} <= parsed.ids
    assert "only for people who have, or think they may have, a drug problem" in parsed.text


def test_counseling_page_explains_dynamic_psychotherapy(web):
    text = get_page(web, "/learn/counseling").text
    assert "unconscious conflicts" in text and "channel them" in text


@pytest.mark.parametrize("path", ["/learn/what-is-na", "/learn/first-meeting", "/learn/open-closed",
                                  "/learn/support-groups", "/learn/na-and-medication"])
def test_na_pages_lead_to_the_families_page(web, path):
    parsed = get_page(web, path)
    assert "/learn/families" in parsed.links


def test_home_page_links_families_and_overdose(web):
    links = get_page(web, "/").links
    assert "/learn/families" in links and "/learn/overdose" in links


@pytest.mark.parametrize("path", ["/learn/after-detox", "/learn/detox", "/learn/crisis"])
def test_after_detox_pages_lead_to_the_overdose_page(web, path):
    assert "/learn/overdose" in get_page(web, path).links


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
    assert "[/learn/crisis|" in out and "[/learn/families|" in out
    assert "Beginners: Focused on people new to recovery." in out
    assert "/learn/formats#fmt-s-d True" in out
