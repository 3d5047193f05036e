"""The README stays true: every setting the code reads is documented in its configuration table."""
from __future__ import annotations

import re
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


def _architecture() -> str:
    text = README.read_text(encoding="utf-8")
    return text[text.index("## Architecture"):]


def test_the_architecture_section_names_modules_and_functions_that_exist():
    """Every `area/module.function` the request paths name is a function (or name) defined in that module."""
    package = README.parent / "finder"
    named = {(area, module, name) for area, module, name
             in re.findall(r"(?<![/\w])([a-z_]+)/([a-z_]+)\.([a-z_]+)\b", _architecture())
             if area != "tests"}
    assert len(named) > 10
    missing = [f"{area}/{module}.{name}" for area, module, name in sorted(named)
               if not (package / area / f"{module}.py").exists()
               or not re.search(rf"^(?:def |class )?{name}\b", (package / area / f"{module}.py").read_text(), re.M)]
    assert missing == []


def test_the_architecture_section_lists_every_area():
    areas = {p.name for p in (README.parent / "finder").iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert [a for a in sorted(areas) if f"{a}/" not in _architecture()] == []
