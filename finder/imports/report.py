"""What every import returns (added / updated / unchanged / rejected rows with reasons) and how sources are read."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from finder import outbound

OUTCOMES = ("added", "updated", "unchanged", "rejected")
DEFAULT_MAX_BYTES = 20 * 1024 * 1024
DEFAULT_MAX_ROWS = 200_000
URL_TIMEOUT_SECONDS = 30.0


class FatalImportError(Exception):
    """The whole source is unusable (not JSON, too big, unreachable ...): nothing may be committed."""


class RowError(ValueError):
    """One row cannot be imported; the message is the reason shown in the report."""


@dataclass
class RowResult:
    """What happened to one source row. `row` counts from 1 in source order; `key` names it (slug or id)."""

    row: int
    key: str
    outcome: str
    reasons: list[str] = field(default_factory=list)


class Progress(Protocol):
    """Told how many rows a long run has (start, None when unknown) and each one done: a terminal progress bar."""

    def start(self, total: int | None) -> None: ...

    def advance(self, n: int = 1) -> None: ...


@dataclass
class ImportReport:
    """The outcome of one import run, row by row; `progress`, when given, is told of every source row done."""

    kind: str
    source: str
    rows: list[RowResult] = field(default_factory=list)
    progress: Progress | None = field(default=None, repr=False, compare=False)

    def expect(self, total: int | None) -> None:
        """Say how many source rows this run will report (before the first)."""
        if self.progress is not None:
            self.progress.start(total)

    def add(self, row: int, key: str, outcome: str, reasons: list[str] | None = None) -> None:
        if outcome not in OUTCOMES:
            raise ValueError(f"unknown outcome {outcome!r}")
        self._append(RowResult(row, key, outcome, list(reasons or [])))

    def _append(self, result: RowResult) -> None:
        self.rows.append(result)
        if self.progress is not None and result.row > 0:  # row 0: not a source row (a service body, a summary)
            self.progress.advance()

    def of(self, outcome: str) -> list[RowResult]:
        return [r for r in self.rows if r.outcome == outcome]

    @property
    def added(self) -> list[RowResult]:
        return self.of("added")

    @property
    def updated(self) -> list[RowResult]:
        return self.of("updated")

    @property
    def unchanged(self) -> list[RowResult]:
        return self.of("unchanged")

    @property
    def rejected(self) -> list[RowResult]:
        return self.of("rejected")

    def counts(self) -> dict[str, int]:
        return {outcome: len(self.of(outcome)) for outcome in OUTCOMES}

    def summary(self) -> str:
        """One line for a terminal or a flash message."""
        c = self.counts()
        return (f"{self.kind} import from {self.source}: {c['added']} added, {c['updated']} updated, "
                f"{c['unchanged']} unchanged, {c['rejected']} rejected")

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind, "source": self.source, "counts": self.counts(),
            "rows": [{"row": r.row, "key": r.key, "outcome": r.outcome, "reasons": r.reasons} for r in self.rows],
        }


def read_bytes(source: str | Path | bytes, *, max_bytes: int = DEFAULT_MAX_BYTES,
               timeout: float = URL_TIMEOUT_SECONDS) -> bytes:
    """The raw bytes of a file path, an http(s) URL or bytes already in memory, refusing more than max_bytes.

    Raises FatalImportError when the source cannot be read or is too large.
    """
    if isinstance(source, bytes):
        data = source
    elif isinstance(source, str) and source.lower().startswith(("http://", "https://")):
        data = _fetch(source, max_bytes=max_bytes, timeout=timeout)
    else:
        path = Path(source)
        try:
            if path.stat().st_size > max_bytes:
                raise FatalImportError(f"{path.name} is larger than the {max_bytes} byte limit")
            with path.open("rb") as handle:
                data = handle.read(max_bytes + 1)
        except OSError as exc:
            raise FatalImportError(f"cannot read {source}: {exc.strerror or exc}") from None
    if len(data) > max_bytes:
        raise FatalImportError(f"the source is larger than the {max_bytes} byte limit")
    return data


def _fetch(url: str, *, max_bytes: int, timeout: float) -> bytes:
    try:
        response = outbound.get_fetcher().get(url, max_bytes=max_bytes, timeout=timeout,
                                              headers={"Accept": "application/json"})
    except outbound.TooLarge:
        raise FatalImportError(f"{url} is larger than the {max_bytes} byte limit") from None
    except outbound.OutboundError as exc:
        raise FatalImportError(f"cannot fetch {url}: {exc}") from None
    return response.body


MAX_JSON_DEPTH = 64  # BMLT and Meeting Guide answers nest 3-4 levels
MAX_JSON_NUMBER_CHARS = 40  # a coordinate or an id; int() of thousands of digits is slow, then refused


class _Unbounded(ValueError):
    """A JSON value past the bounds: the message names it."""


def _bounded_number(text: str) -> str:
    if len(text) > MAX_JSON_NUMBER_CHARS:
        raise _Unbounded(f"a number {len(text)} characters long (at most {MAX_JSON_NUMBER_CHARS})")
    return text


def _no_constant(name: str) -> Any:
    raise _Unbounded(f"{name} is not a JSON number")


def _too_deep(value: Any, limit: int) -> bool:
    """Whether containers nest deeper than limit (walked with a list, not recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


def parse_json(data: bytes, what: str, *, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """Decode JSON (UTF-8, BOM tolerated) within bounds, or raise FatalImportError naming what was expected:
    nesting deeper than max_depth, numbers longer than MAX_JSON_NUMBER_CHARS and NaN/Infinity are refused
    (they used to surface as RecursionError or int-size ValueError, a 500)."""
    try:
        value = json.loads(data.decode("utf-8-sig"), parse_constant=_no_constant,
                           parse_int=lambda text: int(_bounded_number(text)),
                           parse_float=lambda text: float(_bounded_number(text)))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FatalImportError(f"{what} is not valid JSON: {exc}") from None
    except _Unbounded as exc:
        raise FatalImportError(f"{what} holds {exc}") from None
    except RecursionError:
        raise FatalImportError(f"{what} is nested more than {max_depth} levels deep") from None
    if isinstance(value, (dict, list)) and _too_deep(value, max_depth):
        raise FatalImportError(f"{what} is nested more than {max_depth} levels deep")
    return value


def decode_text(data: bytes, what: str) -> str:
    """Decode UTF-8 text (a BOM from spreadsheet programs is dropped) or raise FatalImportError."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FatalImportError(f"{what} is not UTF-8 text; save it as CSV UTF-8") from None
