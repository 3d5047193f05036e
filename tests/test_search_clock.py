"""finder.search.clock: "starting within" and "in progress" in each meeting's zone, and the clock prefilters."""

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import insert, select

from finder.models import Meeting, MeetingTime, Place, ScheduleException
from finder.search import clock
from finder.search import SearchQuery, find_nearby, replace
from tests.helpers import ids

UTC = dt.timezone.utc
PHILLY = (39.9526, -75.1652)


def test_starting_within_is_read_in_each_meetings_zone(session, make_meeting, at, now):
    # now = Wednesday 17:00 UTC = 12:00 in New York = 09:00 in Los Angeles.
    ny_soon = make_meeting(place=at(*PHILLY), times=[(2, "12:30", 60)])
    la_soon = make_meeting(place=at(34.05, -118.24, timezone="America/Los_Angeles"), times=[(2, "09:45", 60)])
    make_meeting(place=at(*PHILLY), times=[(2, "09:45", 60)])  # 09:45 in New York already happened
    make_meeting(place=at(*PHILLY), times=[(2, "14:00", 60)])  # two hours away
    query = SearchQuery(starts_within=60, sort="next_start")
    results = find_nearby(session, query, now)
    assert ids(results.meetings) == [ny_soon.id, la_soon.id]
    assert [hit.starts_in_minutes for hit in results.meetings] == [30, 45]
    assert results.meetings[1].next_start == dt.datetime(2026, 11, 25, 9, 45, tzinfo=results.meetings[1].next_start.tzinfo)
    assert str(results.meetings[1].next_start.tzinfo) == "America/Los_Angeles"


def test_in_progress_past_midnight(session, make_meeting, at):
    # Thursday 05:30 UTC = 00:30 Thursday in New York; Wednesday 23:30 for 90 minutes is still going.
    now = dt.datetime(2026, 11, 26, 5, 30, tzinfo=UTC)
    late = make_meeting(place=at(*PHILLY), times=[(2, "23:30", 90)])
    make_meeting(place=at(*PHILLY), times=[(2, "23:00", 60)])  # ended at midnight
    results = find_nearby(session, SearchQuery(point=PHILLY, radius_km=10, in_progress=True), now)
    assert ids(results.meetings) == [late.id]
    hit = results.meetings[0]
    assert hit.in_progress and hit.starts_in_minutes is None
    assert hit.next_start.isoformat() == "2026-11-25T23:30:00-05:00"


def test_starting_within_on_the_spring_forward_night(session, make_meeting, at):
    # 2026-03-08 07:10 UTC = 03:10 EDT, just after New York skipped 02:00-03:00.
    now = dt.datetime(2026, 3, 8, 7, 10, tzinfo=UTC)
    soon = make_meeting(place=at(*PHILLY), times=[(6, "03:30", 60)])
    make_meeting(place=at(*PHILLY), times=[(6, "04:30", 60)])  # 80 minutes away
    results = find_nearby(session, SearchQuery(point=PHILLY, radius_km=10, starts_within=30), now)
    assert ids(results.meetings) == [soon.id]
    assert results.meetings[0].starts_in_minutes == 20


def test_a_cancelled_date_is_not_starting_soon(session, make_meeting, at, now):
    today = dt.date(2026, 11, 25)
    make_meeting(place=at(*PHILLY), times=[(2, "12:30", 60)],
                 exceptions=[dict(kind="cancelled", start_date=today, end_date=today, reason="Thanksgiving eve")])
    results = find_nearby(session, SearchQuery(point=PHILLY, radius_km=10, starts_within=60), now)
    assert results.meetings == []
    every = find_nearby(session, SearchQuery(point=PHILLY, radius_km=10), now)
    assert every.meetings[0].next_start.date() == dt.date(2026, 12, 2)


