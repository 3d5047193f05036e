"""Settings: defaults, and reading them from the environment (nothing else)."""
from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError


class ConfigError(RuntimeError):
    """A setting is missing or malformed; the message is one line meant for an operator."""


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


# name -> (default, meaning); the README's configuration table is checked against this by a test.
SETTINGS: dict[str, tuple[Any, str]] = {
    "DATABASE_URL": (None, "SQLAlchemy URL of the database; default: an SQLite file `finder.sqlite3` in the instance folder"),
    "SECRET_KEY": (None, "signs sessions, CSRF and organizer tokens; required unless FINDER_DEBUG or testing"),
    "FINDER_DEBUG": (False, "debug mode (never in production)"),
    "SITE_NAME": ("NA Meeting Finder", "the name shown in pages and calendar feeds"),
    "PUBLIC_URL": (None, "absolute base URL (https://example.org) used in feeds and calendar links; default: the request's host"),
    "MAP_TILE_URL": (None, "map tile URL template ({z}/{x}/{y}); when unset (the default) no map is shown and no request leaves the site"),
    "MAP_ATTRIBUTION": ("", "attribution HTML shown on the map, required by most tile servers (e.g. OpenStreetMap contributors)"),
}


def from_env(env: Mapping[str, str], instance_path: str) -> dict[str, Any]:
    """Build the Flask config mapping from environment variables."""
    url = env.get("DATABASE_URL") or "sqlite:///" + os.path.join(instance_path, "finder.sqlite3")
    debug = _bool(env.get("FINDER_DEBUG"))
    return {
        "DATABASE_URL": url,
        "SECRET_KEY": env.get("SECRET_KEY") or None,
        "DEBUG": debug,
        "SITE_NAME": env.get("SITE_NAME") or SETTINGS["SITE_NAME"][0],
        "PUBLIC_URL": (env.get("PUBLIC_URL") or "").rstrip("/") or None,
        "MAP_TILE_URL": (env.get("MAP_TILE_URL") or "").strip() or None,
        "MAP_ATTRIBUTION": (env.get("MAP_ATTRIBUTION") or "").strip(),
        "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
        "JSON_SORT_KEYS": False,
    }


def check(config: Mapping[str, Any]) -> None:
    """Raise ConfigError with a one-line message when the settings cannot work."""
    try:
        url = make_url(config["DATABASE_URL"])
    except ArgumentError:
        raise ConfigError(f"DATABASE_URL is not a database URL: {config['DATABASE_URL']!r}") from None
    if url.get_backend_name() not in {"sqlite", "postgresql"}:
        raise ConfigError(f"DATABASE_URL must be SQLite or PostgreSQL, not {url.get_backend_name()!r}")
    tiles = config.get("MAP_TILE_URL")
    if tiles and not (str(tiles).startswith(("https://", "http://")) and "{z}" in tiles):
        raise ConfigError(f"MAP_TILE_URL must be an http(s) URL template with {{z}}/{{x}}/{{y}}, not {tiles!r}")
    if not config.get("SECRET_KEY"):
        if config.get("DEBUG") or config.get("TESTING"):
            return
        raise ConfigError("SECRET_KEY is required (set it in the environment; any long random string)")
