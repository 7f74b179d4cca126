"""The Train page's uploads: a saved model to train on, or the user's own CSV as a task.

Each file is read once (``state.new_upload``) and checked by ``ui.services.transfer``; a bad
file is explained with a plain ``st.error`` and changes nothing. The size limits are the
server's :class:`~ui.services.limits.Limits`: the widgets refuse larger files in the browser,
the transfer checks refuse them again here, naming the exact limit.

A CSV file that reads as a table is kept (``state.CSV_SOURCE``) and previewed: its first rows,
and two pickers for the text and the label column, set to the importer's choice. A new
choice imports the file again before anything trains; a choice that cannot be used is
explained and the last good task stays."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import streamlit as st

from rnn_core.tasks import Task
from rnn_core.tasks.csv_import import CsvPreview
from ui.glue import exercise, state
from ui.services.limits import Limits, upload_mb
from ui.services.run import TrainingRun
from ui.services.settings import widget_values
from ui.services.transfer import (
    UploadError,
    config_for,
    preview_csv,
    preview_frame,
    read_checkpoint,
    read_csv_task,
    short_filename,
)

TEXT_PICK = "csv_text_column"  # widget keys: the uploaded CSV's text column ...
LABEL_PICK = "csv_label_column"  # ... and its label column (0-based indices)


@dataclass(frozen=True)
class CsvSource:
    """An uploaded CSV file that reads as a table: its name, bytes and preview."""

    name: str
    data: bytes
    preview: CsvPreview


def load_model_upload(upload, built: Task, probe: np.ndarray, limits: Limits) -> None:
    """A checkpoint upload becomes a new (paused) run reading ``probe``; a bad file changes
    nothing."""
    try:
        ckpt = read_checkpoint(upload.getvalue(), built, limits)
    except UploadError as e:
        st.error(str(e), icon="🚫")
        return
    config = config_for(ckpt, built)
    values = widget_values(config)
    clash = [k for k in values if exercise.pinned(k) not in (None, values[k])]
    if clash:  # its model would change what the exercise link fixes
        st.error(
            f"This exercise link locks {', '.join(clash)}, and this model has other values "
            "for them: it was not loaded.",
            icon="🔒",
        )
        return
    model = ckpt.model.copy(np.float32) if config.dtype == "float32" else ckpt.model
    loaded = TrainingRun(
        built,
        config,
        probe,
        limits,
        model=model,
        optimizer_state=ckpt.optimizer_state,
        start_step=ckpt.step,
    )
    state.TRAIN_RUN.set(loaded)
    state.TRAIN_HAD_RUN.set(True)
    state.publish_run(built.name, loaded).origin = "uploaded"
    state.TRAIN_PENDING.set((None, loaded.config))  # the widgets show its settings next run
    state.TRAIN_NOTICE.set(f"Loaded a model trained for {ckpt.step:,} steps: press Resume.")
    st.rerun()


def load_csv_upload(upload, limits: Limits) -> None:
    """A CSV upload becomes this session's "csv" task, with the importer's choice of columns;
    a file that reads as a table but not as a task is kept for the column pickers; any other
    bad file changes nothing. Not while an exercise link locks the task."""
    if exercise.locked("task"):
        st.error("This exercise link locks the task: your CSV was not read.", icon="🔒")
        return
    data = upload.getvalue()
    try:
        preview = preview_csv(data, max_bytes=limits.csv_bytes)
    except UploadError as e:
        st.error(str(e), icon="🚫")
        return
    state.CSV_SOURCE.set(CsvSource(upload.name, data, preview))
    state.forget(TEXT_PICK, LABEL_PICK)  # the pickers start from the importer's choice
    use_columns(limits, preview.text_column, preview.label_column)
    st.rerun()


def use_columns(limits: Limits, text_column: int, label_column: int) -> None:
    """Import the kept CSV with these columns: on success it is the session's "csv" task
    (a fresh run, the task's settings in the widgets); else the reason is kept to show and
    the last good task stays."""
    source: CsvSource | None = state.CSV_SOURCE.get()
    if source is None:
        return
    if text_column == label_column:
        state.CSV_ERROR.set("The text and the label must come from two different columns.")
        return
    try:
        with st.spinner("Reading your file and fitting a bag-of-words baseline…"):
            csv_task = read_csv_task(
                source.data,
                source.name,
                max_bytes=limits.csv_bytes,
                text_column=text_column,
                label_column=label_column,
            )
            csv_task.baseline  # noqa: B018 (fitted once here, not in a chart's redraw)
    except UploadError as e:
        state.CSV_ERROR.set(str(e))
        return
    state.CSV_ERROR.pop()
    chosen = replace(source.preview, text_column=text_column, label_column=label_column)
    state.CSV_SOURCE.set(replace(source, preview=chosen))
    state.set_csv_task(csv_task)
    state.TRAIN_RUN.pop()
    state.TRAIN_PENDING.set(("csv", csv_task.default_config))
    state.TRAIN_NOTICE.set(f"{csv_task.title}: {csv_task.description}")


def on_pick(limits: Limits) -> None:
    """A column picker changed: import the file again with both pickers' columns."""
    text = state.widget_value(TEXT_PICK)
    label = state.widget_value(LABEL_PICK)
    if text is not None and label is not None:
        use_columns(limits, int(text), int(label))


def csv_preview(limits: Limits, task_name: str) -> None:
    """The kept CSV's first rows and its two column pickers, in an expander: while its task
    is the one picked, or while a choice of columns for it cannot be used (nothing before an
    upload)."""
    source: CsvSource | None = state.CSV_SOURCE.get()
    problem = state.CSV_ERROR.get()
    if source is None or (task_name != "csv" and not problem):
        return
    p = source.preview
    name = short_filename(source.name)
    with st.expander(f"Your file, {name}: its first rows and the columns used", expanded=True):
        about = f"{p.n_rows:,} rows, {len(p.columns)} columns"
        st.markdown(about + (f" — {p.note}" if p.note else "") + ". The first rows:")
        st.table(preview_frame(p), hide_index=True)  # HTML: read aloud and printed as it is
        column_pickers(p, limits)
        if problem:
            st.error(problem, icon="🚫")


def column_pickers(p: CsvPreview, limits: Limits) -> None:
    """The text and label column pickers, set to the columns in use; a change imports again."""
    pickers = (
        (TEXT_PICK, "Text column", p.text_column, "The column the network reads, word by word."),
        (
            LABEL_PICK,
            "Label column",
            p.label_column,
            "The column it learns to predict: a few distinct values, each a class.",
        ),
    )
    for col, (key, label, current, about) in zip(st.columns(2), pickers, strict=True):
        state.seed(key, current)
        col.selectbox(
            label,
            range(len(p.columns)),
            key=key,
            format_func=lambda i: p.columns[i],
            on_change=on_pick,
            args=(limits,),
            help=about,
        )


def upload_panel(built: Task, probe: np.ndarray, limits: Limits) -> None:
    """The "Load a model or your own data" expander: its two uploaders, each file read once
    it arrives (a model for ``built``, reading ``probe``; or a CSV file)."""
    with st.expander("Load a model or your own data"):
        model_file = st.file_uploader(
            "Load a model (.npz)",
            type=["npz"],
            key="model_upload",
            max_upload_size=upload_mb(limits.checkpoint_bytes),
        )
        if model_file is not None and state.new_upload("model_upload", model_file.file_id):
            load_model_upload(model_file, built, probe, limits)
        task_locked = exercise.locked("task")  # a CSV would be another task
        csv_file = st.file_uploader(
            ("🔒 " if task_locked else "")
            + "Train on your own CSV (a text column and a label column)",
            type=["csv", "txt", "tsv"],
            key="csv_upload",
            max_upload_size=upload_mb(limits.csv_bytes),
            disabled=task_locked,
            help="This exercise link locks the task."
            if task_locked
            else "One text and one label per row, in any two of its columns (you can pick "
            "them once it is read); at least 2 classes with 2 examples each. Any encoding.",
        )
        if csv_file is not None and state.new_upload("csv_upload", csv_file.file_id):
            load_csv_upload(csv_file, limits)
