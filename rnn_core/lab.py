"""The gradient lab's measurements: clipping compared, loss slices, the Jacobian bound, the
gradient's profile through time and a verdict on its growth.

Everything here is pure: it runs on float64 copies and never modifies the model or the
gradients it is given. The page (app_pages/gradients.py) only draws what these return.

    cmp = compare_clipping(grads, threshold=5.0)            # the same gradient, clipped 3 ways
    losses = loss_slice(model, x, y, mask, alphas)          # W_hh scaled by each alpha
    step = update_direction(model, x, y, mask, lr=0.01)     # −lr · clipped gradient
    losses = loss_slice(model, x, y, mask, alphas, step)    # params + alpha · step
    bound = recurrent_jacobian_bound(model)                 # σ_max(W_hh)·γ vs 1: .verdict
    x, y, mask = measure_batch(task.data, 32)               # the first 32 test sequences
    norms = dh_profile(model, x, y, mask)                   # (T,) mean ‖∂L/∂h_t‖, last layer
    grads, norms = batch_gradients(model, x, y, mask)       # one backward for both
    step = sgd_step(grads, lr=0.01, clip="none")            # update_direction, from grads
    growth_summary(norms)                                   # {"factor": 0.62, "kind": …}
    last_intact(rows)                                       # last (S, T) row not blown up
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np

from rnn_core.data import Dataset
from rnn_core.model import RNNModel, recurrent_blocks
from rnn_core.optim import clip_by_global_norm, clip_by_value, global_norm
from rnn_core.probes import growth_factor, spectrum
from rnn_core.train import CLIPS, masked_step_mean

Arrays = dict[str, np.ndarray]

# The largest slope of each vanilla-RNN activation: tanh'(0) = 1, relu' = 1 above 0.
ACTIVATION_SLOPE = {"tanh": 1.0, "relu": 1.0}

# growth_summary's verdict: a factor per step back below VANISHING or above EXPLODING.
VANISHING, EXPLODING = 0.9, 1.1


# ----------------------------------------------------------------------------- clipping


@dataclass(frozen=True)
class ClipComparison:
    """One gradient three ways: unclipped, global-norm clipped, per-element clipped.

    Norms are global L2 norms over every parameter; cosines compare each clipped gradient
    with the unclipped one over all parameters flattened (NaN when a norm is 0 or the
    gradient is not finite).
    """

    norm_none: float  # ‖g‖
    norm_global: float  # ‖g‖ after clip_by_global_norm(threshold): min(‖g‖, threshold)
    norm_value: float  # ‖g‖ after clip_by_value(value_limit)
    cos_global: float  # cos(g, global-norm clipped g): 1.0 up to rounding
    cos_value: float  # cos(g, per-element clipped g): below 1 once any entry is cut
    fraction_clipped: float  # share of entries the per-element clip changed (|g_i| > limit)
    clipped_global: bool  # whether global-norm clipping rescaled the gradient


def compare_clipping(
    grads: Arrays, threshold: float, value_limit: float | None = None
) -> ClipComparison:
    """Compare the update direction with no clipping, global-norm clipping at ``threshold``
    and per-element clipping at ``value_limit`` (default: ``threshold``), on the SAME
    gradient. ``grads``: name -> array, any shapes; only read (the clipping functions of
    optim.py run on float64 copies).
    """
    limit = threshold if value_limit is None else value_limit
    g = _copy64(grads)
    by_norm, by_value = _copy64(grads), _copy64(grads)
    norm = global_norm(g)
    _, clipped_global = clip_by_global_norm(by_norm, threshold, norm)
    clip_by_value(by_value, limit, norm)
    flat, flat_norm, flat_value = _flat(g), _flat(by_norm), _flat(by_value)
    with np.errstate(invalid="ignore"):
        n_cut = int((np.abs(flat) > limit).sum())
    return ClipComparison(
        norm_none=norm,
        norm_global=global_norm(by_norm),
        norm_value=global_norm(by_value),
        cos_global=_cosine(flat, flat_norm),
        cos_value=_cosine(flat, flat_value),
        fraction_clipped=n_cut / flat.size if flat.size else 0.0,
        clipped_global=bool(clipped_global),
    )


def _copy64(arrays: Arrays) -> Arrays:
    return {k: np.array(v, dtype=np.float64, copy=True) for k, v in arrays.items()}


def _flat(arrays: Arrays) -> np.ndarray:
    """Every array end to end, in the dict's order: (N,) float64."""
    if not arrays:
        return np.zeros(0)
    return np.concatenate([np.ravel(v) for v in arrays.values()]).astype(np.float64, copy=False)


