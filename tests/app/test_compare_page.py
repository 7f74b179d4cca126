"""The Compare page through AppTest: URL-bound A/B settings, same seed and data order,
deterministic, differences shown."""

from __future__ import annotations

import numpy as np
from streamlit.testing.v1 import AppTest

from tests.app.conftest import APP, no_exceptions, open_page, titled
from ui.services.run import TrainingRun


def open_compare(**query) -> AppTest:
    return open_page("compare", **query)


def train_both(at: AppTest, runs: int = 30) -> dict[str, TrainingRun]:
    (start,) = [b for b in at.button if b.label.endswith("Train both")]
    start.click().run()
    for _ in range(runs):
        pair = at.session_state["compare"]["runs"]
        if all(r.state != "running" for r in pair.values()):
            break
        at.run()
        no_exceptions(at)
    at.run()
    return at.session_state["compare"]["runs"]


def test_the_router_serves_compare():
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.switch_page("app_pages/compare.py").run()
    no_exceptions(at)
    assert at.title[0].value == "Compare"


def test_the_link_sets_both_sides_and_the_difference_is_stated():
    at = open_compare(
        task="sentiment-tiny",
        a_cell="rnn",
        b_cell="lstm",
        a_lr="0.01",
        b_lr="0.001",
        steps="40",
        seed="3",
    )
    said = " ".join(m.value for m in at.markdown)
    assert "cell: rnn vs lstm" in said and "learning rate: 0.01 vs 0.001" in said
    runs = train_both(at)
    a, b = runs["A"], runs["B"]
    assert (a.config.cell, b.config.cell) == ("rnn", "lstm")
    assert a.config.seed == b.config.seed == 3 and a.steps == b.steps == 40
    assert titled(at, "Loss") and titled(at, "Gradient norm") and titled(at, "Spectral radius")
    assert titled(at, "A: probe") and titled(at, "B: probe")
    assert not np.array_equal(a.log.steps.column("loss"), b.log.steps.column("loss"))
    # the outcome line reads each run's view: its steps and its latest test accuracy
    said = " ".join(m.value for m in at.markdown)
    for name, run in runs.items():
        acc = run.view().evals["test_acc"][-1]
        assert f"**{name}**: 40 steps, test acc {acc:.4g}" in said


def test_identical_settings_give_identical_curves():
    at = open_compare(task="sentiment-tiny", steps="30")
    assert any("nothing" in m.value for m in at.markdown)
    runs = train_both(at)
    a, b = runs["A"], runs["B"]
    for col in ("loss", "grad_norm", "rho0"):
        np.testing.assert_array_equal(a.log.steps.column(col), b.log.steps.column(col))
    for k, v in a.model.params.items():
        np.testing.assert_array_equal(v, b.model.params[k])


def test_clipping_preset_and_same_data_order():
    at = open_compare(task="sentiment-tiny", steps="30")
    (preset,) = [b for b in at.button if b.label == "clipping on / off"]
    preset.click().run()
    no_exceptions(at)
    runs = train_both(at)
    a, b = runs["A"], runs["B"]
    assert (a.config.clip, b.config.clip) == ("norm", "none")
    # the same batches in the same order: the first step's loss is identical
    assert a.log.steps.column("loss")[0] == b.log.steps.column("loss")[0]


def test_a_language_model_is_compared_on_its_test_loss_and_target():
    """Issue 19: chars and words state their target as a test loss in nats per token; the
    outcome line and the "test" overlay showed an accuracy."""
    at = open_compare(task="chars", a_hidden="8", b_hidden="16", steps="100")
    runs = train_both(at)
    goal = runs["A"].task.goal.threshold
    said = " ".join(m.value for m in at.markdown)
    for name, run in runs.items():
        loss = run.view().evals["test_loss"][-1]
        ppl = np.exp(loss)
        assert (
            f"**{name}**: 100 steps, test loss {loss:.3f} nats/char (perplexity {ppl:.2f})" in said
        )
    assert f"target ≤ {goal:.3f} nats/char (perplexity {np.exp(goal):.2f})" in said
    assert "test acc" not in said
    (test,) = titled(at, "Test loss per token")
    assert not titled(at, "Test accuracy")
    (line,) = test["layout"]["shapes"]
    assert line["y0"] == line["y1"] == goal
    assert "perplexity" in line["label"]["text"]
