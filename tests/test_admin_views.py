"""Moderation pages: login, session safety, the authorization matrix, decisions, direct edits, audit, outbox."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from finder.admin import audit
from finder.submissions import workflow
from finder.admin.auth import create_user
from finder.models import Meeting, OutboxMessage, ServiceBody, Submission, User
from finder.core.vocab import FORMAT_BY_CODE, VENUE_FORMATS
from tests.helpers import form_fields

PASSWORD = "correct horse battery staple"

# Backend-agnostic tests (pages, tokens, messages) run on SQLite only; flows that store data run on both.
sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def csrf_token(client, url: str = "/login") -> str:
    html = client.get(url).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def login(client, email: str, password: str = PASSWORD, next_url: str | None = None):
    token = csrf_token(client)
    url = "/login" + (f"?next={next_url}" if next_url else "")
    return client.post(url, data={"csrf_token": token, "email": email, "password": password})


def post(client, url: str, data: dict | None = None):
    """A form post carrying the session's CSRF token (taken from the queue page the user can see)."""
    return client.post(url, data={"csrf_token": csrf_token(client, "/admin/") if _signed_in(client)
                                  else csrf_token(client), **(data or {})})


def _signed_in(client) -> bool:
    with client.session_transaction() as state:
        return "user_id" in state


# Accounts made here use a cheap hash (conftest.cheap_password_hashes); test_auth checks the real one.
pytestmark = pytest.mark.usefixtures("cheap_password_hashes")


@pytest.fixture(autouse=True)
def offline_zone(request):
    """Zones from coordinates without loading the real lookup (finder.geocode is tested on its own)."""
    if "app" in request.fixturenames:
        app = request.getfixturevalue("app")
        app.extensions["finder.timezone_at"] = lambda lat, lon: "America/New_York"


@pytest.fixture
def world(session, now, make_body, make_meeting):
    """A region with an area, another area, a meeting in the area, a pending change, and one user per role."""
    region = make_body(kind="region", name="Keystone Region")
    area = make_body(kind="area", name="Philly Area", parent_id=region.id)
    other = make_body(kind="area", name="Far Area")
    meeting = make_meeting(name="Clean Living", times=[(2, "19:00", 60)])
    meeting.service_body_id = area.id
    session.flush()
    session.refresh(meeting)
    users = {
        "admin": create_user(session, email="admin@example.org", password=PASSWORD, role="admin", now=now,
                             name="Ada"),
        "region_admin": create_user(session, email="region@example.org", password=PASSWORD, role="body_admin",
                                    service_body=region, now=now),
        "outsider": create_user(session, email="far@example.org", password=PASSWORD, role="body_admin",
                                service_body=other, now=now),
        "observer": create_user(session, email="watch@example.org", password=PASSWORD, role="observer",
                                now=now),
    }
    proposal = workflow.proposal_from_meeting(meeting)
    proposal["times"] = [{"weekday": 2, "start": "19:30", "duration_minutes": 60}]
    change = workflow.submit(session, kind="change", payload=proposal, meeting=meeting, now=now,
                                contact={"contact_name": "Sam", "contact_email": "sam@example.org"})
    session.commit()
    return {"meeting": meeting, "change": change, "area": area, "region": region, "other": other, **users}


# --- login -------------------------------------------------------------------------------------------------


def _cookie(client) -> str:
    return client.get_cookie("session").value


def _with_cookie(app, value: str):
    copy = app.test_client()
    copy.set_cookie("session", value)
    return copy


