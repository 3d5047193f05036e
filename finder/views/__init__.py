"""Thin blueprints; this module lists them in one place."""
from __future__ import annotations

from flask import Flask


def register_blueprints(app: Flask) -> None:
    from finder.views import admin, bmlt, calendars, feeds, imports, learn, main, providers, search, submit

    app.register_blueprint(main.bp)
    app.register_blueprint(search.bp)
    app.register_blueprint(providers.bp)
    app.register_blueprint(learn.bp)
    app.register_blueprint(calendars.bp)
    app.register_blueprint(submit.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(admin.account_bp)
    app.register_blueprint(feeds.bp)
    app.register_blueprint(bmlt.bp)
    app.register_blueprint(imports.bp)
    from finder import api

    app.register_blueprint(api.bp)
