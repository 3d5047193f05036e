"""Tests for finder.core.ical: parse every output with icalendar, expand it with recurring-ical-events in many zones."""

import datetime as dt
from types import SimpleNamespace as NS
from zoneinfo import ZoneInfo

import icalendar
import pytest
import recurring_ical_events

from finder.core import ical
from finder.core import schedule

UTC = dt.timezone.utc
LINKS = ical.Links(
    meeting_url=lambda slug: f"https://finder.example/meetings/{slug}",
    explanation_url="https://finder.example/learn/",
    uid_domain="finder.example",
)
ZONES = [
    "America/New_York",
    "America/Los_Angeles",
    "Europe/London",
    "Australia/Sydney",
    "Asia/Kolkata",
    "America/Phoenix",  # no DST
    "Asia/Tokyo",  # no DST
]
FORMATS = [
    NS(code="DISC", name="Discussion", kind="format", description="members share on a topic"),
    NS(code="O", name="Open", kind="open_closed", description="anyone may attend"),
    NS(code="WCHR", name="Wheelchair accessible", kind="access", description=""),
]


def make_place(**overrides):
    values = dict(
        name="St. Mark's", street="1625 Locust St", city="Philadelphia", region="PA", postal_code="19103",
        country="US", latitude=39.9487, longitude=-75.1685, precision="rooftop", timezone="America/New_York",
        notes="Basement, side door",
    )
    values.update(overrides)
    place = NS(**values)
    place.full_address = f"{place.street}, {place.city}, {place.region} {place.postal_code}, {place.country}"
    return place


_ids = iter(range(1, 10_000))


def make_meeting(times=((0, "19:30", 60),), exceptions=(), zone="America/New_York", **overrides):
    n = next(_ids)
    values = dict(
        id=n, slug=f"meeting-{n}", name=f"Clean and Serene {n}", attendance="in_person", status="active",
        conference_url="", conference_notes="", phone="", phone_notes="", notes="", sequence=0,
        created_at=dt.datetime(2026, 1, 2, 15, tzinfo=UTC), updated_at=dt.datetime(2026, 1, 3, 9, tzinfo=UTC),
        formats=FORMATS, place=make_place(timezone=zone),
    )
    values.update(overrides)
    meeting = NS(**values)
    meeting.times = [
        NS(id=n * 10 + k, weekday=w, start=dt.time.fromisoformat(s), duration_minutes=d)
        for k, (w, s, d) in enumerate(times)
    ]
    meeting.exceptions = [
        NS(kind=e.get("kind", "cancelled"), start_date=e["start_date"], end_date=e.get("end_date", e["start_date"]),
           created_at=e.get("created_at", dt.datetime(2026, 1, 4, tzinfo=UTC)), reason=e.get("reason", ""))
        for e in exceptions
    ]
    return meeting


def feed(meetings, name="Test feed", url="https://finder.example/calendars/test.ics", year=2026):
    return ical.feed_bytes(meetings, ical.FeedInfo(name, url), LINKS, year)


