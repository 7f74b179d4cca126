"""Capacity: Train sessions on 1 to N replicas behind haproxy, no browsers.

    python -m benchmarks.capacity [--replicas 2] [--per-replica 2] [--warmup 5] [--window 20]

For each replica count n = 1..N, starts a local cluster (``deploy.cluster``: n replicas of
``python -m deploy.replica`` behind haproxy), opens ``--per-replica`` × n sessions with the
headless client (``benchmarks.st_client``: Streamlit's own websocket protocol, a few
milliseconds of CPU a second, so the 2 cores go to the server), each on
``/train?task=sentiment&steps=1000000`` pressing **Start** with the hosted default settings
(the sentiment GRU, as ``benchmarks.fair_share``'s sessions; only the step budget, and the
``RNNX_MAX_STEPS`` ceiling with it, raised so that no run ends inside the window), and one
more session on ``/explore`` typing a new 20-token sentence every second. After
``--warmup`` seconds it measures over ``--window`` seconds: total training steps/s, steps/s
per session (min / median / max), Explore's rerun latency (send → script_finished; median
and worst), each replica's RSS (VmRSS) and CPU use, and the client process's own CPU.

Prints a markdown table with the hardware and the load average. The replicas' CPU use
(100% = one core) says whether they had the cores: on a machine that other work shares,
the total steps/s follows the CPU share the replicas got, and the steps per server
CPU-second are the figure that stays comparable. Exits 1 if n = 2 gives less
than ``--min-speedup`` (1.8) times n = 1's total steps/s.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.browser import rss_mib
from benchmarks.explore_rerun import WORDS  # the sentiment task's words
from benchmarks.machine import hardware, loadavg
from benchmarks.st_client import StSession, rate

BUDGET = 1_000_000  # steps: no run may end inside the window, however fast
TRAIN_QUERY = f"task=sentiment&steps={BUDGET}"
# the hosted limits, but a step ceiling (RNNX_MAX_STEPS, 20 000) that lets the budget stand
REPLICA_ENV = {"RNNX_MAX_STEPS": str(BUDGET)}


def sentences(n: int, tokens: int = 20, seed: int = 0) -> list[str]:
    import random

    rng = random.Random(seed)
    return [" ".join(rng.choice(WORDS) for _ in range(tokens)) for _ in range(n)]


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Result:
    replicas: int
    sessions: int
    placement: dict[str, int]
    rates: list[float]
    explore_ms: list[float]
    rss: dict[str, float]
    server_cpu: dict[str, float]  # fraction of one core over the window
    client_cpu: float
    load: str
    explore_on: str = "?"  # the replica of the Explore session
    finished: int = 0  # sessions whose run ended inside the window (should be 0)
    notes: list[str] = field(default_factory=list)

    @property
    def total(self) -> float:
        return sum(self.rates)


async def open_train(url: str, per_replica: int, replicas: int) -> list[StSession]:
    """``per_replica × replicas`` Train sessions, opened one after the other (haproxy's
    leastconn sends each to the replica with the fewest websockets), each pressing Start
    once its page is drawn."""
    sessions = []
    for _ in range(per_replica * replicas):
        s = StSession(url, "/train", TRAIN_QUERY, timeout=120)
        await s.connect()
        await s.wait_for(lambda s=s: s.full_runs >= 1 and s.widget("button", "▶ Start"))
        sessions.append(s)
    for s in sessions:
        await s.click("▶ Start")
    for s in sessions:
        await s.wait_for(lambda s=s: s.steps > 0)
    return sessions


async def explore_loop(s: StSession, texts: list[str], stop: asyncio.Event, times: list[float]):
    for text in texts:
        if stop.is_set():
            return
        times.append(await s.set_text("sentence", text))
        with contextlib.suppress(TimeoutError):  # a person typing the next one
            await asyncio.wait_for(stop.wait(), 1.0)


async def measure(c, per_replica: int, warmup: float, window: float) -> Result:
    n = len(c.replicas)
    pids = {r.name: r.pid for r in c.replicas}
    sessions = await open_train(c.url, per_replica, n)
    explore = StSession(c.url, "/explore", "task=sentiment", timeout=120)
    await explore.connect()
    await explore.wait_for(
        lambda: explore.full_runs >= 1 and explore.widget_by_key("text_input", "sentence")
    )
    await explore.set_text("sentence", sentences(1, seed=99)[0])  # warm: the first trace
    await asyncio.sleep(warmup)
    stop, times = asyncio.Event(), []
    cpu0 = {name: cpu_seconds(pid) for name, pid in pids.items()}
    me0 = os.times()
    t0 = time.monotonic()
    typing = asyncio.create_task(explore_loop(explore, sentences(1000), stop, times))
    await asyncio.sleep(window)
    t1 = time.monotonic()
    me1 = os.times()
    cpu1 = {name: cpu_seconds(pid) for name, pid in pids.items()}
    stop.set()
    await typing
    load = loadavg()
    result = Result(
        replicas=n,
        sessions=len(sessions),
        placement=dict(Counter(s.replica or "?" for s in sessions)),
        rates=[rate(s.samples, t0, t1) or 0.0 for s in sessions],
        explore_ms=[1000 * t for t in times],
        rss={name: rss_mib(pid) for name, pid in pids.items()},
        server_cpu={name: (cpu1[name] - cpu0[name]) / (t1 - t0) for name in pids},
        client_cpu=(me1.user - me0.user + me1.system - me0.system) / (t1 - t0),
        load=load,
        explore_on=explore.replica or "?",
        finished=sum(1 for s in sessions if s.budget and s.steps >= s.budget),
    )
    result.notes += [f"{s.replica}: {e}" for s in sessions for e in s.exceptions]
    for s in [*sessions, explore]:
        await s.close()
    return result


def run_one(replicas: int, per_replica: int, warmup: float, window: float, log_dir: Path):
    from deploy.cluster import cluster

    with cluster(replicas, log_dir=log_dir / f"{replicas}-replicas", env=REPLICA_ENV) as c:
        return asyncio.run(measure(c, per_replica, warmup, window))


def table(results: list[Result]) -> str:
    base = results[0].total if results else 0.0
    rows = [
        "| replicas | sessions (per replica) | total steps/s | × 1 replica | steps/s per session "
        "min / median / max | Explore rerun median / worst | RSS per replica | server CPU "
        "per replica | steps per server CPU-second | client CPU | load average |",
        "| ---: | --- | ---: | ---: | --- | --- | --- | --- | ---: | ---: | --- |",
    ]
    for r in results:
        rates = sorted(r.rates)
        ms = sorted(r.explore_ms)
        explore = (
            f"{statistics.median(ms):.0f} / {ms[-1]:.0f} ms (n={len(ms)}, {r.explore_on})"
            if ms
            else "–"
        )
        placement = ", ".join(f"{k} {v}" for k, v in sorted(r.placement.items()))
        rows.append(
            f"| {r.replicas} | {r.sessions} ({placement}) | {r.total:,.0f} | "
            f"{r.total / base if base else float('nan'):.2f}× | "
            f"{rates[0]:.0f} / {statistics.median(rates):.0f} / {rates[-1]:.0f} | {explore} | "
            + ", ".join(f"{v:.0f}" for v in r.rss.values())
            + " MiB | "
            + ", ".join(f"{100 * v:.0f}%" for v in r.server_cpu.values())
            + f" | {r.total / max(sum(r.server_cpu.values()), 1e-9):,.0f}"
            + f" | {100 * r.client_cpu:.1f}% | {r.load} |"
        )
    return "\n".join(rows)


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks.capacity", description=__doc__.split("\n")[0]
    )
    p.add_argument("--replicas", type=int, default=2, help="measure 1..N replicas (default 2)")
    p.add_argument("--per-replica", type=int, default=2, help="Train sessions per replica")
    p.add_argument("--warmup", type=float, default=5.0, help="seconds before the window")
    p.add_argument("--window", type=float, default=20.0, help="seconds measured")
    p.add_argument("--min-speedup", type=float, default=1.8, help="2 replicas vs 1 (total steps/s)")
    p.add_argument("--log-dir", type=Path, default=None, help="replica and haproxy logs")
    args = p.parse_args(argv)
    if args.replicas < 1 or args.per_replica < 1 or args.window <= 0 or args.warmup < 0:
        p.error("--replicas and --per-replica must be ≥ 1, --window > 0, --warmup ≥ 0")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    log_dir = args.log_dir or Path(tempfile.mkdtemp(prefix="rnnx-capacity-"))
    print(f"Hardware: {hardware()}; load average before: {loadavg()}", flush=True)
    print(
        f"Train sessions: /train?{TRAIN_QUERY}, Start pressed (the hosted sentiment GRU); "
        f"{args.per_replica} per replica, one more on Explore typing a sentence a second; "
        f"{args.warmup:g} s warm-up, {args.window:g} s window. Logs: {log_dir}",
        flush=True,
    )
    results = []
    for n in range(1, args.replicas + 1):
        r = run_one(n, args.per_replica, args.warmup, args.window, log_dir)
        results.append(r)
        print(f"{n} replica(s): {r.total:,.0f} steps/s in total", flush=True)
        for note in r.notes:
            print(f"  exception in a session: {note}", flush=True)
        if r.finished:
            print(f"  warning: {r.finished} session(s) finished their budget in the window")
    print()
    print(table(results))
    print()
    print(f"Load average after: {loadavg()}")
    if len(results) >= 2:
        speedup = results[1].total / results[0].total if results[0].total else 0.0
        if speedup < args.min_speedup:
            print(
                f"FAIL: 2 replicas gave {speedup:.2f}× one replica's total steps/s "
                f"(< {args.min_speedup:g}×)",
                file=sys.stderr,
            )
            return 1
        print(f"PASS: 2 replicas give {speedup:.2f}× one replica's total steps/s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
