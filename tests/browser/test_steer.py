"""Steer a neuron in a real Chromium: the sentiment neuron is held and the answer shown beside
the plain one; a click ablates it and the link follows; a character model writes two samples.
Screenshots of the section at projector and laptop sizes go to pytest's temporary folder."""

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

SECTION = '[data-testid="stHeading"]:has-text("Steer a neuron")'
METRIC_LABELS = '[data-testid="stMetricLabel"]'


def open_page(browser, url: str, size: tuple[int, int]):
    requests: list[str] = []
    context = new_context(browser, requests)
    page = context.new_page()
    page.set_viewport_size({"width": size[0], "height": size[1]})
    page.set_default_timeout(120_000)
    page.goto(url)
    page.wait_for_selector(f"{DRAWN}, {EXCEPTION}", timeout=120_000)
    page.locator(SECTION).wait_for(timeout=120_000)
    wait_until_settled(page, timeout=120)
    assert_no_exception(page)
    return context, page, requests


def labels(page) -> list[str]:
    return [t.strip() for t in page.locator(METRIC_LABELS).all_inner_texts()]


@pytest.mark.parametrize("size", [(1280, 800), (1024, 768)])
def test_steering_the_sentiment_neuron(chromium_browser, server, tmp_path, size):
    context, page, requests = open_page(chromium_browser, f"{server}/explore", size)
    try:
        shown = labels(page)
        assert "As trained" in shown
        held = [s for s in shown if re.fullmatch(r"Unit \d+ held at 1", s)]
        assert held, shown
        unit = held[0].split()[1]
        page.locator(SECTION).scroll_into_view_if_needed()
        save_screenshot(page, tmp_path / f"steer_sentiment_{size[0]}x{size[1]}.png")
        page.locator(".st-key-steer_mode button", has_text="ablate").click()
        page.locator(METRIC_LABELS, has_text=f"Unit {unit} ablated").wait_for(timeout=60_000)
        wait_until_settled(page, timeout=60)
        assert_no_exception(page)
        assert "steer_mode=ablate" in page.url
        value = page.locator(".st-key-steer_value")
        assert value.locator('[aria-disabled="true"], [disabled]').count() > 0  # held at 0
        save_screenshot(page, tmp_path / f"steer_sentiment_ablated_{size[0]}x{size[1]}.png")
    finally:
        context.close()
    assert not offsite(requests)


def test_a_character_model_writes_with_and_without(chromium_browser, server, tmp_path):
    url = f"{server}/explore?task=chars&steer_value=-1&steer_len=200"
    context, page, requests = open_page(chromium_browser, url, (1024, 768))
    try:
        page.locator("text=As trained").first.wait_for()
        steered = page.locator(".rnnx-steered")
        assert steered.count() == 1
        text = steered.inner_text()
        assert len(text.replace("↵", "")) >= 150  # 200 characters, line breaks shown as ↵
        page.locator(SECTION).scroll_into_view_if_needed()
        save_screenshot(page, tmp_path / "steer_chars_1024x768.png")
    finally:
        context.close()
    assert not offsite(requests)
