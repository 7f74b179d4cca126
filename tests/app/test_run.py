"""ui.services.run: a training run advanced in slices, deterministic, bounded in memory."""

from __future__ import annotations

import dataclasses
import threading

import numpy as np
import pytest

from rnn_core.tasks import load_task
from rnn_core.train import Trainer
from ui.services.limits import Limits
from ui.services.run import MetricsLog, Thinned, TrainingRun


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


# ----------------------------------------------------------------------------- issue 13


def test_a_slice_fills_what_is_left_of_the_redraw_period():
    from ui.services.run import ROUND_TRIP, SLICE_MIN, slice_seconds

    limits = Limits()
    assert (limits.redraw_seconds, limits.slice_seconds) == (0.5, 0.4)
    assert limits.train_redraw_seconds == 0.25  # the Train page: up to 4 frames a second
    assert slice_seconds(0.03, limits, 0.25) == pytest.approx(0.25 - 0.03 - ROUND_TRIP)
    assert slice_seconds(0.05, limits) == pytest.approx(0.5 - 0.05 - ROUND_TRIP)
    assert slice_seconds(0.0, limits) == pytest.approx(0.4)  # capped by slice_seconds
    assert slice_seconds(0.6, limits) == SLICE_MIN  # a slow redraw still trains a little
    assert slice_seconds(float("nan"), limits) == pytest.approx(0.4)
    assert slice_seconds(-1.0, limits) == pytest.approx(0.4)
    short = Limits(redraw_seconds=0.2, slice_seconds=0.4)
    assert slice_seconds(0.05, short) == pytest.approx(0.2 - 0.05 - ROUND_TRIP)


def test_a_pause_during_the_live_loop_stops_within_one_redraw(tiny):
    """The page's loop: draw (a view, plus 0.1 s of drawing), then advance one slice. A Pause
    from another thread stops training within one slice + one chunk of the frame on screen."""
    import threading
    import time

    from ui.services.run import CHUNK_SECONDS, slice_seconds

    run = make_run(tiny, steps=10**6)
    run.start()
    shown, timings = [], []

    def live():
        draw = 0.1
        while run.state == "running":
            t0 = time.perf_counter()
            shown.append(run.view().steps)
            time.sleep(0.1)  # drawing
            draw = time.perf_counter() - t0
            s = slice_seconds(draw, Limits())
            t1 = time.perf_counter()
            run.advance(s)
            timings.append((s, time.perf_counter() - t1))

    worker = threading.Thread(target=live)
    worker.start()
    time.sleep(1.0)
    on_screen = shown[-1]
    run.pause()
    worker.join(timeout=5)
    assert not worker.is_alive() and run.state == "paused"
    rate = run.steps_per_second()
    overshoot = run.steps - on_screen
    # at most one slice plus one chunk of training (and scheduling slack)
    assert overshoot <= rate * (slice_seconds(0.1, Limits()) + CHUNK_SECONDS) * 1.5 + 10, overshoot
    assert run.view().steps == run.steps  # after Pause, what is drawn is the model's step


def test_a_slice_goes_on_until_the_browser_asks_for_the_next_frame(tiny):
    """Issue 16: a browser busy drawing asks for the next frame late; the slice trains on
    until it does instead of leaving the server idle, and a click ends it at once."""
    run = make_run(tiny, steps=10**6)
    run.start()
    calls = []

    def asked():  # nothing asked for three checks, then the next frame
        calls.append(1)
        return None if len(calls) <= 3 else "fragment"

    taken = run.advance(0.0, asked=asked)  # the slice's own length is already spent
    assert len(calls) == 4 and taken > 0  # three chunks trained past it, then it stopped
    assert run.state == "running"

    before = run.steps
    assert run.advance(10.0, asked=lambda: "app") == 0  # a click waits: nothing trains
    assert run.steps == before

    checks = []
    # never asked: it trains past its length, and limits.slice_seconds (0.4 s) ends it
    run.advance(0.0, asked=lambda: checks.append(1))
    assert len(checks) >= 2 and run.state == "running"


# ----------------------------------------------------------------------------- state machine


