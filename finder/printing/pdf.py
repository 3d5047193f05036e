"""The PDF of a printed list: our templates through WeasyPrint, pages composed onto sheets with pikepdf.

WeasyPrint lays the list out in one narrow column, page after page of column height; pikepdf then places those
column pages side by side on the reader's pages (as form XObjects: no content is copied or re-parsed), adds
each page's running footer, and imposes the pages on sheets for a booklet or pocket size. WeasyPrint's own
multi-column layout cost 1.5 to 2 times as much as one column for a 500-meeting list (BENCHMARKS.md,
"Printed lists"), and imposition needs the composing step anyway.

Nothing is fetched: the only resources are data: URIs (QR codes) and the system's fonts.
"""
from __future__ import annotations

import functools
import io
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pikepdf
import segno
from weasyprint import HTML
from weasyprint.urls import URLFetcher

from finder.core.print_listing import TEXT, Listing
from finder.core.print_options import COLUMN_GAP, Geometry, PrintOptions, geometry
from finder.learn.content import FIRST_MEETING_SHORT

Render = Callable[..., str]  # render(template_name, **context) -> HTML

# The type sizes a page budget may try, largest first, down to the options' smallest readable size.
_TYPE_STEP = 0.5
# Front and back pages are as wide as the page; list pages as wide as a column. Sizes compare within this.
_SIZE_SLACK = 0.5


class CannotFit(Exception):
    """The list does not fit the page budget even in the smallest readable type and the most columns."""

    def __init__(self, budget: int, needed: int) -> None:
        super().__init__(f"needs {needed} pages, more than {budget}")
        self.budget = budget
        self.needed = needed


@dataclass(frozen=True)
class FrontMatter:
    """What the first and last pages say around the list."""

    title: str
    subtitle: str
    helpline: str
    live_url: str
    printed_on: str  # a date in words
    site_name: str
    zone: str  # the zone every time is printed in
    crisis_lines: tuple[Any, ...]  # finder.learn.crisis_lines rows for the list's country


@dataclass(frozen=True)
class Layout:
    type_size: float
    columns: int


def _fetcher() -> URLFetcher:
    # data: URIs only (our QR codes): a list never loads anything from the network or the disk.
    return URLFetcher(allowed_protocols={"data"}, fail_on_errors=True)


@functools.lru_cache(maxsize=4096)
def qr_data_uri(url: str, scale: int = 4) -> str:
    """A QR code for `url` as a PNG data: URI, error correction M, a four-module quiet zone (the standard's)."""
    return segno.make(url, error="m", micro=False).png_data_uri(scale=scale, border=4)


def render_pdf(listing: Listing, front: FrontMatter, options: PrintOptions, render: Render) -> bytes:
    """The list as PDF bytes, fitted to `options.max_pages` when set; raises CannotFit when it cannot be."""
    geo = geometry(options)
    if listing.empty:
        # One page that says so, with the crisis numbers: never a booklet of blank pages.
        flat = PrintOptions(paper=options.paper, large=options.large, columns=1, language=options.language,
                            second_language=options.second_language, zone=options.zone)
        flat_geo = geometry(flat)
        source = _layout_pdf(listing, front, flat, flat_geo, Layout(flat.type_size, 1), render)
        return _compose(source, front, flat, flat_geo, Layout(flat.type_size, 1), render)
    wanted = Layout(options.type_size, options.columns)
    if options.max_pages is None:
        source = _layout_pdf(listing, front, options, geo, wanted, render)
        return _compose(source, front, options, geo, wanted, render)
    layout, source = _fit(listing, front, options, geo, render)
    return _compose(source, front, options, geo, layout, render)


# --- fitting a page budget --------------------------------------------------------------------------------------


