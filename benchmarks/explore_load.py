"""How fast the Explore page draws in a real browser.

    python -m benchmarks.explore_load            # 5 runs
    python -m benchmarks.explore_load --runs 3

Starts ``streamlit run app.py`` on a free 127.0.0.1 port (as the browser tests do), launches
Debian's headless Chromium and, in a fresh browser context per run, measures

* load: opening ``/explore?sentence=this+is+not+bad`` until the first heatmap is drawn. The
  first run is cold (the server has just started: it trains the task's default model and the
  browser fetches the 4.7 MB plotly.js); the others are warm, each in a fresh profile (a new
  browser context: empty cache).
* type: typing a new sentence and pressing Enter until the heatmap shows its tokens, and
  until the page has settled: the script has finished, nothing is stale and nothing on the
  page has changed for 0.4 s — timed on the browser's own clock, from the Enter key to the
  page's last change (three sentences per run).
* reload: reloading the page (its files cached) until the heatmap is drawn again.

Needs the ``playwright`` package and a Chromium executable (never ``playwright install``).
"""

from __future__ import annotations

import argparse
import os
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
    wait_until_settled,
)

START = "this is not bad"
TYPED = ["the food was good", "the movie was great", "this is so boring", "not bad at all"]
PER_RUN = 3  # sentences typed in each browser context
# the browser's clock at the Enter key and at the page's latest change
CLOCK = """
window.__enter = 0; window.__changed = 0;
document.addEventListener('keydown', e => {
    if (e.key === 'Enter') window.__enter = performance.now();
}, true);
new MutationObserver(() => { window.__changed = performance.now(); })
    .observe(document, {subtree: true, childList: true, attributes: true, characterData: true});
"""
SETTLED = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    const running = app?.getAttribute('data-test-script-state') === 'running';
    const stale = document.querySelectorAll('[data-stale="true"]').length > 0;
    return !running && !stale && window.__enter > 0 && window.__changed > window.__enter
        && performance.now() - window.__changed > 400;
}"""


def one_run(browser, base: str, typed: list[str]) -> dict:
    """Seconds to the first heatmap, from each Enter to the updated heatmap and to the
    settled page, and to the heatmap after a reload; off-site URLs."""
    requests: list[str] = []
    context = new_context(browser, requests)
    context.add_init_script(CLOCK)
    out: dict = {"type": [], "settled": []}
    try:
        page = context.new_page()
        t0 = time.perf_counter()
        page.goto(f"{base}/explore?sentence={START.replace(' ', '+')}")
        page.wait_for_selector(DRAWN, timeout=120_000)
        wait_for_ticks(page, START.split(), timeout=60)
        out["load"] = time.perf_counter() - t0
        wait_until_settled(page)
        before = START.split()
        for sentence in typed:
            words = [w for w in sentence.split() if w not in before]
            page.evaluate("window.__enter = 0")
            t0 = time.perf_counter()
            enter_sentence(page, sentence)
            wait_for_ticks(page, words, timeout=60)
            out["type"].append(time.perf_counter() - t0)
            page.wait_for_function(SETTLED, timeout=60_000, polling=50)
            out["settled"].append(page.evaluate("window.__changed - window.__enter") / 1000)
            before = sentence.split()
        t0 = time.perf_counter()
        page.reload()
        page.wait_for_selector(DRAWN, timeout=120_000)
        wait_for_ticks(page, before, timeout=60)
        out["reload"] = time.perf_counter() - t0
    finally:
        context.close()
    out["offsite"] = offsite(requests)
    return out


def row(name: str, values: list[float]) -> str:
    if not values:
        return f"| {name:<30} | {'–':>7} | {'–':>7} | {'–':>7} | {0:>2} |"
    med, lo, hi = statistics.median(values), min(values), max(values)
    return f"| {name:<30} | {med:7.2f} | {lo:7.2f} | {hi:7.2f} | {len(values):>2} |"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--runs", type=int, default=5, help=f"browser contexts, {PER_RUN} sentences each (5)"
    )
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    why = browser_unavailable()
    if why is not None:
        print(why, file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright

    chromium = find_chromium()

    loads, types, settled, reloads, bad = [], [], [], [], []
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
                            typed = [TYPED[(i + k) % len(TYPED)] for k in range(PER_RUN)]
                            r = one_run(browser, server.url, typed)
                            loads.append(r["load"])
                            types += r["type"]
                            settled += r["settled"]
                            reloads.append(r["reload"])
                            bad += r["offsite"]
                            print(
                                f"run {i + 1}: load {r['load']:.2f} s, type "
                                + ", ".join(f"{t:.2f}" for t in r["type"])
                                + " s, settled "
                                + ", ".join(f"{t:.2f}" for t in r["settled"])
                                + f" s, reload {r['reload']:.2f} s",
                                flush=True,
                            )
                    finally:
                        browser.close()
            except Exception:
                print(f"--- server log ---\n{server.log()}", file=sys.stderr)
                raise

    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"\nserver up {up:.2f} s, browser launch {launch:.2f} s, {args.runs} run(s)")
    print(f"load average {load} (1, 5, 15 min)\n")
    print(f"| {'seconds':<30} | {'median':>7} | {'min':>7} | {'max':>7} | {'n':>2} |")
    print(f"|{'-' * 32}|{'-' * 9}|{'-' * 9}|{'-' * 9}|{'-' * 4}|")
    print(row("load → heatmap, cold (1st)", loads[:1]))
    print(row("load → heatmap, fresh profile", loads[1:]))
    print(row("reload → heatmap", reloads))
    print(row("Enter → heatmap updated", types))
    print(row("Enter → page settled", settled))
    if bad:
        print(f"\nWARNING: {len(bad)} request(s) left 127.0.0.1: {sorted(set(bad))}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
