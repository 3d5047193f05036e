"""A printed list's own words in each of its languages, from the site's catalog (gettext, finder/translations).

The list's content (finder.core.print_listing) holds keys and dates; here they become words, each language's
inside Flask-Babel's `force_locale`, so a bilingual list says its front matter, legend and back page in both
languages side by side while the list itself speaks the first. Dates and times are formatted by Babel in the
site's formatting locale for the language (finder.web.i18n.FORMAT_LOCALES: "lunes", "7:00 p.m.").
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from babel.dates import format_skeleton
from flask_babel import force_locale, gettext

from finder.core.print_listing import ONLINE_PLACES, OTHER_PLACES, Group, Listing, Notice
from finder.learn.content import FIRST_MEETING_SHORT
from finder.web import i18n
from finder.web.filters import long_date, weekday_name


def text() -> dict[str, str]:
    """The fixed words of a list in the current locale; templates read only these keys."""
    return {
        "meetings": gettext("Meetings"),
        "in_person": gettext("Meetings in person (hybrid ones also online)"),
        "online": gettext("Online meetings"),
        "online_note": gettext("Join from anywhere with a phone or a computer. Hybrid meetings are listed with "
                               "their place."),
        "legend": gettext("What the codes mean"),
        "wheelchair": gettext("Wheelchair accessible"),
        "times_in": gettext("Times are in"),
        "printed_on": gettext("Printed on"),
        "check_online": gettext("check online for changes"),
        "live_list": gettext("This list, always current"),
        "helpline": gettext("Helpline"),
        "crisis": gettext("Need help now?"),
        "first_meeting": gettext("Your first meeting"),
        "nothing": gettext("No meetings match this list."),
        "nothing_hint": gettext("Try a wider area or fewer filters online, or call a helpline below."),
        "online_join": gettext("Online"),
        "hybrid_join": gettext("Hybrid: in person and online"),
        "dial_in": gettext("Dial in"),
        "closed_building": gettext("Building temporarily closed"),
        "closed_no_online": gettext("check with the group before you go"),
        "next_day": gettext("next day"),
        "their_time": gettext("their time"),
        "no_formats": gettext("No formats listed"),
    }


@dataclass(frozen=True)
class Words:
    """Everything a list says in one language."""

    language: str
    text: dict[str, str]
    title: str
    subtitle: str
    printed_on: str
    legend: list[tuple[str, str]]  # (code, name) in this language
    first_meeting: list[str]


def words_in(language: str, listing: Listing, titles: dict[str, tuple[str, str]], today: dt.date) -> Words:
    """The list's words in `language` (`titles`: language -> (title, subtitle), made by the service)."""
    with force_locale(language):
        title, subtitle = titles[language]
        return Words(
            language=language, text=text(), title=title, subtitle=subtitle, printed_on=long_date(today),
            legend=[(code, gettext(name)) for code, name in listing.legend],
            first_meeting=[str(paragraph) for paragraph in FIRST_MEETING_SHORT],
        )


def all_words(languages: Sequence[str], listing: Listing, titles: dict[str, tuple[str, str]],
              today: dt.date) -> list[Words]:
    return [words_in(language, listing, titles, today) for language in languages]


def short_day(day: dt.date) -> str:
    """'Thu, Dec 24', 'jue, 24 de dic'."""
    return format_skeleton("MMMEd", day, locale=i18n.format_locale())


def heading(group: Group) -> str:
    """A group's heading in the current locale: the weekday, the city, or what stands for no city."""
    if group.weekday is not None:
        return weekday_name(group.weekday)
    if group.place == ONLINE_PLACES:
        return gettext("Online")
    if group.place == OTHER_PLACES:
        return gettext("Other places")
    return group.city


def notice(item: Notice) -> str:
    """A cancelled week or a closure in words: 'Not meeting Thu, Dec 24 (Christmas Eve)'."""
    why = f" ({item.reason})" if item.reason else ""
    if item.first == item.last:
        return gettext("Not meeting %(day)s%(why)s", day=short_day(item.first), why=why)
    if item.kind == "closed":
        return gettext("Closed %(first)s to %(last)s%(why)s", first=short_day(item.first),
                       last=short_day(item.last), why=why)
    return gettext("Not meeting %(first)s to %(last)s%(why)s", first=short_day(item.first),
                   last=short_day(item.last), why=why)


def template_helpers() -> dict[str, Any]:
    return {"heading": heading, "notice": notice}
