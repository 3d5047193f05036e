"""What moderators' pages do (finder.admin.services), without a request: the queue, reviews, decisions,
direct-edit checks, accounts and the meeting list."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from finder.admin import audit, auth, services
from finder.models import Meeting, Submission, User
from finder.submissions import workflow

PASSWORD = "correct horse battery staple"


pytestmark = pytest.mark.usefixtures("cheap_password_hashes")  # accounts' hash cost is test_auth's concern


@pytest.fixture
def world(session, now, make_body, make_meeting):
    area = make_body(kind="area", name="Philly Area")
    other = make_body(kind="area", name="Far Area")
    meeting = make_meeting(name="Clean Living", times=[(2, "19:00", 60)])
    meeting.service_body_id = area.id
    session.flush()
    session.refresh(meeting)
    proposal = workflow.proposal_from_meeting(meeting)
    proposal["times"] = [{"weekday": 2, "start": "19:30", "duration_minutes": 60}]
    change = workflow.submit(session, kind="change", payload=proposal, meeting=meeting, now=now,
                             contact={"contact_name": "Sam", "contact_email": "sam@example.org"})
    users = {
        "admin": auth.create_user(session, email="admin@example.org", password=PASSWORD, role="admin", now=now),
        "own": auth.create_user(session, email="own@example.org", password=PASSWORD, role="body_admin",
                                service_body=area, now=now),
        "outsider": auth.create_user(session, email="far@example.org", password=PASSWORD, role="body_admin",
                                     service_body=other, now=now),
    }
    session.commit()
    return {"meeting": meeting, "change": change, "area": area, **users}


def test_a_body_admin_queue_holds_their_own_bodies_submissions(session, world):
    assert services.queue(session, world["admin"]) == ([world["change"]], [])
    assert services.queue(session, world["own"])[0] == [world["change"]]
    assert services.queue(session, world["outsider"]) == ([], [])


def test_review_shows_the_change_and_warns_when_the_meeting_moved_on(session, world, now):
    change, meeting = world["change"], world["meeting"]
    review = services.review(session, change)
    assert review.changes and not review.moved_on
    meeting.name = "Clean Living Tuesday"  # edited after the organizer saw it
    session.flush()
    assert services.review(session, change).moved_on


def test_decide_approves_through_the_workflow_and_does_not_commit(session, world, now):
    change = world["change"]
    services.decide(session, change, "approve", actor=world["own"], now=now)
    assert change.status == "approved" and not services.open_proposal(change)
    assert world["meeting"].times[0].start.strftime("%H:%M") == "19:30"
    session.rollback()  # the caller owns the transaction
    assert session.get(Submission, change.id).status == "pending"


def test_decide_refuses_an_outsider_and_a_reject_without_reason(session, world, now):
    with pytest.raises(PermissionError):
        services.decide(session, world["change"], "approve", actor=world["outsider"], now=now)
    with pytest.raises(workflow.SubmissionError):
        services.decide(session, world["change"], "reject", actor=world["admin"], now=now, reason="  ")


def test_check_meeting_edit_names_the_fields_at_fault(session, world):
    meeting = world["meeting"]
    result = workflow.Validated({"service_body_id": world["area"].id}, {})
    services.check_meeting_edit(session, world["own"], meeting, result, "paused")
    assert set(result.errors) == {"status"}
    elsewhere = workflow.Validated({"service_body_id": world["outsider"].service_body_id}, {})
    services.check_meeting_edit(session, world["own"], meeting, elsewhere, "active")
    assert set(elsewhere.errors) == {"service_body_id"}


def test_meeting_form_is_the_meeting_as_it_is(world):
    form, times = services.meeting_form(world["meeting"])
    assert form["name"] == "Clean Living" and form["status"] == "active" and form["published"] == "1"
    assert times == 1


def test_meetings_named_reads_wildcards_as_text(session, make_meeting):
    make_meeting(name="100% Recovery")
    make_meeting(name="1000 Steps")
    make_meeting(name="Under_score")
    make_meeting(name="Underwater")
    session.flush()
    assert [m.name for m in services.meetings_named(session, "100%")] == ["100% Recovery"]
    assert [m.name for m in services.meetings_named(session, "under_")] == ["Under_score"]
    assert len(services.meetings_named(session, "")) == len(session.scalars(select(Meeting)).all())


def test_create_account_is_audited_and_errors_read_as_sentences(session, world, now):
    user = services.create_account(session, {"email": "New@Example.org", "password": PASSWORD, "role": "observer",
                                             "name": " Nia "}, actor=world["admin"], now=now, body=None)
    assert user.email == "new@example.org" and user.name == "Nia"
    entry = audit.changes(session, entity_type="user")[-1]
    assert entry.action == "create" and entry.entity_id == user.id and entry.actor_id == world["admin"].id
    with pytest.raises(auth.AccountError) as caught:
        services.create_account(session, {"email": "new@example.org", "password": PASSWORD, "role": "observer"},
                                actor=world["admin"], now=now, body=None)
    assert services.sentence(caught.value) == "An account for new@example.org already exists."
    assert [u.email for u in services.accounts(session)] == sorted(u.email for u in session.scalars(select(User)))


def test_provider_forms_are_filled_from_the_records(make_center, make_counselor):
    center = make_center(name="Hope House", services=["DT"])
    form = services.center_form(center)
    assert form["name"] == "Hope House" and form["services"] == ["DT"]
    counselor = make_counselor(name="Dr. Lee", telehealth=True)
    filled = services.counselor_form(counselor)
    assert filled["name"] == "Dr. Lee" and filled["telehealth"] == "1"
    assert set(services.COUNSELOR_FLAGS) <= filled.keys()
