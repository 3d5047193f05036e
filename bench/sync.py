"""Benchmark of a BMLT sync: 5,000 meetings from a root server on loopback, then the same with 1 % changed.

Run from the repository root:

    .venv/bin/python bench/sync.py --meetings 5000 --changed 0.01 --backends sqlite postgresql

The root server is the test suite's loopback server (tests/bmlt_root.py) answering real-shaped JSON: one row
per weekday, a fifth of the meetings on two or three days. Each run is timed whole, as `flask sync-bmlt` does it:
fetch over HTTP (through finder.outbound), parse, compare, write, commit. Runs, in order: the first sync into an
empty database (everything added), a second with nothing changed (nothing written), then one with `--changed`
of the meetings changed at the source (a third renamed, a third moved to another time, a third gone, and as
many new ones). The database is a fresh SQLite file or a fresh PostgreSQL database `finder_bench_sync`.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from flask import Flask  # noqa: E402

from finder import create_app, db, migrate, outbound  # noqa: E402
from finder.imports import sync, writer as r  # noqa: E402

from benchdb import postgres_database  # noqa: E402  (bench/ is the script's directory)
from bmlt_root import RootServer, row, running  # noqa: E402  (the tests' loopback root server)

NOW = dt.datetime(2026, 11, 25, 17, 0, tzinfo=dt.timezone.utc)
RESOLVER = r.Resolver(geocode=lambda text: None, timezone_at=lambda lat, lon: "America/New_York")


def source_rows(meetings: int, rng: random.Random) -> list[dict[str, str]]:
    """BMLT rows for `meetings` meetings in two areas of one region, 20 % of them on two or three weekdays."""
    rows = []
    next_id = 10_000
    for number in range(meetings):
        days = rng.sample(range(1, 8), rng.choice([2, 3])) if rng.random() < 0.2 else [rng.randint(1, 7)]
        lat, lon = 39.9 + rng.random() * 0.4, -75.4 + rng.random() * 0.4
        fields = dict(service_body_bigint=rng.choice(["12", "13"]), latitude=f"{lat:.6f}", longitude=f"{lon:.6f}",
                      location_street=f"{rng.randint(1, 9999)} Main St", location_text=f"Hall {number}",
                      formats=rng.choice(["O,D", "C,St", "O,BT,WC", "C,D,ES"]))
        start = f"{rng.randint(6, 21):02d}:{rng.choice(['00', '30'])}:00"
        for day in sorted(days):
            rows.append(row(next_id, f"Meeting {number}", day, start, **fields))
            next_id += 1
    return rows


def change(rows: list[dict[str, str]], share: float, rng: random.Random) -> list[dict[str, str]]:
    """The same rows with `share` of the meetings changed: renamed, moved, removed, and as many added."""
    names = sorted({m["meeting_name"] for m in rows})
    picked = rng.sample(names, max(3, round(len(names) * share)))
    renamed, moved, removed = (set(picked[i::3]) for i in range(3))
    out = []
    for m in rows:
        if m["meeting_name"] in removed:
            continue
        m = dict(m)
        if m["meeting_name"] in renamed:
            m["meeting_name"] += " (new name)"
        if m["meeting_name"] in moved:
            m["start_time"] = "22:00:00"
        out.append(m)
    top = max(int(m["id_bigint"]) for m in rows)
    out += [row(top + 1 + i, f"New meeting {i}", 1 + i % 7, "18:00:00") for i in range(len(removed))]
    return out


def run(app: Flask, root: str) -> tuple[float, sync.SyncReport]:
    """One sync as the command runs it, in the app's session (content changes bump the data version)."""
    session = db.session_factory(app)()
    fetch = sync.url_fetch(outbound.Fetcher(allow_loopback=True), max_bytes=200 * 1024 * 1024, timeout=300)
    started = time.perf_counter()
    snapshot = sync.fetch_bmlt(fetch, root)
    source = sync.source_row(session, "bmlt", snapshot.url)
    report = sync.apply(session, snapshot, source, now=NOW, resolver=RESOLVER)
    session.commit()
    elapsed = time.perf_counter() - started
    session.close()
    return elapsed, report


def database(backend: str, workdir: Path) -> str:
    url = (f"sqlite:///{workdir / 'sync.sqlite3'}" if backend == "sqlite"
           else postgres_database("finder_bench_sync", rebuild=True))
    engine = db.make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    return url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--meetings", type=int, default=5000)
    parser.add_argument("--changed", type=float, default=0.01)
    parser.add_argument("--backends", nargs="+", choices=["sqlite", "postgresql"], default=["sqlite"])
    parser.add_argument("--seed", type=int, default=1953)
    args = parser.parse_args()
    print(f"# load: {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs", flush=True)
    print("| backend | run | source rows | added | changed | unpublished | unchanged | seconds |")
    print("|---|---|---:|---:|---:|---:|---:|---:|", flush=True)
    for backend in args.backends:
        rng = random.Random(args.seed)
        first = source_rows(args.meetings, rng)
        later = change(first, args.changed, rng)
        with tempfile.TemporaryDirectory() as tmp, running(RootServer(meetings=first)) as server:
            app = create_app({"DATABASE_URL": database(backend, Path(tmp)), "SECRET_KEY": "bench"})
            for label, rows in (("first sync", first), ("nothing changed", first),
                                (f"{args.changed:.0%} changed", later)):
                server.meetings = rows
                seconds, report = run(app, server.url)
                c = report.counts()
                print(f"| {backend} | {label} | {len(rows):,} | {c['added']:,} | {c['updated']:,} | "
                      f"{c['unpublished']:,} | {c['unchanged']:,} | {seconds:.2f} |", flush=True)
            db.dispose_engines(app)


if __name__ == "__main__":
    main()
