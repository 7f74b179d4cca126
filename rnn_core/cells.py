"""Recurrent cells: vanilla RNN (tanh, relu), GRU and LSTM, forward and backward.

Conventions (docs/ARCHITECTURE.md, "Contracts"): batch first, row vectors, weights multiply
from the right.

    x    : (B, T, D)  inputs
    mask : (B, T)     bool, True for real tokens; sequences are left-aligned
    hs   : (B, T, H)  the state after every step; on a masked step the state is carried
                      unchanged, so ``hs[:, -1]`` is the state after the last real token
    dhs  : (B, T, H)  dL/dhs, the gradient the loss sends to each state directly

The dtype follows the parameters (float32 in the app, float64 for gradient checks).

Inside, states are kept time-major, ``(T, B, H)``, and the gated cells split their weights
into one (D, H) block per gate for the duration of a pass: every step works on contiguous
``(B, H)`` blocks (numpy runs 2–4× slower on column slices of a (B, 3H) array, and its fast
tanh needs contiguous input), one batched matmul computes all of a step's recurrent products,
and the weight gradients are one batched matmul each after the time loop. The gates are stored
step-major, ``(T, gate, B, H)`` (a step's gates are one block), their gradients gate-major,
``(gate, T, B, H)`` (a gate's gradients over all steps are one matrix):

    dW[gate] = hprev(T·B, H)ᵀ @ dpre[gate](T·B, H)

The parameters keep their public layout, gate blocks side by side in the published order.

Every forward takes ``clamp``: units of the state held at given values at every step (a
neuron clamped, or ablated at 0), as ``(units (k,), values (T, k))``; the state a step
computes is overwritten there before anything reads it (the next step, the next layer, the
readout). Made by ``rnn_core.model.Clamp``; a clamped forward has no backward.

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
    clamped: bool = False  # the forward held units at given values (no backward then)

    @property
    def hs(self) -> np.ndarray:
        """(B, T, H) view of every state after every step."""
        return self.hbuf[1:].transpose(1, 0, 2)


# ----------------------------------------------------------------------------- helpers


def _to_blocks(W: np.ndarray, order: tuple[int, ...], halve: int = 0) -> np.ndarray:
    """(D, K·H) weights, gate blocks side by side in the public order -> (K, D, H), one
    contiguous block per gate in ``order`` (public gate indices). Biases: pass ``b[None]``.

    The first ``halve`` blocks (sigmoid gates) come out halved, see :func:`_sigmoid_from_tanh`.
    """
    K = len(order)
    D, H = W.shape[0], W.shape[1] // K
    blocks = np.take(W.reshape(D, K, H).transpose(1, 0, 2), order, axis=0)  # a copy
    if halve:
        blocks[:halve] *= 0.5
    return blocks


def _from_blocks(G: np.ndarray, order: tuple[int, ...]) -> np.ndarray:
    """Inverse of :func:`_to_blocks` (without halving): (K, D, H) -> (D, K·H) public order."""
    K, D, H = G.shape
    if order == tuple(range(K)):  # already in the public order (a view when K = 1)
        return G.transpose(1, 0, 2).reshape(D, K * H)
    out = np.empty((D, K, H), G.dtype)
    out[:, list(order)] = G.transpose(1, 0, 2)
    return out.reshape(D, K * H)


def _sigmoid_from_tanh(u: np.ndarray) -> np.ndarray:
    """In place: u = tanh(a/2) becomes σ(a) = (1 + u) / 2. Stable for any a, no overflow.

    The gated cells feed their sigmoid gates weights and biases halved once per pass (exact
    in binary floating point): their pre-activations arrive as a/2, and one tanh call serves
    every gate of a step, tanh and sigmoid ones alike.
    """
    u *= 0.5
    u += 0.5
    return u


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


def _input_projection(x_tm: np.ndarray, W: np.ndarray, b: np.ndarray, ids=None) -> np.ndarray:
    """All timesteps' input projections at once, each step's K blocks contiguous:
    (T, B, D) @ (K, D, H) + (K, H) -> (T, K, B, H)."""
    K, D, H = W.shape
    if ids is not None:  # one-hot inputs: x_t @ W[k] + b[k] is row ids[t] of W[k] + b[k]
        rows = ids[:, None, :] + D * np.arange(K)[:, None]  # (T, K, B) rows of the K tables
        return np.take((W + b[:, None, :]).reshape(K * D, H), rows, axis=0)
    T, B, _ = x_tm.shape
    out = np.matmul(x_tm.reshape(T * B, D), W)  # (K, T·B, H)
    out += b[:, None, :]
    return out.reshape(K, T, B, H).transpose(1, 0, 2, 3)


def _relu(a: np.ndarray, out: np.ndarray) -> np.ndarray:
    return np.maximum(a, 0.0, out=out)


def _carry_masked(new: np.ndarray, prev: np.ndarray, m_t: np.ndarray) -> None:
    """In place: new = m·new + (1−m)·prev — padded rows keep their previous state."""
    np.copyto(new, prev, where=m_t == 0.0)


def _clamp_plan(clamp, T: int, H: int, dtype):
    """``clamp`` checked: None, or (units (k,) ints in [0, H), values (T, k) in ``dtype``)."""
    if clamp is None:
        return None
    units, values = clamp
    units = np.asarray(units, dtype=np.intp).reshape(-1)
    values = np.asarray(values, dtype=dtype)
    if units.size and (units.min() < 0 or units.max() >= H):
        raise ValueError(f"clamped units must lie in [0, {H}); got {units.tolist()}")
    if values.shape != (T, units.size):
        raise ValueError(f"clamp values must be (T, k) = {(T, units.size)}; got {values.shape}")
    return units, values


def _hold(h: np.ndarray, plan, t: int) -> None:
    """In place: the clamped units of the state ``h`` (B, H) take their values at step t."""
    units, values = plan
    h[:, units] = values[t]


def _flush(a: np.ndarray) -> None:
    tiny = _FLUSH_BELOW.get(a.dtype)
    if tiny is not None:
        np.copyto(a, 0.0, where=np.abs(a) < tiny)


def _norms(DH: np.ndarray) -> np.ndarray:
    """(T, B, H) -> (B, T) Euclidean norms over the hidden units."""
    return np.sqrt(np.einsum("tbh,tbh->bt", DH, DH))


def _back_through(G: np.ndarray, W_T: np.ndarray) -> np.ndarray:
    """Σ_k G[k] @ W_T[k]: what K blocks of pre-activation gradients G (K, …, B, H) send back
    through their weights, W_T[k] = W[k]ᵀ (K, H, D). One batched matmul, then a sum."""
    if G.ndim > 3:  # a stack of gradients by age (truncated BPTT)
        W_T = W_T.reshape(W_T.shape[0], *([1] * (G.ndim - 3)), *W_T.shape[1:])
    return np.add.reduce(np.matmul(G, W_T), axis=0)


def _weight_grad(rows: np.ndarray, G: np.ndarray, order: tuple[int, ...]) -> np.ndarray:
    """dW = rowsᵀ @ G for K blocks at once, after the time loop: the inputs every step read
    (N, D) and the blocks' pre-activation gradients G (K, N, H), N = T·B. -> (D, K·H)."""
    return _from_blocks(np.matmul(rows.T, G), order)


