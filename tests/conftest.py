"""Fixtures: an app per test on SQLite and on PostgreSQL, its client, a session and factories with defaults."""
from __future__ import annotations

import datetime as dt
import http.server
import itertools
import os
import re
import shutil
import threading
import uuid
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from sqlalchemy import create_engine, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from finder import create_app, db, migrate
from finder.admin import auth
from finder.web import site
from tests.helpers import FIXTURES, SPOTS, CommittingClient, FakeGeocoder, unavailable
from finder.models import (
    Counselor, CounselorTerm, Format, Meeting, MeetingTime, Place, ScheduleException, Service, ServiceBody,
    TreatmentCenter,
)

PG_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
TRANSLATIONS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "finder", "translations")
# Vocabulary tables are seeded by the first migration and kept between tests.
KEEP_TABLES = {"formats", "services", "counselor_terms", "alembic_version"}


@pytest.fixture(scope="session", autouse=True)
def compiled_catalogs() -> None:
    """The compiled catalogs bin/setup builds (they are not committed), rebuilt when a .po is newer, so a test run
    reads the catalogs as they are in this checkout. Each worker writes its own file and renames it into place."""
    for language in os.listdir(TRANSLATIONS):
        po = os.path.join(TRANSLATIONS, language, "LC_MESSAGES", "messages.po")
        if not os.path.exists(po):
            continue
        mo = po[:-3] + ".mo"
        if os.path.exists(mo) and os.path.getmtime(mo) >= os.path.getmtime(po):
            continue
        with open(po, "rb") as handle:
            catalog = read_po(handle, locale=language)
        partial = f"{mo}.{os.getpid()}"
        with open(partial, "wb") as handle:
            write_mo(handle, catalog)
        os.replace(partial, mo)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    engine = db.make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    engine.dispose()
    return str(path)


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test run, migrated once and dropped at the end."""
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"finder_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as exc:
        admin.dispose()
        unavailable(f"PostgreSQL not reachable at {PG_ADMIN_URL}: {str(exc.orig).strip().splitlines()[0]}")
    url = admin.url.set(database=name).render_as_string(hide_password=False)
    engine = db.make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    yield url
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _truncate(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        # A response left unread can keep a connection idle in a transaction; it would block TRUNCATE.
        connection.execute(text(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ))
        tables = [t.name for t in db.Base.metadata.sorted_tables if t.name not in KEEP_TABLES]
        connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[str]:
    """Every test that asks for the database runs once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        path = tmp_path / "test.sqlite3"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    url = request.getfixturevalue("pg_url")
    yield url
    _truncate(url)


def _make_app(url: str) -> Any:
    site.forget_demo_state()
    return create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "test-secret", "SERVER_NAME": None})


@pytest.fixture
def app(database_url: str) -> Iterator[Any]:
    application = _make_app(database_url)
    yield application
    db.dispose_engines(application)


@pytest.fixture
def sqlite_app(sqlite_template: str, tmp_path: Any) -> Iterator[Any]:
    """For tests where the backend does not matter (pages without data, pure rendering)."""
    path = tmp_path / "test.sqlite3"
    shutil.copy(sqlite_template, path)
    application = _make_app(f"sqlite:///{path}")
    yield application
    db.dispose_engines(application)


@pytest.fixture
def client(app: Any) -> Any:
    return app.test_client()


@pytest.fixture
def runner(app: Any) -> Any:
    return app.test_cli_runner()


@pytest.fixture
def session(app: Any) -> Iterator[Session]:
    s = db.session_factory(app)()
    yield s
    s.close()


NOW = dt.datetime(2026, 11, 25, 17, 0, tzinfo=dt.timezone.utc)  # a Wednesday, noon in New York


@pytest.fixture
def now() -> dt.datetime:
    return NOW


_counter = itertools.count(1)


@pytest.fixture
def make_place(session: Session) -> Callable[..., Place]:
    def build(**overrides: Any) -> Place:
        values: dict[str, Any] = dict(
            name="St. Mark's Church", street="1625 Locust St", city="Philadelphia", region="PA",
            postal_code="19103", country="US", latitude=39.9487, longitude=-75.1685, precision="rooftop",
            timezone="America/New_York", notes="",
        )
        values.update(overrides)
        place = Place(**values)
        session.add(place)
        session.flush()
        return place

    return build


@pytest.fixture
def make_body(session: Session) -> Callable[..., ServiceBody]:
    def build(**overrides: Any) -> ServiceBody:
        values: dict[str, Any] = dict(kind="area", name=f"Area {next(_counter)}")
        values.update(overrides)
        body = ServiceBody(**values)
        session.add(body)
        session.flush()
        return body

    return build


def _formats(session: Session, codes: list[str]) -> list[Format]:
    found = session.scalars(select(Format).where(Format.code.in_(codes))).all()
    missing = set(codes) - {f.code for f in found}
    if missing:
        raise ValueError(f"unknown format codes {sorted(missing)}")
    return list(found)