@sqlite_only
def test_logout_password_change_and_switch_off_end_copied_sessions(app, client, session, world, now):
    """A cookie copied before logout (or a password change, or the account switched off) opens nothing."""
    from finder.admin import auth

    login(client, "admin@example.org")
    stolen = _cookie(client)
    assert _with_cookie(app, stolen).get("/admin/").status_code == 200
    assert post(client, "/logout").status_code == 303
    assert _with_cookie(app, stolen).get("/admin/").status_code == 302  # to the login page
    assert client.get("/admin/").status_code == 302

    login(client, "region@example.org")
    stolen = _cookie(client)
    auth.set_password(session, session.get(User, world["region_admin"].id), "another long password",
                      actor="cli", now=now)
    session.commit()
    assert _with_cookie(app, stolen).get("/admin/").status_code == 302
    assert login(client, "region@example.org", "another long password").status_code == 303

    other = app.test_client()
    login(other, "admin@example.org")
    stolen = _cookie(client)
    assert post(other, f"/admin/users/{world['region_admin'].id}/active", {"active": "0"}).status_code == 303
    session.expire_all()
    session.get(User, world["region_admin"].id).active = True  # switched on again: the old cookie stays dead
    session.commit()
    assert _with_cookie(app, stolen).get("/admin/").status_code == 302
    assert "epoch" in app.session_interface.get_signing_serializer(app).loads(stolen)  # no IP, no list kept


@sqlite_only
def test_login_rotates_the_session_and_sets_safe_cookies(client, world):
    with client.session_transaction() as state:
        state["planted"] = "by an attacker"
    response = login(client, "ADMIN@example.org ")
    assert response.status_code == 303 and response.headers["Location"] == "/admin/"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    with client.session_transaction() as state:
        assert "planted" not in state and "user_id" in state
    assert "Waiting for a decision" in client.get("/admin/").get_data(as_text=True)


@sqlite_only
def test_secure_cookie_behind_https(app, client, world):
    from finder import config

    assert config.from_env({"PUBLIC_URL": "https://meetings.example.org"}, "/tmp")["SESSION_COOKIE_SECURE"]
    assert not config.from_env({}, "/tmp")["SESSION_COOKIE_SECURE"]
    app.config["SESSION_COOKIE_SECURE"] = True
    assert "Secure" in login(client, "admin@example.org").headers["Set-Cookie"]


