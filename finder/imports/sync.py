"""Live sync: keep our meetings in step with a BMLT root server or a Meeting Guide feed.

A run fetches everything first (service bodies, formats, meetings), so an unreachable or broken source changes
nothing, then writes in the caller's one transaction: new meetings added, changed ones updated, ones gone from
the source unpublished (never deleted), and nothing else touched, so an unchanged source bumps no data version.
BMLT keeps one row per weekday: rows that agree on everything but the day and time become one meeting with
several weekly times (its source id lists their ids). Each meeting remembers its source, its source id, the
sync that owns it and a hash of what that sync last wrote, which is how admins see that a local edit would be
overwritten by the next run.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from finder import outbound
from finder.freshness.confirmation import confirm
from finder.imports import bmlt as bmlt_import
from finder.imports import meeting_guide
from finder.imports import writer as r
from finder.imports.report import (
    DEFAULT_MAX_ROWS,
    URL_TIMEOUT_SECONDS,
    FatalImportError,
    ImportReport,
    Progress,
    RowError,
    RowResult,
    parse_json,
)
from finder.models import Meeting, MeetingSync
from finder.models.sync import SyncSource

Fetch = Callable[[str], bytes]  # GET an http(s) URL and return the body; raises FatalImportError with the reason
SOURCE_ID_MAX = 80  # Meeting.source_id: a merged BMLT meeting's ids must fit


class SyncReport(ImportReport):
    """An import report that also counts meetings unpublished because they left the source."""

    OUTCOMES = ("added", "updated", "unchanged", "rejected", "unpublished")

    def add(self, row: int, key: str, outcome: str, reasons: list[str] | None = None) -> None:
        if outcome == "unpublished":
            self._append(RowResult(row, key, outcome, list(reasons or [])))
            return
        super().add(row, key, outcome, reasons)

    def counts(self) -> dict[str, int]:
        return {outcome: len(self.of(outcome)) for outcome in self.OUTCOMES}

    def summary(self) -> str:
        c = self.counts()
        return (f"sync from {self.source}: {c['added']} added, {c['updated']} changed, {c['unpublished']} "
                f"unpublished, {c['rejected']} rejected, {c['unchanged']} unchanged")




# --- sources ----------------------------------------------------------------------------------------------------

def url_fetch(fetcher: outbound.Fetcher, *, max_bytes: int, timeout: float = URL_TIMEOUT_SECONDS) -> Fetch:
    """A Fetch through the safe outbound fetcher (public addresses only, every redirect checked, size and time
    limits); its refusals become FatalImportError."""
    def fetch(url: str) -> bytes:
        try:
            return fetcher.get(url, max_bytes=max_bytes, timeout=timeout, headers={"Accept": "application/json"}).body
        except outbound.TooLarge:
            raise FatalImportError(f"{url} is larger than the {max_bytes} byte limit") from None
        except outbound.OutboundError as exc:
            raise FatalImportError(f"cannot fetch {url}: {exc}") from None

    return fetch


def bmlt_root(url: str) -> str:
    """A root server's base URL from what an area web servant pastes: the root, or any client_interface URL."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        raise FatalImportError("the root server URL is not valid") from None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise FatalImportError("the root server URL must start with http:// or https://")
    path = parts.path.rstrip("/")
    for tail in ("/client_interface/json", "/client_interface/jsonp", "/client_interface"):
        path = path.removesuffix(tail)
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def source_row(session: Session, kind: str, url: str, scope: Sequence[int] = ()) -> SyncSource:
    """The SyncSource for this kind, URL and scope, created (and flushed) on first use."""
    scope_text = ",".join(str(i) for i in sorted(set(scope)))
    found = session.scalars(select(SyncSource).where(SyncSource.kind == kind, SyncSource.url == url,
                                                     SyncSource.scope == scope_text)).first()
    if found is None:
        found = SyncSource(kind=kind, url=url, scope=scope_text)
        session.add(found)
        session.flush()
    return found


def _host_source(prefix: str, url: str) -> str:
    return f"{prefix}:{urlsplit(url).netloc}"[: r.SHORT_MAX]


# --- what a source says ------------------------------------------------------------------------------------------

@dataclass
class Row:
    """One source row: its key (BMLT id_bigint or Meeting Guide slug), what it said, and for a Meeting Guide row
    the record already parsed or why it was refused. BMLT rows are parsed in apply(): the mapping of formats and
    service bodies they need is made there."""

    number: int
    key: str
    item: Any
    record: r.MeetingRecord | None = None
    reasons: list[str] = field(default_factory=list)


