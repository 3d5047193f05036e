"""The declarative base, the engine and the per-request session."""
from __future__ import annotations

import datetime as dt
import math
import os
import sqlite3
import time
from typing import Any, cast

from flask import Flask, current_app, g, has_request_context, request
from sqlalchemy import CursorResult, DateTime, Engine, Executable, MetaData, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError, SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

# Every constraint gets a predictable name so migrations can alter it on SQLite and PostgreSQL alike.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """An aware UTC datetime on every backend (SQLite keeps no zone, so we restore it on load)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given for a UTC column")
        value = value.astimezone(dt.timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.timezone.utc)
        return value.astimezone(dt.timezone.utc)


def rows_changed(session: Session, statement: Executable) -> int:
    """Run an UPDATE or DELETE and say how many rows it changed (the driver's rowcount).

    (Session.execute is typed to return a plain Result, which has no rowcount; for DML it is a CursorResult.)
    """
    return cast(CursorResult[Any], session.execute(statement)).rowcount


# SQLite reads pages through a memory map of this size (see _sqlite_pragmas).
SQLITE_MMAP_BYTES = 1 << 30
# The SQL math functions the search ranks with (finder.search.ranking.distance_sql). They are an optional SQLite
# feature (SQLITE_ENABLE_MATH_FUNCTIONS, in Python's builds since SQLite 3.35); where missing, the C library's
# own functions are registered through Python: slower, the same results.
SQLITE_MATH = {"sin": math.sin, "cos": math.cos, "asin": math.asin, "sqrt": math.sqrt, "radians": math.radians}


def sqlite_has_math(dbapi_connection: Any) -> bool:
    """True when this SQLite build has its math functions (detected per connection, when it opens)."""
    try:
        dbapi_connection.execute("SELECT asin(0.5), sqrt(2.0), radians(1.0), sin(1.0), cos(1.0)").fetchone()
    except sqlite3.OperationalError:  # "no such function"
        return False
    return True


def register_sqlite_math(dbapi_connection: Any) -> None:
    for name, function in SQLITE_MATH.items():
        dbapi_connection.create_function(name, 1, _none_safe(function), deterministic=True)


