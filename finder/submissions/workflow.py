"""Organizers' submissions: validate -> pending submission -> approve or reject -> the change and its audit entry.

The validators at the top are pure (form values in, a proposal dict and error messages out; the messages are in
the request's language, English outside one); the functions below them take the session, the actor and `now`,
and never commit.

A proposal ("payload") has the shape of audit.meeting_snapshot for the fields an organizer may set:
name, times [{weekday (Monday=0), start "HH:MM", duration_minutes}], formats [codes], attendance, language,
service_body_id, place {name, street, city, region, postal_code, country, latitude, longitude, precision,
timezone, notes}, conference_url, conference_notes, phone, phone_notes, notes, and translations {language:
{field: text}} of notes, location_notes, conference_notes and phone_notes (finder.core.texts).
"""
from __future__ import annotations

import datetime as dt
import json
import re
import secrets
import unicodedata
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask_babel import gettext
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, selectinload

from finder import db
from finder.admin import audit
from finder.admin.auth import can_moderate, can_place
from finder.core import texts
from finder.core.geo import haversine_km
from finder.core.schedule import weekday_name
from finder.core.times import parse_time_of_day
from finder.core.words import N_
from finder.freshness.confirmation import confirm
from finder.meetings import visibility
from finder.submissions import tokens
from finder.models import (
    ATTENDANCE, PRECISIONS, Format, Meeting, MeetingTime, Place, ScheduleException, ServiceBody, Submission,
    TreatmentCenter, User, counselor_offices,
)
from finder.core.vocab import FORMAT_BY_CODE, VENUE_FORMATS
from finder.core.numbers import parse_float, parse_int

# Field limits: every text field is bounded (the database columns are the upper bound).
LIMITS = {
    "name": 200, "location_name": 200, "street": 200, "city": 80, "region": 80, "postal_code": 20,
    "country": 2, "location_notes": 500, "conference_url": 500, "conference_notes": 500, "phone": 40,
    "phone_notes": 500, "notes": 2000, "contact_name": 80, "contact_email": 254, "message": 2000,
    "reason": 500, "language": 8,
}
# The form gives the free text in one more language: these fields, named <field>_translated, beside the
# language it is in; a meeting's other translations ride along in a hidden field (OTHER_TRANSLATIONS, JSON).
TRANSLATED = {"notes": "notes", "location_notes": "location_notes", "conference_notes": "conference_notes",
              "phone_notes": "phone_notes"}
