"""The explanation pages under /learn/, and which search result links to which of them.

Everything here is pure: the linking functions read only the attributes they name (``formats[].code``,
``attendance``, ``services[].code``, ``terms[].kind/code/name``), so they work on ORM objects and on plain
stand-ins alike. Links are site paths ("/learn/detox#med-methadone"); templates print them as they are.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from finder.vocab import FORMAT_BY_CODE, FORMATS, FormatSpec

LEARN_PREFIX = "/learn"


class Link(NamedTuple):
    """A link to an explanation: a site path (maybe with a #fragment) and the words to show."""

    url: str
    label: str


@dataclass(frozen=True)
class Page:
    """One explanation page: its URL slug, title, a one-line summary and the template that holds its text."""

    slug: str
    title: str
    summary: str
    template: str
    related: tuple[str, ...] = field(default=())

    @property
    def url(self) -> str:
        return page_url(self.slug)


@dataclass(frozen=True)
class Section:
    """A heading on the /learn/ index and the pages listed under it, most urgent first."""

    title: str
    slugs: tuple[str, ...]


# The order here is the order a frightened reader needs them in; the index follows SECTIONS.
PAGES: tuple[Page, ...] = (
    Page(
        "crisis",
        "Crisis help",
        "Who to call or text right now: 911, 988 and the SAMHSA National Helpline.",
        "learn/crisis.html",
        ("withdrawal", "detox", "after-detox"),
    ),
    Page(
        "withdrawal",
        "Opioid withdrawal",
        "What withdrawal from heroin, fentanyl or pills feels like, how long it lasts, and when to get medical help.",
        "learn/withdrawal.html",
        ("detox", "after-detox", "crisis"),
    ),
    Page(
        "after-detox",
        "After detox: your tolerance is lower",
        "After detox, the dose you used to take can kill you. What that means, and where to get naloxone.",
        "learn/after_detox.html",
        ("rehab", "support-groups", "crisis"),
    ),
    Page(
        "what-is-na",
        "What is Narcotics Anonymous?",
        "A free fellowship of people helping one another stay clean. The only requirement is a desire to stop using.",
        "learn/what_is_na.html",
        ("first-meeting", "open-closed", "formats"),
    ),
    Page(
        "first-meeting",
        "Your first NA meeting",
        "What happens at a meeting, in a room or online. You don't have to speak, and it's free.",
        "learn/first_meeting.html",
        ("open-closed", "formats", "what-is-na"),
    ),
    Page(
        "open-closed",
        "Open and closed meetings",
        "Who may come to an open meeting, and who a closed meeting is for.",
        "learn/open_closed.html",
        ("first-meeting", "formats"),
    ),
    Page(
        "formats",
        "Meeting formats",
        "What the short codes on a meeting listing mean: Beginners, Speaker, Step study and the rest.",
        "learn/formats.html",
        ("first-meeting", "open-closed"),
    ),
    Page(
        "support-groups",
        "Support groups",
        "How a group of people in recovery can support you, alongside treatment.",
        "learn/support_groups.html",
        ("what-is-na", "first-meeting", "rehab"),
    ),
    Page(
        "detox",
        "Detox and its medications",
        "Withdrawing safely, at home or as an inpatient, and the medications that help: methadone, buprenorphine, "
        "clonidine and lofexidine.",
        "learn/detox.html",
        ("after-detox", "rehab", "withdrawal"),
    ),
    Page(
        "rehab",
        "Rehab and ongoing treatment",
        "Detox alone is not treatment. What a treatment program offers, and what the listings mean.",
        "learn/rehab.html",
        ("counseling", "support-groups", "after-detox"),
    ),
    Page(
        "counseling",
        "Counseling and psychotherapy",
        "Dynamic psychotherapy, CBT, motivational interviewing and other approaches a counselor may list.",
        "learn/counseling.html",
        ("rehab", "support-groups"),
    ),
)

SECTIONS: tuple[Section, ...] = (
    Section("If you need help now", ("crisis", "withdrawal", "after-detox")),
    Section("NA meetings", ("what-is-na", "first-meeting", "open-closed", "formats", "support-groups")),
    Section("Treatment", ("detox", "rehab", "counseling")),
)

_PAGE_BY_SLUG: dict[str, Page] = {page.slug: page for page in PAGES}


def page_url(slug: str, anchor: str | None = None) -> str:
    """The site path of a page (and an optional #fragment). Raises KeyError for an unknown slug."""
    if slug not in _PAGE_BY_SLUG:
        raise KeyError(slug)
    path = f"{LEARN_PREFIX}/{slug}"
    return f"{path}#{anchor}" if anchor else path


def get_page(slug: str) -> Page | None:
    """The page for a slug, or None when there is none."""
    return _PAGE_BY_SLUG.get(slug)


def related_pages(page: Page) -> list[Page]:
    """The pages a page suggests reading next, in its own order."""
    return [_PAGE_BY_SLUG[slug] for slug in page.related]


def section_pages(section: Section) -> list[Page]:
    """The pages listed under an index heading."""
    return [_PAGE_BY_SLUG[slug] for slug in section.slugs]


# --- meeting formats -------------------------------------------------------------------------------------------

# Headings of the formats page, in order; the kinds are those of finder.vocab.
FORMAT_KIND_HEADINGS: tuple[tuple[str, str], ...] = (
    ("open_closed", "Who may come"),
    ("format", "How the meeting runs"),
    ("literature", "What the meeting reads"),
    ("audience", "Who the meeting is for"),
    ("access", "Access"),
    ("venue", "Where it meets"),
    ("language", "Language"),
)


@dataclass(frozen=True)
class FormatGroup:
    """A heading on the formats page and the formats under it."""

    kind: str
    heading: str
    formats: tuple[FormatSpec, ...]


FORMAT_GROUPS: tuple[FormatGroup, ...] = tuple(
    FormatGroup(kind, heading, tuple(spec for spec in FORMATS if spec.kind == kind))
    for kind, heading in FORMAT_KIND_HEADINGS
)


def _format_spec(code: object) -> FormatSpec | None:
    if not isinstance(code, str):
        return None
    return FORMAT_BY_CODE.get(code.strip().upper())


def format_anchor(code: str) -> str:
    """The id of a format's entry on the formats page: 'fmt-' and the code in lower case ('S-D' -> 'fmt-s-d')."""
    return f"fmt-{code.strip().lower()}"


def format_url(code: str) -> str | None:
    """The path to a format's explanation, or None for a code this site does not explain."""
    spec = _format_spec(code)
    return page_url("formats", format_anchor(spec.code)) if spec else None


def format_explanation(code: str) -> tuple[str, str] | None:
    """The name and one-line meaning of an NA format code (case-insensitive), or None when it is unknown."""
    spec = _format_spec(code)
    return (spec.name, spec.description) if spec else None


# --- which result links to which page --------------------------------------------------------------------------

ALWAYS_LINKS: tuple[Link, ...] = (
    Link(page_url("withdrawal"), "Opioid withdrawal: what to expect"),
    Link(page_url("crisis"), "Crisis help: who to call"),
)

# The formats page explains these too, but a meeting's own link for them would say nothing new: open/closed
# has its own page, and "held in Spanish" needs no explanation to the person reading it.
_FORMAT_KINDS_NOT_LINKED = frozenset({"open_closed", "language"})


def _codes(items: Iterable[Any] | None) -> set[str]:
    """The upper-cased codes of a list of things with a `code` attribute; non-string codes are ignored."""
    return {item.code.strip().upper() for item in items or () if isinstance(getattr(item, "code", None), str)}


def _open_closed_link(codes: set[str]) -> Link:
    is_open, is_closed = "O" in codes, "C" in codes
    if is_open and not is_closed:
        return Link(page_url("open-closed", "open"), "Open meeting: anyone may come")
    if is_closed and not is_open:
        return Link(page_url("open-closed", "closed"), "Closed meeting: who it is for")
    return Link(page_url("open-closed"), "Open and closed meetings")


def links_for_meeting(meeting: Any) -> list[Link]:
    """The explanations that fit an NA meeting, most useful first.

    What NA is, the first meeting (its online part when the meeting is online or hybrid), the open/closed
    explanation for its O or C format, then one link per format it lists, in the formats page's order. Codes
    this site does not explain are skipped. ALWAYS_LINKS are not included.
    """
    codes = _codes(getattr(meeting, "formats", None))
    links = [Link(page_url("what-is-na"), "What is NA?")]
    if getattr(meeting, "attendance", None) in ("online", "hybrid"):
        links.append(Link(page_url("first-meeting", "online"), "Your first meeting, online"))
    else:
        links.append(Link(page_url("first-meeting"), "Your first meeting"))
    links.append(_open_closed_link(codes))
    links.extend(
        Link(page_url("formats", format_anchor(spec.code)), f"What “{spec.name}” means")
        for spec in FORMATS
        if spec.code in codes and spec.kind not in _FORMAT_KINDS_NOT_LINKED
    )
    return links


# Treatment service codes -> (anchor on the detox page, label); in the order the page explains them.
MEDICATION_ANCHORS: tuple[tuple[str, str, str], ...] = (
    ("BU", "med-buprenorphine", "Buprenorphine"),
    ("METH", "med-methadone", "Methadone"),
    ("A2", "med-alpha2", "Clonidine and lofexidine"),
    ("NU", "med-naltrexone", "Naltrexone"),
    ("OTP", "otp", "Opioid treatment programs"),
)


def links_for_center(center: Any) -> list[Link]:
    """The explanations that fit a treatment center: detox, each medication it lists, after detox, rehab.

    "After detox" (tolerance and overdose) is added when the center offers detox (service code DT).
    ALWAYS_LINKS are not included.
    """
    codes = _codes(getattr(center, "services", None))
    links = [Link(page_url("detox"), "Detox: what it is")]
    links.extend(
        Link(page_url("detox", anchor), label) for code, anchor, label in MEDICATION_ANCHORS if code in codes
    )
    if "DT" in codes:
        links.append(Link(page_url("after-detox"), "After detox: your tolerance is lower"))
    links.append(Link(page_url("rehab"), "Rehab and ongoing treatment"))
    return links


# Counselor approach codes (finder.vocab.COUNSELOR_TERMS, kind 'approach') -> (anchor on the counseling page, label).
APPROACH_ANCHORS: dict[str, tuple[str, str]] = {
    "psychodynamic": ("approach-psychodynamic", "Dynamic psychotherapy"),
    "cbt": ("approach-cbt", "Cognitive behavioral therapy"),
    "mi": ("approach-mi", "Motivational interviewing"),
    "drug-counseling": ("approach-drug-counseling", "Drug counseling"),
    "12-step": ("approach-12-step", "Twelve-step facilitation"),
    "family": ("approach-family", "Family therapy"),
}


def links_for_counselor(counselor: Any) -> list[Link]:
    """The explanations that fit a counselor: counseling, then each approach they list that the page explains.

    Only terms of kind 'approach' count (a 'family' session format is not family therapy). ALWAYS_LINKS are
    not included.
    """
    approaches = {
        term.code.strip().lower()
        for term in getattr(counselor, "terms", None) or ()
        if getattr(term, "kind", None) == "approach" and isinstance(getattr(term, "code", None), str)
    }
    links = [Link(page_url("counseling"), "Counseling and psychotherapy")]
    links.extend(
        Link(page_url("counseling", anchor), label)
        for code, (anchor, label) in APPROACH_ANCHORS.items()
        if code in approaches
    )
    return links
