"""gunicorn settings for production: `gunicorn -c gunicorn.conf.py wsgi:app`; environment variables override.

Workers: the app is CPU-bound Python (rendering, JSON, search scoring) waiting briefly on PostgreSQL, so the
default is one process per core, plus one to keep the cores busy while another waits on the database when
the database runs on another host (WEB_CONCURRENCY overrides). When it shares these cores (SQLite, which runs
inside each worker, or a PostgreSQL on localhost) the extra process only competes with it: on this 2-core
machine with PostgreSQL local, 2 workers served uncached searches 10-15 % faster than 3 (JSON 694-780 against
663-676 req/s, HTML 466-492 against 387-427), and cached ones alike (BENCHMARKS.md, "Load"). Each worker has
ONE thread and no keep-alive. Measured with wrk at 64 connections on
this 2-core machine (BENCHMARKS.md, "Load"): 8 threads per process gave the same throughput but a p99 of
0.4-2 s, because threads in one process queue for its GIL and a kept-alive connection stays with the process
that accepted it, so a process that happened to accept more connections served each of them less often.
One thread per process, a new accept per request and at most two connections held per worker (the rest
wait in the kernel's accept queue for the next free worker) spread requests evenly: p99 45-50 ms at about
2,100 requests/s, JSON or HTML. Behind nginx, the proxy's connections to gunicorn are local and cheap to
reopen. GUNICORN_THREADS, GUNICORN_KEEPALIVE and GUNICORN_WORKER_CONNECTIONS override; every thread may hold a database connection, so threads
must stay <= DB_POOL_SIZE + DB_MAX_OVERFLOW, and workers x that below PostgreSQL's max_connections.

preload_app is ON, measured: the offline gazetteer and time zone polygons (finder.geocode) take 10-60 s of CPU
to build per process (60 s seen under load on this machine, while requests waited behind it and timed out).
Built once in the master before the fork, every worker starts warm and shares those pages copy-on-write, and
a worker recycled by max_requests is ready at once instead of rebuilding. The cost: `kill -HUP` no longer
loads new code, so a deploy is `systemctl restart finder` (or gunicorn's USR2 re-exec for zero downtime), see
docs/DEPLOY.md. Fork safety: create_app opens no connection and the warm-up touches no database; post_fork
still drops any pooled connection a worker might have inherited (engine.dispose(close=False)).
"""
from __future__ import annotations

import os
from urllib.parse import urlsplit


def _database_shares_this_host() -> bool:
    """SQLite (inside each worker) or a PostgreSQL reached on this machine: its work competes for these cores."""
    url = os.environ.get("DATABASE_URL") or "sqlite://"
    if url.startswith("sqlite"):
        return True
    return (urlsplit(url).hostname or "localhost") in ("localhost", "127.0.0.1", "::1")


bind = os.environ.get("BIND") or f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY")
              or (os.cpu_count() or 1) + (0 if _database_shares_this_host() else 1))
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
preload_app = True

# A nginx in front buffers slow clients, so workers never wait on a phone's slow upload or download.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "0"))
# A worker takes at most this many connections at once; the others wait in the kernel's accept queue, where
# whichever worker is free next takes the oldest. With gunicorn's default (1000) a busy worker kept accepting
# and queued connections behind its one thread while another worker idled: p99 100 ms against 45 ms with 2.
worker_connections = int(os.environ.get("GUNICORN_WORKER_CONNECTIONS") or max(2, 2 * threads))
backlog = 2048
# Recycle workers now and then so a slow leak can never take a process down at night. Measured at ~600
# requests/s, 20,000 recycled every worker every minute or two (emptying its private cache each time); with
# preload a recycle is cheap, but not free.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "200000"))
max_requests_jitter = max_requests // 10

# The app writes its own JSON request log without query strings or IPs; gunicorn's access log would write
# both (the query holds the user's location), so it stays off.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
proc_name = "finder"
# Proxy headers are handled by the app (TRUSTED_PROXIES); gunicorn itself trusts none.
forwarded_allow_ips = ""
limit_request_line = 4094
limit_request_fields = 100


def when_ready(server):  # noqa: ANN001, ANN201 - gunicorn's hook signature
    """In the master, after the app is loaded and before any worker forks: build what every worker reads."""
    try:
        from finder import geocode

        began = __import__("time").monotonic()
        geocode.shared_gazetteer().warm()
        server.log.info("gazetteer and time zones warmed in %.1f s", __import__("time").monotonic() - began)
    except Exception:  # a failed warm-up only means the first geocode pays for it; never refuse to start
        server.log.exception("warm-up failed; workers will build the gazetteer on first use")
    # The gazetteer and zone polygons are millions of long-lived objects: frozen, the collector stops walking
    # them on every full collection (pauses that showed as tail latency), and workers keep sharing their pages.
    import gc

    gc.collect()
    gc.freeze()


def post_fork(server, worker):  # noqa: ANN001, ANN201
    """Forget (without closing) any pooled database connection inherited from the master."""
    from finder import db

    for engine in db.app_engines(worker.app.wsgi()):
        engine.dispose(close=False)


def post_worker_init(worker) -> None:  # type: ignore[no-untyped-def]
    """Safety net: with the master already warm this returns at once; if the master's warm-up failed, the worker
    builds the indexes before it takes requests, so no visitor waits for them. Then the printing helpers start
    in the background."""
    from finder.geocode import shared_gazetteer
    from finder.printing import engine, service

    shared_gazetteer().warm()
    # Printed lists' helper processes start now, in the background, not on the first long list (which would
    # wait 1.7 s more for them: a 500-meeting list took 4.8 s instead of 2.8 s as a worker's first).
    engine.prestart(service.processes(worker.app.wsgi().config.get("PRINT_PROCESSES")))
