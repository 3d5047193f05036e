"""The explanation pages under /learn/, and which search result links to which of them.

Everything here is pure: the linking functions read only the attributes they name (``formats[].code``,
``attendance``, ``services[].code``, ``terms[].kind/code/name``), so they work on ORM objects and on plain
stand-ins alike. Links are site paths ("/learn/detox#med-methadone"); templates print them as they are.
Titles, summaries and labels are lazy translations: read during a request they speak its language, elsewhere
English.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, NamedTuple

from flask_babel import lazy_gettext

from finder.core.vocab import FORMAT_BY_CODE, FORMATS, FormatSpec

LEARN_PREFIX = "/learn"


class Link(NamedTuple):
    """A link to an explanation: a site path (maybe with a #fragment) and the words to show."""

    url: str
    label: str


class Source(NamedTuple):
    """A public source a page's facts were checked against: the publisher's name, the document and its address."""

    publisher: str
    title: str
    url: str


# Every source the pages cite, by a short key. docs/CONTENT.md says which claims need one and how they are reviewed.
SOURCES: dict[str, Source] = {
    "samhsa-helpline": Source(
        "SAMHSA", "National Helpline: frequently asked questions",
        "https://www.samhsa.gov/find-help/national-helpline"),
    "samhsa-tip63": Source(
        "SAMHSA", "TIP 63: Medications for Opioid Use Disorder",
        "https://store.samhsa.gov/product/tip-63-medications-opioid-use-disorder/pep21-02-01-002"),
    "samhsa-overdose-toolkit": Source(
        "SAMHSA", "Overdose Prevention and Response Toolkit",
        "https://store.samhsa.gov/product/overdose-prevention-and-response-toolkit/pep23-03-00-001"),
    "samhsa-methadone": Source(
        "SAMHSA", "Methadone",
        "https://www.samhsa.gov/medications-substance-use-disorders/medications-counseling-related-conditions/methadone"),
    "samhsa-waiver": Source(
        "SAMHSA", "Removal of the DATA waiver (X-waiver) requirement",
        "https://www.samhsa.gov/medications-substance-use-disorders/pharmacist-verification"),
    "samhsa-naltrexone": Source(
        "SAMHSA", "Naltrexone",
        "https://www.samhsa.gov/medications-substance-use-disorders/medications-counseling-related-conditions/naltrexone"),
    "samhsa-craft": Source(
        "SAMHSA", "Community Reinforcement and Family Training (CRAFT), archived NREPP summary",
        "https://www.nreppadmin.net/viewintervention_id_378.html"),
    "findtreatment": Source("SAMHSA", "FindTreatment.gov", "https://findtreatment.gov/"),
    "988": Source("988 Suicide & Crisis Lifeline", "988 Lifeline", "https://988lifeline.org/"),
    "samhsa-988-spanish": Source(
        "SAMHSA", "988 Lifeline adds Spanish text and chat (July 13, 2023)",
        "https://www.samhsa.gov/newsroom/press-announcements/20230713/988-suicide-crisis-lifeline-adds-spanish-text-chat-service-ahead-one-year-anniversary"),
    "nida-naloxone": Source(
        "NIDA", "Naloxone DrugFacts", "https://nida.nih.gov/research-topics/naloxone"),
    "nida-fentanyl": Source(
        "NIDA", "Fentanyl DrugFacts", "https://nida.nih.gov/research-topics/fentanyl"),
    "nida-treatment": Source(
        "NIDA", "Treatment and Recovery", "https://nida.nih.gov/publications/drugs-brains-behavior-science-addiction/treatment-recovery"),
    "medlineplus-cocaine": Source(
        "MedlinePlus", "Cocaine withdrawal", "https://medlineplus.gov/ency/article/000947.htm"),
    "medlineplus-withdrawal": Source(
        "MedlinePlus", "Opiate and opioid withdrawal", "https://medlineplus.gov/ency/article/000949.htm"),
    "medlineplus-alcohol": Source(
        "MedlinePlus", "Alcohol withdrawal", "https://medlineplus.gov/ency/article/000764.htm"),
    "fda-naloxone-otc": Source(
        "FDA", "FDA approves first over-the-counter naloxone nasal spray (March 29, 2023)",
        "https://www.fda.gov/news-events/press-announcements/fda-approves-first-over-counter-naloxone-nasal-spray"),
    "fda-lofexidine": Source(
        "FDA", "FDA approves the first non-opioid treatment for management of opioid withdrawal symptoms (May 16, 2018)",
        "https://www.fda.gov/news-events/press-announcements/fda-approves-first-non-opioid-treatment-management-opioid-withdrawal-symptoms-adults"),
    "dea-buprenorphine": Source(
        "DEA", "Buprenorphine (MOUD) questions and answers",
        "https://www.deadiversion.usdoj.gov/faq/buprenorphine-faq.html"),
    "cdc-overdose": Source(
        "CDC", "Stop Overdose: naloxone, fentanyl test strips, Good Samaritan laws",
        "https://www.cdc.gov/stop-overdose/"),
    "acog-pregnancy": Source(
        "ACOG", "Committee Opinion 711: Opioid Use and Opioid Use Disorder in Pregnancy",
        "https://www.acog.org/clinical/clinical-guidance/committee-opinion/articles/2017/08/opioid-use-and-opioid-use-disorder-in-pregnancy"),
    "naws-who-what": Source(
        "NA World Services", "Who, What, How, and Why (IP #1)", "https://na.org/"),
    "naws-history": Source(
        "NA World Services", "Information about NA (fact sheet: history, about 70,000 weekly meetings)",
        "https://na.org/"),
    "naws-sponsorship": Source("NA World Services", "Sponsorship (IP #11)", "https://na.org/"),
    "naws-bulletin-29": Source(
        "NA World Services", "Bulletin #29: Regarding methadone and other drug replacement programs", "https://na.org/"),
    "naws-groups-medication": Source("NA World Services", "NA Groups and Medication", "https://na.org/"),
    "naws-mat": Source(
        "NA World Services", "Narcotics Anonymous and Persons Receiving Medication-Assisted Treatment",
        "https://na.org/"),
    "naws-bulletin-31": Source("NA World Services", "Bulletin #31: Meeting attendance cards", "https://na.org/"),
    "naws-formats": Source("NA World Services", "World Service Database format codes", "https://na.org/"),
    "smart-recovery": Source(
        "SMART Recovery", "SMART announces move toward abstinence-oriented recovery support",
        "https://www.smartrecovery.org/smart-announces-move-toward-abstinence-oriented-recovery-support/"),
    "never-use-alone": Source("Never Use Alone", "Overdose prevention line", "https://neverusealone.com/"),
    "nar-anon": Source("Nar-Anon Family Groups", "Nar-Anon Family Groups", "https://www.nar-anon.org/"),
    "families-anonymous": Source("Families Anonymous", "Families Anonymous", "https://www.familiesanonymous.org/"),
    "naadac": Source(
        "NAADAC", "National certifications: NCAC and MAC", "https://www.naadac.org/"),
}

# When the pages' facts were last checked against their sources (docs/CONTENT.md: at least every six months).
LAST_REVIEWED = date(2026, 12, 6)


@dataclass(frozen=True)
class Page:
    """One explanation page: its URL slug, title, a one-line summary, the template that holds its text, the pages
    to read next, the sources its facts were checked against (keys of SOURCES) and when they were last checked."""

    slug: str
    title: str
    summary: str
    template: str
    related: tuple[str, ...] = field(default=())
    sources: tuple[str, ...] = field(default=())
    reviewed: date = LAST_REVIEWED

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
        lazy_gettext("Crisis help"),
        lazy_gettext("Who to call or text right now: 911, 988 and the SAMHSA National Helpline. What to do in an overdose."),
        "learn/crisis.html",
        ("overdose", "withdrawal", "after-detox"),
        ("samhsa-helpline", "988", "samhsa-988-spanish", "samhsa-overdose-toolkit", "nida-naloxone",
         "fda-naloxone-otc", "cdc-overdose"),
    ),
    Page(
        "overdose",
        lazy_gettext("Overdose: what to do, and how to stay alive"),
        lazy_gettext("The signs of an opioid overdose and what to do, step by step. Fentanyl, test strips and not using alone."),
        "learn/overdose.html",
        ("after-detox", "crisis", "families"),
        ("samhsa-overdose-toolkit", "nida-naloxone", "fda-naloxone-otc", "nida-fentanyl", "cdc-overdose",
         "never-use-alone"),
    ),
    Page(
        "withdrawal",
        lazy_gettext("Withdrawal"),
        lazy_gettext(
            "What withdrawal from heroin, fentanyl or pills feels like and how long it lasts. When it is dangerous: "
            "alcohol, benzos, stimulants, pregnancy."),
        "learn/withdrawal.html",
        ("detox", "after-detox", "crisis"),
        ("medlineplus-withdrawal", "samhsa-tip63", "medlineplus-alcohol", "medlineplus-cocaine", "988",
         "acog-pregnancy"),
    ),
    Page(
        "after-detox",
        lazy_gettext("After detox: your tolerance is lower"),
        lazy_gettext("After detox, the dose you used to take can kill you. What that means, and where to get naloxone."),
        "learn/after_detox.html",
        ("overdose", "rehab", "na-and-medication"),
        ("samhsa-tip63", "samhsa-overdose-toolkit", "nida-naloxone", "fda-naloxone-otc", "samhsa-naltrexone",
         "nida-treatment"),
    ),
    Page(
        "what-is-na",
        lazy_gettext("What is Narcotics Anonymous?"),
        lazy_gettext("A free fellowship of people helping one another stay clean. What NA is, and what it is not."),
        "learn/what_is_na.html",
        ("first-meeting", "na-and-medication", "families"),
        ("naws-who-what", "naws-history", "naws-sponsorship", "naws-bulletin-31"),
    ),
    Page(
        "first-meeting",
        lazy_gettext("Your first NA meeting"),
        lazy_gettext("What happens at a meeting, in a room, online or by phone. You don't have to speak, and it's free."),
        "learn/first_meeting.html",
        ("open-closed", "formats", "families"),
        ("naws-who-what", "naws-bulletin-31"),
    ),
    Page(
        "open-closed",
        lazy_gettext("Open and closed meetings"),
        lazy_gettext("Who may come to an open meeting, and who a closed meeting is for."),
        "learn/open_closed.html",
        ("first-meeting", "formats", "families"),
        ("naws-who-what", "naws-formats"),
    ),
    Page(
        "formats",
        lazy_gettext("Meeting formats"),
        lazy_gettext("What the short codes on a meeting listing mean: Beginners, Speaker, Step study and the rest."),
        "learn/formats.html",
        ("first-meeting", "open-closed"),
        ("naws-formats",),
    ),
    Page(
        "na-and-medication",
        lazy_gettext("NA and medication"),
        lazy_gettext(
            "You are welcome at NA meetings if you take methadone, buprenorphine or other medication. What NA's own "
            "literature says."),
        "learn/na_and_medication.html",
        ("what-is-na", "detox", "families"),
        ("naws-bulletin-29", "naws-groups-medication", "naws-mat", "samhsa-tip63", "smart-recovery"),
    ),
    Page(
        "support-groups",
        lazy_gettext("Support groups"),
        lazy_gettext("How a group of people in recovery can support you, alongside treatment."),
        "learn/support_groups.html",
        ("what-is-na", "na-and-medication", "families"),
        ("naws-who-what", "naws-history", "nida-treatment"),
    ),
    Page(
        "families",
        lazy_gettext("For family and friends"),
        lazy_gettext("Support for you: Nar-Anon, Families Anonymous and CRAFT counseling. Keep naloxone at home."),
        "learn/families.html",
        ("overdose", "open-closed", "choosing-treatment"),
        ("nar-anon", "families-anonymous", "samhsa-craft", "fda-naloxone-otc", "samhsa-helpline"),
    ),
    Page(
        "detox",
        lazy_gettext("Detox and its medications"),
        lazy_gettext(
            "Withdrawing safely, at home or as an inpatient, and the medications that help: methadone, buprenorphine, "
            "naltrexone, clonidine and lofexidine."),
        "learn/detox.html",
        ("after-detox", "choosing-treatment", "withdrawal"),
        ("samhsa-tip63", "samhsa-methadone", "samhsa-waiver", "dea-buprenorphine", "samhsa-naltrexone",
         "fda-lofexidine", "acog-pregnancy"),
    ),
    Page(
        "choosing-treatment",
        lazy_gettext("Choosing a treatment program"),
        lazy_gettext("Questions to ask, how to check a license, and the warning signs of a bad program."),
        "learn/choosing_treatment.html",
        ("detox", "rehab", "families"),
        ("findtreatment", "samhsa-helpline", "samhsa-tip63"),
    ),
    Page(
        "rehab",
        lazy_gettext("Rehab and ongoing treatment"),
        lazy_gettext("Detox alone is not treatment. What a treatment program offers, and what the listings mean."),
        "learn/rehab.html",
        ("choosing-treatment", "counseling", "support-groups"),
        ("nida-treatment", "samhsa-tip63", "findtreatment"),
    ),
    Page(
        "counseling",
        lazy_gettext("Counseling and psychotherapy"),
        lazy_gettext("Dynamic psychotherapy, CBT, motivational interviewing and other approaches a counselor may list."),
        "learn/counseling.html",
        ("rehab", "support-groups", "families"),
        ("nida-treatment", "naadac"),
    ),
)

