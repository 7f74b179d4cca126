"""The Explore page in a real Chromium: charts draw, the URL follows the sentence, nothing
leaves 127.0.0.1, awkward input is handled. Timings are printed, never asserted; screenshots
go to pytest's temporary folder (``python -m benchmarks.screenshots`` remakes docs/*.png)."""

from __future__ import annotations

import time

import pytest

from tests.browser.server import (
    CHART,
    DRAWN,
    EXCEPTION,
    MAX_PNG,
    assert_no_exception,
    enter_sentence,
    offsite,
    save_screenshot,
    wait_for_ticks,
    wait_until_settled,
    x_ticks,
)

pytestmark = pytest.mark.browser

EXAMPLE = "this movie is not bad at all"  # the sentiment task's example sentence


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
    shot = tmp_path / "explore.png"  # never docs/ (benchmarks.screenshots remakes those)
    save_screenshot(page, shot)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert shot.stat().st_size <= MAX_PNG, shot.stat().st_size


def test_empty_sentence_shows_info(explore_page, server, timings):
    page = explore_page
    open_explore(page, server, "this is good", timings)
    enter_sentence(page, "")
    alert = page.locator('[data-testid="stAlert"]').filter(has_text="empty")
    alert.wait_for(timeout=30_000)
    assert_no_exception(page)
    assert "sentence=this" not in page.url


def test_an_empty_sentence_in_the_link_is_kept_and_explained(explore_page, server):
    """``/explore?sentence=`` (a shared link whose sentence was cleared) shows what typing an
    empty sentence shows: the box stays empty, one note says the sentence is empty and offers
    the task's example to try, and no chart is drawn. The page must not quietly read the
    example sentence instead: the reader would see an analysis of words nobody typed."""
    page = explore_page
    page.goto(f"{server}/explore?sentence=")
    box = page.get_by_label("Sentence", exact=True)
    box.wait_for(timeout=60_000)
    note = page.locator('[data-testid="stAlert"]').filter(has_text="The sentence is empty")
    # the note, or what would replace it (a chart, an exception), then the end of the run
    note.or_(page.locator(DRAWN)).or_(page.locator(EXCEPTION)).first.wait_for(timeout=60_000)
    page.wait_for_function(
        "() => document.querySelector('[data-testid=\"stApp\"]')"
        "?.getAttribute('data-test-script-state') === 'notRunning'"
    )
    assert_no_exception(page)
    assert box.input_value() == "", f"the link's empty sentence became {box.input_value()!r}"
    assert note.count() == 1
    assert page.locator('[data-testid="stCode"]').filter(has_text=EXAMPLE).count() == 1
    assert page.locator(CHART).count() == 0, "charts drawn for a sentence nobody typed"


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


# Every visible, current chart: its title, its x tick labels and a hash of its drawn data
# (the SVG of its traces: paths, bars, the heatmap's image), to tell a redraw from a stale copy.
JS_CHARTS = """
() => [...document.querySelectorAll('[data-testid="stPlotlyChart"]')]
    .filter(c => c.offsetParent !== null && c.closest('[data-stale="true"]') === null)
    .map(c => {
        const data = [...c.querySelectorAll('.cartesianlayer .overplot')].map(p => p.innerHTML)
            .join('|');
        let hash = 0;
        for (let i = 0; i < data.length; i++) hash = (hash * 31 + data.charCodeAt(i)) | 0;
        return {
            title: c.querySelector('.gtitle')?.textContent ?? '',
            x: [...c.querySelectorAll('.xtick text')].map(t => t.textContent),
            data: data.length ? `${data.length}:${hash}` : null,
        };
    })
"""


def charts(page) -> list[dict]:
    try:
        return page.evaluate(JS_CHARTS)
    except Exception:  # re-rendered under us
        return []


def redraw_problems(before: list[dict], now: list[dict], old: list[str], new: list[str]):
    """What still keeps ``now`` from being ``before`` redrawn for the sentence ``new``."""
    problems = []
    if sorted(c["title"] for c in now) != sorted(c["title"] for c in before):
        problems.append(f"charts {[c['title'] for c in now]}, were {[c['title'] for c in before]}")
    then = {c["title"]: c for c in before}
    for chart in now:
        was = then.get(chart["title"])
        if was is None:
            continue
        if was["x"] == old and chart["x"] != new:  # a chart along the tokens
            problems.append(f"{chart['title']!r} reads {chart['x']}, not {new}")
        if chart["data"] is None or chart["data"] == was["data"]:
            problems.append(f"{chart['title']!r} was not redrawn")
    return problems


def test_typing_a_sentence_redraws_every_chart(explore_page, server, timings):
    """Typing a new sentence and pressing Enter reruns the page: the same charts come back,
    each one redrawn (its data differ), and every chart along the tokens (heatmap,
    prediction, saliency) reads the new tokens, none the old. A rerun that hangs or leaves a
    chart behind fails after 60 s. Timings are recorded for the summary, never asserted."""
    page = explore_page
    old, new = ["this", "is", "not", "bad"], ["the", "movie", "was", "great"]
    timings["load_to_heatmap"] = open_explore(page, server, " ".join(old), timings)
    wait_for_ticks(page, old)
    wait_until_settled(page)
    before = charts(page)
    along_tokens = [c["title"] for c in before if c["x"] == old]
    assert len(before) >= 3 and len(along_tokens) >= 2, before  # heatmap, prediction, …
    assert all(c["data"] for c in before), before

    t0 = time.perf_counter()
    enter_sentence(page, " ".join(new))
    deadline = t0 + 60
    problems = ["not looked at yet"]
    while problems and time.perf_counter() < deadline:
        page.wait_for_timeout(100)
        problems = redraw_problems(before, charts(page), old, new)
    timings["type_to_all_redrawn"] = time.perf_counter() - t0
    assert not problems, "60 s after Enter:\n" + "\n".join(problems)
    assert_no_exception(page)


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
