"""The trainer: it learns, it is deterministic, it survives divergence, it reports metrics."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from rnn_core.data import Dataset, SequenceData, pad_sequences
from rnn_core.train import IN_LINE_LOSS, TrainConfig, Trainer, masked_step_mean


def contains_three(n: int, rng: np.random.Generator) -> SequenceData:
    """Many-to-one: does the sequence (length 2..11, tokens 1..5) contain the token 3?"""
    seqs = [list(rng.integers(1, 6, rng.integers(2, 12))) for _ in range(n)]
    ids, mask = pad_sequences(seqs)
    return SequenceData(ids, np.array([int(3 in s) for s in seqs]), mask)


@pytest.fixture(scope="module")
def token_task() -> Dataset:
    rng = np.random.default_rng(0)
    return Dataset(contains_three(2000, rng), contains_three(500, rng), 6, 2)


@pytest.fixture(scope="module")
def sum_task() -> Dataset:
    """Regression on dense inputs: the sum of the first feature over 10 steps."""
    rng = np.random.default_rng(1)

    def split(n):
        x = rng.normal(size=(n, 10, 2))
        return SequenceData(x, x[:, :, :1].sum(axis=1), np.ones((n, 10), bool))

    return Dataset(split(256), split(64), 2, 1, loss="mse", dense=True)


def next_token(n: int, rng: np.random.Generator) -> SequenceData:
    """Many-to-many: predict the previous token (a one-step memory)."""
    ids = rng.integers(1, 5, size=(n, 8))
    lengths = rng.integers(3, 9, size=n)
    mask = np.arange(8)[None] < lengths[:, None]
    targets = np.concatenate([np.zeros((n, 1), int), ids[:, :-1]], axis=1)
    return SequenceData(np.where(mask, ids, 0), targets, mask)


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_learns_a_many_to_one_task(token_task, cell):
    trainer = Trainer(TrainConfig(cell=cell, hidden_size=16, steps=300, lr=0.01), token_task)
    trainer.step(300)
    assert trainer.status == "ok"
    final = trainer.history[-1]
    assert final["test_acc"] >= 0.97, final["test_acc"]
    assert final["test_loss"] < trainer.history[0]["loss"] / 5


def test_learns_a_many_to_many_task():
    rng = np.random.default_rng(2)
    data = Dataset(next_token(1000, rng), next_token(200, rng), 5, 5, output="many_to_many")
    trainer = Trainer(TrainConfig(cell="gru", hidden_size=16, steps=300, lr=0.02), data)
    trainer.step(300)
    # step 0 has no previous token (target 0 is unguessable): the rest should be learned
    assert trainer.history[-1]["test_acc"] >= 0.85


def test_same_seed_same_curves_bit_for_bit(token_task):
    config = TrainConfig(cell="lstm", hidden_size=8, steps=60, eval_every=20, seed=3)
    runs = []
    for _ in range(2):
        trainer = Trainer(config, token_task)
        trainer.step(60)
        runs.append(trainer)
    for key in ("loss", "grad_norm", "accuracy"):
        assert [m[key] for m in runs[0].history] == [m[key] for m in runs[1].history]
    for k, p in runs[0].model.params.items():
        np.testing.assert_array_equal(p, runs[1].model.params[k])
    other = Trainer(TrainConfig(cell="lstm", hidden_size=8, steps=60, seed=4), token_task)
    other.step(60)
    assert other.history[-1]["loss"] != runs[0].history[-1]["loss"]


def test_stepping_in_slices_equals_one_long_run(token_task):
    config = TrainConfig(cell="gru", hidden_size=8, steps=50, batch_size=300)  # epochs roll over
    a, b = Trainer(config, token_task), Trainer(config, token_task)
    a.step(50)
    for n in (1, 7, 13, 29):
        b.step(n)
    assert [m["loss"] for m in a.history] == [m["loss"] for m in b.history]
    assert a.epoch == b.epoch > 0


def test_metrics_report_everything_the_ui_draws(token_task):
    config = TrainConfig(cell="gru", num_layers=2, hidden_size=8, steps=20, eval_every=10)
    m = Trainer(config, token_task).step(20)
    first, tenth = m[0], m[9]
    assert first["step"] == 1 and tenth["step"] == 10
    assert {"loss", "accuracy", "grad_norm", "clipped", "epoch", "lr", "seconds"} <= set(first)
    assert set(first["param_grad_norms"]) >= {"l0.W_x", "l1.W_h", "W_hy"}
    total = np.sqrt(sum(v**2 for v in first["param_grad_norms"].values()))
    assert first["grad_norm"] == pytest.approx(total, rel=1e-5)
    assert len(first["dh_norm"]) == 2 and first["dh_norm"][0].ndim == 1
    assert len(first["spectral_radius"]) == 2 and len(first["max_singular"]) == 2
    assert first["max_singular"][0] >= first["spectral_radius"][0] - 1e-6
    assert "test_acc" in tenth and "test_acc" not in first
    assert 0.0 <= tenth["train_acc"] <= 1.0


def test_clipping_reports_the_norm_before_clipping(token_task):
    trainer = Trainer(TrainConfig(hidden_size=8, clip="norm", clip_value=1e-3, steps=5), token_task)
    metrics = trainer.step(5)
    assert all(m["clipped"] for m in metrics)
    assert all(m["grad_norm"] > 1e-3 for m in metrics)
    relaxed = Trainer(TrainConfig(hidden_size=8, clip="norm", clip_value=1e6), token_task)
    assert not any(m["clipped"] for m in relaxed.step(5))


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_divergence_stops_and_rolls_back_to_a_state_that_can_go_on(sum_task, cell):
    config = TrainConfig(cell=cell, hidden_size=8, lr=100.0, clip="none", optimizer="sgd")
    trainer = Trainer(config, sum_task)
    states = {0: {k: v.copy() for k, v in trainer.model.params.items()}}
    for _ in range(200):
        if not trainer.step(1):
            break
        states[trainer.step_count] = {k: v.copy() for k, v in trainer.model.params.items()}
    assert trainer.status == "diverged"
    assert "became" in trainer.reason or "overflowed" in trainer.reason
    failed = trainer.divergence["step"]
    back = trainer.step_count
    assert back == trainer.divergence["returned_to"] < failed
    assert f"at step {failed}" in trainer.reason and f"returned to step {back}" in trainer.reason
    for k, p in trainer.model.params.items():
        np.testing.assert_array_equal(p, states[back][k])  # exactly that step's state
        assert np.isfinite(p).all()
    # the state returned to was measured in line: step back+1 (taken from it) has a loss
    # within IN_LINE_LOSS × the first loss, which no blown-up state has
    losses = {m["step"]: m["loss"] for m in trainer.history}
    assert losses[back + 1] <= IN_LINE_LOSS * max(losses[1], np.median(list(losses.values())))
    assert len(trainer.history) == failed - 1 > 0  # the history is kept, discarded steps too
    assert trainer.step(5) == []  # stays stopped
    # clipping rescues the same run
    safe = Trainer(TrainConfig(cell=cell, hidden_size=8, lr=0.05, clip_value=1.0), sum_task)
    safe.step(100)
    assert safe.status == "ok"


def test_sgd_divergence_keeps_the_optimizer_and_its_step_count(sum_task):
    """Break 11: SGD's state is only its step count; a divergence used to replace it."""
    config = TrainConfig(cell="rnn", hidden_size=8, optimizer="sgd", lr=0.01, clip="none")
    trainer = Trainer(config, sum_task)
    trainer.step(10)
    optimizer = trainer.optimizer
    trainer.retune(lr=1e38)  # the next update overflows
    assert trainer.step(1) == [] and trainer.status == "diverged"
    assert trainer.step_count == 10 and trainer.optimizer.steps == 10
    assert trainer.optimizer.lr == 1e38  # the current settings stay
    assert type(trainer.optimizer) is type(optimizer)


