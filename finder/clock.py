"""The one wall clock. Views and commands read it and pass `now` on; domain code takes `now` as an argument."""
from __future__ import annotations

import datetime as dt


def utcnow() -> dt.datetime:
    """The current time, timezone-aware, in UTC."""
    return dt.datetime.now(dt.timezone.utc)
