"""The freshness loop's domain: confirmations, reports counted by keyed hash, marks, resolutions, the daily run."""
from __future__ import annotations

import datetime as dt

import pytest
from alembic import command
from flask_babel import force_locale
from sqlalchemy import func, select

from finder import db, migrate
from finder.admin import audit
from finder.admin.auth import create_user
from finder.core.freshness import freshness_note, is_stale
from finder.freshness import notices, services
from finder.freshness.confirmation import confirm
from finder.freshness.services import Policy
from finder.models import AuditEntry, MeetingReport, OutboxMessage
from finder.submissions import workflow as submissions

PASSWORD = "correct horse battery staple"
SECRET = "test-secret"
POLICY = Policy(threshold=3, window_days=30, escalate_days=14, deactivate_days=90, prompt_months=6)


# Accounts made here use a cheap hash (conftest.cheap_password_hashes); test_auth checks the real one.
pytestmark = pytest.mark.usefixtures("cheap_password_hashes")


def report(session, meeting, client, now, kind="nobody_there", note=""):
    return services.report_problem(session, meeting, kind=kind, note=note, client=client, secret=SECRET,
                                   policy=POLICY, now=now)


# --- pure ------------------------------------------------------------------------------------------------


def test_client_identity_keeps_an_ipv4_address_and_cuts_ipv6_to_its_64():
    assert services.client_identity("203.0.113.9") == "203.0.113.9"
    assert services.client_identity("::ffff:203.0.113.9") == "203.0.113.9"
    a = services.client_identity("2001:db8:1:2:aaaa::1")
    b = services.client_identity("2001:db8:1:2:ffff:ffff:ffff:ffff")
    assert a == b == "2001:db8:1:2::/64"
    assert services.client_identity("2001:db8:1:3::1") != a
    assert services.client_identity("not an address") == services.client_identity(None) == "unknown"


def test_reporter_hash_is_keyed_by_window_and_meeting_and_never_the_address():
    h = services.reporter_hash(SECRET, 100, 7, "203.0.113.9")
    assert h == services.reporter_hash(SECRET, 100, 7, "203.0.113.9")
    assert "203.0.113.9" not in h and len(h) == 64
    assert h != services.reporter_hash(SECRET, 101, 7, "203.0.113.9")  # another window: unlinkable
    assert h != services.reporter_hash(SECRET, 100, 8, "203.0.113.9")  # another meeting: unlinkable
    assert h != services.reporter_hash("other-secret", 100, 7, "203.0.113.9")
    with pytest.raises(ValueError):
        services.reporter_hash("", 100, 7, "x")


def test_windows_are_fixed_spans_of_the_configured_days():
    start = dt.datetime.fromtimestamp(30 * 86400 * 700, dt.UTC)
    assert services.window_of(start, 30) == 700
    assert services.window_of(start + dt.timedelta(days=29, hours=23), 30) == 700
    assert services.window_of(start + dt.timedelta(days=30), 30) == 701


def test_validate_report_keeps_hostile_text_as_text_and_bounds_it():
    hostile = '<script>alert(1)</script>\u202e "; DROP TABLE meetings; --'
    result = services.validate_report({"kind": "other", "note": hostile})
    assert result.ok and result.values["note"].startswith("<script>") and "\u202e" not in result.values["note"]
    assert services.validate_report({"kind": "burn it"}).errors == {"kind": "Please choose what was wrong."}
    assert "too long" in services.validate_report({"kind": "other", "note": "x" * 1001}).errors["note"]
    assert services.validate_report({"kind": ["nobody_there", "x"]}).values["kind"] == "nobody_there"


def test_staleness_and_notes(now):
    assert is_stale(None, now, 365)
    assert is_stale(now - dt.timedelta(days=366), now, 365)
    assert not is_stale(now - dt.timedelta(days=364), now, 365)

    class Row:
        status, reported_at, confirmed_at = "active", None, now - dt.timedelta(days=400)

    assert freshness_note(Row, now, 365) == "Not confirmed in over a year: check before you go."
    assert freshness_note(Row, now, 730) == ""
    assert freshness_note(Row, now, 180).startswith("Not confirmed in over 180 days")
    Row.reported_at = now
    assert freshness_note(Row, now, 365).startswith("Recently reported as not meeting")
    Row.status = "inactive"
    assert freshness_note(Row, now, 365) == ""


