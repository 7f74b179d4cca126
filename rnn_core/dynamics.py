"""Fixed and slow points of a trained recurrent layer (Sussillo & Barak 2013).

For a constant input x, one step of the cell is a map h → F(h, x). A fixed point has
F(h*, x) = h*; a slow point has a small speed q(h) = ½‖F(h, x) − h‖². We minimise q from many
starting states the network really visits, with the analytic gradient

    ∇q(h) = (J(h) − I)ᵀ (F(h, x) − h),   J = ∂F/∂h (the cell's one-step Jacobian),

by damped Gauss–Newton (Levenberg–Marquardt) steps, which use the same Jacobian and reach an
exact fixed point to machine precision in a few iterations. The eigenvalues of J at each point
say how it behaves: all inside the unit circle is stable, one outside is unstable, and
eigenvalues ≈ 1 are directions along which the state barely moves (a line attractor has one).

The state of the LSTM is (h, c) concatenated: S = 2H, h first. For the other cells S = H.
Only single-layer models (the shipped defaults); a 2-layer model raises ValueError.

Shapes (row vectors, batch first, like the rest of the core):

    states   (N, S)     N states at once
    F        (N, S)     one step of the cell from each
    J        (N, S, S)  J[n, i, j] = ∂F_i/∂s_j at state n
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnn_core.model import RNNModel

__all__ = [
    "FixedPoints",
    "find_fixed_points",
    "input_drive",
    "sample_starts",
    "speed_and_grad",
    "step_and_jacobian",
]


def _sigmoid(a):
    return 0.5 * (1.0 + np.tanh(0.5 * a))


def _layer(model: RNNModel) -> dict[str, np.ndarray]:
    if model.config.num_layers != 1:
        raise ValueError("fixed points are found for single-layer models only")
    return model.layer_params(0)


def state_size(model: RNNModel) -> int:
    """S: H, or 2H for the LSTM (state = (h, c) concatenated)."""
    H = model.config.hidden_size
    return 2 * H if model.config.cell == "lstm" else H


def input_drive(model: RNNModel, x=None) -> np.ndarray:
    """The constant input's contribution to the pre-activations, bias included.

    ``x`` is a token id (one-hot or embedding models), a (D,) feature vector (dense models),
    or None for the no-input step (a zero input vector). Returns (G,) in the model's dtype,
    G = H, 3H or 4H: ``x W_x + b`` (the GRU's ``b_x``; its ``b_h`` stays with the state).
    """
    p = _layer(model)
    cfg = model.config
    W_x = p["W_xh"] if cfg.cell == "rnn" else p["W_x"]
    bias = {"rnn": "b_h", "gru": "b_x", "lstm": "b"}[cfg.cell]
    if x is None:
        vec = np.zeros(W_x.shape[0], model.dtype)
    elif cfg.input_kind == "dense":
        vec = np.asarray(x, model.dtype)
        if vec.shape != (W_x.shape[0],):
            raise ValueError(f"a dense input must be ({W_x.shape[0]},); got {vec.shape}")
    else:
        tok = int(x)
        if not 0 <= tok < cfg.input_size:
            raise ValueError(f"token id must lie in [0, {cfg.input_size}); got {tok}")
        if cfg.input_kind == "embedding":
            vec = model.params["embed"][tok]
        else:
            vec = np.zeros(W_x.shape[0], model.dtype)
            vec[tok] = 1.0
    return vec @ W_x + p[bias]


def step_and_jacobian(model: RNNModel, states, drive) -> tuple[np.ndarray, np.ndarray]:
    """One step F(s) from each of ``states`` (N, S) under ``drive`` (from :func:`input_drive`),
    and the one-step Jacobian J (N, S, S), J[n, i, j] = ∂F_i/∂s_j."""
    p = _layer(model)
    cfg = model.config
    H = cfg.hidden_size
    s = np.atleast_2d(np.asarray(states, model.dtype))
    N = s.shape[0]
    if cfg.cell == "rnn":
        W = p["W_hh"]
        a = drive + s @ W
        if cfg.activation == "relu":
            F, slope = np.maximum(a, 0.0), (a > 0).astype(s.dtype)
        else:
            F = np.tanh(a)
            slope = 1.0 - F * F
        return F, slope[:, :, None] * W.T[None]  # ∂F_i/∂h_j = act'(a_i) W[j, i]
    if cfg.cell == "gru":
        W, b_h = p["W_h"], p["b_h"]
        gh = s @ W + b_h  # (N, 3H)
        r = _sigmoid(drive[:H] + gh[:, :H])
        z = _sigmoid(drive[H : 2 * H] + gh[:, H : 2 * H])
        n = np.tanh(drive[2 * H :] + r * gh[:, 2 * H :])
        F = (1.0 - z) * n + z * s
        Wr, Wz, Wn = W[:, :H].T, W[:, H : 2 * H].T, W[:, 2 * H :].T  # (H, H): [i, j] = W[j, i]
        dr = (r * (1 - r))[:, :, None] * Wr  # ∂r/∂h
        dz = (z * (1 - z))[:, :, None] * Wz  # ∂z/∂h
        dn = (1 - n * n)[:, :, None] * (gh[:, 2 * H :, None] * dr + r[:, :, None] * Wn)
        J = (1 - z)[:, :, None] * dn + (s - n)[:, :, None] * dz
        J[:, np.arange(H), np.arange(H)] += z  # the carried part z ⊙ h
        return F, J
    # LSTM: s = [h, c]
    h, c = s[:, :H], s[:, H:]
    W = p["W_h"]
    a = drive + h @ W
    i, f = _sigmoid(a[:, :H]), _sigmoid(a[:, H : 2 * H])
    g, o = np.tanh(a[:, 2 * H : 3 * H]), _sigmoid(a[:, 3 * H :])
    c2 = f * c + i * g
    tc = np.tanh(c2)
    h2 = o * tc
    Wi, Wf, Wg, Wo = (W[:, k * H : (k + 1) * H].T for k in range(4))
    dc_dh = (
        (c * f * (1 - f))[:, :, None] * Wf
        + (g * i * (1 - i))[:, :, None] * Wi
        + (i * (1 - g * g))[:, :, None] * Wg
    )
    back = o * (1 - tc * tc)  # ∂h'/∂c'
    J = np.zeros((N, 2 * H, 2 * H), s.dtype)
    J[:, :H, :H] = (tc * o * (1 - o))[:, :, None] * Wo + back[:, :, None] * dc_dh
    J[:, :H, H:][:, np.arange(H), np.arange(H)] = back * f
    J[:, H:, :H] = dc_dh
    J[:, H:, H:][:, np.arange(H), np.arange(H)] = f
    return np.concatenate([h2, c2], axis=1), J


def speed_and_grad(model: RNNModel, states, drive) -> tuple[np.ndarray, np.ndarray]:
    """q(s) = ½‖F(s) − s‖² (N,) and its gradient ∇q = (J − I)ᵀ (F(s) − s) (N, S)."""
    s = np.atleast_2d(np.asarray(states, model.dtype))
    F, J = step_and_jacobian(model, s, drive)
    r = F - s
    return 0.5 * np.einsum("ns,ns->n", r, r), np.einsum("ni,nij->nj", r, J) - r


def sample_starts(
    model: RNNModel, inputs, n: int, rng: np.random.Generator, mask=None, noise: float = 0.0
) -> np.ndarray:
    """``n`` states drawn from the trajectories of ``inputs`` (B, T) token ids or (B, T, D)
    features (real steps only, by ``mask``), plus Gaussian noise of std ``noise``: (n, S).

    For the LSTM each start is (h, c) concatenated."""
    _layer(model)
    fw = model.forward(inputs, mask)
    cache = fw.caches[0]
    hs = cache.hbuf[1:].transpose(1, 0, 2)  # (B, T, H)
    if model.config.cell == "lstm":
        cs = cache.saved["C"][1:].transpose(1, 0, 2)  # (B, T, H) cell states
        hs = np.concatenate([hs, cs], axis=2)
    real = hs[fw.mask] if fw.mask is not None else hs.reshape(-1, hs.shape[-1])
    pick = rng.choice(len(real), size=n, replace=len(real) < n)
    starts = real[pick].astype(model.dtype, copy=True)
    if noise:
        starts += noise * rng.standard_normal(starts.shape).astype(model.dtype)
    return starts


@dataclass(frozen=True)
class FixedPoints:
    """Deduplicated fixed and slow points, sorted by speed (slowest first).

    points (K, S); speeds (K,) q = ½‖F(h) − h‖²; eigenvalues (K, S) complex of the local
    Jacobian, sorted by |λ| descending; near_one (K,) how many |λ − 1| < ``tol_one``;
    slow_direction (K, S) unit real part of the eigenvector whose λ is closest to 1;
    stable (K,) whether every |λ| < 1; n_starts how many starts were run.
    """

    points: np.ndarray
    speeds: np.ndarray
    eigenvalues: np.ndarray
    near_one: np.ndarray
    slow_direction: np.ndarray
    stable: np.ndarray
    n_starts: int


def _minimise(model, starts, drive, iters, tol):
    """Levenberg–Marquardt on r(s) = F(s) − s for every start at once."""
    s = starts.astype(np.float64, copy=True)
    S = s.shape[1]
    eye = np.eye(S)
    lam = np.full(len(s), 1e-2)
    F, J = step_and_jacobian(model, s, drive)
    r = F - s
    q = 0.5 * np.einsum("ns,ns->n", r, r)
    for _ in range(iters):
        active = (q > tol) & (lam < 1e8)  # a start whose damping grew this far is stuck
        if not active.any():
            break
        A = J[active] - eye  # ∂r/∂s
        At = A.transpose(0, 2, 1)
        g = np.einsum("nij,ni->nj", A, r[active])  # ∇q
        M = At @ A + lam[active, None, None] * eye
        step = -np.linalg.solve(M, g[:, :, None])[:, :, 0]
        trial = s[active] + step
        F2, J2 = step_and_jacobian(model, trial, drive)
        r2 = F2 - trial
        q2 = 0.5 * np.einsum("ns,ns->n", r2, r2)
        better = q2 < q[active]
        idx = np.flatnonzero(active)
        acc = idx[better]
        s[acc], r[acc], J[acc], q[acc] = trial[better], r2[better], J2[better], q2[better]
        lam[acc] = np.maximum(lam[acc] / 3.0, 1e-12)
        lam[idx[~better]] *= 4.0
    return s, q


def find_fixed_points(
    model: RNNModel,
    x,
    starts,
    *,
    max_speed: float = 1e-4,
    iters: int = 200,
    tol: float = 1e-20,
    dedup: float = 1e-3,
    tol_one: float = 0.02,
) -> FixedPoints:
    """Fixed and slow points of the model's recurrent layer under a constant input ``x``.

    ``x``: a token id, a (D,) feature vector, or None for the no-input step (see
    :func:`input_drive`). ``starts``: (N, S) starting states, e.g. from :func:`sample_starts`
    (for the LSTM, (h, c) concatenated). Each start is run to a local minimum of
    q(s) = ½‖F(s, x) − s‖² (in float64, whatever the model's dtype); minima with q ≤
    ``max_speed`` are kept if the network can reach them (h within [−1, 1] for the tanh RNN,
    the GRU and the LSTM's h), and two closer than ``dedup`` (Euclidean) count once (the slower
    is kept). Eigenvalues within ``tol_one`` of 1 count as "near 1".
    """
    m64 = model.copy(np.float64)
    drive = input_drive(m64, x)
    starts = np.atleast_2d(np.asarray(starts, np.float64))
    S = state_size(m64)
    if starts.ndim != 2 or starts.shape[1] != S:
        raise ValueError(f"starts must be (N, {S}); got {starts.shape}")
    s, q = _minimise(m64, starts, drive, iters, tol)
    H = m64.config.hidden_size
    bounded = m64.config.cell != "rnn" or m64.config.activation == "tanh"
    # a tanh-bounded h (tanh RNN, GRU, the LSTM's h) never leaves [−1, 1]: a minimum outside
    # it is no state the network can be in (a GRU with saturated z is "fixed" anywhere there)
    reachable = (np.abs(s[:, :H]) <= 1.0).all(axis=1) if bounded else np.ones(len(s), bool)
    keep = np.flatnonzero((q <= max_speed) & reachable)
    keep = keep[np.argsort(q[keep], kind="stable")]
    chosen: list[int] = []
    for k in keep:
        if all(np.linalg.norm(s[k] - s[j]) >= dedup for j in chosen):
            chosen.append(int(k))
    pts = s[chosen].reshape(len(chosen), S)
    speeds = q[chosen]
    if len(chosen):
        _, J = step_and_jacobian(m64, pts, drive)
        lams, vecs = np.linalg.eig(J)
    else:
        lams, vecs = np.zeros((0, S), complex), np.zeros((0, S, S), complex)
    order = np.argsort(-np.abs(lams), axis=1, kind="stable")
    lams_sorted = np.take_along_axis(lams, order, axis=1)
    near = (np.abs(lams - 1.0) < tol_one).sum(axis=1)
    slow = np.zeros((len(chosen), S))
    for k in range(len(chosen)):
        v = vecs[k][:, np.argmin(np.abs(lams[k] - 1.0))].real
        slow[k] = v / max(np.linalg.norm(v), 1e-300)
    stable = (np.abs(lams) < 1.0).all(axis=1) if len(chosen) else np.zeros(0, bool)
    return FixedPoints(pts, speeds, lams_sorted, near, slow, stable, len(starts))
