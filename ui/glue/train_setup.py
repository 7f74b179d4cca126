"""The Train page's settings column: the task, the probe sentence and the training settings,
as the widgets (and the link) give them.

:func:`take_pending` seeds the widgets with what an upload asked for (before they draw);
:func:`settings_panel` draws them and returns what they ask for: the task, the TrainConfig
(None when the core refuses the combination) and the probe's reading."""

from __future__ import annotations

import streamlit as st

from rnn_core.tasks import Task
from rnn_core.train import TrainConfig
from ui.glue import state
from ui.glue.controls import (
    seed_widgets,
    sentence_input,
    task_picker,
    train_settings,
    valid_task,
)
from ui.services.limits import Limits
from ui.services.settings import read_settings, widget_values
from ui.views.inputs import Reading, read_example, read_text


def on_task_change() -> None:
    """A new task: its recommended settings and example, and a fresh run."""
    built = state.get_task(valid_task())
    seed_widgets(built.default_config, overwrite=True)
    state.seed("sentence", built.example or "", overwrite=True)
    state.TRAIN_RUN.pop()
    state.TRAIN_URL_NOTES.pop()


def take_pending() -> None:
    """An upload's task and settings (``state.TRAIN_PENDING``) go into the widgets, once,
    before they are drawn."""
    pending_task, pending_config = state.TRAIN_PENDING.pop((None, None))
    if pending_task is not None:
        state.seed("task", pending_task, overwrite=True)
        example = state.get_task(pending_task).example  # a probe from the new data
        if example:
            state.seed("sentence", example, overwrite=True)
    if pending_config is not None:
        seed_widgets(pending_config, overwrite=True)


def probe_reading(built: Task) -> Reading:
    """The probe the run reads at its snapshots: the probe sentence (the task's example when
    it reads as nothing), or a numeric task's first example."""
    if built.encoder is None:
        return read_example(built, 0)
    reading = read_text(built, state.widget_value("sentence") or built.example or "")
    return reading if not reading.empty else read_text(built, built.example or "x")


def settings_panel(limits: Limits, notes) -> tuple[str, Task, TrainConfig | None, Reading]:
    """The task picker (its notes go in the container ``notes``), a note on the link's
    unusable values, the probe sentence, the training settings and "Recommended settings".
    Returns the task's name, the task, the TrainConfig the widgets ask for (None, with an
    error shown, for a combination the core refuses) and the probe's reading."""
    task_name = task_picker(on_change=on_task_change, notes=notes)
    built = state.get_task(task_name)
    unusable = seed_widgets(built.default_config, limits=limits)
    if unusable:  # kept: Streamlit drops the bad values from the URL on the next run
        state.TRAIN_URL_NOTES.set(unusable)
    unusable = state.TRAIN_URL_NOTES.get([])
    if unusable:
        st.info(
            f"The link's value for {', '.join(unusable)} cannot be used here (out of range "
            "or not an option); the task's recommended value is used instead."
        )
    if built.encoder is not None:
        state.carry("sentence", built.example or "")
        sentence_input(
            "Probe sentence",
            "Read by the model at snapshots during training: its prediction over "
            "training and its hidden state at any snapshot.",
        )
    values = train_settings(built, limits)
    defaults = widget_values(built.default_config)
    values = {k: (defaults[k] if v is None else v) for k, v in values.items()}
    try:
        wanted = read_settings(built.default_config, values)
    except ValueError as e:  # a combination the core refuses: keep the last good run
        st.error(f"These settings cannot be used: {e}")
        wanted = None
    st.button(
        "Recommended settings",
        on_click=seed_widgets,
        args=(built.default_config, True),
        help=f"This task's default config: {built.target}.",
        width="stretch",
    )
    return task_name, built, wanted, probe_reading(built)
