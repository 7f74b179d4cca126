"""ui/services/transfer.py: the Train page's checkpoint and CSV import/export,
hostile uploads included."""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs

from rnn_core.checkpoint import save_checkpoint
from rnn_core.model import ModelConfig, RNNModel
from rnn_core.tasks import load_task
from rnn_core.train import Trainer
from ui.services.limits import Limits
from ui.services.run import TrainingRun
from ui.services.transfer import (
    UploadError,
    checkpoint_bytes,
    config_for,
    metrics_csv,
    read_checkpoint,
    read_csv_task,
    short_filename,
)

EXAMPLE_CSV = Path(__file__).resolve().parents[1] / "data" / "example.csv"


def make_run(name: str = "sentiment-tiny", steps: int = 20, **changes) -> TrainingRun:
    task = load_task(name)
    config = dataclasses.replace(task.default_config, **changes)
    probe = task.encoder.encode(task.example) if task.encoder else np.zeros((5, 1))
    run = TrainingRun(task, config, probe=probe, limits=Limits())
    run.advance(0, max_steps=steps)
    assert run.steps == steps
    return run


@pytest.fixture(scope="module")
def task():
    return load_task("sentiment-tiny")


@pytest.fixture(scope="module")
def run():
    return make_run()


@pytest.fixture(scope="module")
def saved(run) -> bytes:
    return checkpoint_bytes(run, run.task)


def upload_error(data, task, limits=None, **kw) -> str:
    with pytest.raises(UploadError) as info:
        read_checkpoint(data, task, Limits() if limits is None else limits, **kw)
    return str(info.value)


def checkpoint_of(model, **kw) -> bytes:
    buf = io.BytesIO()
    save_checkpoint(buf, model, **kw)
    return buf.getvalue()


# ------------------------------------------------------------------------- round trip


def test_checkpoint_round_trip_keeps_params_step_and_optimizer(run, saved, task):
    ckpt = read_checkpoint(saved, task, Limits())
    assert ckpt.step == run.steps == 20
    assert ckpt.task == "sentiment-tiny"
    assert ckpt.vocab == task.encoder.vocab
    assert ckpt.extra["app"] == "RNN Explorer" and ckpt.extra["origin"] == task.title
    assert list(ckpt.model.params) == list(run.model.params)
    for name, p in run.model.params.items():
        q = ckpt.model.params[name]
        assert q.dtype == p.dtype and q.shape == p.shape
        assert q.tobytes() == p.tobytes(), name
    assert ckpt.optimizer_name == "adam"
    state = run.trainer.optimizer.state_dict()
    assert set(ckpt.optimizer_state) == set(state)
    for key, value in state.items():
        assert np.array_equal(ckpt.optimizer_state[key], value), key
    assert int(ckpt.optimizer_state["step"]) == 20
    assert config_for(ckpt, task) == run.config


def test_restored_model_gives_the_same_outputs(run, saved, task):
    ckpt = read_checkpoint(saved, task, Limits())
    ids = task.encoder.encode(task.example)[None, :]
    assert np.array_equal(ckpt.model.predict_proba(ids), run.model.predict_proba(ids))
    inputs, mask = task.data.test.inputs[:50], task.data.test.mask[:50]
    assert np.array_equal(
        ckpt.model.forward(inputs, mask).outputs, run.model.forward(inputs, mask).outputs
    )


def test_restored_trainer_continues_exactly_as_from_memory(run, saved, task):
    """The file carries everything a continuation needs: a trainer restored from it takes the
    same steps, bit for bit, as one restored from the original run's in-memory state."""
    ckpt = read_checkpoint(saved, task, Limits())
    config = config_for(ckpt, task)
    from_file = Trainer(config, task.data, ckpt.model)
    from_file.restore(ckpt.optimizer_state, ckpt.step)
    from_memory = Trainer(run.config, task.data, run.model.copy())
    from_memory.restore(run.trainer.optimizer.state_dict(), run.steps)

    a, b = from_file.step(5), from_memory.step(5)
    assert [m["step"] for m in a] == [21, 22, 23, 24, 25]
    assert [m["loss"] for m in a] == [m["loss"] for m in b]
    assert all(np.isfinite(m["loss"]) for m in a)
    for name, p in from_memory.model.params.items():
        assert from_file.model.params[name].tobytes() == p.tobytes(), name
    assert from_file.status == "ok"


