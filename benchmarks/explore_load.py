"""How fast the Explore page draws in a real browser.

    python -m benchmarks.explore_load            # 5 runs
    python -m benchmarks.explore_load --runs 3

Starts ``streamlit run app.py`` on a free 127.0.0.1 port (as the browser tests do), launches
Debian's headless Chromium and, in a fresh browser context per run, measures

* load: opening ``/explore?sentence=this+is+not+bad`` until the first heatmap is drawn. The
  first run is cold (the server has just started: it trains the task's default model and the
  browser fetches the 4.7 MB plotly.js); the others are warm.
* type: typing a new sentence and pressing Enter until the heatmap shows its tokens.

Needs the ``playwright`` package and a Chromium executable (never ``playwright install``).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.browser import (
    DRAWN,
    browser_unavailable,
    enter_sentence,
    find_chromium,
    launch_chromium,
    new_context,
    offsite,
    running_server,
    wait_for_ticks,
)

START = "this is not bad"
TYPED = ["the food was good", "the movie was great", "this is so boring", "not bad at all"]


def one_run(browser, base: str, typed: str) -> tuple[float, float, list[str]]:
    """Seconds to the first heatmap, seconds from Enter to the updated heatmap, off-site URLs."""
    requests: list[str] = []
    context = new_context(browser, requests)
    try:
        page = context.new_page()
        t0 = time.perf_counter()
        page.goto(f"{base}/explore?sentence={START.replace(' ', '+')}")
        page.wait_for_selector(DRAWN, timeout=120_000)
        wait_for_ticks(page, START.split(), timeout=60)
        load = time.perf_counter() - t0
        words = [w for w in typed.split() if w not in START.split()]
        t0 = time.perf_counter()
        enter_sentence(page, typed)
        wait_for_ticks(page, words, timeout=60)
        type_ = time.perf_counter() - t0
    finally:
        context.close()
    return load, type_, offsite(requests)


def row(name: str, values: list[float]) -> str:
    if not values:
        return f"| {name:<28} | {'–':>7} | {'–':>7} | {'–':>7} | {0:>2} |"
    med, lo, hi = statistics.median(values), min(values), max(values)
    return f"| {name:<28} | {med:7.2f} | {lo:7.2f} | {hi:7.2f} | {len(values):>2} |"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="browser contexts (default 5)")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    why = browser_unavailable()
    if why is not None:
        print(why, file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright

    chromium = find_chromium()

    loads, types, bad = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "streamlit.log"
        t0 = time.perf_counter()
        with running_server(log) as server:
            up = time.perf_counter() - t0
            try:
                with sync_playwright() as pw:
                    t0 = time.perf_counter()
                    browser = launch_chromium(pw, chromium)
                    launch = time.perf_counter() - t0
                    try:
                        for i in range(args.runs):
                            load, type_, off = one_run(browser, server.url, TYPED[i % len(TYPED)])
                            loads.append(load)
                            types.append(type_)
                            bad += off
                            print(f"run {i + 1}: load {load:.2f} s, type {type_:.2f} s", flush=True)
                    finally:
                        browser.close()
            except Exception:
                print(f"--- server log ---\n{server.log()}", file=sys.stderr)
                raise

    print(f"\nserver up {up:.2f} s, browser launch {launch:.2f} s, {args.runs} run(s)\n")
    print(f"| {'seconds':<28} | {'median':>7} | {'min':>7} | {'max':>7} | {'n':>2} |")
    print(f"|{'-' * 30}|{'-' * 9}|{'-' * 9}|{'-' * 9}|{'-' * 4}|")
    print(row("load → heatmap, cold (1st)", loads[:1]))
    print(row("load → heatmap, warm", loads[1:]))
    print(row("type → heatmap updated", types))
    if bad:
        print(f"\nWARNING: {len(bad)} request(s) left 127.0.0.1: {sorted(set(bad))}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
