"""Session-state keys and the session's models (one per task, each the session's own copy).

    st.session_state["models"]        task name -> SessionModel: every task the user has
                                      visited keeps its model, so switching tasks loses nothing
    st.session_state["current_task"]  the task the pages show; widgets keyed "task" set it

A session starts with each task's default model (trained once per server; see ui.models)
and owns its copy: training here or uploading replaces the session's copy only.
"""

from __future__ import annotations

import streamlit as st

from ui.models import SessionModel, default_models, task

MODELS = "models"
CURRENT_TASK = "current_task"
DEFAULT_TASK = "sentiment"


def current_task() -> str:
    return st.session_state.get(CURRENT_TASK, DEFAULT_TASK)


def set_current_task(name: str) -> None:
    st.session_state[CURRENT_TASK] = name


def session_model(task_name: str) -> SessionModel:
    """The session's model for a task, starting from the task's default model. The first
    session to need a default trains it, with a progress bar."""
    models: dict[str, SessionModel] = st.session_state.setdefault(MODELS, {})
    if task_name not in models:
        store = default_models()
        if store.ready(task_name):
            trained = store.get(task_name)
        else:
            title = task(task_name).title
            text = f"Training the default model for *{title}* (once per server)…"
            bar = st.progress(0.0, text=text)
            trained = store.get(task_name, progress=lambda f: bar.progress(f, text=text))
            bar.empty()
        models[task_name] = trained.session_copy()
    return models[task_name]


def replace_session_model(model: SessionModel) -> None:
    """Make ``model`` the session's model for its task (after training or an upload)."""
    st.session_state.setdefault(MODELS, {})[model.task_name] = model
