"""The Train page in a real Chromium: live charts redraw while training, Pause stops the
steps, a forced divergence offers one-click fixes, nothing leaves 127.0.0.1 (the page
fixture checks every request). Redraw counts and timings are printed; the screenshot goes
to pytest's temporary folder."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from benchmarks.browser import button_name
from tests.browser.server import MAX_PNG, assert_no_exception, save_screenshot, train_state

pytestmark = pytest.mark.browser

START = "▶ Start"
PAUSE = "⏸ Pause"
RESUME = "▶ Resume"


@pytest.fixture
def train_page(explore_page):
    """The conftest's page (fresh context, off-site requests checked at teardown)."""
    return explore_page


def open_train(page, base: str, query: str) -> None:
    """Open /train?<query> and wait for the Start button (a cold server loads the task and
    its default model first)."""
    page.goto(f"{base}/train?{query}")
    page.get_by_role("button", name=button_name(START)).wait_for(timeout=120_000)
    assert_no_exception(page)


def button(page, name: str):
    return page.get_by_role("button", name=button_name(name))


def test_live_charts_update_and_pause_stops(train_page, server, tmp_path):
    page = train_page
    open_train(page, server, "task=sentiment&steps=20000")
    clicked = time.perf_counter()
    button(page, START).click()

    # the first draw may wait for plotly.js (4.7 MB, lazy): the 10 s start when Loss is drawn
    deadline = clicked + 60
    state = train_state(page)
    while state["chart"] is None and time.perf_counter() < deadline:
        page.wait_for_timeout(100)
        state = train_state(page)
    assert state["chart"] is not None, f"no Loss chart 60 s after Start: {state}"
    first_draw = time.perf_counter() - clicked

    t0 = time.perf_counter()
    chart_changes, step_changes = 0, 0
    last_chart, last_step, first_step = state["chart"], state["step"], state["step"]
    while time.perf_counter() - t0 < 10 and chart_changes < 6:
        page.wait_for_timeout(100)
        state = train_state(page)
        if state["chart"] is not None and state["chart"] != last_chart:
            chart_changes, last_chart = chart_changes + 1, state["chart"]
        if state["step"] is not None and state["step"] != last_step:
            step_changes, last_step = step_changes + 1, state["step"]
    seconds = time.perf_counter() - t0
    print(
        f"\nStart → first Loss chart {first_draw:.1f} s; then in {seconds:.1f} s: "
        f"{chart_changes} Loss redraws, {step_changes} progress changes, "
        f"step {first_step} → {last_step}"
    )
    assert chart_changes >= 3, f"the Loss chart changed {chart_changes}× in {seconds:.1f} s"
    assert last_step is not None and first_step is not None and last_step > first_step
    assert_no_exception(page)

    button(page, PAUSE).click()
    button(page, RESUME).wait_for(timeout=30_000)
    button(page, PAUSE).wait_for(state="detached", timeout=10_000)  # stale copies go too
    page.wait_for_timeout(1500)
    before = train_state(page)["step"]
    page.wait_for_timeout(1000)
    after = train_state(page)["step"]
    assert before is not None and before > 0, train_state(page)
    assert before == after, f"paused, yet the step moved from {before} to {after}"
    assert_no_exception(page)

    shot = tmp_path / "train.png"  # never docs/ (benchmarks.screenshots remakes those)
    save_screenshot(page, shot)
    size = shot.stat().st_size
    print(f"screenshot: {shot} ({size / 1e3:.0f} kB), paused at step {before:,}")
    assert size < MAX_PNG, size
    assert_no_exception(page)


def test_forced_divergence_offers_fixes(train_page, server):
    page = train_page
    open_train(page, server, "task=adding&lr=100&clip=none&optimizer=sgd")
    button(page, START).click()
    page.get_by_text("Training diverged").first.wait_for(timeout=30_000)
    fixes = page.locator(
        '[class*="st-key-fix_"] button'
    )  # the one-click fixes (ui.views.diagnosis)
    labels = fixes.all_inner_texts()
    print(f"\ndiverged; fixes offered: {labels}")
    assert len(labels) >= 1, page.inner_text("body")[:2000]
    assert_no_exception(page)


