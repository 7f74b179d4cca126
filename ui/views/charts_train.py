"""Pure chart builders for the live Train page: metric arrays in, ``go.Figure`` out.

Built with :mod:`ui.views.figure_kit` and its house rules. Every chart here is a step chart
(:func:`ui.views.figure_kit.step_chart`), redrawn while a run trains: the x axis is the
training step, zoom and legend clicks survive the redraws, inputs may be long (thousands of
points, nothing here loops over points in Python) and may hold NaN or ±inf (a diverged run:
:func:`ui.views.figure_kit.as_values` leaves them out), and reference lines (thresholds,
targets, the selected snapshot, settings changes) are the kit's layout shapes
(:func:`ui.views.figure_kit.hline`, :func:`ui.views.figure_kit.vline`).

Shapes: n logged steps, L recurrent layers, S snapshots, C classes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from ui.views import summaries
from ui.views.figure_kit import (
    BATCH_COLOUR,
    CLASS_COLOURS,
    HOVER_STEP,
    LINE_COLOUR,
    LOG_AXIS,
    PROB_AXIS,
    as_steps,
    as_values,
    describe,
    esc,
    extend_layout,
    finite_or_none,
    hline,
    step_chart,
    step_line,
    summary_of,
    vline,
)
from ui.views.html import POSITIVE_COLOUR

HEIGHT = 300
TRAIN_COLOUR = CLASS_COLOURS[0]  # Okabe–Ito blue
TEST_COLOUR = CLASS_COLOURS[1]  # Okabe–Ito vermillion, dashed as well (not colour alone)
CLIP_COLOUR = POSITIVE_COLOUR  # the house red
EVENT_COLOUR = "#666666"
BASELINE_COLOUR = CLASS_COLOURS[2]  # Okabe–Ito bluish green, dash-dotted: the bag of words
BASELINE_NAME = "bag of words (test)"
EVENT_TEXT_MAX = 28  # longer event texts are cut (the hover shows them whole)


# ----------------------------------------------------------------------------- helpers


def _evaluations(eval_steps, train, test, what: str) -> tuple[np.ndarray | None, list]:
    """(x, [(name, values, colour, dash), …]) for the evaluation series that were given."""
    if eval_steps is None:
        if train is not None or test is not None:
            raise ValueError(f"train/test {what} given without eval_steps")
        return None, []
    x = as_steps(eval_steps)
    series = []
    for name, values, colour, dash in (
        ("train (eval)", train, TRAIN_COLOUR, None),
        ("test (eval)", test, TEST_COLOUR, "dash"),
    ):
        if values is not None:
            series.append((name, values, colour, dash))
    return x, series


# ----------------------------------------------------------------------------- 1. loss


def loss_chart(
    steps,
    loss,
    eval_steps=None,
    train_loss=None,
    test_loss=None,
    *,
    log_y: bool = False,
    title: str = "Loss",
    y_title: str = "loss (nats)",
    height: float = HEIGHT,
    target: float | None = None,
    target_label: str | None = None,
    perplexity: bool = False,
) -> go.Figure:
    """Training loss per step, with the evaluations on top.

    steps, loss: (n,) the loss of each step's batch: trace 0, "batch loss", a thin faint grey
    line (a :func:`ui.views.figure_kit.step_line`). eval_steps: (m,) steps of the evaluations;
    train_loss / test_loss: (m,) the loss on the training / test set there: traces
    "train (eval)" (blue, lines+markers) and "test (eval)" (vermillion, dashed,
    lines+markers), each only when given. log_y: a log y axis (values ≤ 0 not drawn). For
    regression the page passes y_title="MSE". Hover "batch loss / step 1,200: 0.69315".
    target: a dashed horizontal line at the goal's loss (a layout shape), labelled
    ``target_label`` or "target ≤ 1.708". perplexity: the losses are cross-entropies in nats
    per token: every hover also shows the perplexity e^loss ("… 1.7 (perplexity 5.47)") and
    the default target label names it too.
    """
    x = as_steps(steps)
    hover = "%{y:.5g}" + (" (perplexity %{customdata:.4g})" if perplexity else "")

    def ppl(y):
        if not perplexity:
            return None
        with np.errstate(over="ignore"):
            return np.exp(y.astype(np.float64)).astype(np.float32)

    batch = as_values(loss, x.size, what="loss", log=log_y)
    traces = [
        step_line(
            x,
            batch,
            "batch loss",
            hover,
            colour=BATCH_COLOUR,
            width=1.0,
            opacity=0.6,
            customdata=ppl(batch),
        )
    ]
    ex, series = _evaluations(eval_steps, train_loss, test_loss, "loss")
    for name, values, colour, dash in series:
        y = as_values(values, ex.size, what=name, log=log_y)
        traces.append(
            step_line(ex, y, name, hover, colour=colour, dash=dash, markers=True, customdata=ppl(y))
        )
    shapes = []
    goal = finite_or_none(target)
    if goal is not None and (goal > 0 or not log_y):
        label = target_label or f"target ≤ {goal:.4g}" + (
            f" (perplexity {np.exp(goal):.3g})" if perplexity else ""
        )
        drawn = [t.y for t in traces if t.y is not None]
        shapes.append(hline(goal, label, below=_label_below(goal, *drawn)))
    fig = step_chart(
        traces,
        title=title,
        y_title=y_title,
        height=height,
        yaxis=LOG_AXIS if log_y else None,
        shapes=shapes,
    )
    unit = "nats per token" if "per token" in y_title else "nats" if "nats" in y_title else ""
    return describe(fig, summaries.loss(steps, loss, eval_steps, train_loss, test_loss, unit, goal))


def loss_target(output_kind: str, goal_metric: str, goal_threshold: float) -> dict:
    """:func:`loss_chart` keyword arguments for a task whose goal is stated as a loss
    (``task.goal.metric`` "test_loss"): the target line, and for classifiers (language
    models: cross-entropy per token) the perplexity in the hover and a y title in nats per
    token. {} when the goal is an accuracy (the accuracy chart carries that target)."""
    if not goal_metric.endswith("loss"):
        return {}
    out = {"target": goal_threshold}
    if output_kind.startswith("class"):
        out["perplexity"] = True
        if output_kind == "class_per_step":
            out["y_title"] = "loss (nats per token, log scale)"
    return out


# ----------------------------------------------------------------------------- 2. accuracy


def accuracy_chart(
    steps,
    accuracy,
    eval_steps=None,
    train_acc=None,
    test_acc=None,
    *,
    target: float | None = None,
    baseline: float | None = None,
    title: str = "Accuracy",
    height: float = HEIGHT,
) -> go.Figure:
    """Accuracy per step (fractions 0…1), laid out like :func:`loss_chart`: "batch accuracy",
    "train (eval)", "test (eval)". The y axis is fixed to 0…1 and shown in %; hover
    "test (eval) / step 900: 93.75%". target: a dashed horizontal line labelled
    "target 97%" (a layout shape), when given and finite. baseline: the bag-of-words
    model's test accuracy (rnn_core.baseline), when given and finite: a flat dash-dotted
    trace "bag of words (test)" across the steps drawn, in the legend and with a hover like
    every series, so the network's test curve can be read against a model that ignores
    word order.
    """
    x = as_steps(steps)
    traces = [
        step_line(
            x,
            as_values(accuracy, x.size, what="accuracy"),
            "batch accuracy",
            "%{y:.2%}",
            colour=BATCH_COLOUR,
            width=1.0,
            opacity=0.6,
        )
    ]
    ex, series = _evaluations(eval_steps, train_acc, test_acc, "accuracy")
    for name, values, colour, dash in series:
        y = as_values(values, ex.size, what=name)
        traces.append(step_line(ex, y, name, "%{y:.2%}", colour=colour, dash=dash, markers=True))
    bow = finite_or_none(baseline)
    if bow is not None and x.size:
        ends = np.array([x.min(), x.max()])
        traces.append(
            step_line(
                ends,
                np.full(2, bow),
                BASELINE_NAME,
                "%{y:.1%}",
                colour=BASELINE_COLOUR,
                dash="dashdot",
                markers=False,
            )
        )
    shapes = []
    goal = finite_or_none(target)
    if goal is not None:
        # at most one decimal: a CSV file's goal is k/n of its test texts (66.6667% → 66.7%)
        shapes.append(hline(goal, f"target {round(goal * 100, 1):g}%", below=goal > 0.8))
    fig = step_chart(
        traces,
        title=title,
        y_title="accuracy (%)",
        height=height,
        yaxis={**PROB_AXIS, "tickformat": ".0%"},
        shapes=shapes,
    )
    text = summaries.accuracy(steps, accuracy, eval_steps, train_acc, test_acc, goal, bow)
    return describe(fig, text)


# ----------------------------------------------------------------------------- 3. gradients


def grad_norm_chart(
    steps,
    norms,
    clipped=None,
    *,
    threshold: float | None = None,
    clip_mode: str = "norm",
    title: str = "Gradient norm before clipping",
    height: float = HEIGHT,
) -> go.Figure:
    """The global gradient norm of each step, before clipping, on a log axis.

    steps, norms: (n,); trace 0 "‖∇‖₂" is the line (values ≤ 0 or non-finite not drawn).
    clipped: (n,) bool (or 0/1), True where the step was clipped: trace 1 "clipped", red "x"
    markers at exactly those steps, at their norm. The trace is there whenever clipping is
    on (clip_mode != "none") or any step was clipped, so the figure keeps its shape as a run
    goes on. threshold: with clip_mode "norm" a dashed line "clip threshold 5"; with
    clip_mode "value" a dashed line "per-element limit (experiment)" (per-element clipping
    does not bound the norm: the line only shows the scale); with "none" no line.
    """
    x = as_steps(steps)
    y = as_values(norms, x.size, what="norms", log=True)
    traces = [step_line(x, y, "‖∇‖₂", "%{y:.5g}", colour=LINE_COLOUR, width=1.5)]
    hit = np.zeros(x.size, dtype=bool)
    if clipped is not None:
        c = np.asarray(clipped).reshape(-1)
        if c.shape[0] != x.size:
            raise ValueError(f"clipped has {c.shape[0]} entries for {x.size} steps")
        hit = c if c.dtype == bool else np.asarray(c, dtype=np.float64) > 0
    if clip_mode != "none" or hit.any():
        traces.append(
            go.Scatter(
                x=x[hit],
                y=y[hit],
                mode="markers",
                name="clipped",
                marker={"symbol": "x", "size": 7, "color": CLIP_COLOUR},
                hovertemplate=f"{HOVER_STEP}: clipped, ‖∇‖₂ %{{y:.5g}}<extra></extra>",
            )
        )
    shapes = []
    limit = finite_or_none(threshold)
    if limit is not None and limit > 0 and clip_mode in ("norm", "value"):
        label = f"clip threshold {limit:g}" if clip_mode == "norm" else "per-element limit"
        if clip_mode == "value":
            label += " (experiment)"
        shapes.append(hline(limit, label, below=_label_below(limit, y)))
    fig = step_chart(
        traces,
        title=title,
        y_title="‖∇‖₂ (global, before clipping)",
        height=height,
        yaxis=LOG_AXIS,
        shapes=shapes,
    )
    return describe(fig, summaries.grad_norm(x, y, hit, limit, clip_mode))


def param_grad_chart(
    steps,
    norms: Mapping[str, np.ndarray],
    *,
    title: str = "Gradient norm per parameter",
    height: float = HEIGHT,
) -> go.Figure:
    """One line per parameter ("l0.W_hh", "W_hy", "embed", …, in the mapping's order): the
    L2 norm of its gradient at each step, before clipping, on a log axis. Colours cycle
    through the Okabe–Ito palette; hover "l0.W_hh / step 40: 0.0123".
    """
    x = as_steps(steps)
    traces = [
        step_line(
            x,
            as_values(values, x.size, what=f"norms[{name!r}]", log=True),
            str(name),
            "%{y:.5g}",
            colour=CLASS_COLOURS[i % len(CLASS_COLOURS)],
            width=1.5,
        )
        for i, (name, values) in enumerate(norms.items())
    ]
    fig = step_chart(
        traces, title=title, y_title="‖∇‖₂ (before clipping)", height=height, yaxis=LOG_AXIS
    )
    return describe(fig, summaries.param_grads(x, norms))


# ----------------------------------------------------------------------------- 4. spectrum


def _per_layer(values, n: int, what: str) -> np.ndarray:
    v = as_values(values, n, what=what)
    if v.ndim == 1:
        return v[:, None]
    if v.ndim != 2:
        raise ValueError(f"{what} must be (n,) or (n, layers); got shape {v.shape}")
    return v


def spectrum_chart(
    steps,
    radius,
    sigma=None,
    *,
    threshold: float | None = 1.0,
    threshold_label: str = "1/γ = 1 (tanh)",
    title: str = "Recurrent matrix W_hh",
    height: float = HEIGHT,
) -> go.Figure:
    """The recurrent matrix's size over training, per layer.

    radius: (n,) or (n, L) spectral radius ρ(W_hh) at each step: solid lines "ρ layer 1", …
    sigma: the same shape, largest singular value σ_max: dotted lines "σ_max layer 1", … in
    the layer's colour (ρ ≤ σ_max always). Traces go layer by layer: ρ, σ_max, ρ, σ_max…
    threshold: a dashed horizontal line labelled ``threshold_label`` (where the linearised
    recurrence stops shrinking: 1/γ, γ the activation's largest slope); None for none.
    """
    x = as_steps(steps)
    rho = _per_layer(radius, x.size, "radius")
    sig = None if sigma is None else _per_layer(sigma, x.size, "sigma")
    if sig is not None and sig.shape != rho.shape:
        raise ValueError(f"sigma has shape {sig.shape}; radius has {rho.shape}")
    traces = []
    for layer in range(rho.shape[1]):
        colour = CLASS_COLOURS[layer % len(CLASS_COLOURS)]
        name = f"ρ layer {layer + 1}"
        traces.append(step_line(x, rho[:, layer], name, "%{y:.4g}", colour=colour))
        if sig is not None:
            traces.append(
                step_line(
                    x,
                    sig[:, layer],
                    f"σ_max layer {layer + 1}",
                    "%{y:.4g}",
                    colour=colour,
                    dash="dot",
                )
            )
    shapes = []
    level = finite_or_none(threshold)
    if level is not None:
        shapes.append(hline(level, threshold_label))
    fig = step_chart(
        traces,
        title=title,
        y_title="magnitude",
        height=height,
        yaxis={"rangemode": "tozero"},
        shapes=shapes,
    )
    return describe(fig, summaries.spectrum(x, rho, sig, level))


# ----------------------------------------------------------------------------- 5. probe


def _snapshot_marker(mark_step, steps) -> list:
    """The dashed line at the snapshot shown, labelled "step N" on the side with room: left
    of the line in the right half of ``steps`` (the newest snapshot is the right end, where
    a label to its right was cut off)."""
    step = finite_or_none(mark_step)
    if step is None:
        return []
    shown = f"{step:,.0f}" if step == round(step) else f"{step:,g}"
    x = np.asarray(steps, dtype=np.float64)
    x = x[np.isfinite(x)]
    left = x.size > 1 and step > (x.min() + x.max()) / 2
    return [vline(step, f"step {shown}", colour=EVENT_COLOUR, label_left=bool(left))]


def _label_below(level: float, *values) -> bool:
    """A reference line's label goes under the line when no data lies above it: the line is
    then the top of the autorange (shapes count in it), where a label above is cut off."""
    for v in values:
        a = np.asarray(v, dtype=np.float64)
        if np.any(a[np.isfinite(a)] > level):
            return False
    return True


def probe_chart(
    snap_steps,
    probs,
    class_names: Sequence[str],
    *,
    mark_step: float | None = None,
    title: str = "Probe sentence over training",
    height: float = HEIGHT,
) -> go.Figure:
    """What the model says about the probe sentence as training goes on.

    snap_steps: (S,) the snapshot steps; probs: (S, C) the class probabilities at each.
    One lines+markers trace per class, named by ``class_names`` (missing names become
    "class c"), class colours as on the Explore page; y fixed to 0…1. mark_step: a dashed
    vertical line "step 1,200" at the snapshot currently shown.
    """
    x = as_steps(snap_steps)
    p = as_values(probs)
    if p.size == 0:
        p = p.reshape(x.size, len(class_names))
    if p.ndim != 2 or p.shape[0] != x.size:
        raise ValueError(f"probs must be (S, C) with S = {x.size}; got shape {p.shape}")
    C = p.shape[1]
    names = [str(n) for n in class_names][:C]
    names += [f"class {c}" for c in range(len(names), C)]
    traces = [
        step_line(
            x,
            np.ascontiguousarray(p[:, c]),
            names[c],
            "%{y:.3f}",
            colour=CLASS_COLOURS[c % len(CLASS_COLOURS)],
            markers=True,
        )
        for c in range(C)
    ]
    fig = step_chart(
        traces,
        title=title,
        y_title="probability",
        height=height,
        yaxis=PROB_AXIS,
        shapes=_snapshot_marker(mark_step, x),
    )
    return describe(fig, summaries.probe_classes(x, p, names))


def probe_value_chart(
    snap_steps,
    values,
    truth: float | None = None,
    *,
    mark_step: float | None = None,
    title: str = "Probe sentence over training",
    y_title: str = "prediction",
    height: float = HEIGHT,
) -> go.Figure:
    """The regression readout for the probe sentence at each snapshot.

    snap_steps, values: (S,); one lines+markers trace "prediction". truth: the right answer,
    a dashed horizontal line "target 1.5" (when given and finite). mark_step: as in
    :func:`probe_chart`.
    """
    x = as_steps(snap_steps)
    y = as_values(values, x.size, what="values").reshape(-1)
    traces = [step_line(x, y, "prediction", "%{y:.5g}", colour=LINE_COLOUR, markers=True)]
    shapes = _snapshot_marker(mark_step, x)
    goal = finite_or_none(truth)
    if goal is not None:
        shapes.append(hline(goal, f"target {goal:.4g}", below=_label_below(goal, y)))
    fig = step_chart(traces, title=title, y_title=y_title, height=height, shapes=shapes)
    return describe(fig, summaries.probe_value(x, y, goal))


# ----------------------------------------------------------------------------- 6. events


def mark_events(fig: go.Figure, events: Iterable[tuple[float, str]]) -> go.Figure:
    """Mark settings changes on a step-axis chart, in place; returns ``fig``.

    events: (step, text) pairs, e.g. ``(1200, "lr 0.01→0.001")``. Each adds a dotted vertical
    layout shape at x = step (over the plot's full height) and a small annotation with the
    text at the top of the plot, just right of the line (cut to 28 characters; the whole text
    is its hover). Successive labels are staggered over three rows so close events stay
    legible. Events with a non-finite step are skipped.
    """
    shapes, notes, marked = [], [], []
    for step, text in events:
        x = finite_or_none(step)
        if x is None:
            continue
        marked.append((x, str(text)))
        full = esc(text)
        short = str(text)
        if len(short) > EVENT_TEXT_MAX:
            short = short[: EVENT_TEXT_MAX - 1] + "…"
        shapes.append(vline(x, dash="dot", colour=EVENT_COLOUR, width=1.0))
        notes.append(
            {
                "x": x,
                "xref": "x",
                "y": 1.0 - 0.1 * (len(notes) % 3),
                "yref": "paper",
                "xanchor": "left",
                "yanchor": "top",
                "xshift": 2,
                "text": esc(short),
                "hovertext": full,
                "showarrow": False,
                "font": {"size": 10, "color": EVENT_COLOUR},
                "bgcolor": "rgba(255,255,255,0.7)",
            }
        )
    if shapes:
        extend_layout(fig, "shapes", shapes)
        extend_layout(fig, "annotations", notes)
        describe(fig, f"{summary_of(fig)} {summaries.events(marked)}".strip())
    return fig
