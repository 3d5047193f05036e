"""Rate limits on Flask-Limiter: memory, Redis shared between processes (127.0.0.1:6379, a unique key prefix
per test), the fallback when Redis is down, and the declarations views make (scope, counts, applies, refused)."""
from __future__ import annotations

import uuid

import pytest
from flask import Flask, request

from finder.web import ratelimit
from tests.helpers import unavailable


def make_app(**config) -> Flask:
    """A small app with limited views, the way create_app wires them."""
    app = Flask(__name__)
    app.config.update({"SECRET_KEY": "k", "RATELIMIT_PREFIX": f"finder-test:{uuid.uuid4().hex}:",
                       "TRY_LIMIT": "2/hour", **config})

    @app.route("/try", methods=["GET", "POST"])
    @ratelimit.limited("TRY_LIMIT", scope="try", applies=lambda: request.method == "POST",
                       counts=lambda response: response.status_code == 201, refused=lambda: "slow down")
    def try_view():
        return ("made", 201) if request.form.get("ok") else ("not made", 422)

    @app.get("/other")
    @ratelimit.limited("TRY_LIMIT", scope="try")
    def other():
        return "other"

    ratelimit.init_app(app)
    return app


def test_counts_applies_and_refused():
    client = make_app().test_client()
    assert [client.post("/try", data={"ok": "1"}).status_code for _ in range(2)] == [201, 201]
    refused = client.post("/try", data={"ok": "1"})
    assert refused.status_code == 429 and refused.get_data(as_text=True) == "slow down"
    assert client.get("/try").status_code == 422  # a GET is not checked (and makes nothing)
    assert client.get("/other").status_code == 429  # one scope: one allowance for both views


def test_only_counted_answers_use_the_allowance():
    client = make_app().test_client()
    assert [client.post("/try").status_code for _ in range(5)] == [422] * 5  # failures are not counted here
    assert client.post("/try", data={"ok": "1"}).status_code == 201


def test_addresses_are_counted_apart_and_an_empty_setting_turns_the_limit_off():
    client = make_app().test_client()
    for _ in range(2):
        client.post("/try", data={"ok": "1"}, environ_base={"REMOTE_ADDR": "203.0.113.1"})
    assert client.post("/try", data={"ok": "1"}, environ_base={"REMOTE_ADDR": "203.0.113.1"}).status_code == 429
    assert client.post("/try", data={"ok": "1"}, environ_base={"REMOTE_ADDR": "203.0.113.2"}).status_code == 201
    off = make_app(TRY_LIMIT="").test_client()
    assert [off.post("/try", data={"ok": "1"}).status_code for _ in range(4)] == [201] * 4


@pytest.fixture
def redis_client():
    import redis

    client = redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=0.5)
    try:
        client.ping()
    except redis.RedisError as exc:
        unavailable(f"Redis not reachable at 127.0.0.1:6379: {exc}")
    yield client
    client.close()


def test_redis_counts_are_shared_between_processes_and_hold_no_address(redis_client):
    prefix = f"finder-test:{uuid.uuid4().hex}:"
    one = make_app(REDIS_URL="redis://127.0.0.1:6379/0", RATELIMIT_PREFIX=prefix).test_client()
    two = make_app(REDIS_URL="redis://127.0.0.1:6379/0", RATELIMIT_PREFIX=prefix).test_client()
    address = {"REMOTE_ADDR": "203.0.113.77"}
    assert one.post("/try", data={"ok": "1"}, environ_base=address).status_code == 201
    assert two.post("/try", data={"ok": "1"}, environ_base=address).status_code == 201
    assert one.post("/try", data={"ok": "1"}, environ_base=address).status_code == 429
    keys = [key.decode() for key in redis_client.scan_iter(f"*{prefix}*")]
    assert keys and not any("203.0.113.77" in key for key in keys)
    for key in keys:
        redis_client.delete(key)


def test_redis_down_falls_back_to_memory():
    """A dead Redis never turns into a failed request: the limiter counts in memory meanwhile."""
    client = make_app(REDIS_URL="redis://127.0.0.1:1/0").test_client()
    statuses = [client.post("/try", data={"ok": "1"}).status_code for _ in range(3)]
    assert statuses == [201, 201, 429]


def test_whole_feeds_and_the_bmlt_interface_are_limited_per_client(sqlite_app):
    sqlite_app.config["PUBLIC_RATE_LIMIT"] = "2/min"
    client = sqlite_app.test_client()
    assert [client.get("/feeds/meeting-guide.json").status_code for _ in range(2)] == [200, 200]
    refused = client.get("/bmlt/client_interface/json/?switcher=GetServerInfo")  # one allowance for both
    assert refused.status_code == 429 and refused.get_json()["error"]["status"] == 429
    elsewhere = sqlite_app.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "203.0.113.9"
    assert elsewhere.get("/feeds/meeting-guide.json").status_code == 200
    assert client.get("/").status_code == 200  # pages are not limited


def test_malformed_rate_settings_stop_the_app_with_one_line():
    from finder.config import ConfigError, check

    with pytest.raises(ConfigError, match="LOGIN_RATE_LIMIT"):
        check({"DATABASE_URL": "sqlite://", "TESTING": True, "LOGIN_RATE_LIMIT": "lots"})
