"""Tests for the personal calendar list routes: one lasting address, adding and removing, the remembered list,
keeping and expiry, converting a code-in-the-URL list, and every bad input (both databases)."""
import datetime as dt
import re
import urllib.parse

import icalendar
import recurring_ical_events
from sqlalchemy import select

from finder.calendars import personal

from finder.models import CalendarList, Meeting

COOKIE = "finder_calendar"


def csrf(client, url: str) -> str:
    html = client.get(url).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def calendar(response) -> icalendar.Calendar:
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    return icalendar.Calendar.from_ical(response.get_data())


def names(cal) -> set[str]:
    return {str(e["SUMMARY"]) for e in cal.walk("VEVENT")}


def start_list(client, meeting) -> tuple[str, str]:
    """Press "Add to my calendar" on a meeting with no list yet: (public id, edit key) of the new list."""
    token = csrf(client, f"/calendars/add/{meeting.id}")
    response = client.post(f"/calendars/add/{meeting.id}", data={"csrf_token": token})
    assert response.status_code == 303
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(response.headers["Location"]).query)
    public_id = urllib.parse.urlsplit(response.headers["Location"]).path.split("/")[3]
    cookie = client.get_cookie(COOKIE, path="/calendars")
    assert cookie is not None and cookie.value == f"{public_id}.{query['key'][0]}"
    assert cookie.http_only and cookie.same_site == "Lax"
    return public_id, query["key"][0]


def test_a_subscribed_list_follows_edits_at_the_same_address(client, session, make_meeting):
    first, second = make_meeting(name="Monday Night Hope"), make_meeting(name="Tuesday Serenity")
    session.commit()
    public_id, key = start_list(client, first)
    feed = f"/calendars/my/{public_id}.ics"
    before = client.get(feed)
    assert names(calendar(before)) == {"Monday Night Hope"}
    assert str(calendar(before)["X-WR-CALNAME"]) == "My NA meetings"

    # The second "Add to my calendar" adds to the remembered list, not a new one.
    token = csrf(client, f"/calendars/add/{second.id}")
    page = client.get(f"/calendars/add/{second.id}").get_data(as_text=True)
    assert "1 meeting so far" in page
    added = client.post(f"/calendars/add/{second.id}", data={"csrf_token": token})
    assert added.status_code == 303 and f"/calendars/my/{public_id}/edit" in added.headers["Location"]
    after = client.get(feed, headers={"If-None-Match": before.headers["ETag"]})
    assert names(calendar(after)) == {"Monday Night Hope", "Tuesday Serenity"}
    assert session.scalar(select(CalendarList.id).where(CalendarList.public_id == public_id))

    # Remove with one tap from the edit page.
    edit = f"/calendars/my/{public_id}/edit?key={key}"
    token = csrf(client, edit)
    removed = client.post(f"/calendars/my/{public_id}/edit", data={"csrf_token": token, "key": key,
                                                                   "remove": str(first.id)})
    assert removed.status_code == 303
    assert names(calendar(client.get(feed))) == {"Tuesday Serenity"}
    assert "Removed" in client.get(removed.headers["Location"]).get_data(as_text=True)


def test_the_feed_answers_304_until_the_list_changes(client, session, make_meeting):
    first, second = make_meeting(), make_meeting()
    session.commit()
    public_id, key = start_list(client, first)
    feed = f"/calendars/my/{public_id}.ics"
    got = client.get(feed)
    assert got.headers["ETag"].startswith('"') and got.headers["Last-Modified"]
    assert client.get(feed, headers={"If-None-Match": got.headers["ETag"]}).status_code == 304
    token = csrf(client, f"/calendars/my/{public_id}/edit?key={key}")
    client.post(f"/calendars/my/{public_id}/edit", data={"csrf_token": token, "key": key, "add": str(second.id)})
    changed = client.get(feed, headers={"If-None-Match": got.headers["ETag"]})
    assert changed.status_code == 200 and changed.headers["ETag"] != got.headers["ETag"]


def test_edit_page_finds_meetings_by_name_or_place_and_adds_them(client, session, make_meeting, make_place):
    there = make_meeting(name="Hope on Elm", place=make_place(city="Galveston", postal_code="77550"))
    mine = make_meeting(name="Serenity Now")
    make_meeting(name="Hidden", published=False, place=make_place(city="Galveston"))
    session.commit()
    public_id, key = start_list(client, mine)
    by_place = client.get(f"/calendars/my/{public_id}/edit?key={key}&find=galveston")
    html = by_place.get_data(as_text=True)
    assert by_place.headers["Cache-Control"] == "no-store"
    assert "Hope on Elm" in html and "Hidden" not in html
    assert "Hope on Elm" in client.get(f"/calendars/my/{public_id}/edit?key={key}&find=hope+on").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    client.post(f"/calendars/my/{public_id}/edit", data={"csrf_token": token, "key": key, "add": str(there.id)})
    assert names(calendar(client.get(f"/calendars/my/{public_id}.ics"))) == {"Hope on Elm", "Serenity Now"}
    # Without the key in the URL, the cookie opens the edit page of the remembered list.
    assert "Hope on Elm" in client.get(f"/calendars/my/{public_id}/edit").get_data(as_text=True)


