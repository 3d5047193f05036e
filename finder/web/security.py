"""Security headers on every response: a same-origin Content-Security-Policy, HSTS on https, no referrer."""
from __future__ import annotations

from urllib.parse import urlsplit

from typing import Any

from flask import Flask, Response, current_app, request
from werkzeug.routing import IntegerConverter

HSTS_MAX_AGE = 63072000  # two years, the value browsers' preload lists expect

# Only what the site uses: geolocation from our own pages ("near me"), nothing else.
PERMISSIONS_POLICY = (
    "geolocation=(self), camera=(), microphone=(), payment=(), usb=(), interest-cohort=(), browsing-topics=()"
)


def tile_origin(tile_url: str | None) -> str | None:
    """The scheme://host[:port] of a map tile URL template, or None when unset or not an http(s) URL."""
    if not tile_url:
        return None
    parts = urlsplit(tile_url.replace("{", "").replace("}", ""))
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    host = parts.hostname
    # Rebuild from parsed pieces so nothing but an origin can reach the header (no paths, quotes or `;`).
    if not all(c.isalnum() or c in ".-" for c in host):
        return None
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}"


def content_security_policy(tile_url: str | None = None) -> str:
    """The CSP: everything from our own origin only; images may also be data: URIs and the map tile origin."""
    images = ["'self'", "data:"]
    origin = tile_origin(tile_url)
    if origin:
        images.append(origin)
    directives = [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        f"img-src {' '.join(images)}",
        "font-src 'self'",
        "connect-src 'self'",
        "media-src 'none'",
        "object-src 'none'",
        "frame-src 'none'",
        "worker-src 'self'",
        "manifest-src 'self'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
    return "; ".join(directives)


def set_security_headers(response: Response) -> Response:
    """after_request hook: the same headers on pages, JSON, feeds, calendars and errors."""
    headers = response.headers
    headers.setdefault("Content-Security-Policy", current_app.extensions["finder.csp"])
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "no-referrer")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    # HSTS over plain http is ignored by browsers and would be wrong behind a misconfigured proxy: https only.
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", f"max-age={HSTS_MAX_AGE}; includeSubDomains")
    return response


DB_INT_MAX = 2**31 - 1  # PostgreSQL `integer`; SQLite's driver overflows past 2**63 - 1


class BoundedIntegerConverter(IntegerConverter):
    """`<int:...>` that only matches ids a database integer can hold: /bodies/99999999999999999999 is a 404
    from routing, not an overflow error in the database driver (a 500)."""

    def __init__(self, map: Any, fixed_digits: int = 0, min: int | None = None, max: int | None = None,  # noqa: A002
                 signed: bool = False) -> None:
        super().__init__(map, fixed_digits, 0 if min is None else min, DB_INT_MAX if max is None else max, signed)


def init_converters(app: Flask) -> None:
    """Call before the blueprints are registered: URL rules pick their converters when they are added."""
    app.url_map.converters["int"] = BoundedIntegerConverter


def init_app(app: Flask) -> None:
    """Compute the policy once, harden the session cookie and add the headers to every response."""
    app.extensions["finder.csp"] = content_security_policy(app.config.get("MAP_TILE_URL"))
    app.config.setdefault("SESSION_COOKIE_HTTPONLY", True)
    app.config["SESSION_COOKIE_SAMESITE"] = app.config.get("SESSION_COOKIE_SAMESITE") or "Lax"
    if (app.config.get("PUBLIC_URL") or "").startswith("https://"):
        app.config["SESSION_COOKIE_SECURE"] = True
    app.after_request(set_security_headers)
