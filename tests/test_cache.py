"""The data version and the response cache: keys, invalidation, Redis sharing and the memory fallback."""
from __future__ import annotations

import datetime as dt
import gzip
import json
import shutil
import uuid

import pytest
from flask import jsonify, request
from sqlalchemy import update

from finder import cache, db
from finder.cache import CachePolicy, MemoryStore, RedisStore
from finder.models import SiteSetting
from tests.helpers import unavailable

REDIS_URL = "redis://127.0.0.1:6379/15"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_data_version_starts_at_zero_and_bumps(session):
    assert cache.data_version(session) == "0"
    cache.bump_data_version(session)
    assert cache.data_version(session) == "1"
    cache.bump_data_version(session)
    cache.bump_data_version(session)
    session.commit()
    assert cache.data_version(session) == "3"


def test_a_bump_records_when_the_data_changed(session):
    assert cache.data_version_and_time(session) == ("0", None)
    before = dt.datetime.now(dt.timezone.utc)
    cache.bump_data_version(session)
    session.commit()
    version, changed_at = cache.data_version_and_time(session)
    assert version == "1" and before <= changed_at <= dt.datetime.now(dt.timezone.utc)
    cache.bump_data_version(session)
    session.commit()
    later_version, later = cache.data_version_and_time(session)
    assert later_version == "2" and later >= changed_at


def test_a_garbled_change_time_reads_as_unknown(session):
    cache.bump_data_version(session)
    session.execute(update(SiteSetting).where(SiteSetting.key == cache.DATA_CHANGED_AT_KEY).values(value="soon"))
    session.commit()
    assert cache.data_version_and_time(session) == ("1", None)


def test_bump_is_invisible_until_commit(app, session):
    cache.bump_data_version(session)
    session.commit()
    cache.bump_data_version(session)
    other = db.session_factory(app)()
    try:
        assert cache.data_version(other) == "1"
        session.rollback()
        assert cache.data_version(other) == "1"
    finally:
        other.close()


def test_memory_store_expires_and_evicts():
    clock = Clock()
    store = MemoryStore(max_entries=2, clock=clock)
    store.set("a", b"1", ttl=10)
    store.set("b", b"2", ttl=10)
    assert store.get("a") == b"1"  # a is now the most recent
    store.set("c", b"3", ttl=10)
    assert store.get("b") is None and store.get("a") == b"1" and store.get("c") == b"3"
    clock.now += 11
    assert store.get("a") is None and len(store) == 1


def test_normalized_query_ignores_order_and_blanks():
    one = cache.normalized_query([("b", "2"), ("a", "1"), ("a", "0"), ("a", "")])
    two = cache.normalized_query([("a", "0"), ("b", "2 "), ("a", "1")])
    assert one == two == [("a", ["0", "1"]), ("b", ["2"])]


def test_a_name_without_a_value_still_counts():
    """BMLT's get_used_formats changes the answer by its presence alone."""
    assert cache.normalized_query([("switcher", "GetSearchResults"), ("get_used_formats", "")]) != \
        cache.normalized_query([("switcher", "GetSearchResults")])


def test_key_is_a_hash_not_the_query():
    key = cache.cache_key("1", "search.results", "/search", [("lat", "39.9487"), ("lon", "-75.1685")])
    assert len(key) == 64 and "39.9487" not in key
    assert key != cache.cache_key("2", "search.results", "/search", [("lat", "39.9487"), ("lon", "-75.1685")])
    assert key != cache.cache_key("1", "search.results", "/search", [("lat", "39.9487"), ("lon", "-75.1685")], 5)


@pytest.fixture
def redis_store():
    try:
        import redis

        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5)
        client.ping()
    except Exception as exc:  # noqa: BLE001 - any failure means "no Redis here"
        unavailable(f"Redis not reachable at {REDIS_URL}: {exc}")
    yield RedisStore(REDIS_URL, fallback=MemoryStore()), client
    client.close()


