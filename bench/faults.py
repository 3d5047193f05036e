"""Fault drills against a running gunicorn: the app must degrade clearly and recover by itself.

    python bench/faults.py                       # every scenario, on the clusters named below
    python bench/faults.py pg-restart redis-down # some of them

Scenarios:
  pg-restart      PostgreSQL restarted under load: requests during the outage get 503 + Retry-After (never a
                  traceback), and the app recovers without a restart of its own.
  redis-down      Redis shut down under load and brought back: every request still answers (the cache and the
                  rate limits fall back to per-process memory), and Redis is used again once it is back.
  geocoder        the geocoder backend slow (never answers) or down (refuses): a place search still answers
                  from the offline gazetteer within GEOCODER_TIMEOUT plus a margin.
  kill-import     the server SIGKILLed during an import: after restart the import is all there or not at all.
  kill-approval   gunicorn SIGKILLed during a burst of approvals: each submission is either approved with its
                  meeting, or still pending; never a half-applied approval.
  submissions     concurrent submissions while search is under load: every accepted submission is stored.

Every scenario restores what it stops (try/finally): PostgreSQL is started again and Redis relaunched even
when the drill fails. By default they act on the machine's own services (cluster "15 main", Redis on 6379);
--pg-cluster/--pg-port and --redis-port point them at a scratch cluster and Redis so other work on the same
machine is not disturbed.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.load import BIN, Server  # noqa: E402


# -- the services we break and must always restore -------------------------------------------------------------

@dataclass
class Services:
    pg_version: str
    pg_cluster: str
    pg_port: int
    redis_port: int

    @property
    def admin_url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.pg_port}/postgres"

    def app_url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.pg_port}/finder_faults"

    def redis_url(self) -> str:
        return f"redis://127.0.0.1:{self.redis_port}/0"

    def pg_ctl(self, action: str) -> None:
        subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", self.pg_version, self.pg_cluster, action],
                       check=True, capture_output=True)

    def pg_online(self) -> bool:
        return _port_open(self.pg_port)

    def ensure_pg(self) -> None:
        if not self.pg_online():
            subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", self.pg_version, self.pg_cluster, "start"],
                           capture_output=True)
        _wait_for_port(self.pg_port, 30)

    def redis_cli(self, *args: str) -> str:
        result = subprocess.run(["redis-cli", "-p", str(self.redis_port), *args], capture_output=True, text=True)
        return result.stdout.strip()

    def redis_online(self) -> bool:
        return self.redis_cli("ping") == "PONG"

    def redis_stop(self) -> None:
        self.redis_cli("shutdown", "nosave")

    def redis_start(self) -> None:
        if self.redis_online():
            return
        logfile = "/var/log/redis/ci.log" if self.redis_port == 6379 else f"/tmp/redis-{self.redis_port}.log"
        subprocess.run(["redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "-::1", "--port",
                        str(self.redis_port), "--save", "", "--appendonly", "no", "--dir", "/var/lib/redis",
                        "--logfile", logfile], check=True, capture_output=True)
        deadline = time.monotonic() + 10
        while not self.redis_online() and time.monotonic() < deadline:
            time.sleep(0.1)


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _wait_for_port(port: int, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not _port_open(port):
        if time.monotonic() > deadline:
            raise RuntimeError(f"nothing listening on port {port} after {seconds} s")
        time.sleep(0.2)


# -- a recording client ------------------------------------------------------------------------------------------

@dataclass
class Sample:
    at: float
    path: str
    status: int  # 0 = the server itself could not be reached
    seconds: float
    retry_after: bool
    leaked: bool  # a traceback or driver name in the body


LEAK_MARKERS = (b"Traceback", b"psycopg", b"sqlalchemy", b"OperationalError", b'File "')


class Probe:
    """Threads issuing GETs in a loop and recording every answer with its time."""

    def __init__(self, port: int, paths: list[str], threads: int = 8) -> None:
        import random

        # Shuffled, so every kind of path is asked for early, not only the head of the list.
        self.port, self.paths, self.threads = port, random.Random(8).sample(paths, len(paths)), threads
        self.samples: list[Sample] = []
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._workers: list[threading.Thread] = []
        self.started = 0.0

    def _run(self, offset: int) -> None:
        connection: http.client.HTTPConnection | None = None
        i = offset
        while not self._stop.is_set():
            path = self.paths[i % len(self.paths)]
            i += 1
            begun = time.monotonic()
            try:
                connection = connection or http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
                connection.request("GET", path)
                response = connection.getresponse()
                body = response.read()
                sample = Sample(begun - self.started, path, response.status, time.monotonic() - begun,
                                response.getheader("Retry-After") is not None,
                                any(marker in body for marker in LEAK_MARKERS))
                if response.getheader("Connection", "").lower() == "close":
                    connection.close()
                    connection = None
            except (OSError, http.client.HTTPException):
                if connection is not None:
                    connection.close()
                connection = None
                sample = Sample(begun - self.started, path, 0, time.monotonic() - begun, False, False)
                time.sleep(0.05)
            with self._lock:
                self.samples.append(sample)

    def __enter__(self) -> Probe:
        self.started = time.monotonic()
        self._workers = [threading.Thread(target=self._run, args=(n,), daemon=True) for n in range(self.threads)]
        for worker in self._workers:
            worker.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        for worker in self._workers:
            worker.join(timeout=20)

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def between(self, start: float, end: float = float("inf")) -> list[Sample]:
        """Samples answered in [start, end): a request sent just before an outage but answered during it
        belongs to the outage (with one thread per worker it may wait in the accept queue meanwhile)."""
        with self._lock:
            return [s for s in self.samples if start <= s.at + s.seconds < end]


def tally(samples: list[Sample]) -> dict[str, int]:
    return dict(sorted(Counter(str(s.status) for s in samples).items()))


# -- results ------------------------------------------------------------------------------------------------------

@dataclass
class Outcome:
    name: str
    passed: bool
    facts: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def check(self, condition: bool, problem: str) -> None:
        if not condition:
            self.passed = False
            self.problems.append(problem)


# -- the app under test ------------------------------------------------------------------------------------------

@dataclass
class Context:
    services: Services
    port: int
    workdir: Path
    size: int
    backend: str = "postgresql"
    seeded: bool = False

    def app_url(self) -> str:
        if self.backend == "sqlite":
            return f"sqlite:///{self.workdir / 'faults.sqlite3'}"
        return self.services.app_url()

    def env(self, **extra: str) -> dict[str, str]:
        env = dict(os.environ, DATABASE_URL=self.app_url(), SECRET_KEY="faults-not-secret",
                   REDIS_URL=self.services.redis_url(), CACHE_TTL="300", LOG_LEVEL="INFO", DB_STATEMENT_TIMEOUT_MS="5000",
                   PATH=f"{BIN}:{os.environ.get('PATH', '')}")
        env.update(extra)
        return env

    def flask(self, *args: str, env: dict[str, str] | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(BIN / "flask"), "--app", "wsgi", *args], cwd=ROOT, env=env or self.env(),
                              capture_output=True, text=True, check=check)

    def prepare(self) -> None:
        """A fresh finder_faults database with demo data (once per run)."""
        if self.seeded:
            return
        from sqlalchemy import create_engine, text

        if self.backend == "sqlite":
            for suffix in ("", "-wal", "-shm"):
                Path(str(self.workdir / "faults.sqlite3") + suffix).unlink(missing_ok=True)
        else:
            self.services.ensure_pg()
            admin = create_engine(self.services.admin_url, isolation_level="AUTOCOMMIT")
            with admin.connect() as connection:
                connection.execute(text("DROP DATABASE IF EXISTS finder_faults WITH (FORCE)"))
                connection.execute(text("CREATE DATABASE finder_faults"))
            admin.dispose()
        self.flask("db", "upgrade")
        seeded = self.flask("seed-demo", "--size", str(self.size), check=False)
        if seeded.returncode != 0:
            raise RuntimeError(f"seed-demo failed: {(seeded.stderr or seeded.stdout).strip()[-300:]}")
        self.seeded = True

    def scalar(self, sql: str, **params: Any) -> Any:
        from sqlalchemy import create_engine, text

        engine = create_engine(self.app_url())
        try:
            with engine.connect() as connection:
                return connection.execute(text(sql), params).scalar()
        finally:
            engine.dispose()

    def row_counts(self) -> dict[str, int]:
        """Rows per table: equal snapshots before and after a crash mean nothing partial was left behind."""
        from sqlalchemy import create_engine, func, select

        from finder.db import Base
        import finder.models  # noqa: F401 - registers every table on Base.metadata

        engine = create_engine(self.app_url())
        try:
            with engine.connect() as connection:
                return {table.name: connection.execute(select(func.count()).select_from(table)).scalar_one()
                        for table in Base.metadata.sorted_tables}
        finally:
            engine.dispose()

    def read_paths(self) -> list[str]:
        """Database-backed GET paths that exist on this build: meeting pages, then searches if present."""
        from sqlalchemy import create_engine, text

        engine = create_engine(self.app_url())
        with engine.connect() as connection:
            slugs = connection.execute(text("SELECT slug FROM meetings WHERE published ORDER BY id LIMIT 50")).scalars().all()
            points = connection.execute(text(
                "SELECT latitude, longitude FROM places WHERE latitude IS NOT NULL ORDER BY id LIMIT 50")).all()
        engine.dispose()
        paths = [f"/meetings/{slug}" for slug in slugs]
        paths += [f"/api/v1/search?lat={lat:.4f}&lon={lon:.4f}&radius=10" for lat, lon in points]
        return paths

    @contextmanager
    def server(self, **extra_env: str) -> Iterator[Server]:
        server = Server(self.env(**extra_env), self.port, self.workdir / "faults-gunicorn.log")
        try:
            server.start()
            yield server
        finally:
            server.stop()


def _get(port: int, path: str, timeout: float = 30) -> tuple[int, bytes, float]:
    begun = time.monotonic()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read(), time.monotonic() - begun
    finally:
        connection.close()


def _existing(port: int, paths: list[str]) -> list[str]:
    """The paths this build answers (a capability not merged yet answers 404 and is left out)."""
    return [p for p in paths if _get(port, p)[0] != 404]


# -- scenarios ----------------------------------------------------------------------------------------------------

def pg_restart(ctx: Context) -> Outcome:
    outcome = Outcome("pg-restart", True)
    if ctx.backend != "postgresql":
        outcome.facts["skipped"] = "PostgreSQL only"
        return outcome
    ctx.prepare()
    try:
        with ctx.server(CACHE_TTL="0"):  # no cache: every request must reach the database
            paths = _existing(ctx.port, ctx.read_paths())
            with Probe(ctx.port, paths, threads=8) as probe:
                time.sleep(5)
                restart_began = probe.elapsed()
                ctx.services.pg_ctl("restart")
                restart_ended = probe.elapsed()
                time.sleep(15)
            before = probe.between(0, restart_began)
            during = probe.between(restart_began, restart_ended + 5)
            after = probe.between(restart_ended + 5)
            all_samples = probe.samples
            unavailable = [s for s in all_samples if s.status == 503]
            failures = [s for s in all_samples if s.status != 200]
            last_failure = max((s.at + s.seconds for s in failures), default=restart_ended)
            outcome.facts.update(
                paths=len(paths), requests=len(all_samples), before=tally(before), during=tally(during),
                after=tally(after), restart_seconds=round(restart_ended - restart_began, 2),
                recovered_seconds_after_restart=round(max(0.0, last_failure - restart_ended), 2),
            )
            outcome.check(bool(before) and all(s.status == 200 for s in before), "errors before the restart")
            outcome.check(all(s.status in (200, 503) for s in all_samples),
                          f"answers other than 200/503: {tally(failures)}")
            outcome.check(all(s.retry_after for s in unavailable), "a 503 without Retry-After")
            outcome.check(not any(s.leaked for s in all_samples), "a response leaked a traceback or driver name")
            outcome.check(bool(after) and all(s.status == 200 for s in after),
                          "the app did not recover within 5 s of PostgreSQL being back")
    finally:
        ctx.services.ensure_pg()
    return outcome


def redis_down(ctx: Context) -> Outcome:
    outcome = Outcome("redis-down", True)
    ctx.prepare()
    ctx.services.redis_start()
    try:
        with ctx.server():
            # Meeting pages (database reads) and the Meeting Guide feed (a public entry, shared through Redis).
            paths = _existing(ctx.port, ctx.read_paths() + ["/feeds/meeting-guide.json"] * 10)
            with Probe(ctx.port, paths, threads=8) as probe:
                time.sleep(3)
                keys_before = int(ctx.services.redis_cli("dbsize") or 0)
                stopped_at = probe.elapsed()
                ctx.services.redis_stop()
                time.sleep(8)
                restarted_at = probe.elapsed()
                ctx.services.redis_start()
                time.sleep(12)  # longer than the cache's retry back-off
            keys_after = int(ctx.services.redis_cli("dbsize") or 0)
            down = probe.between(stopped_at, restarted_at)
            outcome.facts.update(
                requests=len(probe.samples), while_down=tally(down), overall=tally(probe.samples),
                redis_keys_before_stop=keys_before, redis_keys_after_restart=keys_after,
                slowest_while_down_ms=round(max((s.seconds for s in down), default=0) * 1000, 1),
            )
            outcome.check(bool(down) and all(s.status == 200 for s in down), "errors while Redis was down")
            outcome.check(all(s.status == 200 for s in probe.samples), f"errors: {tally(probe.samples)}")
            outcome.check(keys_after > 0, "Redis not used again after it came back")
            outcome.facts["rate_limit"] = _rate_limit_fallback(ctx, outcome)
    finally:
        ctx.services.redis_start()
    return outcome


def _rate_limit_fallback(ctx: Context, outcome: Outcome) -> str:
    """With Redis stopped, keep failing the admin login: 401s, then 429s from the per-process limiter, no 5xx."""
    browser = Browser(ctx.port)
    if browser.get(LOGIN)[0] == 404:
        return "no admin login on this build"
    token = browser.token(LOGIN)
    ctx.services.redis_stop()
    try:
        statuses = Counter(
            browser.post(LOGIN, {"csrf_token": token, "email": "nobody@example.org", "password": "wrong"})[0]
            for _ in range(40)
        )
    finally:
        ctx.services.redis_start()
    outcome.check(not any(code >= 500 or code == 0 for code in statuses), f"errors from the login: {dict(statuses)}")
    outcome.check(statuses.get(429, 0) > 0, "no rate limit applied while Redis was down")
    return f"40 failed logins with Redis down: {dict(sorted(statuses.items()))}"


class _SlowHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        time.sleep(60)  # a geocoder that never answers in time

    def log_message(self, *args: Any) -> None:
        pass


def geocoder(ctx: Context) -> Outcome:
    outcome = Outcome("geocoder", True)
    ctx.prepare()
    timeout = 1.0
    slow = ThreadingHTTPServer(("127.0.0.1", 0), _SlowHandler)
    slow.daemon_threads = True
    threading.Thread(target=slow.serve_forever, daemon=True).start()
    with socket.socket() as sock:  # a port with nothing behind it: connection refused
        sock.bind(("127.0.0.1", 0))
        dead_port = sock.getsockname()[1]
    queries = ["Springfield, IL", "Portland, OR", "Austin", "Boise, ID"]
    try:
        for label, url in (("slow", f"http://127.0.0.1:{slow.server_address[1]}"), ("down", f"http://127.0.0.1:{dead_port}")):
            with ctx.server(GEOCODER="nominatim", GEOCODER_URL=url, GEOCODER_TIMEOUT=str(timeout),
                            GEOCODER_MIN_DELAY="0", CACHE_TTL="0"):
                answers = []
                search = "/api/v1/search" if _get(ctx.port, "/api/v1/search?q=x")[0] != 404 else "/search"
                for _ in range(8):  # load the offline gazetteer in every worker first (a ZIP never asks Nominatim)
                    _get(ctx.port, f"{search}?q=19103")
                for q in queries:
                    path = search + "?" + f"q={q.replace(' ', '+').replace(',', '%2C')}&radius=25"
                    status, body, seconds = _get(ctx.port, path)
                    hits = None
                    if status == 200 and search.startswith("/api"):
                        try:
                            hits = len(json.loads(body).get("meetings", []))
                        except ValueError:
                            hits = None
                    elif status == 200:
                        hits = body.count(b'href="/meetings/')
                    answers.append({"q": q, "path": search, "status": status, "seconds": round(seconds, 2),
                                    "meetings": hits})
                outcome.facts[label] = answers
                outcome.check(all(a["status"] == 200 for a in answers), f"geocoder {label}: not all answered 200")
                outcome.check(all(a["seconds"] <= timeout + 2.0 for a in answers),
                              f"geocoder {label}: an answer took longer than the timeout + 2 s")
    finally:
        slow.shutdown()
        slow.server_close()
    return outcome


def _timed_flask(ctx: Context, *args: str) -> tuple[float, subprocess.CompletedProcess[str]]:
    began = time.monotonic()
    result = ctx.flask(*args, check=False)
    return time.monotonic() - began, result


def kill_import(ctx: Context) -> Outcome:
    """SIGKILL `flask import-meeting-guide` at several points of its transaction; then let one finish."""
    outcome = Outcome("kill-import", True)
    ctx.prepare()
    feed = ctx.workdir / "import-feed.json"
    with ctx.server():  # our own Meeting Guide feed is a realistic file to import
        status, body, _ = _get(ctx.port, "/feeds/meeting-guide.json")
    if status == 404:
        outcome.facts["skipped"] = "no Meeting Guide feed on this build"
        return outcome
    feed.write_bytes(body)
    startup, probe = _timed_flask(ctx, "db", "status")
    dry, result = _timed_flask(ctx, "import-meeting-guide", str(feed), "--dry-run")
    if result.returncode != 0 or probe.returncode != 0:
        outcome.check(False, f"import --dry-run failed: {(result.stderr or result.stdout).strip()[-300:]}")
        return outcome
    work = max(dry - startup, 0.2)
    outcome.facts.update(feed_meetings=len(json.loads(body)), startup_seconds=round(startup, 2),
                         import_seconds=round(work, 2))
    original = before = ctx.row_counts()
    kills, pending = [], []
    for fraction in (0.3, 0.6, 0.9):
        process = subprocess.Popen([str(BIN / "flask"), "--app", "wsgi", "import-meeting-guide", str(feed)],
                                   cwd=ROOT, env=ctx.env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                   start_new_session=True)
        try:
            time.sleep(startup + work * fraction)
            finished = process.poll() is not None
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        after = ctx.row_counts()
        changed = {t: after[t] - before[t] for t in after if after[t] != before[t]}
        kills.append({"killed_at": f"{fraction:.0%} of the import", "finished_first": finished, "changed": changed})
        if finished:
            before = after  # it committed before the kill: the whole import is there, fine, compare from here
            continue
        pending.append((fraction, changed))
    outcome.facts["kills"] = kills
    outcome.check(any(not k["finished_first"] for k in kills), "every import finished before the kill: no drill")
    seconds, result = _timed_flask(ctx, "import-meeting-guide", str(feed))
    final = ctx.row_counts()
    outcome.facts["complete_run"] = {"exit": result.returncode, "seconds": round(seconds, 2),
                                     "report": result.stdout.strip()[-200:],
                                     "changed": {t: final[t] - before[t] for t in final if final[t] != before[t]}}
    # A process killed after its commit (while it refreshed the statistics or exited) left the whole import:
    # what the complete run ends with. Anything else but nothing at all is partial data.
    whole = {t: final[t] - original[t] for t in final if final[t] != original[t]}
    for fraction, changed in pending:
        outcome.check(not changed or changed == whole, f"partial data after SIGKILL at {fraction:.0%}: {changed}")
    outcome.check(result.returncode == 0, "the import after the kills did not succeed")
    outcome.check(final["meetings"] > original["meetings"] or "updated" in result.stdout,
                  "the completed import stored nothing")
    return outcome


# -- form-posting clients ------------------------------------------------------------------------------------------

class Browser:
    """A cookie-keeping client that reads CSRF tokens from forms, as a person's browser would."""

    TOKEN = __import__("re").compile(r'name="csrf_token" value="([^"]+)"')

    def __init__(self, port: int) -> None:
        import http.cookiejar
        import urllib.request

        self.base = f"http://127.0.0.1:{port}"
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, path: str) -> tuple[int, str, str]:
        return self._open(path, None)

    def post(self, path: str, fields: dict[str, Any]) -> tuple[int, str, str]:
        from urllib.parse import urlencode

        return self._open(path, urlencode(fields, doseq=True).encode())

    def token(self, path: str) -> str:
        status, _url, html = self.get(path)
        found = self.TOKEN.search(html)
        if not found:
            raise RuntimeError(f"no CSRF token on {path} (HTTP {status})")
        return found.group(1)

    def _open(self, path: str, data: bytes | None) -> tuple[int, str, str]:
        import urllib.error

        try:
            with self.opener.open(self.base + path, data=data, timeout=60) as response:
                return response.status, response.url, response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as exc:
            return exc.code, exc.url, exc.read().decode("utf-8", "replace")
        except OSError:
            return 0, "", ""


