"""Jinja filters and the values every template sees: distances, times, "starts in", labels in words.

Pages compute nothing here that is a business rule: search and schedule decide *what* is true (distance, next
start, in progress); these filters only say it the way a phone screen should.
"""
from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

from flask import Flask, current_app, url_for
from markupsafe import Markup, escape

from finder import db
from finder.learn import content
from finder.core import schedule
from finder.web import site
from finder.core.geo import km_to_miles

UNITS = ("mi", "km")

ATTENDANCE_LABELS = {
    "in_person": "In person",
    "online": "Online",
    "hybrid": "In person and online",
}

ACCEPTING_LABELS = {
    "yes": "Accepting new clients",
    "no": "Not accepting new clients",
    "waitlist": "Waiting list for new clients",
}

DETOX_SERVICES = frozenset({"DT"})
CARE_SERVICES = frozenset({"HI", "RES", "OP", "HH", "CO", "CT"})

# Up to this many minutes ahead, a start is said as "starts in ..."; later ones are just a day and a time.
STARTS_IN_HORIZON = 180
# A result card offers "Join online now" while the meeting runs or from this many minutes before it starts.
JOIN_NOW_MINUTES = 30
# Characters werkzeug's default URL converter leaves unquoted in a path segment (werkzeug.routing.converters).
_PATH_SAFE = "!$&'()*+,/:;=@"


def long_date(value: dt.date) -> str:
    """'December 6, 2026': a date as a US English reader writes it (pages' review dates; one place to localize)."""
    return f"{value.strftime('%B')} {value.day}, {value.year}"


def weekday_name(weekday: int) -> str:
    """Monday=0 convention -> 'Monday'."""
    return schedule.weekday_name(weekday)


def clock(value: dt.time | dt.datetime) -> str:
    """A wall-clock time as a US phone shows it: 7:30 PM (noon and midnight read 12:00 PM / 12:00 AM)."""
    hour = value.hour % 12 or 12
    return f"{hour}:{value.minute:02d} {'AM' if value.hour < 12 else 'PM'}"


def clock_text(value: str) -> str:
    """'19:00' -> '7:00 PM'; anything unreadable comes back as it was."""
    try:
        return clock(dt.time.fromisoformat(value))
    except (TypeError, ValueError):
        return value


def distance(km: float | None, unit: str = "mi") -> str:
    """'0.4 mi', '12 mi', 'under 0.1 km'; '' for no distance (an online-only meeting has none)."""
    if km is None:
        return ""
    unit = unit if unit in UNITS else "mi"
    value = km_to_miles(km) if unit == "mi" else km
    if value < 0.1:
        return f"under 0.1 {unit}"
    if value < 10:
        return f"{value:.1f} {unit}"
    return f"{round(value):,} {unit}"


def amount(value: float | None) -> str:
    """A radius or count for a sentence: 5.0 -> '5', 2.5 -> '2.5', 16.09 -> '16'."""
    if value is None:
        return ""
    if value >= 10:
        return f"{round(value):,}"
    return f"{value:.1f}".removesuffix(".0")


def duration(minutes: int | None) -> str:
    """60 -> '1 hour', 90 -> '1 hour 30 min', 45 -> '45 min'."""
    if not minutes:
        return ""
    hours, rest = divmod(int(minutes), 60)
    parts = []
    if hours:
        parts.append(f"{hours} hour{'s' if hours > 1 else ''}")
    if rest:
        parts.append(f"{rest} min")
    return " ".join(parts)


def starts_in(minutes: int | None) -> str:
    """'starts now', 'starts in 25 min', 'starts in 1 h 5 min'; '' when unknown or further than 3 hours."""
    if minutes is None or minutes < 0 or minutes > STARTS_IN_HORIZON:
        return ""
    if minutes == 0:
        return "starts now"
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"starts in {rest} min"
    return f"starts in {hours} h {rest} min" if rest else f"starts in {hours} h"


def day_label(start: dt.datetime, now: dt.datetime) -> str:
    """'Today', 'Tomorrow', 'Friday' (within a week) or 'Friday, Dec 4', read in the start's own zone."""
    local_now = now.astimezone(start.tzinfo)
    days = (start.date() - local_now.date()).days
    if days == 0:
        return "Today"
    if days == 1:
        return "Tomorrow"
    name = schedule.weekday_name(start.weekday())
    if 1 < days < 7:
        return name
    return f"{name}, {start.strftime('%b')} {start.day}"


def when(start: dt.datetime | None, now: dt.datetime) -> str:
    """'Today 7:30 PM', 'Tomorrow 9:00 AM', 'Friday 7:00 PM' in the start's zone; '' for None."""
    if start is None:
        return ""
    return f"{day_label(start, now)} {clock(start)}"


