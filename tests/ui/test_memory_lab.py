"""The Dynamics lab's memory numbers (ui.services.memory_lab): the gates trio trained with
snapshots (the lab's weights, bit for bit), its measures equal to rnn_core's, τ binned."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from rnn_core.dynamics_grads import gate_time_constants, gradient_horizon, memory_curve
from rnn_core.model import ModelConfig, RNNModel
from rnn_core.tasks import load_task
from rnn_core.tasks.memory import copy_data
from rnn_core.train import Trainer
from ui.services import memory_lab as M
from ui.services.experiments import EXPERIMENTS

STEPS, EVERY = 20, 8  # the plumbing, not the learning: a few steps each


@pytest.fixture(scope="module")
def adding():
    return load_task("adding")


@pytest.fixture(scope="module")
def trio(adding):
    seen = []
    runs = M.train_trio(adding, STEPS, EVERY, progress=seen.append)
    return runs, seen


def test_the_trio_is_the_gates_experiment_with_snapshots_along_training(trio):
    runs, seen = trio
    assert tuple(runs) == ("tanh RNN", "GRU", "LSTM") == M.NAMES
    assert [r.cell for r in runs.values()] == ["rnn", "gru", "lstm"]
    for run in runs.values():
        np.testing.assert_array_equal(run.steps, [0, 8, 16, 20])  # every 8, and the last
        for snap in run.snapshots:
            assert all(not v.flags.writeable for v in snap.params.values())
        first, last = run.snapshots[0].params, run.snapshots[-1].params
        assert any(not np.array_equal(first[k], last[k]) for k in first)  # it trained
    assert seen == sorted(seen) and seen[-1] == pytest.approx(1.0) and len(seen) == 9


def test_the_snapshots_are_the_weights_the_lab_s_runs_reach(adding, trio):
    """Evaluating only at the end leaves the weights as the lab's runs (evaluating every 25
    steps, or here every 5) have them, bit for bit: evaluation draws from its own generator."""
    runs, _ = trio
    for name, cfg in EXPERIMENTS["gates"].runs.items():
        lab = Trainer(replace(cfg, steps=STEPS, eval_every=5), adding.data)
        start = {k: v.copy() for k, v in lab.model.params.items()}
        lab.step(EVERY)
        middle = {k: v.copy() for k, v in lab.model.params.items()}
        lab.step(STEPS)
        snaps = runs[name].snapshots
        wanted = (start, middle, lab.model.params)
        for snap, want in zip((snaps[0], snaps[1], snaps[-1]), wanted, strict=True):
            for key, value in want.items():
                np.testing.assert_array_equal(snap.params[key], value, err_msg=f"{name} {key}")


def test_measures_are_rnn_core_s(trio):
    runs, _ = trio
    model = runs["GRU"].model_at()
    got = M.measure_memory("GRU", model)
    want = memory_curve(model, "adding", M.LAGS, n=M.SCORE_N, threshold=M.GOAL_MSE)
    np.testing.assert_array_equal(got.curve.scores, want.scores)
    assert got.curve.horizon == want.horizon
    d = M.adding_gradient_data()
    assert d.inputs.shape == (M.GRADIENT_N, M.GRADIENT_LAG + M.WINDOW, 2)
    g = gradient_horizon(model, d.inputs, d.targets, level=1e-3)
    np.testing.assert_array_equal(got.gradient.ratios, g.ratios)
    assert (got.gradient.horizon, got.gradient.falls_below_at) == (g.horizon, g.falls_below_at)


def test_the_horizon_rule_is_rnn_core_s():
    cfg = ModelConfig(cell="rnn", hidden_size=4, input_kind="dense", input_size=2,
                      output_size=1, loss="mse")  # fmt: skip
    model = RNNModel.create(cfg, np.random.default_rng(0), dtype=np.float64)
    x = np.random.default_rng(1).normal(size=(3, 40, 2))
    g = gradient_horizon(model, x, np.zeros((3, 1)))
    mine = M._horizon_of(g.norms, 1e-3)
    assert g.falls_below_at is not None  # a small random RNN forgets within 40 steps
    assert (mine.horizon, mine.falls_below_at) == (g.horizon, g.falls_below_at)
    np.testing.assert_array_equal(mine.ratios, g.ratios)


def test_a_copy_model_s_gradient_is_followed_back_from_its_first_recall_step():
    cfg = ModelConfig(cell="gru", hidden_size=6, input_size=9, output_size=6,
                      output="many_to_many")  # fmt: skip
    model = RNNModel.create(cfg, np.random.default_rng(2), dtype=np.float64)
    lag, length = 4, 5
    got = M.copy_gradient_horizon(model, lag, length=length, n=3)
    s = length + lag + 1
    assert got.norms.shape == (s + 1,)
    # that step's loss alone, back-propagated by hand for each sequence
    d = copy_data(np.random.default_rng([0, lag, 1]), 3, length, lag, 5)
    want = np.zeros(s + 1)
    for tokens, targets in zip(d.inputs, d.targets, strict=True):
        fw = model.forward(tokens[None])
        _, dout, _, _ = model.loss(fw, targets[None])
        only = np.zeros_like(dout)
        only[s] = dout[s]
        model.backward(fw, only)
        want += np.linalg.norm(fw.caches[0].dh_total[:, 0], axis=1)[s::-1]
    np.testing.assert_allclose(got.norms, want / 3, rtol=1e-10)
    assert got.ratios[0] == 1.0


def test_tau_history_is_the_gate_time_constants_at_each_snapshot(adding, trio):
    runs, _ = trio
    inputs = adding.data.test.inputs[:16]
    hist = M.tau_history(runs["LSTM"], inputs)
    assert hist.gate == "f" and hist.taus.shape == (4, 32)
    for i in range(4):
        want = gate_time_constants(runs["LSTM"].model_at(i), inputs).tau
        np.testing.assert_array_equal(hist.taus[i], want)
    with pytest.raises(ValueError, match="no keep gate"):
        M.tau_history(runs["tanh RNN"], inputs)


def test_tau_counts_bin_by_the_edges():
    taus = [0.5, 1.0, 1.2, 1.5, 99.0, 100.0, math.inf, math.nan]
    counts = M.tau_counts(taus)
    want = np.zeros(len(M.TAU_EDGES) - 1, int)
    want[0] = 1  # 0.5
    want[1] = 2  # 1.0, 1.2
    want[2] = 1  # 1.5
    want[-2] = 1  # 99
    want[-1] = 2  # 100 and inf; NaN nowhere
    np.testing.assert_array_equal(counts, want)
    assert M.tau_counts(np.array([taus, taus])).shape == (2, want.size)
    labels = M.tau_labels()
    assert len(labels) == want.size and labels[0] == "< 1" and labels[-1] == "≥ 100"
    assert labels[1] == "1–1.5"


def test_build_trio_reports_training_then_measuring(adding):
    seen = []
    trio = M.build_trio(4, 2, progress=seen.append, task=adding)
    assert seen == sorted(seen) and seen[-1] == pytest.approx(1.0)
    assert seen[3 * 2 - 1] == pytest.approx(M.TRAIN_SHARE)  # 2 chunks a model, then measures
    assert len(seen) == 3 * 2 + 3
    assert set(trio.measures) == set(M.NAMES) and set(trio.taus) == {"GRU", "LSTM"}
    np.testing.assert_array_equal(trio.taus["GRU"].steps, [0, 2, 4])


def test_the_store_builds_each_trio_once(monkeypatch):
    made = []

    def build(steps, every, progress):
        made.append((steps, every))
        return object()

    monkeypatch.setattr(M, "build_trio", build)
    store = M.TrioStore()
    assert not store.ready(3, 1)
    first = store.get(3, 1)
    assert store.get(3, 1) is first and store.ready(3, 1)
    store.get(4, 1)
    assert made == [(3, 1), (4, 1)]


def test_the_control_offers_the_gated_models_only():
    row = M.MEMORY_BY_KEY["mem_tau"]
    assert row.options == ("GRU", "LSTM") and M.DEFAULT_TAU_MODEL in row.options
    assert not row.url_ok("tanh RNN", None) and row.url_ok("LSTM", None)
