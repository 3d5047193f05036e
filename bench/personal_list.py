"""Benchmark: a 100-meeting personal calendar list's feed, built uncached and answered 304.

Run from the repository root:  .venv/bin/python bench/personal_list.py            (SQLite)
                               .venv/bin/python bench/personal_list.py --postgres (local PostgreSQL, see benchdb)
The meetings are bench/ical.py's (1-3 weekly times, 10 zones, formats, some online, some cancellations) among
1,000 in the database; the list holds 100 of them, spread over the table.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select  # noqa: E402

from bench.benchdb import postgres_database  # noqa: E402
from bench.ical import populate, report, timed  # noqa: E402
from finder import create_app, db, migrate  # noqa: E402
from finder.calendars import personal  # noqa: E402
from finder.calendars.feed_cache import feed_cache  # noqa: E402
from finder.models import Meeting  # noqa: E402

UTC = dt.timezone.utc
IN_DATABASE = 1_000
ON_LIST = 100


def bench(url: str, label: str) -> None:
    engine = db.make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "bench", "PUBLIC_URL": "https://finder.example"})
    session = db.session_factory(app)()
    print(f"{label}: {IN_DATABASE:,} meetings, a list of {ON_LIST}: populating ...", flush=True)
    populate(session, IN_DATABASE)
    ids = list(session.scalars(select(Meeting.id).order_by(Meeting.id)))[:: IN_DATABASE // ON_LIST][:ON_LIST]
    made = personal.create_list(session, ids, dt.datetime.now(UTC))
    session.commit()
    path = f"/calendars/my/{made.row.public_id}.ics"
    client = app.test_client()
    body = client.get(path).get_data()
    print(f"  feed: {len(body) / 1024:,.0f} KiB, {body.count(b'BEGIN:VEVENT'):,} events "
          f"({body.count(b'RECURRENCE-ID'):,} cancelled weeks)", flush=True)

    def uncached() -> None:
        with app.app_context():
            feed_cache().clear()
        assert client.get(path).status_code == 200

    def uncached_with_alarm() -> None:
        with app.app_context():
            feed_cache().clear()
        assert client.get(path + "?alarm=15").status_code == 200

    report("GET list feed, uncached (list row + query + build + hash)", timed(uncached, 15))
    report("GET list feed with ?alarm=15, uncached", timed(uncached_with_alarm, 15))
    etag = client.get(path).headers["ETag"]

    def conditional() -> None:
        assert client.get(path, headers={"If-None-Match": etag}).status_code == 304

    report("GET If-None-Match -> 304 (list row read, feed cached)", timed(conditional, 300))
    versions = app.extensions["finder.feed_cache"].version

    def conditional_checked() -> None:
        versions.forget()  # the data-version query too, as when CHECK_SECONDS has passed
        conditional()

    report("GET If-None-Match -> 304 (with data-version check)", timed(conditional_checked, 300))
    session.close()
    db.dispose_engines(app)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", action="store_true", help="run on the local PostgreSQL server")
    args = parser.parse_args()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average {load:.1f}", flush=True)
    if args.postgres:
        bench(postgres_database("finder_bench_personal_list", rebuild=True), "PostgreSQL")
        return
    with tempfile.TemporaryDirectory() as workdir:
        bench(f"sqlite:///{workdir}/bench-list.sqlite3", "SQLite")


if __name__ == "__main__":
    main()
