"""The Train page's import and export, as pure functions (no streamlit).

    st.download_button("Metrics (CSV)", metrics_csv(run.log), "metrics.csv")
    st.download_button("Checkpoint", checkpoint_bytes(run, task), "model.npz")
    files = run_files(run, task, cached=files)   # both, made again only once the run moved
    try:
        ckpt = read_checkpoint(upload.getvalue(), task, limits)
        run = TrainingRun(task, config_for(ckpt, task), probe, limits, model=ckpt.model,
                          optimizer_state=ckpt.optimizer_state, start_step=ckpt.step)
        csv_task = read_csv_task(upload.getvalue(), upload.name, max_bytes=limits.csv_bytes)
    except UploadError as e:
        st.error(str(e))          # plain text: the message may quote the file

Uploads come from strangers on a hosted demo: every way an uploaded file can be wrong ends in
an :class:`UploadError` with a short message saying what is wrong and what to do.
"""

from __future__ import annotations

import dataclasses
import io
import re
from typing import NamedTuple

import numpy as np
import pandas as pd

from rnn_core.checkpoint import Checkpoint, CheckpointError, load_checkpoint, save_checkpoint
from rnn_core.tasks import TASKS, Task
from rnn_core.tasks.csv_import import CsvError, CsvPreview, import_csv, preview_rows
from rnn_core.train import TrainConfig, Trainer
from ui.services.limits import Limits
from ui.services.run import MetricsLog, TrainingRun

APP_NAME = "RNN Explorer"
# The default upload limits (a server's own are its Limits: limits.checkpoint_bytes, csv_bytes)
MAX_CHECKPOINT_BYTES = Limits().checkpoint_bytes
MAX_CSV_BYTES = Limits().csv_bytes
MAX_FILENAME_CHARS = 40
MAX_QUOTED_CHARS = 40  # untrusted names quoted in a message are cut to this length
PREVIEW_ROWS = 5  # rows of an uploaded CSV shown before training
PREVIEW_CHARS = 80  # a preview cell longer than this is cut ("…")

# The architecture fields a checkpoint's model fixes in the TrainConfig it is trained with.
ARCHITECTURE = ("cell", "activation", "hidden_size", "num_layers", "input_kind", "embed_size")

_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


class UploadError(ValueError):
    """Why an uploaded file cannot be used, in plain words for the person who uploaded it."""


# --------------------------------------------------------------------------------------
# Export
# --------------------------------------------------------------------------------------


def metrics_csv(log: MetricsLog) -> bytes:
    """The run's metrics as a UTF-8 CSV file, one row per recorded step, in step order.

    Columns: step, batch_loss, batch_accuracy, grad_norm, clipped (0/1), lr,
    spectral_radius_layer<k>, max_singular_layer<k> (k = 1, 2), grad_norm_<param> per
    parameter, then train_loss, train_acc, test_loss, test_acc (filled at evaluation steps
    only). Missing values (no accuracy for regression, no evaluation at a step) are empty.
    """
    table = log.table()
    names = {"loss": "batch_loss", "accuracy": "batch_accuracy"}
    for i in range(log.layers):
        names[f"rho{i}"] = f"spectral_radius_layer{i + 1}"
        names[f"sigma{i}"] = f"max_singular_layer{i + 1}"
    for p in log.param_names:
        names[f"grad:{p}"] = f"grad_norm_{p}"
    frame = pd.DataFrame({names.get(k, k): np.asarray(v) for k, v in table.items()})
    frame["step"] = frame["step"].astype(np.int64)
    # empty on evaluation-only rows: the step log is thinned independently of the evaluations
    frame["clipped"] = frame["clipped"].astype("Int64")
    frame = frame.sort_values("step", kind="stable").reset_index(drop=True)
    return frame.to_csv(index=False, na_rep="", lineterminator="\n").encode("utf-8")


