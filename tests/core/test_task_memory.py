"""Parity, adding and copy: built right, deterministic, disjoint splits, and the gradient lab's
contrast — a tanh RNN fails at the adding problem where a GRU succeeds, and its gradient at the
first mark vanishes.

Full targets (``python -m benchmarks.tasks`` measures them): parity ≥ 99% test accuracy in
≤ 20 s, adding (lag 50) test MSE ≤ 0.01 in ≤ 30 s, copy (lag 10) ≥ 95% of recalled symbols
in ≤ 30 s. The training tests here use reduced budgets.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from rnn_core.tasks import load_task
from rnn_core.tasks.memory import (
    ADDING_CONFIG,
    PARITY_ENCODER,
    VANISHING_CONFIG,
    copy_encoder,
    is_test_sequence,
    make_adding,
    make_copy,
    make_parity,
    recall_accuracy,
)
from rnn_core.train import Trainer


def rows(split) -> set[bytes]:
    """Each sequence of a split as bytes (real steps only), to compare splits."""
    return {x[m].tobytes() for x, m in zip(split.inputs, split.mask, strict=True)}


def same_data(a, b) -> bool:
    return all(
        np.array_equal(getattr(a.data, s).inputs, getattr(b.data, s).inputs)
        and np.array_equal(getattr(a.data, s).targets, getattr(b.data, s).targets)
        for s in ("train", "test")
    )


# --------------------------------------------------------------------------------------
# Parity
# --------------------------------------------------------------------------------------


def test_parity_strings_and_labels():
    task = make_parity(seed=1, length=12, min_length=3, n_train=600, n_test=200)
    assert (task.name, task.output_kind, task.class_names) == (
        "parity",
        "class_per_sequence",
        ("even", "odd"),
    )
    assert not task.data.dense and task.data.input_size == len(task.encoder) == 4
    for split in (task.data.train, task.data.test):
        lengths = split.mask.sum(axis=1)
        assert split.inputs.shape == split.mask.shape == (len(split), 12)
        assert lengths.min() >= 3 and lengths.max() <= 12
        assert (split.mask[:, :-1] >= split.mask[:, 1:]).all()  # left-aligned
        assert (split.inputs[~split.mask] == 0).all()
        for ids, m, label in zip(split.inputs, split.mask, split.targets, strict=True):
            bits = "".join(task.encoder.decode(ids[m]))
            assert set(bits) <= {"0", "1"}
            assert label == bits.count("1") % 2
    labels = task.data.train.targets
    assert 0.4 < labels.mean() < 0.6  # both classes, about equally
    assert task.encoder.encode(task.example).tolist() == [3, 3, 2, 3, 2, 2, 3]
    assert task.encoder.encode("01x").tolist() == [2, 3, 1]  # x is unknown


def test_parity_fixed_length_and_load_task():
    task = load_task("parity", seed=0, length=8, min_length=8, n_train=100, n_test=50)
    assert task.data.train.mask.all() and task.data.train.inputs.shape == (100, 8)


@pytest.mark.parametrize(
    "options",
    [
        {"length": 1},
        {"length": 201},
        {"length": 10.0},
        {"length": 10, "min_length": 11},
        {"min_length": 0},
        {"n_train": 0},
        {"n_test": True},
        {"seed": 1.5},
    ],
)
def test_parity_rejects_bad_options(options):
    with pytest.raises(ValueError):
        make_parity(**options)


def test_parity_trains_reduced():
    # Full target: ≥ 99% in ≤ 20 s at length 20 (about 300 steps); here length 10, 300 steps.
    task = make_parity(seed=0, length=10, n_train=2000, n_test=500)
    trainer = Trainer(replace(task.default_config, steps=300, eval_every=300), task.data)
    final = trainer.step(300)[-1]
    assert final["test_acc"] >= 0.95, final["test_acc"]


# --------------------------------------------------------------------------------------
# Adding
# --------------------------------------------------------------------------------------


def test_adding_marks_and_targets():
    lag, window = 20, 4
    task = make_adding(seed=2, lag=lag, window=window, n_train=300, n_test=100)
    assert task.output_kind == "value_per_sequence" and task.encoder is None
    data = task.data
    assert data.dense and data.loss == "mse" and data.output == "many_to_one"
    assert (data.input_size, data.output_size) == (2, 1)
    for split in (data.train, data.test):
        x = split.inputs
        assert x.shape == (len(split), lag + window, 2) and split.mask.all()
        assert ((x[:, :, 0] >= 0) & (x[:, :, 0] <= 1)).all()
        assert set(np.unique(x[:, :, 1])) == {0.0, 1.0}
        assert (x[:, :, 1].sum(axis=1) == 2).all()  # exactly two marks
        assert (x[:, :window, 1].sum(axis=1) == 1).all()  # one in the first window
        assert (x[:, lag:, 1].sum(axis=1) == 1).all()  # one in the last window
        sums = (x[:, :, 0] * x[:, :, 1]).sum(axis=1)  # recompute the target from the inputs
        np.testing.assert_allclose(split.targets[:, 0], sums)
    first = data.train.inputs[:, :window, 1].argmax(axis=1)
    assert set(first) == set(range(window))  # every position of the window is used


def test_adding_default_window_and_levels():
    task = make_adding(seed=0, lag=3, n_test=20000)
    assert task.data.test.inputs.shape[1] == 6  # window = min(10, lag) = 3
    x, y = task.data.test.inputs, task.data.test.targets[:, 0]
    # The documented levels: answering 1.0 scores 1/6, adding only the recent number 1/12.
    assert abs(np.mean((y - 1.0) ** 2) - 1 / 6) < 0.005
    recent = (x[:, 3:, 0] * x[:, 3:, 1]).sum(axis=1)
    assert abs(np.mean((y - recent - 0.5) ** 2) - 1 / 12) < 0.003
    assert make_adding(lag=50, n_train=1, n_test=1).data.train.inputs.shape == (1, 60, 2)


@pytest.mark.parametrize(
    "options",
    [{"lag": 0}, {"lag": 1001}, {"lag": 5.0}, {"lag": 5, "window": 6}, {"window": 0}],
)
def test_adding_rejects_bad_options(options):
    with pytest.raises(ValueError):
        make_adding(**options)


def test_adding_is_deterministic_with_independent_disjoint_splits():
    a = make_adding(seed=5, lag=10, n_train=200, n_test=100)
    assert same_data(a, make_adding(seed=5, lag=10, n_train=200, n_test=100))
    assert not same_data(a, make_adding(seed=6, lag=10, n_train=200, n_test=100))
    assert not rows(a.data.train) & rows(a.data.test)
    # Train and test come from separate streams: more training data leaves the test alone.
    bigger = make_adding(seed=5, lag=10, n_train=400, n_test=100)
    np.testing.assert_array_equal(bigger.data.test.inputs, a.data.test.inputs)


def test_vanishing_config_changes_only_the_cell():
    assert VANISHING_CONFIG.cell == "rnn" and ADDING_CONFIG.cell == "gru"
    assert replace(VANISHING_CONFIG, cell="gru") == ADDING_CONFIG == make_adding().default_config


# The gradient lab's contrast, reduced. Full version (module docstring of memory.py): lag 50,
# the GRU reaches MSE ≤ 0.01 in 200–300 steps, the RNN is still at 0.10–0.16 after 2000.
# Here lag 30 and 300 steps each (measured over seeds 0–4: GRU 0.0012–0.0019, RNN ≥ 0.127).
CONTRAST_LAG, CONTRAST_STEPS, WINDOW = 30, 300, 10


@pytest.fixture(scope="module")
def contrast() -> dict[str, dict]:
    """Train the RNN and the GRU of the contrast once; keep the final metrics and the
    median ratio of ‖∂L/∂h_t‖ at the first mark's window to its value at the last step."""
    task = make_adding(seed=0, lag=CONTRAST_LAG)
    out = {}
    for name, config in (("rnn", VANISHING_CONFIG), ("gru", ADDING_CONFIG)):
        config = replace(config, steps=CONTRAST_STEPS, eval_every=CONTRAST_STEPS)
        history = Trainer(config, task.data).step(CONTRAST_STEPS)
        assert len(history) == CONTRAST_STEPS
        dh = np.array([m["dh_norm"][0] for m in history[-50:]])  # (50, T) layer 0
        assert dh.shape == (50, CONTRAST_LAG + WINDOW)
        ratio = np.median(dh[:, :WINDOW].mean(axis=1) / dh[:, -1])
        out[name] = {"test_loss": history[-1]["test_loss"], "ratio": ratio}
    return out


