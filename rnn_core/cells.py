"""Recurrent cells: vanilla RNN (tanh, relu), GRU and LSTM, forward and backward.

Conventions (docs/ARCHITECTURE.md, "Contracts"): batch first, row vectors, weights multiply
from the right.

    x    : (B, T, D)  inputs
    mask : (B, T)     bool, True for real tokens; sequences are left-aligned
    hs   : (B, T, H)  the state after every step; on a masked step the state is carried
                      unchanged, so ``hs[:, -1]`` is the state after the last real token
    dhs  : (B, T, H)  dL/dhs, the gradient the loss sends to each state directly

The dtype follows the parameters (float32 in the app, float64 for gradient checks).

Inside, states are kept time-major, ``(T, B, H)``, so that every step works on contiguous
``(B, H)`` blocks and the weight gradients are one matmul each after the time loop:

    dW = hprev(T·B, H)ᵀ @ dpre(T·B, G)

Each backward also leaves ``cache.dh_norm``: ‖∂L/∂h_t‖, the norm of the total gradient reaching
each state (from its own output and from the future), as a (B, T) array. With ``truncate=k``
each step's loss sends gradient back at most k steps (the ``bptt_truncate`` of the tutorials):
the loss at step t reaches h_t, h_{t-1}, …, h_{t-k} and stops there.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

CELLS = ("rnn", "gru", "lstm")
ACTIVATIONS = ("tanh", "relu")

# float32 gradients that shrink through time drift into the denormal range, where every
# multiply is many times slower. Values this small carry no signal: the backward pass flushes
# them to zero every few steps (see benchmarks/core.py for the effect).
_FLUSH_BELOW = {np.dtype(np.float32): np.float32(1e-30)}
_FLUSH_EVERY = 8


@dataclass
class SeqCache:
    """What a forward pass keeps for its backward pass (time-major arrays).

    Attributes are filled by the forward function of ``cell``; the backward pass writes
    ``dh_total`` (T, B, H), the total gradient reaching each state, and its norms ``dh_norm``
    (B, T).
    """

    cell: str
    params: dict[str, np.ndarray]
    x: np.ndarray  # (T, B, D) inputs, time-major, parameter dtype
    hbuf: np.ndarray  # (T+1, B, H): hbuf[0] = h0, hbuf[t+1] = h_t
    mask: np.ndarray | None  # (T, B, 1) parameter dtype, 1.0 for real steps; None = no padding
    padded_steps: list[bool]  # (T,): steps where at least one sequence is padding
    activation: str = "tanh"
    saved: dict[str, np.ndarray] = field(default_factory=dict)  # cell-specific activations
    dh_norm: np.ndarray | None = None  # (B, T) ‖∂L/∂h_t‖, set by backward
    dh_total: np.ndarray | None = None  # (T, B, H) ∂L/∂h_t itself, set by backward

    @property
    def hs(self) -> np.ndarray:
        """(B, T, H) view of every state after every step."""
        return self.hbuf[1:].transpose(1, 0, 2)


# ----------------------------------------------------------------------------- helpers


def sigmoid(a: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Logistic function via tanh: stable for any input, no overflow warnings."""
    out = np.multiply(a, 0.5, out=out)
    np.tanh(out, out=out)
    out += 1.0
    out *= 0.5
    return out


def _prepare(x, h0, W_h, mask, D):
    """Common set-up: dtype, time-major inputs, state buffer, mask.

    ``x`` may be (B, T) integer token ids: one-hot inputs over the D rows of W_x. Then
    ``ids`` (T, B) is returned too, and the input projection is a row gather.
    """
    dtype = W_h.dtype
    x = np.asarray(x)
    ids = None
    if x.ndim == 2 and x.dtype.kind in "iu":
        B, T = x.shape
        ids = np.ascontiguousarray(x.T)
        x_tm = np.eye(D, dtype=dtype)[ids]  # (T, B, D) one-hot, kept for dW_x and probes
    elif x.ndim != 3:
        raise ValueError(f"x must be (B, T, D); got shape {x.shape}")
    else:
        B, T, _ = x.shape
        x_tm = np.ascontiguousarray(x.transpose(1, 0, 2), dtype=dtype)
    H = W_h.shape[0]
    hbuf = np.empty((T + 1, B, H), dtype)
    hbuf[0] = 0.0 if h0 is None else h0
    if mask is None:
        m, padded = None, [False] * T
    else:
        mask = np.asarray(mask, bool)
        if mask.shape != (B, T):
            raise ValueError(f"mask must be (B, T) = {(B, T)}; got {mask.shape}")
        padded = (~mask.all(axis=0)).tolist()
        m = np.ascontiguousarray(mask.T[:, :, None], dtype=dtype) if any(padded) else None
    return dtype, x_tm, hbuf, m, padded, ids


