"""Benchmark of the whole-database answers: the Meeting Guide feed, BMLT GetSearchResults unfiltered, crouton's load.

Run from the repository root:

    .venv/bin/python bench/feeds.py --sizes 20000 100000 --backends sqlite postgresql

Data sets are the demo dataset (finder.imports.demo.build_large) built once into bench/data/feeds_<n>.sqlite3 (SQLite) and
databases `finder_bench_feeds_<n>` (PostgreSQL), then reused; pass --rebuild to rebuild. Every request goes
through the Flask test client with the response cache off (CACHE_TTL=0), so each timing is an uncached
answer: query, mapping and JSON (no gzip: the test client does not ask for it). `--tree DIR` times another
checkout's `finder` package on the same data (for before/after figures).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _tree_from_argv() -> Path:
    # The package must be chosen before anything imports it.
    if "--tree" in sys.argv:
        return Path(sys.argv[sys.argv.index("--tree") + 1]).resolve()
    return ROOT


sys.path.insert(0, str(_tree_from_argv()))

from sqlalchemy import create_engine, func, select

from finder import create_app, migrate
from finder.imports import demo
from finder.models import Meeting

from benchdb import postgres_database  # bench/ is the script's directory

DATA = ROOT / "bench" / "data"
NOW = dt.datetime(2026, 11, 25, 17, 0, tzinfo=dt.UTC)
BMLT = "/bmlt/client_interface/json/?switcher=GetSearchResults"


def database_url(backend: str, size: int, rebuild: bool) -> str:
    """The URL of a database holding `size` demo meetings, built if missing (or if `rebuild`)."""
    if backend == "sqlite":
        DATA.mkdir(parents=True, exist_ok=True)
        path = DATA / f"feeds_{size}.sqlite3"
        if rebuild and path.exists():
            path.unlink()
        url = f"sqlite:///{path}"
    else:
        url = postgres_database(f"finder_bench_feeds_{size}", rebuild=rebuild)
    engine = create_engine(url)
    migrate.upgrade(engine)
    with engine.connect() as conn:
        have = conn.execute(select(func.count()).select_from(Meeting)).scalar_one()
    if have != size:
        if have:
            raise SystemExit(f"{url} holds {have} meetings, not {size}: pass --rebuild")
        started = time.perf_counter()
        stats = demo.build_large(engine, size, demo.DEFAULT_SEED, NOW)
        print(f"  built {backend} {size:,} in {time.perf_counter() - started:.0f} s: {stats.summary()}", flush=True)
    engine.dispose()
    return url


def busiest_area(url: str) -> int:
    """The service body with the most meetings: crouton is usually set up for one area."""
    engine = create_engine(url)
    with engine.connect() as conn:
        body = conn.execute(select(Meeting.service_body_id).where(Meeting.service_body_id.is_not(None))
                            .group_by(Meeting.service_body_id).order_by(func.count().desc()).limit(1)).scalar_one()
    engine.dispose()
    return body


def time_requests(url: str, repeat: int) -> list[tuple[str, int, int, list[float]]]:
    """(label, meetings or records, bytes, seconds per run) for each answer."""
    app = create_app({"DATABASE_URL": url, "CACHE_TTL": 0, "SECRET_KEY": "bench", "TESTING": True,
                      "PUBLIC_URL": "https://na.example.org"})
    client = app.test_client()
    client.get(BMLT + "&meeting_ids[]=1")  # first request: connections, statement caches, zone data
    area = busiest_area(url)
    paths = [
        ("Meeting Guide feed", "/feeds/meeting-guide.json"),
        ("BMLT GetSearchResults, no filter", BMLT),
        (f"crouton load (services[]={area})",
         f"{BMLT}&get_used_formats&lang_enum=en&services[]={area}&sort_keys=start_time"),
    ]
    out = []
    for label, path in paths:
        runs = []
        for _ in range(repeat):
            started = time.perf_counter()
            response = client.get(path)
            runs.append(time.perf_counter() - started)
            if response.status_code != 200 or response.headers.get("X-Cache", "miss") != "miss":
                raise SystemExit(f"{path}: {response.status_code} {response.headers.get('X-Cache')}")
        body = response.get_json()
        count = len(body["meetings"]) if isinstance(body, dict) else len(body)
        out.append((label, count, len(response.data), runs))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[20000])
    parser.add_argument("--backends", nargs="+", choices=["sqlite", "postgresql"], default=["sqlite"])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--tree", help="time the finder package of another checkout (before/after figures)")
    args = parser.parse_args()
    print(f"# finder from {_tree_from_argv()}; load: {os.getloadavg()[0]:.1f} {os.getloadavg()[1]:.1f} "
          f"{os.getloadavg()[2]:.1f} on {os.cpu_count()} CPUs", flush=True)
    print("| backend | meetings | answer | items | MB | median s | best s |")
    print("|---|---:|---|---:|---:|---:|---:|", flush=True)
    for size in args.sizes:
        for backend in args.backends:
            url = database_url(backend, size, args.rebuild)
            for label, count, size_bytes, runs in time_requests(url, args.repeat):
                print(f"| {backend} | {size:,} | {label} | {count:,} | {size_bytes / 1e6:.1f} | "
                      f"{statistics.median(runs):.2f} | {min(runs):.2f} |", flush=True)


if __name__ == "__main__":
    main()