SENTIMENT_BLOWUP = {  # /train?cell=rnn&activation=relu&optimizer=sgd&lr=500&clip=none
    "cell": "rnn",
    "activation": "relu",
    "optimizer": "sgd",
    "lr": 500.0,
    "clip": "none",
}


@pytest.fixture(scope="module")
def sentiment():
    from rnn_core.tasks import load_task

    return load_task("sentiment")


@pytest.mark.parametrize(
    "fixes",
    [
        [{"lr": 0.5}],  # the diagnosis's "learning rate → 0.5"
        [{"lr": 50.0}, {"lr": 0.5}],  # ÷ 10 is not enough (a fresh run at 50 diverges too)…
        [{"clip": "norm", "clip_value": 5.0, "lr": 0.5}],
    ],
)
def test_a_diverged_sentiment_run_can_be_rescued(sentiment, fixes):
    """Break 2: lr 500 + SGD + relu blows up at step 2 (loss 2e16) and is NaN at step 3. The
    trainer must return to a state that can go on, so a fix and a resume keep training
    (before, every fix re-diverged at step 3 from the broken step-2 state)."""
    config = dataclasses.replace(sentiment.default_config, **SENTIMENT_BLOWUP)
    trainer = Trainer(config, sentiment.data)
    start = {k: v.copy() for k, v in trainer.model.params.items()}
    assert trainer.step(10) != [] and trainer.status == "diverged"
    assert trainer.divergence["step"] == 3 and trainer.step_count == 0
    assert "returned to step 0" in trainer.reason and "in line" in trainer.reason
    assert trainer.divergence["peak_loss"] > 1e10  # the blown-up step is reported
    for k, p in trainer.model.params.items():
        np.testing.assert_array_equal(p, start[k])
    assert len(trainer.history) == 2  # the blown-up steps stay in the history
    for fix in fixes:  # …but each retry starts again from a state that can go on
        assert trainer.status == "diverged" and trainer.step_count <= 1
        trainer.retune(**fix)
        trainer.resume()
        metrics = trainer.step(300)
    assert trainer.status == "ok", trainer.reason
    assert len(metrics) == 300 and trainer.step_count == metrics[-1]["step"] <= 301
    assert np.isfinite([m["loss"] for m in metrics]).all()
    assert max(m["loss"] for m in metrics[-50:]) < 2 * metrics[0]["loss"]  # still in line


