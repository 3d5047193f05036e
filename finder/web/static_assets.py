"""Fingerprinted static URLs (name.<hash>.ext) served with far-future caching; plain names revalidate."""
from __future__ import annotations

import hashlib
import os
import re
import threading
from typing import Any

from flask import Flask, Response, current_app, send_from_directory
from werkzeug.exceptions import NotFound

HASH_LENGTH = 12
FAR_FUTURE = "public, max-age=31536000, immutable"
REVALIDATE = "public, max-age=0, must-revalidate"
_FINGERPRINT = re.compile(r"^(?P<stem>.+)\.(?P<digest>[0-9a-f]{%d})(?P<ext>\.[A-Za-z0-9]+)$" % HASH_LENGTH)

_lock = threading.Lock()
_digests: dict[str, tuple[float, int, str]] = {}


def content_hash(path: str) -> str | None:
    """The first HASH_LENGTH hex digits of the file's SHA-256, re-read only when its mtime or size changes."""
    try:
        stat = os.stat(path)
    except OSError:
        return None
    with _lock:
        cached = _digests.get(path)
    if cached and cached[0] == stat.st_mtime and cached[1] == stat.st_size:
        return cached[2]
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(65536), b""):
            digest.update(block)
    value = digest.hexdigest()[:HASH_LENGTH]
    with _lock:
        _digests[path] = (stat.st_mtime, stat.st_size, value)
    return value


def fingerprinted(filename: str, static_folder: str) -> str:
    """css/site.css -> css/site.<hash>.css; unchanged when the file is missing or has no extension."""
    full = os.path.join(static_folder, filename)
    stem, ext = os.path.splitext(filename)
    if not ext or not os.path.isfile(full):
        return filename
    digest = content_hash(full)
    return f"{stem}.{digest}{ext}" if digest else filename


def _add_fingerprint(endpoint: str, values: dict[str, Any]) -> None:
    """url_defaults hook: url_for('static', filename=...) yields the fingerprinted name."""
    if endpoint == "static" and "filename" in values and current_app.static_folder:
        values["filename"] = fingerprinted(values["filename"], current_app.static_folder)


def send_static(filename: str) -> Response:
    """Serve a static file by plain or fingerprinted name.

    The current fingerprint gets a year of immutable caching; a stale fingerprint (a page cached before a
    deploy) still gets the file, with revalidation, so no page loses its stylesheet mid-rollout.
    """
    folder = current_app.static_folder
    if folder is None:
        raise NotFound()
    match = _FINGERPRINT.match(filename)
    immutable = False
    if match:
        plain = match["stem"] + match["ext"]
        if os.path.isfile(os.path.join(folder, plain)):
            immutable = content_hash(os.path.join(folder, plain)) == match["digest"]
            filename = plain
    response = send_from_directory(folder, filename, max_age=0)
    response.headers["Cache-Control"] = FAR_FUTURE if immutable else REVALIDATE
    return response


def init_app(app: Flask) -> None:
    """Replace the static view and fingerprint every url_for('static', ...)."""
    if app.static_folder is None or "static" not in app.view_functions:
        return
    app.view_functions["static"] = send_static
    app.url_defaults(_add_fingerprint)
