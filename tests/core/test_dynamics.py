"""The fixed-point finder on networks whose fixed points are known by construction."""

import numpy as np
import pytest

from rnn_core.dynamics import (
    find_fixed_points,
    input_drive,
    sample_starts,
    speed_and_grad,
    step_and_jacobian,
)
from rnn_core.model import ModelConfig, RNNModel


def _model(cell, H, D=3, activation="tanh", input_kind="onehot", seed=0, scale=1.0):
    cfg = ModelConfig(
        cell=cell, hidden_size=H, input_size=D, activation=activation, input_kind=input_kind
    )
    m = RNNModel.create(cfg, np.random.default_rng(seed), dtype=np.float64)
    for k, v in m.params.items():
        if "W_h" in k:
            v *= scale
    return m


def _two_unit_tanh():
    """h' = tanh(2 h) on each of 2 uncoupled units, no input: fixed points at 0 (unstable,
    λ = 2) and ±a with a = tanh(2a) (stable, λ = 2(1 − a²))."""
    m = _model("rnn", 2, D=1)
    m.params["l0.W_hh"][:] = np.diag([2.0, 2.0])
    m.params["l0.W_xh"][:] = 0.0
    m.params["l0.b_h"][:] = 0.0
    a = 1.0
    for _ in range(200):  # Newton on a − tanh(2a)
        t = np.tanh(2 * a)
        a -= (a - t) / (1 - 2 * (1 - t * t))
    return m, a


def test_linear_rnn_finds_its_one_fixed_point():
    # relu with every pre-activation positive is linear: h' = h W + b, h* = b (I − W)^-1
    m = _model("rnn", 3, D=1, activation="relu")
    W = np.array([[0.5, 0.1, 0.0], [0.0, 0.4, 0.2], [0.1, 0.0, 0.3]])
    b = np.array([1.0, 2.0, 1.5])
    m.params["l0.W_hh"][:] = W
    m.params["l0.W_xh"][:] = 0.0
    m.params["l0.b_h"][:] = b
    want = b @ np.linalg.inv(np.eye(3) - W)
    starts = want + np.random.default_rng(1).uniform(-0.5, 0.5, (10, 3))
    fp = find_fixed_points(m, None, starts)
    assert len(fp.points) == 1
    np.testing.assert_allclose(fp.points[0], want, atol=1e-6)
    lam = np.sort(np.abs(np.linalg.eigvals(W)))[::-1]
    np.testing.assert_allclose(np.abs(fp.eigenvalues[0]), lam, atol=1e-6)
    assert fp.stable[0]


def test_two_unit_tanh_stable_and_unstable_points():
    m, a = _two_unit_tanh()
    grid = np.array([[u, v] for u in (-1.2, -0.05, 0.05, 1.2) for v in (-1.2, -0.05, 0.05, 1.2)])
    fp = find_fixed_points(m, None, grid)
    assert len(fp.points) == 9  # every combination of {−a, 0, a} on the two units
    want = sorted((i * a, j * a) for i in (-1, 0, 1) for j in (-1, 0, 1))
    got = sorted(map(tuple, fp.points))
    np.testing.assert_allclose(got, want, atol=1e-6)
    for p, lams, stable in zip(fp.points, fp.eigenvalues, fp.stable, strict=True):
        slopes = np.sort(2 * (1 - np.tanh(2 * p) ** 2))[::-1]
        np.testing.assert_allclose(lams.real, slopes, atol=1e-6)
        assert stable == bool(np.all(np.abs(p) > 0.5))  # stable only at (±a, ±a)


@pytest.mark.parametrize(
    "cell,activation", [("rnn", "tanh"), ("rnn", "relu"), ("gru", "tanh"), ("lstm", "tanh")]
)
def test_analytic_gradient_and_jacobian_match_finite_differences(cell, activation):
    m = _model(cell, 4, activation=activation, seed=3, scale=2.0)
    drive = input_drive(m, 1)
    S = 8 if cell == "lstm" else 4
    s = np.random.default_rng(2).normal(0, 0.7, (3, S))
    _, g = speed_and_grad(m, s, drive)
    _, J = step_and_jacobian(m, s, drive)
    eps = 1e-6
    for j in range(S):
        e = np.zeros(S)
        e[j] = eps
        qp, _ = speed_and_grad(m, s + e, drive)
        qm, _ = speed_and_grad(m, s - e, drive)
        np.testing.assert_allclose(g[:, j], (qp - qm) / (2 * eps), rtol=1e-5, atol=1e-8)
        Fp, _ = step_and_jacobian(m, s + e, drive)
        Fm, _ = step_and_jacobian(m, s - e, drive)
        np.testing.assert_allclose(J[:, :, j], (Fp - Fm) / (2 * eps), rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_one_step_matches_the_models_forward(cell):
    m = _model(cell, 5, D=4, seed=4)
    tokens = np.array([[2, 0, 3]])
    fw = m.forward(tokens)
    cache = fw.caches[0]
    hs = cache.hbuf[1:, 0]
    states = np.concatenate([hs, cache.saved["C"][1:, 0]], 1) if cell == "lstm" else hs
    for t in (1, 2):
        F, _ = step_and_jacobian(m, states[t - 1 : t], input_drive(m, int(tokens[0, t])))
        np.testing.assert_allclose(F[0], states[t], atol=1e-12)


@pytest.mark.parametrize("cell", ["gru", "lstm"])
def test_gated_cells_reach_a_fixed_point_from_real_trajectories(cell):
    m = _model(cell, 6, D=4, seed=5)
    rng = np.random.default_rng(0)
    starts = sample_starts(m, rng.integers(0, 4, (8, 10)), 20, rng)
    assert starts.shape == (20, 12 if cell == "lstm" else 6)
    fp = find_fixed_points(m, None, starts, max_speed=1e-20)
    assert len(fp.points) >= 1
    F, _ = step_and_jacobian(m, fp.points, input_drive(m, None))
    np.testing.assert_allclose(F, fp.points, atol=1e-9)
    assert fp.speeds.max() <= 1e-20


def test_two_layer_models_are_refused():
    cfg = ModelConfig(cell="gru", hidden_size=3, input_size=3, num_layers=2)
    m = RNNModel.create(cfg, np.random.default_rng(0))
    with pytest.raises(ValueError, match="single-layer"):
        find_fixed_points(m, None, np.zeros((1, 3)))


def test_minima_the_network_cannot_reach_are_dropped():
    # a GRU whose update gate is shut (z ≈ 1) keeps any state: every start is "fixed", but a
    # GRU's h never leaves [−1, 1], so starts outside it are no states of the network
    m = _model("gru", 2, D=1)
    m.params["l0.b_x"][2:4] = 40.0
    inside = np.array([[0.5, -0.5], [0.9, 0.1]])
    outside = np.array([[1.5, 0.0], [-0.2, -3.0]])
    fp = find_fixed_points(m, None, np.concatenate([inside, outside]))
    np.testing.assert_allclose(sorted(map(tuple, fp.points)), sorted(map(tuple, inside)))
    assert (fp.near_one == 2).all()