@dataclass
class Snapshot:
    """Everything one fetch of a source said, checked and parsed, before anything is written."""

    kind: str
    url: str
    source: str  # Meeting.source of its meetings, e.g. "bmlt:bmlt.example.org"
    rows: list[Row]
    bodies: list[Any] = field(default_factory=list)  # BMLT GetServiceBodies items in the synced tree
    formats: list[Any] = field(default_factory=list)  # BMLT formats, for the format mapping
    scope: tuple[int, ...] = ()


def _bmlt_json(fetch: Fetch, root: str, what: str, params: list[tuple[str, str]]) -> Any:
    body = fetch(f"{root}/client_interface/json/?{urlencode(params)}")
    head = body.lstrip()[:1]
    if head not in (b"[", b"{"):
        raise FatalImportError(f"{what} did not answer JSON (an HTML page or an error?): is {root} a BMLT root "
                               "server?")
    return parse_json(body, what)


def fetch_bmlt(fetch: Fetch, root: str, service_bodies: Sequence[int] = (), *,
               max_rows: int = DEFAULT_MAX_ROWS) -> Snapshot:
    """Read a root server's service bodies, formats and meetings (service_bodies and those below them, or all).

    Raises FatalImportError for anything that makes the answer unusable: not JSON, not the shape BMLT sends,
    too many rows, a requested service body the server does not have.
    """
    root = bmlt_root(root)
    bodies = _bmlt_json(fetch, root, "GetServiceBodies", [("switcher", "GetServiceBodies")])
    if not isinstance(bodies, list) or not all(isinstance(b, dict) and str(b.get("id", "")).strip() for b in bodies):
        raise FatalImportError("GetServiceBodies must be a JSON array of service bodies with ids")
    known = {str(b["id"]).strip(): str(b.get("parent_id") or "0").strip() for b in bodies}
    missing = [i for i in service_bodies if str(i) not in known]
    if missing:
        raise FatalImportError(f"the root server has no service body {', '.join(map(str, missing))}; "
                               f"it has {', '.join(sorted(known, key=_number)[:30]) or 'none'}")
    tree = _subtree(known, {str(i) for i in service_bodies}) if service_bodies else set(known)
    params = [("switcher", "GetSearchResults"), ("get_used_formats", "1")]
    if service_bodies:
        params += [("services[]", str(i)) for i in sorted(set(service_bodies))] + [("recursive", "1")]
    data = _bmlt_json(fetch, root, "GetSearchResults", params)
    if isinstance(data, dict) and isinstance(data.get("meetings"), list) and isinstance(data.get("formats"), list):
        rows, formats = data["meetings"], data["formats"]
    elif isinstance(data, list):  # an older server that ignores get_used_formats
        rows = data
        formats = _bmlt_json(fetch, root, "GetFormats", [("switcher", "GetFormats"), ("show_all", "1")])
        if not isinstance(formats, list):
            raise FatalImportError("GetFormats must be a JSON array")
    else:
        raise FatalImportError("GetSearchResults must be a JSON array of meetings (or meetings and formats)")
    if len(rows) > max_rows:
        raise FatalImportError(f"{len(rows)} meetings is more than the {max_rows} limit")
    kept_bodies = [b for b in bodies if str(b["id"]).strip() in tree | _ancestors(known, tree)]
    return Snapshot(kind="bmlt", url=root, source=_host_source("bmlt", root), rows=_bmlt_rows(rows),
                    bodies=kept_bodies, formats=formats, scope=tuple(sorted(set(service_bodies))))


def _number(text: str) -> tuple[int, str]:
    return (int(text), text) if text.isdigit() else (1 << 62, text)


def _subtree(parents: dict[str, str], roots: set[str]) -> set[str]:
    found = set(roots)
    while True:
        more = {child for child, parent in parents.items() if parent in found} - found
        if not more:
            return found
        found |= more


def _ancestors(parents: dict[str, str], ids: Iterable[str]) -> set[str]:
    out: set[str] = set()
    for body in ids:
        parent = parents.get(body, "0")
        while parent in parents and parent not in out:
            out.add(parent)
            parent = parents[parent]
    return out


def _bmlt_rows(items: list[Any]) -> list[Row]:
    return [Row(number, str(item.get("id_bigint", "")).strip()[:20] if isinstance(item, dict) else "", item)
            for number, item in enumerate(items, start=1)]


