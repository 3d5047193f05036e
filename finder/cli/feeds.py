"""Commands that read other sites' feeds: check a Meeting Guide feed, keep meetings in step with a BMLT server or
a Meeting Guide feed (from cron or a systemd timer: one transaction per run, one summary line)."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from finder.clock import utcnow
from finder import db, outbound
from finder.cli.common import TerminalProgress, first_line, refresh_statistics, require_current_schema
from finder.core import feed_check, meeting_guide as mapping
from finder.imports import FatalImportError, sync, writer
from finder.imports.report import parse_json, read_bytes

SHOW_PROBLEMS = 100
SHOW_REJECTED = 50
SEVERITY_ORDER = {severity: n for n, severity in enumerate(feed_check.SEVERITIES)}


@click.command("feed-check")
@click.argument("source")
@click.option("--all", "show_all", is_flag=True, help=f"List every problem, not only the first {SHOW_PROBLEMS}.")
@with_appcontext
def feed_check_command(source: str, show_all: bool) -> None:
    """Read a Meeting Guide feed (a FILE or an http(s) URL, ours or another site's) by the strictest readers'
    rules and list each problem by record and field. Exits 1 when a reader would drop records."""
    try:
        data = parse_json(read_bytes(source, max_bytes=current_app.config["IMPORT_MAX_BYTES"]), "the feed")
    except FatalImportError as exc:
        raise click.ClickException(f"readers load nothing from this feed: {exc}") from None
    result = feed_check.check_feed(data, conference_hosts=mapping.KNOWN_CONFERENCE_HOSTS,
                                   known_types=mapping.MG_SPEC_TYPES)
    problems = sorted(result.problems, key=lambda p: (SEVERITY_ORDER[p.severity], p.record))
    shown = problems if show_all else problems[:SHOW_PROBLEMS]
    for problem in shown:
        click.echo(problem.line())
    if len(problems) > len(shown):
        click.echo(f"... and {len(problems) - len(shown)} more problems (--all lists them)")
    click.echo(result.summary())
    if not result.ok:
        raise SystemExit(1)


def _run_sync(kind: str, url: str, scope: tuple[int, ...], dry_run: bool,
              read: Callable[[sync.Fetch], sync.Snapshot]) -> None:
    """Fetch, then apply in one transaction; a failure changes nothing and is noted on the source for admins."""
    require_current_schema()
    fetch = sync.url_fetch(outbound.get_fetcher(current_app), max_bytes=current_app.config["IMPORT_MAX_BYTES"])
    now = utcnow()
    session = db.session_factory(current_app)()
    progress = TerminalProgress("meetings")
    try:
        try:
            snapshot = read(fetch)
            source = sync.source_row(session, kind, snapshot.url, scope)
            report = sync.apply(session, snapshot, source, now=now, resolver=writer.resolver_for_app(current_app),
                                progress=progress)
            progress.close()
        except (FatalImportError, SQLAlchemyError) as exc:
            session.rollback()
            reason = str(exc) if isinstance(exc, FatalImportError) else \
                f"the database refused a change: {first_line(exc)}"
            if not dry_run:
                _note_failure(session, kind, url, scope, now, reason)
            raise click.ClickException(f"nothing was changed: {reason}") from None
        if dry_run:
            session.rollback()
        else:
            session.commit()
    finally:
        progress.close()
        session.close()
    if not dry_run and (report.added or report.updated or report.of("unpublished")):
        refresh_statistics()
    click.echo(report.summary() + (" (dry run: nothing saved)" if dry_run else ""))
    for row in report.rejected[:SHOW_REJECTED]:
        click.echo(f"  rejected row {row.row} {row.key!r}: {'; '.join(row.reasons)}", err=True)
    if len(report.rejected) > SHOW_REJECTED:
        click.echo(f"  ... and {len(report.rejected) - SHOW_REJECTED} more rejected rows", err=True)


def _note_failure(session: Session, kind: str, url: str, scope: tuple[int, ...], now: dt.datetime,
                  reason: str) -> None:
    """Record the failed run on its source (its own small transaction: the sync's was rolled back)."""
    try:
        normalized = sync.bmlt_root(url) if kind == "bmlt" else url
        sync.record_run(sync.source_row(session, kind, normalized, scope), now, error=reason)
        session.commit()
    except (FatalImportError, SQLAlchemyError):
        session.rollback()  # a URL too broken to name a source, or the database itself is down


dry_run_option = click.option("--dry-run", is_flag=True, help="Fetch, compare and report, then roll back.")


@click.command("sync-bmlt")
@click.option("--root", "root", required=True, help="The root server, e.g. https://bmlt.example.org/main_server")
@click.option("--service-body", "service_bodies", multiple=True, type=click.IntRange(min=1),
              help="A service body id on that server (repeatable); the bodies below it come too. Default: all.")
@dry_run_option
@with_appcontext
def sync_bmlt_command(root: str, service_bodies: tuple[int, ...], dry_run: bool) -> None:
    """Bring our meetings in step with a BMLT root server: add new ones, update changed ones, unpublish the ones
    it no longer lists; nothing else is touched."""
    scope = tuple(sorted(set(service_bodies)))
    _run_sync("bmlt", root, scope, dry_run, lambda fetch: sync.fetch_bmlt(fetch, root, scope))


@click.command("sync-meeting-guide")
@click.argument("url")
@dry_run_option
@with_appcontext
def sync_meeting_guide_command(url: str, dry_run: bool) -> None:
    """Bring our meetings in step with a Meeting Guide feed (array days and per-day records accepted)."""
    _run_sync("meeting_guide", url, (), dry_run, lambda fetch: sync.fetch_meeting_guide(fetch, url))


COMMANDS = (feed_check_command, sync_bmlt_command, sync_meeting_guide_command)


def init_app(app: Flask) -> None:
    for command in COMMANDS:
        app.cli.add_command(command)
