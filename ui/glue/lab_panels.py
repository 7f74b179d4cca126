"""The Gradient lab's drawings of training runs: an experiment's runs side by side (progress,
curves, the gradient reaching each step with its verdict) and one run's gradient over
training. The frame comes from ui/views/lab_frame.py (built from the runs' views,
TrainingRun.view); this module places it.
"""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from ui.glue.charts import show_chart
from ui.glue.layout import how_to_read
from ui.services.run import RunView
from ui.views.lab_frame import ExperimentFrame, flow_over_training


def draw_experiment(frame: ExperimentFrame) -> None:
    """Synchronised curves of every run, then the gradient reaching each step of each run's
    last batch, with its verdict; then the chosen run's gradient over training."""
    st.progress(frame.progress, text=frame.progress_text)
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
