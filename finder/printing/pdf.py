"""The PDF of a printed list: our templates through WeasyPrint, pages composed onto sheets with pikepdf.

WeasyPrint lays the list out in one narrow column, page after page of column height; pikepdf then places those
column pages side by side on the reader's pages (as form XObjects: no content is copied or re-parsed), adds
each page's running footer, and imposes the pages on sheets for a booklet or pocket size. WeasyPrint's own
multi-column layout cost 1.5 to 2 times as much as one column for a 500-meeting list (BENCHMARKS.md,
"Printed lists"), and imposition needs the composing step anyway.

A long list is laid out in parts, one per process (finder.printing.engine): the parts are cut between day (or
city) groups, so each starts at the top of a column under its own heading, and the composer fills columns and
pages from all parts in order. Page numbers, the footers and the booklet order come after, from the whole.

Nothing is fetched: the only resources are data: URIs (QR codes) and the system's fonts.
"""
from __future__ import annotations

import datetime as dt
import functools
import io
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pikepdf
import segno

from flask_babel import force_locale

from finder.core.print_listing import Entry, Group, Listing, Section
from finder.core.print_options import COLUMN_GAP, Geometry, PrintOptions, geometry
from finder.printing import engine, words

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

    titles: dict[str, tuple[str, str]]  # language -> (title, subtitle), for each of the list's languages
    helpline: str
    live_url: str
    printed: dt.date  # the day it is printed, in the list's zone
    site_name: str
    zone: str  # the zone every time is printed in
    crisis_lines: tuple[Any, ...]  # finder.learn.crisis_lines rows for the list's country

    @property
    def title(self) -> str:
        """The title in the list's first language."""
        return next(iter(self.titles.values()))[0]

    @property
    def subtitle(self) -> str:
        return next(iter(self.titles.values()))[1]


@dataclass(frozen=True)
class Layout:
    type_size: float
    columns: int


# Lists with fewer weekly times than this are laid out in one process: starting the parts costs more than it saves.
PARALLEL_MIN_ENTRIES = 150
# What the pages around the list weigh, in printed lines, when a list is cut into parts of equal work.
_FRONT_WEIGHT, _BACK_WEIGHT, _HEADING_WEIGHT = 40, 30, 2


@dataclass(frozen=True)
class Chunk:
    """What one part of a list holds: pieces of sections (the section, some of its groups, and whether the
    section starts here), and whether the front or back pages are in it."""

    pieces: tuple[tuple[Section, tuple[Group, ...], bool], ...]
    front: bool
    back: bool


@functools.lru_cache(maxsize=4096)
def qr_data_uri(url: str, scale: int = 4) -> str:
    """A QR code for `url` as a PNG data: URI, error correction M, a four-module quiet zone (the standard's)."""
    return segno.make(url, error="m", micro=False).png_data_uri(scale=scale, border=4)


def render_pdf(listing: Listing, front: FrontMatter, options: PrintOptions, render: Render,
               processes: int = 1) -> bytes:
    """The list as PDF bytes, fitted to `options.max_pages` when set; raises CannotFit when it cannot be.
    A long list is laid out in up to `processes` parts at once."""
    geo = geometry(options)
    if listing.empty:
        # One page that says so, with the crisis numbers: never a booklet of blank pages.
        flat = PrintOptions(paper=options.paper, large=options.large, columns=1, language=options.language,
                            second_language=options.second_language, zone=options.zone)
        flat_geo = geometry(flat)
        sources = _layout_pdf(listing, front, flat, flat_geo, Layout(flat.type_size, 1), render, 1)
        return _compose(sources, front, flat, flat_geo, Layout(flat.type_size, 1), render)
    wanted = Layout(options.type_size, options.columns)
    if options.max_pages is None:
        sources = _layout_pdf(listing, front, options, geo, wanted, render, processes)
        return _compose(sources, front, options, geo, wanted, render)
    layout, sources = _fit(listing, front, options, geo, render, processes)
    return _compose(sources, front, options, geo, layout, render)


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
         render: Render, processes: int) -> tuple[Layout, list[bytes]]:
    """The first candidate layout whose PDF fits the budget. The page count of one rendering predicts the
    next try (pages scale with type size squared), so a fit is usually found in two or three renderings."""
    budget = options.max_pages or 0
    candidates = candidate_layouts(options, geo)
    index = 0
    while True:
        layout = candidates[index]
        sources = _layout_pdf(listing, front, options, geo, layout, render, processes)
        sheets = _sheet_count(sources, options, geo, layout)
        if sheets <= budget:
            return layout, sources
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
                render: Render, processes: int) -> list[bytes]:
    """Front pages (page wide), column pages (column wide) and the back page, each of content height: one PDF
    per part of the list, in order."""
    column_width = geo.column_width(layout.columns)
    parts = processes if processes > 1 and len(listing.entries) >= PARALLEL_MIN_ENTRIES else 1
    said = words.all_words(options.languages, listing, front.titles, front.printed)
    with force_locale(options.language):  # the list itself (headings, times, notices) speaks the first language
        htmls = [
            render(
                "printing/list.html", listing=listing, chunk=chunk, front=front, options=options, w=said[0],
                ws=said, text=said[0].text, layout=layout, geo=geo, column_width=column_width, qr=qr_data_uri,
                crisis_lines=front.crisis_lines, **words.template_helpers(),
            )
            for chunk in split(listing, parts)
        ]
    return engine.layout_all(htmls, processes)