def test_a_restored_run_trains_on(saved, task):
    ckpt = read_checkpoint(saved, task, Limits())
    restored = TrainingRun(
        task,
        config_for(ckpt, task),
        probe=task.encoder.encode(task.example),
        limits=Limits(),
        model=ckpt.model,
        optimizer_state=ckpt.optimizer_state,
        start_step=ckpt.step,
    )
    assert restored.advance(0, max_steps=10) == 10
    assert restored.steps == 30 and restored.state != "diverged"


def test_config_for_without_train_config_derives_one_from_the_model(task):
    config = ModelConfig(
        cell="lstm",
        hidden_size=8,
        num_layers=2,
        input_kind="embedding",
        input_size=len(task.encoder),
        embed_size=6,
        output_size=2,
    )
    model = RNNModel.create(config, np.random.default_rng(3), dtype=np.float64)
    data = checkpoint_of(model, task=task.name, vocab=task.encoder.vocab)
    ckpt = read_checkpoint(data, task, Limits())
    assert ckpt.train_config is None and ckpt.optimizer_state is None
    derived = config_for(ckpt, task)
    assert (derived.cell, derived.hidden_size, derived.num_layers) == ("lstm", 8, 2)
    assert (derived.input_kind, derived.embed_size, derived.dtype) == ("embedding", 6, "float64")
    assert derived.lr == task.default_config.lr and derived.steps == task.default_config.steps
    trainer = Trainer(derived, task.data, ckpt.model)  # does not raise
    trainer.restore(ckpt.optimizer_state, ckpt.step)
    assert len(trainer.step(3)) == 3


def test_config_for_follows_the_model_dtype(task):
    run64 = make_run(steps=3, dtype="float64")
    ckpt = read_checkpoint(checkpoint_bytes(run64, run64.task), task, Limits())
    assert ckpt.model.dtype == np.float64 and config_for(ckpt, task).dtype == "float64"
    # a train_config that names another dtype than the saved weights: the weights win
    mislabelled = dataclasses.replace(run64.config, dtype="float32")
    data = checkpoint_of(
        run64.model, task=task.name, vocab=task.encoder.vocab, train_config=mislabelled
    )
    ckpt = read_checkpoint(data, task, Limits())
    config = config_for(ckpt, task)
    assert config.dtype == "float64"
    Trainer(config, task.data, ckpt.model).step(1)


def test_dense_task_round_trip_with_and_without_train_config():
    sine_run = make_run("sine", steps=2, hidden_size=8)
    sine = sine_run.task
    ckpt = read_checkpoint(checkpoint_bytes(sine_run, sine), sine, Limits())
    assert ckpt.vocab is None
    Trainer(config_for(ckpt, sine), sine.data, ckpt.model).step(1)
    bare = read_checkpoint(checkpoint_of(sine_run.model, task="sine"), sine, Limits())
    config = config_for(bare, sine)
    assert config.hidden_size == 8
    Trainer(config, sine.data, bare.model).step(1)
    # a token model cannot be loaded into a dense task with the same name
    tokens = RNNModel.create(
        ModelConfig(input_size=1, output_size=1, output="many_to_many", loss="mse"),
        np.random.default_rng(0),
    )
    message = upload_error(checkpoint_of(tokens, task="sine"), sine)
    assert "reads tokens" in message and "numbers" in message


# ------------------------------------------------------------------------- metrics CSV


