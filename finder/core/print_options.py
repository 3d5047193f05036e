"""The options of a printed list, kept in the URL: paper, columns, type size, booklet, pocket, order, page budget.

Pure: parse_options reads URL parameters into PrintOptions or raises OptionError naming the field; `params`
writes them back (only what differs from the defaults), so a link, a cache key and an ETag say the same thing.
Sizes are PostScript points (72 to the inch).
"""
from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from finder.core import schedule
from finder.core.flags import parse_flag
from finder.core.words import N_

# Sheets that go into the printer: (width, height) portrait.
PAPERS: dict[str, tuple[float, float]] = {"letter": (612.0, 792.0), "a4": (595.28, 841.89)}
ORDERS = ("day", "city")
ONLINE_PLACEMENTS = ("section", "inline")
# Languages the list's own words (front matter, legend, list headings, back page) can be printed in, as the
# site's catalogs name them (finder.web.i18n.LANGUAGES); `second_language` prints the front matter, the legend and
# the back page in two languages side by side.
LANGUAGES = ("en", "es")
MAX_COLUMNS = 3
MAX_PAGE_BUDGET = 500
# Type sizes (points): the size asked for, and the smallest a page budget may shrink it to and still be read.
REGULAR_TYPE, REGULAR_MIN_TYPE = 9.0, 7.0
LARGE_TYPE, LARGE_MIN_TYPE = 16.0, 14.0
# A column narrower than this many characters' widths (ems) reads badly: few words a line.
MIN_COLUMN_EMS = 16.0
COLUMN_GAP = 12.0

OPTION_NAMES = ("paper", "columns", "large", "booklet", "pocket", "order", "virtual", "max_pages", "zone",
                "language", "second_language")


class OptionError(ValueError):
    """An option the list cannot be printed with: which field, and a message for people. `template` (in the
    catalog, marked N_) and `params` let a page say it in the reader's language; `message` is English."""

    def __init__(self, field: str, template: str, **params: Any) -> None:
        self.field = field
        self.template = template
        self.params = params
        self.message = template % params if params else template
        super().__init__(self.message)


@dataclass(frozen=True)
class PrintOptions:
    paper: str = "letter"
    columns: int = 2
    large: bool = False
    booklet: bool = False  # pages imposed two to a sheet side in folding order
    pocket: bool = False  # quarter-sheet pages
    order: str = "day"  # by day then time, or by city then day
    virtual: str = "section"  # online-only meetings in a section of their own, or in place among the others
    max_pages: int | None = None  # at most this many printed pages (sheet sides)
    zone: str | None = None  # the zone times are printed in; None: the list's own (its most common zone)
    language: str = "en"
    second_language: str | None = None

    @property
    def type_size(self) -> float:
        return LARGE_TYPE if self.large else REGULAR_TYPE

    @property
    def min_type_size(self) -> float:
        return LARGE_MIN_TYPE if self.large else REGULAR_MIN_TYPE

    @property
    def languages(self) -> tuple[str, ...]:
        return (self.language,) + ((self.second_language,) if self.second_language else ())


@dataclass(frozen=True)
class Geometry:
    """Where things go: the logical page (what the reader turns), its margins, and the sheet it is printed on."""

    page: tuple[float, float]
    margin: float
    footer: float  # height kept at the bottom of each page for the running footer
    sheet: tuple[float, float]

    @property
    def content_width(self) -> float:
        return self.page[0] - 2 * self.margin

    @property
    def content_height(self) -> float:
        return self.page[1] - 2 * self.margin - self.footer

    def column_width(self, columns: int) -> float:
        return (self.content_width - (columns - 1) * COLUMN_GAP) / columns

    def max_columns(self, type_size: float) -> int:
        fitting = math.floor((self.content_width + COLUMN_GAP) / (MIN_COLUMN_EMS * type_size + COLUMN_GAP))
        return max(1, min(MAX_COLUMNS, fitting))


