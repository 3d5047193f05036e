"""Freshness pages: the report form, the confirm links, the meeting page, API and feeds, and moderators' pages."""
from __future__ import annotations

import csv
import datetime as dt
import io
import re

import icalendar
import pytest
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import func, select

from finder.admin.auth import create_user
from finder.freshness import links
from finder.freshness.confirmation import not_a_change
from finder.models import Meeting, MeetingReport, OutboxMessage
from finder.submissions import workflow as submissions

PASSWORD = "correct horse battery staple"
sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


# Accounts made here use a cheap hash (conftest.cheap_password_hashes); test_auth checks the real one.
pytestmark = pytest.mark.usefixtures("cheap_password_hashes")


def csrf_token(client, url: str) -> str:
    html = client.get(url).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def send_report(app, slug: str, address: str, kind: str = "nobody_there", note: str = ""):
    """One visitor (a client of its own, from `address`) reports a problem through the form."""
    visitor = app.test_client()
    visitor.environ_base["REMOTE_ADDR"] = address
    token = csrf_token(visitor, f"/meetings/{slug}/report")
    return visitor.post(f"/meetings/{slug}/report", data={"csrf_token": token, "kind": kind, "note": note})


def login(client, email: str):
    token = csrf_token(client, "/login")
    assert client.post("/login", data={"csrf_token": token, "email": email, "password": PASSWORD}).status_code == 303


@pytest.fixture
def area(session, now, make_body, make_meeting):
    body = make_body(kind="area", name="Philly Area")
    meeting = make_meeting(name="Clean Living", service_body_id=body.id, updated_at=now - dt.timedelta(days=30))
    create_user(session, email="mod@example.org", password=PASSWORD, role="body_admin", service_body=body, now=now)
    create_user(session, email="far@example.org", password=PASSWORD, role="body_admin",
                service_body=make_body(name="Far Area"), now=now)
    session.commit()
    return {"meeting": meeting, "body": body}


# --- Report a problem ------------------------------------------------------------------------------------


def test_reports_from_several_clients_mark_the_meeting_and_reach_its_moderators(app, client, session, area):
    meeting = area["meeting"]
    first = send_report(app, meeting.slug, "198.51.100.1", note="Door locked at 7:10")
    assert first.status_code == 200 and "reached the volunteers" in first.get_data(as_text=True)
    told = session.scalars(select(OutboxMessage)).all()
    assert [m.recipient for m in told] == ["mod@example.org"]  # its service body's moderator, not far@
    assert "Door locked" not in told[0].body  # notes are read on the moderators' page, not sent around
    send_report(app, meeting.slug, "198.51.100.2")
    page = client.get(f"/meetings/{meeting.slug}").get_data(as_text=True)
    assert "Recently reported as not meeting" not in page
    send_report(app, meeting.slug, "198.51.100.3")
    session.expire_all()
    assert session.get(Meeting, meeting.id).reported_at is not None
    assert "Recently reported as not meeting" in client.get(f"/meetings/{meeting.slug}").get_data(as_text=True)
    subjects = [m.subject for m in session.scalars(select(OutboxMessage))]
    assert subjects == ["A visitor reported a problem: Clean Living", "Reported as not meeting: Clean Living"]
    api = client.get(f"/api/v1/meetings/{meeting.slug}").get_json()
    assert api["reported_not_meeting"] is True
    results = client.get("/search?q=39.9487,-75.1685").get_data(as_text=True)
    assert "Recently reported as not meeting" in results


def test_one_clients_many_reports_do_not_mark_and_a_flood_is_refused(app, session, area):
    meeting = area["meeting"]
    app.config["REPORT_RATE_LIMIT"] = "3/hour"
    answers = [send_report(app, meeting.slug, "203.0.113.7") for _ in range(5)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429, 429]
    assert "Several reports came from your connection" in answers[-1].get_data(as_text=True)
    stored = session.scalar(select(func.count()).select_from(MeetingReport))
    assert stored == 1  # the repeats of one visitor stored nothing
    session.expire_all()
    assert session.get(Meeting, meeting.id).reported_at is None


