"""Remake the README's screenshots: ``python -m benchmarks.screenshots``.

Starts ``streamlit run app.py`` on a free 127.0.0.1 port, drives headless Debian Chromium
(``--headless --no-sandbox --disable-gpu --disable-background-networking``, see
``benchmarks/browser.py``) to each view below and writes ``docs/<name>.png`` (under 600 kB
each), printing every file it wrote. Nothing else writes these files: the browser tests keep
their screenshots in pytest's temporary folder.

    python -m benchmarks.screenshots               # all of them, into docs/
    python -m benchmarks.screenshots train.png     # only some
    python -m benchmarks.screenshots --out /tmp/x  # somewhere else
    python -m benchmarks.screenshots --list        # the names, without a browser

The views, in this order (one server, a fresh browser context each):

- ``explore.png``: the Explore page reading "the food was good";
- ``compare.png``: a Compare link (sentiment, rnn vs gru, 300 steps) once a run finished;
- ``train.png``: the Train page (sentiment, GRU) paused after 1,500 or more steps;
- ``gradients.png``: the gradient lab's "gates help" experiment, mid-run;
- ``line_attractor.png``: the Dynamics lab's map of the sentiment GRU's fixed and slow points
  (the chart alone, not the page).

A page showing an exception is an error: nothing is written for it and the exit code is 1.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from benchmarks.browser import (
    CHART,
    DRAWN,
    MAX_PNG,
    ROOT,
    browser_unavailable,
    button_name,
    exception_text,
    launch_chromium,
    new_context,
    offsite,
    running_server,
    save_screenshot,
    wait_for_step,
    wait_for_ticks,
    wait_until_settled,
)

DOCS = ROOT / "docs"
TIMEOUT_MS = 180_000  # a cold server trains the default model before the first page draws
JS_TITLE_HAS = (
    "(part) => [...document.querySelectorAll('.gtitle')].some(e => e.textContent.includes(part))"
)


def button(page, name: str):
    return page.get_by_role("button", name=button_name(name))


def explore(page, base: str) -> str:
    """Explore reading "the food was good": heatmap, prediction, units, path, saliency."""
    page.goto(f"{base}/explore?sentence=the+food+was+good")
    wait_for_ticks(page, ["the", "food", "was", "good"], timeout=TIMEOUT_MS / 1000)
    return "Explore, sentence 'the food was good'"


def compare(page, base: str) -> str:
    """A shared Compare link: both runs train and draw side by side; shot once one is done."""
    page.goto(f"{base}/compare?task=sentiment&a_cell=rnn&b_cell=gru&steps=300")
    page.get_by_text("cell: rnn vs gru").wait_for(timeout=TIMEOUT_MS)
    button(page, "▶ Train both").click()
    page.wait_for_selector(DRAWN, timeout=TIMEOUT_MS)
    page.wait_for_function(JS_TITLE_HAS, arg="B: probe", timeout=TIMEOUT_MS)
    page.get_by_text("300 steps").first.wait_for(timeout=TIMEOUT_MS)  # A or B has finished
    return "Compare, rnn vs gru on sentiment, a run finished"


def train(page, base: str) -> str:
    """The Train page mid-run, paused: loss, accuracy, gradient norms, W_hh, the probe."""
    page.goto(f"{base}/train?task=sentiment&steps=20000")
    button(page, "▶ Start").wait_for(timeout=TIMEOUT_MS)
    button(page, "▶ Start").click()
    page.wait_for_function(JS_TITLE_HAS, arg="Loss", timeout=TIMEOUT_MS)
    wait_for_step(page, 1500, timeout=TIMEOUT_MS / 1000)
    button(page, "⏸ Pause").click()
    button(page, "▶ Resume").wait_for(timeout=60_000)
    button(page, "⏸ Pause").wait_for(state="detached", timeout=30_000)  # stale copies go too
    return "Train, sentiment, paused"


def gradients(page, base: str) -> str:
    """The gradient lab's "gates help" experiment from its link, mid-experiment."""
    page.goto(f"{base}/gradients?experiment=gates")
    page.wait_for_selector(DRAWN, timeout=TIMEOUT_MS)
    page.get_by_text("What to notice").first.wait_for(timeout=TIMEOUT_MS)
    page.wait_for_function(JS_TITLE_HAS, arg="Test loss", timeout=TIMEOUT_MS)
    time.sleep(2)  # mid-experiment: the three runs are still training
    return "Gradient lab, 'gates help', mid-experiment"


