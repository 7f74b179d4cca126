"""RNNbow split, gate time constants, memory and gradient horizons (rnn_core.dynamics_grads)."""

from __future__ import annotations

import numpy as np
import pytest

from rnn_core.dynamics_grads import (
    gate_time_constants,
    gradient_horizon,
    memory_curve,
    rnnbow_split,
    time_constant,
)
from rnn_core.model import ModelConfig, RNNModel
from rnn_core.tasks.memory import adding_data, copy_data, recall_accuracy

# ----------------------------------------------------------------------------- RNNbow


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
@pytest.mark.parametrize("layers", [1, 2])
def test_rnnbow_parts_sum_to_the_total_gradient_the_lab_shows(cell, layers):
    cfg = ModelConfig(
        cell=cell,
        hidden_size=6,
        num_layers=layers,
        input_size=7,
        output_size=4,
        output="many_to_many",
    )
    model = RNNModel.create(cfg, np.random.default_rng(1), dtype=np.float64)
    rng = np.random.default_rng(2)
    tokens, targets = rng.integers(0, 7, 9), rng.integers(0, 4, 9)
    for layer in range(layers):
        bow = rnnbow_split(model, tokens, targets, layer=layer)
        assert bow.parts.shape == (9, 9, 6) and bow.norms.shape == (9, 9)
        np.testing.assert_allclose(bow.parts.sum(axis=0), bow.total, rtol=1e-10, atol=1e-14)
        # the total is what loss_and_grads reports as ‖∂L/∂h_t‖ (the gradient lab's curve)
        _, _, info = model.loss_and_grads(tokens[None], targets[None])
        np.testing.assert_allclose(np.linalg.norm(bow.total, axis=1), info.dh_norm[layer][0])
        # a loss never reaches the future, and reaches its own step
        assert np.all(bow.norms[np.triu_indices(9, 1)] == 0.0)
        assert np.all(np.diagonal(bow.norms) > 0)


def test_rnnbow_part_is_the_gradient_of_that_steps_loss_alone():
    cfg = ModelConfig(
        cell="rnn",
        hidden_size=5,
        input_kind="dense",
        input_size=3,
        output_size=2,
        output="many_to_many",
        loss="mse",
    )
    model = RNNModel.create(cfg, np.random.default_rng(3), dtype=np.float64)
    rng = np.random.default_rng(4)
    x, y = rng.normal(size=(6, 3)), rng.normal(size=(6, 2))
    bow = rnnbow_split(model, x, y)
    # step 2's loss alone: dL/dout is zero except at step 2 (the loss's 1/n kept)
    fw = model.forward(x[None])
    _, dout, _, _ = model.loss(fw, y[None])
    only = np.zeros_like(dout)
    only[2] = dout[2]
    model.backward(fw, only)
    np.testing.assert_allclose(bow.parts[2], fw.caches[0].dh_total[:, 0], rtol=1e-12)
    assert not np.allclose(bow.parts[2], bow.total)


def test_rnnbow_chosen_sources_and_the_rest_sum_to_the_total():
    cfg = ModelConfig(
        cell="lstm", hidden_size=5, input_size=6, output_size=3, output="many_to_many"
    )
    model = RNNModel.create(cfg, np.random.default_rng(7), dtype=np.float64)
    rng = np.random.default_rng(8)
    tokens, targets = rng.integers(0, 6, 10), rng.integers(0, 3, 10)
    every = rnnbow_split(model, tokens, targets)
    np.testing.assert_array_equal(every.rest, 0.0)
    some = rnnbow_split(model, tokens, targets, sources=[7, 2])
    assert some.sources.tolist() == [2, 7]
    np.testing.assert_allclose(some.parts, every.parts[[2, 7]], rtol=1e-12, atol=1e-15)
    rest = every.parts[[0, 1, 3, 4, 5, 6, 8, 9]].sum(axis=0)
    np.testing.assert_allclose(some.rest, rest, rtol=1e-10, atol=1e-15)
    np.testing.assert_allclose(some.parts.sum(axis=0) + some.rest, some.total, rtol=1e-10)
    with pytest.raises(ValueError, match="sources"):
        rnnbow_split(model, tokens, targets, sources=[10])


def test_rnnbow_of_a_many_to_one_model_has_one_source():
    cfg = ModelConfig(cell="gru", hidden_size=4, input_size=5)
    model = RNNModel.create(cfg, np.random.default_rng(0), dtype=np.float64)
    bow = rnnbow_split(model, np.array([2, 3, 4]), 1)
    assert bow.sources.tolist() == [2]
    np.testing.assert_array_equal(bow.parts[0], bow.total)


# ----------------------------------------------------------------------------- time constants


def test_time_constant_matches_its_definition():
    k = np.array([0.0, 0.5, 0.9, 0.99, 1.0, 1.5])
    tau = time_constant(k)
    np.testing.assert_allclose(tau[1:4], -1.0 / np.log(k[1:4]))
    assert tau[0] == 0.0 and tau[4] == np.inf and np.isnan(tau[5])
    assert tau[3] == pytest.approx(99.4992, rel=1e-5)


