"""What every command shares: one-line failures, the schema check before touching data, statistics after a load."""
from __future__ import annotations

import sys
from typing import Any, TextIO

import click
from flask import current_app
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from finder import db, migrate


def fail(message: str) -> None:
    """Stop a command with one clear line and a non-zero exit."""
    raise click.ClickException(message)


def require_current_schema() -> None:
    """Refuse to touch data unless the schema is migrated to the head revision."""
    engine = db.engine_for(current_app)
    try:
        status = migrate.schema_status(engine)
    except OperationalError as exc:
        fail(f"cannot reach the database ({first_line(exc)}); check DATABASE_URL")
    if status != "current":
        fail(f"the database schema is {status}; run `flask --app wsgi db upgrade` first")


def refresh_statistics(*, vacuum: bool = False) -> None:
    """After a committed load: refresh the planner's statistics (finder.db.refresh_statistics). The data is
    saved by then, so a failure here is a warning, not an error: autovacuum will get there later."""
    try:
        db.refresh_statistics(db.engine_for(current_app), vacuum=vacuum)
    except SQLAlchemyError as exc:
        click.echo(f"warning: the data is saved, but the planner statistics were not refreshed ({first_line(exc)})",
                   err=True)


def first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", exc) or exc)
    return text.strip().splitlines()[0] if text.strip() else exc.__class__.__name__


class TerminalProgress:
    """A progress bar with counts and time left (click's) while a long command runs on a terminal; nothing
    otherwise, so cron mail and logs get the command's one-line summary alone. Pass it as an import's or
    sync's `progress`; close() when the work is done."""

    def __init__(self, label: str, file: TextIO | None = None) -> None:
        self.label = label
        self.file = file if file is not None else sys.stderr
        self._bar: Any = None

    def start(self, total: int | None) -> None:
        self.close()
        if total and self.file.isatty():
            self._bar = click.progressbar(length=total, label=self.label, show_eta=True, show_pos=True,
                                          file=self.file)
            self._bar.__enter__()

    def advance(self, n: int = 1) -> None:
        if self._bar is not None:
            self._bar.update(n)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
            self._bar = None
