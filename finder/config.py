"""Settings: defaults, and reading them from the environment (nothing else)."""
from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from finder.core.flags import parse_flag
from finder.core.numbers import parse_int
from finder.core.rates import parse_rates


class ConfigError(RuntimeError):
    """A setting is missing or malformed; the message is one line meant for an operator."""


def _flag(env: Mapping[str, str], name: str, default: bool = False) -> bool:
    """An on/off setting (finder.core.flags), its default when unset; any other word is a ConfigError naming the
    variable (before, "enabled" silently meant off)."""
    try:
        return parse_flag(env.get(name), default)
    except ValueError:
        raise ConfigError(f"{name} must be 1 or 0 (or yes/no, true/false, on/off), not {env.get(name)!r}") from None


def _int(env: Mapping[str, str], name: str) -> int:
    """An integer setting, its default when unset; a malformed value is a ConfigError naming the variable."""
    value = env.get(name) or ""
    if not value.strip():
        return int(SETTINGS[name][0])
    number = parse_int(value)
    if number is None:
        raise ConfigError(f"{name} must be a whole number, not {value!r}")
    if number < 0:
        raise ConfigError(f"{name} must not be negative, not {number}")
    return number


# name -> (default, meaning); the README's configuration table is checked against this by a test.
SETTINGS: dict[str, tuple[Any, str]] = {
    "DATABASE_URL": (None, "SQLAlchemy URL of the database; default: an SQLite file `finder.sqlite3` in the instance folder"),
    "SECRET_KEY": (None, "signs sessions, CSRF and organizer tokens; required unless FINDER_DEBUG or testing"),
    "FINDER_DEBUG": (False, "debug mode (never in production)"),
    "SITE_NAME": ("NA Meeting Finder", "the name shown in pages and calendar feeds"),
    "PUBLIC_URL": (None, "absolute base URL (https://example.org) used in feeds and calendar links; default: the request's host"),
    "TRUSTED_HOSTS": ("", "comma-separated host names the site answers to besides PUBLIC_URL's host and localhost (a leading dot allows subdomains); requests for any other Host get 400"),
    "CALENDAR_UID_DOMAIN": (None, "domain part of every calendar event UID; must never change once people subscribe; default: PUBLIC_URL's host"),
    "CALENDAR_CACHE_SECONDS": (300, "longest a built calendar feed is reused before it is rebuilt (0 = no feed cache)"),
    "RATELIMIT_PREFIX": ("finder:rl:", "prefix of the rate-limit keys in Redis"),
    "SUBMISSION_RATE_LIMIT": ("5/hour", "submissions accepted per visitor, as count/period (period: s, min, hour, day, e.g. 5/hour or 20/15min)"),
    "LOGIN_RATE_LIMIT": ("5/min;10/hour;20/day", "failed admin logins allowed per address and account, as steps of a longer pause each (a stranger elsewhere cannot lock the owner out)"),
    "LOGIN_ADDRESS_RATE_LIMIT": ("50/hour", "failed admin logins allowed per address, whatever the account (password spraying)"),
    "PUBLIC_RATE_LIMIT": ("300/min", "requests per client for whole feeds and the BMLT interface (empty: no limit)"),
    "SMTP_HOST": (None, "mail server for notifications; without it messages stay in the outbox table admins read"),
    "SMTP_PORT": (587, "mail server port (465 means implicit TLS)"),
    "SMTP_USER": (None, "mail server login, if it needs one"),
    "SMTP_PASSWORD": (None, "mail server password"),
    "SMTP_FROM": ("finder@localhost", "sender address of notifications"),
    "SMTP_STARTTLS": (True, "upgrade the SMTP connection with STARTTLS (ignored on port 465)"),
    "MODERATOR_EMAILS": ("", "comma-separated addresses told of every new submission (besides admin accounts)"),
    "ORGANIZER_TOKEN_DAYS": (90, "days an organizer's private status link stays valid"),
    "CONFIRM_PROMPT_MONTHS": (6, "months between the messages asking a meeting's contact to confirm its details (0 = never ask)"),
    "CONFIRM_LINK_DAYS": (30, "days the links in a confirm message stay valid"),
    "STALE_AFTER_DAYS": (365, "days after its last confirmation a meeting is shown as not confirmed lately"),
    "REPORT_RATE_LIMIT": ("5/hour", "problem reports accepted per visitor, as count/period"),
    "REPORT_THRESHOLD": (3, "distinct visitors reporting 'nobody was there' within a window before a meeting is marked (at least 2)"),
    "REPORT_WINDOW_DAYS": (30, "days in which reports are counted together; the keyed hashes that tell reporters apart are dropped after it"),
    "REPORT_ESCALATE_DAYS": (14, "days a marked meeting may wait for its moderators before the admins above them are told"),
    "REPORT_DEACTIVATE_DAYS": (90, "days after which a marked meeting nobody resolved becomes inactive (audited)"),
    "IMPORT_MAX_BYTES": (20 * 1024 * 1024, "largest import file or URL body accepted (bytes), CLI and admin upload"),
    "MAP_TILE_URL": (None, "map tile URL template ({z}/{x}/{y}); when unset (the default) no map is shown and no request leaves the site; its origin is the only outside origin the CSP allows, for images"),
    "MAP_ATTRIBUTION": ("", "attribution HTML shown on the map, required by most tile servers (e.g. OpenStreetMap contributors)"),
    "REDIS_URL": (None, "Redis URL (redis://127.0.0.1:6379/0) shared by all processes for caches and rate limits; default: per-process memory"),
    "DATABASE_REPLICA_URL": (None, "PostgreSQL read replica URL; read-only GET requests use it when set"),
    "DB_POOL_SIZE": (5, "connections kept open per process and engine (PostgreSQL)"),
    "DB_MAX_OVERFLOW": (5, "extra connections a process may open above DB_POOL_SIZE under bursts (PostgreSQL)"),
    "DB_STATEMENT_TIMEOUT_MS": (5000, "PostgreSQL statement_timeout for every connection, in milliseconds (0 = none)"),
    "TRUSTED_PROXIES": (0, "how many reverse proxies in front of the app set X-Forwarded-For/-Proto/-Host (0 = trust none)"),
    "LOG_LEVEL": ("INFO", "log level of the JSON request log (DEBUG, INFO, WARNING, ERROR)"),
    "LOG_CLIENT_IP": (False, "include the client IP in request logs (off: the log never holds IP addresses)"),
    "CACHE_TTL": (300, "seconds a cached search result or feed lives (entries are also dropped when the data version changes)"),
    "MEETING_CACHE_ENTRIES": (10_000, "meetings each process keeps ready for result pages and search feeds, up to about 9 KB each (0 = none)"),
    "PRINT_MAX_MEETINGS": (1000, "most meetings one printed list (PDF) may hold; a longer list is refused with how to narrow it"),
    "PRINT_PROCESSES": (0, "processes that lay out one long printed list together, the request's own and helpers (0 = one per CPU core, at most 4; 1 = no helper processes)"),
    "GEOCODER": ("offline", "'offline' (built-in gazetteer, no network) or 'nominatim' (falls back to offline)"),
    "GEOCODER_URL": ("https://nominatim.openstreetmap.org", "Nominatim endpoint when GEOCODER=nominatim"),
    "GEOCODER_USER_AGENT": ("na-finder", "User-Agent sent to Nominatim (its policy asks for one naming the site)"),
    "GEOCODER_TIMEOUT": (5.0, "seconds to wait for Nominatim before using the offline gazetteer"),
    "GEOCODER_MIN_DELAY": (1.0, "minimum seconds between Nominatim requests (its policy: one per second)"),
    "GEOCODER_CACHE_PATH": (None, "SQLite file caching Nominatim answers; default: `geocode-cache.sqlite3` in the instance folder"),
}


