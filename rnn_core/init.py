"""Weight initialisers and spectral diagnostics for recurrent weight matrices.

Weight matrices have shape ``(fan_in, fan_out)`` and are applied as ``x @ W`` (rows are
inputs): ``W_xh`` is (D, H), ``W_hh`` is (H, H). Random initialisers draw from a passed-in
``np.random.Generator`` in float64 and cast to ``dtype``, so one seed gives the same weights
(up to rounding) in float32 and float64.
"""

from __future__ import annotations

import math

import numpy as np

INITIALISERS = ("xavier", "orthogonal", "identity", "small_random")

Shape = int | tuple[int, ...]


# --------------------------------------------------------------------------------------
# Initialisers
# --------------------------------------------------------------------------------------


def small_random(
    rng: np.random.Generator, shape: Shape, dtype=np.float64, scale: float = 0.01
) -> np.ndarray:
    """The tutorials' choice: ``randn(*shape) * 0.01`` (e.g. Karpathy's min-char-rnn).

    Shown for comparison, not recommended for the recurrent matrix. By the circular law the
    eigenvalues of an H×H Gaussian matrix with entry std σ fill a disc of radius σ·√H, so
    ρ(W_hh) ≈ 0.01·√H (≈ 0.08 for H = 64, 0.1 for H = 100): every step through the
    recurrence multiplies the signal, and the gradient flowing back in time, by about that
    (times tanh' ≤ 1). The recurrence starts nearly dead and the network must first grow
    W_hh before it can use any memory.

    Returns:
        Array of ``shape`` and ``dtype`` with entries ~ N(0, scale²).
    """
    dtype = _float_dtype(dtype)
    return (rng.standard_normal(shape) * scale).astype(dtype)


def xavier_uniform(
    rng: np.random.Generator, shape: tuple[int, int], dtype=np.float64, gain: float = 1.0
) -> np.ndarray:
    """Glorot/Xavier uniform: U(−a, a) with a = gain·√(6 / (fan_in + fan_out)).

    The variance a²/3 = gain²·2/(fan_in + fan_out) keeps activations and gradients at
    roughly constant scale through a linear layer (Glorot & Bengio 2010).

    Args:
        shape: ``(fan_in, fan_out)``.

    Returns:
        Array of ``shape`` and ``dtype``.
    """
    fan_in, fan_out = _matrix_shape(shape)
    dtype = _float_dtype(dtype)
    limit = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, size=(fan_in, fan_out)).astype(dtype)


def orthogonal(
    rng: np.random.Generator, shape: tuple[int, int], dtype=np.float64, gain: float = 1.0
) -> np.ndarray:
    """Random orthogonal matrix times ``gain`` (Saxe et al. 2014), uniform over O(n).

    QR-decomposes a Gaussian matrix and multiplies Q's columns by sign(diag(R)); without
    that sign correction Q is not uniformly (Haar) distributed. For a square W every
    singular value and every |eigenvalue| equals ``gain``, so ρ(W_hh) = gain. A non-square
    W has orthonormal columns when tall (WᵀW = I) or orthonormal rows when wide (WWᵀ = I).

    Args:
        shape: ``(rows, cols)``.

    Returns:
        Array of ``shape`` and ``dtype``.
    """
    rows, cols = _matrix_shape(shape)
    dtype = _float_dtype(dtype)
    a = rng.standard_normal((max(rows, cols), min(rows, cols)))
    q, r = np.linalg.qr(a)  # q: (max, min) with orthonormal columns
    signs = np.where(np.diag(r) < 0, -1.0, 1.0)
    q *= signs
    if rows < cols:
        q = q.T
    return (gain * q).astype(dtype)


def identity(shape: tuple[int, int], dtype=np.float64, gain: float = 1.0) -> np.ndarray:
    """``gain`` times the identity: the IRNN initialisation (Le, Jaitly & Hinton 2015).

    Meant for the recurrent matrix W_hh with ReLU units: at the start h_t = h_{t−1} + input,
    so the state (and the gradient back in time) is carried unchanged. Square shapes only.

    Returns:
        Array of ``shape`` (n, n) and ``dtype``.

    Raises:
        ValueError: if ``shape`` is not square.
    """
    rows, cols = _matrix_shape(shape)
    if rows != cols:
        raise ValueError(f"identity init needs a square shape, got {(rows, cols)}")
    return gain * np.eye(rows, dtype=_float_dtype(dtype))


