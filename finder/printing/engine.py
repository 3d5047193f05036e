"""WeasyPrint for printed lists: a lean user-agent stylesheet, and layouts run side by side in helper processes.

A list's HTML is split (finder.printing.pdf) into parts that each lay out on their own pages; `layout_all` lays
the first part out in the calling process while helper processes lay out the others, so a long list takes
about 1/N of the time on N free cores. The helpers are started by a forkserver (a clean interpreter that has
imported WeasyPrint once; each helper is a fork of it), never by forking the web process, which holds threads
and database connections. They are started on the first long list and live with the process; each helper is
replaced after MAX_TASKS layouts so its memory never grows beyond one layout's high-water mark for long.

Nothing here touches Flask or the database: a helper gets an HTML string and returns PDF bytes.
"""
from __future__ import annotations

import atexit
import logging
import multiprocessing
import os
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from weasyprint import CSS, HTML
from weasyprint.urls import URLFetcher

log = logging.getLogger(__name__)

# The elements our print templates use, styled as WeasyPrint's own HTML5 stylesheet styles them; everything else
# is set by the templates. WeasyPrint matches each of its ~250 rules' selectors against every element and
# pseudo-element: for a 500-meeting list (about 5,000 elements) this lean sheet saves a fifth of the layout
# time (BENCHMARKS.md, "Printed lists"). A template that uses another element must add it here.
LEAN_UA_CSS = """
head, meta, title, style, script, link { display: none }
html, body, div, section, p, h1, h2, h3 { display: block }
h1, h2, h3, b { font-weight: bold }
h1, h2, h3 { hyphens: manual; break-after: avoid; break-inside: avoid }
br::before { content: "\\A"; white-space: pre-line }
img { overflow: hidden }
"""
# Layouts a helper runs before it is replaced by a fresh one.
MAX_TASKS = 25
# How long a part may take in a helper before the render gives up on it (and lays it out itself).
PART_TIMEOUT_SECONDS = 120.0

_lean_ua: CSS | None = None


def _lean_sheet() -> CSS:
    global _lean_ua
    if _lean_ua is None:
        _lean_ua = CSS(string=LEAN_UA_CSS)
    return _lean_ua


class LeanHTML(HTML):
    """HTML with the lean user-agent stylesheet instead of WeasyPrint's full HTML5 one."""

    def _ua_stylesheets(self, forms: bool = False) -> list[CSS]:
        return [_lean_sheet()]


def fetcher() -> URLFetcher:
    # data: URIs only (our QR codes): a list never loads anything from the network or the disk.
    return URLFetcher(allowed_protocols={"data"}, fail_on_errors=True)


def layout(html: str) -> bytes:
    """One part's HTML as a PDF (its pages as laid out, before composing)."""
    return LeanHTML(string=html, url_fetcher=fetcher()).write_pdf()


def _warm() -> None:
    """In each new helper: load the fonts before the first real part arrives."""
    layout("<p>.</p>")


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


class Pool:
    """Helper processes for one web process (created lazily, replaced when broken)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._executor: ProcessPoolExecutor | None = None
        self._size = 0

    def executor(self, helpers: int) -> ProcessPoolExecutor:
        with self._lock:
            if self._executor is None or self._size != helpers:
                if self._executor is not None:
                    self._executor.shutdown(wait=False, cancel_futures=True)
                context = multiprocessing.get_context("forkserver")
                context.set_forkserver_preload(["finder.printing.engine"])
                self._executor = ProcessPoolExecutor(max_workers=helpers, mp_context=context, initializer=_warm,
                                                     max_tasks_per_child=MAX_TASKS)
                self._size = helpers
            return self._executor

    def discard(self) -> None:
        with self._lock:
            if self._executor is not None:
                self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor, self._size = None, 0


POOL = Pool()
atexit.register(POOL.discard)


def prestart(processes: int) -> threading.Thread | None:
    """Start the helpers in the background, so the first long list after a worker starts does not wait for
    them (1.7 s idle: the forkserver imports WeasyPrint, then each helper loads its fonts). Each helper holds
    about 140 MB while it waits (BENCHMARKS.md, "Printed lists"). None when `processes` needs no helper."""
    helpers = processes - 1
    if helpers <= 0:
        return None

    def start() -> None:
        try:
            _warm()  # this process's fonts too
            executor = POOL.executor(helpers)
            for _ in range(helpers):
                executor.submit(_warm)
        except (BrokenProcessPool, RuntimeError, OSError):  # the first real list lays out here instead
            log.exception("printing helpers could not be started ahead of time")

    thread = threading.Thread(target=start, name="print-helpers", daemon=True)
    thread.start()
    return thread


def layout_all(parts: list[str], processes: int) -> list[bytes]:
    """Every part's PDF, in order: the first here, the others in up to `processes - 1` helpers at once. A helper
    that fails or is too slow costs nothing but time: its part is laid out here instead."""
    helpers = min(processes, len(parts)) - 1
    if helpers <= 0:
        return [layout(part) for part in parts]
    futures: list[Future[bytes]] | None
    try:
        # The pool keeps the configured size (the one prestart made): a list in fewer parts uses fewer helpers
        # rather than replacing the pool.
        executor = POOL.executor(processes - 1)
        futures = [executor.submit(layout, part) for part in parts[1:]]
    except (BrokenProcessPool, RuntimeError, OSError):
        log.exception("printing helpers unavailable; laying out in this process")
        POOL.discard()
        futures = None
    first = layout(parts[0])
    if futures is None:
        return [first] + [layout(part) for part in parts[1:]]
    results = [first]
    for part, future in zip(parts[1:], futures):
        results.append(_result(future, part))
    return results


def _result(future: Future[bytes], part: str) -> bytes:
    try:
        return future.result(timeout=PART_TIMEOUT_SECONDS)
    except Exception as error:  # noqa: BLE001 - a broken helper must never break a print: do the part here
        log.warning("a printing helper failed (%s); laying its part out in this process", type(error).__name__)
        if isinstance(error, BrokenProcessPool):
            POOL.discard()
        return layout(part)
