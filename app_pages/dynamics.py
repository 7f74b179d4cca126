"""Dynamics lab: how the trained network computes its answer, shown on the live model.

Top to bottom: the task, the sentence (Explore's, carried and in the link) and the model, then
three views, each drawn by its own glue module:
1 · fixed and slow points on the state-space map, with their eigenvalues
(ui/glue/dynamics_points.py); 2 · where the gradient reaching each step comes from, split by
the output step that sent it (RNNbow; ui/glue/dynamics_rnnbow.py); 3 · memory: how far back
the gates experiment's three models remember beside how far back their gradient reaches, and
the time constants of the gates (ui/glue/dynamics_memory.py).
"""

from __future__ import annotations

import streamlit as st

from ui.glue import dynamics_memory, dynamics_points, dynamics_rnnbow
from ui.glue.controls import sentence_input, task_picker
from ui.glue.layout import fit_narrow_screens
from ui.glue.sidebar import model_summary
from ui.glue.state import carry, get_task, seed, session_model, widget_value

fit_narrow_screens()  # projectors: the sidebar folds, narrow chart rows stack
st.title("Dynamics lab")
st.caption(
    "How does a trained network get its answer? Where its state barely moves (fixed and slow "
    "points, Sussillo & Barak 2013), which outputs its gradient comes from (RNNbow, Cashman "
    "et al. 2018), and how far back it remembers. Measured on your model, as it is now."
)


def on_task_change() -> None:
    """A new task starts from its own example sentence (as on Explore)."""
    seed("sentence", get_task(widget_value("task")).example or "", overwrite=True)


task_notes = st.container()  # the task picker's notes, full width
top = st.columns([3, 8])
with top[0]:
    task_name = task_picker(on_change=on_task_change, notes=task_notes)
built = get_task(task_name)
if built.encoder is not None:  # the sentence the map draws and RNNbow splits, in the link
    carry("sentence", built.example or "")  # the same sentence as on Explore and Train
    with top[1]:
        sentence_input(
            "Sentence",
            "Its path is drawn on the map of section 1; for a language model, section 2 "
            "splits its gradient. The same sentence as on Explore.",
            placeholder="Type a sentence and press Enter",
        )
sm = session_model(task_name)
share = model_summary(sm, built)

st.subheader("1 · Fixed and slow points")
dynamics_points.points_section(built, sm)

st.subheader("2 · Where the gradient comes from")
dynamics_rnnbow.rnnbow_section(built, sm)

st.subheader("3 · How far back it remembers")
dynamics_memory.memory_section(built, sm)

share.refresh()  # last: every widget above has put its value in the URL