def _input_projection(x_tm: np.ndarray, W_x: np.ndarray, b: np.ndarray, ids=None) -> np.ndarray:
    """All timesteps' input projections in one matmul: (T, B, D) -> (T, B, G)."""
    if ids is not None:  # one-hot inputs: x_t @ W_x is row ids[t] of W_x
        out = np.take(W_x, ids, axis=0)
        out += b
        return out
    T, B, D = x_tm.shape
    out = (x_tm.reshape(T * B, D) @ W_x).reshape(T, B, -1)
    out += b
    return out


def _relu(a: np.ndarray, out: np.ndarray) -> np.ndarray:
    return np.maximum(a, 0.0, out=out)


def _carry_masked(new: np.ndarray, prev: np.ndarray, m_t: np.ndarray) -> None:
    """In place: new = m·new + (1−m)·prev — padded rows keep their previous state."""
    np.copyto(new, prev, where=m_t == 0.0)


def _flush(a: np.ndarray) -> None:
    tiny = _FLUSH_BELOW.get(a.dtype)
    if tiny is not None:
        np.copyto(a, 0.0, where=np.abs(a) < tiny)


def _norms(DH: np.ndarray) -> np.ndarray:
    """(T, B, H) -> (B, T) Euclidean norms over the hidden units."""
    return np.sqrt(np.einsum("tbh,tbh->bt", DH, DH))


def _weight_grads(cache: SeqCache, DGX: np.ndarray, DGH: np.ndarray, need_dx: bool, W_x):
    """After the time loop: weight gradients and dx as single matmuls."""
    T, B, D = cache.x.shape
    H = cache.hbuf.shape[2]
    gx = DGX.reshape(T * B, -1)
    gh = DGH.reshape(T * B, -1)
    dW_x = cache.x.reshape(T * B, D).T @ gx
    dW_h = cache.hbuf[:-1].reshape(T * B, H).T @ gh
    ones = np.ones(T * B, gx.dtype)  # column sums as BLAS matrix-vector products
    db_x = ones @ gx
    db_h = db_x if DGH is DGX else ones @ gh
    dx = (gx @ W_x.T).reshape(T, B, D).transpose(1, 0, 2) if need_dx else None
    return dx, dW_x, dW_h, db_x, db_h


