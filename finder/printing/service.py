"""Printing a list: the one search (finder.search.find_nearby) and the service-body tree choose the meetings;
the PDF is cached by data version, options and date.

Domain functions: they take the session and `now`, never commit, and raise errors that say what to change.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlencode

from flask_babel import force_locale, gettext
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from finder import search
from finder.core import schedule
from finder.core.geo import km_to_miles
from finder.core.print_listing import Listing, build_listing, list_zone
from finder.core.print_options import PrintOptions, params
from finder.core.words import N_
from finder.core.vocab import FORMAT_BY_CODE
from finder.geocode import country_of_zone
from finder.learn import crisis_lines
from finder.models import ServiceBody
from finder.printing import engine, pdf
from finder.search import loader
from finder.search.params import PARAMETERS
from finder.web.filters import clock, weekday_name

# The search parameters a printed list keeps. The clock ("starting within", "in progress", "next start"), paging
# and tabs mean nothing on paper: a list prints every weekly time.
LIST_PARAMS = tuple(p.name for p in PARAMETERS if p.role in ("place", "distance", "filter") and "meetings" in p.kinds)
# Meetings a printed list may hold unless PRINT_MAX_MEETINGS says otherwise: rendering time and memory grow
# with the list (BENCHMARKS.md, "Printed lists").
MAX_MEETINGS = 1000
# Renders one process runs at once: each holds a whole layout in memory. Others wait this long, then are told
# to come back.
RENDER_SLOTS = threading.BoundedSemaphore(1)
# Processes that lay out one long list together unless PRINT_PROCESSES says otherwise (finder.printing.engine).
MAX_PROCESSES = 4
RENDER_WAIT_SECONDS = 20.0
MAX_TYPED = 200


def processes(configured: int | None) -> int:
    """How many processes lay out one list: PRINT_PROCESSES, or (0, unset) one per core this process may use,
    at most MAX_PROCESSES."""
    if configured:
        return max(1, configured)
    return max(1, min(MAX_PROCESSES, engine.available_cores()))


class UnknownBody(LookupError):
    def __init__(self, body_id: int) -> None:
        super().__init__(f"no service body {body_id}")
        self.body_id = body_id


class ListTooLong(Exception):
    """More meetings than a printed list may hold; `message` says how to narrow it."""

    def __init__(self, count: int, limit: int, by_body: bool) -> None:
        self.count = count
        self.limit = limit
        if by_body:
            self.message = gettext(
                "This list has %(count)s meetings; a printed list holds at most %(limit)s. Narrow it: choose one of "
                "the service bodies below this one, or choose days, formats or in-person or online meetings.",
                count=f"{count:,}", limit=f"{limit:,}")
        else:
            self.message = gettext(
                "This list has %(count)s meetings; a printed list holds at most %(limit)s. Narrow it: search a "
                "smaller distance or a service body, or choose days, formats or in-person or online meetings.",
                count=f"{count:,}", limit=f"{limit:,}")
        super().__init__(self.message)


class Busy(Exception):
    """Every render slot of this process stayed taken for RENDER_WAIT_SECONDS."""


class Store(Protocol):
    def get(self, key: str, *, private: bool) -> bytes | None: ...
    def set(self, key: str, value: bytes, *, private: bool) -> None: ...


def list_args(args: Any) -> list[tuple[str, str]]:
    """The search parameters of a printed list from a request's (a results page's) parameters, trimmed, empty
    values and everything else dropped, in a fixed order."""
    kept = []
    for name in LIST_PARAMS:
        values = args.getlist(name) if hasattr(args, "getlist") else [args.get(name)]
        for value in values:
            value = (value or "").strip()[:MAX_TYPED]
            if value:
                kept.append((name, value))
    return kept


@dataclass(frozen=True)
class Prepared:
    """A list ready to render: its entries, its front matter, and the key of its PDF."""

    listing: Listing
    front: pdf.FrontMatter
    options: PrintOptions
    key: str
    private: bool  # the list is around someone's location: never written to a shared cache

    @property
    def etag(self) -> str:
        return self.key[:32]


def prepare(session: Session, pairs: Sequence[tuple[str, str]], options: PrintOptions, now: dt.datetime, *,
            geocoder: Any, base_url: str, version: str, limit: int = MAX_MEETINGS) -> Prepared:
    """Choose the meetings of a list (the search parameters `pairs`, as list_args gives them) and describe it.

    Raises finder.search.SearchError for a search that cannot run or names no place, body, group or online
    meetings; UnknownBody; ListTooLong. `version` is the data version the caller read (it keys the PDF).
    """
    args = MultiDict(pairs)
    query = search.query_from_args(args, geocoder)
    # Without a place, a body or a group, only a list of online meetings has an edge (not every meeting there is).
    online_only = bool(query.attendance) and query.attendance <= {"online", "hybrid"}
    if not (query.point or query.service_body_ids or query.group_ids or online_only):
        raise search.SearchError("q", gettext("Choose where the list is for: a town or ZIP code, a service body, "
                                              "or online meetings."))
    bodies = _bodies(session, query.service_body_ids | query.group_ids)
    query = search.replace(query, kinds=frozenset({"meetings"}), starts_within=None, in_progress=False,
                           sort="distance", page=1, per_page=limit, schedule=False)
    found = search.find_nearby(session, query, now, load_meetings=_load)
    if found.total_meetings > limit:
        raise ListTooLong(found.total_meetings, limit, by_body=bool(query.service_body_ids) and query.point is None)
    meetings = [hit.meeting for hit in found.meetings]
    zone = options.zone or list_zone(meetings)
    today = now.astimezone(schedule.zone_of(zone)).date()
    listing = build_listing(meetings, options, zone, today)
    body = bodies[next(iter(query.service_body_ids))] if len(query.service_body_ids) == 1 else None
    titles = {}
    for language in options.languages:
        with force_locale(language):
            titles[language] = (_title(query, args, body), _subtitle(query, args, found.radius_km, body))
    front = pdf.FrontMatter(
        titles=titles, helpline=body.helpline if body is not None else "",
        live_url=_live_url(base_url, pairs, query, body, options.language), printed=today, site_name="", zone=zone,
        crisis_lines=crisis_lines.lines_for(country_of_zone(zone)),
    )
    material = json.dumps([version, base_url, sorted(pairs), params(options), today.isoformat(), zone],
                          separators=(",", ":"))
    return Prepared(listing=listing, front=front, options=options,
                    key=hashlib.sha256(material.encode()).hexdigest(), private=query.point is not None)


def _load(session: Session, ids: Sequence[int]) -> dict[int, Any]:
    # The exceptions too: a printed list marks the weeks a meeting skips.
    return loader.meetings_by_id(session, ids, with_bodies=False, with_exceptions=True)


def _bodies(session: Session, ids: Iterable[int]) -> dict[int, ServiceBody]:
    ids = sorted(set(ids))
    found = {b.id: b for b in session.scalars(select(ServiceBody).where(ServiceBody.id.in_(ids)))} if ids else {}
    for body_id in ids:
        if body_id not in found:
            raise UnknownBody(body_id)
    return found


def render(prepared: Prepared, store: Store | None, render_html: pdf.Render, processes: int = 1) -> bytes:
    """The PDF of a prepared list: from `store` when an earlier request made it, else rendered (one render at a
    time per process, a long list in up to `processes` parts at once) and kept there. Raises pdf.CannotFit,
    Busy."""
    if store is not None:
        found = store.get(prepared.key, private=prepared.private)
        if found is not None:
            return found
    if not RENDER_SLOTS.acquire(timeout=RENDER_WAIT_SECONDS):
        raise Busy()
    try:
        if store is not None:  # a request for the same list may have rendered it while this one waited
            found = store.get(prepared.key, private=prepared.private)
            if found is not None:
                return found
        body = pdf.render_pdf(prepared.listing, prepared.front, prepared.options, render_html, processes)
    finally:
        RENDER_SLOTS.release()
    if store is not None:
        store.set(prepared.key, body, private=prepared.private)
    return body


# --- words about the list -----------------------------------------------------------------------------------------


def _title(query: search.SearchQuery, args: Mapping[str, Any], body: ServiceBody | None) -> str:
    """The list's title in the current locale."""
    if body is not None and query.point is None:
        return body.name
    place = (args.get("q") or "").strip()[:80]
    if query.point is not None:
        where = place or f"{query.point[0]:.3f}, {query.point[1]:.3f}"
        return gettext("NA meetings near %(place)s", place=where)
    if "online" in query.attendance or query.include_online:
        return gettext("Online NA meetings")
    return gettext("NA meetings")


