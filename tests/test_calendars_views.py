"""Tests for finder.calendars.views: the .ics endpoints (one meeting, bodies, groups, lists, searches),
conditional requests, reminders, languages, and the pages that offer them."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import icalendar
import pytest
import recurring_ical_events
from sqlalchemy import update
from werkzeug.http import http_date

from finder import cache as response_cache
from finder.models import SiteSetting
from finder.submissions import workflow
from finder.calendars import feed_cache, feeds
from finder.calendars.lists import encode_list

NY = ZoneInfo("America/New_York")


def parse(response) -> icalendar.Calendar:
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert "Content-Encoding" not in response.headers
    assert "no-transform" in response.headers["Cache-Control"]
    body = response.get_data()
    assert b"\n" not in body.replace(b"\r\n", b"")
    assert all(len(line) <= 75 for line in body.split(b"\r\n"))
    calendar = icalendar.Calendar.from_ical(body)
    tzids = {str(t["TZID"]) for t in calendar.walk("VTIMEZONE")}
    assert all(e["DTSTART"].params["TZID"] in tzids for e in calendar.walk("VEVENT"))
    return calendar


def calname(calendar) -> str:
    """The calendar's name read as TEXT (RFC 5545 3.3.11), as calendar apps read it; icalendar keeps it raw."""
    return re.sub(r"\\([\\;,nN])", lambda m: "\n" if m.group(1) in "nN" else m.group(1), str(calendar["X-WR-CALNAME"]))


def uids(calendar) -> set[str]:
    return {str(e["UID"]).split("-t")[0] for e in calendar.walk("VEVENT")}


def test_meeting_ics(client, session, make_meeting):
    meeting = make_meeting(
        times=[(0, "19:30", 60), (5, "23:00", 120)],
        exceptions=[{"kind": "cancelled", "start_date": dt.date(2026, 12, 7), "end_date": dt.date(2026, 12, 7)}],
    )
    session.commit()
    response = client.get(f"/meetings/{meeting.slug}.ics", headers={"Accept-Encoding": "gzip, br"})
    calendar = parse(response)
    assert response.headers["Content-Disposition"] == f'attachment; filename="{meeting.slug}.ics"'
    assert str(calendar["X-WR-CALNAME"]) == meeting.name
    events = calendar.walk("VEVENT")
    assert len(events) == 3  # two weekly series and the cancelled week, an override of the Monday series
    assert all(str(e["URL"]) == f"http://localhost/meetings/{meeting.slug}" for e in events)
    description = str(events[0]["DESCRIPTION"])
    assert "http://localhost/learn/formats" in description and "http://localhost/learn/first-meeting" in description
    assert "- Open:" in description
    occurrences = recurring_ical_events.of(calendar).between((2026, 11, 1), (2027, 1, 1))
    mondays = {o.start: str(o["STATUS"]) for o in occurrences if o.start.weekday() == 0}
    assert mondays[dt.datetime(2026, 12, 7, 19, 30, tzinfo=NY)] == "CANCELLED"  # shown cancelled, not gone
    assert mondays[dt.datetime(2026, 12, 14, 19, 30, tzinfo=NY)] == "CONFIRMED"
    saturday = next(o for o in occurrences if o.start.weekday() == 5)
    assert (saturday.end - saturday.start, saturday.end.weekday()) == (dt.timedelta(hours=2), 6)


def test_meeting_page_route_still_answers(client, session, make_meeting):
    meeting = make_meeting()
    session.commit()
    assert client.get(f"/meetings/{meeting.slug}").status_code == 200
    assert client.get(f"/meetings/{meeting.slug}.ics").headers["Content-Type"].startswith("text/calendar")


def test_unknown_or_unpublished_meeting_is_404(client, session, make_meeting):
    hidden = make_meeting(published=False)
    session.commit()
    assert client.get("/meetings/no-such-meeting.ics").status_code == 404
    assert client.get(f"/meetings/{hidden.slug}.ics").status_code == 404