def _block_sums(G: np.ndarray) -> np.ndarray:
    """Σ over the N rows of each block of G (K, N, H), as matrix-vector products -> (K, H)."""
    return np.matmul(np.ones(G.shape[1], G.dtype), G)


def _bias_grad(G: np.ndarray, order: tuple[int, ...]) -> np.ndarray:
    """db = Σ over the N rows of G (K, N, H) -> (K·H,) in the public gate order."""
    return _from_blocks(_block_sums(G)[:, None], order).reshape(-1)


def _input_grad(cache: SeqCache, G: np.ndarray, W_x: np.ndarray, order) -> np.ndarray:
    """dx (B, T, D) = Σ_k G[k] @ W_x[k]ᵀ, from the input blocks' gradients G (K, N, H)."""
    T, B, D = cache.x.shape
    W_T = _to_blocks(W_x, order).transpose(0, 2, 1)
    return _back_through(G, W_T).reshape(T, B, D).transpose(1, 0, 2)


def _backward_loop(cache: SeqCache, dhs: np.ndarray, step, K: int, truncate):
    """Run the time loop backwards, calling ``step`` once per timestep.

    ``step(t, dh, dc, g_out) -> (dh_prev, dc_prev)`` writes the gradients of step t's K
    pre-activation blocks into ``g_out`` (K, …, B, H) and returns the gradient sent to step
    t−1. It works for any leading shape (…, B, H), which is how truncation is done: the
    gradient is carried as a stack indexed by age (how many steps it has travelled), and the
    oldest age falls off the end.

    Returns G (K, T, B, H) and the gradients reaching the initial state.
    """
    dtype = cache.hbuf.dtype
    T, B, H = cache.hbuf.shape[0] - 1, cache.hbuf.shape[1], cache.hbuf.shape[2]
    lstm = cache.cell == "lstm"
    dhs = np.asarray(dhs, dtype=dtype)
    if dhs.shape != (B, T, H):
        raise ValueError(f"dhs must be (B, T, H) = {(B, T, H)}; got {dhs.shape}")
    dhs = dhs.transpose(1, 0, 2)  # (T, B, H): contiguous steps when the caller's is time-major
    G = np.empty((K, T, B, H), dtype)
    DH = np.empty((T, B, H), dtype)  # total gradient reaching each state
    m = cache.mask
    full = truncate is None or truncate >= T

    if full:
        dh_next = np.zeros((B, H), dtype)
        dc_next = np.zeros((B, H), dtype) if lstm else None
        for t in range(T - 1, -1, -1):
            dh = np.add(dhs[t], dh_next, out=DH[t])  # from this step's output and the future
            if cache.padded_steps[t]:
                keep = 1.0 - m[t]  # padded rows pass the gradient straight through
                dh_pass, dh = dh * keep, dh * m[t]
                dc_pass, dc_next = (dc_next * keep, dc_next * m[t]) if lstm else (None, None)
                dh_next, dc_next = step(t, dh, dc_next, G[:, t])
                dh_next += dh_pass
                if lstm:
                    dc_next += dc_pass
            else:
                dh_next, dc_next = step(t, dh, dc_next, G[:, t])
            if t % _FLUSH_EVERY == 0:
                _flush(dh_next)
                if lstm:
                    _flush(dc_next)
        cache.dh_total, cache.dh_norm = DH, _norms(DH)
        return G, dh_next, dc_next

    k = int(truncate)
    if k < 0:
        raise ValueError(f"truncate must be >= 0 or None; got {truncate}")
    S_h = np.zeros((0, B, H), dtype)  # carried contributions, ages 1..k
    S_c = np.zeros((0, B, H), dtype)
    for t in range(T - 1, -1, -1):
        sh = np.concatenate([dhs[None, t], S_h])  # ages 0..len
        sc = np.concatenate([np.zeros((1, B, H), dtype), S_c]) if lstm else None
        np.sum(sh, axis=0, out=DH[t])
        if cache.padded_steps[t]:
            keep = 1.0 - m[t]
            sh_pass, sh = sh * keep, sh * m[t]
            sc_pass, sc = (sc * keep, sc * m[t]) if lstm else (None, None)
        g_buf = np.empty((K, *sh.shape), dtype)
        sh_prev, sc_prev = step(t, sh, sc, g_buf)
        np.sum(g_buf, axis=1, out=G[:, t])
        if cache.padded_steps[t]:
            sh_prev += sh_pass
            if lstm:
                sc_prev += sc_pass
        S_h = sh_prev[:k]  # one step older; age k+1 is dropped
        S_c = sc_prev[:k] if lstm else S_c
    cache.dh_total, cache.dh_norm = DH, _norms(DH)
    return G, S_h.sum(axis=0), (S_c.sum(axis=0) if lstm else None)


