"""The printed list's content before any page: every weekly time once, in order, marked; the legend; zones."""
from __future__ import annotations

import datetime as dt
import itertools

from finder.core.print_listing import OTHER_PLACES, ONLINE_PLACES, Notice, build_listing, list_zone, notices
from finder.core.print_options import PrintOptions
from finder.core.vocab import FORMAT_BY_CODE
from finder.search.loader import PlainException, PlainFormat, PlainMeeting, PlainPlace, PlainTime

TODAY = dt.date(2026, 11, 25)  # a Wednesday
_ids = itertools.count(1)


def fmt(code: str) -> PlainFormat:
    spec = FORMAT_BY_CODE[code]
    return PlainFormat(0, code, spec.name, spec.description, spec.kind, code, spec.mg_code, spec.world_id)


def meeting(name: str, times: list[tuple[int, str, int]], codes: tuple[str, ...] = ("O",), *,
            zone: str = "America/New_York", city: str = "Philadelphia", attendance: str = "in_person",
            status: str = "active", url: str = "", exceptions: tuple[PlainException, ...] = ()) -> PlainMeeting:
    n = next(_ids)
    place = PlainPlace("Hall", f"{n} Main St", city, "PA", "19103", "US", 39.9, -75.1, "rooftop", zone, "")
    return PlainMeeting(
        id=n, slug=f"m-{n}", name=name, attendance=attendance, conference_url=url, conference_notes="",
        phone="", phone_notes="", notes="", status=status, created_at=None, updated_at=None, sequence=0,
        group_id=None, service_body_id=None, language="en", published=True, place=place,
        times=[PlainTime(w, dt.time.fromisoformat(s), d) for w, s, d in times],
        formats=[fmt(c) for c in codes], exceptions=list(exceptions), has_exceptions=bool(exceptions),
    )


def test_every_weekly_time_is_an_entry_sunday_first_then_by_time():
    a = meeting("Alpha", [(0, "19:00", 60), (6, "10:00", 60)])  # Monday and Sunday
    b = meeting("Beta", [(6, "08:00", 90)])
    listing = build_listing([a, b], PrintOptions(), "America/New_York", TODAY)
    got = [(e.name, e.weekday, e.start.isoformat("minutes")) for e in listing.entries]
    assert got == [("Beta", 6, "08:00"), ("Alpha", 6, "10:00"), ("Alpha", 0, "19:00")]
    assert [g.weekday for g in listing.sections[0].groups] == [6, 0]  # Sunday, Monday


def test_nothing_is_dropped_past_midnight_no_formats_closed_building():
    late = meeting("Night Owls", [(4, "23:30", 90)])
    bare = meeting("No Codes", [(2, "12:00", 60)], codes=())
    closed = meeting("Closed Doors", [(3, "18:00", 60)], status="temporarily_closed")
    listing = build_listing([late, bare, closed], PrintOptions(), "America/New_York", TODAY)
    by_name = {e.name: e for e in listing.entries}
    assert by_name["Night Owls"].ends_next_day and by_name["Night Owls"].end == dt.time(1, 0)
    assert by_name["No Codes"].codes == ()
    assert by_name["Closed Doors"].temporarily_closed and "TC" in by_name["Closed Doors"].codes


def test_a_cancelled_week_marks_only_its_own_weekday_within_the_notice_window():
    thursday = dt.date(2026, 12, 24)
    far = dt.date(2027, 6, 3)
    m = meeting("Holiday", [(3, "19:00", 60), (0, "19:00", 60)], exceptions=(
        PlainException("cancelled", thursday, thursday, "Christmas Eve", None),
        PlainException("cancelled", far, far, "", None),  # beyond 90 days: not printed
    ))
    entries = build_listing([m], PrintOptions(), "America/New_York", TODAY).entries
    thursday_entry = next(e for e in entries if e.weekday == 3)
    monday_entry = next(e for e in entries if e.weekday == 0)
    assert thursday_entry.notices == (Notice("cancelled", thursday, thursday, "Christmas Eve"),)
    assert monday_entry.notices == ()