@sqlite_only
def test_wrong_password_and_unknown_account_look_the_same(client, world):
    wrong = login(client, "admin@example.org", "not the password")
    unknown = login(client, "nobody@example.org", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    assert "do not match" in wrong.get_data(as_text=True) and "do not match" in unknown.get_data(as_text=True)


@sqlite_only
def test_login_is_throttled_even_for_the_right_password(app, client, world):
    app.config["LOGIN_RATE_LIMIT"] = "3/15min"
    for _ in range(3):
        assert login(client, "admin@example.org", "guess").status_code == 401
    blocked = login(client, "admin@example.org")
    assert blocked.status_code == 429 and "Too many attempts" in blocked.get_data(as_text=True)


@sqlite_only
def test_a_stranger_cannot_lock_the_owner_out(app, world):
    """Failures count per address and account: 14 wrong passwords from elsewhere leave the owner's own login."""
    stranger, owner = app.test_client(), app.test_client()
    stranger.environ_base["REMOTE_ADDR"] = "198.51.100.7"
    owner.environ_base["REMOTE_ADDR"] = "203.0.113.20"
    statuses = [login(stranger, "admin@example.org", "guess").status_code for _ in range(14)]
    assert statuses[:5] == [401] * 5 and set(statuses[5:]) == {429}
    assert login(owner, "admin@example.org").status_code == 303


@sqlite_only
def test_login_pauses_grow_and_spraying_many_accounts_is_limited(app, world):
    app.config.update(LOGIN_RATE_LIMIT="2/min;3/hour", LOGIN_ADDRESS_RATE_LIMIT="5/hour")
    client = app.test_client()
    assert [login(client, "admin@example.org", "guess").status_code for _ in range(3)] == [401, 401, 429]
    # Other accounts from the same address: the address-wide allowance (5 attempts an hour) ends the spraying.
    sprayed = [login(client, f"nobody{n}@example.org", "guess").status_code for n in range(5)]
    assert sprayed[0] == 401 and sprayed[-1] == 429


@sqlite_only
def test_login_never_redirects_off_site(client, world):
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        response = login(client, "admin@example.org", next_url=target)
        assert response.headers["Location"] == "/admin/"
        client.post("/logout", data={"csrf_token": csrf_token(client, "/login")})
    assert login(client, "admin@example.org", next_url="/admin/changes").headers["Location"] == "/admin/changes"


@sqlite_only
def test_logout_ends_the_session(client, world):
    login(client, "admin@example.org")
    assert post(client, "/logout").status_code == 303
    assert client.get("/admin/").status_code == 302


# --- who may do what --------------------------------------------------------------------------------------


ROLES = ["anonymous", "observer", "outsider", "region_admin", "admin"]
# (method, url template, expected status per role in ROLES order)
MATRIX = [
    ("GET", "/admin/", [302, 200, 200, 200, 200]),
    ("GET", "/admin/submissions/{change}", [302, 200, 200, 200, 200]),
    ("POST", "/admin/submissions/{change}/reject", [302, 403, 403, 422, 422]),
    ("GET", "/admin/submissions/{change}/edit", [302, 403, 403, 200, 200]),
    ("GET", "/admin/meetings", [302, 200, 200, 200, 200]),
    ("GET", "/admin/meetings/{meeting}/edit", [302, 403, 403, 200, 200]),
    ("GET", "/admin/meetings/{meeting}/audit", [302, 200, 200, 200, 200]),
    ("GET", "/admin/changes", [302, 200, 200, 200, 200]),
    ("GET", "/admin/outbox", [302, 403, 403, 403, 200]),
    ("GET", "/admin/users", [302, 403, 403, 403, 200]),
    ("POST", "/admin/users/{observer}/active", [302, 403, 403, 403, 303]),
    ("GET", "/admin/bodies/{area}/edit", [302, 403, 403, 200, 200]),
    ("GET", "/admin/bodies/{other}/edit", [302, 403, 200, 403, 200]),
    ("GET", "/admin/bodies/new", [302, 403, 200, 200, 200]),
    ("GET", "/admin/centers/{center}/edit", [302, 403, 403, 403, 200]),
    ("GET", "/admin/counselors/{counselor}/edit", [302, 403, 403, 403, 200]),
]


@sqlite_only
@pytest.mark.parametrize("role_index, role", list(enumerate(ROLES)))
def test_authorization_matrix(client, session, world, make_center, make_counselor, role_index, role):
    ids = {"change": world["change"].id, "meeting": world["meeting"].id, "area": world["area"].id,
           "other": world["other"].id, "center": make_center().id, "counselor": make_counselor().id,
           "observer": world["observer"].id}
    session.commit()
    if role != "anonymous":
        assert login(client, world[role].email).status_code == 303
    for method, template, expected in MATRIX:
        url = template.format(**ids)
        response = client.get(url) if method == "GET" else post(client, url, {"reason": "", "active": "1"})
        assert response.status_code == expected[role_index], (role, method, url)
    # Nothing was decided by anyone: rejecting without a reason is refused.
    session.expire_all()
    assert session.get(Submission, ids["change"]).status == "pending"


@sqlite_only
def test_observer_sees_the_queue_without_decision_buttons(client, world):
    login(client, "watch@example.org")
    html = client.get(f"/admin/submissions/{world['change'].id}").get_data(as_text=True)
    assert "Proposed changes" in html and "Approve and publish" not in html


@sqlite_only
def test_out_of_scope_body_admin_does_not_see_the_submission_in_the_queue(client, world):
    login(client, "far@example.org")
    assert world["change"].reference not in client.get("/admin/").get_data(as_text=True)
    login(client, "region@example.org")
    assert world["change"].reference in client.get("/admin/").get_data(as_text=True)


# --- decisions ------------------------------------------------------------------------------------------


def test_approve_applies_bumps_sequence_audits_and_tells_the_organizer(client, session, world):
    login(client, "region@example.org")
    page = client.get(f"/admin/submissions/{world['change'].id}").get_data(as_text=True)
    assert "Days and times" in page and "Wednesday 7:30 PM (60 min)" in page
    response = post(client, f"/admin/submissions/{world['change'].id}/approve")
    assert response.status_code == 303
    session.expire_all()
    meeting = session.get(Meeting, world["meeting"].id)
    assert meeting.times[0].start.strftime("%H:%M") == "19:30" and meeting.sequence == 1
    (entry,) = audit.changes(session, meeting_id=meeting.id)
    assert entry.actor_id == world["region_admin"].id and entry.submission_id == world["change"].id
    mail = session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == "sam@example.org")).one()
    assert "approved" in mail.subject and "/submit/status/" in mail.body
    again = post(client, f"/admin/submissions/{world['change'].id}/approve")
    assert again.status_code == 409 and "already decided" in again.get_data(as_text=True)
    history = client.get(f"/admin/meetings/{meeting.id}/audit").get_data(as_text=True)
    assert world["change"].reference in history and "7:30 PM" in history
    assert "meeting " + str(meeting.id) in client.get("/admin/changes").get_data(as_text=True)


