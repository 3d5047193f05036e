"""Personal lists: a short code that holds only meeting ids (nothing about the person is stored anywhere)."""
from __future__ import annotations

import base64
import binascii
import urllib.parse
from collections.abc import Iterable

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from finder.calendars.feeds import FeedError
from finder.core.numbers import DB_INT_MAX, parse_int
from finder.meetings import visibility
from finder.models import Meeting

MAX_LIST_MEETINGS = 100


def encode_list(meeting_ids: Iterable[int]) -> str:
    """A URL-safe code for a set of meeting ids: sorted, delta- and varint-encoded, base64url without padding.

    The code *is* the list: nothing about the person (or the list) is stored anywhere.
    """
    ids = sorted({int(i) for i in meeting_ids})
    if not ids or ids[0] <= 0:
        raise FeedError("list", "a list needs at least one meeting")
    if len(ids) > MAX_LIST_MEETINGS:
        raise FeedError("list", f"a list holds at most {MAX_LIST_MEETINGS} meetings")
    out = bytearray()
    previous = 0
    for value in ids:
        delta = value - previous
        previous = value
        while True:
            byte = delta & 0x7F
            delta >>= 7
            out.append(byte | (0x80 if delta else 0))
            if not delta:
                break
    return base64.urlsafe_b64encode(bytes(out)).decode("ascii").rstrip("=")


def decode_list(code: str) -> list[int]:
    """The meeting ids a code holds, sorted; raises FeedError for anything that is not a code we made."""
    if not code or len(code) > 4 * MAX_LIST_MEETINGS or not all(c.isalnum() or c in "-_" for c in code):
        raise FeedError("list", "this personal calendar link is not valid (was it copied completely?)")
    try:
        raw = base64.urlsafe_b64decode(code + "=" * (-len(code) % 4))
    except (binascii.Error, ValueError):
        raise FeedError("list", "this personal calendar link is not valid (was it copied completely?)") from None
    ids: list[int] = []
    value = shift = previous = 0
    for byte in raw:
        value |= (byte & 0x7F) << shift
        shift += 7
        if shift > 35:
            raise FeedError("list", "this personal calendar link is not valid")
        if not byte & 0x80:
            if value == 0:  # a zero delta would repeat an id: not a code encode_list makes
                raise FeedError("list", "this personal calendar link is not valid")
            previous += value
            ids.append(previous)
            value = shift = 0
    if shift or not ids or len(ids) > MAX_LIST_MEETINGS:
        raise FeedError("list", "this personal calendar link is not valid")
    return ids



def meeting_ids_from(values: Iterable[str], session: Session) -> set[int]:
    """Published meetings named by form values (ids, slugs or pasted meeting page links); others are ignored."""
    ids: set[int] = set()
    slugs: set[str] = set()
    for raw in list(values)[:MAX_LIST_MEETINGS]:
        value = (raw or "").strip()[:500]
        if not value:
            continue
        number = parse_int(value, low=1, high=DB_INT_MAX)
        if number is not None:
            ids.add(number)
            continue
        path = urllib.parse.urlsplit(value).path if "/" in value else value
        slug = path.rstrip("/").rsplit("/", 1)[-1].removesuffix(".ics")
        if slug:
            slugs.add(slug[:120])
    if not ids and not slugs:
        return set()
    named = or_(Meeting.id.in_(ids), Meeting.slug.in_(slugs))
    return set(session.scalars(select(Meeting.id).where(named, visibility.public())))

