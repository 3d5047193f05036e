"""Live sync against a BMLT root server and a Meeting Guide feed on loopback, and against changes between fetches."""
from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select

from finder import cache, outbound
from finder.imports import FatalImportError, sync
from finder.imports import writer as r
from finder.models import AuditEntry, Meeting, ServiceBody
from finder.models.sync import SyncSource

from bmlt_root import RootServer, row, running

LATER = dt.timedelta(hours=1)


def fake_zone(lat: float, lon: float) -> str | None:
    return "America/New_York" if -90 < lon < -66 else None


RESOLVER = r.Resolver(geocode=lambda text: None, timezone_at=fake_zone)


@pytest.fixture
def root() -> Iterator[RootServer]:
    with running() as state:
        yield state


def fetch(max_bytes: int = 2 * 1024 * 1024) -> sync.Fetch:
    return sync.url_fetch(outbound.Fetcher(allow_loopback=True), max_bytes=max_bytes, timeout=10)


def run_bmlt(session, root: RootServer, now: dt.datetime, scope: tuple[int, ...] = (), **kwargs: Any
             ) -> sync.SyncReport:
    snapshot = sync.fetch_bmlt(fetch(), root.url, scope)
    source = sync.source_row(session, "bmlt", snapshot.url, scope)
    report = sync.apply(session, snapshot, source, now=now, resolver=RESOLVER, **kwargs)
    session.commit()
    return report


def published(session) -> dict[str, Meeting]:
    return {m.source_id: m for m in session.scalars(select(Meeting).where(Meeting.published))}


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def test_first_sync_adds_meetings_and_merges_per_day_rows(session, root, now) -> None:
    report = run_bmlt(session, root, now)
    assert report.counts() == {"added": 4, "updated": 0, "unchanged": 0, "rejected": 0, "unpublished": 0}
    meetings = published(session)
    assert set(meetings) == {"1001,1002,1003", "1010", "1020", "1030"}
    group = meetings["1001,1002,1003"]
    assert [(t.weekday, t.start, t.duration_minutes) for t in group.times] == [
        (0, dt.time(19), 90), (2, dt.time(19), 90), (4, dt.time(19), 90)]
    assert group.slug == "monday-night-miracles-1001" and group.source == f"bmlt:{root.url.split('/')[2]}"
    assert group.format_codes == ["BT", "DISC", "O", "WCHR"] and group.service_body.name == "Philadelphia Area"
    assert group.sync.source.url == root.url and group.sync.synced_hash
    assert meetings["1010"].attendance == "hybrid" and meetings["1020"].language == "es"
    assert meetings["1030"].status == "temporarily_closed"
    assert {b.name for b in session.scalars(select(ServiceBody))} == {
        "Eastern Pennsylvania Region", "Philadelphia Area", "Montgomery County Area"}
    assert any("ZZZ" in " ".join(row.reasons) for row in report.added)  # unknown formats are noted
    assert root.requests[0] == "switcher=GetServiceBodies"
    assert root.requests[1].startswith("switcher=GetSearchResults&get_used_formats=1")


def test_an_unchanged_source_touches_nothing(session, root, now) -> None:
    run_bmlt(session, root, now)
    version = cache.data_version(session)
    audits = count(session, AuditEntry)
    stamps = {m.id: m.updated_at for m in session.scalars(select(Meeting))}
    report = run_bmlt(session, root, now + LATER)
    assert report.counts()["unchanged"] == 4 and len(report.rows) == 4
    assert cache.data_version(session) == version
    assert count(session, AuditEntry) == audits
    session.expire_all()
    assert {m.id: m.updated_at for m in session.scalars(select(Meeting))} == stamps
    source = session.scalars(select(SyncSource)).one()
    assert source.last_error == "" and "4 unchanged" in source.last_summary