def _cosine(a: np.ndarray, b: np.ndarray) -> float:
    """cos(a, b) in [−1, 1]; NaN when either is zero or not finite."""
    na, nb = float(np.linalg.norm(a)), float(np.linalg.norm(b))
    if not (na > 0 and nb > 0 and math.isfinite(na) and math.isfinite(nb)):
        return math.nan
    return float(np.clip(np.dot(a / na, b / nb), -1.0, 1.0))


# ----------------------------------------------------------------------------- loss slices


def loss_slice(model: RNNModel, inputs, targets, mask, alphas, direction=None) -> np.ndarray:
    """The loss along a line through parameter space: (A,) float64 for alphas (A,).

    ``direction is None``: every recurrent matrix ("W_hh" of a vanilla RNN, "W_h" of a
    GRU/LSTM — all gate blocks, all layers) is multiplied by alpha, everything else kept;
    alpha = 1 is the current model, alpha = 0 cuts the recurrence.
    ``direction``: name -> array shaped like that parameter (names left out do not move);
    the loss is taken at params + alpha · direction, alpha = 0 being the current model.

    inputs, targets, mask as for :meth:`RNNModel.loss_and_grads`. Runs on a float64 copy;
    a non-finite loss (an overflowing relu net, say) comes back as inf, silently.
    """
    alphas = np.asarray(alphas, np.float64).reshape(-1)
    m = model.copy(np.float64)
    inputs = _inputs64(inputs)
    if direction is None:
        names = [k for k in m.params if k.split(".")[-1] in ("W_hh", "W_h")]
        base = {k: m.params[k].copy() for k in names}
    else:
        unknown = sorted(set(direction) - set(m.params))
        if unknown:
            raise ValueError(f"direction names unknown parameters: {unknown}")
        base = {k: m.params[k].copy() for k in direction}
        steps = {}
        for k, d in direction.items():
            steps[k] = np.asarray(d, np.float64)
            if steps[k].shape != base[k].shape:
                raise ValueError(
                    f"direction[{k!r}] has shape {steps[k].shape}, parameter has {base[k].shape}"
                )
    losses = np.empty(alphas.size)
    with np.errstate(all="ignore"):
        for i, alpha in enumerate(alphas):
            for k, p in base.items():
                m.params[k] = p * alpha if direction is None else p + alpha * steps[k]
            loss = float(m.loss(m.forward(inputs, mask), targets)[0])
            losses[i] = loss if math.isfinite(loss) else math.inf
    return losses


def update_direction(
    model: RNNModel, inputs, targets, mask, lr: float, clip: str = "norm", threshold: float = 5.0
) -> Arrays:
    """The step plain SGD would take on this batch: −lr · g, g the gradient clipped as the
    trainer clips it (``clip`` "norm": global norm at ``threshold``; "value": each entry to
    ±``threshold``; "none"). Returns name -> float64 array like the params, ready for
    :func:`loss_slice` (alpha = 1 is one such step)."""
    if clip not in CLIPS:
        raise ValueError(f"clip must be one of {CLIPS}; got {clip!r}")
    grads, _ = batch_gradients(model, inputs, targets, mask)
    return sgd_step(grads, lr, clip, threshold)


def sgd_step(grads: Arrays, lr: float, clip: str = "norm", threshold: float = 5.0) -> Arrays:
    """−lr · g for gradients already taken (:func:`batch_gradients`), g clipped as
    :func:`update_direction` clips it; ``grads`` is only read. name -> float64 array."""
    if clip not in CLIPS:
        raise ValueError(f"clip must be one of {CLIPS}; got {clip!r}")
    g = _copy64(grads)
    with np.errstate(all="ignore"):
        if clip == "norm":
            clip_by_global_norm(g, threshold)
        elif clip == "value":
            clip_by_value(g, threshold)
        return {k: -lr * v for k, v in g.items()}


