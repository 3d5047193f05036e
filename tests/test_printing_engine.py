"""Tests for finder.printing.engine: nothing fetched while rendering, the helper processes that lay out
parts of a list, started ahead or failing."""
import pytest
import weasyprint
from weasyprint.urls import FatalURLFetchingError

from finder.printing import engine, pdf
from tests.helpers import EXPECTED, _listing_of, qr_codes, read, sizes, texts


def test_nothing_is_fetched_while_rendering():
    with pytest.raises(FatalURLFetchingError):
        weasyprint.HTML(string='<img src="http://127.0.0.1:9/x.png">', url_fetcher=engine.fetcher()).write_pdf()


@pytest.mark.parametrize("processes", [2, 3])
def test_a_list_laid_out_in_parts_reads_back_whole_and_in_order(app, client, area, monkeypatch, processes):
    """Parts laid out by helper processes (finder.printing.engine) join into one list: every weekly time once,
    in order, the front first, the back last, a footer and page number on every page, booklets still fold."""
    monkeypatch.setattr(pdf, "PARALLEL_MIN_ENTRIES", 1)
    app.config["PRINT_PROCESSES"] = processes
    app.config["CACHE_TTL"] = 0
    parts = pdf.split(_listing_of(app, area), processes)
    assert len(parts) == processes
    reader = read(client.get(f"/print/meetings.pdf?body={area['region'].id}").data)
    pages = texts(reader)
    whole = "\n".join(pages)
    positions = [whole.index(line) for line in EXPECTED if whole.count(line) == 1]
    assert len(positions) == len(EXPECTED) and positions == sorted(positions)
    assert whole.count("Online meetings") == 1 and whole.count("What the codes mean") == 1
    assert "Delaware Valley Region" in pages[0] and "Your first meeting" in pages[-1]
    for number, page in enumerate(pages, 1):
        assert "Times are in America/New_York" in page and f"{number} / {len(pages)}" in page
    assert qr_codes(reader) == {f"http://localhost/bodies/{area['region'].id}", "https://example.org/j/123",
                                "https://example.org/j/456"}
    booklet = read(client.get(f"/print/meetings.pdf?body={area['region'].id}&booklet=1").data)
    assert sizes(booklet) == {(792.0, 612.0)}


def test_a_helper_that_fails_costs_only_time(app, client, area, monkeypatch):
    def broken(_helpers):
        raise RuntimeError("no processes here")

    monkeypatch.setattr(pdf, "PARALLEL_MIN_ENTRIES", 1)
    monkeypatch.setattr(engine.POOL, "executor", broken)
    app.config["PRINT_PROCESSES"] = 2
    whole = "\n".join(texts(read(client.get(f"/print/meetings.pdf?body={area['region'].id}").data)))
    assert all(whole.count(line) == 1 for line in EXPECTED)


def test_helpers_can_start_before_the_first_list():
    assert engine.prestart(1) is None  # one process: no helper to start
    thread = engine.prestart(2)
    assert thread is not None
    thread.join(timeout=60)
    try:
        assert not thread.is_alive()
        executor = engine.POOL.executor(1)  # the started pool is the one the next list uses
        assert executor.submit(engine.layout, "<p>ready</p>").result(timeout=60).startswith(b"%PDF")
        assert engine.POOL.executor(1) is executor
    finally:
        engine.POOL.discard()


def test_a_list_in_fewer_parts_keeps_the_started_pool():
    engine.prestart(3).join(timeout=60)
    try:
        executor = engine.POOL.executor(2)
        pdfs = engine.layout_all(["<p>one</p>", "<p>two</p>"], processes=3)
        assert [pdf.startswith(b"%PDF") for pdf in pdfs] == [True, True]
        assert engine.POOL.executor(2) is executor  # not shut down and rebuilt for one helper
    finally:
        engine.POOL.discard()