def checkpoint_bytes(run: TrainingRun, task: Task, origin: str | None = None) -> bytes:
    """The run's model, optimizer state, settings and step count as a checkpoint file.

    ``origin`` (default: the task's title) is stored in the metadata's ``extra``, to say where
    the model comes from. Raises CheckpointError only if the model could not be read back
    (the trainer never keeps non-finite weights, so this should not happen).
    """
    buf = io.BytesIO()
    save_checkpoint(
        buf,
        run.model,
        task=task.name,
        vocab=task.encoder.vocab if task.encoder else None,
        train_config=run.config,
        optimizer=run.trainer.optimizer,
        step=run.steps,
        extra={"app": APP_NAME, "origin": task.title if origin is None else origin},
    )
    return buf.getvalue()


class RunFiles(NamedTuple):
    """A run's files for download, made at one moment of the run (``key``)."""

    key: tuple[int, int, int]  # run_key(run) when they were made
    metrics: bytes  # metrics_csv(run.log)
    model: bytes  # checkpoint_bytes(run, task)


def run_key(run: TrainingRun) -> tuple[int, int, int]:
    """Which run, at which moment: (id, weights version, steps). Files made from a run are
    its files for as long as its key stays the same."""
    return (id(run), run.version, run.steps)


def run_files(run: TrainingRun, task: Task, cached: RunFiles | None = None) -> RunFiles:
    """The run's metrics CSV and model file, made under the run's lock (one consistent
    moment) — or ``cached`` itself when it was made for the run as it is now (the page makes
    them once per run version and hands the bytes to its download buttons)."""
    with run.lock:
        key = run_key(run)
        if cached is not None and cached.key == key:
            return cached
        return RunFiles(key, metrics_csv(run.log), checkpoint_bytes(run, task))


# --------------------------------------------------------------------------------------
# Import
# --------------------------------------------------------------------------------------


def read_checkpoint(
    data: bytes, task: Task, limits: Limits, max_bytes: int | None = None
) -> Checkpoint:
    """An uploaded checkpoint, checked as a file and against the current ``task``.

    Raises :class:`UploadError` for anything that cannot be loaded into a run on ``task``:
    a file larger than ``max_bytes`` (default: ``limits.checkpoint_bytes``), empty or not a
    valid checkpoint, a model of another task, another
    vocabulary, another input/output shape, or larger than ``limits`` allow. A checkpoint
    that passes can be trained on with ``Trainer(config_for(ckpt, task), task.data,
    ckpt.model)``.
    """
    data = _as_bytes(data)
    max_bytes = limits.checkpoint_bytes if max_bytes is None else max_bytes
    _check_size(data, max_bytes, "Upload a smaller checkpoint.")
    try:
        ckpt = load_checkpoint(data)
    except CheckpointError as e:
        reason = re.sub(r"^not (?:a|a valid) checkpoint: ", "", str(e))
        raise UploadError(f"Not a usable checkpoint: {reason}") from None
    _check_task(ckpt, task)
    _check_model(ckpt, task, limits)
    try:  # what the page will do next; TrainConfig leaves some fields (seed) unchecked
        Trainer(config_for(ckpt, task), task.data, ckpt.model)
    except (ValueError, TypeError, OverflowError) as e:
        raise UploadError(
            f"This checkpoint's training settings cannot be used here ({_cut(str(e), 120)})."
        ) from None
    return ckpt


def config_for(ckpt: Checkpoint, task: Task) -> TrainConfig:
    """The settings to continue training ``ckpt``'s model on ``task``.

    The checkpoint's own train_config when it has one (in the model's dtype), else the task's
    default config with the model's architecture (cell, activation, hidden size, layers,
    input kind, embedding width) and dtype. Either way ``config.model_config(task.data)``
    equals the model's config once :func:`read_checkpoint` accepted it.
    """
    model = ckpt.model.config
    dtype = str(ckpt.model.dtype)
    if ckpt.train_config is not None:  # load_checkpoint checked it agrees with the model
        return dataclasses.replace(ckpt.train_config, dtype=dtype)
    arch = {k: getattr(model, k) for k in ARCHITECTURE}
    if model.input_kind == "dense":  # not a TrainConfig choice: dense tasks ignore it
        del arch["input_kind"]
    return dataclasses.replace(task.default_config, **arch, dtype=dtype)