@sqlite_only
def test_reject_with_reason_shows_on_the_status_page(client, session, world):
    from finder.submissions import tokens

    login(client, "admin@example.org")
    response = post(client, f"/admin/submissions/{world['change'].id}/reject",
                    {"reason": "Please <b>confirm</b> with the group first"})
    assert response.status_code == 303
    change = world["change"]
    token = tokens.make_token("test-secret", change.id, change.reference)
    page = client.get(f"/submit/status/{token}").get_data(as_text=True)
    assert "Not published" in page and "Please &lt;b&gt;confirm&lt;/b&gt; with the group first" in page
    session.expire_all()
    assert session.get(Meeting, world["meeting"].id).sequence == 0


def test_edit_then_approve(client, session, world):
    login(client, "admin@example.org")
    url = f"/admin/submissions/{world['change'].id}/edit"
    html = client.get(url).get_data(as_text=True)
    assert 'value="19:30"' in html
    form = {"name": "Clean Living Group", "day_0": "2", "start_0": "20:00", "duration_0": "75",
            "attendance": "in_person", "location_name": "St. Mark's Church", "street": "1625 Locust St",
            "city": "Philadelphia", "region": "PA", "postal_code": "19103", "country": "US",
            "latitude": "39.9487", "longitude": "-75.1685", "open_closed": "C", "language": "en",
            "service_body_id": str(world["area"].id)}
    response = post(client, url, form)
    assert response.status_code == 303, response.get_data(as_text=True)
    session.expire_all()
    meeting = session.get(Meeting, world["meeting"].id)
    assert meeting.name == "Clean Living Group" and meeting.times[0].duration_minutes == 75
    assert "C" in meeting.format_codes and session.get(Submission, world["change"].id).status == "approved"


def test_direct_meeting_edit_is_audited_and_scoped(client, session, world):
    login(client, "region@example.org")
    url = f"/admin/meetings/{world['meeting'].id}/edit"
    fields = {"name": "Clean Living", "day_0": "4", "start_0": "18:00", "duration_0": "60",
              "attendance": "hybrid", "conference_url": "https://zoom.us/j/123", "location_name": "Hall",
              "street": "1625 Locust St", "city": "Philadelphia", "region": "PA", "postal_code": "19103",
              "country": "US", "latitude": "39.9487", "longitude": "-75.1685", "language": "en",
              "status": "active", "published": "1", "service_body_id": str(world["area"].id)}
    moved_away = post(client, url, {**fields, "service_body_id": str(world["other"].id)})
    assert moved_away.status_code == 422 and "service bodies you look after" in moved_away.get_data(as_text=True)
    emptied = post(client, url, {**fields, "service_body_id": ""})  # out of every scope: refused the same way
    assert emptied.status_code == 422 and "service bodies you look after" in emptied.get_data(as_text=True)
    edited = post(client, f"/admin/submissions/{world['change'].id}/edit", {**fields, "service_body_id": ""})
    assert edited.status_code == 403 and "service bodies you look after" in edited.get_data(as_text=True)
    session.expire_all()
    assert session.get(Meeting, world["meeting"].id).service_body_id == world["area"].id
    assert session.get(Submission, world["change"].id).status == "pending"
    assert post(client, url, fields).status_code == 303
    session.expire_all()
    meeting = session.get(Meeting, world["meeting"].id)
    assert meeting.attendance == "hybrid" and "HYBR" in meeting.format_codes and meeting.sequence == 1
    (entry,) = audit.changes(session, meeting_id=meeting.id)
    assert entry.actor_id == world["region_admin"].id and entry.submission_id is None