def test_same_bytes_etag_and_304(app, client, session, make_meeting):
    meeting = make_meeting()
    session.commit()
    url = f"/meetings/{meeting.slug}.ics"
    first = client.get(url)
    etag = first.headers["ETag"]
    assert etag.startswith('"') and not etag.startswith("W/")  # strong
    assert first.headers["Last-Modified"]
    second = client.get(url)
    assert second.get_data() == first.get_data() and second.headers["ETag"] == etag
    with app.app_context():
        feed_cache.feed_cache().clear()
    rebuilt = client.get(url)  # built again from the database: still the same bytes
    assert rebuilt.get_data() == first.get_data() and rebuilt.headers["ETag"] == etag

    not_modified = client.get(url, headers={"If-None-Match": etag})
    assert not_modified.status_code == 304 and not_modified.get_data() == b""
    assert not_modified.headers["ETag"] == etag
    since = client.get(url, headers={"If-Modified-Since": first.headers["Last-Modified"]})
    assert since.status_code == 304
    assert client.get(url, headers={"If-None-Match": '"other"'}).status_code == 200
    assert client.head(url).status_code == 200


def test_an_edit_changes_the_feed(app, client, session, make_meeting):
    meeting = make_meeting()
    session.commit()
    url = f"/meetings/{meeting.slug}.ics"
    before = client.get(url)
    meeting.name = "Renamed Group"
    meeting.sequence += 1
    session.commit()
    app.config["CALENDAR_CACHE_SECONDS"] = 0  # the process cache would hold the old bytes up to CHECK_SECONDS
    after = client.get(url, headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200
    (event,) = parse(after).walk("VEVENT")
    assert str(event["SUMMARY"]) == "Renamed Group" and event["SEQUENCE"] == 1


def test_body_feed_includes_children_and_groups(client, session, make_body, make_meeting):
    region = make_body(kind="region", name="Greater Philadelphia Region")
    area = make_body(kind="area", name="Center City Area", parent_id=region.id)
    group = make_body(kind="group", name="Serenity Group", parent_id=area.id)
    other = make_body(kind="area", name="Elsewhere Area")
    in_area = make_meeting(service_body_id=area.id)
    in_group = make_meeting(group_id=group.id)
    in_region = make_meeting(service_body_id=region.id)
    elsewhere = make_meeting(service_body_id=other.id)
    gone = make_meeting(service_body_id=area.id, status="inactive")
    session.commit()

    region_feed = parse(client.get(f"/calendars/body/{region.id}.ics"))
    assert str(region_feed["X-WR-CALNAME"]) == "Greater Philadelphia Region: meetings"
    expected = {f"meeting-{m.id}" for m in (in_area, in_group, in_region, gone)}
    assert uids(region_feed) == expected
    cancelled = [e for e in region_feed.walk("VEVENT") if str(e["UID"]).startswith(f"meeting-{gone.id}-")]
    assert str(cancelled[0]["STATUS"]) == "CANCELLED"

    area_feed = parse(client.get(f"/calendars/body/{area.id}.ics"))
    assert uids(area_feed) == {f"meeting-{m.id}" for m in (in_area, in_group, gone)}
    assert f"meeting-{elsewhere.id}" not in uids(area_feed)

    group_feed = parse(client.get(f"/calendars/group/{group.id}.ics"))
    assert uids(group_feed) == {f"meeting-{in_group.id}"}
    assert client.get(f"/calendars/group/{area.id}.ics").status_code == 404  # not a group
    assert client.get("/calendars/body/999999.ics").status_code == 404


def test_empty_body_is_a_valid_empty_calendar(client, session, make_body):
    body = make_body(name="Quiet Area")
    session.commit()
    calendar = parse(client.get(f"/calendars/body/{body.id}.ics"))
    assert calendar.walk("VEVENT") == [] and str(calendar["X-WR-CALNAME"]) == "Quiet Area: meetings"


def test_list_feed(client, session, make_meeting):
    chosen = [make_meeting(), make_meeting(place_fields={"timezone": "America/Los_Angeles"})]
    not_chosen = make_meeting()
    session.commit()
    code = encode_list([m.id for m in chosen] + [99999])  # a deleted meeting is simply left out
    calendar = parse(client.get(f"/calendars/list/{code}.ics"))
    assert uids(calendar) == {f"meeting-{m.id}" for m in chosen}
    assert f"meeting-{not_chosen.id}" not in uids(calendar)
    assert sorted(str(t["TZID"]) for t in calendar.walk("VTIMEZONE")) == ["America/Los_Angeles", "America/New_York"]
    assert str(calendar["X-WR-CALNAME"]).startswith("My meetings")


def test_bad_list_code_is_400_with_a_message(client):
    response = client.get("/calendars/list/%21%21.ics")
    assert response.status_code == 400
    assert "list" in response.get_data(as_text=True)
    assert client.get("/calendars/list/AA.ics").status_code == 400


def test_old_list_links_lead_to_the_lasting_list(client, session, make_meeting):
    first, second = make_meeting(), make_meeting()
    session.commit()
    added = client.get(f"/calendars/list?add={first.id}")  # the old "add to a personal calendar" link
    assert added.status_code == 303 and added.headers["Location"] == f"/calendars/add/{first.id}"
    code = encode_list([first.id, second.id])
    assert client.get(f"/calendars/list?code={code}").headers["Location"] == f"/calendars/list/{code}"
    page = client.get(f"/calendars/list/{code}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and first.name in html and second.name in html
    assert f"webcal://localhost/calendars/list/{code}.ics" in html and "Make it a lasting list" in html
    assert client.get("/calendars/list").status_code == 303
    assert client.get("/calendars/list?code=%21%21").status_code == 400
    assert client.get("/calendars/list/%21%21").status_code == 400


PHILLY = {"latitude": 39.9487, "longitude": -75.1685}


def test_search_feed_uses_the_search(client, session, make_meeting, make_place):
    near_monday = make_meeting(times=[(0, "19:00", 60)], place_fields=PHILLY)
    near_tuesday = make_meeting(times=[(1, "12:00", 60)], place_fields={"latitude": 39.95, "longitude": -75.16})
    far = make_meeting(times=[(0, "19:00", 60)], place_fields={"latitude": 34.05, "longitude": -118.24,
                                                                "timezone": "America/Los_Angeles"})
    hidden = make_meeting(published=False, place_fields=PHILLY)
    session.commit()
    everything = parse(client.get("/calendars/search.ics?lat=39.9487&lon=-75.1685&radius=10&page=3&per_page=1"))
    assert uids(everything) == {f"meeting-{near_monday.id}", f"meeting-{near_tuesday.id}"}
    assert f"meeting-{far.id}" not in uids(everything) and f"meeting-{hidden.id}" not in uids(everything)
    assert calname(everything) == "NA meetings within 10 mi of the chosen place"
    assert "39.9487" not in str(everything["X-WR-CALNAME"])  # no coordinates in a calendar's name

    mondays = parse(client.get("/calendars/search.ics?lat=39.9487&lon=-75.1685&radius=10&day=mon&soon=30&now=1"))
    assert uids(mondays) == {f"meeting-{near_monday.id}"}
    assert calname(mondays) == "NA meetings within 10 mi of the chosen place, Mondays"


def test_junk_parameters_are_ignored(client, session, make_meeting):
    meeting = make_meeting(place_fields=PHILLY)
    session.commit()
    plain = client.get("/calendars/search.ics?lat=39.9487&lon=-75.1685&radius=10")
    junk = client.get("/calendars/search.ics?lat=39.9487&lon=-75.1685&radius=10&endpoint=x&_external=0&_anchor=a")
    assert junk.status_code == 200 and junk.get_data() == plain.get_data()
    assert uids(parse(junk)) == {f"meeting-{meeting.id}"}


def test_search_feed_by_zip_is_named_after_the_place(client, session, make_meeting):
    meeting = make_meeting(place_fields=PHILLY)
    session.commit()
    calendar = parse(client.get("/calendars/search.ics?q=19103&radius=5"))
    assert uids(calendar) == {f"meeting-{meeting.id}"}
    assert calname(calendar) == "NA meetings within 5 mi of 19103"
    evenings = parse(client.get("/calendars/search.ics?q=19103&radius=10&from=18:00&open=open"))
    assert calname(evenings) == "NA open meetings within 10 mi of 19103, evenings from 18:00"


def test_search_feed_same_bytes_and_304(client, session, make_meeting):
    make_meeting(place_fields=PHILLY)
    session.commit()
    url = "/calendars/search.ics?lat=39.9487&lon=-75.1685&radius=10"
    first, second = client.get(url), client.get(url)
    assert first.get_data() == second.get_data() and first.headers["ETag"] == second.headers["ETag"]
    assert client.get(url, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304


def test_a_deleted_meeting_leaves_the_search_feed_and_moves_last_modified(app, client, session, make_meeting):
    an_hour_ago = dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=1)
    staying, leaving = (make_meeting(place_fields=PHILLY, created_at=an_hour_ago, updated_at=an_hour_ago)
                        for _ in range(2))
    session.commit()
    session.execute(update(SiteSetting).where(SiteSetting.key == response_cache.DATA_CHANGED_AT_KEY)
                    .values(value=an_hour_ago.isoformat()))
    session.commit()
    url = "/calendars/search.ics?lat=39.9487&lon=-75.1685&nearest=5"
    before = client.get(url)
    session.delete(leaving)
    session.commit()
    app.config["CALENDAR_CACHE_SECONDS"] = 0
    after = client.get(url, headers={"If-Modified-Since": before.headers["Last-Modified"]})
    assert after.status_code == 200
    assert uids(parse(after)) == {f"meeting-{staying.id}"}


def test_a_search_feed_reads_its_meetings_at_the_version_it_is_kept_under(app, client, session, make_meeting,
                                                                          monkeypatch):
    meeting = make_meeting(name="Old Name", place_fields=PHILLY)
    session.commit()
    url = "/calendars/search.ics?lat=39.9487&lon=-75.1685&nearest=5"
    assert str(parse(client.get(url)).walk("VEVENT")[0]["SUMMARY"]) == "Old Name"
    assert len(app.extensions["finder.meeting_cache"]) == 1  # a few nearest go through the meeting cache
    # Renamed by another process: this one's short-lived memo of the version (the pages') has not seen it yet.
    memo = app.extensions["finder.data_version_memo"]
    stale = response_cache.data_version(session)
    monkeypatch.setattr(memo, "get", lambda read: stale)
    meeting.name = "New Name"
    session.commit()
    app.config["CALENDAR_CACHE_SECONDS"] = 0
    assert str(parse(client.get(url)).walk("VEVENT")[0]["SUMMARY"]) == "New Name"


def test_a_wide_search_feed_leaves_the_meeting_cache_alone(app, client, session, make_meeting):
    make_meeting(place_fields=PHILLY)
    session.commit()
    assert len(parse(client.get("/calendars/search.ics?lat=39.9487&lon=-75.1685&radius=10")).walk("VEVENT")) == 1
    assert len(app.extensions["finder.meeting_cache"]) == 0


def test_empty_search_is_a_valid_empty_named_calendar(client, session, make_meeting):
    make_meeting(place_fields=PHILLY)
    session.commit()
    calendar = parse(client.get("/calendars/search.ics?lat=0&lon=-30&radius=1"))  # mid-Atlantic
    assert calendar.walk("VEVENT") == []
    assert str(calendar["X-WR-CALNAME"]).startswith("NA meetings")


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("lat=abc&lon=-75", "lat"),
        ("lat=39.9", "lon"),
        ("lat=95&lon=0", "lat"),
        ("q=19103&radius=-5", "radius"),
        ("q=zzqxqzz%20nowhere", "q"),
        ("", "q"),  # no place, body or group: not a calendar anyone needs
        ("day=funday&lat=39.9&lon=-75", "day"),
    ],
)
def test_bad_search_feed_parameters_are_400_naming_the_field(sqlite_app, query, field):
    response = sqlite_app.test_client().get(f"/calendars/search.ics?{query}")
    assert response.status_code == 400
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert f": {field}:" in response.get_data(as_text=True)


