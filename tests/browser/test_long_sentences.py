"""Long sentences read (issue 18): on Explore at 1280×800, a 200-word sentence and a
100-character text label every column the heatmap shows, side by side without overlap,
characters upright; a drag sideways brings the next tokens, and the hover still names the
token under the pointer. Screenshots go to pytest's temporary folder."""

from __future__ import annotations

import itertools
import random
from urllib.parse import quote_plus

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

WORDS = ["the", "film", "was", "not", "bad", "and", "actors", "were", "good", "but", "story"]
WORDS += ["felt", "long", "slow", "at", "times", "yet", "i", "still", "liked", "it", "a", "lot"]
SENTENCE = " ".join(random.Random(18).choices(WORDS, k=200))  # no run of words repeats
TEXT = (
    "O Romeo, Romeo! wherefore art thou Romeo?\nDeny thy father and refuse thy name;\n"
    "Or, if thou wilt not, be but"
)[:100]
SHOWN = {" ": "␣", "\n": "↵"}

# Each drawn x tick label of a chart: its text, its box on screen and whether it is turned.
JS_TICKS = """
(chart) => Array.from(chart.querySelectorAll('.xtick text')).map(t => {
    const r = t.getBoundingClientRect();
    const turn = /rotate\\((-?[0-9.]+)/.exec(t.getAttribute('transform') || '');
    return {text: t.textContent, left: r.left, right: r.right, top: r.top, bottom: r.bottom,
            angle: turn ? Number(turn[1]) : 0};
})
"""
JS_HOVER = "() => document.querySelector('.hoverlayer')?.textContent ?? ''"


def open_long(page, server, query: str) -> None:
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{server}/explore?{query}")
    page.wait_for_selector(f"{DRAWN}, {EXCEPTION}", timeout=90_000)
    assert_no_exception(page)
    wait_until_settled(page)


def drawn_ticks(chart) -> list[dict]:
    """The chart's drawn tick labels, left to right, that lie in its plot area."""
    ticks = chart.evaluate(JS_TICKS)
    return sorted((t for t in ticks if t["right"] > t["left"]), key=lambda t: t["left"])


def check_run(ticks: list[dict], tokens: list[str], first: int) -> None:
    """The labels are tokens[first:first + n], in order, and no two overlap."""
    assert [t["text"] for t in ticks] == tokens[first : first + len(ticks)]
    for a, b in itertools.pairwise(ticks):
        assert a["right"] <= b["left"] + 0.5, (a, b)  # side by side, never on top


def first_index(ticks: list[dict], tokens: list[str]) -> int:
    n = len(ticks)
    texts = [t["text"] for t in ticks]
    starts = [i for i in range(len(tokens) - n + 1) if tokens[i : i + n] == texts]
    assert len(starts) == 1, (texts, starts)
    return starts[0]


def pan_left(page, chart) -> None:
    """Drag the plot area 60 % of its width to the left: later tokens come into view."""
    chart.scroll_into_view_if_needed()  # the mouse reaches only what is on screen
    page.wait_for_timeout(300)
    box = chart.locator(".nsewdrag").first.bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] * 0.8, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.2, y, steps=12)
    page.mouse.up()
    page.wait_for_timeout(800)


def test_a_200_word_sentence_labels_every_column_and_pans(explore_page, server, tmp_path):
    page = explore_page
    open_long(page, server, "sentence=" + quote_plus(SENTENCE))
    tokens = SENTENCE.split()
    heatmap = page.locator(CHART).first
    heatmap.scroll_into_view_if_needed()
    ticks = drawn_ticks(heatmap)
    assert len(ticks) >= 12, ticks  # a 460-px column shows a readable window
    check_run(ticks, tokens, 0)
    assert all(abs(t["angle"]) in (0, 90) for t in ticks)
    save_screenshot(page, tmp_path / "explore_200_words.png")

    pan_left(page, heatmap)
    moved = drawn_ticks(heatmap)
    start = first_index(moved, tokens)
    assert start > 0, [t["text"] for t in moved]
    check_run(moved, tokens, start)
    # the hover names the token under the pointer (the token axis' contract)
    second = moved[1]
    box = heatmap.locator(".nsewdrag").first.bounding_box()
    page.mouse.move((second["left"] + second["right"]) / 2, box["y"] + 10)
    page.wait_for_timeout(600)
    hover = page.evaluate(JS_HOVER)
    assert f"token '{second['text']}'" in hover, (hover, second["text"])
    page.screenshot(path=tmp_path / "explore_200_words_panned.png")


def test_a_100_character_text_stands_upright_with_visible_spaces(explore_page, server, tmp_path):
    page = explore_page
    open_long(page, server, "task=chars&sentence=" + quote_plus(TEXT))
    tokens = [SHOWN.get(ch, ch) for ch in TEXT]
    for index in range(2):  # the heatmap and the top-5 guesses, both full width
        chart = page.locator(CHART).nth(index)
        chart.scroll_into_view_if_needed()
        ticks = drawn_ticks(chart)
        assert len(ticks) >= 30, ticks
        check_run(ticks, tokens, 0)
        assert all(t["angle"] == 0 for t in ticks), ticks  # upright
        assert "␣" in [t["text"] for t in ticks]
    save_screenshot(page, tmp_path / "explore_100_chars.png")
