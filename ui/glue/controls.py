"""Widgets shared by pages, bound to the URL and checked on the way in; drawn from the
settings table (``ui/services/settings.py``).

A bound widget ignores a URL value it cannot take (Streamlit drops it); these helpers look at
the URL first so the page can say that it fell back to the default, without echoing the
value itself.
"""

from __future__ import annotations

import contextlib

import streamlit as st
from streamlit.errors import StreamlitAPIException

from ui.glue import exercise, state
from ui.services.settings import (
    BY_KEY,
    COMPARE_KEYS,
    SETTINGS,
    Setting,
    widget_values,
)

LOST_CSV = (
    "Your uploaded CSV is not on this server any more (it restarted, or you were moved to "
    "another one): upload it again on the Train page. Showing *{title}* meanwhile."
)


def valid_task(key: str = "task") -> str:
    """The task widget ``key``'s value if this session can show it, else the session's
    current (or default) task. Callbacks read the task through this: after a reconnect the
    browser resends a value (``csv``) to a new session that has no such task."""
    name = state.widget_value(key)
    return name if name in state.available_tasks() else state.current_task()


def task_picker(key: str = "task", on_change=None, notes=None) -> str:
    """A select box of the tasks (URL key ``task``); sets the session's current task.

    The options are the task names themselves: a bound widget's URL value is its displayed
    option, and links say ``task=sentiment``. A value this session cannot show (a link's
    unknown task, or ``csv`` resent after a reconnect) falls back with a note, drawn in
    ``notes`` (a container; by default where the picker is)."""
    notes = notes if notes is not None else st
    names = state.available_tasks()
    asked = st.query_params.get(key)
    held = state.widget_value(key)
    if held is not None and held not in names:  # resent by the browser after a reconnect
        fallback = state.current_task() if state.current_task() in names else names[0]
        state.seed(key, fallback, overwrite=True)
        state.set_current_task(fallback)
        if held == "csv":
            notes.info(LOST_CSV.format(title=state.get_task(fallback).title))
        with contextlib.suppress(KeyError, StreamlitAPIException):
            del st.query_params[key]
        asked = None
    if asked is not None and asked not in names:
        if asked == "csv":
            notes.info(LOST_CSV.format(title=state.get_task(names[0]).title))
        else:
            notes.info(
                f"The link asked for a task this app does not have; showing "
                f"*{state.get_task(names[0]).title}* instead. Tasks: {', '.join(names)}."
            )
    state.carry(key, state.current_task())  # pages agree on the task
    exercise.notes(notes)
    name = exercise.lockable(
        key,
        lambda label, **kw: st.selectbox(
            label, names, index=0, key=key, bind="query-params", on_change=on_change, **kw
        ),
        "Task",
        "Which built-in task the network was trained on. Each task has its own model.",
        lambda raw: raw if raw in names else None,
    )
    if name not in names:  # a pinned task this session no longer has (a lost upload)
        name = names[0]
    if name != state.current_task():
        state.set_current_task(name)
    return name


def sentence_input(label: str, help: str | None = None, where=st, **extra) -> str:
    """The sentence box (URL key ``sentence``; the caller carries its value across pages),
    locked or hidden as an exercise link asks."""
    return exercise.lockable(
        "sentence",
        lambda label, **kw: where.text_input(label, key="sentence", bind="query-params", **kw),
        label,
        help,
        lambda raw: raw,
        **extra,
    )


def url_bind(key: str, usable) -> dict:
    """The ``bind`` argument of a URL-bound number input: ``bind="query-params"``, unless the
    link's value for ``key`` fails ``usable(raw)``. Then the widget is left unbound on this
    run (it shows its session-state value) and the value is taken out of the URL: Streamlit
    1.67 does not just ignore every unusable value itself, an integer number input raises
    OverflowError on ``?hidden=inf`` or ``?seed=1e999``."""
    raw = st.query_params.get(key)
    if raw is None or usable(raw):
        return {"bind": "query-params"}
    with contextlib.suppress(KeyError, StreamlitAPIException):  # bound: Streamlit drops it
        del st.query_params[key]
    return {}


# ----------------------------------------------------------------------------- training settings


def seed_widgets(
    config, overwrite: bool = False, limits=None, keys=None, prefix: str = ""
) -> list[str]:
    """Put a config's values into the training widgets' state (``prefix`` + key). Keys the
    URL sets are left to the URL unless ``overwrite`` (a task change, "recommended
    settings", a one-click fix) or the URL's value is unusable (out of range, not an
    option): then the config's value is used and a note names the key (never the value).
    Returns the unusable URL keys."""
    notes = []
    values = widget_values(config)
    for key in keys if keys is not None else [s.key for s in SETTINGS]:
        full = prefix + key
        raw = st.query_params.get(full)
        bad = raw is not None and limits is not None and not BY_KEY[key].url_ok(raw, limits)
        if bad:
            notes.append(full)
        state.seed(full, values[key], overwrite=overwrite or bad)
    return notes