def test_resume_after_a_divergence_continues_from_the_last_finite_state(sum_task):
    config = TrainConfig(cell="rnn", hidden_size=8, clip="none", optimizer="sgd", lr=0.01)
    trainer = Trainer(config, sum_task)
    trainer.step(10)
    good = {k: v.copy() for k, v in trainer.model.params.items()}
    trainer.retune(lr=1e38)  # one absurd update overflows the parameters
    assert trainer.step(5) == [] and trainer.status == "diverged"
    kept = len(trainer.history)
    trainer.retune(lr=0.01, clip="norm", clip_value=1.0)
    assert trainer.status == "diverged"  # a retune alone does not restart it
    trainer.resume()
    assert trainer.status == "ok" and trainer.reason is None
    for k, v in trainer.model.params.items():
        np.testing.assert_array_equal(v, good[k])
    metrics = trainer.step(20)
    assert len(metrics) == 20 and trainer.status == "ok"
    assert metrics[0]["step"] == 11 and len(trainer.history) == kept + 20
    fresh = Trainer(TrainConfig(cell="rnn", hidden_size=8), sum_task)
    fresh.resume()  # a no-op unless diverged
    assert fresh.status == "ok"


def test_divergence_on_the_very_first_step_restores_a_fresh_optimizer(sum_task):
    trainer = Trainer(TrainConfig(cell="rnn", lr=1e39, clip="none", optimizer="adam"), sum_task)
    start = {k: v.copy() for k, v in trainer.model.params.items()}
    assert trainer.step(3) == []  # the first update overflows float32
    assert trainer.status == "diverged" and "overflowed" in trainer.reason
    for k, p in trainer.model.params.items():
        np.testing.assert_array_equal(p, start[k])
    assert trainer.optimizer.steps == 0


