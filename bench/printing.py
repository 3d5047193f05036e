"""Benchmark of printed meeting lists: one service body holding N meetings, printed to PDF.

Run from the repository root:

    .venv/bin/python bench/printing.py --sizes 500 5000 [--processes N]

Each size is a SQLite database bench/data/printing_<n>.sqlite3, built once from the demo dataset
(finder.imports.demo.build_large: formats, online and hybrid meetings with links and dial-ins, cancelled weeks, closed
buildings, meetings past midnight) with every meeting moved under one area; --rebuild builds it again. Each size
runs in a fresh process, so its peak memory (ru_maxrss) is its own. Per size, median of --runs:

- prepare: the search (finder.search.find_nearby through the service-body tree) and the listing;
- render: the PDF (WeasyPrint layout, pikepdf composition), as service.render does on a cache miss, with a long
  list laid out in --processes parts at once (default: PRINT_PROCESSES's, one per core); CPU is given for this
  process and for the helper processes (read from /proc), and the helpers' peak RSS;
- GET: the whole request through the Flask test client with the response cache off, and a conditional GET
  answered 304 from the ETag (data version, options and date: no rendering).

The service's meeting limit (PRINT_MAX_MEETINGS) is lifted for prepare/render so larger lists can be timed; the
GET lines use the configured limit, so a list past it shows the refusal's cost instead.
"""
from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import io
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import pypdf
from flask import render_template
from sqlalchemy import create_engine, insert, select, update

from finder import create_app, db, migrate
from finder.core import print_options
from finder.geocode import get_geocoder
from finder.imports import demo
from finder.models import Meeting, ServiceBody
from finder.printing import engine, service

DATA = ROOT / "bench" / "data"
NOW = dt.datetime(2026, 11, 25, 17, 0, tzinfo=dt.UTC)


def database(size: int, rebuild: bool) -> tuple[str, int]:
    """The URL of a database whose one bench area holds `size` meetings, and that area's id."""
    DATA.mkdir(parents=True, exist_ok=True)
    path = DATA / f"printing_{size}.sqlite3"
    if rebuild and path.exists():
        path.unlink()
    url = f"sqlite:///{path}"
    engine = create_engine(url)
    migrate.upgrade(engine)
    with engine.begin() as conn:
        area = conn.execute(select(ServiceBody.id).where(ServiceBody.name == "Bench Area")).scalar()
        if area is None:
            started = time.perf_counter()
            stats = demo.build_large(conn, size, demo.DEFAULT_SEED, NOW)
            area = conn.execute(insert(ServiceBody).values(kind="area", name="Bench Area", helpline="(555) 555-0100")
                                .returning(ServiceBody.id)).scalar_one()
            conn.execute(update(Meeting).values(service_body_id=area))
            print(f"  built {size:,} meetings in {time.perf_counter() - started:.0f} s: {stats.summary()}", flush=True)
    engine.dispose()
    return url, area


def _median(samples: list[tuple[float, float]]) -> tuple[float, float]:
    return statistics.median(s[0] for s in samples), statistics.median(s[1] for s in samples)


def _timed(function, runs: int) -> tuple[tuple[float, float], object]:
    samples, result = [], None
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        result = function()
        samples.append((time.perf_counter() - wall, time.process_time() - cpu))
    return _median(samples), result


def _helpers() -> list[int]:
    executor = engine.POOL._executor
    return list(executor._processes) if executor is not None else []  # type: ignore[attr-defined]


def _proc(pid: int) -> tuple[float, float]:
    """(CPU seconds, peak RSS in MB) of a process, from /proc; zeros when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0, 0.0
    ticks = os.sysconf("SC_CLK_TCK")
    hwm = next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:")), 0)
    return (int(fields[11]) + int(fields[12])) / ticks, hwm / 1024


def helper_cpu() -> float:
    return sum(_proc(pid)[0] for pid in _helpers())


def one(size: int, runs: int, rebuild: bool, processes: int | None) -> None:
    url, area = database(size, rebuild)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "CACHE_TTL": 0, "TESTING": True,
                      **({"PRINT_PROCESSES": processes} if processes else {})})
    processes = service.processes(app.config.get("PRINT_PROCESSES"))
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with app.test_request_context("/"):
        session = db.get_session()
        options = print_options.parse_options({})

        def prepare() -> service.Prepared:
            return service.prepare(session, [("body", str(area))], options, NOW, geocoder=get_geocoder(app),
                                   base_url="https://meetings.example.org", version="1", limit=size)

        # Warm on an empty list: WeasyPrint's and Jinja's first use, fonts, the format vocabulary.
        empty = service.prepare(session, [("body", str(area))], options, NOW, geocoder=get_geocoder(app),
                                base_url="https://meetings.example.org", version="0", limit=size)
        service.render(dataclasses.replace(empty, listing=dataclasses.replace(empty.listing, sections=[], meetings=0)),
                       None, render_template)
        (prep_wall, prep_cpu), prepared = _timed(prepare, runs)
        # Once before timing: the helper processes start on the first long list (a forkserver, then the helpers).
        started = time.perf_counter()
        service.render(prepared, None, render_template, processes)
        first_wall = time.perf_counter() - started
        helpers_before = helper_cpu()
        (render_wall, render_cpu), pdf_bytes = _timed(
            lambda: service.render(prepared, None, render_template, processes), runs)
        helpers_cpu = (helper_cpu() - helpers_before) / runs
        session.close()
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    helper_rss = max((_proc(pid)[1] for pid in _helpers()), default=0.0)
    client = app.test_client()
    path = f"/print/meetings.pdf?body={area}"
    (get_wall, get_cpu), response = _timed(lambda: client.get(path), runs)
    etag = response.headers.get("ETag", "")
    (cond_wall, cond_cpu), conditional = _timed(lambda: client.get(path, headers={"If-None-Match": etag}), runs)
    pages = len(pypdf.PdfReader(io.BytesIO(pdf_bytes)).pages)
    entries = len(prepared.listing.entries)
    print(f"{size:>6,} meetings, {entries:,} weekly times, {pages} pages, {len(pdf_bytes) / 1024:,.0f} KB | "
          f"prepare {prep_wall * 1000:,.0f} ms (CPU {prep_cpu * 1000:,.0f}) | "
          f"render in {processes} process{'es' if processes > 1 else ''} {render_wall:,.2f} s (CPU {render_cpu:,.2f} "
          f"here + {helpers_cpu:,.2f} helpers; first render {first_wall:,.2f} s) | "
          f"peak RSS {rss_before / 1024:,.0f} -> {rss_after / 1024:,.0f} MB (helpers {helper_rss:,.0f} MB) | "
          f"GET {response.status_code} {get_wall:,.2f} s (CPU {get_cpu:,.2f}) | "
          f"304: {conditional.status_code} {cond_wall * 1000:,.1f} ms", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[500, 5000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--processes", type=int, default=0, help="PRINT_PROCESSES (default: one per core)")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        one(args.one, args.runs, args.rebuild, args.processes)
        return
    print(f"load average before: {os.getloadavg()[0]:.1f}", flush=True)
    for size in args.sizes:
        command = [sys.executable, __file__, "--one", str(size), "--runs", str(args.runs),
                   "--processes", str(args.processes)]
        subprocess.run(command + (["--rebuild"] if args.rebuild else []), check=True)
    print(f"load average after: {os.getloadavg()[0]:.1f}", flush=True)


if __name__ == "__main__":
    main()
