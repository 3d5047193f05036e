"""Accounts: hashing, authentication, the role rules (can_edit and friends), require_role."""
from __future__ import annotations

import pytest

from finder.admin import auth
from finder.admin.auth import AccountError, create_user
from finder.models import User

PASSWORD = "correct horse battery staple"

# Backend-agnostic tests run on SQLite only; what stores data through SQL that differs runs on both.
sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


# Accounts made here use a cheap hash (conftest.cheap_password_hashes); the production method is checked below.
pytestmark = pytest.mark.usefixtures("cheap_password_hashes")


@sqlite_only
def test_passwords_are_hashed_and_checked(session, now):
    user = create_user(session, email=" Ada@Example.org ", password=PASSWORD, role="admin", now=now)
    assert user.email == "ada@example.org" and PASSWORD not in user.password_hash
    assert auth.authenticate(session, "ADA@example.org", PASSWORD) is user
    assert auth.authenticate(session, "ada@example.org", "wrong") is None
    assert auth.authenticate(session, "nobody@example.org", PASSWORD) is None
    user.active = False
    assert auth.authenticate(session, "ada@example.org", PASSWORD) is None


def test_production_hash_is_scrypt(monkeypatch):
    monkeypatch.setattr(auth, "PASSWORD_METHOD", "scrypt")
    assert auth.hash_password(PASSWORD).startswith("scrypt:")


@pytest.mark.parametrize("kwargs, message", [
    ({"email": "not-an-email"}, "e-mail"),
    ({"password": "short"}, "12 characters"),
    ({"role": "superuser"}, "role"),
    ({"role": "body_admin"}, "service body"),
])
@sqlite_only
def test_account_rules(session, now, kwargs, message):
    values = {"email": "a@example.org", "password": PASSWORD, "role": "admin", "now": now, **kwargs}
    with pytest.raises(AccountError, match=message):
        create_user(session, **values)


@sqlite_only
def test_duplicate_email_refused(session, now):
    create_user(session, email="a@example.org", password=PASSWORD, role="admin", now=now)
    with pytest.raises(AccountError, match="already exists"):
        create_user(session, email="A@EXAMPLE.ORG", password=PASSWORD, role="observer", now=now)


@sqlite_only
def test_can_edit_follows_the_service_tree(session, now, make_body, make_meeting):
    zone = make_body(kind="zone", name="Zone")
    region = make_body(kind="region", name="Region", parent_id=zone.id)
    area = make_body(kind="area", name="Area", parent_id=region.id)
    group = make_body(kind="group", name="Group", parent_id=area.id)
    elsewhere = make_body(kind="area", name="Elsewhere")
    in_area = make_meeting()
    in_area.service_body_id = area.id
    by_group = make_meeting()
    by_group.group_id = group.id
    orphan = make_meeting()
    session.flush()
    session.expire_all()

    def user(role, body=None):
        return User(email="x", role=role, password_hash="x", active=True, service_body=body,
                    service_body_id=body.id if body else None)

    admin, observer = user("admin"), user("observer")
    region_admin, area_admin, other_admin = user("body_admin", region), user("body_admin", area), user(
        "body_admin", elsewhere)
    for meeting in (in_area, by_group, orphan):
        assert auth.can_edit(admin, meeting) and not auth.can_edit(observer, meeting)
        assert not auth.can_edit(other_admin, meeting) and not auth.can_edit(None, meeting)
    assert auth.can_edit(region_admin, in_area) and auth.can_edit(area_admin, by_group)
    assert not auth.can_edit(region_admin, orphan)
    assert auth.can_edit_body(region_admin, area) and not auth.can_edit_body(area_admin, region)
    assert auth.can_edit_providers(admin) and not auth.can_edit_providers(region_admin)
    inactive = user("admin")
    inactive.active = False
    assert not auth.can_edit(inactive, in_area)


@sqlite_only
def test_a_cycle_in_the_tree_does_not_hang(session, make_body, make_meeting):
    one = make_body(kind="area", name="One")
    two = make_body(kind="area", name="Two", parent_id=one.id)
    one.parent_id = two.id
    session.flush()
    session.expire_all()
    meeting = make_meeting()
    meeting.service_body_id = two.id
    session.flush()
    session.expire_all()
    stranger = User(email="x", role="body_admin", password_hash="x", active=True, service_body_id=99999)
    assert not auth.can_edit(stranger, meeting)


def test_require_role_redirects_strangers_and_forbids_wrong_roles(sqlite_app, now):
    from finder import db

    with sqlite_app.app_context():
        session = db.get_session()
        observer = create_user(session, email="o@example.org", password=PASSWORD, role="observer", now=now)
        session.commit()
        observer_id = observer.id

    @auth.require_role("admin")
    def only_admins():
        return "secret"

    sqlite_app.add_url_rule("/only-admins", view_func=only_admins)
    client = sqlite_app.test_client()
    response = client.get("/only-admins")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    with client.session_transaction() as state:
        state["user_id"] = observer_id
    assert client.get("/only-admins").status_code == 403
    with pytest.raises(ValueError):
        auth.require_role("emperor")
