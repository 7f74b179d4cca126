"""Session-state keys and the session's models (one per task, each the session's own copy).

    st.session_state["models"]        task name -> SessionModel: every task the user has
                                      visited keeps its model, so switching tasks loses nothing
    st.session_state["current_task"]  the task the pages show; widgets keyed "task" set it

A session starts with each task's default model (trained once per server; see ui.models)
and owns its copy: training here or uploading replaces the session's copy only.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from rnn_core.model import RNNModel
from rnn_core.tasks import Task
from ui.models import SessionModel, default_models, task, task_names

CSV_TASK = "csv_task"  # session key: the Task made from the user's uploaded CSV, if any

MODELS = "models"
CURRENT_TASK = "current_task"
DEFAULT_TASK = "sentiment"


def get_task(name: str) -> Task:
    """A built-in task, or this session's own CSV task ("csv")."""
    if name == "csv" and CSV_TASK in st.session_state:
        return st.session_state[CSV_TASK]
    return task(name)


def available_tasks() -> list[str]:
    """The task names this session can pick: the built-ins, plus "csv" once uploaded."""
    return task_names() + (["csv"] if CSV_TASK in st.session_state else [])


def current_task() -> str:
    return st.session_state.get(CURRENT_TASK, DEFAULT_TASK)


def set_current_task(name: str) -> None:
    st.session_state[CURRENT_TASK] = name


def session_model(task_name: str) -> SessionModel:
    """The session's model for a task, starting from the task's default model. The first
    session to need a default trains it, with a progress bar."""
    models: dict[str, SessionModel] = st.session_state.setdefault(MODELS, {})
    if task_name not in models and task_name == "csv":  # the user's data: not trained yet
        built = get_task("csv")
        model = RNNModel.create(
            built.default_config.model_config(built.data), np.random.default_rng(0)
        )
        models["csv"] = SessionModel("csv", model, built.default_config, "trained here", 0, {})
    if task_name not in models:
        store = default_models()
        if store.ready(task_name):
            trained = store.get(task_name)
        else:
            title = get_task(task_name).title
            text = f"Training the default model for *{title}* (once per server)…"
            bar = st.progress(0.0, text=text)
            trained = store.get(task_name, progress=lambda f: bar.progress(f, text=text))
            bar.empty()
        models[task_name] = trained.session_copy()
    return models[task_name]


def replace_session_model(model: SessionModel) -> None:
    """Make ``model`` the session's model for its task (after training or an upload)."""
    st.session_state.setdefault(MODELS, {})[model.task_name] = model


def publish_run(task_name: str, run) -> SessionModel:
    """Make a training run's (live) model the session's model for its task, so Explore and
    the sidebar show it: origin "trained here", with the run's steps and latest scores."""
    models: dict[str, SessionModel] = st.session_state.setdefault(MODELS, {})
    sm = models.get(task_name)
    if sm is None or sm.model is not run.model:
        sm = SessionModel(task_name, run.model, run.config, "trained here", 0, {})
        models[task_name] = sm
    sm.config, sm.steps, sm.version = run.config, run.steps, run.version
    sm.scores = run.log.latest_eval()
    return sm