def test_a_closure_range_is_said_once_for_every_weekday_it_covers():
    m = meeting("Renovation", [(1, "19:00", 60)], exceptions=(
        PlainException("closed", dt.date(2026, 12, 1), dt.date(2026, 12, 20), "", None),))
    assert notices(m.exceptions, 1, TODAY) == [Notice("closed", dt.date(2026, 12, 1), dt.date(2026, 12, 20), "")]
    assert notices(m.exceptions, 1, dt.date(2026, 12, 21)) == []  # over


def test_online_meetings_in_their_own_section_or_in_place():
    room = meeting("Room", [(2, "19:00", 60)])
    hybrid = meeting("Both", [(2, "18:00", 60)], attendance="hybrid", url="https://example.org/j/1")
    online = meeting("Screen", [(2, "20:00", 60)], attendance="online", url="https://example.org/j/2")
    separate = build_listing([room, hybrid, online], PrintOptions(), "America/New_York", TODAY)
    assert [s.kind for s in separate.sections] == ["in_person", "online"]
    assert [e.name for e in separate.sections[0].entries] == ["Both", "Room"]  # hybrid stays with its place
    assert [e.name for e in separate.sections[1].entries] == ["Screen"]
    assert separate.sections[1].entries[0].join_url == "https://example.org/j/2"
    inline = build_listing([room, hybrid, online], PrintOptions(virtual="inline"), "America/New_York", TODAY)
    assert len(inline.sections) == 1 and [e.name for e in inline.entries] == ["Both", "Room", "Screen"]
    assert {c for e in inline.entries for c in e.codes} >= {"VM", "HYBR"}


def test_only_http_links_are_printed():
    m = meeting("Odd", [(2, "19:00", 60)], attendance="online", url="javascript:alert(1)")
    assert build_listing([m], PrintOptions(), "America/New_York", TODAY).entries[0].join_url == ""


def test_by_city_then_day():
    a = meeting("A", [(1, "19:00", 60)], city="York")
    b = meeting("B", [(6, "19:00", 60)], city="Allentown")
    c = meeting("C", [(0, "07:00", 60)], city="York")
    listing = build_listing([a, b, c], PrintOptions(order="city"), "America/New_York", TODAY)
    assert [g.city for g in listing.sections[0].groups] == ["Allentown", "York"]
    assert [e.name for e in listing.entries] == ["B", "C", "A"]


def test_by_city_places_without_a_city_and_online_meetings_come_last():
    a = meeting("A", [(1, "19:00", 60)], city="")
    b = meeting("B", [(1, "19:00", 60)], city="Zanesville")
    c = meeting("C", [(1, "19:00", 60)], city="Aston", attendance="online", url="https://example.org/j")
    listing = build_listing([a, b, c], PrintOptions(order="city", virtual="inline"), "America/New_York", TODAY)
    assert [(g.city, g.place) for g in listing.sections[0].groups] == [("Zanesville", 0), ("", OTHER_PLACES),
                                                                      ("", ONLINE_PLACES)]


def test_times_in_another_zone_are_converted_and_keep_their_own_clock():
    chicago = meeting("Windy", [(6, "23:30", 60)], zone="America/Chicago")
    entry = build_listing([chicago], PrintOptions(), "America/New_York", TODAY).entries[0]
    assert (entry.weekday, entry.start) == (0, dt.time(0, 30))  # Sunday 11:30 PM Chicago is Monday 12:30 AM here
    assert entry.own_start == dt.time(23, 30) and entry.own_zone == "America/Chicago"


def test_the_list_zone_is_the_most_common_real_place():
    ny = [meeting("N", [(1, "19:00", 60)]) for _ in range(2)]
    online = [meeting("O", [(1, "19:00", 60)], zone="Europe/London", attendance="online") for _ in range(3)]
    assert list_zone(ny + online) == "America/New_York"
    assert list_zone(online) == "Europe/London"
    assert list_zone([]) == "UTC"


def test_the_legend_names_every_code_used_in_vocabulary_order():
    a = meeting("A", [(1, "19:00", 60)], codes=("C", "WCHR", "BEG"))
    b = meeting("B", [(1, "20:00", 60)], codes=("O",), attendance="hybrid", url="https://example.org/x")
    listing = build_listing([a, b], PrintOptions(), "America/New_York", TODAY)
    assert [code for code, _ in listing.legend] == ["O", "C", "BEG", "WCHR", "HYBR"]
    assert dict(listing.legend)["WCHR"] == "Wheelchair accessible"
    assert listing.wheelchair_used
