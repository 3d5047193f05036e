"""Tests for finder.db: the optional SQLite math functions are detected and, when missing, supplied."""

import math
import random
import sqlite3

from sqlalchemy import text

from finder import db


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
