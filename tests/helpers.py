"""Plain helpers tests share (not fixtures: those live in conftest.py): a page parser, form fields as a browser
sends them, a fake geocoder, CSRF pairs, the skip-or-fail rule for missing components, the English words left in
a Spanish page, a page's weight as a browser loads it, a printed list read back from its PDF, and search hits'
ids with an independent great-circle distance."""
from __future__ import annotations

import io
import json
import math
import os
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pypdf
import pytest
import zxingcpp
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from finder.core import geo
from finder.geocode import GeocodeResult
from finder.imports import writer as r

# In CI every backend must really run: a missing PostgreSQL or Chromium fails instead of skipping.
REQUIRE_ALL = os.environ.get("CI", "").lower() in {"1", "true"} or os.environ.get("FINDER_REQUIRE_ALL") == "1"


def unavailable(reason: str) -> None:
    """Skip on a laptop without the component; fail in CI, where it must be there."""
    if REQUIRE_ALL:
        pytest.fail(f"required in CI: {reason}")
    pytest.skip(reason)


def csrf_pair(app: Any, raw: str = "a-known-csrf-token") -> tuple[str, str]:
    """(what Flask-WTF keeps in the session, the signed token a form sends) for a test that sets the session."""
    return raw, URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token").dumps(raw)


PHILLY = GeocodeResult(39.9526, -75.1652, "Philadelphia, PA", "city", "America/New_York", "US")
ZIP = GeocodeResult(39.9512, -75.1741, "Philadelphia, PA 19103", "postal_code", "America/New_York", "US")


class FakeGeocoder:
    """The geocoding seam, offline and instant: two known places, suggestions for anything else."""

    def geocode(self, text: str) -> GeocodeResult | None:
        return {"19103": ZIP, "philadelphia, pa": PHILLY}.get(text.strip().lower())

    def suggest(self, text: str, limit: int = 5) -> list[str]:
        return ["Philadelphia, PA"] if text.lower().startswith("phil") else []


class Page(HTMLParser):
    """The bits of a page the tests look at: links, inputs, scripts, stylesheets and text."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.links: list[dict[str, str]] = []
        self.inputs: list[dict[str, str]] = []
        self.resources: list[str] = []
        self.text_parts: list[str] = []
        self._skip = 0
        self._select = ""
        self.feed(html)
        self.text = re.sub(r"\s+", " ", " ".join(self.text_parts))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "a":
            self.links.append(a)
        elif tag == "select":
            self._select = a.get("name", "")
        elif tag == "input":
            self.inputs.append({**a, "tag": tag})
        elif tag == "option":
            self.inputs.append({**a, "tag": tag, "name": self._select})
        elif tag == "script" and "src" in a:
            self.resources.append(a["src"])
        elif tag == "link" and a.get("rel") in ("stylesheet", "icon"):
            self.resources.append(a["href"])
        if tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.text_parts.append(data)

    def hrefs(self) -> list[str]:
        return [link.get("href", "") for link in self.links]


def get(client: Any, url: str, status: int = 200) -> Page:
    response = client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    return Page(response.get_data(as_text=True))


class CommittingClient:
    """The test client, committing what the factories flushed before each request (the app has its own session)."""

    def __init__(self, app: Any, session: Any) -> None:
        self._client = app.test_client()
        self._session = session

    def get(self, *args: Any, **kwargs: Any) -> Any:
        self._session.commit()
        return self._client.get(*args, **kwargs)


class _Inputs(HTMLParser):
    """The inputs a browser would send from a page's forms."""


    def __init__(self) -> None:
        super().__init__()
        self.fields: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input" and attrs.get("name") and (attrs.get("type") not in ("checkbox", "radio")
                                                     or "checked" in attrs):
            self.fields.append((attrs["name"], attrs.get("value") or ""))


def form_fields(html: str, **overrides) -> MultiDict:
    """What the browser would send from the page's form (inputs only), with some values replaced."""
    parser = _Inputs()
    parser.feed(html)
    fields = MultiDict(parser.fields)
    for key, value in overrides.items():
        fields.setlist(key, [value])
    return fields


# --- Spanish pages: English interface words left in them (tests/test_i18n_pages.py, tests/browser/test_spanish.py)

