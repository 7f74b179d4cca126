"""The recurrent cells against hand-worked numbers, finite differences and slow references."""

from __future__ import annotations

import math

import numpy as np
import pytest

from rnn_core import cells as C
from rnn_core.gradcheck import numerical_gradient, relative_error

CASES = [("rnn", "tanh"), ("rnn", "relu"), ("gru", "tanh"), ("lstm", "tanh")]


def make_params(cell, D, H, rng, dtype=np.float64):
    G = {"rnn": 1, "gru": 3, "lstm": 4}[cell]
    if cell == "rnn":
        shapes = {"W_xh": (D, H), "W_hh": (H, H), "b_h": (H,)}
    elif cell == "gru":
        shapes = {"W_x": (D, 3 * H), "W_h": (H, 3 * H), "b_x": (3 * H,), "b_h": (3 * H,)}
    else:
        shapes = {"W_x": (D, G * H), "W_h": (H, G * H), "b": (G * H,)}
    return {k: rng.normal(scale=0.7, size=s).astype(dtype) for k, s in shapes.items()}


def make_problem(cell, rng, B=3, T=6, D=4, H=3, lengths=(6, 2, 4), dtype=np.float64):
    params = make_params(cell, D, H, rng, dtype)
    x = rng.normal(size=(B, T, D)).astype(dtype)
    mask = np.arange(T)[None] < np.array(lengths)[:, None]
    h0 = rng.normal(size=(B, H)).astype(dtype)
    state0 = (h0, rng.normal(size=(B, H)).astype(dtype)) if cell == "lstm" else h0
    weights = rng.normal(size=(B, T, H)).astype(dtype)  # L = Σ weights ⊙ hs
    return params, x, mask, state0, weights


# ----------------------------------------------------------------------------- references


def test_seed_002_published_final_state():
    """Seed 002 prints this final state for its weights (x @ W_xh + h @ W_hh + b)."""
    x = np.array([[[1, 2], [2, 3], [3, 4]]]) / 100
    w_x = np.array([[1, 3, 5, 7], [3, 5, 7, 8]]) / 100
    w_h = np.array([[1, 3, 5, 7], [2, 4, 6, 8], [3, 5, 7, 8], [4, 6, 8, 10]]) / 100
    b = np.array([1.0, 1.0, 1.0, 1.0])
    hs, _ = C.rnn_forward(x, None, {"W_xh": w_x, "W_hh": w_h, "b_h": b})
    np.testing.assert_allclose(
        hs[:, -1], [[0.79494228, 0.81839002, 0.83939649, 0.85584174]], atol=5e-9
    )


def test_constant_weights_rnn_worked_by_hand():
    # D=1, H=2, every weight 0.5 (input) / 0.25 (recurrent), no bias, x = [1, 2].
    params = {"W_xh": np.full((1, 2), 0.5), "W_hh": np.full((2, 2), 0.25), "b_h": np.zeros(2)}
    x = np.array([[[1.0], [2.0]]])
    hs, cache = C.rnn_forward(x, None, params)
    h1 = math.tanh(0.5)  # 0.5·1
    h2 = math.tanh(1.0 + 2 * 0.25 * h1)  # 0.5·2 + (0.25·h1 + 0.25·h1)
    np.testing.assert_allclose(hs[0], [[h1, h1], [h2, h2]], rtol=1e-15)
    # L = h2[0]: dL/db_h[0] through step 2 directly, plus through h1 into both units' step-2 input
    dhs = np.zeros((1, 2, 2))
    dhs[0, 1, 0] = 1.0
    _, dh0, g = C.rnn_backward(dhs, cache)
    s2, s1 = 1 - h2 * h2, 1 - h1 * h1
    assert g["b_h"][0] == pytest.approx(s2 + s2 * 0.25 * s1)
    assert g["b_h"][1] == pytest.approx(s2 * 0.25 * s1)
    assert g["W_hh"][0, 0] == pytest.approx(s2 * h1)  # h1[0] feeds unit 0 at step 2
    assert g["W_xh"][0, 0] == pytest.approx(2 * s2 + 1 * s2 * 0.25 * s1)
    np.testing.assert_allclose(dh0, [[0.25 * s2 * 0.25 * s1 * 2] * 2])


