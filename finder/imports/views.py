"""Admin upload of import files: the same importers as the CLI, one transaction, a dry run first by default."""
from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, current_app, render_template, request
from sqlalchemy.exc import SQLAlchemyError

from finder.clock import utcnow
from finder import db
from finder.admin import auth, pages
from finder.web import security
from finder.imports import FatalImportError, ImportReport, bmlt, csv_centers, csv_counselors, csv_meetings
from finder.imports import meeting_guide, samhsa, sync, writer
from finder import outbound

bp = Blueprint("imports", __name__, url_prefix="/admin/imports")

KINDS = {
    "meeting-guide": "Meeting Guide feed (JSON file or URL)",
    "bmlt": "BMLT server (GetSearchResults, GetFormats and GetServiceBodies JSON)",
    "samhsa": "SAMHSA treatment locator export (JSON)",
    "csv-meetings": "Meetings CSV",
    "csv-centers": "Treatment centers CSV",
    "csv-counselors": "Counselors CSV",
}


class UploadError(ValueError):
    """The form cannot be used as sent; the message says what to fix."""


bp.context_processor(pages.admin_globals)
bp.after_request(pages.private)


def _file(name: str, cap: int) -> bytes:
    upload = request.files.get(name)
    if upload is None or not upload.filename:
        raise UploadError(f"choose a file for {name.replace('_', ' ')}")
    data = upload.stream.read(cap + 1)
    if len(data) > cap:
        raise UploadError(f"{upload.filename} is larger than the {cap} byte limit")
    return data


def feed_url(url: str) -> str:
    """An http(s) URL to fetch; finder.outbound checks its addresses (and every redirect's) when it connects."""
    try:
        outbound.get_fetcher().check_url(url)
    except outbound.OutboundError as exc:
        raise UploadError(str(exc)) from None
    return url


def run_upload(kind: str, now: dt.datetime, *, dry_run: bool) -> ImportReport:
    """Read the form, run one importer in one transaction; commit unless a dry run."""
    cap = current_app.config["IMPORT_MAX_BYTES"]
    resolver = writer.resolver_for_app(current_app)
    session = db.get_session()
    try:
        if kind == "meeting-guide":
            url = (request.form.get("url") or "").strip()
            source: Any = feed_url(url) if url else _file("file", cap)
            report = meeting_guide.import_feed(session, source, now=now, resolver=resolver, max_bytes=cap,
                                               label=urlsplit(url).netloc if url else request.files["file"].filename)
        elif kind == "bmlt":
            report = bmlt.import_server(session, results=_file("results", cap), formats=_file("formats", cap),
                                        service_bodies=_file("service_bodies", cap), now=now, resolver=resolver,
                                        max_bytes=cap)
        elif kind == "samhsa":
            report = samhsa.import_export(session, _file("file", cap), now=now, resolver=resolver, max_bytes=cap)
        elif kind in ("csv-meetings", "csv-centers", "csv-counselors"):
            module = {"csv-meetings": csv_meetings, "csv-centers": csv_centers, "csv-counselors": csv_counselors}[kind]
            report = module.import_csv(session, _file("file", cap), now=now, resolver=resolver, max_bytes=cap)
        else:
            raise UploadError("choose what kind of data this is")
        if dry_run:
            session.rollback()
        else:
            session.commit()
        return report
    except BaseException:
        session.rollback()
        raise


@bp.route("/", methods=["GET", "POST"])
@security.large_body("IMPORT_MAX_BYTES", factor=3)  # up to the import cap for each of BMLT's three files
@auth.require_role("admin")
def upload() -> Any:
    """The upload form; a POST runs the import and shows its report."""
    report = error = None
    kind = request.form.get("kind", "meeting-guide")
    dry_run = request.method == "GET" or request.form.get("dry_run") == "1"
    status = 200
    if request.method == "POST":
        try:
            report = run_upload(kind, utcnow(), dry_run=dry_run)
        except (UploadError, FatalImportError) as exc:
            error, status = f"Nothing was imported: {exc}", 400
        except SQLAlchemyError as exc:
            error, status = f"Nothing was imported: the database refused a row ({exc.__class__.__name__}).", 400
    return render_template("imports/upload.html", kinds=KINDS, kind=kind, report=report, error=error,
                           dry_run=dry_run, sync_sources=sync.sources(db.get_session())), status
