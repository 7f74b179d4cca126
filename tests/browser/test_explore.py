"""The Explore page in a real Chromium: charts draw, the URL follows the sentence, nothing
leaves 127.0.0.1, awkward input is handled. Timings are printed, never asserted."""

from __future__ import annotations

import math
import shutil
import time
from pathlib import Path

import pytest

from tests.browser.server import (
    DRAWN,
    EXCEPTION,
    ROOT,
    assert_no_exception,
    enter_sentence,
    offsite,
    wait_for_ticks,
    wait_until_settled,
    x_ticks,
)

pytestmark = pytest.mark.browser

SCREENSHOT = ROOT / "docs" / "explore.png"
MAX_PNG = 600_000  # bytes


def open_explore(page, base: str, sentence: str | None, timings: dict | None = None) -> float:
    """Open /explore (with ``?sentence=``) and wait for the first chart; returns seconds."""
    query = "" if sentence is None else "?sentence=" + sentence.replace(" ", "+")
    t0 = time.perf_counter()
    page.goto(f"{base}/explore{query}")
    page.wait_for_selector(f"{DRAWN}, {EXCEPTION}", timeout=60_000)
    seconds = time.perf_counter() - t0
    assert_no_exception(page)
    if timings is not None:
        # the session's first load is cold: the server trains the default model first
        timings.setdefault("first_load_cold", seconds)
    return seconds


def type_and_wait(page, sentence: str, expect: list[str]) -> float:
    """Type a sentence, press Enter, wait for the heatmap's ticks to show ``expect``."""
    t0 = time.perf_counter()
    enter_sentence(page, sentence)
    wait_for_ticks(page, expect, timeout=60)
    return time.perf_counter() - t0


def save_screenshot(page, path: Path) -> None:
    """The whole page as a PNG, shrunk (Pillow) or cut to the viewport if it is too big.

    Streamlit scrolls inside ``stMain``, not the document, so ``full_page=True`` alone would
    only capture the viewport: grow the viewport to the content's height first."""
    path.parent.mkdir(parents=True, exist_ok=True)
    viewport = page.viewport_size
    height = page.evaluate(
        "() => Math.max(document.documentElement.scrollHeight,"
        " document.querySelector('[data-testid=\"stMain\"]')?.scrollHeight ?? 0)"
    )
    page.set_viewport_size({"width": viewport["width"], "height": min(int(height), 8000)})
    try:
        wait_until_settled(page)
        page.screenshot(path=path, full_page=True)
    finally:
        page.set_viewport_size(viewport)
    if path.stat().st_size <= MAX_PNG:
        return
    try:
        from PIL import Image
    except ImportError:
        page.screenshot(path=path, full_page=False)
        return
    with Image.open(path) as im:
        for scale in (1.0, 0.75, 0.6, 0.5):
            size = (round(im.width * scale), round(im.height * scale))
            small = im.convert("RGB").resize(size, Image.LANCZOS).quantize(256)
            small.save(path, optimize=True)
            if path.stat().st_size <= MAX_PNG:
                return
    page.screenshot(path=path, full_page=False)


def test_offsite_checker_flags_foreign_hosts():
    urls = [
        "http://127.0.0.1:8501/explore",
        "http://127.0.0.1:8501/static/js/plotly.min.js",
        "data:image/png;base64,AAAA",
        "blob:http://127.0.0.1:8501/1234",
        "about:blank",
        "https://example.com/x",
        "http://localhost:8501/",
        "https://fonts.gstatic.com/s/material.woff2",
    ]
    assert offsite(urls) == [
        "https://example.com/x",
        "http://localhost:8501/",
        "https://fonts.gstatic.com/s/material.woff2",
    ]


def test_explore_url_runs_the_router(explore_page, server):
    """/explore must go through app.py's st.navigation (title, wide layout, one page).

    With a folder named ``pages/`` beside app.py, Streamlit starts in its old (v1) multipage
    mode and only leaves it once app.py itself runs: until someone opens "/", /explore runs
    pages/explore.py alone, without set_page_config or configure_process."""
    page = explore_page
    open_explore(page, server, "this is not bad")
    nav = page.locator('[data-testid="stSidebarNav"] a').all_inner_texts()
    assert "app" not in nav, f"Streamlit is in pages/-folder (v1) mode: sidebar lists {nav}"
    assert page.title() == "RNN Explorer", page.title()
    # the default page of st.navigation is served at "/": /explore must still be a valid URL
    page.wait_for_timeout(500)
    assert page.get_by_text("Page not found").count() == 0, f"/explore is not found: {page.url}"