LOGIN = os.environ.get("FAULTS_LOGIN_PATH", "/login")


def _new_meeting_form(token: str, n: int) -> dict[str, Any]:
    return {
        "csrf_token": token, "action": "send", "name": f"Drill Group {n}", "open_closed": "O", "formats": ["BEG"],
        "day_0": str(n % 7), "start_0": "19:30", "duration_0": "60", "attendance": "in_person", "language": "en",
        "location_name": "Community Hall", "street": f"{100 + n} Market St", "city": "Philadelphia", "region": "PA",
        "postal_code": "19103", "country": "US", "location_notes": "", "contact_name": "Sam",
        "contact_email": f"sam{n}@example.org", "message": "", "leave_this_empty": "",
    }


def _submit_many(port: int, count: int, threads: int, offset: int = 0) -> dict[str, Any]:
    """`count` people each filling in the new-meeting form once; what the site answered them."""
    from concurrent.futures import ThreadPoolExecutor

    def one(n: int) -> tuple[int, bool]:
        browser = Browser(port)
        token = browser.token("/submit/new")
        status, url, _ = browser.post("/submit/new", _new_meeting_form(token, n))
        return status, "/submit/status/" in url

    with ThreadPoolExecutor(threads) as pool:
        answers = list(pool.map(one, range(offset, offset + count)))
    return {"accepted": sum(ok for _, ok in answers),
            "answers": dict(sorted(Counter(str(code) for code, _ in answers).items()))}


