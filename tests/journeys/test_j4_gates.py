"""Journey 4: the "Gates help" experiment from its link runs to the end; picking each run in
"Run to inspect" makes the sections below follow it (the RNN's verdict and W_hh bound
differ from the gated cells')."""

from __future__ import annotations

import re

import pytest

from tests.journeys.conftest import (
    lines_with,
    no_exception,
    open_experiment,
    pick,
    section_text,
    settle,
)

RUNS = ("tanh RNN", "GRU", "LSTM")
FLOW = "1 · Gradient flow through time"
MATRIX = "2 · The recurrent matrix"
DEPTH = "3 · How far back"
VERDICT = r"^(Vanishing|Exploding|Steady|Not enough)"


@pytest.fixture
def tab(open_page):
    return open_page()


def finished(page) -> bool:
    bar = page.locator('[data-testid="stProgress"]').locator("visible=true")
    text = bar.first.inner_text() if bar.count() else ""
    return len(re.findall(r"steps — ", text)) == len(RUNS)


def test_run_to_inspect_drives_the_sections(tab, journey_server, shoot, note):
    page = tab
    open_experiment(page, journey_server.url, "gates", runs=3, timeout=240)
    no_exception(page, "Gradient lab, experiment finished")
    note(page.locator('[data-testid="stProgress"]').first.inner_text().replace("\n", " "))
    shoot(page, "0-finished")

    seen = {}
    for name in RUNS:
        pick(page, "Run to inspect", name)
        page.wait_for_timeout(300)
        settle(page)
        no_exception(page, f"Gradient lab, inspecting {name}")
        flow = section_text(page, FLOW, MATRIX)
        matrix = section_text(page, MATRIX, DEPTH)
        seen[name] = (flow, matrix, lines_with(flow, VERDICT))
        shoot(page, f"1-inspect-{name.replace(' ', '-')}")
    note("verdicts: " + "; ".join(f"{n}: {v[2]}" for n, v in seen.items()))

    rnn = seen["tanh RNN"]
    for gated in ("GRU", "LSTM"):
        assert seen[gated][0] != rnn[0], f"section 1 is the same for the RNN and the {gated}"
        assert seen[gated][2] != rnn[2], (
            f"the verdict does not follow the pick: RNN {rnn[2]}, {gated} {seen[gated][2]}"
        )
        assert "Gated cells" in seen[gated][1], (gated, seen[gated][1][:400])
    assert "σ_max(W_hh) =" in rnn[1], rnn[1][:400]
    assert "Gated cells" not in rnn[1], rnn[1][:400]