def test_constant_weights_gru_and_lstm_worked_by_hand():
    a, b = 0.5, 0.3  # every input weight a, every recurrent weight b, biases 0; D = H = 1
    x = np.array([[[1.0], [1.0]]])
    sig = 1 / (1 + math.exp(-a))
    # GRU step 1 from h0 = 0: r = z = σ(a), n = tanh(a), h1 = (1 − z)·n
    gru = {"W_x": np.full((1, 3), a), "W_h": np.full((1, 3), b), "b_x": np.zeros(3), "b_h": 0}
    gru["b_h"] = np.zeros(3)
    hs, _ = C.gru_forward(x, None, gru)
    h1 = (1 - sig) * math.tanh(a)
    r2 = z2 = 1 / (1 + math.exp(-(a + b * h1)))
    n2 = math.tanh(a + r2 * b * h1)
    np.testing.assert_allclose(hs[0, :, 0], [h1, (1 - z2) * n2 + z2 * h1], rtol=1e-14)
    # LSTM step 1 from (0, 0): i = f = o = σ(a), g = tanh(a), c1 = i·g, h1 = o·tanh(c1)
    lstm = {"W_x": np.full((1, 4), a), "W_h": np.full((1, 4), b), "b": np.zeros(4)}
    hs, cache = C.lstm_forward(x, None, lstm)
    c1 = sig * math.tanh(a)
    h1 = sig * math.tanh(c1)
    s2 = 1 / (1 + math.exp(-(a + b * h1)))
    c2 = s2 * c1 + s2 * math.tanh(a + b * h1)
    np.testing.assert_allclose(hs[0, :, 0], [h1, s2 * math.tanh(c2)], rtol=1e-14)
    np.testing.assert_allclose(cache.saved["C"][1:, 0, 0], [c1, c2], rtol=1e-14)


# ----------------------------------------------------------------------------- gradients


@pytest.mark.parametrize(("cell", "act"), CASES)
def test_backward_matches_finite_differences_with_masks(cell, act):
    rng = np.random.default_rng(1)
    params, x, mask, state0, weights = make_problem(cell, rng)

    def loss():
        hs, _ = C.cell_forward(cell, x, state0, params, mask, act)
        return float(np.sum(hs * weights))

    _, cache = C.cell_forward(cell, x, state0, params, mask, act)
    dx, dstate0, grads = C.cell_backward(weights, cache)
    for name, p in params.items():
        assert relative_error(grads[name], numerical_gradient(loss, p)) < 1e-6, name
    assert relative_error(dx, numerical_gradient(loss, x)) < 1e-6
    if cell == "lstm":
        assert relative_error(dstate0[0], numerical_gradient(loss, state0[0])) < 1e-6
        assert relative_error(dstate0[1], numerical_gradient(loss, state0[1])) < 1e-6
    else:
        assert relative_error(dstate0, numerical_gradient(loss, state0)) < 1e-6


@pytest.mark.parametrize(("cell", "act"), CASES)
def test_padding_carries_the_state_and_takes_no_gradient(cell, act):
    rng = np.random.default_rng(2)
    params, x, mask, state0, weights = make_problem(cell, rng)
    hs, cache = C.cell_forward(cell, x, state0, params, mask, act)
    lengths = mask.sum(axis=1)
    for b, n in enumerate(lengths):
        np.testing.assert_array_equal(hs[b, n:], np.broadcast_to(hs[b, n - 1], hs[b, n:].shape))
    # the padded inputs change nothing, and get no gradient
    x2 = x.copy()
    x2[~mask] = 123.0
    hs2, _ = C.cell_forward(cell, x2, state0, params, mask, act)
    np.testing.assert_array_equal(hs, hs2)
    dx, _, _ = C.cell_backward(weights, cache)
    assert not dx[~mask].any()
    # and each row equals running that sequence alone, unpadded
    for b, n in enumerate(lengths):
        s0 = tuple(s[b : b + 1] for s in state0) if cell == "lstm" else state0[b : b + 1]
        alone, _ = C.cell_forward(cell, x[b : b + 1, :n], s0, params, None, act)
        np.testing.assert_allclose(hs[b, :n], alone[0], rtol=1e-13)


