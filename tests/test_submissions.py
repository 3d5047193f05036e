"""Submissions: pure validation, storing, duplicates, approve/reject with audit and sequence, and races."""
from __future__ import annotations

import datetime as dt
import threading
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from finder import db
from finder.admin import audit
from finder.submissions import workflow
from finder.admin.auth import create_user
from finder.models import AuditEntry, Meeting, Submission
from finder.submissions.workflow import AlreadyDecided, SubmissionError
from finder.core.vocab import FORMAT_BY_CODE

KNOWN = set(FORMAT_BY_CODE)

# Backend-agnostic tests run on SQLite only; what stores data through SQL that differs runs on both.
sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def meeting_form(**overrides):
    values = {
        "name": "Hope Without Fear", "day_0": "1", "start_0": "19:30", "duration_0": "90",
        "day_1": "3", "start_1": "7:00 pm", "open_closed": "O", "attendance": "in_person", "language": "en",
        "location_name": "St. Mark's Church", "street": "1625 Locust St", "city": "Philadelphia",
        "region": "PA", "postal_code": "19103", "country": "US", "location_notes": "Basement, side door",
        "notes": "",
    }
    values.update(overrides)
    form = MultiDict(values)
    for code in overrides.get("_formats", ["BEG", "JFT"]):
        form.add("formats", code)
    form.pop("_formats", None)
    return form


def located(values, lat=39.9487, lon=-75.1685, zone="America/New_York"):
    return workflow.with_location(values, workflow.Located(lat, lon, "rooftop", zone, "Philadelphia"))


# --- pure validation -----------------------------------------------------------------------------------


def test_valid_meeting_form_gives_a_proposal_with_several_weekly_times():
    result = workflow.validate_meeting(meeting_form(), known_formats=KNOWN)
    assert result.ok, result.errors
    assert result.values["times"] == [
        {"weekday": 1, "start": "19:30", "duration_minutes": 90},
        {"weekday": 3, "start": "19:00", "duration_minutes": 60},
    ]
    assert result.values["formats"] == ["BEG", "JFT", "O"]
    assert result.values["place"]["notes"] == "Basement, side door"
    assert result.values["conference_url"] == ""


@pytest.mark.parametrize("field, value, message", [
    ("name", "", "Meeting name"),
    ("name", "x" * 201, "too long"),
    ("start_0", "25:00", "start time"),
    ("day_0", "9", "choose the day"),
    ("duration_0", "-5", "minutes"),
    ("attendance", "teleport", "in person"),
    ("street", "", "street address"),
    ("country", "USA", "country"),
    ("language", "english!", "language"),
    ("latitude", "91", "Latitude"),
    ("open_closed", "X", "open or closed"),
])
def test_each_bad_field_gets_its_own_message(field, value, message):
    form = meeting_form(**{field: value})
    if field == "latitude":
        form["longitude"] = "-75"
    result = workflow.validate_meeting(form, known_formats=KNOWN)
    assert message in result.errors[field]


def test_online_meeting_needs_a_link_or_phone_and_only_http_links():
    form = meeting_form(attendance="online", street="", conference_url="javascript:alert(1)")
    result = workflow.validate_meeting(form, known_formats=KNOWN)
    assert "https://" in result.errors["conference_url"]
    assert "street" not in result.errors  # online-only meetings have no street
    result = workflow.validate_meeting(meeting_form(attendance="online", street=""), known_formats=KNOWN)
    assert "link or a dial-in" in result.errors["conference_url"]
    for url in ("ftp://x.org", "https://", "data:text/html,hi", "https://exa mple.org"):
        assert workflow.validate_url(url), url
    assert workflow.validate_url("https://zoom.us/j/123?pwd=abc") is None


