"""The Dynamics lab's fixed and slow points in a real Chromium: the sentiment GRU's points are
drawn on the state map, a click on "fixed points" and a picked token redraw them and the link
follows. Screenshots go to pytest's temporary folder."""

from __future__ import annotations

import re

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

TITLE_HAS = (
    "(part) => [...document.querySelectorAll('.gtitle')].some(e => e.textContent.includes(part))"
)


def test_points_follow_the_controls_and_the_link(chromium_browser, server, tmp_path):
    requests: list[str] = []
    context = new_context(chromium_browser, requests)
    page = context.new_page()
    page.set_viewport_size({"width": 1280, "height": 800})
    page.set_default_timeout(120_000)
    try:
        page.goto(f"{server}/dynamics")
        page.wait_for_selector(f"{DRAWN}, {EXCEPTION}")
        page.wait_for_function(TITLE_HAS, arg="Fixed and slow points on the state map")
        page.wait_for_function(TITLE_HAS, arg="Eigenvalues at all")
        wait_until_settled(page, timeout=120)
        assert_no_exception(page)
        assert page.get_by_text(re.compile(r"\*?\*?\d+ slow points")).count() >= 1
        save_screenshot(page, tmp_path / "dynamics_points_1280x800.png")

        page.locator(".st-key-fp_kind button", has_text="fixed points").click()
        page.wait_for_function(TITLE_HAS, arg="Eigenvalues at point 1 (fixed)")
        wait_until_settled(page, timeout=60)
        assert re.search(r"fp_kind=fixed(\+|%20)points", page.url), page.url

        box = page.locator(".st-key-fp_input")
        box.click()
        page.keyboard.type("bad")  # the list filters fuzzily ("bland" too): click the option
        page.get_by_role("option", name="bad", exact=True).click()
        page.get_by_text("reading “bad” again and again").first.wait_for(timeout=60_000)
        wait_until_settled(page, timeout=60)
        assert_no_exception(page)
        assert "fp_input=bad" in page.url, page.url
        save_screenshot(page, tmp_path / "dynamics_points_bad_1280x800.png")
    finally:
        context.close()
    assert not offsite(requests)
