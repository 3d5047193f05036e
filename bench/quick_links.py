"""The home page's quick links as searches, in-process: p50/p95 of find_nearby on bench/search.py's databases.

    .venv/bin/python bench/quick_links.py --sizes 100000 --backends sqlite --queries 100

(a) "Meetings starting soon near me": 25 mi around a point, starting within 120 min, soonest first.
(b) "Online meetings starting now": no place, online and hybrid meetings starting within 60 min, soonest first.
The databases are bench/search.py's (built there when missing); "Detox near me" searches treatment centers,
which those databases do not hold.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import search as bench  # noqa: E402  (bench/search.py: data, queries, timing)
from sqlalchemy.orm import Session  # noqa: E402

from finder.search import SearchQuery, find_nearby  # noqa: E402

SCENARIOS = {
    "soon_near": "(a) starting soon near me: 25 mi, within 120 min, soonest first",
    "online_now": "(b) online meetings starting now: no place, online + hybrid, within 60 min, soonest first",
}


def make_query(kind: str, q: dict) -> SearchQuery:
    if kind == "soon_near":
        return SearchQuery(point=q["point"], radius_km=bench.RADIUS_KM, starts_within=120, sort="next_start")
    return SearchQuery(include_online=True, attendance=frozenset({"online", "hybrid"}), starts_within=60,
                       sort="next_start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000])
    parser.add_argument("--backends", nargs="+", default=["sqlite"])
    parser.add_argument("--queries", type=int, default=100)
    args = parser.parse_args()
    for backend in args.backends:
        for n in args.sizes:
            engine, _ = bench.open_database(backend, n, rebuild=False)
            bench.prewarm(engine)
            for kind, label in SCENARIOS.items():
                walls, cpus, found = [], [], []
                with Session(engine) as session:
                    for q in bench.queries(seed=11, count=args.queries):
                        wall, cpu, results = bench.timed(lambda: find_nearby(session, make_query(kind, q), q["now"]))
                        walls.append(wall)
                        cpus.append(cpu)
                        found.append(results.total_meetings)
                # cpu: this process's CPU time (for SQLite the database's work too; for PostgreSQL not the server's);
                # it stays meaningful when other work shares the machine and the wall-clock figures grow.
                print(f"{n:,} {backend} {label}: p50 {statistics.median(walls):.1f} ms, "
                      f"p95 {bench.percentile(walls, 95):.1f} ms, cpu p50 {statistics.median(cpus):.1f} ms, "
                      f"found {statistics.mean(found):.0f} (mean) ({len(walls)} searches, "
                      f"load {os.getloadavg()[0]:.1f})", flush=True)
            engine.dispose()


if __name__ == "__main__":
    main()
