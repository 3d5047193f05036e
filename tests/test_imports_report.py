"""finder.imports.report: reading a source (URL limits and errors), hostile JSON, progress on a terminal."""
from __future__ import annotations

import io

import pytest

from finder.cli.common import TerminalProgress
from finder.imports import FatalImportError, meeting_guide
from finder.imports.report import read_bytes
from tests.helpers import FIXTURES, RESOLVER


def test_url_limits_and_errors(local_server: str) -> None:
    with pytest.raises(FatalImportError, match="byte limit"):
        read_bytes(f"{local_server}/big.json", max_bytes=1000)
    with pytest.raises(FatalImportError, match="byte limit"):
        read_bytes(f"{local_server}/unannounced", max_bytes=1000)
    with pytest.raises(FatalImportError, match="HTTP 500"):
        read_bytes(f"{local_server}/broken")
    with pytest.raises(FatalImportError, match="cannot fetch"):
        read_bytes("http://127.0.0.1:9/feed.json", timeout=2)
    with pytest.raises(FatalImportError, match="not on the public internet"):
        read_bytes("http://100.64.0.1/feed.json")  # carrier-grade NAT is not private, and not public either



@pytest.mark.parametrize(("data", "message"), [
    (b"[" * 100_000 + b"]" * 100_000, "nested more than"),
    (b"[" * 70 + b"]" * 70, "nested more than 64 levels"),
    (b'[{"day": ' + b"1" * 5000 + b"}]", "5000 characters long"),
    (b'[{"latitude": 1' + b"0" * 400 + b'.5}]', "characters long"),
    (b'[{"latitude": NaN}]', "NaN is not a JSON number"),
])
def test_hostile_json_is_a_clear_fatal_error(data, message) -> None:
    from finder.imports.report import parse_json

    with pytest.raises(FatalImportError, match=message):
        parse_json(data, "the feed")



class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_on_a_terminal_and_nothing_otherwise(session, now) -> None:
    screen = _Terminal()
    progress = TerminalProgress("rows", file=screen)
    report = meeting_guide.import_feed(session, FIXTURES / "meeting_guide.json", now=now, resolver=RESOLVER,
                                       progress=progress)
    progress.close()
    assert "rows" in screen.getvalue() and "4/4" in screen.getvalue() and len(report.rows) == 4
    quiet = io.StringIO()
    silent = TerminalProgress("rows", file=quiet)
    meeting_guide.import_feed(session, FIXTURES / "meeting_guide.json", now=now, resolver=RESOLVER, progress=silent)
    silent.close()
    assert quiet.getvalue() == ""