def _logit(p):
    return np.log(p / (1 - p))


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_gate_time_constants_on_hand_set_gates(cell):
    keep = np.array([0.5, 0.9, 0.99, 0.2])
    H, D = keep.size, 3
    cfg = ModelConfig(cell=cell, hidden_size=H, input_kind="dense", input_size=D)
    model = RNNModel.create(cfg, np.random.default_rng(0), dtype=np.float64)
    p = model.params
    if cell == "lstm":
        p["l0.W_h"][:, H : 2 * H] = 0.0
        p["l0.W_x"][:, H : 2 * H] = 0.0
        p["l0.W_x"][0, H] = 2.0  # unit 0's forget gate also reads input feature 0
        p["l0.b"][H : 2 * H] = _logit(keep)
        pre_w = 2.0
    else:
        p["l0.W_h"][:, H : 2 * H] = 0.0
        p["l0.W_x"][:, H : 2 * H] = 0.0
        p["l0.W_x"][0, H] = 2.0
        p["l0.b_x"][H : 2 * H] = _logit(keep) - 1.0
        p["l0.b_h"][H : 2 * H] = 1.0  # the update gate reads both biases
        pre_w = 2.0
    x = np.random.default_rng(5).normal(size=(7, 11, D))
    mask = np.ones((7, 11), bool)
    mask[3, 6:] = False  # padding is not counted
    got = gate_time_constants(model, x, mask)
    assert got.gate == ("f" if cell == "lstm" else "z")
    expect = np.tile(keep, (7, 11, 1))
    expect[..., 0] = 1 / (1 + np.exp(-(_logit(keep[0]) + pre_w * x[..., 0])))
    mean = expect[mask].mean(axis=0)
    np.testing.assert_allclose(got.mean_keep, mean, rtol=1e-12)
    np.testing.assert_allclose(got.tau, -1.0 / np.log(mean), rtol=1e-12)
    np.testing.assert_allclose(got.tau[1:], -1.0 / np.log(keep[1:]), rtol=1e-9)


def test_a_vanilla_rnn_has_no_keep_gate():
    model = RNNModel.create(ModelConfig(cell="rnn", hidden_size=3), np.random.default_rng(0))
    with pytest.raises(ValueError, match="no keep gate"):
        gate_time_constants(model, np.array([[2, 3]]))


# ----------------------------------------------------------------------------- horizons


def delay_line(k: int) -> RNNModel:
    """A relu RNN for the adding task that remembers exactly k steps.

    Unit a = relu(value + marker − 1) is the marked value (0 when unmarked). Units d_1 … d_k
    are a delay line of that value plus 1 (d_1 = relu(a_prev + 1), d_j = relu(d_{j−1, prev})),
    so every unit on it is ≥ 1 and passes gradient; units e_1 … e_k carry the same +1 alone
    (filled at the same steps as the d's). The readout a + Σ (d_j − e_j) is the sum of the
    marked values read in the last k + 1 steps: a value read k steps ago counts, one read
    k + 1 steps ago has fallen off the end.
    """
    H = 1 + 2 * k
    cfg = ModelConfig(
        cell="rnn",
        activation="relu",
        hidden_size=H,
        input_kind="dense",
        input_size=2,
        output_size=1,
        loss="mse",
    )
    model = RNNModel.create(cfg, np.random.default_rng(0), dtype=np.float64)
    p = model.params
    for name in ("l0.W_xh", "l0.W_hh", "l0.b_h", "W_hy", "b_y"):
        p[name][...] = 0.0
    d = list(range(1, k + 1))
    e = list(range(k + 1, 2 * k + 1))
    p["l0.W_xh"][:, 0] = 1.0
    p["l0.b_h"][0] = -1.0
    p["l0.W_hh"][0, d[0]] = 1.0
    p["l0.b_h"][d[0]] = 1.0
    p["l0.b_h"][e[0]] = 1.0
    for j in range(1, k):
        p["l0.W_hh"][d[j - 1], d[j]] = 1.0
        p["l0.W_hh"][e[j - 1], e[j]] = 1.0
    p["W_hy"][0] = 1.0
    p["W_hy"][d] = 1.0
    p["W_hy"][e] = -1.0
    return model


@pytest.mark.parametrize("k", [3, 7])
def test_memory_curve_of_a_model_that_remembers_exactly_k_steps(k):
    curve = memory_curve(delay_line(k), "adding", range(1, 2 * k + 2), n=300, window=1)
    assert curve.metric == "mse"
    remembered = curve.lags <= k
    np.testing.assert_allclose(curve.scores[remembered], 0.0, atol=1e-24)
    # past k the first number is lost: the error is that number, E[v²] = 1/3
    assert np.all(np.abs(curve.scores[~remembered] - 1 / 3) < 0.06)
    np.testing.assert_array_equal(curve.ok, remembered)
    assert curve.horizon == k


@pytest.mark.parametrize("k", [3, 7])
def test_gradient_horizon_of_a_model_that_remembers_exactly_k_steps(k):
    lag = 3 * k  # the model fails here, so the loss sends gradient back
    data = adding_data(np.random.default_rng(1), 64, lag, 1)
    gh = gradient_horizon(delay_line(k), data.inputs, data.targets)
    assert gh.norms.shape == (lag + 1,)
    assert np.all(gh.ratios[: k + 1] >= 1e-3)
    np.testing.assert_array_equal(gh.ratios[k + 1 :], 0.0)
    assert (gh.horizon, gh.falls_below_at) == (k, k + 1)


def test_copy_memory_curve_is_the_recall_accuracy():
    cfg = ModelConfig(
        cell="gru", hidden_size=8, input_size=4 + 4, output_size=5, output="many_to_many"
    )
    model = RNNModel.create(cfg, np.random.default_rng(0), dtype=np.float64)
    curve = memory_curve(model, "copy", [0, 4], n=50, seed=3, length=3)
    for lag, score in zip([0, 4], curve.scores, strict=True):
        d = copy_data(np.random.default_rng([3, lag]), 50, 3, lag, 4)
        assert score == recall_accuracy(model, d)
    assert curve.metric == "recall_accuracy" and curve.horizon == 0  # untrained: guesses
