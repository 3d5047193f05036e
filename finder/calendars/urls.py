"""Calendar URLs: the links events point at, feed URLs, and the subscribe links the calendar partial shows."""
from __future__ import annotations

import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from flask import current_app, request, url_for
from flask_babel import gettext
from sqlalchemy import select
from werkzeug.exceptions import HTTPException

from finder import db
from finder.calendars.feeds import canonical_feed_args, feed_args, search_feed_name
from finder.core import ical, subscribe
from finder.learn import content
from finder.models import Meeting, ServiceBody
from finder.web import i18n
from finder.web.filters import weekday_name
from finder.web.urls import absolute_url, public_base


def links() -> ical.Links:
    """The URLs events point at, from url_for once (not per meeting: feeds hold thousands)."""
    base = public_base()
    template = absolute_url("main.meeting", slug="SLUG", locale=_named(i18n.current_language()))
    prefix, suffix = template.rsplit("SLUG", 1)
    uid_domain = current_app.config.get("CALENDAR_UID_DOMAIN") or urllib.parse.urlsplit(base).hostname or "finder"
    language = i18n.current_language()
    return ical.Links(
        meeting_url=lambda slug: prefix + urllib.parse.quote(slug, safe="") + suffix,
        explanation_url=base + i18n.with_language(content.page_url("formats"), _named(language)),
        uid_domain=uid_domain,
        first_meeting_url=base + i18n.with_language(content.page_url("first-meeting"), _named(language)),
        translate=gettext,
        language=language,
    )


def _named(language: str) -> str | None:
    """The ?locale= a link written into a feed carries: a calendar app sends no Accept-Language to follow."""
    return language if language != i18n.DEFAULT else None



def feed_url(endpoint: str, **values: Any) -> str:
    """The absolute https (or configured) URL of a feed, in the page's language (a calendar app fetching it sends
    no Accept-Language, so the language the page spoke goes into the URL)."""
    values.setdefault(i18n.PARAM, _named(i18n.current_language()))
    return absolute_url(endpoint, **values)



def search_feed_url(pairs: Sequence[tuple[str, str]], alarm: int | None = None) -> str:
    """The absolute URL of the search feed for canonical parameters (finder.calendars.feeds.canonical_feed_args)."""
    language = _named(i18n.current_language())  # a calendar app sends no Accept-Language: the URL says it
    extra = [(subscribe.ALARM_PARAMETER, str(alarm))] if alarm else []
    extra += [(i18n.PARAM, language)] if language else []
    query = urllib.parse.urlencode([*pairs, *extra])
    return absolute_url("calendars.search_ics", **{i18n.PARAM: None}) + (f"?{query}" if query else "")


def body_names(ids: Sequence[int]) -> list[str]:
    """The names of service bodies and groups (a search feed's name says whose meetings it holds)."""
    if not ids:
        return []
    session = db.get_session()
    return sorted(session.scalars(select(ServiceBody.name).where(ServiceBody.id.in_(sorted(ids)))))


@dataclass(frozen=True)
class CalendarChoices:
    """What templates/calendars/_choices.html shows for one feed: "Subscribe" with the apps, "Download once"."""

    id: str  # the section's HTML id
    title: str
    what: str  # what the calendar app fetches again ("this meeting", "your list")
    links: subscribe.SubscribeLinks
    download_url: str
    filename: str
    alarm: int | None
    kept: tuple[tuple[str, str], ...]  # this page's parameters, which the reminder form sends back
    alarm_choices: tuple[int, ...] = subscribe.ALARM_CHOICES
    note: str | None = None


def calendar_choices(feed: str, *, name: str, title: str, what: str, filename: str, html_id: str = "calendar",
                     note: str | None = None) -> CalendarChoices:
    """The choices for the feed at `feed` (absolute URL), with the reminder this page's URL asks for (`alarm`;
    a value out of range is left out: the page then offers the links without a reminder)."""
    try:
        alarm = subscribe.parse_alarm(request.args.get(subscribe.ALARM_PARAMETER))
    except subscribe.AlarmError:
        alarm = None
    url = subscribe.with_alarm(feed, alarm)
    kept = tuple((k, v) for k, v in request.args.items(multi=True) if k != subscribe.ALARM_PARAMETER)
    return CalendarChoices(html_id, title, what, subscribe.subscribe_links(url, name), url, filename, alarm, kept,
                           note=note)


@dataclass(frozen=True)
class CalendarActions:
    """What templates/calendars/_calendar_actions.html shows on a meeting page or under search results."""

    choices: CalendarChoices
    meeting: Meeting | None = None  # offers "Add to my calendar"
    related: tuple[tuple[str, str], ...] = ()  # (label, page URL): the group's and the service body's calendars


def related_calendars(meeting: Meeting) -> tuple[tuple[str, str], ...]:
    """The calendar pages of the meeting's group and of its service body (with the bodies under it)."""
    found = []
    group = getattr(meeting, "group", None)
    if group is not None and group.kind == "group":
        found.append((gettext("All meetings of %(name)s", name=group.name), url_for("calendars.group_page", group_id=group.id)))
    body = getattr(meeting, "service_body", None)
    if body is not None:
        found.append((gettext("All meetings of %(name)s", name=body.name), url_for("calendars.body_page", body_id=body.id)))
    return tuple(found)


def calendar_actions(meeting: Meeting | None = None, query: Any = None) -> CalendarActions | None:
    """Choices for a meeting page (when `meeting` is given) or for the current search's results (`query` is the
    parsed search, which names the feed)."""
    try:
        if meeting is not None:
            choices = calendar_choices(
                feed_url("calendars.meeting_ics", slug=meeting.slug), name=meeting.name,
                title=gettext("Put this meeting in your calendar"), what=gettext("this meeting"), filename=f"{meeting.slug}.ics",
            )
            return CalendarActions(choices, meeting, related_calendars(meeting))
        args = feed_args(request.args)
        if not any(args.get(key) for key in ("q", "lat", "body", "group")):
            return None  # no search yet: there is nothing to subscribe to
        pairs = canonical_feed_args(args.items(multi=True))
        name = "NA meetings"
        if query is not None:
            ids = [*getattr(query, "service_body_ids", ()), *getattr(query, "group_ids", ())]
            name = search_feed_name(query, args.get("q"), body_names(ids), args.get("unit") or "mi",
                                    current_app.config["SITE_NAME"], weekday_name)
        choices = calendar_choices(
            search_feed_url(pairs), name=name, title=gettext("Put these results in your calendar"), what=gettext("this search"),
            filename="na-meetings.ics",
            note=gettext("The calendar follows this search: meetings that start to match it appear, and changes reach it."),
        )
        return CalendarActions(choices)
    except (HTTPException, RuntimeError):
        return None  # a page rendered outside a request has no URLs to offer


def add_to_calendar_url(meeting_id: int) -> str:
    """Where "Add to my calendar" on a meeting's card or page goes."""
    return url_for("my_calendar.add", meeting_id=meeting_id)
