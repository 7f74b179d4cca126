"""The Dynamics lab's section 1, fixed and slow points: where the state stands still (or
barely moves) under a constant input, on Explore's state map, their eigenvalues, and what it
means in words.

One call from app_pages/dynamics.py (:func:`points_section`). The controls are the rows of
``ui.services.fixed_points.POINTS_SETTINGS`` (URL keys ``fp_input``, ``fp_kind``,
``fp_eigen``), drawn by ``controls.setting_widget``; the search is
``ui.services.fixed_points.find_points``, cached per model version and controls
(``SessionModel.cached``); the figures and words come from ``ui.views.fixed_points``.
"""

from __future__ import annotations

import streamlit as st

from rnn_core.tasks import Task
from ui.glue import state
from ui.glue.charts import show_chart
from ui.glue.controls import setting_widget
from ui.glue.layout import how_to_read
from ui.glue.models import SessionModel
from ui.services.fixed_points import (
    ALL,
    POINTS_BY_KEY,
    Search,
    defaults,
    eigen_row,
    find_points,
    input_row,
    read_search,
)
from ui.services.limits import Limits
from ui.services.settings import Setting, url_number_ok
from ui.views import analysis, explore_text
from ui.views import fixed_points as V
from ui.views.inputs import read_example, read_text

LIMITS = Limits()  # the rows' bounds are their own; no row reads a limit

INTRO = (
    "Hold the input constant and let the network step on its own: where does its state stop "
    "moving? The app searches from states the network really visits (Sussillo & Barak "
    "2013) and draws what it finds on Explore's map of the state space."
)


def _prepare(rows: list[Setting]) -> None:
    """Give each control its default before it is drawn; a link's value it cannot show, or a
    value kept from another model or task, falls back to the default, with a note for the
    link's (never echoing it)."""
    base = defaults()
    bad = []
    for row in rows:
        raw = st.query_params.get(row.key)
        held = state.widget_value(row.key)
        stale = held is not None and held not in row.options
        # the link's value, unless it is this session's own stale choice the browser put there
        # (point 40 of the slow points, then "fixed points" found 1): that goes without a note
        unusable = raw is not None and not row.url_ok(raw, LIMITS) and raw != held
        if unusable:
            bad.append(row.key)
        if stale and not unusable:
            state.forget(row.key)
        state.seed(row.key, base[row.key], overwrite=unusable or stale)
    if bad:
        st.info(explore_text.unusable_links(bad))


def _reading(task: Task):
    """Explore's current input: the session's sentence (or the link's), else the task's
    example (also when the task knows none of its words: a sentence for another task); for
    numeric tasks Explore's test sequence."""
    if task.encoder is None:
        raw = state.held_value("example")
        ok = raw is not None and url_number_ok(str(raw), int, 0, len(task.data.test) - 1)
        return read_example(task, int(float(raw)) if ok else 0)
    text = state.held_value("sentence")
    reading = read_text(task, text if isinstance(text, str) else None)
    if reading.empty or reading.all_unknown:  # none, or another task's (the task changed here)
        reading = read_text(task, task.example or "")
    return reading


def _points(task: Task, sm: SessionModel, search: Search):
    """The points for these controls, once per model version (a progress bar meanwhile)."""

    def make():
        bar = st.progress(0.0, text="Searching for fixed points…")
        try:
            return find_points(
                sm.model,
                task,
                search,
                V.input_id(task, search.input),
                progress=lambda f: bar.progress(
                    min(f, 1.0), text=f"Searching for fixed points… {f:.0%} of the starts"
                ),
            )
        finally:
            bar.empty()

    return sm.cached(f"fixed_points:{search.input}:{search.kind}", make)


def points_section(built: Task, sm: SessionModel) -> None:
    """The section: controls, the verdict, the map with the points and their eigenvalues."""
    model = sm.model
    if model.config.num_layers != 1:
        st.info(V.no_layers_note(model.config.num_layers))
        return
    st.caption(INTRO)
    options = V.input_options(built)
    rows = [input_row(options), POINTS_BY_KEY["fp_kind"]]
    _prepare(rows)
    values = {}
    cols = st.columns(2)
    values["fp_input"] = setting_widget(
        rows[0],
        LIMITS,
        cols[0],
        disabled=len(options) == 1,
        label=None if len(options) > 1 else "Constant input (this task reads numbers: none)",
    )
    values["fp_kind"] = setting_widget(rows[1], LIMITS, cols[1], required=True)
    search = read_search(values)
    if search.input not in options:
        search = Search(kind=search.kind)
    points = _points(built, sm, search)
    numbers = V.line_numbers(points, model)
    with st.container(border=True):
        st.markdown(V.verdict(numbers))
        st.caption(
            f"Searched in {points.seconds:.2f} s of server time from {points.searched} of "
            f"{points.starts} states along the test sequences; kept for this model until it "
            "changes."
        )
        how_to_read(V.VERDICT_NOTE)
    map_box = st.container()  # the map, full width: filled once the eigenvalue choice is read

    reading = _reading(built)
    trace = model.trace(reading.seq)
    state_map = sm.cached("state_map", lambda: analysis.fit_state_map(model, built))
    row = eigen_row(len(points))
    left, right = st.columns(2, gap="large")
    with left:  # the choice first: the map above rings the chosen point
        _prepare([row])
        chosen_label = setting_widget(row, LIMITS, disabled=len(points) == 0)
        chosen = None if chosen_label in (None, ALL) else int(chosen_label) - 1
    fig = V.points_map(model, built, state_map, trace, reading.tokens, points, chosen)
    with map_box:
        show_chart(fig, key="fp_map")
        st.caption(
            "The path is the sentence above (Explore's too; for a task of numbers, Explore's "
            f"test sequence). Constant input here: {V.label_input(search.input)}."
        )
        how_to_read(V.MAP_NOTE)
    with left:
        xy = state_map.pca.transform(points.points[:, : model.config.hidden_size])
        show_chart(V.points_eigenvalues(points, xy[:, 0], chosen), key="fp_eigen_chart")
        how_to_read(V.EIGEN_NOTE)
    with right:
        if len(points):
            st.markdown("**The points, slowest first**")
            st.table(V.points_table(points), hide_index=True)
