"""Absolute URLs for links that leave the page: feeds, the API, calendars, mail, printed lists.

Two bases, one rule. url_for's paths start with the app's script root (SCRIPT_NAME, the prefix a proxy mounts
the site under), so they follow `public_origin()`: PUBLIC_URL when set, else this request's scheme and host.
A path written relative to the site (content.page_url, "/bmlt") follows `public_base()`, the origin plus the
script root. (request.url_root holds the script root and request.host_url does not: mixing them doubled or
dropped the prefix.)
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from flask import current_app, request, url_for

_SLUG = "--slug--"  # a placeholder url_for leaves as it is
_PATH_SAFE = "!$&'()*+,/:;=@"


def public_origin() -> str:
    """What url_for's paths are put after: PUBLIC_URL, else the request's scheme and host (no trailing slash)."""
    return current_app.config.get("PUBLIC_URL") or request.host_url.rstrip("/")


def public_base() -> str:
    """The site's root URL without a trailing slash: the origin and the script root."""
    return public_origin() + request.script_root


def absolute(path: str) -> str:
    """A path from url_for (it starts with the script root) as an absolute URL."""
    return public_origin() + path


def absolute_url(endpoint: str, **values: Any) -> str:
    """url_for(endpoint, **values) as an absolute URL."""
    return absolute(url_for(endpoint, **values))


def absolute_slug_urls(endpoint: str, **values: Any) -> Callable[[str], str]:
    """absolute_url(endpoint, slug=..., **values) for many slugs at the cost of one url_for (feeds hold
    thousands)."""
    prefix, _, suffix = absolute_url(endpoint, slug=_SLUG, **values).rpartition(_SLUG)
    return lambda slug: prefix + quote(slug, safe=_PATH_SAFE) + suffix
