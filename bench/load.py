"""HTTP load against gunicorn: JSON search, HTML results and a feed, on SQLite and PostgreSQL, measured by wrk.

Why wrk: the load generator shares this machine's two cores with gunicorn and PostgreSQL. wrk (C, epoll)
drives tens of thousands of requests per second from one core's fraction, while a Python asyncio client
tops out near 1,000-2,000 req/s per core and would steal the CPU it is trying to measure. wrk's Lua hook
(bench/wrk_paths.lua) rotates through real query points and reports p50/p90/p99 from its own histogram.

Each target runs in two modes: `hot` rotates through a fixed set of SAMPLE points (what a busy site sees:
the same city searches again and again; after the first pass the response cache answers), and `distinct`
moves every request's point by up to ~1 km so no two queries are equal and every request runs the search.

    python bench/load.py --db sqlite --db postgresql --size 100000 --duration 60 --connections 64

Needs: wrk (apt-get install -y wrk), PostgreSQL at 127.0.0.1:5432 for --db postgresql. Prints one row per
target and mode: requests/s, p50, p99, errors (socket errors + non-2xx/3xx answers + 5xx lines in the log).
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = os.environ.get("BENCH_PYTHON") or sys.executable
BIN = Path(PYTHON).parent

DEFAULT_TARGETS = {
    "json-search": "/api/v1/search?lat={lat}&lon={lon}&radius=10&unit=mi",
    "html-results": "/search?lat={lat}&lon={lon}&radius=10&unit=mi",
    # A subscription to "the 20 meetings nearest me": a bounded feed (a 10-mile radius in the densest demo
    # cities holds thousands of meetings, a 5 MB calendar no client should subscribe to).
    "ical-feed": "/calendars/search.ics?lat={lat}&lon={lon}&nearest=20",
}


@dataclass
class Result:
    backend: str
    target: str
    mode: str
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int
    detail: str
    load_before: float = 0.0  # 1-minute load average when the run started: other work on the machine shows here
    cpu_ms: float = 0.0  # gunicorn's own CPU time per request (user + system, master and workers)

    @property
    def capacity(self) -> float:
        """Requests/s the app's CPU cost alone would allow on this machine's cores (no wrk, no database)."""
        return (os.cpu_count() or 1) * 1000 / self.cpu_ms if self.cpu_ms else 0.0

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def reference_loop_ms() -> float:
    """CPU milliseconds of a fixed pure-Python loop (ten million additions), as a yardstick of this machine's
    speed: the same code's figures moved 2x between sessions' virtual machines, and this says which was which."""
    started = time.process_time()
    total = 0
    for number in range(10_000_000):
        total += number
    return (time.process_time() - started) * 1000


def database_url(backend: str, workdir: Path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{workdir / 'bench.sqlite3'}"
    return "postgresql+psycopg://postgres@127.0.0.1:5432/finder_bench"


def reset_database(backend: str, url: str) -> None:
    """Start from an empty database (a fresh file, or DROP/CREATE finder_bench)."""
    if backend == "sqlite":
        path = Path(url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        return
    from benchdb import postgres_database  # bench/ is the script's directory

    postgres_database("finder_bench", rebuild=True)


def flask(env: dict[str, str], *args: str) -> None:
    command = [str(BIN / "flask"), "--app", "wsgi", *args]
    print("$", " ".join(command[1:]), flush=True)
    subprocess.run(command, cwd=ROOT, env=env, check=True)


def sample_points(url: str, count: int, seed: int) -> list[tuple[float, float]]:
    """`count` coordinates of published in-person meeting places, the points real searches come from."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(text(
            "SELECT p.latitude, p.longitude FROM places p JOIN meetings m ON m.place_id = p.id "
            "WHERE m.published AND p.latitude IS NOT NULL ORDER BY p.id LIMIT 20000"
        )).all()
    engine.dispose()
    if not rows:
        raise SystemExit("no meeting places in the database: seed it first")
    random.Random(seed).shuffle(rows)
    return [(round(lat, 4), round(lon, 4)) for lat, lon in rows[:count]]


def write_paths(template: str, points: list[tuple[float, float]], directory: Path, name: str) -> Path:
    path = directory / f"{name}.paths"
    path.write_text("".join(template.format(lat=lat, lon=lon) + "\n" for lat, lon in points))
    return path