@sqlite_only
def test_body_admin_edits_bodies_only_inside_their_tree(client, session, world):
    login(client, "region@example.org")
    create = post(client, "/admin/bodies/new", {"name": "New Group", "kind": "group",
                                                "parent_id": str(world["other"].id)})
    assert create.status_code == 422
    create = post(client, "/admin/bodies/new", {"name": "New Group", "kind": "group",
                                                "parent_id": str(world["area"].id), "url": "https://ok.org"})
    assert create.status_code == 303
    body = session.scalars(select(ServiceBody).where(ServiceBody.name == "New Group")).one()
    assert body.parent_id == world["area"].id
    loop = post(client, f"/admin/bodies/{world['region'].id}/edit", {"name": "Keystone Region", "kind": "region",
                                                                     "parent_id": str(world["area"].id)})
    assert loop.status_code == 422 and "below itself" in loop.get_data(as_text=True)
    assert [e.action for e in audit.changes(session, entity_type="service_body")] == ["create"]


@sqlite_only
def test_admin_edits_centers_and_counselors_with_audit(client, session, world, make_center, make_counselor):
    center, counselor = make_center(), make_counselor()
    session.commit()
    login(client, "admin@example.org")
    response = post(client, f"/admin/centers/{center.id}/edit",
                    {"name": "Riverside Detox", "phone": "215-555-0100", "website": "javascript:alert(1)",
                     "services": ["DT", "BU"], "published": "1"})
    assert response.status_code == 422 and 'id="f-website-error"' in response.get_data(as_text=True)
    response = post(client, f"/admin/centers/{center.id}/edit",
                    {"name": "Riverside Detox", "phone": "215-555-0100", "website": "https://riverside.example",
                     "services": ["DT", "BU"], "published": "1"})
    assert response.status_code == 303
    response = post(client, f"/admin/counselors/{counselor.id}/edit",
                    {"name": "A. Rivera", "accepting": "waitlist", "telehealth": "1", "published": "1"})
    assert response.status_code == 303
    session.expire_all()
    assert sorted(s.code for s in center.services) == ["BU", "DT"]
    types = sorted(e.entity_type for e in audit.changes(session))
    assert types == ["center", "counselor"]


@sqlite_only
def test_outbox_lists_messages_for_admins(client, session, world, now):
    from finder.submissions import notify

    notify.queue(session, recipients=["x@example.org"], subject="Hello\r\nBcc: evil@example.org",
                 body="<b>body</b>", now=now)
    session.commit()
    login(client, "admin@example.org")
    html = client.get("/admin/outbox").get_data(as_text=True)
    assert "Hello Bcc: evil@example.org" in html and "&lt;b&gt;body&lt;/b&gt;" in html


def _send(client, url: str, form: dict) -> str:
    """Fill the form, check it (the real offline geocoder places it), send what the check page carries."""
    token = csrf_token(client, url)
    checked = client.post(url, data={"csrf_token": token, **form, "action": "check"})
    assert checked.status_code == 200, checked.get_data(as_text=True)
    sent = client.post(url, data=form_fields(checked.get_data(as_text=True), action="send"))
    assert sent.status_code == 303
    return sent.headers["Location"]