def test_rnn_fails_where_the_gru_succeeds(contrast):
    assert contrast["gru"]["test_loss"] <= 0.01, contrast
    # Above 1/12 ≈ 0.083: the RNN does not even use the recent number fully, let alone the
    # first one.
    assert contrast["rnn"]["test_loss"] >= 0.1, contrast


def test_rnn_gradient_vanishes_before_the_first_mark(contrast):
    # The trained GRU passes ~half the gradient back to the first mark; the RNN a sliver.
    assert contrast["gru"]["ratio"] > 0.3, contrast
    assert contrast["rnn"]["ratio"] < 0.03, contrast
    assert contrast["gru"]["ratio"] > 30 * contrast["rnn"]["ratio"], contrast


def test_at_init_the_gates_vanish_too():
    # The documented caveat: the gap opens in training. Before it, the GRU's gradient at
    # the first mark (z ≈ 0.5 per step) is far smaller than the Xavier RNN's.
    task = make_adding(seed=0, lag=50, n_train=256, n_test=16)
    ratios = {}
    for config in (VANISHING_CONFIG, ADDING_CONFIG):
        config = replace(config, steps=3, batch_size=64)
        dh = Trainer(config, task.data).step(1)[0]["dh_norm"][0]
        ratios[config.cell] = dh[:WINDOW].mean() / dh[-1]
    assert ratios["gru"] < 1e-5 < 1e-2 < ratios["rnn"], ratios


