"""Bounded memory per server: sessions come, train and go; the server's RSS comes back.

    python -m benchmarks.memory                     # 100 sessions, waves of 5, one replica
    python -m benchmarks.memory --sessions 30 --wave 5 --ttl 10
    python -m benchmarks.memory --server streamlit  # a bare `streamlit run app.py` instead

1. One hosted replica (``python -m deploy.replica``, what docs/DEPLOY.md deploys) or, with
   ``--server streamlit``, one ``streamlit run app.py``, on a free 127.0.0.1 port
   (benchmarks/browser.Server) with ``RNNX_DEBUG_MEMORY=1``, so the server logs a line of
   live counts (TrainingRun, RNNModel, malloc arenas, RSS) whenever its memory janitor runs
   (ui/services/runtime.py). The two differ in when the malloc settings take hold: a replica
   sets them before any thread starts, a bare ``streamlit run`` only when app.py first runs,
   after Streamlit's threads have made their own malloc arenas.
2. Warm-up: one session opens Explore and the Train page of each task of the mix (training
   each default model once) and trains the sentiment task 300 steps; it closes, the server
   goes idle, and its RSS is the warmed-up baseline.
3. Waves: ``--wave`` Playwright contexts at once (one headless Chromium), each a new visitor:
   ``/train?task=…&steps=300``, Start, wait for "Finished", open Explore from the sidebar
   (same session), close. Most sessions train the sentiment task; every wave has one on
   another task in turn (the language models "chars" and "words", the memory task "copy").
   The RSS is read after each wave.
4. Idle: after the last wave nobody is connected. Streamlit keeps a disconnected session
   for ``server.disconnectedSessionTTL`` seconds (default 120 in 1.67; ``--ttl`` sets it)
   so that a dropped connection can resume it; the RSS is sampled until ``--idle`` seconds
   after that TTL has passed.

Prints a per-wave table and a JSON summary: baseline, peak, after idle, and the growth after
idle over the baseline (target: within 100 MiB after 100 sessions). Needs the ``playwright``
package and a Chromium executable (never ``playwright install``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.browser import (
    CHART,
    CHROMIUM_ARGS,
    DRAWN,
    EXCEPTION,
    Server,
    browser_unavailable,
    button_name,
    find_chromium,
    rss_mib,
)

STEPS = 300
OTHER_TASKS = ("chars", "copy", "words")  # one session of each wave, in turn
STREAMLIT_TTL = 120  # server.disconnectedSessionTTL's default in Streamlit 1.67
DEBUG_LINE = re.compile(r"rnnx-memory: (.*)$")


def mix(n: int, wave: int, others: tuple[str, ...] = OTHER_TASKS) -> list[list[str]]:
    """The tasks of ``n`` sessions in waves of ``wave``: sentiment, one other task per wave."""
    tasks, waves, k = [], [], 0
    for i in range(n):
        if i % wave == wave - 1 and others:
            tasks.append(others[k % len(others)])
            k += 1
        else:
            tasks.append("sentiment")
    for i in range(0, n, wave):
        waves.append(tasks[i : i + wave])
    return waves


async def visit(browser, url: str, task: str, steps: int = STEPS, timeout: float = 240) -> float:
    """One visitor: train ``task`` for ``steps`` steps, open Explore, leave. Returns seconds."""
    t0 = time.perf_counter()
    context = await browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        page = await context.new_page()
        page.set_default_timeout(timeout * 1000)
        await page.goto(f"{url}/train?task={task}&steps={steps}")
        await page.get_by_role("button", name=button_name("▶ Start")).click()
        await page.get_by_text("Finished").first.wait_for()
        link = page.locator('[data-testid="stSidebarNav"] a', has_text="Explore").first
        if await link.count():
            await link.click()  # the same session, another page
        else:
            await page.goto(f"{url}/explore?task={task}")
        await page.locator(DRAWN).first.wait_for()
        if await page.locator(EXCEPTION).count():
            raise RuntimeError(await page.locator(EXCEPTION).first.inner_text())
    finally:
        await context.close()
    return time.perf_counter() - t0


async def warm(browser, url: str, tasks: list[str]) -> None:
    """Train each task's default model once (Explore), then one sentiment run of STEPS."""
    context = await browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        page = await context.new_page()
        page.set_default_timeout(300_000)
        for task in dict.fromkeys(["sentiment", *tasks]):
            await page.goto(f"{url}/explore?task={task}")
            await page.locator(CHART).first.wait_for()
    finally:
        await context.close()
    await visit(browser, url, "sentiment")


def debug_counts(server: Server) -> dict | None:
    """The last ``rnnx-memory:`` line of the server log as a dict (RNNX_DEBUG_MEMORY=1)."""
    found = None
    for line in server.log(200_000).splitlines():
        m = DEBUG_LINE.search(line)
        if m:
            found = dict(kv.split("=", 1) for kv in m.group(1).split())
    if found is None:
        return None
    return {k: (float(v) if "." in v else int(v)) for k, v in found.items()}


