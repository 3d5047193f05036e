"""Structured JSON logs: one line per request with method, path, status and duration; never a location or IP."""
from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any

from flask import Flask, Response, current_app, g, request

LOGGER_NAME = "finder"
REQUEST_LOGGER_NAME = "finder.request"

# Standard LogRecord attributes; anything else passed in `extra` becomes a JSON field.
_RECORD_FIELDS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class JSONFormatter(logging.Formatter):
    """Format a record as one JSON object per line (what log shippers and `jq` read)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _RECORD_FIELDS and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


def configure(level: str = "INFO", stream: Any = None) -> None:
    """Send the app's loggers (and Flask's) to one JSON stream handler; safe to call more than once."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JSONFormatter())
    handler.set_name("finder-json")
    for name in (LOGGER_NAME, "flask.app"):
        logger = logging.getLogger(name)
        logger.handlers = [h for h in logger.handlers if h.get_name() != "finder-json"] + [handler]
        logger.setLevel(level)
        logger.propagate = False


def request_fields(response: Response, duration_ms: float, *, include_ip: bool) -> dict[str, Any]:
    """What one request line holds: the path without its query (the query is where a location lives)."""
    fields: dict[str, Any] = {
        "method": request.method,
        "path": _route(),
        "endpoint": request.endpoint,
        "status": response.status_code,
        "duration_ms": round(duration_ms, 2),
        "bytes": response.calculate_content_length(),
    }
    if include_ip:
        fields["ip"] = request.remote_addr
    return fields


# URL parts that are private: an organizer's status token, a personal calendar list's address and an old
# code-in-the-link list (both tell which meetings someone goes to).
PRIVATE_URL_PARTS = frozenset({"token", "public_id", "code"})


def _route() -> str:
    """The path, except that a private part in it is logged as the route ("/submit/status/<token>",
    "/calendars/my/<public_id>.ics"): the log must not hold what opens an organizer's status page or shows
    someone's meetings."""
    if request.url_rule is not None and request.view_args and PRIVATE_URL_PARTS & request.view_args.keys():
        return request.url_rule.rule
    return request.path


def _start_timer() -> None:
    g.request_started = time.perf_counter()


def _log_request(response: Response) -> Response:
    started = g.pop("request_started", None)
    if started is not None:
        duration_ms = (time.perf_counter() - started) * 1000
        include_ip = bool(current_app.config.get("LOG_CLIENT_IP"))
        logging.getLogger(REQUEST_LOGGER_NAME).info(
            "request", extra=request_fields(response, duration_ms, include_ip=include_ip)
        )
    return response


def init_app(app: Flask) -> None:
    """Install the JSON handler (unless testing, where pytest captures logs) and time every request."""
    if not app.testing:
        configure(app.config.get("LOG_LEVEL") or "INFO")
    else:
        logging.getLogger(LOGGER_NAME).setLevel(app.config.get("LOG_LEVEL") or "INFO")
    app.before_request(_start_timer)
    app.after_request(_log_request)
