"""Tests for finder.calendars.feed_cache: the data version a feed rests on, and one read of it per check
interval for every cached feed."""
import datetime as dt

from finder.calendars import feed_cache


def test_data_version_sees_edits_and_exceptions(app, session, make_meeting):
    from finder.models import ScheduleException

    meeting = make_meeting()
    session.commit()
    first = feed_cache.data_version(session)
    session.add(ScheduleException(meeting=meeting, kind="cancelled", start_date=dt.date(2026, 12, 2),
                                  end_date=dt.date(2026, 12, 2)))
    session.commit()
    second = feed_cache.data_version(session)
    assert second.site != first.site
    assert second.changed_at >= first.changed_at


def test_cached_feeds_share_one_data_version_read_per_check_interval(client, session, make_meeting, monkeypatch):
    meetings = [make_meeting() for _ in range(4)]
    session.commit()
    clock = {"now": 1000.0}
    reads = []
    real = feed_cache.data_version
    monkeypatch.setattr(feed_cache.time, "monotonic", lambda: clock["now"])
    monkeypatch.setattr(feed_cache, "data_version", lambda s: reads.append(1) or real(s))
    urls = [f"/meetings/{m.slug}.ics" for m in meetings]
    assert all(client.get(url).status_code == 200 for url in urls)
    assert len(reads) == 4  # each build reads the version it rests on
    clock["now"] += feed_cache.CHECK_SECONDS + 1
    bodies = [client.get(url).get_data() for url in urls]
    assert len(reads) == 5  # four cached feeds re-checked with one read
    meetings[0].name = "Renamed Meeting"
    session.commit()
    clock["now"] += feed_cache.CHECK_SECONDS + 1
    assert b"Renamed Meeting" in client.get(urls[0]).get_data()
    assert client.get(urls[1]).get_data() == bodies[1]
