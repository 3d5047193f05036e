"""Printed-list options: every option read from the URL, defaults left out of links, clear errors out of range."""
from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict

from finder.core.print_options import (
    MAX_PAGE_BUDGET, OptionError, PrintOptions, geometry, params, parse_options,
)


def parse(**args: str) -> PrintOptions:
    return parse_options(MultiDict(args))


def test_defaults_are_letter_two_columns_by_day_with_an_online_section():
    options = parse()
    assert options == PrintOptions()
    assert (options.paper, options.columns, options.order, options.virtual) == ("letter", 2, "day", "section")
    assert params(options) == []


def test_every_option_is_read_and_written_back():
    args = dict(paper="a4", columns="1", large="1", booklet="1", order="city", virtual="inline", max_pages="12",
                zone="America/Chicago")
    options = parse(**args)
    assert options.paper == "a4" and options.columns == 1 and options.large and options.booklet
    assert options.order == "city" and options.virtual == "inline" and options.max_pages == 12
    assert options.zone == "America/Chicago"
    assert parse_options(MultiDict(params(options))) == options


@pytest.mark.parametrize(("args", "field"), [
    ({"paper": "legal"}, "paper"),
    ({"columns": "4"}, "columns"),
    ({"columns": "0"}, "columns"),
    ({"columns": "٣"}, "columns"),  # an Arabic-Indic three: int() would read it
    ({"columns": "2.5"}, "columns"),
    ({"max_pages": "0"}, "max_pages"),
    ({"max_pages": str(MAX_PAGE_BUDGET + 1)}, "max_pages"),
    ({"max_pages": "-3"}, "max_pages"),
    ({"order": "name"}, "order"),
    ({"virtual": "hidden"}, "virtual"),
    ({"zone": "Mars/Olympus_Mons"}, "zone"),
    ({"zone": "../../etc/passwd"}, "zone"),
    ({"language": "fr"}, "language"),
    ({"second_language": "fr"}, "second_language"),
    ({"second_language": "en"}, "second_language"),  # the same as the first
    ({"language": "es", "second_language": "es"}, "second_language"),
    ({"large": "maybe"}, "large"),
    ({"large": "1", "columns": "3"}, "columns"),  # large print: one or two columns on Letter
    ({"pocket": "1", "columns": "2"}, "columns"),  # pocket pages hold one column of regular type
])
def test_options_out_of_range_say_which_field(args, field):
    with pytest.raises(OptionError) as caught:
        parse(**args)
    assert caught.value.field == field
    assert caught.value.message


def test_spanish_and_bilingual_lists():
    assert parse(language="ES").languages == ("es",)
    assert parse(language="es", second_language="en").languages == ("es", "en")
    assert parse(second_language="es").languages == ("en", "es")


def test_the_most_columns_say_how_many_fit():
    with pytest.raises(OptionError, match="at most 2 columns"):
        parse(large="1", columns="3")


def test_geometry_pages_and_sheets():
    assert geometry(parse()).page == geometry(parse()).sheet == (612.0, 792.0)
    booklet = geometry(parse(booklet="1"))
    assert booklet.page == (396.0, 612.0) and booklet.sheet == (792.0, 612.0)  # half sheets, landscape sheet
    pocket = geometry(parse(pocket="1", columns="1"))
    assert pocket.page == (306.0, 396.0) and pocket.sheet == (612.0, 792.0)
    a4 = geometry(parse(paper="a4"))
    assert a4.sheet == (595.28, 841.89)
