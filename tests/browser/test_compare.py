"""A shared Compare link in a real Chromium: both runs train and draw side by side
(a screenshot into pytest's temporary folder; ``python -m benchmarks.screenshots`` remakes
docs/compare.png)."""

from __future__ import annotations

import pytest

from tests.browser.server import DRAWN, assert_no_exception, save_screenshot

pytestmark = pytest.mark.browser


def test_a_compare_link_trains_both_side_by_side(explore_page, server, tmp_path):
    page = explore_page
    page.goto(f"{server}/compare?task=sentiment&a_cell=rnn&b_cell=gru&steps=300")
    page.get_by_text("cell: rnn vs gru").wait_for(timeout=120_000)
    page.get_by_role("button", name="▶ Train both").click()
    page.wait_for_selector(DRAWN, timeout=60_000)
    page.wait_for_function(
        "() => [...document.querySelectorAll('.gtitle')]"
        ".some(e => e.textContent.includes('B: probe'))",
        timeout=60_000,
    )
    page.get_by_text("300 steps").first.wait_for(timeout=90_000)  # A or B has finished
    assert_no_exception(page)
    save_screenshot(page, tmp_path / "compare.png")
