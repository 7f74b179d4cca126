"""Load: ten people use one server at once, in a real Chromium (issue 8).

A fresh ``streamlit run app.py`` (hosted limits as shipped) and ``SESSIONS`` browser contexts,
arriving ``STAGGER`` seconds apart. Each reads two sentences on /explore; once all have, all
train at once on /train with the hosted default config (a different seed per context, a step
budget of ``STEPS``). Meanwhile one more visitor opens every page and reads sentences on
Explore, and a separate process polls the health endpoint, the server's memory and CPU.

Checked: every session trains to its budget and every sentence is drawn; every page answers
without an exception page; the health endpoint answers within a second every time; each
session's metrics (downloaded as CSV from its own page) equal a solo run of the same config
and seed bit for bit — no cross-talk; no request leaves 127.0.0.1 and the server tries no
outbound connection. The figures are printed (docs/DEVELOPING.md, "A hosted demo under load").
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import csv
import dataclasses
import io
import json
import math
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from benchmarks.browser import button_name
from rnn_core.tasks import load_task
from rnn_core.train import Trainer
from tests.browser.server import (
    CHART,
    CHROMIUM_ARGS,
    EXCEPTION,
    JS_TRAIN_STATE,
    JS_X_TICKS,
    ROOT,
    Server,
    find_chromium,
    offsite,
    parse_step,
)

SESSIONS = 10
STEPS = 600  # the hosted default config, with a shorter step budget to keep CI short
TASK = "sentiment"
PAGES = {  # every page, and a heading it must show
    "explore": "Explore",
    "train": "Train",
    "gradients": "Gradient",
    "dynamics": "Dynamics",
    "compare": "Compare",
    "learn": "Learn",
}
# sentences of the task's vocabulary; each session reads its own rotation of them
SENTENCES = [
    "the movie was not bad at all",
    "the acting was terrible and boring",
    "not boring but the story was bad",
    "the film was great",
]
STAGGER = 2.0  # seconds between two sessions' arrivals
SLOW = 120.0  # seconds before a wait is called stuck (a loaded 2-core machine is slow)
T0 = time.perf_counter()
FAILURES = Path("/tmp/rnnx-load-failures")  # screenshots of failed sessions


def say(text: str) -> None:
    """A timestamped line in the test's output (``-s``), to see where the time goes."""
    print(f"[{time.perf_counter() - T0:7.1f} s] {text}", flush=True)


@dataclasses.dataclass
class SessionResult:
    seed: int
    started: float = math.nan
    finished: float = math.nan
    explore_seconds: list[float] = dataclasses.field(default_factory=list)
    csv: str = ""

    @property
    def steps_per_second(self) -> float:
        return STEPS / (self.finished - self.started)


class Monitor:
    """``tests/load/monitor.py`` in its own process: health, RSS and CPU every 0.25 s."""

    def __init__(self, server: Server, out: Path):
        self.out = out
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.load.monitor", server.url, str(server.proc.pid), out],
            cwd=ROOT,
        )

    def stop(self) -> list[dict]:
        self.proc.terminate()
        self.proc.wait(30)
        return [json.loads(line) for line in self.out.read_text().splitlines() if line]


def confined_chromium(tmp_path: Path) -> str:
    """A wrapper that starts Debian's Chromium on the second core only, at nice 15. In a real
    deployment the browsers run on the visitors' machines; here ten of them share the
    server's two cores. At equal footing their rendering took ~7× the server's CPU, and nice
    alone does not help across Linux's per-session scheduling groups (autogroup): measured,
    the health endpoint then waited up to 3.5 s while the server itself used almost no CPU."""
    wrapper = tmp_path / "chromium-confined"
    cpu = max(0, (os.cpu_count() or 1) - 1)
    wrapper.write_text(f'#!/bin/sh\nexec taskset -c {cpu} nice -n 15 {find_chromium()} "$@"\n')
    wrapper.chmod(0o755)
    return str(wrapper)