@pytest.mark.parametrize("typed, stored, ok", [
    ("+1 (646) 558-8656,,123456#", "+16465588656,,123456#", True),
    ("646.558.8656 *9", "6465588656*9", True),
    ("call me", None, False),
    ("12", None, False),
    ("<script>", None, False),
])
def test_phone_digits_and_plus_comma_star_hash(typed, stored, ok):
    value, problem = workflow.normalize_phone(typed)
    assert (problem is None) == ok
    if ok:
        assert value == stored


def test_hostile_text_is_kept_as_text_and_controls_dropped():
    form = meeting_form(name="<script>alert('x')</script>'; DROP TABLE meetings;--\x00\x07",
                        notes="line one\r\nline two\x1b[31m")
    result = workflow.validate_meeting(form, known_formats=KNOWN)
    assert result.ok
    assert result.values["name"] == "<script>alert('x')</script>'; DROP TABLE meetings;--"
    assert result.values["notes"] == "line one\nline two[31m"


def test_wrong_types_do_not_crash_validation():
    form = {"name": ["a", "b"], "day_0": 3, "start_0": 19.5, "formats": "NOPE", "latitude": "nan",
            "longitude": "inf"}
    result = workflow.validate_meeting(form, known_formats=KNOWN)
    assert result.values["name"] == "a"
    assert {"start_0", "formats", "latitude", "longitude"} <= set(result.errors)


def test_venue_formats_cannot_be_picked_by_hand():
    result = workflow.validate_meeting(meeting_form(_formats=["TC"]), known_formats=KNOWN)
    assert "formats" in result.errors


def test_cancel_week_date_must_be_a_meeting_day_ahead():
    today = dt.date(2026, 11, 25)
    ok = workflow.validate_cancel_week({"date": "2026-12-02"}, weekdays={2}, today=today)
    assert ok.ok and ok.values["date"] == "2026-12-02"
    for date, message in [("2026-12-03", "does not meet"), ("2026-11-18", "passed"), ("soon", "date"),
                          ("2028-12-06", "next year")]:
        result = workflow.validate_cancel_week({"date": date}, weekdays={2}, today=today)
        assert message in result.errors["date"]


def test_close_dates_in_order_and_end_optional():
    today = dt.date(2026, 11, 25)
    assert workflow.validate_close({"start_date": "2026-12-01"}, today=today).values["end_date"] is None
    result = workflow.validate_close({"start_date": "2026-12-10", "end_date": "2026-12-01"}, today=today)
    assert "comes before" in result.errors["end_date"]


def test_contact_email_checked_and_honeypot():
    assert "e-mail" in workflow.validate_contact({"contact_email": "not an email"}).errors["contact_email"]
    assert workflow.validate_contact({"contact_email": "sec@example.org"}).ok
    assert workflow.is_spam({"leave_this_empty": "http://spam"})
    assert not workflow.is_spam({"leave_this_empty": ""})


def test_locate_prefers_the_corrected_pin_and_takes_the_zone_from_it():
    geocoder = SimpleNamespace(geocode=lambda text: SimpleNamespace(
        lat=39.95, lon=-75.16, label="Philadelphia, PA", precision="postal_code", timezone="America/New_York"))
    zones = {(39.95, -75.16): "America/New_York", (34.05, -118.24): "America/Los_Angeles"}
    tz = lambda lat, lon: zones.get((lat, lon))
    place = workflow.validate_meeting(meeting_form(), known_formats=KNOWN).values["place"]
    found = workflow.locate(place, geocoder, tz)
    assert (found.latitude, found.precision, found.timezone) == (39.95, "postal_code", "America/New_York")
    moved = {**place, "latitude": 34.05, "longitude": -118.24}
    assert workflow.locate(moved, geocoder, tz).timezone == "America/Los_Angeles"
    nowhere = SimpleNamespace(geocode=lambda text: None)
    assert workflow.locate(place, nowhere, tz) is None


