"""iCalendar for meetings: one event builder, one calendar assembler, bytes at the edge (RFC 5545/7986).

Pure: takes meetings (ORM rows or anything with the same attribute names, see notes/common.md) and returns the
bytes of a calendar. Nothing here reads the clock: the same input gives the same bytes, which is what lets a
subscription answer 304 and lets calendar apps keep their copies instead of re-importing. Events are written by
the small RFC 5545 writer below (icalendar's object model is ~10x too slow for a 1,000-meeting feed); icalendar
writes the VTIMEZONEs, and the tests parse every output back with icalendar and recurring-ical-events.

Rules followed (DOMAIN.md section 4): one VEVENT per weekly time with RRULE FREQ=WEEKLY;BYDAY, DTSTART with
TZID on a real occurrence, a VTIMEZONE per TZID over a narrow window, a stable UID, DTSTAMP = LAST-MODIFIED =
the meeting's last change, SEQUENCE from the meeting, a cancelled week as a RECURRENCE-ID override with
STATUS:CANCELLED (so calendars show it cancelled instead of silently empty; older weeks as EXDATE in DTSTART's
form), STATUS:CANCELLED for an inactive meeting, CONFERENCE (RFC 7986) plus the link in LOCATION/DESCRIPTION
because Google and Outlook ignore CONFERENCE, and a VALARM only when the subscriber asked for a reminder.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from icalendar import Timezone

from finder.core import schedule, texts
from finder.core.freshness import public_notes
from finder.core.schedule import WeeklyTime
from finder.core.subscribe import alarm_words
from finder.core.words import N_

UTC = dt.timezone.utc
PRODID = "-//NA Meeting Finder//Meeting calendars//EN"
REFRESH = dt.timedelta(hours=12)
CONTENT_TYPE = "text/calendar; charset=utf-8"

# EXDATEs are listed up to this many years past the feed's year; a closure running longer ends the series
# instead (UNTIL), so a hostile "closed until 9999" cannot blow a feed up.
HORIZON_YEARS = 3
# Skipped weeks from Jan 1 of the year before the feed's are written as cancelled instances (RECURRENCE-ID with
# STATUS:CANCELLED), at most this many per weekly series; older or further ones stay plain EXDATEs, which cost a
# few bytes each, so a long closure cannot blow a feed up either.
MAX_CANCELLED_WEEKS = 26

ATTENDANCE_WORDS = {
    "in_person": N_("In-person meeting."),
    "online": N_("Online meeting."),
    "hybrid": N_("In-person and online (hybrid) meeting."),
}
# Order formats are listed in: what a newcomer needs first (open or closed), then the rest.
FORMAT_KIND_ORDER = ("open_closed", "format", "audience", "access", "language", "literature", "venue")


@dataclass(frozen=True)
class Links:
    """Absolute URLs the events point at; built by the view (url_for) so this module stays pure.

    meeting_url: slug -> https URL of the meeting page.
    explanation_url: the page explaining formats (or None).
    uid_domain: the right-hand side of every UID; must never change, or every subscriber gets duplicates.
    first_meeting_url: the page on what to expect at a first meeting (or None).
    translate: the calendar's words in its language (gettext for `language`; English when not given). Only the
    words change with the language: UIDs, the meeting's name and its own text stay as they are.
    """

    meeting_url: Callable[[str], str]
    explanation_url: str | None
    uid_domain: str
    first_meeting_url: str | None = None
    translate: Callable[[str], str] = str
    language: str = "en"

    @functools.cached_property
    def written(self) -> tuple[str | None, ...]:
        """What the links write into events, comparable across requests (meeting_url is a new function each)."""
        return (self.meeting_url("{slug}"), self.explanation_url, self.uid_domain, self.first_meeting_url,
                self.language)


@dataclass(frozen=True)
class FeedInfo:
    """A calendar's name and, for subscriptions, its own https URL (written as URL and SOURCE)."""

    name: str
    url: str | None = None
    description: str | None = None


# --- the RFC 5545 writer ----------------------------------------------------------------------------------------
# Events are written as content lines here rather than through icalendar's object model, which costs ~0.6 ms per
# event (a 1,000-meeting feed would take ~600 ms); icalendar still writes the VTIMEZONEs and every test parses
# the output back with it.


