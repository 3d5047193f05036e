"""The README stays true: every setting the code reads is documented in its configuration table."""
from __future__ import annotations

from pathlib import Path

from finder.config import SETTINGS

README = Path(__file__).resolve().parent.parent / "README.md"


def test_every_setting_is_in_the_readme_table():
    text = README.read_text(encoding="utf-8")
    missing = [name for name in SETTINGS if f"| `{name}` |" not in text]
    assert missing == [], f"document these settings in README.md: {missing}"


def test_readme_names_the_two_commands():
    text = README.read_text(encoding="utf-8")
    assert "    bin/serve\n" in text and "    bin/test\n" in text