def test_metrics_csv_parses_back(run):
    frame = pd.read_csv(io.BytesIO(metrics_csv(run.log)))
    params = list(run.model.params)
    assert list(frame.columns) == [
        "step",
        "batch_loss",
        "batch_accuracy",
        "grad_norm",
        "clipped",
        "lr",
        "spectral_radius_layer1",
        "max_singular_layer1",
        *(f"grad_norm_{p}" for p in params),
        "train_loss",
        "train_acc",
        "test_loss",
        "test_acc",
    ]
    assert len(frame) == len(run.log.steps) == 20
    assert frame["step"].tolist() == list(range(1, 21))
    assert frame["clipped"].dtype.kind == "i" and set(frame["clipped"]) <= {0, 1}
    assert frame["lr"].eq(run.config.lr).all()
    table = run.log.table()
    assert np.allclose(frame["batch_loss"], table["loss"], rtol=1e-12, atol=0)
    assert np.allclose(frame["grad_norm_W_hy"], table["grad:W_hy"], rtol=1e-12, atol=0)
    evaluated = frame["step"] % run.config.eval_every == 0  # eval_every 5: steps 5, 10, 15, 20
    assert evaluated.sum() == 4
    for col in ("train_loss", "train_acc", "test_loss", "test_acc"):
        assert frame.loc[evaluated, col].notna().all(), col
        assert frame.loc[~evaluated, col].isna().all(), col


def test_metrics_csv_writes_missing_values_as_empty_and_names_both_layers():
    two = make_run("sine", steps=3, hidden_size=4, num_layers=2, eval_every=2)
    text = metrics_csv(two.log).decode("utf-8")
    header, first = text.splitlines()[:2]
    assert "spectral_radius_layer2" in header and "max_singular_layer2" in header
    assert "nan" not in text.lower()
    frame = pd.read_csv(io.StringIO(text))
    assert frame["batch_accuracy"].isna().all()  # regression: no accuracy
    assert first.split(",")[header.split(",").index("test_loss")] == ""
    assert frame["test_loss"].notna().tolist() == [False, True, False]  # evaluated at step 2


def test_metrics_csv_of_an_empty_log_is_a_header(task):
    fresh = TrainingRun(task, task.default_config, task.encoder.encode("good"), Limits())
    frame = pd.read_csv(io.BytesIO(metrics_csv(fresh.log)))
    assert len(frame) == 0 and frame.columns[0] == "step"


# ------------------------------------------------------------------------- hostile uploads


class _Unpickled:
    """Records being unpickled, which a checkpoint reader must never do."""

    calls: list[str] = []  # noqa: RUF012

    def __reduce__(self):
        return (_Unpickled.calls.append, ("unpickled",))


