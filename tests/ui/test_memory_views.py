"""The Dynamics lab's memory charts and words (ui.views.charts_memory, ui.views.memory_words),
on measures built by hand, read back as the browser gets them."""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go
import pytest

from rnn_core.dynamics_grads import GradientHorizon, MemoryCurve
from tests.plotly_spec import decode, sent
from ui.services.memory_lab import LAGS, MemoryMeasure, tau_counts, tau_labels
from ui.views import charts_memory as V
from ui.views import memory_words as W
from ui.views.figure_kit import summary_of

LAG = np.array(LAGS)


def curve(scores, metric="mse", threshold=0.01) -> MemoryCurve:
    scores = np.asarray(scores, np.float64)
    ok = scores <= threshold if metric == "mse" else scores >= threshold
    horizon = int(LAG[ok].max()) if ok.any() else 0
    return MemoryCurve("adding", metric, LAG, scores, threshold, ok, horizon)


def grad(ratios) -> GradientHorizon:
    ratios = np.asarray(ratios, np.float64)
    below = np.flatnonzero(ratios < 1e-3)
    at = int(below[0]) if below.size else None
    horizon = at - 1 if at is not None else ratios.size - 1
    return GradientHorizon(ratios * 2.0, ratios, 1e-3, horizon, at)


def rnn_like() -> MemoryMeasure:
    scores = np.full(LAG.size, 0.17)
    scores[0] = 0.105
    return MemoryMeasure("tanh RNN", curve(scores), grad(0.4 ** np.arange(160)))  # < 1e-3 at 8


def lstm_like() -> MemoryMeasure:
    scores = np.full(LAG.size, 0.2)
    scores[LAG == 5] = 0.004
    scores[LAG == 50] = 0.003
    return MemoryMeasure("LSTM", curve(scores), grad(np.linspace(1.0, 0.1, 160)))


def gru_like() -> MemoryMeasure:
    scores = np.where((LAG >= 40) & (LAG <= 100), 0.001, 0.08)
    scores[LAG == 120] = 0.0107
    return MemoryMeasure("GRU", curve(scores), grad(np.linspace(1.0, 0.4, 160)))


# ----------------------------------------------------------------------------- words


def test_lag_ranges_name_runs_of_neighbours_on_the_grid():
    assert W.lag_ranges([40, 50, 60, 70, 80, 100], LAGS) == "40–100"
    assert W.lag_ranges([5, 50], LAGS) == "5 and 50"
    assert W.lag_ranges([1, 2, 3, 7, 10, 15], LAGS) == "1–3 and 7–15"
    assert W.lag_ranges([1, 2], LAGS) == "1 and 2"
    assert W.lag_ranges([1, 2, 5], LAGS) == "1, 2 and 5"
    assert W.lag_ranges([150], LAGS) == "150"


def test_level_text_writes_powers_of_ten_as_superscripts():
    assert W.level_text(1e-3) == "10⁻³"
    assert W.level_text(1e-10) == "10⁻¹⁰"
    assert W.level_text(0.002) == "0.002"


def test_a_gradient_that_dies_and_a_model_that_never_solves_it():
    text = W.memory_sentence(rnn_like())
    assert text == (
        "The tanh RNN's gradient falls below 10⁻³ of its size at the output 8 steps back; it "
        "solves the task (MSE ≤ 0.01) at no lag from 1 to 150: its MSE is 0.105–0.17, about "
        "what always predicting the mean scores (0.167)."
    )


def test_a_model_that_solves_some_lags_only_says_which_and_which_not():
    text = W.memory_sentence(lstm_like())
    assert text.startswith(
        "The LSTM's gradient never falls below 10⁻³ of its size at the output in the 159 steps "
        "measured (159 steps back it is 0.1 times that); "
    )
    assert "it solves the task (MSE ≤ 0.01) at lag 5 and 50 but not at lag 1–3 and 7–40 (MSE" in (
        text
    )
    assert text.endswith("at lag 60 its MSE is 0.2.")
    gru = W.memory_sentence(gru_like())
    assert (
        "at lag 40–100 but not at lag 1–30 (MSE up to 0.08); at lag 120 its MSE is 0.0107." in gru
    )


def test_better_than_the_mean_but_never_solved_is_said_so():
    scores = np.full(LAG.size, 0.083)
    text = W.memory_words(LAG, scores, np.zeros(LAG.size, bool), "mse")
    assert text.endswith("better than always predicting the mean (0.167)")


