"""Helpers of the browser, journey and load tests.

The launcher and page helpers live in ``benchmarks/browser.py`` (the screenshot command and
the browser benchmarks use them without importing a test module); they are re-exported here
so that tests import one place. What is added here is pytest's: marking and skipping the
browser folders, and asserting that a page shows no exception. See docs/DEVELOPING.md,
"Browser tests".
"""

from __future__ import annotations

from pathlib import Path

from benchmarks.browser import (
    CHART,
    CHROMIUM_ARGS,
    DRAWN,
    EXCEPTION,
    HOST,
    JS_ALL_DRAWN,
    JS_STALE,
    JS_TRAIN_STATE,
    JS_X_TICKS,
    LOCAL_SCHEMES,
    MAX_PNG,
    NETAUDIT,
    PROGRESS,
    ROOT,
    Server,
    browser_unavailable,
    enter_sentence,
    exception_text,
    find_chromium,
    free_port,
    launch_chromium,
    new_context,
    offsite,
    parse_step,
    rss_kib,
    running_server,
    save_screenshot,
    train_state,
    wait_for_step,
    wait_for_ticks,
    wait_until_settled,
    x_ticks,
)

__all__ = [
    "CHART",
    "CHROMIUM_ARGS",
    "DRAWN",
    "EXCEPTION",
    "HOST",
    "JS_ALL_DRAWN",
    "JS_STALE",
    "JS_TRAIN_STATE",
    "JS_X_TICKS",
    "LOCAL_SCHEMES",
    "MAX_PNG",
    "NETAUDIT",
    "PROGRESS",
    "ROOT",
    "Server",
    "assert_no_exception",
    "browser_unavailable",
    "enter_sentence",
    "exception_text",
    "find_chromium",
    "free_port",
    "launch_chromium",
    "mark_browser_folder",
    "new_context",
    "offsite",
    "parse_step",
    "rss_kib",
    "running_server",
    "save_screenshot",
    "train_state",
    "wait_for_step",
    "wait_for_ticks",
    "wait_until_settled",
    "x_ticks",
]


def mark_browser_folder(items, folder: Path, *marks) -> None:
    """Give every test collected under ``folder`` the ``browser`` mark and ``marks``, and
    skip them with the reason where no browser can run here (and only there)."""
    import pytest

    reason = browser_unavailable()
    for item in items:
        if folder in item.path.parents:
            for mark in (pytest.mark.browser, *marks):
                item.add_marker(mark)
            if reason:
                item.add_marker(pytest.mark.skip(reason=reason))


def assert_no_exception(page) -> None:
    """The page shows no exception element (its text is the failure message)."""
    text = exception_text(page)
    assert text is None, text
