"""Calendar URLs: the links events point at, feed URLs, and the subscribe links the calendar partial shows."""
from __future__ import annotations

import datetime as dt
import urllib.parse
from dataclasses import dataclass
from typing import Any

from flask import current_app, request, url_for
from flask_babel import gettext
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException

from finder.calendars.feeds import feed_args
from finder.core import ical
from finder.learn import content
from finder.models import Meeting
from finder.web import i18n


def public_base() -> str:
    """The absolute base URL feeds and links use: PUBLIC_URL if set, else this request's host."""
    return current_app.config.get("PUBLIC_URL") or request.host_url.rstrip("/")


def links() -> ical.Links:
    """The URLs events point at, from url_for once (not per meeting: feeds hold thousands)."""
    base = public_base()
    template = base + url_for("main.meeting", slug="SLUG", locale=_named(i18n.current_language()))
    prefix, suffix = template.split("SLUG", 1)
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
    return public_base() + url_for(endpoint, **values)



def search_feed_url(args: MultiDict[str, str]) -> str:
    """The absolute URL of the search feed for `args` (already filtered by feed_args)."""
    language = _named(i18n.current_language())
    pairs = [(k, v) for k, v in args.items(multi=True) if k != i18n.PARAM] + ([(i18n.PARAM, language)] if language else [])
    query = urllib.parse.urlencode(pairs)
    return public_base() + url_for("calendars.search_ics", **{i18n.PARAM: None}) + (f"?{query}" if query else "")



@dataclass(frozen=True)
class CalendarActions:
    """The links of templates/calendars/_calendar_actions.html."""

    https_url: str
    webcal_url: str
    google_subscribe_url: str
    google_links: list[tuple[str, str]]
    download_name: str | None
    list_url: str | None
    label: str
    note: str
    related: tuple[tuple[str, str, str], ...] = ()  # (label, webcal URL, https URL): the group's, the area's


def related_feeds(meeting: Meeting) -> tuple[tuple[str, str, str], ...]:
    """Feeds of the meeting's group and of its service body (with the bodies under it), when it has them."""
    found = []
    group = getattr(meeting, "group", None)
    if group is not None and group.kind == "group":
        https = feed_url("calendars.group_ics", group_id=group.id)
        found.append((gettext("All meetings of %(name)s", name=group.name), ical.webcal_url(https), https))
    body = getattr(meeting, "service_body", None)
    if body is not None:
        https = feed_url("calendars.body_ics", body_id=body.id)
        found.append((gettext("All meetings of %(name)s", name=body.name), ical.webcal_url(https), https))
    return tuple(found)


def google_subscribe_url(feed: str) -> str:
    """Google Calendar's "add by URL" for a feed (Google fetches it itself, every 8-24 h)."""
    return "https://calendar.google.com/calendar/r?" + urllib.parse.urlencode({"cid": ical.webcal_url(feed)})


def calendar_actions(meeting: Meeting | None = None) -> CalendarActions | None:
    """Links for a meeting page (when `meeting` is given) or for the current search's results."""
    try:
        if meeting is not None:
            https = feed_url("calendars.meeting_ics", slug=meeting.slug)
            return CalendarActions(
                https_url=https,
                webcal_url=ical.webcal_url(https),
                google_subscribe_url=google_subscribe_url(https),
                google_links=ical.google_calendar_url(meeting, links(), dt.datetime.now(dt.timezone.utc)),
                download_name=f"{meeting.slug}.ics",
                list_url=url_for("calendars.list_edit", add=meeting.id),
                label=gettext("this meeting"),
                note=gettext("your calendar follows changes to this meeting"),
                related=related_feeds(meeting),
            )
        args = feed_args(request.args)
        if not any(args.get(key) for key in ("q", "lat", "body", "group")):
            return None  # no search yet: there is nothing to subscribe to
        https = search_feed_url(args)
        return CalendarActions(
            https_url=https,
            webcal_url=ical.webcal_url(https),
            google_subscribe_url=google_subscribe_url(https),
            google_links=[],
            download_name="meetings.ics",
            list_url=None,
            label=gettext("these results"),
            note=gettext("your calendar follows these results as meetings are added or change"),
        )
    except (HTTPException, RuntimeError):
        return None  # a page rendered outside a request has no URLs to offer


def calendar_list_url(code: str) -> dict[str, str]:
    """The https, webcal and Google subscribe URLs of a personal list's feed."""
    https = feed_url("calendars.list_ics", code=code)
    return {"https": https, "webcal": ical.webcal_url(https), "google": google_subscribe_url(https)}


