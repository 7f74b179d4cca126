"""The numbers behind the Explore page's views, computed from a model with rnn_core.

Pure (no streamlit, no plotly): arrays in, arrays out, so the views can be tested without a
page and the charts (:mod:`ui.views.charts_explore`) only draw.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnn_core import probes
from rnn_core.model import ModelConfig, RNNModel, Trace
from rnn_core.tasks import Task

PCA_SEQUENCES = 400  # training sequences whose states the trajectory's PCA is fitted to
GRID = 60  # readout-map resolution per axis


def activation_range(config: ModelConfig, trace: Trace) -> tuple[float, float]:
    """The colour range of the hidden state: −1…1 for tanh and the gated cells' h, 0…max for
    relu (which has no upper bound)."""
    if config.cell == "rnn" and config.activation == "relu":
        top = max((float(np.nanmax(h)) for h in trace.hs if h.size), default=1.0)
        return 0.0, max(1.0, top)
    return -1.0, 1.0


def state_views(config: ModelConfig, trace: Trace, layer: int) -> dict[str, tuple]:
    """name -> ((T, H) values, (zmin, zmax)) for one layer: "h", then for an LSTM "c", then
    the gates in the cell's order (GRU r, z, n; LSTM i, f, g, o)."""
    views = {"h": (trace.hs[layer], activation_range(config, trace))}
    if trace.cs is not None:
        c = trace.cs[layer]
        m = max(1.0, float(np.nanmax(np.abs(c)))) if c.size else 1.0
        views["c"] = (c, (-m, m))
    for gate, values in trace.gates[layer].items():
        views[gate] = (values, (-1.0, 1.0) if gate in ("g", "n") else (0.0, 1.0))
    return views


@dataclass(frozen=True, eq=False)
class StateMap:
    """A 2-D PCA of the last layer's states on the task's training sequences, so every
    sentence lands in the same picture."""

    pca: probes.PCA
    ends: np.ndarray  # (N, 2) where training sequences end up
    end_labels: np.ndarray | None  # (N,) their classes, for many-to-one classifiers


def fit_state_map(model: RNNModel, task: Task, n: int = PCA_SEQUENCES) -> StateMap:
    train = task.data.train
    n = min(n, len(train))
    idx = np.unique(np.linspace(0, len(train) - 1, n).astype(int))
    inputs, mask = train.inputs[idx], train.mask[idx]
    states = probes.hidden_states(model, inputs, mask)
    pca = probes.fit_pca(states)
    last = np.cumsum(mask.sum(axis=1)) - 1  # each sequence's last real state in ``states``
    labels = None
    if task.output_kind == "class_per_sequence":
        labels = np.asarray(train.targets[idx]).astype(int)
    return StateMap(pca, pca.transform(states[last]), labels)


def readout_background(model: RNNModel, state_map: StateMap, paths: list[np.ndarray]):
    """(xs, ys, P(class 1) (gy, gx)) over the plane around the paths and the training ends,
    for two-class many-to-one models; None otherwise."""
    cfg = model.config
    if cfg.loss != "xent" or cfg.output != "many_to_one" or cfg.output_size != 2:
        return None
    points = np.concatenate([state_map.ends, *paths])
    points = points[np.isfinite(points).all(axis=1)]
    if len(points) == 0:
        return None
    lo, hi = points.min(axis=0), points.max(axis=0)
    pad = 0.1 * np.maximum(hi - lo, 1e-3)
    xs = np.linspace(lo[0] - pad[0], hi[0] + pad[0], GRID)
    ys = np.linspace(lo[1] - pad[1], hi[1] + pad[1], GRID)
    return xs, ys, probes.readout_map(model, state_map.pca, xs, ys)[..., 1]


# ----------------------------------------------------------------------------- units