@pytest.fixture
def make_meeting(session: Session, make_place: Callable[..., Place]) -> Callable[..., Meeting]:
    """make_meeting(times=[(weekday, "19:00", 60)], formats=["O", "DISC"], exceptions=[...], **columns)."""

    def build(**overrides: Any) -> Meeting:
        n = next(_counter)
        times = overrides.pop("times", [(2, "19:00", 60)])
        codes = overrides.pop("formats", ["O", "DISC"])
        exceptions = overrides.pop("exceptions", [])
        place = overrides.pop("place", None) or make_place(**overrides.pop("place_fields", {}))
        values: dict[str, Any] = dict(
            slug=f"meeting-{n}", name=f"Clean and Serene {n}", place=place, attendance="in_person",
            status="active", published=True,
        )
        values.update(overrides)
        meeting = Meeting(**values)
        meeting.times = [
            MeetingTime(weekday=w, start=dt.time.fromisoformat(s) if isinstance(s, str) else s, duration_minutes=d)
            for w, s, d in times
        ]
        meeting.formats = _formats(session, codes)
        meeting.exceptions = [ScheduleException(**e) for e in exceptions]
        session.add(meeting)
        session.flush()
        return meeting

    return build


@pytest.fixture
def make_center(session: Session, make_place: Callable[..., Place]) -> Callable[..., TreatmentCenter]:
    def build(**overrides: Any) -> TreatmentCenter:
        n = next(_counter)
        codes = overrides.pop("services", ["DT", "OP", "BU", "MD"])
        place = overrides.pop("place", None) or make_place(name="", **overrides.pop("place_fields", {}))
        values: dict[str, Any] = dict(slug=f"center-{n}", name=f"Recovery Center {n}", place=place,
                                      phone="215-555-0100")
        values.update(overrides)
        center = TreatmentCenter(**values)
        center.services = list(session.scalars(select(Service).where(Service.code.in_(codes))))
        session.add(center)
        session.flush()
        return center

    return build


@pytest.fixture
def make_counselor(session: Session, make_place: Callable[..., Place]) -> Callable[..., Counselor]:
    def build(**overrides: Any) -> Counselor:
        n = next(_counter)
        term_codes = overrides.pop("terms", [("approach", "psychodynamic"), ("format", "individual")])
        offices = overrides.pop("offices", None) or [make_place(name="", **overrides.pop("place_fields", {}))]
        values: dict[str, Any] = dict(slug=f"counselor-{n}", name=f"Alex Rivera {n}", credentials="LADC",
                                      telehealth=True, accepting="yes")
        values.update(overrides)
        counselor = Counselor(**values)
        counselor.terms = [
            session.scalars(select(CounselorTerm).where(CounselorTerm.kind == k, CounselorTerm.code == c)).one()
            for k, c in term_codes
        ]
        counselor.offices = offices
        session.add(counselor)
        session.flush()
        return counselor

    return build


@pytest.fixture
def pages(app: Any, session: Any, now: dt.datetime, monkeypatch: pytest.MonkeyPatch) -> CommittingClient:
    """A client whose clock reads `now` (Wednesday noon in New York) and whose geocoder is tests.helpers.FakeGeocoder."""
    monkeypatch.setattr("finder.search.views.utcnow", lambda: now)
    monkeypatch.setattr("finder.meetings.views.utcnow", lambda: now)
    app.extensions["finder.geocoder"] = FakeGeocoder()
    return CommittingClient(app, session)


@pytest.fixture
def cheap_password_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """scrypt takes about half a second here; tests that make accounts check roles and flows, not the hash's cost
    (test_auth checks the production method)."""
    monkeypatch.setattr(auth, "PASSWORD_METHOD", "pbkdf2:sha256:1000")


@pytest.fixture
def logged_in(app, client, session, now, monkeypatch):
    """login(role): an account of that role, logged in on `client`; returns the CSRF token of the imports page
    (cheap password hashes: the tests check the flow, not the hash)."""
    monkeypatch.setattr(auth, "PASSWORD_METHOD", "pbkdf2:sha256:1000")
    app.extensions["finder.timezone_at"] = lambda lat, lon: "America/New_York"

    def login(role: str):
        email = f"{role}@example.org"
        auth.create_user(session, email=email, password="correct horse battery", role=role, now=now)
        session.commit()
        html = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
        client.post("/login", data={"csrf_token": token, "email": email, "password": "correct horse battery"})
        page = client.get("/admin/imports/").get_data(as_text=True)  # the session's token rotates at login
        found = re.search(r'name="csrf_token" value="([^"]+)"', page)
        return found.group(1) if found else None

    return login


# The printed lists (tests/test_printing_*.py): imported here, at the end, to keep rebases of the imports easy.
from finder.clock import utcnow  # noqa: E402
from finder.core.schedule import first_on_or_after, zone_of  # noqa: E402

NY = "America/New_York"  # the printed lists' zone


