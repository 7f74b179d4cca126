"""Finite-difference gradient checks: does backward agree with the definition of a derivative?

    report = check_model_gradients(model, inputs, targets, mask)
    report["l0.W_hh"].rel_error   # ‖analytic − numeric‖ / max(‖analytic‖, ‖numeric‖)

Checks run on a float64 copy of the model (float32 cannot resolve central differences), so the
model itself is never touched.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from rnn_core.model import RNNModel


@dataclass(frozen=True)
class GradCheck:
    """The verdict for one parameter."""

    rel_error: float  # ‖analytic − numeric‖ / max(‖analytic‖, ‖numeric‖, 1e-12) on checked entries
    analytic_norm: float
    numeric_norm: float
    n_checked: int  # entries compared (all, or a random sample)


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    """Norm-based relative error, robust where individual entries are near zero."""
    scale = max(float(np.linalg.norm(a)), float(np.linalg.norm(b)), 1e-12)
    return float(np.linalg.norm(a - b)) / scale


def numerical_gradient(
    f: Callable[[], float], array: np.ndarray, eps: float = 1e-6, indices=None
) -> np.ndarray:
    """Central differences (f(a + ε) − f(a − ε)) / 2ε of ``f`` with respect to ``array``.

    ``array`` is perturbed in place and restored. ``indices``: flat indices to check (None =
    all); entries not checked are 0 in the result.
    """
    grad = np.zeros_like(array, dtype=np.float64)
    flat, gflat = array.reshape(-1), grad.reshape(-1)
    for i in range(flat.size) if indices is None else indices:
        old = flat[i]
        flat[i] = old + eps
        plus = f()
        flat[i] = old - eps
        minus = f()
        flat[i] = old
        gflat[i] = (plus - minus) / (2 * eps)
    return grad


def check_model_gradients(
    model: RNNModel,
    inputs,
    targets,
    mask=None,
    eps: float = 1e-6,
    max_entries: int | None = None,
    rng: np.random.Generator | None = None,
) -> dict[str, GradCheck]:
    """Compare ``loss_and_grads`` with finite differences for every parameter, in float64.

    ``max_entries`` checks a random sample of that many entries per parameter (needs ``rng``);
    None checks every entry. The analytic gradient is compared on the same entries.
    """
    m64 = model.copy(np.float64)
    if np.asarray(inputs).dtype.kind == "f":
        inputs = np.asarray(inputs, np.float64)
    _, grads, _ = m64.loss_and_grads(inputs, targets, mask)

    def loss() -> float:
        return m64.loss(m64.forward(inputs, mask), targets)[0]

    report = {}
    for name, p in m64.params.items():
        idx = None
        if max_entries is not None and p.size > max_entries:
            if rng is None:
                raise ValueError("sampling entries needs an rng")
            idx = rng.choice(p.size, size=max_entries, replace=False)
        numeric = numerical_gradient(loss, p, eps, idx)
        analytic = grads[name].reshape(-1) if idx is None else grads[name].reshape(-1)[idx]
        numeric = numeric.reshape(-1) if idx is None else numeric.reshape(-1)[idx]
        report[name] = GradCheck(
            rel_error=relative_error(analytic, numeric),
            analytic_norm=float(np.linalg.norm(analytic)),
            numeric_norm=float(np.linalg.norm(numeric)),
            n_checked=int(analytic.size),
        )
    return report
