"""The charts' summaries (ui/views/summaries.py) against hand-made data whose right sentence
is known, and each chart builder's figure carrying the summary of the arrays it draws."""

from __future__ import annotations

import re

import numpy as np
import pytest

from ui.glue.charts import caption_text
from ui.views import charts_explore as ce
from ui.views import charts_lab as cl
from ui.views import charts_train as ct
from ui.views import summaries as s
from ui.views.figure_kit import describe, figure, summary_of
from ui.views.summaries import num


def test_describe_keeps_the_summary_in_layout_meta_and_summary_of_reads_it_back():
    fig = figure([], title="t", height=200, x_title="x", y_title="y")
    assert summary_of(fig) == ""
    assert describe(fig, "the loss fell") is fig
    assert fig.layout.meta == {"summary": "the loss fell"}
    assert summary_of(fig) == "the loss fell"
    assert summary_of(fig.to_dict()) == "the loss fell"  # as the browser gets it


def test_numbers_read_as_written():
    assert [num(x) for x in (0, 0.123456, 12345.6, 2.5e-05, -0.92, float("nan"))] == [
        "0",
        "0.123",
        "12,346",
        "2.5e-05",
        "-0.92",
        "n/a",
    ]


def test_a_geometric_gradient_states_its_factor_and_ends():
    norms = 0.5 ** np.arange(6)[::-1]  # ×0.5 per step back, 1 at the last step
    text = s.flow(norms, ["a", "b", "c", "d", "e", "f"])
    assert text == (
        "The gradient shrinks ×0.50 per step back: 1 at step 5 ('f'), 0.0312 at step 0 ('a')."
    )
    assert "grows ×2.00 per step back" in s.flow(2.0 ** np.arange(6)[::-1])
    assert "stays level (×1.00" in s.flow(np.ones(4))
    runs = s.flow(runs={"RNN": 0.5 ** np.arange(5)[::-1], "LSTM": np.ones(5)})
    assert runs == "Fitted change of the gradient per step back: RNN ×0.50, LSTM ×1.00."


def test_the_prediction_names_where_it_flips():
    probs = np.array([[0.3, 0.7], [0.8, 0.2], [0.4, 0.6]])  # positive, negative, positive
    text = s.prediction(probs, ["the", "not", "awful"], ["negative", "positive"])
    assert text == (
        "Starts at positive 0.7 after 'the'; the prediction flips to negative on 'not' at "
        "step 1, to positive on 'awful' at step 2. Ends at positive 0.6 after 'awful'."
    )
    steady = s.prediction(np.array([[0.1, 0.9], [0.2, 0.8]]), ["a", "b"], ["neg", "pos"])
    assert steady == "Pos leads after every token. Ends at pos 0.8 after 'b'."


def test_the_heatmap_names_its_range_strongest_cell_and_biggest_change():
    states = np.array([[0.1, 0.0], [0.2, -0.9], [0.3, -0.8]])  # (T=3, H=2)
    text = s.heatmap(states, ["a", " ", "c"], "h")
    assert text == (
        "2 units × 3 tokens, h from -0.9 to 0.3; the strongest is unit 1 after '␣' at step 1: "
        "-0.9. It changes most on reading '␣' at step 1 (mean |change| 0.5 per unit)."
    )


def test_the_loss_curve_says_which_way_it_went_and_the_last_evaluation():
    steps = np.arange(1, 21)
    loss = np.r_[np.full(10, 0.7), np.full(10, 0.1)]  # k = 20 // 5 = 4 points averaged
    text = s.loss(steps, loss, np.array([10, 20]), None, np.array([0.5, 0.2]), "nats", 0.3)
    assert text == (
        "Batch loss fell from 0.7 to 0.1 nats over steps 1–20 (means of first/last 4). "
        "Test loss 0.2 at step 20 (target ≤ 0.3: met)."
    )
    rising = s.loss(steps, loss[::-1])
    assert rising.startswith("Batch loss rose from 0.1 to 0.7 nats")


def test_the_accuracy_states_the_test_score_against_target_and_baseline():
    text = s.accuracy(
        np.arange(1, 6),
        np.array([0.5, 0.5, 0.5, 1, 1]),
        np.array([5]),
        None,
        np.array([0.9]),
        0.95,
        0.7,
    )
    assert text == (
        "Test accuracy 90% at step 5 (target 95%: not yet; bag of words 70%). Batch accuracy "
        "rose from 50% to 100%."
    )


def test_the_gradient_norm_counts_clipped_steps_and_finds_the_largest():
    norms = np.array([1.0, 8.0, 2.0, 0.5])
    text = s.grad_norm(np.arange(4), norms, norms > 5, 5.0)
    assert text == (
        "Gradient norm 0.5 at step 3 (median 1.5, peak 8 at step 1); "
        "1 of 4 steps clipped (threshold 5)."
    )


