"""The model boundary: text is cleaned the same way for every way in (forms, imports, sync, admin, CLI).

Before each flush, every string column of a new or changed row loses control characters and direction
overrides (a newline and a tab survive in Text columns; the joiners Persian, Arabic and emoji need survive
everywhere), a link column keeps only an http(s) URL with a host, and a phone column anything that looks
like a number rather than a link (`javascript:` in a service body's helpline is dropped, not served).
Forms still validate first and show what to fix; this is the one place nothing gets past.
"""
from __future__ import annotations

import re
import unicodedata
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import String, Text, event, inspect
from sqlalchemy.orm import Session

_JOINERS = {"\u200c", "\u200d"}
_SCHEME = re.compile(r"\s*[A-Za-z][A-Za-z0-9+.\-]*:(?!\d)")  # "javascript:", "data:"; not "ext:" before digits


def clean(value: str, *, multiline: bool) -> str:
    """value without control or format characters (joiners kept); odd spaces become spaces, line breaks
    newlines in multi-line text and spaces elsewhere."""
    if value.isprintable():
        return value
    out = []
    for c in value:
        category = unicodedata.category(c)
        if c in _JOINERS or category[0] not in "CZ" or c == " ":
            out.append(c)
        elif c in "\n\t" and multiline:
            out.append(c)
        elif category in ("Zl", "Zp") or c == "\n":
            out.append("\n" if multiline else " ")
        elif category == "Zs" or c == "\t":
            out.append(" ")
    return "".join(out)


def is_web_link(value: str) -> bool:
    """An http(s) URL with a host and no spaces."""
    try:
        parts = urlsplit(value)
        return parts.scheme.lower() in ("http", "https") and bool(parts.hostname) and not any(
            c.isspace() for c in value)
    except ValueError:
        return False


def is_phone_like(value: str) -> bool:
    """Text that is not a link: no scheme other than tel: at the start."""
    match = _SCHEME.match(value)
    return match is None or match.group(0).strip().lower() == "tel:"


def clean_row(obj: Any) -> None:
    """Clean obj's string columns in place (of a stored row, only those set since it was loaded)."""
    state = inspect(obj)
    for prop in state.mapper.column_attrs:
        column = prop.columns[0]
        if column.info.get("boundary") == "texts":
            _clean_texts(obj, prop.key, state)
            continue
        if not isinstance(column.type, String):
            continue
        if not state.pending and not state.attrs[prop.key].history.has_changes():
            continue  # untouched: nothing new came in (and reading it could load an expired attribute)
        value = getattr(obj, prop.key, None)
        if not isinstance(value, str) or not value:
            continue
        new = clean(value, multiline=isinstance(column.type, Text))
        kind = column.info.get("boundary")
        if kind == "url" and new.strip() and not is_web_link(new.strip()):
            new = ""
        elif kind == "phone" and not is_phone_like(new):
            new = ""
        if new != value:
            setattr(obj, prop.key, new)


def _clean_texts(obj: Any, key: str, state: Any) -> None:
    """A {language: {field: text}} column: each text cleaned as multi-line text; anything that is not text in
    that shape is dropped (the writers check with finder.core.texts first and say what is wrong)."""
    if not state.pending and not state.attrs[key].history.has_changes():
        return
    value = getattr(obj, key, None)
    kept = {
        str(language): {str(field): clean(text, multiline=True) for field, text in texts.items()
                        if isinstance(text, str) and text}
        for language, texts in (value.items() if isinstance(value, dict) else ()) if isinstance(texts, dict)
    }
    kept = {language: texts for language, texts in kept.items() if texts}
    if kept != value:
        setattr(obj, key, kept)


@event.listens_for(Session, "before_flush")
def _clean_before_flush(session: Session, _context: Any, _instances: Any) -> None:
    for obj in (*session.new, *session.dirty):
        clean_row(obj)