def test_exceptions_in_reach_or_not_give_the_schedules_answer(session, make_meeting, at, now, monkeypatch):
    """A closure weeks away takes the clock's quick path, one that cancels the next weeks the exact one; both
    answer what finder.core.schedule says."""
    today = dt.date(2026, 11, 25)
    later = make_meeting(place=at(*PHILLY), times=[(2, "12:30", 60)], exceptions=[dict(
        kind="closed", start_date=today + dt.timedelta(days=30), end_date=today + dt.timedelta(days=60), reason="")])
    closed = make_meeting(place=at(39.9527, -75.1651), times=[(2, "12:30", 60)], exceptions=[dict(
        kind="closed", start_date=today, end_date=today + dt.timedelta(days=20), reason="")])
    exact = []
    real = clock.clock_exact
    monkeypatch.setattr(clock, "clock_exact", lambda c, *args: exact.append(c.meeting_id) or real(c, *args))
    hits = {hit.meeting.id: hit for hit in find_nearby(session, SearchQuery(point=PHILLY, radius_km=10), now).meetings}
    assert exact == [closed.id]
    assert hits[later.id].next_start.date() == dt.date(2026, 11, 25) and hits[later.id].starts_in_minutes == 30
    assert hits[closed.id].next_start.date() == dt.date(2026, 12, 16)  # the first Wednesday after the closure


@settings(max_examples=300, deadline=None)
@given(
    zone=st.sampled_from(["America/New_York", "Europe/London", "Australia/Lord_Howe", "Asia/Kolkata",
                          "Pacific/Chatham", "America/St_Johns", "UTC", "Not/AZone"]),
    minutes=st.integers(0, 2 * 366 * 24 * 60),
    times=st.lists(st.tuples(st.integers(0, 6), st.integers(0, 23), st.sampled_from([0, 15, 30, 45]),
                             st.sampled_from([30, 60, 90, 180, 1440])), min_size=0, max_size=4),
)
def test_wall_clock_arithmetic_matches_schedule(zone, minutes, times):

    now = dt.datetime(2026, 1, 1, tzinfo=UTC) + dt.timedelta(minutes=minutes, seconds=17)
    weekly = [(w, dt.time(h, m), d) for w, h, m, d in times]
    fast = clock.Candidate(1, "m", None, False, zone, times=list(weekly))
    clock.read_clocks(None, [fast], now)
    exact = clock.Candidate(1, "m", None, False, zone, times=list(weekly))
    clock.clock_exact(exact, now, [])
    assert fast.next_in == pytest.approx(exact.next_in, abs=1e-6)
    assert fast.next_start == exact.next_start
    assert (fast.next_start is None or str(fast.next_start.tzinfo) == str(exact.next_start.tzinfo))
    assert fast.running_start == exact.running_start
    if exact.running_since is None:
        assert fast.running_since is None
    else:
        assert fast.running_since == pytest.approx(exact.running_since, abs=1e-6)
    if fast.next_start is not None:  # the same wall clock, not only the same instant
        assert fast.next_start.replace(tzinfo=None) == exact.next_start.replace(tzinfo=None)


PREFILTER_ZONES = ["America/New_York", "Europe/London", "Australia/Sydney", "Asia/Kolkata", "Pacific/Chatham",
                   "America/St_Johns", "Pacific/Kiritimati", "Pacific/Pago_Pago"]


PREFILTER_STARTS = [dt.time(0), dt.time(0, 30), dt.time(1, 30), dt.time(2, 30), dt.time(3), dt.time(12),
                    dt.time(22, 30), dt.time(23, 30), dt.time(23, 59)]


@pytest.fixture
def every_zone_and_hour(session):
    """One meeting per zone, weekday and start in PREFILTER_STARTS; returns (meeting id, zone, weekday, start)."""
    place_ids = session.scalars(insert(Place).returning(Place.id), [
        dict(name="", street="", city="", region="", postal_code="", country="US", latitude=0.0, longitude=0.0,
             precision="rooftop", timezone=zone, notes="") for zone in PREFILTER_ZONES]).all()
    slots = [(pid, zone, weekday, start) for pid, zone in zip(place_ids, PREFILTER_ZONES)
             for weekday in range(7) for start in PREFILTER_STARTS]
    created = dt.datetime(2026, 1, 1, tzinfo=UTC)
    meeting_ids = session.scalars(insert(Meeting).returning(Meeting.id), [
        dict(slug=f"p{i}", name=f"P{i:04d}", place_id=pid, attendance="online", status="active", published=True,
             language="en", created_at=created, updated_at=created) for i, (pid, *_rest) in enumerate(slots)]).all()
    session.execute(insert(MeetingTime), [dict(meeting_id=m, weekday=w, start=s, duration_minutes=90)
                                          for m, (_pid, _zone, w, s) in zip(meeting_ids, slots)])
    session.flush()
    return [(m, zone, w, s) for m, (_pid, zone, w, s) in zip(meeting_ids, slots)]