def test_a_meeting_leaving_a_feed_moves_last_modified(app, client, session, make_body, make_meeting):
    area = make_body()
    old = dt.datetime(2026, 1, 5, tzinfo=dt.timezone.utc)
    staying = make_meeting(service_body_id=area.id, created_at=old, updated_at=old)
    leaving = make_meeting(service_body_id=area.id, created_at=old, updated_at=old)
    session.commit()
    # That change was an hour ago (HTTP dates count whole seconds, and this test runs within one).
    an_hour_ago = dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=1)
    session.execute(update(SiteSetting).where(SiteSetting.key == response_cache.DATA_CHANGED_AT_KEY)
                    .values(value=an_hour_ago.isoformat()))
    session.commit()
    url = f"/calendars/body/{area.id}.ics"
    before = client.get(url)
    assert before.headers["Last-Modified"] == http_date(an_hour_ago.replace(microsecond=0))
    leaving.published = False  # updated_at moves to now; the feed's own newest change does not
    session.commit()
    app.config["CALENDAR_CACHE_SECONDS"] = 0
    after = client.get(url, headers={"If-Modified-Since": before.headers["Last-Modified"]})
    assert after.status_code == 200
    assert uids(parse(after)) == {f"meeting-{staying.id}"}


def test_meeting_and_results_pages_offer_the_calendar_links(client, session, make_meeting):
    meeting = make_meeting(place_fields=PHILLY)
    session.commit()
    page = client.get(f"/meetings/{meeting.slug}").get_data(as_text=True)
    assert f"webcal://localhost/meetings/{meeting.slug}.ics" in page and "Download once (.ics)" in page
    assert f'href="/calendars/add/{meeting.id}"' in page
    results = client.get("/search?lat=39.94871&lon=-75.16849&radius=10&tz=America/Chicago").get_data(as_text=True)
    feed = "webcal://localhost/calendars/search.ics?lat=39.949&amp;lon=-75.168&amp;radius=10"
    assert f'href="{feed}"' in results  # rounded as the page rounds a location, in canonical order
    assert "name=NA+meetings+within+10+mi+of+the+chosen+place" in results  # Outlook names the calendar so
    assert f'href="/calendars/add/{meeting.id}"' in results


