"""Signed, expiring confirm links: "still meeting as listed" confirms once; the same token opens the change form."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from finder.submissions.tokens import TokenError

_SALT = "finder.confirm-link"


@dataclass(frozen=True)
class ConfirmLink:
    """What a confirm token names: the meeting, and its last confirmation when the prompt was sent.

    A confirmation moves the meeting's confirmed_at, so a token whose `confirmed` no longer matches has been
    used (or the meeting was confirmed another way since): that is what makes the link work once.
    """

    meeting_id: int
    confirmed: str  # the meeting's confirmed_at as ISO 8601 when the link was made; '' for never


def _serializer(secret: str) -> URLSafeTimedSerializer:
    if not secret:
        raise ValueError("a secret key is needed to sign confirm links")
    return URLSafeTimedSerializer(secret, salt=_SALT)


def stamp(confirmed_at: dt.datetime | None) -> str:
    """The form a confirmed_at takes inside a token (stable across SQLite and PostgreSQL round trips)."""
    return confirmed_at.astimezone(dt.UTC).isoformat(timespec="microseconds") if confirmed_at else ""


def make_confirm_token(secret: str, meeting_id: int, confirmed_at: dt.datetime | None) -> str:
    return _serializer(secret).dumps({"m": meeting_id, "c": stamp(confirmed_at)})


def read_confirm_token(secret: str, token: str, *, max_age_days: int, now: dt.datetime) -> ConfirmLink:
    """The link a token names; raises finder.tokens.TokenError when tampered with or older than max_age_days."""
    if len(token) > 500:
        raise TokenError("this link is not valid")
    try:
        data, signed_at = _serializer(secret).loads(token, return_timestamp=True)
    except SignatureExpired:  # only raised with max_age, which we check ourselves below
        raise TokenError("this link has expired", expired=True) from None
    except BadSignature:
        raise TokenError("this link is not valid") from None
    if now - signed_at > dt.timedelta(days=max_age_days):
        raise TokenError("this link has expired", expired=True)
    if not isinstance(data, dict) or not isinstance(data.get("m"), int) or not isinstance(data.get("c"), str):
        raise TokenError("this link is not valid")
    return ConfirmLink(data["m"], data["c"])
