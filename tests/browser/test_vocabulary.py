"""Explore's "See the vocabulary" in a real Chromium, at 1280×800 and 1024×768: misspelt words
get the nearest known words, the list opens, its search narrows it. Screenshots go to pytest's
temporary folder."""

from __future__ import annotations

import pytest

from tests.browser.server import DRAWN, EXCEPTION, assert_no_exception

pytestmark = pytest.mark.browser

SENTENCE = "i lovd it, the servise was terible!"
NEAREST = {"lovd": "loved", "servise": "service", "terible": "terrible"}


@pytest.mark.parametrize(("width", "height"), [(1280, 800), (1024, 768)])
def test_unknown_words_get_suggestions_and_the_list_is_searchable(
    explore_page, server, tmp_path, width, height
):
    page = explore_page
    page.set_viewport_size({"width": width, "height": height})
    page.goto(f"{server}/explore?task=sentiment&sentence={SENTENCE.replace(' ', '+')}")
    page.wait_for_selector(f"{DRAWN}, {EXCEPTION}")
    assert_no_exception(page)
    lines = page.locator(".rnnx-vocab-line").all_inner_texts()
    assert len(lines) == len(NEAREST), lines
    for line, (typed, known) in zip(lines, NEAREST.items(), strict=True):
        assert line.startswith(typed), line
        nearest = [s.split()[0] for s in line.split("nearest known:")[1].split(", ")]
        assert known in nearest and "(1 edit)" in line, line
    page.locator(".rnnx-vocab-unknowns").scroll_into_view_if_needed()
    page.screenshot(path=tmp_path / f"vocabulary_unknown_{width}x{height}.png")

    page.get_by_text("See the vocabulary").click()
    page.locator(".rnnx-vocab-table").wait_for()
    assert page.locator(".rnnx-vocab-row").count() > 150  # every word of the grammar
    search = page.get_by_role("textbox", name="Search the vocabulary")
    search.evaluate("e => e.scrollIntoView({block: 'start'})")
    page.screenshot(path=tmp_path / f"vocabulary_list_{width}x{height}.png")
    search.fill("lov")
    search.press("Enter")
    page.locator(".rnnx-vocab-caption", has_text="contain “lov”").wait_for()
    rows = page.locator(".rnnx-vocab-table .rnnx-vocab-row")
    words = [r.split()[0] for r in rows.all_inner_texts()]
    assert "loved" in words and "love" in words and all("lov" in w for w in words), words
    assert_no_exception(page)
    search.scroll_into_view_if_needed()
    page.screenshot(path=tmp_path / f"vocabulary_search_{width}x{height}.png")

    page.get_by_text("terible → terrible", exact=True).click()
    box = page.get_by_role("textbox", name="Sentence", exact=True)
    page.wait_for_function(
        "() => document.querySelector('input[aria-label=\"Sentence\"]').value"
        " === 'i lovd it, the servise was terrible!'"
    )
    assert box.input_value() == "i lovd it, the servise was terrible!"
    page.locator(".rnnx-vocab-line").nth(1).wait_for()
    page.wait_for_function("() => document.querySelectorAll('.rnnx-vocab-line').length === 2")
    assert_no_exception(page)
    page.locator(".rnnx-vocab-unknowns").scroll_into_view_if_needed()
    page.screenshot(path=tmp_path / f"vocabulary_replaced_{width}x{height}.png")