def read_csv_task(
    data: bytes,
    filename: str,
    seed: int = 0,
    max_bytes: int = MAX_CSV_BYTES,
    *,
    text_column: int | None = None,
    label_column: int | None = None,
) -> Task:
    """A task (named "csv") from an uploaded CSV file; its title names the file.

    ``text_column``, ``label_column``: 0-based column indices, or None for the importer's
    choice (rnn_core.tasks.csv_import). Raises :class:`UploadError` for a file larger than
    ``max_bytes`` (the page passes its ``limits.csv_bytes``) or one :func:`import_csv`
    refuses.
    """
    data = _as_bytes(data)
    _check_size(data, max_bytes, "Upload a sample of your data.")
    try:
        task = import_csv(data, seed=seed, text_column=text_column, label_column=label_column)
    except CsvError as e:
        raise UploadError(f"Cannot use this CSV file: {e}") from None
    return dataclasses.replace(task, title=f"Your CSV: {short_filename(filename)}")


def preview_csv(data: bytes, max_bytes: int = MAX_CSV_BYTES) -> CsvPreview:
    """The uploaded file's columns, its first :data:`PREVIEW_ROWS` rows and the columns the
    importer would choose, without reading the whole file into a task. Raises
    :class:`UploadError` for a file that cannot be read as a table at all (too large, binary,
    rows of different lengths)."""
    data = _as_bytes(data)
    _check_size(data, max_bytes, "Upload a sample of your data.")
    try:
        return preview_rows(data, n=PREVIEW_ROWS)
    except CsvError as e:
        raise UploadError(f"Cannot use this CSV file: {e}") from None


def preview_frame(preview: CsvPreview) -> pd.DataFrame:
    """The preview as a table: one column per file column, named as the file names it (made
    unique: "name (2)"; "→ text" / "→ label" after the columns in use), cells cut to
    :data:`PREVIEW_CHARS` characters."""
    names: list[str] = []
    for i, name in enumerate(preview.columns):
        k = 1
        while name in names or any(n.startswith(f"{name} → ") for n in names):
            k += 1
            name = f"{preview.columns[i]} ({k})"
        if i == preview.text_column:
            name += " → text"
        elif i == preview.label_column:
            name += " → label"
        names.append(name)
    rows = [[_cut(cell, PREVIEW_CHARS) for cell in row] for row in preview.rows]
    return pd.DataFrame(rows, columns=names, dtype=object)


def short_filename(filename: str, limit: int = MAX_FILENAME_CHARS) -> str:
    """The file's name without folders or control characters, at most ``limit`` characters
    (the middle is cut, so the extension stays visible)."""
    name = re.split(r"[/\\]", str(filename))[-1]
    name = _UNPRINTABLE.sub(" ", name).strip() or "untitled"
    if len(name) <= limit:
        return name
    head = (limit - 1) * 2 // 3
    return name[:head] + "…" + name[len(name) - (limit - 1 - head) :]


# --------------------------------------------------------------------------------------
# Checks
# --------------------------------------------------------------------------------------


def _as_bytes(data) -> bytes:
    if isinstance(data, bytes | bytearray | memoryview):
        return bytes(data)
    raise TypeError(f"expected the uploaded file's bytes; got {type(data).__name__}")


def _check_size(data: bytes, max_bytes: int, advice: str) -> None:
    if len(data) > max_bytes:
        raise UploadError(
            f"The file is {_size(len(data))}; the limit is {_size(max_bytes, exact=True)}. {advice}"
        )
    if not data:
        raise UploadError("The file is empty. Choose the file again.")