class Server:
    """gunicorn with gunicorn.conf.py in its own process group, stopped (even on error) by `stop`."""

    def __init__(self, env: dict[str, str], port: int, log: Path) -> None:
        self.env, self.port, self.log = env, port, log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        handle = self.log.open("ab")
        self.process = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "--bind", f"127.0.0.1:{self.port}", "wsgi:app"],
            cwd=ROOT, env=self.env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True,
        )
        deadline = time.monotonic() + 240  # the master warms the geocoder's indexes before it forks (15-60 s)
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=5) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"gunicorn did not become healthy; see {self.log}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def process_cpu_seconds(root: int) -> float:
    """CPU seconds (user + system) used by gunicorn: the master, its live workers, and workers it has reaped
    (recycled by max_requests), whose time the kernel adds to the master's cutime/cstime.

    The workers are found by their parent pid in /proc/<pid>/stat. /proc/<pid>/task/<pid>/children, read
    before, exists only on kernels built with CONFIG_PROC_CHILDREN: elsewhere it is missing, every worker was
    left out, and the column read "app CPU 0.00 ms/req" (the idle master alone)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in [root, *child_pids(root)]:
        try:
            fields = _stat(pid)
        except OSError:
            continue  # exited between the listing and this read; counted in the master's cutime once reaped
        total += int(fields[11]) + int(fields[12])  # utime, stime
        if pid == root:
            total += int(fields[13]) + int(fields[14])  # cutime, cstime: workers already reaped
    return total / ticks


def _stat(pid: int) -> list[str]:
    """The fields of /proc/<pid>/stat after the command name (which may hold spaces): state, ppid, ..."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def child_pids(parent: int) -> list[int]:
    """The live processes whose parent is `parent` (gunicorn's workers)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if int(_stat(int(entry.name))[1]) == parent:
                found.append(int(entry.name))
        except (OSError, IndexError, ValueError):
            continue
    return found


def server_errors(log: Path, offset: int) -> int:
    """5xx answers the server's request log recorded since `offset` (a cross-check of wrk's count)."""
    count = 0
    with log.open("rb") as handle:
        handle.seek(offset)
        for line in handle:
            if line.startswith(b"{") and b'"logger": "finder.request"' in line and b'"status": 5' in line:
                count += 1
    return count


def prime(base: str, paths: Path, passes: int, threads: int = 8) -> float:
    """Request every path `passes` times (the steady state of a busy site: its common searches are cached)."""
    from concurrent.futures import ThreadPoolExecutor

    lines = paths.read_text().splitlines() * passes
    began = time.monotonic()

    def fetch(path: str) -> None:
        request = urllib.request.Request(base + path, headers={"Accept-Encoding": "gzip"})
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                response.read()
        except (OSError, http.client.HTTPException):
            pass  # priming is best effort; the measured run counts every error

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(fetch, lines))
    return time.monotonic() - began


def run_wrk(base: str, paths: Path, mode: str, connections: int, duration: int, threads: int) -> dict[str, int]:
    first = paths.read_text().splitlines()[0]
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--timeout", "5s",
               "-s", str(ROOT / "bench" / "wrk_paths.lua"), base + first, "--", str(paths), mode]
    print("$", " ".join(command), flush=True)
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    line = next(line for line in output.splitlines() if line.startswith("WRK_JSON "))
    return json.loads(line.removeprefix("WRK_JSON "))


def bench_backend(backend: str, args: argparse.Namespace, workdir: Path) -> list[Result]:
    url = database_url(backend, workdir)
    env = dict(os.environ, DATABASE_URL=url, SECRET_KEY="bench-not-secret", LOG_LEVEL="INFO",
               CACHE_TTL=str(args.cache_ttl), PATH=f"{BIN}:{os.environ.get('PATH', '')}")
    env.pop("REDIS_URL", None)
    if args.redis:
        env["REDIS_URL"] = args.redis
    if args.workers:
        env["WEB_CONCURRENCY"] = str(args.workers)
    if not args.reuse:
        reset_database(backend, url)
        flask(env, "db", "upgrade")
        started = time.monotonic()
        flask(env, "seed-demo", "--size", str(args.size))
        print(f"seeded {args.size} meetings on {backend} in {time.monotonic() - started:.0f} s", flush=True)
    points = sample_points(url, args.sample, seed=7)
    targets = dict(DEFAULT_TARGETS)
    for spec in args.target:
        name, _, template = spec.partition("=")
        targets[name] = template
    targets = {name: t for name, t in targets.items() if not args.only or name in args.only}

    log = workdir / f"gunicorn-{backend}.log"
    server = Server(env, args.port, log)
    results: list[Result] = []
    try:
        server.start()
        base = f"http://127.0.0.1:{args.port}"
        for name, template in targets.items():
            paths = write_paths(template, points, workdir, f"{backend}-{name}")
            # Warm every worker (imports, templates, connection pools) before measuring.
            run_wrk(base, paths, "hot", 8, args.warmup, 1)
            for mode in args.modes:
                if mode == "hot" and args.prime:
                    seconds = prime(base, paths, args.prime)
                    print(f"primed {name}: {args.prime} pass(es) over {args.sample} paths in {seconds:.0f} s", flush=True)
                offset = log.stat().st_size
                load_before = os.getloadavg()[0]
                assert server.process is not None
                cpu_before = process_cpu_seconds(server.process.pid)
                raw = run_wrk(base, paths, mode, args.connections, args.duration, args.threads)
                cpu_used = process_cpu_seconds(server.process.pid) - cpu_before
                logged = server_errors(log, offset)
                socket_errors = raw["connect"] + raw["read"] + raw["write"] + raw["timeout"]
                result = Result(
                    backend, name, mode, raw["requests"], raw["duration_us"] / 1e6,
                    raw["p50_us"] / 1000, raw["p99_us"] / 1000, socket_errors + max(raw["status"], logged),
                    f"socket={socket_errors} non2xx={raw['status']} logged5xx={logged}", load_before,
                    cpu_used * 1000 / raw["requests"] if raw["requests"] else 0.0,
                )
                print(format_row(result), flush=True)
                results.append(result)
    finally:
        server.stop()
    return results


def format_row(r: Result) -> str:
    return (f"{r.backend:<10} {r.target:<13} {r.mode:<8} {r.rps:>8.0f} req/s  p50 {r.p50_ms:>7.1f} ms  "
            f"p99 {r.p99_ms:>7.1f} ms  errors {r.errors:<5} ({r.detail}; load {r.load_before:.1f}; "
            + (f"app CPU {r.cpu_ms:.2f} ms/req = {r.capacity:.0f} req/s on {os.cpu_count()} idle cores)" if r.cpu_ms
               else "app CPU not measured: no gunicorn CPU time readable in /proc)"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", action="append", choices=["sqlite", "postgresql"], help="repeatable; default both")
    parser.add_argument("--size", type=int, default=100000, help="meetings to seed")
    parser.add_argument("--reuse", action="store_true", help="keep the database already seeded by a previous run")
    parser.add_argument("--duration", type=int, default=60)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--sample", type=int, default=200, help="distinct points in the hot set")
    parser.add_argument("--prime", type=int, default=2, help="passes over the hot set before measuring it (0: none)")
    parser.add_argument("--modes", nargs="+", default=["hot", "distinct"], choices=["hot", "distinct"])
    parser.add_argument("--only", nargs="*", help="target names to run")
    parser.add_argument("--target", action="append", default=[], help="name=/path?lat={lat}&lon={lon} (adds or replaces)")
    parser.add_argument("--workers", type=int, help="WEB_CONCURRENCY for gunicorn (default: gunicorn.conf.py)")
    parser.add_argument("--redis", help="REDIS_URL for the server (default: none, per-process cache)")
    parser.add_argument("--cache-ttl", type=int, default=300)
    parser.add_argument("--port", type=int, default=8089)
    parser.add_argument("--workdir", type=Path, help="where the SQLite file, path lists and server logs go")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)
    if not shutil.which("wrk"):
        raise SystemExit("wrk not found: apt-get install -y wrk")
    workdir = args.workdir or Path(tempfile.gettempdir()) / "finder-bench"
    workdir.mkdir(parents=True, exist_ok=True)
    reference = reference_loop_ms()
    print(f"reference loop: {reference:.0f} ms of CPU (a yardstick of this machine's speed)", flush=True)
    results: list[Result] = []
    for backend in args.db or ["sqlite", "postgresql"]:
        results += bench_backend(backend, args, workdir)
    print(f"\n{args.connections} connections, {args.duration} s each, {os.cpu_count()} cores shared by wrk, "
          f"gunicorn and the database; reference loop {reference:.0f} ms before, {reference_loop_ms():.0f} ms after")
    for result in results:
        print(format_row(result))
    if args.json:
        args.json.write_text(json.dumps([vars(r) | {"rps": r.rps, "capacity": r.capacity, "reference_loop_ms": reference}
                                         for r in results], indent=2))
    return 0 if all(r.errors == 0 for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