def test_retune_changes_lr_and_keeps_optimizer_state(token_task):
    trainer = Trainer(TrainConfig(hidden_size=8, lr=0.01, steps=10), token_task)
    trainer.step(10)
    assert trainer.status == "done" or trainer.step(1) == []
    assert trainer.status == "done"
    state = trainer.optimizer.state_dict()
    trainer.retune(lr=0.001, steps=20, clip="value")
    assert trainer.status == "ok" and trainer.optimizer.lr == 0.001
    after = trainer.optimizer.state_dict()
    for k in state:
        np.testing.assert_array_equal(state[k], after[k])
    assert trainer.step(1)[0]["lr"] == 0.001
    with pytest.raises(ValueError, match="hidden_size"):
        trainer.retune(hidden_size=64)


def test_truncated_training_runs_and_learns(token_task):
    trainer = Trainer(TrainConfig(cell="gru", hidden_size=16, truncate=3, steps=300), token_task)
    trainer.step(300)
    assert trainer.history[-1]["test_acc"] >= 0.9


def test_float64_training(sum_task):
    trainer = Trainer(TrainConfig(cell="lstm", hidden_size=8, dtype="float64", steps=50), sum_task)
    trainer.step(50)
    assert trainer.model.dtype == np.float64
    assert trainer.history[-1]["test_loss"] < trainer.history[0]["loss"]


@pytest.mark.parametrize(
    "bad",
    [
        {"lr": -1.0},
        {"lr": float("nan")},
        {"optimizer": "lbfgs"},
        {"clip": "sometimes"},
        {"clip_value": 0.0},
        {"batch_size": 0},
        {"truncate": -2},
        {"dtype": "float16"},
        {"init": "zeros"},
        {"spectral_radius": -1.0},
        {"hidden_size": 0},
        {"num_layers": 2.0},
        {"eval_size": -1},
        {"steps": 1.5},
        {"truncate": 2.5},
    ],
)
def test_bad_config_raises_a_clear_error(bad):
    with pytest.raises(ValueError, match=next(iter(bad))):
        TrainConfig(**bad)


def test_pad_sequences():
    ids, mask = pad_sequences([[3, 4, 5], [7]], pad_id=0)
    np.testing.assert_array_equal(ids, [[3, 4, 5], [7, 0, 0]])
    np.testing.assert_array_equal(mask, [[1, 1, 1], [1, 0, 0]])
    with pytest.raises(ValueError, match="empty"):
        pad_sequences([[1], []])


def test_restore_continues_a_run_and_a_divergence_rolls_back_to_it(sum_task):
    config = TrainConfig(cell="gru", hidden_size=8, lr=0.01, steps=100)
    original = Trainer(config, sum_task)
    original.step(20)
    state = original.optimizer.state_dict()
    resumed = Trainer(config, sum_task, model=original.model.copy())
    resumed.restore(state, original.step_count)
    assert resumed.step_count == 20 and resumed.optimizer.steps == original.optimizer.steps
    # force a divergence on the first step after the restore: state must survive it
    resumed.retune(lr=1e39, clip="none")
    assert resumed.step(1) == [] and resumed.status == "diverged"
    for k, v in state.items():
        np.testing.assert_array_equal(resumed.optimizer.state_dict()[k], v)


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam", "rmsprop"])
def test_a_bookmark_rewinds_the_trainer_to_go_on_exactly_as_before(token_task, optimizer):
    """bookmark/rewind: parameters, optimizer state, data order (across an epoch boundary)
    and the random generator all come back, so the steps after a rewind repeat bit for bit."""
    config = TrainConfig(cell="gru", hidden_size=8, batch_size=300, optimizer=optimizer, steps=40)
    t = Trainer(config, token_task)
    t.step(3)
    mark = t.bookmark()
    first = [m["loss"] for m in t.step(12)]  # 2000 / 300: a new epoch (and order) on the way
    params = {k: v.copy() for k, v in t.model.params.items()}
    t.rewind(mark)
    assert t.step_count == 3
    again = [m["loss"] for m in t.step(12)]
    assert again == first
    for k, v in params.items():
        np.testing.assert_array_equal(t.model.params[k], v)