def _backward_loop(cache: SeqCache, dhs: np.ndarray, step, G_x: int, G_h: int | None, truncate):
    """Run the time loop backwards, calling ``step`` once per timestep.

    ``step(t, dh, dc, gx_out, gh_out) -> (dh_prev, dc_prev)`` writes the gradients of the
    input and recurrent pre-activations of step t and returns the gradient sent to step t−1.
    It works for any leading shape (…, B, H), which is how truncation is done: the gradient
    is carried as a stack indexed by age (how many steps it has travelled), and the oldest
    age falls off the end. ``G_h`` None means the recurrent pre-activation is the input one.

    Returns DGX (T, B, G_x), DGH (T, B, G_h) and the gradients reaching the initial state.
    """
    dtype = cache.hbuf.dtype
    T, B, H = cache.hbuf.shape[0] - 1, cache.hbuf.shape[1], cache.hbuf.shape[2]
    lstm = cache.cell == "lstm"
    dhs = np.asarray(dhs, dtype=dtype)
    if dhs.shape != (B, T, H):
        raise ValueError(f"dhs must be (B, T, H) = {(B, T, H)}; got {dhs.shape}")
    DGX = np.empty((T, B, G_x), dtype)
    DGH = DGX if G_h is None else np.empty((T, B, G_h), dtype)
    DH = np.empty((T, B, H), dtype)  # total gradient reaching each state
    m = cache.mask
    full = truncate is None or truncate >= T

    if full:
        dh_next = np.zeros((B, H), dtype)
        dc_next = np.zeros((B, H), dtype) if lstm else None
        for t in range(T - 1, -1, -1):
            dh = np.add(dhs[:, t], dh_next, out=DH[t])  # from this step's output and the future
            if cache.padded_steps[t]:
                keep = 1.0 - m[t]  # padded rows pass the gradient straight through
                dh_pass, dh = dh * keep, dh * m[t]
                dc_pass, dc_next = (dc_next * keep, dc_next * m[t]) if lstm else (None, None)
                dh_next, dc_next = step(t, dh, dc_next, DGX[t], DGH[t])
                dh_next += dh_pass
                if lstm:
                    dc_next += dc_pass
            else:
                dh_next, dc_next = step(t, dh, dc_next, DGX[t], DGH[t])
            if t % _FLUSH_EVERY == 0:
                _flush(dh_next)
                if lstm:
                    _flush(dc_next)
        cache.dh_total, cache.dh_norm = DH, _norms(DH)
        return DGX, DGH, dh_next, dc_next

    k = int(truncate)
    if k < 0:
        raise ValueError(f"truncate must be >= 0 or None; got {truncate}")
    S_h = np.zeros((0, B, H), dtype)  # carried contributions, ages 1..k
    S_c = np.zeros((0, B, H), dtype)
    gh_buf = None
    for t in range(T - 1, -1, -1):
        sh = np.concatenate([dhs[None, :, t], S_h])  # ages 0..len
        sc = np.concatenate([np.zeros((1, B, H), dtype), S_c]) if lstm else None
        np.sum(sh, axis=0, out=DH[t])
        if cache.padded_steps[t]:
            keep = 1.0 - m[t]
            sh_pass, sh = sh * keep, sh * m[t]
            sc_pass, sc = (sc * keep, sc * m[t]) if lstm else (None, None)
        gx_buf = np.empty((sh.shape[0], B, G_x), dtype)
        gh_buf = gx_buf if G_h is None else np.empty((sh.shape[0], B, G_h), dtype)
        sh_prev, sc_prev = step(t, sh, sc, gx_buf, gh_buf)
        np.sum(gx_buf, axis=0, out=DGX[t])
        if G_h is not None:
            np.sum(gh_buf, axis=0, out=DGH[t])
        if cache.padded_steps[t]:
            sh_prev += sh_pass
            if lstm:
                sc_prev += sc_pass
        S_h = sh_prev[:k]  # one step older; age k+1 is dropped
        S_c = sc_prev[:k] if lstm else S_c
    cache.dh_total, cache.dh_norm = DH, _norms(DH)
    return DGX, DGH, S_h.sum(axis=0), (S_c.sum(axis=0) if lstm else None)


# ----------------------------------------------------------------------------- vanilla RNN


def rnn_forward(x, h0, params, mask=None, activation="tanh"):
    """Vanilla RNN: ``h_t = act(x_t @ W_xh + h_{t-1} @ W_hh + b_h)``.

    params: {"W_xh": (D, H), "W_hh": (H, H), "b_h": (H,)}; h0: (B, H) or None for zeros.
    Returns hs (B, T, H) and the cache for :func:`rnn_backward`.
    """
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {ACTIVATIONS}; got {activation!r}")
    W_xh, W_hh, b_h = params["W_xh"], params["W_hh"], params["b_h"]
    _, x_tm, hbuf, m, padded, ids = _prepare(x, h0, W_hh, mask, W_xh.shape[0])
    a = _input_projection(x_tm, W_xh, b_h, ids)  # becomes the pre-activation of each step
    act = np.tanh if activation == "tanh" else _relu
    for t, a_t in enumerate(a):
        a_t += hbuf[t] @ W_hh
        act(a_t, out=hbuf[t + 1])
        if padded[t]:
            _carry_masked(hbuf[t + 1], hbuf[t], m[t])
    cache = SeqCache("rnn", params, x_tm, hbuf, m, padded, activation)
    return cache.hs, cache