def test_redis_store_shares_between_processes(redis_store):
    store, client = redis_store
    key = uuid.uuid4().hex
    store.set(key, b"shared", ttl=5)
    assert client.get(cache.REDIS_PREFIX + key) == b"shared"
    assert 0 < client.ttl(cache.REDIS_PREFIX + key) <= 5
    other = RedisStore(REDIS_URL, fallback=MemoryStore())
    assert other.get(key) == b"shared"
    assert store.fallback.get(key) is None


def test_redis_down_falls_back_to_memory_and_retries():
    clock = Clock()
    store = RedisStore("redis://127.0.0.1:1/0", fallback=MemoryStore(clock=clock), clock=clock)
    store.set("k", b"v", ttl=60)  # fails fast, lands in memory
    assert not store.available
    assert store.get("k") == b"v"
    clock.now += cache.REDIS_RETRY_SECONDS + 1
    assert store.available  # it will try Redis again
    assert store.get("k") == b"v"
    assert not store.available


# -- cached views --------------------------------------------------------------------------------------------

@pytest.fixture
def counted(app):
    """A view that counts its renderings, wrapped by the cache like a search endpoint."""
    calls = {"n": 0}

    @app.get("/_test/search")
    def search():
        calls["n"] += 1
        return jsonify(n=calls["n"], q=request.args.get("q"))

    @app.get("/_test/feed")
    def feed():
        calls["n"] += 1
        return jsonify(n=calls["n"])

    cache.cache_endpoints(app, {"search": CachePolicy(private=True, per_minute=True),
                                "feed": CachePolicy(private=False, per_minute=False)})
    return app, calls


def test_equal_queries_share_one_rendering_until_the_data_changes(counted):
    app, calls = counted
    client = app.test_client()
    first = client.get("/_test/search?q=Boston&day=mon&day=tue")
    again = client.get("/_test/search?day=tue&q=Boston&day=mon")
    assert first.headers["X-Cache"] == "miss" and again.headers["X-Cache"] == "hit"
    assert again.get_json() == first.get_json() and calls["n"] == 1
    assert client.get("/_test/search?q=Denver").get_json()["n"] == 2

    with app.app_context():
        session = db.session_factory(app)()
        cache.bump_data_version(session)
        session.commit()
        session.close()
    fresh = client.get("/_test/search?q=Boston&day=mon&day=tue")
    assert fresh.headers["X-Cache"] == "miss" and fresh.get_json()["n"] == 3


def test_signed_in_visitors_bypass_the_cache(counted):
    app, calls = counted
    client = app.test_client()
    client.get("/_test/feed")
    client.set_cookie(app.config.get("SESSION_COOKIE_NAME", "session"), "abc")
    response = client.get("/_test/feed")
    assert "X-Cache" not in response.headers and calls["n"] == 2


def test_private_entries_never_reach_redis(counted, redis_store):
    app, _calls = counted
    _store, client = redis_store
    app.extensions["finder.cache"] = cache.build_cache({"REDIS_URL": REDIS_URL, "CACHE_TTL": 30})
    before = set(client.keys(cache.REDIS_PREFIX + "*"))
    test_client = app.test_client()
    test_client.get("/_test/search?lat=39.9487&lon=-75.1685")
    assert test_client.get("/_test/search?lat=39.9487&lon=-75.1685").headers["X-Cache"] == "hit"
    assert set(client.keys(cache.REDIS_PREFIX + "*")) == before
    test_client.get(f"/_test/feed?t={uuid.uuid4().hex}")  # a key no earlier run could have stored
    assert len(set(client.keys(cache.REDIS_PREFIX + "*")) - before) == 1