def test_locate_geocodes_a_changed_address_even_with_the_old_pin():
    calls = []
    geocoder = SimpleNamespace(geocode=lambda text: calls.append(text) or SimpleNamespace(
        lat=40.7, lon=-74.0, label="New York", precision="city", timezone="America/New_York"))
    previous = {"street": "1 Old St", "city": "Philadelphia", "latitude": 39.9, "longitude": -75.1}
    new = {"street": "2 New St", "city": "New York", "latitude": 39.9, "longitude": -75.1}
    assert workflow.locate(new, geocoder, lambda a, b: "America/New_York", previous=previous).latitude == 40.7
    assert calls


def test_diff_lists_changed_fields():
    before = {"name": "A", "times": [{"weekday": 0, "start": "19:00", "duration_minutes": 60}],
              "place": {"street": "1 Main St", "city": "X"}}
    after = {"name": "B", "times": [{"weekday": 1, "start": "19:00", "duration_minutes": 60}],
             "place": {"street": "1 Main St", "city": "Y"}}
    changes = {c.field: (c.before, c.after) for c in workflow.diff(before, after)}
    assert changes == {"name": ("A", "B"), "times": ("Monday 7:00 PM (60 min)", "Tuesday 7:00 PM (60 min)"),
                       "place.city": ("X", "Y")}


# --- storing and deciding -------------------------------------------------------------------------------


# Accounts made here use a cheap hash (conftest.cheap_password_hashes); test_auth checks the real one.
pytestmark = pytest.mark.usefixtures("cheap_password_hashes")


@pytest.fixture
def admin(session, now):
    return create_user(session, email="admin@example.org", password="correct horse battery", role="admin",
                       now=now, name="Ada")


def new_submission(session, now, **form):
    values = located(workflow.validate_meeting(meeting_form(**form), known_formats=KNOWN).values)
    return workflow.submit(session, kind="new", payload=values, now=now,
                              contact={"contact_name": "Sam", "contact_email": "sam@example.org"})


def test_new_meeting_submission_is_stored_pending_then_approved_with_audit(session, admin, now):
    submission = new_submission(session, now)
    session.commit()
    assert submission.status == "pending" and submission.reference.startswith("NA-")
    assert session.scalar(select(func.count()).select_from(Meeting)) == 0

    meeting = workflow.approve(session, submission, actor=admin, now=now)
    session.commit()
    assert submission.status == "approved" and submission.decided_by_id == admin.id
    assert meeting.published and meeting.sequence == 0 and meeting.source == "submission"
    assert meeting.slug == "hope-without-fear-philadelphia"
    assert [(t.weekday, t.start) for t in meeting.times] == [(1, dt.time(19, 30)), (3, dt.time(19, 0))]
    assert meeting.format_codes == ["BEG", "JFT", "O"]
    assert meeting.place.timezone == "America/New_York"
    (entry,) = audit.changes(session, meeting_id=meeting.id)
    assert (entry.action, entry.actor_id, entry.submission_id, entry.before) == (
        "create", admin.id, submission.id, None)


def test_change_bumps_sequence_only_for_time_place_or_status(session, admin, now, make_meeting):
    meeting = make_meeting()
    session.commit()
    proposal = workflow.proposal_from_meeting(meeting)
    notes_only = {**proposal, "notes": "Bring a friend"}
    later = now + dt.timedelta(hours=1)
    new_time = {**proposal, "times": [{"weekday": 2, "start": "20:00", "duration_minutes": 60}]}
    # Both organizers filled in the form before either change was approved.
    first = workflow.submit(session, kind="change", payload=notes_only, meeting=meeting, now=now, contact={})
    second = workflow.submit(session, kind="change", payload=new_time, meeting=meeting, now=now, contact={})
    workflow.approve(session, first, actor=admin, now=now)
    session.commit()
    assert meeting.notes == "Bring a friend" and meeting.sequence == 0

    workflow.approve(session, second, actor=admin, now=later)
    session.commit()
    assert meeting.sequence == 1 and meeting.updated_at == later
    assert meeting.notes == "Bring a friend"  # the second organizer did not touch notes: kept
    entries = audit.changes(session, meeting_id=meeting.id)
    actions = [(e.action, audit.changed_fields(e.before, e.after)) for e in entries]
    assert actions[0] == ("update", ["notes"])
    assert actions[1][0] == "update" and "times" in actions[1][1] and "sequence" in actions[1][1]


