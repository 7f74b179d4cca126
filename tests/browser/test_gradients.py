"""The gradient lab in a real Chromium: an experiment link runs it live, its charts draw, and
a screenshot is taken mid-experiment (docs/gradients.png)."""

from __future__ import annotations

import shutil
import time

import pytest

from tests.browser.server import DRAWN, ROOT, assert_no_exception
from tests.browser.test_explore import save_screenshot

pytestmark = pytest.mark.browser

SCREENSHOT = ROOT / "docs" / "gradients.png"
JS_TITLES = "() => [...document.querySelectorAll('.gtitle')].map(e => e.textContent)"


def test_gates_help_runs_live_from_a_link(explore_page, server, tmp_path):
    page = explore_page
    page.goto(f"{server}/gradients?experiment=gates")
    page.wait_for_selector(DRAWN, timeout=120_000)
    page.get_by_text("What to notice").first.wait_for(timeout=30_000)
    page.wait_for_function(
        "() => [...document.querySelectorAll('.gtitle')]"
        ".some(e => e.textContent.includes('Test loss'))",
        timeout=60_000,
    )
    first = page.locator('[data-testid="stProgress"]').first.inner_text()
    time.sleep(2)  # mid-experiment: the three runs are still training
    later = page.locator('[data-testid="stProgress"]').first.inner_text()
    assert later != first, (first, later)  # it trains live
    titles = page.evaluate(JS_TITLES)
    for part in ("Gradient norm", "over training", "Eigenvalues", "cliff"):
        assert any(part in t for t in titles), (part, titles)
    assert_no_exception(page)
    save_screenshot(page, SCREENSHOT)
    shutil.copy(SCREENSHOT, tmp_path / SCREENSHOT.name)
