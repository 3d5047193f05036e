"""The reviewed table of crisis and emergency numbers per country, and which of them a page shows.

Every row was checked against the public source it names on the date it gives (a person, not a script, did
the checking: see the commit that changed the row). A row whose source changes its number must be re-checked
and its date moved; tests/test_crisis_lines.py keeps every row complete and no review older than a year.

Countries are ISO 3166 alpha-2 codes. "EU" rows serve every EU member that has no rows of its own (112 is the
emergency number throughout the EU). Without a country, or for a country not in the table, pages show the US
numbers, as they always did: the site's data and most of its visitors are there.
"""
from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass

from flask_babel import lazy_gettext

from finder.core.words import N_

DEFAULT_COUNTRY = "US"
# EU member states (ISO 3166 alpha-2); 112 reaches emergency services in every one of them.
EU_MEMBERS = frozenset({
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT", "LV", "LT", "LU",
    "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE",
})
KINDS = ("emergency", "crisis", "helpline")
# How a sentence names each country of the table ("Numbers in the United Kingdom"), in the reader's language.
COUNTRY_NAMES = {
    "US": lazy_gettext("the United States"), "CA": lazy_gettext("Canada"), "GB": lazy_gettext("the United Kingdom"),
    "IE": lazy_gettext("Ireland"), "AU": lazy_gettext("Australia"), "NZ": lazy_gettext("New Zealand"),
    "IN": lazy_gettext("India"), "MX": lazy_gettext("Mexico"), "DE": lazy_gettext("Germany"),
    "BR": lazy_gettext("Brazil"), "EU": lazy_gettext("the European Union"),
}


@dataclass(frozen=True)
class CrisisLine:
    """One number people can call (or text) for help, as its public source gives it."""

    country: str  # ISO 3166 alpha-2, or "EU"
    kind: str  # 'emergency' (police, ambulance, fire), 'crisis' (suicide and crisis line), 'helpline'
    name: str  # what the service calls itself (N_: a generic name, or one the service gives in Spanish too)
    number: str  # as the source writes it (N_ when it holds words: "112 or 999")
    dial: str  # what a tel: link dials (digits, maybe a leading +)
    text: bool  # the source says it also answers text messages at this number
    about: str  # one plain line: when to use it, what it costs, when it answers (N_: pages translate it, |term)
    source: str  # the public page the number was checked against
    reviewed: dt.date  # when it was checked

    @property
    def tel(self) -> str:
        return "tel:" + self.dial

    @property
    def sms(self) -> str:
        return "sms:" + self.dial if self.text else ""


_REVIEWED = dt.date(2026, 12, 6)

