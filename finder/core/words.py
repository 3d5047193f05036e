"""A marker for words the translation catalog holds but that stay English in data, feeds and APIs."""
from __future__ import annotations


def N_(message: str) -> str:
    """Marks `message` for the catalog (pybabel extract -k N_) and returns it unchanged: it is translated with
    gettext where a page shows it, and stays English wherever it is data."""
    return message