def test_changes_between_two_fetches_land_exactly(session, root, now) -> None:
    run_bmlt(session, root, now)
    first = published(session)
    group_id, lunch_id, late_id = first["1001,1002,1003"].id, first["1010"].id, first["1030"].id
    late_slug = first["1030"].slug
    version = cache.data_version(session)
    root.meetings = [m for m in root.meetings if m["id_bigint"] != "1030"]  # gone from the source
    next(m for m in root.meetings if m["id_bigint"] == "1010")["meeting_name"] = "Lunch Bunch (new name)"
    group_row = next(m for m in root.meetings if m["id_bigint"] == "1001")
    root.meetings.append({**group_row, "id_bigint": "1004", "weekday_tinyint": "1", "start_time": "10:00:00"})
    root.meetings.append(row(1040, "New Hope", 3, "18:30:00"))
    report = run_bmlt(session, root, now + LATER)
    assert report.counts() == {"added": 1, "updated": 2, "unchanged": 1, "rejected": 0, "unpublished": 1}
    assert [u.key for u in report.of("unpublished")] == [late_slug]
    session.expire_all()
    late = session.get(Meeting, late_id)
    assert late is not None and not late.published  # unpublished, never deleted
    lunch = session.get(Meeting, lunch_id)
    assert lunch.name == "Lunch Bunch (new name)" and lunch.slug == "lunch-bunch-1010"  # the bookmark stays
    group = session.get(Meeting, group_id)
    assert group.source_id == "1001,1002,1003,1004" and len(group.times) == 4
    assert cache.data_version(session) != version
    # back at the source: published again
    root.meetings.append(row(1030, "Late Night", 6, "23:30:00", service_body_bigint="13", formats="C,TC,ZZZ",
                             duration_time="01:30:00", location_text="Community Hall", location_street="100 Main St",
                             location_municipality="Lansdale", location_postal_code_1="19446", latitude="40.2415",
                             longitude="-75.2838"))
    again = run_bmlt(session, root, now + 2 * LATER)
    assert again.counts()["updated"] == 1 and session.get(Meeting, late_id).published


def test_rows_without_times_or_places_are_refused_and_their_meetings_kept(session, root, now) -> None:
    run_bmlt(session, root, now)
    lunch = next(m for m in root.meetings if m["id_bigint"] == "1010")
    lunch["start_time"] = ""
    lunch["meeting_name"] = "Lunch Bunch renamed"
    esperanza = next(m for m in root.meetings if m["id_bigint"] == "1020")
    esperanza.update(latitude="", longitude="", location_municipality="Nowhere", time_zone="")
    report = run_bmlt(session, root, now + LATER)
    assert {row.key for row in report.rejected} == {"1010", "1020"}
    assert "start_time" in report.rejected[0].reasons[0]
    assert report.counts()["unpublished"] == 0
    meetings = published(session)
    assert meetings["1010"].name == "Lunch Bunch" and "1020" in meetings  # the last good data stays


@pytest.mark.parametrize("fault, message", [
    ("html", "did not answer JSON"), ("404", "HTTP 404"), ("500", "HTTP 500"), ("malformed", "not valid JSON"),
    ("huge", "byte limit"), ("not_a_list", "must be a JSON array"),
])
def test_a_broken_source_changes_nothing(session, root, now, fault: str, message: str) -> None:
    run_bmlt(session, root, now)
    version = cache.data_version(session)
    if fault == "not_a_list":
        root.requests.clear()
    root.fault = fault
    with pytest.raises(FatalImportError, match=message):
        sync.fetch_bmlt(fetch(), root.url)
    assert cache.data_version(session) == version and len(published(session)) == 4


def test_a_service_body_the_server_does_not_have_is_refused(root) -> None:
    with pytest.raises(FatalImportError, match="no service body 99"):
        sync.fetch_bmlt(fetch(), root.url, (99,))


def test_an_empty_answer_never_unpublishes_everything(session, root, now) -> None:
    run_bmlt(session, root, now)
    root.meetings = []
    with pytest.raises(FatalImportError, match="no meetings"):
        run_bmlt(session, root, now + LATER)
    session.rollback()
    assert len(published(session)) == 4


