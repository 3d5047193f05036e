"""The NA meeting finder: create_app builds the Flask application."""
from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from finder import cache, cli, compression, config as settings, csrf, db, errors, filters, logging, proxy, security
from finder import static_assets
from finder.views import register_blueprints

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
    filters.init_app(app)
    csrf.init_app(app)
    security.init_converters(app)
    register_blueprints(app)
    # Response hooks run in reverse order of registration: gzip, then ETag/304, then headers, then the log.
    security.init_app(app)
    cache.init_app(app)
    compression.init_app(app)
    static_assets.init_app(app)
    errors.init_app(app)
    proxy.init_app(app)
    cli.init_app(app)
    return app