SECTIONS: tuple[Section, ...] = (
    Section(lazy_gettext("If you need help now"), ("crisis", "overdose", "withdrawal", "after-detox")),
    Section(lazy_gettext("NA meetings"), ("what-is-na", "first-meeting", "open-closed", "formats", "na-and-medication",
                            "support-groups")),
    Section(lazy_gettext("Family and friends"), ("families",)),
    Section(lazy_gettext("Treatment"), ("detox", "choosing-treatment", "rehab", "counseling")),
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


def page_sources(page: Page) -> list[Source]:
    """The sources a page's facts were checked against, in the page's order. Raises KeyError for an unknown key."""
    return [SOURCES[key] for key in page.sources]


# --- meeting formats -------------------------------------------------------------------------------------------

# Headings of the formats page, in order; the kinds are those of finder.core.vocab.
FORMAT_KIND_HEADINGS: tuple[tuple[str, str], ...] = (
    ("open_closed", lazy_gettext("Who may come")),
    ("format", lazy_gettext("How the meeting runs")),
    ("literature", lazy_gettext("What the meeting reads")),
    ("audience", lazy_gettext("Who the meeting is for")),
    ("access", lazy_gettext("Access")),
    ("venue", lazy_gettext("Where it meets")),
    ("language", lazy_gettext("Language")),
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
    Link(page_url("withdrawal"), lazy_gettext("Opioid withdrawal: what to expect")),
    Link(page_url("crisis"), lazy_gettext("Crisis help and overdose: who to call, what to do")),
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
        return Link(page_url("open-closed", "open"), lazy_gettext("Open meeting: anyone may come"))
    if is_closed and not is_open:
        return Link(page_url("open-closed", "closed"), lazy_gettext("Closed meeting: who it is for"))
    return Link(page_url("open-closed"), lazy_gettext("Open and closed meetings"))


def links_for_meeting(meeting: Any) -> list[Link]:
    """The explanations that fit an NA meeting, most useful first.

    What NA is, the first meeting (its online part when the meeting is online or hybrid), the open/closed
    explanation for its O or C format, one link per format it lists, in the formats page's order, then NA and
    medication and the families page. Codes this site does not explain are skipped. ALWAYS_LINKS are not included.
    """
    codes = _codes(getattr(meeting, "formats", None))
    links = [Link(page_url("what-is-na"), lazy_gettext("What is NA?"))]
    if getattr(meeting, "attendance", None) in ("online", "hybrid"):
        links.append(Link(page_url("first-meeting", "online"), lazy_gettext("Your first meeting, online")))
    else:
        links.append(Link(page_url("first-meeting"), lazy_gettext("Your first meeting")))
    links.append(_open_closed_link(codes))
    links.extend(
        Link(page_url("formats", format_anchor(spec.code)), lazy_gettext("What “%(name)s” means", name=lazy_gettext(spec.name)))
        for spec in FORMATS
        if spec.code in codes and spec.kind not in _FORMAT_KINDS_NOT_LINKED
    )
    links.append(Link(page_url("na-and-medication"), lazy_gettext("Taking methadone or buprenorphine? NA and medication")))
    links.append(Link(page_url("families"), lazy_gettext("For family and friends")))
    return links


# Treatment service codes -> (anchor on the detox page, label); in the order the page explains them.
MEDICATION_ANCHORS: tuple[tuple[str, str, str], ...] = (
    ("BU", "med-buprenorphine", lazy_gettext("Buprenorphine")),
    ("METH", "med-methadone", lazy_gettext("Methadone")),
    ("A2", "med-alpha2", lazy_gettext("Clonidine and lofexidine")),
    ("NU", "med-naltrexone", lazy_gettext("Naltrexone")),
    ("OTP", "otp", lazy_gettext("Opioid treatment programs")),
)


def links_for_center(center: Any) -> list[Link]:
    """The explanations that fit a treatment center: detox, each medication it lists, after detox, choosing, rehab.

    "After detox" (tolerance) and "Overdose" are added when the center offers detox (service code DT): the days
    after detox are when an overdose is most likely.
    ALWAYS_LINKS are not included.
    """
    codes = _codes(getattr(center, "services", None))
    links = [Link(page_url("detox"), lazy_gettext("Detox: what it is"))]
    links.extend(
        Link(page_url("detox", anchor), label) for code, anchor, label in MEDICATION_ANCHORS if code in codes
    )
    if "DT" in codes:
        links.append(Link(page_url("after-detox"), lazy_gettext("After detox: your tolerance is lower")))
        links.append(Link(page_url("overdose"), lazy_gettext("Overdose: what to do")))
    links.append(Link(page_url("choosing-treatment"), lazy_gettext("Choosing a treatment program")))
    links.append(Link(page_url("rehab"), lazy_gettext("Rehab and ongoing treatment")))
    return links


# Counselor approach codes (finder.core.vocab.COUNSELOR_TERMS, kind 'approach') -> (anchor on the counseling page, label).
APPROACH_ANCHORS: dict[str, tuple[str, str]] = {
    "psychodynamic": ("approach-psychodynamic", lazy_gettext("Dynamic psychotherapy")),
    "cbt": ("approach-cbt", lazy_gettext("Cognitive behavioral therapy")),
    "mi": ("approach-mi", lazy_gettext("Motivational interviewing")),
    "drug-counseling": ("approach-drug-counseling", lazy_gettext("Drug counseling")),
    "12-step": ("approach-12-step", lazy_gettext("Twelve-step facilitation")),
    "family": ("approach-family", lazy_gettext("Family therapy")),
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
    links = [Link(page_url("counseling"), lazy_gettext("Counseling and psychotherapy"))]
    links.extend(
        Link(page_url("counseling", anchor), label)
        for code, (anchor, label) in APPROACH_ANCHORS.items()
        if code in approaches
    )
    return links


# --- words for paper (printed meeting lists) --------------------------------------------------------------------


# The back page of a printed list: the first-meeting page (templates/learn/first_meeting.html) said short, in the
# reader's language (lazy: read in a request or force_locale block).
FIRST_MEETING_SHORT: tuple[Any, ...] = (
    lazy_gettext("You are welcome. Meetings are free, and no one has to speak: you can just listen."),
    lazy_gettext("An open meeting (O) is for anyone; a closed meeting (C) is for people who have, or think they may "
                 "have, a drug problem. If that is you, you can go to either."),
    lazy_gettext("Members read short passages from NA literature, then share about their own experience, one at a "
                 "time. If you are asked, you can say you would like to just listen today."),
    lazy_gettext("A basket may be passed for the 7th Tradition collection. Giving is voluntary; the meeting is still "
                 "free."),
    lazy_gettext("Online and hybrid meetings work the same way: join by the link or the phone number in this list."),
    lazy_gettext("If a meeting didn't feel right, try another one. Formats and groups differ."),
)
