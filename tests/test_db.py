"""Tests for finder.db: UTC timestamps (UTCDateTime); the optional SQLite math functions are detected and, when
missing, supplied; pooled PostgreSQL connections are checked after idling and replaced when dead."""

import datetime as dt
import math
import random
import sqlite3

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from finder import db
from finder.models import Meeting


def test_registered_math_gives_the_builtins_results():
    rng = random.Random(5)
    builtin = sqlite3.connect(":memory:")
    registered = sqlite3.connect(":memory:")
    db.register_sqlite_math(registered)
    assert db.sqlite_has_math(registered)
    for _ in range(500):
        x = rng.uniform(-400, 400)
        for name in db.SQLITE_MATH:
            arg = x / 400 if name == "asin" else abs(x) if name == "sqrt" else x
            sql = f"SELECT {name}(?)"
            assert registered.execute(sql, (arg,)).fetchone() == builtin.execute(sql, (arg,)).fetchone()
    for name in db.SQLITE_MATH:  # NULL in, NULL out; outside the domain, NULL (as SQLite's asin(2))
        assert registered.execute(f"SELECT {name}(NULL)").fetchone() == (None,)
    assert registered.execute("SELECT asin(2.0)").fetchone() == builtin.execute("SELECT asin(2.0)").fetchone()


def test_an_sqlite_without_math_gets_it_on_connect(monkeypatch):
    registered = []
    monkeypatch.setattr(db, "sqlite_has_math", lambda connection: False)
    original = db.register_sqlite_math
    monkeypatch.setattr(db, "register_sqlite_math", lambda connection: (registered.append(1), original(connection)))
    engine = db.make_engine("sqlite://")
    with engine.connect() as connection:
        assert connection.execute(text("SELECT radians(180.0)")).scalar() == math.pi
    assert registered == [1]


def _pg_engine(database_url: str, seconds: float, monkeypatch: pytest.MonkeyPatch):
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only: SQLite runs in the process")
    monkeypatch.setattr(db, "IDLE_PING_SECONDS", seconds)
    return db.make_engine(database_url, pool_size=1, max_overflow=0)


def _backend_pid(engine) -> int:
    with engine.connect() as connection:
        return connection.execute(text("SELECT pg_backend_pid()")).scalar()


def _terminate(database_url: str, pid: int) -> None:
    other = create_engine(database_url, poolclass=NullPool)
    with other.connect() as connection:
        connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    other.dispose()


def test_a_connection_in_steady_use_is_not_pinged(database_url, monkeypatch):
    engine = _pg_engine(database_url, 60, monkeypatch)
    pings = []
    monkeypatch.setattr(engine.dialect, "do_ping", lambda dbapi_connection: pings.append(1) or True)
    for _ in range(5):
        _backend_pid(engine)
    assert pings == []
    engine.dispose()


def test_an_idle_connection_that_died_is_replaced_before_use(database_url, monkeypatch):
    engine = _pg_engine(database_url, 0, monkeypatch)  # every checkout counts as idle: checked
    first = _backend_pid(engine)
    _terminate(database_url, first)  # as a PostgreSQL restart would
    assert _backend_pid(engine) != first  # the check found it dead and the pool opened another
    engine.dispose()


def test_a_busy_connection_that_died_fails_once_then_the_pool_recovers(database_url, monkeypatch):
    engine = _pg_engine(database_url, 60, monkeypatch)
    first = _backend_pid(engine)
    _terminate(database_url, first)
    with pytest.raises(OperationalError):  # the request that finds it: a 503 in the app (tests/test_errors.py)
        _backend_pid(engine)
    assert _backend_pid(engine) != first
    engine.dispose()


def test_timestamps_come_back_aware_utc(session, make_meeting):
    meeting = make_meeting()
    session.commit()
    session.expire_all()
    loaded = session.get(Meeting, meeting.id)
    assert loaded.created_at.tzinfo is not None
    assert loaded.created_at.utcoffset() == dt.timedelta(0)


def test_naive_datetime_is_refused(session, make_meeting):
    meeting = make_meeting()
    meeting.updated_at = dt.datetime(2026, 1, 1)
    with pytest.raises(Exception, match="naive"):
        session.flush()
