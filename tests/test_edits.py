"""Admins' direct edits (finder.admin.edits): what each form accepts, the service tree's rules, audited saves."""
from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict

from finder.admin import audit, auth, edits
from finder.models import ServiceBody

pytestmark = pytest.mark.usefixtures("cheap_password_hashes")


def _admin(session, now, role="admin", body=None):
    return auth.create_user(session, email=f"{role}@example.org", password="a long enough password", role=role,
                            service_body=body, now=now)


def test_body_needs_a_name_and_a_known_kind():
    result = edits.validate_body({"name": " ", "kind": "galaxy"}, allowed_parents=set())
    assert set(result.errors) == {"name", "kind"}
    ok = edits.validate_body({"name": "  Philly  Area ", "kind": "area", "url": "https://na.example.org"},
                             allowed_parents=set())
    assert ok.ok and ok.values["name"] == "Philly Area" and ok.values["parent_id"] is None


def test_body_parent_must_be_allowed_and_never_itself_or_below_it():
    def parent_error(parent, **kw):
        return edits.validate_body({"name": "X", "kind": "area", "parent_id": parent}, allowed_parents={1, 2, 3},
                                   **kw).errors.get("parent_id")
    assert parent_error("9") == "Please choose a parent from the list."
    assert parent_error("abc") == "Please choose a parent from the list."
    assert parent_error("2", own_id=2) == "A body cannot sit below itself."
    assert parent_error("3", own_id=2, descendants={3}) == "A body cannot sit below itself."
    assert parent_error("1", own_id=2, descendants={3}) is None


def test_body_links_must_be_web_links():
    result = edits.validate_body({"name": "X", "kind": "area", "url": "javascript:alert(1)"}, allowed_parents=set())
    assert "url" in result.errors


def test_center_services_come_from_the_list():
    form = MultiDict([("name", "Hope House"), ("services", "dt"), ("services", "OP"), ("published", "1")])
    result = edits.validate_center(form, known_services={"DT", "OP"})
    assert result.ok and result.values["services"] == ["DT", "OP"] and result.values["published"] is True
    form.add("services", "ZZ")
    assert edits.validate_center(form, known_services={"DT", "OP"}).errors["services"]


def test_counselor_email_and_accepting_are_checked():
    result = edits.validate_counselor({"name": "Dr. Lee", "email": "not-an-address", "accepting": "maybe"})
    assert set(result.errors) == {"email", "accepting"}
    assert result.values["accepting"] == "yes"  # never an unknown value, even when refused
    ok = edits.validate_counselor({"name": "Dr. Lee", "accepting": "waitlist", "telehealth": "on"})
    assert ok.ok and ok.values["telehealth"] is True and ok.values["in_person"] is False


def test_a_body_admin_picks_parents_from_their_own_tree(session, now, make_body):
    region = make_body(name="Region", kind="region")
    area = make_body(name="Area", kind="area", parent=region)
    other = make_body(name="Elsewhere", kind="area")
    editor = _admin(session, now, role="body_admin", body=area)
    assert [b.name for b in edits.editable_bodies(session, editor)] == ["Area"]
    # A new top-level body is a full admin's decision; their own body keeps the parent it has.
    new = edits.validate_body_edit(session, {"name": "Group", "kind": "group"}, editor=editor, body=None)
    assert "parent_id" in new.errors
    own = edits.validate_body_edit(session, {"name": "Area", "kind": "area"}, editor=editor, body=area)
    assert own.ok and own.values["parent_id"] == region.id
    elsewhere = edits.validate_body_edit(session, {"name": "G", "kind": "group", "parent_id": str(other.id)},
                                         editor=editor, body=None)
    assert elsewhere.errors["parent_id"] == "Please choose a parent from the list."


def test_save_audits_a_change_and_skips_no_change(session, now, make_center):
    actor = _admin(session, now)
    center = make_center(name="Hope House")
    assert edits.save(session, center, {"name": "Hope House"}, actor=actor, now=now) is False
    assert edits.save(session, center, {"name": "Hope House East", "services": ["DT"]}, actor=actor, now=now)
    assert center.name == "Hope House East" and center.service_codes == {"DT"}
    entry = audit.changes(session, entity_type="center")[-1]
    assert entry.action == "update" and entry.actor_id == actor.id
    assert {"name", "services"} <= set(audit.changed_fields(entry.before, entry.after))


def test_save_creates_new_records_with_a_create_entry(session, now):
    actor = _admin(session, now)
    body = ServiceBody()
    assert edits.save(session, body, {"name": "New Area", "kind": "area"}, actor=actor, now=now)
    assert body.id is not None
    assert [e.action for e in audit.changes(session, entity_type="service_body")] == ["create"]
    assert session.get(ServiceBody, body.id).name == "New Area"