def submissions_under_load(ctx: Context) -> Outcome:
    """Concurrent submissions while the search page is under load: every accepted one is stored."""
    outcome = Outcome("submissions", True)
    ctx.prepare()
    with ctx.server(SUBMISSION_RATE_LIMIT="100000/hour"):  # one address sends them all here
        if _get(ctx.port, "/submit/new")[0] == 404:
            outcome.facts["skipped"] = "no submission form on this build"
            return outcome
        before = ctx.scalar("SELECT count(*) FROM submissions")
        with Probe(ctx.port, _existing(ctx.port, ctx.read_paths()), threads=8) as probe:
            result = _submit_many(ctx.port, 120, threads=12)
        stored = ctx.scalar("SELECT count(*) FROM submissions") - before
        unique = ctx.scalar("SELECT count(DISTINCT reference) FROM submissions")
        total = ctx.scalar("SELECT count(*) FROM submissions")
    outcome.facts.update(sent=120, **result, stored=stored, search_load=tally(probe.samples))
    # Stored may exceed accepted when an answer was lost on the way back (a client timeout); never the reverse.
    outcome.check(result["accepted"] <= stored <= 120, f"accepted {result['accepted']} but stored {stored}")
    outcome.check(result["accepted"] > 0, "no submission was accepted")
    outcome.check(unique == total, "duplicate submission references")
    outcome.check(all(s.status in (200, 503) for s in probe.samples),
                  f"search errors during the submissions: {tally(probe.samples)}")
    outcome.check(not any(code.startswith("5") and code != "503" for code in result["answers"]),
                  f"server errors: {result['answers']}")
    return outcome