def test_the_edit_key_is_stored_only_as_a_hash(client, session, make_meeting):
    meeting = make_meeting()
    session.commit()
    public_id, key = start_list(client, meeting)
    row = session.scalars(select(CalendarList).where(CalendarList.public_id == public_id)).one()
    assert row.secret_hash == personal.hash_secret(key) and key not in row.secret_hash


def test_every_post_needs_the_csrf_token(client, session, make_meeting):
    meeting = make_meeting()
    session.commit()
    assert client.post(f"/calendars/add/{meeting.id}").status_code == 400
    public_id, key = start_list(client, meeting)
    for url, data in ((f"/calendars/my/{public_id}/edit", {"key": key, "remove": str(meeting.id)}),
                      (f"/calendars/my/{public_id}/keep", {}), (f"/calendars/my/{public_id}/forget", {}),
                      (f"/calendars/my/{public_id}/remember", {"key": key})):
        assert client.post(url, data=data).status_code == 400
    assert names(calendar(client.get(f"/calendars/my/{public_id}.ics"))) == {meeting.name}


def test_bad_input_gets_a_clear_answer_and_loses_nothing(client, session, make_meeting):
    meeting, hidden = make_meeting(), make_meeting(published=False)
    session.commit()
    public_id, key = start_list(client, meeting)
    token = csrf(client, f"/calendars/my/{public_id}/edit?key={key}")
    post = f"/calendars/my/{public_id}/edit"

    tampered = client.post(post, data={"csrf_token": token, "key": key[:-2] + "xx", "add": str(hidden.id)})
    assert tampered.status_code == 403 and "edit link is not valid" in tampered.get_data(as_text=True)
    assert client.get(f"/calendars/my/{public_id}/edit?key=nope").status_code == 403
    for value, status in ((str(hidden.id), 404), ("999999", 404), ("12abc", 404), ("\u0661\u0662", 404)):
        answer = client.post(post, data={"csrf_token": token, "key": key, "add": value})
        expected = "cannot be added" if value.isascii() and value.isdigit() else "not a meeting number"
        assert answer.status_code == status and expected in answer.get_data(as_text=True)
    assert client.get(f"/calendars/add/{hidden.id}").status_code == 404
    assert client.get("/calendars/add/424242").status_code == 404

    missing = client.get("/calendars/my/AAAAAAAAAAAAAAAAAAAAAA.ics")
    assert missing.status_code == 404 and "no calendar at this address" in missing.get_data(as_text=True)
    assert missing.headers["Content-Type"].startswith("text/plain")
    assert client.get("/calendars/my/AAAAAAAAAAAAAAAAAAAAAA").status_code == 404
    for alarm in ("0", "1441", "-5", "abc", "\u0661\u0665"):
        refused = client.get(f"/calendars/my/{public_id}.ics?alarm={urllib.parse.quote(alarm)}")
        assert refused.status_code == 400 and "alarm" in refused.get_data(as_text=True)
    assert names(calendar(client.get(f"/calendars/my/{public_id}.ics"))) == {meeting.name}


def test_a_full_list_refuses_the_next_meeting(client, session, make_meeting, make_place, monkeypatch):
    monkeypatch.setattr(personal, "MAX_LIST_MEETINGS", 2)
    place = make_place()
    a, b, c = (make_meeting(place=place) for _ in range(3))
    session.commit()
    public_id, key = start_list(client, a)
    token = csrf(client, f"/calendars/my/{public_id}/edit?key={key}")
    client.post(f"/calendars/my/{public_id}/edit", data={"csrf_token": token, "key": key, "add": str(b.id)})
    full = client.post(f"/calendars/add/{c.id}", data={"csrf_token": token})
    assert full.status_code == 400 and "2 meetings" in full.get_data(as_text=True)
    assert names(calendar(client.get(f"/calendars/my/{public_id}.ics"))) == {a.name, b.name}


