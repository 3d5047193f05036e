"""The values and functions every template may use besides filters, registered on the app in one place."""
from __future__ import annotations

import functools
from typing import Any
from urllib.parse import quote, urlencode

from flask import Flask, current_app, url_for
from flask_babel import gettext

from finder import db
from finder.calendars.urls import add_to_calendar_url, calendar_actions
from finder.core import schedule, texts
from finder.imports import demo
from finder.learn import content, crisis_lines
from finder.search.cards import meeting_cards
from finder.web import i18n, site
from finder.web.csrf import csrf_field

DETOX_SERVICES = frozenset({"DT"})
CARE_SERVICES = frozenset({"HI", "RES", "OP", "HH", "CO", "CT"})


def maps_links(latitude: float, longitude: float, label: str = "") -> list[tuple[str, str]]:
    """Plain directions links (nothing is loaded until the person taps one): Apple Maps, Google Maps and
    OpenStreetMap over https, which open on every phone and computer, then a geo: link for other map apps
    (Android opens it; iPhones and desktop browsers cannot, so it never comes first)."""
    point = f"{latitude:.6f},{longitude:.6f}"
    q = quote(label, safe="") if label else point
    return [
        ("Apple Maps", f"https://maps.apple.com/?daddr={point}&q={q}"),
        ("Google Maps", f"https://www.google.com/maps/dir/?api=1&destination={point}"),
        ("OpenStreetMap", f"https://www.openstreetmap.org/directions?to={point}#map=17/{latitude:.5f}/{longitude:.5f}"),
        (gettext("Open in your maps app"), f"geo:{point}?q={point}" + (f"({q})" if label else "")),
    ]


def service_url(code: str) -> str | None:
    """The explanation for a treatment service code: medications and detox on the detox page, care on rehab."""
    for service, anchor, _label in content.MEDICATION_ANCHORS:
        if service == code:
            return i18n.keep_language(content.page_url("detox", anchor))
    if code in DETOX_SERVICES:
        return i18n.keep_language(content.page_url("detox"))
    if code in CARE_SERVICES:
        return i18n.keep_language(content.page_url("rehab"))
    return None


def approach_url(code: str) -> str | None:
    """The explanation of a counselor's approach on the counseling page, or None."""
    found = content.APPROACH_ANCHORS.get(code)
    return i18n.keep_language(content.page_url("counseling", found[0])) if found else None


def meeting_text(meeting: Any, field: str) -> texts.LocalText:
    """A meeting's free text (notes, location_notes, conference_notes, phone_notes) in the reader's language when
    the organizers gave it in it, else as written; its `.lang` goes on the element that holds it."""
    return texts.pick(meeting, field, i18n.current_language())


@functools.cache
def _demo_places() -> tuple[tuple[str, str], ...]:
    return tuple(demo.demo_places())


def demo_places() -> list[tuple[str, str]]:
    """(city, URL of a search there) for every city the demo data surrounds."""
    search_url = url_for("search.results")
    return [(label, f"{search_url}?{urlencode({'q': query})}") for label, query in _demo_places()]


def _site_values() -> dict[str, Any]:
    config = current_app.config
    return {
        "site_name": config["SITE_NAME"],
        "demo_data": site.demo_loaded(db.engine_for(current_app)),
        "map_tile_url": config.get("MAP_TILE_URL"),
        "map_attribution": config.get("MAP_ATTRIBUTION", ""),
    }


GLOBALS: dict[str, Any] = {  # functions, and a few tables (add_template_global takes either)
    "maps_links": maps_links,
    "service_url": service_url,
    "approach_url": approach_url,
    "demo_places": demo_places,
    "meeting_cards": meeting_cards,
    "meeting_text": meeting_text,
    "calendar_actions": calendar_actions,
    "add_to_calendar_url": add_to_calendar_url,
    "csrf_field": csrf_field,
    "schedule_minutes": schedule.minutes_until,
    # Explanations: every page (results, detail pages) links to them and words format chips through these.
    "learn_links_for_meeting": content.links_for_meeting,
    "learn_links_for_center": content.links_for_center,
    "learn_links_for_counselor": content.links_for_counselor,
    "learn_always_links": content.ALWAYS_LINKS,
    "format_explanation": content.format_explanation,
    "format_url": content.format_url,
    "crisis_bar": crisis_lines.bar_lines,
    "crisis_lines_for": crisis_lines.lines_for,
    "crisis_countries": crisis_lines.countries,
    "country_names": crisis_lines.COUNTRY_NAMES,
}


def init_app(app: Flask) -> None:
    """Every template global, and the per-request values (site facts, the page's language). The admin layout's
    values are the admin blueprints' own (finder.admin.pages)."""
    for name, value in GLOBALS.items():
        app.add_template_global(value, name)
    app.context_processor(_site_values)
    app.context_processor(i18n.template_values)