@pytest.mark.parametrize("outside_change", [False, True])
def test_a_bookmark_copies_only_what_the_step_snapshot_does_not_hold(token_task, outside_change):
    """A Pause keeps eight bookmarks: each used to deep-copy the optimizer (scratch buffers
    and all) and both rollback snapshots, 26 MiB for the word-level language model. Right
    after a step the trainer's own snapshot holds the state, so a bookmark allocates less
    than a quarter of the parameters' size; after the parameters changed outside a step
    it copies them (and the rewind returns to them exactly)."""
    import tracemalloc

    t = Trainer(TrainConfig(cell="lstm", hidden_size=128, steps=40), token_task)
    t.step(3)
    if outside_change:
        t.model.params["W_hy"] += 0.5
    kept = {k: v.copy() for k, v in t.model.params.items()}
    size = sum(p.nbytes for p in t.model.params.values())
    tracemalloc.start()
    try:
        mark = t.bookmark()
        allocated = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    if outside_change:
        assert allocated >= size  # its own copy of the parameters
    else:
        assert allocated < size / 4, (allocated, size)
    t.step(5)
    t.rewind(mark)
    for k, v in kept.items():
        np.testing.assert_array_equal(t.model.params[k], v)


def test_a_rewind_keeps_the_settings_changed_since_the_bookmark(token_task):
    """Going back to a bookmark returns the weights and the data order, not the settings:
    a learning rate the user changed after it stays (the page's widgets show it)."""
    t = Trainer(TrainConfig(cell="gru", hidden_size=8, lr=0.01, steps=40), token_task)
    t.step(2)
    mark = t.bookmark()
    t.step(3)
    t.retune(lr=0.002)
    t.rewind(mark)
    assert t.step_count == 2
    assert t.config.lr == 0.002 and t.optimizer.lr == 0.002


def test_masked_step_mean_counts_only_the_real_sequences_at_each_step():
    """The mean behind metrics["dh_norm"] (and rnn_core.lab.dh_profile): at each step over
    the sequences that reach it; a step none reaches is 0; padding never counts, not even
    an inf or NaN there."""
    values = np.array([[1.0, 2.0, np.inf], [3.0, np.nan, 7.0], [5.0, 6.0, 9.0]])
    mask = np.array([[1, 1, 0], [1, 0, 0], [1, 1, 0]], bool)
    np.testing.assert_array_equal(masked_step_mean(values, mask), [3.0, 4.0, 0.0])
    np.testing.assert_array_equal(masked_step_mean(values[2:], None), [5.0, 6.0, 9.0])
    f32 = masked_step_mean(values.astype(np.float32)[:, :2], mask[:, :2])
    np.testing.assert_allclose(f32, [3.0, 4.0])


def test_the_trainers_dh_norm_is_the_masked_step_mean(token_task):
    """The trainer reports, per layer, the masked step mean of the batch's ‖∂L/∂h_t‖: a
    padded step is not averaged in (the mean over a shorter sequence is not diluted)."""
    config = TrainConfig(cell="rnn", hidden_size=8, batch_size=16, steps=1, seed=3)
    trainer = Trainer(config, token_task)
    model = trainer.model.copy()
    idx = trainer._order[:16]  # the first batch the trainer will draw
    inputs, targets, mask = token_task.train.batch(idx)
    _, _, info = model.loss_and_grads(inputs, targets, mask)
    (metrics,) = trainer.step(1)
    dh = info.dh_norm[-1]
    by_hand = np.array([dh[mask[:, t], t].mean() for t in range(mask.shape[1])])
    np.testing.assert_allclose(metrics["dh_norm"][-1], by_hand, rtol=1e-5)
