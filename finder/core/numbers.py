"""Numbers from text, one way everywhere (forms, query strings, imports, headers): ASCII digits, bounded size.

`str.isdigit()` accepts "²" and `int()` then raises; `int()` and `float()` accept Arabic-Indic and full-width
digits, underscores ("1_000") and, for floats, "nan" and "inf". Input is hostile, so these helpers accept
only plain ASCII numbers of a bounded length within a range, and answer None for anything else: the caller
decides the message.
"""
from __future__ import annotations

import math
import re
from typing import Any

DB_INT_MAX = 2**31 - 1  # PostgreSQL `integer`: the largest id a query may name
_INT = re.compile(r"[+-]?[0-9]{1,18}")
_FLOAT = re.compile(r"[+-]?(?:[0-9]{1,20}(?:\.[0-9]{0,20})?|\.[0-9]{1,20})(?:[eE][+-]?[0-9]{1,3})?")
_ASCII_SPACE = " \t\r\n"


def parse_int(value: Any, *, low: int | None = None, high: int | None = None) -> int | None:
    """The integer written in value (ASCII digits, optional sign, surrounding spaces allowed) within
    [low, high], else None. Booleans, floats and other objects are None too; an int in range is itself."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and _INT.fullmatch(value.strip(_ASCII_SPACE)):
        number = int(value.strip(_ASCII_SPACE))
    else:
        return None
    if (low is not None and number < low) or (high is not None and number > high):
        return None
    return number


def parse_float(value: Any, *, low: float | None = None, high: float | None = None) -> float | None:
    """The finite decimal number written in value (ASCII, like 39.95 or -1e3) within [low, high], else None.
    Ints and floats are accepted as they are; booleans, nan and infinities are not."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        number = float(value)
    elif isinstance(value, str) and _FLOAT.fullmatch(value.strip(_ASCII_SPACE)):
        number = float(value.strip(_ASCII_SPACE))
    else:
        return None
    if not math.isfinite(number):
        return None
    if (low is not None and number < low) or (high is not None and number > high):
        return None
    return number