def _size(n: int, exact: bool = False) -> str:
    """25_300_000 -> "25.3 MB"; limits without trailing zeros ("20 MB")."""
    for unit, scale in (("MB", 1e6), ("kB", 1e3)):
        if n >= scale:
            return f"{n / scale:g} {unit}" if exact else f"{n / scale:.1f} {unit}"
    return f"{n} bytes"


def _cut(text: str, limit: int) -> str:
    text = _UNPRINTABLE.sub(" ", text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _quote(name: str) -> str:
    return f"'{_cut(name, MAX_QUOTED_CHARS)}'"


def _check_task(ckpt: Checkpoint, task: Task) -> None:
    """The checkpoint names this task and, for token tasks, has this task's vocabulary."""
    if ckpt.task != task.name:
        if ckpt.task is None:
            raise UploadError(
                "This checkpoint does not say which task its model was trained on, so it "
                "cannot be loaded here."
            )
        if ckpt.task == "csv":
            raise UploadError(
                "This model was trained on an uploaded CSV file; import that CSV file as the "
                "task first, then load the checkpoint."
            )
        if ckpt.task in TASKS:
            raise UploadError(
                f"This model was trained on the task {_quote(ckpt.task)}; switch the task to "
                f"{ckpt.task} to load it."
            )
        raise UploadError(
            f"This model was trained on the task {_quote(ckpt.task)}, which is not a task of "
            f"this app (the tasks are {', '.join(TASKS)}); it cannot be loaded here."
        )
    if task.encoder is None:
        return
    ours = tuple(task.encoder.vocab)
    theirs = ckpt.vocab
    if theirs is None:
        raise UploadError(
            "This checkpoint has no vocabulary, so its inputs cannot be matched to this "
            "task's words; it cannot be loaded here."
        )
    if theirs != ours:
        if len(theirs) != len(ours):
            detail = f"{len(theirs)} vs {len(ours)} tokens"
        else:
            i = next(i for i, (a, b) in enumerate(zip(theirs, ours, strict=True)) if a != b)
            detail = f"both {len(ours)} tokens, but token {i} is {_quote(theirs[i])}, not "
            detail += _quote(ours[i])
        hint = (
            " Import the same CSV file the model was trained on."
            if task.name == "csv"
            else " It was trained on another version of this task's data."
        )
        raise UploadError(f"This model's vocabulary differs from this task's ({detail}).{hint}")


def _check_model(ckpt: Checkpoint, task: Task, limits: Limits) -> None:
    """The model's inputs and outputs fit the task's data, and its size fits the limits."""
    model = ckpt.model.config
    expected = task.default_config.model_config(task.data)
    if (model.input_kind == "dense") != (expected.input_kind == "dense"):
        have = "numbers" if model.input_kind == "dense" else "tokens"
        want = "numbers" if expected.input_kind == "dense" else "tokens"
        raise UploadError(
            f"This model reads {have} but this task's inputs are {want}; it cannot be loaded."
        )
    problems = [
        f"{label} {getattr(model, field)} (this task needs {getattr(expected, field)})"
        for field, label in (
            ("input_size", "input size"),
            ("output_size", "output size"),
            ("output", "output kind"),
            ("loss", "loss"),
        )
        if getattr(model, field) != getattr(expected, field)
    ]
    if problems:
        raise UploadError(
            f"This model does not fit this task's data: {'; '.join(problems)}. It was "
            f"probably trained on other options of the task."
        )
    if model.hidden_size > limits.max_hidden:
        raise UploadError(
            f"This model has {model.hidden_size} hidden units; this server allows at most "
            f"{limits.max_hidden}. Upload a smaller model."
        )
    if model.num_layers > 2:  # ModelConfig already refuses more; kept for the page's promise
        raise UploadError(f"This model has {model.num_layers} layers; the app supports at most 2.")
