"""Admins' direct edits of service bodies, treatment centers and counselors: pure validation, audited apply."""
from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from finder.admin import audit
from finder.meetings import bodies
from finder.admin.auth import can_edit_body
from finder.models import ACCEPTING, SERVICE_BODY_KINDS, Service, ServiceBody, User
from finder.submissions.workflow import Validated, clean_text, normalize_phone, validate_url
from finder.core.flags import parse_flag
from finder.core.numbers import parse_int

_EMAIL_MAX = 254


def _text(form: Mapping[str, Any], name: str, limit: int, errors: dict[str, str], label: str, *,
          required: bool = False, multiline: bool = False) -> str:
    value = clean_text(form.get(name), multiline=multiline)
    if required and not value:
        errors[name] = f"Please enter the {label}."
    elif len(value) > limit:
        errors[name] = f"The {label} is too long: {len(value)} characters, at most {limit}."
    return value


def _url(form: Mapping[str, Any], name: str, errors: dict[str, str]) -> str:
    value = _text(form, name, 500, errors, "web address")
    if value and name not in errors:
        problem = validate_url(value)
        if problem:
            errors[name] = problem
    return value


def _phone(form: Mapping[str, Any], name: str, errors: dict[str, str]) -> str:
    typed = clean_text(form.get(name))
    value, problem = normalize_phone(typed)
    if problem:
        errors[name] = problem
    return typed if not problem else value


def _flag(form: Mapping[str, Any], name: str) -> bool:
    """A checkbox: ticked sends its value ("on" unless the form says), unticked sends nothing."""
    try:
        return parse_flag(clean_text(form.get(name)), default=False)
    except ValueError:
        return False  # only a hand-made request sends another word; unticked is the safe reading


def validate_body(form: Mapping[str, Any], *, allowed_parents: Collection[int], own_id: int | None = None,
                  descendants: Collection[int] = ()) -> Validated:
    """A service body's fields; the parent must be one the editor may use and never the body or below it."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {
        "name": _text(form, "name", 200, errors, "name", required=True),
        "kind": clean_text(form.get("kind")),
        "description": _text(form, "description", 2000, errors, "description", multiline=True),
        "url": _url(form, "url", errors),
        "helpline": _phone(form, "helpline", errors),
        "world_id": _text(form, "world_id", 80, errors, "world id"),
    }
    if values["kind"] not in SERVICE_BODY_KINDS:
        errors["kind"] = "Please choose group, area, region or zone."
    parent = clean_text(form.get("parent_id"))
    values["parent_id"] = None
    if parent:
        pid = parse_int(parent, low=1)
        if pid is None or pid not in allowed_parents:
            errors["parent_id"] = "Please choose a parent from the list."
        elif pid == own_id or pid in descendants:
            errors["parent_id"] = "A body cannot sit below itself."
        else:
            values["parent_id"] = pid
    return Validated(values, errors)


def editable_bodies(session: Session, editor: User) -> list[ServiceBody]:
    """The service bodies this editor may edit or use as a parent, by name."""
    bodies = session.scalars(select(ServiceBody).order_by(ServiceBody.name).limit(5000)).all()
    return [b for b in bodies if can_edit_body(editor, b)]


def validate_body_edit(session: Session, form: Mapping[str, Any], *, editor: User,
                       body: ServiceBody | None) -> Validated:
    """validate_body with the tree rules for this editor: parents from their own tree, never below the body
    itself, and only a full admin makes a top-level body (a body admin's own body keeps its parent)."""
    allowed = {b.id for b in editable_bodies(session, editor)}
    below = bodies.subtree_ids(session, [body.id]) - {body.id} if body is not None and body.id is not None else set()
    result = validate_body(form, allowed_parents=allowed, own_id=body.id if body else None, descendants=below)
    if editor.role != "admin" and result.values.get("parent_id") is None and "parent_id" not in result.errors:
        if body is not None and body.id == editor.service_body_id:
            result.values["parent_id"] = body.parent_id
        else:
            result.errors["parent_id"] = "Please choose where this body sits in your service structure."
    return result


def validate_center(form: Mapping[str, Any], *, known_services: Collection[str]) -> Validated:
    errors: dict[str, str] = {}
    codes = [clean_text(c).upper() for c in (form.getlist("services") if hasattr(form, "getlist") else [])]
    if any(c not in known_services for c in codes):
        errors["services"] = "Please choose services from the list."
    values = {
        "name": _text(form, "name", 200, errors, "name", required=True),
        "name2": _text(form, "name2", 500, errors, "second name"),
        "phone": _phone(form, "phone", errors),
        "intake_phone": _phone(form, "intake_phone", errors),
        "website": _url(form, "website", errors),
        "facility_type": _text(form, "facility_type", 80, errors, "facility type"),
        "published": _flag(form, "published"),
        "services": sorted({c for c in codes if c in known_services}),
    }
    return Validated(values, errors)


def validate_counselor(form: Mapping[str, Any]) -> Validated:
    errors: dict[str, str] = {}
    email = _text(form, "email", _EMAIL_MAX, errors, "e-mail address")
    if email and "@" not in email:
        errors["email"] = "This does not look like an e-mail address."
    accepting = clean_text(form.get("accepting")) or "yes"
    if accepting not in ACCEPTING:
        errors["accepting"] = "Please choose yes, no or waitlist."
    values = {
        "name": _text(form, "name", 200, errors, "name", required=True),
        "credentials": _text(form, "credentials", 500, errors, "credentials"),
        "license_number": _text(form, "license_number", 80, errors, "license number"),
        "license_state": _text(form, "license_state", 80, errors, "license state"),
        "phone": _phone(form, "phone", errors),
        "email": email,
        "website": _url(form, "website", errors),
        "fees": _text(form, "fees", 500, errors, "fees"),
        "bio": _text(form, "bio", 5000, errors, "description", multiline=True),
        "accepting": accepting if accepting in ACCEPTING else "yes",
        "contact_public": _flag(form, "contact_public"),
        "telehealth": _flag(form, "telehealth"),
        "in_person": _flag(form, "in_person"),
        "sliding_scale": _flag(form, "sliding_scale"),
        "published": _flag(form, "published"),
    }
    return Validated(values, errors)


def save(session: Session, entity: Any, values: Mapping[str, Any], *, actor: User, now: dt.datetime) -> bool:
    """Set values on a body, center or counselor (new or existing) and audit it; False when nothing changed."""
    is_new = getattr(entity, "id", None) is None
    before = None if is_new else audit.snapshot(entity)
    for key, value in values.items():
        if key == "services":
            entity.services = list(session.scalars(select(Service).where(Service.code.in_(value or ["-"]))))
        else:
            setattr(entity, key, value)
    if is_new:
        session.add(entity)
    session.flush()
    after = audit.snapshot(entity)
    if before is not None and not audit.changed_fields(before, after):
        return False
    if hasattr(entity, "updated_at"):
        entity.updated_at = now
        session.flush()
        after = audit.snapshot(entity)
    audit.record(session, actor=actor, action="create" if is_new else "update", entity=entity, before=before,
                 after=after, now=now)
    return True

