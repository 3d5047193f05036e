"""The demo dataset: size and shape, determinism, refusing a second run, the command line and the notice."""
from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import Counter
from typing import Any

import pytest
from sqlalchemy import func, inspect, select, text
from sqlalchemy.orm import Session, selectinload

from finder import cache, create_app, db, migrate
from finder.imports import demo
from finder.web import site
from finder.models import (
    PRECISIONS, Counselor, Meeting, Place, ScheduleException, ServiceBody, TreatmentCenter, get_setting,
)

SMALL = 300
ZONES = zoneinfo.available_timezones()
DIAL_CHARACTERS = set("+0123456789,*#")


def _counts(session: Session) -> dict[str, int]:
    return {
        model.__tablename__: session.scalar(select(func.count()).select_from(model)) or 0
        for model in (Place, ServiceBody, Meeting, ScheduleException, TreatmentCenter, Counselor)
    }


def _meetings(session: Session) -> list[Meeting]:
    return list(session.scalars(select(Meeting).order_by(Meeting.id).options(
        selectinload(Meeting.times), selectinload(Meeting.formats), selectinload(Meeting.exceptions),
        selectinload(Meeting.place), selectinload(Meeting.group), selectinload(Meeting.service_body),
    )))


def _fresh_sqlite_engine(template: str, path: Any) -> Any:
    import shutil

    shutil.copy(template, path)
    return db.make_engine(f"sqlite:///{path}")


def _fingerprint(connection_or_session: Any) -> list[tuple[Any, ...]]:
    rows = connection_or_session.execute(
        select(Meeting.slug, Meeting.name, Place.latitude, Place.longitude, Place.timezone)
        .join(Place, Meeting.place_id == Place.id).order_by(Meeting.id)
    ).all()
    return [tuple(row) for row in rows]


def _local_today(zone: str, now: dt.datetime) -> dt.date:
    return now.astimezone(zoneinfo.ZoneInfo(zone)).date()


def test_demo_dataset_has_the_promised_shape(session: Session, now: dt.datetime) -> None:
    report = demo.seed_demo(session, size=SMALL, rng_seed=7, now=now)
    session.commit()

    assert "\n" not in report and f"{SMALL:,} meetings" in report
    assert get_setting(session, "demo_loaded") == "1"
    meetings = _meetings(session)
    assert len(meetings) == SMALL
    assert len({m.slug for m in meetings}) == SMALL

    places = session.scalars(select(Place)).all()
    assert places and all(p.is_demo for p in places)
    for place in places:
        assert place.timezone in ZONES, place.timezone
        zoneinfo.ZoneInfo(place.timezone)
        assert -90 <= place.latitude <= 90 and -180 <= place.longitude <= 180
        assert place.precision in PRECISIONS
        assert place.city and len(place.country) == 2

    for meeting in meetings:
        assert meeting.is_demo and meeting.published
        assert meeting.times, meeting.slug
        assert len({"O", "C"} & set(meeting.format_codes)) == 1, meeting.format_codes
        assert not {"VM", "HYBR", "TC"} & set(meeting.format_codes)  # derived from attendance, never stored
        for weekly in meeting.times:
            assert 0 <= weekly.weekday <= 6 and isinstance(weekly.start, dt.time)
            assert 1 <= weekly.duration_minutes <= 1440
        assert meeting.created_at.tzinfo is not None and meeting.created_at <= now
        group, area = meeting.group, meeting.service_body
        assert group is not None and group.kind == "group" and group.parent_id == area.id
        assert area.kind == "area" and area.helpline
        assert area.parent.kind == "region" and area.parent.parent.kind == "zone"

    by_attendance = Counter(m.attendance for m in meetings)
    assert by_attendance["online"] >= 5 and by_attendance["hybrid"] >= 5 and by_attendance["in_person"] > SMALL / 2
    for meeting in meetings:
        if meeting.attendance == "online":
            assert meeting.place.precision == "city" and meeting.place.street == "" and meeting.place.name == ""
        else:
            assert meeting.place.precision == "rooftop" and meeting.place.name
        if meeting.attendance != "in_person":
            assert meeting.conference_url.startswith(("https://zoom.us/j/", "https://meet.google.com/",
                                                      "https://meet.jit.si/"))
            assert set(meeting.phone) <= DIAL_CHARACTERS
    zoom = [m for m in meetings if m.conference_url.startswith("https://zoom.us/j/")]
    assert zoom and all(m.conference_url.rsplit("/", 1)[1].isdigit() for m in zoom)
    assert any("asscode" in m.conference_notes or "assword" in m.conference_notes for m in zoom)

    past_midnight = [m for m in meetings if any(
        t.start.hour * 60 + t.start.minute + t.duration_minutes > 1440 for t in m.times)]
    assert len(past_midnight) >= 3
    assert any(len(m.times) > 1 for m in meetings)

    cancelled = [(m, e) for m in meetings for e in m.exceptions if e.kind == "cancelled"]
    assert len(cancelled) >= 3
    for meeting, exception in cancelled:
        today = _local_today(meeting.timezone, now)
        assert exception.start_date == exception.end_date
        assert today < exception.start_date <= today + dt.timedelta(weeks=6)
        assert exception.start_date.weekday() in {t.weekday for t in meeting.times}
    closed = [m for m in meetings if m.status == "temporarily_closed"]
    assert len(closed) >= 3
    for meeting in closed:
        today = _local_today(meeting.timezone, now)
        assert any(e.kind == "closed" and e.start_date <= today <= e.end_date for e in meeting.exceptions)
    assert any(m.status == "inactive" for m in meetings)

    spanish = [m for m in meetings if m.language == "es"]
    assert spanish and all("ES" in m.format_codes for m in spanish)
    assert {p.country for p in places} - {"US"}, "meetings outside the US"


