"""Soak: one long training session in a real Chromium keeps the server's memory flat, and a
reload afterwards starts a clean session (issue 8).

The hosted sentiment default trains for ``STEPS`` steps — past the point where the run's
history (4 000 rows) and snapshots (40) start thinning themselves — while the server's RSS is
sampled every ``EVERY`` steps. Then the page is reloaded: a new session, a fresh run ready to
start that trains, no exception, and the server still healthy. The figures are printed.

What "flat" means. The server is a hosted replica (``python -m deploy.replica``: malloc capped
at ``ARENA_MAX`` arenas, as deployed) with ``RNNX_DEBUG_MEMORY=1``, whose janitor logs the
heap once a second. A leak is memory in use that keeps growing, so the test reads what is in
use, not the RSS: the median of glibc's heap in use and of Python's allocated blocks over the
samples of the second stretch of training (``MIDDLE``–``END``) may exceed the first stretch's
(``START``–``MIDDLE``) by at most ``LEAK_MIB`` and ``LEAK_BLOCKS`` (a leak of 4 KiB a step
adds ~14 MiB between the two). The RSS also holds the free memory the allocator keeps while
training (up to ``TRIM_THRESHOLD`` at the top of each arena's heap: ui/services/runtime.py),
which fills unevenly — +39 MiB over one CI run of a plain ``streamlit run app.py`` (16
arenas), +1 MiB on most — so it is bounded by all that slack, ``SLACK_MIB``. The finished page
adds about 10 MiB once (its save files are made then): the last sample is taken before it.
"""

from __future__ import annotations

import concurrent.futures
import math
import time
import urllib.request
from statistics import median

from benchmarks.browser import button_name
from benchmarks.memory import debug_counts
from tests.browser.server import (
    Server,
    assert_no_exception,
    launch_chromium,
    new_context,
    offsite,
    rss_kib,
    train_state,
    wait_for_step,
)
from ui.services.runtime import ARENA_MAX, TRIM_THRESHOLD

STEPS = 10_000
EVERY = 500  # steps between two samples
START, MIDDLE, END = 2_000, 5_500, 9_500  # the two stretches of training compared
LEAK_MIB = 6.0  # most the heap in use may grow between the stretches' medians
LEAK_BLOCKS = 20_000  # ... and Python's allocated blocks (measured: ±700 of 727 000)
SLACK_MIB = ARENA_MAX * TRIM_THRESHOLD / 2**20  # 64: most the RSS may grow from START to END


def test_a_long_session_keeps_memory_flat_and_a_reload_starts_clean(tmp_path):
    server = Server(tmp_path / "streamlit.log", env={"RNNX_DEBUG_MEMORY": "1"}, replica=True)
    server.start(timeout=180)
    requests: list[str] = []
    try:
        # in a thread of its own: the browser tests' session-wide sync Playwright may hold an
        # event loop in this one, and the sync API refuses to start inside a running loop
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            samples, seconds = pool.submit(soak, server, requests).result()
    finally:
        server.stop()

    rss = {k: v["rss"] for k, v in samples.items()}
    first = [v for k, v in samples.items() if START <= k < MIDDLE]
    second = [v for k, v in samples.items() if MIDDLE <= k <= END]
    heap = median(v["heap"] for v in second) - median(v["heap"] for v in first)
    blocks = median(v["blocks"] for v in second) - median(v["blocks"] for v in first)
    print(
        f"\nsoak: {STEPS:,} steps in {seconds:.0f} s ({STEPS / seconds:.0f} steps/s with the "
        "page drawing); server RSS (MiB) by step: "
        + ", ".join(f"{k:,}: {v:.0f}" for k, v in rss.items())
        + "; heap in use (MiB) by step: "
        + ", ".join(f"{k:,}: {v['heap']:.0f}" for k, v in samples.items())
        + f"; from {START:,}–{MIDDLE:,} to {MIDDLE:,}–{END:,} (medians): heap in use "
        f"{heap:+.1f} MiB, Python blocks {blocks:+,.0f}; RSS {START:,}→{END:,}: "
        f"{rss[END] - rss[START]:+.1f} MiB"
    )
    assert heap < LEAK_MIB, samples
    assert blocks < LEAK_BLOCKS, samples
    assert rss[END] - rss[START] < SLACK_MIB, samples
    assert not offsite(requests)
    assert server.outbound() == []


def soak(server: Server, requests: list[str]) -> tuple[dict[int, dict], float]:
    """Train STEPS steps in the browser sampling the server's memory, reload, train again.
    Samples by step: "rss" (MiB), and from the janitor's latest line "heap" (glibc's heap in
    use, MiB) and "blocks" (Python's allocated blocks)."""
    from playwright.sync_api import sync_playwright

    samples: dict[int, dict] = {}
    with sync_playwright() as pw:
        browser = launch_chromium(pw)
        page = new_context(browser, requests).new_page()
        page.set_default_timeout(120_000)
        page.goto(f"{server.url}/train?task=sentiment&steps={STEPS}")
        page.get_by_role("button", name=button_name("▶ Start")).click()
        t0 = time.perf_counter()
        for mark in range(EVERY, STEPS + 1, EVERY):
            wait_for_step(page, mark, timeout=300, poll=0.1)
            counts = debug_counts(server) or {}
            samples[mark] = {
                "rss": rss_kib(server.proc.pid) / 1024,
                "heap": counts.get("malloc_used_mib", math.nan),
                "blocks": counts.get("py_blocks", math.nan),
            }
        seconds = time.perf_counter() - t0
        page.get_by_text("Finished").wait_for(timeout=60_000)
        assert_no_exception(page)

        page.reload()  # a new session: a fresh run, ready to start
        start = page.get_by_role("button", name=button_name("▶ Start"))
        start.wait_for(timeout=120_000)
        assert train_state(page)["step"] in (None, 0)
        start.click()
        wait_for_step(page, 50, timeout=120)
        assert_no_exception(page)
        with urllib.request.urlopen(f"{server.url}/_stcore/health", timeout=10) as r:
            assert r.read().decode().strip() == "ok"
        browser.close()
    return samples, seconds