def test_a_feed_asked_for_in_spanish_has_spanish_words_and_the_same_events(client, session, make_meeting):
    meeting = make_meeting(times=[(0, "19:30", 60)])
    session.commit()
    english = parse(client.get(f"/meetings/{meeting.slug}.ics"))
    spanish = parse(client.get(f"/meetings/{meeting.slug}.ics?locale=es"))
    by_header = parse(client.get(f"/meetings/{meeting.slug}.ics", headers={"Accept-Language": "es"}))
    assert [str(e["UID"]) for e in spanish.walk("VEVENT")] == [str(e["UID"]) for e in english.walk("VEVENT")]
    assert [str(e["SUMMARY"]) for e in spanish.walk("VEVENT")] == [meeting.name]
    description = str(spanish.walk("VEVENT")[0]["DESCRIPTION"])
    assert "Reunión en persona." in description and "- Abierta:" in description
    assert "http://localhost/learn/formats?locale=es" in description  # its links open in Spanish too
    assert "In-person meeting." in str(english.walk("VEVENT")[0]["DESCRIPTION"])  # each language cached apart
    assert str(by_header.walk("VEVENT")[0]["DESCRIPTION"]) == description


def test_a_search_feed_is_named_in_the_language_it_was_asked_in(client, session, make_meeting):
    make_meeting(times=[(0, "19:00", 60)], place_fields=PHILLY)
    session.commit()
    feed = parse(client.get("/calendars/search.ics?lat=39.9487&lon=-75.1685&radius=10&day=mon&locale=es"))
    assert str(feed["X-WR-CALNAME"]).startswith("Reuniones de NA los Lunes")
    assert "locale=es" in str(feed["SOURCE"])  # a subscriber's app keeps asking in Spanish


