"""Admin accounts: password hashing, login and logout, roles, and the one rule for who may edit what."""
from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterable
from typing import Any, TypeVar, cast

from flask import abort, g, redirect, request, session, url_for
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from finder.models import ROLES, Meeting, ServiceBody, Submission, User
from finder.admin import audit
from finder import db

MIN_PASSWORD_LENGTH = 12
ROLE_NAMES = {"admin": "Administrator", "body_admin": "Service body administrator", "observer": "Observer"}
# werkzeug's default (scrypt); tests swap in a cheap method so the suite stays fast.
PASSWORD_METHOD = "scrypt"
_dummy_hashes: dict[str, str] = {}
_SESSION_USER = "user_id"
_SESSION_EPOCH = "epoch"

F = TypeVar("F", bound=Callable[..., Any])


class AccountError(ValueError):
    """An account cannot be created as asked; the message says why, for the person at the terminal."""


def normalize_email(email: str) -> str:
    return email.strip().lower()


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=PASSWORD_METHOD)


def _dummy_hash() -> str:
    """Checked when the e-mail is unknown, so a wrong address takes as long as a wrong password."""
    if PASSWORD_METHOD not in _dummy_hashes:
        _dummy_hashes[PASSWORD_METHOD] = hash_password("not a real password, only for timing")
    return _dummy_hashes[PASSWORD_METHOD]


def create_user(
    session: Session,
    *,
    email: str,
    password: str,
    role: str,
    now: dt.datetime,
    service_body: ServiceBody | None = None,
    name: str = "",
) -> User:
    """Add an account; raises AccountError for a bad role, a short password or an e-mail already used."""
    email = normalize_email(email)
    if "@" not in email or len(email) > 254 or any(c.isspace() for c in email):
        raise AccountError("give a valid e-mail address")
    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}")
    if role == "body_admin" and service_body is None:
        raise AccountError("a service-body admin needs a service body")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"the password needs at least {MIN_PASSWORD_LENGTH} characters")
    if session.scalar(select(func.count()).select_from(User).where(User.email == email)):
        raise AccountError(f"an account for {email} already exists")
    user = User(email=email, name=name.strip()[:80], password_hash=hash_password(password), role=role,
                service_body=service_body if role == "body_admin" else None, created_at=now)
    session.add(user)
    session.flush()
    return user


def set_active(session: Session, user: User, active: bool, *, actor: User, now: dt.datetime) -> None:
    """Switch an account on or off (audited); an admin cannot switch off their own account."""
    if user.id == actor.id and not active:
        raise AccountError("you cannot switch off your own account")
    if user.active == active:
        return
    before = audit.snapshot(user)
    user.active = active
    if not active:
        end_sessions(user)
    audit.record(session, actor=actor, action="update", entity=user, before=before, after=audit.snapshot(user),
                 now=now)


def set_password(session: Session, user: User, password: str, *, actor: User | str, now: dt.datetime) -> None:
    """Give user a new password (audited without the hash) and end every session the account has open."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"the password needs at least {MIN_PASSWORD_LENGTH} characters")
    before = audit.snapshot(user)
    user.password_hash = hash_password(password)
    end_sessions(user)
    audit.record(session, actor=actor, action="update", entity=user, before=before,
                 after={**audit.snapshot(user), "password": "changed"}, now=now)


def end_sessions(user: User) -> None:
    """Make every session cookie issued to user so far useless (logout, new password, account off)."""
    user.session_epoch = (user.session_epoch or 0) + 1


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The active account with this e-mail and password, or None (in about the same time either way)."""
    user = session.scalars(select(User).where(User.email == normalize_email(email))).one_or_none()
    if user is None or not user.active:
        check_password_hash(_dummy_hash(), password)
        return None
    return user if check_password_hash(user.password_hash, password) else None


def login(user: User, now: dt.datetime) -> None:
    """Start a fresh session for user: whatever the session held before is dropped (no fixation)."""
    session.clear()
    session[_SESSION_USER] = user.id
    session[_SESSION_EPOCH] = user.session_epoch or 0
    session.permanent = True
    user.last_login_at = now
    g.pop("current_user", None)


def logout() -> None:
    """End this account's sessions everywhere (a copied cookie stops working too) and clear this one; the
    caller commits."""
    user = current_user()
    if user is not None:
        end_sessions(user)
    session.clear()
    g.pop("current_user", None)


def current_user() -> User | None:
    """The logged-in active account of this request, or None."""
    if "current_user" not in g:
        user_id = session.get(_SESSION_USER)
        user = db.get_session().get(User, user_id) if isinstance(user_id, int) else None
        # A cookie from before the account's last logout, password change or switch-off is not a login.
        current = user is not None and user.active and session.get(_SESSION_EPOCH, 0) == (user.session_epoch or 0)
        g.current_user = user if current else None
    return g.current_user


def signed_in_user() -> User:
    """The account of a view behind require_role: there is one, as the decorator sent everyone else away."""
    user = current_user()
    if user is None:
        raise RuntimeError("signed_in_user() outside a require_role view")
    return user


def require_role(*roles: str) -> Callable[[F], F]:
    """Views for logged-in accounts with one of roles (all roles when none given); others go to the login page."""
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles {sorted(unknown)}")

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            user = current_user()
            if user is None:
                return redirect(url_for("account.login", next=request.full_path if request.method == "GET" else None))
            if roles and user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        wrapper._requires_account = True  # type: ignore[attr-defined]  # read by finder.web.csrf
        return cast(F, wrapper)  # functools.wraps kept the view's name and signature

    return decorate


def _ancestors(body: ServiceBody | None) -> Iterable[int]:
    """The ids of body and every body above it (a cycle in bad data stops the walk)."""
    seen: set[int] = set()
    while body is not None and body.id not in seen:
        seen.add(body.id)
        yield body.id
        body = body.parent


def in_scope(user: User | None, body: ServiceBody | None) -> bool:
    """Whether body is the user's own service body or below it (admins: every body)."""
    if user is None or not user.active:
        return False
    if user.role == "admin":
        return True
    if user.role != "body_admin" or user.service_body_id is None:
        return False
    return user.service_body_id in set(_ancestors(body))


def can_place(user: User | None, body: ServiceBody | None, group: ServiceBody | None) -> bool:
    """Whether a meeting under body (and group) is the user's to edit; asked of a meeting as it is and as
    an edit would leave it, so no edit moves a meeting out of its editor's scope (an empty body included)."""
    return in_scope(user, body) or (group is not None and in_scope(user, group))


def can_edit(user: User | None, meeting: Meeting) -> bool:
    """The one rule: admins edit every meeting; a service-body admin edits meetings of their body and the
    bodies below it (by the meeting's service body or its group); observers and strangers edit nothing."""
    return can_place(user, meeting.service_body, meeting.group)


def can_moderate(user: User | None, submission: Submission) -> bool:
    """Who may approve or reject: whoever may edit the meeting (for a new meeting, its chosen service body)."""
    if submission.meeting is not None:
        return can_edit(user, submission.meeting)
    return in_scope(user, submission.service_body)


def can_edit_body(user: User | None, body: ServiceBody) -> bool:
    """Service bodies follow the tree too: a body admin edits their own body and everything below it."""
    return in_scope(user, body)


def can_edit_providers(user: User | None) -> bool:
    """Treatment centers and counselors belong to no service body: only full admins edit them."""
    return user is not None and user.active and user.role == "admin"