def rnn_backward(dhs, cache: SeqCache, truncate: int | None = None, need_dx: bool = True):
    """Backpropagation through time for :func:`rnn_forward`.

    dhs: (B, T, H). Returns dx (B, T, D) (None if ``need_dx`` is False), dh0 (B, H) and grads
    keyed like the params. Leaves ‖∂L/∂h_t‖ in ``cache.dh_norm`` (B, T).
    """
    W_xh, W_hh = cache.params["W_xh"], cache.params["W_hh"]
    hs = cache.hbuf[1:]
    if cache.activation == "tanh":
        slope = np.multiply(hs, hs)  # tanh'(a) = 1 − h², computed in one buffer
        np.subtract(1.0, slope, out=slope)
    else:
        slope = (hs > 0).astype(hs.dtype)  # relu'(a) = [h > 0]
    W_hh_T = np.ascontiguousarray(W_hh.T)

    def step(t, dh, _dc, gx_out, _gh_out):
        np.multiply(dh, slope[t], out=gx_out)  # back through the activation
        return gx_out @ W_hh_T, None  # into step t−1

    DZ, _, dh0, _ = _backward_loop(cache, dhs, step, W_hh.shape[0], None, truncate)
    dx, dW_xh, dW_hh, db, _ = _weight_grads(cache, DZ, DZ, need_dx, W_xh)
    return dx, dh0, {"W_xh": dW_xh, "W_hh": dW_hh, "b_h": db}


# ----------------------------------------------------------------------------- GRU


def gru_forward(x, h0, params, mask=None):
    """GRU with PyTorch's equations and gate order (r, z, n).

        r  = σ(x W_x[:, :H]   + b_x[:H]   + h W_h[:, :H]   + b_h[:H])
        z  = σ(x W_x[:, H:2H] + b_x[H:2H] + h W_h[:, H:2H] + b_h[H:2H])
        n  = tanh(x W_x[:, 2H:] + b_x[2H:] + r ⊙ (h W_h[:, 2H:] + b_h[2H:]))
        h' = (1 − z) ⊙ n + z ⊙ h

    params: {"W_x": (D, 3H), "W_h": (H, 3H), "b_x": (3H,), "b_h": (3H,)}.
    Returns hs (B, T, H) and the cache for :func:`gru_backward`.
    """
    W_x, W_h, b_x, b_h = params["W_x"], params["W_h"], params["b_x"], params["b_h"]
    dtype, x_tm, hbuf, m, padded, ids = _prepare(x, h0, W_h, mask, W_x.shape[0])
    T, B = x_tm.shape[:2]
    H = W_h.shape[0]
    gx = _input_projection(x_tm, W_x, b_x, ids)  # (T, B, 3H)
    RZ = np.empty((T, B, 2 * H), dtype)  # reset and update gates
    N = np.empty((T, B, H), dtype)  # candidate state
    GHN = np.empty((T, B, H), dtype)  # h W_h[:, 2H:] + b_h[2H:], needed for dr
    for t in range(T):
        h = hbuf[t]
        gh = h @ W_h
        gh += b_h
        rz = RZ[t]
        np.add(gx[t, :, : 2 * H], gh[:, : 2 * H], out=rz)
        sigmoid(rz, out=rz)
        GHN[t] = gh[:, 2 * H :]
        n = np.multiply(rz[:, :H], gh[:, 2 * H :], out=N[t])
        n += gx[t, :, 2 * H :]
        np.tanh(n, out=n)
        h_new = hbuf[t + 1]
        np.subtract(h, n, out=h_new)  # h' = n + z ⊙ (h − n)
        h_new *= rz[:, H:]
        h_new += n
        if padded[t]:
            _carry_masked(h_new, h, m[t])
    cache = SeqCache("gru", params, x_tm, hbuf, m, padded)
    cache.saved.update(RZ=RZ, N=N, GHN=GHN)
    return cache.hs, cache