def kill_approval(ctx: Context) -> Outcome:
    """SIGKILL gunicorn while moderators approve a burst of new meetings; check each one after restart."""
    outcome = Outcome("kill-approval", True)
    ctx.prepare()
    email, password = "drill-admin@example.org", "drill-password-long-enough"
    made = ctx.flask("create-admin", "--email", email, "--name", "Drill", "--password", password, check=False)
    if made.returncode != 0 and "already" not in (made.stderr + made.stdout):
        outcome.check(False, f"create-admin failed: {(made.stderr or made.stdout).strip()[-200:]}")
        return outcome
    server = Server(ctx.env(SUBMISSION_RATE_LIMIT="100000/hour"), ctx.port, ctx.workdir / "faults-gunicorn.log")
    try:
        server.start()
        _submit_many(ctx.port, 60, threads=6, offset=1000)
        pending = [row for row in _rows(ctx, "SELECT id FROM submissions WHERE status = 'pending' AND kind = 'new' "
                                             "ORDER BY id")]
        moderators = []
        for _ in range(4):
            browser = Browser(ctx.port)
            token = browser.token(LOGIN)
            browser.post(LOGIN, {"csrf_token": token, "email": email, "password": password})
            moderators.append((browser, browser.token("/admin/")))
        answers: Counter[str] = Counter()
        lock = threading.Lock()

        def approve_all(index: int) -> None:
            browser, token = moderators[index]
            for submission_id in pending[index::len(moderators)]:
                status, _url, _ = browser.post(f"/admin/submissions/{submission_id}/approve", {"csrf_token": token})
                with lock:
                    answers[str(status)] += 1

        workers = [threading.Thread(target=approve_all, args=(i,), daemon=True) for i in range(len(moderators))]
        for worker in workers:
            worker.start()
        deadline = time.monotonic() + 30
        while sum(answers.values()) < len(pending) // 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert server.process is not None
        os.killpg(server.process.pid, signal.SIGKILL)  # master and workers, mid-approval
        server.process.wait()
        for worker in workers:
            worker.join(timeout=30)
    finally:
        server.stop()
    outcome.facts.update(pending_before=len(pending), answers_before_kill=dict(answers))
    rows = _rows(ctx, "SELECT s.id, s.status, s.meeting_id, "
                      "(SELECT count(*) FROM meetings m WHERE m.id = s.meeting_id), "
                      "(SELECT count(*) FROM audit_entries a WHERE a.submission_id = s.id) "
                      "FROM submissions s WHERE s.kind = 'new' AND s.id >= :first", first=min(pending or [0]))
    approved = [r for r in rows if r[1] == "approved"]
    still = [r for r in rows if r[1] == "pending"]
    half = [r for r in rows if (r[1] == "approved") != (r[2] is not None and r[3] == 1 and r[4] >= 1)
            or (r[1] == "pending" and (r[2] is not None or r[4] != 0))]
    outcome.facts.update(approved=len(approved), still_pending=len(still), half_applied=len(half))
    outcome.check(not half, f"half-applied approvals: {half[:5]}")
    outcome.check(0 < len(approved) < len(pending), "the kill did not land mid-burst; no drill")
    # After a restart the rest can be approved: nothing is stuck.
    with ctx.server():
        browser = Browser(ctx.port)
        token = browser.token(LOGIN)
        browser.post(LOGIN, {"csrf_token": token, "email": email, "password": password})
        token = browser.token("/admin/")
        codes = Counter(str(browser.post(f"/admin/submissions/{r[0]}/approve", {"csrf_token": token})[0])
                        for r in still)
    left = ctx.scalar("SELECT count(*) FROM submissions WHERE kind = 'new' AND status = 'pending' AND id >= :first",
                      first=min(pending or [0]))
    outcome.facts["after_restart"] = {"answers": dict(codes), "still_pending": left}
    outcome.check(left == 0, "submissions left pending after the restart could not be approved")
    return outcome