def test_cached_responses_keep_security_headers_and_never_cookies(counted):
    app, _calls = counted

    @app.get("/_test/cookie")
    def cookie():
        response = jsonify(ok=True)
        response.set_cookie("x", "y")
        return response

    cache.cache_endpoints(app, {"cookie": CachePolicy(private=False, per_minute=False)})
    client = app.test_client()
    client.get("/_test/feed")
    hit = client.get("/_test/feed")
    assert hit.headers["X-Cache"] == "hit"
    assert hit.headers["Content-Security-Policy"] and hit.mimetype == "application/json"
    client.get("/_test/cookie")
    assert client.get("/_test/cookie").headers["X-Cache"] == "miss"


def test_ttl_zero_disables(counted):
    app, calls = counted
    app.extensions["finder.cache"].ttl = 0
    client = app.test_client()
    client.get("/_test/feed")
    client.get("/_test/feed")
    assert calls["n"] == 2


def test_hits_serve_the_stored_gzip_encoding(counted):
    import gzip

    app, _calls = counted

    @app.get("/_test/big")
    def big():
        return jsonify(items=[{"name": f"Meeting {i}"} for i in range(300)])

    cache.cache_endpoints(app, {"big": CachePolicy(private=False, per_minute=False)})
    client = app.test_client()
    first = client.get("/_test/big", headers={"Accept-Encoding": "gzip"})
    hit = client.get("/_test/big", headers={"Accept-Encoding": "gzip"})
    plain = client.get("/_test/big")
    assert first.headers["X-Cache"] == "miss" and hit.headers["X-Cache"] == "hit"
    assert hit.headers["Content-Encoding"] == "gzip" and hit.data == first.data
    assert json.loads(gzip.decompress(hit.data)) == plain.get_json()
    assert "Content-Encoding" not in plain.headers and plain.headers["X-Cache"] == "hit"
    assert "Accept-Encoding" in plain.headers["Vary"]
    assert first.headers["ETag"] == hit.headers["ETag"]  # the same bytes, whether a miss or a hit sent them


def test_a_miss_is_compressed_once(counted, monkeypatch):
    """The entry's gzip encoding is what the miss sends too: the compression hook does not gzip it again."""
    from finder.web import compression

    app, _calls = counted

    @app.get("/_test/large")
    def large():
        return jsonify(items=[{"name": f"Meeting {i}"} for i in range(300)])

    cache.cache_endpoints(app, {"large": CachePolicy(private=False, per_minute=False)})
    compressed = []
    real = compression.gzip_bytes
    monkeypatch.setattr(compression, "gzip_bytes", lambda body: compressed.append(len(body)) or real(body))
    miss = app.test_client().get("/_test/large", headers={"Accept-Encoding": "gzip"})
    assert miss.headers["X-Cache"] == "miss" and miss.headers["Content-Encoding"] == "gzip"
    assert len(compressed) == 1
    assert json.loads(gzip.decompress(miss.data))["items"][299] == {"name": "Meeting 299"}


def test_committed_content_changes_bump_the_version_by_themselves(app, session, make_meeting):
    assert cache.data_version(session) == "0"
    meeting = make_meeting()
    session.commit()
    first = int(cache.data_version(session))
    assert first == 1  # one commit, one bump (the version row's own insert does not bump again)
    meeting.name = "Renamed"
    session.commit()
    assert int(cache.data_version(session)) == first + 1
    session.commit()  # nothing changed: no bump
    assert int(cache.data_version(session)) == first + 1


def test_rolled_back_changes_do_not_bump(app, session, make_meeting):
    make_meeting()
    session.rollback()
    session.commit()
    assert cache.data_version(session) == "0"


def test_bulk_statements_on_content_tables_bump(app, session, make_meeting):
    from sqlalchemy import update

    from finder.models import Meeting

    make_meeting()
    session.commit()
    before = int(cache.data_version(session))
    session.execute(update(Meeting).values(notes="bulk"))
    session.commit()
    assert int(cache.data_version(session)) == before + 1


