"""The fixed vocabularies: NA meeting formats, treatment service codes, counselor terms.

The first migration seeds these; changing them later needs a data migration, not an edit here alone. Names
stay English here, in the database and in feeds; pages translate them where they show them (filters.term).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from finder.core.words import N_

if TYPE_CHECKING:
    from finder.models import Meeting


class FormatSpec(NamedTuple):
    code: str
    name: str
    description: str
    kind: str
    mg_code: str | None  # Meeting Guide type code, when the spec has one
    world_id: str  # NAWS shared format id


# Meeting Guide codes follow the spec's type list; NA literature codes have no spec code and are published in
# our own code table (see finder/core/meeting_guide.py) under the same NA code.
FORMATS: tuple[FormatSpec, ...] = (
    FormatSpec("O", N_("Open"), N_("Anyone may attend, addicts or not: family, friends, students, professionals."), "open_closed", "O", "OPEN"),
    FormatSpec("C", N_("Closed"), N_("Only for people who have, or think they may have, a drug problem."), "open_closed", "C", "CLOSED"),
    FormatSpec("BEG", N_("Beginners"), N_("Focused on people new to recovery."), "format", "BE", "BEG"),
    FormatSpec("DISC", N_("Discussion"), N_("Members share on a topic."), "format", "D", "DISC"),
    FormatSpec("SPK", N_("Speaker"), N_("One member tells their story."), "format", "SP", "SPK"),
    FormatSpec("S-D", N_("Speaker/Discussion"), N_("A member tells their story, then members share."), "format", None, "SPKD"),
    FormatSpec("STEP", N_("Step study"), N_("Works through the Twelve Steps."), "format", "ST", "STEP"),
    FormatSpec("TRAD", N_("Tradition study"), N_("Works through the Twelve Traditions."), "format", "TR", "TRAD"),
    FormatSpec("TOP", N_("Topic"), N_("A topic is chosen each week."), "format", None, "TOP"),
    FormatSpec("QA", N_("Questions and answers"), N_("Members answer questions about recovery."), "format", None, "QA"),
    FormatSpec("MED", N_("Meditation"), N_("Includes time for meditation."), "format", "MED", "MED"),
    FormatSpec("CAN", N_("Candlelight"), N_("Held by candlelight."), "format", "CAN", "CAN"),
    FormatSpec("BT", N_("Basic Text study"), N_("Reads and discusses NA's main book, the Basic Text."), "literature", None, "BT"),
    FormatSpec("JFT", N_("Just for Today"), N_("Reads from the daily meditation book Just for Today."), "literature", None, "JFT"),
    FormatSpec("IW", N_("It Works: How and Why"), N_("Studies the book on the steps and traditions."), "literature", None, "IW"),
    FormatSpec("SWG", N_("Step Working Guides"), N_("Works through the Step Working Guides."), "literature", None, "SWG"),
    FormatSpec("LC", N_("Living Clean"), N_("Studies the book Living Clean."), "literature", None, "LC"),
    FormatSpec("GP", N_("Guiding Principles"), N_("Studies the traditions book Guiding Principles."), "literature", None, "GP"),
    FormatSpec("SPAD", N_("A Spiritual Principle a Day"), N_("Reads from A Spiritual Principle a Day."), "literature", None, "SPAD"),
    FormatSpec("IP", N_("Informational pamphlets"), N_("Reads and discusses NA pamphlets."), "literature", "LIT", "IP"),
    FormatSpec("W", N_("Women"), N_("For women."), "audience", "W", "W"),
    FormatSpec("M", N_("Men"), N_("For men."), "audience", "M", "M"),
    FormatSpec("GL", N_("LGBTQ+"), N_("Focused on LGBTQ+ members; all welcome where open."), "audience", "LGBTQ", "GL"),
    FormatSpec("Y", N_("Young people"), N_("Focused on young people."), "audience", "Y", "Y"),
    FormatSpec("CW", N_("Children welcome"), N_("Children are welcome."), "audience", "CF", "CW"),
    FormatSpec("NC", N_("No children"), N_("Please do not bring children."), "audience", None, "NC"),
    FormatSpec("WCHR", N_("Wheelchair accessible"), N_("The venue can be reached by wheelchair."), "access", "X", "WCHR"),
    FormatSpec("ASL", N_("Sign-language interpreted"), N_("American Sign Language interpretation."), "access", "ASL", "ASL"),
    FormatSpec("NS", N_("Non-smoking"), N_("No smoking."), "access", "NS", "NS"),
    FormatSpec("SMOK", N_("Smoking permitted"), N_("Smoking is permitted."), "access", "SM", "SMOK"),
    FormatSpec("VM", N_("Virtual"), N_("Meets online only."), "venue", None, "VM"),
    FormatSpec("HYBR", N_("Hybrid"), N_("Meets in person and online at the same time."), "venue", None, "HYBR"),
    FormatSpec("TC", N_("Temporarily closed facility"), N_("The building is closed for now; check for online details."), "venue", "TC", "TC"),
    FormatSpec("EN", N_("English"), N_("Held in English."), "language", "EN", "LANG"),
    FormatSpec("ES", N_("Spanish"), N_("Held in Spanish."), "language", "S", "LANG"),
    FormatSpec("FR", N_("French"), N_("Held in French."), "language", "FR", "LANG"),
    FormatSpec("DE", N_("German"), N_("Held in German."), "language", "DE", "LANG"),
    FormatSpec("PT", N_("Portuguese"), N_("Held in Portuguese."), "language", "POR", "LANG"),
    FormatSpec("PL", N_("Polish"), N_("Held in Polish."), "language", "POL", "LANG"),
    FormatSpec("RU", N_("Russian"), N_("Held in Russian."), "language", "RUS", "LANG"),
)

# Formats derived from attendance/status; organizers never pick them by hand.
VENUE_FORMATS = frozenset({"VM", "HYBR", "TC"})


class ServiceSpec(NamedTuple):
    code: str
    name: str
    category: str


SERVICES: tuple[ServiceSpec, ...] = (
    ServiceSpec("DT", N_("Detox"), "care"),
    ServiceSpec("HI", N_("Hospital inpatient"), "care"),
    ServiceSpec("RES", N_("Residential"), "care"),
    ServiceSpec("OP", N_("Outpatient"), "care"),
    ServiceSpec("HH", N_("Transitional housing"), "care"),
    ServiceSpec("CO", N_("Co-occurring mental health and substance use"), "care"),
    ServiceSpec("CT", N_("Telemedicine"), "care"),
    ServiceSpec("METH", N_("Methadone"), "medication"),
    ServiceSpec("BU", N_("Buprenorphine"), "medication"),
    ServiceSpec("NU", N_("Naltrexone"), "medication"),
    ServiceSpec("OTP", N_("Opioid treatment program"), "medication"),
    ServiceSpec("A2", N_("Clonidine or lofexidine assisted detox"), "medication"),
    ServiceSpec("PI", N_("Private health insurance"), "payment"),
    ServiceSpec("MD", N_("Medicaid"), "payment"),
    ServiceSpec("MC", N_("Medicare"), "payment"),
    ServiceSpec("SS", N_("Sliding fee scale"), "payment"),
    ServiceSpec("NP", N_("Free or no cost"), "payment"),
    ServiceSpec("SF", N_("Self-pay"), "payment"),
    ServiceSpec("MI", N_("Military insurance"), "payment"),
    ServiceSpec("SP", N_("Spanish"), "language"),
    ServiceSpec("AH", N_("American Sign Language"), "language"),
)


class TermSpec(NamedTuple):
    kind: str
    code: str
    name: str


COUNSELOR_TERMS: tuple[TermSpec, ...] = (
    TermSpec("approach", "psychodynamic", N_("Psychodynamic (dynamic) psychotherapy")),
    TermSpec("approach", "cbt", N_("Cognitive behavioral therapy (CBT)")),
    TermSpec("approach", "mi", N_("Motivational interviewing")),
    TermSpec("approach", "drug-counseling", N_("Drug counseling")),
    TermSpec("approach", "12-step", N_("Twelve-step facilitation")),
    TermSpec("approach", "family", N_("Family therapy")),
    TermSpec("format", "individual", N_("Individual sessions")),
    TermSpec("format", "group", N_("Group sessions")),
    TermSpec("format", "family", N_("Family sessions")),
    TermSpec("insurance", "medicaid", N_("Medicaid")),
    TermSpec("insurance", "medicare", N_("Medicare")),
    TermSpec("insurance", "private", N_("Private insurance")),
    TermSpec("insurance", "tricare", N_("TRICARE")),
    TermSpec("language", "en", N_("English")),
    TermSpec("language", "es", N_("Spanish")),
    TermSpec("language", "fr", N_("French")),
    TermSpec("language", "zh", N_("Chinese")),
    TermSpec("language", "vi", N_("Vietnamese")),
    TermSpec("language", "asl", N_("American Sign Language")),
)

FORMAT_BY_CODE = {f.code: f for f in FORMATS}
SERVICE_BY_CODE = {s.code: s for s in SERVICES}


def effective_format_codes(meeting: Meeting) -> list[str]:
    """The meeting's NA format codes with the venue codes derived from attendance and status, sorted."""
    codes = {code for code in meeting.format_codes if code not in VENUE_FORMATS}
    if meeting.attendance == "online":
        codes.add("VM")
    elif meeting.attendance == "hybrid":
        codes.add("HYBR")
    if meeting.status == "temporarily_closed":
        codes.add("TC")
    return sorted(codes)
