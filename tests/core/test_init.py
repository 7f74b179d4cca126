"""Tests for rnn_core.init: weight initialisers and spectral diagnostics."""

import math

import numpy as np
import pytest

from rnn_core.init import (
    INITIALISERS,
    identity,
    largest_singular_value,
    make_weight,
    orthogonal,
    scale_to_spectral_radius,
    small_random,
    spectral_radius,
    xavier_uniform,
)


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


# --------------------------------------------------------------------------------------
# Initialisers
# --------------------------------------------------------------------------------------


def test_initialiser_names():
    assert INITIALISERS == ("xavier", "orthogonal", "identity", "small_random")


def test_small_random_scale_and_shape():
    W = small_random(rng(), (200, 300))
    assert W.shape == (200, 300) and W.dtype == np.float64
    assert W.std() == pytest.approx(0.01, rel=0.02)
    assert abs(W.mean()) < 1e-3
    assert small_random(rng(), (500, 500), scale=0.5).std() == pytest.approx(0.5, rel=0.02)
    assert small_random(rng(), 7).shape == (7,)


def test_small_random_starts_the_recurrence_nearly_dead():
    # Circular law: ρ ≈ 0.01·√H, far below 1.
    H = 100
    rho = spectral_radius(small_random(rng(), (H, H)))
    assert rho == pytest.approx(0.01 * math.sqrt(H), rel=0.15)
    doc = small_random.__doc__.lower()
    assert "tutorial" in doc and "√h" in doc


def test_xavier_bounds_and_variance():
    fan_in, fan_out = 300, 500
    W = xavier_uniform(rng(), (fan_in, fan_out))
    limit = math.sqrt(6.0 / (fan_in + fan_out))
    assert W.shape == (fan_in, fan_out)
    assert np.all(np.abs(W) <= limit)
    assert np.abs(W).max() > 0.99 * limit  # actually fills the interval
    assert W.var() == pytest.approx(2.0 / (fan_in + fan_out), rel=0.02)
    assert abs(W.mean()) < 0.01 * limit


def test_xavier_gain():
    W = xavier_uniform(rng(), (400, 400), gain=2.0)
    assert W.var() == pytest.approx(4.0 * 2.0 / 800, rel=0.02)
    assert np.all(np.abs(W) <= 2.0 * math.sqrt(6.0 / 800))


@pytest.mark.parametrize("shape", [(16, 16), (40, 10), (1, 1)])
def test_orthogonal_square_and_tall_have_orthonormal_columns(shape):
    W = orthogonal(rng(), shape)
    assert W.shape == shape
    np.testing.assert_allclose(W.T @ W, np.eye(shape[1]), atol=1e-12)


def test_orthogonal_wide_has_orthonormal_rows():
    W = orthogonal(rng(), (10, 40))
    assert W.shape == (10, 40)
    np.testing.assert_allclose(W @ W.T, np.eye(10), atol=1e-12)


def test_orthogonal_gain_sets_spectral_radius_and_singular_values():
    W = orthogonal(rng(), (32, 32), gain=1.3)
    np.testing.assert_allclose(np.linalg.svd(W, compute_uv=False), 1.3, rtol=1e-12)
    assert spectral_radius(W) == pytest.approx(1.3, rel=1e-10)


def test_orthogonal_sign_correction_gives_unbiased_diagonal():
    # Without multiplying by sign(diag R), LAPACK's Q has a biased diagonal; with it, the
    # mean of Q[0, 0] over many draws is ~0 (Haar measure is symmetric).
    g = rng(1)
    diag = [orthogonal(g, (3, 3))[0, 0] for _ in range(4000)]
    assert abs(np.mean(diag)) < 0.03


def test_identity():
    W = identity((4, 4))
    np.testing.assert_array_equal(W, np.eye(4))
    assert W.dtype == np.float64
    np.testing.assert_array_equal(identity((3, 3), gain=0.5), 0.5 * np.eye(3))
    with pytest.raises(ValueError, match="square"):
        identity((3, 4))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_respected(dtype):
    assert small_random(rng(), (3, 4), dtype=dtype).dtype == dtype
    assert xavier_uniform(rng(), (3, 4), dtype=dtype).dtype == dtype
    assert orthogonal(rng(), (3, 4), dtype=dtype).dtype == dtype
    assert identity((3, 3), dtype=dtype).dtype == dtype
    for kind in INITIALISERS:
        assert make_weight(kind, rng(), (4, 4), dtype).dtype == dtype
        assert make_weight(kind, rng(), (3, 4), dtype).dtype == dtype


def test_float32_and_float64_draws_agree_for_one_seed():
    a = xavier_uniform(rng(5), (6, 7), dtype=np.float32)
    b = xavier_uniform(rng(5), (6, 7), dtype=np.float64)
    np.testing.assert_allclose(a, b, rtol=1e-6)


def test_rejects_non_float_dtype_and_bad_shapes():
    with pytest.raises(ValueError, match="dtype"):
        xavier_uniform(rng(), (3, 3), dtype=np.int32)
    with pytest.raises(ValueError, match="2-D"):
        orthogonal(rng(), (3, 3, 3))
    with pytest.raises(ValueError, match="2-D"):
        xavier_uniform(rng(), (0, 3))


