"""The Gradient lab's drawings of training runs: an experiment's runs side by side (progress,
the learner's prediction judged, curves, the gradient reaching each step with its verdict)
and one run's gradient over training. The frame comes from ui/views/lab_frame.py (built from
the runs' views, TrainingRun.view), the judgement from ui/views/lab_predict.py; this module
places them.
"""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from ui.glue.charts import show_chart
from ui.glue.layout import how_to_read
from ui.services.run import RunView
from ui.views.lab_frame import ExperimentFrame, flow_over_training
from ui.views.lab_predict import Feedback

# a prediction's judgement, drawn by its kind. Its mark (✅ ❌ ❔) is drawn as a Material
# icon, which Streamlit ships: a machine without an emoji font shows the emoji as a box
JUDGED = {
    "right": (st.success, ":material/check_circle:"),
    "wrong": (st.warning, ":material/cancel:"),
    "open": (st.info, ":material/help:"),
}


def draw_experiment(frame: ExperimentFrame, feedback: Feedback | None = None) -> None:
    """The progress, the prediction's judgement (``feedback``, ui.views.lab_predict.judge;
    nothing without a prediction), synchronised curves of every run, then the gradient
    reaching each step of each run's last batch, with its verdict; then the chosen run's
    gradient over training."""
    st.progress(frame.progress, text=frame.progress_text)
    if feedback is not None and feedback.kind == "pending":
        st.caption(f":material/hourglass_top: {feedback.body}")
    elif feedback is not None and feedback.kind:
        alert, icon = JUDGED[feedback.kind]
        alert(feedback.body, icon=icon)
    for name, reason in frame.diverged.items():
        st.error(f"{name} diverged: {reason}.")
    for col, (name, fig) in zip(st.columns(2), frame.overlays.items(), strict=True):
        show_chart(fig, key=f"overlay_{name}", container=col)
    if frame.flow_runs is not None:
        show_chart(frame.flow_runs, key="flow_runs")
        for line in frame.flow_lines:
            st.markdown(line)
    place_flow_over_training(frame.flow_training)


def draw_flow_over_training(view: RunView, key: str = "flow_training") -> None:
    """One run's gradient through time at every kept training step, as a heat map (nothing
    before its first row)."""
    place_flow_over_training(flow_over_training(view), key)


def place_flow_over_training(fig: go.Figure | None, key: str = "flow_training") -> None:
    if fig is not None:
        show_chart(fig, key=key)
        how_to_read(
            "Each row is one training step, each column a timestep of the batch; colour is "
            "log₁₀ ‖∂L/∂h_t‖. The loss is read at the right edge; moving left is going back "
            "in time. A dark left side is vanishing: the early steps get no learning signal. "
            "A bright band that spreads is an explosion."
        )