# --------------------------------------------------------------------------------------
# Copy
# --------------------------------------------------------------------------------------


def test_copy_layout_and_targets():
    length, lag, n_symbols = 4, 6, 5
    task = make_copy(seed=3, lag=lag, length=length, n_symbols=n_symbols, n_train=300, n_test=80)
    T = 2 * length + lag + 1
    enc = task.encoder
    assert enc == copy_encoder(n_symbols) and task.data.input_size == len(enc) == n_symbols + 4
    assert task.class_names == ("blank", "a", "b", "c", "d", "e")
    assert task.output_kind == "class_per_step" and task.data.output == "many_to_many"
    for split in (task.data.train, task.data.test):
        assert split.inputs.shape == split.targets.shape == (len(split), T)
        assert split.mask.all()
        for ids, target in zip(split.inputs, split.targets, strict=True):
            chars = "".join(enc.decode(ids))
            symbols = chars[:length]
            assert set(symbols) <= set("abcde")
            assert chars[length:] == "-" * lag + ":" + "-" * length
            names = [task.class_names[c] for c in target]
            assert names == ["blank"] * (T - length) + list(symbols)
    assert len(enc.encode(task.example)) == T and 1 not in enc.encode(task.example)


def test_copy_goal_means_95_percent_of_recalled_symbols():
    for lag, length in ((10, 5), (0, 1), (100, 3)):
        task = make_copy(lag=lag, length=length, n_train=50, n_test=20)
        T = 2 * length + lag + 1
        wrong = (1 - task.goal.threshold) * T / length  # wrong symbols allowed, as a fraction
        assert 0.0495 <= wrong <= 0.05, (lag, length, wrong)


class Oracle:
    """A stand-in model that predicts given classes, to score ``recall_accuracy``."""

    def __init__(self, predictions):
        self.predictions = predictions

    def predict(self, inputs, mask=None):
        return self.predictions


def test_recall_accuracy_counts_recall_steps_only():
    split = make_copy(seed=0, n_train=20, n_test=10).data.test
    assert recall_accuracy(Oracle(split.targets), split) == 1.0
    assert recall_accuracy(Oracle(np.zeros_like(split.targets)), split) == 0.0  # all blank
    half = split.targets.copy()
    half[:, -5:-2] = 0  # 3 of the 5 recalled symbols wrong, every blank right
    assert recall_accuracy(Oracle(half), split) == pytest.approx(0.4)


@pytest.mark.parametrize(
    "options",
    [{"lag": -1}, {"lag": 501}, {"length": 0}, {"length": 21}, {"n_symbols": 1}, {"n_symbols": 27}],
)
def test_copy_rejects_bad_options(options):
    with pytest.raises(ValueError):
        make_copy(**options)


# --------------------------------------------------------------------------------------
# Both token tasks: determinism and disjoint splits
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "build", [lambda s: make_parity(seed=s, n_test=300), lambda s: make_copy(seed=s, n_test=300)]
)
def test_token_tasks_are_deterministic_with_disjoint_splits(build):
    a = build(0)
    assert same_data(a, build(0))
    assert not same_data(a, build(1))
    train, test = a.data.train, a.data.test
    assert not rows(train) & rows(test)  # no test sequence was trained on
    assert not is_test_sequence(train.inputs, train.mask).any()
    assert is_test_sequence(test.inputs, test.mask).all()
    assert len(test) == 300


def test_short_strings_still_split():
    task = make_parity(length=2, n_train=100, n_test=50)  # 6 distinct strings in all
    train, test = rows(task.data.train), rows(task.data.test)
    assert train and test and not train & test
    assert len(train | test) <= 6
    assert task.encoder is PARITY_ENCODER and PARITY_ENCODER.decode([2, 3]) == ["0", "1"]


def test_the_lstm_succeeds_too_given_a_little_longer():
    """The gradient lab's "Gates help" with the LSTM, reduced: lag 30, 400 steps (measured for
    seeds 0–2: 0.0044, 0.0030, 0.0051 at step 400; the RNN above stays ≥ 0.1)."""
    task = make_adding(seed=0, lag=CONTRAST_LAG)
    config = replace(ADDING_CONFIG, cell="lstm", steps=400, eval_every=400)
    history = Trainer(config, task.data).step(400)
    assert history[-1]["test_loss"] <= 0.01
