"""Organizers' private links: signed, expiring tokens naming a submission (no account needed)."""
from __future__ import annotations

import datetime as dt

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

_SALT = "finder.organizer-token"


class TokenError(ValueError):
    """A token that cannot be used; `expired` tells a stale link from a damaged one."""

    def __init__(self, message: str, *, expired: bool = False) -> None:
        super().__init__(message)
        self.expired = expired


def _serializer(secret: str) -> URLSafeTimedSerializer:
    if not secret:
        raise ValueError("a secret key is needed to sign organizer tokens")
    return URLSafeTimedSerializer(secret, salt=_SALT)


def make_token(secret: str, submission_id: int, reference: str) -> str:
    """A URL-safe token for the submission; it carries the time it was made."""
    return _serializer(secret).dumps({"s": submission_id, "r": reference})


def read_token(secret: str, token: str, *, max_age_days: int, now: dt.datetime | None = None) -> tuple[int, str]:
    """(submission id, reference) from a token; raises TokenError if tampered with or older than max_age_days."""
    serializer = _serializer(secret)
    try:
        if now is None:
            data = serializer.loads(token, max_age=max_age_days * 86400)
        else:
            data, signed_at = serializer.loads(token, return_timestamp=True)
            if now - signed_at > dt.timedelta(days=max_age_days):
                raise SignatureExpired("token expired", date_signed=signed_at)
    except SignatureExpired:
        raise TokenError("this link has expired", expired=True) from None
    except BadSignature:
        raise TokenError("this link is not valid") from None
    if not isinstance(data, dict) or not isinstance(data.get("s"), int) or not isinstance(data.get("r"), str):
        raise TokenError("this link is not valid")
    return data["s"], data["r"]