@pytest.mark.parametrize("now", [
    dt.datetime(2026, 3, 8, 6, 50, tzinfo=UTC),  # New York, ten minutes before it springs forward
    dt.datetime(2026, 11, 1, 5, 30, tzinfo=UTC),  # New York, inside the hour it repeats
    dt.datetime(2026, 3, 29, 0, 45, tzinfo=UTC),  # London, fifteen minutes before it springs forward
    dt.datetime(2026, 4, 4, 15, 30, tzinfo=UTC),  # Sydney and Chatham, before their clocks go back
    dt.datetime(2026, 9, 26, 13, 50, tzinfo=UTC),  # Chatham springs forward at 02:45 local
    dt.datetime(2026, 12, 6, 4, 30, tzinfo=UTC),  # Saturday 23:30 in New York: the week wraps to Sunday
    dt.datetime(2026, 12, 5, 9, 40, tzinfo=UTC),  # Saturday 23:40 in Kiritimati (UTC+14)
], ids=["ny-spring", "ny-fall", "london-spring", "sydney-fall", "chatham-spring", "ny-week-wraps", "kiritimati-wraps"])
@pytest.mark.parametrize("starts_within,in_progress", [(30, False), (120, False), (None, True)])
def test_clock_prefilter_holds_every_exact_answer(session, every_zone_and_hour, now, starts_within, in_progress):
    query = SearchQuery(include_online=True, starts_within=starts_within, in_progress=in_progress)
    narrowed = set(session.scalars(select(Meeting.id).join(Place).where(clock.clock_prefilter(query, now))))
    candidates = [clock.Candidate(m, "", None, True, zone, times=[(w, s, 90)]) for m, zone, w, s in every_zone_and_hour]
    clock.read_clocks(session, candidates, now, skips={})
    exact = {c.meeting_id for c in candidates if clock.passes_clock(c, query)}
    assert exact and exact <= narrowed
    assert len(narrowed) < len(candidates)


ONLINE_NOWS = [
    dt.datetime(2026, 3, 8, 6, 50, tzinfo=UTC),  # New York, ten minutes before it springs forward
    dt.datetime(2026, 3, 8, 7, 10, tzinfo=UTC),  # New York, ten minutes after: 02:30 (no such time) is at 03:30
    dt.datetime(2026, 11, 1, 5, 30, tzinfo=UTC),  # New York, inside the hour it repeats
    dt.datetime(2026, 3, 29, 0, 45, tzinfo=UTC),  # London, fifteen minutes before it springs forward
    dt.datetime(2026, 4, 4, 15, 30, tzinfo=UTC),  # Sydney and Chatham, before their clocks go back
    dt.datetime(2026, 9, 26, 13, 50, tzinfo=UTC),  # Chatham springs forward at 02:45 local
    dt.datetime(2026, 12, 6, 4, 30, tzinfo=UTC),  # Saturday 23:30 in New York: the week wraps to Sunday
    dt.datetime(2026, 12, 5, 9, 40, tzinfo=UTC),  # Saturday 23:40 in Kiritimati (UTC+14)
    dt.datetime(2026, 12, 7, 10, 45, tzinfo=UTC),  # Sunday 23:45 in Pago Pago (UTC-11), Tuesday 00:45 in Kiritimati
    dt.datetime(2026, 12, 9, 16, 45, 30, tzinfo=UTC),  # no change anywhere near: every zone's window is exact
]


ONLINE_IDS = ["ny-spring", "ny-after-gap", "ny-fall", "london-spring", "sydney-fall", "chatham-spring",
              "ny-week-wraps", "kiritimati-wraps", "pago-pago-wraps", "steady"]


def _online_narrowed(session, query, now):
    return set(clock.online_prefilter(session.connection(), query, now, clock.online_attendance(query)))


