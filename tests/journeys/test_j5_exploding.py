"""Journey 5: the "Exploding" experiment from its link: the explosion is drawn (the test-loss
chart has finite plotted points) and the verdicts say "Exploding", never "Vanishing"."""

from __future__ import annotations

import re

import pytest

from tests.journeys.conftest import (
    lines_with,
    no_exception,
    open_experiment,
    section_text,
)

RUN = "RNN, ρ = 1.5, no clipping"
FLOW = "1 · Gradient flow through time"
MATRIX = "2 · The recurrent matrix"
VERDICT = "(Vanishing|Exploding|Steady|Not enough)"

JS_PLOTTED = """
(title) => {
    const chart = [...document.querySelectorAll('[data-testid="stPlotlyChart"]')]
        .filter(c => c.offsetParent !== null)
        .find(c => (c.querySelector('.gtitle')?.textContent ?? '').includes(title));
    if (!chart) return null;
    let points = 0;
    for (const path of chart.querySelectorAll('.scatterlayer .trace path.js-line')) {
        const d = path.getAttribute('d') ?? '';
        if (/nan|inf/i.test(d)) continue;
        points += (d.match(/[ML]/g) ?? []).length;
    }
    points += chart.querySelectorAll('.scatterlayer .trace .points path').length;
    return points;
}
"""


@pytest.fixture
def tab(open_page):
    return open_page()


def test_the_explosion_is_drawn(tab, journey_server, shoot, note):
    page = tab
    open_experiment(page, journey_server.url, "exploding", runs=1, timeout=120)
    no_exception(page, "Gradient lab, exploding experiment over")
    shoot(page, "over")

    points = page.evaluate(JS_PLOTTED, "Test loss")
    note(f"test-loss chart: {points} finite plotted points")
    assert points is not None, "no visible 'Test loss' chart"
    assert points >= 2, f"the test-loss chart plots {points} finite point(s)"

    main = page.locator('[data-testid="stMain"]').inner_text()
    run_lines = lines_with(main, rf"^{re.escape(RUN)}.*?: {VERDICT}")
    flow_lines = lines_with(section_text(page, FLOW, MATRIX), rf"^{VERDICT}")
    verdicts = run_lines + flow_lines
    note(f"verdicts: {verdicts}")
    assert run_lines, f"no verdict for the run {RUN!r}"
    assert flow_lines, "no verdict in section 1"
    for line in verdicts:
        assert "Exploding" in line and "Vanishing" not in line, line
