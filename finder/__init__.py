"""The NA meeting finder: create_app builds the Flask application."""
from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from finder.admin import views as admin_views
from finder.api import views as api_views
from finder.bmlt import views as bmlt_views
from finder.calendars import views as calendars_views
from finder.freshness import views as freshness_views
from finder.imports import views as imports_views
from finder.learn import views as learn_views
from finder.meeting_guide import views as meeting_guide_views
from finder.meetings import views as meetings_views
from finder.printing import views as printing_views
from finder.providers import views as providers_views
from finder.search import views as search_views
from finder.submissions import views as submissions_views
from finder import cache, cli, config as settings, db
from finder.web import compression, csrf, errors, filters, i18n, logging, proxy, ratelimit, security
from finder.web import static_assets, template_globals

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: settings from the environment, then `config` overrides; no network, no migrations."""
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.config.from_mapping(settings.from_env(os.environ, app.instance_path))
    if config:
        app.config.update(config)
    settings.check(app.config)
    db.init_app(app)
    logging.init_app(app)
    i18n.init_app(app)
    filters.init_app(app)
    template_globals.init_app(app)
    security.init_request_limits(app)
    csrf.init_app(app)
    security.init_converters(app)
    register_blueprints(app)
    # Response hooks run in reverse order of registration: gzip, then ETag/304, then headers, then the log.
    security.init_app(app)
    cache.init_app(app)
    ratelimit.init_app(app)  # the limits the views declared, outside the cache: a cached answer counts too
    compression.init_app(app)
    static_assets.init_app(app)
    errors.init_app(app)
    proxy.init_app(app)
    cli.init_app(app)
    return app


def register_blueprints(app: Flask) -> None:
    """Every area's blueprint, in one list."""
    app.register_blueprint(meetings_views.bp)
    app.register_blueprint(search_views.bp)
    app.register_blueprint(providers_views.bp)
    app.register_blueprint(learn_views.bp)
    app.register_blueprint(calendars_views.bp)
    app.register_blueprint(calendars_views.my_bp)
    app.register_blueprint(submissions_views.bp)
    app.register_blueprint(admin_views.bp)
    app.register_blueprint(admin_views.account_bp)
    app.register_blueprint(meeting_guide_views.bp)
    app.register_blueprint(bmlt_views.bp)
    app.register_blueprint(imports_views.bp)
    app.register_blueprint(api_views.bp)
    app.register_blueprint(printing_views.bp)
    app.register_blueprint(freshness_views.bp)