def parse(body: bytes) -> icalendar.Calendar:
    """Parse strictly the way a client would, checking the wire rules on the way."""
    assert body.endswith(b"\r\n")
    assert b"\n" not in body.replace(b"\r\n", b""), "bare LF"
    assert b"\r" not in body.replace(b"\r\n", b""), "bare CR"
    for line in body.split(b"\r\n"):
        assert len(line) <= 75, line
        line.decode("utf-8")  # folding never splits a character
    calendar = icalendar.Calendar.from_ical(body)
    assert calendar.errors == [] if hasattr(calendar, "errors") else True
    tzids = {str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")}
    for event in calendar.walk("VEVENT"):
        assert event["DTSTART"].params["TZID"] in tzids, "missing VTIMEZONE"
        assert event.start.tzinfo is not None, "floating time"
    return calendar


def expand(calendar, start=(2026, 1, 1), end=(2027, 1, 1)):
    return sorted(recurring_ical_events.of(calendar).between(start, end), key=lambda e: e.start)


# --- expansion over a year spanning DST, zone by zone ---------------------------------------------------------


@pytest.mark.parametrize("zone", ZONES)
def test_a_year_of_occurrences_matches_the_schedule_in_every_zone(zone):
    cancelled = dt.date(2026, 3, 16)  # a Monday
    closure = (dt.date(2026, 7, 1), dt.date(2026, 7, 20))
    meeting = make_meeting(
        times=[(0, "19:30", 60), (5, "23:30", 90), (6, "02:30", 60)],
        exceptions=[{"start_date": cancelled}, {"start_date": closure[0], "end_date": closure[1], "kind": "closed"}],
        zone=zone,
    )
    calendar = parse(feed([meeting]))
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == [zone]
    expanded = expand(calendar)
    # Skipped weeks are there, shown cancelled (an override of the series), and everything else is on.
    cancelled_weeks = [e for e in expanded if e["STATUS"] == "CANCELLED"]
    events = [e for e in expanded if e["STATUS"] != "CANCELLED"]
    assert all(str(e["SUMMARY"]).startswith("Cancelled: ") for e in cancelled_weeks)
    assert cancelled in {e.start.date() for e in cancelled_weeks}
    tz = ZoneInfo(zone)

    mondays = [e for e in events if e.start.astimezone(tz).weekday() == 0]
    assert mondays, zone
    assert all((e.start.hour, e.start.minute) == (19, 30) for e in mondays), zone
    assert all(e.end - e.start == dt.timedelta(hours=1) for e in mondays)
    monday_dates = {e.start.date() for e in mondays}
    assert cancelled not in monday_dates
    assert not any(closure[0] <= d <= closure[1] for d in monday_dates)
    assert dt.date(2026, 3, 9) in monday_dates and dt.date(2026, 3, 23) in monday_dates

    saturdays = [e for e in events if e.start.weekday() == 5]
    assert all(e.end.astimezone(tz).date() == e.start.date() + dt.timedelta(days=1) for e in saturdays)
    assert all(e.end.astimezone(tz).time() == dt.time(1) for e in saturdays if e.start.utcoffset() == e.end.utcoffset())

    # The calendar and the web page (finder.core.schedule) agree on every instant of the year.
    now = dt.datetime(2026, 1, 1, tzinfo=tz)
    expected = schedule.next_occurrences(meeting.times, zone, now, meeting.exceptions, n=400)
    expected = [o.start.astimezone(UTC) for o in expected if o.start < dt.datetime(2027, 1, 1, tzinfo=tz)]
    assert [e.start.astimezone(UTC) for e in events] == expected

    offsets = {e.start.utcoffset() for e in mondays}
    assert len(offsets) == (1 if zone in ("Asia/Kolkata", "America/Phoenix", "Asia/Tokyo") else 2), zone


def test_spring_gap_meeting_in_the_calendar_is_at_the_same_instant_as_on_the_page():
    meeting = make_meeting(times=[(6, "02:30", 60)], zone="America/New_York")
    events = expand(parse(feed([meeting])), (2026, 3, 7), (2026, 3, 16))
    gap_day = [e for e in events if e.start.date() == dt.date(2026, 3, 8)][0]
    assert gap_day.start.astimezone(UTC) == dt.datetime(2026, 3, 8, 7, 30, tzinfo=UTC)  # 03:30 EDT


def test_autumn_overlap_meeting_is_the_first_one():
    meeting = make_meeting(times=[(6, "01:30", 60)], zone="America/New_York")
    events = expand(parse(feed([meeting])), (2026, 10, 31), (2026, 11, 2))
    assert events[0].start.astimezone(UTC) == dt.datetime(2026, 11, 1, 5, 30, tzinfo=UTC)  # 01:30 EDT


def test_expansion_years_past_the_vtimezone_window_keeps_local_time():
    meeting = make_meeting(times=[(2, "18:00", 60)], zone="Europe/London")
    events = expand(parse(feed([meeting])), (2033, 1, 1), (2034, 1, 1))
    assert len(events) == 52
    assert {(e.start.hour, e.start.minute) for e in events} == {(18, 0)}
    assert {e.start.utcoffset() for e in events} == {dt.timedelta(0), dt.timedelta(hours=1)}


# --- event content ------------------------------------------------------------------------------------------------


def test_event_properties():
    meeting = make_meeting(
        times=[(2, "19:00", 90)], sequence=3, exceptions=[{"start_date": dt.date(2026, 1, 14)}],
        notes="Bring the Basic Text", place=make_place(notes="Side door"),
    )
    calendar = parse(feed([meeting]))
    event, week = calendar.walk("VEVENT")
    assert str(event["UID"]) == str(week["UID"]) == f"meeting-{meeting.id}-t{meeting.id * 10}@finder.example"
    assert event["DTSTAMP"].dt == event["LAST-MODIFIED"].dt == dt.datetime(2026, 1, 4, tzinfo=UTC)
    assert event["CREATED"].dt == dt.datetime(2026, 1, 2, 15, tzinfo=UTC)
    assert event["SEQUENCE"] == 3
    assert event["DTSTART"].dt == dt.datetime(2026, 1, 7, 19, tzinfo=ZoneInfo("America/New_York"))
    assert event["DTEND"].dt == dt.datetime(2026, 1, 7, 20, 30, tzinfo=ZoneInfo("America/New_York"))
    assert event["RRULE"] == {"FREQ": ["WEEKLY"], "BYDAY": ["WE"]}
    assert "EXDATE" not in event  # the cancelled week is an override, shown cancelled
    assert week["RECURRENCE-ID"].dt == dt.datetime(2026, 1, 14, 19, tzinfo=ZoneInfo("America/New_York"))
    assert week["RECURRENCE-ID"].params["TZID"] == "America/New_York"
    assert (str(week["STATUS"]), str(week["SUMMARY"])) == ("CANCELLED", f"Cancelled: {meeting.name}")
    assert str(event["LOCATION"]) == "1625 Locust St, Philadelphia, PA 19103, US"
    assert event["GEO"].latitude == pytest.approx(39.9487) and event["GEO"].longitude == pytest.approx(-75.1685)
    assert str(event["URL"]) == f"https://finder.example/meetings/{meeting.slug}"
    assert str(event["STATUS"]) == "CONFIRMED"
    assert str(event["CLASS"]) == "PRIVATE"
    description = str(event["DESCRIPTION"])
    assert "- Open: anyone may attend" in description
    assert description.index("Open") < description.index("Discussion")  # open/closed first
    assert "https://finder.example/learn/" in description
    assert "Side door" in description and "Bring the Basic Text" in description
    assert "CONFERENCE" not in event


def test_online_meeting_has_conference_and_no_geo():
    meeting = make_meeting(
        attendance="online", conference_url="https://zoom.us/j/123456?pwd=abc", conference_notes="Passcode: 42",
        phone="+1 646 558 8656,,123456#", place=make_place(precision="city"),
    )
    (event,) = parse(feed([meeting])).walk("VEVENT")
    conferences = event.get("CONFERENCE")
    assert [str(c) for c in conferences] == ["https://zoom.us/j/123456?pwd=abc", "tel:+16465588656,,123456#"]
    assert conferences[0].params["FEATURE"] in ("AUDIO,VIDEO", ["AUDIO", "VIDEO"])
    assert conferences[1].params["FEATURE"] == "PHONE"
    assert str(event["LOCATION"]) == "https://zoom.us/j/123456?pwd=abc"
    assert "GEO" not in event
    description = str(event["DESCRIPTION"])
    assert "Join online: https://zoom.us/j/123456?pwd=abc" in description and "Passcode: 42" in description
    assert "Locust" not in description  # an online meeting's approximate place is not an address to go to


def test_only_web_links_become_conference_links():
    meeting = make_meeting(attendance="online", conference_url="javascript:alert(1)")
    (event,) = parse(feed([meeting])).walk("VEVENT")
    assert "CONFERENCE" not in event and "javascript" not in str(event["LOCATION"])


def test_hybrid_meeting_keeps_address_and_conference():
    meeting = make_meeting(attendance="hybrid", conference_url="https://meet.example/na")
    (event,) = parse(feed([meeting])).walk("VEVENT")
    assert "Locust" in str(event["LOCATION"])
    assert str(event["CONFERENCE"]) == "https://meet.example/na"


@pytest.mark.parametrize(
    ("status", "attendance", "expected"),
    [
        ("active", "in_person", "CONFIRMED"),
        ("inactive", "in_person", "CANCELLED"),
        ("inactive", "online", "CANCELLED"),
        ("temporarily_closed", "in_person", "CANCELLED"),
        ("temporarily_closed", "hybrid", "CONFIRMED"),
    ],
)
def test_status(status, attendance, expected):
    meeting = make_meeting(status=status, attendance=attendance, conference_url="https://meet.example/na")
    (event,) = parse(feed([meeting])).walk("VEVENT")
    assert str(event["STATUS"]) == expected
    if (status, attendance) == ("temporarily_closed", "hybrid"):
        assert str(event["LOCATION"]) == "https://meet.example/na"  # the venue is closed: go online
        assert "online only for now" in str(event["DESCRIPTION"])


def test_hostile_text_round_trips_escaped():
    name = "Just; for, today \\ \"quoted\"\r\nBEGIN:VEVENT\x00\x07 — ñandú 日本語 " + "x" * 200
    meeting = make_meeting(name=name, notes="line one\rline two\nline three", conference_url="javascript:alert(1)")
    body = feed([meeting], name="Feed; with, commas\nand newline")
    calendar = parse(body)
    (event,) = calendar.walk("VEVENT")
    assert str(event["SUMMARY"]) == ical.clean_text(name)
    assert "\x00" not in str(event["SUMMARY"])
    assert "line one\nline two\nline three" in str(event["DESCRIPTION"])
    assert b"\r\nNAME:Feed\\; with\\, commas and newline\r\n" in body  # RFC 7986 NAME is TEXT
    assert b"X-WR-CALNAME:Feed\\; with\\, commas and newline\r\n" in body
    assert body.count(b"\r\nBEGIN:VEVENT\r\n") == 1  # the injected one stays inside SUMMARY


def test_bad_rows_are_left_out_not_fatal():
    good = make_meeting()
    no_zone = make_meeting(place=make_place(timezone="Not/AZone"))
    bad_time = make_meeting(times=[(9, "19:00", 60), (1, "19:00", 60)])
    events = parse(feed([good, no_zone, bad_time])).walk("VEVENT")
    assert sorted(str(e["UID"]).split("-")[1] for e in events) == sorted([str(good.id), str(bad_time.id)])


def test_naive_timestamps_are_read_as_utc_never_floating():
    meeting = make_meeting(updated_at=dt.datetime(2026, 2, 1, 12), created_at=dt.datetime(2026, 1, 1, 12))
    (event,) = parse(feed([meeting])).walk("VEVENT")
    assert event["DTSTAMP"].dt == dt.datetime(2026, 2, 1, 12, tzinfo=UTC)


def test_closure_past_the_horizon_ends_the_series():
    meeting = make_meeting(exceptions=[{"start_date": dt.date(2026, 6, 1), "end_date": dt.date(9999, 12, 31)}])
    body = feed([meeting])
    assert len(body) < 5000  # no EXDATE for every Monday until 9999
    (event,) = parse(body).walk("VEVENT")
    assert event["RRULE"]["UNTIL"][0] == dt.datetime(2026, 5, 25, 23, 30, tzinfo=UTC)  # 19:30 EDT
    events = expand(parse(body), (2026, 5, 1), (2028, 1, 1))
    assert [e.start.date() for e in events][-1] == dt.date(2026, 5, 25)


def test_closed_from_the_start_forever_has_no_event():
    meeting = make_meeting(exceptions=[{"start_date": dt.date(2025, 1, 1), "end_date": dt.date(2099, 1, 1)}])
    assert parse(feed([meeting])).walk("VEVENT") == []


# --- what calendar apps trip over (issue 19) -------------------------------------------------------------------


def test_a_cancelled_week_is_shown_cancelled_with_its_reason_and_no_reminder():
    meeting = make_meeting(times=[(0, "19:30", 60)],
                           exceptions=[{"start_date": dt.date(2026, 12, 7), "reason": "Church closed for the holiday"}])
    calendar = parse(ical.feed_bytes([meeting], ical.FeedInfo("x"), LINKS, 2026, alarm_minutes=15))
    weeks = {e.start.date(): e for e in expand(calendar, (2026, 11, 30), (2026, 12, 15))}
    skipped, after = weeks[dt.date(2026, 12, 7)], weeks[dt.date(2026, 12, 14)]
    assert str(skipped["STATUS"]) == "CANCELLED" and str(skipped["SUMMARY"]) == f"Cancelled: {meeting.name}"
    assert "Church closed for the holiday" in str(skipped["DESCRIPTION"])
    assert skipped.start == dt.datetime(2026, 12, 7, 19, 30, tzinfo=ZoneInfo("America/New_York"))
    assert skipped.walk("VALARM") == []
    assert str(after["STATUS"]) == "CONFIRMED" and [a["TRIGGER"].dt for a in after.walk("VALARM")] == [
        -dt.timedelta(minutes=15)]


def test_old_skipped_weeks_stay_exdates_and_a_long_closure_is_bounded():
    meeting = make_meeting(times=[(0, "19:30", 60)], exceptions=[
        {"start_date": dt.date(2024, 3, 4)},  # before the year before the feed's: an EXDATE
        {"start_date": dt.date(2026, 1, 5), "end_date": dt.date(2026, 12, 28), "kind": "closed"},  # 52 Mondays
    ], created_at=dt.datetime(2024, 1, 1, tzinfo=UTC))
    calendar = parse(feed([meeting]))
    master, *weeks = calendar.walk("VEVENT")
    assert len(weeks) == ical.MAX_CANCELLED_WEEKS
    excluded = {d.dt.date() for d in master["EXDATE"].dts}
    assert dt.date(2024, 3, 4) in excluded and len(excluded) == 1 + 52 - ical.MAX_CANCELLED_WEEKS
    happening = [e for e in expand(calendar) if e["STATUS"] != "CANCELLED"]
    assert happening == []  # the whole of 2026 closed: shown cancelled or left out, never on


def test_reminders_only_when_asked_and_never_on_a_cancelled_meeting():
    on, gone = make_meeting(times=[(1, "12:00", 60), (3, "12:00", 60)]), make_meeting(status="inactive")
    plain = parse(feed([on, gone]))
    assert plain.walk("VALARM") == []
    reminded = parse(ical.feed_bytes([on, gone], ical.FeedInfo("x"), LINKS, 2026, alarm_minutes=90))
    for event in reminded.walk("VEVENT"):
        alarms = event.walk("VALARM")
        if str(event["STATUS"]) == "CANCELLED":
            assert alarms == []
        else:
            (alarm,) = alarms
            assert (str(alarm["ACTION"]), alarm["TRIGGER"].dt) == ("DISPLAY", -dt.timedelta(minutes=90))
            assert "1 hour 30 minutes" in str(alarm["DESCRIPTION"])
    assert len(reminded.walk("VALARM")) == 2
    for bad in (0, -5, 7 * 24 * 60 + 1):
        with pytest.raises(ValueError):
            ical.alarm_block(bad)


def test_a_meeting_ending_past_midnight_ends_the_next_day_all_year():
    meeting = make_meeting(times=[(5, "23:00", 120)], zone="America/Chicago")
    events = expand(parse(feed([meeting])))
    assert len(events) == 52
    chicago = ZoneInfo("America/Chicago")
    assert all(e.end.astimezone(chicago).weekday() == 6 and e.end - e.start == dt.timedelta(hours=2) for e in events
               if e.start.utcoffset() == e.end.utcoffset())


def test_a_moved_meeting_keeps_its_uid_and_moves_its_sequence_and_last_modified():
    before = make_meeting(times=[(2, "19:00", 60)], sequence=1)
    moved = NS(**{**vars(before), "sequence": 2, "updated_at": dt.datetime(2026, 5, 1, 8, tzinfo=UTC)})
    moved.times = [NS(id=before.times[0].id, weekday=3, start=dt.time(18, 30), duration_minutes=60)]
    (old,), (new,) = parse(feed([before])).walk("VEVENT"), parse(feed([moved])).walk("VEVENT")
    assert str(old["UID"]) == str(new["UID"])
    assert (new["SEQUENCE"], old["SEQUENCE"]) == (2, 1)
    assert new["LAST-MODIFIED"].dt > old["LAST-MODIFIED"].dt and new["DTSTAMP"].dt == new["LAST-MODIFIED"].dt
    assert new["RRULE"]["BYDAY"] == ["TH"] and (new.start.hour, new.start.minute) == (18, 30)


def test_an_inactive_meeting_is_cancelled_as_a_whole():
    meeting = make_meeting(status="inactive", exceptions=[{"start_date": dt.date(2026, 3, 16)}])
    (event,) = parse(feed([meeting])).walk("VEVENT")  # no cancelled weeks inside a cancelled series
    assert str(event["STATUS"]) == "CANCELLED" and "no longer meets" in str(event["DESCRIPTION"])


# --- feed level --------------------------------------------------------------------------------------------------


def test_feed_properties():
    body = ical.feed_bytes([make_meeting()], ical.FeedInfo("NA meetings near 19103", "https://finder.example/calendars/test.ics",
                                                          "Meetings near 19103"), LINKS, 2026)
    assert b"REFRESH-INTERVAL;VALUE=DURATION:PT12H\r\n" in body
    calendar = parse(body)
    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["PRODID"]) == ical.PRODID
    assert str(calendar["NAME"]) == str(calendar["X-WR-CALNAME"]) == "NA meetings near 19103"
    assert calendar["REFRESH-INTERVAL"].dt == dt.timedelta(hours=12)
    assert calendar["REFRESH-INTERVAL"].params["VALUE"] == "DURATION"
    assert str(calendar["X-PUBLISHED-TTL"]) in ("PT12H", "12:00:00") or calendar["X-PUBLISHED-TTL"].dt == dt.timedelta(hours=12)
    assert str(calendar["SOURCE"]) == "https://finder.example/calendars/test.ics"
    assert str(calendar["DESCRIPTION"]) == str(calendar["X-WR-CALDESC"]) == "Meetings near 19103"
    assert calendar["LAST-MODIFIED"].dt == dt.datetime(2026, 1, 3, 9, tzinfo=UTC)


