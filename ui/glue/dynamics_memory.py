"""The Dynamics lab's section 3, "How far back it remembers": the gates experiment's tanh RNN,
GRU and LSTM (trained once per server, with weight snapshots) — how far back each solves the
adding task beside how far back its gradient reaches, on one lag axis — and the time
constants of the gated ones' keep gates over training. The session's own model joins the
memory chart when the page's task is adding (or gets a chart of its own on copy).

One call from app_pages/dynamics.py (:func:`memory_section`). Numbers from
``ui.services.memory_lab``, figures from ``ui.views.charts_memory``, words from
``ui.views.memory_words``. The one control, whose gates' τ to show, is the row of
``memory_lab.MEMORY_SETTINGS``, bound to the URL (``mem_tau``).
"""

from __future__ import annotations

import streamlit as st

from rnn_core.tasks import Task
from ui.glue import state
from ui.glue.charts import show_chart
from ui.glue.controls import setting_widget
from ui.glue.layout import how_to_read
from ui.glue.models import SessionModel
from ui.services import memory_lab as M
from ui.services.limits import Limits
from ui.views import charts_memory as V
from ui.views import memory_words as W
from ui.views.explore_text import unusable_links

LIMITS = Limits()  # the row's options are fixed; no limit applies
YOURS = "your model"


@st.cache_resource(show_spinner=False)
def trio_store() -> M.TrioStore:
    """The process's one store of the gates experiment's trained models."""
    return M.TrioStore()


def gates_trio() -> M.GatesTrio:
    """The three trained models and their measures; the first visitor waits with a bar."""
    store = trio_store()
    steps, every = M.STEPS, M.SNAPSHOT_EVERY  # module values: a test may shrink them
    if store.ready(steps, every):
        return store.get(steps, every)
    text = (
        f"Training the gates experiment's tanh RNN, GRU and LSTM ({steps} steps each, on the "
        "adding task) — once per server, a few seconds…"
    )
    bar = st.progress(0.0, text=text)
    trio = store.get(steps, every, progress=lambda f: bar.progress(min(f, 1.0), text=text))
    bar.empty()
    return trio


def _your_measure(task: Task, sm: SessionModel) -> M.MemoryMeasure | None:
    if sm.task_name not in ("adding", "copy") or task.name != sm.task_name:
        return None
    return sm.cached("memory_measure", lambda: M.measure_memory(YOURS, sm.model, sm.task_name))


def memory_section(built: Task, sm: SessionModel) -> None:
    st.caption(
        "The gradient lab's **Gates help** experiment — a tanh RNN, a GRU and an LSTM trained "
        "side by side on the adding task at lag 50 — tested at other lags. Can a network "
        "remember further back than its gradient reaches?"
    )
    trio = gates_trio()
    measures = [trio.measures[n] for n in M.NAMES]
    yours = _your_measure(built, sm)
    if yours is not None and yours.curve.task == "adding":
        measures.append(yours)
        st.caption(
            "Your model (the page's task is adding) is on the chart too, in black, "
            f"as it is now ({sm.steps} training steps)."
        )
    fig = V.memory_chart(measures, title="Memory and gradient, against the lag")
    show_chart(fig, key="memory_chart")
    st.markdown(W.headline(measures, M.TRAIN_LAG))
    st.markdown("\n".join(f"- {W.memory_sentence(m)}" for m in measures))
    how_to_read(W.MEMORY_NOTE)
    if yours is not None and yours.curve.task == "copy":
        chance = 1 / (sm.model.config.input_size - 4)
        fig = V.memory_chart(
            [yours],
            title="Your copy model: recall against lag, beside its gradient",
            chance=chance,
        )
        show_chart(fig, key="memory_chart_copy")
        st.markdown(f"- {W.memory_sentence(yours, chance)}")
        st.caption(
            "Copy: the gradient is followed back from the first recall step (the step that "
            "writes the first symbol) to the step that read it."
        )
    _time_constants(trio)


def _prepare(row) -> None:
    """The control's default before it is drawn; a link's value it cannot show falls back,
    with a note that never echoes it."""
    raw = st.query_params.get(row.key)
    bad = raw is not None and not row.url_ok(raw, LIMITS)
    state.seed(row.key, M.DEFAULT_TAU_MODEL, overwrite=bad)
    if bad:
        st.info(unusable_links([row.key]))


def _time_constants(trio: M.GatesTrio) -> None:
    st.markdown("**Time constants of the gates**")
    row = M.MEMORY_BY_KEY["mem_tau"]
    _prepare(row)
    with st.columns([3, 5])[0]:
        name = setting_widget(row, LIMITS, required=True) or M.DEFAULT_TAU_MODEL
    hist = trio.taus[name]
    st.markdown(W.tau_sentence(name, hist.gate, hist.steps, hist.taus))
    left, right = st.columns(2)
    show_chart(V.tau_histogram(name, hist.steps, hist.taus), key="tau_histogram", container=left)
    show_chart(V.tau_heatmap(name, hist.steps, hist.taus), key="tau_heatmap", container=right)
    st.caption(
        "The tanh RNN has no gate: its state is rewritten through tanh at every step, so it "
        "has no time constant to show."
    )
    how_to_read(W.TAU_NOTE)
