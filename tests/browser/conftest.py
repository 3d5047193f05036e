"""Browser tests: one headless Chromium per session, driving a live server on 127.0.0.1 with a seeded SQLite DB."""
from __future__ import annotations

import datetime as dt
import shutil
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from werkzeug.serving import WSGIRequestHandler, make_server

from finder import create_app, db
from finder.web import site
from finder.geocode import get_geocoder
from finder.models import (
    Counselor, CounselorTerm, Format, Meeting, MeetingTime, Place, ServiceBody, Service, TreatmentCenter,
)
from tests.helpers import unavailable

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run",
]
AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
# WCAG 2.2 A and AA, as axe-core tags them.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
# A phone (iPhone SE-sized), the smallest common viewport after 320 px.
PHONE = {"width": 375, "height": 667}
# Center City Philadelphia: the seeded meetings sit around it; the browser "is" here when location is granted.
HOME = {"latitude": 39.9526, "longitude": -75.1652}
ZONE = ZoneInfo("America/New_York")


@dataclass(frozen=True)
class Live:
    """The running site: its base URL and the slugs seeded into it."""

    url: str
    app: Any
    meeting: str
    online_meeting: str
    center: str
    counselor: str


def _seed(app: Any) -> dict[str, str]:
    """A small, realistic data set around Philadelphia, with times relative to the real clock."""
    session = db.session_factory(app)()
    formats = {f.code: f for f in session.scalars(select(Format))}
    services = {s.code: s for s in session.scalars(select(Service))}
    terms = {(t.kind, t.code): t for t in session.scalars(select(CounselorTerm))}
    local = dt.datetime.now(ZONE)
    soon = (local + dt.timedelta(minutes=25)).replace(second=0, microsecond=0)
    later = (local + dt.timedelta(minutes=95)).replace(second=0, microsecond=0)
    area = ServiceBody(kind="area", name="Greater Philadelphia Area", helpline="+1 215-555-0123")
    church = Place(name="St. Mark's Church", street="1625 Locust St", city="Philadelphia", region="PA",
                   postal_code="19103", latitude=39.9487, longitude=-75.1685, timezone="America/New_York",
                   notes="Side door, down the stairs.")
    hall = Place(name="Community Hall", street="700 Spring Garden St", city="Philadelphia", region="PA",
                 postal_code="19123", latitude=39.9617, longitude=-75.1497, timezone="America/New_York")
    denver = Place(name="", city="Denver", region="CO", latitude=39.7392, longitude=-104.9903,
                   timezone="America/Denver", precision="city")

    def meeting(slug: str, name: str, place: Place, times: list[tuple[int, dt.time, int]], codes: list[str],
                **columns: Any) -> Meeting:
        m = Meeting(slug=slug, name=name, place=place, service_body=area, **columns)
        m.times = [MeetingTime(weekday=w, start=t, duration_minutes=d) for w, t, d in times]
        m.formats = [formats[c] for c in codes]
        return m

    session.add_all([
        meeting("clean-and-serene", "Clean and Serene", church, [(soon.weekday(), soon.time(), 60), (5, dt.time(10), 90)],
                ["O", "BEG", "DISC", "WCHR"], attendance="hybrid", conference_url="https://meet.example.org/j/1953",
                conference_notes="Passcode: serenity", phone="+1 646 555 0100,,1953#"),
        meeting("just-for-today", "Just for Today Group", church, [(0, dt.time(12), 60), (3, dt.time(12), 60)],
                ["C", "JFT"]),
        meeting("spring-garden-step", "Spring Garden Step Study", hall, [(later.weekday(), later.time(), 60)],
                ["C", "STEP", "ES"], language="es"),
        meeting("mile-high-online", "Mile High Online", denver, [(soon.weekday(), (soon - dt.timedelta(minutes=5)).time(), 60)],
                ["O", "SPK"], attendance="online", conference_url="https://meet.example.org/j/303"),
    ])
    center = TreatmentCenter(slug="hope-recovery", name="Hope Recovery Center", name2="Detox and outpatient",
                             place=Place(street="100 Market St", city="Philadelphia", region="PA",
                                         postal_code="19106", latitude=39.9500, longitude=-75.1450,
                                         timezone="America/New_York"),
                             phone="215-555-0100", intake_phone="215-555-0199", website="https://hope.example.org")
    center.services = [services[c] for c in ("DT", "OP", "BU", "METH", "A2", "MD", "SS", "SP")]
    counselor = Counselor(slug="alex-rivera", name="Alex Rivera", credentials="LADC, LPC", license_number="LPC-1234",
                          license_state="PA", phone="215-555-0111", website="https://alex.example.org",
                          contact_public=True, telehealth=True, accepting="yes", fees="$80 a session",
                          sliding_scale=True)
    counselor.terms = [terms[("approach", "psychodynamic")], terms[("approach", "mi")], terms[("format", "individual")]]
    counselor.offices = [Place(street="200 Walnut St", city="Philadelphia", region="PA", postal_code="19106",
                               latitude=39.9470, longitude=-75.1460, timezone="America/New_York")]
    session.add_all([center, counselor])
    session.commit()
    session.close()
    return {"meeting": "clean-and-serene", "online_meeting": "mile-high-online", "center": "hope-recovery",
            "counselor": "alex-rivera"}