def test_random_bytes_and_empty_and_truncated_files(saved, task):
    garbage = np.random.default_rng(0).bytes(3000)
    assert upload_error(garbage, task).startswith("Not a usable checkpoint: not an .npz/zip")
    assert "empty" in upload_error(b"", task)
    truncated = upload_error(saved[: len(saved) // 2], task)
    assert truncated.startswith("Not a usable checkpoint:")
    assert "Not a usable checkpoint" in upload_error(saved[:-1], task)
    assert "Not a usable checkpoint" in upload_error(b"PK\x03\x04" + garbage, task)


@pytest.mark.parametrize("entry", ["__meta__", "weights"])
def test_pickled_object_arrays_are_refused_unread(task, entry):
    buf = io.BytesIO()
    np.savez(buf, **{entry: np.array([_Unpickled(), 1], dtype=object)})  # allow_pickle default
    message = upload_error(buf.getvalue(), task)
    assert message.startswith("Not a usable checkpoint:")
    assert ("object array" in message) if entry == "__meta__" else ("weights" in message)
    assert _Unpickled.calls == []


def test_a_zip_that_is_not_a_checkpoint(task):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("readme.txt", "hello")
    assert "unexpected entry 'readme.txt'" in upload_error(buf.getvalue(), task)


def test_checkpoint_of_another_task_names_it(task):
    parity = make_run("parity", steps=3)
    message = upload_error(checkpoint_bytes(parity, parity.task), task)
    assert message == (
        "This model was trained on the task 'parity'; switch the task to parity to load it."
    )


def test_unknown_missing_and_csv_task_names(run, task):
    def saved_as(name):
        return checkpoint_of(run.model, task=name, vocab=task.encoder.vocab)

    unknown = upload_error(saved_as("my-task\n" + "x" * 500), task)
    assert "'my-task x" in unknown and "not a task of this app" in unknown
    assert len(unknown) < 250 and "\n" not in unknown
    assert "does not say which task" in upload_error(saved_as(None), task)
    assert "CSV file" in upload_error(saved_as("csv"), task)


def test_checkpoint_with_another_vocabulary(run, task):
    vocab = list(task.encoder.vocab)
    vocab[5] = "zebra"
    message = upload_error(checkpoint_of(run.model, task=task.name, vocab=vocab), task)
    assert "vocabulary differs from this task's" in message
    assert f"both {len(vocab)} tokens" in message and "'zebra'" in message
    no_vocab = upload_error(checkpoint_of(run.model, task=task.name), task)
    assert "no vocabulary" in no_vocab


def test_vocabulary_of_another_size(task):
    vocab = (*task.encoder.vocab, "extra", "words")
    model = RNNModel.create(
        ModelConfig(hidden_size=4, input_size=len(vocab)), np.random.default_rng(0)
    )
    message = upload_error(checkpoint_of(model, task=task.name, vocab=vocab), task)
    assert f"({len(vocab)} vs {len(task.encoder)} tokens)" in message


def test_model_that_does_not_fit_the_task_data(task):
    model = RNNModel.create(
        ModelConfig(hidden_size=4, input_size=len(task.encoder), output_size=3),
        np.random.default_rng(0),
    )
    message = upload_error(checkpoint_of(model, task=task.name, vocab=task.encoder.vocab), task)
    assert "does not fit this task's data" in message and "output size 3" in message


def test_hidden_size_above_the_limit(saved, task):
    assert saved and read_checkpoint(saved, task, Limits(max_hidden=16))
    message = upload_error(saved, task, Limits(max_hidden=8))
    assert "16 hidden units" in message and "at most 8" in message


def test_training_settings_the_trainer_would_refuse(run, task):
    """A file whose settings the core refuses (a negative seed) is an UploadError."""
    vocab = task.encoder.vocab
    good = checkpoint_of(run.model, task=task.name, vocab=vocab, train_config=run.config)
    with np.load(io.BytesIO(good), allow_pickle=False) as z:  # hand-edit the metadata
        arrays = {k: z[k] for k in z.files}
    meta = json.loads(arrays["__meta__"].tobytes().decode("utf-8"))
    meta["train_config"]["seed"] = -1
    arrays["__meta__"] = np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8)
    edited = io.BytesIO()
    np.savez_compressed(edited, **arrays)
    assert "seed" in upload_error(edited.getvalue(), task)


def test_over_size_files(saved, task):
    message = upload_error(saved, task, max_bytes=len(saved) - 1)
    assert message.startswith("The file is ") and "the limit is" in message
    big = upload_error(b"\0" * 25_300_000, task)
    assert big.startswith("The file is 25.3 MB; the limit is 20 MB.")


def test_corrupted_checkpoints_only_ever_raise_upload_error(saved, task):
    rng = np.random.default_rng(1)
    for _ in range(60):
        data = bytearray(saved)
        for at in rng.integers(0, len(data), size=rng.integers(1, 4)):
            data[at] = rng.integers(0, 256)
        with contextlib.suppress(UploadError):  # anything else fails the test
            read_checkpoint(bytes(data), task, Limits())


# ------------------------------------------------------------------------- CSV import


def test_example_csv_imports_with_its_filename_in_the_title():
    data = EXAMPLE_CSV.read_bytes()
    imported = read_csv_task(data, "example.csv")
    assert imported.name == "csv"
    assert imported.title == "Your CSV: example.csv"
    assert imported.class_names and imported.encoder is not None
    same = read_csv_task(data, "example.csv", seed=0)
    assert same.encoder.vocab == imported.encoder.vocab  # deterministic for a seed
    Trainer(imported.default_config, imported.data).step(2)


def test_csv_checkpoint_round_trip():
    data = EXAMPLE_CSV.read_bytes()
    csv_task = read_csv_task(data, "example.csv")
    csv_run = TrainingRun(
        csv_task, csv_task.default_config, csv_task.encoder.encode("sunny"), Limits()
    )
    csv_run.advance(0, max_steps=2)
    saved = checkpoint_bytes(csv_run, csv_task)
    again = read_csv_task(data, "renamed.csv")
    ckpt = read_checkpoint(saved, again, Limits())
    assert ckpt.extra["origin"] == "Your CSV: example.csv"
    Trainer(config_for(ckpt, again), again.data, ckpt.model).step(1)


def test_long_and_odd_filenames_are_shortened():
    name = "a" * 60 + ".csv"
    title = read_csv_task(EXAMPLE_CSV.read_bytes(), "C:\\fakepath\\" + name).title
    shown = title.removeprefix("Your CSV: ")
    assert len(shown) == 40 and shown.endswith(".csv") and "…" in shown
    assert short_filename("dir/x\ny.csv") == "x y.csv"
    assert short_filename("") == "untitled"


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (np.random.default_rng(2).bytes(2000), "binary file"),
        (b"", "empty"),
        (b"\x00\x01binary", "NUL"),
        (b"text,label\nhello,a\nworld,a\nagain,a\n", "at least 2 classes"),
        (b"just one field\nanother\n", "expected 2"),
    ],
)
def test_bad_csv_files(data, words):
    with pytest.raises(UploadError) as info:
        read_csv_task(data, "bad.csv")
    assert words in str(info.value)