def test_the_notes_speak_the_pages_language(sqlite_app, now):
    class Row:
        status, reported_at, confirmed_at = "active", None, None

    with sqlite_app.test_request_context("/?locale=es"), force_locale("es"):
        assert freshness_note(Row, now, 365) == "No se ha confirmado en más de un año: verifique antes de ir."
        assert freshness_note(Row, now, 730).startswith("No se ha confirmado en más de 2 años")
        assert freshness_note(Row, now, 180).startswith("No se ha confirmado en más de 180 días")
        Row.reported_at = now
        assert freshness_note(Row, now, 365).endswith("verifique antes de ir.")


# --- confirmations -------------------------------------------------------------------------------------


def test_confirm_records_who_and_when_without_touching_updated_at(session, now, make_meeting):
    meeting = make_meeting(updated_at=now - dt.timedelta(days=500))
    assert meeting.confirmed_at == now - dt.timedelta(days=500)  # a new row counts as confirmed when written
    session.commit()
    assert confirm(session, meeting, by="sync:bmlt", now=now)
    session.commit()
    session.expire_all()
    assert (meeting.confirmed_at, meeting.confirmed_by) == (now, "sync:bmlt")
    assert meeting.updated_at == now - dt.timedelta(days=500)  # not a change: calendars keep LAST-MODIFIED
    # A sync replaying older data never moves the date back.
    assert not confirm(session, meeting, by="sync:bmlt", now=now - dt.timedelta(days=1))
    assert meeting.confirmed_at == now
    with pytest.raises(ValueError):
        confirm(session, meeting, by="x", now=now.replace(tzinfo=None))


def test_an_approved_change_confirms_the_meeting(session, now, make_meeting):
    meeting = make_meeting(updated_at=now - dt.timedelta(days=800))
    admin = create_user(session, email="a@example.org", password=PASSWORD, role="admin", now=now)
    proposal = submissions.proposal_from_meeting(meeting)
    proposal["notes"] = "Side door."
    item = submissions.submit(session, kind="change", payload=proposal, meeting=meeting, now=now, contact={})
    submissions.approve(session, item, actor=admin, now=now)
    session.commit()
    assert meeting.confirmed_at == now and meeting.confirmed_by == f"approved {item.reference}"


# --- reports -------------------------------------------------------------------------------------------


def test_one_client_alone_never_marks_a_meeting(session, now, make_meeting):
    meeting = make_meeting()
    first = report(session, meeting, "203.0.113.9", now)
    assert first.stored and first.first_open and not first.marked
    for minutes in range(1, 20):
        again = report(session, meeting, "203.0.113.9", now + dt.timedelta(minutes=minutes))
        assert not again.stored and not again.marked
    # Another address in the same IPv6 /64 is the same visitor.
    for n in range(5):
        assert not report(session, meeting, services.client_identity(f"2001:db8::{n}"), now).marked
    session.commit()
    assert session.scalar(select(func.count()).select_from(MeetingReport)) == 2
    assert meeting.reported_at is None


def test_distinct_clients_past_the_threshold_mark_the_meeting(session, now, make_meeting):
    meeting = make_meeting()
    other = make_meeting()
    assert not report(session, meeting, "198.51.100.1", now).marked
    assert not report(session, meeting, "198.51.100.2", now, kind="wrong_time").marked  # other kinds don't count
    assert not report(session, other, "198.51.100.3", now).marked  # nor reports on other meetings
    assert not report(session, meeting, "198.51.100.4", now).marked
    third = report(session, meeting, "198.51.100.5", now + dt.timedelta(hours=2))
    assert third.marked and not third.first_open
    session.commit()
    assert meeting.reported_at == now + dt.timedelta(hours=2) and other.reported_at is None
    stored = session.scalars(select(MeetingReport)).all()
    assert all(r.reporter_hash and "198.51" not in r.reporter_hash for r in stored)


def test_reports_count_together_only_inside_one_window(session, now, make_meeting):
    meeting = make_meeting()
    window_end = dt.datetime.fromtimestamp((services.window_of(now, 30) + 1) * 30 * 86400, dt.UTC)
    report(session, meeting, "198.51.100.1", window_end - dt.timedelta(hours=1))
    report(session, meeting, "198.51.100.2", window_end - dt.timedelta(minutes=1))
    assert not report(session, meeting, "198.51.100.3", window_end).marked
    # The same visitor in the next window has another hash: it could be counted again, which is why the
    # threshold is counted inside one window only.
    assert not report(session, meeting, "198.51.100.1", window_end + dt.timedelta(days=1)).marked
    assert report(session, meeting, "198.51.100.2", window_end + dt.timedelta(days=2)).marked


def test_unlisted_meetings_cannot_be_reported(session, now, make_meeting):
    for meeting in (make_meeting(published=False), make_meeting(status="inactive")):
        with pytest.raises(services.ReportError):
            report(session, meeting, "198.51.100.1", now)
    assert session.scalar(select(func.count()).select_from(MeetingReport)) == 0


