"""finder.clock: the one place the wall clock is read."""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from finder.clock import utcnow

PACKAGE = Path(__file__).resolve().parent.parent / "finder"
# Reading the wall clock: datetime's now()/utcnow()/today() or the epoch seconds (monotonic and perf counters,
# which measure intervals, are not a date and may stay where they are used).
WALL_CLOCK = re.compile(r"\b(?:datetime|date)\.(?:now|utcnow|today)\(|\btime\.time\(")


def test_utcnow_is_aware_utc() -> None:
    before = dt.datetime.now(dt.timezone.utc)
    now = utcnow()
    assert now.tzinfo is dt.timezone.utc and now.utcoffset() == dt.timedelta(0)
    assert before <= now <= dt.datetime.now(dt.timezone.utc)


def test_only_the_clock_module_reads_the_wall_clock() -> None:
    readers = [f"{path.relative_to(PACKAGE.parent)}:{n}" for path in sorted(PACKAGE.rglob("*.py"))
               if path.name != "clock.py" or path.parent != PACKAGE
               for n, line in enumerate(path.read_text().splitlines(), 1) if WALL_CLOCK.search(line)]
    assert readers == []


def test_no_module_defines_its_own_utcnow() -> None:
    definers = [str(path.relative_to(PACKAGE.parent)) for path in sorted(PACKAGE.rglob("*.py"))
                if re.search(r"^def utcnow\(", path.read_text(), re.M)]
    assert definers == ["finder/clock.py"]