def test_the_clipping_bars_and_the_cliff():
    text = s.clipping(10.0, 1.0, 0.8, 1.0, 0.83, 1.0)
    assert text == (
        "Unclipped update norm 10; clipping at 1 by the global norm gives 1 (cos 1.000 with "
        "the unclipped direction), per element 0.8 (cos 0.830)."
    )
    cliff = s.cliff([0.0, 1.0, 2.0], [2.0, 0.5, np.inf], "scale of W_hh (1 = now)")
    assert cliff == (
        "The loss is lowest, 0.5, at scale of W_hh = 1 and highest, 2, at scale of W_hh = 0; "
        "1 point overflowed."
    )


def test_eigenvalues_count_those_outside_the_unit_circle():
    text = s.eigenvalues({"h": np.array([0.5, 1.5j, -2.0, 1.0])}, {"h": "W_hh"})
    assert text == "2 of 4 eigenvalues of W_hh outside the unit circle; ρ = 2.000."  # 1 is on it
    gated = s.eigenvalues(
        {"r": np.array([0.5, 2.0]), "z": np.array([0.1, 0.2])}, {"r": "reset r", "z": "update z"}
    )
    assert (
        gated == "Outside the unit circle: reset r 1 of 2 (ρ = 2.000), update z 0 of 2 (ρ = 0.200)."
    )


def test_settings_changes_marked_on_a_chart_are_said_after_its_summary():
    fig = ct.loss_chart(np.arange(1, 4), [0.5, 0.4, 0.3])
    before = summary_of(fig)
    ct.mark_events(fig, [(2, "lr 0.01→0.001")])
    assert summary_of(fig) == before + " Marked: lr 0.01→0.001 at step 2."
    ct.mark_events(fig := ct.loss_chart([1, 2], [1, 1]), [(1, "a"), (float("nan"), "b"), (2, "c")])
    assert summary_of(fig).endswith(" 2 settings changes marked; the last: c at step 2.")


def test_the_runs_overlay_compares_the_last_values():
    text = s.overlay({"RNN": ([1, 2, 3], [0.9, 0.5, np.nan]), "LSTM": ([1, 2], [0.8, 0.1])})
    assert text == "Last values: RNN 0.5 (step 2), LSTM 0.1 (step 2); RNN is highest, LSTM lowest."


def test_the_probe_says_since_when_it_reads_its_answer():
    probs = np.array([[0.9, 0.1], [0.4, 0.6], [0.3, 0.7]])
    text = s.probe_classes(np.array([0, 100, 200]), probs, ["neg", "pos"])
    assert text == "At step 200 the probe reads pos (0.7); it has read pos since step 100."


def test_saliency_and_next_tokens():
    text = s.saliency(np.array([0.1, -0.5, 0.2]), ["a", "b", "c"])
    assert text == (
        "'b' at step 1 mattered most (saliency -0.5), then 'c' at step 2 (0.2). "
        "2 of 3 tokens score above 0, 1 below."
    )
    top = np.array([[0.6, 0.3], [0.5, 0.2], [0.4, 0.1]])
    guesses = np.array([["b", "x"], ["x", "c"], ["y", "z"]], dtype=object)
    hits = np.array([[True, False], [False, True], [False, False]])
    assert s.next_tokens(top, guesses, hits, ["a", "b", "c"]) == (
        "After 'c' the top guess is 'y' (40%). The token that came next was the top guess at "
        "1 of 2 steps, in the top 2 at 2."
    )


# ----------------------------------------------------------------------------- the builders