def test_memory_store_is_bounded_in_bytes():
    store = MemoryStore(max_entries=100, max_bytes=10)
    store.set("a", b"12345", ttl=10)
    store.set("b", b"12345", ttl=10)
    store.set("c", b"12", ttl=10)
    assert store.get("a") is None and store.get("b") == b"12345" and store.get("c") == b"12"
    store.set("huge", b"x" * 11, ttl=10)
    assert store.get("huge") is None


def test_real_endpoints_are_wrapped(sqlite_app):
    wrapped = {name for name, view in sqlite_app.view_functions.items() if getattr(view, "__finder_cached__", False)}
    assert {"search.results", "api.search", "feeds.meeting_guide"} <= wrapped
    assert wrapped <= set(cache.POLICIES)


def test_search_page_cached_until_a_meeting_changes(app, session, make_meeting):
    meeting = make_meeting(name="Serenity Seekers")
    session.commit()
    client = app.test_client()
    url = "/search?lat=39.9487&lon=-75.1685&radius=5"
    first = client.get(url)
    assert first.status_code == 200 and "Serenity Seekers" in first.get_data(as_text=True)
    assert client.get(url).headers["X-Cache"] == "hit"
    meeting.name = "Renamed Group"
    session.commit()
    fresh = client.get(url)
    assert fresh.headers["X-Cache"] == "miss"
    assert "Renamed Group" in fresh.get_data(as_text=True)


def test_feed_hits_keep_the_views_etag_and_cors(app, session, make_meeting):
    make_meeting()
    session.commit()
    client = app.test_client()
    first = client.get("/feeds/meeting-guide.json")
    hit = client.get("/feeds/meeting-guide.json")
    assert hit.headers["X-Cache"] == "hit" and hit.headers["ETag"] == first.headers["ETag"]
    assert hit.headers["Access-Control-Allow-Origin"] == "*"
    assert hit.get_json() == first.get_json()
    assert client.get("/feeds/meeting-guide.json", headers={"If-None-Match": first.headers["ETag"]}).status_code == 304


def test_per_minute_entries_refresh_once_and_serve_stale_meanwhile(sqlite_app):
    import threading

    clock = Clock()
    calls = {"n": 0}
    release = threading.Event()
    entered = threading.Event()

    def view():
        calls["n"] += 1
        if calls["n"] == 2:  # the refresh after the minute turned: hold it while another request arrives
            entered.set()
            release.wait(5)
        return jsonify(n=calls["n"])

    sqlite_app.add_url_rule("/_test/soon", "soon", view)
    sqlite_app.view_functions["soon"] = cache.cached(view, private=True, per_minute=True,
                                                     session_getter=db.get_session, clock=clock)
    client = sqlite_app.test_client()
    assert client.get("/_test/soon").headers["X-Cache"] == "miss"
    assert client.get("/_test/soon").headers["X-Cache"] == "hit"
    clock.now += 60  # the next minute: "starts in N minutes" is now off by one

    results = {}
    refresher = threading.Thread(target=lambda: results.setdefault("refresh", client.get("/_test/soon")))
    refresher.start()
    assert entered.wait(5)
    during = client.get("/_test/soon")  # concurrent request while the refresh renders
    release.set()
    refresher.join(5)
    assert during.headers["X-Cache"] == "stale" and during.get_json() == {"n": 1}
    assert results["refresh"].headers["X-Cache"] == "miss" and results["refresh"].get_json() == {"n": 2}
    after = client.get("/_test/soon")
    assert after.headers["X-Cache"] == "hit" and after.get_json() == {"n": 2} and calls["n"] == 2


def test_version_memo_trusts_a_read_for_a_second_and_forgets_on_demand():
    clock = Clock()
    memo = cache.VersionMemo(clock=clock)
    reads = iter(["1", "2", "3"])
    assert memo.get(lambda: next(reads)) == "1"
    clock.now += cache.VERSION_CHECK_SECONDS / 2
    assert memo.get(lambda: next(reads)) == "1"  # no database round trip
    clock.now += cache.VERSION_CHECK_SECONDS
    assert memo.get(lambda: next(reads)) == "2"
    memo.forget()
    assert memo.get(lambda: next(reads)) == "3"


