"""The Dynamics lab's "Where the gradient comes from" (RNNbow) in a real Chromium: the chars
default draws its stacked bands, and a band's hover names the loss it comes from (a
screenshot of the hover goes into pytest's temporary folder)."""

from __future__ import annotations

import re

import pytest

from tests.browser.server import (
    DRAWN,
    EXCEPTION,
    assert_no_exception,
    save_screenshot,
    wait_until_settled,
)

pytestmark = pytest.mark.browser

CHART = '[data-testid="stPlotlyChart"]:has-text("Where each step")'
# this chart's own hover layer (section 1's map, above it, has one too)
JS_HOVER = "(chart) => chart.querySelector('.hoverlayer')?.textContent ?? ''"
# the tallest bar segment of the chart, as the centre of its box on screen
JS_TALLEST = """
(chart) => {
    let best = null;
    for (const p of chart.querySelectorAll('.barlayer .point path')) {
        const r = p.getBoundingClientRect();
        if (!best || r.height > best.h) {
            best = {x: r.x + r.width / 2, y: r.y + r.height / 2, h: r.height};
        }
    }
    return best;
}
"""


def test_the_chars_default_draws_bands_whose_hover_names_their_loss(explore_page, server, tmp_path):
    page = explore_page
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{server}/dynamics?task=chars")
    page.wait_for_selector(f"{DRAWN}, {EXCEPTION}", timeout=120_000)
    assert_no_exception(page)
    wait_until_settled(page)
    chart = page.locator(CHART).first
    chart.scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    # one band per source step of the 33-step sentence
    assert chart.locator(".barlayer .trace.bars").count() == 33
    tallest = chart.evaluate(JS_TALLEST)
    assert tallest and tallest["h"] > 5, tallest

    page.mouse.move(tallest["x"], tallest["y"])
    page.wait_for_timeout(600)
    hover = chart.evaluate(JS_HOVER)
    assert re.search(r"from the loss at step \d+, predicting '.+'", hover), hover
    assert "% of ‖∂L/∂h_t‖" in hover, hover
    save_screenshot(page, tmp_path / "dynamics_rnnbow_hover.png")