def test_vtimezone_window_is_narrow():
    body = feed([make_meeting()], year=2026)
    (tz,) = parse(body).walk("VTIMEZONE")
    transitions = [c for c in tz.walk() if c.name in ("STANDARD", "DAYLIGHT")]
    first = min(c["DTSTART"].dt for c in transitions)
    assert first.year == 2026
    assert b"RDATE" in body and body.count(b"2031") == 0 and body.count(b"1970") == 0


def test_empty_feed_is_a_valid_named_calendar():
    body = feed([], name="Nothing here")
    calendar = parse(body)
    assert str(calendar["NAME"]) == "Nothing here"
    assert calendar.walk("VEVENT") == [] and calendar.walk("VTIMEZONE") == []
    assert ical.build_feed([], ical.FeedInfo("x"), LINKS, 2026).last_modified is None


def test_same_input_same_bytes_in_any_order():
    meetings = [make_meeting(zone=z, times=[(i % 7, "18:45", 60), ((i + 2) % 7, "07:00", 45)]) for i, z in enumerate(ZONES)]
    first = feed(meetings)
    assert feed(list(reversed(meetings))) == first
    ical._vtimezone.cache_clear()
    assert feed(meetings) == first
    calendar = parse(first)
    assert [str(t["TZID"]) for t in calendar.walk("VTIMEZONE")] == sorted(ZONES)
    assert len({str(e["UID"]) for e in calendar.walk("VEVENT")}) == 2 * len(ZONES)


