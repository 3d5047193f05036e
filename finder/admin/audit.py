"""The audit log: who changed which record, when, what it was before and after, and from which submission."""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session, selectinload

from finder.models import (
    AUDIT_ACTIONS, AuditEntry, Counselor, Meeting, Place, ServiceBody, Submission, TreatmentCenter, User,
)

# The entity_type written for each audited model; BMLT GetChanges and the admin pages read these names.
ENTITY_TYPES: dict[type, str] = {
    Meeting: "meeting",
    TreatmentCenter: "center",
    Counselor: "counselor",
    ServiceBody: "service_body",
    Place: "place",
    User: "user",
}

PLACE_FIELDS = (
    "name", "street", "city", "region", "postal_code", "country", "latitude", "longitude", "precision",
    "timezone", "notes",
)
MEETING_FIELDS = (
    "slug", "name", "group_id", "service_body_id", "attendance", "conference_url", "conference_notes", "phone",
    "phone_notes", "language", "notes", "translations", "status", "published",
)


def _json_value(value: Any) -> Any:
    """A column value as plain JSON (times as HH:MM, dates and datetimes ISO 8601)."""
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: _json_value(item) for key, item in value.items()}  # a copy: snapshots never share
    return value


def place_snapshot(place: Place) -> dict[str, Any]:
    """The place's address, coordinates and zone as plain JSON."""
    return {field: _json_value(getattr(place, field)) for field in PLACE_FIELDS}


def meeting_snapshot(meeting: Meeting) -> dict[str, Any]:
    """The meeting as plain JSON: its columns, weekly times, format codes, exceptions and place.

    Times are {"weekday": Monday=0.., "start": "HH:MM" local to the place's zone, "duration_minutes"}.
    Equal meetings give equal snapshots (lists are sorted), so two snapshots can be compared to find a change.
    """
    data: dict[str, Any] = {"id": meeting.id}
    data.update({field: _json_value(getattr(meeting, field)) for field in MEETING_FIELDS})
    data["sequence"] = meeting.sequence
    data["times"] = sorted(
        ({"weekday": t.weekday, "start": t.start.strftime("%H:%M"), "duration_minutes": t.duration_minutes}
         for t in meeting.times),
        key=lambda t: (t["weekday"], t["start"]),
    )
    data["formats"] = sorted(f.code for f in meeting.formats)
    data["exceptions"] = sorted(
        ({"kind": e.kind, "start_date": e.start_date.isoformat(), "end_date": e.end_date.isoformat(),
          "reason": e.reason} for e in meeting.exceptions),
        key=lambda e: (e["start_date"], e["kind"]),
    )
    data["place"] = place_snapshot(meeting.place) if meeting.place is not None else None
    return data


def snapshot(entity: Any) -> dict[str, Any]:
    """Any audited record as plain JSON: meetings in full, other records by their columns (plus a place)."""
    if isinstance(entity, Meeting):
        return meeting_snapshot(entity)
    mapper = inspect(entity).mapper
    data = {column.key: _json_value(getattr(entity, column.key)) for column in mapper.column_attrs}
    data.pop("password_hash", None)  # never copy a secret into the log
    if isinstance(entity, TreatmentCenter):
        data["services"] = sorted(s.code for s in entity.services)
        data["place"] = place_snapshot(entity.place) if entity.place is not None else None
    if isinstance(entity, Counselor):
        data["terms"] = sorted(f"{t.kind}:{t.code}" for t in entity.terms)
        data["offices"] = [place_snapshot(p) for p in entity.offices]
    return data


def entity_type_of(entity: Any) -> str:
    """The audit name of a model instance's type; raises TypeError for a type we do not audit."""
    for cls, name in ENTITY_TYPES.items():
        if isinstance(entity, cls):
            return name
    raise TypeError(f"{type(entity).__name__} is not an audited record type")


def record(
    session: Session,
    *,
    actor: User | str | None,
    action: str,
    entity: Any,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    submission: Submission | None = None,
    now: dt.datetime,
    reason: str = "",
) -> AuditEntry:
    """Add one audit entry to the session (the caller commits with the change itself).

    actor: the admin who did it, or a label such as "import:bmlt" or "organizer", or None for the system.
    entity: the changed model instance (flushed here if it has no id yet), or an (entity_type, entity_id) pair
    for a record already gone. before/after: plain JSON (use snapshot()); None for a creation or deletion.
    reason: why, when no person asked for the change (a deactivation after unresolved reports).
    """
    if action not in AUDIT_ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if isinstance(entity, tuple):
        entity_type, entity_id = entity
    else:
        entity_type = entity_type_of(entity)
        if entity.id is None:
            session.flush()
        entity_id = entity.id
    entry = AuditEntry(
        created_at=now,
        actor=actor if isinstance(actor, User) else None,
        actor_label=actor.label if isinstance(actor, User) else (actor or "system"),
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        before=before,
        after=after,
        submission=submission,
        reason=reason[:500],
    )
    session.add(entry)
    return entry


def changes(
    session: Session,
    *,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    meeting_id: int | None = None,
    entity_type: str | None = None,
    limit: int | None = None,
    newest_first: bool = False,
) -> list[AuditEntry]:
    """Audit entries, oldest first (or newest first): since <= created_at < until; meeting_id keeps one
    meeting's entries, entity_type one kind of record; limit caps how many."""
    order = (AuditEntry.created_at.desc(), AuditEntry.id.desc()) if newest_first else (
        AuditEntry.created_at, AuditEntry.id)
    query = select(AuditEntry).options(selectinload(AuditEntry.actor)).order_by(*order)
    if since is not None:
        query = query.where(AuditEntry.created_at >= since)
    if until is not None:
        query = query.where(AuditEntry.created_at < until)
    if meeting_id is not None:
        query = query.where(AuditEntry.entity_type == "meeting", AuditEntry.entity_id == meeting_id)
    elif entity_type is not None:
        query = query.where(AuditEntry.entity_type == entity_type)
    if limit is not None:
        query = query.limit(limit)
    return list(session.scalars(query))


def changed_fields(before: dict[str, Any] | None, after: dict[str, Any] | None) -> list[str]:
    """The top-level keys whose values differ, in a stable order (for listings and diffs)."""
    before, after = before or {}, after or {}
    keys = list(dict.fromkeys([*before, *after]))
    return [key for key in keys if before.get(key) != after.get(key)]
