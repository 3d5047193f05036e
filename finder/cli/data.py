"""Flask commands that move data in and out: the importers (one transaction each) and the CSV export."""
from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from finder.clock import utcnow
from finder import db
from finder.imports import exports
from finder.cli.common import TerminalProgress, refresh_statistics, require_current_schema
from finder.imports import FatalImportError, ImportReport, bmlt, csv_centers, csv_counselors, csv_meetings
from finder.imports import meeting_guide, samhsa, writer
from finder.imports.report import Progress

dry_run_option = click.option("--dry-run", is_flag=True, help="Check and report, then roll back: nothing is saved.")
SHOW_REJECTED = 50


def run_import(work: Callable[[Session, dt.datetime, int, writer.Resolver, Progress], ImportReport], *,
               dry_run: bool) -> ImportReport:
    """Run one import in one transaction: commit when it finishes, roll back on a fatal error or a dry run.
    On a terminal a progress bar shows rows done and time left; the summary line is printed either way."""
    require_current_schema()
    session = db.session_factory(current_app)()
    progress = TerminalProgress("rows")
    try:
        report = work(session, utcnow(), current_app.config["IMPORT_MAX_BYTES"],
                      writer.resolver_for_app(current_app), progress)
        progress.close()
        if dry_run:
            session.rollback()
        else:
            session.commit()
    except FatalImportError as exc:
        session.rollback()
        raise click.ClickException(f"nothing was imported: {exc}") from None
    except SQLAlchemyError as exc:
        session.rollback()
        raise click.ClickException(f"nothing was imported, the database refused a row: {exc.__class__.__name__}") \
            from None
    finally:
        progress.close()
        session.close()
    if not dry_run:
        refresh_statistics()
    _print(report, dry_run)
    return report


def _print(report: ImportReport, dry_run: bool) -> None:
    click.echo(report.summary() + (" (dry run: nothing saved)" if dry_run else ""))
    for row in report.rejected[:SHOW_REJECTED]:
        click.echo(f"  rejected row {row.row} {row.key!r}: {'; '.join(row.reasons)}", err=True)
    if len(report.rejected) > SHOW_REJECTED:
        click.echo(f"  ... and {len(report.rejected) - SHOW_REJECTED} more rejected rows", err=True)
    for row in [r for r in report.rows if r.outcome != "rejected" and r.reasons][:SHOW_REJECTED]:
        click.echo(f"  note on row {row.row} {row.key!r}: {'; '.join(row.reasons)}", err=True)


@click.command("import-meeting-guide")
@click.argument("source")
@dry_run_option
@with_appcontext
def import_meeting_guide_command(source: str, dry_run: bool) -> None:
    """Import a Meeting Guide JSON feed from a FILE or an http(s) URL."""
    run_import(lambda s, now, cap, res, bar: meeting_guide.import_feed(s, source, now=now, max_bytes=cap,
                                                                       resolver=res, progress=bar), dry_run=dry_run)


@click.command("import-bmlt")
@click.option("--results", required=True, help="GetSearchResults JSON (file or URL).")
@click.option("--formats", "formats_file", required=True, help="GetFormats JSON (file or URL).")
@click.option("--service-bodies", required=True, help="GetServiceBodies JSON (file or URL).")
@dry_run_option
@with_appcontext
def import_bmlt_command(results: str, formats_file: str, service_bodies: str, dry_run: bool) -> None:
    """Import a BMLT server's meetings, formats and service bodies."""
    run_import(lambda s, now, cap, res, bar: bmlt.import_server(
        s, results=results, formats=formats_file, service_bodies=service_bodies, now=now, max_bytes=cap,
        resolver=res, progress=bar,
    ), dry_run=dry_run)


@click.command("import-samhsa")
@click.argument("source")
@dry_run_option
@with_appcontext
def import_samhsa_command(source: str, dry_run: bool) -> None:
    """Import treatment centers from a SAMHSA locator export (JSON)."""
    run_import(lambda s, now, cap, res, bar: samhsa.import_export(s, source, now=now, max_bytes=cap, resolver=res,
                                                                  progress=bar), dry_run=dry_run)


def _csv_command(name: str, module: Any, what: str) -> click.Command:
    @click.command(name, help=f"Import {what} from our CSV format (see docs/IMPORTS.md).")
    @click.argument("source")
    @dry_run_option
    @with_appcontext
    def command(source: str, dry_run: bool) -> None:
        run_import(lambda s, now, cap, res, bar: module.import_csv(s, source, now=now, max_bytes=cap, resolver=res,
                                                                   progress=bar), dry_run=dry_run)

    return command


import_csv_meetings_command = _csv_command("import-csv-meetings", csv_meetings, "meetings")
import_csv_counselors_command = _csv_command("import-csv-counselors", csv_counselors, "counselors")
import_csv_centers_command = _csv_command("import-csv-centers", csv_centers, "treatment centers")


@click.command("export-csv")
@click.argument("kind", type=click.Choice(exports.KINDS))
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), help="File to write (default stdout).")
@with_appcontext
def export_csv_command(kind: str, output: str | None) -> None:
    """Export every meeting, treatment center or counselor as CSV (includes private contact fields)."""
    require_current_schema()
    session = db.session_factory(current_app)()
    try:
        text = exports.export_csv(session, kind)
    finally:
        session.close()
    if output:
        with open(output, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        click.echo(f"wrote {text.count(chr(10)) - 1} {kind} rows to {output}", err=True)
    else:
        sys.stdout.write(text)


COMMANDS = (
    import_meeting_guide_command, import_bmlt_command, import_samhsa_command, import_csv_meetings_command,
    import_csv_counselors_command, import_csv_centers_command, export_csv_command,
)


def init_app(app: Flask) -> None:
    for command in COMMANDS:
        app.cli.add_command(command)
