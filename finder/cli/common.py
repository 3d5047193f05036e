"""What every command shares: one-line failures, the schema check before touching data, statistics after a load."""
from __future__ import annotations

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