def test_another_process_change_shows_within_the_check_window(app, session, make_meeting, monkeypatch):
    """A second app on the same database stands for another process: its commit reaches us within a second."""
    from finder import create_app

    other = create_app({"TESTING": True, "DATABASE_URL": app.config["DATABASE_URL"], "SECRET_KEY": "k"})
    memo = app.extensions["finder.data_version_memo"]
    with app.test_request_context():
        before = memo.get(lambda: cache.data_version(db.get_session()))
    other_session = db.session_factory(other)()
    make_meeting()  # flushed in our session; commit it through the other app's session factory instead
    session.rollback()
    from finder.models import Place

    other_session.add(Place(name="Hall", street="1 Main St", city="Erie", region="PA", postal_code="16501",
                            country="US", latitude=42.1, longitude=-80.1, precision="rooftop",
                            timezone="America/New_York", notes=""))
    other_session.commit()
    other_session.close()
    db.dispose_engines(other)
    with app.test_request_context():
        assert memo.get(lambda: cache.data_version(db.get_session())) == before  # still trusted
        monkeypatch.setattr(cache, "VERSION_CHECK_SECONDS", 0.0)
        assert int(memo.get(lambda: cache.data_version(db.get_session()))) == int(before) + 1


def test_json_search_is_cached_privately_per_minute(app, session, make_meeting):
    make_meeting(name="Serenity Seekers")
    session.commit()
    client = app.test_client()
    url = "/api/v1/search?lat=39.9487&lon=-75.1685&radius=5"
    first = client.get(url)
    assert first.status_code == 200 and first.get_json()["meetings"][0]["name"] == "Serenity Seekers"
    hit = client.get(url)
    assert hit.headers["X-Cache"] == "hit" and hit.get_json() == first.get_json()
    assert app.extensions["finder.cache"].shared is not app.extensions["finder.cache"].private


def test_per_minute_entries_turn_stale_at_a_second_fixed_per_key():
    keys = [f"search?lat={i}" for i in range(600)]
    # Each key's minute changes exactly once every 60 seconds ...
    for key in keys[:20]:
        changes = sum(cache._minute_of_key(t + 1, key) != cache._minute_of_key(t, key) for t in range(0, 600))
        assert changes == 10
    # ... but not all at the same second: the re-renders after a minute turns are spread over the minute.
    turning = {next(t for t in range(60) if cache._minute_of_key(t + 1, key) != cache._minute_of_key(t, key))
               for key in keys}
    assert len(turning) > 50


def test_the_meeting_cache_size_is_a_setting(sqlite_template, tmp_path, monkeypatch):
    from finder import create_app

    path = tmp_path / "test.sqlite3"
    shutil.copy(sqlite_template, path)
    monkeypatch.setenv("MEETING_CACHE_ENTRIES", "0")
    off = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{path}", "SECRET_KEY": "x"})
    monkeypatch.setenv("MEETING_CACHE_ENTRIES", "250")
    small = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{path}", "SECRET_KEY": "x"})
    try:
        with off.test_request_context():
            assert cache.meeting_reader(db.get_session()) is None  # searches read their meetings directly
            assert off.test_client().get("/api/v1/search?lat=39.95&lon=-75.16&radius=5").status_code == 200
        with small.test_request_context():
            assert small.extensions["finder.meeting_cache"].capacity == 250
            assert cache.meeting_reader(db.get_session()) is not None
    finally:
        db.dispose_engines(off)
        db.dispose_engines(small)
    monkeypatch.setenv("MEETING_CACHE_ENTRIES", "many")
    with pytest.raises(Exception, match="MEETING_CACHE_ENTRIES must be a whole number"):
        create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{path}", "SECRET_KEY": "x"})
