"""Tests for rnn_core.probes: saliency, hidden states, PCA, spectra, Jacobians, growth."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rnn_core.cells import cell_forward
from rnn_core.init import spectral_radius
from rnn_core.losses import log_softmax, softmax
from rnn_core.model import ModelConfig, RNNModel
from rnn_core.probes import (
    PCA,
    SALIENCY_METHODS,
    Spectrum,
    fit_pca,
    growth_factor,
    hidden_states,
    jacobian_matrices,
    jacobian_norms,
    layer_spectra,
    readout_map,
    saliency,
    saturation,
    spectrum,
    unit_order,
)


def make_model(**overrides) -> RNNModel:
    settings_ = dict(cell="rnn", hidden_size=5, input_size=6, output_size=3)
    settings_.update(overrides)
    return RNNModel.create(ModelConfig(**settings_), np.random.default_rng(0), dtype=np.float64)


def explained(model: RNNModel, inputs, target: int) -> float:
    """y of one sequence computed plainly: log p(target) or output[target], at the end."""
    out = model.forward(np.asarray(inputs)[None]).outputs[0]
    out = out if model.config.output == "many_to_one" else out[-1]
    if model.config.loss == "xent":
        return float(log_softmax(out)[target])
    return float(out[target])


def as_dense(model: RNNModel) -> RNNModel:
    """The same network reading features: feed it one-hot vectors we can perturb."""
    cfg = model.config
    dense = ModelConfig(
        cell=cfg.cell,
        activation=cfg.activation,
        hidden_size=cfg.hidden_size,
        num_layers=cfg.num_layers,
        input_kind="dense",
        input_size=cfg.input_size,
        output_size=cfg.output_size,
        output=cfg.output,
        loss=cfg.loss,
    )
    return RNNModel(dense, dict(model.params))


def numeric_input_grad(model: RNNModel, x: np.ndarray, target: int, eps=1e-6) -> np.ndarray:
    """Central differences of y w.r.t. every entry of a dense input x (T, D)."""
    grad = np.zeros_like(x)
    for idx in np.ndindex(*x.shape):
        plus, minus = x.copy(), x.copy()
        plus[idx] += eps
        minus[idx] -= eps
        grad[idx] = (explained(model, plus, target) - explained(model, minus, target)) / (2 * eps)
    return grad


# ----------------------------------------------------------------------------- saliency


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
@pytest.mark.parametrize("output", ["many_to_one", "many_to_many"])
def test_grad_x_input_onehot_matches_finite_difference(cell, output):
    model = make_model(cell=cell, output=output, num_layers=2)
    tokens = np.array([1, 4, 0, 4, 2])
    target = 2
    got = saliency(model, tokens, target=target, method="grad_x_input")
    # Scale the actual token's one-hot entry: d y / d s at s = 1 is ∂y/∂x_t · x_t.
    dense = as_dense(model)
    onehot = np.eye(model.config.input_size)[tokens]
    eps = 1e-6
    expected = []
    for t, tok in enumerate(tokens):
        plus, minus = onehot.copy(), onehot.copy()
        plus[t, tok] += eps
        minus[t, tok] -= eps
        expected.append(
            (explained(dense, plus, target) - explained(dense, minus, target)) / (2 * eps)
        )
    assert got.shape == (len(tokens),)
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("loss", ["xent", "mse"])
def test_dense_gradients_match_finite_differences(loss):
    model = make_model(cell="gru", input_kind="dense", input_size=3, loss=loss, output_size=2)
    x = np.random.default_rng(1).standard_normal((4, 3))
    target = 1
    numeric = numeric_input_grad(model, x, target)
    norm = saliency(model, x, target=target, method="grad_norm")
    gxi = saliency(model, x, target=target, method="grad_x_input")
    np.testing.assert_allclose(norm, np.linalg.norm(numeric, axis=1), rtol=1e-6, atol=1e-10)
    np.testing.assert_allclose(gxi, (numeric * x).sum(axis=1), rtol=1e-6, atol=1e-10)
    assert (norm >= 0).all()


def test_embedding_grad_x_input_is_gradient_dot_embedding():
    model = make_model(cell="lstm", input_kind="embedding", embed_size=4)
    tokens = np.array([3, 1, 5])
    target = 0
    E = model.params["embed"]
    # A dense model fed the embeddings computes exactly what the embedding model does.
    dense_cfg = ModelConfig(
        cell="lstm", hidden_size=5, input_kind="dense", input_size=4, output_size=3
    )
    dense = RNNModel(dense_cfg, {k: v for k, v in model.params.items() if k != "embed"})
    numeric = numeric_input_grad(dense, E[tokens], target)
    got = saliency(model, tokens, target=target, method="grad_x_input")
    np.testing.assert_allclose(got, (numeric * E[tokens]).sum(axis=1), rtol=1e-6, atol=1e-10)


def test_default_target_is_the_predicted_class():
    model = make_model(cell="gru")
    tokens = np.array([0, 5, 2, 2])
    predicted = int(model.predict(tokens[None])[0])
    np.testing.assert_array_equal(
        saliency(model, tokens), saliency(model, tokens, target=predicted)
    )
    other = (predicted + 1) % 3
    assert not np.allclose(saliency(model, tokens), saliency(model, tokens, target=other))


def test_regression_default_explains_the_first_output():
    model = make_model(cell="rnn", loss="mse", output_size=2)
    tokens = np.array([2, 3, 1])
    np.testing.assert_array_equal(saliency(model, tokens), saliency(model, tokens, target=0))
    dense = as_dense(model)
    onehot = np.eye(6)[tokens]
    numeric = numeric_input_grad(dense, onehot, 0)
    np.testing.assert_allclose(saliency(model, tokens), numeric[np.arange(3), tokens], rtol=1e-6)


def one_token_detector() -> RNNModel:
    """relu RNN with W_hh = I: only token 3 writes to the state, everything else is a no-op.

    After a 3 the state is [1, 0] for good, and the logits are [2, −2]; without it, [0, 0].
    """
    cfg = ModelConfig(cell="rnn", activation="relu", hidden_size=2, input_size=4, output_size=2)
    params = {
        "l0.W_xh": np.array([[0.0, 0], [0, 0], [0, 0], [1, 0]]),
        "l0.W_hh": np.eye(2),
        "l0.b_h": np.zeros(2),
        "W_hy": np.array([[2.0, -2.0], [0.0, 0.0]]),
        "b_y": np.zeros(2),
    }
    return RNNModel(cfg, params)


def test_occlusion_finds_the_only_token_that_matters():
    model = one_token_detector()
    tokens = np.array([0, 1, 3, 2, 0])
    occ = saliency(model, tokens, method="occlusion")
    # Predicted class 0: log σ(4) with the 3, log ½ without it.
    expected = np.zeros(5)
    expected[2] = math.log(1 / (1 + math.exp(-4.0))) - math.log(0.5)
    np.testing.assert_allclose(occ, expected, atol=1e-12)
    assert np.argmax(np.abs(occ)) == 2


def test_occlusion_is_full_minus_shortened_prediction():
    model = make_model(cell="gru", output="many_to_many")
    tokens = np.array([1, 2, 3, 4])
    target = 1
    occ = saliency(model, tokens, target=target, method="occlusion")
    full = explained(model, tokens, target)
    expected = [full - explained(model, np.delete(tokens, t), target) for t in range(4)]
    np.testing.assert_allclose(occ, expected, atol=1e-12)


def test_occlusion_of_a_single_token_compares_with_the_zero_state_readout():
    model = make_model(cell="lstm")
    model.params["b_y"][:] = [0.3, -0.1, 0.5]
    occ = saliency(model, np.array([4]), target=2, method="occlusion")
    empty = log_softmax(model.params["b_y"])[2]
    np.testing.assert_allclose(occ, [explained(model, [4], 2) - empty], atol=1e-12)


def test_saliency_rejects_bad_arguments():
    model = make_model()
    with pytest.raises(ValueError, match="method"):
        saliency(model, np.array([1, 2]), method="magic")
    with pytest.raises(ValueError, match="target"):
        saliency(model, np.array([1, 2]), target=3)
    with pytest.raises(ValueError, match="sequence"):
        saliency(model, np.array([[1, 2]]))


def test_saliency_of_a_float32_model_is_float64_and_leaves_the_model_alone():
    model = RNNModel.create(ModelConfig(cell="gru", hidden_size=4), np.random.default_rng(3))
    before = {k: v.copy() for k, v in model.params.items()}
    for method in SALIENCY_METHODS:
        out = saliency(model, np.array([1, 2, 3]), method=method)
        assert out.dtype == np.float64 and out.shape == (3,) and np.isfinite(out).all()
    for k, v in model.params.items():
        assert v.dtype == np.float32
        np.testing.assert_array_equal(v, before[k])


# ----------------------------------------------------------------------------- hidden states


@pytest.mark.parametrize("layer", [0, -1])
def test_hidden_states_are_every_real_step_in_order(layer):
    model = make_model(cell="gru", num_layers=2)
    rng = np.random.default_rng(2)
    lengths = [3, 1, 5, 2, 4]
    ids = rng.integers(0, 6, size=(5, 5))
    mask = np.arange(5)[None, :] < np.array(lengths)[:, None]
    states = hidden_states(model, ids, mask, layer=layer, batch_size=2)
    assert states.shape == (sum(lengths), 5)
    expected = np.concatenate([model.trace(ids[i, :n]).hs[layer] for i, n in enumerate(lengths)])
    np.testing.assert_allclose(states, expected, atol=1e-12)


def test_hidden_states_without_mask_and_with_dense_inputs():
    model = make_model(cell="lstm", input_kind="dense", input_size=3)
    x = np.random.default_rng(0).standard_normal((4, 6, 3))
    states = hidden_states(model, x)
    assert states.shape == (24, 5)
    np.testing.assert_allclose(states[6:12], model.trace(x[1]).hs[0], atol=1e-12)


# ----------------------------------------------------------------------------- PCA


def planted_plane(n=300, H=6, seed=0):
    rng = np.random.default_rng(seed)
    basis, _ = np.linalg.qr(rng.standard_normal((H, 2)))  # (H, 2) orthonormal columns
    coords = rng.standard_normal((n, 2)) * [3.0, 1.0]
    mean = rng.standard_normal(H)
    states = mean + coords @ basis.T + 1e-6 * rng.standard_normal((n, H))
    return states, basis, mean


def test_pca_recovers_a_planted_plane():
    states, basis, mean = planted_plane()
    pca = fit_pca(states, k=2)
    assert pca.components.shape == (2, 6) and pca.explained_variance_ratio.shape == (2,)
    assert pca.explained_variance_ratio.sum() == pytest.approx(1.0, abs=1e-9)
    assert pca.explained_variance_ratio[0] > pca.explained_variance_ratio[1] > 0
    np.testing.assert_allclose(pca.mean, mean, atol=0.5)
    np.testing.assert_allclose(pca.components @ pca.components.T, np.eye(2), atol=1e-12)
    # The components span the planted plane: projecting them onto it loses nothing.
    np.testing.assert_allclose(np.linalg.norm(pca.components @ basis, axis=1), 1.0, atol=1e-9)
    np.testing.assert_allclose(pca.transform(pca.mean), [0.0, 0.0], atol=1e-12)
    # Reconstruction from 2 coordinates is (almost) exact.
    z = pca.transform(states)
    assert z.shape == (300, 2)
    np.testing.assert_allclose(z @ pca.components + pca.mean, states, atol=1e-4)


def test_pca_signs_are_deterministic():
    states, _, _ = planted_plane(seed=4)
    a, b = fit_pca(states), fit_pca(states.copy())
    np.testing.assert_array_equal(a.components, b.components)
    for row in a.components:
        assert row[np.argmax(np.abs(row))] > 0
    # Negating the data flips every SVD direction; the fixed signs do not care.
    flipped = fit_pca(-states)
    np.testing.assert_allclose(flipped.components, a.components, atol=1e-9)


def test_pca_transform_keeps_leading_shape():
    pca = fit_pca(np.random.default_rng(0).standard_normal((50, 4)), k=3)
    assert pca.transform(np.zeros((2, 7, 4))).shape == (2, 7, 3)
    assert isinstance(pca, PCA)
    with pytest.raises(ValueError):
        pca.mean[0] = 1.0  # read-only: a fitted PCA cannot be changed by accident


@pytest.mark.parametrize(
    "states",
    [np.zeros((0, 4)), np.ones((1, 4)), np.full((10, 4), 0.3), np.full((3, 4), np.nan)],
    ids=["empty", "one-row", "constant", "all-nan"],
)
def test_pca_degenerate_inputs_give_a_valid_projection(states):
    pca = fit_pca(states, k=2)
    assert pca.mean.shape == (4,) and pca.components.shape == (2, 4)
    np.testing.assert_array_equal(pca.explained_variance_ratio, [0.0, 0.0])
    assert np.isfinite(pca.mean).all() and np.isfinite(pca.components).all()
    assert pca.transform(np.ones((3, 4))).shape == (3, 2)


def test_pca_ignores_nonfinite_rows_and_pads_missing_components():
    states, _, _ = planted_plane()
    clean = fit_pca(states)
    dirty = fit_pca(np.vstack([states, np.full((1, 6), np.inf)]))
    np.testing.assert_allclose(dirty.components, clean.components, atol=1e-12)
    # A 1-unit layer has only one direction; the second is a zero row with ratio 0.
    one = fit_pca(np.random.default_rng(0).standard_normal((20, 1)), k=2)
    np.testing.assert_allclose(one.components, [[1.0], [0.0]])
    np.testing.assert_allclose(one.explained_variance_ratio, [1.0, 0.0])


# ----------------------------------------------------------------------------- spectrum


def test_spectrum_of_a_scaled_rotation():
    theta = 0.4
    R = 0.7 * np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
    s = spectrum(R)
    assert isinstance(s, Spectrum)
    assert s.spectral_radius == pytest.approx(0.7)
    assert s.max_singular == pytest.approx(0.7)
    np.testing.assert_allclose(np.abs(s.eigenvalues), [0.7, 0.7])
    np.testing.assert_allclose(sorted(np.angle(s.eigenvalues)), [-theta, theta])
    np.testing.assert_allclose(s.singular_values, [0.7, 0.7])


def test_spectrum_of_a_diagonal_matrix_is_sorted_by_magnitude():
    s = spectrum(np.diag([0.5, -2.0, 1.0]))
    np.testing.assert_allclose(s.eigenvalues, [-2.0, 1.0, 0.5])
    assert s.eigenvalues.dtype == np.complex128
    np.testing.assert_allclose(s.singular_values, [2.0, 1.0, 0.5])
    assert s.spectral_radius == pytest.approx(2.0)
    assert s.max_singular == pytest.approx(2.0)


def test_spectrum_of_a_nilpotent_matrix():
    s = spectrum(np.array([[0.0, 3.0, 0.0], [0.0, 0.0, 1.0], [0.0, 0.0, 0.0]]))
    assert s.spectral_radius == pytest.approx(0.0, abs=1e-12)
    np.testing.assert_allclose(s.singular_values, [3.0, 1.0, 0.0], atol=1e-12)
    assert s.max_singular == pytest.approx(3.0)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_spectrum_of_a_diverged_matrix_is_nan(bad):
    W = np.eye(3)
    W[1, 2] = bad
    s = spectrum(W)
    assert s.eigenvalues.shape == (3,) and np.isnan(s.eigenvalues).all()
    assert s.singular_values.shape == (3,) and np.isnan(s.singular_values).all()
    assert math.isnan(s.spectral_radius) and math.isnan(s.max_singular)


def test_spectrum_rejects_non_square():
    with pytest.raises(ValueError, match="square"):
        spectrum(np.ones((2, 3)))


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_layer_spectra_cover_every_gate_block(cell):
    cfg = ModelConfig(cell=cell, hidden_size=6, num_layers=2)
    model = RNNModel.create(cfg, np.random.default_rng(0), spectral_radius=0.9, dtype=np.float64)
    spectra = layer_spectra(model)
    gates = {"rnn": ["h"], "gru": ["r", "z", "n"], "lstm": ["i", "f", "g", "o"]}[cell]
    assert len(spectra) == 2
    for layer in spectra:
        assert list(layer) == gates
        for s in layer.values():
            assert s.spectral_radius == pytest.approx(0.9)
            assert s.max_singular >= s.spectral_radius - 1e-9
    # Each block is its own matrix, not the whole W_h.
    if cell != "rnn":
        model.params["l1.W_h"][:, :6] *= 2.0
        first = next(iter(layer_spectra(model)[1].values()))
        assert first.spectral_radius == pytest.approx(1.8)
        assert first.spectral_radius == pytest.approx(
            spectral_radius(model.params["l1.W_h"][:, :6])
        )


def test_layer_spectra_of_a_nan_model_do_not_raise():
    model = make_model(cell="gru")
    model.params["l0.W_h"][:] = np.nan
    for s in layer_spectra(model)[0].values():
        assert math.isnan(s.spectral_radius)


# ----------------------------------------------------------------------------- Jacobians


def test_vanilla_tanh_jacobian_is_the_product_of_step_jacobians():
    model = make_model(cell="rnn", hidden_size=4)
    tokens = np.array([1, 5, 0, 3, 3, 2])
    T = len(tokens)
    hs = model.trace(tokens).hs[0]  # (T, H)
    W = model.params["l0.W_hh"]
    expected = [np.eye(4)]  # ∂h_{T−1}/∂h_{T−1}
    for t in range(T - 1, 0, -1):  # step t: ∂h_t/∂h_{t−1} = diag(1 − h_t²) W_hhᵀ
        expected.append(expected[-1] @ (np.diag(1 - hs[t] ** 2) @ W.T))
    expected = np.stack(expected[::-1])  # index k: ∂h_{T−1}/∂h_k
    J = jacobian_matrices(model, tokens)
    assert J.shape == (T, 4, 4) and J.dtype == np.float64
    np.testing.assert_allclose(J, expected, atol=1e-12)
    norms = jacobian_norms(model, tokens)
    np.testing.assert_allclose(norms, [np.linalg.norm(m, 2) for m in expected], atol=1e-12)
    assert norms[-1] == pytest.approx(1.0)


def test_relu_identity_rnn_carries_the_state_unchanged():
    # h_t = relu(h_{t−1} + x_t W_xh) with positive inputs: every step's Jacobian is I.
    cfg = ModelConfig(cell="rnn", activation="relu", hidden_size=3, input_size=2)
    model = RNNModel.create(cfg, np.random.default_rng(0), init="identity", dtype=np.float64)
    model.params["l0.W_xh"][:] = 0.5
    J = jacobian_matrices(model, np.array([0, 1, 1, 0]))
    np.testing.assert_allclose(J, np.broadcast_to(np.eye(3), (4, 3, 3)))
    np.testing.assert_allclose(jacobian_norms(model, np.array([0, 1, 1, 0])), 1.0)


def finite_difference_jacobians(model: RNNModel, tokens, layer: int, eps=1e-6) -> np.ndarray:
    """(T, H, H) ∂h_{T−1}/∂h_k by perturbing h_k and re-running the layer from step k+1."""
    cfg = model.config
    fw = model.forward(np.asarray(tokens)[None])
    cache = fw.caches[layer]
    x = cache.x.transpose(1, 0, 2)  # (1, T, D)
    T, H = x.shape[1], cfg.hidden_size
    params = model.layer_params(layer)
    hs = cache.hs[0]  # (T, H)
    cs = cache.saved["C"][1:, 0] if cfg.cell == "lstm" else None
    J = np.zeros((T, H, H))
    J[-1] = np.eye(H)
    for k in range(T - 1):
        for j in range(H):
            last = []
            for sign in (1.0, -1.0):
                h = hs[k].copy()
                h[j] += sign * eps
                state = (h[None], cs[k][None]) if cfg.cell == "lstm" else h[None]
                out, _ = cell_forward(cfg.cell, x[:, k + 1 :], state, params, None, cfg.activation)
                last.append(out[0, -1])
            J[k, :, j] = (last[0] - last[1]) / (2 * eps)
    return J


@pytest.mark.parametrize("cell", ["gru", "lstm"])
@pytest.mark.parametrize("layer", [0, 1])
def test_gated_jacobians_match_finite_differences(cell, layer):
    cfg = ModelConfig(cell=cell, hidden_size=4, input_size=5, num_layers=2)
    model = RNNModel.create(cfg, np.random.default_rng(7), init="orthogonal", dtype=np.float64)
    tokens = np.array([4, 0, 2, 2, 1, 3])
    J = jacobian_matrices(model, tokens, layer=layer)
    np.testing.assert_allclose(J, finite_difference_jacobians(model, tokens, layer), atol=1e-8)
    np.testing.assert_allclose(
        jacobian_norms(model, tokens, layer=layer), [np.linalg.norm(m, 2) for m in J]
    )


def test_jacobian_of_a_float32_model_is_computed_in_float64():
    cfg = ModelConfig(cell="lstm", hidden_size=4, input_kind="dense", input_size=2)
    model = RNNModel.create(cfg, np.random.default_rng(1))
    x = np.random.default_rng(2).standard_normal((5, 2))
    norms = jacobian_norms(model, x)
    assert norms.shape == (5,) and norms.dtype == np.float64
    expected = jacobian_norms(model.copy(np.float64), x)
    np.testing.assert_allclose(norms, expected, rtol=1e-12)
    assert model.dtype == np.float32  # untouched


def test_jacobian_norms_of_a_nan_model_are_nan_not_an_error():
    model = make_model(cell="gru")
    model.params["l0.W_h"][:] = np.nan
    norms = jacobian_norms(model, np.array([1, 2, 3]))
    assert norms.shape == (3,) and np.isnan(norms[:-1]).all()


# ----------------------------------------------------------------------------- saturation


def test_saturation_counts_units_beyond_the_threshold():
    states = np.array(
        [
            [0.0, 0.5, -0.2, 0.1],
            [0.99, -0.97, 0.2, 0.0],
            [1.0, -1.0, 0.96, -0.999],
            [0.95, -0.95, 0.9, np.nan],  # exactly at the threshold is not beyond it
        ]
    )
    np.testing.assert_allclose(saturation(states), [0.0, 0.5, 1.0, 0.0])
    np.testing.assert_allclose(saturation(states, threshold=0.5), [0.0, 0.5, 1.0, 0.75])
    # relu states are counted the same way (documented as meaningless there).
    np.testing.assert_allclose(saturation(np.array([[3.0, 0.0]])), [0.5])


# ----------------------------------------------------------------------------- growth factor


@pytest.mark.parametrize("factor", [0.62, 1.0, 1.5])
def test_growth_factor_of_a_geometric_curve(factor):
    norms = (factor ** np.arange(12))[::-1]  # last step 1, one step back ×factor, …
    assert growth_factor(norms) == pytest.approx(factor, rel=1e-12)


def test_growth_factor_skips_unusable_points():
    norms = (0.62 ** np.arange(10))[::-1].copy()
    norms[[0, 3, 7]] = [0.0, np.nan, np.inf]
    assert growth_factor(norms) == pytest.approx(0.62, rel=1e-12)
    assert growth_factor(np.array([0.0, -1.0, np.nan, 2.0])) != growth_factor(np.ones(4))
    assert math.isnan(growth_factor(np.array([0.0, -1.0, np.nan, 2.0])))
    assert math.isnan(growth_factor(np.array([1.0])))
    assert math.isnan(growth_factor(np.array([])))


def test_growth_factor_is_a_least_squares_fit():
    # log norms: steps back 0, 1, 2 -> 0, 0, log 4: slope (log 4)/2, factor 2.
    assert growth_factor(np.array([4.0, 1.0, 1.0])) == pytest.approx(2.0)


@settings(max_examples=50, deadline=None)
@given(
    factor=st.floats(0.05, 5.0),
    T=st.integers(2, 40),
    scale=st.floats(1e-6, 1e6),
)
def test_growth_factor_recovers_any_geometric_rate(factor, T, scale):
    norms = scale * (factor ** np.arange(T))[::-1]
    assert growth_factor(norms) == pytest.approx(factor, rel=1e-9)


def test_growth_factor_on_a_real_vanishing_curve():
    # A contractive tanh RNN: the Jacobian norms shrink going back, factor < 1.
    cfg = ModelConfig(cell="rnn", hidden_size=8, input_size=4)
    model = RNNModel.create(cfg, np.random.default_rng(0), spectral_radius=0.5, dtype=np.float64)
    norms = jacobian_norms(model, np.arange(20) % 4)
    assert 0 < growth_factor(norms) < 0.8


# ----------------------------------------------------------------------------- unit order


def test_unit_order_index_and_final():
    states = np.array([[0.0, 0.5, -0.2, 0.1], [0.3, -0.9, 0.3, 0.8]])
    assert unit_order(states, "index").tolist() == [0, 1, 2, 3]
    # last step 0.3, -0.9, 0.3, 0.8: largest first, the tie 0.3/0.3 by index.
    assert unit_order(states, "final").tolist() == [3, 0, 2, 1]


def test_unit_order_clustered_puts_alike_units_together():
    t = np.linspace(0, 2 * np.pi, 30)
    up, wave = t / t.max(), np.sin(3 * t)
    # Units 0, 2, 4 follow "up" (with noise-free scaling), 1 and 3 follow "wave", 5 is constant.
    states = np.stack([up, wave, 0.5 * up, 0.8 * wave, 0.9 * up + 0.01, np.full_like(t, 0.3)], 1)
    order = unit_order(states, "clustered").tolist()
    assert sorted(order) == list(range(6))
    assert order[-1] == 5  # the constant unit last
    groups = ["up" if u in (0, 2, 4) else "wave" for u in order[:-1]]
    # one block of each kind, not interleaved
    assert groups in (["up"] * 3 + ["wave"] * 2, ["wave"] * 2 + ["up"] * 3)


def test_unit_order_handles_degenerate_input():
    assert unit_order(np.zeros((0, 3)), "clustered").tolist() == [0, 1, 2]
    assert unit_order(np.ones((5, 3)), "clustered").tolist() == [0, 1, 2]
    weird = np.array([[np.nan, 1.0], [np.inf, -1.0]])
    assert sorted(unit_order(weird, "clustered").tolist()) == [0, 1]
    with pytest.raises(ValueError, match="method"):
        unit_order(np.ones((2, 2)), "random")


# ----------------------------------------------------------------------------- readout map


def test_readout_map_applies_the_readout_in_the_pca_plane():
    cfg = ModelConfig(cell="gru", hidden_size=5, input_size=4, output_size=3)
    model = RNNModel.create(cfg, np.random.default_rng(1), dtype=np.float64)
    states = hidden_states(model, np.random.default_rng(2).integers(0, 4, (20, 6)))
    pca = fit_pca(states)
    xs, ys = np.linspace(-1, 1, 4), np.linspace(-2, 2, 3)
    grid = readout_map(model, pca, xs, ys)
    assert grid.shape == (3, 4, 3)
    np.testing.assert_allclose(grid.sum(axis=-1), 1.0)
    h = pca.mean + xs[1] * pca.components[0] + ys[2] * pca.components[1]
    expected = softmax(h @ model.params["W_hy"] + model.params["b_y"])
    np.testing.assert_allclose(grid[2, 1], expected, rtol=1e-12)
    # The state the grid point stands for projects back onto the same point.
    np.testing.assert_allclose(pca.transform(h), [xs[1], ys[2]], atol=1e-12)
