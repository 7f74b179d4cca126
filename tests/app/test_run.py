"""ui.run: a training run advanced in slices, deterministic, bounded in memory."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from rnn_core.tasks import load_task
from rnn_core.train import Trainer
from ui.limits import Limits
from ui.run import MetricsLog, Thinned, TrainingRun


@pytest.fixture(scope="module")
def tiny():
    return load_task("sentiment-tiny")


def make_run(task, limits=None, **changes) -> TrainingRun:
    config = dataclasses.replace(task.default_config, **changes)
    probe = task.encoder.encode(task.example)
    return TrainingRun(task, config, probe, limits or Limits())


def test_thinned_keeps_a_bounded_evenly_spaced_record():
    t = Thinned(("step", "x"), capacity=8)
    for s in range(1, 101):
        t.add([s, 10 * s])
    assert len(t) <= 8
    steps = t.column("step")
    gaps = np.diff(steps)
    assert (gaps == gaps[0]).all() and gaps[0] == t.stride  # evenly spaced
    assert steps[0] == 1 and steps[-1] > 80  # covers the whole run
    np.testing.assert_array_equal(t.column("x"), 10 * steps)
    with pytest.raises(ValueError):
        Thinned(("a",), 1)


def test_a_run_equals_the_bare_trainer_however_it_is_sliced(tiny):
    run = make_run(tiny, steps=60)
    run.start()
    while run.state == "running":
        run.advance(0.002)  # many tiny slices
    bare = Trainer(run.config, tiny.data)
    bare.step(60)
    assert run.steps == 60 and run.state == "done"
    for k, v in bare.model.params.items():
        np.testing.assert_array_equal(run.model.params[k], v)
    np.testing.assert_array_equal(run.log.steps.column("loss"), [m["loss"] for m in bare.history])


def test_the_same_config_gives_the_same_curves_twice(tiny):
    a, b = make_run(tiny, steps=40), make_run(tiny, steps=40)
    a.advance(0, max_steps=40)
    for _ in range(4):
        b.advance(0, max_steps=10)
    for col in ("loss", "grad_norm", "rho0"):
        np.testing.assert_array_equal(a.log.steps.column(col), b.log.steps.column(col))
    np.testing.assert_array_equal(a.log.evals.column("test_acc"), b.log.evals.column("test_acc"))


def test_memory_stays_bounded_however_long_it_trains(tiny):
    limits = Limits(history_rows=50, snapshots=6)
    run = make_run(tiny, limits, steps=2000, eval_every=5)
    run.advance(0, max_steps=400)
    size = run.nbytes
    run.advance(0, max_steps=1600)
    assert run.steps == 2000
    assert len(run.log.steps) <= 50 and len(run.log.evals) <= 50
    assert len(run.snapshots.items) <= 6 + 1
    assert run.nbytes <= size * 1.01  # flat
    assert run.trainer.history == []  # the trainer's own list is drained
    assert run.snapshots.items[-1].step >= 1000  # snapshots still cover the run


def test_snapshots_see_their_own_steps_weights(tiny):
    run = make_run(tiny, steps=100)
    run.advance(0, max_steps=30)
    steps = [s.step for s in run.snapshots.items]
    assert steps == [0, 10, 20, 30]
    replay = make_run(tiny, steps=100)
    replay.advance(0, max_steps=20)
    np.testing.assert_array_equal(
        replay.model.trace(replay.probe).hs[0], run.snapshots.items[2].hs[0]
    )


def test_divergence_then_a_fix_and_resume():
    task = load_task("adding")
    config = dataclasses.replace(task.default_config, lr=100.0, clip="none", optimizer="sgd")
    run = TrainingRun(task, config, task.data.test.inputs[0], Limits())
    run.start()
    run.advance(5.0)
    assert run.state == "diverged"
    assert "became" in run.reason or "overflowed" in run.reason
    assert all(np.isfinite(p).all() for p in run.model.params.values())
    n = len(run.log.steps)
    run.resume_after_divergence()
    assert run.state == "paused"
    assert len(run.log.steps) == n  # the history stays


def test_retune_logs_an_event_and_done_runs_reopen(tiny):
    run = make_run(tiny, steps=10)
    run.advance(0, max_steps=10)
    assert run.state == "done"
    said = run.retune(lr=0.001, steps=20)
    assert run.state == "paused" and run.config.lr == 0.001
    assert run.log.events[-1][0] == 10 and "lr" in run.log.events[-1][1] and said
    assert run.retune(lr=0.001) == []  # nothing changed, nothing logged


def test_limits_stop_a_run(tiny):
    run = make_run(tiny, Limits(max_steps=15), steps=1000)
    run.start()
    run.advance(10.0)
    assert run.steps == 15 and run.state == "done" and "15" in run.reason
    slow = make_run(tiny, Limits(max_seconds=0.05), steps=10**6)
    slow.start()
    slow.advance(5.0)
    assert slow.state == "done" and "limit" in slow.reason and slow.seconds < 1.0


def test_metrics_log_table_joins_evaluations():
    log = MetricsLog(["W"], layers=1, capacity=10)
    for s in range(1, 5):
        m = {
            "step": s,
            "loss": 1.0 / s,
            "accuracy": None,
            "grad_norm": 2.0,
            "clipped": s == 2,
            "lr": 0.1,
            "spectral_radius": [0.9],
            "max_singular": [1.1],
            "param_grad_norms": {"W": 0.5},
        }
        if s == 2:
            m.update(train_loss=1.0, train_acc=0.5, test_loss=2.0, test_acc=0.25)
        log.add(m)
    table = log.table()
    assert table["clipped"].tolist() == [0, 1, 0, 0]
    assert np.isnan(table["accuracy"]).all()
    assert table["test_acc"][1] == 0.25 and np.isnan(table["test_acc"][[0, 2, 3]]).all()
    assert log.latest_eval()["test_loss"] == 2.0


def test_metrics_table_keeps_every_kept_evaluation_after_thinning(tiny):
    run = make_run(tiny, Limits(history_rows=16), steps=100, eval_every=10)
    run.advance(0, max_steps=100)
    table = run.log.table()
    evals = run.log.evals.column("step")
    assert len(evals) == 10
    np.testing.assert_array_equal(table["step"][~np.isnan(table["test_acc"])], evals)
    assert np.all(np.diff(table["step"]) > 0)


def test_pause_from_another_script_run_stops_a_slice_at_its_next_chunk(tiny):
    """Streamlit starts a new run on a click while a live update is still training."""
    import threading
    import time

    run = make_run(tiny, steps=10**6)
    run.start()
    worker = threading.Thread(target=run.advance, args=(5.0,))
    worker.start()
    time.sleep(0.3)
    run.pause()
    paused_at = time.perf_counter()
    worker.join(timeout=5)
    assert not worker.is_alive()
    stopped_after = time.perf_counter() - paused_at
    held = run.steps
    assert run.advance(0.0, max_steps=1) == 1 and run.steps == held + 1  # Step: exactly one
    assert run.state == "paused"
    print(f"pause stopped the slice after {1000 * stopped_after:.0f} ms")


def test_view_thins_for_drawing_and_keeps_every_clipped_bucket(tiny):
    run = make_run(tiny, steps=500, clip_value=0.05)
    run.advance(0, max_steps=500)
    full_clipped = run.log.steps.column("clipped")
    view = run.view(max_points=100)
    steps = view.columns["step"]
    assert len(steps) == 100 and steps[-1] == 500
    k = 5  # 500 rows in buckets of 5, each drawn at its last step
    expected = full_clipped.reshape(-1, k).max(axis=1)
    np.testing.assert_array_equal(view.columns["clipped"], expected)
    np.testing.assert_array_equal(view.columns["loss"], run.log.steps.column("loss")[k - 1 :: k])
    assert full_clipped.any()
    assert view.snapshots == run.snapshots.items and view.snapshots is not run.snapshots.items


def test_gradient_through_time_is_kept_per_step_for_the_lab():
    task = load_task("adding")
    config = dataclasses.replace(task.default_config, steps=30)
    run = TrainingRun(task, config, task.data.test.inputs[0], Limits())
    run.advance(0, max_steps=30)
    steps, dh = run.log.dh_matrix()
    T = task.data.train.inputs.shape[1]
    assert dh.shape == (30, T) and steps.tolist() == list(range(1, 31))
    bare = Trainer(config, task.data)
    metrics = bare.step(30)
    np.testing.assert_allclose(dh[7], metrics[7]["dh_norm"][-1])
    view = run.view()
    assert view.dh.shape == (30, T)