def unit_ranges(states) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(min, max, range) of each unit over time, ignoring non-finite values. states: (T, H).
    A unit with no finite value has min = max = NaN and range -inf (it sorts last)."""
    s = np.asarray(states, dtype=np.float64)
    if s.ndim != 2:
        raise ValueError(f"states must be (T, H); got shape {s.shape}")
    finite = np.isfinite(s)
    lo = np.where(finite, s, np.inf).min(axis=0, initial=np.inf)
    hi = np.where(finite, s, -np.inf).max(axis=0, initial=-np.inf)
    empty = ~finite.any(axis=0)
    rng = np.where(empty, -np.inf, hi - lo)
    lo, hi = np.where(empty, np.nan, lo), np.where(empty, np.nan, hi)
    return lo, hi, rng


def changing_units(states, top: int) -> np.ndarray:
    """Indices of the ``top`` units whose value changes most over the sequence.

    states: (T, H). Sorted by range (max − min over time) descending, ties by unit index
    ascending. Returns (min(top, H),) int64.
    """
    _, _, rng = unit_ranges(states)
    H = rng.shape[0]
    order = np.lexsort((np.arange(H), -rng))
    return order[: max(0, min(int(top), H))].astype(np.int64)


# ----------------------------------------------------------------------------- guesses


def top_k(probs, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The k largest entries of each row of probs (T, V): (indices (T, k) int64, values
    (T, k)), best first, ties to the lower index (as a stable sort would give).

    Uses a partition, not a full sort: ≈ 10× faster for a word-level vocabulary."""
    probs = np.asarray(probs, dtype=np.float64)
    T, V = probs.shape
    k = max(0, min(int(k), V))
    if k == 0 or k == V or V <= 64:
        idx = np.argsort(-probs, axis=1, kind="stable")[:, :k]
        return idx.astype(np.int64), np.take_along_axis(probs, idx, axis=1)
    p = np.where(np.isnan(probs), -np.inf, probs)
    kth = -np.partition(-p, k - 1, axis=1)[:, k - 1 : k]  # (T, 1) the k-th largest value
    above = p > kth
    need = k - above.sum(axis=1, keepdims=True)  # how many entries equal to kth to take
    tied = p == kth
    if (tied.sum(axis=1, keepdims=True) > need).any():  # more ties than places: lowest first
        tied &= np.cumsum(tied, axis=1) <= need
    chosen = above | tied  # exactly k per row
    idx = np.nonzero(chosen)[1].reshape(T, k)  # ascending index within each row
    vals = np.take_along_axis(p, idx, axis=1)
    order = np.argsort(-vals, axis=1, kind="stable")  # by value; equal values keep index order
    idx = np.take_along_axis(idx, order, axis=1).astype(np.int64)
    return idx, np.take_along_axis(probs, idx, axis=1)


# ----------------------------------------------------------------------------- compare


def align_tokens(a: list[str], b: list[str]) -> list[tuple[int | None, int | None]]:
    """An edit-distance (Levenshtein) alignment of two token lists: pairs (i, j) of indices
    into ``a`` and ``b`` in reading order, every token of both exactly once. (i, j) pairs a
    token with its counterpart (the same token, or a substitution); (i, None) is a token only
    A has (deleted), (None, j) one only B has (inserted).

    The alignment has the fewest edits. Walking back from the ends, a same-token pair is taken
    whenever it lies on a cheapest path, then a gap, then a substitution: among equally cheap
    alignments the one that pairs equal words wins ("this is good" / "is good today" pairs
    "is" and "good"; "this is good" / "this is not good" has "not" as its one gap).
    """
    n, m = len(a), len(b)
    cost = np.zeros((n + 1, m + 1), dtype=np.int64)
    cost[:, 0] = np.arange(n + 1)
    cost[0, :] = np.arange(m + 1)
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            cost[i, j] = min(
                cost[i - 1, j - 1] + (a[i - 1] != b[j - 1]),
                cost[i - 1, j] + 1,
                cost[i, j - 1] + 1,
            )
    pairs: list[tuple[int | None, int | None]] = []
    i, j = n, m
    while i or j:
        if i and j and a[i - 1] == b[j - 1] and cost[i, j] == cost[i - 1, j - 1]:
            i, j = i - 1, j - 1
            pairs.append((i, j))
        elif i and cost[i, j] == cost[i - 1, j] + 1:
            i -= 1
            pairs.append((i, None))
        elif j and cost[i, j] == cost[i, j - 1] + 1:
            j -= 1
            pairs.append((None, j))
        else:  # a substitution
            i, j = i - 1, j - 1
            pairs.append((i, j))
    return pairs[::-1]
