"""On/off words, one reading for every source: settings from the environment, query arguments, form checkboxes,
import cells.

1, true, yes, on mean on; 0, false, no, off mean off, in any letter case and with spaces around. A missing or
blank value is the caller's default (a checkbox left unticked sends nothing; an unset variable means the
default). Any other word is a mistake the caller reports in its own terms: a settings error, a 400, an import
row refused.
"""
from __future__ import annotations

TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off"})


def parse_flag(value: str | bool | None, default: bool | None = None) -> bool:
    """`value` as on (True) or off (False); None or blank is `default`.

    Raises ValueError for any other word, and for a blank value when there is no default.
    """
    if isinstance(value, bool):
        return value
    word = (value or "").strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    if not word and default is not None:
        return default
    raise ValueError(f"not an on/off value: {value!r} (use 1 or 0, yes or no, true or false, on or off)")
