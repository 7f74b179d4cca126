"""Tests for rnn_core.lab: the gradient lab's measurements.

Expected numbers are worked out by hand or from the model's own loss and gradients, never by
calling the function under test. The lab's headline contrast (a tanh RNN fails at the adding
problem where a GRU succeeds, and its gradient vanishes before the first mark) is trained and
checked in tests/core/test_task_memory.py; it is not repeated here.
"""

import math
import warnings
from dataclasses import FrozenInstanceError, replace

import numpy as np
import pytest

from rnn_core.data import Dataset, SequenceData, pad_sequences
from rnn_core.lab import (
    ClipComparison,
    JacobianBound,
    batch_gradients,
    compare_clipping,
    dh_profile,
    growth_summary,
    last_intact,
    loss_slice,
    measure_batch,
    recurrent_jacobian_bound,
    sgd_step,
    update_direction,
)
from rnn_core.model import ModelConfig, RNNModel
from rnn_core.probes import jacobian_norms
from rnn_core.tasks import load_task
from rnn_core.tasks.memory import VANISHING_CONFIG, make_adding
from rnn_core.train import Trainer


def make_model(seed=0, **overrides) -> RNNModel:
    settings = dict(cell="rnn", hidden_size=6, input_size=5, output_size=3)
    settings.update(overrides)
    return RNNModel.create(ModelConfig(**settings), np.random.default_rng(seed), dtype=np.float64)


def token_batch(model: RNNModel, seed=1, B=4, T=7):
    """Random ids, left-aligned masks of lengths T, T−1, …, and many-to-one class targets."""
    rng = np.random.default_rng(seed)
    lengths = np.maximum(T - np.arange(B), 1)
    mask = np.arange(T)[None, :] < lengths[:, None]
    ids = np.where(mask, rng.integers(0, model.config.input_size, (B, T)), 0)
    targets = rng.integers(0, model.config.output_size, B)
    return ids, targets, mask


def plain_loss(model: RNNModel, inputs, targets, mask) -> float:
    return float(model.loss(model.forward(inputs, mask), targets)[0])


def snapshot(arrays: dict) -> dict:
    return {k: np.array(v, copy=True) for k, v in arrays.items()}


def assert_same(a: dict, b: dict) -> None:
    assert list(a) == list(b)
    for k in a:
        assert a[k].dtype == b[k].dtype
        np.testing.assert_array_equal(a[k], b[k])


@pytest.fixture(scope="module")
def adding_rnn():
    """A tanh RNN trained briefly on the adding problem (lag 10, seed 0, 100 steps, < 0.2 s),
    in float64, and a test batch: a model sitting in a valley, so the cliff beside it shows."""
    task = make_adding(seed=0, lag=10, n_train=256, n_test=64)
    config = replace(VANISHING_CONFIG, hidden_size=16, steps=100, eval_every=100)
    trainer = Trainer(config, task.data)
    trainer.step(100)
    x, y, m = task.data.test.batch(np.arange(64))
    return trainer.model.copy(np.float64), x, y, m


# --------------------------------------------------------------------------------------
# compare_clipping
# --------------------------------------------------------------------------------------


def test_compare_clipping_by_hand():
    grads = {"a": np.array([3.0, 4.0]), "b": np.array([0.0, 0.1])}
    before = snapshot(grads)
    cmp = compare_clipping(grads, 1.0)
    assert isinstance(cmp, ClipComparison)
    # g = [3, 4, 0, 0.1], ‖g‖ = √25.01; per element at ±1: [1, 1, 0, 0.1], ‖·‖ = √2.01.
    assert cmp.norm_none == pytest.approx(math.sqrt(25.01), rel=1e-14)
    assert cmp.norm_global == pytest.approx(1.0, rel=1e-14)
    assert cmp.cos_global == pytest.approx(1.0, abs=1e-14)
    assert cmp.norm_value == pytest.approx(math.sqrt(2.01), rel=1e-14)
    assert cmp.cos_value == pytest.approx(7.01 / math.sqrt(25.01 * 2.01), rel=1e-14)
    assert cmp.fraction_clipped == 0.5
    assert cmp.clipped_global is True
    assert_same(grads, before)  # the caller's gradient is untouched