def geometry(options: PrintOptions) -> Geometry:
    """The page and sheet sizes for the options: a booklet's pages are half sheets, pocket pages quarter sheets."""
    width, height = PAPERS[options.paper]
    if options.pocket:
        page, margin = (width / 2, height / 2), 18.0
    elif options.booklet:
        page, margin = (height / 2, width), 27.0
    else:
        page, margin = (width, height), 36.0
    sheet = (height, width) if options.booklet and not options.pocket else (width, height)
    footer = 2.2 * (7.5 if not options.large else 11.0)
    return Geometry(page=page, margin=margin, footer=footer, sheet=sheet)


_DIGITS = re.compile(r"[0-9]{1,6}")  # ASCII only: int() would also read Arabic-Indic or full-width digits


def _one(args: Mapping[str, Any], name: str) -> str:
    values = args.getlist(name) if hasattr(args, "getlist") else [args.get(name)]
    value = next((v for v in reversed(values) if v is not None), "")
    return str(value).strip()[:100]


def _choice(args: Mapping[str, Any], name: str, choices: tuple[str, ...], default: str, message: str) -> str:
    value = _one(args, name).lower() or default
    if value not in choices:
        raise OptionError(name, message)
    return value


def _flag(args: Mapping[str, Any], name: str) -> bool:
    try:
        return parse_flag(_one(args, name), default=False)
    except ValueError:
        raise OptionError(name, N_("'%(name)s' is on (1) or off (0)."), name=name) from None


def _whole(args: Mapping[str, Any], name: str, low: int, high: int, message: str) -> int | None:
    value = _one(args, name)
    if not value:
        return None
    if not _DIGITS.fullmatch(value) or not low <= int(value) <= high:
        raise OptionError(name, message, low=low, high=high)
    return int(value)


def parse_options(args: Mapping[str, Any]) -> PrintOptions:
    """PrintOptions from URL parameters (absent ones take their defaults); raises OptionError with a message."""
    paper = _choice(args, "paper", tuple(PAPERS), "letter", N_("Paper is Letter or A4."))
    columns = _whole(args, "columns", 1, MAX_COLUMNS, N_("Columns: choose %(low)s to %(high)s.")) or 2
    order = _choice(args, "order", ORDERS, "day", N_("Order the list by day or by city."))
    virtual = _choice(args, "virtual", ONLINE_PLACEMENTS, "section",
                      N_("Online meetings go in a section of their own or in place among the others."))
    max_pages = _whole(args, "max_pages", 1, MAX_PAGE_BUDGET,
                       N_("'At most N pages' is a whole number from %(low)s to %(high)s."))
    zone = _one(args, "zone") or None
    if zone is not None:
        try:
            schedule.zone_of(zone)
        except ValueError:
            raise OptionError("zone", N_("That time zone is unknown: use a name such as America/New_York.")) from None
    language = _choice(args, "language", LANGUAGES, "en", N_("Language: English (en) or Spanish (es)."))
    second = _one(args, "second_language").lower() or None
    if second is not None and second not in LANGUAGES:
        raise OptionError("second_language", N_("The second language: English (en) or Spanish (es)."))
    if second == language:
        raise OptionError("second_language", N_("The second language must differ from the first."))
    options = PrintOptions(
        paper=paper, columns=columns, large=_flag(args, "large"), booklet=_flag(args, "booklet"),
        pocket=_flag(args, "pocket"), order=order, virtual=virtual, max_pages=max_pages, zone=zone,
        language=language, second_language=second,
    )
    room = geometry(options).max_columns(options.type_size)
    if options.columns > room:
        if room == 1:
            raise OptionError("columns", N_("In this type size, these pages fit one column."))
        raise OptionError("columns", N_("In this type size, these pages fit at most %(room)s columns."), room=room)
    return options


def params(options: PrintOptions) -> list[tuple[str, str]]:
    """The options as URL parameters, defaults left out, in a fixed order (links and cache keys)."""
    defaults = PrintOptions()
    found = []
    for name in OPTION_NAMES:
        value = getattr(options, name)
        if value == getattr(defaults, name):
            continue
        found.append((name, "1" if value is True else str(value)))
    return found


def replace(options: PrintOptions, **changes: Any) -> PrintOptions:
    return dataclasses.replace(options, **changes)
