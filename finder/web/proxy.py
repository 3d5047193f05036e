"""Trust X-Forwarded-* headers only from the number of reverse proxies the operator declares."""
from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix


def init_app(app: Flask) -> None:
    """Wrap the WSGI app in ProxyFix when TRUSTED_PROXIES > 0.

    With 0 (the default) forwarded headers are ignored, so a client cannot claim to be https or another
    address; with N, the N-th value from the right of each header is the one the nearest trusted proxy set.
    """
    hops = int(app.config.get("TRUSTED_PROXIES") or 0)
    if hops > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)  # type: ignore[method-assign]  # Flask's way to add middleware
