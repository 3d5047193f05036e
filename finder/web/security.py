"""Security headers on every response: a same-origin Content-Security-Policy, HSTS on https, no referrer."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import quote, urljoin, urlsplit, urlunsplit

from flask import Flask, Response, current_app, request
from werkzeug.exceptions import SecurityError
from werkzeug.routing import IntegerConverter
from werkzeug.wsgi import get_host

from finder.core.numbers import DB_INT_MAX

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


_BASE = "https://site.invalid/"
_TAB_OR_NEWLINE = str.maketrans("", "", "\t\n\r")
_C0_OR_SPACE = "".join(map(chr, range(0x21)))


def same_site_path(target: str | None) -> str | None:
    """The path (with query and fragment) a redirect to target reaches on this site, or None when a browser
    would leave the site (or target is empty).

    The target is read the way browsers read a Location (WHATWG URL parsing): leading and trailing control
    characters and spaces dropped, tabs and newlines removed anywhere, a backslash is a slash, then resolved
    against this site. The answer is rebuilt from the parsed pieces and percent-encoded, so what is sent is
    what was checked: `/%09/evil.example`, `/\\evil`, `/.//evil` and `https:evil` all stay here or are refused.
    """
    if not target:
        return None
    cleaned = target.strip(_C0_OR_SPACE).translate(_TAB_OR_NEWLINE).replace("\\", "/")
    try:
        parts = urlsplit(urljoin(_BASE, cleaned))
    except ValueError:
        return None
    if f"{parts.scheme}://{parts.netloc}/" != _BASE:
        return None
    path = quote(parts.path or "/", safe="/%:@!$&'()*+,;=-._~")
    if path.startswith("//"):
        return None  # dot segments collapsed into "//host": a browser would read a host
    safe = "/?%:@!$&'()*+,;=-._~"
    return urlunsplit(("", "", path, quote(parts.query, safe=safe), quote(parts.fragment, safe=safe)))




class BoundedIntegerConverter(IntegerConverter):
    """`<int:...>` that only matches ids a database integer can hold: /bodies/99999999999999999999 is a 404
    from routing, not an overflow error in the database driver (a 500)."""

    def __init__(self, map: Any, fixed_digits: int = 0, min: int | None = None, max: int | None = None,  # noqa: A002
                 signed: bool = False) -> None:
        super().__init__(map, fixed_digits, 0 if min is None else min, DB_INT_MAX if max is None else max, signed)


def init_converters(app: Flask) -> None:
    """Call before the blueprints are registered: URL rules pick their converters when they are added."""
    app.url_map.converters["int"] = BoundedIntegerConverter


F = TypeVar("F", bound=Callable[..., Any])


def large_body(config_key: str, factor: int = 1, extra: int = 65536) -> Callable[[F], F]:
    """Let one view take a body up to app.config[config_key] * factor + extra bytes (uploads), instead of
    MAX_CONTENT_LENGTH. The limit is raised before any hook reads the form (CSRF does), so a file under the
    view's own limit is never refused by the general one."""

    def decorate(view: F) -> F:
        view._large_body = (config_key, factor, extra)  # type: ignore[attr-defined]  # a mark read by the size check
        return view

    return decorate


def _raise_body_limit() -> None:
    view = current_app.view_functions.get(request.endpoint or "")
    spec = getattr(view, "_large_body", None)
    if spec is not None:
        key, factor, extra = spec
        request.max_content_length = int(current_app.config[key]) * factor + extra


def init_request_limits(app: Flask) -> None:
    """Call before anything that reads request bodies registers its hooks (the CSRF check)."""
    app.before_request(_raise_body_limit)


LOOPBACK_HOSTS = ("localhost", "127.0.0.1")


def trusted_hosts(config: Any) -> list[str]:
    """The hosts requests may name: TRUSTED_HOSTS, PUBLIC_URL's host, and localhost (bin/serve, tests, probes).

    Absolute links in mail, feeds, the API and its OpenAPI document are built from the request's host when
    PUBLIC_URL is unset, so a forged Host header must never reach a view: werkzeug answers 400 first.
    """
    configured = config.get("TRUSTED_HOSTS") or []
    hosts = [configured] if isinstance(configured, str) else list(configured)
    public = urlsplit(config.get("PUBLIC_URL") or "").hostname
    if public:
        hosts.append(public)
    return [*dict.fromkeys(h.lower() for h in [*hosts, *LOOPBACK_HOSTS] if h)]


class TrustedHostsMiddleware:
    """WSGI: a request whose Host (or trusted X-Forwarded-Host) is not trusted gets a plain 400 before Flask
    sees it: no view, template, cache entry or log line is ever built from a forged host."""

    def __init__(self, app: Any, hosts: list[str]) -> None:
        self.app = app
        self.hosts = hosts

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        try:
            get_host(environ, self.hosts)
        except SecurityError:
            response = Response("400 Bad Request: this site does not answer to that host name.\n", status=400,
                                mimetype="text/plain", headers={"Cache-Control": "no-store",
                                                                "X-Content-Type-Options": "nosniff"})
            return response(environ, start_response)
        return self.app(environ, start_response)


def init_app(app: Flask) -> None:
    """Compute the policy once, pin the trusted hosts, harden the session cookie and add the headers."""
    # Flask checks TRUSTED_HOSTS too (request.host raises); the middleware answers before any of our code runs.
    app.config["TRUSTED_HOSTS"] = trusted_hosts(app.config)
    app.wsgi_app = TrustedHostsMiddleware(app.wsgi_app, app.config["TRUSTED_HOSTS"])  # type: ignore[method-assign]  # middleware, as Flask documents
    app.extensions["finder.csp"] = content_security_policy(app.config.get("MAP_TILE_URL"))
    app.config.setdefault("SESSION_COOKIE_HTTPONLY", True)
    app.config["SESSION_COOKIE_SAMESITE"] = app.config.get("SESSION_COOKIE_SAMESITE") or "Lax"
    if (app.config.get("PUBLIC_URL") or "").startswith("https://"):
        app.config["SESSION_COOKIE_SECURE"] = True
    app.after_request(set_security_headers)