def fetch_meeting_guide(fetch: Fetch, url: str, *, max_rows: int = DEFAULT_MAX_ROWS) -> Snapshot:
    """Read and parse a Meeting Guide feed (array days and the usual oddities accepted)."""
    body = fetch(url)
    if body.lstrip()[:1] not in (b"[", b"{"):
        raise FatalImportError("the feed did not answer JSON (an HTML page or an error?)")
    data = parse_json(body, "the Meeting Guide feed")
    if isinstance(data, dict) and isinstance(data.get("meetings"), list):
        data = data["meetings"]
    if not isinstance(data, list):
        raise FatalImportError("a Meeting Guide feed must be a JSON array of meetings")
    if len(data) > max_rows:
        raise FatalImportError(f"the feed has {len(data)} meetings, more than the {max_rows} limit")
    rows = []
    for number, entry in enumerate(data, start=1):
        key = str(entry.get("slug") or entry.get("name") or "")[:120] if isinstance(entry, dict) else ""
        try:
            rows.append(Row(number, key, entry, meeting_guide.entry_to_record(entry)))
        except RowError as exc:
            rows.append(Row(number, key, entry, None, [str(exc)]))
    return Snapshot(kind="meeting_guide", url=url, source=_host_source("meeting_guide", url), rows=rows)


# --- per-day rows into meetings ----------------------------------------------------------------------------------

def _meeting_key(rec: r.MeetingRecord) -> str:
    """Everything about a record except its day and time, slug and id: equal keys are one meeting."""
    data = dataclasses.asdict(rec)
    for name in ("times", "slug", "source_id", "slug_derived"):
        data.pop(name)
    return json.dumps(data, sort_keys=True, default=str)


def _id_order(value: str) -> tuple[int, int, str]:
    return (0, int(value), "") if value.isdigit() else (1, len(value), value)


def merge_per_day(records: Sequence[r.MeetingRecord]) -> list[r.MeetingRecord]:
    """Records that differ only in day, time, slug and id -> one record with all their weekly times.

    The merged record's source id lists the ids (sorted) and its slug is that of the lowest id; a group whose ids
    would not fit in a source id is split. Order follows the first row of each group.
    """
    groups: dict[str, list[r.MeetingRecord]] = {}
    for rec in records:
        groups.setdefault(_meeting_key(rec), []).append(rec)
    merged = []
    for members in groups.values():
        members = sorted(members, key=lambda m: _id_order(m.source_id))
        chunk: list[r.MeetingRecord] = []
        for member in members:
            if chunk and len(",".join(m.source_id for m in [*chunk, member])) > SOURCE_ID_MAX:
                merged.append(_merged(chunk))
                chunk = []
            chunk.append(member)
        merged.append(_merged(chunk))
    return merged


def _merged(members: list[r.MeetingRecord]) -> r.MeetingRecord:
    first = members[0]
    times = sorted({t for m in members for t in m.times})
    return dataclasses.replace(first, times=times, source_id=",".join(m.source_id for m in members),
                               slug_derived=first.slug_derived or len(members) > 1)


# --- writing -----------------------------------------------------------------------------------------------------

@dataclass
class _Plan:
    records: list[tuple[int, r.MeetingRecord, list[str]]]  # (first row number, merged record, notes)
    protected_ids: set[str]  # ids of rows we refused: their meetings stay as they are


def _parse_bmlt(snapshot: Snapshot, writer: r.Writer, report: SyncReport) -> _Plan:
    known = set(writer.format_codes())
    bodies = bmlt_import.import_bodies(writer, snapshot.bodies, report)
    format_map = bmlt_import.format_keys(snapshot.formats, known)
    parsed: list[tuple[int, r.MeetingRecord]] = []
    protected: set[str] = set()
    notes: dict[str, list[str]] = {}
    for row in snapshot.rows:
        try:
            record, row_notes = bmlt_import.record_to_meeting(row.item, formats=format_map, bodies=bodies,
                                                              known=known)
        except RowError as exc:
            report.add(row.number, row.key, "rejected", [str(exc)])
            if row.key:
                protected.add(row.key)
            continue
        notes[record.source_id] = row_notes
        parsed.append((row.number, record))
    return _merge_rows(parsed, protected, notes)


def _merge_rows(parsed: list[tuple[int, r.MeetingRecord]], protected: set[str],
                notes: dict[str, list[str]]) -> _Plan:
    first_row = {rec.source_id: number for number, rec in parsed}
    plan = _Plan([], protected)
    for rec in merge_per_day([rec for _, rec in parsed]):
        ids = rec.source_id.split(",")
        plan.records.append((min(first_row[i] for i in ids), rec, sorted({n for i in ids for n in notes.get(i, [])})))
    plan.records.sort(key=lambda item: item[0])
    return plan


def _parse_meeting_guide(snapshot: Snapshot, report: SyncReport) -> _Plan:
    parsed: list[tuple[int, r.MeetingRecord]] = []
    protected: set[str] = set()
    for row in snapshot.rows:
        if row.record is None:
            report.add(row.number, row.key, "rejected", row.reasons)
            if row.key:
                protected.add(row.key)
        else:
            parsed.append((row.number, row.record))
    return _merge_rows(parsed, protected, {})


