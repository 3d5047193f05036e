"""The public submission form: steps, messages beside fields, status links, CSRF, honeypot, limits, hostile input."""
from __future__ import annotations

import re
import threading
from types import SimpleNamespace

import pytest
from markupsafe import escape
from sqlalchemy import func, select

from finder.submissions import tokens
from finder.models import OutboxMessage, Submission
from tests.helpers import form_fields

PHILADELPHIA = SimpleNamespace(lat=39.9524, lon=-75.1636, label="Philadelphia, PA 19103", precision="postal_code",
                               timezone="America/New_York")

# Backend-agnostic tests (pages, tokens, messages) run on SQLite only; flows that store data run on both.
sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


class FakeGeocoder:
    """Knows Philadelphia by ZIP or name; the real offline gazetteer is tested on the geo branch."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def geocode(self, text: str):
        self.asked.append(text)
        return PHILADELPHIA if ("19103" in text or "philadelphia" in text.lower()) else None

    def suggest(self, text: str, limit: int = 5) -> list[str]:
        return []


@pytest.fixture
def geo(app):
    geocoder = FakeGeocoder()
    app.extensions["finder.geocoder"] = geocoder
    app.extensions["finder.timezone_at"] = lambda lat, lon: "America/New_York" if lon > -87 else "America/Chicago"
    return geocoder


def csrf_token(client, url: str = "/submit/new") -> str:
    html = client.get(url).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def new_form(token: str, **overrides):
    form = {
        "csrf_token": token, "name": "Hope Without Fear", "open_closed": "O", "formats": ["BEG", "JFT"],
        "day_0": "1", "start_0": "19:30", "duration_0": "90", "day_1": "3", "start_1": "19:00", "duration_1": "60",
        "attendance": "in_person", "language": "en", "location_name": "St. Mark's Church",
        "street": "1625 Locust St", "city": "Philadelphia", "region": "PA", "postal_code": "19103",
        "country": "US", "location_notes": "Basement", "contact_name": "Sam",
        "contact_email": "sam@example.org", "message": "", "leave_this_empty": "",
    }
    form.update(overrides)
    return form


def count(session, model) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(model))


def send_new(client, **overrides):
    token = csrf_token(client)
    checked = client.post("/submit/new", data=new_form(token, action="check", **overrides))
    assert checked.status_code == 200, checked.get_data(as_text=True)
    return client.post("/submit/new", data=form_fields(checked.get_data(as_text=True), action="send"))


def test_new_meeting_check_then_send_then_status(app, client, session, geo):
    app.config["MODERATOR_EMAILS"] = "mods@example.org"
    token = csrf_token(client)
    checked = client.post("/submit/new", data=new_form(token, action="check"))
    html = checked.get_data(as_text=True)
    assert checked.status_code == 200
    assert "Where we placed it" in html and "39.95240" in html and "America/New_York" in html
    assert 'name="latitude"' in html and "openstreetmap.org" in html
    assert count(session, Submission) == 0  # nothing stored before "Send"

    sent = client.post("/submit/new", data=form_fields(html, action="send"))
    assert sent.status_code == 303
    status = client.get(sent.headers["Location"])
    page = status.get_data(as_text=True)
    submission = session.scalars(select(Submission)).one()
    assert submission.kind == "new" and submission.status == "pending"
    assert submission.payload["place"]["precision"] == "postal_code"
    assert submission.payload["times"][0] == {"weekday": 1, "start": "19:30", "duration_minutes": 90}
    assert submission.reference in page and "Waiting for a volunteer" in page
    assert status.headers["Cache-Control"] == "no-store" and status.headers["Referrer-Policy"] == "no-referrer"
    recipients = sorted(m.recipient for m in session.scalars(select(OutboxMessage)))
    assert recipients == ["mods@example.org", "sam@example.org"]
    organizer_mail = session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == "sam@example.org")).one()
    assert "/submit/status/" in organizer_mail.body


@sqlite_only
def test_moving_the_pin_makes_it_exact_and_rezones(app, client, session, geo):
    token = csrf_token(client)
    checked = client.post("/submit/new", data=new_form(token, action="check")).get_data(as_text=True)
    sent = client.post("/submit/new", data=form_fields(checked, action="send", latitude="41.8781",
                                                       longitude="-87.6298"))
    assert sent.status_code == 303
    place = session.scalars(select(Submission)).one().payload["place"]
    assert (place["latitude"], place["precision"], place["timezone"]) == (41.8781, "rooftop", "America/Chicago")


@sqlite_only
def test_errors_beside_fields_and_typed_values_kept(client, session, geo):
    token = csrf_token(client)
    response = client.post("/submit/new", data=new_form(
        token, action="check", name="", attendance="hybrid", conference_url="javascript:alert(1)",
        phone="call me maybe", city="Nowhere <b>", postal_code="", start_1="25:99"))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    for field in ("name", "conference_url", "phone", "start_1"):
        assert f'id="f-{field}-error"' in html
        assert re.search(rf'id="f-{field}"[^>]*aria-describedby="[^"]*f-{field}-error', html), field
    assert 'value="javascript:alert(1)"' in html and 'value="Nowhere &lt;b&gt;"' in html
    assert 'value="call me maybe"' in html
    assert "Please check these" in html
    assert count(session, Submission) == 0


@sqlite_only
def test_unknown_place_asks_for_city_or_coordinates(client, geo):
    token = csrf_token(client)
    response = client.post("/submit/new", data=new_form(token, action="check", city="Atlantis", postal_code="00000"))
    assert response.status_code == 422
    assert "could not find this place" in response.get_data(as_text=True)


@sqlite_only
def test_add_another_day_keeps_what_was_typed(client, geo):
    token = csrf_token(client)
    html = client.post("/submit/new", data=new_form(token, action="add_row", rows="3")).get_data(as_text=True)
    assert 'name="day_3"' in html and 'value="Hope Without Fear"' in html
    assert "field-error" not in html


def test_change_is_prefilled_and_shown_as_a_diff(client, session, geo, make_meeting):
    meeting = make_meeting(name="Clean Living", times=[(2, "19:00", 60)])
    session.commit()
    page = client.get(f"/submit/meetings/{meeting.slug}/change").get_data(as_text=True)
    assert 'value="Clean Living"' in page and 'value="19:00"' in page
    assert f"/submit/meetings/{meeting.slug}/cancel" in page  # the other kinds of change are one tap away
    shortcut = client.get(f"/submit/change/{meeting.slug}")  # the meeting page's link
    assert shortcut.status_code == 301 and shortcut.headers["Location"].endswith(f"/meetings/{meeting.slug}/change")
    token = csrf_token(client, f"/submit/meetings/{meeting.slug}/change")
    form = {"csrf_token": token, "name": "Clean Living", "day_0": "2", "start_0": "19:30", "duration_0": "60",
            "attendance": "in_person", "location_name": meeting.place.name, "street": meeting.place.street,
            "city": meeting.place.city, "region": "PA", "postal_code": "19103", "country": "US",
            "latitude": str(meeting.place.latitude), "longitude": str(meeting.place.longitude),
            "open_closed": "O", "formats": ["DISC"], "language": "en"}
    unchanged = client.post(f"/submit/meetings/{meeting.slug}/change", data={**form, "start_0": "19:00",
                                                                             "action": "check"})
    assert unchanged.status_code == 422 and "Nothing has changed" in unchanged.get_data(as_text=True)
    checked = client.post(f"/submit/meetings/{meeting.slug}/change", data={**form, "action": "check"})
    html = checked.get_data(as_text=True)
    assert checked.status_code == 200
    assert "Days and times" in html and "Wednesday 7:00 PM (60 min)" in html and "Wednesday 7:30 PM (60 min)" in html
    sent = client.post(f"/submit/meetings/{meeting.slug}/change", data={**form, "action": "send"})
    assert sent.status_code == 303
    submission = session.scalars(select(Submission)).one()
    assert submission.kind == "change" and submission.meeting_id == meeting.id
    assert submission.before["times"][0]["start"] == "19:00"


def test_duplicate_is_shown_before_sending(client, session, geo, make_meeting):
    make_meeting(name="Hope Without Fear", times=[(1, "19:30", 60)])
    session.commit()
    token = csrf_token(client)
    html = client.post("/submit/new", data=new_form(token, action="check")).get_data(as_text=True)
    assert "This may already be listed" in html and "change that one instead" in html


@pytest.mark.parametrize("what, data, kind", [
    ("cancel", {"date": "2026-12-02", "reason": "Thanksgiving week"}, "cancel_week"),
    ("close", {"start_date": "2026-12-01", "end_date": "2027-01-10", "reason": "Renovation"}, "close"),
    ("inactive", {"reason": "The group closed"}, "inactive"),
])
def test_one_off_changes(client, session, make_meeting, monkeypatch, now, what, data, kind):
    from finder.submissions import views as submit

    monkeypatch.setattr(submit, "utcnow", lambda: now)
    meeting = make_meeting(times=[(2, "19:00", 60)])
    session.commit()
    url = f"/submit/meetings/{meeting.slug}/{what}"
    token = csrf_token(client, url)
    response = client.post(url, data={"csrf_token": token, **data})
    assert response.status_code == 303, response.get_data(as_text=True)
    submission = session.scalars(select(Submission)).one()
    assert submission.kind == kind and submission.meeting_id == meeting.id


@sqlite_only
def test_cancel_week_on_a_wrong_day_is_refused_beside_the_field(client, session, make_meeting, monkeypatch, now):
    from finder.submissions import views as submit

    monkeypatch.setattr(submit, "utcnow", lambda: now)
    meeting = make_meeting(times=[(2, "19:00", 60)])
    session.commit()
    url = f"/submit/meetings/{meeting.slug}/cancel"
    response = client.post(url, data={"csrf_token": csrf_token(client, url), "date": "2026-12-03"})
    assert response.status_code == 422
    assert 'id="f-date-error"' in response.get_data(as_text=True)
    assert count(session, Submission) == 0


@sqlite_only
def test_missing_or_wrong_csrf_token_is_refused_and_nothing_stored(client, session, geo):
    csrf_token(client)
    assert client.post("/submit/new", data=new_form("", action="send")).status_code == 400
    wrong = client.post("/submit/new", data=new_form("forged-token-from-another-site", action="send"))
    assert wrong.status_code == 400 and "send the form again" in wrong.get_data(as_text=True)
    assert count(session, Submission) == 0


@sqlite_only
def test_honeypot_refuses_quietly(client, session, geo):
    token = csrf_token(client)
    checked = client.post("/submit/new", data=new_form(token, action="check")).get_data(as_text=True)
    response = client.post("/submit/new", data=form_fields(checked, action="send",
                                                           leave_this_empty="http://buy-things.example"))
    assert response.status_code == 400
    assert count(session, Submission) == 0


@sqlite_only
def test_submission_rate_limit(app, client, session, geo):
    app.config["SUBMISSION_RATE_LIMIT"] = "2/hour"
    assert send_new(client).status_code == 303
    assert send_new(client, name="Second Meeting").status_code == 303
    third = send_new(client, name="Third Meeting")
    assert third.status_code == 429 and "Please wait" in third.get_data(as_text=True)
    assert count(session, Submission) == 2


@sqlite_only
def test_a_dead_mail_server_never_loses_or_blocks_a_submission(app, client, session, geo):
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=1, MODERATOR_EMAILS="mods@example.org")
    assert send_new(client).status_code == 303
    assert count(session, Submission) == 1
    messages = session.scalars(select(OutboxMessage)).all()
    assert messages and all(m.sent_at is None and m.attempts == 1 and m.last_error for m in messages)


@sqlite_only
def test_tampered_and_expired_links_are_refused_politely(app, client, session, geo):
    send_new(client)
    submission = session.scalars(select(Submission)).one()
    token = tokens.make_token("test-secret", submission.id, submission.reference)
    assert client.get(f"/submit/status/{token}").status_code == 200
    tampered = client.get(f"/submit/status/{token[:-3]}abc")
    assert tampered.status_code == 404 and "does not work" in tampered.get_data(as_text=True)
    forged = tokens.make_token("another-secret", submission.id, submission.reference)
    assert client.get(f"/submit/status/{forged}").status_code == 404
    app.config["ORGANIZER_TOKEN_DAYS"] = -1
    expired = client.get(f"/submit/status/{token}")
    assert expired.status_code == 410 and "has expired" in expired.get_data(as_text=True)


@sqlite_only
def test_status_link_lets_the_organizer_propose_a_later_change(client, session, geo, make_meeting):
    meeting = make_meeting()
    session.commit()
    url = f"/submit/meetings/{meeting.slug}/inactive"
    sent = client.post(url, data={"csrf_token": csrf_token(client, url), "reason": "x", "contact_name": "Jo",
                                  "contact_email": "jo@example.org"})
    page = client.get(sent.headers["Location"]).get_data(as_text=True)
    link = re.search(r'href="(/submit/meetings/[^"]+/change\?token=[^"]+)"', page).group(1)
    prefilled = client.get(link.replace("&amp;", "&")).get_data(as_text=True)
    assert 'value="jo@example.org"' in prefilled and 'value="Jo"' in prefilled


HOSTILE = [
    "<script>alert('x')</script>",
    "\"><img src=x onerror=alert(1)>",
    "'; DROP TABLE meetings; --",
    "Robert'); DELETE FROM submissions WHERE ('1'='1",
    "{{ 7*7 }} {% raw %}",
    "\u202eevil\u0000null",
]


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_input_is_stored_as_text_and_escaped(client, session, geo, value):
    response = send_new(client, name=value, notes=value, location_notes=value, message=value)
    assert response.status_code == 303
    submission = session.scalars(select(Submission)).one()
    stored = value.replace("\u0000", "").replace("\u202e", "")
    assert submission.payload["name"] == stored and submission.message == stored
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert str(escape(stored)) in page  # shown as text, exactly, and escaped
    assert "<script>alert" not in page and "<img src=x" not in page and ">49<" not in page


@sqlite_only
def test_overlong_fields_and_wrong_types(client, session, geo):
    token = csrf_token(client)
    response = client.post("/submit/new", data=new_form(token, action="check", name="N" * 5000,
                                                        notes="x" * 3000, duration_0="ninety"))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "at most 200" in html and "at most 2000" in html and 'id="f-duration_0-error"' in html
    doubled = client.post("/submit/new", data={**new_form(token, action="check"), "name": ["A", "B"]})
    assert doubled.status_code == 200


@sqlite_only
def test_request_size_is_limited(client):
    token = csrf_token(client)
    response = client.post("/submit/new", data={"csrf_token": token, "notes": "x" * (3 * 1024 * 1024)})
    assert response.status_code == 413


def test_concurrent_submissions_store_exactly_what_was_accepted(app, session, geo):
    """Visitors from one address send at once, more than the limit allows: exactly the limit is stored, the rest
    refused, none lost or doubled. As many visitors as the PostgreSQL pool has connections (5 by default)."""
    visitors, limit = 5, 3
    app.config["SUBMISSION_RATE_LIMIT"] = f"{limit}/hour"
    statuses: list[int] = []
    failures: list[BaseException] = []
    lock = threading.Lock()
    barrier = threading.Barrier(visitors)

    def visitor(n: int) -> None:
        try:
            client = app.test_client()
            token = csrf_token(client)
            checked = client.post("/submit/new", data=new_form(token, action="check", name=f"Meeting {n}"))
            barrier.wait(timeout=60)
            sent = client.post("/submit/new", data=form_fields(checked.get_data(as_text=True), action="send"))
            with lock:
                statuses.append(sent.status_code)
        except BaseException as exc:  # reported below, with the statuses
            with lock:
                failures.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=visitor, args=(n,)) for n in range(visitors)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not failures, failures
    assert sorted(statuses) == [303] * limit + [429] * (visitors - limit)
    stored = session.scalars(select(Submission)).all()
    assert len(stored) == limit and len({s.reference for s in stored}) == limit


def test_an_organizer_writing_in_spanish_gets_spanish_mail_and_moderators_see_it(app, client, session, geo):
    app.config["MODERATOR_EMAILS"] = "mods@example.org"
    token = csrf_token(client)
    checked = client.post("/submit/new?locale=es", data=new_form(token, action="check"))
    html = checked.get_data(as_text=True)
    assert checked.status_code == 200 and "Dónde la ubicamos" in html
    assert 'action="/submit/new?locale=es"' in html  # the next step stays in Spanish
    sent = client.post("/submit/new?locale=es", data=form_fields(html, action="send"))
    assert sent.status_code == 303 and "locale=es" in sent.headers["Location"]
    assert "Esperando que un voluntario lo revise" in client.get(sent.headers["Location"]).get_data(as_text=True)
    submission = session.scalars(select(Submission)).one()
    assert submission.interface_language == "es"
    mail = {m.recipient: m for m in session.scalars(select(OutboxMessage))}
    assert mail["sam@example.org"].subject == f"Recibimos su envío {submission.reference}"
    assert "Un voluntario lo revisará pronto" in mail["sam@example.org"].body
    assert "locale=es" in mail["sam@example.org"].body  # the private link opens in Spanish
    assert mail["mods@example.org"].subject.startswith("New submission")  # moderators read English


def test_form_errors_come_in_the_visitors_language(client, geo):
    token = csrf_token(client)
    response = client.post("/submit/new", data=new_form(token, action="check", name=""),
                           headers={"Accept-Language": "es"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Complete «Nombre de la reunión»." in html and "Revise este campo" in html