@dataclass(frozen=True)
class Vevent:
    """One written VEVENT: its zone (for the VTIMEZONE), first day (for the window), its folded bytes, and whether
    a reminder may go in it (never in a cancelled meeting or week)."""

    zone: str
    first_day: dt.date
    body: bytes
    alarmable: bool = True


def text(value: str) -> str:
    """A TEXT value: backslash, semicolon, comma and newline escaped (RFC 5545 3.3.11)."""
    # chained replace is ~10x faster than str.translate here, and feeds escape a lot of text
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


_NOT_IN_URI = re.compile(r"[\x00-\x20\x7f]")


def uri(value: str) -> str:
    """A URI value: no escaping exists for these, so anything that could break the line is dropped."""
    return _NOT_IN_URI.sub("", value)


def prop(name: str, value: str, **params: str) -> str:
    """One unfolded content line. Parameter values are quoted when they hold ; or :, and written in key order.

    A comma inside a parameter value separates a list (FEATURE=AUDIO,VIDEO) and is kept unquoted.
    """
    if not params:
        return f"{name}:{value}"
    written = ";".join(f"{key}={_quote_param(params[key])}" for key in sorted(params))
    return f"{name};{written}:{value}"


def _quote_param(value: str) -> str:
    value = value.replace('"', "").replace("\r", "").replace("\n", " ")
    return f'"{value}"' if (";" in value or ":" in value) else value


def local_datetime(value: dt.datetime) -> str:
    """Wall-clock DATE-TIME (to be written with TZID)."""
    return "%04d%02d%02dT%02d%02d%02d" % (value.year, value.month, value.day, value.hour, value.minute, value.second)


def utc_datetime(value: dt.datetime) -> str:
    """UTC DATE-TIME with the Z suffix; refuses naive input rather than guess."""
    if value.tzinfo is None:
        raise ValueError("naive datetime: refusing to write a floating time")
    return local_datetime(value.astimezone(UTC)) + "Z"


def duration(value: dt.timedelta) -> str:
    """A DURATION like PT12H (whole seconds)."""
    seconds = int(value.total_seconds())
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    out = "PT" + (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "") + (f"{seconds}S" if seconds else "")
    return out if out != "PT" else "PT0S"


def fold(line: str) -> bytes:
    """One content line as UTF-8, folded at 75 octets without splitting a character (RFC 5545 3.1)."""
    data = line.encode("utf-8")
    if len(data) <= 75:
        return data
    pieces = []
    start, limit = 0, 75
    while start < len(data):
        end = min(start + limit, len(data))
        while end < len(data) and (data[end] & 0xC0) == 0x80:  # a UTF-8 continuation byte: back up
            end -= 1
        pieces.append(data[start:end])
        start, limit = end, 74  # continuation lines start with a space, which counts
    return b"\r\n ".join(pieces)


def fold_lines(lines: Iterable[str]) -> bytes:
    """Lines folded and each ended with CRLF."""
    # Most lines are short ASCII and need no folding; encode those in one go.
    return "".join(
        (line + "\r\n") if len(line) <= 75 and line.isascii() else fold(line).decode("utf-8") + "\r\n"
        for line in lines
    ).encode("utf-8")


# --- small value helpers ------------------------------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def clean_text(value: object) -> str:
    """Text safe for a property: line ends normalised to LF (icalendar escapes them), control characters dropped."""
    if value is None:
        return ""
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", text).strip()


def as_utc(value: dt.datetime | None) -> dt.datetime | None:
    """An aware UTC datetime; a naive one is a stored `*_at` value and therefore already UTC (SQLite drops zones)."""
    if value is None or value.tzinfo is UTC:
        return value
    if value.tzinfo is None or value.utcoffset() is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _known_zone(name: object) -> str | None:
    if not isinstance(name, str) or not name:
        return None
    try:
        schedule.zone_of(name)
    except ValueError:
        return None
    return name


def _web_link(value: object) -> str | None:
    url = uri(clean_text(value))
    # Only web links: a calendar app makes this clickable, and javascript: or file: must never be.
    return url if url.lower().startswith(("https://", "http://")) else None


def _full_address(place: Any) -> str:
    address = getattr(place, "full_address", None)
    if isinstance(address, str):
        return clean_text(address)
    parts = [getattr(place, k, None) for k in ("street", "city", "region", "postal_code", "country")]
    return clean_text(", ".join(str(p) for p in parts if p))


