"""Jinja filters and the values every template sees."""
from __future__ import annotations

from typing import Any

from flask import Flask, current_app

from finder import db, site

WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def weekday_name(weekday: int) -> str:
    """Monday=0 convention."""
    return WEEKDAY_NAMES[weekday]


def clock(value: Any) -> str:
    """A local time as a phone shows it: 7:30 PM."""
    hour = value.hour % 12 or 12
    return f"{hour}:{value.minute:02d} {'AM' if value.hour < 12 else 'PM'}"


def _template_globals() -> dict[str, Any]:
    return {
        "site_name": current_app.config["SITE_NAME"],
        "demo_data": site.demo_loaded(db.engine_for(current_app)),
    }


def init_app(app: Flask) -> None:
    app.add_template_filter(weekday_name)
    app.add_template_filter(clock)
    app.context_processor(_template_globals)
