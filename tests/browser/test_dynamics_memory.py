"""The Dynamics lab's memory section in a real Chromium at 1280×800: the memory chart and the
gates' τ are drawn (the trio trained by the first visitor: this test), a click on LSTM redraws
the τ charts and puts ``mem_tau=LSTM`` in the link. Screenshots go to pytest's temporary
folder."""

from __future__ import annotations

import pytest

from tests.browser.server import (
    DRAWN,
    EXCEPTION,
    assert_no_exception,
    new_context,
    offsite,
    save_screenshot,
    wait_until_settled,
)

pytestmark = pytest.mark.browser

SECTION = '[data-testid="stHeading"]:has-text("How far back it remembers")'
TITLE = ".gtitle"


def titles(page) -> list[str]:
    """The charts' titles (SVG text: textContent, innerText is undefined there)."""
    return [
        t.strip() for t in page.locator(TITLE).evaluate_all("els => els.map(e => e.textContent)")
    ]


def test_memory_section_draws_and_the_tau_choice_follows_the_link(
    chromium_browser, server, tmp_path
):
    requests: list[str] = []
    context = new_context(chromium_browser, requests)
    page = context.new_page()
    page.set_viewport_size({"width": 1280, "height": 800})
    page.set_default_timeout(180_000)
    try:
        page.goto(f"{server}/dynamics?task=adding")
        page.wait_for_selector(f"{DRAWN}, {EXCEPTION}", timeout=180_000)
        page.locator(SECTION).wait_for(timeout=180_000)
        page.locator(TITLE, has_text="GRU: time constants over training").wait_for()
        wait_until_settled(page, timeout=120)
        assert_no_exception(page)
        shown = titles(page)
        assert "Memory and gradient, against the lag" in shown
        assert "GRU: time constants of its 32 units" in shown
        page.locator(SECTION).scroll_into_view_if_needed()
        save_screenshot(page, tmp_path / "dynamics_memory_1280x800.png")
        page.locator(".st-key-mem_tau button", has_text="LSTM").click()
        page.locator(TITLE, has_text="LSTM: time constants over training").wait_for()
        wait_until_settled(page, timeout=60)
        assert_no_exception(page)
        assert "mem_tau=LSTM" in page.url
        assert not [t for t in titles(page) if t.startswith("GRU: time constants")]
        assert not offsite(requests)
    finally:
        context.close()
