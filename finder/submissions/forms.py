"""The meeting form, shared by organizers' pages and moderators' editor: its choices, validation and placing
(a helper of views: it reads the app's geocoder seams and the page's language)."""
from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from flask import current_app
from flask_babel import gettext
from sqlalchemy import select
from sqlalchemy.orm import Session

from finder import geocode
from finder.core import texts
from finder.core.numbers import parse_int
from finder.core.vocab import VENUE_FORMATS
from finder.models import Format, ServiceBody
from finder.submissions import workflow
from finder.submissions.workflow import KIND_LABELS, Validated
from finder.web.filters import language_name, weekday_name

MIN_TIME_ROWS = 2


# --- seams: the geocoder and the zone lookup live in finder.geocode; tests may put fakes in app.extensions ---


def geocoder() -> Any:
    found = current_app.extensions.get("finder.geocoder")
    if found is None:
        found = geocode.get_geocoder(current_app)
    return found


def timezone_at(lat: float, lon: float) -> str | None:
    override = current_app.extensions.get("finder.timezone_at")
    if override is not None:
        return override(lat, lon)
    return geocode.timezone_at(lat, lon)


# --- the form -----------------------------------------------------------------------------------------------


def form_choices(session: Session) -> dict[str, Any]:
    """What the meeting form offers: formats by kind (venue formats are derived), languages, service bodies."""
    formats = session.scalars(select(Format).order_by(Format.kind, Format.name)).all()
    groups: dict[str, list[Format]] = {}
    for f in formats:
        if f.code in VENUE_FORMATS or f.code in {"O", "C"} or f.kind == "language":
            continue
        groups.setdefault(f.kind, []).append(f)
    bodies = session.scalars(select(ServiceBody).where(ServiceBody.kind != "group")
                             .order_by(ServiceBody.name).limit(1000)).all()
    return {
        "format_groups": groups, "languages": language_options(),
        "body_options": [(b.id, f"{b.name} ({b.kind})") for b in bodies],
        "weekday_options": [(day, weekday_name(day)) for day in range(7)],
    }


def language_options() -> list[tuple[str, str]]:
    """The meeting languages the form offers, each named in the reader's language (Babel's CLDR names)."""
    return [(code, language_name(code)) for code, _english in texts.LANGUAGES]


def validate_meeting_form(session: Session, form: Any) -> Validated:
    known_formats = set(session.scalars(select(Format.code)))
    known_bodies = set(session.scalars(select(ServiceBody.id)))
    return workflow.validate_meeting(form, known_formats=known_formats, known_bodies=known_bodies)


def locate_proposal(result: Validated, previous: dict[str, Any] | None = None) -> workflow.Located | None:
    """Fill the proposal's coordinates and zone, or add a message beside the address fields."""
    lazy = SimpleNamespace(geocode=lambda text: geocoder().geocode(text))  # load the gazetteer only if asked
    found = workflow.locate(result.values["place"], lazy, timezone_at, previous=previous)
    if found is None:
        result.errors["city"] = ("We could not find this place. Check the city and postal code, "
                                 "or give the latitude and longitude below.")
        return None
    result.values = workflow.with_location(result.values, found)
    return found


def row_count(form: Any, proposal_times: int = 0) -> int:
    """How many weekly-time rows to show: every filled row plus an empty one, one more after "Add another day"."""
    filled = max((n + 1 for n in range(workflow.MAX_TIME_ROWS)
                  if form.get(f"day_{n}") or form.get(f"start_{n}")), default=0)
    shown = parse_int(form.get("rows"), low=0, high=workflow.MAX_TIME_ROWS) or 0
    wanted = max(filled + 1, proposal_times + 1, shown + (1 if form.get("action") == "add_row" else 0))
    return min(max(wanted, MIN_TIME_ROWS), workflow.MAX_TIME_ROWS)


def kind_label(kind: str) -> str:
    """What a kind of submission is called, in the current language."""
    return gettext(KIND_LABELS[kind])
