"""The gradient lab in a real Chromium: an experiment link runs it live, its charts draw, and
a screenshot is taken when it ends (into pytest's temporary folder; the README's
docs/gradients.png is remade by ``python -m benchmarks.screenshots``)."""

from __future__ import annotations

import pytest

from tests.browser.server import DRAWN, assert_no_exception, save_screenshot

pytestmark = pytest.mark.browser

JS_TITLES = "() => [...document.querySelectorAll('.gtitle')].map(e => e.textContent)"
JS_ALL_DONE = (
    "() => ((document.querySelector('[data-testid=\"stProgress\"]') || {}).innerText || '')"
    ".match(/500\\/500/g)?.length === 3"
)


# every distinct text of the first progress bar, from the page's first frame on: the three
# runs train 500 steps each in a few seconds, so a test that looks twice after the charts
# have drawn may find them done (a loaded CI machine did) and prove nothing
RECORD_PROGRESS = """
window.__progress = [];
setInterval(() => {
  const bar = document.querySelector('[data-testid="stProgress"]');
  const text = bar ? bar.innerText : null;
  if (text && window.__progress[window.__progress.length - 1] !== text) {
    window.__progress.push(text);
  }
}, 25);
"""


def test_gates_help_runs_live_from_a_link(explore_page, server, tmp_path):
    page = explore_page
    page.add_init_script(RECORD_PROGRESS)
    page.goto(f"{server}/gradients?experiment=gates")
    page.wait_for_selector(DRAWN, timeout=120_000)
    page.get_by_text("What to notice").first.wait_for(timeout=30_000)
    page.wait_for_function(JS_ALL_DONE, timeout=240_000)
    seen = page.evaluate("() => window.__progress")
    # it trains live: the bar showed the runs part-way, then moved on to the end
    assert "500/500" not in seen[0], seen
    assert len(seen) >= 3, seen
    titles = page.evaluate(JS_TITLES)
    for part in ("Gradient norm", "over training", "Eigenvalues", "cliff"):
        assert any(part in t for t in titles), (part, titles)
    assert_no_exception(page)
    save_screenshot(page, tmp_path / "gradients.png")


JS_LEGENDS = "() => [...document.querySelectorAll('.legendtext')].map(e => e.textContent)"


def section_fit(page) -> str:
    """The legend of section 1's fitted line ("fit: ×0.46 per step back"): only that chart
    has one."""
    for _ in range(100):  # while a rerun replaces the chart, the old one may still be there
        fits = [t for t in page.evaluate(JS_LEGENDS) if t.startswith("fit:")]
        if len(fits) == 1:
            break
        page.wait_for_timeout(100)
    (fit,) = fits
    return fit


def test_the_run_to_inspect_redraws_the_sections_below(explore_page, server):
    """Issue 13, item 5: with the runs finished, picking GRU or LSTM left sections 1 and 2 on
    the RNN (the selector lived in a fragment, so only the fragment reran). Every pick must
    redraw them: section 1's fit, the eigenvalue plane's gate blocks, section 2's text."""
    page = explore_page
    page.goto(f"{server}/gradients?experiment=gates")
    page.wait_for_function(JS_ALL_DONE, timeout=240_000)
    # then the whole page reruns: the views below measure the finished models
    page.get_by_text("they refresh when the experiment ends").wait_for(state="detached")
    page.get_by_text("σ_max(W_hh) =").first.wait_for()
    rnn_fit = section_fit(page)
    assert rnn_fit.startswith("fit: ×0.")  # the RNN's gradient vanishes
    picker = page.locator('.st-key-inspect [data-testid="stButtonGroup"]')  # not the sidebar's
    for name, gate in (("LSTM", "forget f"), ("GRU", "update z")):
        picker.get_by_text(name, exact=True).click()
        page.wait_for_function(
            f"() => [...document.querySelectorAll('.legendtext')]"
            f".some(e => e.textContent.startsWith({gate!r}))",
            timeout=60_000,
        )
        page.get_by_text("Gated cells have no such simple bound").first.wait_for()
        assert section_fit(page) != rnn_fit, name
        assert f"inspect={name}" in page.url  # the pick is in the link
    picker.get_by_text("tanh RNN", exact=True).click()
    page.get_by_text("σ_max(W_hh) =").first.wait_for(timeout=60_000)
    page.wait_for_function(
        "(fit) => [...document.querySelectorAll('.legendtext')].some(e => e.textContent === fit)",
        arg=rnn_fit,
        timeout=60_000,
    )
    assert_no_exception(page)


def test_a_prediction_is_judged_when_the_experiment_ends(explore_page, server, tmp_path):
    """Predict, then run: "explode" picked above the Exploding button, the button pressed;
    when the run has blown up the page says the prediction was right, with its check mark,
    and names a chart that is on the page. The screenshot is left in pytest's temporary
    folder."""
    page = explore_page
    page.goto(f"{server}/gradients")
    page.wait_for_selector(DRAWN, timeout=120_000)
    page.locator(".st-key-predict_exploding").get_by_text("explode", exact=True).click()
    page.wait_for_timeout(500)  # the choice reaches the server before the click
    page.get_by_role("button", name="Exploding", exact=True).click()
    judged = page.locator('[data-testid="stAlertContentSuccess"]').first
    judged.wait_for(timeout=120_000)
    said = judged.locator('[data-testid="stMarkdownContainer"]').inner_text()
    assert said.startswith("Right. You predicted explode"), said
    icon = judged.locator('[data-testid="stAlertDynamicIcon"]')  # hidden from screen readers
    assert icon.inner_text() == "check_circle" and icon.get_attribute("aria-hidden") == "true"
    chart = said.rpartition("See the chart “")[2].rstrip("”.")
    page.wait_for_function(
        "(t) => [...document.querySelectorAll('.gtitle')].some(e => e.textContent === t)",
        arg=chart,
        timeout=60_000,
    )
    assert_no_exception(page)
    save_screenshot(page, tmp_path / "gradients_predicted.png")
