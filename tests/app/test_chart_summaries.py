"""Every chart on every page carries its summary in words, right under it (issue 18).

Each page is opened as a visitor gets it (Train after a few steps, the Gradient lab after an
experiment, Compare after both runs); in the element tree, every plotly chart must be
followed in its container by a caption showing the figure's own summary
(``layout.meta.summary``, as the browser receives it), non-empty. For a few charts per page the
numbers in the sentence are checked against the trace arrays decoded from the same spec.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Block

from tests.app.conftest import no_exceptions, open_page
from tests.plotly_spec import decode
from ui.glue.charts import caption_text
from ui.views.summaries import num, pct


def chart_captions(at: AppTest) -> list[tuple[dict, str | None]]:
    """(figure spec, the text of the element right after it if that is a caption, else
    None) for every plotly chart on the page, in page order."""
    out = []

    def walk(node):
        children = [node.children[i] for i in sorted(node.children)]
        for i, child in enumerate(children):
            if isinstance(child, Block):
                walk(child)
            elif child.type == "plotly_chart":
                after = children[i + 1] if i + 1 < len(children) else None
                text = after.value if after is not None and after.type == "caption" else None
                out.append((json.loads(child.proto.spec), text))

    walk(at._tree)
    return out


def summaries_by_title(at: AppTest) -> dict[str, tuple[dict, str]]:
    """Every chart's summary, checked to be shown right under it; by chart title."""
    pairs = chart_captions(at)
    assert pairs, "no chart on the page"
    out = {}
    for spec, caption in pairs:
        layout = spec["layout"]
        title = layout.get("title", {}).get("text", "")
        summary = layout.get("meta", {}).get("summary", "")
        assert summary.strip(), f"chart {title!r} has no summary"
        assert caption == caption_text(summary), f"chart {title!r}: caption {caption!r}"
        out[title] = (spec, summary)
    return out


def one(found: dict, part: str) -> tuple[dict, str]:
    (key,) = [t for t in found if part in t]
    return found[key]


def trace(spec: dict, name: str) -> dict:
    (t,) = [t for t in spec["data"] if t.get("name") == name]
    return t


# ----------------------------------------------------------------------------- explore


def test_every_chart_on_explore_has_its_summary_and_the_numbers_are_the_charts():
    at = open_page("explore", task="sentiment-tiny")
    found = summaries_by_title(at)
    assert len(found) >= 5
    # the heatmap: its colour range and strongest cell are the z values'
    spec, text = one(found, "h · hidden")
    z = decode(spec["data"][0]["z"]).astype(np.float64)
    assert f"from {num(z.min())} to {num(z.max())}" in text
    r, t = np.unravel_index(np.argmax(np.abs(z)), z.shape)  # rows: units in the page's order
    unit = int(decode(spec["data"][0]["customdata"])[r, t])
    assert f"the strongest is unit {unit} after" in text
    assert f"at step {t}: {num(z[r, t])}." in text
    # the prediction: the final answer is the last point of the leading class's line
    spec, text = one(found, "Prediction after each token")
    finals = {t["name"]: decode(t["y"])[-1] for t in spec["data"]}
    leader = max(finals, key=finals.get)
    assert f"Ends at {leader} {num(finals[leader])}" in text
    # the units bar: the top unit's range is the first bar
    spec, text = one(found, "Units that change")
    x = decode(spec["data"][0]["x"])
    assert f"range {num(x[0])}" in text


@pytest.mark.parametrize("task", ["chars", "sine", "adding"])
def test_every_chart_on_explore_has_its_summary_for_each_kind_of_output(task):
    """Next-token guesses (chars), a regression traced against a sequence (sine) and
    against one number (adding)."""
    found = summaries_by_title(open_page("explore", task=task))
    if task == "chars":
        spec, text = one(found, "Top-5 guesses")
        top = decode(spec["data"][0]["z"])  # (k, T), best guess on top
        assert f"({pct(top[0, -1])})." in text
    else:
        spec, text = one(found, "Prediction after each step")
        pred = decode(trace(spec, "prediction")["y"])
        assert f" is {num(pred[-1])}" in text


def test_train_on_a_regression_task_describes_the_probes_prediction():
    at = trained("adding", 20)
    found = summaries_by_title(at)
    spec, text = one(found, "Probe sentence over training")
    p = trace(spec, "prediction")
    x, y = decode(p["x"]), decode(p["y"])
    assert text.startswith(f"At step {int(x[-1]):,} the probe's prediction is {num(y[-1])}")