@functools.lru_cache(maxsize=1024)
def _format_words(name: str, code: str, meaning: str) -> tuple[str, str]:
    return clean_text(name) or clean_text(code), clean_text(meaning)


def _format_line(words: tuple[str, str], translate: Callable[[str], str]) -> str:
    name, meaning = translate(words[0]), translate(words[1]) if words[1] else ""
    return f"- {name}: {meaning}" if meaning else f"- {name}"


def _format_key(fmt: Any) -> tuple[int, str]:
    kind = getattr(fmt, "kind", None)
    rank = FORMAT_KIND_ORDER.index(kind) if kind in FORMAT_KIND_ORDER else len(FORMAT_KIND_ORDER)
    return rank, str(getattr(fmt, "code", ""))


@dataclass(frozen=True)
class MeetingFacts:
    """What the calendar needs from a meeting, read once (ORM attribute access is the cost of a big feed).

    Built by `facts_of` from a Meeting row or anything with the same attribute names (notes/common.md).
    """

    id: int
    slug: str
    name: str
    attendance: str
    status: str
    zone: str | None
    online_url: str | None
    conference_notes: str
    phone: str
    phone_notes: str
    notes: str
    sequence: int
    created: dt.datetime | None
    changed: dt.datetime
    address: str
    place_notes: str
    geo: tuple[float, float] | None
    format_words: tuple[tuple[str, str], ...]  # (name, meaning) of each format, as stored (English vocabulary)
    times: tuple[Any, ...]
    exceptions: tuple[Any, ...]

    @property
    def in_person(self) -> bool:
        """People can go to the venue (a temporarily closed venue of a hybrid meeting: online only)."""
        if self.attendance == "hybrid":
            return self.status != "temporarily_closed"
        return self.attendance == "in_person"

    @property
    def cancelled(self) -> bool:
        """Whether calendars should show it as not happening (STATUS:CANCELLED)."""
        if self.status == "inactive":
            return True
        # A temporarily closed venue only stops the meeting when there is no online way to attend.
        return self.status == "temporarily_closed" and self.attendance == "in_person"


def facts_of(meeting: Any, language: str | None = None) -> MeetingFacts:
    """Read a meeting (and its place, formats, times, exceptions) once; its free text in `language` where its
    organizers gave it in that language, else as written."""
    def said(field: str) -> str:
        return texts.pick(meeting, field, language or getattr(meeting, "language", None) or "en").text

    place = getattr(meeting, "place", None)
    attendance = getattr(meeting, "attendance", None) or "in_person"
    status = getattr(meeting, "status", None) or "active"
    exceptions = tuple(getattr(meeting, "exceptions", None) or ())
    created = as_utc(getattr(meeting, "created_at", None))
    stamps = [as_utc(getattr(meeting, "updated_at", None)), created]
    stamps += [as_utc(getattr(exc, "created_at", None)) for exc in exceptions]
    known = [s for s in stamps if s is not None]
    # A record without timestamps still needs a stable DTSTAMP: the epoch is stable, "now" is not.
    changed = max(known) if known else dt.datetime(1970, 1, 1, tzinfo=UTC)
    online = _web_link(getattr(meeting, "conference_url", None)) if attendance in ("online", "hybrid") else None
    geo = None
    if place is not None:
        lat, lon = getattr(place, "latitude", None), getattr(place, "longitude", None)
        # A city or region centroid is not a door anyone should walk to.
        precise = getattr(place, "precision", "rooftop") in ("rooftop", "postal_code")
        if precise and lat is not None and lon is not None and -90 <= lat <= 90 and -180 <= lon <= 180:
            geo = (float(lat), float(lon))
    formats = sorted(getattr(meeting, "formats", None) or (), key=_format_key)
    facts = MeetingFacts(
        id=meeting.id,
        slug=meeting.slug,
        name=clean_text(getattr(meeting, "name", "")) or "Meeting",
        attendance=attendance,
        status=status,
        zone=_known_zone(getattr(place, "timezone", None)) if place is not None else None,
        online_url=online,
        conference_notes=clean_text(said("conference_notes")),
        phone=clean_text(getattr(meeting, "phone", None)),
        phone_notes=clean_text(said("phone_notes")),
        notes=clean_text(public_notes(meeting, said("notes"))),
        sequence=max(0, int(getattr(meeting, "sequence", 0) or 0)),
        created=created,
        changed=changed,
        address=_full_address(place) if place is not None else "",
        place_notes=clean_text(said("location_notes")) if place is not None else "",
        geo=geo,
        format_words=tuple(
            _format_words(str(getattr(f, "name", "") or ""), str(getattr(f, "code", "") or ""),
                          str(getattr(f, "description", "") or ""))
            for f in formats
        ),
        times=tuple(getattr(meeting, "times", None) or ()),
        exceptions=exceptions,
    )
    if not facts.in_person:
        facts = dataclasses.replace(facts, geo=None)
    return facts


