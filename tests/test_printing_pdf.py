"""Tests for finder.printing.pdf: booklet order, candidate layouts, and splitting a list into parts."""
from finder.core.print_options import PrintOptions
from finder.printing import pdf
from tests.helpers import _listing_of


def test_booklet_order_folds_and_keeps_the_back_cover_last():
    assert pdf.booklet_order(4) == [(3, 0), (1, 2)]
    # Five pages pad to eight: blanks go before the back page, which stays the back cover.
    assert pdf.booklet_order(5) == [(4, 0), (1, None), (None, 2), (3, None)]
    assert pdf.sheet_sides(5, PrintOptions(booklet=True)) == 4
    assert pdf.sheet_sides(5, PrintOptions(pocket=True, columns=1)) == 2


def test_candidate_layouts_shrink_within_readable_limits():
    layouts = pdf.candidate_layouts(PrintOptions(), pdf.geometry(PrintOptions()))
    assert layouts[0] == pdf.Layout(9.0, 2)
    assert min(layout.type_size for layout in layouts) == 7.0
    assert max(layout.columns for layout in layouts) == 3
    large = pdf.candidate_layouts(PrintOptions(large=True, columns=1), pdf.geometry(PrintOptions(large=True)))
    assert min(layout.type_size for layout in large) == 14.0


def test_split_cuts_between_groups_in_order(app, area):
    listing = _listing_of(app, area)
    groups = [(section.kind, group.key) for section in listing.sections for group in section.groups]
    for parts in (1, 2, 3, 20):
        chunks = pdf.split(listing, parts)
        assert 1 <= len(chunks) <= min(parts, len(groups))
        assert [c.front for c in chunks] == [True] + [False] * (len(chunks) - 1)
        assert [c.back for c in chunks] == [False] * (len(chunks) - 1) + [True]
        seen = [(section.kind, group.key) for c in chunks for section, gs, _ in c.pieces for group in gs]
        assert seen == groups
        titled = [section.kind for c in chunks for section, _, starts in c.pieces if starts]
        assert titled == [section.kind for section in listing.sections]
