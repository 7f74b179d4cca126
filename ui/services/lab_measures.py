"""The gradient lab's measurements of one model, all at once: what sections 1–5 of the page
draw, computed by :mod:`rnn_core.lab` and :mod:`rnn_core.probes`. Pure (no streamlit).

    batch = lab.measure_batch(task.data, 32)
    m = measure(model, config, batch)       # LabMeasures: every number the sections draw
    key = measure_key(model, config, batch)  # the same inputs -> the same key

Every number here depends only on the model's weights and config, the training config's
clipping threshold and learning rate, and the batch: :func:`measure_key` digests exactly
those, so the page computes them once per model and takes them from a cache on every rerun
that does not change the model (``ui.glue.lab_measures``). Most of the time is the two loss
slices (one float64 forward per point); the three measurements that need a backward pass
(the gradient through time, the clipping comparison, the update direction) share one
(:func:`rnn_core.lab.batch_gradients`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from rnn_core import lab, probes
from rnn_core.model import RNNModel, recurrent_blocks
from rnn_core.train import TrainConfig

# The lines the cliff view (section 5) measures the loss along.
SCALES = np.linspace(0.0, 3.0, 61)  # W_hh scaled by alpha: 1 is the model as it is
STEPS_ALONG = np.linspace(-1.0, 4.0, 51)  # steps along the unclipped SGD step: 1 is one step
MIN_STEP_LR = 0.01  # the update direction's learning rate is at least this (a visible step)


@dataclass(frozen=True)
class LabMeasures:
    """Everything sections 1–5 of the gradient lab draw for one model."""

    profile_batch: np.ndarray  # (T,) mean ‖∂L/∂h_t‖ over the batch (section 1, "batch")
    profile_one: np.ndarray  # (T1,) the same on the first sequence, its real steps only
    eigenvalues: dict[str, np.ndarray]  # gate block -> eigenvalues of layer 0's W_hh block
    bound: lab.JacobianBound  # layer 0's recurrent Jacobian bound
    jacobian: np.ndarray  # (T1,) ‖∂h_T/∂h_k‖ on the first sequence
    saturation: np.ndarray  # (T1,) share of layer 0's units near ±1 on the first sequence
    clipping: lab.ClipComparison  # the batch's gradient clipped three ways
    threshold: float  # the clipping threshold compared (the training config's)
    scales: np.ndarray  # (A,) alphas of the W_hh-scale slice
    scale_losses: np.ndarray  # (A,) the loss at each
    steps_along: np.ndarray  # (S,) alphas along the update direction
    step_losses: np.ndarray  # (S,) the loss at each


def measure(model: RNNModel, config: TrainConfig, batch) -> LabMeasures:
    """Every measurement of sections 1–5 for ``model`` (trained with ``config``) on ``batch``
    = (inputs, targets, mask), the first of which is "the first test sequence". Never changes
    the model; runs on float64 copies."""
    inputs, targets, mask = batch
    example = inputs[0][mask[0]]
    grads, profile = lab.batch_gradients(model, inputs, targets, mask)
    profile_one = lab.dh_profile(model, inputs[:1], targets[:1], mask[:1])[: len(example)]
    blocks = recurrent_blocks(model.params, model.config.cell, 0)
    threshold = config.clip_value
    direction = lab.sgd_step(grads, lr=max(config.lr, MIN_STEP_LR), clip="none")
    return LabMeasures(
        profile_batch=profile,
        profile_one=profile_one,
        eigenvalues={name: probes.spectrum(W).eigenvalues for name, W in blocks.items()},
        bound=lab.recurrent_jacobian_bound(model, 0),
        jacobian=probes.jacobian_norms(model, example),
        saturation=probes.saturation(model.trace(example).hs[0]),
        clipping=lab.compare_clipping(grads, threshold),
        threshold=threshold,
        scales=SCALES.copy(),
        scale_losses=lab.loss_slice(model, inputs, targets, mask, SCALES),
        steps_along=STEPS_ALONG.copy(),
        step_losses=lab.loss_slice(model, inputs, targets, mask, STEPS_ALONG, direction),
    )


def measure_key(model: RNNModel, config: TrainConfig, batch) -> str:
    """A digest of everything :func:`measure` reads: the model's config and every parameter
    (name, dtype, shape, bytes), the training config's clipping threshold and learning rate,
    and the batch's arrays. Equal inputs give equal keys; a changed weight changes it."""
    h = hashlib.blake2b(digest_size=20)
    h.update(repr((model.config, config.clip_value, config.lr)).encode())
    for name, value in sorted(model.params.items()):
        _digest_array(h, name, value)
    for i, value in enumerate(batch):
        _digest_array(h, f"batch{i}", value)
    return h.hexdigest()


def _digest_array(h, name: str, value) -> None:
    a = np.ascontiguousarray(value)
    h.update(f"{name}|{a.dtype.str}|{a.shape}|".encode())
    h.update(a.data if a.size else b"")
