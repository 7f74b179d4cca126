"""Losses as (value, gradient) pairs over rows that may be padding.

Every loss takes a ``weights`` vector (N,) of 0/1 (padding rows carry weight 0 and so never
contribute), and averages over the real rows. The gradient has the shape of the prediction.
"""

from __future__ import annotations

import numpy as np

LOSSES = ("xent", "mse")


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax over the last axis, shifted by the max for stability."""
    z = logits - logits.max(axis=-1, keepdims=True)
    np.exp(z, out=z)
    z /= z.sum(axis=-1, keepdims=True)
    return z


def log_softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


def softmax_cross_entropy(
    logits: np.ndarray, targets: np.ndarray, weights: np.ndarray | None = None
) -> tuple[float, np.ndarray]:
    """Mean of −log softmax(logits)[target] over real rows.

    logits: (N, C); targets: (N,) int class ids; weights: (N,) 0/1 or None (all real).
    Returns (loss, dL/dlogits (N, C)); ``dlogits = (softmax − onehot) · w / Σw``.
    """
    N = logits.shape[0]
    targets = np.asarray(targets, dtype=np.intp)
    if weights is None:
        w, count = None, float(max(N, 1))
    else:
        w = np.asarray(weights, logits.dtype)
        count = max(float(w.sum()), 1.0)
    rows = np.arange(N)
    # softmax is shift-invariant: the per-row max shift (a slow reduction over a short last
    # axis) is only needed when exp could overflow or underflow, i.e. for logits beyond ±60.
    if logits.size and float(np.abs(logits).max()) < 60.0:
        e = np.exp(logits)
        s = e @ np.ones((e.shape[1], 1), e.dtype)  # row sums as one matmul
        nll = np.log(s[:, 0])
        nll -= logits[rows, targets]
        e /= s
        dlogits = e
    else:
        logp = log_softmax(logits)
        nll = -logp[rows, targets]
        dlogits = np.exp(logp)
    loss = float(nll.sum() if w is None else np.dot(nll, w)) / count
    dlogits[rows, targets] -= 1.0
    if w is None:
        dlogits *= 1.0 / count
    else:
        dlogits *= (w / count)[:, None]
    return loss, dlogits


def mse(
    preds: np.ndarray, targets: np.ndarray, weights: np.ndarray | None = None
) -> tuple[float, np.ndarray]:
    """Mean squared error over real rows and all outputs: Σ w·(p − y)² / (Σw · O).

    preds, targets: (N, O); weights: (N,) 0/1 or None. Returns (loss, dL/dpreds (N, O)).
    """
    N, O = preds.shape
    w = np.ones(N, preds.dtype) if weights is None else np.asarray(weights, preds.dtype)
    count = max(float(w.sum()), 1.0) * O
    diff = preds - np.asarray(targets, preds.dtype)
    diff *= w[:, None]
    loss = float(np.vdot(diff, diff)) / count
    return loss, diff * (2.0 / count)