LINES: tuple[CrisisLine, ...] = (
    CrisisLine("US", "emergency", N_("Emergency"), "911", "911", False,
               N_("Police, ambulance, fire: if someone is in danger or may have overdosed."),
               "https://health.wyo.gov/publichealth/prevention/wivpp/suicide-prevention/988-suicide-crisis-lifeline", _REVIEWED),
    # In Spanish (its Spanish text below): press 2 when calling, text AYUDA. Checked 2026-12-06 against
    # https://988lifeline.org/get-help/what-to-expect ("Spanish-language (Press 2)", "text AYUDA").
    CrisisLine("US", "crisis", N_("988 Suicide and Crisis Lifeline"), "988", "988", True,
               N_("Call or text, free and confidential, 24/7; also for a substance use crisis. Spanish available."),
               "https://www.mcphs.edu/student-life/counseling-services/emergency-services/988-suicide-and-crisis-lifeline", _REVIEWED),
    CrisisLine("US", "helpline", N_("SAMHSA National Helpline"), "1-800-662-4357", "+18006624357", False,
               N_("Free, confidential treatment referral and information, 24/7, in English and Spanish."),
               "https://www.samhsa.gov/find-help/helplines/national-helpline", _REVIEWED),
    CrisisLine("CA", "emergency", N_("Emergency"), "911", "911", False,
               N_("Police, ambulance, fire: if someone is in danger or may have overdosed."),
               "https://www.gnb.ca/en/topic/laws-safety/community-safety/911.html", _REVIEWED),
    CrisisLine("CA", "crisis", "9-8-8: Suicide Crisis Helpline", "988", "988", True,
               N_("Call or text, free, 24/7, in English and French."),
               "https://www.newswire.ca/news-releases/government-of-canada-launches-three-digit-suicide-crisis-helpline-896472116.html", _REVIEWED),
    CrisisLine("GB", "emergency", N_("Emergency"), "999", "999", False,
               N_("Police, ambulance, fire (112 works too): if someone is in danger or may have overdosed."),
               "https://www.wellingtonpractice.co.uk/emergency-information/", _REVIEWED),
    CrisisLine("GB", "crisis", "Samaritans", "116 123", "116123", False,
               N_("Free from any phone, 24 hours a day, every day; you don't have to be suicidal to call."),
               "https://www.samaritans.org/how-we-can-help/contact-samaritan/", _REVIEWED),
    CrisisLine("IE", "emergency", N_("Emergency"), N_("112 or 999"), "112", False,
               N_("Garda, ambulance, fire: both numbers are free from any phone."),
               "https://www2.hse.ie/emergencies/when-to-call-112-or-999/", _REVIEWED),
    CrisisLine("IE", "crisis", "Samaritans", "116 123", "116123", False,
               N_("Free from any phone, 24 hours a day, every day."),
               "https://www.samaritans.org/how-we-can-help/contact-samaritan/", _REVIEWED),
    CrisisLine("AU", "emergency", N_("Emergency"), "000", "000", False,
               N_("Police, ambulance, fire: if someone is in immediate danger."),
               "https://lifelineh2h.org.au/get-help/telephone-crisis-support/faqs/", _REVIEWED),
    CrisisLine("AU", "crisis", "Lifeline", "13 11 14", "131114", False,
               N_("Crisis support 24 hours a day; free from mobiles."),
               "https://lifelineh2h.org.au/get-help/telephone-crisis-support/faqs/", _REVIEWED),
    CrisisLine("NZ", "emergency", N_("Emergency"), "111", "111", False,
               N_("Police, ambulance, fire: if someone is in danger."),
               "https://www.govt.nz/browse/crime-and-justice/crimes-and-emergencies/111-emergency-service/",
               _REVIEWED),
    CrisisLine("NZ", "crisis", "1737 Need to talk?", "1737", "1737", True,
               N_("Call or text, free, 24/7: trained counsellors, including for addiction."),
               "https://www.pegasus.health.nz/?p=6300", _REVIEWED),
    CrisisLine("IN", "emergency", N_("Emergency (ERSS)"), "112", "112", False,
               N_("Police, ambulance, fire: the national emergency number."),
               "https://www.lokmattimes.com/technology/over-29-lakh-phone-calls-handled-by-tele-manas-cells-savitri-thakur-2/", _REVIEWED),
    CrisisLine("IN", "crisis", "Tele-MANAS", "14416", "14416", False,
               N_("Free mental health support 24/7, in the language you choose."),
               "https://theshillongtimes.com/2025/02/07/tele-manas-mental-health-helpline-handles-over-18-1-lakh-calls-centre/", _REVIEWED),
    CrisisLine("MX", "emergency", "Emergencias", "911", "911", False,
               N_("Police, ambulance, fire: the national emergency number."),
               "https://www.gob.mx/policiafederal/articulos/088-911-responder-ante-cualquier-llamado", _REVIEWED),
    CrisisLine("MX", "crisis", "Línea de la Vida", "800 911 2000", "8009112000", False,
               N_("Free, 24/7: mental health and addiction support (CONASAMA)."),
               "https://www.eluniversal.com.mx/nacion/promueven-la-linea-de-la-vida-tras-presentar-encuesta-sobre-consumo-de-drogas-asi-puedes-pedir-ayuda/", _REVIEWED),
    CrisisLine("DE", "emergency", "Notruf", "112", "112", False,
               N_("Ambulance and fire, free from any phone: if someone is in danger or may have overdosed."),
               "https://www.news.lt/Law-And-Order-Crime/Need-help-Dial-112.im?f=c&id=189320", _REVIEWED),
    CrisisLine("DE", "crisis", "TelefonSeelsorge", "0800 111 0 111", "08001110111", False,
               N_("Free, anonymous, 24/7; also 0800 111 0 222."),
               "https://www.domradio.de/glossar/telefonseelsorge-0", _REVIEWED),
    CrisisLine("BR", "emergency", "SAMU", "192", "192", False,
               N_("Ambulance: free from any phone, 24 hours a day."),
               "https://prefeitura.sp.gov.br/web/saude/w/samu-192-como-usar-corretamente-e-evitar-sobrecarga-do-servi%C3%A7o", _REVIEWED),
    CrisisLine("BR", "crisis", "CVV", "188", "188", False,
               N_("Centro de Valorização da Vida: free emotional support and suicide prevention, 24/7."),
               "https://redeglobo.globo.com/rj/tvriosul/Acontece/noticia/cvv-oferece-apoio-emocional-e-atua-na-prevencao-do-suicidio.ghtml", _REVIEWED),
    CrisisLine("EU", "emergency", N_("European emergency number"), "112", "112", False,
               N_("Police, ambulance, fire: free in every EU country, from mobiles and landlines."),
               "https://www.news.lt/Law-And-Order-Crime/Need-help-Dial-112.im?f=c&id=189320", _REVIEWED),
)


def lines_for(country: str | None) -> tuple[CrisisLine, ...]:
    """The rows for a country (ISO alpha-2, any case): its own, else the EU's for an EU member, else the US's."""
    code = (country or "").strip().upper()
    table = _by_country()
    if code in table:
        return table[code]
    if code in EU_MEMBERS:
        return table["EU"]
    return table[DEFAULT_COUNTRY]


def bar_lines(country: str | None) -> tuple[CrisisLine, ...]:
    """What the one-line crisis bar shows: the emergency number, then the crisis line when there is one."""
    lines = lines_for(country)
    return tuple(line for kind in ("emergency", "crisis") for line in lines if line.kind == kind)[:2]


def served_country(country: str | None) -> str:
    """The country whose numbers lines_for gives ('EU' for an EU member without its own rows)."""
    return lines_for(country)[0].country


def countries() -> tuple[str, ...]:
    """Every country in the table, in its order (the default first)."""
    return tuple(_by_country())


@functools.cache
def _by_country() -> dict[str, tuple[CrisisLine, ...]]:
    table: dict[str, list[CrisisLine]] = {}
    for line in LINES:
        table.setdefault(line.country, []).append(line)
    return {code: tuple(rows) for code, rows in table.items()}
