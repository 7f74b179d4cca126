"""The Train page's charts on screen: two to a row (:func:`place`), and the slower panel —
accuracy, the W_hh spectrum, the per-parameter gradients and the probe sentence replayed at
a snapshot of training (:func:`details_panel`); for a language model, its headline and what
it writes at each snapshot (``ui.glue.train_samples``). The figures come from
``ui.views.train_figures``."""

from __future__ import annotations

import streamlit as st

from rnn_core.tasks import Task
from ui.glue import state
from ui.glue.charts import show_chart
from ui.glue.train_samples import headline, samples_list
from ui.services.run import RunView
from ui.services.samples import is_language_model
from ui.views.baseline_words import baseline_words
from ui.views.inputs import Reading
from ui.views.train_figures import detail_figures, pick_snapshot

FOLLOW = "snapshot_follow"  # widget key: the replay follows the newest snapshot
REPLAY = "snapshot"  # widget key: the step of the snapshot the replay shows


def place(figs: dict, names: list[str]):
    """Charts ``names`` two to a row; returns the last row's columns."""
    cols = st.columns(2)
    for j, name in enumerate(names):
        if j and j % 2 == 0:
            cols = st.columns(2)
        show_chart(figs[name], key=name, container=cols[j % 2])
    return cols


def details_panel(view: RunView, built: Task, probe: Reading) -> None:
    """The slower charts (accuracy, the W_hh spectrum, per-parameter gradients, the probe
    over training and its hidden state at a snapshot): a redraw costs the browser its own
    drawing per chart, so these follow the run about once a second while the loss and the
    gradient norm follow every frame.

    A language model leads with its test loss and perplexity against the target, and its
    replay row lists what it writes at each snapshot (gibberish, then words) before the
    slower charts."""
    if not len(view.columns["step"]):
        return
    writes = is_language_model(built)
    snaps = view.snapshots
    # the replay follows the newest snapshot unless the user turns "follow" off and picks one
    # (a flag of its own: the slider's options grow at every redraw, so its own events are
    # not a reliable sign that the user moved it)
    follow = state.widget_value(FOLLOW, True)
    snap = pick_snapshot(snaps, follow, None if follow else state.widget_value(REPLAY))
    figs = detail_figures(view, built, probe, snap)
    charts = [n for n in ("accuracy", "spectrum", "param_grads") if n in figs]
    if "accuracy" in figs and built.baseline is not None:  # the question to ask first
        tests = view.evals["test_acc"]
        latest = float(tests[-1]) if len(tests) else None
        n_eval = min(len(built.data.test), view.config.eval_size)
        st.markdown(baseline_words(built.baseline.test_acc, latest, n_eval, built.test_split))
    if writes:
        headline(view, built)
        slider_col, toggle_col = st.columns(2, vertical_alignment="bottom")
        _replay(snaps, snap, follow, slider_col, toggle_col, "and what the model wrote ")
        samples_list(view, built, view.prime, snap)
        place(figs, charts)
    else:
        last_row = place(figs, charts)
        # the replay goes beside the last chart, or starts a row of its own
        right_col = last_row[1] if len(charts) % 2 else st.columns(2)[0]
        _replay(snaps, snap, follow, right_col, right_col)
        if "probe" in figs:
            show_chart(figs["probe"], key="probe", container=right_col)
    show_chart(figs["probe_hidden_state"], key="snapshot_heatmap")


def _replay(snaps, snap, follow: bool, slider_box, toggle_box, also: str = "") -> None:
    """The snapshot slider (disabled while it follows the newest) and the follow toggle."""
    if len(snaps) <= 1:
        return
    state.seed(REPLAY, snap.step, overwrite=True)  # before the widget is drawn
    slider_box.select_slider(
        "Replay the probe at training step",
        [s.step for s in snaps],
        key=REPLAY,
        format_func=lambda s: f"{s:,}",
        disabled=follow,
    )
    toggle_box.toggle(
        "Follow the newest snapshot",
        value=True,
        key=FOLLOW,
        help=f"Turn off to replay the probe's hidden state {also}at an earlier step.",
    )