def gru_backward(dhs, cache: SeqCache, truncate: int | None = None, need_dx: bool = True):
    """Backpropagation through time for :func:`gru_forward`.

    Returns dx (B, T, D) or None, dh0 (B, H), grads keyed like the params; leaves
    ‖∂L/∂h_t‖ in ``cache.dh_norm``.
    """
    W_x, W_h = cache.params["W_x"], cache.params["W_h"]
    H = W_h.shape[0]
    RZ, N, GHN = cache.saved["RZ"], cache.saved["N"], cache.saved["GHN"]
    r, z = RZ[..., :H], RZ[..., H:]
    hprev = cache.hbuf[:-1]
    # Per-step factors of the chain rule, computed for all steps at once.
    k_n = (1.0 - z) * (1.0 - N * N)  # dh -> d(n pre-activation): through (1 − z), then tanh
    k_r = GHN * r * (1.0 - r)  # d(n pre-act) -> d(r pre-activation): through r ⊙ ghn, then σ
    k_z = (hprev - N) * z * (1.0 - z)  # dh -> d(z pre-activation): through z ⊙ (h − n), then σ
    W_h_T = np.ascontiguousarray(W_h.T)

    def step(t, dh, _dc, gx_out, gh_out):
        dan = np.multiply(dh, k_n[t], out=gx_out[..., 2 * H :])
        np.multiply(dan, k_r[t], out=gx_out[..., :H])
        np.multiply(dh, k_z[t], out=gx_out[..., H : 2 * H])
        gh_out[..., : 2 * H] = gx_out[..., : 2 * H]  # r, z pre-activations: same gradient
        np.multiply(dan, r[t], out=gh_out[..., 2 * H :])  # h W_h[:, 2H:] sits behind r ⊙
        dh_prev = gh_out @ W_h_T  # through the recurrent weights
        dh_prev += dh * z[t]  # and directly through z ⊙ h
        return dh_prev, None

    DGX, DGH, dh0, _ = _backward_loop(cache, dhs, step, 3 * H, 3 * H, truncate)
    dx, dW_x, dW_h, db_x, db_h = _weight_grads(cache, DGX, DGH, need_dx, W_x)
    return dx, dh0, {"W_x": dW_x, "W_h": dW_h, "b_x": db_x, "b_h": db_h}


# ----------------------------------------------------------------------------- LSTM


def lstm_forward(x, state0, params, mask=None):
    """LSTM, gate order (i, f, g, o):

        [i, f, g, o] = [σ, σ, tanh, σ](x W_x + h W_h + b)
        c' = f ⊙ c + i ⊙ g,   h' = o ⊙ tanh(c')

    params: {"W_x": (D, 4H), "W_h": (H, 4H), "b": (4H,)}; state0: (h0, c0) or None.
    Returns hs (B, T, H) and the cache (``cache.cs`` holds every cell state).
    """
    W_x, W_h, b = params["W_x"], params["W_h"], params["b"]
    h0, c0 = (None, None) if state0 is None else state0
    dtype, x_tm, hbuf, m, padded, ids = _prepare(x, h0, W_h, mask, W_x.shape[0])
    T, B = x_tm.shape[:2]
    H = W_h.shape[0]
    ACT = _input_projection(x_tm, W_x, b, ids)  # pre-activations, turned into gates in place
    cbuf = np.empty((T + 1, B, H), dtype)
    cbuf[0] = 0.0 if c0 is None else c0
    TC = np.empty((T, B, H), dtype)  # tanh(c_t)
    for t in range(T):
        a = ACT[t]
        a += hbuf[t] @ W_h
        g = a[:, 2 * H : 3 * H]
        np.tanh(g, out=g)
        sigmoid(a[:, : 2 * H], out=a[:, : 2 * H])
        sigmoid(a[:, 3 * H :], out=a[:, 3 * H :])
        c = np.multiply(a[:, H : 2 * H], cbuf[t], out=cbuf[t + 1])
        c += a[:, :H] * g
        np.tanh(c, out=TC[t])
        np.multiply(a[:, 3 * H :], TC[t], out=hbuf[t + 1])
        if padded[t]:
            _carry_masked(cbuf[t + 1], cbuf[t], m[t])
            _carry_masked(hbuf[t + 1], hbuf[t], m[t])
    cache = SeqCache("lstm", params, x_tm, hbuf, m, padded)
    cache.saved.update(ACT=ACT, C=cbuf, TC=TC)
    return cache.hs, cache


