"""gunicorn settings for production: `gunicorn -c gunicorn.conf.py wsgi:app`; environment variables override.

Workers: the app is CPU-bound Python (rendering, JSON, search scoring) waiting briefly on PostgreSQL, so the
default is one process per core plus one to keep the cores busy while another waits on the database
(WEB_CONCURRENCY overrides). Each is a gthread worker with a few threads: threads overlap the database waits
and, unlike sync workers, keep HTTP connections alive, which measured 1.5-2x the throughput of sync workers
at 64 concurrent connections on this 2-core machine (BENCHMARKS.md). Every thread may hold a database
connection, so GUNICORN_THREADS must stay <= DB_POOL_SIZE + DB_MAX_OVERFLOW, and workers x that below
PostgreSQL's max_connections across all hosts.

preload_app is off: each worker imports the app itself, so `kill -HUP` (systemctl reload) loads new code with
zero downtime, and no engine, pool or Redis socket can be created before the fork and shared by accident.
The memory it would save is a few tens of MB per worker, which a machine of this size does not miss.
"""
from __future__ import annotations

import os

bind = os.environ.get("BIND") or f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY") or (os.cpu_count() or 1) + 1)
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
preload_app = False

# A nginx in front buffers slow clients, so workers never wait on a phone's slow upload or download.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 5
backlog = 2048
# Recycle workers now and then so a slow leak can never take a process down at night.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "20000"))
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


def post_worker_init(worker) -> None:  # type: ignore[no-untyped-def]
    """Build the offline gazetteer's indexes before the worker takes requests, so no visitor waits for them."""
    from finder.geocode import shared_gazetteer

    shared_gazetteer().warm()