def candidate_layouts(options: PrintOptions, geo: Geometry) -> list[Layout]:
    """Layouts from the one asked for to the densest readable one: type shrinks in half points to the options'
    smallest size and columns grow while a column stays MIN_COLUMN_EMS wide; ordered by how much they hold."""
    layouts = []
    size = options.type_size
    while size >= options.min_type_size - 1e-9:
        for columns in range(options.columns, geo.max_columns(size) + 1):
            layouts.append(Layout(size, columns))
        size = round(size - _TYPE_STEP, 2)
    return sorted(set(layouts), key=lambda layout: (-layout.type_size, layout.columns))


def _room(layout: Layout) -> float:
    """How much paper a layout takes for the same text, relative: about the square of the type size (line
    height times characters per line). More columns of the same type take about the same paper."""
    return layout.type_size * layout.type_size


def _fit(listing: Listing, front: FrontMatter, options: PrintOptions, geo: Geometry,
         render: Render) -> tuple[Layout, bytes]:
    """The first candidate layout whose PDF fits the budget. The page count of one rendering predicts the
    next try (pages scale with type size squared), so a fit is usually found in two or three renderings."""
    budget = options.max_pages or 0
    candidates = candidate_layouts(options, geo)
    index = 0
    tried: dict[int, tuple[int, bytes]] = {}
    while True:
        layout = candidates[index]
        source = _layout_pdf(listing, front, options, geo, layout, render)
        sheets = _sheet_count(source, options, geo, layout)
        tried[index] = (sheets, source)
        if sheets <= budget:
            return layout, source
        if index == len(candidates) - 1:
            raise CannotFit(budget, sheets)
        # Jump to the first layout predicted to fit; at least one step further.
        wanted_ratio = budget / sheets
        next_index = index + 1
        for j in range(index + 1, len(candidates)):
            ratio = _room(candidates[j]) / _room(layout)
            next_index = j
            if ratio <= wanted_ratio:
                break
        index = next_index


# --- the layout pass: WeasyPrint ----------------------------------------------------------------------------------


def _layout_pdf(listing: Listing, front: FrontMatter, options: PrintOptions, geo: Geometry, layout: Layout,
                render: Render) -> bytes:
    """Front pages (page wide), column pages (column wide) and the back page, each of content height."""
    column_width = geo.column_width(layout.columns)
    html = render(
        "printing/list.html", listing=listing, front=front, options=options, text=TEXT[options.language],
        texts=[TEXT[language] for language in options.languages], layout=layout, geo=geo,
        column_width=column_width, qr=qr_data_uri, crisis_lines=front.crisis_lines, first_meeting=FIRST_MEETING_SHORT,
    )
    return HTML(string=html, url_fetcher=_fetcher()).write_pdf()


# --- composing pages and sheets: pikepdf --------------------------------------------------------------------------


def _page_slots(source: pikepdf.Pdf, geo: Geometry, layout: Layout) -> list[list[int]]:
    """Source pages grouped into the reader's pages: a page-wide source page alone, column pages by `columns`
    (a new group whenever a page-wide page comes between)."""
    slots: list[list[int]] = []
    filling = False
    for index, page in enumerate(source.pages):
        box = page.mediabox
        width = float(box[2]) - float(box[0])
        is_column = layout.columns > 1 and abs(width - geo.column_width(layout.columns)) < _SIZE_SLACK
        if is_column and filling and len(slots[-1]) < layout.columns:
            slots[-1].append(index)
        else:
            slots.append([index])
        filling = is_column
    return slots


def _sheet_count(source_bytes: bytes, options: PrintOptions, geo: Geometry, layout: Layout) -> int:
    with pikepdf.open(io.BytesIO(source_bytes)) as source:
        pages = len(_page_slots(source, geo, layout))
    return sheet_sides(pages, options)


def sheet_sides(pages: int, options: PrintOptions) -> int:
    """Printed pages (sheet sides) for `pages` reader's pages: what an area pays for."""
    if options.booklet:
        return 2 * math.ceil(pages / 4)  # two pages a side; pages padded to whole folded sheets
    if options.pocket:
        return math.ceil(pages / 4)
    return pages


