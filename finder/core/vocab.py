"""The fixed vocabularies: NA meeting formats, treatment service codes, counselor terms.

The first migration seeds these; changing them later needs a data migration, not an edit here alone.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

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
    FormatSpec("O", "Open", "Anyone may attend, addicts or not: family, friends, students, professionals.", "open_closed", "O", "OPEN"),
    FormatSpec("C", "Closed", "Only for people who have, or think they may have, a drug problem.", "open_closed", "C", "CLOSED"),
    FormatSpec("BEG", "Beginners", "Focused on people new to recovery.", "format", "BE", "BEG"),
    FormatSpec("DISC", "Discussion", "Members share on a topic.", "format", "D", "DISC"),
    FormatSpec("SPK", "Speaker", "One member tells their story.", "format", "SP", "SPK"),
    FormatSpec("S-D", "Speaker/Discussion", "A member tells their story, then members share.", "format", None, "SPKD"),
    FormatSpec("STEP", "Step study", "Works through the Twelve Steps.", "format", "ST", "STEP"),
    FormatSpec("TRAD", "Tradition study", "Works through the Twelve Traditions.", "format", "TR", "TRAD"),
    FormatSpec("TOP", "Topic", "A topic is chosen each week.", "format", None, "TOP"),
    FormatSpec("QA", "Questions and answers", "Members answer questions about recovery.", "format", None, "QA"),
    FormatSpec("MED", "Meditation", "Includes time for meditation.", "format", "MED", "MED"),
    FormatSpec("CAN", "Candlelight", "Held by candlelight.", "format", "CAN", "CAN"),
    FormatSpec("BT", "Basic Text study", "Reads and discusses NA's main book, the Basic Text.", "literature", None, "BT"),
    FormatSpec("JFT", "Just for Today", "Reads from the daily meditation book Just for Today.", "literature", None, "JFT"),
    FormatSpec("IW", "It Works: How and Why", "Studies the book on the steps and traditions.", "literature", None, "IW"),
    FormatSpec("SWG", "Step Working Guides", "Works through the Step Working Guides.", "literature", None, "SWG"),
    FormatSpec("LC", "Living Clean", "Studies the book Living Clean.", "literature", None, "LC"),
    FormatSpec("GP", "Guiding Principles", "Studies the traditions book Guiding Principles.", "literature", None, "GP"),
    FormatSpec("SPAD", "A Spiritual Principle a Day", "Reads from A Spiritual Principle a Day.", "literature", None, "SPAD"),
    FormatSpec("IP", "Informational pamphlets", "Reads and discusses NA pamphlets.", "literature", "LIT", "IP"),
    FormatSpec("W", "Women", "For women.", "audience", "W", "W"),
    FormatSpec("M", "Men", "For men.", "audience", "M", "M"),
    FormatSpec("GL", "LGBTQ+", "Focused on LGBTQ+ members; all welcome where open.", "audience", "LGBTQ", "GL"),
    FormatSpec("Y", "Young people", "Focused on young people.", "audience", "Y", "Y"),
    FormatSpec("CW", "Children welcome", "Children are welcome.", "audience", "CF", "CW"),
    FormatSpec("NC", "No children", "Please do not bring children.", "audience", None, "NC"),
    FormatSpec("WCHR", "Wheelchair accessible", "The venue can be reached by wheelchair.", "access", "X", "WCHR"),
    FormatSpec("ASL", "Sign-language interpreted", "American Sign Language interpretation.", "access", "ASL", "ASL"),
    FormatSpec("NS", "Non-smoking", "No smoking.", "access", "NS", "NS"),
    FormatSpec("SMOK", "Smoking permitted", "Smoking is permitted.", "access", "SM", "SMOK"),
    FormatSpec("VM", "Virtual", "Meets online only.", "venue", None, "VM"),
    FormatSpec("HYBR", "Hybrid", "Meets in person and online at the same time.", "venue", None, "HYBR"),
    FormatSpec("TC", "Temporarily closed facility", "The building is closed for now; check for online details.", "venue", "TC", "TC"),
    FormatSpec("EN", "English", "Held in English.", "language", "EN", "LANG"),
    FormatSpec("ES", "Spanish", "Held in Spanish.", "language", "S", "LANG"),
    FormatSpec("FR", "French", "Held in French.", "language", "FR", "LANG"),
    FormatSpec("DE", "German", "Held in German.", "language", "DE", "LANG"),
    FormatSpec("PT", "Portuguese", "Held in Portuguese.", "language", "POR", "LANG"),
    FormatSpec("PL", "Polish", "Held in Polish.", "language", "POL", "LANG"),
    FormatSpec("RU", "Russian", "Held in Russian.", "language", "RUS", "LANG"),
)

# Formats derived from attendance/status; organizers never pick them by hand.
VENUE_FORMATS = frozenset({"VM", "HYBR", "TC"})


class ServiceSpec(NamedTuple):
    code: str
    name: str
    category: str


SERVICES: tuple[ServiceSpec, ...] = (
    ServiceSpec("DT", "Detox", "care"),
    ServiceSpec("HI", "Hospital inpatient", "care"),
    ServiceSpec("RES", "Residential", "care"),
    ServiceSpec("OP", "Outpatient", "care"),
    ServiceSpec("HH", "Transitional housing", "care"),
    ServiceSpec("CO", "Co-occurring mental health and substance use", "care"),
    ServiceSpec("CT", "Telemedicine", "care"),
    ServiceSpec("METH", "Methadone", "medication"),
    ServiceSpec("BU", "Buprenorphine", "medication"),
    ServiceSpec("NU", "Naltrexone", "medication"),
    ServiceSpec("OTP", "Opioid treatment program", "medication"),
    ServiceSpec("A2", "Clonidine or lofexidine assisted detox", "medication"),
    ServiceSpec("PI", "Private health insurance", "payment"),
    ServiceSpec("MD", "Medicaid", "payment"),
    ServiceSpec("MC", "Medicare", "payment"),
    ServiceSpec("SS", "Sliding fee scale", "payment"),
    ServiceSpec("NP", "Free or no cost", "payment"),
    ServiceSpec("SF", "Self-pay", "payment"),
    ServiceSpec("MI", "Military insurance", "payment"),
    ServiceSpec("SP", "Spanish", "language"),
    ServiceSpec("AH", "American Sign Language", "language"),
)


class TermSpec(NamedTuple):
    kind: str
    code: str
    name: str


COUNSELOR_TERMS: tuple[TermSpec, ...] = (
    TermSpec("approach", "psychodynamic", "Psychodynamic (dynamic) psychotherapy"),
    TermSpec("approach", "cbt", "Cognitive behavioral therapy (CBT)"),
    TermSpec("approach", "mi", "Motivational interviewing"),
    TermSpec("approach", "drug-counseling", "Drug counseling"),
    TermSpec("approach", "12-step", "Twelve-step facilitation"),
    TermSpec("approach", "family", "Family therapy"),
    TermSpec("format", "individual", "Individual sessions"),
    TermSpec("format", "group", "Group sessions"),
    TermSpec("format", "family", "Family sessions"),
    TermSpec("insurance", "medicaid", "Medicaid"),
    TermSpec("insurance", "medicare", "Medicare"),
    TermSpec("insurance", "private", "Private insurance"),
    TermSpec("insurance", "tricare", "TRICARE"),
    TermSpec("language", "en", "English"),
    TermSpec("language", "es", "Spanish"),
    TermSpec("language", "fr", "French"),
    TermSpec("language", "zh", "Chinese"),
    TermSpec("language", "vi", "Vietnamese"),
    TermSpec("language", "asl", "American Sign Language"),
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
