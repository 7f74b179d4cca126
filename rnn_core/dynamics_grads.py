"""Where the gradient comes from, how long the gates remember, how far back a model reaches.

Pure measurements on a model (never changed; the gradient ones run on a float64 copy):

    rnnbow_split          RNNbow   ∂L/∂h_t split by the output step s whose loss sent it:
                                   parts (S, T, H), norms (S, T); Σ_s parts = ∂L/∂h_t
    time_constant         (…)      τ = −1/ln k of a "keep" value k in [0, 1]
    gate_time_constants   GateTau  per unit, the mean keep gate k̄ (H,) and τ = −1/ln k̄ (H,)
    memory_curve          MemoryCurve  MSE (adding) or recall accuracy (copy) against the lag
    gradient_horizon      GradientHorizon  ‖∂L/∂h_t‖ against steps back, and where it falls
                                   below 1e-3 of its value at the output

Cashman et al. (2018), "RNNbow", split the gradient by the output whose loss sent it. The
keep gate of an LSTM unit is its forget gate f (c' = f ⊙ c + …); of a GRU unit, its update
gate z (h' = (1 − z) ⊙ n + z ⊙ h: z = 1 keeps the old state, PyTorch's convention). A unit
that keeps a fraction k of its state per step forgets as k^s = e^(−s/τ): τ = −1/ln k steps.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from rnn_core import cells as C
from rnn_core.model import RNNModel
from rnn_core.tasks.memory import adding_data, copy_data

# ----------------------------------------------------------------------------- RNNbow


@dataclass(frozen=True, eq=False)
class RNNbow:
    """∂L/∂h_t of ONE sequence, split by source (float64).

    sources: (S,) the output steps whose loss terms are split out (many-to-many: 0 … T−1;
    many-to-one: only T−1); parts: (S, T, H), parts[s, t] = ∂L_s/∂h_t where L_s is step
    sources[s]'s term of the loss (with the loss's own averaging, so Σ_s L_s = L);
    norms: (S, T) ‖parts[s, t]‖; total: (T, H) ∂L/∂h_t, what the gradient lab's ‖∂L/∂h_t‖
    is the norm of. parts[s, t] is zero for t > sources[s] (a loss never reaches back into
    the future). For the LSTM, h_t is the hidden state (c_t is a separate variable).
    rest: (T, H), what every output step not in ``sources`` sent together (zeros when all
    are split out): Σ_s parts[s] + rest = total.
    """

    sources: np.ndarray
    parts: np.ndarray
    norms: np.ndarray
    total: np.ndarray
    rest: np.ndarray


def rnnbow_split(
    model: RNNModel, tokens, targets, layer: int = -1, truncate=None, sources=None
) -> RNNbow:
    """Split ∂L/∂h_t of one sequence by the output step whose loss sent it (RNNbow).

    tokens: (T,) ids or (T, D) features; targets: what :meth:`RNNModel.loss` takes for a
    batch of one without the batch axis — (T,) ids or (T, O) values for many-to-many, a class
    id or (O,) values for many-to-one. ``layer`` picks the recurrent layer, ``truncate`` as in
    training. ``sources``: the output steps to split out (default all; the others are summed
    in ``rest``): the cost grows with S·T, about 0.9 s for all 200 steps of a 200-step
    sequence at H = 64. How: the sequence is repeated S + 1 times in a batch; row s
    back-propagates only step sources[s]'s share of dL/doutputs, the last row the others'.
    """
    model = model.copy(np.float64)
    cfg = model.config
    seq = np.asarray(tokens)
    if seq.ndim != (2 if cfg.input_kind == "dense" else 1) or seq.shape[0] == 0:
        raise ValueError(f"expected one non-empty sequence; got shape {seq.shape}")
    T = seq.shape[0]
    layer = range(cfg.num_layers)[layer]
    fw = model.forward(seq[None])
    _, dout, _, _ = model.loss(fw, np.asarray(targets)[None])
    model.backward(fw, dout, truncate)
    total = fw.caches[layer].dh_total[:, 0].copy()  # (T, H)
    if cfg.output == "many_to_one":
        norms = np.linalg.norm(total, axis=1)[None]
        return RNNbow(np.array([T - 1]), total[None].copy(), norms, total, np.zeros_like(total))
    sources = np.arange(T) if sources is None else np.unique(np.asarray(sources, np.int64))
    if sources.size == 0 or sources.min() < 0 or sources.max() >= T:
        raise ValueError(f"sources must be output steps in [0, {T}); got {sources.tolist()}")
    S = sources.size
    rep = model.forward(np.repeat(seq[None], S + 1, axis=0))
    O = dout.shape[1]
    split = np.zeros((T, S + 1, O))  # time-major rows t·(S+1) + s, as model.backward takes them
    split[sources, np.arange(S)] = dout[sources]  # dout is (T·1, O): row t is step t's share
    others = np.setdiff1d(np.arange(T), sources)
    split[others, S] = dout[others]
    model.backward(rep, split.reshape(T * (S + 1), O), truncate)
    dh = rep.caches[layer].dh_total.transpose(1, 0, 2)  # (S + 1, T, H)
    parts = dh[:S].copy()
    return RNNbow(sources, parts, np.linalg.norm(parts, axis=2), total, dh[S].copy())


# ----------------------------------------------------------------------------- time constants

KEEP_GATES = {"lstm": "f", "gru": "z"}  # the gate whose value 1 means "keep the old state"


def time_constant(keep) -> np.ndarray:
    """τ = −1/ln k for keep values k in [0, 1] (any shape, float64): the number of steps over
    which a state kept by a fraction k per step falls by e. k = 1 gives inf, k = 0 gives 0;
    values outside [0, 1] (or NaN) give NaN."""
    k = np.asarray(keep, np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        tau = -1.0 / np.log(k)
    tau = np.where(k == 0.0, 0.0, np.where(k == 1.0, math.inf, tau))  # −1/(−0.0) is −inf
    return np.where((k >= 0.0) & (k <= 1.0), tau, math.nan)


@dataclass(frozen=True, eq=False)
class GateTau:
    """Per unit of one layer (float64): gate, the keep gate's name ("f" or "z");
    mean_keep (H,), its mean over every real step of every sequence; tau (H,) =
    −1/ln mean_keep (of the mean gate, not the mean of per-step τ)."""

    gate: str
    mean_keep: np.ndarray
    tau: np.ndarray


def gate_time_constants(model: RNNModel, inputs, mask=None, layer: int = -1) -> GateTau:
    """The keep gate's time constant per unit: LSTM forget gate f, GRU update gate z.

    inputs: (N, T) ids or (N, T, D) features; mask: (N, T) bool or None (all real).
    Raises ValueError for a vanilla RNN, which has no gate.
    """
    cfg = model.config
    if cfg.cell not in KEEP_GATES:
        raise ValueError(f"a {cfg.cell!r} cell has no keep gate; time constants need gru or lstm")
    inputs = np.asarray(inputs)
    fw = model.forward(inputs, mask)
    layer = range(cfg.num_layers)[layer]
    gate = KEEP_GATES[cfg.cell]
    values = C.gate_values(fw.caches[layer])[gate]  # (T, N, H)
    real = fw.mask.T  # (T, N)
    mean = values[real].astype(np.float64).mean(axis=0)  # (H,)
    return GateTau(gate, mean, time_constant(mean))


# ----------------------------------------------------------------------------- memory horizon

MEMORY_TASKS = ("adding", "copy")


@dataclass(frozen=True, eq=False)
class MemoryCurve:
    """A model's score against the lag it must bridge.

    task: "adding" or "copy"; metric: "mse" (lower is better) or "recall_accuracy" (higher
    is better); lags: (L,) ints; scores: (L,) float64; threshold: the score that counts as
    remembered; ok: (L,) bool, which lags meet it; horizon: the largest lag that meets it
    (0 if none does; lags are sorted ascending). A trained model may fail at lags far
    shorter than its training lag too (sequences unlike any it saw), so ``ok`` need not be
    a prefix: the horizon is how far it remembers, not that it works at every shorter lag.
    """

    task: str
    metric: str
    lags: np.ndarray
    scores: np.ndarray
    threshold: float
    ok: np.ndarray
    horizon: int


def memory_curve(
    model: RNNModel,
    task: str,
    lags,
    n: int = 500,
    seed: int = 0,
    threshold: float | None = None,
    window: int | None = None,
    length: int = 5,
) -> MemoryCurve:
    """Score ``model`` on fresh data of the adding or copy task at each lag.

    adding: test MSE on ``adding_data(rng, n, lag, window)``, window defaulting to the
    task's ``min(10, lag)`` (the data the task trains on): the first number is held lag …
    lag + window − 1 steps. With window 1 it comes at step 0 and the readout after step
    ``lag``: held exactly ``lag`` steps. Default threshold 0.01 (the task's goal).
    copy: the fraction of recall steps right (``recall_accuracy``) on ``copy_data`` with
    ``length`` symbols, the alphabet size read from the model's input size; each symbol is
    held length + lag + 1 steps. Default threshold 0.95.
    Every lag uses data from ``default_rng([seed, lag])``.
    """
    if task not in MEMORY_TASKS:
        raise ValueError(f"task must be one of {MEMORY_TASKS}; got {task!r}")
    lags = np.sort(np.asarray(lags, np.int64).reshape(-1))
    if lags.size == 0 or lags.min() < (1 if task == "adding" else 0):
        raise ValueError(f"lags must be non-empty and at least {int(task == 'adding')}")
    scores = np.empty(lags.size)
    for k, lag in enumerate(lags.tolist()):
        rng = np.random.default_rng([seed, lag])
        if task == "adding":
            d = adding_data(rng, n, lag, min(10 if window is None else window, lag))
            out = model.predict(d.inputs).astype(np.float64)
            scores[k] = float(np.mean((out - d.targets) ** 2))
        else:
            n_symbols = model.config.input_size - 4  # <pad>, <unk>, symbols, blank, go
            d = copy_data(rng, n, length, lag, n_symbols)
            pred = model.predict(d.inputs)
            recall = d.targets != 0
            scores[k] = float((pred[recall] == d.targets[recall]).mean())
    if task == "adding":
        metric, threshold = "mse", 0.01 if threshold is None else float(threshold)
        ok = scores <= threshold
    else:
        metric, threshold = "recall_accuracy", 0.95 if threshold is None else float(threshold)
        ok = scores >= threshold
    horizon = int(lags[ok].max()) if ok.any() else 0
    return MemoryCurve(task, metric, lags, scores, threshold, ok, horizon)


@dataclass(frozen=True, eq=False)
class GradientHorizon:
    """‖∂L/∂h_t‖ against steps back from the output (float64).

    norms: (T,) mean over sequences of ‖∂L/∂h_t‖, index s = steps back from the last step
    (s = 0 is the output); ratios: (T,) norms / norms[0]; level: the fraction (1e-3);
    horizon: the largest s such that ratios[0 … s] are all ≥ level (how far back the
    gradient reaches); falls_below_at: horizon + 1, the lag at which it has fallen below the
    level, or None if it never does within the sequence. NaN ratios and horizon −1 when the
    gradient at the output is zero (nothing to propagate).
    """

    norms: np.ndarray
    ratios: np.ndarray
    level: float
    horizon: int
    falls_below_at: int | None


def gradient_horizon(model: RNNModel, inputs, targets, level: float = 1e-3, layer: int = -1):
    """Where the gradient of a many-to-one loss dies, over a batch of equally long sequences.

    inputs: (N, T) ids or (N, T, D) features (no padding: every sequence's output is at step
    T − 1); targets as :meth:`RNNModel.loss_and_grads` takes them. Uses the ‖∂L/∂h_t‖ the
    trainer and gradient lab report, on a float64 copy. A many-to-many model is accepted,
    but then every step's loss feeds ∂L/∂h_t and the reference is the last step's total;
    to follow one output's gradient back, use :func:`rnnbow_split` with that source.
    """
    model = model.copy(np.float64)
    _, _, info = model.loss_and_grads(inputs, targets)
    norms = np.asarray(info.dh_norm[layer], np.float64).mean(axis=0)[::-1].copy()  # (T,)
    if not norms[0] > 0:
        return GradientHorizon(norms, np.full(norms.size, math.nan), level, -1, None)
    ratios = norms / norms[0]
    below = np.flatnonzero(~(ratios >= level))
    if below.size == 0:
        return GradientHorizon(norms, ratios, level, norms.size - 1, None)
    return GradientHorizon(norms, ratios, level, int(below[0]) - 1, int(below[0]))