def _entry_weight(entry: Entry) -> int:
    """About how many lines an entry prints: its layout time follows."""
    return (3 + 2 * bool(entry.join_url) + bool(entry.phone) + bool(entry.place_notes) + len(entry.notices)
            + entry.temporarily_closed)


def split(listing: Listing, parts: int) -> list[Chunk]:
    """The list cut into at most `parts` chunks of about equal work, between groups (a day or a city), in order:
    the front pages open the first, the back page closes the last."""
    units = [(s, g, _HEADING_WEIGHT + sum(_entry_weight(e) for e in group.entries))
             for s, section in enumerate(listing.sections) for g, group in enumerate(section.groups)]
    cuts: list[int] = []  # unit indexes where a new chunk starts
    if parts > 1 and len(units) > 1:
        total = _FRONT_WEIGHT + sum(w for _, _, w in units) + _BACK_WEIGHT
        done = _FRONT_WEIGHT
        k = 1
        for index, (_, _, weight) in enumerate(units):
            if index and k < parts:
                target = total * k / parts
                # Cut before this unit when that is nearer the target than cutting after it.
                if done + weight > target and abs(done - target) <= abs(done + weight - target):
                    cuts.append(index)
                    k += 1
            done += weight
    bounds = [0, *cuts, len(units)]
    chunks = []
    for n, (start, end) in enumerate(zip(bounds, bounds[1:])):
        pieces: list[tuple[Section, tuple[Group, ...], bool]] = []
        for s, g, _ in units[start:end]:
            section = listing.sections[s]
            if pieces and pieces[-1][0] is section:
                pieces[-1] = (section, (*pieces[-1][1], section.groups[g]), pieces[-1][2])
            else:
                pieces.append((section, (section.groups[g],), g == 0))
        chunks.append(Chunk(pieces=tuple(pieces), front=n == 0, back=n == len(bounds) - 2))
    return chunks


# --- composing pages and sheets: pikepdf --------------------------------------------------------------------------


def _page_slots(pages: list[pikepdf.Page], geo: Geometry, layout: Layout) -> list[list[int]]:
    """Source pages grouped into the reader's pages: a page-wide source page alone, column pages by `columns`
    (a new group whenever a page-wide page comes between)."""
    slots: list[list[int]] = []
    filling = False
    for index, page in enumerate(pages):
        box = page.mediabox
        width = float(box[2]) - float(box[0])
        is_column = layout.columns > 1 and abs(width - geo.column_width(layout.columns)) < _SIZE_SLACK
        if is_column and filling and len(slots[-1]) < layout.columns:
            slots[-1].append(index)
        else:
            slots.append([index])
        filling = is_column
    return slots


def _sheet_count(sources: list[bytes], options: PrintOptions, geo: Geometry, layout: Layout) -> int:
    opened = [pikepdf.open(io.BytesIO(source)) for source in sources]
    try:
        pages = len(_page_slots([page for pdf in opened for page in pdf.pages], geo, layout))
    finally:
        for pdf in opened:
            pdf.close()
    return sheet_sides(pages, options)


def sheet_sides(pages: int, options: PrintOptions) -> int:
    """Printed pages (sheet sides) for `pages` reader's pages: what an area pays for."""
    if options.booklet:
        return 2 * math.ceil(pages / 4)  # two pages a side; pages padded to whole folded sheets
    if options.pocket:
        return math.ceil(pages / 4)
    return pages


def _compose(sources: list[bytes], front: FrontMatter, options: PrintOptions, geo: Geometry, layout: Layout,
             render: Render) -> bytes:
    opened = [pikepdf.open(io.BytesIO(source)) for source in sources]
    try:
        source_pages = [page for pdf in opened for page in pdf.pages]
        slots = _page_slots(source_pages, geo, layout)
        with force_locale(options.language):
            frames_html = render("printing/frames.html", pages=len(slots), front=front, geo=geo, options=options,
                                 zone=front.zone, text=words.text(), printed_on=words.long_date(front.printed))
        frames = pikepdf.open(io.BytesIO(engine.layout(frames_html)))
        pages = pikepdf.new()
        bottom = geo.margin + geo.footer
        for number, slot in enumerate(slots):
            pages.pages.append(frames.pages[number])
            target = pages.pages[-1]
            for k, index in enumerate(slot):
                page = source_pages[index]
                width, height = _size(page)
                x = geo.margin + k * (geo.column_width(layout.columns) + COLUMN_GAP)
                target.add_overlay(_form(page), pikepdf.Rectangle(x, bottom, x + width, bottom + height))
        sheets = _impose(pages, options, geo) if (options.booklet or options.pocket) and len(slots) > 1 else pages
        out = io.BytesIO()
        sheets.save(out, compress_streams=True)
        frames.close()
        return out.getvalue()
    finally:
        for pdf in opened:
            pdf.close()


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