def test_compare_clipping_below_the_threshold_changes_nothing():
    grads = {"a": np.array([3.0, 4.0]), "b": np.array([0.0, 0.1])}
    cmp = compare_clipping(grads, 10.0)
    assert cmp.norm_none == cmp.norm_global == cmp.norm_value
    assert cmp.cos_global == pytest.approx(1.0, abs=1e-14)
    assert cmp.cos_value == pytest.approx(1.0, abs=1e-14)
    assert cmp.fraction_clipped == 0.0 and cmp.clipped_global is False


def test_compare_clipping_separate_value_limit_and_float32():
    grads = {"W": np.array([[3.0, -4.0]], np.float32), "b": np.array([0.5, 0.1], np.float32)}
    before = snapshot(grads)
    cmp = compare_clipping(grads, 100.0, value_limit=3.5)
    # Only −4 is cut, to −3.5: [3, −3.5, 0.5, 0.1].
    assert cmp.clipped_global is False and cmp.fraction_clipped == 0.25
    clipped = np.array([3.0, -3.5, 0.5, 0.1])
    g = np.array([3.0, -4.0, 0.5, 0.1])
    g32 = g.astype(np.float32).astype(np.float64)  # the float32 values the grads hold
    c32 = clipped.astype(np.float32).astype(np.float64)
    assert cmp.norm_value == pytest.approx(np.linalg.norm(c32), rel=1e-12)
    expected_cos = g32 @ c32 / (np.linalg.norm(g32) * np.linalg.norm(c32))
    assert cmp.cos_value == pytest.approx(expected_cos, rel=1e-12)
    assert cmp.cos_value < 0.999
    assert_same(grads, before)


def test_compare_clipping_zero_gradient_has_no_direction():
    cmp = compare_clipping({"a": np.zeros(3)}, 1.0)
    assert cmp.norm_none == cmp.norm_global == cmp.norm_value == 0.0
    assert math.isnan(cmp.cos_global) and math.isnan(cmp.cos_value)
    assert cmp.fraction_clipped == 0.0 and cmp.clipped_global is False


def test_compare_clipping_on_a_model_gradient():
    model = make_model(hidden_size=8)
    ids, targets, mask = token_batch(model)
    _, grads, _ = model.loss_and_grads(ids, targets, mask)
    norm = math.sqrt(sum(float((g**2).sum()) for g in grads.values()))
    cmp = compare_clipping(grads, norm / 4)
    assert cmp.norm_global == pytest.approx(norm / 4, rel=1e-12)
    assert cmp.cos_global == pytest.approx(1.0, abs=1e-12)
    assert 0 < cmp.fraction_clipped < 1 and cmp.cos_value < 1.0


# --------------------------------------------------------------------------------------
# loss_slice and update_direction
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_loss_slice_at_the_current_model(cell):
    model = make_model(cell=cell)
    before = snapshot(model.params)
    ids, targets, mask = token_batch(model)
    current = plain_loss(model, ids, targets, mask)
    scaled = loss_slice(model, ids, targets, mask, [1.0])
    assert scaled.shape == (1,) and scaled.dtype == np.float64
    assert scaled[0] == pytest.approx(current, rel=1e-13)
    zero = {k: np.ones_like(v) for k, v in model.params.items()}
    assert loss_slice(model, ids, targets, mask, [0.0], direction=zero)[0] == pytest.approx(
        current, rel=1e-13
    )
    assert_same(model.params, before)


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_loss_slice_scales_every_recurrent_matrix(cell):
    model = make_model(cell=cell, num_layers=2)
    ids, targets, mask = token_batch(model)
    name = "W_hh" if cell == "rnn" else "W_h"
    alphas = [0.0, 0.5, 2.0]
    expected, only_l0 = [], []
    for a in alphas:
        both = model.copy()
        both.params[f"l0.{name}"] *= a
        both.params[f"l1.{name}"] *= a
        expected.append(plain_loss(both, ids, targets, mask))
        one = model.copy()
        one.params[f"l0.{name}"] *= a
        only_l0.append(plain_loss(one, ids, targets, mask))
    got = loss_slice(model, ids, targets, mask, alphas)
    np.testing.assert_allclose(got, expected, rtol=1e-13)
    assert not np.allclose(got, only_l0)  # the second layer's matrix moved too


