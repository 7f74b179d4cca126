"""ui.services.lab_measures: the gradient lab's measurements of one model, all at once, and
the key the page caches them under."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from rnn_core import lab, probes
from rnn_core.model import recurrent_blocks
from rnn_core.tasks import load_task
from rnn_core.train import Trainer
from ui.services.lab_measures import SCALES, STEPS_ALONG, measure, measure_key


@pytest.fixture(scope="module")
def trained():
    """A GRU on the adding task after a few steps, its config and the lab's batch."""
    task = load_task("adding")
    config = replace(task.default_config, steps=5, eval_every=1000)
    trainer = Trainer(config, task.data)
    trainer.step(5)
    return trainer.model, trainer.config, lab.measure_batch(task.data, 8)


def test_every_number_is_the_one_the_lab_functions_give(trained):
    """What the page drew before, function by function, on the same model and batch."""
    model, config, batch = trained
    inputs, targets, mask = batch
    example = inputs[0][mask[0]]
    before = {k: v.copy() for k, v in model.params.items()}
    m = measure(model, config, batch)
    np.testing.assert_array_equal(m.profile_batch, lab.dh_profile(model, *batch))
    one = lab.dh_profile(model, inputs[:1], targets[:1], mask[:1])[: len(example)]
    np.testing.assert_array_equal(m.profile_one, one)
    blocks = recurrent_blocks(model.params, "gru", 0)
    assert list(m.eigenvalues) == list(blocks) == ["r", "z", "n"]
    for name, W in blocks.items():
        np.testing.assert_array_equal(m.eigenvalues[name], probes.spectrum(W).eigenvalues)
    assert m.bound == lab.recurrent_jacobian_bound(model, 0)
    np.testing.assert_array_equal(m.jacobian, probes.jacobian_norms(model, example))
    sat = probes.saturation(model.trace(example).hs[0])
    np.testing.assert_array_equal(m.saturation, sat)
    grads = model.copy(np.float64).loss_and_grads(inputs, targets, mask)[1]
    assert m.clipping == lab.compare_clipping(grads, config.clip_value)
    assert m.threshold == config.clip_value
    np.testing.assert_array_equal(m.scales, SCALES)
    np.testing.assert_array_equal(m.scale_losses, lab.loss_slice(model, *batch, SCALES))
    direction = lab.update_direction(model, *batch, lr=max(config.lr, 0.01), clip="none")
    np.testing.assert_array_equal(m.steps_along, STEPS_ALONG)
    np.testing.assert_array_equal(
        m.step_losses, lab.loss_slice(model, *batch, STEPS_ALONG, direction=direction)
    )
    for k, v in model.params.items():  # never changes the model
        np.testing.assert_array_equal(v, before[k])


def test_the_key_follows_everything_the_measurements_read(trained):
    model, config, batch = trained
    key = measure_key(model, config, batch)
    assert key == measure_key(model.copy(), config, tuple(np.copy(a) for a in batch))
    nudged = model.copy()
    nudged.params["l0.W_h"][0, 0] += 1e-6  # one weight
    as64 = model.copy(np.float64)
    other_batch = (batch[0][:4], batch[1][:4], batch[2][:4])
    others = [
        measure_key(nudged, config, batch),
        measure_key(as64, config, batch),
        measure_key(model, replace(config, clip_value=1.0), batch),
        measure_key(model, replace(config, lr=0.05), batch),
        measure_key(model, config, other_batch),
    ]
    assert key not in others and len(set(others)) == len(others)
    # training settings the measurements never read leave it alone
    assert measure_key(model, replace(config, steps=99, seed=3), batch) == key