@pytest.mark.parametrize("kind", INITIALISERS)
def test_same_seed_same_weights(kind):
    a = make_weight(kind, rng(42), (5, 8), np.float64)
    b = make_weight(kind, rng(42), (5, 8), np.float64)
    np.testing.assert_array_equal(a, b)
    c = make_weight(kind, rng(43), (5, 8), np.float64)
    assert not np.array_equal(a, c)


def test_initialisers_do_not_share_hidden_randomness():
    g1, g2 = rng(7), rng(7)
    first = orthogonal(g1, (4, 4))
    np.testing.assert_array_equal(first, orthogonal(g2, (4, 4)))
    # The generator advanced, so the next draw differs from the first.
    assert not np.array_equal(orthogonal(g1, (4, 4)), first)


def test_make_weight_dispatch():
    shape = (6, 6)
    np.testing.assert_array_equal(make_weight("identity", rng(), shape, np.float64), np.eye(6))
    np.testing.assert_array_equal(
        make_weight("xavier", rng(3), shape, np.float64), xavier_uniform(rng(3), shape)
    )
    np.testing.assert_array_equal(
        make_weight("orthogonal", rng(3), shape, np.float64), orthogonal(rng(3), shape)
    )
    np.testing.assert_array_equal(
        make_weight("small_random", rng(3), shape, np.float64), small_random(rng(3), shape)
    )


def test_make_weight_identity_falls_back_to_xavier_for_non_square():
    W = make_weight("identity", rng(3), (4, 6), np.float64)
    np.testing.assert_array_equal(W, xavier_uniform(rng(3), (4, 6)))


def test_make_weight_unknown_kind_lists_valid_ones():
    with pytest.raises(ValueError, match="xavier, orthogonal, identity, small_random"):
        make_weight("he", rng(), (3, 3), np.float64)


# --------------------------------------------------------------------------------------
# Spectral diagnostics
# --------------------------------------------------------------------------------------


def test_spectral_radius_known_matrices():
    # Eigenvalues of [[0, 2], [0.5, 0]] are ±√(2·0.5) = ±1.
    assert spectral_radius(np.array([[0.0, 2.0], [0.5, 0.0]])) == pytest.approx(1.0, abs=1e-12)
    theta = 0.3
    rotation = np.array([[math.cos(theta), -math.sin(theta)], [math.sin(theta), math.cos(theta)]])
    # Complex eigenvalues 0.7·e^{±iθ}: the modulus is what counts.
    assert spectral_radius(0.7 * rotation) == pytest.approx(0.7, abs=1e-12)
    assert spectral_radius(np.diag([0.2, -3.0, 1.0])) == pytest.approx(3.0, abs=1e-12)
    assert isinstance(spectral_radius(np.eye(2)), float)


def test_spectral_radius_differs_from_largest_singular_value_for_non_normal():
    W = np.array([[0.0, 2.0], [0.5, 0.0]])
    assert spectral_radius(W) == pytest.approx(1.0)
    assert largest_singular_value(W) == pytest.approx(2.0, abs=1e-12)
    nilpotent = np.array([[0.0, 5.0], [0.0, 0.0]])
    assert spectral_radius(nilpotent) == pytest.approx(0.0, abs=1e-12)
    assert largest_singular_value(nilpotent) == pytest.approx(5.0)


def test_largest_singular_value_non_square():
    W = np.array([[3.0, 0.0, 0.0], [0.0, -4.0, 0.0]])
    assert largest_singular_value(W) == pytest.approx(4.0, abs=1e-12)


def test_spectral_radius_of_float32_matrix():
    W = np.array([[0.0, 2.0], [0.5, 0.0]], dtype=np.float32)
    assert spectral_radius(W) == pytest.approx(1.0, abs=1e-6)


def test_diagnostics_of_diverged_matrix_are_nan():
    W = np.array([[1.0, np.nan], [0.0, 1.0]])
    assert math.isnan(spectral_radius(W))
    assert math.isnan(largest_singular_value(W))


def test_spectral_radius_rejects_non_square():
    with pytest.raises(ValueError, match="square"):
        spectral_radius(np.ones((2, 3)))


@pytest.mark.parametrize("rho", [0.5, 0.95, 1.0, 1.5])
def test_scale_to_spectral_radius_hits_target(rho):
    W = rng(3).standard_normal((50, 50))
    original = W.copy()
    scaled = scale_to_spectral_radius(W, rho)
    assert abs(spectral_radius(scaled) - rho) < 1e-10
    assert scaled.dtype == np.float64
    np.testing.assert_array_equal(W, original)  # input untouched
    # A pure rescaling: every entry divided by the same factor.
    factor = scaled / W
    np.testing.assert_allclose(factor, factor[0, 0], rtol=1e-12)


def test_scale_to_spectral_radius_keeps_float32():
    W = rng(3).standard_normal((20, 20)).astype(np.float32)
    scaled = scale_to_spectral_radius(W, 0.9)
    assert scaled.dtype == np.float32
    assert spectral_radius(scaled) == pytest.approx(0.9, rel=1e-5)


def test_scale_to_spectral_radius_rejects_zero_radius():
    with pytest.raises(ValueError, match="spectral radius 0"):
        scale_to_spectral_radius(np.zeros((3, 3)), 1.0)
    with pytest.raises(ValueError, match="spectral radius 0"):
        scale_to_spectral_radius(np.array([[0.0, 1.0], [0.0, 0.0]]), 1.0)  # nilpotent
    with pytest.raises(ValueError, match="rho"):
        scale_to_spectral_radius(np.eye(2), -1.0)
