"""Keyboard and display in a real Chromium: the main actions by key (Train: P start/pause, S
step; Learn: B/N), not while typing in a text box; projector mode, a chosen colour map and
the dark theme reach the drawn charts."""

from __future__ import annotations

import re

import pytest

from benchmarks.browser import button_name
from tests.browser.server import JS_STALE, assert_no_exception, save_screenshot, train_state

pytestmark = pytest.mark.browser

START = "▶ Start"
PAUSE = "⏸ Pause"
RESUME = "▶ Resume"


def _button(page, name: str):
    return page.get_by_role("button", name=button_name(name))


def _idle(page) -> None:
    """The script has finished and nothing on the page is stale."""
    page.wait_for_function(f"() => !({JS_STALE})()", timeout=60_000)
    page.wait_for_timeout(500)


def test_train_by_keyboard(explore_page, server):
    page = explore_page
    page.goto(f"{server}/train?task=sentiment&steps=20000")
    _button(page, START).wait_for(timeout=120_000)
    page.locator("h1").first.click()  # focus the page, not a field
    page.keyboard.press("p")
    _button(page, PAUSE).wait_for(timeout=30_000)
    page.wait_for_timeout(1500)
    page.keyboard.press("p")
    _button(page, RESUME).wait_for(timeout=30_000)
    page.wait_for_timeout(1000)
    before = train_state(page)["step"]
    assert before is not None and before > 0
    page.keyboard.press("s")
    for _ in range(40):
        page.wait_for_timeout(250)
        after = train_state(page)["step"]
        if after == before + 1:
            break
    assert after == before + 1
    # typing an "s" in a text box types it, it does not step
    box = page.get_by_role("textbox").first
    box.click()
    box.press("End")
    box.type("s")
    page.wait_for_timeout(1500)
    assert train_state(page)["step"] == after
    assert_no_exception(page)


def test_learn_steps_by_keyboard(explore_page, server):
    page = explore_page
    page.goto(f"{server}/learn?sentence=this+is+not+bad")
    page.get_by_text("2 · Forward: step 4").wait_for(timeout=120_000)
    _idle(page)  # a key pressed during a rerun is lost with the buttons it would press
    page.locator("h1").first.click()
    page.keyboard.press("b")
    page.get_by_text("2 · Forward: step 3").wait_for(timeout=20_000)
    page.keyboard.press("b")
    page.get_by_text("2 · Forward: step 2").wait_for(timeout=20_000)
    page.keyboard.press("n")
    page.get_by_text("2 · Forward: step 3").wait_for(timeout=20_000)
    assert "t=3" in page.url
    assert_no_exception(page)


JS_CHART_LOOK = """
() => {
    const chart = [...document.querySelectorAll('[data-testid="stPlotlyChart"]')]
        .find(c => c.querySelector('.gtitle'));
    const title = chart.querySelector('.gtitle');
    const tick = chart.querySelector('.xtick text');
    const app = document.querySelector('[data-testid="stApp"]');
    return {
        titleFill: getComputedStyle(title).fill,
        titleSize: parseFloat(getComputedStyle(title).fontSize),
        tickSize: parseFloat(getComputedStyle(tick).fontSize),
        appBackground: getComputedStyle(app).backgroundColor,
        columns: [...document.querySelectorAll('[data-testid="stHorizontalBlock"]')]
            .filter(b => b.querySelector('[data-testid="stPlotlyChart"]'))
            .map(b => [...b.children].map(c => Math.round(c.getBoundingClientRect().top))),
    };
}
"""


def _brightness(css: str) -> float:
    r, g, b = (float(v) for v in re.findall(r"[\d.]+", css)[:3])
    return (r + g + b) / 3


def test_projector_and_dark_theme_reach_the_charts(chromium_browser, server, tmp_path):
    """A dark system and a projector link: the page is dark, the charts' text is light and
    larger, and charts that stood side by side stand one under another."""
    looks = {}
    for name, scheme, query in (
        ("plain", "light", ""),
        ("projector_dark", "dark", "&display=projector&diverging=blue-yellow"),
    ):
        context = chromium_browser.new_context(
            viewport={"width": 1280, "height": 800}, color_scheme=scheme
        )
        page = context.new_page()
        page.goto(f"{server}/?sentence=this+movie+is+not+bad{query}")
        page.locator('[data-testid="stPlotlyChart"] .gtitle').first.wait_for(timeout=120_000)
        page.wait_for_timeout(1000)
        looks[name] = page.evaluate(JS_CHART_LOOK)
        save_screenshot(page, tmp_path / f"explore_{name}.png")
        assert_no_exception(page)
        context.close()
    plain, shown = looks["plain"], looks["projector_dark"]
    assert _brightness(plain["appBackground"]) > 200 and _brightness(shown["appBackground"]) < 60
    assert _brightness(plain["titleFill"]) < 100 and _brightness(shown["titleFill"]) > 200
    assert shown["titleSize"] > plain["titleSize"] * 1.3
    assert shown["tickSize"] > plain["tickSize"]
    # side by side on a plain 1280 px page; one under another on a projector
    assert any(len(set(row)) == 1 and len(row) > 1 for row in plain["columns"])
    assert all(len(set(row)) == len(row) for row in shown["columns"])
