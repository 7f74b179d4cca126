"""Keyboard and display in a real Chromium: the main actions by key (Train: P start/pause, S
step; Learn: B/N), not while typing in a text box; projector mode, a chosen colour map and
the dark theme reach the drawn charts."""

from __future__ import annotations

import re

import pytest

from tests.browser.server import assert_no_exception, train_state

pytestmark = pytest.mark.browser

START = "▶ Start"
PAUSE = "⏸ Pause"
RESUME = "▶ Resume"


def _button(page, name: str):
    return page.get_by_role("button", name=re.compile("^" + re.escape(name)))


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
    page.locator("h1").first.click()
    page.keyboard.press("b")
    page.get_by_text("2 · Forward: step 3").wait_for(timeout=20_000)
    page.keyboard.press("b")
    page.get_by_text("2 · Forward: step 2").wait_for(timeout=20_000)
    page.keyboard.press("n")
    page.get_by_text("2 · Forward: step 3").wait_for(timeout=20_000)
    assert "t=3" in page.url
    assert_no_exception(page)
