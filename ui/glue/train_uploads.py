"""The Train page's uploads: a saved model to train on, or the user's own CSV as a task.

Each file is read once (``state.new_upload``) and checked by ``ui.services.transfer``; a bad
file is explained with a plain ``st.error`` and changes nothing. The size limits are the
server's :class:`~ui.services.limits.Limits`: the widgets refuse larger files in the browser,
the transfer checks refuse them again here, naming the exact limit."""

from __future__ import annotations

import numpy as np
import streamlit as st

from rnn_core.tasks import Task
from ui.glue import state
from ui.services.limits import Limits, upload_mb
from ui.services.run import TrainingRun
from ui.services.transfer import UploadError, config_for, read_checkpoint, read_csv_task


def load_model_upload(upload, built: Task, probe: np.ndarray, limits: Limits) -> None:
    """A checkpoint upload becomes a new (paused) run reading ``probe``; a bad file changes
    nothing."""
    try:
        ckpt = read_checkpoint(upload.getvalue(), built, limits)
    except UploadError as e:
        st.error(str(e), icon="🚫")
        return
    config = config_for(ckpt, built)
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
    """A CSV upload becomes this session's "csv" task; a bad file changes nothing."""
    try:
        csv_task = read_csv_task(upload.getvalue(), upload.name, max_bytes=limits.csv_bytes)
    except UploadError as e:
        st.error(str(e), icon="🚫")
        return
    state.set_csv_task(csv_task)
    state.TRAIN_RUN.pop()
    state.TRAIN_PENDING.set(("csv", csv_task.default_config))
    state.TRAIN_NOTICE.set(f"{csv_task.title}: {csv_task.description}")
    st.rerun()


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
        csv_file = st.file_uploader(
            "Train on your own CSV (text,label)",
            type=["csv", "txt", "tsv"],
            key="csv_upload",
            max_upload_size=upload_mb(limits.csv_bytes),
            help="One text and one label per row; at least 2 classes with 2 examples each.",
        )
        if csv_file is not None and state.new_upload("csv_upload", csv_file.file_id):
            load_csv_upload(csv_file, limits)