@dataclass
class Report:
    sessions: int
    wave: int
    ttl: int
    baseline: float = 0.0
    peak: float = 0.0
    after_idle: float = 0.0
    waves: list[dict] = field(default_factory=list)
    idle: list[tuple[float, float]] = field(default_factory=list)
    counts: dict | None = None
    failures: int = 0

    def summary(self) -> dict:
        return {
            "sessions": self.sessions,
            "wave": self.wave,
            "ttl_s": self.ttl,
            "baseline_mib": round(self.baseline, 1),
            "peak_mib": round(self.peak, 1),
            "after_idle_mib": round(self.after_idle, 1),
            "growth_after_idle_mib": round(self.after_idle - self.baseline, 1),
            "failed_sessions": self.failures,
            "live_after_idle": self.counts,
        }


async def drive(
    server: Server,
    sessions: int,
    wave: int,
    ttl: int,
    idle: float,
    say=print,
    until=None,
    others: tuple[str, ...] = OTHER_TASKS,
) -> Report:
    """Warm up, run the waves, wait for idle; ``until(report, rss)`` may end the idle wait
    early (a test's bound reached)."""
    from playwright.async_api import async_playwright

    pid = server.proc.pid
    report = Report(sessions, wave, ttl)
    plan = mix(sessions, wave, others)
    async with async_playwright() as pw:

        async def launch():
            return await pw.chromium.launch(executable_path=find_chromium(), args=CHROMIUM_ARGS)

        browser = await launch()
        try:
            t0 = time.perf_counter()
            await warm(browser, server.url, sorted({t for w in plan for t in w}))
            await asyncio.sleep(5)
            report.baseline = report.peak = rss_mib(pid)
            took = time.perf_counter() - t0
            say(f"warmed up in {took:.0f} s: baseline {report.baseline:.0f} MiB")
            say(f"{'wave':>4} {'sessions':>8} {'tasks':<40} {'seconds':>7} {'RSS MiB':>8}")
            done = 0
            for i, tasks in enumerate(plan, 1):
                # a fresh Chromium per wave: after a dozen waves of contexts one long-lived
                # browser stopped sending the pages' fragment reruns (no session trained,
                # while a new browser's session trained at once on the same server)
                await browser.close()
                browser = await launch()
                t0 = time.perf_counter()
                results = await asyncio.gather(
                    *(visit(browser, server.url, t) for t in tasks), return_exceptions=True
                )
                bad = [r for r in results if isinstance(r, BaseException)]
                report.failures += len(bad)
                for r in bad:
                    say(f"  a session failed: {type(r).__name__}: {str(r)[:200]}")
                done += len(tasks)
                rss = rss_mib(pid)
                report.peak = max(report.peak, rss)
                row = {"wave": i, "sessions": done, "tasks": tasks, "rss_mib": round(rss, 1)}
                row["seconds"] = round(time.perf_counter() - t0, 1)
                report.waves.append(row)
                say(f"{i:>4} {done:>8} {','.join(tasks):<40} {row['seconds']:>7} {rss:>8.0f}")
        finally:
            await browser.close()
    t0 = time.perf_counter()
    end = t0 + ttl + idle
    while time.perf_counter() < end:
        rss = rss_mib(pid)
        report.peak = max(report.peak, rss)
        report.idle.append((round(time.perf_counter() - t0, 1), round(rss, 1)))
        if until is not None and until(report, rss):
            break
        await asyncio.sleep(2)
    report.after_idle = rss_mib(pid)
    report.counts = debug_counts(server)
    say(
        "idle: "
        + ", ".join(f"{t:.0f}s {r:.0f}" for t, r in report.idle[:: max(1, len(report.idle) // 12)])
        + f"; after idle {report.after_idle:.0f} MiB"
    )
    return report


def server_env(ttl: int | None) -> dict[str, str]:
    env = {"RNNX_DEBUG_MEMORY": "1"}
    if ttl is not None:
        env["STREAMLIT_SERVER_DISCONNECTED_SESSION_TTL"] = str(ttl)
    return env


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=100)
    parser.add_argument("--wave", type=int, default=5, help="sessions at once")
    parser.add_argument(
        "--ttl", type=int, default=None, help="server.disconnectedSessionTTL (default: config)"
    )
    parser.add_argument("--idle", type=float, default=30.0, help="seconds to watch after the TTL")
    parser.add_argument("--json", type=Path, default=None, help="also write the report here")
    parser.add_argument(
        "--server",
        choices=("replica", "streamlit"),
        default="replica",
        help="python -m deploy.replica (default) or streamlit run app.py",
    )
    args = parser.parse_args(argv)
    why = browser_unavailable()
    if why:
        print(f"cannot run: {why}", file=sys.stderr)
        return 2
    ttl = args.ttl if args.ttl is not None else STREAMLIT_TTL
    with tempfile.TemporaryDirectory() as tmp:
        server = Server(
            Path(tmp) / "streamlit.log",
            env=server_env(args.ttl),
            audit=False,
            replica=args.server == "replica",
        )
        server.start(timeout=120)
        try:
            report = asyncio.run(drive(server, args.sessions, args.wave, ttl, args.idle))
        finally:
            server.stop()
    summary = {"server": args.server, **report.summary()}
    print(json.dumps(summary, indent=2))
    if args.json:
        args.json.write_text(json.dumps({**summary, "waves": report.waves, "idle": report.idle}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
