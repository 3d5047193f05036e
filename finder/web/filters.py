"""Jinja filters, all registered here: distances, times, "starts in", labels in words.

Pages compute nothing here that is a business rule: search and schedule decide *what* is true (distance, next
start, in progress); these filters only say it the way a phone screen should. Template globals are registered in
finder.web.template_globals; result cards are worded in finder.search.cards.
"""
from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, urlsplit

from babel.dates import format_date, format_skeleton, format_time, get_day_names, get_timezone_location
from babel import Locale
from babel.numbers import format_decimal
from flask import Flask
from flask_babel import gettext, lazy_gettext, ngettext
from markupsafe import Markup, escape

from finder.core import schedule, subscribe, texts
from finder.web import i18n
from finder.core.geo import km_to_miles
from finder.core.vocab import FORMAT_BY_CODE

UNITS = ("mi", "km")

ATTENDANCE_LABELS = {
    "in_person": lazy_gettext("In person"),
    "online": lazy_gettext("Online"),
    "hybrid": lazy_gettext("In person and online"),
}

ACCEPTING_LABELS = {
    "yes": lazy_gettext("Accepting new clients"),
    "no": lazy_gettext("Not accepting new clients"),
    "waitlist": lazy_gettext("Waiting list for new clients"),
}

# Up to this many minutes ahead, a start is said as "starts in ..."; later ones are just a day and a time.
STARTS_IN_HORIZON = 180


def long_date(value: dt.date) -> str:
    """'December 6, 2026' / '6 de diciembre de 2026': a date in words, in the reader's language."""
    return format_date(value, "long", locale=i18n.format_locale())


# A weekday and a date without the year, per language (CLDR has no such full-width skeleton for these locales);
# a language missing here gets its long date.
DAY_DATE_PATTERNS = {"en": "EEEE, MMMM d", "es": "EEEE, d 'de' MMMM"}


def day_date(value: dt.date) -> str:
    """'Monday, December 7' / 'lunes, 7 de diciembre': a day within the year, in the reader's language."""
    pattern = DAY_DATE_PATTERNS.get(i18n.current_language(), "long")
    return format_date(value, pattern, locale=i18n.format_locale())


def weekday_name(weekday: int) -> str:
    """Monday=0 convention -> 'Monday' / 'Lunes' (capitalized: it starts a line or a label)."""
    if not isinstance(weekday, int) or not 0 <= weekday <= 6:
        raise ValueError(f"not a Python weekday (Monday = 0 .. Sunday = 6): {weekday!r}")
    return _weekday_names(i18n.format_locale())[weekday]


@functools.cache
def _weekday_names(locale: str) -> tuple[str, ...]:
    names = get_day_names("wide", locale=locale)
    return tuple(names[day][:1].upper() + names[day][1:] for day in range(7))


def clock(value: dt.time | dt.datetime) -> str:
    """A wall-clock time as a US phone shows it: 7:30 PM, 7:30 p.m. (noon and midnight read 12:00 PM / 12:00 AM)."""
    return _clock(i18n.format_locale(), value.hour, value.minute)


@functools.lru_cache(maxsize=4096)
def _clock(locale: str, hour: int, minute: int) -> str:
    # A plain time: Babel would move an aware datetime into the server's zone. CLDR's narrow no-break space
    # before AM/PM becomes a plain one, as phones and the rest of our text write it.
    return format_time(dt.time(hour, minute), "short", locale=locale).replace("\u202f", " ")


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
        return gettext("under %(amount)s %(unit)s", amount=_number(0.1, "0.0"), unit=unit)
    if value < 10:
        return gettext("%(amount)s %(unit)s", amount=_number(value, "0.0"), unit=unit)
    return gettext("%(amount)s %(unit)s", amount=_number(round(value), "#,##0"), unit=unit)


def _number(value: float, pattern: str) -> str:
    return format_decimal(value, format=pattern, locale=i18n.format_locale())


def amount(value: float | None) -> str:
    """A radius or count for a sentence: 5.0 -> '5', 2.5 -> '2.5', 16.09 -> '16'."""
    if value is None:
        return ""
    if value >= 10:
        return _number(round(value), "#,##0")
    return _number(value, "0.#")


def duration(minutes: int | None) -> str:
    """60 -> '1 hour', 90 -> '1 hour 30 min', 45 -> '45 min'."""
    if not minutes:
        return ""
    hours, rest = divmod(int(minutes), 60)
    if hours and rest:
        return ngettext("%(num)d hour %(minutes)d min", "%(num)d hours %(minutes)d min", hours, minutes=rest)
    if hours:
        return ngettext("%(num)d hour", "%(num)d hours", hours)
    return gettext("%(minutes)d min", minutes=rest)