@pytest.mark.parametrize(("cell", "act"), CASES)
def test_dh_norm_is_the_norm_of_the_total_gradient_reaching_each_state(cell, act):
    """dL/dh_t = dhs[t] + (what the rest of the sequence sends back), checked by running the
    rest of the sequence from a perturbed h_t."""
    rng = np.random.default_rng(3)
    params, x, _, state0, weights = make_problem(cell, rng, lengths=(6, 6, 6))
    hs, cache = C.cell_forward(cell, x, state0, params, None, act)
    C.cell_backward(weights, cache)
    T = x.shape[1]
    for t in (0, 2, T - 2):
        h_t = hs[:, t].copy()
        c_t = cache.saved["C"][t + 1].copy() if cell == "lstm" else None

        def rest(h_t=h_t, c_t=c_t, t=t):
            s0 = (h_t, c_t) if cell == "lstm" else h_t
            later, _ = C.cell_forward(cell, x[:, t + 1 :], s0, params, None, act)
            return float(np.sum(later * weights[:, t + 1 :]) + np.sum(h_t * weights[:, t]))

        expected = numerical_gradient(rest, h_t)  # (B, H)
        np.testing.assert_allclose(cache.dh_total[t], expected, atol=1e-7)
        np.testing.assert_allclose(cache.dh_norm[:, t], np.linalg.norm(expected, axis=1), atol=1e-7)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("cell", "act"), CASES)
def test_dtype_follows_the_parameters(cell, act, dtype):
    rng = np.random.default_rng(4)
    params, x, mask, _state0, weights = make_problem(cell, rng, dtype=dtype)
    hs, cache = C.cell_forward(cell, x.astype(np.float64), None, params, mask, act)
    assert hs.dtype == dtype
    dx, _, grads = C.cell_backward(weights, cache)
    assert dx.dtype == dtype
    assert all(g.dtype == dtype for g in grads.values())
    assert cache.dh_norm.dtype == dtype


def test_float32_agrees_with_float64():
    rng = np.random.default_rng(5)
    for cell, act in CASES:
        params, x, mask, _state0, weights = make_problem(cell, rng)
        p32 = {k: v.astype(np.float32) for k, v in params.items()}
        hs64, c64 = C.cell_forward(cell, x, None, params, mask, act)
        hs32, c32 = C.cell_forward(cell, x, None, p32, mask, act)
        np.testing.assert_allclose(hs32, hs64, atol=1e-5)
        _, _, g64 = C.cell_backward(weights, c64)
        _, _, g32 = C.cell_backward(weights, c32)
        for k in g64:
            assert relative_error(g32[k], g64[k]) < 1e-5


# ----------------------------------------------------------------------------- truncation


def truncated_reference(cell, act, params, x, mask, state0, dhs, k):
    """The obvious, slow definition: the loss at step t sends gradient back through steps
    t, t−1, …, t−k only. For each t, run the window x[t−k … t] from the (constant) state
    before it, with the loss only at its last step, and add up the full-BPTT gradients."""
    hs, cache = C.cell_forward(cell, x, state0, params, mask, act)
    T = x.shape[1]
    total = {name: np.zeros_like(p) for name, p in params.items()}
    for t in range(T):
        start = max(0, t - k)
        if start == 0:
            s0 = state0
        elif cell == "lstm":
            s0 = (hs[:, start - 1], cache.saved["C"][start])
        else:
            s0 = hs[:, start - 1]
        _, wcache = C.cell_forward(
            cell, x[:, start : t + 1], s0, params, mask[:, start : t + 1], act
        )
        window_dhs = np.zeros((x.shape[0], t + 1 - start, hs.shape[2]))
        window_dhs[:, -1] = dhs[:, t]
        _, _, g = C.cell_backward(window_dhs, wcache)
        for name in total:
            total[name] += g[name]
    return total