# ----------------------------------------------------------------------------- vanilla RNN


def rnn_forward(x, h0, params, mask=None, activation="tanh", clamp=None):
    """Vanilla RNN: ``h_t = act(x_t @ W_xh + h_{t-1} @ W_hh + b_h)``.

    params: {"W_xh": (D, H), "W_hh": (H, H), "b_h": (H,)}; h0: (B, H) or None for zeros;
    ``clamp``: (units, values (T, k)) held at every step (module docstring), or None.
    Returns hs (B, T, H) and the cache for :func:`rnn_backward`.
    """
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {ACTIVATIONS}; got {activation!r}")
    W_xh, W_hh, b_h = params["W_xh"], params["W_hh"], params["b_h"]
    _, x_tm, hbuf, m, padded, ids = _prepare(x, h0, W_hh, mask, W_xh.shape[0])
    a = _input_projection(x_tm, W_xh[None], b_h[None], ids)[:, 0]  # each step's pre-activation
    plan = _clamp_plan(clamp, a.shape[0], W_hh.shape[0], W_hh.dtype)
    act = np.tanh if activation == "tanh" else _relu
    for t, a_t in enumerate(a):
        a_t += hbuf[t] @ W_hh
        act(a_t, out=hbuf[t + 1])
        if padded[t]:
            _carry_masked(hbuf[t + 1], hbuf[t], m[t])
        if plan is not None:
            _hold(hbuf[t + 1], plan, t)
    cache = SeqCache("rnn", params, x_tm, hbuf, m, padded, activation)
    cache.clamped = plan is not None
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

    def step(t, dh, _dc, g_out):
        dz = np.multiply(dh, slope[t], out=g_out[0])  # back through the activation
        return dz @ W_hh_T, None  # into step t−1

    G, dh0, _ = _backward_loop(cache, dhs, step, 1, truncate)
    T, B, D = cache.x.shape
    DZ = G.reshape(1, T * B, -1)
    grads = {
        "W_xh": _weight_grad(cache.x.reshape(T * B, D), DZ, (0,)),
        "W_hh": _weight_grad(cache.hbuf[:-1].reshape(T * B, -1), DZ, (0,)),
        "b_h": _bias_grad(DZ, (0,)),
    }
    dx = _input_grad(cache, DZ, W_xh, (0,)) if need_dx else None
    return dx, dh0, grads