def test_loss_slice_along_a_direction():
    model = make_model()
    ids, targets, mask = token_batch(model)
    direction = {"l0.b_h": np.full(6, 0.3)}  # names left out stay put
    moved = model.copy()
    moved.params["l0.b_h"] += 2.0 * 0.3
    got = loss_slice(model, ids, targets, mask, [2.0], direction=direction)
    assert got[0] == pytest.approx(plain_loss(moved, ids, targets, mask), rel=1e-13)
    with pytest.raises(ValueError, match="unknown"):
        loss_slice(model, ids, targets, mask, [1.0], direction={"nope": np.zeros(1)})
    with pytest.raises(ValueError, match="shape"):
        loss_slice(model, ids, targets, mask, [1.0], direction={"l0.b_h": np.zeros(5)})


def test_loss_slice_runs_in_float64_on_a_float32_model():
    model = make_model(cell="gru").copy(np.float32)
    before = snapshot(model.params)
    ids, targets, mask = token_batch(model)
    expected = plain_loss(model.copy(np.float64), ids, targets, mask)
    assert loss_slice(model, ids, targets, mask, [1.0])[0] == pytest.approx(expected, rel=1e-13)
    assert_same(model.params, before)


def test_loss_slice_non_finite_is_inf_without_warnings():
    model = make_model(activation="relu")
    ids, targets, mask = token_batch(model)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any numpy RuntimeWarning fails the test
        losses = loss_slice(model, ids, targets, mask, [1.0, 1e300])
    assert math.isfinite(losses[0]) and losses[1] == math.inf


def test_the_cliff_and_the_smooth_neighbourhood(adding_rnn):
    model, x, y, m = adding_rnn
    current = plain_loss(model, x, y, m)
    far = loss_slice(model, x, y, m, [5.0, 10.0])
    assert (far > 2 * current).all(), (far, current)  # the cliff: a big W_hh wrecks the loss
    # Near alpha = 1 the slice is smooth: its slope is dL/dα = ⟨∂L/∂W_hh, W_hh⟩ …
    eps = 1e-5
    lo, hi = loss_slice(model, x, y, m, [1 - eps, 1 + eps])
    _, grads, _ = model.loss_and_grads(x, y, m)
    slope = float((grads["l0.W_hh"] * model.params["l0.W_hh"]).sum())
    assert (hi - lo) / (2 * eps) == pytest.approx(slope, rel=1e-5, abs=1e-9)
    # … and over ±1% it changes by about that slope, nothing like the jump further out.
    near = np.linspace(0.99, 1.01, 9)
    change = loss_slice(model, x, y, m, near) - current
    np.testing.assert_allclose(change, slope * (near - 1), atol=0.02 * 0.01 * (1 + abs(slope)))


@pytest.mark.parametrize("cell", ["rnn", "gru"])
def test_update_direction_descends(cell, adding_rnn):
    _, x, y, m = adding_rnn
    config = ModelConfig(
        cell=cell, hidden_size=8, input_kind="dense", input_size=2, output_size=1, loss="mse"
    )
    model = RNNModel.create(config, np.random.default_rng(3), dtype=np.float64)
    before = snapshot(model.params)
    lr = 1e-3
    direction = update_direction(model, x, y, m, lr=lr, clip="none")
    _, grads, _ = model.loss_and_grads(x, y, m)
    assert list(direction) == list(grads)
    for k, g in grads.items():
        np.testing.assert_allclose(direction[k], -lr * g, rtol=1e-13)
    losses = loss_slice(model, x, y, m, [0.0, 0.5, 1.0, 2.0], direction=direction)
    assert (np.diff(losses) < 0).all(), losses  # small positive steps go downhill
    # First order: L(α) − L(0) ≈ −α·lr·‖g‖².
    sq = sum(float((g**2).sum()) for g in grads.values())
    assert losses[2] - losses[0] == pytest.approx(-lr * sq, rel=0.05)
    assert_same(model.params, before)