def make_weight(
    kind: str, rng: np.random.Generator, shape: tuple[int, int], dtype=np.float64
) -> np.ndarray:
    """Initialise a weight matrix with the initialiser named ``kind`` (see INITIALISERS).

    ``"identity"`` applies to the recurrent matrix only: for a non-square shape (input or
    output weights) it falls back to Xavier uniform, as in the IRNN recipe where only W_hh
    is the identity. Note that the fallback is by SHAPE: a square input matrix (D == H)
    would get the identity too, so call this with ``kind`` for W_hh and ``"xavier"`` for
    the others if D may equal H. With gain 1 everywhere.
    """
    if kind == "xavier":
        return xavier_uniform(rng, shape, dtype)
    if kind == "orthogonal":
        return orthogonal(rng, shape, dtype)
    if kind == "identity":
        rows, cols = _matrix_shape(shape)
        if rows == cols:
            return identity(shape, dtype)
        return xavier_uniform(rng, shape, dtype)
    if kind == "small_random":
        return small_random(rng, shape, dtype)
    raise ValueError(f"unknown initialiser {kind!r}; valid names: {', '.join(INITIALISERS)}")


# --------------------------------------------------------------------------------------
# Spectral diagnostics
# --------------------------------------------------------------------------------------


def spectral_radius(W: np.ndarray) -> float:
    """ρ(W) = max |λ| over the eigenvalues of a square matrix (computed in float64).

    ρ(W_hh) governs the linearised recurrence: below 1 perturbations of the state decay
    geometrically, above 1 some direction grows. Returns ``nan`` if W has non-finite
    entries (a diverged model) and 0.0 for an empty matrix.
    """
    W = np.asarray(W)
    if W.ndim != 2 or W.shape[0] != W.shape[1]:
        raise ValueError(f"spectral radius needs a square matrix, got shape {W.shape}")
    if W.size == 0:
        return 0.0
    if not np.all(np.isfinite(W)):
        return math.nan
    return float(np.max(np.abs(np.linalg.eigvals(W.astype(np.float64)))))


def largest_singular_value(W: np.ndarray) -> float:
    """σ_max(W) = ‖W‖₂, the largest factor by which W can stretch a vector.

    σ_max ≥ ρ for square W, with equality for normal matrices (e.g. orthogonal). Returns
    ``nan`` for non-finite entries and 0.0 for an empty matrix.
    """
    W = np.asarray(W)
    if W.ndim != 2:
        raise ValueError(f"largest singular value needs a matrix, got shape {W.shape}")
    if W.size == 0:
        return 0.0
    if not np.all(np.isfinite(W)):
        return math.nan
    return float(np.linalg.norm(W.astype(np.float64), 2))


def scale_to_spectral_radius(W: np.ndarray, rho: float) -> np.ndarray:
    """A rescaled copy of square ``W`` whose spectral radius is ``rho``.

    Eigenvalues scale linearly, so this is ``W · rho / ρ(W)``. The result has W's dtype
    (float64 for integer input); W is not modified.

    Raises:
        ValueError: if ``rho`` is negative or not finite, if ρ(W) < 1e-12 ("cannot rescale
            a matrix with spectral radius 0"), or if W has non-finite entries.
    """
    rho = float(rho)
    if not (math.isfinite(rho) and rho >= 0):
        raise ValueError(f"rho must be a finite number >= 0, got {rho}")
    W = np.asarray(W)
    current = spectral_radius(W)
    if math.isnan(current):
        raise ValueError("cannot rescale a matrix with non-finite entries")
    if current < 1e-12:
        raise ValueError("cannot rescale a matrix with spectral radius 0")
    dtype = W.dtype if W.dtype.kind == "f" else np.dtype(np.float64)
    return (W.astype(np.float64) * (rho / current)).astype(dtype)


# --------------------------------------------------------------------------------------
# Validation helpers
# --------------------------------------------------------------------------------------


def _float_dtype(dtype) -> np.dtype:
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise ValueError(f"dtype must be a floating type, got {dtype}")
    return dtype


def _matrix_shape(shape) -> tuple[int, int]:
    shape = tuple(int(n) for n in np.atleast_1d(shape))
    if len(shape) != 2 or min(shape) < 1:
        raise ValueError(f"expected a 2-D shape (rows, cols) with rows, cols >= 1, got {shape}")
    return shape  # type: ignore[return-value]
