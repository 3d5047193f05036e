"""bench/load.py's "app CPU" column: gunicorn's CPU is its master's plus its workers' (live and reaped), read from
/proc. It once read only the idle master (workers listed through a /proc file many kernels lack) and printed
"app CPU 0.00 ms/req" for every target."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench import load

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads Linux's /proc")

BURN = "import sys, time\nend = time.process_time() + float(sys.argv[1])\nwhile time.process_time() < end: pass\n"
PARENT = (
    "import subprocess, sys, time\n"
    "done = subprocess.Popen([sys.executable, '-c', sys.argv[1], '0.3'])\n"  # a worker that exits (reaped)
    "done.wait()\n"
    "live = subprocess.Popen([sys.executable, '-c', sys.argv[1], '0.3'])\n"  # a worker still running
    "print('ready', flush=True)\n"
    "live.wait()\n"
    "time.sleep(30)\n"
)


def test_children_found_by_parent_pid() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert child.pid in load.child_pids(os.getpid())
    finally:
        child.kill()
        child.wait()


def test_cpu_counts_live_and_reaped_workers() -> None:
    """A 'master' that reaped one busy worker and waits on a second: both workers' CPU is counted."""
    master = subprocess.Popen([sys.executable, "-c", PARENT, BURN], stdout=subprocess.PIPE, text=True)
    try:
        assert master.stdout is not None and master.stdout.readline().strip() == "ready"
        before = load.process_cpu_seconds(master.pid)  # the reaped worker's 0.3 s at least, in cutime
        assert before >= 0.25
        deadline = time.monotonic() + 20
        while load.child_pids(master.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        after = load.process_cpu_seconds(master.pid)  # the second, reaped by now
        assert after - before >= 0.2
    finally:
        master.kill()
        master.wait()
        if master.stdout is not None:
            master.stdout.close()
