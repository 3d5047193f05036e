"""The explanation page registry, format explanations and which result links to which page."""
from __future__ import annotations

from datetime import date
from pathlib import Path
from types import SimpleNamespace

import pytest

from finder.learn import content
from finder.learn.content import Link

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"

# Every NA format code of DOMAIN.md section 2 (the language row is represented by ES and FR).
DOMAIN_FORMAT_CODES = [
    "O", "C", "BEG", "DISC", "SPK", "S-D", "STEP", "TRAD", "TOP", "QA", "MED", "CAN", "BT", "JFT", "IW", "SWG",
    "LC", "GP", "SPAD", "IP", "W", "M", "GL", "Y", "CW", "NC", "WCHR", "ASL", "NS", "SMOK", "VM", "HYBR", "TC",
    "ES", "FR",
]


def meeting(codes=(), attendance="in_person"):
    return SimpleNamespace(formats=[SimpleNamespace(code=c) for c in codes], attendance=attendance)


def center(codes=()):
    return SimpleNamespace(services=[SimpleNamespace(code=c) for c in codes])


def counselor(terms=()):
    return SimpleNamespace(terms=[SimpleNamespace(kind=k, code=c, name=c.title()) for k, c in terms])


def urls(links):
    return [link.url for link in links]


# --- registry ---------------------------------------------------------------------------------------------------

def test_every_page_cites_known_sources_and_a_review_date():
    for page in content.PAGES:
        assert page.sources and len(page.sources) == len(set(page.sources)), page.slug
        assert all(source.url.startswith("https://") for source in content.page_sources(page)), page.slug
        assert isinstance(page.reviewed, date), page.slug
    cited = {key for page in content.PAGES for key in page.sources}
    assert cited == set(content.SOURCES), "every source is cited by a page, and every cited key exists"


def test_page_sources_rejects_an_unknown_key():
    page = content.Page("x", "X", "x", "learn/crisis.html", sources=("no-such-source",))
    with pytest.raises(KeyError):
        content.page_sources(page)


def test_pages_have_unique_slugs_existing_templates_and_one_line_summaries():
    slugs = [page.slug for page in content.PAGES]
    assert len(slugs) == len(set(slugs))
    for page in content.PAGES:
        assert (TEMPLATES / page.template).is_file(), page.template
        assert page.title and page.summary and "\n" not in page.summary
        assert page.url == f"/learn/{page.slug}"
        assert all(content.get_page(slug) for slug in page.related), page.slug
        assert page.slug not in page.related


def test_the_brief_pages_exist():
    expected = {"what-is-na", "first-meeting", "open-closed", "formats", "withdrawal", "detox", "after-detox",
                "rehab", "counseling", "support-groups", "crisis", "overdose", "na-and-medication", "families",
                "choosing-treatment"}
    assert {page.slug for page in content.PAGES} == expected


def test_index_sections_list_every_page_once():
    listed = [slug for section in content.SECTIONS for slug in section.slugs]
    assert sorted(listed) == sorted(page.slug for page in content.PAGES)
    assert content.SECTIONS[0].slugs[0] == "crisis"


def test_page_url_and_lookup():
    assert content.page_url("formats", "fmt-beg") == "/learn/formats#fmt-beg"
    assert content.get_page("nope") is None
    assert content.get_page("../crisis") is None
    with pytest.raises(KeyError):
        content.page_url("nope")


# --- formats ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("code", DOMAIN_FORMAT_CODES)
def test_every_domain_format_is_explained_with_an_anchor(code):
    name, meaning = content.format_explanation(code)
    assert name and meaning
    assert content.format_url(code) == f"/learn/formats#fmt-{code.lower()}"


def test_format_explanation_ignores_case_and_spaces():
    assert content.format_explanation(" beg ") == content.format_explanation("BEG")
    assert content.format_anchor("S-D") == "fmt-s-d"
    assert content.format_explanation("C")[1].startswith("Only for people who have, or think they may have")


@pytest.mark.parametrize("code", ["", "ZZZ", "<script>alert(1)</script>", "O; DROP TABLE formats", None, 7])
def test_unknown_or_hostile_format_codes_have_no_explanation(code):
    assert content.format_explanation(code) is None
    assert content.format_url(code) is None