@pytest.mark.parametrize("now", ONLINE_NOWS, ids=ONLINE_IDS)
@pytest.mark.parametrize("starts_within,in_progress", [(30, False), (120, False), (None, True), (60, True)])
def test_online_prefilter_holds_every_exact_answer(session, every_zone_and_hour, now, starts_within, in_progress):
    query = SearchQuery(attendance=frozenset({"online", "hybrid"}), starts_within=starts_within,
                        in_progress=in_progress)
    narrowed = _online_narrowed(session, query, now)
    candidates = [clock.Candidate(m, "", None, True, zone, times=[(w, s, 90)]) for m, zone, w, s in every_zone_and_hour]
    clock.read_clocks(session, candidates, now, skips={})
    exact = {c.meeting_id for c in candidates if clock.passes_clock(c, query)}
    assert exact and exact <= narrowed
    if not in_progress:
        # Starting soon reads only the times starting soon: whole minutes (a start in now's own minute counts),
        # and around a change of offset the window of both offsets.
        week = clock.WEEK_MINUTES
        steady = {zone for zone in PREFILTER_ZONES if all(
            (now + dt.timedelta(hours=h)).astimezone(clock.zone_named(zone)).utcoffset()
            == now.astimezone(clock.zone_named(zone)).utcoffset() for h in (-3, 3, 6))}
        for c in candidates:
            if c.meeting_id in narrowed and c.timezone in steady:
                assert c.next_in <= starts_within or c.next_in > week - 1, (c.timezone, c.times)
        assert len(narrowed) < 2 * len(exact) + 10


def test_online_prefilter_keeps_the_old_answer(session, every_zone_and_hour):
    """Both prefilters hold the same exact answers, and the new one reads fewer meetings."""
    for now in ONLINE_NOWS:
        query = SearchQuery(attendance=frozenset({"online"}), starts_within=60)
        old = set(session.scalars(select(Meeting.id).join(Place).where(clock.clock_prefilter(query, now))))
        new = _online_narrowed(session, query, now)
        results = find_nearby(session, replace(query, per_page=0), now)
        assert {hit.meeting.id for hit in results.meetings} <= new <= old | new
        assert len(new) <= len(old)


@pytest.fixture
def online_across_zones(session, make_meeting, make_place):
    """Online and hybrid meetings east and west of UTC and across the antimeridian, all on Sunday at 19:00 local,
    plus one in-person meeting at the same time."""
    made = {}
    for zone, attendance in [("Pacific/Kiritimati", "online"), ("Pacific/Pago_Pago", "online"),
                             ("Asia/Kolkata", "hybrid"), ("America/Los_Angeles", "online"),
                             ("Europe/Berlin", "hybrid"), ("America/New_York", "in_person")]:
        made[zone] = make_meeting(name=f"Sunday {zone}", attendance=attendance, times=[(6, "19:00", 60)],
                                  place=make_place(timezone=zone))
    return made


def _online_now(session, now, attendance=("online", "hybrid"), within=60):
    query = SearchQuery(attendance=frozenset(attendance), starts_within=within, sort="next_start", per_page=0)
    return [hit.meeting.place.timezone for hit in find_nearby(session, query, now).meetings]


@pytest.mark.parametrize("zone,utc_start", [
    ("Pacific/Kiritimati", dt.datetime(2026, 12, 6, 5, 0, tzinfo=UTC)),  # Sunday 19:00 at UTC+14: Sunday 05:00 UTC
    ("Pacific/Pago_Pago", dt.datetime(2026, 12, 7, 6, 0, tzinfo=UTC)),  # Sunday 19:00 at UTC-11: Monday 06:00 UTC
    ("Asia/Kolkata", dt.datetime(2026, 12, 6, 13, 30, tzinfo=UTC)),  # UTC+5:30
    ("America/Los_Angeles", dt.datetime(2026, 12, 7, 3, 0, tzinfo=UTC)),  # UTC-8: Monday 03:00 UTC
    ("Europe/Berlin", dt.datetime(2026, 12, 6, 18, 0, tzinfo=UTC)),  # UTC+1
])
def test_online_starting_soon_in_each_zone(session, online_across_zones, zone, utc_start):
    assert _online_now(session, utc_start - dt.timedelta(minutes=45)) == [zone]
    assert _online_now(session, utc_start - dt.timedelta(minutes=61)) == []
    assert _online_now(session, utc_start) == []  # begun: no longer "starting"
    assert zone not in _online_now(session, utc_start + dt.timedelta(days=7, minutes=-30), within=20)