def test_end_to_end_submit_approve_search_calendar(app, client, session, world, now):
    """A new meeting from the public form, through the queue, to search, the page, the feeds and the calendar;
    then a time change through the form bumps the calendar SEQUENCE."""
    import csv
    import io
    import json

    import icalendar

    from finder.imports import exports

    from finder.search import SearchQuery, find_nearby

    app.extensions.pop("finder.timezone_at", None)  # the real zone lookup, as in production
    app.config["CALENDAR_CACHE_SECONDS"] = 0  # read each calendar fresh
    name = "Miracles <Happen> & \"Hope\"; DROP TABLE meetings;--"
    form = {"name": name, "open_closed": "O", "formats": ["BEG"], "day_0": "4", "start_0": "19:00",
            "duration_0": "60", "attendance": "in_person", "location_name": "Friends Center",
            "street": "1501 Cherry St", "city": "Philadelphia", "region": "PA", "postal_code": "19102",
            "country": "US", "language": "en", "service_body_id": str(world["area"].id),
            "contact_email": "sec@example.org"}
    _send(client, "/submit/new", form)
    new = session.scalars(select(Submission).where(Submission.kind == "new")).one()
    assert new.payload["place"]["timezone"] == "America/New_York"

    login(client, "region@example.org")
    assert new.reference in client.get("/admin/").get_data(as_text=True)
    assert post(client, f"/admin/submissions/{new.id}/approve").status_code == 303
    session.expire_all()
    meeting = session.get(Submission, new.id).meeting
    assert meeting.published and meeting.service_body_id == world["area"].id

    found = find_nearby(session, SearchQuery(point=(39.955, -75.165), radius_km=5), now)
    assert meeting.id in [hit.meeting.id for hit in found.meetings]

    page = client.get(f"/meetings/{meeting.slug}").get_data(as_text=True)
    assert "Miracles &lt;Happen&gt; &amp;" in page and "<Happen>" not in page
    guide = json.loads(client.get("/feeds/meeting-guide.json").get_data(as_text=True))
    assert name in [entry["name"] for entry in guide]

    bmlt = client.get("/bmlt/client_interface/json/?switcher=GetSearchResults").get_json()
    assert name in [m["meeting_name"] for m in bmlt]
    exported = list(csv.DictReader(io.StringIO(exports.export_csv(session, "meetings"))))
    assert name in [row["name"] for row in exported]

    calendar = icalendar.Calendar.from_ical(client.get(f"/meetings/{meeting.slug}.ics").data)
    (event,) = calendar.walk("VEVENT")
    assert str(event["SUMMARY"]) == name and int(event.get("SEQUENCE", 0)) == 0

    client.post("/logout", data={"csrf_token": csrf_token(client, "/admin/")})
    changed = {**form, "day_0": "4", "start_0": "19:30", "latitude": str(meeting.place.latitude),
               "longitude": str(meeting.place.longitude)}
    _send(client, f"/submit/meetings/{meeting.slug}/change", changed)
    change = session.scalars(select(Submission).where(Submission.meeting_id == meeting.id,
                                                      Submission.kind == "change")).one()
    login(client, "admin@example.org")
    assert post(client, f"/admin/submissions/{change.id}/approve").status_code == 303

    calendar = icalendar.Calendar.from_ical(client.get(f"/meetings/{meeting.slug}.ics").data)
    (event,) = calendar.walk("VEVENT")
    assert int(event["SEQUENCE"]) == 1
    assert event.decoded("DTSTART").strftime("%H:%M") == "19:30"
    outbox = [m.recipient for m in session.scalars(select(OutboxMessage))]
    assert outbox.count("sec@example.org") >= 3  # received, approved; received, approved


@sqlite_only
def test_create_admin_command(app, runner, session):
    result = runner.invoke(args=["create-admin", "--email", "first@example.org", "--password", "short"])
    assert result.exit_code != 0 and "12 characters" in result.output
    result = runner.invoke(args=["create-admin", "--email", "first@example.org", "--password", PASSWORD,
                                 "--name", "Pat"])
    assert result.exit_code == 0, result.output
    again = runner.invoke(args=["create-admin", "--email", "FIRST@example.org", "--password", PASSWORD])
    assert again.exit_code != 0 and "already exists" in again.output
    body_admin = runner.invoke(args=["create-admin", "--email", "b@example.org", "--password", PASSWORD,
                                     "--role", "body_admin", "--body", "999"])
    assert body_admin.exit_code != 0 and "no service body" in body_admin.output
    missing = runner.invoke(args=["set-password", "--email", "nobody@example.org", "--password", PASSWORD])
    assert missing.exit_code != 0 and "no account" in missing.output
    changed = runner.invoke(args=["set-password", "--email", "first@example.org", "--password", PASSWORD + "!"])
    assert changed.exit_code == 0 and "sessions have ended" in changed.output
    session.expire_all()
    assert session.scalars(select(User).where(User.email == "first@example.org")).one().session_epoch == 1