def test_format_groups_cover_every_seeded_format_once():
    from finder.core.vocab import FORMATS

    grouped = [spec.code for group in content.FORMAT_GROUPS for spec in group.formats]
    assert sorted(grouped) == sorted(spec.code for spec in FORMATS)
    assert all(group.formats for group in content.FORMAT_GROUPS)


# --- links --------------------------------------------------------------------------------------------------------

def test_open_meeting_links():
    links = content.links_for_meeting(meeting(["O", "BEG", "DISC", "WCHR"]))
    assert urls(links) == [
        "/learn/what-is-na",
        "/learn/first-meeting",
        "/learn/open-closed#open",
        "/learn/formats#fmt-beg",
        "/learn/formats#fmt-disc",
        "/learn/formats#fmt-wchr",
        "/learn/na-and-medication",
        "/learn/families",
    ]
    assert all(isinstance(link, Link) and link.label for link in links)


def test_closed_meeting_links_to_closed():
    assert "/learn/open-closed#closed" in urls(content.links_for_meeting(meeting(["C", "STEP"])))


@pytest.mark.parametrize("codes", [[], ["O", "C"]])
def test_meeting_without_a_clear_open_closed_links_to_the_whole_page(codes):
    found = urls(content.links_for_meeting(meeting(codes)))
    assert "/learn/open-closed" in found
    assert not any(url.startswith("/learn/open-closed#") for url in found)


def test_meeting_links_skip_unknown_languages_and_duplicates_in_page_order():
    links = content.links_for_meeting(meeting(["TC", "xyz", "es", "BEG", "beg", None, "O"]))
    format_urls = [url for url in urls(links) if url.startswith("/learn/formats")]
    assert format_urls == ["/learn/formats#fmt-beg", "/learn/formats#fmt-tc"]


@pytest.mark.parametrize("attendance", ["online", "hybrid"])
def test_online_meeting_links_to_joining_online(attendance):
    assert "/learn/first-meeting#online" in urls(content.links_for_meeting(meeting(["O"], attendance)))


def test_meeting_without_formats_attribute_still_gets_the_basics():
    links = content.links_for_meeting(SimpleNamespace())
    assert urls(links)[:2] == ["/learn/what-is-na", "/learn/first-meeting"]


def test_center_links_follow_its_medications():
    links = content.links_for_center(center(["DT", "OP", "METH", "BU", "NU", "A2", "OTP", "MD"]))
    assert urls(links) == [
        "/learn/detox",
        "/learn/detox#med-buprenorphine",
        "/learn/detox#med-methadone",
        "/learn/detox#med-alpha2",
        "/learn/detox#med-naltrexone",
        "/learn/detox#otp",
        "/learn/after-detox",
        "/learn/overdose",
        "/learn/choosing-treatment",
        "/learn/rehab",
    ]


def test_center_without_detox_or_medication():
    assert urls(content.links_for_center(center(["OP", "SS"]))) == [
        "/learn/detox", "/learn/choosing-treatment", "/learn/rehab",
    ]


def test_counselor_links_follow_approaches_only():
    links = content.links_for_counselor(
        counselor([("approach", "psychodynamic"), ("approach", "cbt"), ("approach", "12-step"),
                   ("format", "family"), ("language", "es"), ("approach", "unknown")])
    )
    assert urls(links) == [
        "/learn/counseling",
        "/learn/counseling#approach-psychodynamic",
        "/learn/counseling#approach-cbt",
        "/learn/counseling#approach-12-step",
    ]


def test_every_seeded_approach_has_an_anchor():
    from finder.core.vocab import COUNSELOR_TERMS

    seeded = {term.code for term in COUNSELOR_TERMS if term.kind == "approach"}
    assert seeded == set(content.APPROACH_ANCHORS)


def test_every_medication_service_has_an_anchor():
    from finder.core.vocab import SERVICES

    medications = {spec.code for spec in SERVICES if spec.category == "medication"}
    assert medications == {code for code, _, _ in content.MEDICATION_ANCHORS}


def test_always_links_are_withdrawal_and_crisis():
    assert urls(content.ALWAYS_LINKS) == ["/learn/withdrawal", "/learn/crisis"]
