"""Pure chart builders for the live Train page: metric arrays in, ``go.Figure`` out.

The house rules of :mod:`ui.views.charts` hold here too ("plotly_white", compact margins, a title,
axis titles with units, hover text that names the value and its step, numbers sent as
float32 / int32 numpy arrays so plotly 7 ships them as binary). On top of that, for charts
redrawn while a run trains:

- the x axis is always the training step;
- inputs may be long (thousands of points) and may hold NaN or ±inf (a diverged run): non-finite
  values are sent as NaN and simply not drawn (a gap in the line), and on a log axis neither
  are values ≤ 0. Nothing here loops over points in Python;
- every layout has ``uirevision="keep"``, so a zoom or a legend click survives the redraws;
- reference lines (thresholds, targets, the selected snapshot, settings changes) are layout
  shapes spanning the whole plot, labelled with the shape's own label, so they stay put under
  zoom and never stretch the data's autorange.

Shapes: n logged steps, L recurrent layers, S snapshots, C classes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from ui.views.charts import CLASS_COLOURS, LINE_COLOUR, TARGET_COLOUR, _esc, _f32, _figure
from ui.views.html import POSITIVE_COLOUR

HEIGHT = 300
STEP_TITLE = "training step"
MARGIN = {"b": 45}  # compact: the step axis needs only its ticks and one title line
BATCH_COLOUR = "#7f7f7f"  # the noisy per-batch curve: grey and thin, behind the evaluations
TRAIN_COLOUR = CLASS_COLOURS[0]  # Okabe–Ito blue
TEST_COLOUR = CLASS_COLOURS[1]  # Okabe–Ito vermillion, dashed as well (not colour alone)
CLIP_COLOUR = POSITIVE_COLOUR  # the house red
EVENT_COLOUR = "#666666"
EVENT_TEXT_MAX = 28  # longer event texts are cut (the hover shows them whole)
LOG_AXIS = {"type": "log", "exponentformat": "power"}
PROB_AXIS = {"range": [-0.03, 1.03], "tickvals": np.array([0.0, 0.25, 0.5, 0.75, 1.0])}
HOVER_STEP = "step %{x:,}"
FEW_POINTS = 20  # series with at most this many points get markers (one Step is visible)
TOP_LEGEND_MAX = 2  # legend on top up to this many traces; below the plot up to 4; then right
SIDE_LEGEND = {
    "orientation": "v",
    "x": 1.02,
    "xanchor": "left",
    "y": 1.0,
    "yanchor": "top",
    "font": {"size": 11},
}


# ----------------------------------------------------------------------------- helpers


def _steps(steps) -> np.ndarray:
    """The step axis, 1-D: int32 when every value is a whole number that fits (exact in the
    hover), else float32 (non-finite values become NaN)."""
    s = np.asarray(steps).reshape(-1)
    if s.dtype.kind in "iub" and (s.size == 0 or (s.min() >= -(2**31) and s.max() < 2**31)):
        return np.ascontiguousarray(s, dtype=np.int32)
    f = np.asarray(s, dtype=np.float64)
    if np.isfinite(f).all() and (f == np.round(f)).all() and (np.abs(f) < 2**31).all():
        return f.astype(np.int32)
    return _values(f)


def _values(values, n: int | None = None, *, what: str = "values", log: bool = False):
    """values as a contiguous float32 array with ±inf (and, for a log axis, values ≤ 0) set to
    NaN, so plotly leaves them out (as do float64 values beyond float32's range, silently).
    ``n``: the expected length of the first axis."""
    with np.errstate(over="ignore", invalid="ignore"):
        v = _f32(values)
    if n is not None and (v.ndim == 0 or v.shape[0] != n):
        raise ValueError(f"{what} has shape {v.shape}; expected {n} rows, one per step")
    bad = ~np.isfinite(v)
    if log:
        bad |= v <= 0
    if bad.any():
        v = v.copy()
        v[bad] = np.nan
    return v


def _line(
    x: np.ndarray,
    y: np.ndarray,
    name: str,
    hover_value: str,
    *,
    colour: str,
    width: float = 2.0,
    dash: str | None = None,
    markers: bool | None = None,
    opacity: float | None = None,
    customdata: np.ndarray | None = None,
) -> go.Scatter:
    """One series. The hover names the series (``fullData.name``: never evaluated), the step
    and the value formatted by ``hover_value`` (e.g. "%{y:.5g}"). ``markers``: None draws
    them when the series has at most FEW_POINTS points, so a single step is a visible dot
    (a line needs two points)."""
    if markers is None:
        markers = x.size <= FEW_POINTS
    line = {"color": colour, "width": width}
    if dash:
        line["dash"] = dash
    kwargs = {}
    if markers:
        kwargs["marker"] = {"size": 6 if x.size <= 60 else 4, "color": colour}
    return go.Scatter(
        x=x,
        y=y,
        mode="lines+markers" if markers else "lines",
        name=_esc(name),
        line=line,
        opacity=opacity,
        hovertemplate=f"%{{fullData.name}}<br>{HOVER_STEP}: {hover_value}<extra></extra>",
        customdata=customdata,
        **kwargs,
    )


def _hline(
    y: float,
    label: str,
    *,
    colour: str = TARGET_COLOUR,
    dash: str = "dash",
    below: bool = False,
) -> dict:
    """A horizontal line across the whole plot at data value ``y`` (also on a log axis: shapes
    take data values), drawn over the data, labelled at its right end above the line (below
    it with ``below=True``, for a line near the top of a fixed range)."""
    return {
        "type": "line",
        "xref": "paper",
        "x0": 0.0,
        "x1": 1.0,
        "yref": "y",
        "y0": y,
        "y1": y,
        "layer": "above",
        "line": {"color": colour, "width": 1.5, "dash": dash},
        "label": {
            "text": _esc(label),
            "textposition": "end",
            "xanchor": "right",
            "yanchor": "top" if below else "bottom",
            "font": {"size": 11, "color": colour},
        },
    }


def _vline(
    x: float,
    label: str | None = None,
    *,
    dash: str = "dash",
    colour: str = TARGET_COLOUR,
    width: float = 1.5,
) -> dict:
    """A vertical line at step ``x`` over the plot's full height, optionally labelled at its
    top."""
    shape = {
        "type": "line",
        "xref": "x",
        "x0": x,
        "x1": x,
        "yref": "paper",
        "y0": 0.0,
        "y1": 1.0,
        "layer": "below",
        "line": {"color": colour, "width": width, "dash": dash},
    }
    if label:
        shape["label"] = {
            "text": _esc(label),
            "textposition": "end",
            "textangle": 0,
            "xanchor": "left",
            "yanchor": "top",
            "padding": 4,
            "font": {"size": 10, "color": colour},
        }
    return shape


def _finite(x) -> float | None:
    """x as a float, or None when it is None or not finite."""
    if x is None:
        return None
    x = float(x)
    return x if np.isfinite(x) else None


def _chart(
    traces: list,
    *,
    title: str,
    y_title: str,
    height: float,
    yaxis: dict | None = None,
    shapes: list | None = None,
) -> go.Figure:
    """The Train page's look: :func:`ui.views.charts._figure` with the step axis, compact margins
    and ``uirevision="keep"``. The legend: none for one trace, one row on top for up to
    TOP_LEGEND_MAX (2: a third entry wraps onto the title in a half-width column), under the
    x axis for up to 4, else a column right of the plot."""
    side = len(traces) > 4
    placement = None
    if 1 < len(traces) <= TOP_LEGEND_MAX:
        placement = "top"
    elif TOP_LEGEND_MAX < len(traces) <= 4:
        placement = "bottom"
    fig = _figure(
        traces,
        title=title,
        height=height,
        x_title=STEP_TITLE,
        y_title=y_title,
        xaxis={"zeroline": False},
        yaxis=yaxis,
        legend=placement,
        margin=MARGIN,
        shapes=shapes,
    )
    if side:
        fig.update_layout(showlegend=True, legend=SIDE_LEGEND, uirevision="keep")
    elif placement == "bottom":  # below the axis title, at the foot of the figure
        fig.update_layout(
            legend={
                "orientation": "h",
                "x": 0.0,
                "xanchor": "left",
                "y": 0.0,
                "yanchor": "bottom",
                "yref": "container",
            },
            margin={"b": 100},
            uirevision="keep",
        )
    else:
        fig.layout.uirevision = "keep"
    return fig


def _evaluations(eval_steps, train, test, what: str) -> tuple[np.ndarray | None, list]:
    """(x, [(name, values, colour, dash), …]) for the evaluation series that were given."""
    if eval_steps is None:
        if train is not None or test is not None:
            raise ValueError(f"train/test {what} given without eval_steps")
        return None, []
    x = _steps(eval_steps)
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
    line (with markers while n ≤ FEW_POINTS). eval_steps: (m,) steps of the evaluations;
    train_loss / test_loss: (m,) the loss on the training / test set there: traces
    "train (eval)" (blue, lines+markers) and "test (eval)" (vermillion, dashed,
    lines+markers), each only when given. log_y: a log y axis (values ≤ 0 not drawn). For
    regression the page passes y_title="MSE". Hover "batch loss / step 1,200: 0.69315".
    target: a dashed horizontal line at the goal's loss (a layout shape), labelled
    ``target_label`` or "target ≤ 1.708". perplexity: the losses are cross-entropies in nats
    per token: every hover also shows the perplexity e^loss ("… 1.7 (perplexity 5.47)") and
    the default target label names it too.
    """
    x = _steps(steps)
    hover = "%{y:.5g}" + (" (perplexity %{customdata:.4g})" if perplexity else "")

    def ppl(y):
        if not perplexity:
            return None
        with np.errstate(over="ignore"):
            return np.exp(y.astype(np.float64)).astype(np.float32)

    batch = _values(loss, x.size, what="loss", log=log_y)
    traces = [
        _line(
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
        y = _values(values, ex.size, what=name, log=log_y)
        traces.append(
            _line(ex, y, name, hover, colour=colour, dash=dash, markers=True, customdata=ppl(y))
        )
    shapes = []
    goal = _finite(target)
    if goal is not None and (goal > 0 or not log_y):
        label = target_label or f"target ≤ {goal:.4g}" + (
            f" (perplexity {np.exp(goal):.3g})" if perplexity else ""
        )
        shapes.append(_hline(goal, label))
    return _chart(
        traces,
        title=title,
        y_title=y_title,
        height=height,
        yaxis=LOG_AXIS if log_y else None,
        shapes=shapes,
    )


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
    title: str = "Accuracy",
    height: float = HEIGHT,
) -> go.Figure:
    """Accuracy per step (fractions 0…1), laid out like :func:`loss_chart`: "batch accuracy",
    "train (eval)", "test (eval)". The y axis is fixed to 0…1 and shown in %; hover
    "test (eval) / step 900: 93.75%". target: a dashed horizontal line labelled
    "target 97%" (a layout shape), when given and finite.
    """
    x = _steps(steps)
    traces = [
        _line(
            x,
            _values(accuracy, x.size, what="accuracy"),
            "batch accuracy",
            "%{y:.2%}",
            colour=BATCH_COLOUR,
            width=1.0,
            opacity=0.6,
        )
    ]
    ex, series = _evaluations(eval_steps, train_acc, test_acc, "accuracy")
    for name, values, colour, dash in series:
        y = _values(values, ex.size, what=name)
        traces.append(_line(ex, y, name, "%{y:.2%}", colour=colour, dash=dash, markers=True))
    shapes = []
    goal = _finite(target)
    if goal is not None:
        shapes.append(_hline(goal, f"target {goal * 100:g}%", below=goal > 0.8))
    return _chart(
        traces,
        title=title,
        y_title="accuracy (%)",
        height=height,
        yaxis={**PROB_AXIS, "tickformat": ".0%"},
        shapes=shapes,
    )


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
    x = _steps(steps)
    y = _values(norms, x.size, what="norms", log=True)
    traces = [_line(x, y, "‖∇‖₂", "%{y:.5g}", colour=LINE_COLOUR, width=1.5)]
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
    limit = _finite(threshold)
    if limit is not None and limit > 0 and clip_mode in ("norm", "value"):
        label = f"clip threshold {limit:g}" if clip_mode == "norm" else "per-element limit"
        if clip_mode == "value":
            label += " (experiment)"
        shapes.append(_hline(limit, label))
    return _chart(
        traces,
        title=title,
        y_title="‖∇‖₂ (global, before clipping)",
        height=height,
        yaxis=LOG_AXIS,
        shapes=shapes,
    )


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
    x = _steps(steps)
    traces = [
        _line(
            x,
            _values(values, x.size, what=f"norms[{name!r}]", log=True),
            str(name),
            "%{y:.5g}",
            colour=CLASS_COLOURS[i % len(CLASS_COLOURS)],
            width=1.5,
        )
        for i, (name, values) in enumerate(norms.items())
    ]
    return _chart(
        traces, title=title, y_title="‖∇‖₂ (before clipping)", height=height, yaxis=LOG_AXIS
    )


# ----------------------------------------------------------------------------- 4. spectrum


def _per_layer(values, n: int, what: str) -> np.ndarray:
    v = _values(values, n, what=what)
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
    x = _steps(steps)
    rho = _per_layer(radius, x.size, "radius")
    sig = None if sigma is None else _per_layer(sigma, x.size, "sigma")
    if sig is not None and sig.shape != rho.shape:
        raise ValueError(f"sigma has shape {sig.shape}; radius has {rho.shape}")
    traces = []
    for layer in range(rho.shape[1]):
        colour = CLASS_COLOURS[layer % len(CLASS_COLOURS)]
        traces.append(_line(x, rho[:, layer], f"ρ layer {layer + 1}", "%{y:.4g}", colour=colour))
        if sig is not None:
            traces.append(
                _line(
                    x,
                    sig[:, layer],
                    f"σ_max layer {layer + 1}",
                    "%{y:.4g}",
                    colour=colour,
                    dash="dot",
                )
            )
    shapes = []
    level = _finite(threshold)
    if level is not None:
        shapes.append(_hline(level, threshold_label))
    return _chart(
        traces,
        title=title,
        y_title="magnitude",
        height=height,
        yaxis={"rangemode": "tozero"},
        shapes=shapes,
    )


# ----------------------------------------------------------------------------- 5. probe


def _snapshot_marker(mark_step) -> list:
    step = _finite(mark_step)
    if step is None:
        return []
    shown = f"{step:,.0f}" if step == round(step) else f"{step:,g}"
    return [_vline(step, f"step {shown}", colour=EVENT_COLOUR)]


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
    x = _steps(snap_steps)
    p = _values(probs)
    if p.size == 0:
        p = p.reshape(x.size, len(class_names))
    if p.ndim != 2 or p.shape[0] != x.size:
        raise ValueError(f"probs must be (S, C) with S = {x.size}; got shape {p.shape}")
    C = p.shape[1]
    names = [str(n) for n in class_names][:C]
    names += [f"class {c}" for c in range(len(names), C)]
    traces = [
        _line(
            x,
            np.ascontiguousarray(p[:, c]),
            names[c],
            "%{y:.3f}",
            colour=CLASS_COLOURS[c % len(CLASS_COLOURS)],
            markers=True,
        )
        for c in range(C)
    ]
    return _chart(
        traces,
        title=title,
        y_title="probability",
        height=height,
        yaxis=PROB_AXIS,
        shapes=_snapshot_marker(mark_step),
    )


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
    x = _steps(snap_steps)
    y = _values(values, x.size, what="values").reshape(-1)
    traces = [_line(x, y, "prediction", "%{y:.5g}", colour=LINE_COLOUR, markers=True)]
    shapes = _snapshot_marker(mark_step)
    goal = _finite(truth)
    if goal is not None:
        shapes.append(_hline(goal, f"target {goal:.4g}"))
    return _chart(traces, title=title, y_title=y_title, height=height, shapes=shapes)


# ----------------------------------------------------------------------------- 6. events


def mark_events(fig: go.Figure, events: Iterable[tuple[float, str]]) -> go.Figure:
    """Mark settings changes on a step-axis chart, in place; returns ``fig``.

    events: (step, text) pairs, e.g. ``(1200, "lr 0.01→0.001")``. Each adds a dotted vertical
    layout shape at x = step (over the plot's full height) and a small annotation with the
    text at the top of the plot, just right of the line (cut to 28 characters; the whole text
    is its hover). Successive labels are staggered over three rows so close events stay
    legible. Events with a non-finite step are skipped.
    """
    shapes, notes = [], []
    for step, text in events:
        x = _finite(step)
        if x is None:
            continue
        full = _esc(text)
        short = str(text)
        if len(short) > EVENT_TEXT_MAX:
            short = short[: EVENT_TEXT_MAX - 1] + "…"
        shapes.append(_vline(x, dash="dot", colour=EVENT_COLOUR, width=1.0))
        notes.append(
            {
                "x": x,
                "xref": "x",
                "y": 1.0 - 0.1 * (len(notes) % 3),
                "yref": "paper",
                "xanchor": "left",
                "yanchor": "top",
                "xshift": 2,
                "text": _esc(short),
                "hovertext": full,
                "showarrow": False,
                "font": {"size": 10, "color": EVENT_COLOUR},
                "bgcolor": "rgba(255,255,255,0.7)",
            }
        )
    if shapes:
        _extend_layout(fig, "shapes", shapes)
        _extend_layout(fig, "annotations", notes)
    return fig


def _extend_layout(fig: go.Figure, name: str, items: list[dict]) -> None:
    """Append plain dicts to ``fig.layout[name]`` (a list of shapes or annotations) without
    plotly's per-object validation (≈ 0.2 ms a shape or annotation, 20 ms for 50 events), the
    way :func:`ui.views.charts._apply_template` sets the template. The dicts are built here and
    checked by the tests, which re-validate every figure; plotly rebuilds (and validates) the
    objects if ``fig.layout[name]`` is read."""
    layout = fig.layout
    merged = [item.to_plotly_json() for item in layout[name]] + items
    previous = getattr(layout, "_validate", None)
    if previous is None:  # a plotly without this switch: the slow, validated way
        fig.update_layout({name: merged})
        return
    try:
        layout._validate = False
        layout[name] = merged
    finally:
        layout._validate = previous
