"""Flask commands for the database: schema upgrade and status, and the demo data."""
from __future__ import annotations


import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from finder.clock import utcnow
from finder import db, migrate
from finder.cli.common import TerminalProgress, fail, first_line, refresh_statistics, require_current_schema
from finder.imports import demo
from finder.web import site

db_cli = AppGroup("db", help="Database schema commands.")


@db_cli.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def upgrade_command(revision: str) -> None:
    """Create or update the schema (safe to re-run)."""
    try:
        migrate.upgrade(db.engine_for(current_app), revision)
    except OperationalError as exc:
        fail(f"cannot reach the database ({first_line(exc)}); check DATABASE_URL")
    click.echo(f"database schema at {migrate.current_revision(db.engine_for(current_app))}")


@db_cli.command("status")
def status_command() -> None:
    """Print whether the schema is current, missing or outdated."""
    try:
        click.echo(migrate.schema_status(db.engine_for(current_app)))
    except OperationalError as exc:
        fail(f"cannot reach the database ({first_line(exc)}); check DATABASE_URL")


@click.command("seed-demo")
@click.option("--size", default=2000, show_default=True, type=click.IntRange(min=1),
              help="How many meetings (100000 or more for benchmarks).")
@click.option("--seed", "rng_seed", default=1953, show_default=True, help="Random seed: same seed, same data.")
@click.option("--if-missing", is_flag=True, help="Do nothing (and succeed) when demo data is already loaded.")
def seed_demo_command(size: int, rng_seed: int, if_missing: bool) -> None:
    """Load the demo dataset (every record marked demo); refuses if demo data is already loaded."""
    require_current_schema()
    if if_missing and site.demo_loaded(db.engine_for(current_app)):
        click.echo("demo data already loaded")
        return
    session = db.session_factory(current_app)()
    progress = TerminalProgress("demo meetings")
    try:
        report = demo.seed_demo(session, size=size, rng_seed=rng_seed, now=utcnow(),
                                progress=progress)
        progress.close()
        session.commit()
    except demo.AlreadySeeded as exc:
        session.rollback()
        fail(str(exc))
    except SQLAlchemyError as exc:
        session.rollback()
        fail(f"seeding failed, nothing was saved: {first_line(exc)}")
    finally:
        progress.close()
        session.close()
    site.forget_demo_state()
    refresh_statistics(vacuum=True)
    click.echo(report)
