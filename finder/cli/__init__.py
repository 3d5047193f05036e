"""The command line: `flask --app wsgi <command>` (database, demo data, data in and out, syncs, accounts, outbox,
freshness, expired calendar lists)."""
from __future__ import annotations

from flask import Flask

from finder.cli import calendars, data, database, feeds, freshness, moderation


def init_app(app: Flask) -> None:
    app.cli.add_command(database.db_cli)
    app.cli.add_command(database.seed_demo_command)
    app.cli.add_command(moderation.create_admin_command)
    app.cli.add_command(moderation.send_outbox_command)
    app.cli.add_command(freshness.freshness_cli)
    app.cli.add_command(moderation.set_password_command)
    app.cli.add_command(calendars.prune_calendar_lists_command)
    data.init_app(app)
    feeds.init_app(app)