class _QuietHandler(WSGIRequestHandler):
    """No access log: test output stays readable (and URLs may carry a test location)."""

    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass


@pytest.fixture(scope="session")
def live(sqlite_template: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """The app served by werkzeug in a thread on 127.0.0.1, on its own seeded SQLite copy."""
    path = tmp_path_factory.mktemp("live") / "live.sqlite3"
    shutil.copy(sqlite_template, path)
    site.forget_demo_state()
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{path}", "SECRET_KEY": "browser-tests"})
    slugs = _seed(app)
    # Build the gazetteer's indexes now, world cities too (a production worker warms at start), so no page load
    # pays for it: on a busy machine the first world lookup took longer than a page's 10 s timeout.
    get_geocoder(app).warm()
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield Live(url=f"http://127.0.0.1:{server.server_port}", app=app, **slugs)
    server.shutdown()
    thread.join(timeout=5)
    db.dispose_engines(app)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One Chromium for the whole session; each test opens its own context."""
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:  # pragma: no cover - depends on the machine
        unavailable("Playwright for Python is not installed")
    if not Path(CHROMIUM).exists():
        unavailable(f"Chromium not found at {CHROMIUM} (install Debian's chromium)")
    with sync_playwright() as playwright:
        try:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        except Error as exc:
            unavailable(f"Chromium would not start: {str(exc).splitlines()[0]}")
        yield chromium
        chromium.close()


@pytest.fixture
def new_page(browser: Any) -> Iterator[Callable[..., Any]]:
    """new_page(**context_options): a page at a phone viewport in a fresh context (closed after the test)."""
    contexts: list[Any] = []

    def open_page(**options: Any) -> Any:
        options.setdefault("viewport", PHONE)
        options.setdefault("locale", "en-US")
        options.setdefault("timezone_id", "America/New_York")
        context = browser.new_context(**options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Run axe-core (test-only copy) in the page for WCAG 2.2 A/AA; the violations, shortened for messages."""
    # Served as a same-origin file through an intercepted route, so the site's CSP (script-src 'self') lets
    # it run without weakening the policy under test.
    axe_url = page.url.split("/", 3)[:3]
    axe_url = "/".join(axe_url) + "/__test__/axe.min.js"
    page.route(axe_url, lambda route: route.fulfill(body=AXE.read_text(encoding="utf-8"),
                                                     content_type="application/javascript"))
    page.add_script_tag(url=axe_url)
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})", AXE_TAGS
    )
    return [
        {"id": v["id"], "impact": v["impact"], "help": v["help"],
         "targets": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
    ]


def horizontal_overflow(page: Any) -> int:
    """How many CSS pixels the page is wider than the viewport (0 = no horizontal scrolling)."""
    return int(page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth"))


@pytest.fixture
def form_server(sqlite_app: Any) -> Iterator[tuple[str, Any]]:
    """The app on 127.0.0.1 in a thread, its own empty database, places found by a small fake geocoder."""
    sqlite_app.extensions["finder.geocoder"] = SimpleNamespace(geocode=lambda text: SimpleNamespace(
        lat=39.9524, lon=-75.1636, label="Philadelphia, PA", precision="postal_code", timezone="America/New_York"
    ) if "19103" in text or "philadelphia" in text.lower() else None)
    sqlite_app.extensions["finder.timezone_at"] = lambda lat, lon: "America/New_York"
    server = make_server("127.0.0.1", 0, sqlite_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", sqlite_app
    server.shutdown()
    thread.join(timeout=5)
