"""Times of day from what people type and what feeds send: one grammar for the submission form, the search's
from/to arguments and imported cells.

Typed: "19:30", "1930", "7", "19", "7:30 pm", "7pm", "7 p.m.", "12 am" (midnight), "19:30:00" (seconds are read
and dropped: meetings start on the minute). Hours are 0-23 (1-12 with am/pm), minutes and seconds 0-59.
Refused: "7.30", "19h30", "noon", "7 : 30". Strict (imports: feeds and spreadsheets write 24-hour times, and
a "7" there is more likely a mistake than 7 AM): only "H:MM" or "H:MM:SS". "24:00" means the end of the day
only where a caller asks for it (the upper end of a time range), as 23:59:59.
"""
from __future__ import annotations

import datetime as dt
import re

_TIME = re.compile(
    r"^\s*(\d{1,2})(?::(\d{2})(?::(\d{2}))?|(\d{2}))?\s*(?:([ap])\.?\s*m\.?)?\s*$",
    re.IGNORECASE,
)
END_OF_DAY = dt.time(23, 59, 59)


def parse_time_of_day(text: str, *, strict: bool = False, end_of_day: bool = False) -> dt.time:
    """`text` as a time of day (minute precision); `strict` reads only 24-hour "H:MM[:SS]"; with `end_of_day`,
    "24:00" is END_OF_DAY.

    Raises ValueError for anything else (the caller words the message for its reader).
    """
    match = _TIME.match(text)
    if not match:
        raise ValueError(f"not a time of day: {text[:20]!r} (write it like 19:30 or 7:30 pm)")
    if strict and (match[2] is None or match[5]):
        raise ValueError(f"not a 24-hour time: {text[:20]!r} (write it like 19:30)")
    hour, minute, second = int(match[1]), int(match[2] or match[4] or 0), int(match[3] or 0)
    if match[5]:
        if not 1 <= hour <= 12:
            raise ValueError(f"not a time of day: {text[:20]!r} (with am/pm the hour is 1 to 12)")
        hour = hour % 12 + (12 if match[5].lower() == "p" else 0)
    if end_of_day and (hour, minute, second) == (24, 0, 0) and not match[5]:
        return END_OF_DAY
    if hour > 23 or minute > 59 or second > 59:
        raise ValueError(f"not a time of day: {text[:20]!r} (hours 0 to 23, minutes 0 to 59)")
    return dt.time(hour, minute)