def builders() -> dict:
    g = np.random.default_rng(3)
    T, H = 6, 4
    toks = ["a", "b", "*", "<c>", " ", "d"]
    states = g.uniform(-1, 1, (T, H))
    probs = g.dirichlet(np.ones(2), size=T)
    steps = np.arange(1, 41)
    norms = 0.6 ** np.arange(T)[::-1]
    return {
        "heatmap": (ce.hidden_heatmap(states, toks), s.heatmap(states, toks, "activation")),
        "prediction": (
            ce.prediction_lines(probs, toks, ["n", "p"]),
            s.prediction(probs, toks, ["n", "p"]),
        ),
        "saliency": (ce.saliency_bars(states[:, 0], toks), s.saliency(states[:, 0], toks)),
        "regression": (ce.regression_trace(states[:, 0], 0.5, toks), None),
        "units": (ce.unit_change_bar(states, top=3), None),
        "trajectory": (ce.trajectory([states[:, :2]], ["s"], [toks]), None),
        "difference": (ce.state_difference(states, states[::-1], toks, toks), None),
        "top_next": (ce.top_next_tokens(probs, toks, ["a", "b"], k=2), None),
        "loss": (
            ct.loss_chart(steps, 1 / steps),
            s.loss(steps, 1 / steps, unit="nats"),
        ),
        "accuracy": (ct.accuracy_chart(steps, steps / 40), None),
        "grad": (
            ct.grad_norm_chart(steps, steps * 0.1, steps > 30, threshold=3.0),
            s.grad_norm(steps, steps * 0.1, steps > 30, 3.0),
        ),
        "params": (ct.param_grad_chart(steps, {"W": steps * 1.0, "b": steps * 0.1}), None),
        "spectrum": (ct.spectrum_chart(steps, steps / 40, steps / 20), None),
        "probe": (ct.probe_chart(steps[:3], probs[:3], ["n", "p"]), None),
        "probe_value": (ct.probe_value_chart(steps[:3], [0.1, 0.2, 0.3], 0.5), None),
        "flow": (cl.gradient_flow(norms, toks), s.flow(norms, toks)),
        "flow_training": (cl.flow_over_training(steps[:3], np.tile(norms, (3, 1))), None),
        "eigen": (cl.eigen_plane(np.array([0.5, 1.2j])), None),
        "spectrum_training": (cl.spectrum_over_training(steps, steps / 40, steps / 20), None),
        "jacobian": (cl.jacobian_chart(norms, np.linspace(0, 0.5, T), toks), None),
        "clipping": (cl.clipping_bars(10, 1, 0.8, 1.0, 0.9, threshold=1.0), None),
        "cliff": (cl.cliff_chart([0, 1, 2], [1, 0.5, 3]), None),
        "overlay": (cl.runs_overlay({"A": (steps, 1 / steps)}, y_title="l", title="L"), None),
    }


@pytest.mark.parametrize("name", list(builders()))
def test_every_chart_builder_attaches_a_summary_of_what_it_draws(name):
    fig, expected = builders()[name]
    text = summary_of(fig)
    assert text.strip() and text.endswith(".") and "nan" not in text
    if expected is not None:
        assert text == expected
    fig.to_dict()  # the figure (with its meta) still validates


def test_the_caption_shows_the_summary_as_text_not_markdown():
    text = "'*' at step 2 mattered most; '_x_' and '[a](b)' and '<b>' too"
    shown = caption_text(text)
    assert shown == (r"'\*' at step 2 mattered most; '\_x\_' and '\[a\](b)' and '\<b\>' too")


NAN, INF = float("nan"), float("inf")
DEGENERATE = {
    "heatmap, all NaN": lambda: s.heatmap(np.full((3, 2), NAN), list("abc")),
    "heatmap, a NaN column": lambda: s.heatmap(np.array([[NAN, NAN], [1, 2]]), list("ab")),
    "prediction, NaN": lambda: s.prediction(np.full((3, 2), NAN), list("abc"), ["a", "b"]),
    "regression, NaN": lambda: s.regression(np.array([NAN, NAN]), np.array([1.0, NAN])),
    "units, none": lambda: s.unit_ranges(np.array([], int), [], [], []),
    "paths, empty": lambda: s.paths([np.zeros((0, 2))], ["x"], [[]]),
    "saliency, zeros": lambda: s.saliency(np.zeros(3), list("abc")),
    "loss, none": lambda: s.loss(np.array([], int), np.array([])),
    "loss, NaN": lambda: s.loss(np.arange(3), np.array([NAN, INF, NAN])),
    "grad, NaN": lambda: s.grad_norm(np.arange(2), np.array([NAN, NAN]), np.zeros(2, bool)),
    "params, none": lambda: s.param_grads(np.array([], int), {}),
    "spectrum, NaN": lambda: s.spectrum(np.arange(2), np.array([NAN, NAN])),
    "probe, NaN": lambda: s.probe_classes(np.arange(2), np.full((2, 2), NAN), ["a", "b"]),
    "probe value, NaN": lambda: s.probe_value(np.arange(2), np.array([NAN, NAN]), NAN),
    "flow, zeros": lambda: s.flow(np.zeros(4)),
    "flow, inf": lambda: s.flow(np.array([INF, 1.0, 2.0])),
    "flow training, NaN": lambda: s.flow_training(np.arange(2), np.full((2, 3), NAN)),
    "eigenvalues, NaN": lambda: s.eigenvalues({"h": np.array([NAN])}, {"h": "W_hh"}),
    "jacobian, NaN": lambda: s.jacobian(np.array([NAN, 1.0]), np.array([NAN, NAN])),
    "clipping, NaN": lambda: s.clipping(NAN, NAN, NAN, NAN, NAN, NAN),
    "cliff, NaN": lambda: s.cliff([NAN], [NAN]),
    "overlay, none": lambda: s.overlay({}),
}


@pytest.mark.parametrize("case", list(DEGENERATE))
def test_empty_or_blown_up_data_still_gets_a_plain_sentence(case):
    text = DEGENERATE[case]()
    assert text.strip() and text.endswith(".")
    assert not re.search(r"\b(nan|inf)\b", text, re.IGNORECASE), text
