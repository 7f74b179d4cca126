"""Next-step forecasting of noisy sums of sines (dense inputs, many-to-many regression).

Each sequence is a fresh signal: ``n_sines`` sines with random periods (uniform in
[min_period, max_period] steps), phases (uniform in [0, 2π)) and amplitudes (uniform in
[0.5, 1], the sum divided by ``n_sines`` so values stay within ±1), observed with Gaussian
noise of standard deviation ``noise`` at every step. At every step t the network reads the
observed value v_t and predicts v_{t+1}: inputs (N, T, 1) are ``v[:, :-1]`` and targets
(N, T, 1) are ``v[:, 1:]`` — the inputs shifted by one step.

The noise cannot be predicted, so the MSE cannot go below ``noise²`` (0.0025 by default);
the early steps, before the network has seen enough of a signal to know its frequencies,
add more. Predicting "the same as now" (persistence) is the baseline to beat, and each
task's description states its score on the test split.

    task = make_sine(seed=0)
    trainer = Trainer(task.default_config, task.data)
    trainer.step(task.default_config.steps)
    t, truth, prediction = forecast(trainer.model, task)    # for a "prediction vs truth" chart
"""

from __future__ import annotations

import numpy as np

from rnn_core.checks import check_count, is_int, number_in_range, whole_in_range
from rnn_core.data import Dataset, SequenceData
from rnn_core.model import RNNModel
from rnn_core.tasks.base import Goal, Task
from rnn_core.train import TrainConfig

SINE_CONFIG = TrainConfig(
    cell="gru",  # an LSTM takes 300–600 steps; a tanh RNN is at 0.011–0.012 after 1000
    hidden_size=32,
    lr=0.01,  # Adam
    batch_size=32,
    steps=1000,  # MSE ≤ 0.01 after 250–350 steps (seeds 0–2, 1–2 s); the rest is margin
    eval_every=50,
    seed=0,
)
# The goal: test MSE ≤ 2·noise² + GOAL_MARGIN, 0.01 at the default noise 0.05. A GRU with
# SINE_CONFIG (seed 0) met it within 300 steps at noise 0, 0.05, 0.1 and 0.2.
GOAL_MARGIN = 0.005


def sine_data(
    rng: np.random.Generator,
    n: int,
    length: int,
    n_sines: int,
    min_period: float,
    max_period: float,
    noise: float,
) -> SequenceData:
    """``n`` noisy sums of sines, as next-step pairs.

    inputs: (n, length, 1) the observed values v_0 … v_{T-1}; targets: (n, length, 1) the
    next values v_1 … v_T; mask: (n, length) all True.
    """
    t = np.arange(length + 1)
    periods = rng.uniform(min_period, max_period, size=(n, n_sines, 1))
    phases = rng.uniform(0.0, 2 * np.pi, size=(n, n_sines, 1))
    amplitudes = rng.uniform(0.5, 1.0, size=(n, n_sines, 1))
    clean = (amplitudes * np.sin(2 * np.pi * t / periods + phases)).sum(axis=1) / n_sines
    v = clean + noise * rng.standard_normal(clean.shape)
    return SequenceData(v[:, :-1, None], v[:, 1:, None], np.ones((n, length), bool))


def make_sine(
    seed: int = 0,
    length: int = 50,
    n_sines: int = 2,
    min_period: float = 6.0,
    max_period: float = 30.0,
    noise: float = 0.05,
    n_train: int = 2000,
    n_test: int = 500,
) -> Task:
    """Forecast the next value of a noisy sum of sines, at every step.

    Options:
        length: steps per sequence (default 50, 2..1000).
        n_sines: sines per signal (default 2, 1..5).
        min_period, max_period: the range of periods in steps (defaults 6 and 30;
            2 <= min_period <= max_period <= 1000; 2 steps is the Nyquist limit).
        noise: standard deviation of the observation noise (default 0.05, 0..1).
        n_train, n_test: sequences per split (>= 1).
    """
    if not is_int(seed):
        raise ValueError(f"seed must be a whole number; got {seed!r}")
    length = whole_in_range("length", length, 2, 1000)
    n_sines = whole_in_range("n_sines", n_sines, 1, 5)
    min_period = number_in_range("min_period", min_period, 2.0, 1000.0)
    max_period = number_in_range("max_period", max_period, min_period, 1000.0)
    noise = number_in_range("noise", noise, 0.0, 1.0)
    check_count("n_train", n_train)
    check_count("n_test", n_test)
    train_rng, test_rng = np.random.default_rng(seed).spawn(2)
    options = (length, n_sines, min_period, max_period, noise)
    train, test = sine_data(train_rng, n_train, *options), sine_data(test_rng, n_test, *options)
    persistence = float(np.mean((test.targets - test.inputs) ** 2))
    threshold = round(2 * noise**2 + GOAL_MARGIN, 4)
    data = Dataset(train, test, 1, 1, output="many_to_many", loss="mse", dense=True)
    return Task(
        name="sine",
        title="Forecast a noisy sum of sines",
        description=(
            f"Each sequence is a new signal: {n_sines} sine waves with random periods "
            f"({min_period:g} to {max_period:g} steps), phases and amplitudes, plus noise "
            f"(standard deviation {noise:g}). At every step the network sees the current "
            "value and predicts the next one. It cannot know a signal's frequencies in "
            "advance, so it must infer them from the values it has seen — a running "
            "estimate held in its hidden state — and it cannot predict the noise: no "
            f"forecast beats a mean squared error of {noise**2:.4f}. Predicting 'the same as "
            f"now' scores {persistence:.4f} on the test set."
        ),
        data=data,
        output_kind="value_per_step",
        default_config=SINE_CONFIG,
        target=f"test MSE ≤ {threshold:.4f} (persistence {persistence:.4f}) in ≤ 30 s",
        goal=Goal("test_loss", threshold, 30.0),
    )


def forecast(
    model: RNNModel, task_or_sequence: Task | np.ndarray, index: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One-step-ahead forecasts along one series, ready to plot.

    ``task_or_sequence``: a sine Task (its test sequence ``index``) or an observed series
    (n,) or (n, 1) with n >= 2. The model reads v_0 … v_{n-2} and predicts each next value.

    Returns ``(t, truth, prediction)``, each (n - 1,): the steps 1 … n - 1, the observed
    values there, and the model's forecasts of them.
    """
    if isinstance(task_or_sequence, Task):
        task, split = task_or_sequence, task_or_sequence.data.test
        if task.output_kind != "value_per_step" or task.data.input_size != 1:
            raise ValueError(f"forecast needs a one-value-per-step task like sine; got {task.name}")
        if not is_int(index) or not 0 <= index < len(split):
            raise ValueError(f"index must be a whole number in [0, {len(split)}); got {index!r}")
        series = np.concatenate([split.inputs[index, :, 0], split.targets[index, -1:, 0]])
    else:
        series = np.asarray(task_or_sequence, dtype=float)
        if series.ndim == 2 and series.shape[1] == 1:
            series = series[:, 0]
        if series.ndim != 1 or len(series) < 2 or not np.isfinite(series).all():
            raise ValueError(
                f"a series is (n,) or (n, 1) finite values with n >= 2; got {series.shape}"
            )
    cfg = model.config
    if cfg.input_kind != "dense" or cfg.input_size != 1 or cfg.output != "many_to_many":
        raise ValueError("forecast needs a many-to-many model reading one value per step")
    prediction = model.predict(series[None, :-1, None])[0, :, 0]
    return np.arange(1, len(series)), series[1:], np.asarray(prediction, dtype=float)