def test_the_run_state_is_derived_from_the_trainer(tiny):
    run = make_run(tiny, steps=20)
    assert run.state == "ready" and run.reason is None
    run.start()
    assert run.state == "running"
    run.trainer.status, run.trainer.reason = "diverged", "x"  # the trainer decides
    assert run.state == "diverged" and run.reason == "x"
    run.trainer.status = "ok"
    run.pause()
    assert run.state == "paused"
    run.advance(0, max_steps=20)
    assert run.state == "done" and "20" in run.reason
    run.retune(steps=30)  # a raised budget reopens it, with nothing else to update
    assert run.state == "paused"
    with pytest.raises(AttributeError):
        run.state = "done"  # derived: nothing can set it out of step with the trainer
    fresh = make_run(tiny)
    fresh.advance(0, max_steps=1)  # a Step: no longer "ready"
    assert fresh.state == "paused"


def test_set_probe_replaces_the_snapshots_under_the_lock(tiny):
    run = make_run(tiny, steps=100)
    run.advance(0, max_steps=30)
    other = tiny.encoder.encode("the food is bad")
    lock_held = []
    real = run._snap

    def spy():
        lock_held.append(run.lock._is_owned())
        real()

    run._snap = spy
    run.set_probe(other)
    assert lock_held == [True]
    np.testing.assert_array_equal(run.probe, other)
    assert [s.step for s in run.snapshots.items] == [30]
    assert run.snapshots.items[0].hs[0].shape[0] == len(other)


def holding_the_lock(run: TrainingRun, call) -> tuple[bool, object]:
    """Call ``call()`` in a thread while this thread holds the run's lock: (whether it was
    still waiting when the lock was let go, what it returned)."""
    result = []
    with run.lock:
        worker = threading.Thread(target=lambda: result.append(call()))
        worker.start()
        worker.join(0.2)
        waited = worker.is_alive()
    worker.join(5)
    return waited, result[0] if result else None


def test_use_probe_compares_and_replaces_the_probe_under_the_lock(tiny):
    """The page hands the run its probe on every script run: the same probe keeps the
    snapshots, another one starts them again, and both the comparison and the replacement
    wait for a chunk of training in progress (the lock)."""
    run = make_run(tiny, steps=100)
    run.advance(0, max_steps=30)
    kept = list(run.snapshots.items)
    same = tiny.encoder.encode(tiny.example)
    waited, changed = holding_the_lock(run, lambda: run.use_probe(same.copy()))
    assert waited and changed is False  # even reading the probe waits for the chunk
    assert run.snapshots.items == kept
    other = tiny.encoder.encode("the food is bad")
    waited, changed = holding_the_lock(run, lambda: run.use_probe(other))
    assert waited and changed is True
    np.testing.assert_array_equal(run.probe, other)
    assert [s.step for s in run.snapshots.items] == [30]
    longer = tiny.encoder.encode("the food is bad and the service is slow")
    assert run.use_probe(longer) and run.snapshots.items[0].hs[0].shape[0] == len(longer)


def test_model_copy_is_one_moment_of_the_run_taken_under_the_lock(tiny):
    run = make_run(tiny, steps=100)
    run.advance(0, max_steps=3)
    waited, (model, config) = holding_the_lock(run, run.model_copy)
    assert waited and config == run.config and model is not run.model
    for name, value in run.model.params.items():
        np.testing.assert_array_equal(model.params[name], value)
    run.advance(0, max_steps=1)
    assert any(not np.array_equal(model.params[n], v) for n, v in run.model.params.items())


# ----------------------------------------------------------------------------- issue 6


def test_a_loaded_finished_model_can_go_on_and_shows_its_scores(tiny):
    """Break 6: a model trained to its whole budget, loaded, used to be "done" at once."""
    done = make_run(tiny, steps=40)
    done.advance(0, max_steps=40)
    assert done.state == "done"
    loaded = TrainingRun(
        tiny,
        done.config,
        done.probe,
        Limits(),
        model=done.model.copy(),
        optimizer_state=done.trainer.optimizer.state_dict(),
        start_step=40,
    )
    assert loaded.state == "paused" and loaded.budget == 80 and loaded.config.steps == 80
    scores = loaded.log.latest_eval()
    assert loaded.log.evals.column("step").tolist() == [40]
    assert scores == pytest.approx(done.trainer.evaluate())  # the same model, the same scores
    loaded.start()
    loaded.advance(5.0)
    assert loaded.steps == 80 and loaded.state == "done"
    capped = TrainingRun(tiny, done.config, done.probe, Limits(max_steps=10), start_step=40)
    assert capped.budget == 50  # at most max_steps of its own
    early = TrainingRun(
        tiny, dataclasses.replace(done.config, steps=100), done.probe, Limits(), start_step=40
    )
    assert early.budget == 100  # a budget not yet spent is kept