def test_sentence_from_url_then_typed(explore_page, server, timings, tmp_path):
    page = explore_page
    open_explore(page, server, "this is not bad", timings)
    wait_for_ticks(page, ["this", "is", "not", "bad"], timeout=30)
    assert_no_exception(page)

    timings["type_to_heatmap"] = type_and_wait(page, "the food was good", ["food", "good"])
    assert "not" not in x_ticks(page)
    url = page.url
    assert "sentence=the+food+was+good" in url or "sentence=the%20food%20was%20good" in url, url
    assert_no_exception(page)

    wait_until_settled(page)
    save_screenshot(page, SCREENSHOT)
    shutil.copy(SCREENSHOT, tmp_path / "explore.png")
    print(f"\nscreenshot: {SCREENSHOT} ({SCREENSHOT.stat().st_size / 1e3:.0f} kB)")


def test_empty_sentence_shows_info(explore_page, server, timings):
    page = explore_page
    open_explore(page, server, "this is good", timings)
    enter_sentence(page, "")
    alert = page.locator('[data-testid="stAlert"]').filter(has_text="empty")
    alert.wait_for(timeout=30_000)
    assert_no_exception(page)
    assert "sentence=this" not in page.url


def test_empty_sentence_from_url(explore_page, server):
    page = explore_page
    page.goto(f"{server}/explore?sentence=")
    page.get_by_label("Sentence", exact=True).wait_for(timeout=60_000)
    page.wait_for_function(
        "() => document.querySelector('[data-testid=\"stApp\"]')"
        "?.getAttribute('data-test-script-state') === 'notRunning'"
    )
    assert_no_exception(page)
    value = page.get_by_label("Sentence", exact=True).input_value()
    if not value.strip():  # the app kept the empty sentence: it must say so
        assert page.locator('[data-testid="stAlert"]').filter(has_text="empty").count() == 1
    else:  # it fell back to the example: then the heatmap draws
        page.wait_for_selector(DRAWN)


def test_script_tag_is_escaped(explore_page, server):
    page = explore_page
    open_explore(page, server, "this is good")
    evil = "<script>window.__pwned=1</script> <b>bold</b> 😀"
    enter_sentence(page, evil)
    page.get_by_text("<script>", exact=False).first.wait_for(timeout=30_000)
    wait_until_settled(page)
    assert page.evaluate("window.__pwned") is None
    body = page.inner_text("body")
    assert "<script>" in body
    assert page.locator("b", has_text="bold").count() == 0  # the <b> tag is text, not markup
    assert_no_exception(page)


def test_timings(explore_page, server, timings):
    """First load → first heatmap and typing → heatmap updated, printed (never asserted)."""
    page = explore_page
    timings["load_to_heatmap"] = open_explore(page, server, "this is not bad", timings)
    wait_for_ticks(page, ["not", "bad"])
    timings["type_to_heatmap_2"] = type_and_wait(page, "the movie was great", ["movie", "great"])
    for key in ("first_load_cold", "load_to_heatmap", "type_to_heatmap_2"):
        assert math.isfinite(timings[key]) and timings[key] > 0, (key, timings)
    print(
        "\ntimings: "
        f"first load → heatmap (cold) {timings['first_load_cold']:.2f} s, "
        f"load → heatmap (warm) {timings['load_to_heatmap']:.2f} s, "
        f"typing → heatmap {timings['type_to_heatmap_2']:.2f} s"
    )


def test_gate_views_draw_on_demand_and_go_in_the_link(explore_page, server):
    """Gate heatmaps are drawn when picked under "Show"; the pick is in the URL (state=…)."""
    page = explore_page
    open_explore(page, server, "this is not bad")
    title = "() => [...document.querySelectorAll('.gtitle')].map(e => e.textContent)"
    assert not any("update gate" in t for t in page.evaluate(title))
    page.get_by_role("radio", name="update", exact=True).click()
    page.wait_for_function(
        "() => [...document.querySelectorAll('.gtitle')]"
        ".some(e => e.textContent.includes('update gate'))",
        timeout=30_000,
    )
    assert_no_exception(page)
    page.wait_for_function("() => location.search.includes('state=update')", timeout=10_000)


def test_the_default_sentence_survives_the_sidebar(explore_page, server):
    """Issue 13 #1: /explore → Learn → Explore by the sidebar keeps the untouched default
    sentence (Learn used to say the sentence is empty, and Explore came back empty)."""
    page = explore_page
    default = "this movie is not bad at all"
    open_explore(page, server, None)
    assert page.get_by_label("Sentence", exact=True).input_value() == default
    page.locator('[data-testid="stSidebarNav"] a', has_text="Learn").click()
    page.get_by_text("3 · Backward").wait_for(timeout=60_000)
    assert page.get_by_label("Sentence", exact=True).input_value() == default
    assert page.locator('[data-testid="stAlert"]').filter(has_text="empty").count() == 0
    page.locator('[data-testid="stSidebarNav"] a', has_text="Explore").click()
    wait_for_ticks(page, ["movie", "not", "all"], timeout=60)
    assert page.get_by_label("Sentence", exact=True).input_value() == default
    assert_no_exception(page)