def _none_safe(function: Any) -> Any:
    # SQL NULL in, NULL out, as the built-ins do; a domain error is NULL too, as SQLite's asin(2) is.
    def call(value: float | None) -> float | None:
        if value is None:
            return None
        try:
            return function(value)
        except ValueError:
            return None
    return call


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    # Read pages straight from the OS cache instead of copying each into SQLite's own 2 MB cache: a "10 nearest"
    # search at 1M meetings 12% faster, a radius search with a weekday 18% (BENCHMARKS.md). Address space only.
    cursor.execute(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")
    cursor.close()
    if not sqlite_has_math(dbapi_connection):
        register_sqlite_math(dbapi_connection)


def make_engine(url: str, **options: Any) -> Engine:
    """Create an engine with the options this app relies on for the URL's backend."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            os.makedirs(os.path.dirname(os.path.abspath(parsed.database)), exist_ok=True)
        engine = create_engine(url, **options)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    engine = create_engine(url, **options)
    if not options.get("pool_pre_ping"):
        ping_after_idle(engine)
    return engine


# A pooled connection that went back to the pool less than this long ago is used without a check.
IDLE_PING_SECONDS = 2.0


def ping_after_idle(engine: Engine) -> None:
    """Check a pooled PostgreSQL connection before use only when it has sat idle for IDLE_PING_SECONDS; a dead
    one is replaced before the request sees it.

    SQLAlchemy's pool_pre_ping checks every checkout: a round trip per request, 11% of the samples of busy
    gunicorn workers serving uncached searches (py-spy; BENCHMARKS.md, "Load"). A connection in steady use needs no check: if the
    server went away meanwhile, the failing statement is a disconnect, which invalidates the whole pool, so a
    restart costs each process the request that found it (a 503 with Retry-After, as every request during
    the outage gets) and later requests open new connections.
    """
    def returned(_dbapi_connection: Any, record: Any, *_args: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    def check(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is not None and time.monotonic() - idle_since < IDLE_PING_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            if engine.dialect.is_disconnect(error, dbapi_connection, None):
                raise DisconnectionError() from error  # the pool drops it and checks out another
            raise

    event.listen(engine, "connect", returned)  # a new connection is as good as a just-used one
    event.listen(engine, "checkin", returned)
    event.listen(engine, "checkout", check)


def engine_options(url: str, config: Any) -> dict[str, Any]:
    """Pool and connection options for a PostgreSQL engine shared by several processes; none for SQLite.

    A connection idle for a while is checked before use (ping_after_idle), so a process recovers by itself
    after a database restart; statement_timeout bounds what one slow query can hold; hide_parameters keeps
    query values (a user's coordinates) out of errors and logs.
    """
    if make_url(url).get_backend_name() != "postgresql":
        return {"hide_parameters": True}
    # jit off: PostgreSQL compiles a plan whose estimate passes jit_above_cost, and an "online meetings
    # starting soon" search at 1M meetings spent 227 ms of its 630 compiling (EXPLAIN ANALYZE); the app's
    # queries are short, so the compile never pays back.
    settings = ["-c jit=off"]
    timeout_ms = int(config.get("DB_STATEMENT_TIMEOUT_MS") or 0)
    if timeout_ms:
        settings.append(f"-c statement_timeout={timeout_ms}")
    connect_args: dict[str, Any] = {"connect_timeout": 5, "application_name": "finder", "options": " ".join(settings)}
    return {
        "pool_size": int(config.get("DB_POOL_SIZE") or 5),
        "max_overflow": int(config.get("DB_MAX_OVERFLOW") or 0),
        "pool_timeout": 10,
        "pool_recycle": 1800,
        "hide_parameters": True,
        "connect_args": connect_args,
    }


def read_engine(url: str, config: Any) -> Engine:
    """The engine GET requests read through: on PostgreSQL, its own pool of connections in autocommit.

    A request that only reads gains nothing from BEGIN ... ROLLBACK (at READ COMMITTED each statement takes
    its own snapshot either way) and paid two round trips for it. Switching a shared pool's connections to
    autocommit per checkout cost as much again, so reads get a pool of their own whose connections are set once
    (measured on "10 nearest" searches at 1M meetings, all three ways in one process). On SQLite, which runs in
    the process, reads share the one engine's handling.
    """
    options = engine_options(url, config)
    if make_url(url).get_backend_name() == "postgresql":
        options["isolation_level"] = "AUTOCOMMIT"
    return make_engine(url, **options)


def init_app(app: Flask) -> None:
    url = app.config["DATABASE_URL"]
    engine = make_engine(url, **engine_options(url, app.config))
    app.extensions["finder.engine"] = engine
    app.extensions["finder.sessionmaker"] = sessionmaker(engine, expire_on_commit=False)
    # Reads go to the replica when there is one, else to the primary; on SQLite through the same engine.
    read_url = app.config.get("DATABASE_REPLICA_URL") or url
    if read_url == url and make_url(url).get_backend_name() != "postgresql":
        reads = engine
    else:
        reads = app.extensions["finder.read_engine"] = read_engine(read_url, app.config)
    app.extensions["finder.read_sessionmaker"] = sessionmaker(reads, expire_on_commit=False)
    app.teardown_appcontext(_close_session)


def engine_for(app: Flask) -> Engine:
    return app.extensions["finder.engine"]


def session_factory(app: Flask) -> sessionmaker[Session]:
    return app.extensions["finder.sessionmaker"]


def get_session(*, primary: bool = False) -> Session:
    """The session of the current app context, created on first use; the view commits.

    A GET or HEAD request only reads: it gets a session without a transaction (see `read_engine`), on the replica
    when DATABASE_REPLICA_URL is set. A GET view that writes must ask for `primary=True`: a replica refuses
    writes, and without a transaction a write would not be atomic. Everything else uses the primary.
    """
    if not primary and _is_read_request():
        if "db_read_session" not in g:
            g.db_read_session = current_app.extensions["finder.read_sessionmaker"]()
        return g.db_read_session
    if "db_session" not in g:
        g.db_session = session_factory(current_app)()
    return g.db_session


def _is_read_request() -> bool:
    return has_request_context() and request.method in ("GET", "HEAD")


def _close_session(_exc: BaseException | None) -> None:
    for name in ("db_session", "db_read_session"):
        session = g.pop(name, None)
        if session is None:
            continue
        try:
            session.close()
        except SQLAlchemyError:
            # The connection died under us (a database restart): the answer already stands, so drop the
            # connection from the pool instead of turning a finished request into a 500.
            session.invalidate()


def dispose_engines(app: Flask) -> None:
    """Close every pooled connection of the app's engines (tests, and after a fork)."""
    for engine in app_engines(app):
        engine.dispose()


def app_engines(app: Flask) -> list[Engine]:
    """The app's engines: the primary, and the read engine when reads have their own."""
    return [app.extensions[name] for name in ("finder.engine", "finder.read_engine") if name in app.extensions]


def refresh_statistics(engine: Engine, *, vacuum: bool = False) -> None:
    """After a load: fresh planner statistics (sampled, quick at any size); with `vacuum`, after a bulk load into
    an empty database, PostgreSQL also sets the visibility map that index-only scans need (without it each one
    fetches heap pages until autovacuum gets there)."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM (ANALYZE)" if vacuum else "ANALYZE")
    else:
        with engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE")


def has_table(engine: Engine, name: str) -> bool:
    return inspect(engine).has_table(name)


def contains(column: Any, text: str) -> Any:
    """A case-insensitive "contains `text`" condition that reads %, _ and \\ in `text` as themselves."""
    pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return column.ilike(pattern, escape="\\")