def test_online_starting_soon_online_only_or_hybrid(session, online_across_zones):
    now = dt.datetime(2026, 12, 6, 12, 50, tzinfo=UTC)  # Kolkata 18:20, Kiritimati Monday 02:50
    assert _online_now(session, now) == ["Asia/Kolkata"]
    assert _online_now(session, now, attendance=("online",)) == []
    assert _online_now(session, now, attendance=("hybrid",)) == ["Asia/Kolkata"]
    # Berlin (hybrid) and New York (in person) in one window: only the hybrid one can be joined online.
    evening = dt.datetime(2026, 12, 6, 17, 30, tzinfo=UTC)
    assert _online_now(session, evening, within=24 * 60) == [
        "Europe/Berlin", "America/Los_Angeles", "Pacific/Pago_Pago"]
    assert _online_now(session, evening, attendance=("online",), within=24 * 60) == [
        "America/Los_Angeles", "Pacific/Pago_Pago"]


def test_online_starting_soon_through_a_dst_week(session, make_meeting, make_place):
    """New York springs forward on Sunday 8 March 2026: a 19:00 meeting is at 00:00 UTC before, 23:00 UTC after;
    a 02:30 meeting that day (no such time) starts at 03:30 EDT."""
    evening = make_meeting(attendance="online", times=[(d, "19:00", 60) for d in range(7)],
                           place=make_place(timezone="America/New_York"))
    gap = make_meeting(attendance="online", times=[(6, "02:30", 60)], place=make_place(timezone="America/New_York"))
    saturday = dt.datetime(2026, 3, 7, 23, 30, tzinfo=UTC)  # Saturday 18:30 EST
    sunday = dt.datetime(2026, 3, 8, 22, 30, tzinfo=UTC)  # Sunday 18:30 EDT
    for now in (saturday, sunday):
        hits = find_nearby(session, SearchQuery(attendance=frozenset({"online"}), starts_within=30), now).meetings
        assert [hit.meeting.id for hit in hits] == [evening.id] and hits[0].starts_in_minutes == 30
    after_gap = dt.datetime(2026, 3, 8, 7, 10, tzinfo=UTC)  # 03:10 EDT
    hits = find_nearby(session, SearchQuery(attendance=frozenset({"online"}), starts_within=30), after_gap).meetings
    assert [hit.meeting.id for hit in hits] == [gap.id] and hits[0].starts_in_minutes == 20


def test_online_starting_soon_leaves_unlisted_meetings(session, make_meeting, make_place, now):
    times = [(d, (now + dt.timedelta(minutes=20)).astimezone(clock.zone_named("Europe/London")).time(), 60)
             for d in range(7)]
    shown = make_meeting(attendance="online", times=times, place=make_place(timezone="Europe/London"))
    make_meeting(attendance="online", times=times, published=False, place=make_place(timezone="Europe/London"))
    make_meeting(attendance="online", times=times, status="inactive", place=make_place(timezone="Europe/London"))
    hits = find_nearby(session, SearchQuery(attendance=frozenset({"online", "hybrid"}), starts_within=30), now)
    assert [hit.meeting.id for hit in hits.meetings] == [shown.id]


@pytest.mark.parametrize("now", ONLINE_NOWS[::3], ids=ONLINE_IDS[::3])
def test_online_now_reads_the_same_with_or_without_other_filters(session, every_zone_and_hour, now):
    """"Online meetings starting now" reads only online_times and the meetings' weekly times and exceptions; with
    any other filter it reads the meetings' rows. Both give the same hits, in the same order, cancelled weeks
    included."""
    for meeting_id, _zone, _weekday, _start in every_zone_and_hour[::5]:
        session.add(ScheduleException(meeting_id=meeting_id, kind="cancelled", start_date=now.date(),
                                      end_date=now.date()))
    session.flush()
    for within, running in ((120, False), (60, True)):
        query = SearchQuery(attendance=frozenset({"online", "hybrid"}), starts_within=within, in_progress=running,
                            sort="next_start", per_page=0)
        lean = [(h.meeting.id, h.next_start, h.in_progress) for h in find_nearby(session, query, now).meetings]
        general = [(h.meeting.id, h.next_start, h.in_progress)
                   for h in find_nearby(session, replace(query, language="en"), now).meetings]
        assert lean and lean == general
