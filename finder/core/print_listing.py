"""What a printed meeting list holds, before any page: entries by day (or by city), marks, the legend. Pure.

Every weekly time of every meeting becomes one entry, so a meeting that meets three times a week is listed
three times, once under each day. Times are printed in one zone, named on every page; a meeting elsewhere is
converted on its next occurrence and also shows its own clock. Nothing is dropped: a meeting with no formats, one
that runs past midnight, one whose building is closed or that skips a week in the next months all appear,
marked. Online-only meetings go in a section of their own or stay in place, as asked; hybrid meetings meet in a
room, so they stay with their place and carry how to join.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from finder.core import schedule
from finder.core.print_options import PrintOptions
from finder.core.vocab import FORMAT_BY_CODE, FORMATS

# A printed list lives on a table for months: it announces cancelled weeks and closures this far ahead.
NOTICE_DAYS = 90
# Sunday first, as NA meeting lists in the US print their week.
WEEK = (6, 0, 1, 2, 3, 4, 5)
_CODE_ORDER = {spec.code: i for i, spec in enumerate(FORMATS)}
WHEELCHAIR = "WCHR"

# Group keys for the places that are not a city, printed after every city (in any language).
OTHER_PLACES, ONLINE_PLACES = 1, 2


@dataclass(frozen=True)
class Notice:
    """A cancelled week or a closure ahead, said in words by the printing layer (finder.printing.words)."""

    kind: str  # cancelled | closed
    first: dt.date
    last: dt.date
    reason: str


@dataclass(frozen=True)
class Entry:
    """One weekly time of one meeting, as printed."""

    meeting_id: int
    slug: str
    name: str
    weekday: int  # Python convention, in the printed zone
    start: dt.time  # in the printed zone
    end: dt.time
    ends_next_day: bool
    own_start: dt.time | None  # the meeting's own clock when its zone is not the printed one
    own_zone: str | None
    attendance: str  # in_person | online | hybrid
    city: str
    place_name: str
    address: str
    place_notes: str
    codes: tuple[str, ...]
    wheelchair: bool
    temporarily_closed: bool
    join_url: str
    join_notes: str
    phone: str
    phone_notes: str
    notices: tuple[Notice, ...]  # cancelled weeks and closures ahead


@dataclass
class Group:
    """A day or a city and its entries in order. The printing layer names it in the list's language: a weekday,
    a city as its data spells it, or OTHER_PLACES / ONLINE_PLACES (`place`)."""

    key: Any
    weekday: int | None = None
    city: str = ""
    place: int = 0  # 0: the city; OTHER_PLACES: meetings without one; ONLINE_PLACES: online meetings
    entries: list[Entry] = field(default_factory=list)


@dataclass
class Section:
    """`kind`: 'meetings' (the whole list), 'in_person' (with hybrid ones) or 'online' (online-only ones)."""

    kind: str
    groups: list[Group]

    @property
    def entries(self) -> list[Entry]:
        return [entry for group in self.groups for entry in group.entries]


@dataclass(frozen=True)
class Listing:
    sections: list[Section]
    legend: list[tuple[str, str]]  # (code, name) for every code printed, in the vocabulary's order
    zone: str
    meetings: int
    wheelchair_used: bool

    @property
    def entries(self) -> list[Entry]:
        return [entry for section in self.sections for entry in section.entries]

    @property
    def empty(self) -> bool:
        return not self.meetings


def list_zone(meetings: Iterable[Any]) -> str:
    """The zone a list prints its times in when none was asked: the most common zone of its meetings with a
    real place (online-only ones are placed only roughly), else of all; UTC for an empty list."""
    meetings = list(meetings)
    counts = Counter(m.place.timezone for m in meetings if m.attendance != "online")
    if not counts:
        counts = Counter(m.place.timezone for m in meetings)
    if not counts:
        return "UTC"
    return min(counts.items(), key=lambda item: (-item[1], item[0]))[0]


def build_listing(meetings: Sequence[Any], options: PrintOptions, zone: str, today: dt.date) -> Listing:
    """Entries for every weekly time of `meetings`, grouped and ordered as `options` say, printed in `zone`;
    `today` (in that zone) dates the notices. `meetings` are finder.plain rows with their exceptions."""
    entries = [entry for meeting in meetings for entry in _entries(meeting, zone, today)]
    separate = options.virtual == "section"
    main = [e for e in entries if not (separate and e.attendance == "online")]
    online = [e for e in entries if separate and e.attendance == "online"]
    sections = []
    if main:
        sections.append(Section("in_person" if online else "meetings", _groups(main, options.order)))
    if online:
        sections.append(Section("online", _groups(online, "day")))
    used = {code for e in entries for code in e.codes}
    legend = [(code, _format_name(code, meetings)) for code in sorted(used, key=_code_key)]
    return Listing(sections=sections, legend=legend, zone=zone, meetings=len(meetings),
                   wheelchair_used=any(e.wheelchair for e in entries))


def _code_key(code: str) -> tuple[int, str]:
    return (_CODE_ORDER.get(code, len(_CODE_ORDER)), code)


def _format_name(code: str, meetings: Sequence[Any]) -> str:
    spec = FORMAT_BY_CODE.get(code)
    if spec is not None:
        return spec.name
    for meeting in meetings:  # a code from an import that our vocabulary lacks: its own name
        for f in meeting.formats:
            if f.code == code:
                return f.name
    return code


def _groups(entries: list[Entry], order: str) -> list[Group]:
    groups: list[Group] = []
    if order == "city":
        def key(e: Entry) -> tuple:
            place = ONLINE_PLACES if e.attendance == "online" else (0 if e.city else OTHER_PLACES)
            city = e.city if place == 0 else ""
            return (place, city.casefold(), city, WEEK.index(e.weekday), e.start, e.name.casefold(), e.meeting_id)
        for entry in sorted(entries, key=key):
            k = key(entry)
            if not groups or groups[-1].key != k[:3]:
                groups.append(Group(k[:3], city=k[2], place=k[0]))
            groups[-1].entries.append(entry)
        return groups

    def by_day(e: Entry) -> tuple:
        return (WEEK.index(e.weekday), e.start, e.name.casefold(), e.meeting_id)
    for entry in sorted(entries, key=by_day):
        if not groups or groups[-1].weekday != entry.weekday:
            groups.append(Group(entry.weekday, weekday=entry.weekday))
        groups[-1].entries.append(entry)
    return groups


def _codes(meeting: Any) -> tuple[str, ...]:
    codes = {f.code for f in meeting.formats}
    # Venue codes follow from attendance and status (finder.vocab.VENUE_FORMATS), whatever an import said.
    codes -= {"VM", "HYBR", "TC"}
    if meeting.attendance == "online":
        codes.add("VM")
    elif meeting.attendance == "hybrid":
        codes.add("HYBR")
    if meeting.status == "temporarily_closed":
        codes.add("TC")
    return tuple(sorted(codes, key=_code_key))


def _entries(meeting: Any, zone: str, today: dt.date) -> list[Entry]:
    place = meeting.place
    codes = _codes(meeting)
    own_zone = place.timezone
    converted = own_zone != zone
    address = ", ".join(part for part in (place.street, place.city) if part) if meeting.attendance != "online" else ""
    found = []
    for weekly in meeting.times:
        weekly_time = schedule.WeeklyTime.of(weekly)
        weekday, start, end, next_day = _printed_clock(weekly_time, own_zone, zone, today)
        found.append(Entry(
            meeting_id=meeting.id, slug=meeting.slug, name=meeting.name,
            weekday=weekday, start=start, end=end, ends_next_day=next_day,
            own_start=weekly_time.start if converted else None, own_zone=own_zone if converted else None,
            attendance=meeting.attendance, city=place.city or "",
            place_name=place.name if meeting.attendance != "online" else "",
            address=address, place_notes=place.notes if meeting.attendance != "online" else "",
            codes=codes, wheelchair=_wheelchair(codes), temporarily_closed=meeting.status == "temporarily_closed",
            join_url=_http_url(meeting.conference_url) if meeting.attendance != "in_person" else "",
            join_notes=meeting.conference_notes if meeting.attendance != "in_person" else "",
            phone=meeting.phone if meeting.attendance != "in_person" else "",
            phone_notes=meeting.phone_notes if meeting.attendance != "in_person" else "",
            notices=tuple(notices(meeting.exceptions, weekly_time.weekday, today)),
        ))
    return found


def _wheelchair(codes: tuple[str, ...]) -> bool:
    return WHEELCHAIR in codes


def _http_url(url: str | None) -> str:
    """A join link worth printing: http(s) only (the page prints it as text and as a QR code)."""
    url = (url or "").strip()
    scheme, _, rest = url.partition("://")
    return url if scheme.lower() in ("http", "https") and rest else ""


def _printed_clock(weekly: schedule.WeeklyTime, own_zone: str, zone: str,
                   today: dt.date) -> tuple[int, dt.time, dt.time, bool]:
    """(weekday, start, end, ends the next day) as the printed zone's clock reads them.

    In its own zone a weekly time is its wall clock. In another zone the next occurrence from `today` is
    converted (the offset between two zones can differ by season; the list is dated, so that is the one).
    """
    if own_zone == zone:
        start = dt.datetime.combine(dt.date(2001, 1, 1) + dt.timedelta(days=weekly.weekday), weekly.start)
        end = start + dt.timedelta(minutes=weekly.duration_minutes)
        return weekly.weekday, weekly.start, end.time(), end.date() != start.date()
    occurrence = schedule.occurrence_on(schedule.first_on_or_after(today, weekly.weekday), weekly, own_zone)
    tz = schedule.zone_of(zone)
    start_here, end_here = occurrence.start.astimezone(tz), occurrence.end.astimezone(tz)
    return (start_here.weekday(), start_here.time().replace(tzinfo=None), end_here.time().replace(tzinfo=None),
            end_here.date() != start_here.date())


def notices(exceptions: Iterable[Any], weekday: int, today: dt.date) -> list[Notice]:
    """Cancelled weeks and closures of a weekly time (its own weekday, in its own zone) within NOTICE_DAYS of
    `today`: a closure is 'closed', any other exception 'cancelled'."""
    horizon = today + dt.timedelta(days=NOTICE_DAYS)
    found = []
    for exception in sorted(exceptions, key=lambda e: e.start_date):
        first = exception.start_date
        last = exception.end_date if exception.end_date and exception.end_date >= first else first
        if last < today or first > horizon:
            continue
        hit = schedule.first_on_or_after(max(first, today), weekday)
        if hit > last or hit > horizon:
            continue  # the range holds no occurrence of this weekly time
        kind = "closed" if exception.kind == "closed" and first != last else "cancelled"
        found.append(Notice(kind, first, last, exception.reason or ""))
    return found