def test_reminders_are_in_the_feed_only_when_asked(client, session, make_meeting):
    meeting = make_meeting(times=[(0, "19:30", 60)])
    session.commit()
    public_id, _ = start_list(client, meeting)
    plain = calendar(client.get(f"/calendars/my/{public_id}.ics"))
    assert not plain.walk("VALARM")
    reminded = calendar(client.get(f"/calendars/my/{public_id}.ics?alarm=30"))
    (occurrence, *_) = recurring_ical_events.of(reminded).between((2026, 11, 30), (2026, 12, 8))
    (alarm,) = occurrence.walk("VALARM")
    assert alarm["ACTION"] == "DISPLAY" and alarm["TRIGGER"].dt == -dt.timedelta(minutes=30)


def test_keep_renews_and_the_feed_name_warns_before_expiry(app, client, session, make_meeting, monkeypatch):
    meeting = make_meeting()
    session.commit()
    public_id, key = start_list(client, meeting)
    row = session.scalars(select(CalendarList).where(CalendarList.public_id == public_id)).one()
    row.used_at = row.used_at - personal.LIST_LIFETIME + dt.timedelta(days=10)
    session.commit()
    warned = calendar(client.get(f"/calendars/my/{public_id}.ics"))
    assert str(warned["X-WR-CALNAME"]).startswith("My NA meetings (expires ")
    assert "keep it" in str(warned["X-WR-CALNAME"]) and f"/calendars/my/{public_id}" in str(warned["DESCRIPTION"])
    page = client.get(f"/calendars/my/{public_id}").get_data(as_text=True)
    assert "Keep this calendar" in page
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    kept = client.post(f"/calendars/my/{public_id}/keep", data={"csrf_token": token})
    assert kept.status_code == 303
    assert str(calendar(client.get(f"/calendars/my/{public_id}.ics"))["X-WR-CALNAME"]) == "My NA meetings"

    session.expire_all()
    row = session.scalars(select(CalendarList).where(CalendarList.public_id == public_id)).one()
    row.used_at = row.used_at - personal.LIST_LIFETIME - dt.timedelta(days=1)
    session.commit()
    gone = client.get(f"/calendars/my/{public_id}.ics")
    assert gone.status_code == 410 and "expired" in gone.get_data(as_text=True)
    assert client.get(f"/calendars/my/{public_id}/edit?key={key}").status_code == 410


def test_remembered_list_can_be_forgotten_and_a_new_one_starts(client, session, make_meeting):
    first, second = make_meeting(), make_meeting()
    session.commit()
    public_id, key = start_list(client, first)
    token = csrf(client, f"/calendars/my/{public_id}/edit?key={key}")
    assert client.post(f"/calendars/my/{public_id}/forget", data={"csrf_token": token}).status_code == 303
    assert client.get_cookie(COOKIE, path="/calendars") is None
    assert "This starts your own calendar list" in client.get(f"/calendars/add/{second.id}").get_data(as_text=True)
    other_id, _ = start_list(client, second)
    assert other_id != public_id
    # The old list is untouched and can be remembered again with its key.
    assert names(calendar(client.get(f"/calendars/my/{public_id}.ics"))) == {first.name}
    token = csrf(client, f"/calendars/my/{public_id}/edit?key={key}")
    client.post(f"/calendars/my/{public_id}/remember", data={"csrf_token": token, "key": key})
    assert client.get_cookie(COOKIE, path="/calendars").value == f"{public_id}.{key}"


def test_a_code_in_the_url_list_converts_in_one_step(client, session, make_meeting):
    from finder.calendars.lists import encode_list

    a, b = make_meeting(), make_meeting()
    session.commit()
    code = encode_list([a.id, b.id])
    old_feed = calendar(client.get(f"/calendars/list/{code}.ics"))
    page = client.get(f"/calendars/list/{code}").get_data(as_text=True)
    assert "lasting" in page
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    converted = client.post(f"/calendars/list/{code}/keep", data={"csrf_token": token})
    assert converted.status_code == 303
    public_id = urllib.parse.urlsplit(converted.headers["Location"]).path.split("/")[3]
    assert names(calendar(client.get(f"/calendars/my/{public_id}.ics"))) == names(old_feed)
    assert client.get(f"/calendars/list/{code}.ics").status_code == 200  # the old address keeps working
    assert client.post("/calendars/list/!!!/keep", data={"csrf_token": token}).status_code == 404


def test_add_to_my_calendar_is_on_meeting_pages_and_results(client, session, make_meeting):
    meeting = make_meeting()
    session.commit()
    detail = client.get(f"/meetings/{meeting.slug}").get_data(as_text=True)
    assert f'href="/calendars/add/{meeting.id}"' in detail
    results = client.get("/search?lat=39.9487&lon=-75.1685").get_data(as_text=True)
    assert f'href="/calendars/add/{meeting.id}"' in results
    assert session.get(Meeting, meeting.id) is not None
