"""Every `# type: ignore` in finder/ names the error it silences and says why (bin/test runs mypy, which
reports ignores that no longer silence anything)."""
from __future__ import annotations

import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "finder"
IGNORE = re.compile(r"#\s*type:\s*ignore(?P<code>\[[a-z-]+(?:,\s*[a-z-]+)*\])?(?P<rest>.*)$")


def test_each_type_ignore_names_its_error_and_its_reason() -> None:
    bare = []
    for path in sorted(PACKAGE.rglob("*.py")):
        lines = path.read_text().splitlines()
        for n, line in enumerate(lines):
            match = IGNORE.search(line)
            if not match:
                continue
            reason_here = match["rest"].strip().startswith("#") and len(match["rest"].strip()) > 2
            reason_above = n > 0 and lines[n - 1].strip().startswith("#")
            if not match["code"] or not (reason_here or reason_above):
                bare.append(f"{path.relative_to(PACKAGE.parent)}:{n + 1}: {line.strip()}")
    assert bare == []