# ----------------------------------------------------------------------------- GRU

# Inside, the GRU keeps its gate blocks in the public order (r, z, n).
_GRU = (0, 1, 2)


def gru_forward(x, h0, params, mask=None, clamp=None):
    """GRU with PyTorch's equations and gate order (r, z, n).

        r  = σ(x W_x[:, :H]   + b_x[:H]   + h W_h[:, :H]   + b_h[:H])
        z  = σ(x W_x[:, H:2H] + b_x[H:2H] + h W_h[:, H:2H] + b_h[H:2H])
        n  = tanh(x W_x[:, 2H:] + b_x[2H:] + r ⊙ (h W_h[:, 2H:] + b_h[2H:]))
        h' = (1 − z) ⊙ n + z ⊙ h

    params: {"W_x": (D, 3H), "W_h": (H, 3H), "b_x": (3H,), "b_h": (3H,)}; ``clamp`` as in
    :func:`rnn_forward`. Returns hs (B, T, H) and the cache for :func:`gru_backward`.
    """
    W_x, W_h, b_x, b_h = params["W_x"], params["W_h"], params["b_x"], params["b_h"]
    dtype, x_tm, hbuf, m, padded, ids = _prepare(x, h0, W_h, mask, W_x.shape[0])
    T, B = x_tm.shape[:2]
    H = W_h.shape[0]
    plan = _clamp_plan(clamp, T, H, dtype)
    W_h3 = _to_blocks(W_h, _GRU, halve=2)  # (3, H, H); r and z halved for _sigmoid_from_tanh
    b_x3, b_h3 = b_x.reshape(3, H), b_h.reshape(3, H)
    b = b_x3.copy()
    b[:2] += b_h3[:2]  # r and z read both biases; n's b_h sits behind r ⊙, added in the loop
    b[:2] *= 0.5
    GX = _input_projection(x_tm, _to_blocks(W_x, _GRU, halve=2), b, ids)  # (T, 3, B, H)
    b_hn = np.empty((B, H), dtype)  # adding a (B, H) block beats broadcasting a row
    b_hn[...] = b_h3[2]
    RZ = np.empty((T, 2, B, H), dtype)  # reset and update gates, contiguous per step
    N = np.empty((T, B, H), dtype)  # candidate state
    GHN = np.empty((T, B, H), dtype)  # h W_h[:, 2H:] + b_h[2H:], needed for dr
    HN = np.empty((T, B, H), dtype)  # h − n, needed for dz
    for t in range(T):
        h = hbuf[t]
        gh = np.matmul(h, W_h3)  # (3, B, H): the three recurrent products in one call
        rz = np.add(GX[t, :2], gh[:2], out=RZ[t])
        _sigmoid_from_tanh(np.tanh(rz, out=rz))
        ghn = np.add(gh[2], b_hn, out=GHN[t])
        n = np.multiply(rz[0], ghn, out=N[t])
        n += GX[t, 2]
        np.tanh(n, out=n)
        h_new = np.multiply(np.subtract(h, n, out=HN[t]), rz[1], out=hbuf[t + 1])
        h_new += n  # h' = n + z ⊙ (h − n)
        if padded[t]:
            _carry_masked(h_new, h, m[t])
        if plan is not None:
            _hold(h_new, plan, t)
    cache = SeqCache("gru", params, x_tm, hbuf, m, padded)
    cache.clamped = plan is not None
    cache.saved.update(RZ=RZ, N=N, GHN=GHN, HN=HN)
    return cache.hs, cache


