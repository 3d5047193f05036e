"""Flask commands for the freshness loop, run from cron: `freshness run` daily, `freshness digest` weekly."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup
from flask.ctx import RequestContext
from sqlalchemy.exc import SQLAlchemyError

from finder import db
from finder.cli.common import first_line, require_current_schema
from finder.clock import utcnow
from finder.freshness import notices
from finder.freshness.services import Policy

freshness_cli = AppGroup("freshness", help="Re-confirm prompts, report escalations and deactivations, digests.")


def _in_site_context() -> RequestContext:
    """A request context for url_for: links in messages are PUBLIC_URL followed by the route's path
    (finder.freshness.notices), so the context's own host never shows (localhost is always a trusted host)."""
    if not current_app.config.get("PUBLIC_URL"):
        raise click.ClickException("set PUBLIC_URL (https://meetings.example.org): messages carry links to the site")
    return current_app.test_request_context("/", base_url="http://localhost")


@freshness_cli.command("run")
def run_command() -> None:
    """Send re-confirm prompts that are due, escalate and deactivate unresolved "not meeting" marks, and drop
    the reporter hashes of past windows. Safe to run as often as you like; once a day is enough."""
    require_current_schema()
    session = db.session_factory(current_app)()
    try:
        with _in_site_context():
            report = notices.run(session, policy=Policy.from_config(current_app.config), now=utcnow())
        session.commit()
    except SQLAlchemyError as exc:
        session.rollback()
        raise click.ClickException(f"nothing was changed: {first_line(exc)}") from None
    finally:
        session.close()
    for line in report.lines():
        click.echo(line)


@freshness_cli.command("digest")
def digest_command() -> None:
    """Write each moderator a digest of the open reports they may resolve (into the outbox)."""
    require_current_schema()
    session = db.session_factory(current_app)()
    try:
        with _in_site_context():
            sent = notices.queue_digests(session, now=utcnow())
        session.commit()
    except SQLAlchemyError as exc:
        session.rollback()
        raise click.ClickException(f"nothing was sent: {first_line(exc)}") from None
    finally:
        session.close()
    click.echo(f"digests written: {sent}")