def test_purge_drops_the_hashes_of_ended_windows_only(session, now, make_meeting):
    meeting = make_meeting()
    report(session, meeting, "198.51.100.1", now - dt.timedelta(days=40))
    report(session, meeting, "198.51.100.2", now)
    session.commit()
    assert services.purge_reporter_hashes(session, policy=POLICY, now=now) == 1
    session.commit()
    kept = {r.created_at: r.reporter_hash for r in session.scalars(select(MeetingReport))}
    assert kept[now - dt.timedelta(days=40)] is None and kept[now] is not None
    assert services.purge_reporter_hashes(session, policy=POLICY, now=now) == 0


# --- resolving, escalation, deactivation -------------------------------------------------------------


@pytest.fixture
def marked(session, now, make_body, make_meeting):
    region = make_body(kind="region", name="Keystone Region")
    area = make_body(kind="area", name="Philly Area", parent_id=region.id)
    meeting = make_meeting(service_body_id=area.id, updated_at=now - dt.timedelta(days=500))
    for n in range(3):
        report(session, meeting, f"198.51.100.{n}", now, note="door locked" if n == 0 else "")
    users = {
        "admin": create_user(session, email="admin@example.org", password=PASSWORD, role="admin", now=now),
        "area": create_user(session, email="area@example.org", password=PASSWORD, role="body_admin",
                            service_body=area, now=now),
        "region": create_user(session, email="region@example.org", password=PASSWORD, role="body_admin",
                              service_body=region, now=now),
        "far": create_user(session, email="far@example.org", password=PASSWORD, role="body_admin",
                           service_body=make_body(name="Far Area"), now=now),
    }
    session.commit()
    session.refresh(meeting)
    assert meeting.reported_at == now
    return {"meeting": meeting, "area_body": area, **users}


def test_moderators_resolve_and_the_mark_goes(session, now, marked):
    meeting = marked["meeting"]
    later = now + dt.timedelta(days=2)
    with pytest.raises(PermissionError):
        services.resolve(session, meeting, actor=marked["far"], resolution="confirmed", now=later)
    with pytest.raises(services.ReportError):
        services.resolve(session, meeting, actor=marked["area"], resolution="deleted", now=later)
    assert services.resolve(session, meeting, actor=marked["area"], resolution="confirmed", now=later) == 3
    session.commit()
    assert meeting.reported_at is None and meeting.confirmed_at == later and meeting.status == "active"
    assert {(r.status, r.resolution, r.resolved_by_label) for r in session.scalars(select(MeetingReport))} == {
        ("resolved", "confirmed", "area@example.org")}
    with pytest.raises(services.ReportError):
        services.resolve(session, meeting, actor=marked["area"], resolution="confirmed", now=later)


def test_resolving_as_inactive_deactivates_with_a_reason_in_the_audit_log(session, now, marked):
    meeting = marked["meeting"]
    services.resolve(session, meeting, actor=marked["region"], resolution="inactive", now=now)
    session.commit()
    assert meeting.status == "inactive" and meeting.reported_at is None
    entry = audit.changes(session, meeting_id=meeting.id)[-1]
    assert entry.after["status"] == "inactive" and "no longer meets" in entry.reason
    assert entry.actor_label == "region@example.org"


def test_the_daily_rules_escalate_once_and_deactivate_after_the_set_time(app, session, now, marked):
    meeting = marked["meeting"]
    app.config["PUBLIC_URL"] = "https://meetings.example.org"
    with app.test_request_context("/"):
        early = notices.run(session, policy=POLICY, now=now + dt.timedelta(days=13))
        assert not early.escalated and not early.deactivated
        due = notices.run(session, policy=POLICY, now=now + dt.timedelta(days=14))
        assert due.escalated == [meeting] and meeting.escalated_at == now + dt.timedelta(days=14)
        assert not notices.run(session, policy=POLICY, now=now + dt.timedelta(days=15)).escalated
        session.commit()
        # Only those above the area's own moderators hear of an escalation.
        escalations = session.scalars(select(OutboxMessage).where(OutboxMessage.subject.like("Unresolved%"))).all()
        assert {m.recipient for m in escalations} == {"admin@example.org", "region@example.org"}
        assert not notices.run(session, policy=POLICY, now=now + dt.timedelta(days=89)).deactivated
        gone = notices.run(session, policy=POLICY, now=now + dt.timedelta(days=90))
    session.commit()
    assert gone.deactivated == [meeting] and meeting.status == "inactive" and meeting.reported_at is None
    entry = session.scalars(select(AuditEntry).where(AuditEntry.entity_id == meeting.id)
                            .order_by(AuditEntry.id.desc())).first()
    assert entry.actor_label == services.SYSTEM_ACTOR
    assert "unresolved after 90 days" in entry.reason and entry.after["status"] == "inactive"
    assert {r.resolution for r in session.scalars(select(MeetingReport))} == {"inactive"}