# Words that are English and not Spanish: one of them in a Spanish page's own text is a word gettext missed.
ENGLISH_WORDS = frozenset("""
    the and or of to with without your you from for this that these those here there when where what which who
    near find search searching meeting meetings group open closed today tomorrow yesterday now soon next previous
    back more less show hide all any none other clear filter filters day days week hour hours minute minutes mile
    miles away starts started ends ended every weekly monthly monday tuesday wednesday thursday friday saturday
    sunday morning afternoon evening night directions join call text help emergency learn about submit send
    check change report add remove edit save cancel delete keep forget subscribe calendar calendars list lists
    page pages results result nothing found sorry please try again wait not allowed sign in out name address
    street city state zip notes note location online hybrid person language spanish english wheelchair accessible
    beginners discussion speaker step study women men young people children smoking counselor counselors center
    centers treatment service services payment insurance accepting approach approaches last updated checked
    confirmed reviewed source sources print printed map distance sort nearest first home new how why who is are
    was were be been will would can could should may might must do does did has have had it its we our us they
    their them he she his her
""".split())
# Names and words that stay as they are in Spanish pages: brands, programs, proper names, and the seeded data.
KEEP = (
    "NA Meeting Finder",  # the site's configured name (SITE_NAME)
    # the seeded meetings, places, center and counselor (tests/browser/conftest.py): data, not interface
    "Clean and Serene", "Just for Today Group", "Spring Garden Step Study", "Mile High Online", "St. Mark's Church",
    "Side door, down the stairs.", "Community Hall", "Passcode: serenity", "Greater Philadelphia Area",
    "Hope Recovery Center", "Detox and outpatient", "Alex Rivera", "$80 a session", "Locust St", "Spring Garden St",
    "Market St", "Walnut St", "Philadelphia", "Denver",
    # names people and programs give themselves (the 988 line's and SAMHSA's Spanish names are translated)
    "Meeting Guide", "TSML UI", "OpenStreetMap", "Narcan", "Samaritans", "Lifeline", "Need to talk?", "Tele-MANAS",
    "TelefonSeelsorge", "Notruf", "Nar-Anon Family Groups", "Families Anonymous", "Addicts Anonymous",
    "Google Calendar", "Outlook", "Apple", "iPhone", "Android", "Zoom", "FindTreatment.gov", "988lifeline.org",
    "MedlinePlus", "NA World Services", "World Service", "CRAFT", "Just for Today", "It Works: How and Why",
    "Living Clean", "Guiding Principles", "A Spiritual Principle a Day", "Step Working Guides", "Basic Text",
    "Bulletin #29", "NA Groups and Medication", "The Joint Commission", "9-8-8: Suicide Crisis Helpline", "12-step",
    "Narcotics Anonymous and Persons Receiving Medication-Assisted Treatment", "Good Samaritan",
)
_VOID = frozenset("area base br col embed hr img input link meta param source track wbr".split())
_SPOKEN = ("title", "aria-label", "placeholder", "alt")


