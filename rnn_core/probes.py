"""Measuring instruments: what the Explore page and the gradient lab draw.

Every function here is pure: it reads a model (never changes it) or plain arrays and returns
numpy arrays or small frozen dataclasses. Shapes follow docs/ARCHITECTURE.md, "Shapes"; one
sequence is ``tokens: (T,)`` int ids, or ``(T, D)`` features for a dense model.

    saliency          (T,)       how much each input step matters to the final prediction
    hidden_states     (N, H)     every real step's state of a layer, over many sequences
    fit_pca / PCA     (…, k)     a 2-D view of those states
    spectrum          Spectrum   eigenvalues and singular values of a recurrent matrix
    layer_spectra     per layer, per gate block
    jacobian_norms    (T,)       ‖∂h_{T−1}/∂h_k‖₂: how far back the state still matters
    saturation        (T,)       fraction of units pinned near ±1
    growth_factor     float      fitted per-step factor of a gradient-norm curve
    unit_order        (H,)       an order of units that makes a heatmap's structure visible
    unit_correlations (H,)       how closely each unit's value follows a signal over many steps
    readout_map       (gy, gx, O) what the readout says across a 2-D PCA plane

Probes that differentiate (saliency, Jacobians) run on a float64 copy of the model, so they
are accurate even for the app's float32 models.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from rnn_core import cells as C
from rnn_core.losses import log_softmax, softmax
from rnn_core.model import RNNModel, recurrent_blocks

SALIENCY_METHODS = ("grad_norm", "grad_x_input", "occlusion")


# ----------------------------------------------------------------------------- saliency


def saliency(model: RNNModel, tokens, target: int | None = None, method: str = "grad_x_input"):
    """How much each step of ONE sequence matters to the final prediction.

    The quantity explained, y, is read at the prediction point (many-to-one: the prediction
    after the last token; many-to-many: the last step's prediction):

        classifier (loss "xent"):  y = log p(target), target defaulting to the predicted class
        regression (loss "mse"):   y = output[target], target defaulting to 0 (the first value)

    Methods, with x_t the vector the first recurrent layer reads at step t (the one-hot vector,
    the token's embedding, or the features):

        "grad_norm"     ‖∂y/∂x_t‖                  unsigned
        "grad_x_input"  ∂y/∂x_t · x_t              signed; for one-hot inputs, the gradient
                                                   entry of the actual token
        "occlusion"     y(full) − y(without step t) signed: how much step t moved y

    For occlusion the sequence is re-run with step t deleted (the rest shift left). A 1-step
    sequence without its step is the empty context, whose prediction is the readout of the
    zero state, ``b_y``.

    tokens: (T,) int ids, or (T, D) features for a dense model. Returns (T,) float64.
    """
    if method not in SALIENCY_METHODS:
        raise ValueError(f"method must be one of {SALIENCY_METHODS}; got {method!r}")
    model = model.copy(np.float64)
    seq = _one_sequence(model, tokens)
    fw = model.forward(seq[None])
    target = _resolve_target(model, _last_output(model, fw.outputs)[0], target)

    if method == "occlusion":
        y_full = _explained(model, _last_output(model, fw.outputs), target)[0]
        T = seq.shape[0]
        if T == 1:
            y_without = _explained(model, model.params["b_y"][None], target)
        else:
            shorter = np.stack([np.delete(seq, t, axis=0) for t in range(T)])  # (T, T−1, …)
            out = _last_output(model, model.forward(shorter).outputs)
            y_without = _explained(model, out, target)
        return y_full - y_without

    # dL/doutputs for "L = y", flattened the way model.loss flattens it.
    dy = _explained_grad(model, _last_output(model, fw.outputs)[0], target)  # (O,)
    if model.config.output == "many_to_one":
        dout = dy[None]  # (1, O)
    else:
        dout = np.zeros((seq.shape[0], dy.shape[0]))  # (T, O): only the last step's output
        dout[-1] = dy
    _, info = model.backward(fw, dout, input_grad=True)
    grad = info.input_grad[0]  # (T, D) ∂y/∂x_t
    if method == "grad_norm":
        return np.linalg.norm(grad, axis=1)
    return np.einsum("td,td->t", grad, fw.x[0])  # grad_x_input


def _one_sequence(model: RNNModel, tokens) -> np.ndarray:
    seq = np.asarray(tokens)
    want = 2 if model.config.input_kind == "dense" else 1
    if seq.ndim != want or seq.shape[0] == 0:
        shape = "(T, D) features" if want == 2 else "(T,) token ids"
        raise ValueError(f"expected one non-empty sequence of {shape}; got shape {seq.shape}")
    return seq


def _last_output(model: RNNModel, outputs: np.ndarray) -> np.ndarray:
    """(B, O) or (B, T, O) outputs -> (B, O) at the prediction point (all rows are full)."""
    return outputs if model.config.output == "many_to_one" else outputs[:, -1]


def _resolve_target(model: RNNModel, out: np.ndarray, target: int | None) -> int:
    O = model.config.output_size
    if target is None:
        return int(out.argmax()) if model.config.loss == "xent" else 0
    if not 0 <= int(target) < O:
        raise ValueError(f"target must lie in [0, {O}); got {target}")
    return int(target)


def _explained(model: RNNModel, out: np.ndarray, target: int) -> np.ndarray:
    """y for each row of out (B, O): log p(target), or the target output value."""
    if model.config.loss == "xent":
        return log_softmax(out)[:, target]
    return out[:, target].copy()


def _explained_grad(model: RNNModel, out: np.ndarray, target: int) -> np.ndarray:
    """∂y/∂out for one output row (O,): onehot − softmax, or onehot for a value."""
    dy = np.zeros_like(out)
    dy[target] = 1.0
    if model.config.loss == "xent":
        dy -= softmax(out)
    return dy


# ----------------------------------------------------------------------------- hidden states


def hidden_states(model: RNNModel, inputs, mask=None, layer: int = -1, batch_size: int = 256):
    """Every real step's state of one layer over many sequences (what a PCA is fitted to).

    inputs: (N, T) int ids or (N, T, D) features; mask: (N, T) bool or None (all real).
    Returns (N_real, H) in the model's dtype, sequence by sequence, each in time order;
    N_real = mask.sum(). Runs ``batch_size`` sequences at a time.
    """
    inputs = np.asarray(inputs)
    N, T = inputs.shape[:2]
    mask = np.ones((N, T), bool) if mask is None else np.asarray(mask, bool)
    if mask.shape != (N, T):
        raise ValueError(f"mask must be (N, T) = {(N, T)}; got {mask.shape}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1; got {batch_size}")
    H = model.config.hidden_size
    chunks = [np.zeros((0, H), model.dtype)]
    for start in range(0, N, batch_size):
        m = mask[start : start + batch_size]
        width = int(m.sum(axis=1).max())  # cut the batch to its longest sequence
        fw = model.forward(inputs[start : start + batch_size, :width], m[:, :width])
        chunks.append(fw.caches[layer].hs[m[:, :width]])
    return np.concatenate(chunks)


def unit_correlations(states, signal) -> np.ndarray:
    """Pearson correlation of each unit's value with ``signal`` over the same steps.

    states: (N, H) one row per step (e.g. :func:`hidden_states`); signal: (N,) one value per
    step (the predicted probability of a class, the position in a line…). Returns (H,) in
    [−1, 1], float64; a unit (or a signal) that never changes correlates 0. Finding the
    "sentiment neuron": the unit with the largest |r| against P(positive).
    """
    X = np.asarray(states, dtype=np.float64)
    y = np.asarray(signal, dtype=np.float64).reshape(-1)
    if X.ndim != 2 or X.shape[0] != y.shape[0]:
        raise ValueError(
            f"states must be (N, H) with N = {y.shape[0]} signal values; got {X.shape}"
        )
    if y.shape[0] < 2:
        raise ValueError("a correlation needs at least two steps")
    X = X - X.mean(axis=0)
    y = y - y.mean()
    scale = np.sqrt((X * X).sum(axis=0) * (y @ y))
    r = np.zeros(X.shape[1])
    alive = scale > 1e-12 * max(1.0, float(scale.max(initial=0.0)))
    r[alive] = (y @ X)[alive] / scale[alive]
    return np.clip(r, -1.0, 1.0)


# ----------------------------------------------------------------------------- PCA


@dataclass(frozen=True, eq=False)
class PCA:
    """A fitted principal-component projection (arrays float64, read-only).

    mean: (H,); components: (k, H), orthonormal rows (a zero row where the data has fewer
    than k dimensions); explained_variance_ratio: (k,), each component's share of the total
    variance (all zeros when there is no variance).
    """

    mean: np.ndarray
    components: np.ndarray
    explained_variance_ratio: np.ndarray

    def transform(self, states) -> np.ndarray:
        """Coordinates of states (..., H) along the components: (..., k)."""
        return (np.asarray(states, np.float64) - self.mean) @ self.components.T


def fit_pca(states, k: int = 2) -> PCA:
    """Principal components of states (N, H) via SVD of the centred data.

    Each component's sign is fixed so that its largest-|.| entry is positive: refitting the
    same data gives the same picture. Rows with non-finite values are ignored. With fewer
    than 2 usable rows, or no variance at all (every row equal to within 1e-12 relative to
    the largest entry), the result is the mean, the first k unit axes
    and zero ratios: a valid projection that puts every state at the origin.
    """
    X = np.asarray(states, np.float64)
    if X.ndim != 2:
        raise ValueError(f"states must be (N, H); got shape {X.shape}")
    if k < 1:
        raise ValueError(f"k must be at least 1; got {k}")
    H = X.shape[1]
    X = X[np.isfinite(X).all(axis=1)]
    mean = X.mean(axis=0) if len(X) else np.zeros(H)
    Xc = X - mean
    components = np.eye(k, H)  # the fallback: unit axes
    ratio = np.zeros(k)
    # No variance: all rows equal, up to the rounding of the mean (relative to their size).
    flat = len(X) < 2 or np.abs(Xc).max() <= 1e-12 * np.abs(X).max()
    if not flat:
        _, S, Vt = np.linalg.svd(Xc, full_matrices=False)  # Vt: (min(N, H), H)
        variance = S**2
        n = min(k, len(S))
        components = np.zeros((k, H))
        components[:n] = Vt[:n]
        ratio[:n] = variance[:n] / variance.sum()
        # Deterministic signs: the largest-|.| entry of each component is positive.
        biggest = components[np.arange(k), np.abs(components).argmax(axis=1)]
        components *= np.where(biggest < 0, -1.0, 1.0)[:, None]
    return PCA(_frozen(mean), _frozen(components), _frozen(ratio))


def _frozen(a: np.ndarray) -> np.ndarray:
    a = np.ascontiguousarray(a, np.float64)
    a.flags.writeable = False
    return a


# ----------------------------------------------------------------------------- spectrum


@dataclass(frozen=True, eq=False)
class Spectrum:
    """Eigenvalues and singular values of a square matrix (float64 / complex128).

    eigenvalues: (H,) complex, sorted by |λ| descending; singular_values: (H,) descending;
    spectral_radius = max |λ|; max_singular = σ_max = ‖W‖₂. All NaN for a matrix with
    non-finite entries (a diverged model).
    """

    eigenvalues: np.ndarray
    singular_values: np.ndarray
    spectral_radius: float
    max_singular: float


def spectrum(W) -> Spectrum:
    """The spectrum of a square matrix W (H, H); see :class:`Spectrum`."""
    W = np.asarray(W, np.float64)
    if W.ndim != 2 or W.shape[0] != W.shape[1]:
        raise ValueError(f"spectrum needs a square matrix; got shape {W.shape}")
    H = W.shape[0]
    if not np.isfinite(W).all():
        eig = np.full(H, complex(math.nan, math.nan))
        return Spectrum(eig, np.full(H, math.nan), math.nan, math.nan)
    eig = np.linalg.eigvals(W).astype(np.complex128)
    eig = eig[np.argsort(-np.abs(eig), kind="stable")]
    sv = np.linalg.svd(W, compute_uv=False)  # already descending
    radius = float(np.abs(eig[0])) if H else 0.0
    sigma = float(sv[0]) if H else 0.0
    return Spectrum(eig, sv, radius, sigma)


def layer_spectra(model: RNNModel) -> list[dict[str, Spectrum]]:
    """Per layer, the spectrum of each (H, H) recurrent block keyed by gate (rnn: "h")."""
    cfg = model.config
    return [
        {gate: spectrum(W) for gate, W in recurrent_blocks(model.params, cfg.cell, layer).items()}
        for layer in range(cfg.num_layers)
    ]


# ----------------------------------------------------------------------------- Jacobians


def jacobian_matrices(model: RNNModel, tokens, layer: int = -1) -> np.ndarray:
    """∂h_{T−1}/∂h_k for every step k of ONE sequence within one layer: (T, H, H) float64.

    Entry [k, i, j] = ∂h_{T−1}[i] / ∂h_k[j] (states 0-indexed; entry T−1 is the identity),
    holding the layer's inputs fixed; for an LSTM, c_k is held as a separate variable, so this
    is exactly what backprop's dh carries from step T−1 back to step k.

    How: the layer's input is replicated H times in the batch; row i of the backward pass
    starts from a 1 on unit i of the last state, and the total gradient that reaches h_k in
    row i (``cache.dh_total[k, i]``) is row i of the Jacobian.
    """
    model = model.copy(np.float64)
    cfg = model.config
    seq = _one_sequence(model, tokens)
    fw = model.forward(seq[None])
    layer = range(cfg.num_layers)[layer]  # -1 -> the last layer; out of range raises
    H = cfg.hidden_size
    x = fw.caches[layer].x.transpose(1, 0, 2)  # (1, T, D) what this layer read
    T = x.shape[1]
    x_rep = np.repeat(x, H, axis=0)  # (H, T, D)
    params = model.layer_params(layer)
    _, cache = C.cell_forward(cfg.cell, x_rep, None, params, None, cfg.activation)
    dhs = np.zeros((H, T, H))
    dhs[:, -1, :] = np.eye(H)  # row i: ∂h_{T−1}[i]
    C.cell_backward(dhs, cache, need_dx=False)
    return cache.dh_total.copy()  # (T, H, H): [k, i, :] = ∂h_{T−1}[i]/∂h_k


def jacobian_norms(model: RNNModel, tokens, layer: int = -1) -> np.ndarray:
    """‖∂h_{T−1}/∂h_k‖₂ (spectral norm) for k = 0 … T−1: (T,) float64, the last entry 1.

    See :func:`jacobian_matrices`. A curve falling to the left is a state that forgets: what
    happened at step k no longer moves the final state. NaN where the Jacobian is not finite.
    """
    J = jacobian_matrices(model, tokens, layer)
    norms = np.full(J.shape[0], math.nan)
    finite = np.isfinite(J).all(axis=(1, 2))
    if finite.any():
        norms[finite] = np.linalg.norm(J[finite], ord=2, axis=(1, 2))
    return norms


# ----------------------------------------------------------------------------- saturation


def saturation(states, threshold: float = 0.95) -> np.ndarray:
    """Fraction of units with |h| > threshold at each step: states (T, H) -> (T,).

    For tanh (and the GRU/LSTM states, which live in (−1, 1)) a saturated unit sits on the
    flat part of its nonlinearity and passes almost no gradient. For relu states the number
    is returned the same way but means nothing of the kind: relu does not saturate above.
    NaN entries count as not saturated.
    """
    h = np.asarray(states, np.float64)
    if h.shape[-1] == 0:
        return np.zeros(h.shape[:-1])
    return (np.abs(h) > threshold).mean(axis=-1)


# ----------------------------------------------------------------------------- growth factor


def growth_factor(norms) -> float:
    """The fitted factor per step back in time of a gradient-norm curve norms (T,).

    norms[t] is ‖∂L/∂h_t‖ (or ‖∂h_{T−1}/∂h_t‖) with t = T−1 the last step. Fits
    log(norms[t]) ≈ a + b·s by least squares, s = T−1−t the steps back, over entries that are
    finite and > 0, and returns exp(b): < 1 vanishing ("×0.62 per step"), > 1 exploding.
    NaN with fewer than 2 usable points.
    """
    norms = np.asarray(norms, np.float64).reshape(-1)
    steps_back = np.arange(norms.size)[::-1].astype(np.float64)
    with np.errstate(invalid="ignore"):
        usable = np.isfinite(norms) & (norms > 0)
    if usable.sum() < 2:
        return math.nan
    s, logn = steps_back[usable], np.log(norms[usable])
    s_c = s - s.mean()
    slope = np.dot(s_c, logn - logn.mean()) / np.dot(s_c, s_c)
    with np.errstate(over="ignore"):
        return float(np.exp(slope))  # inf rather than an OverflowError for absurd curves


# ----------------------------------------------------------------------------- unit order

UNIT_ORDERS = ("index", "final", "clustered")


def unit_order(states, method: str = "index") -> np.ndarray:
    """An order of the units of states (T, H) that makes a heatmap's structure visible: (H,).

    "index"      0, 1, …, H−1
    "final"      by the last step's value, largest first (ties by index)
    "clustered"  units with similar time courses next to each other: a greedy chain that
                 starts at the unit with the largest variance and always appends the most
                 correlated unit not yet placed (|correlation| is not used: a unit and its
                 mirror image stay apart, so colour bands read cleanly). Constant units
                 (no variance) go last, in index order.
    """
    if method not in UNIT_ORDERS:
        raise ValueError(f"method must be one of {UNIT_ORDERS}; got {method!r}")
    h = np.asarray(states, np.float64)
    if h.ndim != 2:
        raise ValueError(f"states must be (T, H); got shape {h.shape}")
    T, H = h.shape
    if method == "index" or T == 0:
        return np.arange(H)
    h = np.where(np.isfinite(h), h, 0.0)
    if method == "final":
        return np.lexsort((np.arange(H), -h[-1]))
    centred = h - h.mean(axis=0)
    spread = np.sqrt((centred**2).sum(axis=0))
    moving = np.flatnonzero(spread > 1e-12 * max(1.0, float(np.abs(h).max())))
    still = np.setdiff1d(np.arange(H), moving)
    if moving.size == 0:
        return np.arange(H)
    z = centred[:, moving] / spread[moving]
    corr = z.T @ z  # (M, M) correlation between the moving units' time courses
    placed = np.zeros(moving.size, bool)
    chain = [int(np.argmax(spread[moving]))]
    placed[chain[0]] = True
    for _ in range(moving.size - 1):
        scores = np.where(placed, -np.inf, corr[chain[-1]])
        nxt = int(np.argmax(scores))
        chain.append(nxt)
        placed[nxt] = True
    return np.concatenate([moving[chain], still])


# ----------------------------------------------------------------------------- readout map


def readout_map(model: RNNModel, pca: PCA, xs, ys) -> np.ndarray:
    """What the readout would say at each point of a 2-D PCA plane: (gy, gx, O).

    Each grid point (x, y) is mapped back to a hidden state h = mean + x·pc1 + y·pc2 (the
    state in the plane closest to the training states' mean), and the readout applied:
    class probabilities for classifiers, values for regression. A hint of the class
    regions the trajectory moves through, not the exact boundary in H dimensions.
    """
    xs, ys = np.asarray(xs, np.float64), np.asarray(ys, np.float64)
    if pca.components.shape[0] < 2:
        raise ValueError("readout_map needs a PCA with at least 2 components")
    gx, gy = np.meshgrid(xs, ys)  # (gy, gx)
    h = pca.mean + gx[..., None] * pca.components[0] + gy[..., None] * pca.components[1]
    W, b = model.params["W_hy"].astype(np.float64), model.params["b_y"].astype(np.float64)
    out = h @ W + b
    return softmax(out) if model.config.loss == "xent" else out
