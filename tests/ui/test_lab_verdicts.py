"""The gradient lab's pure readings: the verdicts in words (ui/views/lab_verdicts.py) and the
curves they are about (ui/views/lab_curves.py). Expected texts are written out by hand."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest

from rnn_core.lab import ClipComparison, JacobianBound, growth_summary
from ui.views.lab_curves import fit_factor, flow_row, for_log_colour
from ui.views.lab_verdicts import (
    bound_verdict,
    clipping_verdict,
    flow_verdict,
    progress_line,
    run_flow_line,
    trend_words,
)


def geometric(factor: float, T: int = 12) -> np.ndarray:
    """A curve that shrinks (or grows) by ``factor`` per step back from its last entry 1."""
    return factor ** np.arange(T)[::-1].astype(float)


# ----------------------------------------------------------------------------- flow verdicts


def test_a_vanishing_curve_says_how_much_is_left():
    said = flow_verdict(geometric(0.5))
    assert said == (
        "**Vanishing**: ×0.50 per step back — after 10 steps only 0.098% of the signal is left."
    )


def test_a_steady_and_an_exploding_curve():
    assert flow_verdict(geometric(1.0)) == (
        "**Steady**: ×1.00 per step back — the gradient reaches far back in time."
    )
    assert flow_verdict(geometric(1.5)) == (
        "**Exploding**: ×1.50 per step back — 57.7× larger after 10 steps."
    )
    assert "×3.00 per step back — 5.9e+04× larger" in flow_verdict(geometric(3.0))


def test_too_few_values_is_not_a_verdict():
    assert flow_verdict(np.zeros(6)) == "Not enough finite gradient values to fit a rate."
    assert trend_words(growth_summary(np.zeros(6))) == (
        "not enough finite gradient values to fit a rate"
    )


def test_an_overflowed_curve_is_exploding_with_saturated_zeros():
    said = flow_verdict([0.0, 0.0, 0.0, 3.0, math.inf])
    assert said.startswith("**Exploding**: the gradient overflowed to inf (its largest finite")
    assert "value: 3)" in said
    assert "Further back the gradient is 0: blown-up states are saturated" in said
    assert "Vanishing" not in said


def test_a_diverged_runs_vanishing_fit_is_not_called_vanishing():
    said = flow_verdict(geometric(0.5), diverged=True, on="step 3's batch")
    assert said == (
        "**Exploding**: the run blew up, and the NaN guard stopped it. On step 3's batch: "
        "×0.50 per step back — after 10 steps only 0.098% of the signal is left."
    )


def test_a_runs_line_names_the_step_of_an_earlier_curve():
    assert run_flow_line("GRU", geometric(1.0), None, False) == (
        "GRU: **Steady**: ×1.00 per step back — the gradient reaches far back in time."
    )
    line = run_flow_line("RNN", geometric(1.5), 3, True)
    assert line.startswith("RNN (step 3, its last batch before the blow-up): **Exploding**")
    assert line.endswith("On step 3's batch: ×1.50 per step back — 57.7× larger after 10 steps.")


# ----------------------------------------------------------------------------- other verdicts


def bound(verdict, sigma=0.5, gamma=1.0) -> JacobianBound:
    gated = verdict == "no bound"
    return JacobianBound(
        cell="gru" if gated else "rnn",
        layer=0,
        sigma_max=sigma,
        blocks={"h": sigma},
        gamma=None if gated else gamma,
        bound=None if gated else sigma * gamma,
        verdict=verdict,
    )


def test_the_bound_in_words():
    assert bound_verdict(bound("must vanish", 0.5)) == (
        "σ_max(W_hh) = 0.500 < 1/γ = 1: every Jacobian shrinks the gradient, so it **must** "
        "vanish through time."
    )
    assert bound_verdict(bound("not guaranteed", 1.25)) == (
        "σ_max(W_hh) = 1.250 ≥ 1/γ: vanishing is not guaranteed — the gradient can survive, "
        "or explode, depending on the states."
    )
    assert bound_verdict(bound("no bound")) == (
        "Gated cells have no such simple bound: their gates scale each path."
    )


def test_clipping_in_words():
    cmp = ClipComparison(12.0, 5.0, 7.5, 1.0, 0.8125, 0.25, True)
    assert clipping_verdict(cmp, 5.0) == (
        "On this batch the gradient's norm is 12. Global-norm clipping at 5 shrinks it and "
        "keeps its direction (cos 1.000); clipping each element at ±5 changes 25.0% of the "
        "entries and turns the update (cos 0.812)."
    )
    small = ClipComparison(2.0, 2.0, 2.0, 1.0, 1.0, 0.0, False)
    assert "clipping at 5 leaves it alone" in clipping_verdict(small, 5.0)


def test_progress_line():
    views = {
        "A": SimpleNamespace(steps=150, budget=600, state="running"),
        "B": SimpleNamespace(steps=30, budget=600, state="diverged"),
    }
    done, line = progress_line(views)
    assert done == pytest.approx(180 / 1200)
    assert line == "A: 150/600 steps · B: 30/600 steps — **diverged**"
    over = {"A": SimpleNamespace(steps=700, budget=600, state="done")}
    assert progress_line(over)[0] == 1.0


# ----------------------------------------------------------------------------- curves


def test_flow_row_is_the_last_row_of_a_sound_run():
    dh = np.array([[1.0, 2.0, np.nan], [0.5, 1.0, 2.0]])
    row, step = flow_row(dh, np.array([10, 20]), diverged=False)
    np.testing.assert_array_equal(row, dh[1])
    assert step is None


def test_flow_row_goes_back_to_the_last_intact_row_after_a_blow_up():
    dh = np.array([[1.0, 2.0], [0.5, 1.0], [0.0, math.inf]])
    row, step = flow_row(dh, np.array([1, 2, 3]), diverged=False)  # the last row overflowed
    np.testing.assert_array_equal(row, [0.5, 1.0])
    assert step == 2 and isinstance(step, int)
    # a diverged run whose last row looks fine: still its last intact row, which is that one
    ok = np.array([[1.0, 2.0], [0.5, 1.0]])
    row, step = flow_row(ok, np.array([1, 2]), diverged=True)
    np.testing.assert_array_equal(row, ok[1])
    assert step is None
    # nothing intact before: the last row as it is
    bad = np.array([[0.0, math.inf]])
    row, step = flow_row(bad, np.array([5]), diverged=True)
    np.testing.assert_array_equal(row, bad[0])
    assert step is None


def test_fit_factor_draws_no_line_for_a_blown_up_curve():
    assert fit_factor(growth_summary(geometric(0.5))) == pytest.approx(0.5)
    assert fit_factor(growth_summary(geometric(0.5), diverged=True)) is None  # ×0.5 after it
    assert fit_factor(growth_summary(geometric(2.0), diverged=True)) == pytest.approx(2.0)
    assert fit_factor(growth_summary([1.0, 2.0, math.inf])) is None  # overflowed
    assert fit_factor(growth_summary(np.zeros(5))) is None  # no fit at all


def test_for_log_colour_fills_zeros_with_the_smallest_positive_value():
    dh = np.array([[0.0, 0.5, np.nan], [2.0, 0.0, np.inf]])
    out = for_log_colour(dh)
    np.testing.assert_array_equal(out, [[0.5, 0.5, np.nan], [2.0, 0.5, np.inf]])
    assert dh[0, 0] == 0.0  # a copy: the run's rows are not changed
    zeros = np.zeros((2, 3))
    np.testing.assert_array_equal(for_log_colour(zeros), zeros)  # nothing to fill with
