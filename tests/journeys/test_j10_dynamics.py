"""Journey 10: a learner takes their own sentence to the Dynamics lab (issue 20).

On Explore (sentiment, the default GRU) they type a sentence and follow the state map's link to
the Dynamics lab (the same session); there section 1 draws THAT sentence's path on the state
map with the fixed and slow points found and their eigenvalues beside the unit circle; a
constant input token goes into the link and changes the verdict. They train an LSTM for a few
steps on Train and come back: the sidebar says "trained here" and section 1 measures the new
model (an LSTM's state is (h, c): twice the eigenvalues per point; another verdict). A reload
of the page keeps the link's controls and the sentence (the page's link carries it) — but
starts a new session, so the trained model is gone and the default is back (a known open
problem: this journey asserts what is true today; flip that assert when it is solved). On
chars, section 3 draws the gates experiment's memory chart (its three models train once per
server), and after a chars sentence typed on Explore section 2 splits its gradient into one bar
per step."""

from __future__ import annotations

import re

import pytest

from tests.journeys.conftest import (
    RESET,
    arrive,
    button,
    choose,
    nav,
    no_exception,
    section_text,
    settle,
    sidebar_origin,
    sidebar_steps,
    sidebar_text,
    train_to_end,
    type_into,
    wait_progress,
)
from ui.views.explore_text import short

SENTENCE = "the film was not good"
TOKEN = "good"
CHARS = "to be or not to be"  # 18 characters, each a token
BUDGET = 30  # steps: a few seconds of LSTM training on sentiment
POINTS = "1 · Fixed and slow points"
RNNBOW = "2 · Where the gradient comes from"
MEMORY = "3 · How far back it remembers"
FOUND = re.compile(r"the search found (.+?)\.(?:\s|$)")
EIGEN_COUNT = re.compile(r"(\d+) eigenvalues at (?:each of )?")
JS_CHART_TEXT = """
(sel) => [...document.querySelectorAll(sel)]
    .filter((e) => e.getAttribute('data-stale') !== 'true')
    .map((e) => [...e.querySelectorAll('.gtitle, .legendtext')].map((t) => t.textContent))
"""
JS_BARS = """
(part) => {
    const chart = [...document.querySelectorAll('[data-testid="stPlotlyChart"]')]
        .find((c) => (c.querySelector('.gtitle')?.textContent ?? '').includes(part));
    return chart ? chart.querySelectorAll('.barlayer .trace.bars').length : -1;
}
"""


@pytest.fixture
def tab(open_page):
    return open_page()


def chart_texts(page, key: str) -> list[str]:
    """The title and legend entries of the chart drawn with ``key`` (SVG text)."""
    found = page.evaluate(JS_CHART_TEXT, f".st-key-{key}")
    assert found, f"no chart {key!r} on {page.url}"
    return found[0]


def titles(page) -> list[str]:
    return page.locator(".gtitle").evaluate_all("els => els.map(e => e.textContent.trim())")


def points_verdict(page) -> dict:
    """Section 1's verdict: its text, how many fixed and slow points it counts, the
    eigenvalues per point its summary names and the constant input in the map's caption."""
    text = section_text(page, POINTS, RNNBOW)
    found = FOUND.search(text)
    assert found, f"no verdict in section 1:\n{text[:1500]}"
    what = found.group(1)
    fixed = re.search(r"(\d+) fixed points?", what)
    slow = re.search(r"(\d+) slow points?", what)
    eigen = EIGEN_COUNT.search(text)
    constant = re.search(r"Constant input here: (.+?)\.\n", text)
    return {
        "text": text[found.start() : text.find("\n", found.start())],
        "fixed": int(fixed.group(1)) if fixed else 0,
        "slow": int(slow.group(1)) if slow else 0,
        "eigen": int(eigen.group(1)) if eigen else None,
        "input": constant.group(1) if constant else None,
    }