def _seconds(env: Mapping[str, str], name: str) -> float:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return float(SETTINGS[name][0])
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number of seconds, not {raw!r}") from None
    if not 0 <= value < 3600:
        raise ConfigError(f"{name} must be between 0 and 3600 seconds")
    return value


def from_env(env: Mapping[str, str], instance_path: str) -> dict[str, Any]:
    """Build the Flask config mapping from environment variables."""
    url = env.get("DATABASE_URL") or "sqlite:///" + os.path.join(instance_path, "finder.sqlite3")
    debug = _flag(env, "FINDER_DEBUG")
    return {
        "DATABASE_URL": url,
        "SECRET_KEY": env.get("SECRET_KEY") or None,
        "DEBUG": debug,
        "SITE_NAME": env.get("SITE_NAME") or SETTINGS["SITE_NAME"][0],
        "PUBLIC_URL": (env.get("PUBLIC_URL") or "").rstrip("/") or None,
        "TRUSTED_HOSTS": [h.strip().lower() for h in (env.get("TRUSTED_HOSTS") or "").split(",") if h.strip()],
        "CALENDAR_UID_DOMAIN": (env.get("CALENDAR_UID_DOMAIN") or "").strip() or None,
        "CALENDAR_CACHE_SECONDS": _int(env, "CALENDAR_CACHE_SECONDS"),
        "IMPORT_MAX_BYTES": _int(env, "IMPORT_MAX_BYTES"),
        "MAP_TILE_URL": (env.get("MAP_TILE_URL") or "").strip() or None,
        "MAP_ATTRIBUTION": (env.get("MAP_ATTRIBUTION") or "").strip(),
        "REDIS_URL": env.get("REDIS_URL") or None,
        "DATABASE_REPLICA_URL": env.get("DATABASE_REPLICA_URL") or None,
        "DB_POOL_SIZE": _int(env, "DB_POOL_SIZE"),
        "DB_MAX_OVERFLOW": _int(env, "DB_MAX_OVERFLOW"),
        "DB_STATEMENT_TIMEOUT_MS": _int(env, "DB_STATEMENT_TIMEOUT_MS"),
        "TRUSTED_PROXIES": _int(env, "TRUSTED_PROXIES"),
        "LOG_LEVEL": (env.get("LOG_LEVEL") or SETTINGS["LOG_LEVEL"][0]).upper(),
        "LOG_CLIENT_IP": _flag(env, "LOG_CLIENT_IP"),
        "CACHE_TTL": _int(env, "CACHE_TTL"),
        "MEETING_CACHE_ENTRIES": _int(env, "MEETING_CACHE_ENTRIES"),
        "PRINT_MAX_MEETINGS": _int(env, "PRINT_MAX_MEETINGS") or int(SETTINGS["PRINT_MAX_MEETINGS"][0]),
        "PRINT_PROCESSES": _int(env, "PRINT_PROCESSES"),
        "GEOCODER": (env.get("GEOCODER") or "offline").strip().lower(),
        "GEOCODER_URL": env.get("GEOCODER_URL") or SETTINGS["GEOCODER_URL"][0],
        "GEOCODER_USER_AGENT": env.get("GEOCODER_USER_AGENT") or SETTINGS["GEOCODER_USER_AGENT"][0],
        "GEOCODER_TIMEOUT": _seconds(env, "GEOCODER_TIMEOUT"),
        "GEOCODER_MIN_DELAY": _seconds(env, "GEOCODER_MIN_DELAY"),
        "GEOCODER_CACHE_PATH": env.get("GEOCODER_CACHE_PATH") or None,
        "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
        "MAX_FORM_MEMORY_SIZE": 256 * 1024,
        "RATELIMIT_PREFIX": env.get("RATELIMIT_PREFIX") or SETTINGS["RATELIMIT_PREFIX"][0],
        "SUBMISSION_RATE_LIMIT": env.get("SUBMISSION_RATE_LIMIT") or SETTINGS["SUBMISSION_RATE_LIMIT"][0],
        "LOGIN_RATE_LIMIT": env.get("LOGIN_RATE_LIMIT") or SETTINGS["LOGIN_RATE_LIMIT"][0],
        "LOGIN_ADDRESS_RATE_LIMIT": env.get("LOGIN_ADDRESS_RATE_LIMIT") or SETTINGS["LOGIN_ADDRESS_RATE_LIMIT"][0],
        "PUBLIC_RATE_LIMIT": env.get("PUBLIC_RATE_LIMIT", SETTINGS["PUBLIC_RATE_LIMIT"][0]),
        "SMTP_HOST": env.get("SMTP_HOST") or None,
        "SMTP_PORT": _int(env, "SMTP_PORT"),
        "SMTP_USER": env.get("SMTP_USER") or None,
        "SMTP_PASSWORD": env.get("SMTP_PASSWORD") or None,
        "SMTP_FROM": env.get("SMTP_FROM") or SETTINGS["SMTP_FROM"][0],
        "SMTP_STARTTLS": _flag(env, "SMTP_STARTTLS", default=True),
        "MODERATOR_EMAILS": env.get("MODERATOR_EMAILS") or "",
        "ORGANIZER_TOKEN_DAYS": _int(env, "ORGANIZER_TOKEN_DAYS"),
        "CONFIRM_PROMPT_MONTHS": _int(env, "CONFIRM_PROMPT_MONTHS"),
        "CONFIRM_LINK_DAYS": _int(env, "CONFIRM_LINK_DAYS"),
        "STALE_AFTER_DAYS": _int(env, "STALE_AFTER_DAYS"),
        "REPORT_RATE_LIMIT": env.get("REPORT_RATE_LIMIT") or SETTINGS["REPORT_RATE_LIMIT"][0],
        "REPORT_THRESHOLD": _int(env, "REPORT_THRESHOLD"),
        "REPORT_WINDOW_DAYS": _int(env, "REPORT_WINDOW_DAYS"),
        "REPORT_ESCALATE_DAYS": _int(env, "REPORT_ESCALATE_DAYS"),
        "REPORT_DEACTIVATE_DAYS": _int(env, "REPORT_DEACTIVATE_DAYS"),
        # Session cookies: never readable by scripts, not sent on cross-site posts, https-only behind https.
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": (env.get("PUBLIC_URL") or "").lower().startswith("https://"),
        "PERMANENT_SESSION_LIFETIME": 8 * 3600,
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
    if config.get("LOG_LEVEL", "INFO") not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
        raise ConfigError(f"LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, not {config['LOG_LEVEL']!r}")
    if config.get("GEOCODER", "offline") not in {"offline", "nominatim"}:
        raise ConfigError(f"GEOCODER must be 'offline' or 'nominatim', not {config.get('GEOCODER')!r}")
    if int(config.get("REPORT_THRESHOLD", 3)) < 2:
        raise ConfigError("REPORT_THRESHOLD must be at least 2: one visitor alone never marks a meeting")
    for name in ("REPORT_WINDOW_DAYS", "REPORT_DEACTIVATE_DAYS", "CONFIRM_LINK_DAYS", "STALE_AFTER_DAYS"):
        if int(config.get(name, 1)) < 1:
            raise ConfigError(f"{name} must be at least 1")
    for name in ("SUBMISSION_RATE_LIMIT", "LOGIN_RATE_LIMIT", "LOGIN_ADDRESS_RATE_LIMIT", "PUBLIC_RATE_LIMIT"):
        try:
            parse_rates(str(config.get(name) or ""))
        except ValueError as exc:
            raise ConfigError(f"{name}: {exc}") from None
    if not config.get("SECRET_KEY"):
        if config.get("DEBUG") or config.get("TESTING"):
            return
        raise ConfigError("SECRET_KEY is required (set it in the environment; any long random string)")