def test_equal_searches_share_one_feed_url_and_one_cached_feed(app, client, session, make_meeting):
    make_meeting(place_fields=PHILLY)
    session.commit()
    first = client.get("/calendars/search.ics?radius=10&lon=-75.16849&lat=39.94871&day=tue,mon&unit=mi&online=0")
    second = client.get("/calendars/search.ics?lat=39.9487&lon=-75.1685&radius=10.0&day=mon&day=tuesday")
    assert first.get_data() == second.get_data()
    source = "http://localhost/calendars/search.ics?day=mon&day=tue&lat=39.949&lon=-75.168&radius=10"
    assert str(parse(first)["SOURCE"]) == source
    with app.app_context():
        assert len(feed_cache.feed_cache()._entries) == 1


def test_every_feed_takes_a_reminder_and_refuses_a_bad_one(client, session, make_meeting, make_body):
    area = make_body(kind="area")
    group = make_body(kind="group", parent_id=area.id)
    meeting = make_meeting(service_body_id=area.id, group_id=group.id, place_fields=PHILLY)
    session.commit()
    code = encode_list([meeting.id])
    for url in (f"/meetings/{meeting.slug}.ics", f"/calendars/body/{area.id}.ics", f"/calendars/group/{group.id}.ics",
                f"/calendars/list/{code}.ics", "/calendars/search.ics?lat=39.9487&lon=-75.1685&radius=10"):
        joiner = "&" if "?" in url else "?"
        assert parse(client.get(url)).walk("VALARM") == []
        (alarm,) = parse(client.get(f"{url}{joiner}alarm=45")).walk("VALARM")
        assert alarm["TRIGGER"].dt == -dt.timedelta(minutes=45)
        for bad in ("0", "1441", "15.5", "%D9%A1%D9%A5"):
            refused = client.get(f"{url}{joiner}alarm={bad}")
            assert refused.status_code == 400 and ": alarm: " in refused.get_data(as_text=True), (url, bad)