def test_update_direction_clips_like_the_trainer():
    model = make_model()
    ids, targets, mask = token_batch(model)
    _, grads, _ = model.loss_and_grads(ids, targets, mask)
    norm = math.sqrt(sum(float((g**2).sum()) for g in grads.values()))
    lr, threshold = 0.1, norm / 3
    by_norm = update_direction(model, ids, targets, mask, lr, clip="norm", threshold=threshold)
    for k, g in grads.items():
        np.testing.assert_allclose(by_norm[k], -lr * g / 3, rtol=1e-12)
    limit = float(np.median(np.abs(np.concatenate([g.ravel() for g in grads.values()]))))
    by_value = update_direction(model, ids, targets, mask, lr, clip="value", threshold=limit)
    for k, g in grads.items():
        np.testing.assert_allclose(by_value[k], -lr * np.clip(g, -limit, limit), rtol=1e-12)
    with pytest.raises(ValueError, match="clip"):
        update_direction(model, ids, targets, mask, lr, clip="sometimes")


# --------------------------------------------------------------------------------------
# recurrent_jacobian_bound
# --------------------------------------------------------------------------------------


def orthogonal(H: int, seed: int) -> np.ndarray:
    q, _ = np.linalg.qr(np.random.default_rng(seed).standard_normal((H, H)))
    return q


def test_bound_for_known_matrices():
    model = make_model()
    model.params["l0.W_hh"][...] = 0.5 * np.eye(6)
    bound = recurrent_jacobian_bound(model)
    assert isinstance(bound, JacobianBound)
    assert bound.cell == "rnn" and bound.layer == 0
    assert bound.sigma_max == pytest.approx(0.5, rel=1e-12)
    assert bound.blocks == {"h": pytest.approx(0.5, rel=1e-12)}
    assert bound.gamma == 1.0 and bound.bound == pytest.approx(0.5, rel=1e-12)
    assert bound.verdict == "must vanish"
    model.params["l0.W_hh"][...] = 2.0 * orthogonal(6, 0)
    bound = recurrent_jacobian_bound(model)
    assert bound.sigma_max == pytest.approx(2.0, rel=1e-12)
    assert bound.verdict == "not guaranteed"
    relu = make_model(activation="relu")
    relu.params["l0.W_hh"][...] = 0.99 * orthogonal(6, 1)
    assert recurrent_jacobian_bound(relu).verdict == "must vanish"
    relu.params["l0.W_hh"][...] = np.nan
    nan_bound = recurrent_jacobian_bound(relu)
    assert math.isnan(nan_bound.sigma_max) and nan_bound.verdict == "not guaranteed"


def test_bound_is_frozen():
    bound = recurrent_jacobian_bound(make_model())
    with pytest.raises(FrozenInstanceError):
        bound.verdict = "must vanish"


def test_bound_picks_the_layer():
    model = make_model(num_layers=2)
    model.params["l1.W_hh"][...] = 3.0 * orthogonal(6, 2)
    assert recurrent_jacobian_bound(model, 1).sigma_max == pytest.approx(3.0, rel=1e-12)
    assert recurrent_jacobian_bound(model, -1).layer == 1
    with pytest.raises(IndexError):
        recurrent_jacobian_bound(model, 2)


@pytest.mark.parametrize(("cell", "gates"), [("gru", "rzn"), ("lstm", "ifgo")])
def test_bound_for_gated_cells_is_per_block(cell, gates):
    model = make_model(cell=cell)
    H = 6
    scales = {g: 0.5 + k for k, g in enumerate(gates)}
    model.params["l0.W_h"][...] = np.hstack(
        [scales[g] * orthogonal(H, k) for k, g in enumerate(gates)]
    )
    bound = recurrent_jacobian_bound(model)
    assert bound.verdict == "no bound" and bound.bound is None and bound.gamma is None
    assert bound.cell == cell
    assert list(bound.blocks) == list(gates)
    for g in gates:
        assert bound.blocks[g] == pytest.approx(scales[g], rel=1e-12)
    assert bound.sigma_max == pytest.approx(max(scales.values()), rel=1e-12)


