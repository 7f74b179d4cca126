"""Widgets shared by pages, bound to the URL (ARCHITECTURE.md §3) and checked on the way in.

A bound widget ignores a URL value it cannot take (Streamlit drops it); these helpers look at
the URL first so the page can say that it fell back to the default, without echoing the
value itself.
"""

from __future__ import annotations

import streamlit as st

from ui.models import task, task_names
from ui.state import current_task, set_current_task


def task_picker(key: str = "task", on_change=None) -> str:
    """A select box of the built-in tasks (URL key ``task``); sets the session's current task.

    The options are the task names themselves: a bound widget's URL value is its displayed
    option, and links say ``task=sentiment``."""
    names = task_names()
    asked = st.query_params.get(key)
    if asked is not None and asked not in names:
        st.info(
            f"The link asked for a task this app does not have; showing "
            f"*{task(names[0]).title}* instead. Tasks: {', '.join(names)}."
        )
    name = st.selectbox(
        "Task",
        names,
        index=0,
        key=key,
        bind="query-params",
        on_change=on_change,
        help="Which built-in task the network was trained on. Each task has its own model.",
    )
    if name != current_task():
        set_current_task(name)
    return name