def test_recall_words_use_percentages_and_chance():
    scores = np.full(LAG.size, 0.2)
    text = W.memory_words(LAG, scores, np.zeros(LAG.size, bool), "recall_accuracy", 0.2)
    assert "(recall ≥ 95%) at no lag" in text and "20.0%–20.0%" in text
    assert "guessing scores 20.0%" in text
    near = W.memory_words(
        LAG, np.full(LAG.size, 0.9496), np.zeros(LAG.size, bool), "recall_accuracy"
    )
    assert "95.0%" in near and "95%–" not in near  # one decimal: a miss never reads "95%"


def test_the_headline_groups_models_by_reach_and_success_at_the_training_lag():
    text = W.headline([rnn_like(), gru_like(), lstm_like()], 50)
    assert text == (
        "The tanh RNN: the gradient is below 10⁻³ of its size at the output after 8 steps, and "
        "it never learned lag 50. The GRU and the LSTM: the gradient still reaches 50 steps "
        "back, and they solve lag 50."
    )
    gru = gru_like()
    unsolved = MemoryMeasure("your model", curve(np.full(LAG.size, 0.1)), gru.gradient)
    assert W.headline([unsolved], 50) == (
        "Your model: the gradient still reaches 50 steps back, yet it does not solve lag 50: a "
        "gradient that reaches is needed to learn a lag, not enough."
    )
    assert W.headline([rnn_like()], 10).startswith("The tanh RNN: the gradient is below")
    assert "still reaches 7 steps back" in W.headline([rnn_like()], 7)  # below at 8


def test_your_model_is_named_as_yours():
    m = MemoryMeasure("your model", rnn_like().curve, rnn_like().gradient)
    assert W.memory_sentence(m).startswith("Your model's gradient falls below")


def test_tau_sentence_counts_the_long_memories():
    taus = np.array([[1.4, 1.4, 1.5], [1.0, 12.0, 30.0]])
    text = W.tau_sentence("GRU", "z", [0, 500], taus)
    assert text == (
        "The GRU's update gate z: at step 0 its units' τ are 1.4–1.5 steps (median 1.4); "
        "after 500 steps 1–30 (median 12), and 2 of its 3 units keep their state for 10 "
        "steps or more."
    )
    short = W.tau_sentence("LSTM", "f", [0, 500], np.array([[3.0, 3.0], [2.0, 9.0]]))
    assert "forget gate f" in short and short.endswith(
        "no unit keeps its state for 10 steps or more."
    )


# ----------------------------------------------------------------------------- charts


def traces(fig: go.Figure) -> list[dict]:
    out = []
    for tr in sent(fig)["data"]:
        tr = dict(tr)
        for k in ("x", "y", "z"):
            if k in tr and not isinstance(tr[k], list):
                tr[k] = decode(tr[k])
        out.append(tr)
    return out


def test_memory_chart_draws_score_and_gradient_per_model_on_one_lag_axis():
    measures = [rnn_like(), gru_like(), lstm_like()]
    fig = V.memory_chart(measures, title="Memory")
    go.Figure(fig.to_dict())  # every property valid
    trs = traces(fig)
    assert len(trs) == 6
    for k, m in enumerate(measures):
        top, bottom = trs[2 * k], trs[2 * k + 1]
        assert top["name"] == bottom["name"] == m.name
        assert top["xaxis"] == "x2" and top.get("yaxis", "y") == "y"
        assert bottom["yaxis"] == "y2" and bottom.get("xaxis", "x") == "x"
        np.testing.assert_array_equal(top["x"], LAG)
        np.testing.assert_allclose(top["y"], m.curve.scores, rtol=1e-6)
        ratios = m.gradient.ratios
        shown = np.where(ratios >= V.GRAD_FLOOR, ratios, np.nan)
        np.testing.assert_allclose(bottom["y"], shown, rtol=1e-6)
        assert top["line"]["color"] == V.COLOURS[m.name]
    layout = sent(fig)["layout"]
    assert layout["xaxis2"]["matches"] == "x" and layout["yaxis2"]["type"] == "log"
    assert layout["yaxis"]["type"] == "log"
    # the gradient horizon: a dashed line in the RNN's colour at 8, none for the others
    vlines = [s for s in layout["shapes"] if s.get("yref") == "paper"]
    assert [(s["x0"], s["line"]["color"]) for s in vlines] == [(8, V.COLOURS["tanh RNN"])]
    notes = [a["text"] for a in layout["annotations"]]
    assert notes == ["tanh RNN: gradient &lt; 10⁻³ at 8"]
    levels = sorted((s["yref"], s["y0"]) for s in layout["shapes"] if s.get("xref") == "paper")
    assert levels == [("y", 0.01), ("y", pytest.approx(1 / 6)), ("y2", 1e-3)]
    assert "steps back from the output" in layout["xaxis"]["title"]["text"]
    assert "lag" in layout["xaxis2"]["title"]["text"]
    assert summary_of(fig) == (
        "Score and gradient against the lag for tanh RNN, GRU, LSTM. The gradient falls below "
        "10⁻³ of its size at the output: tanh RNN at 8 steps back; GRU never within 159 steps; "
        "LSTM never within 159 steps. Lags solved (MSE ≤ 0.01): tanh RNN none; GRU 40–100; "
        "LSTM 5 and 50."
    )