def anchor_date(facts: MeetingFacts) -> dt.date:
    """The date series start from: the day the meeting entered the directory, in its zone (stable)."""
    created = facts.created or facts.changed
    return created.astimezone(schedule.zone_of(facts.zone or "UTC")).date()


def _time_key(row: Any) -> str:
    row_id = getattr(row, "id", None)
    if row_id is not None:
        return f"t{row_id}"
    return f"{schedule.to_byday(row.weekday).lower()}{row.start.strftime('%H%M')}"


def event_uid(meeting_id: int, time_row: Any, uid_domain: str) -> str:
    """Stable UID of one weekly series: meeting id and weekly-time id (never the slug, which may be edited)."""
    return f"meeting-{meeting_id}-{_time_key(time_row)}@{uid_domain}"


def _phone_uri(phone: str) -> str | None:
    digits = "".join(ch for ch in phone if ch.isdigit() or ch in "+,*#")
    return f"tel:{digits}" if any(ch.isdigit() for ch in digits) else None


def location_text(facts: MeetingFacts, translate: Callable[[str], str] = str) -> str:
    """LOCATION: the full address where people go; for online-only meetings the join link (clickable in apps)."""
    if facts.in_person and facts.address:
        return facts.address
    if facts.online_url:
        return facts.online_url
    return translate(N_("Online")) if facts.attendance == "online" else facts.address


def description_text(facts: MeetingFacts, links: Links) -> str:
    """DESCRIPTION: how to attend, formats in words, the explanation links, join details, notes, the page.

    The words are in the links' language; what organizers wrote (notes, passcodes) is in it too when they gave
    it in it (facts_of), else as written."""
    say = links.translate
    lines: list[str] = []
    if facts.status == "inactive":
        lines.append(say(N_("This meeting no longer meets.")))
    elif facts.status == "temporarily_closed":
        if facts.attendance == "in_person":
            lines.append(say(N_("The venue is temporarily closed: this meeting is not meeting in person for now.")))
        else:
            lines.append(say(N_("The venue is temporarily closed: meeting online only for now.")))
    lines.append(say(ATTENDANCE_WORDS.get(facts.attendance, ATTENDANCE_WORDS["in_person"])))
    if facts.format_words:
        lines += ["", say(N_("Format:")), *(_format_line(words, say) for words in facts.format_words)]
    if links.explanation_url:
        lines.append(say(N_("What these formats mean: %(url)s")) % {"url": links.explanation_url})
    if links.first_meeting_url:
        lines.append(say(N_("Going for the first time? What to expect: %(url)s")) % {"url": links.first_meeting_url})
    if facts.online_url:
        lines += ["", say(N_("Join online: %(url)s")) % {"url": facts.online_url}]
        if facts.conference_notes:
            lines.append(facts.conference_notes)
    if facts.phone and facts.attendance in ("online", "hybrid"):
        lines += ["", say(N_("Join by phone: %(phone)s")) % {"phone": facts.phone}]
        if facts.phone_notes:
            lines.append(facts.phone_notes)
    if facts.in_person and facts.address:
        lines += ["", say(N_("Where: %(address)s")) % {"address": facts.address}]
        if facts.place_notes:
            lines.append(facts.place_notes)
    if facts.notes:
        lines += ["", facts.notes]
    page = links.meeting_url(facts.slug)
    lines += ["", say(N_("Meeting page (check here for last-minute changes): %(url)s")) % {"url": page}]
    return "\n".join(lines)


def _conference_lines(facts: MeetingFacts, translate: Callable[[str], str]) -> list[str]:
    lines = []
    if facts.online_url:
        label = translate(N_("Join online"))
        lines.append(prop("CONFERENCE", facts.online_url, VALUE="URI", FEATURE="AUDIO,VIDEO", LABEL=label))
    if facts.phone and facts.attendance in ("online", "hybrid"):
        tel = _phone_uri(facts.phone)
        if tel:
            label = translate(N_("Join by phone"))
            lines.append(prop("CONFERENCE", tel, VALUE="URI", FEATURE="PHONE", LABEL=label))
    return lines