def test_the_export_bundle_downloads_and_works_offline(train_page, server, tmp_path):
    """Click "Prepare all (.zip)", then "Everything (.zip)" in the browser: the zip
    holds the model, the metrics, the config and the charts as offline HTML that would load
    nothing from the network."""
    import io
    import zipfile

    from ui.views.bundle import external_urls

    page = train_page
    open_train(page, server, "task=sentiment-tiny")
    for _ in range(3):
        button(page, "Step").click()
        page.wait_for_timeout(700)
    page.get_by_role("button", name="Prepare all (.zip)").click()
    with page.expect_download(timeout=60_000) as download:
        page.get_by_role("button", name="Everything (.zip)", exact=True).click()
    path = tmp_path / "bundle.zip"
    download.value.save_as(path)
    with zipfile.ZipFile(io.BytesIO(path.read_bytes())) as z:
        names = z.namelist()
        assert {"model.npz", "metrics.csv", "config.json"} <= set(names)
        charts = [n for n in names if n.startswith("charts/") and n.endswith(".html")]
        assert len(charts) >= 4, names
        for name in charts:
            html = z.read(name).decode("utf-8")
            assert external_urls(html) == [], name
    assert_no_exception(page)


def airline_tweets(path) -> None:
    """A workshop file as it really comes: four columns (an id, its sentiment, the airline it
    names — values that repeat too — and the text), Windows-1252 with curly quotes and a
    stray 0x90."""
    import random

    rng = random.Random(0)
    moods = {
        "negative": ["awful", "late again", "lost my bag", "rude crew", "never again"],
        "positive": ["great crew", "lovely flight", "on time", "thank you", "“best” seats"],
    }
    airlines = ["united", "delta", "jetblue"]
    lines = ["tweet_id;airline_sentiment;carrier;text"]
    for i in range(240):
        mood, airline = rng.choice(sorted(moods)), rng.choice(airlines)
        words = [rng.choice(moods[mood]), f"@{airline}", rng.choice(["today", "café", "", "so"])]
        lines.append(f"{5000 + i};{mood};{airline};{' '.join(w for w in words if w)}")
    data = ("\r\n".join(lines) + "\r\n").encode("cp1252")
    path.write_bytes(data.replace(b"today", b"today \x90", 1))


JS_TRACE_NAMES = """() => [...document.querySelectorAll('.js-plotly-plot')]
    .map(el => (el.data || []).map(t => t.name))"""


def test_a_messy_csv_is_previewed_its_columns_changed_and_trained_against_the_baseline(
    train_page, server, tmp_path
):
    """Upload a four-column Windows-1252 file, see its first rows, move the label column from
    the sentiment to the airline and back, train, and read the bag-of-words line and words."""
    page = train_page
    page.set_viewport_size({"width": 1280, "height": 800})
    path = tmp_path / "tweets.csv"
    airline_tweets(path)
    open_train(page, server, "task=sentiment-tiny")
    page.get_by_text("Load a model or your own data").first.click()
    uploader = page.locator('[data-testid="stFileUploader"]').filter(has_text="own CSV")
    uploader.locator('input[type="file"]').set_input_files(str(path))
    page.get_by_text("240 rows, 4 columns").wait_for(timeout=60_000)
    table = page.locator('[data-testid="stTable"]')
    table.wait_for()
    assert page.get_by_text("read as Windows-1252").first.is_visible()
    assert "airline_sentiment → label" in table.inner_text()
    assert "text → text" in table.inner_text()
    assert_no_exception(page)

    label = page.get_by_role("combobox", name="Label column", exact=True)
    for pick in ("carrier", "airline_sentiment"):
        label.fill(pick)  # typing filters the options to this one
        page.wait_for_timeout(300)
        label.press("ArrowDown")  # highlights it (Enter alone leaves the typed text only)
        label.press("Enter")
        page.get_by_text(f"labels from '{pick}'").first.wait_for(timeout=60_000)
        expect(table).to_contain_text(f"{pick} → label", timeout=30_000)
        assert_no_exception(page)
    assert "ignored: 'tweet_id', 'carrier'" in page.inner_text("body")

    button(page, START).click()
    page.get_by_text("Finished").first.wait_for(timeout=120_000)
    deadline = time.perf_counter() + 30
    while time.perf_counter() < deadline:
        names = page.evaluate(JS_TRACE_NAMES)
        if any("bag of words (test)" in n for n in names):
            break
        page.wait_for_timeout(250)
    assert any("bag of words (test)" in n for n in names), names
    words = page.get_by_text("A bag of words — word and word-pair counts, no order").first
    assert words.is_visible()
    print(f"\nbaseline words: {words.inner_text()}")
    assert_no_exception(page)
    save_screenshot(page, tmp_path / "train-csv-baseline.png")
