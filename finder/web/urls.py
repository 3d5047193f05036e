"""The site's public base URL, for links that leave the page (feeds, APIs, calendars, mail)."""
from __future__ import annotations

from flask import current_app, request


def public_base() -> str:
    """The site's absolute base URL without a trailing slash: PUBLIC_URL, else the request's host."""
    return current_app.config.get("PUBLIC_URL") or request.url_root.rstrip("/")
