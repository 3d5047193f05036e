"""The explanation pages under /learn/: an index and one page per topic from finder.learn.content."""
from __future__ import annotations

from flask import Blueprint, abort, render_template, request

from finder.learn import content, crisis_lines

bp = Blueprint("learn", __name__, url_prefix="/learn")


@bp.get("/")
def index() -> str:
    """Every explanation page, under the index headings, most urgent first."""
    sections = [(section, content.section_pages(section)) for section in content.SECTIONS]
    return render_template("learn/index.html", sections=sections)


@bp.get("/<slug>")
def page(slug: str) -> str:
    """One explanation page; 404 for a slug that is not in the registry."""
    found = content.get_page(slug)
    if found is None:
        abort(404)
    return render_template(
        found.template,
        page=found,
        related=content.related_pages(found),
        sources=content.page_sources(found),
        format_groups=content.FORMAT_GROUPS,
        format_anchor=content.format_anchor,
        # The crisis bar's "More help" says which country's numbers to put first.
        crisis_country=_country(request.args.get("country")),
    )


def _country(value: str | None) -> str | None:
    """A country code of the crisis table, or None (anything else is ignored, never echoed)."""
    code = (value or "").strip().upper()[:2]
    return code if code in crisis_lines.countries() or code in crisis_lines.EU_MEMBERS else None