def _inputs64(inputs):
    """Dense features in float64 (a float64 model must not compute in float32); ids as is."""
    inputs = np.asarray(inputs)
    return inputs.astype(np.float64) if inputs.dtype.kind == "f" else inputs


# ----------------------------------------------------------------------------- the bound


# JacobianBound.verdict: "must vanish" (a vanilla RNN with σ_max < 1/γ: every step back
# shrinks the gradient), "not guaranteed" (a vanilla RNN with σ_max ≥ 1/γ, or a non-finite
# W_hh: the gradient may survive or explode, the bound says nothing) or "no bound" (a gated
# cell: its gates scale each path, there is no such simple bound).
BoundVerdict = Literal["must vanish", "not guaranteed", "no bound"]


@dataclass(frozen=True)
class JacobianBound:
    """How much one step back in time can at most multiply the gradient, for one layer
    (:func:`recurrent_jacobian_bound`)."""

    cell: str  # "rnn", "gru" or "lstm"
    layer: int  # the layer measured, counted from 0 (a negative request resolved)
    sigma_max: float  # σ_max of W_hh; gated: the largest over the gate blocks (NaN: not finite)
    blocks: dict[str, float]  # each gate block's σ_max ({"h": σ_max} for a vanilla RNN)
    gamma: float | None  # the activation's largest slope γ; None for a gated cell
    bound: float | None  # σ_max·γ, the bound on ‖∂h_t/∂h_{t−1}‖; None for a gated cell
    verdict: BoundVerdict  # what the bound says about vanishing (see BoundVerdict)


def recurrent_jacobian_bound(model: RNNModel, layer: int = 0) -> JacobianBound:
    """How much one step back in time can at most multiply the gradient, for one layer.

    Vanilla RNN: ∂h_t/∂h_{t−1} = diag(act'(a_t))·W_hhᵀ, so its norm is at most σ_max(W_hh)·γ
    with γ the activation's largest slope (1 for tanh and relu). If σ_max < 1/γ every
    step shrinks the gradient and it MUST vanish through time (Pascanu et al. 2013):
    verdict "must vanish"; above (or for a non-finite W_hh) it may survive or explode — the
    bound says nothing: "not guaranteed".

    Gated cells have no such simple bound (the gates scale each path): ``blocks`` holds each
    gate block's σ_max (e.g. {"r", "z", "n"}), ``sigma_max`` the largest of them, ``gamma``
    and ``bound`` are None and the verdict is "no bound".
    """
    cfg = model.config
    layer = range(cfg.num_layers)[layer]  # -1 -> the last layer; out of range raises
    blocks = {
        gate: spectrum(W).max_singular
        for gate, W in recurrent_blocks(model.params, cfg.cell, layer).items()
    }
    sigma = max(blocks.values()) if not any(math.isnan(s) for s in blocks.values()) else math.nan
    measured = {"cell": cfg.cell, "layer": layer, "sigma_max": sigma, "blocks": blocks}
    if cfg.cell != "rnn":
        return JacobianBound(**measured, gamma=None, bound=None, verdict="no bound")
    gamma = ACTIVATION_SLOPE[cfg.activation]
    verdict: BoundVerdict = "must vanish" if sigma < 1.0 / gamma else "not guaranteed"
    return JacobianBound(**measured, gamma=gamma, bound=sigma * gamma, verdict=verdict)


# ----------------------------------------------------------------------------- profiles