def zone_abbr(start: dt.datetime) -> str:
    """The zone's short name at that instant ('EST', 'CET'); numeric offsets come back as 'UTC+3'."""
    name = start.tzname() or ""
    if name and name[0] in "+-":
        offset = start.utcoffset() or dt.timedelta()
        minutes = int(offset.total_seconds() // 60)
        sign = "+" if minutes >= 0 else "-"
        hours, rest = divmod(abs(minutes), 60)
        return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")
    return name


def viewer_time(start: dt.datetime | None, viewer_zone: str | None, now: dt.datetime) -> str:
    """'4:30 PM your time (Today)' when the viewer's zone reads a different wall time; '' otherwise."""
    if start is None or not viewer_zone:
        return ""
    if getattr(start.tzinfo, "key", None) == viewer_zone:
        return ""  # the same zone reads the same clock (most results: a shortcut worth 3 µs a card)
    shown = schedule.for_viewer(start, viewer_zone)
    if shown.viewer is None:
        return ""
    theirs = shown.viewer
    return f"{day_label(theirs, now)} {clock(theirs)} your time ({zone_abbr(theirs)})"


def attendance_label(attendance: str) -> str:
    """'in_person' -> 'In person'."""
    return ATTENDANCE_LABELS.get(attendance, attendance.replace("_", " ").capitalize())


def accepting_label(accepting: str) -> str:
    """'yes' -> 'Accepting new clients'."""
    return ACCEPTING_LABELS.get(accepting, "")


def tel(phone: str | None) -> str:
    """A `tel:` URI for a phone number as people write it: keeps digits and + , * # (pauses and codes)."""
    if not phone:
        return ""
    kept = "".join(c for c in phone if c.isascii() and (c.isdigit() or c in "+,*#;"))
    return "tel:" + quote(kept, safe="+,;") if any(c.isdigit() for c in kept) else ""


def maps_links(latitude: float, longitude: float, label: str = "") -> list[tuple[str, str]]:
    """Plain directions links (nothing is loaded until the person taps one): geo:, Apple, Google, OSM."""
    point = f"{latitude:.6f},{longitude:.6f}"
    q = quote(label, safe="") if label else point
    return [
        ("Open in your maps app", f"geo:{point}?q={point}" + (f"({q})" if label else "")),
        ("Apple Maps", f"https://maps.apple.com/?daddr={point}&q={q}"),
        ("Google Maps", f"https://www.google.com/maps/dir/?api=1&destination={point}"),
        ("OpenStreetMap", f"https://www.openstreetmap.org/directions?to={point}#map=17/{latitude:.5f}/{longitude:.5f}"),
    ]


def end_clock(weekly: Any) -> str:
    """When a weekly slot ends on the clock: '8:00 PM', or '12:30 AM (next day)' past midnight."""
    start = dt.datetime.combine(dt.date(2000, 1, 3), weekly.start)
    end = start + dt.timedelta(minutes=weekly.duration_minutes or 60)
    return clock(end) + (" (next day)" if end.date() != start.date() else "")


def http_url(url: str | None) -> str:
    """The URL when it is http(s), else '' (a javascript: or data: link never reaches a page)."""
    if not url:
        return ""
    url = url.strip()
    return url if urlsplit(url).scheme.lower() in ("http", "https") and "//" in url[:8] else ""


def service_url(code: str) -> str | None:
    """The explanation for a treatment service code: medications and detox on the detox page, care on rehab."""
    for service, anchor, _label in content.MEDICATION_ANCHORS:
        if service == code:
            return content.page_url("detox", anchor)
    if code in DETOX_SERVICES:
        return content.page_url("detox")
    if code in CARE_SERVICES:
        return content.page_url("rehab")
    return None


def approach_url(code: str) -> str | None:
    """The explanation of a counselor's approach on the counseling page, or None."""
    found = content.APPROACH_ANCHORS.get(code)
    return content.page_url("counseling", found[0]) if found else None


def nl2br(text: str | None) -> Markup:
    """Escape, then keep the writer's line breaks."""
    if not text:
        return Markup("")
    return Markup("<br>").join(escape(line) for line in str(text).splitlines())


@dataclass(slots=True)  # not frozen: a frozen dataclass's __init__ costs twice as much
class MeetingCard:
    """A meeting found, worded for its result card.

    The wording is done here in one pass: as nested macros and filters it was most of the results page's
    rendering time (measured, about 1 ms of 25 cards), and the template now only places these values."""

    meeting: Any
    url: str
    start_iso: str  # '' when there is no upcoming date
    when: str  # 'Today 7:30 PM'
    zone: str  # 'EST'
    in_progress: bool
    starts: str  # 'Starts in 25 min'; '' when in progress, unknown or more than 3 hours away
    viewer: str  # '4:30 PM your time (Today)' when the viewer's clock reads differently, else ''
    online_only: bool
    distance: str  # '' for online-only meetings
    locality: str
    join_url: str  # the meeting's http(s) link while it runs or is about to start, else ''
    tags: Markup  # the open/closed badge, attendance and format chips


def meeting_cards(hits: list[Any], now: dt.datetime, unit: str, viewer_zone: str | None) -> list[MeetingCard]:
    """The result cards of some search.MeetingHit, in their order (unit: 'mi' or 'km')."""
    meeting_url = slug_urls("main.meeting")
    return [_meeting_card(hit, now, unit, viewer_zone, meeting_url) for hit in hits]


def slug_urls(endpoint: str) -> Callable[[str], str]:
    """url_for(endpoint, slug=...) for many slugs, at the cost of one url_for (a page of 25 results spent a tenth
    of its rendering in url_for). The endpoint's URL must end with its <slug>."""
    marker = "-"
    prefix = url_for(endpoint, slug=marker)[: -len(marker)]
    return lambda slug: prefix + quote(slug, safe=_PATH_SAFE)


def _meeting_card(hit: Any, now: dt.datetime, unit: str, viewer_zone: str | None,
                  meeting_url: Callable[[str], str]) -> MeetingCard:
    m = hit.meeting
    start, minutes = hit.next_start, hit.starts_in_minutes
    about_to_start = hit.in_progress or (minutes is not None and minutes <= JOIN_NOW_MINUTES)
    return MeetingCard(
        meeting=m,
        url=meeting_url(m.slug),
        start_iso=start.isoformat() if start else "",
        when=when(start, now),
        zone=zone_abbr(start) if start else "",
        in_progress=hit.in_progress,
        starts=starts_in(minutes).capitalize(),
        viewer=viewer_time(start, viewer_zone, now),
        online_only=hit.is_online_only,
        distance=distance(hit.distance_km, unit),
        locality=m.place.locality,
        join_url=http_url(m.conference_url) if m.is_online and about_to_start else "",
        tags=meeting_tags(m),
    )


def fragment_cache(maxsize: int) -> Callable[[Callable[..., Markup]], Callable[..., Markup]]:
    """Memoize a function that renders a fragment from its (hashable) arguments alone, in a bounded LRU.

    Not while templates reload (development), so an edited template shows at once. The cache is per process,
    shared by every app in it: they all render the same templates."""
    def decorator(render: Callable[..., Markup]) -> Callable[..., Markup]:
        cached = functools.lru_cache(maxsize=maxsize)(render)

        @functools.wraps(render)
        def fragment(*args: Any) -> Markup:
            return render(*args) if current_app.jinja_env.auto_reload else cached(*args)
        fragment.cache_info = cached.cache_info  # type: ignore[attr-defined]
        fragment.cache_clear = cached.cache_clear  # type: ignore[attr-defined]
        return fragment
    return decorator


def meeting_tags(meeting: Any) -> Markup:
    """A result card's badges and format chips (the _macros.html macro of that name)."""
    return _meeting_tags(meeting.attendance, tuple((f.code, f.name, f.description, f.kind) for f in meeting.formats))


# Keyed by the values shown, so nothing can go stale. 100k demo meetings have 14k combinations.
@fragment_cache(maxsize=4096)
def _meeting_tags(attendance: str, formats: tuple[tuple[str, str, str, str], ...]) -> Markup:
    return current_app.jinja_env.get_template("_macros.html").module.meeting_tags(attendance, formats)


def _template_globals() -> dict[str, Any]:
    config = current_app.config
    return {
        "site_name": config["SITE_NAME"],
        "demo_data": site.demo_loaded(db.engine_for(current_app)),
        "map_tile_url": config.get("MAP_TILE_URL"),
        "map_attribution": config.get("MAP_ATTRIBUTION", ""),
    }


def init_app(app: Flask) -> None:
    for function in (
        weekday_name, clock, clock_text, distance, amount, duration, starts_in, when, day_label, zone_abbr, viewer_time,
        attendance_label, accepting_label, tel, nl2br, end_clock, http_url, long_date,
    ):
        app.add_template_filter(function)
    for function in (maps_links, service_url, approach_url, meeting_cards):
        app.add_template_global(function)
    app.add_template_global(schedule.minutes_until, "schedule_minutes")
    app.context_processor(_template_globals)
