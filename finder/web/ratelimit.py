"""Rate limits on Flask-Limiter: Redis shared by every process when REDIS_URL is set, memory otherwise and
while Redis is down; keys are keyed hashes of the client's address (and account), never the address itself.

Views declare their limits with `limited(setting, ...)`: the setting names the rate ("5/hour", "20/15min",
several joined by ";" for a progressive pause), `scope` shares one counter between views, `counts` says which
answers use up the allowance (only stored submissions, only failed logins), `applies` which requests are
checked at all, and `refused` builds the 429 page. An empty setting turns the limit off. `init_app` runs
after the blueprints are registered and applies the declared limits through one Flask-Limiter per app.
"""
from __future__ import annotations

import functools
import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import Flask, Response, current_app, request
from flask_limiter import Limiter

from finder.core.rates import limits_string, parse_rates

F = TypeVar("F", bound=Callable[..., Any])


def keyed(*parts: str) -> str:
    secret = (current_app.config.get("SECRET_KEY") or "").encode()
    return hmac.new(secret, "\0".join(parts).encode(), hashlib.sha256).hexdigest()[:32]


def client_key() -> str:
    """This visitor, as a keyed hash of the address: Redis and memory never hold an IP."""
    return keyed(request.remote_addr or "unknown")


@dataclass(frozen=True)
class LimitSpec:
    setting: str
    scope: str
    key: Callable[[], str]
    counts: Callable[[Response], bool] | None
    applies: Callable[[], bool] | None
    refused: Callable[[], Any] | None


def limited(setting: str, *, scope: str, key: Callable[[], str] = client_key,
            counts: Callable[[Response], bool] | None = None, applies: Callable[[], bool] | None = None,
            refused: Callable[[], Any] | None = None) -> Callable[[F], F]:
    """Declare a limit on a view (applied by init_app); see the module docstring."""

    def decorate(view: F) -> F:
        specs = [*getattr(view, "_rate_limits", ()), LimitSpec(setting, scope, key, counts, applies, refused)]
        view._rate_limits = specs  # type: ignore[attr-defined]  # a mark on the view, read by init_app
        return view

    return decorate


# Whole feeds and the BMLT interface are the expensive public answers: a generous per-client limit keeps one
# client from monopolizing them (a 429; other visitors are not affected).
bulk = limited("PUBLIC_RATE_LIMIT", scope="bulk")


def _breach_response(refused: Callable[[], Any] | None) -> Callable[[Any], Response | None]:
    def on_breach(_limit: Any) -> Response | None:
        if refused is None:
            return None
        response = current_app.make_response(refused())
        response.status_code = 429
        return response

    return on_breach


def make_limiter(app: Flask) -> Limiter:
    """A Flask-Limiter for app: Redis storage when REDIS_URL is set (short timeouts, so a dead Redis costs
    half a second at most before the fallback), falling back to memory and trying Redis again later."""
    url = app.config.get("REDIS_URL")
    options: dict[str, Any] = {"socket_connect_timeout": 0.5, "socket_timeout": 0.5} if url else {}
    return Limiter(key_func=client_key, storage_uri=url or "memory://", storage_options=options,
                   key_prefix=app.config.get("RATELIMIT_PREFIX") or "finder:rl:", strategy="fixed-window",
                   in_memory_fallback_enabled=True, headers_enabled=False)


def init_app(app: Flask) -> None:
    """Apply every declared limit; call after the blueprints are registered."""
    limiter = make_limiter(app)
    limiter.init_app(app)
    app.extensions["finder.limiter"] = limiter
    for endpoint, view in list(app.view_functions.items()):
        wrapped: Callable[..., Any] = view
        for spec in getattr(view, "_rate_limits", ()):
            wrapped = limiter.shared_limit(
                functools.partial(_rates_of, spec.setting), scope=spec.scope, key_func=spec.key,
                deduct_when=spec.counts, exempt_when=functools.partial(_exempt, spec),
                on_breach=_breach_response(spec.refused))(wrapped)
        app.view_functions[endpoint] = wrapped


def _rates_of(setting: str) -> str:
    # Read per request, so a changed setting applies at once (tests and `flask shell` change them).
    return limits_string(parse_rates(current_app.config.get(setting) or "1/s"))


def _exempt(spec: LimitSpec) -> bool:
    if not str(current_app.config.get(spec.setting) or "").strip():
        return True  # an empty setting turns the limit off
    return spec.applies is not None and not spec.applies()
