"""Benchmark: building iCalendar feeds of 1,000 and 10,000 meetings, and answering a conditional request with 304.

Run from the repository root:  python bench/ical.py            (add --quick for 1,000 only)
Targets (issue 4): a 1,000-meeting feed built uncached in <= 150 ms; a 304 in <= 5 ms.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select  # noqa: E402

from finder import create_app, db, migrate  # noqa: E402
from finder.core import ical
from finder.models import Format, Meeting, MeetingTime, Place, ScheduleException, ServiceBody  # noqa: E402
from finder.calendars import feed_cache, feeds  # noqa: E402

UTC = dt.timezone.utc
ZONES = ["America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles", "America/Phoenix",
         "Europe/London", "Europe/Berlin", "Australia/Sydney", "Asia/Kolkata", "Asia/Tokyo"]


def populate(session, count: int) -> int:
    """`count` realistic meetings under one area: 1-3 weekly times, formats, some online, some cancellations."""
    area = ServiceBody(kind="area", name="Benchmark Area")
    session.add(area)
    session.flush()
    formats = list(session.scalars(select(Format).where(Format.code.in_(["O", "C", "DISC", "BEG", "WCHR", "JFT"]))))
    created = dt.datetime(2026, 1, 5, 12, tzinfo=UTC)
    for i in range(count):
        zone = ZONES[i % len(ZONES)]
        place = Place(name=f"Hall {i}", street=f"{100 + i} Main Street", city="Springfield", region="ST",
                      postal_code=f"{10000 + i % 89999}", country="US", latitude=30 + (i % 1000) / 100,
                      longitude=-90 + (i % 700) / 100, precision="rooftop", timezone=zone,
                      notes="Basement, side door" if i % 3 == 0 else "")
        attendance = ("in_person", "hybrid", "online")[i % 3 if i % 10 < 3 else 0]
        meeting = Meeting(
            slug=f"bench-{i}", name=f"Just for Today Group {i}", place=place, service_body_id=area.id,
            attendance=attendance, conference_url="https://zoom.us/j/1234567890" if attendance != "in_person" else "",
            conference_notes="Passcode: serenity" if attendance != "in_person" else "",
            notes="Literature table by the door." if i % 4 == 0 else "", sequence=i % 3, created_at=created,
            updated_at=created + dt.timedelta(minutes=i),
        )
        meeting.times = [
            MeetingTime(weekday=(i + k * 2) % 7, start=dt.time(7 + (i + 5 * k) % 15, (i % 4) * 15),
                        duration_minutes=(60, 90)[(i + k) % 2])
            for k in range(1 + i % 3)
        ]
        meeting.formats = formats[i % 3: i % 3 + 3]
        if i % 5 == 0:
            day = dt.date(2026, 12, 24)
            meeting.exceptions = [ScheduleException(kind="cancelled", start_date=day, end_date=day, reason="Holiday")]
        session.add(meeting)
    session.commit()
    return area.id


def timed(func, repeat: int) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU milliseconds per call (CPU time shows the cost on a busy machine too)."""
    wall, cpu = [], []
    for _ in range(repeat):
        gc.collect()
        start, start_cpu = time.perf_counter(), time.process_time()
        func()
        wall.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    return wall, cpu


def report(label: str, samples: tuple[list[float], list[float]]) -> None:
    wall, cpu = samples
    print(f"  {label:<52} wall median {statistics.median(wall):8.2f} ms  min {min(wall):8.2f}"
          f"  | cpu median {statistics.median(cpu):8.2f} ms  (n={len(wall)})", flush=True)


def bench(count: int, workdir: str) -> None:
    url = f"sqlite:///{workdir}/bench-{count}.sqlite3"
    engine = db.make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "bench", "PUBLIC_URL": "https://finder.example"})
    session = db.session_factory(app)()
    print(f"{count:,} meetings: populating ...", flush=True)
    area_id = populate(session, count)
    path = f"/calendars/body/{area_id}.ics"
    client = app.test_client()

    with app.app_context():
        meetings = feeds.feed_meetings(session, feeds.feed_condition(dt.datetime.now(UTC)))
        links = ical.Links(lambda slug: f"https://finder.example/meetings/{slug}",
                           "https://finder.example/learn/formats", "finder.example",
                           "https://finder.example/learn/first-meeting")
        info = ical.FeedInfo("Benchmark Area: meetings", "https://finder.example" + path)

        def forget_written() -> None:
            # Rows shared by the meeting cache keep their written events (finder.core.ical._written_events); rows
            # a feed reads for itself are new each time, as here after this.
            for meeting in meetings:
                meeting.derived.clear()

        def build_cold() -> None:
            forget_written()
            ical._vtimezone.cache_clear()
            ical.feed_bytes(meetings, info, links, 2026)

        def build_warm() -> None:
            forget_written()
            ical.feed_bytes(meetings, info, links, 2026)

        def build_kept() -> None:
            ical.feed_bytes(meetings, info, links, 2026)

        repeat = 7 if count <= 1000 else 3
        body = ical.feed_bytes(meetings, info, links, 2026)
        print(f"  feed: {len(body) / 1024:,.0f} KiB, {body.count(b'BEGIN:VEVENT'):,} events")
        report("build feed from loaded rows (VTIMEZONEs cold)", timed(build_cold, repeat))
        report("build feed from loaded rows (VTIMEZONEs cached)", timed(build_warm, repeat))
        report("build feed, every meeting's events kept", timed(build_kept, repeat))

    def http_uncached() -> None:
        with app.app_context():
            feed_cache.feed_cache().clear()
        response = client.get(path)
        assert response.status_code == 200

    report("GET feed, uncached (query + load + build + hash)", timed(http_uncached, repeat))
    etag = client.get(path).headers["ETag"]

    def conditional() -> None:
        response = client.get(path, headers={"If-None-Match": etag})
        assert response.status_code == 304

    report("GET If-None-Match -> 304 (cached feed)", timed(conditional, 200))
    versions = app.extensions["finder.feed_cache"].version

    def conditional_checked() -> None:
        versions.forget()  # force the data-version query, as when CHECK_SECONDS has passed
        conditional()

    report("GET If-None-Match -> 304 (with data-version check)", timed(conditional_checked, 200))
    session.close()
    db.dispose_engines(app)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,000 meetings only")
    args = parser.parse_args()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average {load:.1f}, SQLite", flush=True)
    with tempfile.TemporaryDirectory() as workdir:
        for count in (1_000,) if args.quick else (1_000, 10_000):
            bench(count, workdir)


if __name__ == "__main__":
    main()
