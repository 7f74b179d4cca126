"""The sine task: next-step pairs of noisy sums of sines, deterministic, disjoint splits, the
options checked, ``forecast`` for the app's chart, and a short training run.

Full target (``python -m benchmarks.tasks`` measures it): test MSE ≤ 0.01 in ≤ 30 s with the
default config (persistence scores about 0.035, the noise floor is 0.0025). The training test
here uses a reduced budget.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from rnn_core.model import ModelConfig, RNNModel
from rnn_core.tasks import load_task
from rnn_core.tasks.sine import forecast, make_sine
from rnn_core.train import Trainer


def test_targets_are_the_inputs_shifted_by_one_step():
    task = make_sine(seed=0, length=30, n_train=100, n_test=40)
    assert (task.name, task.output_kind, task.encoder) == ("sine", "value_per_step", None)
    data = task.data
    assert data.dense and data.loss == "mse" and data.output == "many_to_many"
    assert (data.input_size, data.output_size) == (1, 1)
    for split in (data.train, data.test):
        assert split.inputs.shape == split.targets.shape == (len(split), 30, 1)
        assert split.mask.shape == (len(split), 30) and split.mask.all()
        np.testing.assert_array_equal(split.targets[:, :-1], split.inputs[:, 1:])
    assert task.goal.metric == "test_loss" and task.goal.threshold == pytest.approx(0.01)


def test_one_clean_sine_has_a_period_in_range():
    # A clean sine satisfies v[t+1] + v[t-1] = 2·cos(ω)·v[t]: recover ω and its period.
    task = make_sine(seed=4, n_sines=1, min_period=8, max_period=20, noise=0.0, n_train=200)
    x = task.data.train.inputs[:, :, 0]
    assert np.abs(x).max() <= 1.0
    assert np.abs(x).max(axis=1).min() >= 0.5 * np.cos(np.pi / 8)  # amplitude ≥ 0.5
    mid, around = x[:, 1:-1], x[:, 2:] + x[:, :-2]
    two_cos = (mid * around).sum(axis=1) / (mid * mid).sum(axis=1)
    np.testing.assert_allclose(around, two_cos[:, None] * mid, atol=1e-9)
    periods = 2 * np.pi / np.arccos(two_cos / 2)
    assert periods.min() >= 8 - 1e-6 and periods.max() <= 20 + 1e-6
    assert periods.max() - periods.min() > 8  # spread over the range


def test_noise_has_the_stated_level():
    clean = make_sine(seed=2, noise=0.0, n_train=500, n_test=10)
    noisy = make_sine(seed=2, noise=0.1, n_train=500, n_test=10)  # same signals, plus noise
    residual = noisy.data.train.inputs - clean.data.train.inputs
    assert abs(residual.std() - 0.1) < 0.003 and abs(residual.mean()) < 0.003


def test_deterministic_with_independent_disjoint_splits():
    a = make_sine(seed=7, n_train=100, n_test=50)
    b = make_sine(seed=7, n_train=100, n_test=50)
    for split in ("train", "test"):
        np.testing.assert_array_equal(getattr(a.data, split).inputs, getattr(b.data, split).inputs)
    assert not np.array_equal(a.data.test.inputs, make_sine(seed=8, n_test=50).data.test.inputs)
    train = {r.tobytes() for r in a.data.train.inputs}
    assert not train & {r.tobytes() for r in a.data.test.inputs}
    # Separate streams: a bigger training split leaves the test split alone.
    bigger = make_sine(seed=7, n_train=300, n_test=50)
    np.testing.assert_array_equal(bigger.data.test.inputs, a.data.test.inputs)


@pytest.mark.parametrize(
    "options",
    [
        {"length": 1},
        {"length": 20.0},
        {"n_sines": 0},
        {"n_sines": 6},
        {"min_period": 1.5},
        {"min_period": 10, "max_period": 9},
        {"max_period": float("inf")},
        {"noise": -0.1},
        {"noise": float("nan")},
        {"noise": "0.1"},
        {"n_train": 0},
        {"seed": "a"},
    ],
)
def test_rejects_bad_options(options):
    with pytest.raises(ValueError):
        make_sine(**options)


def test_forecast_a_task_or_a_series():
    task = load_task("sine", seed=0, length=20, n_train=10, n_test=5)
    model = RNNModel.create(task.default_config.model_config(task.data), np.random.default_rng(0))
    t, truth, prediction = forecast(model, task, index=2)
    test = task.data.test
    assert t.tolist() == list(range(1, 21))
    np.testing.assert_array_equal(truth, test.targets[2, :, 0])
    np.testing.assert_allclose(prediction, model.predict(test.inputs[2:3])[0, :, 0])
    series = np.concatenate([test.inputs[2, :, 0], test.targets[2, -1:, 0]])
    for given in (series, series[:, None]):
        t2, truth2, prediction2 = forecast(model, given)
        np.testing.assert_array_equal(t2, t)
        np.testing.assert_array_equal(truth2, truth)
        np.testing.assert_allclose(prediction2, prediction, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError):
        forecast(model, series[:1])  # nothing to forecast
    with pytest.raises(ValueError):
        forecast(model, task, index=5)
    classifier = RNNModel.create(ModelConfig(input_size=4), np.random.default_rng(0))
    with pytest.raises(ValueError):
        forecast(classifier, task)
    with pytest.raises(ValueError):
        forecast(model, load_task("adding", lag=5, n_train=5, n_test=5))  # not value-per-step


def test_trains_well_below_persistence_reduced():
    # Full target: MSE ≤ 0.01 in ≤ 30 s (about 250 steps); here 150 steps must beat
    # persistence (predicting the current value) by a wide margin.
    task = make_sine(seed=0, n_train=1000, n_test=200)
    test = task.data.test
    persistence = float(np.mean((test.targets - test.inputs) ** 2))
    trainer = Trainer(replace(task.default_config, steps=150, eval_every=150), task.data)
    final = trainer.step(150)[-1]
    assert final["test_loss"] < 0.5 * persistence, (final["test_loss"], persistence)
    _, truth, prediction = forecast(trainer.model, task)
    assert np.mean((prediction - truth) ** 2) < np.mean((truth[1:] - truth[:-1]) ** 2)
