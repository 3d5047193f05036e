"""Printed meeting lists: the booklet an NA area hands out, made from live data as a PDF.

finder.core.print_options (what the reader asked for, from the URL) -> service (the one search and the service-body
tree choose the meetings; the PDF is cached by data version) -> finder.core.print_listing (pure: entries by day or
city, the legend, the marks) -> words (the list's words in its languages, from the site's catalog) -> pdf (our
templates through WeasyPrint, a long list in parts by engine's helper processes, pages composed onto sheets with
pikepdf) -> views (the options page and the PDF). This module holds the links other areas give to a printed list.
"""
from __future__ import annotations

from typing import Any

from flask import url_for

from finder.printing.service import list_args


def print_url(args: Any) -> str:
    """The options page for the list a results page (or any page with search parameters) shows."""
    grouped: dict[str, Any] = {}  # url_for's own keywords are typed; ours are lists
    for name, value in list_args(args):
        grouped.setdefault(name, []).append(value)
    return url_for("printing.options_page", **grouped)


def link_header(body_id: int) -> str:
    """A `Link` header naming a service body's printed list, for its feeds (JSON and calendar)."""
    return f'<{url_for("printing.list_pdf", body=body_id)}>; rel="alternate"; type="application/pdf"; ' \
           f'title="Printed meeting list"'