def test_csv_over_size():
    data = EXAMPLE_CSV.read_bytes()
    with pytest.raises(UploadError, match=r"^The file is .*; the limit is 100 bytes"):
        read_csv_task(data, "example.csv", max_bytes=100)
    with pytest.raises(UploadError, match=r"^The file is 5\.0 MB; the limit is 5 MB"):
        read_csv_task(b"a,b\n" * 1_250_001, "huge.csv")


def test_random_csv_bytes_only_ever_raise_upload_error():
    rng = np.random.default_rng(3)
    base = EXAMPLE_CSV.read_bytes()
    for _ in range(40):
        data = bytearray(base)
        for at in rng.integers(0, len(data), size=rng.integers(1, 6)):
            data[at] = rng.choice(list(b',;"\n\r|\t\x00\xff ab'))
        with contextlib.suppress(UploadError):
            read_csv_task(bytes(data), "fuzz.csv")


def test_metrics_csv_of_a_thinned_long_run_keeps_evaluation_only_rows():
    """Past history_rows the step log and the evaluation log thin independently, so some
    evaluations land on steps whose row was dropped: those rows have no step metrics (the
    clipped flag included) and must still be written (found by the soak test: the page
    raised IntCastingNaNError at 10 000 steps)."""
    task = load_task("sentiment-tiny")
    config = dataclasses.replace(task.default_config, eval_every=3, steps=60)
    run = TrainingRun(task, config, task.encoder.encode(task.example), Limits(history_rows=8))
    run.advance(0, max_steps=60)
    frame = pd.read_csv(io.BytesIO(metrics_csv(run.log)))
    eval_only = frame["batch_loss"].isna()
    assert eval_only.any() and frame.loc[eval_only, "test_loss"].notna().all()
    assert frame.loc[eval_only, "clipped"].isna().all()
    assert set(frame.loc[~eval_only, "clipped"].astype(int)) <= {0, 1}
    assert frame["step"].is_monotonic_increasing and frame["step"].dtype.kind == "i"


@given(
    hs.lists(hs.text(max_size=12), min_size=2, max_size=8),
    hs.data(),
)
@settings(max_examples=200, deadline=None)
def test_a_preview_table_has_one_unique_column_per_file_column(names, data):
    """st.table needs unique column names: duplicates and names that look like the marks
    ("x → text") are told apart, and the columns in use are marked."""
    from rnn_core.tasks.csv_import import CsvPreview
    from ui.services.transfer import preview_frame

    text = data.draw(hs.integers(0, len(names) - 1))
    label = data.draw(hs.integers(0, len(names) - 1).filter(lambda i: i != text))
    row = tuple("a" * 100 for _ in names)
    preview = CsvPreview(tuple(names), (row,), text, label, ",", True, 1, "UTF-8", "")
    frame = preview_frame(preview)
    columns = list(frame.columns)
    assert len(columns) == len(names) and len(set(columns)) == len(columns)
    assert columns[text].endswith(" → text") and columns[label].endswith(" → label")
    assert all(len(cell) == 80 and cell.endswith("…") for cell in frame.iloc[0])
