"""finder.imports.meeting_guide: golden feeds in, re-imports that update, per-row reasons, fatal errors, URLs."""
from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select

from finder.imports import FatalImportError, meeting_guide
from finder.models import Meeting, ServiceBody
from tests.helpers import FIXTURES, RESOLVER, count


def test_meeting_guide_golden_feed(session, now) -> None:
    report = meeting_guide.import_feed(session, FIXTURES / "meeting_guide.json", now=now, resolver=RESOLVER)
    session.commit()
    assert report.counts() == {"added": 4, "updated": 0, "unchanged": 0, "rejected": 0}, report.rejected
    serene = session.scalars(select(Meeting).where(Meeting.slug == "clean-and-serene")).one()
    assert sorted(t.weekday for t in serene.times) == [0, 2, 4]  # Meeting Guide 1,3,5 = Mon, Wed, Fri
    assert {t.duration_minutes for t in serene.times} == {90}
    assert serene.format_codes == ["BT", "DISC", "O", "WCHR"]
    assert serene.attendance == "in_person" and serene.place.precision == "rooftop"
    assert serene.place.notes == "Basement, side door on Locust St"
    assert serene.service_body.name == "Philadelphia Area" and serene.service_body.kind == "area"
    assert serene.service_body.parent.name == "Eastern Pennsylvania Region"
    assert serene.group.name == "Clean and Serene Group" and serene.group.kind == "group"
    owls = session.scalars(select(Meeting).where(Meeting.slug == "night-owls")).one()
    assert owls.attendance == "hybrid" and owls.status == "temporarily_closed"
    assert owls.times[0].weekday == 4 and owls.times[0].duration_minutes == 60  # past midnight
    assert owls.service_body.name == "Philadelphia Area"
    hope = session.scalars(select(Meeting).where(Meeting.slug == "hope-online")).one()
    assert hope.attendance == "online" and hope.times[0].weekday == 6 and hope.format_codes == ["ES", "O", "SPK"]
    assert hope.phone == "+13126266799,,81234567890#"
    lansdale = session.scalars(select(Meeting).where(Meeting.slug == "sunday-step-study")).one()
    assert lansdale.place.latitude == pytest.approx(40.2415)  # geocoded
    assert lansdale.place.precision == "postal_code" and lansdale.place.timezone == "America/New_York"
    assert count(session, ServiceBody) == 3  # region, area, one group: the shared area only once


def test_meeting_guide_reimport_updates_and_never_duplicates(session, now) -> None:
    meeting_guide.import_feed(session, FIXTURES / "meeting_guide.json", now=now, resolver=RESOLVER)
    session.commit()
    again = meeting_guide.import_feed(session, FIXTURES / "meeting_guide.json", now=now, resolver=RESOLVER)
    session.commit()
    assert again.counts() == {"added": 0, "updated": 0, "unchanged": 4, "rejected": 0}
    data = json.loads((FIXTURES / "meeting_guide.json").read_text())
    data[0]["time"] = "19:30"
    data[0]["end_time"] = "21:00"
    later = now + dt.timedelta(days=1)
    changed = meeting_guide.import_feed(session, json.dumps(data).encode(), now=later, resolver=RESOLVER)
    session.commit()
    assert changed.counts()["updated"] == 1 and changed.counts()["unchanged"] == 3
    assert count(session, Meeting) == 4 and count(session, ServiceBody) == 3
    serene = session.scalars(select(Meeting).where(Meeting.slug == "clean-and-serene")).one()
    assert {t.start for t in serene.times} == {dt.time(19, 30)}
    assert serene.sequence == 1 and serene.updated_at == later


def test_meeting_guide_hostile_rows_are_rejected_with_reasons(session, now) -> None:
    report = meeting_guide.import_feed(session, FIXTURES / "meeting_guide_hostile.json", now=now, resolver=RESOLVER)
    session.commit()
    assert [row.key for row in report.added] == ["good-one"]
    reasons = {row.row: " ".join(row.reasons) for row in report.rejected}
    assert "slug is missing" in reasons[1]
    assert "duplicate slug" in reasons[3]
    assert "day must be" in reasons[4]
    assert "24-hour time" in reasons[5]
    assert "IANA" in reasons[6]
    assert "must be text" in reasons[7]
    assert "no address" in reasons[8]
    assert "out of range" in reasons[9]
    assert "http(s)" in reasons[10]
    assert "not a JSON object" in reasons[11] and "not a JSON object" in reasons[12]
    assert count(session, Meeting) == 1


@pytest.mark.parametrize("payload, message", [
    (b"{not json", "not valid JSON"), (b'{"a": 1}', "JSON array"), (b"\xff\xfe", "not valid JSON"),
])
def test_meeting_guide_fatal_errors(session, now, payload: bytes, message: str) -> None:
    with pytest.raises(FatalImportError, match=message):
        meeting_guide.import_feed(session, payload, now=now, resolver=RESOLVER)


def test_size_and_row_limits(session, now, tmp_path) -> None:
    path = tmp_path / "big.json"
    path.write_bytes(b"[" + b" " * 2000 + b"]")
    with pytest.raises(FatalImportError, match="byte limit"):
        meeting_guide.import_feed(session, path, now=now, resolver=RESOLVER, max_bytes=1000)
    with pytest.raises(FatalImportError, match="limit"):
        meeting_guide.import_feed(session, FIXTURES / "meeting_guide.json", now=now, resolver=RESOLVER, max_rows=2)
    with pytest.raises(FatalImportError, match="cannot read"):
        meeting_guide.import_feed(session, tmp_path / "missing.json", now=now, resolver=RESOLVER)


def test_meeting_guide_from_url(session, now, local_server: str) -> None:
    report = meeting_guide.import_feed(session, f"{local_server}/feed.json", now=now, resolver=RESOLVER)
    assert report.counts()["added"] == 4
    assert report.source.startswith("127.0.0.1:")