_ATTENDANCE = {"in_person": N_("in person"), "online": N_("online"), "hybrid": N_("hybrid")}


def _subtitle(query: search.SearchQuery, args: Mapping[str, Any], radius_km: float | None,
              body: ServiceBody | None) -> str:
    """What the list holds, in the current locale."""
    parts = []
    if body is not None and query.point is None:
        parts.append(gettext("Narcotics Anonymous meetings of this service body and the ones below it"))
    elif query.nearest:
        parts.append(gettext("the %(count)s nearest", count=query.nearest))
    elif query.point is not None and radius_km:
        if (args.get("unit") or "mi").lower() == "mi":
            parts.append(gettext("within %(amount)s miles", amount=f"{km_to_miles(radius_km):.0f}"))
        else:
            parts.append(gettext("within %(amount)s km", amount=f"{radius_km:.0f}"))
    if query.weekdays:
        parts.append(gettext("on %(days)s", days=", ".join(weekday_name(d) for d in sorted(query.weekdays))))
    if query.time_from or query.time_to:
        parts.append(_window(query.time_from, query.time_to))
    if query.open_closed == "open":
        parts.append(gettext("open meetings"))
    elif query.open_closed == "closed":
        parts.append(gettext("closed meetings"))
    named = sorted(query.formats_all | query.formats_any | ({"WCHR"} if query.wheelchair else set()))
    if named:
        parts.append(", ".join(gettext(FORMAT_BY_CODE[code].name) for code in named if code in FORMAT_BY_CODE))
    if query.attendance:
        parts.append(gettext(" or ").join(gettext(_ATTENDANCE.get(a, a)) for a in sorted(query.attendance)))
    if query.language:
        parts.append(gettext("language: %(language)s", language=query.language))
    if query.text:
        parts.append(gettext("matching “%(text)s”", text=query.text))
    text = "; ".join(parts)
    return text[:1].upper() + text[1:]


def _window(start: dt.time | None, end: dt.time | None) -> str:
    if start and end:
        return gettext("starting between %(start)s and %(end)s", start=clock(start), end=clock(end))
    if start:
        return gettext("starting from %(start)s", start=clock(start))
    return gettext("starting until %(end)s", end=clock(end))  # type: ignore[arg-type]  # callers pass a start or an end


def _live_url(base_url: str, pairs: Sequence[tuple[str, str]], query: search.SearchQuery,
              body: ServiceBody | None, language: str) -> str:
    """Where the list lives online, in the list's language: the service body's page, or this search's results."""
    in_language = [("locale", language)] if language != "en" else []
    if body is not None and query.point is None and len(pairs) == 1:
        return f"{base_url}/bodies/{body.id}" + (f"?{urlencode(in_language)}" if in_language else "")
    return f"{base_url}/search?{urlencode(list(pairs) + in_language)}"