def _rows(ctx: Context, sql: str, **params: Any) -> list[Any]:
    from sqlalchemy import create_engine, text

    engine = create_engine(ctx.app_url())
    try:
        with engine.connect() as connection:
            return [tuple(row) if len(row) > 1 else row[0] for row in connection.execute(text(sql), params)]
    finally:
        engine.dispose()


SCENARIOS: dict[str, Callable[[Context], Outcome]] = {
    "pg-restart": pg_restart,
    "redis-down": redis_down,
    "geocoder": geocoder,
    "kill-import": kill_import,
    "kill-approval": kill_approval,
    "submissions": submissions_under_load,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("scenarios", nargs="*", help=f"default: all of {', '.join(SCENARIOS)}")
    parser.add_argument("--db", action="append", choices=["postgresql", "sqlite"], help="repeatable; default both")
    parser.add_argument("--pg-version", default="15")
    parser.add_argument("--pg-cluster", default="main")
    parser.add_argument("--pg-port", type=int, default=5432)
    parser.add_argument("--redis-port", type=int, default=6379)
    parser.add_argument("--port", type=int, default=8097)
    parser.add_argument("--size", type=int, default=2000, help="demo meetings to seed")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/finder-faults"))
    args = parser.parse_args(argv)
    unknown = set(args.scenarios) - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenarios: {sorted(unknown)}")
    args.workdir.mkdir(parents=True, exist_ok=True)
    services = Services(args.pg_version, args.pg_cluster, args.pg_port, args.redis_port)
    outcomes = []
    try:
        for backend in args.db or ["postgresql", "sqlite"]:
            ctx = Context(services, args.port, args.workdir, args.size, backend)
            for name in args.scenarios or list(SCENARIOS):
                print(f"== {name} on {backend}", flush=True)
                try:
                    outcome = SCENARIOS[name](ctx)
                except Exception as exc:  # a drill that crashed is a failed drill, reported; the next one runs
                    outcome = Outcome(name, False, problems=[f"{type(exc).__name__}: {exc}"])
                outcome.name = f"{name} ({backend})"
                outcomes.append(outcome)
                print(json.dumps({"scenario": outcome.name, "passed": outcome.passed, "problems": outcome.problems,
                                  **outcome.facts}, indent=2, default=str), flush=True)
    finally:
        services.ensure_pg()
        services.redis_start()
    print("\n" + "\n".join(f"{'PASS' if o.passed else 'FAIL'}  {o.name}" for o in outcomes))
    return 0 if all(o.passed for o in outcomes) else 1


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the finally blocks when stopped
    sys.exit(main())