def measure_batch(data: Dataset, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The first ``n`` test sequences (all of them when fewer) as (inputs, targets, mask),
    cut to their longest: the batch the lab's static views measure. Targets are per step
    for a many-to-many task."""
    idx = np.arange(min(n, len(data.test)))
    return data.test.batch(idx, per_step=data.output == "many_to_many")


def dh_profile(model: RNNModel, inputs, targets, mask=None) -> np.ndarray:
    """Mean ‖∂L/∂h_t‖ of the last layer over the real sequences at each step: (T,) float64.

    The same number the trainer reports as ``metrics["dh_norm"][-1]`` for a training batch,
    here for any batch (a single example is a batch of one). inputs (B, T) ids or
    (B, T, D) features, mask (B, T) or None. Steps no sequence reaches are 0. Runs on a
    float64 copy.
    """
    return batch_gradients(model, inputs, targets, mask)[1]


def batch_gradients(model: RNNModel, inputs, targets, mask=None) -> tuple[Arrays, np.ndarray]:
    """One float64 backward pass on a batch, for every measurement that needs one: (the
    gradient of every parameter, name -> float64 array — what :func:`compare_clipping` and
    :func:`sgd_step` take —, :func:`dh_profile`'s (T,) mean ‖∂L/∂h_t‖ of the last layer).
    Runs on a float64 copy; non-finite numbers come back as they are, silently."""
    m = model.copy(np.float64)
    with np.errstate(all="ignore"):
        _, grads, info = m.loss_and_grads(_inputs64(inputs), targets, mask)
        profile = masked_step_mean(np.asarray(info.dh_norm[-1], np.float64), mask)  # (B, T) -> (T,)
    return grads, profile


def _reached(norms) -> np.ndarray:
    """norms (T,) as float64 without its trailing NaN: the steps the batch did not reach (a
    row of the trainer's history is NaN past a shorter batch)."""
    n = np.asarray(norms, np.float64).reshape(-1)
    seen = np.flatnonzero(~np.isnan(n))
    return n[: seen[-1] + 1] if seen.size else n[:0]


def growth_summary(norms, horizon: int = 10, diverged: bool = False) -> dict:
    """A verdict on a gradient-norm curve norms (T,) (the last entry the last step).

    {"factor": growth_factor(norms) — the fitted factor per step back, over the finite
    entries > 0 —, "trend": what the fit alone says: "vanishing" (< 0.9), "exploding"
    (> 1.1), "steady" or "unknown" (NaN factor: fewer than 2 finite positive points),
    "kind": the verdict (the trend, unless blown up), "left_after": factor**horizon (inf
    rather than an error for absurd factors), "horizon": horizon, "overflow", "diverged",
    "peak": the largest finite entry (NaN with none)}.

    A blown-up curve is "exploding" whatever its trend: one that overflowed ("overflow": an
    entry is ±inf, or NaN before the last step reached — trailing NaN are steps a shorter
    batch did not reach), or whose run diverged (``diverged``: the trainer's NaN guard
    fired). After a blow-up the rest of the curve is not a signal fading with distance: the
    zeros and tiny values before a huge last entry are states saturated at ±1 (slope 0)
    passing nothing back, and inf · 0 is NaN. The trend is still reported (it may be
    "vanishing" at ×0.00).
    """
    if isinstance(horizon, bool) or not (isinstance(horizon, int | np.integer) and horizon >= 1):
        raise ValueError(f"horizon must be a whole number >= 1; got {horizon!r}")
    reached = _reached(norms)
    overflow = bool((~np.isfinite(reached)).any())
    finite = reached[np.isfinite(reached)]
    factor = growth_factor(reached)
    if math.isnan(factor):
        trend = "unknown"
    elif factor < VANISHING:
        trend = "vanishing"
    elif factor > EXPLODING:
        trend = "exploding"
    else:
        trend = "steady"
    kind = "exploding" if overflow or diverged else trend
    with np.errstate(over="ignore", invalid="ignore"):
        left = float(np.float64(factor) ** int(horizon))
    return {
        "factor": factor,
        "trend": trend,
        "kind": kind,
        "left_after": left,
        "horizon": int(horizon),
        "overflow": overflow,
        "diverged": bool(diverged),
        "peak": float(finite.max()) if finite.size else math.nan,
    }


def last_intact(rows) -> int | None:
    """The index of the last row of rows (S, T) — gradient-norm curves over training, NaN
    past a shorter batch — that is intact: finite and > 0 at every step its batch reached.
    None when no row is. After a blow-up the newest rows overflow (inf) or are 0 wherever
    the saturated states passed nothing back: the last intact row is the gradient through
    time just before it (an exploding run's last readable curve)."""
    rows = np.asarray(rows, np.float64)
    if rows.ndim != 2:
        raise ValueError(f"rows must be (S, T); got shape {rows.shape}")
    for i in range(rows.shape[0] - 1, -1, -1):
        reached = _reached(rows[i])
        if reached.size and bool((np.isfinite(reached) & (reached > 0)).all()):
            return i
    return None
