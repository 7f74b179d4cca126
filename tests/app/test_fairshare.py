"""ui.services.fairshare: the training chunks of all sessions take turns at one gate, in
arrival order."""

from __future__ import annotations

import dataclasses
import threading
import time

import numpy as np
import pytest

from rnn_core.tasks import load_task
from rnn_core.train import Trainer
from ui.services.fairshare import FairGate, shared_gate
from ui.services.limits import Limits
from ui.services.run import TrainingRun

WAIT = 10.0  # seconds a test waits for a thread before it calls the gate stuck


def wait_until(condition, what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.001)


def test_a_released_holder_queues_behind_those_already_waiting():
    gate = FairGate(1)
    order: list[str] = []
    release_a = threading.Event()

    def a():
        with gate.hold():
            order.append("a")
            release_a.wait(WAIT)
        with gate.hold():  # asks again at once: must not barge ahead of b and c
            order.append("a again")

    def waiter(name):
        with gate.hold():
            order.append(name)

    ta = threading.Thread(target=a)
    ta.start()
    wait_until(lambda: order == ["a"], "a to enter")
    tb = threading.Thread(target=waiter, args=("b",))
    tb.start()
    wait_until(lambda: gate.waiting == 1, "b to queue")
    tc = threading.Thread(target=waiter, args=("c",))
    tc.start()
    wait_until(lambda: gate.waiting == 2, "c to queue")
    release_a.set()
    for t in (ta, tb, tc):
        t.join(WAIT)
    assert order == ["a", "b", "c", "a again"]


@pytest.mark.parametrize("slots", [1, 2])
def test_never_more_than_slots_holders_and_everyone_gets_turns(slots):
    gate = FairGate(slots)
    inside, most = [0], [0]
    count = threading.Lock()
    turns = dict.fromkeys(range(4), 0)

    def worker(i):
        for _ in range(25):
            with gate.hold():
                with count:
                    inside[0] += 1
                    most[0] = max(most[0], inside[0])
                time.sleep(0.0005)
                turns[i] += 1
                with count:
                    inside[0] -= 1

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(WAIT * 3)
    assert most[0] == slots  # the bound holds and is reached
    assert turns == dict.fromkeys(range(4), 25) and gate.entries == 100


def test_gate_rejects_no_slots_and_is_shared_per_slot_count():
    with pytest.raises(ValueError):
        FairGate(0)
    assert shared_gate(3) is shared_gate(3) and shared_gate(3) is not shared_gate(4)


def test_train_slots_come_from_the_environment():
    assert Limits().train_slots == 1
    limits, notes = Limits.from_env({"RNNX_TRAIN_SLOTS": "2"})
    assert limits.train_slots == 2 and notes == []
    limits, notes = Limits.from_env({"RNNX_TRAIN_SLOTS": "0"})
    assert limits.train_slots == 1 and "RNNX_TRAIN_SLOTS" in notes[0]


def test_runs_of_many_sessions_take_turns_and_each_equals_a_solo_run():
    """Four sessions train at once through one slot: their trainer steps never overlap, all
    progress in every window, and each ends bit-identical to its own solo run."""
    task = load_task("sentiment-tiny")
    gate = FairGate(1)
    busy, overlaps = [0], [0]
    guard = threading.Lock()
    runs = []
    for seed in range(4):
        config = dataclasses.replace(task.default_config, steps=120, seed=seed)
        run = TrainingRun(task, config, task.encoder.encode(task.example), Limits(), gate=gate)
        step = run.trainer.step

        def counted(n, _step=step):
            with guard:
                busy[0] += 1
                overlaps[0] += busy[0] > 1
            try:
                return _step(n)
            finally:
                with guard:
                    busy[0] -= 1

        run.trainer.step = counted
        runs.append(run)

    def session(run):
        run.start()
        while run.state == "running":
            run.advance(0.01)

    threads = [threading.Thread(target=session, args=(r,)) for r in runs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert overlaps[0] == 0
    assert all(r.state == "done" and r.steps == 120 for r in runs)
    for run in runs:
        solo = Trainer(run.config, task.data)
        solo.step(120)
        for k, v in solo.model.params.items():
            np.testing.assert_array_equal(run.model.params[k], v)


def test_a_timed_slice_that_waits_for_the_gate_ends_on_time_without_training():
    """A slice whose whole time goes on waiting for a slot trains nothing and does not hold
    the run's lock while it waits (the page can still draw)."""
    task = load_task("sentiment-tiny")
    gate = FairGate(1)
    run = TrainingRun(
        task, task.default_config, task.encoder.encode(task.example), Limits(), gate=gate
    )
    run.start()
    taken = []
    with gate.hold():  # another session holds the only slot
        t = threading.Thread(target=lambda: taken.append(run.advance(0.05)))
        t.start()
        wait_until(lambda: gate.waiting == 1, "the slice to queue")
        assert run.lock.acquire(timeout=1)  # not held while queueing
        run.lock.release()
        run.view()
        time.sleep(0.1)  # the slice's 0.05 s pass in the queue
    t.join(WAIT)
    assert taken == [0] and run.steps == 0