def test_default_size_covers_the_metros_countries_and_directories(sqlite_app: Any, now: dt.datetime) -> None:
    with db.session_factory(sqlite_app)() as session:
        demo.seed_demo(session, size=demo.DEFAULT_SIZE, rng_seed=demo.DEFAULT_SEED, now=now)
        session.commit()
        counts = _counts(session)
        assert counts["meetings"] == 2000
        assert counts["treatment_centers"] >= 100 and counts["counselors"] >= 100
        zones = set(session.scalars(select(Place.timezone).distinct()))
        assert {"America/New_York", "America/Chicago", "America/Denver", "America/Phoenix", "America/Los_Angeles",
                "Pacific/Honolulu", "Europe/London", "Australia/Sydney", "Asia/Kolkata"} <= zones
        countries = set(session.scalars(select(Place.country).distinct()))
        assert "US" in countries and len(countries - {"US"}) >= 3
        cities = set(session.scalars(select(Place.city).where(Place.country == "US").distinct()))
        assert {"Philadelphia", "Chicago", "Houston", "Phoenix", "Denver", "Seattle", "Atlanta", "Miami",
                "Boston", "Honolulu"} <= cities
        slugs = session.scalars(select(TreatmentCenter.slug)).all() + session.scalars(select(Counselor.slug)).all()
        assert len(slugs) == len(set(slugs))
        assert session.scalar(select(func.count()).select_from(Place).where(Place.is_demo.is_(False))) == 0
        assert session.scalar(select(func.count()).select_from(ServiceBody).where(
            ServiceBody.is_demo.is_(False))) == 0


def test_treatment_centers_and_counselors_look_real(session: Session, now: dt.datetime) -> None:
    demo.seed_demo(session, size=SMALL, rng_seed=11, now=now)
    session.commit()
    centers = session.scalars(select(TreatmentCenter).options(
        selectinload(TreatmentCenter.services), selectinload(TreatmentCenter.place))).all()
    assert len(centers) >= 100 and all(c.is_demo and c.place.is_demo for c in centers)
    detox = [c.service_codes for c in centers if "DT" in c.service_codes]
    assert detox and all(codes & {"METH", "BU", "A2"} for codes in detox)
    assert any({"METH", "OTP"} <= c.service_codes for c in centers)
    assert any("OP" in c.service_codes and c.service_codes & {"BU", "NU"} for c in centers)
    assert any("RES" in c.service_codes for c in centers)
    assert any("SP" in c.service_codes for c in centers) and any("MD" in c.service_codes for c in centers)
    for center in centers:
        assert center.service_codes & {"PI", "MD", "MC", "SS", "NP", "SF", "MI"}, center.name
        assert center.website.startswith("https://example.org/")

    counselors = session.scalars(select(Counselor).options(
        selectinload(Counselor.terms), selectinload(Counselor.offices))).all()
    assert len(counselors) >= 100
    known = {"LADC", "CADC", "CAC", "LCADC", "CASAC", "NCAC", "MAC", "LPC", "LCSW", "LMFT", "PsyD", "PhD", "MD"}
    for counselor in counselors:
        assert set(counselor.credentials.split(", ")) <= known
        assert 1 <= len(counselor.offices) <= 3 and all(o.is_demo for o in counselor.offices)
        assert counselor.terms_of("approach") and counselor.accepting in {"yes", "no", "waitlist"}
        assert counselor.telehealth or counselor.in_person
        assert counselor.email.endswith("@example.com")
    assert any(t.code == "psychodynamic" for c in counselors for t in c.terms)
    assert {c.accepting for c in counselors} == {"yes", "no", "waitlist"}
    assert sum(c.contact_public for c in counselors) < len(counselors) / 3
    assert any(c.telehealth for c in counselors) and any(not c.telehealth for c in counselors)


