"""Rate settings as text ("5/hour", "20/15min", several joined by ";"): parsed once, for the settings check
(finder.config) and the limiter (finder.web.ratelimit)."""
from __future__ import annotations

import re
from typing import NamedTuple

_UNITS = {"s": 1, "sec": 1, "second": 1, "min": 60, "minute": 60, "h": 3600, "hour": 3600, "d": 86400,
          "day": 86400}
_RATE = re.compile(r"^\s*([0-9]+)\s*(?:/|per)\s*([0-9]*)\s*([a-z]+?)s?\s*$")


class Rate(NamedTuple):
    """At most `hits` requests per `seconds`."""

    hits: int  # not `count`: that is tuple's method
    seconds: int


def parse_rate(text: str) -> Rate:
    """'5/hour', '20/15min', '3 per day' -> Rate; raises ValueError for anything else."""
    match = _RATE.match(text.lower())
    if not match or match.group(3) not in _UNITS:
        raise ValueError(f"not a rate: {text!r} (write it like 5/hour or 20/15min)")
    count, multiple, unit = int(match.group(1)), int(match.group(2) or 1), match.group(3)
    if count < 1 or multiple < 1:
        raise ValueError(f"not a rate: {text!r} (count and period must be positive)")
    return Rate(count, multiple * _UNITS[unit])


def parse_rates(text: str) -> list[Rate]:
    """One rate or several joined by ';' ("5/min;10/hour;20/day": a longer pause after each step)."""
    return [parse_rate(part) for part in text.split(";") if part.strip()]


def limits_string(rates: list[Rate]) -> str:
    """The rates in Flask-Limiter's notation."""
    return ";".join(f"{rate.hits} per {rate.seconds} second" for rate in rates)