def starts_in(minutes: int | None) -> str:
    """'starts now', 'starts in 25 min', 'starts in 1 h 5 min'; '' when unknown or further than 3 hours."""
    if minutes is None or minutes < 0 or minutes > STARTS_IN_HORIZON:
        return ""
    if minutes == 0:
        return gettext("starts now")
    hours, rest = divmod(minutes, 60)
    if not hours:
        return gettext("starts in %(minutes)d min", minutes=rest)
    if rest:
        return gettext("starts in %(hours)d h %(minutes)d min", hours=hours, minutes=rest)
    return gettext("starts in %(hours)d h", hours=hours)


def day_label(start: dt.datetime, now: dt.datetime) -> str:
    """'Today', 'Tomorrow', 'Friday' (within a week) or 'Friday, Dec 4', read in the start's own zone."""
    local_now = now.astimezone(start.tzinfo)
    days = (start.date() - local_now.date()).days
    if days == 0:
        return gettext("Today")
    if days == 1:
        return gettext("Tomorrow")
    name = weekday_name(start.weekday())
    if 1 < days < 7:
        return name
    date = format_skeleton("MMMd", start.date(), locale=i18n.format_locale())
    return gettext("%(weekday)s, %(date)s", weekday=name, date=date)


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


def viewer_when(start: dt.datetime | None, viewer_zone: str | None, now: dt.datetime) -> str:
    """'8:00 PM' (or 'Tomorrow 1:00 AM' when the day differs) on the viewer's clock when it reads otherwise than
    the meeting's; '' when it reads the same or the viewer's zone is unknown."""
    if start is None or not viewer_zone:
        return ""
    if getattr(start.tzinfo, "key", None) == viewer_zone:
        return ""  # the same zone reads the same clock (most results: a shortcut worth 3 µs a card)
    theirs = schedule.for_viewer(start, viewer_zone).viewer
    if theirs is None:
        return ""
    day = day_label(theirs, now)
    return clock(theirs) if day == day_label(start, now) else f"{day} {clock(theirs)}"


def attendance_label(attendance: str) -> str:
    """'in_person' -> 'In person'."""
    found = ATTENDANCE_LABELS.get(attendance)
    return str(found) if found is not None else attendance.replace("_", " ").capitalize()


def accepting_label(accepting: str) -> str:
    """'yes' -> 'Accepting new clients'."""
    return str(ACCEPTING_LABELS.get(accepting, ""))


def tel(phone: str | None) -> str:
    """A `tel:` URI for a phone number as people write it: keeps digits and + , * # (pauses and codes)."""
    if not phone:
        return ""
    kept = "".join(c for c in phone if c.isascii() and (c.isdigit() or c in "+,*#;"))
    return "tel:" + quote(kept, safe="+,;") if any(c.isdigit() for c in kept) else ""


def end_clock(weekly: Any) -> str:
    """When a weekly slot ends on the clock: '8:00 PM', or '12:30 AM (next day)' past midnight."""
    start = dt.datetime.combine(dt.date(2000, 1, 3), weekly.start)
    end = start + dt.timedelta(minutes=weekly.duration_minutes or 60)
    if end.date() != start.date():
        return gettext("%(time)s (next day)", time=clock(end))
    return clock(end)


def zone_name(zone: str | None) -> str:
    """A zone as people name it: 'America/Chicago' -> 'Chicago', 'America/Argentina/Buenos_Aires' -> 'Buenos
    Aires', 'America/New_York' -> 'Nueva York' in Spanish; '' for none. (The zone's main city: what phones show
    under a world clock.)"""
    if not zone:
        return ""
    if "/" not in zone or zone.startswith("Etc/"):
        return zone.removeprefix("Etc/")
    return _zone_city(zone, i18n.format_locale())


@functools.lru_cache(maxsize=512)
def _zone_city(zone: str, locale: str) -> str:
    """The zone's main city as the reader's language names it (CLDR: 'Nueva York' in Spanish), else its id's."""
    try:
        return get_timezone_location(zone, locale=locale, return_city=True)
    except (LookupError, ValueError):
        return zone.rsplit("/", 1)[-1].replace("_", " ")


def _clock_range(start: dt.time, minutes: int) -> str:
    """'7:00-8:30 PM', '11:00 AM-12:30 PM', '11:00 PM-12:30 AM (next day)'."""
    begin = dt.datetime.combine(dt.date(2000, 1, 3), start)
    end = begin + dt.timedelta(minutes=minutes or 60)
    first, last = clock(begin), clock(end)
    if end.date() != begin.date():
        return f"{first}\u2013" + gettext("%(time)s (next day)", time=last)
    if first[-3:] in (" AM", " PM") and first[-3:] == last[-3:]:
        first = first[:-3]  # "7:00-8:30 PM": one AM/PM for both
    return f"{first}\u2013{last}"