def _existing_meetings(session: Session, snapshot: Snapshot, source: SyncSource) -> list[Meeting]:
    legacy = meeting_guide.SOURCE if snapshot.kind == "meeting_guide" else snapshot.source
    return list(session.scalars(
        select(Meeting).outerjoin(MeetingSync)
        .where(or_(MeetingSync.sync_source_id == source.id, Meeting.source.in_({snapshot.source, legacy})))
        .options(selectinload(Meeting.times), selectinload(Meeting.formats), selectinload(Meeting.place),
                 selectinload(Meeting.sync))
        .order_by(Meeting.id)
    ))


def apply(session: Session, snapshot: Snapshot, source: SyncSource, *, now: dt.datetime, resolver: r.Resolver,
          progress: Progress | None = None, actor: str | None = None) -> SyncReport:
    """Bring our meetings in step with a fetched snapshot; the caller owns the transaction (commit or roll back).

    Meetings are found again by the sync that owns them or by source and source id (so meetings an earlier
    `import-bmlt` / `import-meeting-guide` brought in are adopted, not duplicated). What the source no longer
    lists is unpublished, unless it was listed by a row refused in this run: a bad row never hides a meeting.
    """
    report = SyncReport(f"sync-{snapshot.kind}", source.label, progress=progress)
    writer = r.Writer(session, source=snapshot.source, now=now, actor=actor or f"sync:{snapshot.kind}",
                      sync_source_id=source.id, defer_audit=True)
    plan = _parse_bmlt(snapshot, writer, report) if snapshot.kind == "bmlt" else _parse_meeting_guide(snapshot,
                                                                                                        report)
    report.expect(len(plan.records))
    existing = _existing_meetings(session, snapshot, source)
    owned = [m for m in existing if _owner(m) == source.id and m.published]
    if not plan.records and not plan.protected_ids and owned:
        raise FatalImportError(f"the source listed no meetings; refusing to unpublish the {len(owned)} it listed "
                               "before (a source that answers nothing is more likely broken than empty)")
    by_id: dict[str, Meeting] = {}
    for meeting in existing:
        for ident in meeting.source_id.split(","):
            if ident:
                by_id.setdefault(ident, meeting)
    claimed: set[int] = {m.id for ident in plan.protected_ids if (m := by_id.get(ident)) is not None}
    merged_away: list[Meeting] = []
    for number, rec, notes in plan.records:
        matches = sorted({by_id[i].id: by_id[i] for i in rec.source_id.split(",") if i in by_id}.values(),
                         key=lambda m: m.id)
        match = next((m for m in matches if m.id not in claimed), None)
        merged_away.extend(m for m in matches if m is not match and m.id not in claimed)
        try:
            r.resolve_place(rec.place, resolver)
            outcome = writer.meeting(rec, existing=match)
        except RowError as exc:
            report.add(number, rec.source_id, "rejected", [str(exc)])
            if match is not None:
                claimed.add(match.id)  # refused now, but still at the source: leave it as it is
            continue
        if match is not None:
            claimed.add(match.id)
            if outcome == "updated":
                # The source stated the meeting's details: they count as confirmed (added ones start confirmed).
                # An unchanged meeting is left alone, so an unchanged source still writes nothing.
                confirm(session, match, by=writer.actor, now=now)
        report.add(number, rec.slug if match is None else match.slug, outcome, notes)
    for meeting in [m for m in existing if m.id not in claimed and _owner(m) == source.id] + merged_away:
        if meeting.id in claimed:
            continue
        claimed.add(meeting.id)
        if writer.unpublish(meeting):
            report.add(0, meeting.slug, "unpublished", ["no longer listed by the source"])
    writer.finish()
    record_run(source, now, report=report)
    return report


def sources(session: Session) -> list[SyncSource]:
    """Every sync source with how its last run went, for the admin pages."""
    return list(session.scalars(select(SyncSource).order_by(SyncSource.kind, SyncSource.url, SyncSource.scope)))


def _owner(meeting: Meeting) -> int | None:
    return meeting.sync.sync_source_id if meeting.sync is not None else None


def locally_edited(meeting: Meeting) -> bool:
    """True when a synced meeting was changed here since its sync last wrote it: the next run overwrites that."""
    return meeting.sync is not None and meeting.sync.synced_hash != r.state_hash(r.meeting_state_of(meeting))


def record_run(source: SyncSource, now: dt.datetime, *, report: SyncReport | None = None,
               error: str = "") -> None:
    """Note on the source row how its last run went (shown to admins)."""
    source.last_run_at = now
    if report is not None:
        source.last_success_at = now
        source.last_error = ""
        source.last_summary = report.summary()[:500]
    else:
        source.last_error = error[:2000]