@pytest.mark.parametrize("sigma", [0.5, 0.9])
@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_the_bound_holds_for_the_jacobians(sigma, activation):
    model = make_model(activation=activation, hidden_size=8)
    W = np.random.default_rng(4).standard_normal((8, 8))
    model.params["l0.W_hh"][...] = sigma * W / np.linalg.norm(W, 2)  # σ_max exactly sigma
    bound = recurrent_jacobian_bound(model)
    assert bound.verdict == "must vanish"
    tokens = np.random.default_rng(5).integers(0, 5, 20)
    norms = jacobian_norms(model, tokens)  # ‖∂h_{T−1}/∂h_k‖, k = 0 … T−1
    steps_back = np.arange(20)[::-1]
    assert (norms <= bound.bound**steps_back + 1e-12).all()
    assert norms[0] < 0.9**19 + 1e-12  # so 19 steps back, at most 0.9**19 ≈ 13% is left


# --------------------------------------------------------------------------------------
# dh_profile
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "overrides",
    [{}, {"cell": "gru", "num_layers": 2}, {"cell": "lstm", "output": "many_to_many"}],
)
def test_dh_profile_is_the_trainers_masked_mean(overrides):
    model = make_model(**overrides)
    ids, targets, mask = token_batch(model, B=5, T=8)
    if model.config.output == "many_to_many":
        targets = np.random.default_rng(2).integers(0, 3, ids.shape)
    _, _, info = model.loss_and_grads(ids, targets, mask)
    dh = info.dh_norm[-1]  # (B, T), the last layer
    expected = np.array([dh[mask[:, t], t].mean() for t in range(8)])
    got = dh_profile(model, ids, targets, mask)
    assert got.shape == (8,) and got.dtype == np.float64
    np.testing.assert_allclose(got, expected, rtol=1e-13)
    # One example: a batch of one, cut to its real steps.
    n = int(mask[2].sum())
    one_ids = ids[2:3, :n]
    one_targets = targets[2:3, :n] if targets.ndim == 2 else targets[2:3]
    _, _, info1 = model.loss_and_grads(one_ids, one_targets)
    got1 = dh_profile(model, one_ids, one_targets)
    assert got1.shape == (n,)
    np.testing.assert_allclose(got1, info1.dh_norm[-1][0], rtol=1e-13)


def test_dh_profile_matches_the_trainer_metric():
    task = make_adding(seed=0, lag=5, n_train=32, n_test=8)
    config = replace(VANISHING_CONFIG, hidden_size=8, batch_size=32, steps=1)
    trainer = Trainer(config, task.data)
    model = trainer.model.copy()
    metrics = trainer.step(1)[0]
    x, y, m = task.data.train.batch(np.arange(32))  # the whole training set: one batch
    # The trainer's batch is a permutation of it; a mean over sequences does not care.
    np.testing.assert_allclose(dh_profile(model, x, y, m), metrics["dh_norm"][-1], rtol=1e-4)


# --------------------------------------------------------------------------------------
# measure_batch
# --------------------------------------------------------------------------------------


def test_measure_batch_is_the_first_test_sequences_cut_to_their_longest():
    task = load_task("sentiment-tiny")  # many-to-one, sequences of different lengths
    test = task.data.test
    x, y, m = measure_batch(task.data, 5)
    width = int(test.mask[:5].sum(axis=1).max())
    assert width < test.mask.shape[1]  # there is padding to cut
    assert m.shape == (5, width) and x.shape[:2] == (5, width)
    np.testing.assert_array_equal(x, test.inputs[:5, :width])
    np.testing.assert_array_equal(m, test.mask[:5, :width])
    np.testing.assert_array_equal(y, test.targets[:5])  # one target per sequence: not cut
    assert measure_batch(task.data, 10**6)[0].shape[0] == len(test)  # all of them, no more


def test_measure_batch_cuts_per_step_targets():
    """Many-to-many: the targets are per step, so they are cut with the inputs."""
    ids, mask = pad_sequences([[1, 2], [3, 4, 1], [2], [1, 1, 1, 1, 1]])
    split = SequenceData(ids, ids + 10, mask)  # one target per step
    data = Dataset(split, split, 5, 15, output="many_to_many")
    x, y, m = measure_batch(data, 3)  # the longest of the first three has 3 steps
    np.testing.assert_array_equal(x, ids[:3, :3])
    np.testing.assert_array_equal(y, ids[:3, :3] + 10)
    np.testing.assert_array_equal(m, mask[:3, :3])


