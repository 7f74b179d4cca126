"""Every registered task keeps the Task contract the app relies on."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from rnn_core.tasks import PAD_ID, TASKS, Task, load_task, train_to_goal
from rnn_core.train import Trainer


@pytest.fixture(scope="module", params=list(TASKS))
def task(request) -> Task:
    return load_task(request.param, seed=0)


def test_task_contract(task):
    data = task.data
    assert task.description and task.title and task.target
    assert task.goal.metric in ("test_acc", "test_loss")
    assert data.output == (
        "many_to_many" if task.output_kind.endswith("per_step") else "many_to_one"
    )
    assert data.loss == ("xent" if task.output_kind.startswith("class") else "mse")
    for split in (data.train, data.test):
        assert len(split) > 0
        lengths = split.mask.sum(axis=1)
        assert lengths.min() >= 1
        # left-aligned: every row is real for its first `length` steps and padding after
        steps = np.arange(split.mask.shape[1])
        np.testing.assert_array_equal(split.mask, steps[None] < lengths[:, None])
        if not data.dense:
            assert split.inputs.dtype.kind == "i"
            assert split.inputs.min() >= 0 and split.inputs.max() < data.input_size
            assert (split.inputs[~split.mask] == PAD_ID).all()
        else:
            assert split.inputs.dtype.kind == "f" and split.inputs.shape[2] == data.input_size
    if task.encoder is not None:
        assert len(task.encoder) == data.input_size
        if task.example is not None:
            assert len(task.encoder.encode(task.example)) > 0


def test_default_config_trains(task):
    trainer = Trainer(task.default_config, task.data)
    metrics = trainer.step(2)
    assert len(metrics) == 2 and trainer.status == "ok"
    assert np.isfinite(metrics[-1]["loss"])


def test_same_seed_same_data():
    a, b = load_task("sentiment", seed=3), load_task("sentiment", seed=3)
    np.testing.assert_array_equal(a.data.train.inputs, b.data.train.inputs)
    np.testing.assert_array_equal(a.data.test.targets, b.data.test.targets)


def test_unknown_task_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown task 'transformer'"):
        load_task("transformer")


def test_train_to_goal_stops_at_the_first_evaluation_that_meets_it():
    task = load_task("sentiment-tiny")
    calls = []
    trainer = train_to_goal(task, callback=lambda t: calls.append(t.step_count))
    evals = [m for m in trainer.history if task.goal.metric in m]
    assert task.goal.met(evals[-1][task.goal.metric])
    assert not any(task.goal.met(m[task.goal.metric]) for m in evals[:-1])
    assert calls[-1] == trainer.step_count and trainer.status == "ok"
    again = train_to_goal(task)  # deterministic: same steps, same weights
    assert again.step_count == trainer.step_count
    for k, v in trainer.model.params.items():
        np.testing.assert_array_equal(v, again.model.params[k])


def test_train_to_goal_ends_at_the_budget_when_the_goal_is_out_of_reach():
    task = load_task("sentiment-tiny")
    config = dataclasses.replace(task.default_config, steps=12, lr=1e-6)
    trainer = train_to_goal(task, config)
    assert trainer.step_count == 12 and trainer.status == "done"
