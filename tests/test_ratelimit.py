"""Rate limits in memory and in Redis (127.0.0.1:6379, a unique key prefix per test), and the fallback."""
from __future__ import annotations

import uuid

import pytest

from finder.web import ratelimit
from finder.web.ratelimit import MemoryLimiter, Rate, RedisLimiter

# Backend-agnostic tests run on SQLite only; what stores data through SQL that differs runs on both.
sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


class Clock:
    def __init__(self, start: float = 1_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize("text, rate", [
    ("5/hour", Rate(5, 3600)), ("20/15min", Rate(20, 900)), ("3 per day", Rate(3, 86400)),
    ("10/s", Rate(10, 1)), ("2/minutes", Rate(2, 60)),
])
def test_parse_rate(text, rate):
    assert ratelimit.parse_rate(text) == rate


@pytest.mark.parametrize("text", ["", "five/hour", "5/fortnight", "0/hour", "5/0min", "5"])
def test_parse_rate_refuses_nonsense(text):
    with pytest.raises(ValueError):
        ratelimit.parse_rate(text)


def exercise(limiter, clock: Clock) -> None:
    rate = Rate(3, 60)
    assert [limiter.hit("a", rate) for _ in range(4)] == [True, True, True, False]
    assert limiter.count("a", rate) == 4
    assert limiter.hit("b", rate)  # keys are independent
    clock.now += 60  # the next window starts fresh
    assert limiter.count("a", rate) == 0 and limiter.hit("a", rate)
    limiter.hit("a", rate)
    limiter.reset("a", rate)
    assert limiter.count("a", rate) == 0


def test_memory_limiter():
    clock = Clock()
    exercise(MemoryLimiter(clock), clock)


@pytest.fixture
def redis_client():
    import redis

    client = redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=0.5)
    try:
        client.ping()
    except redis.RedisError as exc:
        from conftest import unavailable

        unavailable(f"Redis not reachable at 127.0.0.1:6379: {exc}")
    prefix = f"finder-test:{uuid.uuid4().hex}:"
    yield client, prefix
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)
    client.close()


def test_redis_limiter(redis_client):
    client, prefix = redis_client
    clock = Clock()
    limiter = RedisLimiter(client, prefix=prefix, clock=clock)
    exercise(limiter, clock)
    assert all(key.decode().startswith(prefix) for key in client.scan_iter(f"{prefix}*"))
    assert all(0 < client.ttl(key) <= 61 for key in client.scan_iter(f"{prefix}*"))


def test_redis_counts_are_shared_between_processes(redis_client):
    client, prefix = redis_client
    clock = Clock()
    one, two = RedisLimiter(client, prefix=prefix, clock=clock), RedisLimiter(client, prefix=prefix, clock=clock)
    rate = Rate(2, 60)
    assert one.hit("k", rate) and two.hit("k", rate)
    assert not one.hit("k", rate)


def test_redis_down_falls_back_to_memory_then_recovers(redis_client):
    import redis

    client, prefix = redis_client
    clock = Clock()
    dead = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    limiter = RedisLimiter(dead, prefix=prefix, clock=clock, retry_seconds=30)
    rate = Rate(2, 3600)
    assert [limiter.hit("k", rate) for _ in range(3)] == [True, True, False]  # still limited, in memory
    assert limiter.count("k", rate) == 3
    limiter._client = client  # Redis is back
    assert not limiter.hit("k", rate)  # still inside the retry pause: memory keeps refusing
    clock.now += 31
    assert limiter.hit("k", rate) and client.exists(*list(client.scan_iter(f"{prefix}*")))


def test_make_limiter_picks_the_backend():
    assert isinstance(ratelimit.make_limiter({}), MemoryLimiter)
    limiter = ratelimit.make_limiter({"REDIS_URL": "redis://127.0.0.1:6379/0", "RATELIMIT_PREFIX": "x:"})
    assert isinstance(limiter, RedisLimiter)


@sqlite_only
def test_submission_limit_through_redis(app, redis_client):
    """The app's limiter uses Redis when REDIS_URL is set (no network until the first hit)."""
    client, prefix = redis_client
    app.config.update(REDIS_URL="redis://127.0.0.1:6379/0", RATELIMIT_PREFIX=prefix)
    limiter = ratelimit.get_limiter(app)
    assert isinstance(limiter, RedisLimiter)
    rate = Rate(1, 3600)
    assert limiter.hit("submit:abc", rate) and not limiter.hit("submit:abc", rate)
    assert list(client.scan_iter(f"{prefix}*"))