def test_changed_times_keep_their_rows_so_calendars_keep_their_uids(session, now, make_meeting):
    meeting = make_meeting(times=[(0, "19:00", 60), (2, "19:00", 60), (4, "12:00", 60)])
    session.commit()
    rows = {(t.weekday, t.start): t.id for t in meeting.times}
    proposal = workflow.proposal_from_meeting(meeting)
    # Wednesday moves to Thursday 18:30, Friday is dropped, Monday stays, Saturday is new.
    changed = {**proposal, "times": [{"weekday": 0, "start": "19:00", "duration_minutes": 60},
                                     {"weekday": 3, "start": "18:30", "duration_minutes": 90},
                                     {"weekday": 5, "start": "10:00", "duration_minutes": 60}]}
    assert workflow.update_meeting(session, meeting, changed, actor="moderator", now=now)
    session.commit()
    session.expire_all()
    after = {(t.weekday, t.start): t.id for t in session.get(Meeting, meeting.id).times}
    assert after[(0, dt.time(19))] == rows[(0, dt.time(19))]
    reused = {after[(3, dt.time(18, 30))], after[(5, dt.time(10))]}
    assert rows[(2, dt.time(19))] in reused and rows[(4, dt.time(12))] in reused  # moved, not replaced
    assert meeting.sequence == 1


def test_change_of_a_shared_place_moves_only_this_meeting(session, admin, now, make_meeting, make_place):
    place = make_place()
    meeting, neighbour = make_meeting(place=place), make_meeting(place=place)
    session.commit()
    proposal = workflow.proposal_from_meeting(meeting)
    proposal["place"] = {**proposal["place"], "street": "200 S Broad St", "latitude": 39.948, "longitude": -75.164}
    submission = workflow.submit(session, kind="change", payload=proposal, meeting=meeting, now=now, contact={})
    workflow.approve(session, submission, actor=admin, now=now)
    session.commit()
    assert meeting.place.street == "200 S Broad St" and neighbour.place.street == "1625 Locust St"
    assert meeting.sequence == 1


@pytest.mark.parametrize("kind, payload, check", [
    ("cancel_week", {"date": "2026-12-02", "reason": "Holiday"},
     lambda m: [(e.kind, e.start_date) for e in m.exceptions] == [("cancelled", dt.date(2026, 12, 2))]),
    ("close", {"start_date": "2026-12-01", "end_date": "2027-01-15", "reason": "Renovation"},
     lambda m: [(e.kind, e.end_date) for e in m.exceptions] == [("closed", dt.date(2027, 1, 15))]),
    ("close", {"start_date": "2026-12-01", "end_date": None, "reason": ""},
     lambda m: m.status == "temporarily_closed" and "TC" in m.format_codes),
    ("inactive", {"reason": "Group dissolved"}, lambda m: m.status == "inactive"),
])
def test_other_kinds_apply_and_bump_sequence(session, admin, now, make_meeting, kind, payload, check):
    meeting = make_meeting()
    session.commit()
    submission = workflow.submit(session, kind=kind, payload=payload, meeting=meeting, now=now, contact={})
    workflow.approve(session, submission, actor=admin, now=now)
    session.commit()
    assert check(meeting) and meeting.sequence == 1
    (entry,) = audit.changes(session, meeting_id=meeting.id)
    assert entry.action == {"cancel_week": "cancel_week", "close": "close", "inactive": "update"}[kind]