TEXT_LANGUAGE = "text_language"
OTHER_TRANSLATIONS = "other_translations"
MAX_TIMES = 14
SAME_BUILDING_KM = 0.2  # two meetings this close at the same weekly time are probably one
MAX_TIME_ROWS = 21  # rows read from a form, filled or not
HONEYPOT_FIELD = "leave_this_empty"
# What each kind of submission is called (pages and mail translate them with gettext where they show them).
KIND_LABELS = {
    "new": N_("New meeting"), "change": N_("Change to a meeting"), "cancel_week": N_("One week cancelled"),
    "close": N_("Temporary closure"), "inactive": N_("No longer meets"),
}
_EMAIL = re.compile(r"^[^@\s<>\"',;]+@[^@\s<>\"',;]+\.[^@\s<>\"',;]+$")
_PHONE_SEPARATORS = re.compile(r"[\s\-().]")
_PHONE = re.compile(r"^[0-9+,*#]+$")
_LANGUAGE = re.compile(r"^[a-z]{2}$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread over the phone
# Place fields whose change moves the meeting (and so bumps the calendar SEQUENCE).
_WHERE_FIELDS = ("street", "city", "region", "postal_code", "country", "latitude", "longitude", "timezone",
                 "name")


class SubmissionError(ValueError):
    """A submission cannot go through as asked; the message is meant for the person who tried."""


class AlreadyDecided(SubmissionError):
    """Another moderator approved or rejected this submission first."""


@dataclass
class Validated:
    """The outcome of validating one form: the cleaned proposal, and a message per field that is wrong."""

    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


# --- Pure validation ----------------------------------------------------------------------------------------


def clean_text(value: Any, *, multiline: bool = False) -> str:
    """A form value as a tidy string: NUL and control characters dropped, whitespace trimmed.

    Anything that is not a string (a list, a number from a JSON body) becomes its text, never an error page.
    """
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        value = value[0] if value else ""
    text = unicodedata.normalize("NFC", str(value))
    # Joiners stay: Persian, Arabic and emoji need them; other controls and direction overrides go.
    keep = {"\u200c", "\u200d"} | ({"\n", "\t"} if multiline else set())
    text = "".join(c for c in text if c in keep or unicodedata.category(c)[0] != "C")
    if multiline:
        text = "\n".join(line.rstrip() for line in text.replace("\r\n", "\n").split("\n"))
    else:
        text = " ".join(text.split())
    return text.strip()


def _get(form: Mapping[str, Any], name: str, *, multiline: bool = False) -> str:
    return clean_text(form.get(name), multiline=multiline)


def _getlist(form: Mapping[str, Any], name: str) -> list[str]:
    getlist = getattr(form, "getlist", None)
    values = getlist(name) if getlist else form.get(name, [])
    if isinstance(values, str):
        values = [values]
    return [clean_text(v) for v in values or []][:100]


def _bounded(form: Mapping[str, Any], name: str, errors: dict[str, str], *, label: str,
             required: bool = False, multiline: bool = False) -> str:
    value = _get(form, name, multiline=multiline)
    limit = LIMITS[name]
    if required and not value:
        errors[name] = gettext("Please fill in “%(label)s”.", label=gettext(label))
    elif len(value) > limit:
        errors[name] = gettext("“%(label)s” is too long: %(count)d characters, at most %(limit)d.",
                               label=gettext(label), count=len(value), limit=limit)
    return value


def validate_url(value: str) -> str | None:
    """None when value is an http(s) link with a host, else the message to show."""
    try:
        parts = urlsplit(value)
    except ValueError:
        return gettext("This is not a web address.")
    if parts.scheme.lower() not in {"https", "http"}:
        return gettext("The link must start with https:// (or http://).")
    if not parts.hostname or any(c.isspace() for c in value):
        return gettext("This is not a complete web address (for example https://zoom.us/j/123456).")
    return None


def normalize_phone(value: str) -> tuple[str, str | None]:
    """(digits with +,*# kept, error message or None). Spaces, dashes, dots and brackets are allowed as typed."""
    compact = _PHONE_SEPARATORS.sub("", value)
    if not compact:
        return "", None
    if not _PHONE.match(compact):
        return compact, gettext("A phone number may hold only digits and + , * # (spaces and dashes are fine).")
    if sum(c.isdigit() for c in compact) < 5:
        return compact, gettext("This phone number is too short.")
    if len(compact) > LIMITS["phone"]:
        return compact, gettext("This phone number is too long (at most %(limit)d characters).", limit=LIMITS["phone"])
    return compact, None


def _parse_time(text: str) -> dt.time | None:
    try:
        return parse_time_of_day(text)
    except ValueError:
        return None


def validate_times(form: Mapping[str, Any], errors: dict[str, str]) -> list[dict[str, Any]]:
    """The weekly-time rows day_N, start_N, duration_N (N = 0, 1, ...); empty rows are skipped."""
    times: list[dict[str, Any]] = []
    for n in range(MAX_TIME_ROWS):
        day, start, duration = (_get(form, f"{f}_{n}") for f in ("day", "start", "duration"))
        if not day and not start:
            continue
        weekday = parse_int(day, low=0, high=6)
        if weekday is None:
            errors[f"day_{n}"] = gettext("Please choose the day.")
        parsed = _parse_time(start) if start else None
        if parsed is None:
            errors[f"start_{n}"] = gettext("Please give the start time, like 19:30 or 7:30 pm.")
        minutes = 60
        if duration:
            parsed_minutes = parse_int(duration, low=1, high=1440)
            if parsed_minutes is not None:
                minutes = parsed_minutes
            else:
                errors[f"duration_{n}"] = gettext("The length is in minutes, from 1 to 1440.")
        if weekday is not None and parsed is not None:
            entry = {"weekday": weekday, "start": parsed.strftime("%H:%M"), "duration_minutes": minutes}
            if any((t["weekday"], t["start"]) == (weekday, entry["start"]) for t in times):
                errors[f"start_{n}"] = gettext("This day and time is already listed above.")
            else:
                times.append(entry)
    if not times and not any(k.startswith(("day_", "start_")) for k in errors):
        errors["day_0"] = gettext("Please give at least one day and start time.")
    if len(times) > MAX_TIMES:
        errors["day_0"] = gettext("At most %(count)d weekly times.", count=MAX_TIMES)
    return sorted(times, key=lambda t: (t["weekday"], t["start"]))


def validate_meeting(
    form: Mapping[str, Any],
    *,
    known_formats: Collection[str],
    known_bodies: Collection[int] = (),
) -> Validated:
    """Validate a new-meeting or change form into a proposal; every problem is reported by field name."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    values["name"] = _bounded(form, "name", errors, label=N_("Meeting name"), required=True)
    values["times"] = validate_times(form, errors)

    codes = [c.upper() for c in _getlist(form, "formats")]
    open_closed = _get(form, "open_closed").upper()
    if open_closed and open_closed not in {"O", "C"}:
        errors["open_closed"] = gettext("Please choose open or closed.")
    unknown = [c for c in codes if c not in known_formats or c in VENUE_FORMATS or c in {"O", "C"}]
    if unknown:
        errors["formats"] = gettext("Please choose formats from the list.")
    chosen = sorted({c for c in codes if c not in unknown} | ({open_closed} if open_closed in {"O", "C"} else set()))
    values["formats"] = chosen

    attendance = _get(form, "attendance") or "in_person"
    if attendance not in ATTENDANCE:
        errors["attendance"] = gettext("Please choose in person, online or both.")
        attendance = "in_person"
    values["attendance"] = attendance

    language = (_get(form, "language") or "en").lower()
    if not _LANGUAGE.match(language):
        errors["language"] = gettext("Please choose the language from the list.")
        language = "en"
    values["language"] = language

    body = _get(form, "service_body_id")
    values["service_body_id"] = None
    if body:
        body_id = parse_int(body, low=1)
        if body_id is not None and body_id in known_bodies:
            values["service_body_id"] = body_id
        else:
            errors["service_body_id"] = gettext("Please choose the area from the list.")

    place: dict[str, Any] = {
        "name": _bounded(form, "location_name", errors, label=N_("Building or venue name")),
        "street": _bounded(form, "street", errors, label=N_("Street address")),
        "city": _bounded(form, "city", errors, label=N_("City")),
        "region": _bounded(form, "region", errors, label=N_("State or province")),
        "postal_code": _bounded(form, "postal_code", errors, label=N_("Postal code")),
        "country": (_get(form, "country") or "US").upper(),
        "notes": _bounded(form, "location_notes", errors, label=N_("How to find the room"), multiline=True),
    }
    if not _COUNTRY.match(place["country"]):
        errors["country"] = gettext("Please choose the country from the list.")
        place["country"] = "US"
    in_person = attendance in ("in_person", "hybrid")
    if in_person and not place["street"] and "street" not in errors:
        errors["street"] = gettext("Please give the street address, so people can find the door.")
    if not place["city"] and not place["postal_code"] and "city" not in errors:
        errors["city"] = (gettext("Please give the city (online meetings too: it sets the time zone).")
                          if not in_person else gettext("Please give the city or the postal code."))
    lat_text, lon_text = _get(form, "latitude"), _get(form, "longitude")
    place["latitude"] = place["longitude"] = None
    if lat_text or lon_text:
        lat, lon = parse_float(lat_text), parse_float(lon_text)
        if lat is None or not -90 <= lat <= 90:
            errors["latitude"] = gettext("Latitude is a number from -90 to 90, like 39.9487.")
        if lon is None or not -180 <= lon <= 180:
            errors["longitude"] = gettext("Longitude is a number from -180 to 180, like -75.1685.")
        if lat is not None and lon is not None and "latitude" not in errors and "longitude" not in errors:
            place["latitude"], place["longitude"] = round(lat, 6), round(lon, 6)
    precision = _get(form, "precision")
    place["precision"] = precision if precision in PRECISIONS else None
    zone = _get(form, "timezone")
    place["timezone"] = zone if valid_zone(zone) else None
    values["place"] = place

    url = _bounded(form, "conference_url", errors, label=N_("Meeting link"))
    if url and "conference_url" not in errors:
        problem = validate_url(url)
        if problem:
            errors["conference_url"] = problem
    values["conference_url"] = url
    values["conference_notes"] = _bounded(form, "conference_notes", errors, label=N_("Link notes"), multiline=True)
    phone, problem = normalize_phone(_get(form, "phone"))
    if problem:
        errors["phone"] = problem
    values["phone"] = phone
    values["phone_notes"] = _bounded(form, "phone_notes", errors, label=N_("Phone notes"), multiline=True)
    if attendance != "in_person" and not url and not phone and "conference_url" not in errors:
        errors["conference_url"] = gettext("An online meeting needs a link or a dial-in phone number.")
    if attendance == "in_person":
        # An in-person meeting has no online details; drop stale ones rather than publish them.
        values["conference_url"] = values["conference_notes"] = values["phone"] = values["phone_notes"] = ""
    values["notes"] = _bounded(form, "notes", errors, label=N_("Notes shown with the meeting"), multiline=True)
    values["translations"] = validate_translations(form, errors, language=language, attendance=attendance)
    return Validated(values, errors)


_TRANSLATED_LABELS = {"notes": N_("Notes in the other language"),
                      "location_notes": N_("How to find the room, in the other language"),
                      "conference_notes": N_("Link notes, in the other language"),
                      "phone_notes": N_("Phone notes, in the other language")}


def validate_translations(form: Mapping[str, Any], errors: dict[str, str], *, language: str,
                          attendance: str) -> dict[str, dict[str, str]]:
    """The meeting's text in other languages: the form's one (TEXT_LANGUAGE and the <field>_translated fields)
    over the others it carried along (OTHER_TRANSLATIONS); {language: {field: text}} (finder.core.texts)."""
    try:
        carried = json.loads(_get(form, OTHER_TRANSLATIONS) or "{}")
        others = texts.clean(carried, own_language="", limits={k: LIMITS[k] for k in TRANSLATED},
                             clean_text=lambda t: clean_text(t, multiline=True))
    except (ValueError, RecursionError):
        others = {}  # only a tampered form sends junk here: what the organizer typed is kept, the rest dropped
    given: dict[str, str] = {}
    for name in TRANSLATED:
        field_name = f"{name}_translated"
        value = _get(form, field_name, multiline=True)
        if len(value) > LIMITS[name]:
            errors[field_name] = gettext("“%(label)s” is too long: %(count)d characters, at most %(limit)d.",
                                         label=gettext(_TRANSLATED_LABELS[name]), count=len(value),
                                         limit=LIMITS[name])
        if value:
            given[name] = value
    if attendance == "in_person":  # as for the untranslated fields: no online details to publish
        given = {k: v for k, v in given.items() if k not in ("conference_notes", "phone_notes")}
    chosen = _get(form, TEXT_LANGUAGE)
    other = texts.language_tag(chosen)
    if chosen and other is None:
        errors[TEXT_LANGUAGE] = gettext("Please choose the language from the list.")
    elif given and other is None:
        errors[TEXT_LANGUAGE] = gettext("Please choose the language these notes are written in.")
    elif other is not None and other == language and (given or other in others):
        errors[TEXT_LANGUAGE] = gettext("This is the language of the meeting. Choose the other language these "
                                        "notes are in.")
    found = {k: v for k, v in others.items() if k != language}
    if other is not None and other != language:
        found.pop(other, None)
        if given:
            found[other] = dict(sorted(given.items()))
    return dict(sorted(found.items()))


def validate_contact(form: Mapping[str, Any]) -> Validated:
    """The organizer's name, e-mail (optional; needed to hear of the decision) and message to moderators."""
    errors: dict[str, str] = {}
    values = {
        "contact_name": _bounded(form, "contact_name", errors, label=N_("Your name")),
        "contact_email": _bounded(form, "contact_email", errors, label=N_("Your e-mail")),
        "message": _bounded(form, "message", errors, label=N_("Message to the moderators"), multiline=True),
    }
    if values["contact_email"] and "contact_email" not in errors and not _EMAIL.match(values["contact_email"]):
        errors["contact_email"] = gettext("This does not look like an e-mail address (name@example.org).")
    return Validated(values, errors)


def _parse_date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def validate_cancel_week(form: Mapping[str, Any], *, weekdays: Collection[int], today: dt.date) -> Validated:
    """One cancelled date: a day the meeting meets, from today to a year ahead."""
    errors: dict[str, str] = {}
    text = _get(form, "date")
    day = _parse_date(text)
    if day is None:
        errors["date"] = gettext("Please give the date, like 2026-12-24.")
    elif day < today:
        errors["date"] = gettext("This date has passed.")
    elif day > today + dt.timedelta(days=366):
        errors["date"] = gettext("Please give a date within the next year.")
    elif weekdays and day.weekday() not in weekdays:
        errors["date"] = gettext("The meeting does not meet on that day of the week.")
    reason = _bounded(form, "reason", errors, label=N_("Reason"))
    return Validated({"date": day.isoformat() if day else text, "reason": reason}, errors)


def validate_close(form: Mapping[str, Any], *, today: dt.date) -> Validated:
    """A temporary closure: from a start date, until an end date or (no end date) until further notice."""
    errors: dict[str, str] = {}
    start_text, end_text = _get(form, "start_date"), _get(form, "end_date")
    start = _parse_date(start_text) if start_text else today
    end = _parse_date(end_text) if end_text else None
    if start is None:
        errors["start_date"] = gettext("Please give the first closed date, like 2026-12-01.")
    elif start < today - dt.timedelta(days=1):
        errors["start_date"] = gettext("This date has passed.")
    if end_text and end is None:
        errors["end_date"] = gettext("Please give the last closed date, like 2027-01-15, or leave it empty.")
    elif start and end and end < start:
        errors["end_date"] = gettext("The last closed date comes before the first.")
    elif start and end and end > start + dt.timedelta(days=731):
        errors["end_date"] = gettext("For more than two years, please use “no longer meets”.")
    reason = _bounded(form, "reason", errors, label=N_("Reason"))
    values = {"start_date": start.isoformat() if start else start_text,
              "end_date": end.isoformat() if end else (end_text or None), "reason": reason}
    return Validated(values, errors)


def validate_inactive(form: Mapping[str, Any]) -> Validated:
    errors: dict[str, str] = {}
    reason = _bounded(form, "reason", errors, label=N_("Reason"))
    return Validated({"reason": reason}, errors)


# The one-off changes a meeting's page offers, by the word in their URL.
EVENT_KINDS = {"cancel": "cancel_week", "close": "close", "inactive": "inactive"}


def validate_event(kind: str, form: Mapping[str, Any], meeting: Meeting, today: dt.date) -> Validated:
    """A one-off change to a meeting (a cancelled week, a closure, no longer meets); `today` in its zone."""
    if kind == "cancel_week":
        return validate_cancel_week(form, weekdays={t.weekday for t in meeting.times}, today=today)
    if kind == "close":
        return validate_close(form, today=today)
    return validate_inactive(form)


def meeting_today(meeting: Meeting, now: dt.datetime) -> dt.date:
    """The date it is now where the meeting meets."""
    return now.astimezone(ZoneInfo(meeting.place.timezone)).date()


def upcoming_dates(meeting: Meeting, today: dt.date, weeks: int = 8) -> list[dt.date]:
    """The next dates the meeting meets, to pick the cancelled one from."""
    days = {t.weekday for t in meeting.times}
    return [today + dt.timedelta(days=d) for d in range(weeks * 7) if (today + dt.timedelta(days=d)).weekday() in days]


def is_spam(form: Mapping[str, Any]) -> bool:
    """The honeypot: a field hidden from people that bots fill in."""
    return bool(_get(form, HONEYPOT_FIELD))


def proposal_from_meeting(meeting: Meeting) -> dict[str, Any]:
    """The proposal an unchanged meeting would make (prefills the change form, and is the diff's left side)."""
    snap = audit.meeting_snapshot(meeting)
    keys = ("name", "times", "formats", "attendance", "language", "service_body_id", "place", "conference_url",
            "conference_notes", "phone", "phone_notes", "notes", "translations")
    proposal = {key: snap[key] for key in keys}
    proposal["formats"] = [c for c in proposal["formats"] if c not in VENUE_FORMATS]
    return proposal


def form_from_proposal(proposal: Mapping[str, Any]) -> dict[str, Any]:
    """Flat form values (what the form fields are named) from a proposal, to prefill a form."""
    place = proposal.get("place") or {}
    codes = list(proposal.get("formats") or [])
    form: dict[str, Any] = {
        "name": proposal.get("name", ""), "attendance": proposal.get("attendance", "in_person"),
        "language": proposal.get("language", "en"),
        "service_body_id": str(proposal.get("service_body_id") or ""),
        "open_closed": next((c for c in codes if c in {"O", "C"}), ""),
        "formats": [c for c in codes if c not in {"O", "C"}],
        "location_name": place.get("name", ""), "street": place.get("street", ""), "city": place.get("city", ""),
        "region": place.get("region", ""), "postal_code": place.get("postal_code", ""),
        "country": place.get("country", "US"), "location_notes": place.get("notes", ""),
        "latitude": "" if place.get("latitude") is None else str(place["latitude"]),
        "longitude": "" if place.get("longitude") is None else str(place["longitude"]),
        "precision": place.get("precision") or "", "timezone": place.get("timezone") or "",
        "conference_url": proposal.get("conference_url", ""), "conference_notes": proposal.get("conference_notes", ""),
        "phone": proposal.get("phone", ""), "phone_notes": proposal.get("phone_notes", ""),
        "notes": proposal.get("notes", ""),
        **translation_fields(proposal.get("translations") or {}),
    }
    for n, t in enumerate(proposal.get("times") or []):
        form[f"day_{n}"], form[f"start_{n}"], form[f"duration_{n}"] = (
            str(t["weekday"]), t["start"], str(t["duration_minutes"]))
    return form


def translation_fields(translations: Mapping[str, Mapping[str, str]]) -> dict[str, str]:
    """The form's fields for a meeting's translations: the first language in the <field>_translated fields, the
    others as JSON in OTHER_TRANSLATIONS."""
    languages = sorted(translations)
    if not languages:
        return {}
    first = languages[0]
    fields = {f"{name}_translated": translations[first].get(name, "") for name in TRANSLATED}
    others = {k: dict(v) for k, v in translations.items() if k != first}
    return {TEXT_LANGUAGE: first, **fields, OTHER_TRANSLATIONS: json.dumps(others, sort_keys=True) if others else ""}


@dataclass(frozen=True)
class Change:
    """One line of a diff: a field's label, its old and new value as text."""

    field: str
    label: str
    before: str
    after: str


_LABELS = {
    "name": N_("Name"), "times": N_("Days and times"), "formats": N_("Formats"), "attendance": N_("Attendance"),
    "language": N_("Language"), "service_body_id": N_("Service body"), "conference_url": N_("Online link"),
    "conference_notes": N_("Online notes"), "phone": N_("Dial-in phone"), "phone_notes": N_("Phone notes"),
    "notes": N_("Notes"), "place.name": N_("Venue"), "place.street": N_("Street"), "place.city": N_("City"),
    "place.region": N_("State/province"), "place.postal_code": N_("Postal code"), "place.country": N_("Country"),
    "place.notes": N_("Location notes"), "place.latitude": N_("Latitude"), "place.longitude": N_("Longitude"),
    "place.timezone": N_("Time zone"), "status": N_("Status"), "published": N_("Published"),
    "exceptions": N_("Cancelled weeks and closures"), "sequence": N_("Calendar sequence"),
    "translations": N_("Text in other languages"),
}
_TEXT_LABELS = {"notes": "Notes", "location_notes": "Location notes", "conference_notes": "Online notes",
                "phone_notes": "Phone notes"}


_ATTENDANCE_WORDS = {"in_person": "In person", "online": "Online only", "hybrid": "In person and online"}


def _clock_words(start: str) -> str:
    """'19:00' -> '7:00 PM' (how a US phone says it)."""
    hour, minute = (int(part) for part in str(start).split(":")[:2])
    return f"{hour % 12 or 12}:{minute:02d} {'AM' if hour < 12 else 'PM'}"


def _show(key: str, value: Any) -> str:
    """A stored value in the words an organizer or moderator reads: names, not codes."""
    if value is None:
        return ""
    if key == "times":
        return "; ".join(f"{weekday_name(t['weekday'])} {_clock_words(t['start'])} ({t['duration_minutes']} min)"
                         for t in value)
    if key == "formats":
        return ", ".join(FORMAT_BY_CODE[c].name if c in FORMAT_BY_CODE else str(c) for c in value)
    if key == "attendance":
        return _ATTENDANCE_WORDS.get(value, str(value))
    if key == "language" and str(value).upper() in FORMAT_BY_CODE:
        return FORMAT_BY_CODE[str(value).upper()].name
    if key == "translations":
        return "; ".join(f"{language}: " + ", ".join(f"{_TEXT_LABELS.get(k, k)}: {v}" for k, v in fields.items())
                         for language, fields in value.items())
    if key == "exceptions":
        return "; ".join(f"{e['kind']} {e['start_date']}" + (f" to {e['end_date']}" if e["end_date"] != e["start_date"]
                         else "") for e in value)
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def diff(before: Mapping[str, Any] | None, after: Mapping[str, Any]) -> list[Change]:
    """What differs between two proposals (or a snapshot and a proposal), field by field, place fields flat."""
    before = before or {}
    changes = []
    for key in _LABELS:
        if key.startswith("place."):
            sub = key.split(".", 1)[1]
            old = (before.get("place") or {}).get(sub)
            new = (after.get("place") or {}).get(sub)
            if new is None and sub in ("latitude", "longitude", "timezone"):
                continue  # not located yet: not a change
        else:
            if key not in after:
                continue
            old, new = before.get(key), after.get(key)
        if (old or None) != (new or None) and _show(key, old) != _show(key, new):
            changes.append(Change(key, _LABELS[key], _show(key, old), _show(key, new)))
    return changes


# --- Locating the place --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Located:
    latitude: float
    longitude: float
    precision: str
    timezone: str
    label: str


def geocode_queries(place: Mapping[str, Any]) -> list[str]:
    """What to ask the geocoder, most precise first (the offline gazetteer knows ZIP codes and cities)."""
    queries = []
    street, city, region = place.get("street") or "", place.get("city") or "", place.get("region") or ""
    postal, country = place.get("postal_code") or "", place.get("country") or ""
    if street and (city or postal):
        queries.append(", ".join(p for p in (street, city, " ".join(x for x in (region, postal) if x), country) if p))
    if postal:
        queries.append(postal if country == "US" else f"{postal}, {country}")
    if city:
        queries.append(", ".join(p for p in (city, region or country) if p))
    return list(dict.fromkeys(queries))


_ADDRESS_FIELDS = ("street", "city", "region", "postal_code", "country")


def locate(
    place: Mapping[str, Any],
    geocoder: Any,
    timezone_at: Callable[[float, float], str | None],
    *,
    previous: Mapping[str, Any] | None = None,
) -> Located | None:
    """Coordinates, precision and IANA zone for a proposed place, or None if nothing matches.

    Coordinates the organizer gave (a corrected pin) win over the geocoder; the zone always comes from the
    coordinates, so a pin moved across a zone line gets the right zone. `previous` is the meeting's current
    place: when the address changed but the coordinates are still the old ones, the new address is geocoded.
    """
    lat, lon = place.get("latitude"), place.get("longitude")
    if previous and any((place.get(k) or "") != (previous.get(k) or "") for k in _ADDRESS_FIELDS) and (
            lat, lon) == (previous.get("latitude"), previous.get("longitude")):
        lat = lon = None
    if lat is not None and lon is not None:
        zone = timezone_at(lat, lon)
        if zone is None:
            return None
        unmoved = previous is not None and (lat, lon) == (previous.get("latitude"), previous.get("longitude"))
        precision = (place.get("precision") or (previous.get("precision") if unmoved and previous else None)
                     or ("rooftop" if place.get("street") else "city"))
        return Located(lat, lon, precision, zone, f"{lat:.5f}, {lon:.5f}")
    for query in geocode_queries(place):
        try:
            found = geocoder.geocode(query)
        except ValueError:
            found = None
        if found is None:
            continue
        zone = found.timezone or timezone_at(found.lat, found.lon)
        if zone is None:
            continue
        return Located(round(found.lat, 6), round(found.lon, 6), found.precision, zone, found.label)
    return None


def with_location(proposal: dict[str, Any], located: Located) -> dict[str, Any]:
    """The proposal with its place's coordinates, precision and zone filled in."""
    place = dict(proposal["place"])
    place.update(latitude=located.latitude, longitude=located.longitude, precision=located.precision,
                 timezone=located.timezone)
    return {**proposal, "place": place}


def valid_zone(name: str | None) -> bool:
    if not name or len(name) > 64:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


# --- Storing, duplicates ---------------------------------------------------------------------------------


def _normal_name(name: str) -> str:
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    words = re.findall(r"[a-z0-9]+", text)
    return " ".join(w for w in words if w not in {"the", "group", "na", "meeting", "of"})


def find_duplicates(session: Session, proposal: Mapping[str, Any], *, exclude_id: int | None = None,
                    limit: int = 5) -> list[Meeting]:
    """Meetings that look like this proposal: a same weekday and start time, and the same name or building."""
    slots = {(t["weekday"], dt.time.fromisoformat(t["start"])) for t in proposal.get("times") or []}
    if not slots:
        return []
    query = (
        select(Meeting)
        .join(MeetingTime)
        .where(MeetingTime.weekday.in_({w for w, _ in slots}), MeetingTime.start.in_({s for _, s in slots}),
               visibility.listed())
        .options(selectinload(Meeting.times), selectinload(Meeting.place))
        .distinct()
        .limit(200)
    )
    if exclude_id is not None:
        query = query.where(Meeting.id != exclude_id)
    name = _normal_name(proposal.get("name") or "")
    place = proposal.get("place") or {}
    found = []
    for meeting in session.scalars(query):
        if not {(t.weekday, t.start) for t in meeting.times} & slots:
            continue
        same_name = bool(name) and _normal_name(meeting.name) == name
        same_place = (
            place.get("latitude") is not None
            and haversine_km(place["latitude"], place["longitude"], meeting.place.latitude,
                             meeting.place.longitude) < SAME_BUILDING_KM
        ) or (bool(place.get("street")) and place.get("street", "").lower() == meeting.place.street.lower()
              and place.get("city", "").lower() == meeting.place.city.lower())
        if same_name or same_place:
            found.append(meeting)
        if len(found) >= limit:
            break
    return found


def new_reference(session: Session) -> str:
    """A short reference the organizer can quote ("NA-7K3QX2"), unique among submissions."""
    while True:
        reference = "NA-" + "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(6))
        if not session.scalar(select(func.count()).select_from(Submission).where(Submission.reference == reference)):
            return reference


def submit(
    session: Session,
    *,
    kind: str,
    payload: dict[str, Any],
    contact: Mapping[str, str],
    now: dt.datetime,
    meeting: Meeting | None = None,
    language: str = "en",
) -> Submission:
    """Store a pending submission (validated beforehand); nothing is applied until a moderator approves.
    `language` is the interface language the organizer used: mail to them is written in it."""
    if kind not in KIND_LABELS:
        raise SubmissionError(f"unknown submission kind {kind!r}")
    if (kind == "new") != (meeting is None):
        raise SubmissionError("a new meeting has no meeting; every other kind needs one")
    body_id = payload.get("service_body_id") if kind in ("new", "change") else None
    submission = Submission(
        reference=new_reference(session), kind=kind, status="pending", meeting=meeting,
        service_body_id=body_id if body_id is not None else (meeting.service_body_id if meeting else None),
        payload=payload, before=audit.meeting_snapshot(meeting) if meeting is not None else None,
        contact_name=contact.get("contact_name", ""), contact_email=contact.get("contact_email", ""),
        message=contact.get("message", ""), created_at=now, interface_language=language,
    )
    session.add(submission)
    session.flush()
    return submission


# --- Deciding ----------------------------------------------------------------------------------------------


def _claim(session: Session, submission: Submission, status: str, actor: User, now: dt.datetime,
           reason: str = "", payload: dict[str, Any] | None = None) -> None:
    """Move the submission out of 'pending' with one conditional UPDATE: of two moderators, exactly one wins."""
    values: dict[str, Any] = {"status": status, "decided_at": now, "decided_by_id": actor.id,
                              "decision_reason": reason}
    if payload is not None:
        values["payload"] = payload
    changed = db.rows_changed(
        session,
        update(Submission)
        .where(Submission.id == submission.id, Submission.status == "pending")
        .values(**values)
        .execution_options(synchronize_session=False),
    )
    if changed != 1:
        raise AlreadyDecided("This submission was already decided by another moderator.")
    session.refresh(submission)


def approve(session: Session, submission: Submission, *, actor: User, now: dt.datetime,
            payload: dict[str, Any] | None = None) -> Meeting:
    """Apply a pending submission (optionally as edited by the moderator) and record it in the audit log.

    Raises PermissionError when the actor may not moderate it, AlreadyDecided when someone else was first.
    The change, the decision and the audit entry land in the caller's one transaction.
    """
    if not can_moderate(actor, submission):
        raise PermissionError("you may not moderate this submission")
    if payload is not None and submission.kind not in ("new", "change"):
        raise SubmissionError("only meeting details can be edited before approval")
    if submission.kind in ("new", "change"):
        proposal = payload or submission.payload
        meeting = submission.meeting
        body_id = proposal.get("service_body_id") if "service_body_id" in proposal else (
            meeting.service_body_id if meeting is not None else None)
        check_placement(session, actor, body_id, meeting)
    _claim(session, submission, "approved", actor, now, payload=payload)
    meeting = apply(session, submission, actor=actor, now=now)
    if submission.kind != "inactive":
        # A moderator read the organizer's word and published it: the details are confirmed as of now.
        confirm(session, meeting, by=f"approved {submission.reference}", now=now)
    return meeting


def reject(session: Session, submission: Submission, *, actor: User, reason: str, now: dt.datetime) -> None:
    """Reject a pending submission with a reason the organizer will read."""
    if not can_moderate(actor, submission):
        raise PermissionError("you may not moderate this submission")
    reason = clean_text(reason, multiline=True)
    if not reason:
        raise SubmissionError("Please give the organizer a reason.")
    _claim(session, submission, "rejected", actor, now, reason=reason[: LIMITS["reason"]])


def apply(session: Session, submission: Submission, *, actor: User | str | None, now: dt.datetime) -> Meeting:
    """Make the submission's change to the meeting (creating it for a new one) and audit it."""
    payload = submission.payload
    if submission.kind == "new":
        created = create_meeting(session, payload, actor=actor, now=now, submission=submission)
        submission.meeting = created
        return created
    meeting = submission.meeting
    if meeting is None:
        raise SubmissionError("the meeting of this submission no longer exists")
    before = audit.meeting_snapshot(meeting)
    if submission.kind == "change":
        # Only what the organizer changed is applied, so an edit made meanwhile by someone else is kept.
        intended = _changed_keys(submission.before or before, payload)
        update_meeting(session, meeting, payload, actor=actor, now=now, submission=submission, only=intended)
        return meeting
    if submission.kind == "cancel_week":
        day = dt.date.fromisoformat(payload["date"])
        meeting.exceptions.append(ScheduleException(kind="cancelled", start_date=day, end_date=day,
                                                    reason=payload.get("reason", ""), created_at=now))
        action = "cancel_week"
    elif submission.kind == "close":
        start = dt.date.fromisoformat(payload["start_date"])
        if payload.get("end_date"):
            meeting.exceptions.append(ScheduleException(
                kind="closed", start_date=start, end_date=dt.date.fromisoformat(payload["end_date"]),
                reason=payload.get("reason", ""), created_at=now))
        else:
            meeting.status = "temporarily_closed"
        action = "close"
    elif submission.kind == "inactive":
        meeting.status = "inactive"
        action = "update"
    else:
        raise SubmissionError(f"unknown submission kind {submission.kind!r}")
    meeting.formats = _formats(session, _with_venue_format(meeting.format_codes, meeting.attendance, meeting.status))
    _touch(meeting, now, bump=True)
    session.flush()
    audit.record(session, actor=actor, action=action, entity=meeting, before=before,
                 after=audit.meeting_snapshot(meeting), submission=submission, now=now)
    return meeting


def _changed_keys(before: Mapping[str, Any], payload: Mapping[str, Any]) -> set[str]:
    keys = {k for k in payload if k != "place" and before.get(k) != payload.get(k)}
    old_place, new_place = before.get("place") or {}, payload.get("place") or {}
    keys |= {f"place.{k}" for k in new_place if old_place.get(k) != new_place.get(k)}
    return keys


def _touch(meeting: Meeting, now: dt.datetime, *, bump: bool) -> None:
    meeting.updated_at = now
    if bump:
        meeting.sequence = (meeting.sequence or 0) + 1


def set_times(meeting: Meeting, times: Iterable[Mapping[str, Any]]) -> None:
    """Set a meeting's weekly times, keeping its rows where it can: an unchanged time keeps its row, and a moved
    one takes over a row that is going. A calendar event's UID is the meeting's id and the row's, so subscribers
    see the event move (the same UID, a higher SEQUENCE) instead of one vanishing and another appearing."""
    wanted = [(t["weekday"], dt.time.fromisoformat(t["start"]), t["duration_minutes"]) for t in times]
    spare = list(meeting.times)
    kept: list[MeetingTime] = []
    moved = []
    for value in wanted:
        same = next((row for row in spare if (row.weekday, row.start, row.duration_minutes) == value), None)
        if same is None:
            moved.append(value)
        else:
            spare.remove(same)
            kept.append(same)
    for weekday, start, minutes in moved:
        row = spare.pop(0) if spare else MeetingTime()
        row.weekday, row.start, row.duration_minutes = weekday, start, minutes
        kept.append(row)
    meeting.times = kept


def _formats(session: Session, codes: list[str]) -> list[Format]:
    return list(session.scalars(select(Format).where(Format.code.in_(codes or ["-"])).order_by(Format.code)))


def _slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")[:80] or "meeting"


def unique_slug(session: Session, name: str, city: str) -> str:
    """A stable, URL-safe slug from name and city, numbered when taken (it is the feeds' bookmark key)."""
    base = _slugify(f"{name} {city}".strip())
    slug, n = base, 1
    while session.scalar(select(func.count()).select_from(Meeting).where(Meeting.slug == slug)):
        n += 1
        slug = f"{base}-{n}"
    return slug


def _place_shared(session: Session, place: Place, meeting: Meeting) -> bool:
    others = session.scalar(select(func.count()).select_from(Meeting).where(
        Meeting.place_id == place.id, Meeting.id != meeting.id))
    centers = session.scalar(select(func.count()).select_from(TreatmentCenter).where(
        TreatmentCenter.place_id == place.id))
    offices = session.scalar(select(func.count()).select_from(counselor_offices).where(
        counselor_offices.c.place_id == place.id))
    return bool(others or centers or offices)


def _place_values(place: Mapping[str, Any]) -> dict[str, Any]:
    if place.get("latitude") is None or place.get("longitude") is None or not valid_zone(place.get("timezone")):
        raise SubmissionError("the place is not located yet (coordinates and time zone are needed)")
    return {
        "name": place.get("name", ""), "street": place.get("street", ""), "city": place.get("city", ""),
        "region": place.get("region", ""), "postal_code": place.get("postal_code", ""),
        "country": place.get("country") or "US", "latitude": float(place["latitude"]),
        "longitude": float(place["longitude"]), "precision": place.get("precision") or "city",
        "timezone": place["timezone"], "notes": place.get("notes", ""),
    }


def create_meeting(session: Session, payload: Mapping[str, Any], *, actor: User | str | None, now: dt.datetime,
                   submission: Submission | None = None) -> Meeting:
    """A new published meeting from a proposal, audited as 'create'."""
    check_placement(session, actor, payload.get("service_body_id"), None)
    place = Place(**_place_values(payload["place"]))
    meeting = Meeting(
        slug=unique_slug(session, payload["name"], place.city), name=payload["name"], place=place,
        attendance=payload["attendance"], language=payload.get("language", "en"),
        service_body_id=payload.get("service_body_id"), conference_url=payload.get("conference_url", ""),
        conference_notes=payload.get("conference_notes", ""), phone=payload.get("phone", ""),
        phone_notes=payload.get("phone_notes", ""), notes=payload.get("notes", ""),
        translations=payload.get("translations") or {}, status="active",
        published=True, sequence=0, created_at=now, updated_at=now, confirmed_at=now, source="submission",
    )
    meeting.times = [MeetingTime(weekday=t["weekday"], start=dt.time.fromisoformat(t["start"]),
                                 duration_minutes=t["duration_minutes"]) for t in payload["times"]]
    meeting.formats = _formats(session, _with_venue_format(payload["formats"], payload["attendance"]))
    session.add(meeting)
    session.flush()
    audit.record(session, actor=actor, action="create", entity=meeting, before=None,
                 after=audit.meeting_snapshot(meeting), submission=submission, now=now)
    return meeting


def _with_venue_format(codes: list[str], attendance: str, status: str = "active") -> list[str]:
    # VM/HYBR/TC are derived from attendance and status, never picked by hand.
    derived = {"online": ["VM"], "hybrid": ["HYBR"]}.get(attendance, [])
    if status == "temporarily_closed":
        derived.append("TC")
    return sorted({c for c in codes if c not in VENUE_FORMATS} | set(derived))


OUT_OF_SCOPE = "You may only place meetings in service bodies you look after."


def check_placement(session: Session, actor: User | str | None, body_id: int | None,
                    meeting: Meeting | None) -> None:
    """Raise PermissionError unless an account actor may edit the meeting once it sits under body_id (its
    group unchanged); system actors (imports, the CLI) are not accounts and pass."""
    if not isinstance(actor, User):
        return
    body = session.get(ServiceBody, body_id) if body_id is not None else None
    if not can_place(actor, body, meeting.group if meeting is not None else None):
        raise PermissionError(OUT_OF_SCOPE)


def update_meeting(session: Session, meeting: Meeting, payload: Mapping[str, Any], *, actor: User | str | None,
                   now: dt.datetime, submission: Submission | None = None, only: set[str] | None = None,
                   status: str | None = None, published: bool | None = None, reason: str = "") -> bool:
    """Apply a proposal to a meeting (all of it, or the keys in `only`), bump its sequence when its time, place
    or status changed, and audit it (with `reason`, when given). Returns whether anything changed."""
    def wanted(key: str) -> bool:
        return only is None or key in only or (key == "place" and any(k.startswith("place.") for k in only))

    check_placement(session, actor, payload["service_body_id"] if "service_body_id" in payload and wanted(
        "service_body_id") else meeting.service_body_id, meeting)
    before = audit.meeting_snapshot(meeting)

    for key in ("name", "attendance", "language", "service_body_id", "conference_url", "conference_notes",
                "phone", "phone_notes", "notes", "translations"):
        if key in payload and wanted(key):
            setattr(meeting, key, payload[key])
    if "times" in payload and wanted("times"):
        set_times(meeting, payload["times"])
    if status is not None:
        meeting.status = status
    if published is not None:
        meeting.published = published
    if ("formats" in payload and wanted("formats")) or wanted("attendance") or status is not None:
        codes = payload["formats"] if "formats" in payload and wanted("formats") else meeting.format_codes
        meeting.formats = _formats(session, _with_venue_format(codes, meeting.attendance, meeting.status))
    if "place" in payload and wanted("place"):
        merged = dict(before["place"] or {})
        merged.update({k: v for k, v in payload["place"].items()
                       if only is None or f"place.{k}" in only or k in ("latitude", "longitude", "timezone",
                                                                          "precision")})
        values = _place_values(merged)
        if any(values[k] != (before["place"] or {}).get(k) for k in values):
            if _place_shared(session, meeting.place, meeting):
                meeting.place = Place(**values)
            else:
                for key, value in values.items():
                    setattr(meeting.place, key, value)
    session.flush()
    after = audit.meeting_snapshot(meeting)
    changed = audit.changed_fields(before, after)
    if not changed:
        return False
    where_changed = bool({"times", "status", "attendance", "conference_url"} & set(changed)) or any(
        (before["place"] or {}).get(k) != (after["place"] or {}).get(k) for k in _WHERE_FIELDS)
    _touch(meeting, now, bump=where_changed)
    session.flush()
    audit.record(session, actor=actor, action="update", entity=meeting, before=before,
                 after=audit.meeting_snapshot(meeting), submission=submission, now=now, reason=reason)
    return True


def meetings_to_change(session: Session, text: str, *, limit: int = 25) -> list[Meeting]:
    """"Find the meeting to change": public meetings whose name contains `text`, by name."""
    return list(session.scalars(
        select(Meeting).where(visibility.public(), db.contains(Meeting.name, text))
        .options(selectinload(Meeting.times), selectinload(Meeting.place)).order_by(Meeting.name).limit(limit)))


def submission_by_token(session: Session, token: str, *, secret: str, max_age_days: int) -> Submission | None:
    """The submission an organizer's private link names, or None (it was removed, or the reference disagrees).

    Raises tokens.TokenError for a link that expired or was damaged."""
    submission_id, reference = tokens.read_token(secret, token, max_age_days=max_age_days)
    found = session.get(Submission, submission_id)
    return found if found is not None and found.reference == reference else None


def pending(session: Session, *, limit: int = 200) -> list[Submission]:
    """Pending submissions, oldest first (the moderation queue)."""
    return list(session.scalars(
        select(Submission).where(Submission.status == "pending")
        .options(selectinload(Submission.meeting), selectinload(Submission.service_body))
        .order_by(Submission.created_at, Submission.id).limit(limit)
    ))


def recent(session: Session, *, limit: int = 50) -> list[Submission]:
    """The latest decided submissions, newest first."""
    return list(session.scalars(
        select(Submission).where(Submission.status != "pending")
        .order_by(Submission.decided_at.desc(), Submission.id.desc()).limit(limit)
    ))