def _day_runs(weekdays: list[int]) -> str:
    """[0, 1, 2, 3, 4] -> 'Mon-Fri'; [0, 2, 4] -> 'Mon, Wed, Fri'; [5] -> 'Saturdays' (in the reader's language)."""
    days = sorted(set(weekdays))
    locale = i18n.format_locale()
    if len(days) == 1:
        # English says a weekly day in the plural ("Saturdays"); the other languages here use the name as is.
        return weekday_name(days[0]) + ("s" if locale.startswith("en") else "")
    if len(days) == 7:
        return gettext("Every day")
    runs: list[list[int]] = []
    for day in days:
        if runs and day == runs[-1][-1] + 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    short = get_day_names("abbreviated", locale=locale)
    return ", ".join(f"{short[r[0]]}\u2013{short[r[-1]]}" if len(r) > 2 else ", ".join(short[d] for d in r)
                     for r in runs)


def grouped_times(times: Iterable[Any]) -> list[str]:
    """Weekly times said the short way: days that share a start and a length go together ('Mon-Fri 7:00-8:30
    PM'), in weekday order of their first day."""
    groups: dict[tuple[dt.time, int], list[int]] = {}
    for t in times:
        groups.setdefault((t.start, t.duration_minutes or 60), []).append(t.weekday)
    ordered = sorted(groups.items(), key=lambda item: (min(item[1]), item[0][0]))
    return [f"{_day_runs(days)} {_clock_range(start, minutes)}" for (start, minutes), days in ordered]


def dial_parts(phone: str | None) -> tuple[str, str]:
    """A dial-in string split for reading: ('+1 646 555 0100', '1953#') from '+1 646 555 0100,,1953#'.

    The part after the first pause (',' or ';') is what the phone dials once the call connects (a meeting ID or a
    passcode); ('', '') for nothing."""
    if not phone:
        return "", ""
    text = phone.strip()
    for i, char in enumerate(text):
        if char in ",;":
            return text[:i].strip(), text[i:].strip(" ,;")
    return text, ""


def http_url(url: str | None) -> str:
    """The URL when it is http(s), else '' (a javascript: or data: link never reaches a page)."""
    if not url:
        return ""
    url = url.strip()
    return url if urlsplit(url).scheme.lower() in ("http", "https") and "//" in url[:8] else ""


def nl2br(text: str | None) -> Markup:
    """Escape, then keep the writer's line breaks."""
    if not text:
        return Markup("")
    return Markup("<br>").join(escape(line) for line in str(text).splitlines())


def format_name(code: str) -> str:
    """A format code in words ('BEG' -> 'Beginners'); an unknown code comes back as it was."""
    spec = FORMAT_BY_CODE.get(str(code).upper())
    return term(spec.name) if spec else str(code)


def host(url: str | None) -> str:
    """The host a link goes to, for naming a source: 'www.samaritans.org'."""
    return urlsplit(url or "").hostname or ""


def term(text: str | None) -> str:
    """A vocabulary word (a format's name or description, a treatment service, a counselor term) in the reader's
    language. The catalog holds the vocabularies' English (finder.core.vocab); a word it does not know, such as
    an imported format's own name, is shown as written."""
    return gettext(text) if text else ""


def language_name(code: str) -> str:
    """A language's name in the reader's language ('es' -> 'Spanish', 'Español'), capitalized as a name on its
    own; the English name (finder.core.texts) or the code when Babel does not know it."""
    name = Locale.parse(i18n.format_locale()).languages.get(code) or dict(texts.LANGUAGES).get(code) or code
    return name[:1].upper() + name[1:]


def alarm_words(minutes: int) -> str:
    """A reminder's lead time in the page's language ("1 hour 30 minutes"); subscribe.alarm_words is the feed's."""
    minutes = int(minutes)
    if minutes == subscribe.MAX_ALARM_MINUTES:
        return gettext("1 day")
    hours, rest = divmod(minutes, 60)
    parts = [ngettext("%(num)d hour", "%(num)d hours", hours)] if hours else []
    parts += [ngettext("%(num)d minute", "%(num)d minutes", rest)] if rest else []
    return " ".join(parts)


FILTERS = (
    weekday_name, clock, clock_text, distance, amount, duration, starts_in, when, day_label, zone_abbr,
    viewer_when, zone_name, grouped_times, dial_parts, host, format_name, attendance_label, accepting_label, tel,
    nl2br, end_clock, http_url, long_date, day_date, term, alarm_words, language_name, i18n.keep_language,
)


def init_app(app: Flask) -> None:
    """Every Jinja filter, registered under its function's name."""
    for function in FILTERS:
        app.add_template_filter(function)