@sqlite_only
def test_every_admin_form_carries_a_csrf_field(client, world):
    login(client, "admin@example.org")
    for url in ("/admin/", f"/admin/submissions/{world['change'].id}", f"/admin/meetings/{world['meeting'].id}/edit",
                "/admin/bodies/new", "/admin/users"):
        html = client.get(url).get_data(as_text=True)
        forms = re.findall(r"<form[^>]*method=\"post\".*?</form>", html, flags=re.S)
        assert forms and all('name="csrf_token"' in f for f in forms), url


@sqlite_only
def test_the_meeting_edit_form_offers_every_meeting_format(client, world):
    """Moderators can set any format of the vocabulary (venue codes follow from attendance and status)."""
    login(client, "admin@example.org")
    html = client.get(f"/admin/meetings/{world['meeting'].id}/edit").get_data(as_text=True)
    offered = set(re.findall(r'name="formats" value="([A-Z0-9-]+)"', html))
    # Open/closed is a choice of one and the language a list of its own; venue codes are derived.
    assert offered == {code for code, spec in FORMAT_BY_CODE.items()
                       if code not in VENUE_FORMATS and spec.kind not in ("open_closed", "language")}
    assert 'name="open_closed"' in html and 'name="language"' in html


@sqlite_only
def test_admin_adds_and_switches_off_accounts(client, session, world):
    login(client, "admin@example.org")
    short = post(client, "/admin/users", {"email": "new@example.org", "password": "short", "role": "observer"})
    assert short.status_code == 422 and "12 characters" in short.get_data(as_text=True)
    created = post(client, "/admin/users", {"email": "new@example.org", "password": PASSWORD, "role": "body_admin",
                                            "service_body_id": str(world["area"].id), "name": "Nia"})
    assert created.status_code == 303
    assert "new@example.org" in client.get("/admin/users").get_data(as_text=True)
    own = post(client, f"/admin/users/{world['admin'].id}/active", {"active": "0"})
    assert own.status_code == 303 and "own account" in client.get("/admin/users").get_data(as_text=True)
    assert post(client, f"/admin/users/{world['observer'].id}/active", {"active": "0"}).status_code == 303
    client.post("/logout", data={"csrf_token": csrf_token(client, "/admin/")})
    assert login(client, "watch@example.org").status_code == 401
    assert login(client, "new@example.org").status_code == 303
    types = [(e.entity_type, e.action) for e in audit.changes(session, entity_type="user")]
    assert types == [("user", "create"), ("user", "update")]
    assert all("password_hash" not in (e.after or {}) for e in audit.changes(session, entity_type="user"))


@sqlite_only
def test_send_outbox_command(app, runner, session, now, monkeypatch):
    from finder.submissions import notify

    notify.queue(session, recipients=["a@example.org", "b@example.org"], subject="Hi", body="x", now=now)
    session.commit()
    assert "stay in the outbox" in runner.invoke(args=["send-outbox"]).output
    sent: list[str] = []

    class Recorder:
        def send(self, message):
            if message.recipient.startswith("b"):
                raise OSError("mailbox full")
            sent.append(message.recipient)

    monkeypatch.setattr(notify, "make_transport", lambda config: Recorder())
    result = runner.invoke(args=["send-outbox"])
    assert result.exit_code == 0 and "sent 1 message" in result.output and sent == ["a@example.org"]
    session.expire_all()
    failed = session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == "b@example.org")).one()
    assert failed.sent_at is None and failed.attempts == 1 and "mailbox full" in failed.last_error



@sqlite_only
def test_a_moderator_sees_the_language_and_the_organizer_gets_mail_in_it(client, session, world):
    world["change"].interface_language = "es"
    session.commit()
    login(client, "admin@example.org")
    html = client.get(f"/admin/submissions/{world['change'].id}").get_data(as_text=True)
    assert "Written in</dt><dd>Español" in html
    post(client, f"/admin/submissions/{world['change'].id}/approve")
    mail = session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == "sam@example.org")).one()
    assert mail.subject == f"Su envío {world['change'].reference} fue aprobado"
    assert "fue aprobado y publicado" in mail.body and "locale=es" in mail.body