def test_the_report_form_needs_its_csrf_token_and_a_kind(app, client, session, area):
    slug = area["meeting"].slug
    assert client.post(f"/meetings/{slug}/report", data={"kind": "nobody_there"}).status_code == 400
    token = csrf_token(client, f"/meetings/{slug}/report")
    response = client.post(f"/meetings/{slug}/report", data={"csrf_token": token, "note": "kept as typed"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "Please choose what was wrong." in html and "kept as typed" in html
    assert session.scalar(select(func.count()).select_from(MeetingReport)) == 0


def test_unknown_unpublished_or_inactive_meetings_take_no_reports(app, client, session, make_meeting):
    hidden = make_meeting(published=False)
    gone = make_meeting(status="inactive")
    session.commit()
    assert client.get("/meetings/no-such-meeting/report").status_code == 404
    assert client.get(f"/meetings/{hidden.slug}/report").status_code == 404
    assert client.get(f"/meetings/{gone.slug}/report").status_code == 409
    token = csrf_token(client, "/login")
    for slug in (hidden.slug, gone.slug, "no-such-meeting"):
        response = client.post(f"/meetings/{slug}/report", data={"csrf_token": token, "kind": "nobody_there"})
        assert response.status_code in (404, 409)
    assert session.scalar(select(func.count()).select_from(MeetingReport)) == 0


def test_a_hostile_note_is_stored_as_text_and_only_moderators_see_it_escaped(app, client, session, area):
    meeting = area["meeting"]
    hostile = '<img src=x onerror="alert(1)"> <a href="https://evil.example">call us</a>'
    send_report(app, meeting.slug, "198.51.100.1", kind="other", note=hostile)
    assert session.scalars(select(MeetingReport.note)).one() == hostile
    public = client.get(f"/meetings/{meeting.slug}").get_data(as_text=True)
    assert "evil.example" not in public and "onerror" not in public
    assert "evil.example" not in client.get("/feeds/meeting-guide.json").get_data(as_text=True)
    login(client, "mod@example.org")
    page = client.get(f"/admin/reports/meetings/{meeting.id}").get_data(as_text=True)
    assert "&lt;img src=x onerror=" in page and '<img src=x' not in page


# --- confirm links -------------------------------------------------------------------------------------------


def confirm_url(app, meeting) -> str:
    return "/confirm/" + links.make_confirm_token(app.config["SECRET_KEY"], meeting.id, meeting.confirmed_at)


def test_a_confirm_link_confirms_once_then_expires(app, client, session, area):
    meeting = area["meeting"]
    url = confirm_url(app, meeting)
    ask = client.get(url)
    assert ask.status_code == 200 and "Yes, still meeting as listed" in ask.get_data(as_text=True)
    assert ask.headers["Cache-Control"] == "no-store" and ask.headers["Referrer-Policy"] == "no-referrer"
    session.expire_all()
    assert session.get(Meeting, meeting.id).confirmed_by == ""  # opening the link (a mail scanner) confirms nothing
    token = re.search(r'name="csrf_token" value="([^"]+)"', ask.get_data(as_text=True)).group(1)
    done = client.post(url, data={"csrf_token": token})
    assert done.status_code == 200 and "confirmed as listed today" in done.get_data(as_text=True)
    session.expire_all()
    confirmed = session.get(Meeting, meeting.id)
    assert confirmed.confirmed_by == "organizer (confirm link)" and confirmed.confirmed_at > area["meeting"].updated_at
    again = client.post(url, data={"csrf_token": token})
    assert again.status_code == 410 and "used already" in again.get_data(as_text=True)
    assert client.get(url + "/changed").status_code == 410


def test_the_something_changed_link_opens_the_change_form(app, client, area):
    meeting = area["meeting"]
    response = client.get(confirm_url(app, meeting) + "/changed")
    assert response.status_code == 303 and response.headers["Location"] == f"/submit/meetings/{meeting.slug}/change"
    form = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'value="Clean Living"' in form


def test_tampered_and_expired_links_are_refused(app, client, area):
    meeting = area["meeting"]
    url = confirm_url(app, meeting)
    assert client.get(url[:-3] + "abc").status_code == 404
    assert client.get("/confirm/nonsense").status_code == 404
    forged = URLSafeTimedSerializer("another-secret", salt="finder.confirm-link").dumps(
        {"m": meeting.id, "c": links.stamp(meeting.confirmed_at)})
    assert client.get(f"/confirm/{forged}").status_code == 404
    app.config["CONFIRM_LINK_DAYS"] = 0
    response = client.get(url)
    assert response.status_code == 410 and "expired" in response.get_data(as_text=True)


@sqlite_only
def test_read_confirm_token_checks_age_against_now(app):
    token = links.make_confirm_token("s", 5, None)
    now = dt.datetime.now(dt.UTC)
    assert links.read_confirm_token("s", token, max_age_days=1, now=now) == links.ConfirmLink(5, "")
    with pytest.raises(Exception) as caught:
        links.read_confirm_token("s", token, max_age_days=1, now=now + dt.timedelta(days=2))
    assert caught.value.expired


# --- the meeting page, API and feeds carry the date --------------------------------------------------------


def test_pages_api_and_feeds_carry_the_last_confirmation(app, client, session, now, make_meeting, make_body):
    old = make_meeting(name="Old Timers", created_at=now - dt.timedelta(days=900),
                       updated_at=now - dt.timedelta(days=800), notes="Basement.",
                       service_body_id=make_body().id)  # BMLT lists meetings of a service body
    session.commit()
    page = client.get(f"/meetings/{old.slug}").get_data(as_text=True)
    assert "Details last confirmed" in page and "Not confirmed in over a year" in page
    assert f"/meetings/{old.slug}/report" in page
    api = client.get(f"/api/v1/meetings/{old.slug}").get_json()
    assert api["confirmed_at"].startswith((now - dt.timedelta(days=800)).date().isoformat())
    assert api["reported_not_meeting"] is False
    old.confirmed_at = now - dt.timedelta(days=3)
    old.reported_at = now - dt.timedelta(days=1)
    not_a_change(old)
    session.commit()
    entry = next(e for e in client.get("/feeds/meeting-guide.json").get_json() if e["slug"] == old.slug)
    assert entry["updated"] == (now - dt.timedelta(days=3)).strftime("%Y-%m-%d %H:%M:%S")
    assert entry["notes"].startswith("Recently reported as not meeting") and entry["notes"].endswith("Basement.")
    record = client.get("/bmlt/client_interface/json/?switcher=GetSearchResults").get_json()[0]
    assert record["last_confirmed"] == (now - dt.timedelta(days=3)).date().isoformat()
    assert record["comments"].startswith("Recently reported as not meeting")
    event = icalendar.Calendar.from_ical(client.get(f"/meetings/{old.slug}.ics").data).walk("VEVENT")[0]
    assert "Recently reported as not meeting" in str(event["DESCRIPTION"])
    assert event["LAST-MODIFIED"].dt == now - dt.timedelta(days=800)  # the mark is not a change to the meeting


# --- moderators ------------------------------------------------------------------------------------------


def test_moderators_see_freshness_per_body_export_it_and_resolve(app, client, session, now, area, make_meeting):
    meeting = area["meeting"]
    stale = make_meeting(name="Stale Group", service_body_id=area["body"].id, updated_at=now - dt.timedelta(days=900))
    session.commit()
    for n in range(3):
        send_report(app, meeting.slug, f"198.51.100.{n}")
    login(client, "mod@example.org")
    overview = client.get("/admin/freshness").get_data(as_text=True)
    assert "Philly Area" in overview and "50 %" in overview and "Far Area" not in overview
    listing = client.get(f"/admin/freshness/{area['body'].id}").get_data(as_text=True)
    assert listing.index("Clean Living") < listing.index("Stale Group")  # the reported one first
    exported = client.get(f"/admin/freshness/{area['body'].id}.csv")
    assert exported.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(exported.get_data(as_text=True))))
    assert [r["name"] for r in rows] == ["Clean Living", "Stale Group"]
    assert rows[0]["open_reports"] == "3" and rows[1]["stale"] == "yes" and rows[0]["reported_not_meeting_since"]
    assert client.get("/admin/freshness/none").status_code == 403  # a body admin sees their bodies only
    digest = client.get("/admin/reports").get_data(as_text=True)
    assert "Clean Living" in digest and "Nobody was there: 3" in digest
    token = csrf_token(client, f"/admin/reports/meetings/{meeting.id}")
    response = client.post(f"/admin/reports/meetings/{meeting.id}/resolve",
                           data={"csrf_token": token, "resolution": "confirmed"})
    assert response.status_code == 303
    session.expire_all()
    resolved = session.get(Meeting, meeting.id)
    assert resolved.reported_at is None and resolved.confirmed_by == "mod@example.org"
    assert "Recently reported" not in client.get(f"/meetings/{meeting.slug}").get_data(as_text=True)
    assert stale.id