def test_a_shared_row_is_written_once_per_links_and_horizon(monkeypatch):
    shared = [make_meeting(derived={}), make_meeting(derived={}, zone="Asia/Tokyo")]
    first = feed(shared)
    written = []
    monkeypatch.setattr(ical, "facts_of", lambda meeting, language=None: written.append(meeting.id)
                        or real_facts(meeting, language))
    assert feed(shared) == first and written == []  # the next feed with these rows reuses their events
    elsewhere = ical.Links(meeting_url=lambda slug: f"https://other.example/m/{slug}", explanation_url=None,
                           uid_domain="other.example")
    moved = ical.feed_bytes(shared, ical.FeedInfo("Test feed"), elsewhere, 2026)
    assert b"@other.example" in moved and b"https://other.example/m/" in moved and written == [m.id for m in shared]
    assert feed(shared, year=2027) != first  # another year's horizon is written anew
    assert ical.feed_bytes(shared, ical.FeedInfo("Test feed", "https://finder.example/calendars/test.ics"),
                           ical.Links(LINKS.meeting_url, LINKS.explanation_url, LINKS.uid_domain), 2026) == first


real_facts = ical.facts_of


def test_wire_helpers():
    assert ical.fold("x" * 75) == b"x" * 75
    folded = ical.fold("é" * 100)
    assert all(len(line) <= 75 for line in folded.split(b"\r\n"))
    assert folded.replace(b"\r\n ", b"").decode() == "é" * 100
    assert ical.duration(dt.timedelta(hours=12)) == "PT12H"
    assert ical.duration(dt.timedelta(minutes=90)) == "PT1H30M"
    with pytest.raises(ValueError):
        ical.utc_datetime(dt.datetime(2026, 1, 1))
    assert ical.prop("X", "v", LABEL="a:b;c") == 'X;LABEL="a:b;c":v'
    assert ical.uri("https://a.example/x y\r\nz") == "https://a.example/xyz"