def test_same_seed_gives_the_same_data_on_a_fresh_database(
    session: Session, now: dt.datetime, sqlite_template: str, tmp_path: Any
) -> None:
    demo.seed_demo(session, size=SMALL, rng_seed=42, now=now)
    session.commit()
    first = _fingerprint(session)

    engine = _fresh_sqlite_engine(sqlite_template, tmp_path / "again.sqlite3")
    demo.build_large(engine, SMALL, 42, now)
    with engine.connect() as connection:
        assert _fingerprint(connection) == first
    engine.dispose()


def test_another_seed_gives_other_data(sqlite_template: str, tmp_path: Any, now: dt.datetime) -> None:
    fingerprints = []
    for rng_seed in (42, 43):
        engine = _fresh_sqlite_engine(sqlite_template, tmp_path / f"seed{rng_seed}.sqlite3")
        demo.build_large(engine, 40, rng_seed, now)
        with engine.connect() as connection:
            fingerprints.append(_fingerprint(connection))
        engine.dispose()
    assert fingerprints[0] != fingerprints[1]


def test_a_second_run_refuses_and_changes_nothing(session: Session, now: dt.datetime, make_place: Any) -> None:
    demo.seed_demo(session, size=SMALL, rng_seed=1, now=now)
    session.commit()
    before = _counts(session)
    with pytest.raises(demo.AlreadySeeded, match="already loaded; nothing was changed"):
        demo.seed_demo(session, size=SMALL, rng_seed=1, now=now)
    session.rollback()
    assert _counts(session) == before
    # Ids were assigned by the bulk load: ordinary inserts afterwards must not collide with them.
    assert make_place().id > max(session.scalars(select(Place.id).where(Place.is_demo.is_(True))))


def test_demo_rows_without_the_flag_still_count_as_loaded(session: Session, now: dt.datetime,
                                                           make_meeting: Any) -> None:
    make_meeting(is_demo=True)
    with pytest.raises(demo.AlreadySeeded):
        demo.seed_demo(session, size=SMALL, rng_seed=1, now=now)


def test_seed_demo_leaves_the_commit_to_the_caller(session: Session, now: dt.datetime) -> None:
    demo.seed_demo(session, size=SMALL, rng_seed=1, now=now)
    session.rollback()
    assert _counts(session)["meetings"] == 0
    assert get_setting(session, "demo_loaded") is None


def test_seeding_moves_the_data_version(session: Session, now: dt.datetime) -> None:
    """The bulk load bypasses the session's change tracking, so it says itself that the data changed."""
    assert cache.data_version_and_time(session) == ("0", None)
    demo.seed_demo(session, size=SMALL, rng_seed=1, now=now)
    session.commit()
    version, changed_at = cache.data_version_and_time(session)
    assert version == "1" and changed_at is not None