def gru_backward(dhs, cache: SeqCache, truncate: int | None = None, need_dx: bool = True):
    """Backpropagation through time for :func:`gru_forward`.

    Returns dx (B, T, D) or None, dh0 (B, H), grads keyed like the params; leaves
    ‖∂L/∂h_t‖ in ``cache.dh_norm``.
    """
    W_x, W_h = cache.params["W_x"], cache.params["W_h"]
    RZ, N, GHN, HN = (cache.saved[k] for k in ("RZ", "N", "GHN", "HN"))
    r, z = RZ[:, 0], RZ[:, 1]
    # Per-step factors of the chain rule, computed for all steps at once.
    one_minus = np.subtract(1.0, RZ)  # 1 − r, 1 − z
    k_n = np.multiply(N, N)  # dh -> d(n pre-activation): through (1 − z), then tanh
    np.subtract(1.0, k_n, out=k_n)
    k_n *= one_minus[:, 1]
    slope = np.multiply(one_minus, RZ, out=one_minus)  # σ' = σ(1 − σ) of r and z
    k_r = np.multiply(GHN, slope[:, 0], out=slope[:, 0])  # d(n pre-act) -> d(r pre-act): r ⊙ ghn, σ
    k_z = np.multiply(HN, slope[:, 1], out=slope[:, 1])  # dh -> d(z pre-act): z ⊙ (h − n), σ
    W_h_T = np.ascontiguousarray(_to_blocks(W_h, _GRU).transpose(0, 2, 1))  # (3, H, H)

    # The step writes four blocks: (n, r, z) are the gradients of the input pre-activations
    # (x W_x + b_x), (r, z, n') those of the recurrent ones (h W_h + b_h): r and z are shared,
    # and n' = dn ⊙ r, since h W_h[:, 2H:] + b_h[2H:] sits behind r ⊙.
    def step(t, dh, _dc, g_out):
        dn = np.multiply(dh, k_n[t], out=g_out[0])
        np.multiply(dn, k_r[t], out=g_out[1])
        np.multiply(dh, k_z[t], out=g_out[2])
        np.multiply(dn, r[t], out=g_out[3])
        dh_prev = _back_through(g_out[1:], W_h_T)  # through the recurrent weights
        dh_prev += dh * z[t]  # and directly through z ⊙ h
        return dh_prev, None

    G, dh0, _ = _backward_loop(cache, dhs, step, 4, truncate)
    T, B, D = cache.x.shape
    H = W_h.shape[0]
    G = G.reshape(4, T * B, H)
    GX, GH, x_order = G[:3], G[1:], (2, 0, 1)  # GX's blocks are (n, r, z)
    sums = _block_sums(G)
    grads = {
        "W_x": _weight_grad(cache.x.reshape(T * B, D), GX, x_order),
        "W_h": _weight_grad(cache.hbuf[:-1].reshape(T * B, H), GH, _GRU),
        "b_x": _from_blocks(sums[:3, None], x_order).reshape(-1),
        "b_h": _from_blocks(sums[1:, None], _GRU).reshape(-1),
    }
    dx = _input_grad(cache, GX, W_x, x_order) if need_dx else None
    return dx, dh0, grads