def test_a_scoped_sync_leaves_other_service_bodies_alone(session, root, now) -> None:
    report = run_bmlt(session, root, now, scope=(13,))
    assert report.counts()["added"] == 2 and set(published(session)) == {"1020", "1030"}
    assert "services%5B%5D=13&recursive=1" in root.requests[-1]
    whole = run_bmlt(session, root, now + LATER)
    assert whole.counts()["added"] == 2 and whole.counts()["unchanged"] == 2
    root.meetings = [m for m in root.meetings if m["service_body_bigint"] == "12"]
    scoped = run_bmlt(session, root, now + 2 * LATER, scope=(13,))
    # the scoped sync owns 1020 and 1030; the whole-server sync took them over when it listed them
    assert scoped.counts()["unpublished"] == 0


def test_a_local_edit_is_seen_and_overwritten(session, root, now) -> None:
    run_bmlt(session, root, now)
    lunch = published(session)["1010"]
    assert not sync.locally_edited(lunch)
    lunch.name = "Edited here"
    session.commit()
    assert sync.locally_edited(lunch)
    report = run_bmlt(session, root, now + LATER)
    assert report.counts()["updated"] == 1
    assert published(session)["1010"].name == "Lunch Bunch" and not sync.locally_edited(published(session)["1010"])


class Counted:
    def __init__(self) -> None:
        self.total: int | None = None
        self.done = 0

    def start(self, total: int | None) -> None:
        self.total = total

    def advance(self, n: int = 1) -> None:
        self.done += n


def test_progress_is_reported_per_meeting(session, root, now) -> None:
    progress = Counted()
    run_bmlt(session, root, now, progress=progress)
    assert (progress.total, progress.done) == (4, 4)


# --- Meeting Guide feeds ------------------------------------------------------------------------------------------

FEED = [
    {"name": "Clean Living", "slug": "clean-living", "day": 1, "time": "19:00", "end_time": "20:00",
     "timezone": "US/Eastern", "types": ["O", "C", "D"], "formatted_address": "1625 Locust St, Philadelphia, PA 19103, US",
     "approximate": "no", "latitude": 39.9487, "longitude": -75.1685},
    {"name": "Clean Living", "slug": "clean-living-wed-1900", "day": 3, "time": "19:00", "end_time": "20:00",
     "timezone": "US/Eastern", "types": ["O", "C", "D"], "formatted_address": "1625 Locust St, Philadelphia, PA 19103, US",
     "approximate": "no", "latitude": 39.9487, "longitude": -75.1685},
    {"name": "Array Days", "slug": "array-days", "day": [0, 6], "time": "9:00", "timezone": "EST",
     "formatted_address": "4500 Frankford Ave, Philadelphia, PA 19124, US", "latitude": 40.0107,
     "longitude": -75.0847},
]


def test_meeting_guide_sync_merges_per_day_records_and_sanitises(session, root, now) -> None:
    root.feed = FEED
    url = root.url.replace("/main_server", "/meetings.json")
    snapshot = sync.fetch_meeting_guide(fetch(), url)
    source = sync.source_row(session, "meeting_guide", url)
    report = sync.apply(session, snapshot, source, now=now, resolver=RESOLVER)
    session.commit()
    assert report.counts()["added"] == 2, report.to_json()
    meetings = published(session)
    clean = meetings["clean-living,clean-living-wed-1900"]
    assert [t.weekday for t in clean.times] == [0, 2] and clean.slug == "clean-living"
    assert clean.place.timezone == "America/New_York"
    assert "O" not in clean.format_codes and "C" not in clean.format_codes  # open and closed: neither is true
    arrays = meetings["array-days"]
    assert [t.weekday for t in arrays.times] == [5, 6] and arrays.place.timezone == "America/New_York"
    root.feed = FEED[:1]
    later = sync.apply(session, sync.fetch_meeting_guide(fetch(), url), source, now=now + LATER, resolver=RESOLVER)
    session.commit()
    assert later.counts()["unpublished"] == 1 and later.counts()["updated"] == 1