def line_attractor(page, base: str) -> tuple[str, object]:
    """The Dynamics lab on the sentiment task's default GRU: its slow points and the fixed
    point on the state map. Only that chart is shot."""
    page.goto(f"{base}/dynamics?task=sentiment&fp_input=no+input&fp_kind=slow+points")
    page.wait_for_function(JS_TITLE_HAS, arg="Fixed and slow points", timeout=TIMEOUT_MS)
    page.get_by_text("The points, slowest first").wait_for(timeout=TIMEOUT_MS)
    chart = page.locator(CHART).filter(has_text="Fixed and slow points").first
    return "Dynamics lab, the sentiment GRU's fixed and slow points", chart


# name -> how to bring a page to that view (returns a one-line description, and optionally
# the element to shoot instead of the whole page)
SCREENSHOTS: dict[str, Callable[[object, str], str | tuple[str, object]]] = {
    "explore.png": explore,
    "compare.png": compare,
    "train.png": train,
    "gradients.png": gradients,
    "line_attractor.png": line_attractor,
}


class ScreenshotError(RuntimeError):
    """A view could not be shot as it should be (nothing was written for it)."""


def shoot(browser, base: str, name: str, target: Path, draft: Path) -> str:
    """Bring a fresh page to view ``name``, save it to ``draft``, then move it to ``target``
    once the page showed no exception and asked nothing of a host but 127.0.0.1. Returns the
    view's description."""
    requests: list[str] = []
    context = new_context(browser, requests)
    try:
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        what = SCREENSHOTS[name](page, base)
        what, element = what if isinstance(what, tuple) else (what, None)
        error = exception_text(page)
        if error:
            raise ScreenshotError(f"the page shows an exception: {error}")
        if element is None:
            save_screenshot(page, draft)
        else:
            wait_until_settled(page)
            element.screenshot(path=draft)
    finally:
        context.close()
    bad = offsite(requests)
    if bad:
        raise ScreenshotError(f"requests left 127.0.0.1: {sorted(set(bad))}")
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(draft, target)
    return what


def take(names: list[str], out: Path, work: Path) -> list[str]:
    """Take the screenshots ``names`` into ``out`` (drafts and the server log in ``work``);
    returns the problems (empty: all written)."""
    from playwright.sync_api import sync_playwright

    problems = []
    with running_server(work / "streamlit.log", timeout=120, audit=False) as server:
        print(f"server: {server.url} (log {server.log_path})", flush=True)
        with sync_playwright() as pw:
            browser = launch_chromium(pw)
            try:
                for name in names:
                    t0 = time.perf_counter()
                    try:
                        what = shoot(browser, server.url, name, out / name, work / name)
                    except Exception as exc:  # one view failing must not lose the others
                        problems.append(f"{name}: {type(exc).__name__}: {exc}")
                        continue
                    kb, seconds = (out / name).stat().st_size / 1e3, time.perf_counter() - t0
                    print(f"wrote {shown(out / name)} ({kb:.0f} kB, {seconds:.0f} s): {what}")
            finally:
                browser.close()
        if problems:
            print(f"--- server log (tail) ---\n{server.log(6000)}", file=sys.stderr)
    return problems


def shown(path: Path) -> str:
    """``path`` relative to the repository when it is inside it."""
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.screenshots",
        description="Remake the README's screenshots (docs/*.png) in headless Chromium.",
    )
    parser.add_argument(
        "names", nargs="*", metavar="NAME", help=f"some of {', '.join(SCREENSHOTS)} (all)"
    )
    parser.add_argument("--out", type=Path, default=DOCS, help="folder to write (docs/)")
    parser.add_argument("--list", action="store_true", help="print the names and stop")
    args = parser.parse_args(argv)

    if args.list:
        print("\n".join(SCREENSHOTS))
        return 0
    unknown = [n for n in args.names if n not in SCREENSHOTS]
    if unknown:
        parser.error(f"unknown screenshot(s) {unknown}; choose from {list(SCREENSHOTS)}")
    reason = browser_unavailable()
    if reason:
        print(f"cannot take screenshots: {reason}", file=sys.stderr)
        return 2
    names = args.names or list(SCREENSHOTS)
    with tempfile.TemporaryDirectory(prefix="rnnx-screenshots-") as tmp:
        problems = take(names, args.out.resolve(), Path(tmp))
    for problem in problems:
        print(f"FAILED {problem}", file=sys.stderr)
    done = len(names) - len(problems)
    print(f"{done} of {len(names)} screenshot(s) written (at most {MAX_PNG // 1000} kB each)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