class SpanishText(HTMLParser):
    """The words a Spanish page says in its own voice: text and spoken attributes outside script and style, and
    outside elements marked with another language (lang="en" meeting notes, the switch's "English")."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, str | None]] = []
        self.parts: list[str] = []

    def _speaking(self) -> bool:
        language = next((lang for _, lang in reversed(self.stack) if lang is not None), "es")
        return language.startswith("es") and not any(tag in ("script", "style", "template") for tag, _ in self.stack)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag in ("link", "meta"):
            return  # a feed's title or a page's metadata: for software, not read on the page
        if tag not in _VOID:
            self.stack.append((tag, a.get("lang")))
        if self._speaking() and not (tag in _VOID and a.get("lang", "es")[:2] != "es"):
            self.parts += [a[name] for name in _SPOKEN if a.get(name)]
            if tag == "input" and a.get("type") in ("submit", "reset") and a.get("value"):
                self.parts.append(a["value"])
        if tag in _VOID:
            return

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                return

    def handle_data(self, data: str) -> None:
        if self._speaking():
            self.parts.append(data)


def english_left(html: str) -> list[str]:
    """The English interface words of a Spanish page, each with a little of the text around it."""
    parser = SpanishText()
    parser.feed(html)
    text = re.sub(r"\s+", " ", " ".join(parser.parts))
    for kept in KEEP:
        text = text.replace(kept, " ")
    # Zone ids (America/New_York, shown beside its Spanish name), addresses, paths and host names are not words.
    text = re.sub(r"\b(?:America|Europe|Africa|Asia|Pacific|Australia|Atlantic|Indian)/[\w/]+(?: [A-Z]\w+)?", " ", text)
    text = re.sub(r"https?://\S+|\S+@\S+|(?<!\w)/[\w/<>.-]+|\b[\w.-]+\.(?:org|gov|com|edu|net|nz|ca|au)\b", " ", text)
    found = []
    for match in re.finditer(r"[^\W\d_]+(?:'[a-z]+)?", text):
        word = match.group(0)
        # Codes (format codes, US, ZIP) are in capitals; words are not.
        if word.lower() in ENGLISH_WORDS and not (word.isupper() and len(word) > 1):
            found.append(f"{word!r} in '…{text[max(0, match.start() - 40):match.end() + 40].strip()}…'")
    return found


# --- page weight (tests/browser/test_page_weight.py, tests/browser/test_spanish.py) --------------------------

BUDGET_BYTES = 30 * 1024
COUNTED = {"document", "stylesheet", "script"}


def load_and_weigh(page: Any, url: str) -> tuple[list[str], dict[str, int]]:
    """Load url in a fresh page; (every request URL, gzip size of each counted response)."""
    import gzip

    requests: list[str] = []
    sizes: dict[str, int] = {}

    def on_response(response: Any) -> None:
        if response.request.resource_type in COUNTED and response.status == 200:
            sizes[response.url] = len(gzip.compress(response.body(), compresslevel=6))

    page.on("request", lambda request: requests.append(request.url))
    page.on("response", on_response)
    page.goto(url, wait_until="networkidle")
    return requests, sizes


# --- printed lists (finder.printing), read back from the PDF ---------------------------------------------------

from finder.clock import utcnow  # noqa: E402


def read(data: bytes) -> pypdf.PdfReader:
    assert data.startswith(b"%PDF-")
    return pypdf.PdfReader(io.BytesIO(data))


def texts(reader: pypdf.PdfReader) -> list[str]:
    return [page.extract_text() for page in reader.pages]


def qr_codes(reader: pypdf.PdfReader) -> set[str]:
    """Every QR code among the document's images, decoded (WeasyPrint shares one set of image resources across
    its pages, so the images are read for the document, not per page)."""
    found = set()
    for page in reader.pages:
        for image in page.images:
            found |= {code.text for code in zxingcpp.read_barcodes(image.image)}
    return found


def sizes(reader: pypdf.PdfReader) -> set[tuple[float, float]]:
    return {(round(float(p.mediabox.width), 1), round(float(p.mediabox.height), 1)) for p in reader.pages}


# In list order: Sunday first; hybrid meetings stay with their place; online-only ones in their own section.
EXPECTED = [
    "10:00 AM – 11:00 AM Both Ways",
    "7:00 PM – 8:00 PM Alpha Step",
    "7:00 AM – 8:00 AM Beta Speaker",
    "6:00 PM – 7:00 PM Closed Doors",
    "7:30 PM – 8:30 PM Beta Speaker",
    "7:00 PM – 8:00 PM Holiday Group",
    "11:30 PM – 1:00 AM (next day) Night Owls",
    "8:00 PM – 9:00 PM Screen Time",
]


def _listing_of(app, area):
    from finder import db
    from finder.core import print_options
    from finder.geocode import get_geocoder
    from finder.printing import service

    with app.test_request_context("/"):
        prepared = service.prepare(db.get_session(), [("body", str(area["region"].id))],
                                   print_options.parse_options({}), utcnow(), geocoder=get_geocoder(app),
                                   base_url="http://localhost", version="t")
    return prepared.listing


# --- the import tests' gazetteer and resolver, and the BMLT endpoint's request helpers -------------------------

FIXTURES = Path(__file__).parent / "fixtures"


@dataclass
class Hit:
    lat: float
    lon: float
    precision: str
    timezone: str | None


def fake_geocode(text: str) -> Hit | None:
    """A tiny gazetteer: the tests must not depend on the real one's data."""
    if "Lansdale" in text:
        return Hit(40.2415, -75.2838, "postal_code", "America/New_York")
    return None


def fake_zone(lat: float, lon: float) -> str | None:
    return "America/New_York" if -90 < lon < -66 else None


RESOLVER = r.Resolver(geocode=fake_geocode, timezone_at=fake_zone)


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


BMLT_ROOT = "/bmlt/client_interface/json/"
SPOTS = {
    "a": (39.9487, -75.1685), "b": (40.0107, -75.0847), "c": (40.1215, -75.3433), "d": (40.2415, -75.2838),
    "e": (39.9000, -75.2000), "f": (39.9530, -75.1650), "g": (39.9600, -75.1700),
}


def bmlt_get(client, query: str, status: int = 200):
    response = client.get(f"{BMLT_ROOT}?{query}")
    assert response.status_code == status, response.data[:300]
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    return json.loads(response.data)


def bmlt_names(records) -> list[str]:
    return [r["meeting_name"] for r in records]


def assert_all_strings(value) -> None:
    if isinstance(value, dict):
        for v in value.values():
            assert_all_strings(v)
    elif isinstance(value, list):
        for v in value:
            assert_all_strings(v)
    else:
        assert isinstance(value, str), value


# --- nearby search (finder.search) ------------------------------------------------------------------------

def spherical_km(a, b):
    """Independent great-circle distance: the spherical law of cosines."""
    p1, p2, dl = math.radians(a[0]), math.radians(b[0]), math.radians(b[1] - a[1])
    c = math.sin(p1) * math.sin(p2) + math.cos(p1) * math.cos(p2) * math.cos(dl)
    return geo.EARTH_RADIUS_KM * math.acos(max(-1.0, min(1.0, c)))


def ids(hits):
    return [hit.meeting.id for hit in hits]
