"""A submission's mail (finder.submissions.mail): who is told what, in whose language, linking where."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from finder.admin import auth
from finder.models import OutboxMessage
from finder.submissions import mail, tokens, workflow

pytestmark = [pytest.mark.usefixtures("cheap_password_hashes"),
              pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]


@pytest.fixture
def change(app, session, now, make_body, make_meeting):
    area = make_body(kind="area", name="Philly Area")
    meeting = make_meeting(name="Clean Living", service_body_id=area.id)
    proposal = workflow.proposal_from_meeting(meeting)
    proposal["name"] = "Clean Living Tuesday"
    submission = workflow.submit(session, kind="change", payload=proposal, meeting=meeting, now=now, language="es",
                                 contact={"contact_name": "Sam", "contact_email": "sam@example.org"})
    auth.create_user(session, email="own@example.org", password="a long enough password", role="body_admin",
                     service_body=area, now=now)
    auth.create_user(session, email="far@example.org", password="a long enough password", role="body_admin",
                     service_body=make_body(kind="area", name="Far Area"), now=now)
    session.flush()
    return submission


def _outbox(session) -> dict[str, OutboxMessage]:
    return {m.recipient: m for m in session.scalars(select(OutboxMessage))}


def test_moderators_of_its_body_and_the_configured_addresses_are_told(app, session, change, now):
    app.config["MODERATOR_EMAILS"] = "mods@example.org, "
    with app.test_request_context("/"):
        mail.tell_moderators(session, change, now)
    sent = _outbox(session)
    assert sorted(sent) == ["mods@example.org", "own@example.org"]
    assert sent["own@example.org"].subject == f"New submission {change.reference}: Change to a meeting"
    assert f"/admin/submissions/{change.id}" in sent["own@example.org"].body


def test_the_organizer_hears_in_the_language_they_wrote_in_with_their_status_link(app, session, change, now):
    app.config["PUBLIC_URL"] = "https://meetings.example.org"
    with app.test_request_context("/"):
        mail.tell_organizer_received(session, change, now)
    received = _outbox(session)["sam@example.org"]
    assert change.reference in received.subject and received.subject != f"We received your submission {change.reference}"
    link = next(word for word in received.body.split() if word.startswith("https://meetings.example.org/"))
    token = link.split("/submit/status/")[1].split("?")[0]
    assert tokens.read_token(app.config["SECRET_KEY"], token, max_age_days=1) == (change.id, change.reference)
    assert "locale=es" in link


def test_a_decision_is_told_only_to_an_organizer_who_left_an_address(app, session, change, now):
    change.contact_email = ""
    with app.test_request_context("/"):
        mail.tell_organizer_decided(session, change, now)
    assert _outbox(session) == {}