@dataclass(frozen=True)
class Series:
    """The recurrence of one weekly time: first real occurrence, where it ends (if closed), dates skipped."""

    first: schedule.Occurrence
    until: dt.datetime | None
    skipped: tuple[dt.date, ...]


def weekly_series(
    weekly: WeeklyTime, zone: str, anchor: dt.date, exceptions: Iterable[Any], horizon: dt.date
) -> Series | None:
    """The series of `weekly` from the first occurrence on or after `anchor`; None if it never happens.

    Cancelled dates and closures become skipped dates up to `horizon`; a closure that runs past `horizon` ends
    the series the week before it begins.
    """
    first_day = schedule.first_on_or_after(anchor, weekly.weekday)
    ranges = schedule.skipped_ranges(exceptions) if exceptions else []
    until: dt.datetime | None = None
    for low, high in ranges:
        if high >= horizon and high >= first_day:
            last_day = schedule.first_on_or_after(low, weekly.weekday) - dt.timedelta(days=7)
            if last_day < first_day:
                return None
            candidate = schedule.occurrence_on(last_day, weekly, zone).start.astimezone(UTC)
            until = candidate if until is None else min(until, candidate)
    skipped: set[dt.date] = set()
    for low, high in ranges:
        day = schedule.first_on_or_after(max(low, first_day), weekly.weekday)
        while day <= min(high, horizon):
            skipped.add(day)
            day += dt.timedelta(days=7)
    if until is not None:
        skipped = {d for d in skipped if d <= until.astimezone(schedule.zone_of(zone)).date()}
    return Series(schedule.occurrence_on(first_day, weekly, zone), until, tuple(sorted(skipped)))


def meeting_events(meeting: Any, links: Links, horizon: dt.date) -> list[Vevent]:
    """One VEVENT per weekly time of `meeting` (none if it has no zone or no times), in a stable order."""
    facts = meeting if isinstance(meeting, MeetingFacts) else facts_of(meeting, links.language)
    zone = facts.zone
    if zone is None:
        return []  # without a zone any time would be a guess; a floating time would be wrong for someone
    changed = utc_datetime(facts.changed)
    anchor = anchor_date(facts)
    shown_from = dt.date(horizon.year - HORIZON_YEARS - 1, 1, 1)  # Jan 1 of the year before the feed's
    # Lines every weekly time of this meeting shares, written and folded once.
    shared = [
        prop("SUMMARY", text(facts.name)),
        prop("DESCRIPTION", text(description_text(facts, links))),
    ]
    location = location_text(facts, links.translate)
    if location:
        shared.append(prop("LOCATION", text(location)))
    if facts.geo is not None:
        shared.append(prop("GEO", f"{facts.geo[0]:.6f};{facts.geo[1]:.6f}"))
    shared.append(prop("URL", uri(links.meeting_url(facts.slug)), VALUE="URI"))
    shared += _conference_lines(facts, links.translate)
    shared.append("STATUS:CANCELLED" if facts.cancelled else "STATUS:CONFIRMED")
    shared.append(f"SEQUENCE:{facts.sequence}")
    if facts.created is not None:
        shared.append(prop("CREATED", utc_datetime(facts.created)))
    shared.append(prop("LAST-MODIFIED", changed))
    # Anonymity: a shared or delegated calendar should not show where someone goes on Tuesday nights.
    shared.append("CLASS:PRIVATE")
    shared.append("END:VEVENT")
    tail = fold_lines(shared)
    rows = sorted(facts.times, key=lambda r: (r.weekday, r.start, r.duration_minutes or 60, _time_key(r)))
    events = []
    for row in rows:
        try:
            weekly = WeeklyTime.of(row)
        except ValueError:
            continue  # a malformed row must not take the whole feed down
        series = weekly_series(weekly, zone, anchor, facts.exceptions, horizon)
        if series is None:
            continue
        uid = prop("UID", text(event_uid(facts.id, row, links.uid_domain)))
        lines = [
            "BEGIN:VEVENT",
            uid,
            f"DTSTAMP:{changed}",
            f"DTSTART;TZID={zone}:{local_datetime(series.first.start)}",
            f"DTEND;TZID={zone}:{local_datetime(series.first.end)}",
        ]
        rule = f"RRULE:FREQ=WEEKLY;BYDAY={schedule.to_byday(weekly.weekday)}"
        if series.until is not None:
            rule += f";UNTIL={utc_datetime(series.until)}"  # RFC 5545: UNTIL is UTC when DTSTART has a TZID
        lines.append(rule)
        shown = [] if facts.cancelled else [d for d in series.skipped if d >= shown_from][:MAX_CANCELLED_WEEKS]
        excluded = [d for d in series.skipped if d not in shown]
        if excluded:
            # Same form as DTSTART: the nominal wall time with the TZID, which is what the RRULE generates.
            values = ",".join(local_datetime(dt.datetime.combine(day, weekly.start)) for day in excluded)
            lines.append(f"EXDATE;TZID={zone}:{values}")
        events.append(Vevent(zone, series.first.start.date(), fold_lines(lines) + tail, not facts.cancelled))
        for day in shown:
            body = cancelled_week(facts, uid, weekly, day, skip_reasons(facts.exceptions, day), changed, links)
            events.append(Vevent(zone, day, body, alarmable=False))
    return events