def test_explore_with_a_second_sentence_describes_the_comparison():
    at = open_page(
        "explore", task="sentiment-tiny", sentence="a good film", sentence_b="a bad film"
    )
    found = summaries_by_title(at)
    spec, text = one(found, "Difference")
    z = decode(spec["data"][0]["z"]).astype(np.float64)
    assert f"Largest difference B − A: {num(z.flat[np.nanargmax(np.abs(z))])}" in text


# ----------------------------------------------------------------------------- train


def trained(task: str, steps: int) -> AppTest:
    """The Train page after Start has spent a budget of ``steps``."""
    at = open_page("train", timeout=60, task=task, steps=str(steps))
    (start,) = [b for b in at.button if b.label.endswith("Start")]
    start.click().run()
    for _ in range(20):
        if at.session_state["run"].state != "running":
            break
        at.run()
    at.run()
    no_exceptions(at)
    return at


def test_every_chart_on_train_after_training_has_its_summary():
    at = trained("sentiment-tiny", 60)
    found = summaries_by_title(at)
    assert len(found) >= 6, list(found)
    # the gradient norm: the last finite value drawn, and the count of clipped markers
    spec, text = one(found, "Gradient norm before")
    steps, norms = decode(trace(spec, "‖∇‖₂")["x"]), decode(trace(spec, "‖∇‖₂")["y"])
    last = np.flatnonzero(np.isfinite(norms))[-1]
    assert f"Gradient norm {num(norms[last])} at step {int(steps[last]):,}" in text
    # the accuracy: the test evaluation's last point
    spec, text = one(found, "Accuracy")
    test = trace(spec, "test (eval)")
    ev, acc = decode(test["x"]), decode(test["y"])
    assert f"Test accuracy {pct(acc[-1])} at step {int(ev[-1]):,}" in text
    # the loss: first and last batch losses averaged as the sentence says
    spec, text = one(found, "Loss")
    y = decode(trace(spec, "batch loss")["y"]).astype(np.float64)
    y = y[np.isfinite(y)]
    k = int(re.search(r"means of first/last (\d+)", text).group(1))
    assert k == max(1, min(10, y.size // 5))
    assert f"from {num(y[:k].mean())} to {num(y[-k:].mean())} nats" in text


# ----------------------------------------------------------------------------- lab, compare


def test_every_chart_on_the_gradient_lab_has_its_summary():
    at = open_page("gradients", task="sentiment-tiny")
    found = summaries_by_title(at)
    assert len(found) >= 6, list(found)
    spec, text = one(found, "Eigenvalues")
    points = [t for t in spec["data"] if t["name"] != "unit circle |λ| = 1"]
    mags = np.hypot(decode(points[0]["x"]), decode(points[0]["y"]))
    assert f"ρ = {mags.max():.3f}" in text
    assert f"{int((mags > 1).sum())} of {mags.size}" in text
    spec, text = one(found, "‖∂L/∂h_t‖ on")
    y = decode(trace(spec, "‖∂L/∂h_t‖")["y"]).astype(np.float64)
    s = np.arange(y.size)[::-1]  # steps back
    ok = np.isfinite(y) & (y > 0)
    factor = np.exp(np.polyfit(s[ok], np.log(y[ok]), 1)[0])  # float32 drawn: 2 decimals
    assert f"×{factor:.2f} per step back" in text


def test_every_chart_of_a_lab_experiment_has_its_summary():
    at = open_page("gradients", experiment="vanishing")
    for _ in range(4):
        at.run()
    no_exceptions(at)
    found = summaries_by_title(at)
    assert any("over training" in t for t in found)
    spec, text = one(found, "Test")
    for t in spec["data"]:
        x, y = decode(t["x"]), decode(t["y"])
        i = np.flatnonzero(np.isfinite(y))[-1]
        assert f"{t['name']} {num(y[i])} (step {int(x[i]):,})" in text


def test_every_chart_on_compare_after_a_run_has_its_summary():
    at = open_page("compare", task="sentiment-tiny", steps="30", seed="3")
    (start,) = [b for b in at.button if b.label.endswith("Train both")]
    start.click().run()
    for _ in range(30):
        if all(r.state != "running" for r in at.session_state["compare"]["runs"].values()):
            break
        at.run()
    at.run()
    no_exceptions(at)
    found = summaries_by_title(at)
    assert len(found) >= 6, list(found)
    spec, text = one(found, "Spectral radius")
    for t in spec["data"]:
        assert f"{t['name']} {num(decode(t['y'])[-1])}" in text
