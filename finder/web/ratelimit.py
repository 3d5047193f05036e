"""Rate limits: fixed-window counters in Redis when configured (shared by every process), in memory otherwise."""
from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from typing import Any, NamedTuple, Protocol

log = logging.getLogger(__name__)

_UNITS = {"s": 1, "sec": 1, "second": 1, "min": 60, "minute": 60, "h": 3600, "hour": 3600, "d": 86400,
          "day": 86400}
_RATE = re.compile(r"^\s*(\d+)\s*(?:/|per)\s*(\d*)\s*([a-z]+?)s?\s*$")


class Rate(NamedTuple):
    """At most `count` hits per `seconds`."""

    count: int
    seconds: int


def parse_rate(text: str) -> Rate:
    """'5/hour', '20/15min', '3 per day' -> Rate; raises ValueError for anything else."""
    match = _RATE.match(text.lower())
    if not match or match.group(3) not in _UNITS:
        raise ValueError(f"not a rate: {text!r} (write it like 5/hour or 20/15min)")
    count, multiple, unit = int(match.group(1)), int(match.group(2) or 1), match.group(3)
    if count < 1 or multiple < 1:
        raise ValueError(f"not a rate: {text!r} (count and period must be positive)")
    return Rate(count, multiple * _UNITS[unit])


class Limiter(Protocol):
    def hit(self, key: str, rate: Rate) -> bool:
        """Count one hit for key; True while the count in the current window is within the rate."""
        ...

    def count(self, key: str, rate: Rate) -> int:
        """Hits counted for key in the current window (without counting one)."""
        ...

    def reset(self, key: str, rate: Rate) -> None:
        """Forget key's hits in the current window (after a successful login, say)."""
        ...


class MemoryLimiter:
    """Counters in this process's memory; right for one process, and the fallback when Redis is down."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._counts: dict[tuple[str, int, int], int] = {}
        self._lock = threading.Lock()

    def _slot(self, key: str, rate: Rate) -> tuple[str, int, int]:
        return key, rate.seconds, int(self._clock() // rate.seconds)

    def _prune(self) -> None:
        now = self._clock()
        stale = [slot for slot in self._counts if slot[2] < int(now // slot[1])]
        for slot in stale:
            del self._counts[slot]

    def hit(self, key: str, rate: Rate) -> bool:
        with self._lock:
            if len(self._counts) > 10_000:
                self._prune()
            slot = self._slot(key, rate)
            self._counts[slot] = self._counts.get(slot, 0) + 1
            return self._counts[slot] <= rate.count

    def count(self, key: str, rate: Rate) -> int:
        with self._lock:
            return self._counts.get(self._slot(key, rate), 0)

    def reset(self, key: str, rate: Rate) -> None:
        with self._lock:
            self._counts.pop(self._slot(key, rate), None)


class RedisLimiter:
    """Counters in Redis (INCR + EXPIRE per window), shared by every process; memory while Redis is down.

    A Redis error never turns into a refused or failed request: the limiter counts in memory and tries Redis
    again after `retry_seconds`.
    """

    def __init__(self, client: Any, *, prefix: str = "finder:rl:", clock: Callable[[], float] = time.time,
                 retry_seconds: float = 30.0) -> None:
        self._client = client
        self._prefix = prefix
        self._clock = clock
        self._retry_seconds = retry_seconds
        self._down_until = 0.0
        self.fallback = MemoryLimiter(clock)

    @classmethod
    def from_url(cls, url: str, **options: Any) -> RedisLimiter:
        import redis

        client = redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5)
        return cls(client, **options)

    def _key(self, key: str, rate: Rate) -> str:
        return f"{self._prefix}{rate.seconds}:{int(self._clock() // rate.seconds)}:{key}"

    def _available(self) -> bool:
        return self._clock() >= self._down_until

    def _failed(self, exc: Exception) -> None:
        log.warning("rate limiter: Redis unavailable (%s); counting in memory for %ss", exc, self._retry_seconds)
        self._down_until = self._clock() + self._retry_seconds

    def hit(self, key: str, rate: Rate) -> bool:
        import redis

        if self._available():
            try:
                pipe = self._client.pipeline()
                redis_key = self._key(key, rate)
                pipe.incr(redis_key)
                pipe.expire(redis_key, rate.seconds + 1)
                count, _ = pipe.execute()
                return int(count) <= rate.count
            except (redis.RedisError, OSError) as exc:
                self._failed(exc)
        return self.fallback.hit(key, rate)

    def count(self, key: str, rate: Rate) -> int:
        import redis

        if self._available():
            try:
                return int(self._client.get(self._key(key, rate)) or 0)
            except (redis.RedisError, OSError) as exc:
                self._failed(exc)
        return self.fallback.count(key, rate)

    def reset(self, key: str, rate: Rate) -> None:
        import redis

        self.fallback.reset(key, rate)
        if self._available():
            try:
                self._client.delete(self._key(key, rate))
            except (redis.RedisError, OSError) as exc:
                self._failed(exc)


def make_limiter(config: Any) -> Limiter:
    """Redis when REDIS_URL is set, memory otherwise."""
    url = config.get("REDIS_URL")
    if url:
        return RedisLimiter.from_url(url, prefix=config.get("RATELIMIT_PREFIX") or "finder:rl:")
    return MemoryLimiter()


def get_limiter(app: Any) -> Limiter:
    """The app's limiter, made on first use (creating the app opens no connection)."""
    limiter = app.extensions.get("finder.limiter")
    if limiter is None:
        limiter = make_limiter(app.config)
        app.extensions["finder.limiter"] = limiter
    return limiter