# ----------------------------------------------------------------------------- issue 2


def test_a_diverged_run_rewinds_its_log_and_records_the_divergence():
    task = load_task("sentiment")
    config = dataclasses.replace(
        task.default_config, cell="rnn", activation="relu", optimizer="sgd", lr=500.0, clip="none"
    )
    run = TrainingRun(task, config, task.encoder.encode(task.example), Limits())
    run.start()
    run.advance(5.0)
    assert run.state == "diverged" and "returned to step 0" in run.reason
    assert len(run.log.steps) == 0 and run.steps == 0  # the log is the model's path
    assert run.log.events[-1] == (0, "diverged at step 3; back to step 0")
    assert [s.step for s in run.snapshots.items] == [0]
    (record,) = run.view().divergences
    assert record["step"] == 3 and record["returned_to"] == 0 and record["config"] == config
    run.retune(lr=0.5)
    run.resume_after_divergence()
    assert run.state == "paused"
    run.advance(0, max_steps=100)
    assert run.state == "paused" and run.steps == 100
    assert run.log.steps.column("step").tolist() == list(range(1, 101))


def test_pause_comes_back_to_the_step_on_screen_and_training_on_retakes_it_exactly(tiny):
    """Break 12: Pause landed hundreds of steps after the step on screen. The page marks
    the state it draws; Pause(back_to) undoes the steps since, and going on retakes them bit
    for bit (data order and random generator included)."""
    bare = make_run(tiny, steps=80)
    bare.start()
    bare.advance(10.0)
    run = make_run(tiny, steps=80)
    run.start()
    run.advance(0.0, max_steps=23)
    run.mark_shown()  # the page drew step 23
    shown = {k: v.copy() for k, v in run.model.params.items()}
    run.advance(0.0, max_steps=17)  # trained while the browser still showed step 23
    assert run.steps == 40
    assert run.pause(back_to=23) == 17
    assert run.state == "paused" and run.steps == 23
    for k, v in shown.items():
        np.testing.assert_array_equal(run.model.params[k], v)
    assert run.log.steps.column("step")[-1] == 23
    assert run.snapshots.items[-1].step <= 23
    assert run.pause(back_to=23) == 0  # nothing more to undo
    run.start()
    run.advance(10.0)
    assert run.steps == bare.steps == 80
    np.testing.assert_array_equal(run.log.steps.column("loss"), bare.log.steps.column("loss"))
    for k, v in bare.model.params.items():
        np.testing.assert_array_equal(run.model.params[k], v)


def test_a_plain_pause_keeps_every_step(tiny):
    run = make_run(tiny, steps=80)
    run.start()
    run.advance(0.0, max_steps=5)
    run.mark_shown()
    run.advance(0.0, max_steps=5)
    assert run.pause() == 0 and run.steps == 10


def test_pause_goes_back_to_the_frame_the_browser_was_showing(tiny):
    """A busy browser shows a frame or two behind the server: Pause goes back to the latest
    frame drawn at or before the step the browser reports, not merely the last drawn."""
    run = make_run(tiny, steps=200)
    run.start()
    frames = {}
    for _ in range(4):  # frames at steps 10, 20, 30, 40
        run.advance(0.0, max_steps=10)
        run.mark_shown()
        frames[run.steps] = {k: v.copy() for k, v in run.model.params.items()}
    run.advance(0.0, max_steps=7)
    assert run.pause(back_to=25) == 27  # the browser still showed step 25's frame: step 20
    assert run.steps == 20 and run.log.steps.column("step")[-1] == 20
    for k, v in frames[20].items():
        np.testing.assert_array_equal(run.model.params[k], v)
    run.start()
    run.advance(0.0, max_steps=3)
    assert run.pause(back_to=None) == 0 and run.steps == 23  # a plain pause keeps its steps


def test_a_divergence_forgets_the_frames_after_the_step_it_returned_to():
    """A Pause must never go back to a frame of the path a divergence threw away."""
    task = load_task("sentiment")
    config = dataclasses.replace(
        task.default_config, cell="rnn", activation="relu", optimizer="sgd", lr=500.0, clip="none"
    )
    run = TrainingRun(task, config, task.encoder.encode(task.example), Limits())
    run.start()
    for _ in range(5):
        run.advance(0.0, max_steps=1)
        run.mark_shown()
        if run.state == "diverged":
            break
    assert run.state == "diverged"
    back = run.divergences[-1]["returned_to"]
    assert all(step <= back for step, _ in run._shown)