def test_the_world_spread_used_for_benchmarks(sqlite_template: str, tmp_path: Any, now: dt.datetime,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(demo, "CURATED_LIMIT", 50)
    engine = _fresh_sqlite_engine(sqlite_template, tmp_path / "world.sqlite3")
    stats = demo.build_large(engine, 400, 5, now)
    assert stats.count("meetings") == 400 and len(stats.countries) > 12
    with engine.connect() as connection:
        places = connection.execute(select(Place.latitude, Place.longitude, Place.timezone, Place.country)).all()
        slugs = connection.scalars(select(Meeting.slug)).all()
    assert all(-90 <= lat <= 90 and -180 <= lon <= 180 and zone in ZONES for lat, lon, zone, _ in places)
    assert len(slugs) == len(set(slugs)) == 400
    site.forget_demo_state()
    assert site.demo_loaded(engine), "a benchmark database served as a site still shows the demo notice"
    engine.dispose()


@pytest.mark.parametrize("bad", [{"n_meetings": 0}, {"now": dt.datetime(2026, 11, 25, 12, 0)}])
def test_build_large_rejects_bad_arguments(sqlite_app: Any, bad: dict[str, Any]) -> None:
    arguments: dict[str, Any] = {"n_meetings": 10, "rng_seed": 1,
                                 "now": dt.datetime(2026, 11, 25, 17, 0, tzinfo=dt.timezone.utc)}
    arguments.update(bad)
    with pytest.raises(ValueError):
        demo.build_large(db.engine_for(sqlite_app), **arguments)


def test_the_command_run_twice_loads_once_and_explains_in_one_line(app: Any) -> None:
    runner = app.test_cli_runner()
    # `flask` pushes an app context for every command; the test runner leaves that to us.
    with app.app_context():
        first = runner.invoke(args=["seed-demo", "--size", str(SMALL), "--seed", "3"])
    assert first.exit_code == 0, first.output
    assert first.output.strip().startswith("loaded demo data:") and len(first.output.strip().splitlines()) == 1
    with db.session_factory(app)() as session:
        before = _counts(session)
    _assert_statistics_fresh(app)

    with app.app_context():
        second = runner.invoke(args=["seed-demo", "--size", str(SMALL), "--seed", "3"])
        again = runner.invoke(args=["seed-demo", "--if-missing"])
    assert second.exit_code != 0
    assert second.output.strip().splitlines() == ["Error: demo data is already loaded; nothing was changed"]
    assert "Traceback" not in second.output
    assert again.exit_code == 0 and again.output.strip() == "demo data already loaded"
    with db.session_factory(app)() as session:
        assert _counts(session) == before


def _assert_statistics_fresh(app: Any) -> None:
    """A bulk load leaves planner statistics (and on PostgreSQL a vacuumed table) behind it."""
    engine = db.engine_for(app)
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            vacuumed, analyzed = connection.execute(text(
                "SELECT last_vacuum, last_analyze FROM pg_stat_user_tables WHERE relname = 'meetings'")).one()
            assert vacuumed is not None and analyzed is not None
        else:
            tables = connection.execute(text("SELECT DISTINCT tbl FROM sqlite_stat1")).scalars().all()
            assert "meetings" in tables and "places" in tables


def test_the_command_on_an_unmigrated_database_says_so_in_one_line(tmp_path: Any) -> None:
    path = tmp_path / "empty.sqlite3"
    application = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{path}", "SECRET_KEY": "x"})
    with application.app_context():
        result = application.test_cli_runner().invoke(args=["seed-demo", "--size", "10"])
    assert result.exit_code != 0
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "db upgrade" in lines[0] and "Traceback" not in result.output
    engine = db.engine_for(application)
    assert not inspect(engine).has_table("meetings")
    assert migrate.schema_status(engine) != "current"
    engine.dispose()


def test_the_home_page_shows_the_demo_notice_after_seeding(sqlite_app: Any, now: dt.datetime) -> None:
    client = sqlite_app.test_client()
    assert b"Demo data, not real meetings" not in client.get("/").data
    with db.session_factory(sqlite_app)() as session:
        demo.seed_demo(session, size=SMALL, rng_seed=1, now=now)
        session.commit()
    site.forget_demo_state()
    page = client.get("/")
    assert page.status_code == 200 and b"Demo data, not real meetings" in page.data


def test_the_fast_sqlite_path_stores_what_sqlalchemy_would(sqlite_template: str, tmp_path: Any,
                                                           now: dt.datetime, monkeypatch: pytest.MonkeyPatch) -> None:
    """Times, dates and timestamps are compared as text on SQLite, so the raw executemany must match Core."""
    fast = _fresh_sqlite_engine(sqlite_template, tmp_path / "fast.sqlite3")
    demo.build_large(fast, 60, 9, now)
    monkeypatch.setattr(demo._BulkWriter, "_choose_writer", lambda self: self._insert_core)
    core = _fresh_sqlite_engine(sqlite_template, tmp_path / "core.sqlite3")
    demo.build_large(core, 60, 9, now)
    queries = ["SELECT * FROM meeting_times ORDER BY id", "SELECT * FROM meetings ORDER BY id",
               "SELECT * FROM schedule_exceptions ORDER BY id", "SELECT * FROM places ORDER BY id",
               "SELECT * FROM counselors ORDER BY id"]
    with fast.connect() as a, core.connect() as b:
        for query in queries:
            assert a.exec_driver_sql(query).all() == b.exec_driver_sql(query).all(), query
    fast.dispose()
    core.dispose()


def test_the_command_refuses_an_empty_size_without_a_traceback(sqlite_app: Any) -> None:
    with sqlite_app.app_context():
        result = sqlite_app.test_cli_runner().invoke(args=["seed-demo", "--size", "0"])
    assert result.exit_code == 2 and "Invalid value for '--size'" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
