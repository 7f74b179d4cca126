"""The Gradient lab's drawings of training runs: an experiment's runs side by side (progress,
curves, the gradient reaching each step with its verdict) and one run's gradient over
training. The arrays come from the runs' views (TrainingRun.view); the figures from
ui/views/charts_lab.py, the words from ui/views/lab_verdicts.py.
"""

from __future__ import annotations

from collections.abc import Mapping

import streamlit as st

from ui.glue.layout import how_to_read
from ui.services.run import RunView
from ui.views import charts_lab
from ui.views.lab_curves import flow_row, for_log_colour
from ui.views.lab_verdicts import progress_line, run_flow_line


def draw_experiment(views: Mapping[str, RunView], classify: bool) -> None:
    """Synchronised curves of every run, then the gradient reaching each step of each run's
    last batch, with its verdict. ``classify``: the task's output is classes (accuracy)."""
    done, line = progress_line(views)
    st.progress(done, text=line)
    for name, v in views.items():
        if v.state == "diverged":
            st.error(f"{name} diverged: {v.reason}.")
    figs = charts_lab.run_overlays(views, classify)
    for col, name in zip(st.columns(2), ("test", "grad"), strict=True):
        col.plotly_chart(figs[name], key=f"overlay_{name}", width="stretch")
    last = {
        n: flow_row(v.dh, v.dh_steps, v.state == "diverged") for n, v in views.items() if len(v.dh)
    }
    if last:
        st.plotly_chart(
            charts_lab.gradient_flow(
                None,
                runs={n: norms for n, (norms, _) in last.items()},
                title="Gradient reaching each step, last batch",
            ),
            key="flow_runs",
            width="stretch",
        )
        for n, (norms, step) in last.items():
            st.markdown(run_flow_line(n, norms, step, views[n].state == "diverged"))


def draw_flow_over_training(view: RunView, key: str = "flow_training") -> None:
    """One run's gradient through time at every kept training step, as a heat map (nothing
    before its first row)."""
    if len(view.dh):
        st.plotly_chart(
            charts_lab.flow_over_training(view.dh_steps, for_log_colour(view.dh)),
            key=key,
            width="stretch",
        )
        how_to_read(
            "Each row is one training step, each column a timestep of the batch; colour is "
            "log₁₀ ‖∂L/∂h_t‖. The loss is read at the right edge; moving left is going back "
            "in time. A dark left side is vanishing: the early steps get no learning signal. "
            "A bright band that spreads is an explosion."
        )