def skip_reasons(exceptions: Iterable[Any], day: dt.date) -> str:
    """Why `day` is skipped, in the organizers' words (cancellations and closures covering it), or ""."""
    reasons = []
    for exc in exceptions:
        last = exc.end_date if exc.end_date is not None and exc.end_date >= exc.start_date else exc.start_date
        reason = clean_text(getattr(exc, "reason", None))
        if exc.start_date <= day <= last and reason and reason not in reasons:
            reasons.append(reason)
    return "; ".join(reasons)


def cancelled_week(
    facts: MeetingFacts, uid: str, weekly: WeeklyTime, day: dt.date, reason: str, changed: str, links: Links
) -> bytes:
    """One skipped week as an override of its weekly series: the same UID, RECURRENCE-ID on the nominal wall time
    (what the RRULE generates, as EXDATE would name it), STATUS:CANCELLED.

    Calendars that show cancelled events show it struck out or marked; those that drop them drop that week, as
    an EXDATE would; one that ignores STATUS still reads "Cancelled:" in the title and sets no reminder (the
    override carries none), so no reader is told the meeting is on.
    """
    zone = facts.zone or "UTC"
    nominal = dt.datetime.combine(day, weekly.start)
    occurrence = schedule.occurrence_on(day, weekly, zone)
    page = links.meeting_url(facts.slug)
    why = f" ({reason})" if reason else ""
    lines = [
        "BEGIN:VEVENT",
        uid,
        f"DTSTAMP:{changed}",
        f"RECURRENCE-ID;TZID={zone}:{local_datetime(nominal)}",
        f"DTSTART;TZID={zone}:{local_datetime(occurrence.start)}",
        f"DTEND;TZID={zone}:{local_datetime(occurrence.end)}",
        prop("SUMMARY", text(links.translate(N_("Cancelled: %(name)s")) % {"name": facts.name})),
        prop("DESCRIPTION", text(links.translate(N_("Not meeting this week%(why)s.")) % {"why": why} + "\n\n"
                                 + links.translate(N_("Meeting page (check here for last-minute changes): %(url)s"))
                                 % {"url": page})),
        prop("URL", uri(page), VALUE="URI"),
        "STATUS:CANCELLED",
        "TRANSP:TRANSPARENT",
        f"SEQUENCE:{facts.sequence}",
        prop("LAST-MODIFIED", changed),
        "CLASS:PRIVATE",
        "END:VEVENT",
    ]
    return fold_lines(lines)


@functools.lru_cache(maxsize=512)
def _vtimezone(tzid: str, first: dt.date, last: dt.date) -> bytes:
    # Built by icalendar from the tz database; cached because one costs as much as a hundred events.
    return Timezone.from_tzid(tzid, first_date=first, last_date=last).to_ical()


def timezone_window(events: Sequence[Vevent], year: int) -> tuple[dt.date, dt.date]:
    """A narrow VTIMEZONE window: from Jan 1 of the earliest DTSTART's year to HORIZON_YEARS past `year`.

    Whole years keep the window (and so the bytes) stable while nothing changes and make the VTIMEZONEs cacheable.
    """
    first_year = min([e.first_day.year for e in events] + [year])
    return dt.date(first_year, 1, 1), dt.date(year + HORIZON_YEARS + 1, 1, 1)