@pytest.fixture
def area(session, make_body, make_meeting) -> dict[str, Any]:
    """A region with an area below it, and meetings of every kind a printed list must not lose."""
    region = make_body(kind="region", name="Delaware Valley Region", helpline="(215) 555-0142")
    child = make_body(kind="area", name="Center City Area", parent_id=region.id)
    other = make_body(kind="area", name="Elsewhere Area")
    today = utcnow().astimezone(zone_of(NY)).date()
    holiday = first_on_or_after(today + dt.timedelta(days=3), 3)  # a Thursday ahead
    make_meeting(name="Alpha Step", times=[(6, "19:00", 60)], formats=["O", "STEP", "WCHR"], service_body_id=region.id)
    make_meeting(name="Beta Speaker", times=[(0, "07:00", 60), (2, "19:30", 60)], formats=["C", "SPK"],
                 service_body_id=child.id)
    make_meeting(name="Night Owls", times=[(4, "23:30", 90)], formats=[], service_body_id=child.id)
    make_meeting(name="Closed Doors", times=[(1, "18:00", 60)], status="temporarily_closed", service_body_id=child.id)
    make_meeting(name="Holiday Group", times=[(3, "19:00", 60)], service_body_id=child.id,
                 exceptions=[{"kind": "cancelled", "start_date": holiday, "end_date": holiday, "reason": "Feast"}])
    make_meeting(name="Screen Time", times=[(5, "20:00", 60)], attendance="online", service_body_id=child.id,
                 conference_url="https://example.org/j/123", phone="+1 555 0100",
                 place_fields={"name": "", "street": ""})
    make_meeting(name="Both Ways", times=[(6, "10:00", 60)], attendance="hybrid", service_body_id=region.id,
                 conference_url="https://example.org/j/456")
    make_meeting(name="Not Ours", times=[(6, "12:00", 60)], service_body_id=other.id)
    make_meeting(name="Long Gone", times=[(6, "13:00", 60)], status="inactive", service_body_id=region.id)
    session.commit()
    return {"region": region, "child": child, "other": other, "holiday": holiday}


@pytest.fixture
def world(session, make_meeting, make_place, make_body):
    """The BMLT endpoint's meetings: at known spots (helpers.SPOTS), in a region, two areas and a group."""
    region = make_body(kind="region", name="Eastern PA Region")
    area1 = make_body(kind="area", name="Philadelphia Area", parent_id=region.id, helpline="215-555-0100")
    area2 = make_body(kind="area", name="Montgomery Area", parent_id=region.id)
    group = make_body(kind="group", name="Lunch Group", parent_id=area1.id, world_id="G00012345")

    def at(key: str, **fields):
        lat, lon = SPOTS[key]
        return make_place(latitude=lat, longitude=lon, **fields)

    m = {
        "a": make_meeting(slug="a", name="Alpha", place=at("a"), times=[(0, "19:00", 60)],
                          formats=["O", "DISC", "WCHR"], service_body_id=area1.id),
        "b": make_meeting(slug="b", name="Bravo", place=at("b"), times=[(4, "12:00", 60)], formats=["C", "STEP"],
                          service_body_id=area1.id, group_id=group.id, attendance="hybrid",
                          conference_url="https://zoom.us/j/1"),
        "c": make_meeting(slug="c", name="Charlie", place=at("c", street="", precision="city", city="Norristown"),
                          times=[(6, "20:00", 60)], formats=["O", "SPK", "ES"], service_body_id=area2.id,
                          attendance="online", conference_url="https://meet.google.com/x", language="es"),
        "d": make_meeting(slug="d", name="Delta", place=at("d", city="Lansdale"), times=[(5, "23:30", 90)],
                          formats=["C", "JFT"], service_body_id=area2.id, status="temporarily_closed"),
        "e": make_meeting(slug="e", name="Echo", place=at("e"), times=[(1, "07:00", 60), (3, "18:30", 60)],
                          formats=["O", "BT"], service_body_id=area1.id),
        "f": make_meeting(slug="f", name="Foxtrot draft", place=at("f"), published=False, service_body_id=area1.id),
        "g": make_meeting(slug="g", name="Golf unaffiliated", place=at("g")),
    }
    session.commit()
    return SimpleNamespace(meetings=m, region=region, area1=area1, area2=area2, group=group)


class _Handler(http.server.BaseHTTPRequestHandler):
    routes: dict[str, tuple[int, bytes]] = {}

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        status, body = self.routes.get(self.path, (404, b"not found"))
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        if self.path != "/unannounced":
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def local_server(monkeypatch) -> Iterator[str]:
    """A feed server on loopback for the import tests' URL sources (/feed.json, /big.json, /unannounced, /broken)."""
    from finder import outbound

    # The one test-only switch that lets the fetcher reach this machine's loopback server.
    monkeypatch.setattr(outbound, "default_fetcher", outbound.Fetcher(allow_loopback=True))
    feed = (FIXTURES / "meeting_guide.json").read_bytes()
    _Handler.routes = {"/feed.json": (200, feed), "/big.json": (200, b"[" + b" " * 5000 + b"]"),
                       "/unannounced": (200, b"[" + b" " * 5000 + b"]"), "/broken": (500, b"oops")}
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()


# The nearby search (tests/test_search_*.py).
@pytest.fixture
def at(make_place):
    """at(lat, lon, **place fields) -> a place there."""

    def build(lat, lon, **fields):
        fields.setdefault("timezone", "America/New_York")
        return make_place(latitude=lat, longitude=lon, **fields)

    return build