# --------------------------------------------------------------------------------------
# growth_summary
# --------------------------------------------------------------------------------------


def geometric(factor: float, T: int = 20) -> np.ndarray:
    """norms[t] = factor ** (steps back from the last step)."""
    return factor ** np.arange(T)[::-1].astype(float)


def test_growth_summary_vanishing():
    s = growth_summary(geometric(0.62))
    assert s["kind"] == "vanishing" and s["horizon"] == 10
    assert s["factor"] == pytest.approx(0.62, rel=1e-12)
    assert s["left_after"] == pytest.approx(0.62**10, rel=1e-10)
    assert growth_summary(geometric(0.62), horizon=3)["left_after"] == pytest.approx(0.62**3)


@pytest.mark.parametrize(
    ("norms", "kind", "factor"),
    [
        (geometric(1.3), "exploding", 1.3),
        (np.full(15, 0.2), "steady", 1.0),
        (geometric(0.95), "steady", 0.95),
        (geometric(1.12), "exploding", 1.12),
    ],
)
def test_growth_summary_kinds(norms, kind, factor):
    s = growth_summary(norms)
    assert s["kind"] == kind and s["factor"] == pytest.approx(factor, rel=1e-12)
    assert s["left_after"] == pytest.approx(factor**10, rel=1e-10)


def test_growth_summary_unknown_and_absurd():
    s = growth_summary(np.zeros(12))
    assert s["kind"] == "unknown" and math.isnan(s["factor"]) and math.isnan(s["left_after"])
    huge = growth_summary([1e40, 1.0])  # factor 1e40: 1e400 does not fit a float
    assert huge["kind"] == "exploding" and huge["left_after"] == math.inf
    for bad in (0, -1, 2.5, True):
        with pytest.raises(ValueError):
            growth_summary(geometric(0.5), horizon=bad)


def test_growth_summary_an_overflowed_curve_is_exploding():
    """An exploding run's last batch (issue 13): 0 at every step but an inf at the last. The
    fit has no two points, but an overflow is an explosion, not "unknown"."""
    s = growth_summary([0.0] * 59 + [math.inf])
    assert s["kind"] == "exploding" and s["overflow"] is True and s["diverged"] is False
    assert math.isnan(s["factor"]) and s["peak"] == 0.0
    inside = growth_summary([1.0, math.nan, 2.0, 4.0])  # NaN before the last step: inf·0
    assert inside["kind"] == "exploding" and inside["overflow"] is True
    assert inside["peak"] == 4.0


def test_growth_summary_a_diverged_run_is_exploding_whatever_the_fit():
    """The model an exploding run was returned to: a huge last entry, zeros further back
    (saturated states pass nothing). The fit says ×1e-15 per step back; with the run's
    divergence the verdict is exploding, the fit still reported."""
    norms = np.array([0.0] * 13 + [8.88e20, 1.21e36])
    fit = (8.88e20 / 1.21e36) ** 1  # two points one step apart
    assert growth_summary(norms)["kind"] == "vanishing"  # the curve alone: the fit decides
    s = growth_summary(norms, diverged=True)
    assert s["kind"] == "exploding" and s["diverged"] is True and s["overflow"] is False
    assert s["factor"] == pytest.approx(fit, rel=1e-9) and s["peak"] == 1.21e36
    steady = growth_summary(np.full(8, 0.5), diverged=True)
    assert steady["kind"] == "exploding" and steady["factor"] == pytest.approx(1.0)


def test_growth_summary_trailing_nan_is_a_shorter_batch_not_an_overflow():
    """The trainer's history rows are NaN past a shorter batch: those steps were not reached."""
    norms = np.concatenate([geometric(0.62, T=12), np.full(5, np.nan)])
    s = growth_summary(norms)
    assert s["kind"] == "vanishing" and s["overflow"] is False
    assert s["factor"] == pytest.approx(0.62, rel=1e-12) and s["peak"] == 1.0
    assert growth_summary(np.full(4, np.nan))["kind"] == "unknown"