async def wait_until(page, check, what: str, timeout: float = SLOW):
    """Poll ``check(page)`` (async) until it returns something truthy; fail on an exception
    element or after ``timeout`` seconds."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if await page.locator(EXCEPTION).count():
            text = await page.locator(EXCEPTION).first.inner_text()
            raise AssertionError(f"exception page while waiting for {what}: {text[:2000]}")
        try:
            value = await check(page)
        except Exception:  # re-rendered under us
            value = None
        if value:
            return value
        await page.wait_for_timeout(200)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


async def ticks(page) -> list[str]:
    return await page.locator(CHART).nth(0).evaluate(JS_X_TICKS) or []


async def read_more(page, sentence: str, result: SessionResult) -> None:
    """Type a sentence on an open Explore page and wait until the heatmap shows its words."""
    box = page.get_by_label("Sentence", exact=True)
    t0 = time.perf_counter()
    await box.fill(sentence)
    await box.press("Enter")
    words = set(sentence.split())

    async def shows_it(p):
        return words <= set(await ticks(p))

    await wait_until(page, shows_it, f"the heatmap of {sentence!r}")
    result.explore_seconds.append(time.perf_counter() - t0)


async def read_sentences(page, base: str, seed: int, result: SessionResult, n: int) -> None:
    """Open Explore and read ``n`` sentences."""
    await page.goto(f"{base}/explore?task={TASK}", timeout=SLOW * 1000)
    await wait_until(page, ticks, "the first heatmap on Explore")
    say(f"session {seed}: Explore drawn")
    for k in range(seed, seed + n):
        await read_more(page, SENTENCES[k % len(SENTENCES)], result)


async def train(page, base: str, seed: int, result: SessionResult, together: Together) -> None:
    """Train with the hosted defaults (this seed, STEPS steps), then download the metrics."""
    await page.goto(f"{base}/train?task={TASK}&seed={seed}&steps={STEPS}", timeout=SLOW * 1000)
    start = page.get_by_role("button", name=button_name("▶ Start"))
    await start.wait_for(timeout=SLOW * 1000)
    await start.click()
    result.started = time.perf_counter()
    together.mark_started()
    say(f"session {seed}: training")

    async def finished(p):
        state = await p.evaluate(JS_TRAIN_STATE, "Loss")
        return parse_step(state["progress"]) == STEPS and await p.get_by_text("Finished").count()

    await wait_until(page, finished, f"session {seed} to finish {STEPS} steps", timeout=600)
    result.finished = time.perf_counter()
    say(f"session {seed}: finished at {result.steps_per_second:.1f} steps/s")
    # the fragment draws "Finished" before it builds the files to save: with ten sessions
    # finishing at once on two cores the buttons followed about 30 s later
    button = page.get_by_role("button", name="Metrics (CSV)")
    await button.wait_for(timeout=SLOW * 1000)
    async with page.expect_download(timeout=SLOW * 1000) as info:
        await button.click()
    download = await info.value
    result.csv = Path(await download.path()).read_text()


class Together:
    """Where the sessions meet: everyone has read their sentences; everyone is training."""

    def __init__(self, n: int):
        self.n, self.read, self.started = n, 0, 0
        self.all_read, self.all_started = asyncio.Event(), asyncio.Event()

    def mark_read(self) -> None:
        self.read += 1
        if self.read == self.n:
            self.all_read.set()

    def mark_started(self) -> None:
        self.started += 1
        if self.started == self.n:
            self.all_started.set()


async def session(
    browser, base: str, result: SessionResult, requests: list[str], together: Together
) -> None:
    """One person: reads two sentences on Explore (arrivals ``STAGGER`` s apart), then, once
    everyone has, trains — so that all ten train at the same time."""
    await asyncio.sleep(STAGGER * result.seed)
    context = await browser.new_context(viewport={"width": 1400, "height": 1000})
    context.on("request", lambda r: requests.append(r.url))
    page = await context.new_page()
    try:
        await read_sentences(page, base, result.seed, result, 2)
        together.mark_read()
        await together.all_read.wait()
        await train(page, base, result.seed, result, together)
    except Exception:
        shot = FAILURES / f"session-{result.seed}.png"
        shot.parent.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=shot, full_page=True)
        say(f"session {result.seed} failed: screenshot {shot}")
        raise
    finally:
        await context.close()


async def visitor(
    browser, base: str, requests: list[str], together: Together, results: list[SessionResult]
) -> tuple[list[tuple[float, int]], dict[str, float]]:
    """Someone else, while all ten train: opens every page (→ its heading), then reads
    sentences on Explore (Enter → heatmap), noting how many sessions were still training."""
    context = await browser.new_context(viewport={"width": 1400, "height": 1000})
    context.on("request", lambda r: requests.append(r.url))
    readings: list[tuple[float, int]] = []
    seconds = {}
    try:
        page = await context.new_page()
        reading = SessionResult(seed=SESSIONS)
        await together.all_started.wait()
        for name, heading in PAGES.items():
            training = sum(math.isnan(r.finished) for r in results)
            t0 = time.perf_counter()
            await page.goto(f"{base}/{name}", timeout=SLOW * 1000)

            async def shows(p, heading=heading):
                return await p.get_by_role("heading", name=heading).count()

            await wait_until(page, shows, f"the {name} page's heading")
            seconds[name] = time.perf_counter() - t0
            say(f"visitor: {name} answered in {seconds[name]:.1f} s, {training} training")
        await page.goto(f"{base}/explore?task={TASK}", timeout=SLOW * 1000)
        await wait_until(page, ticks, "the visitor's heatmap")
        for k in range(3):
            training = sum(math.isnan(r.finished) for r in results)
            await read_more(page, SENTENCES[k], reading)
            readings.append((reading.explore_seconds[-1], training))
            say(f"visitor: Explore read a sentence in {readings[-1][0]:.1f} s, {training} training")
    finally:
        await context.close()
    return readings, seconds


async def drive(base: str, chromium: str):
    from playwright.async_api import async_playwright

    requests: list[str] = []
    results = [SessionResult(seed) for seed in range(SESSIONS)]
    together = Together(SESSIONS)
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            visit = asyncio.create_task(visitor(browser, base, requests, together, results))
            await asyncio.gather(*(session(browser, base, r, requests, together) for r in results))
            readings, pages = await visit
        finally:
            await browser.close()
    return results, readings, pages, requests


def solo_run(seed: int) -> Trainer:
    task = load_task(TASK)
    config = dataclasses.replace(task.default_config, steps=STEPS, seed=seed)
    trainer = Trainer(config, task.data)
    trainer.step(STEPS)
    return trainer


def column(rows: list[dict], name: str) -> np.ndarray:
    return np.array([float(r[name]) if r[name] != "" else np.nan for r in rows])


def test_ten_sessions_at_once(tmp_path):
    server = Server(tmp_path / "streamlit.log")
    server.start(timeout=120)
    monitor = Monitor(server, tmp_path / "monitor.jsonl")
    try:
        # in a thread of its own: the browser tests' session-wide sync Playwright may hold an
        # event loop in this one
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            chromium = confined_chromium(tmp_path)
            results, readings, pages, requests = pool.submit(
                asyncio.run, drive(server.url, chromium)
            ).result()
    finally:
        samples = monitor.stop()
        server.stop()

    rates = [r.steps_per_second for r in results]
    explore = [s for r in results for s in r.explore_seconds]
    health = [s["health_s"] for s in samples]
    rss = [s["rss_kib"] / 1024 for s in samples if s["rss_kib"]]
    server_cpu = samples[-1]["server_cpu_s"] - samples[0]["server_cpu_s"]
    browser_cpu = samples[-1]["chromium_cpu_s"] - samples[0]["chromium_cpu_s"]
    wall = samples[-1]["t"] - samples[0]["t"]
    print(
        f"\nload: {SESSIONS} sessions, {STEPS} steps each (sentiment GRU, hosted defaults)\n"
        f"  steps/s per session: min {min(rates):.1f}, median {statistics.median(rates):.1f}, "
        f"max {max(rates):.1f}; all done in "
        f"{max(r.finished for r in results) - min(r.started for r in results):.1f} s\n"
        f"  the sessions' Explore Enter → heatmap: median {statistics.median(explore):.2f} s, "
        f"worst {max(explore):.2f} s (n={len(explore)})\n"
        f"  then the visitor reads on Explore, Enter → heatmap: "
        + ", ".join(f"{sec:.1f} s ({n} training)" for sec, n in readings)
        + "\n  the visitor opens each page → its heading: "
        + ", ".join(f"{k} {v:.1f} s" for k, v in pages.items())
        + f"\n  health: {len(health)} polls, median {statistics.median(health) * 1000:.0f} ms, "
        f"worst {max(health) * 1000:.0f} ms; server RSS {rss[0]:.0f} MiB at start, peak "
        f"{max(rss):.0f} MiB\n  CPU over {wall:.0f} s on 2 cores: server {server_cpu:.0f} s, "
        f"Chromium (one core, nice 15) {browser_cpu:.0f} s"
    )

    assert all(s["ok"] for s in samples), [s for s in samples if not s["ok"]][:3]
    assert max(health) < 1.0, f"health took {max(health):.2f} s"
    assert all(len(r.explore_seconds) == 2 for r in results)
    assert set(pages) == set(PAGES)
    bad = offsite(requests)
    assert not bad, f"{len(bad)} request(s) left 127.0.0.1: {sorted(set(bad))[:5]}"
    assert server.outbound() == []

    # no cross-talk: each session's metrics are its own seed's solo run, bit for bit
    for r in results:
        rows = list(csv.DictReader(io.StringIO(r.csv)))
        solo = solo_run(r.seed)
        losses = [m["loss"] for m in solo.history]
        assert len(losses) == STEPS
        steps = column(rows, "step")
        batch = column(rows, "batch_loss")
        kept = ~np.isnan(batch)
        np.testing.assert_array_equal(steps[kept], np.arange(1, STEPS + 1))
        np.testing.assert_array_equal(batch[kept], np.asarray(losses, dtype=float))
        evals = [m for m in solo.history if "test_acc" in m]
        test_acc = column(rows, "test_acc")
        np.testing.assert_array_equal(
            test_acc[~np.isnan(test_acc)], [float(m["test_acc"]) for m in evals]
        )