@sqlite_only
def test_reject_needs_a_reason_and_changes_nothing(session, admin, now):
    submission = new_submission(session, now)
    with pytest.raises(SubmissionError):
        workflow.reject(session, submission, actor=admin, reason="  ", now=now)
    workflow.reject(session, submission, actor=admin, reason="Duplicate of the Tuesday meeting", now=now)
    session.commit()
    assert submission.status == "rejected" and submission.decision_reason.startswith("Duplicate")
    assert session.scalar(select(func.count()).select_from(Meeting)) == 0
    with pytest.raises(AlreadyDecided):
        workflow.approve(session, submission, actor=admin, now=now)


@sqlite_only
def test_edit_then_approve_applies_the_moderators_version(session, admin, now):
    submission = new_submission(session, now)
    edited = {**submission.payload, "name": "Hope Without Fear Group"}
    meeting = workflow.approve(session, submission, actor=admin, now=now, payload=edited)
    session.commit()
    assert meeting.name == "Hope Without Fear Group" and submission.payload["name"] == "Hope Without Fear Group"


@sqlite_only
def test_observer_and_out_of_scope_body_admin_cannot_approve(session, now, make_body, make_meeting):
    region = make_body(kind="region", name="Region")
    area = make_body(kind="area", name="Area", parent=region)
    other = make_body(kind="area", name="Other")
    meeting = make_meeting()
    meeting.service_body = area
    observer = create_user(session, email="o@example.org", password="x" * 12, role="observer", now=now)
    outsider = create_user(session, email="b@example.org", password="x" * 12, role="body_admin",
                           service_body=other, now=now)
    insider = create_user(session, email="r@example.org", password="x" * 12, role="body_admin",
                          service_body=region, now=now)
    submission = workflow.submit(session, kind="inactive", payload={"reason": ""}, meeting=meeting, now=now,
                                    contact={})
    for user in (observer, outsider):
        with pytest.raises(PermissionError):
            workflow.approve(session, submission, actor=user, now=now)
    workflow.approve(session, submission, actor=insider, now=now)
    assert meeting.status == "inactive"


def test_duplicates_found_by_name_or_building_at_the_same_time(session, make_meeting):
    existing = make_meeting(name="Hope Without Fear", times=[(1, "19:30", 60)])
    session.commit()
    proposal = located(workflow.validate_meeting(meeting_form(), known_formats=KNOWN).values)
    assert workflow.find_duplicates(session, proposal) == [existing]
    renamed = {**proposal, "name": "Another Name"}
    assert workflow.find_duplicates(session, renamed) == [existing]  # same building, same time
    elsewhere = located({**renamed}, lat=40.7, lon=-74.0)
    elsewhere["place"] = {**elsewhere["place"], "street": "1 Other St"}
    assert workflow.find_duplicates(session, elsewhere) == []
    assert workflow.find_duplicates(session, proposal, exclude_id=existing.id) == []


def test_the_duplicate_check_never_shows_an_unpublished_or_ended_meeting(session, make_meeting):
    """The check page is public: a meeting that is not listed (a draft, one that no longer meets) stays out."""
    make_meeting(name="Hope Without Fear", times=[(1, "19:30", 60)], published=False)
    make_meeting(name="Hope Without Fear", times=[(1, "19:30", 60)], status="inactive")
    session.commit()
    proposal = located(workflow.validate_meeting(meeting_form(), known_formats=KNOWN).values)
    assert workflow.find_duplicates(session, proposal) == []


def test_hostile_values_round_trip_unchanged(session, admin, now):
    name = "<img src=x onerror=alert(1)> ' OR 1=1; -- \"Robert'); DROP TABLE students;--"
    submission = new_submission(session, now, name=name, notes="${7*7} {{7*7}} %s %(x)s")
    meeting = workflow.approve(session, submission, actor=admin, now=now)
    session.commit()
    session.expire_all()
    stored = session.get(Meeting, meeting.id)
    assert stored.name == name and stored.notes == "${7*7} {{7*7}} %s %(x)s"


