"""Thin blueprints; this module lists them in one place."""
from __future__ import annotations

from flask import Flask


def register_blueprints(app: Flask) -> None:
    from finder.views import calendars, learn, main, providers, search

    app.register_blueprint(main.bp)
    app.register_blueprint(search.bp)
    app.register_blueprint(providers.bp)
    app.register_blueprint(learn.bp)
    app.register_blueprint(calendars.bp)