def test_a_confirmation_after_the_mark_keeps_the_meeting_listed(session, now, marked):
    meeting = marked["meeting"]
    confirm(session, meeting, by="organizer (confirm link)", now=now + dt.timedelta(days=5))
    assert not services.deactivate_unresolved(session, policy=POLICY, now=now + dt.timedelta(days=120))
    assert meeting.status == "active" and meeting.reported_at == now  # still waits for a moderator


def test_open_reports_are_scoped_and_marked_first(session, now, marked, make_meeting):
    quiet = make_meeting(service_body_id=marked["area_body"].id)
    report(session, quiet, "198.51.100.9", now - dt.timedelta(days=3), kind="bad_link")
    session.commit()
    groups = services.open_reports(session, user=marked["area"])
    assert [g.meeting for g in groups] == [marked["meeting"], quiet]
    assert groups[0].counts == {"nobody_there": 3} and [r.note for r in groups[0].notes] == ["door locked"]
    assert services.open_reports(session, user=marked["far"]) == []
    assert len(services.open_reports(session)) == 2


def test_freshness_by_body_counts_listed_meetings_confirmed_lately(session, now, marked, make_meeting):
    area = marked["area_body"]
    make_meeting(service_body_id=area.id, updated_at=now - dt.timedelta(days=10))
    make_meeting(service_body_id=area.id, updated_at=now - dt.timedelta(days=10), status="inactive")
    make_meeting(updated_at=now - dt.timedelta(days=900))  # no service body
    session.commit()
    rows = services.freshness_by_body(session, scope=None, policy=POLICY, now=now)
    by_name = {r.body.name if r.body else None: r for r in rows}
    assert (by_name["Philly Area"].total, by_name["Philly Area"].confirmed, by_name["Philly Area"].reported) == (
        2, 1, 1)
    assert by_name["Philly Area"].share == 0.5 and by_name[None].share == 0.0
    assert rows[0].body is None  # lowest share first
    scoped = services.freshness_by_body(session, scope=marked["area"], policy=POLICY, now=now)
    assert [r.body.name for r in scoped] == ["Philly Area"]
    listed = services.body_meetings(session, area.id)
    assert listed[0] == marked["meeting"]  # marked first


def test_prompts_go_to_the_contact_of_an_approved_submission_once_per_interval(session, now, make_meeting):
    admin = create_user(session, email="a@example.org", password=PASSWORD, role="admin", now=now)
    old = now - dt.timedelta(days=400)
    asked = make_meeting(updated_at=old)
    no_contact = make_meeting(updated_at=old)
    fresh = make_meeting(updated_at=now - dt.timedelta(days=30))
    for meeting, email in ((asked, "sec@example.org"), (fresh, "fresh@example.org")):
        item = submissions.submit(session, kind="cancel_week", payload={"date": "2026-12-02", "reason": ""},
                                  meeting=meeting, now=old, contact={"contact_email": email})
        submissions.approve(session, item, actor=admin, now=old)
    rejected = submissions.submit(session, kind="cancel_week", payload={"date": "2026-12-02", "reason": ""},
                                  meeting=no_contact, now=old, contact={"contact_email": "stranger@example.org"})
    submissions.reject(session, rejected, actor=admin, reason="no", now=old)
    session.commit()
    assert services.prompts_due(session, policy=POLICY, now=now) == [(asked, "sec@example.org")]
    asked.prompted_at = now - dt.timedelta(days=10)
    assert services.prompts_due(session, policy=POLICY, now=now) == []
    assert services.prompts_due(session, policy=Policy(prompt_months=0), now=now + dt.timedelta(days=999)) == []


def test_migration_backfills_last_confirmed_from_the_last_change(app, session, now, make_meeting):
    meeting = make_meeting(updated_at=now - dt.timedelta(days=42))
    session.commit()
    session.close()
    engine = db.engine_for(app)
    cfg = migrate.alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, "0006_sync_sources")
    migrate.upgrade(engine)
    session.expire_all()
    found = session.get(type(meeting), meeting.id)
    assert (found.confirmed_at, found.confirmed_by) == (now - dt.timedelta(days=42), "last change")