# ----------------------------------------------------------------------------- LSTM

# Inside, the LSTM keeps its gate blocks in the order (o, i, f, g), so that the sigmoid gates
# o, i, f are one contiguous run: these are the public indices of (o, i, f, g) in (i, f, g, o).
_LSTM = (3, 0, 1, 2)


def lstm_forward(x, state0, params, mask=None, clamp=None):
    """LSTM, gate order (i, f, g, o):

        [i, f, g, o] = [σ, σ, tanh, σ](x W_x + h W_h + b)
        c' = f ⊙ c + i ⊙ g,   h' = o ⊙ tanh(c')

    params: {"W_x": (D, 4H), "W_h": (H, 4H), "b": (4H,)}; state0: (h0, c0) or None;
    ``clamp`` as in :func:`rnn_forward`: it holds h (what the gates, the next layer and the
    readout read), the cell state c runs on.
    Returns hs (B, T, H) and the cache (``cache.saved["C"]`` holds every cell state).
    """
    W_x, W_h, b = params["W_x"], params["W_h"], params["b"]
    h0, c0 = (None, None) if state0 is None else state0
    dtype, x_tm, hbuf, m, padded, ids = _prepare(x, h0, W_h, mask, W_x.shape[0])
    T, B = x_tm.shape[:2]
    H = W_h.shape[0]
    plan = _clamp_plan(clamp, T, H, dtype)
    W_h4 = _to_blocks(W_h, _LSTM, halve=3)  # (4, H, H); o, i, f halved for _sigmoid_from_tanh
    b4 = _to_blocks(b[None], _LSTM, halve=3)[:, 0]
    A = _input_projection(x_tm, _to_blocks(W_x, _LSTM, halve=3), b4, ids)  # (T, 4, B, H)
    cbuf = np.empty((T + 1, B, H), dtype)
    cbuf[0] = 0.0 if c0 is None else c0
    TC = np.empty((T, B, H), dtype)  # tanh(c_t)
    for t in range(T):
        a = A[t]  # pre-activations, turned into gates in place
        a += np.matmul(hbuf[t], W_h4)  # one matmul for all four recurrent products
        np.tanh(a, out=a)  # g, and the halved o, i, f
        o, i, f = _sigmoid_from_tanh(a[:3])
        g = a[3]
        c = np.multiply(f, cbuf[t], out=cbuf[t + 1])
        c += i * g
        np.multiply(o, np.tanh(c, out=TC[t]), out=hbuf[t + 1])
        if padded[t]:
            _carry_masked(cbuf[t + 1], cbuf[t], m[t])
            _carry_masked(hbuf[t + 1], hbuf[t], m[t])
        if plan is not None:
            _hold(hbuf[t + 1], plan, t)
    cache = SeqCache("lstm", params, x_tm, hbuf, m, padded)
    cache.clamped = plan is not None
    cache.saved.update(A=A, C=cbuf, TC=TC)
    return cache.hs, cache