def horizon_for(year: int) -> dt.date:
    """The last date EXDATEs are listed for, in a feed built during `year`."""
    return dt.date(year + HORIZON_YEARS, 12, 31)


@dataclass(frozen=True)
class Feed:
    """An assembled calendar: its wire bytes and the latest change of anything in it (None when empty)."""

    body: bytes
    last_modified: dt.datetime | None
    event_count: int


def build_feed(
    meetings: Iterable[Any], info: FeedInfo, links: Links, year: int, alarm_minutes: int | None = None
) -> Feed:
    """The calendar for `meetings`: feed properties, one VTIMEZONE per zone used, events ordered by meeting id.

    `year` is the current year (the caller reads the clock): it sets the VTIMEZONE window and the EXDATE horizon,
    so the bytes change at most once a year when nothing else does. An empty list gives a valid, named,
    empty calendar. `alarm_minutes` puts a reminder that many minutes before each meeting that is on.
    """
    horizon = horizon_for(year)
    events: list[Vevent] = []
    changes: list[dt.datetime] = []
    for meeting in sorted(meetings, key=lambda m: m.id):
        built, changed = _written_events(meeting, links, horizon)
        if built:
            events += built
            changes.append(changed)
    name = text(" ".join(clean_text(info.name).split()) or "Meetings")  # a name is one line
    head = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        prop("PRODID", PRODID),
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        prop("NAME", name),
        prop("X-WR-CALNAME", name),
    ]
    if info.description:
        description = text(clean_text(info.description))
        head += [prop("DESCRIPTION", description), prop("X-WR-CALDESC", description)]
    if info.url:
        head += [prop("URL", uri(info.url), VALUE="URI"), prop("SOURCE", uri(info.url), VALUE="URI")]
    head += [
        prop("REFRESH-INTERVAL", duration(REFRESH), VALUE="DURATION"),
        prop("X-PUBLISHED-TTL", duration(REFRESH)),
    ]
    last_modified = max(changes) if changes else None
    if last_modified is not None:
        head.append(prop("LAST-MODIFIED", utc_datetime(last_modified)))
    parts = [fold_lines(head)]
    first, last = timezone_window(events, year)
    for tzid in sorted({e.zone for e in events}):  # sorted: a set's order would change the bytes
        parts.append(_vtimezone(tzid, first, last))
    if alarm_minutes is None:
        parts += [e.body for e in events]
    else:
        alarm = alarm_block(alarm_minutes)
        parts += [e.body[: -len(END_EVENT)] + alarm + END_EVENT if e.alarmable else e.body for e in events]
    parts.append(b"END:VCALENDAR\r\n")
    return Feed(b"".join(parts), last_modified, len(events))


END_EVENT = b"END:VEVENT\r\n"


def alarm_block(minutes: int) -> bytes:
    """A VALARM `minutes` before the start (RFC 5545 3.6.6: DISPLAY needs a DESCRIPTION and a TRIGGER)."""
    if not 0 < minutes <= 7 * 24 * 60:
        raise ValueError(f"alarm minutes out of range: {minutes}")
    return fold_lines([
        "BEGIN:VALARM",
        "ACTION:DISPLAY",
        prop("DESCRIPTION", text(f"NA meeting in {alarm_words(minutes)}")),
        f"TRIGGER:-{duration(dt.timedelta(minutes=minutes))}",
        "END:VALARM",
    ])


def _written_events(meeting: Any, links: Links, horizon: dt.date) -> tuple[list[Vevent], dt.datetime]:
    """A meeting's events and its last change, kept on the row when it carries a `derived` memo (a plain row
    shared by finder.search.loader.MeetingCache): nearby search feeds share most meetings, and writing them was most
    of the feed's own time."""
    derived = getattr(meeting, "derived", None)
    key = ("ical", links.written, horizon)
    if derived is not None and key in derived:
        return derived[key]
    facts = facts_of(meeting, links.language)
    written = meeting_events(facts, links, horizon), facts.changed
    if derived is not None:
        derived[key] = written
    return written


def feed_bytes(
    meetings: Iterable[Any], info: FeedInfo, links: Links, year: int, alarm_minutes: int | None = None
) -> bytes:
    """The body of an .ics response for `meetings` (see build_feed)."""
    return build_feed(meetings, info, links, year, alarm_minutes).body