def test_last_intact_skips_rows_after_the_blow_up():
    rows = np.array(
        [
            [0.5, 0.4, 0.3, 0.2],
            [400.0, 40.0, 9.0, 0.1],  # the explosion through time: intact
            [0.0, 0.0, 1e-20, 1e6],  # saturated: zeros before a huge last step
            [0.0, 0.0, 0.0, np.inf],  # overflowed
        ]
    )
    assert last_intact(rows) == 1
    assert last_intact(rows[:1]) == 0
    assert last_intact(rows[2:]) is None
    short = np.array([[0.3, 0.2, np.nan, np.nan]])  # a shorter batch is still intact
    assert last_intact(np.vstack([rows, short])) == 4
    with pytest.raises(ValueError):
        last_intact(np.ones(3))


def test_the_exploding_runs_gradient_is_called_exploding():
    """The gradient lab's exploding set-up (ρ = 1.5, plain SGD at 0.1, no clipping) trained
    until the NaN guard stops it: the curves of the steps it took are read as exploding.
    (The model it is returned to depends on the trainer's rollback rule; the lab's page
    calls it exploding by the run's divergence — see the test above.)"""
    task = load_task("adding")  # the lab's task: lag 50, seed 0 (built in ~20 ms)
    config = replace(
        VANISHING_CONFIG, spectral_radius=1.5, clip="none", optimizer="sgd", lr=0.1, steps=200
    )
    trainer = Trainer(config, task.data)
    history = trainer.step(200)
    assert trainer.status == "diverged"
    rows = np.array([m["dh_norm"][-1] for m in history])
    assert growth_summary(rows[-1])["kind"] == "exploding"  # it overflowed: [0, …, 0, inf]
    # measured: the gradient grew back through time at step 3 (×1.14 per step), the update
    # threw the weights off the cliff; from step 4 the states saturate (zeros further back)
    intact = last_intact(rows)
    assert intact == 2 and growth_summary(rows[intact])["kind"] == "exploding"


# ----------------------------------------------------------------------------- one backward


@pytest.mark.parametrize("cell", ["rnn", "lstm"])
def test_batch_gradients_is_the_models_own_float64_backward(cell):
    """One backward serves the profile, the clipping comparison and the update direction:
    its gradients are the model's own (taken on a float64 copy of a float32 model) and its
    profile is the masked mean of the last layer's ‖∂L/∂h_t‖."""
    config = ModelConfig(cell=cell, hidden_size=6, input_size=5, output_size=3)
    model = RNNModel.create(config, np.random.default_rng(4), dtype=np.float32)
    ids, targets, mask = token_batch(model, B=5, T=8)
    before = snapshot(model.params)
    grads, profile = batch_gradients(model, ids, targets, mask)
    _, expected, info = model.copy(np.float64).loss_and_grads(ids, targets, mask)
    assert list(grads) == list(expected)
    for k, g in expected.items():
        assert grads[k].dtype == np.float64
        np.testing.assert_array_equal(grads[k], g)
    per_seq = np.asarray(info.dh_norm[-1])
    by_hand = [per_seq[mask[:, t], t].mean() for t in range(ids.shape[1])]
    np.testing.assert_allclose(profile, by_hand, rtol=1e-12)
    np.testing.assert_array_equal(profile, dh_profile(model, ids, targets, mask))
    assert_same(model.params, before)


@pytest.mark.parametrize("clip", ["none", "norm", "value"])
def test_sgd_step_from_taken_gradients_is_update_direction(clip):
    model = make_model(seed=5)
    ids, targets, mask = token_batch(model)
    grads, _ = batch_gradients(model, ids, targets, mask)
    kept = snapshot(grads)
    step = sgd_step(grads, lr=0.3, clip=clip, threshold=0.05)
    assert_same(grads, kept)  # only read: the same gradients serve the clipping comparison
    direct = update_direction(model, ids, targets, mask, lr=0.3, clip=clip, threshold=0.05)
    assert list(step) == list(direct)
    for k in direct:
        np.testing.assert_array_equal(step[k], direct[k])
    if clip == "none":
        for k, g in kept.items():
            np.testing.assert_allclose(step[k], -0.3 * g, rtol=1e-15)
    with pytest.raises(ValueError, match="clip must be one of"):
        sgd_step(grads, lr=0.1, clip="sometimes")