def lstm_backward(dhs, cache: SeqCache, truncate: int | None = None, need_dx: bool = True):
    """Backpropagation through time for :func:`lstm_forward`.

    Returns dx (B, T, D) or None, (dh0, dc0), grads keyed like the params; leaves
    ‖∂L/∂h_t‖ in ``cache.dh_norm``.
    """
    W_x, W_h = cache.params["W_x"], cache.params["W_h"]
    H = W_h.shape[0]
    ACT, C, TC = cache.saved["ACT"], cache.saved["C"], cache.saved["TC"]
    i, f, g, o = (ACT[..., k * H : (k + 1) * H] for k in range(4))
    # Per-step factors of the chain rule, computed for all steps at once.
    k_c = o * (1.0 - TC * TC)  # dh -> dc: through o ⊙ tanh(c)
    K = np.empty_like(ACT)  # dc (or dh, for o) -> d(gate pre-activation)
    K[..., :H] = g * i * (1.0 - i)  # c = … + i ⊙ g, σ
    K[..., H : 2 * H] = C[:-1] * f * (1.0 - f)  # c = f ⊙ c_prev + …, σ
    K[..., 2 * H : 3 * H] = i * (1.0 - g * g)  # c = … + i ⊙ g, tanh
    K[..., 3 * H :] = TC * o * (1.0 - o)  # h = o ⊙ tanh(c), σ
    W_h_T = np.ascontiguousarray(W_h.T)

    def step(t, dh, dc, gx_out, _gh_out):
        dc = dh * k_c[t] if dc is None else dc + dh * k_c[t]  # from h_t and from c_{t+1}
        np.multiply(dc, K[t, :, :H], out=gx_out[..., :H])
        np.multiply(dc, K[t, :, H : 2 * H], out=gx_out[..., H : 2 * H])
        np.multiply(dc, K[t, :, 2 * H : 3 * H], out=gx_out[..., 2 * H : 3 * H])
        np.multiply(dh, K[t, :, 3 * H :], out=gx_out[..., 3 * H :])
        dh_prev = gx_out @ W_h_T  # through the recurrent weights
        dc_prev = dc * f[t]  # through the forget gate
        return dh_prev, dc_prev

    DA, _, dh0, dc0 = _backward_loop(cache, dhs, step, 4 * H, None, truncate)
    dx, dW_x, dW_h, db, _ = _weight_grads(cache, DA, DA, need_dx, W_x)
    return dx, (dh0, dc0), {"W_x": dW_x, "W_h": dW_h, "b": db}


# ----------------------------------------------------------------------------- dispatch


def cell_forward(cell: str, x, state0, params, mask=None, activation="tanh"):
    """Run any cell by name; ``state0`` is h0 for rnn/gru and (h0, c0) for lstm."""
    if cell == "rnn":
        return rnn_forward(x, state0, params, mask, activation)
    if cell == "gru":
        return gru_forward(x, state0, params, mask)
    if cell == "lstm":
        return lstm_forward(x, state0, params, mask)
    raise ValueError(f"cell must be one of {CELLS}; got {cell!r}")


def cell_backward(dhs, cache: SeqCache, truncate: int | None = None, need_dx: bool = True):
    """Backward for whichever cell made ``cache``."""
    backward = {"rnn": rnn_backward, "gru": gru_backward, "lstm": lstm_backward}[cache.cell]
    return backward(dhs, cache, truncate=truncate, need_dx=need_dx)