def test_a_copy_chart_shows_recall_with_the_goal_and_chance():
    c = curve(np.linspace(1.0, 0.2, LAG.size), "recall_accuracy", 0.95)
    m = MemoryMeasure("your model", c, grad(np.ones(30)))
    fig = V.memory_chart([m], title="Copy", chance=0.2)
    layout = sent(fig)["layout"]
    assert layout["yaxis"]["tickformat"] == ".0%"
    levels = sorted(s["y0"] for s in layout["shapes"] if s.get("yref") == "y")
    assert levels == [0.2, 0.95]
    assert layout["yaxis2"]["range"][1] == pytest.approx(0.3)  # ratios ≤ 1: the usual top
    grows = MemoryMeasure("your model", c, grad(np.linspace(1.0, 30.0, 30)))
    top = sent(V.memory_chart([grows], title="Copy"))["layout"]["yaxis2"]["range"][1]
    assert top == pytest.approx(np.log10(30.0) + 0.3)  # a gradient that grows stays on the chart
    assert not [s for s in layout["shapes"] if s.get("yref") == "paper"]
    with pytest.raises(ValueError):
        V.memory_chart([], title="none")


def test_tau_charts_count_units_per_bin():
    rng = np.random.default_rng(0)
    taus = np.exp(rng.normal(1.0, 0.8, size=(4, 12)))
    taus[-1, 0] = math.inf
    steps = np.array([0, 50, 100, 150])
    heat = V.tau_heatmap("GRU", steps, taus)
    go.Figure(heat.to_dict())
    (tr,) = traces(heat)
    np.testing.assert_array_equal(tr["z"], tau_counts(taus).T)
    assert list(tr["y"]) == tau_labels() and list(tr["x"]) == [0, 50, 100, 150]
    assert "units" in tr["hovertemplate"] and "step" in tr["hovertemplate"]
    layout = sent(heat)["layout"]
    assert layout["xaxis"]["title"]["text"] == "training step"
    assert "τ" in layout["yaxis"]["title"]["text"]
    assert "∞" in summary_of(heat)  # the longest τ at the end is inf
    hist = V.tau_histogram("GRU", steps, taus)
    go.Figure(hist.to_dict())
    before, after = traces(hist)
    np.testing.assert_array_equal(before["y"], tau_counts(taus[0]))
    np.testing.assert_array_equal(after["y"], tau_counts(taus[-1]))
    assert (before["name"], after["name"]) == ("step 0", "step 150")
    assert summary_of(hist).startswith("GRU: τ per unit at step 0: ")


def all_figures() -> dict[str, go.Figure]:
    taus = np.exp(np.random.default_rng(1).normal(1.0, 0.5, size=(3, 8)))
    copy = curve(np.linspace(1.0, 0.5, LAG.size), "recall_accuracy", 0.95)
    return {
        "memory": V.memory_chart([rnn_like(), gru_like(), lstm_like()], title="M"),
        "copy": V.memory_chart([MemoryMeasure("your model", copy, grad(np.ones(9)))], title="C"),
        "histogram": V.tau_histogram("GRU", [0, 1, 2], taus),
        "heatmap": V.tau_heatmap("GRU", [0, 1, 2], taus),
    }


@pytest.mark.parametrize("name", list(all_figures()))
def test_every_figure_has_the_house_look(name):
    fig = all_figures()[name]
    layout = fig.layout
    assert layout.template.layout.plot_bgcolor == "white"  # plotly_white
    assert layout.title.text and layout.xaxis.title.text and layout.yaxis.title.text
    assert summary_of(fig)
    for trace in fig.data:
        assert trace.hovertemplate
    go.Figure(fig.to_dict())
    for trace in sent(fig)["data"]:  # numbers go out as binary; only labels as lists
        for key in ("x", "y", "z"):
            value = trace.get(key)
            labels = (trace["type"], key) in (("bar", "x"), ("heatmap", "y"))
            if value is not None and not labels:
                assert isinstance(value, dict), (name, key)
                assert value["dtype"] in ("f4", "i4"), (name, key)
