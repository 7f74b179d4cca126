"""A separate process that watches a server: ``python -m tests.load.monitor URL PID OUT``.

Every ``--period`` seconds it asks ``URL/_stcore/health`` and reads the RSS of ``PID`` and
the CPU time of the server and of every Chromium process, appending one JSON line to OUT:
``{"t", "health_s", "ok", "rss_kib", "server_cpu_s", "chromium_cpu_s"}``. It runs in its own
process so that the test's own work (driving ten browser tabs) cannot delay its requests.
Stop it with SIGTERM.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import time
import urllib.request
from pathlib import Path

from tests.browser.server import rss_kib

TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float | None:
    """utime + stime of a process, in seconds (None once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / TICK


def chromium_pids() -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() in ("chromium", "chrome"):
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("pid", type=int)
    parser.add_argument("out")
    parser.add_argument("--period", type=float, default=0.25)
    args = parser.parse_args()
    running = [True]
    signal.signal(signal.SIGTERM, lambda *_: running.__setitem__(0, False))
    chromium: dict[int, float] = {}  # last CPU time seen per Chromium process
    with open(args.out, "a", encoding="utf-8") as out:
        while running[0]:
            t0 = time.perf_counter()
            try:
                with urllib.request.urlopen(f"{args.url}/_stcore/health", timeout=30) as r:
                    ok = r.read().decode().strip() == "ok"
            except OSError:
                ok = False
            seconds = time.perf_counter() - t0
            for pid in chromium_pids():
                cpu = cpu_seconds(pid)
                if cpu is not None:
                    chromium[pid] = cpu
            row = {
                "t": time.time(),
                "health_s": seconds,
                "ok": ok,
                "rss_kib": rss_kib(args.pid),
                "server_cpu_s": cpu_seconds(args.pid),
                "chromium_cpu_s": sum(chromium.values()),
            }
            out.write(json.dumps(row) + "\n")
            out.flush()
            time.sleep(max(0.0, args.period - (time.perf_counter() - t0)))


if __name__ == "__main__":
    main()
