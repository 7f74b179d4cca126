"""One frame of a gradient-lab experiment, ready to place: what the page redraws while its
runs train. Pure (no streamlit): the glue (``ui.glue.lab_panels``) places it, and
``benchmarks/lab.py`` builds the same frames to time the experiment as the page runs it.

    frame = experiment_frame(views, classify=False, chosen="GRU")
    frame.progress, frame.progress_text     # the progress bar
    frame.overlays["test"], frame.overlays["grad"]
    frame.flow_runs, frame.flow_lines        # the gradient reaching each step, in words too
    frame.flow_training                      # the chosen run's gradient over training
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import plotly.graph_objects as go

from ui.services.run import RunView
from ui.views import charts_lab
from ui.views.lab_curves import flow_row, for_log_colour
from ui.views.lab_verdicts import progress_line, run_flow_line

LIVE_OVERLAYS = ("test", "grad")  # the run overlays the lab draws, side by side
FLOW_RUNS_TITLE = "Gradient reaching each step, last batch"  # the runs' flow chart


@dataclass(frozen=True)
class ExperimentFrame:
    progress: float  # share of all the runs' steps taken, at most 1
    progress_text: str  # each run's steps and, unless running, its state
    diverged: dict[str, str]  # run -> the reason it diverged
    overlays: dict[str, go.Figure]  # LIVE_OVERLAYS, by name
    flow_runs: go.Figure | None  # every run's last readable ‖∂L/∂h_t‖ (None: no batch yet)
    flow_lines: list[str]  # one verdict line per run drawn in flow_runs
    flow_training: go.Figure | None  # the chosen run's rows over training (None: none yet)


def experiment_frame(views: Mapping[str, RunView], classify: bool, chosen: str) -> ExperimentFrame:
    """The frame for the runs' views (``TrainingRun.view``), ``chosen`` being the run to
    inspect; ``classify``: the task's output is classes (accuracy)."""
    done, line = progress_line(views)
    last = {
        n: flow_row(v.dh, v.dh_steps, v.state == "diverged") for n, v in views.items() if len(v.dh)
    }
    flow_runs = None
    if last:
        flow_runs = charts_lab.gradient_flow(
            None,
            runs={n: norms for n, (norms, _) in last.items()},
            title=FLOW_RUNS_TITLE,
        )
    return ExperimentFrame(
        progress=done,
        progress_text=line,
        diverged={n: str(v.reason) for n, v in views.items() if v.state == "diverged"},
        overlays=charts_lab.run_overlays(views, classify, only=LIVE_OVERLAYS),
        flow_runs=flow_runs,
        flow_lines=[
            run_flow_line(n, norms, step, views[n].state == "diverged")
            for n, (norms, step) in last.items()
        ],
        flow_training=flow_over_training(views[chosen]),
    )


def flow_over_training(view: RunView) -> go.Figure | None:
    """One run's gradient through time at every kept training step, as a heat map; None
    before its first row."""
    if not len(view.dh):
        return None
    return charts_lab.flow_over_training(view.dh_steps, for_log_colour(view.dh))
