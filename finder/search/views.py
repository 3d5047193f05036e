"""The results page: /search reads the shared URL parameters through finder.search and renders the answer."""
from __future__ import annotations

import dataclasses
import functools
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, current_app, render_template, request, url_for
from markupsafe import Markup
from werkzeug.datastructures import MultiDict

from finder import cache, db, printing, search
from finder.search import page as results_page
from finder.search import params
from finder.core import schedule
from finder.clock import utcnow
from finder.search.cards import fragment_cache, slug_urls
from finder.web.filters import UNITS
from finder.core.geo import km_to_miles
from finder.geocode import get_geocoder, timezone_at
from finder.core.vocab import COUNSELOR_TERMS, FORMATS, SERVICES

bp = Blueprint("search", __name__)

KINDS = ("meetings", "centers", "counselors")
# The place itself: a new place replaces these; filters are kept.
PLACE_PARAMS = params.names("place")
# Only the search parameters (finder.search.params) are echoed back into links and hidden fields.
KNOWN_PARAMS = params.names()
# The parameters the filter fields show as chosen: never the place (the fields are cached by these).
FILTER_FIELD_PARAMS = tuple(p.name for p in params.PARAMETERS if p.in_form and p.name != "unit")
# Kept as hidden fields of the filter form (or shown there, for the distance), and not counted as filters chosen:
# the place, the kind, the view, the order (switched above the results) and the distance.
FILTER_KEEP_PARAMS = (*params.names("place", "kind", "view", "order"),
                      *(p.name for p in params.PARAMETERS if p.in_form and p.role == "distance"))
# Switching tabs drops the other tabs' filters (a meeting format means nothing to a counselor).
TAB_FILTER_PARAMS = tuple(p.name for p in params.PARAMETERS
                          if p.role in ("filter", "clock") and p.kinds != params.ALL_KINDS)
# Radius steps offered when nothing is near (in the page's unit).
WIDER_RADII = (5, 10, 25, 50, 100, 250)
# How far ahead "online meetings starting soon" looks when nothing is near.
ONLINE_SOON_MINUTES = 180
MAX_TYPED = 200


def _clean_args(args: MultiDict[str, str]) -> MultiDict[str, str]:
    """The known parameters, trimmed, without empty values (a GET form sends every field)."""
    kept: MultiDict[str, str] = MultiDict()
    for name in KNOWN_PARAMS:
        for value in args.getlist(name):
            value = value.strip()[:MAX_TYPED]
            if value:
                kept.add(name, value)
    return kept


def _url_with(args: MultiDict[str, str], **changes: Any) -> str:
    """This search's URL with some parameters replaced (None removes one)."""
    return _search_url(results_page.with_params(args, **changes))


def _search_url(pairs: Sequence[tuple[str, str]]) -> str:
    return url_for("search.results") + ("?" + urlencode(list(pairs)) if pairs else "")


def _kept_fields(args: MultiDict[str, str], drop: tuple[str, ...]) -> list[tuple[str, str]]:
    return [(name, value) for name, value in args.items(multi=True) if name not in drop]


def _online_soon(query: search.SearchQuery, now: Any) -> search.SearchResults:
    """Online meetings starting soon, wherever they are: the second answer when nothing is near."""
    # No point: online meetings have no real distance, and find_nearby puts no limit on a search without one.
    online = dataclasses.replace(
        query, point=None, radius_km=None, nearest=None, kinds=frozenset({"meetings"}),
        attendance=frozenset({"online", "hybrid"}), include_online=False, starts_within=ONLINE_SOON_MINUTES,
        in_progress=False, sort="next_start", page=1, per_page=10,
    )
    session = db.get_session()
    return search.find_nearby(session, online, now, cached_meetings=cache.meeting_reader(session))


@bp.get("/search")
def results() -> tuple[str, int]:
    args = _clean_args(request.args)
    kind = args.get("kind", "") if args.get("kind") in KINDS else "meetings"
    typed = args.get("q", "")
    now = utcnow()
    page: dict[str, Any] = dict(
        args=args, kind=kind, unit=args.get("unit") if args.get("unit") in UNITS else "mi", typed=typed, now=now,
        search_error=None, found=None, query=None, place_label=None, alternatives=[],
        browser_tz=results_page.viewer_zone(args.get("tz"), results_page.NOWHERE),
        keep=_kept_fields(args, (*PLACE_PARAMS, "page", "tz")),
        filter_keep=[(n, v) for n, v in args.items(multi=True) if n in FILTER_KEEP_PARAMS],
        tab_url=lambda k: _url_with(args, kind=k, page=None, **_drop_kind_filters()),
        page_url=lambda n: _url_with(args, page=n),
        clear_url=_url_with(args, page=None, **_drop_kind_filters()),
        suggest_url=lambda s: _url_with(args, q=s, lat=None, lon=None, page=None),
    )
    has_place = bool(typed or (args.get("lat") and args.get("lon")) or args.get("online"))
    if not has_place:
        return render_template("search/results.html", **page), 200
    geocoder = get_geocoder(current_app)
    try:
        query, located = search.query_and_place(args, geocoder, default_kinds=frozenset({kind}))
    except search.SearchError as error:
        page["search_error"] = error
        return render_template("search/results.html", **page), 400
    place = results_page.place_of(located, query.point, timezone_at)
    # Without a place ("online meetings starting now") there is no distance to order by: soonest first.
    sort = "next_start" if query.point is None and not args.get("sort") else query.sort
    query = dataclasses.replace(query, kinds=frozenset({kind}), sort=sort)
    session = db.get_session()
    found = search.find_nearby(session, query, now, cached_meetings=cache.meeting_reader(session))
    total = {"meetings": found.total_meetings, "centers": found.total_centers, "counselors": found.total_counselors}[kind]
    past_end = None
    if total and query.per_page and query.page > found.pages:
        # A page past the end (an old link, an edited URL) shows the last page, and says so.
        past_end = query.page
        query = dataclasses.replace(query, page=found.pages)
        found = search.find_nearby(session, query, now, cached_meetings=cache.meeting_reader(session))
        args.setlist("page", [str(found.pages)])
    unit = results_page.unit_for(args, place.country)
    viewer = results_page.viewer_zone(args.get("tz"), place)
    page.update(
        query=query,
        found=found,
        total=total,
        unit=unit,
        past_end=past_end,
        place_label=place.label,
        crisis_country=place.country,
        alternatives=[(label, _url_with(args, q=label, lat=None, lon=None, page=None))
                      for label in results_page.other_places(geocoder, typed)] if located else [],
        viewer_tz=viewer,
        chips=results_page.chips(args, _search_url),
        sort_now="next" if query.sort == "next_start" else "distance",
        sort_urls=results_page.sort_links(args, _search_url) if kind == "meetings" and query.point else None,
        day_links=results_page.day_links(args, now, viewer, _search_url) if kind == "meetings" else [],
        unit_url=_url_with(args, unit="km" if unit == "mi" else "mi", page=None),
        radius=_in_unit(found.radius_km, unit),
        wider=_wider_links(args, found.radius_km, unit) if total == 0 and query.point else [],
        online_soon=_online_soon(query, now) if total == 0 and kind == "meetings" else None,
        # Only a page with a map shows them (and they cost a URL per result).
        map_points=_map_points(found, kind) if current_app.config.get("MAP_TILE_URL") else [],
        filter_fields=_filter_fields(kind, unit, args),
        vocab_names=_vocabulary_names(),
        print_url=printing.print_url(args) if kind == "meetings" and total else None,
    )
    return render_template("search/results.html", **page), 200


