"""The strict Meeting Guide reader rules: each rule against a record that breaks it, and fixtures read whole."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from finder import outbound
from finder.core import feed_check
from finder.core import meeting_guide as feeds

from bmlt_root import running

FIXTURES = Path(__file__).parent / "fixtures"
GOOD: dict[str, Any] = {
    "name": "Clean Living", "slug": "clean-living", "day": 1, "time": "19:00", "end_time": "20:00",
    "timezone": "America/New_York", "formatted_address": "1625 Locust St, Philadelphia, PA 19103, US",
    "approximate": "no", "latitude": 39.9487, "longitude": -75.1685, "types": ["O", "D"],
    "url": "https://na.example.org/meetings/clean-living", "updated": "2026-11-25 17:00:00",
}


def check(data: Any) -> feed_check.FeedCheck:
    return feed_check.check_feed(data, conference_hosts=feeds.KNOWN_CONFERENCE_HOSTS,
                                 known_types=feeds.MG_SPEC_TYPES)


def only(result: feed_check.FeedCheck) -> tuple[str, str]:
    (problem,) = [p for p in result.problems if p.severity != "note"]
    return problem.field, problem.severity


def test_a_good_record_has_no_problem() -> None:
    result = check([GOOD])
    assert result.problems == [] and result.ok
    assert result.summary().startswith("1 records: 1 load, 0 dropped")


@pytest.mark.parametrize("change, field, severity", [
    ({"slug": ""}, "slug", "dropped"),
    ({"name": None}, "name", "dropped"),
    ({"day": [1, 3]}, "day", "dropped"),
    ({"day": 7}, "day", "dropped"),
    ({"day": True}, "day", "dropped"),
    ({"day": "2"}, "day", "warning"),
    ({"time": "25:00"}, "time", "dropped"),
    ({"time": "19:00:00"}, "time", "warning"),
    ({"timezone": ""}, "timezone", "dropped"),
    ({"timezone": "Mars/Olympus"}, "timezone", "dropped"),
    ({"end_time": "7pm"}, "end_time", "dropped"),
    ({"end_time": "23:00"}, "end_time", "warning"),
    ({"slug": "two words"}, "slug", "warning"),
    ({"slug": "x" * 65}, "slug", "warning"),
    ({"types": "O"}, "types", "ignored"),
    ({"types": ["ONL"]}, "types", "warning"),
    ({"updated": "yesterday"}, "updated", "ignored"),
    ({"updated": "2026-02-30 10:00:00"}, "updated", "ignored"),
    ({"url": "javascript:alert(1)"}, "url", "ignored"),
    ({"feedback_url": "ftp://x"}, "feedback_url", "ignored"),
    ({"latitude": "north"}, "latitude", "ignored"),
    ({"latitude": "39.9"}, "latitude", "warning"),
    ({"approximate": "maybe"}, "approximate", "ignored"),
    ({"regions": "Philly"}, "regions", "ignored"),
    ({"entity_url": "https://na.example.org"}, "entity", "warning"),
    ({"conference_url": "https://zoom.us/j/1", "conference_phone": "123"}, "conference_phone", "ignored"),
])
def test_each_rule(change: dict[str, Any], field: str, severity: str) -> None:
    assert only(check([{**GOOD, **change}])) == (field, severity)


def test_missing_day_and_time_is_dropped_by_the_meeting_guide_app() -> None:
    entry = {k: v for k, v in GOOD.items() if k not in ("day", "time", "end_time")}
    assert only(check([entry])) == ("day", "dropped")


def test_no_address_is_dropped() -> None:
    entry = {k: v for k, v in GOOD.items() if k not in ("formatted_address", "approximate")}
    assert only(check([entry])) == ("formatted_address", "dropped")


def test_short_address_without_approximate_is_hidden_unless_online() -> None:
    entry = {**GOOD, "formatted_address": "Philadelphia, PA, US"}
    del entry["approximate"]
    result = check([entry])
    assert {(p.field, p.severity) for p in result.problems} == {("approximate", "warning"), ("approximate", "hidden")}
    assert result.ok  # hidden, not dropped
    online = check([{**entry, "conference_url": "https://us02web.zoom.us/j/1"}])
    assert only(online) == ("approximate", "warning")


def test_unknown_conference_host_is_ignored_and_hides_an_online_only_meeting() -> None:
    entry = {**GOOD, "approximate": "yes", "conference_url": "https://meet.example.org/room"}
    fields = {(p.field, p.severity) for p in check([entry]).problems}
    assert fields == {("conference_url", "ignored"), ("approximate", "hidden")}


def test_duplicate_slug_names_the_first_record() -> None:
    result = check([GOOD, {**GOOD, "day": 3}])
    (problem,) = result.problems
    assert (problem.record, problem.field, problem.severity) == (2, "slug", "dropped")
    assert "record 1" in problem.message
    assert result.dropped == {2} and not result.ok
    assert problem.line().startswith("record 2 (clean-living), slug: dropped:")


def test_unknown_types_are_one_note() -> None:
    result = check([{**GOOD, "types": ["O", "JFT", "BT"]}, {**GOOD, "slug": "b", "types": ["JFT"]}])
    (note,) = result.problems
    assert note.severity == "note" and note.record == 0 and "BT (1), JFT (2)" in note.message


@pytest.mark.parametrize("data", [{"meetings": []}, "text", None, 5])
def test_a_feed_that_is_not_an_array_loads_nothing(data: Any) -> None:
    result = check(data)
    assert result.dropped == {0}
    assert result.summary().startswith("readers load nothing")


def test_records_that_are_not_objects_are_dropped() -> None:
    result = check([GOOD, "text", None, 3])
    assert result.dropped == {2, 3, 4}


def test_hostile_fixture() -> None:
    data = json.loads((FIXTURES / "meeting_guide_hostile.json").read_text())
    result = check(data)
    by_record: dict[int, set[str]] = {}
    for p in result.of("dropped"):
        by_record.setdefault(p.record, set()).add(p.field)
    assert by_record[1] == {"slug"} and by_record[3] == {"slug"}  # 3 repeats record 2's slug
    assert by_record[4] == {"day"} and by_record[5] == {"time"} and by_record[6] == {"timezone"}
    assert by_record[7] == {"name", "timezone"} and by_record[8] == {"formatted_address"}
    assert 2 not in by_record and {11, 12} <= result.dropped


def test_the_import_fixture_with_array_days_is_flagged() -> None:
    data = json.loads((FIXTURES / "meeting_guide.json").read_text())
    result = check(data)
    assert ("day", "dropped") in {(p.field, p.severity) for p in result.problems if p.record == 1}


# --- the command ----------------------------------------------------------------------------------------------

def test_feed_check_command_on_files(sqlite_app, tmp_path) -> None:
    runner = sqlite_app.test_cli_runner()
    good = tmp_path / "good.json"
    good.write_text(json.dumps([GOOD, {**GOOD, "slug": "clean-living-wed", "day": 3}]))
    result = runner.invoke(args=["feed-check", str(good)])
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines()[-1].startswith("2 records: 2 load, 0 dropped")
    hostile = runner.invoke(args=["feed-check", str(FIXTURES / "meeting_guide_hostile.json")])
    assert hostile.exit_code == 1
    assert "record 3 (good-one), slug: dropped: duplicate slug, first used by record 2" in hostile.output
    assert hostile.output.index(": dropped:") < hostile.output.index(": warning:") if ": warning:" in \
        hostile.output else True  # the worst first
    broken = tmp_path / "broken.json"
    broken.write_text("<html>")
    refused = runner.invoke(args=["feed-check", str(broken)])
    assert refused.exit_code == 1 and "readers load nothing from this feed" in refused.output


def test_feed_check_command_reads_our_own_feed_by_url(app, client, session, make_meeting) -> None:
    make_meeting(slug="one", times=[(0, "19:00", 60), (2, "19:00", 60)])
    session.commit()
    app.extensions["finder.outbound"] = outbound.Fetcher(allow_loopback=True)
    with running() as server:
        server.feed = client.get("/feeds/meeting-guide.json").get_json()
        result = app.test_cli_runner().invoke(args=["feed-check", server.url.replace("/main_server", "/meetings.json")])
    assert result.exit_code == 0, result.output
    assert "2 records: 2 load, 0 dropped, 0 hidden as inactive; 0 fields ignored" in result.output