@pytest.mark.parametrize(("cell", "act"), CASES)
@pytest.mark.parametrize("k", [0, 1, 3])
def test_truncated_bptt_matches_the_slow_reference(cell, act, k):
    rng = np.random.default_rng(6)
    params, x, mask, state0, dhs = make_problem(cell, rng, T=7, lengths=(7, 3, 5))
    _, cache = C.cell_forward(cell, x, state0, params, mask, act)
    _, _, grads = C.cell_backward(dhs, cache, truncate=k)
    expected = truncated_reference(cell, act, params, x, mask, state0, dhs, k)
    for name in grads:
        np.testing.assert_allclose(grads[name], expected[name], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(("cell", "act"), CASES)
def test_truncate_at_least_T_is_exactly_full_bptt(cell, act):
    rng = np.random.default_rng(7)
    params, x, mask, state0, dhs = make_problem(cell, rng)
    T = x.shape[1]
    _, cache = C.cell_forward(cell, x, state0, params, mask, act)
    full = C.cell_backward(dhs, cache)
    full_norms = cache.dh_norm.copy()
    for k in (T, T + 5):
        again = C.cell_backward(dhs, cache, truncate=k)
        np.testing.assert_array_equal(again[0], full[0])
        for name in full[2]:
            np.testing.assert_array_equal(again[2][name], full[2][name])
        np.testing.assert_array_equal(cache.dh_norm, full_norms)
    # the truncated path with k = T − 1 reaches everything too (summed in another order)
    approx = C.cell_backward(dhs, cache, truncate=T - 1)
    for name in full[2]:
        np.testing.assert_allclose(approx[2][name], full[2][name], rtol=1e-12)


def test_truncation_shortens_the_reach_of_the_gradient():
    rng = np.random.default_rng(8)
    params, x, _, state0, _ = make_problem("rnn", rng, T=10, lengths=(10, 10, 10))
    dhs = np.zeros((3, 10, 3))
    dhs[:, -1] = 1.0  # only the last step has a loss
    _, cache = C.rnn_forward(x, state0, params)
    C.rnn_backward(dhs, cache, truncate=3)
    assert (cache.dh_norm[:, 6:] > 0).all()  # steps 9, 8, 7, 6 hear from the loss
    assert not cache.dh_norm[:, :6].any()  # earlier steps do not


def test_float32_backward_flushes_denormals():
    """A gradient shrinking through time must not linger in the slow denormal range."""
    rng = np.random.default_rng(9)
    H, T = 16, 300
    params = {
        "W_xh": rng.normal(size=(2, H)).astype(np.float32),
        "W_hh": (0.05 * rng.normal(size=(H, H))).astype(np.float32),
        "b_h": np.zeros(H, np.float32),
    }
    x = rng.normal(size=(4, T, 2)).astype(np.float32)
    _, cache = C.rnn_forward(x, None, params)
    dhs = np.zeros((4, T, H), np.float32)
    dhs[:, -1] = 1.0
    C.rnn_backward(dhs, cache)
    g = cache.dh_total
    tiny = np.finfo(np.float32).tiny
    assert np.count_nonzero((np.abs(g) < tiny) & (g != 0)) == 0
    assert not g[: T - 60].any()  # far back, the signal is gone: flushed to exactly 0


def test_bad_shapes_raise_clear_errors():
    rng = np.random.default_rng(10)
    params = make_params("rnn", 4, 3, rng)
    with pytest.raises(ValueError, match=r"\(B, T, D\)"):
        C.rnn_forward(np.zeros((2, 4)), None, params)
    with pytest.raises(ValueError, match="mask"):
        C.rnn_forward(np.zeros((2, 5, 4)), None, params, mask=np.ones((2, 4), bool))
    with pytest.raises(ValueError, match="activation"):
        C.rnn_forward(np.zeros((2, 5, 4)), None, params, activation="sigmoid")
    _, cache = C.rnn_forward(np.zeros((2, 5, 4)), None, params)
    with pytest.raises(ValueError, match="dhs"):
        C.rnn_backward(np.zeros((2, 4, 3)), cache)
    with pytest.raises(ValueError, match="cell"):
        C.cell_forward("transformer", np.zeros((2, 5, 4)), None, params)