def lstm_backward(dhs, cache: SeqCache, truncate: int | None = None, need_dx: bool = True):
    """Backpropagation through time for :func:`lstm_forward`.

    Returns dx (B, T, D) or None, (dh0, dc0), grads keyed like the params; leaves
    ‖∂L/∂h_t‖ in ``cache.dh_norm``.
    """
    W_x, W_h = cache.params["W_x"], cache.params["W_h"]
    A, C, TC = cache.saved["A"], cache.saved["C"], cache.saved["TC"]
    o, i, f, g = (A[:, k] for k in range(4))
    # Per-step factors of the chain rule, computed for all steps at once.
    k_c = np.multiply(TC, TC)  # dh -> dc: through o ⊙ tanh(c)
    np.subtract(1.0, k_c, out=k_c)
    k_c *= o
    K = np.empty((4, *TC.shape), A.dtype)  # dc (or dh, for o) -> d(gate pre-act), (o, i, f, g)
    sig = A[:, :3].transpose(1, 0, 2, 3)  # o, i, f
    np.subtract(1.0, sig, out=K[:3])
    K[:3] *= sig  # σ' = σ(1 − σ) of o, i, f
    K[0] *= TC  # h = o ⊙ tanh(c)
    K[1] *= g  # c = … + i ⊙ g
    K[2] *= C[:-1]  # c = f ⊙ c_prev + …
    np.multiply(g, g, out=K[3])  # c = … + i ⊙ g, tanh
    np.subtract(1.0, K[3], out=K[3])
    K[3] *= i
    W_h_T = np.ascontiguousarray(_to_blocks(W_h, _LSTM).transpose(0, 2, 1))  # (4, H, H)

    def step(t, dh, dc, g_out):
        dc = dh * k_c[t] if dc is None else dc + dh * k_c[t]  # from h_t and from c_{t+1}
        np.multiply(dh, K[0, t], out=g_out[0])
        np.multiply(dc, K[1, t], out=g_out[1])
        np.multiply(dc, K[2, t], out=g_out[2])
        np.multiply(dc, K[3, t], out=g_out[3])
        dh_prev = _back_through(g_out, W_h_T)  # through the recurrent weights
        dc_prev = dc * f[t]  # through the forget gate
        return dh_prev, dc_prev

    G, dh0, dc0 = _backward_loop(cache, dhs, step, 4, truncate)
    T, B, D = cache.x.shape
    G = G.reshape(4, T * B, -1)
    grads = {
        "W_x": _weight_grad(cache.x.reshape(T * B, D), G, _LSTM),
        "W_h": _weight_grad(cache.hbuf[:-1].reshape(T * B, -1), G, _LSTM),
        "b": _bias_grad(G, _LSTM),
    }
    dx = _input_grad(cache, G, W_x, _LSTM) if need_dx else None
    return dx, (dh0, dc0), grads


def gate_values(cache: SeqCache) -> dict[str, np.ndarray]:
    """Every gate's activation at every step, (T, B, H) views keyed by gate name in the
    public order: r, z, n for a GRU; i, f, g, o for an LSTM; empty for a vanilla RNN."""
    if cache.cell == "gru":
        RZ = cache.saved["RZ"]
        return {"r": RZ[:, 0], "z": RZ[:, 1], "n": cache.saved["N"]}
    if cache.cell == "lstm":
        A = cache.saved["A"]
        return {"i": A[:, 1], "f": A[:, 2], "g": A[:, 3], "o": A[:, 0]}
    return {}


# ----------------------------------------------------------------------------- dispatch


def cell_forward(cell: str, x, state0, params, mask=None, activation="tanh", clamp=None):
    """Run any cell by name; ``state0`` is h0 for rnn/gru and (h0, c0) for lstm; ``clamp``
    as in :func:`rnn_forward`."""
    if cell == "rnn":
        return rnn_forward(x, state0, params, mask, activation, clamp)
    if cell == "gru":
        return gru_forward(x, state0, params, mask, clamp)
    if cell == "lstm":
        return lstm_forward(x, state0, params, mask, clamp)
    raise ValueError(f"cell must be one of {CELLS}; got {cell!r}")


def cell_backward(dhs, cache: SeqCache, truncate: int | None = None, need_dx: bool = True):
    """Backward for whichever cell made ``cache`` (not a clamped one: a held unit has no
    gradient the backward would know to stop)."""
    if cache.clamped:
        raise ValueError("a clamped forward pass has no backward: run it without clamp")
    backward = {"rnn": rnn_backward, "gru": gru_backward, "lstm": lstm_backward}[cache.cell]
    return backward(dhs, cache, truncate=truncate, need_dx=need_dx)
