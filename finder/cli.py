"""Flask commands: database upgrade and status, demo data."""
from __future__ import annotations

import datetime as dt

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from finder import db, migrate, site

db_cli = AppGroup("db", help="Database schema commands.")


def _fail(message: str) -> None:
    """Stop a command with one clear line and a non-zero exit."""
    raise click.ClickException(message)


def require_current_schema() -> None:
    """Refuse to touch data unless the schema is migrated to the head revision."""
    engine = db.engine_for(current_app)
    try:
        status = migrate.schema_status(engine)
    except OperationalError as exc:
        _fail(f"cannot reach the database ({_first_line(exc)}); check DATABASE_URL")
    if status != "current":
        _fail(f"the database schema is {status}; run `flask --app wsgi db upgrade` first")


def refresh_statistics(*, vacuum: bool = False) -> None:
    """After a committed load: refresh the planner's statistics (finder.db.refresh_statistics). The data is
    saved by then, so a failure here is a warning, not an error: autovacuum will get there later."""
    try:
        db.refresh_statistics(db.engine_for(current_app), vacuum=vacuum)
    except SQLAlchemyError as exc:
        click.echo(f"warning: the data is saved, but the planner statistics were not refreshed ({_first_line(exc)})",
                   err=True)


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", exc) or exc)
    return text.strip().splitlines()[0] if text.strip() else exc.__class__.__name__


@db_cli.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def upgrade_command(revision: str) -> None:
    """Create or update the schema (safe to re-run)."""
    try:
        migrate.upgrade(db.engine_for(current_app), revision)
    except OperationalError as exc:
        _fail(f"cannot reach the database ({_first_line(exc)}); check DATABASE_URL")
    click.echo(f"database schema at {migrate.current_revision(db.engine_for(current_app))}")


@db_cli.command("status")
def status_command() -> None:
    """Print whether the schema is current, missing or outdated."""
    try:
        click.echo(migrate.schema_status(db.engine_for(current_app)))
    except OperationalError as exc:
        _fail(f"cannot reach the database ({_first_line(exc)}); check DATABASE_URL")


@click.command("seed-demo")
@click.option("--size", default=2000, show_default=True, type=click.IntRange(min=1),
              help="How many meetings (100000 or more for benchmarks).")
@click.option("--seed", "rng_seed", default=1953, show_default=True, help="Random seed: same seed, same data.")
@click.option("--if-missing", is_flag=True, help="Do nothing (and succeed) when demo data is already loaded.")
def seed_demo_command(size: int, rng_seed: int, if_missing: bool) -> None:
    """Load the demo dataset (every record marked demo); refuses if demo data is already loaded."""
    from finder import seed

    require_current_schema()
    if if_missing and site.demo_loaded(db.engine_for(current_app)):
        click.echo("demo data already loaded")
        return
    session = db.session_factory(current_app)()
    try:
        report = seed.seed_demo(session, size=size, rng_seed=rng_seed, now=dt.datetime.now(dt.timezone.utc))
        session.commit()
    except seed.AlreadySeeded as exc:
        session.rollback()
        _fail(str(exc))
    except SQLAlchemyError as exc:
        session.rollback()
        _fail(f"seeding failed, nothing was saved: {_first_line(exc)}")
    finally:
        session.close()
    site.forget_demo_state()
    refresh_statistics(vacuum=True)
    click.echo(report)


def init_app(app: Flask) -> None:
    app.cli.add_command(db_cli)
    app.cli.add_command(seed_demo_command)
    from finder.moderation_cli import create_admin_command, send_outbox_command

    app.cli.add_command(create_admin_command)
    app.cli.add_command(send_outbox_command)
    from finder import cli_data

    cli_data.init_app(app)