def test_two_moderators_approving_at_once_exactly_one_wins(app, session, now):
    admin_one = create_user(session, email="one@example.org", password="x" * 12, role="admin", now=now)
    admin_two = create_user(session, email="two@example.org", password="x" * 12, role="admin", now=now)
    submission = new_submission(session, now)
    session.commit()
    ids = (submission.id, admin_one.id, admin_two.id)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []
    lock = threading.Lock()

    def moderate(user_id: int) -> None:
        own = db.session_factory(app)()
        try:
            target = own.get(Submission, ids[0])
            actor = own.get(type(admin_one), user_id)
            barrier.wait(timeout=10)
            try:
                workflow.approve(own, target, actor=actor, now=now)
                own.commit()
                result = "won"
            except AlreadyDecided:
                own.rollback()
                result = "lost"
            with lock:
                outcomes.append(result)
        finally:
            own.close()

    threads = [threading.Thread(target=moderate, args=(uid,)) for uid in ids[1:]]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["lost", "won"]
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Meeting)) == 1
    assert session.scalar(select(func.count()).select_from(AuditEntry)) == 1


def test_clean_text_keeps_joiners_and_drops_overrides():
    assert workflow.clean_text("می\u200cخواهم") == "می\u200cخواهم"
    assert workflow.clean_text("👩\u200d👩\u200d👧") == "👩\u200d👩\u200d👧"
    assert workflow.clean_text("abc\u202edef\u0000") == "abcdef"
    assert workflow.clean_text(None) == "" and workflow.clean_text(["x", "y"]) == "x"


def test_form_precision_and_zone_are_checked_and_an_unmoved_pin_keeps_its_precision():
    form = meeting_form(precision="'; DROP TABLE places;--", timezone="Mars/Olympus_Mons")
    place = workflow.validate_meeting(form, known_formats=KNOWN).values["place"]
    assert place["precision"] is None and place["timezone"] is None
    previous = {**place, "latitude": 39.95, "longitude": -75.16, "precision": "postal_code"}
    unmoved = {**place, "latitude": 39.95, "longitude": -75.16}
    found = workflow.locate(unmoved, None, lambda lat, lon: "America/New_York", previous=previous)
    assert found.precision == "postal_code"


@sqlite_only
def test_a_body_admin_cannot_move_a_meeting_out_of_their_tree(session, now, make_body, make_meeting):
    area, other = make_body(kind="area", name="Mine"), make_body(kind="area", name="Theirs")
    meeting = make_meeting()
    meeting.service_body = area
    moderator = create_user(session, email="m@example.org", password="x" * 12, role="body_admin",
                            service_body=area, now=now)
    proposal = {**workflow.proposal_from_meeting(meeting), "service_body_id": other.id}
    submission = workflow.submit(session, kind="change", payload=proposal, meeting=meeting, now=now, contact={})
    with pytest.raises(PermissionError):
        workflow.approve(session, submission, actor=moderator, now=now)
    assert submission.status == "pending"


def test_diff_names_weekdays_as_the_schedule_does() -> None:
    """The moderator's change list names days with finder.core.schedule's names (one list of weekday names)."""
    before = {"times": [{"weekday": 0, "start": "19:00", "duration_minutes": 60}]}
    after = {"times": [{"weekday": 6, "start": "07:30", "duration_minutes": 90}]}
    (change,) = [c for c in workflow.diff(before, after) if c.field == "times"]
    assert (change.before, change.after) == ("Monday 7:00 PM (60 min)", "Sunday 7:30 AM (90 min)")


def test_the_meeting_to_change_is_found_by_name_among_public_meetings(session, make_meeting):
    shown = make_meeting(name="100% Hope")
    make_meeting(name="100% Hope, unpublished", published=False)
    make_meeting(name="1000 Hopes")
    session.flush()
    assert workflow.meetings_to_change(session, "100%") == [shown]
    assert workflow.meetings_to_change(session, "hope", limit=1) == [shown]