def test_other_bodies_moderators_may_not_see_or_resolve(app, client, session, area):
    meeting = area["meeting"]
    send_report(app, meeting.slug, "198.51.100.1")
    login(client, "far@example.org")
    assert client.get(f"/admin/reports/meetings/{meeting.id}").status_code == 403
    assert "Clean Living" not in client.get("/admin/reports").get_data(as_text=True)
    token = csrf_token(client, "/admin/reports")
    assert client.post(f"/admin/reports/meetings/{meeting.id}/resolve",
                       data={"csrf_token": token, "resolution": "inactive"}).status_code == 403
    session.expire_all()
    assert session.get(Meeting, meeting.id).status == "active"
    anonymous = app.test_client()
    assert anonymous.get("/admin/freshness").status_code == 302


# --- the commands ------------------------------------------------------------------------------------------


def test_freshness_run_writes_prompts_with_working_links(app, runner, session, now, make_meeting):
    admin = create_user(session, email="a@example.org", password=PASSWORD, role="admin", now=now)
    meeting = make_meeting(name="Old Timers", updated_at=now - dt.timedelta(days=400))
    item = submissions.submit(session, kind="cancel_week", payload={"date": "2026-12-02", "reason": ""},
                              meeting=meeting, now=now - dt.timedelta(days=400),
                              contact={"contact_email": "sec@example.org"})
    submissions.approve(session, item, actor=admin, now=now - dt.timedelta(days=400))
    session.commit()
    assert "PUBLIC_URL" in runner.invoke(args=["freshness", "run"]).output
    app.config["PUBLIC_URL"] = "https://meetings.example.org"
    result = runner.invoke(args=["freshness", "run"])
    assert result.exit_code == 0 and "prompts sent: 1" in result.output
    assert "prompts sent: 0" in runner.invoke(args=["freshness", "run"]).output  # once per interval
    prompt = session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == "sec@example.org")).one()
    assert prompt.subject == "Is Old Timers still meeting as listed?"
    confirm_link = re.search(r"https://meetings\.example\.org(/confirm/[^\s/]+)\n", prompt.body).group(1)
    assert f"{confirm_link}/changed" in prompt.body
    client = app.test_client()
    token = csrf_token(client, confirm_link)
    assert client.post(confirm_link, data={"csrf_token": token}).status_code == 200
    assert client.post(confirm_link, data={"csrf_token": token}).status_code == 410


def test_freshness_digest_goes_to_each_moderator_with_open_reports(app, runner, session, area):
    send_report(app, area["meeting"].slug, "198.51.100.1")
    app.config["PUBLIC_URL"] = "https://meetings.example.org"
    result = runner.invoke(args=["freshness", "digest"])
    assert result.exit_code == 0 and "digests written: 1" in result.output
    digest = session.scalars(select(OutboxMessage).where(OutboxMessage.subject.like("Open reports%"))).one()
    assert digest.recipient == "mod@example.org" and "Clean Living" in digest.body
    assert "https://meetings.example.org/admin/reports" in digest.body


def test_the_report_form_speaks_spanish(client, area):
    page = client.get(f"/meetings/{area['meeting'].slug}/report?locale=es").get_data(as_text=True)
    assert "¿Qué estaba mal?" in page and "No había nadie" in page and 'value="nobody_there"' in page