def test_meeting_guide_sync_refuses_html(root) -> None:
    root.fault = "html"
    with pytest.raises(FatalImportError, match="did not answer JSON"):
        sync.fetch_meeting_guide(fetch(), root.url.replace("/main_server", "/meetings.json"))


# --- the commands -------------------------------------------------------------------------------------------------

def test_sync_bmlt_command_dry_run_then_real(app, runner, session, root) -> None:
    app.extensions["finder.outbound"] = outbound.Fetcher(allow_loopback=True)
    app.extensions["finder.timezone_at"] = fake_zone
    dry = runner.invoke(args=["sync-bmlt", "--root", root.url, "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "4 added" in dry.output and "dry run: nothing saved" in dry.output
    assert count(session, Meeting) == 0
    real = runner.invoke(args=["sync-bmlt", "--root", root.url, "--service-body", "12"])
    assert real.exit_code == 0, real.output
    assert real.output.strip().splitlines()[-1].startswith("sync from BMLT root server")
    assert count(session, Meeting) == 2
    root.fault = "html"
    failed = runner.invoke(args=["sync-bmlt", "--root", root.url, "--service-body", "12"])
    assert failed.exit_code != 0 and "nothing was changed" in failed.output
    session.expire_all()
    source = session.scalars(select(SyncSource)).one()
    assert "did not answer JSON" in source.last_error and count(session, Meeting) == 2


def test_sync_refuses_private_addresses(app, runner, session) -> None:
    result = runner.invoke(args=["sync-bmlt", "--root", "http://127.0.0.1:9/main_server"])
    assert result.exit_code != 0 and "public internet" in result.output


def test_sync_meeting_guide_command(app, runner, session, root) -> None:
    app.extensions["finder.outbound"] = outbound.Fetcher(allow_loopback=True)
    root.feed = FEED
    result = runner.invoke(args=["sync-meeting-guide", root.url.replace("/main_server", "/meetings.json")])
    assert result.exit_code == 0, result.output
    assert "2 added" in result.output and json.dumps(FEED)  # one line, no progress bar off a terminal


# --- what admins see ----------------------------------------------------------------------------------------------

def test_admins_see_synced_meetings_and_that_an_edit_would_be_overwritten(client, session, root, now,
                                                                         logged_in) -> None:
    run_bmlt(session, root, now)
    logged_in("admin")
    listing = client.get("/admin/meetings").get_data(as_text=True)
    assert listing.count("synced from BMLT root server") == 4
    lunch = published(session)["1010"]
    page = client.get(f"/admin/meetings/{lunch.id}/edit").get_data(as_text=True)
    assert "kept in step with BMLT root server" in page and "edited here since the last sync" not in page
    lunch.notes = "changed here"
    session.commit()
    page = client.get(f"/admin/meetings/{lunch.id}/edit").get_data(as_text=True)
    assert "edited here since the last sync" in page
    imports = client.get("/admin/imports/").get_data(as_text=True)
    assert "Kept in step" in imports and "0 changed, 0 unpublished" in imports


def test_a_sync_that_changes_a_meeting_confirms_it_and_an_unchanged_one_keeps_its_date(session, root, now) -> None:
    run_bmlt(session, root, now)
    first = published(session)
    lunch_id, late_id = first["1010"].id, first["1030"].id
    assert first["1030"].confirmed_at == now  # added by the source: confirmed as it was written
    next(m for m in root.meetings if m["id_bigint"] == "1010")["meeting_name"] = "Lunch Bunch (new name)"
    run_bmlt(session, root, now + LATER)
    session.expire_all()
    lunch, late = session.get(Meeting, lunch_id), session.get(Meeting, late_id)
    assert (lunch.confirmed_at, lunch.confirmed_by) == (now + LATER, "sync:bmlt")
    assert late.confirmed_at == now  # unchanged at the source: nothing written (the data version stays)