def _compose(source_bytes: bytes, front: FrontMatter, options: PrintOptions, geo: Geometry, layout: Layout,
             render: Render) -> bytes:
    with pikepdf.open(io.BytesIO(source_bytes)) as source:
        slots = _page_slots(source, geo, layout)
        frames_html = render("printing/frames.html", pages=len(slots), front=front, geo=geo, options=options,
                             zone=front.zone, text=TEXT[options.language])
        frames = pikepdf.open(io.BytesIO(HTML(string=frames_html, url_fetcher=_fetcher()).write_pdf()))
        pages = pikepdf.new()
        bottom = geo.margin + geo.footer
        for number, slot in enumerate(slots):
            pages.pages.append(frames.pages[number])
            target = pages.pages[-1]
            for k, index in enumerate(slot):
                page = source.pages[index]
                width, height = _size(page)
                x = geo.margin + k * (geo.column_width(layout.columns) + COLUMN_GAP)
                target.add_overlay(_form(page), pikepdf.Rectangle(x, bottom, x + width, bottom + height))
        sheets = _impose(pages, options, geo) if (options.booklet or options.pocket) and len(slots) > 1 else pages
        out = io.BytesIO()
        sheets.save(out, compress_streams=True)
        frames.close()
        return out.getvalue()


def _form(page: pikepdf.Page) -> pikepdf.Object:
    """A page as a form XObject that shares the page's resources instead of copying them.

    WeasyPrint gives every page one resource dictionary naming all the document's fonts and images; a form made
    by pikepdf holds its own copy of it, so a list's PDF grew with pages times images (45 MB for 5,000 meetings,
    BENCHMARKS.md). Kept indirect, it is copied into the result once.
    """
    form = page.as_form_xobject()
    resources = page.obj.get("/Resources")
    if resources is not None and resources.is_indirect:
        form.Resources = resources
    return form


def _size(page: pikepdf.Page) -> tuple[float, float]:
    box = page.mediabox
    return float(box[2]) - float(box[0]), float(box[3]) - float(box[1])


def booklet_order(pages: int) -> list[tuple[int | None, int | None]]:
    """Saddle-stitch order: for each sheet side, (left, right) reader's page indexes (None = blank), sheet by
    sheet, front side then back. Blank pages pad to whole sheets before the last page, so the back page stays
    the back cover."""
    padded = math.ceil(pages / 4) * 4
    order: list[int | None] = list(range(pages - 1)) + [None] * (padded - pages) + [pages - 1]
    sides = []
    for sheet in range(padded // 4):
        sides.append((order[padded - 1 - 2 * sheet], order[2 * sheet]))
        sides.append((order[2 * sheet + 1], order[padded - 2 - 2 * sheet]))
    return sides


def _impose(pages: pikepdf.Pdf, options: PrintOptions, geo: Geometry) -> pikepdf.Pdf:
    """Reader's pages onto sheets: a booklet two to a side in folding order; pocket pages four to a sheet to cut
    in quarters, or, as a pocket booklet, each folded spread twice a side (cut the sheets in half: two booklets)."""
    sheets = pikepdf.new()
    page_w, page_h = geo.page
    sheet_w, sheet_h = geo.sheet
    count = len(pages.pages)

    def side(placements: list[tuple[int | None, float, float]]) -> None:
        sheets.add_blank_page(page_size=(sheet_w, sheet_h))
        target = sheets.pages[-1]
        for index, x, y in placements:
            if index is not None:
                target.add_overlay(pages.pages[index], pikepdf.Rectangle(x, y, x + page_w, y + page_h))

    if options.booklet:
        rows = (sheet_h / 2, 0.0) if options.pocket else (0.0,)
        for left, right in booklet_order(count):
            side([(i, x, y) for y in rows for i, x in ((left, 0.0), (right, page_w))])
    else:
        for first in range(0, count, 4):
            quarter = [first + k if first + k < count else None for k in range(4)]
            side([(quarter[0], 0.0, page_h), (quarter[1], page_w, page_h),
                  (quarter[2], 0.0, 0.0), (quarter[3], page_w, 0.0)])
    return sheets
