"""The command line (finder.cli): every command documented, the schema commands, and what all commands share."""
from __future__ import annotations

import re
from pathlib import Path

import click
import pytest
from sqlalchemy import create_engine
from sqlalchemy.exc import OperationalError

from finder import create_app
from finder.cli import common

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def _commands(group: click.Group, prefix: str = "") -> list[str]:
    names = []
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            names += _commands(command, f"{prefix}{name} ")
        else:
            names.append(prefix + name)
    return names


def test_every_command_is_documented(sqlite_app):
    ours = [name for name in _commands(sqlite_app.cli) if name not in ("routes", "run", "shell")]
    assert len(ours) > 15
    text = " ".join(path.read_text(encoding="utf-8") for path in DOCS)
    assert [name for name in ours if not re.search(rf"wsgi {re.escape(name)}\b", text)] == []


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_db_status_and_upgrade_on_a_migrated_database(runner):
    assert runner.invoke(args=["db", "status"]).output.strip() == "current"
    upgraded = runner.invoke(args=["db", "upgrade"])  # safe to re-run
    assert upgraded.exit_code == 0 and upgraded.output.startswith("database schema at ")


def test_commands_refuse_a_database_that_is_not_migrated(tmp_path):
    empty = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.db'}",
                        "SECRET_KEY": "test-secret"})
    runner = empty.test_cli_runner()
    assert runner.invoke(args=["db", "status"]).output.strip() == "missing"
    refused = runner.invoke(args=["send-outbox"])
    assert refused.exit_code == 1 and "run `flask --app wsgi db upgrade` first" in refused.output


def test_first_line_of_an_error():
    assert common.first_line(ValueError("one\ntwo")) == "one"
    assert common.first_line(ValueError("")) == "ValueError"
    engine = create_engine("sqlite:////nonexistent/dir/x.db")
    with pytest.raises(OperationalError) as caught:
        engine.connect()
    assert common.first_line(caught.value) == "unable to open database file"


def test_progress_is_silent_off_a_terminal(tmp_path):
    with (tmp_path / "log").open("w") as log:
        progress = common.TerminalProgress("Importing", file=log)
        progress.start(10)
        progress.advance(5)
        progress.close()
    assert (tmp_path / "log").read_text() == ""