def test_a_closed_meeting_is_cancelled_in_feeds_then_gone(app, client, session, make_body, make_meeting):
    area = make_body()
    now = dt.datetime.now(dt.timezone.utc)
    closing = make_meeting(service_body_id=area.id, status="inactive", updated_at=now - dt.timedelta(days=10))
    gone = make_meeting(service_body_id=area.id, status="inactive", updated_at=now - feeds.CANCELLED_GRACE
                        - dt.timedelta(days=1))
    session.commit()
    calendar = parse(client.get(f"/calendars/body/{area.id}.ics?alarm=10"))
    (event,) = calendar.walk("VEVENT")
    assert str(event["UID"]).startswith(f"meeting-{closing.id}-") and str(event["STATUS"]) == "CANCELLED"
    assert event.walk("VALARM") == []  # no reminder for a meeting that is not happening
    assert f"meeting-{gone.id}" not in uids(calendar)


def test_a_moved_meeting_keeps_its_uid_in_the_feed(app, client, session, make_meeting, now):
    meeting = make_meeting(times=[(2, "19:00", 60)])
    session.commit()
    before = parse(client.get(f"/meetings/{meeting.slug}.ics")).walk("VEVENT")[0]
    moved = {**workflow.proposal_from_meeting(meeting),
             "times": [{"weekday": 3, "start": "18:30", "duration_minutes": 60}]}
    assert workflow.update_meeting(session, meeting, moved, actor="moderator", now=now + dt.timedelta(days=400))
    session.commit()
    app.config["CALENDAR_CACHE_SECONDS"] = 0
    after = parse(client.get(f"/meetings/{meeting.slug}.ics")).walk("VEVENT")[0]
    assert str(after["UID"]) == str(before["UID"])  # the same event moved, not one gone and another new
    assert after["SEQUENCE"] == before["SEQUENCE"] + 1 and after["LAST-MODIFIED"].dt > before["LAST-MODIFIED"].dt
    assert after["RRULE"]["BYDAY"] == ["TH"] and (after.start.hour, after.start.minute) == (18, 30)


def test_body_and_group_pages_offer_the_two_choices(client, session, make_body, make_meeting):
    area = make_body(kind="area", name="Center City Area")
    group = make_body(kind="group", name="Serenity Group", parent_id=area.id)
    meeting = make_meeting(group_id=group.id, name="Serenity Tuesday")
    session.commit()
    body_page = client.get(f"/calendars/body/{area.id}").get_data(as_text=True)
    assert f"webcal://localhost/calendars/body/{area.id}.ics" in body_page and "Download once (.ics)" in body_page
    group_page = client.get(f"/calendars/group/{group.id}").get_data(as_text=True)
    assert f"webcal://localhost/calendars/group/{group.id}.ics" in group_page and meeting.name in group_page
    assert client.get(f"/calendars/group/{area.id}").status_code == 404
    assert client.get(f"/calendars/body/{group.id}").status_code == 404
    assert client.get("/calendars/body/999999").status_code == 404