def pick_input(page, token: str) -> None:
    """Choose ``token`` in section 1's "constant input" select box."""
    page.locator(".st-key-fp_input").click()
    page.keyboard.type(token)  # the list filters fuzzily ("bland" for "bad"): click the option
    page.get_by_role("option", name=token, exact=True).click()


def test_a_learners_sentence_through_the_dynamics_lab(tab, journey_server, shoot, note):
    page = tab
    base = journey_server.url

    # 1 · Explore: the learner's own sentence, then the Dynamics lab measures the default GRU
    page.goto(f"{base}/explore?task=sentiment")
    arrive(page, "Explore")
    type_into(page, "Sentence", SENTENCE)
    settle(page)
    no_exception(page, "Explore with the learner's sentence")
    assert sidebar_origin(page) == "default", sidebar_origin(page)
    shoot(page, "1-explore-sentence")

    # Explore's state map links to the same map with its fixed points: same session
    link = page.get_by_role("link", name=re.compile("Where does the state stand still"))
    link.scroll_into_view_if_needed()
    link.click()
    arrive(page, "Dynamics lab", timeout=240)  # the first visit trains the gates trio too
    # the same session: the sentence came along (the default task is left out of the link)
    assert "/dynamics?" in page.url and "sentence=the+film+was+not+good" in page.url, page.url
    assert "GRU · 32 units" in sidebar_text(page), sidebar_text(page)
    map_text = chart_texts(page, "fp_map")
    assert "Fixed and slow points on the state map" in map_text, map_text
    assert SENTENCE in map_text, f"the map does not draw the Explore sentence: {map_text}"
    eigen_text = chart_texts(page, "fp_eigen_chart")
    assert any(t.startswith("Eigenvalues at") for t in eigen_text), eigen_text
    assert "unit circle |λ| = 1" in eigen_text, eigen_text
    gru = points_verdict(page)
    note(f"default GRU, no input: {gru['text']}")
    assert gru["fixed"] + gru["slow"] >= 1, gru["text"]
    assert gru["fixed"] >= 1, f"no fixed point on the default GRU: {gru['text']}"
    assert gru["eigen"] == 32, gru  # the GRU's 32 units: 32 eigenvalues per point
    assert gru["input"] == "no input (a zero input vector)", gru
    page.locator(".st-key-fp_map").scroll_into_view_if_needed()
    shoot(page, "2-dynamics-default-gru")

    pick_input(page, TOKEN)
    page.get_by_text(f"reading “{TOKEN}” again and again").first.wait_for(timeout=60_000)
    settle(page)
    no_exception(page, f"Dynamics lab, input {TOKEN}")
    assert f"fp_input={TOKEN}" in page.url, page.url
    gru_token = points_verdict(page)
    note(f"default GRU, input {TOKEN!r}: {gru_token['text']}")
    assert gru_token["input"] == f"the token “{TOKEN}”", gru_token
    assert gru_token["text"] != gru["text"], "the verdict did not change with the input"
    shoot(page, "3-dynamics-token")

    # 2 · Train an LSTM for a few steps; the Dynamics lab measures the new model
    nav(page, "Train")
    arrive(page, "Train")
    page.get_by_role("radiogroup", name="Cell", exact=True).get_by_role(
        "radio", name="lstm", exact=True
    ).click()
    settle(page)
    page.get_by_text("Changed: cell").first.wait_for(timeout=10_000)
    button(page, RESET).click()  # the cell changes the model itself: a new run
    wait_progress(page, lambda s: s["step"] in (None, 0), "a fresh run after Reset", 30)
    settle(page)
    budget = page.get_by_label("Step budget", exact=True)
    budget.fill(str(BUDGET))
    budget.press("Enter")
    page.wait_for_timeout(300)
    arrive(page, "Train")
    steps = train_to_end(page)
    assert steps == BUDGET, f"finished at step {steps}, the budget was {BUDGET}"
    shoot(page, "4-train-lstm")

    nav(page, "Dynamics lab")
    arrive(page, "Dynamics lab")
    assert sidebar_origin(page) == "trained here", sidebar_origin(page)
    assert sidebar_steps(page) == BUDGET, sidebar_steps(page)
    assert "LSTM · 32 units" in sidebar_text(page), sidebar_text(page)
    lstm = points_verdict(page)
    note(f"trained LSTM ({BUDGET} steps), input {lstm['input']}: {lstm['text']}")
    assert SENTENCE in chart_texts(page, "fp_map"), "the sentence's path is gone"
    # the LSTM's state is (h, c): 64 eigenvalues per point, not the GRU's 32 (no stale points)
    assert lstm["eigen"] == 64, lstm
    same_input = gru_token if lstm["input"] == gru_token["input"] else gru
    assert lstm["input"] == same_input["input"], (lstm, same_input)
    assert lstm["text"] != same_input["text"], "the LSTM's verdict is the default GRU's"
    page.locator(".st-key-fp_map").scroll_into_view_if_needed()
    shoot(page, "5-dynamics-trained-lstm")

    # 3 · A reload: the link's controls come back; the session (and its model) does not
    url = page.url
    page.reload()
    arrive(page, "Dynamics lab", timeout=180)
    assert page.url == url, (page.url, url)
    after = points_verdict(page)
    assert after["input"] == lstm["input"], (after, lstm)
    # a known open problem, asserted as it is today: a reload is a new Streamlit session, so
    # the trained LSTM is lost (the default GRU is back)
    assert sidebar_origin(page) == "default", sidebar_origin(page)
    assert after["eigen"] == 32, after
    # the page's link carries the sentence: the map draws it again
    reloaded_map = chart_texts(page, "fp_map")
    assert SENTENCE in reloaded_map, reloaded_map
    assert "sentence=the+film+was+not+good" in page.url, page.url
    note(
        f"after a reload: origin {sidebar_origin(page)}, input {after['input']}, map {reloaded_map}"
    )
    shoot(page, "6-dynamics-reloaded")

    # 4 · chars: the memory chart of the trio; RNNbow bands for a chars sentence of Explore
    choose(page, "Task", "chars")
    page.wait_for_timeout(300)
    arrive(page, "Dynamics lab", timeout=180)
    assert "task=chars" in page.url, page.url
    assert "Next character" in sidebar_text(page), sidebar_text(page)
    shown = titles(page)
    assert "Memory and gradient, against the lag" in shown, shown
    assert any(t.endswith("time constants over training") for t in shown), shown
    memory = section_text(page, MEMORY)
    for cell in ("tanh RNN", "GRU", "LSTM"):
        assert cell in memory, f"{cell} missing from section 3:\n{memory[:1500]}"
    page.get_by_text(MEMORY, exact=True).first.scroll_into_view_if_needed()
    shoot(page, "7-dynamics-chars-memory")

    nav(page, "Explore")  # the task comes along
    arrive(page, "Explore")
    assert "task=chars" in page.url, page.url
    type_into(page, "Sentence", CHARS)
    settle(page)
    nav(page, "Dynamics lab")
    arrive(page, "Dynamics lab")
    bow = section_text(page, RNNBOW, MEMORY)
    assert f"Your sentence (the one above, as on Explore), {len(CHARS)} tokens" in bow, bow[:1500]
    # the model reads every character but the last and is scored on the next: one bar each
    assert page.evaluate(JS_BARS, "(your sentence)") == len(CHARS) - 1
    # the map's legend names the path by its characters (cut to 32 characters)
    assert short(list(CHARS)) in chart_texts(page, "fp_map"), "section 1 lost the sentence"
    no_exception(page, "Dynamics lab on chars")
    page.get_by_text(RNNBOW, exact=True).first.scroll_into_view_if_needed()
    shoot(page, "8-dynamics-chars-rnnbow")
