"""finder.imports.bmlt: a BMLT server's JSON files in, a re-import, fatal errors."""
from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select

from finder.imports import FatalImportError
from finder.models import Meeting, ServiceBody
from tests.helpers import FIXTURES, RESOLVER, count


def _bmlt(session, now, results=FIXTURES / "bmlt_search_results.json"):
    from finder.imports import bmlt

    return bmlt.import_server(session, results=results, formats=FIXTURES / "bmlt_formats.json",
                              service_bodies=FIXTURES / "bmlt_service_bodies.json", now=now, resolver=RESOLVER)


def test_bmlt_golden_files(session, now) -> None:
    report = _bmlt(session, now)
    session.commit()
    assert report.counts() == {"added": 4, "updated": 0, "unchanged": 0, "rejected": 1}
    assert "weekday_tinyint" in report.rejected[0].reasons[0]
    bodies = {b.name: b for b in session.scalars(select(ServiceBody))}
    assert bodies["Philadelphia Area"].parent is bodies["Eastern Pennsylvania Region"]
    assert bodies["Philadelphia Area"].helpline == "215-555-0100" and bodies["Philadelphia Area"].kind == "area"
    assert bodies["Eastern Pennsylvania Region"].kind == "region"
    monday = session.scalars(select(Meeting).where(Meeting.source_id == "1001")).one()
    assert monday.source == "bmlt:bmlt.example-region.org"
    assert [(t.weekday, t.start, t.duration_minutes) for t in monday.times] == [(0, dt.time(19), 90)]
    assert monday.format_codes == ["BT", "DISC", "O", "WCHR"]
    assert monday.service_body is bodies["Philadelphia Area"]
    assert monday.phone == ""  # contact fields of trusted servants are never imported
    lunch = session.scalars(select(Meeting).where(Meeting.source_id == "1002")).one()
    assert lunch.attendance == "hybrid" and lunch.format_codes == ["C", "STEP"] and lunch.place.country == "US"
    online = session.scalars(select(Meeting).where(Meeting.source_id == "1003")).one()
    assert online.attendance == "online" and online.language == "es" and online.times[0].weekday == 6
    assert online.place.precision == "city"
    late = session.scalars(select(Meeting).where(Meeting.source_id == "1004")).one()
    assert late.status == "temporarily_closed" and late.place.timezone == "America/New_York"
    assert late.times[0].weekday == 5
    added = {row.key: row.reasons for row in report.added}
    assert any("ZZZ" in " ".join(reasons) for reasons in added.values())


def test_bmlt_reimport_is_unchanged_then_updates(session, now) -> None:
    _bmlt(session, now)
    session.commit()
    again = _bmlt(session, now)
    session.commit()
    assert again.counts() == {"added": 0, "updated": 0, "unchanged": 4, "rejected": 1}
    data = json.loads((FIXTURES / "bmlt_search_results.json").read_text())
    data[0]["meeting_name"] = "Monday Night Miracles (new name)"
    changed = _bmlt(session, now, results=json.dumps(data).encode())
    assert changed.counts()["updated"] == 1
    renamed = session.scalars(select(Meeting).where(Meeting.source_id == "1001")).one()
    assert renamed.name.endswith("(new name)") and renamed.slug == "monday-night-miracles-1001"
    assert count(session, Meeting) == 4 and count(session, ServiceBody) == 3


@pytest.mark.parametrize("results, message", [(b'{"x": 1}', "must be a JSON array"), (b"nope", "not valid JSON")])
def test_bmlt_fatal_errors(session, now, results: bytes, message: str) -> None:
    with pytest.raises(FatalImportError, match=message):
        _bmlt(session, now, results=results)
