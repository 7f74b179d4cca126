"""The Train page's figures of a run, by name, from a :class:`~ui.services.run.RunView`.

Pure (no streamlit): the page hands in a view of the run (copied under the run's lock), the
task and the probe sentence's reading, and draws what comes back; the export bundle saves
the same figures (:func:`figures`).

    fast_figures(view, task)                 -> loss, grad (every frame)
    detail_figures(view, task, probe, snap)  -> accuracy, spectrum, param_grads, probe,
                                                probe_hidden_state (about once a second)
    figures(view, task, probe, snap)         -> both: what the export bundle saves

Shapes, as a view holds them: every ``view.columns[name]`` is one (N,) series over the N
kept steps (``"rho<k>"``/``"sigma<k>"`` per layer k, ``"grad:<param>"`` per parameter);
every ``view.evals[name]`` is one (E,) series over the E evaluations; a snapshot's
``hs[-1]`` is the last layer's (T, H) hidden states over the probe's T steps and its
``outputs`` the (T, O) probabilities (classifiers) or values.
"""

from __future__ import annotations

import math

import numpy as np

from rnn_core.tasks import Task
from ui.services.run import RunView, Snapshot
from ui.views import charts_explore, charts_train
from ui.views.inputs import Reading

FAST = ("loss", "grad")  # the charts redrawn with every frame, in order
# the charts of the slower panel, in order (at most: "accuracy" is for classifiers, "probe" not
# for per-step classifiers)
DETAIL = ("accuracy", "spectrum", "param_grads", "probe", "probe_hidden_state")


def progress_bar(view: RunView) -> tuple[float, str]:
    """The progress bar's fill (0–1) and text: "step 1,200 of 2,000 · 850 steps/s · about
    1 s left" (the rate once known, the time left while running)."""
    rate = view.rate
    left = (view.budget - view.steps) / rate if rate and math.isfinite(rate) else math.nan
    text = f"step {view.steps:,} of {view.budget:,}"
    if math.isfinite(rate):
        text += f" · {rate:,.0f} steps/s"
    if math.isfinite(left) and view.state == "running":
        text += f" · about {left:,.0f} s left"
    return min(1.0, view.steps / max(view.budget, 1)), text


def fast_figures(view: RunView, task: Task) -> dict[str, object]:
    """The charts redrawn with every frame (:data:`FAST`), by name.

    "loss": the (N,) batch loss over ``view.columns["step"]`` with the (E,) train/test
    losses at the evaluations, on a log axis, the task's target and the settings events;
    "grad": the (N,) gradient norm with the clipped steps marked.

    Only these two follow every frame: each chart costs the browser its own redraw, and
    with four charts a frame headless Chromium on two cores was busy all the time at two
    frames a second (a CPU profile: 0.47 s of its main thread per frame)."""
    cols, evals = view.columns, view.evals
    steps = cols["step"]
    classifier = task.output_kind.startswith("class")
    ev = evals["step"] if len(evals["step"]) else None
    figs: dict[str, object] = {
        "loss": charts_train.mark_events(
            charts_train.loss_chart(
                steps,
                cols["loss"],
                ev,
                evals["train_loss"] if ev is not None else None,
                evals["test_loss"] if ev is not None else None,
                log_y=True,
                **(
                    {"y_title": "loss (nats, log scale)" if classifier else "MSE (log scale)"}
                    | charts_train.loss_target(
                        task.output_kind, task.goal.metric, task.goal.threshold
                    )
                ),
            ),
            view.events,
        )
    }
    figs["grad"] = charts_train.mark_events(
        charts_train.grad_norm_chart(
            steps,
            cols["grad_norm"],
            cols["clipped"] > 0,
            threshold=view.config.clip_value if view.config.clip != "none" else None,
            clip_mode=view.config.clip,
        ),
        view.events,
    )
    return figs


def detail_figures(view: RunView, task: Task, probe: Reading, snap: Snapshot) -> dict[str, object]:
    """The slower charts, by name (a subset of :data:`DETAIL`, in its order).

    "accuracy" (classifiers whose goal is not a loss): the batch accuracy and the train/test
    accuracy at the evaluations, as "loss" of :func:`fast_figures`, with the task's
    bag-of-words test accuracy as a flat line (token classifiers); "spectrum": the
    (N, layers) spectral radius and largest singular value of each layer's W_hh;
    "param_grads": each parameter's (N,) gradient norm; "probe": the probe's prediction at
    each of the view's S snapshots — the (S, classes) probabilities of a per-sequence
    classifier, or the (S,) predicted value of a regression task with the probe's truth
    when it is one number (no "probe" chart for per-step classifiers); and
    "probe_hidden_state": the (T, H) last-layer hidden states of snapshot ``snap``, labelled
    with the probe's T tokens."""
    cols, evals = view.columns, view.evals
    steps = cols["step"]
    ev = evals["step"] if len(evals["step"]) else None
    figs: dict[str, object] = {}
    classifier = task.output_kind.startswith("class")
    if classifier and not task.goal.metric.endswith("loss"):  # language models: loss target
        figs["accuracy"] = charts_train.accuracy_chart(
            steps,
            cols["accuracy"],
            ev,
            evals["train_acc"] if ev is not None else None,
            evals["test_acc"] if ev is not None else None,
            target=task.goal.threshold if task.goal.metric.endswith("acc") else None,
            baseline=task.baseline.test_acc if task.baseline is not None else None,
        )
    relu = view.config.cell == "rnn" and view.config.activation == "relu"
    figs["spectrum"] = charts_train.spectrum_chart(
        steps,
        np.stack([cols[f"rho{i}"] for i in range(view.layers)], axis=1),
        np.stack([cols[f"sigma{i}"] for i in range(view.layers)], axis=1),
        threshold=1.0,
        threshold_label="1/γ = 1 (relu: slope 1)" if relu else "1/γ = 1 (tanh)",
    )
    figs["param_grads"] = charts_train.param_grad_chart(
        steps, {n: cols[f"grad:{n}"] for n in view.param_names}
    )
    snap_steps = np.array([s.step for s in view.snapshots])
    if task.output_kind == "class_per_sequence":
        probs = np.stack([s.outputs[-1] for s in view.snapshots])
        figs["probe"] = charts_train.probe_chart(
            snap_steps, probs, task.class_names, mark_step=snap.step
        )
    elif not task.output_kind.startswith("class"):
        values = np.array([float(s.outputs[-1, 0]) for s in view.snapshots])
        truth = probe.truth if isinstance(probe.truth, float) else None
        figs["probe"] = charts_train.probe_value_chart(
            snap_steps, values, truth, mark_step=snap.step
        )
    figs["probe_hidden_state"] = charts_explore.hidden_heatmap(
        snap.hs[-1], probe.tokens, title=f"Probe's hidden state at step {snap.step:,}"
    )
    return figs


def figures(view: RunView, task: Task, probe: Reading, snap: Snapshot) -> dict[str, object]:
    """Every chart of the Train page for this view (the probe at snapshot ``snap``), by
    name: what the export bundle saves."""
    return fast_figures(view, task) | detail_figures(view, task, probe, snap)


def pick_snapshot(snapshots: list[Snapshot], follow: bool, chosen: int | None) -> Snapshot:
    """The snapshot the probe replay shows: the newest while ``follow``, else the one at
    step ``chosen`` (the newest when no kept snapshot is at that step: thinning dropped it,
    or nothing was chosen). ``snapshots`` is never empty (a run snapshots its first step)."""
    if not follow:
        for snap in snapshots:
            if snap.step == chosen:
                return snap
    return snapshots[-1]
