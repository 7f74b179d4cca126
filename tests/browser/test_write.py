"""Explore's Write in a real Chromium: on the chars task, Generate writes text from a prime,
coloured by probability with the model's top guesses on hover, and the heatmap of prime +
written text is drawn. Screenshots at 1280×800 and 1024×768 go to pytest's temporary folder."""

from __future__ import annotations

import re

import pytest

from tests.browser.server import (
    CHART,
    DRAWN,
    EXCEPTION,
    assert_no_exception,
    save_screenshot,
    wait_until_settled,
)

pytestmark = pytest.mark.browser

WRITTEN = ".rnnx-written .rnnx-gen"


def prime_box(page):
    return page.get_by_label("Prime", exact=True)


@pytest.mark.parametrize("size", [(1280, 800), (1024, 768)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_generate_writes_text_from_a_prime(explore_page, server, tmp_path, size):
    page = explore_page
    page.set_viewport_size({"width": size[0], "height": size[1]})
    page.goto(f"{server}/explore?task=chars")
    page.wait_for_selector(f"{DRAWN}, {EXCEPTION}", timeout=90_000)
    assert_no_exception(page)
    # the first visit writes from the default prime without a click
    page.wait_for_function(
        f"() => document.querySelectorAll('{WRITTEN}').length === 200", timeout=30_000
    )
    assert "".join(page.locator(".rnnx-written .rnnx-prime").all_inner_texts()) == "Romeo."

    box = prime_box(page)
    box.scroll_into_view_if_needed()
    box.fill("Juliet.")
    box.press("Enter")
    page.wait_for_function("() => location.search.includes('prime=Juliet')", timeout=30_000)
    wait_until_settled(page)
    page.get_by_role("button", name=re.compile(r"Generate$")).click()
    page.wait_for_function(  # the new text (the default one also has 200 tokens)
        "() => [...document.querySelectorAll('.rnnx-written .rnnx-prime')]"
        ".map((e) => e.innerText).join('') === 'Juliet.'",
        timeout=30_000,
    )
    wait_until_settled(page)
    assert page.locator(WRITTEN).count() == 200
    assert_no_exception(page)

    prime = "".join(page.locator(".rnnx-written .rnnx-prime").all_inner_texts())
    assert prime == "Juliet."
    written = "".join(page.locator(WRITTEN).all_inner_texts())
    assert len(written.replace("↵", "")) >= 100  # a line break shows as ↵ and a break
    first = page.locator(WRITTEN).first
    p = float(first.get_attribute("data-p"))
    assert 0.0 < p <= 1.0
    title = first.get_attribute("title")
    assert title.startswith("wrote ‘") and "the model's top guesses:" in title
    assert len(re.findall(r"^  ‘", title, re.M)) == 5  # five alternatives on hover
    # the heatmap of prime + written text: one column per token
    heat = page.locator(CHART).filter(has_text="Prime + written text")
    heat.first.wait_for(timeout=30_000)
    assert heat.first.locator(".main-svg").count() >= 1

    # the written text on screen, then the whole page
    first.scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    page.screenshot(path=tmp_path / f"write_{size[0]}x{size[1]}_view.png")
    save_screenshot(page, tmp_path / f"write_{size[0]}x{size[1]}.png")
