"""Flask command for personal calendar lists: prune-calendar-lists (delete expired lists; run it daily from cron)."""
from __future__ import annotations


import click
from flask import current_app
from flask.cli import with_appcontext

from finder.clock import utcnow
from finder import db
from finder.calendars import personal
from finder.cli.common import require_current_schema


@click.command("prune-calendar-lists")
@with_appcontext
def prune_calendar_lists_command() -> None:
    """Delete personal calendar lists unused for a year (their feeds already answer 410 Gone)."""
    require_current_schema()
    session = db.session_factory(current_app)()
    try:
        deleted = personal.prune_expired(session, utcnow())
        session.commit()
    finally:
        session.close()
    click.echo(f"deleted {deleted} expired calendar list(s)")