def _drop_kind_filters() -> dict[str, None]:
    """Switching tabs drops the other tab's filters (a meeting format means nothing to a counselor)."""
    return {name: None for name in TAB_FILTER_PARAMS}


def _in_unit(km: float | None, unit: str) -> float | None:
    if km is None:
        return None
    return km_to_miles(km) if unit == "mi" else km


def _wider_links(args: MultiDict[str, str], radius_km: float | None, unit: str) -> list[tuple[int, str]]:
    """Links to the same search with a larger radius (the next two steps beyond the one used)."""
    used = _in_unit(radius_km, unit) or 0
    steps = [r for r in WIDER_RADII if r > used + 0.5][:2]
    return [(r, _url_with(args, radius=r, unit=unit, nearest=None, page=None)) for r in steps]


def _map_points(found: search.SearchResults, kind: str) -> list[dict[str, Any]]:
    points: list[dict[str, Any]] = []
    if kind == "meetings":
        meeting_url = slug_urls("main.meeting")
        for hit in found.meetings:
            if not hit.is_online_only:
                m = hit.meeting
                points.append(_point(m.place, m.name, meeting_url(m.slug)))
    elif kind == "centers":
        center_url = slug_urls("providers.center")
        for center_hit in found.centers:
            center = center_hit.center
            points.append(_point(center.place, center.name, center_url(center.slug)))
    else:
        counselor_url = slug_urls("providers.counselor")
        for counselor_hit in found.counselors:
            if counselor_hit.office is not None:
                c = counselor_hit.counselor
                points.append(_point(counselor_hit.office, c.name, counselor_url(c.slug)))
    return points


def _point(place: Any, label: str, url: str) -> dict[str, Any]:
    return {"lat": place.latitude, "lon": place.longitude, "label": label, "url": url}


def _filter_fields(kind: str, unit: str, args: MultiDict[str, str]) -> Markup:
    """The filter form's fields, with this search's choices marked."""
    chosen = tuple((name, value) for name, value in args.items(multi=True) if name in FILTER_FIELD_PARAMS)
    return _rendered_filter_fields(kind, unit, chosen)


# Rendering the ~120 fields was a third of the results page's rendering time, and most searches choose no
# filters or the same few.
@fragment_cache(maxsize=256)
def _rendered_filter_fields(kind: str, unit: str, chosen: tuple[tuple[str, str], ...]) -> Markup:
    template = current_app.jinja_env.get_template("search/_filter_fields.html")
    return Markup(template.render(kind=kind, unit=unit, args=MultiDict(chosen), vocab=_vocabulary()))


@functools.cache
def _vocabulary_names() -> dict[str, dict[str, str]]:
    """What each chosen filter value is called, for its chip ('BEG' -> 'Beginners', 'mon' -> 'Monday')."""
    return {
        "day": {schedule.to_url(w): schedule.weekday_name(w) for w in range(7)},
        "format": {f.code: f.name for f in FORMATS},
        "service": {s.code: s.name for s in SERVICES},
        "approach": {t.code: t.name for t in COUNSELOR_TERMS if t.kind == "approach"},
    }


def _vocabulary() -> dict[str, Any]:
    """The choices the filter forms offer, from the fixed vocabularies."""
    return {
        "formats": [f for f in FORMATS if f.kind in ("format", "literature", "audience", "access")],
        "languages": [f for f in FORMATS if f.kind == "language"],
        "care": [s for s in SERVICES if s.category in ("care",)],
        "medication": [s for s in SERVICES if s.category == "medication"],
        "payment": [s for s in SERVICES if s.category == "payment"],
        "approaches": [t for t in COUNSELOR_TERMS if t.kind == "approach"],
        "weekdays": [(schedule.to_url(w), schedule.weekday_name(w)) for w in range(7)],
        "hours": [(f"{h:02d}:00", h) for h in range(24)],
    }

