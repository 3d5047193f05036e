"""Pure rules of freshness: when a meeting counts as stale, and the warnings it then carries (values in, values out)."""
from __future__ import annotations

import datetime as dt
from typing import Any

from flask_babel import gettext, ngettext

REPORTED_NOTE = "Recently reported as not meeting: check before you go."


def is_stale(confirmed_at: dt.datetime | None, now: dt.datetime, stale_after_days: int) -> bool:
    """Whether a meeting last confirmed at `confirmed_at` (None: never) counts as not confirmed lately."""
    return confirmed_at is None or now - confirmed_at > dt.timedelta(days=stale_after_days)


def freshness_note(meeting: object, now: dt.datetime, stale_after_days: int) -> str:
    """The warning a meeting (a model or a plain row) carries on result cards and its page, in the page's language,
    or ''. (Feeds carry REPORTED_NOTE through public_notes, in English: they are not negotiated by language.)"""
    if getattr(meeting, "status", "active") == "inactive":
        return ""
    if getattr(meeting, "reported_at", None) is not None:
        return gettext("Recently reported as not meeting: check before you go.")
    if is_stale(getattr(meeting, "confirmed_at", None), now, stale_after_days):
        return stale_note(stale_after_days)
    return ""


def public_notes(meeting: object, notes: str | None = None) -> str:
    """A meeting's notes (or `notes`, the same in another language) as feeds and calendars publish them: while
    several visitors' "nobody was there" reports await a moderator, the warning comes first, for readers that
    show only the notes."""
    notes = (getattr(meeting, "notes", None) or "") if notes is None else notes
    if getattr(meeting, "reported_at", None) is not None and getattr(meeting, "status", "active") != "inactive":
        return "\n".join(part for part in (REPORTED_NOTE, notes) if part)
    return notes


def stale_note(stale_after_days: int) -> str:
    """'Not confirmed in over a year', worded for the configured age, in the page's language."""
    if stale_after_days % 365 == 0:
        return ngettext("Not confirmed in over a year: check before you go.",
                        "Not confirmed in over %(num)d years: check before you go.", stale_after_days // 365)
    return ngettext("Not confirmed in over %(num)d day: check before you go.",
                    "Not confirmed in over %(num)d days: check before you go.", stale_after_days)


def last_checked(meeting: Any) -> dt.datetime:
    """When the details were last changed or confirmed, whichever is later (Meeting Guide's `updated`: readers
    show it as how current the listing is)."""
    confirmed = getattr(meeting, "confirmed_at", None)
    return max(meeting.updated_at, confirmed) if confirmed is not None else meeting.updated_at