def setting_widget(
    s: Setting, limits, where=st, prefix: str = "", label: str | None = None, **extra
):
    """Draw one setting's widget (URL-bound, keyed ``prefix + s.key``), locked or hidden as
    an exercise link asks (``ui/glue/exercise.py``); returns its value."""
    key = prefix + s.key

    def draw(label, **common):
        common = {"key": key, **common}
        if s.widget == "number":
            lo, hi = s.bounds(limits)
            bind = url_bind(key, lambda raw: s.url_ok(raw, limits))
            if s.number is float:
                return where.number_input(
                    label, min_value=float(lo), max_value=float(hi), format="%g", **bind,
                    **common,
                )  # fmt: skip
            return where.number_input(
                label, min_value=int(lo), max_value=int(hi), step=int(s.step or 1), **bind,
                **common,
            )  # fmt: skip
        bound = {"bind": "query-params"}
        if s.widget == "text":
            ok = url_bind(key, lambda raw: s.url_ok(raw, limits))
            return where.text_input(label, max_chars=int(s.bounds(limits)[1]), **ok, **common)
        if s.widget == "segmented":
            return where.segmented_control(label, s.options, **bound, **common)
        if s.widget == "select":
            return where.selectbox(label, s.options, **bound, **common)
        return where.select_slider(label, s.options, **bound, **common)

    return exercise.lockable(
        key, draw, label or s.label, s.help or None, lambda raw: s.from_url(raw, limits), **extra
    )


def train_settings(task_obj, limits) -> dict:
    """The training widgets (URL-bound), grouped; returns their values keyed like the table
    (None where a widget is not drawn or empty: the caller falls back to the task's)."""
    dense = task_obj.encoder is None
    v = {}

    def draw(key, where=st, **extra):
        v[key] = setting_widget(BY_KEY[key], limits, where, **extra)

    st.markdown("**Network**")
    draw("cell")
    draw("activation", disabled=v["cell"] != "rnn")
    c1, c2 = st.columns(2)
    draw("hidden", c1)
    draw("layers", c2)
    draw("input", disabled=dense)
    if v["input"] == "embedding" and not dense:
        draw("embed_size")
    else:
        v["embed_size"] = state.widget_value("embed_size")
    c1, c2 = st.columns(2)
    draw("init", c1)
    draw("init_scale", c2)
    st.markdown("**Optimisation** — these apply from the next step, even mid-run")
    c1, c2 = st.columns(2)
    draw("optimizer", c1)
    draw("batch", c2)
    draw("lr")
    draw("clip")
    clip_label = "Per-element limit (experiment)" if v["clip"] == "value" else None
    draw("clip_value", label=clip_label, disabled=v["clip"] == "none")
    c1, c2 = st.columns(2)
    draw("truncate", c1)
    draw("steps", c2)
    draw("seed")
    return v


# ----------------------------------------------------------------------------- compare (A / B)


def compare_settings(side: str, limits) -> dict:
    """The settings that most often differ between two runs (the table's ``compare`` rows),
    keyed ``a_<key>`` / ``b_<key>`` in the URL; returns {key: value} without the prefix."""
    prefix = f"{side}_"
    v = {}
    for row in compare_rows():
        cols = st.columns(len(row))
        for col, key in zip(cols, row, strict=True):
            v[key] = setting_widget(BY_KEY[key], limits, col, prefix=prefix)
    return v


def compare_rows() -> list[tuple[str, ...]]:
    """COMPARE_KEYS in rows of two, but a row to itself for each segmented control: in half
    of one side (≈ 180 px at 1024 px) its last option was cut off (issue 18)."""
    rows: list[tuple[str, ...]] = []
    pending: list[str] = []
    for key in COMPARE_KEYS:
        if BY_KEY[key].widget == "segmented":
            rows.append((key,))
            continue
        pending.append(key)
        if len(pending) == 2:
            rows.append(tuple(pending))
            pending = []
    if pending:
        rows.append(tuple(pending))
    return rows


def seed_compare(side: str, config, limits, overwrite: bool = False) -> list[str]:
    """Like :func:`seed_widgets` for one side of the comparison."""
    return seed_widgets(config, overwrite, limits, keys=COMPARE_KEYS, prefix=f"{side}_")


HIDDEN_STYLE = "<style>[class*='st-key-hidden_'] { display: none; }</style>"


def hidden_number(key: str, label: str, value: int) -> None:
    """A number the page hands to the browser without showing it: the browser holds it and
    sends it back with its next request (a click, or a reconnect to a new session). Drawn in
    a container keyed ``hidden_<key>``, which :data:`HIDDEN_STYLE` hides; the page draws
    that style once."""
    state.seed(key, value, overwrite=True)  # before the widget is drawn
    with st.container(key=f"hidden_{key}"):
        st.number_input(label, step=1, key=key, label_visibility="collapsed")


# ----------------------------------------------------------------------------- keyboard

KEYS = {  # the keyboard shortcuts of the main actions (README "In a workshop")
    "start_pause": "P",
    "step": "S",
    "reset": "Shift+X",
    "previous": "B",
    "next": "N",
}


def _move(key: str, delta: int, lo: int, hi: int) -> None:
    now = state.widget_value(key)
    now = hi if now is None else int(now)
    state.seed(key, min(max(now + delta, lo), hi), overwrite=True)


def step_buttons(key: str, lo: int, hi: int) -> None:
    """ "◀ Previous" and "Next ▶" for the step slider ``key`` (lo…hi), with keyboard
    shortcuts (:data:`KEYS`): a learner walks through a sentence without the mouse."""
    back, ahead = st.columns(2)
    now = state.widget_value(key)
    now = hi if now is None else int(now)
    back.button(
        "◀ Previous step",
        key=f"{key}_previous",
        shortcut=KEYS["previous"],
        disabled=now <= lo,
        on_click=_move,
        args=(key, -1, lo, hi),
        width="stretch",
    )
    ahead.button(
        "Next step ▶",
        key=f"{key}_next",
        shortcut=KEYS["next"],
        disabled=now >= hi,
        on_click=_move,
        args=(key, 1, lo, hi),
        width="stretch",
    )
