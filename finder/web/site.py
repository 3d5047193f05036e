"""Site-wide facts the pages need on every request, cached briefly per process."""
from __future__ import annotations

import time

from sqlalchemy import Engine, select
from sqlalchemy.exc import SQLAlchemyError

from finder.models import SiteSetting

_DEMO_TTL_SECONDS = 30.0
_demo_cache: dict[str, tuple[float, bool]] = {}


def demo_loaded(engine: Engine, monotonic: float | None = None) -> bool:
    """True when demo data is loaded; the answer is cached for 30 s so pages don't query every time."""
    now = time.monotonic() if monotonic is None else monotonic
    key = str(engine.url)
    cached = _demo_cache.get(key)
    if cached and now - cached[0] < _DEMO_TTL_SECONDS:
        return cached[1]
    try:
        with engine.connect() as connection:
            value = connection.execute(
                select(SiteSetting.value).where(SiteSetting.key == "demo_loaded")
            ).scalar_one_or_none()
    except SQLAlchemyError:
        return False
    loaded = value == "1"
    _demo_cache[key] = (now, loaded)
    return loaded


def forget_demo_state() -> None:
    """Drop the cached answer (after seeding or clearing demo data)."""
    _demo_cache.clear()
