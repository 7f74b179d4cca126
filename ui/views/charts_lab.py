"""Pure chart builders for the Gradient lab page: vanishing and exploding gradients.

Backpropagation through time multiplies one Jacobian ∂h_t/∂h_{t−1} per step, so the gradient
reaching an early step shrinks or grows geometrically with the distance to the loss (Pascanu,
Mikolov & Bengio, 2013). These figures make that visible: the gradient along the sequence, over
training, the recurrent matrix's eigenvalues and singular values, clipping, and the "cliff".

Built with :mod:`ui.views.figure_kit` and its house rules. Nothing here crashes on NaN, ±inf
or zeros: values go through :func:`ui.views.figure_kit.as_values` (non-finite values, and on
a log axis values ≤ 0, are not drawn). Charts the page redraws while an experiment trains
(:func:`gradient_flow`, :func:`flow_over_training`, :func:`spectrum_over_training`,
:func:`runs_overlay`) keep zoom and legend clicks with ``uirevision="keep"``.

No streamlit here. Shapes: T timesteps, S logged training steps, H hidden units.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ui.views import summaries
from ui.views.figure_kit import (
    BATCH_COLOUR,
    CLASS_COLOURS,
    LINE_COLOUR,
    LOG_AXIS,
    TARGET_COLOUR,
    as_steps,
    as_values,
    complex_plane,
    describe,
    esc,
    f32,
    figure,
    finite_or_none,
    hline,
    legend_for,
    step_chart,
    step_line,
    token_axis,
    token_labels,
    vline,
)
from ui.views.html import plotly_colorscale

HEIGHT = 340
FLOW_Y_TITLE = "‖∂L/∂h_t‖ (log scale)"
FIT_COLOUR = TARGET_COLOUR
CIRCLE_POINTS = 181  # the unit circle as a closed polyline (2° apart)
# display names of the recurrent blocks (keys of rnn_core.model.recurrent_blocks)
GATE_NAMES = {
    "h": "W_hh",
    "r": "reset r",
    "z": "update z",
    "n": "candidate n",
    "i": "input i",
    "f": "forget f",
    "g": "cell g",
    "o": "output o",
}
CLIP_LABELS = ("none", "global norm (keeps direction)", "per element (experiment)")
CLIP_COLOURS = (BATCH_COLOUR, CLASS_COLOURS[0], CLASS_COLOURS[1])
SATURATION_COLOUR = CLASS_COLOURS[3]  # Okabe–Ito orange, clear of the blue line
VERDICT_OK, VERDICT_CHECK = 1e-5, 1e-3  # relative error thresholds of gradcheck_frame


# ----------------------------------------------------------------------------- helpers


def _norms(values, what: str) -> np.ndarray:
    """A 1-D series for a log axis: float32, non-finite and ≤ 0 as NaN."""
    v = as_values(values, what=what, log=True)
    if v.ndim != 1:
        v = v.reshape(-1)
    return v


def _time_axis(T: int, tokens, x_title: str, token_x_title: str) -> tuple[dict, str]:
    """(axes for :func:`ui.views.figure_kit.figure`, x title) of a timestep axis 0..T-1: the
    display tokens as tick labels (:func:`ui.views.figure_kit.token_axis`) when given."""
    if tokens is not None and T > 0:
        return token_axis(token_labels(tokens, T)), token_x_title
    return {"xaxis": {"range": [-0.5, max(T, 1) - 0.5], "zeroline": False}}, x_title


def _fmt(x: float, spec: str = ".3f") -> str:
    return format(x, spec) if np.isfinite(x) else "n/a"


# ----------------------------------------------------------------------------- 1. flow


def fit_line(norms, factor: float) -> np.ndarray:
    """The geometric fit of a gradient-flow curve: (T,) float64 with
    ``fit[t] = norms[-1] · factor ** (T − 1 − t)``.

    If the last entry is not finite and > 0, the line is anchored at the last entry that is
    (``norms[j] · factor ** (j − t)``); with none, or a factor that is not finite and > 0,
    all NaN. Values that underflow to 0 or overflow are left for the log axis to drop."""
    n = np.asarray(norms, dtype=np.float64).reshape(-1)
    T = n.shape[0]
    out = np.full(T, np.nan)
    f = finite_or_none(factor)
    usable = np.flatnonzero(np.isfinite(n) & (n > 0))
    if f is None or f <= 0 or usable.size == 0:
        return out
    j = int(usable[-1])
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        out = n[j] * np.power(f, (j - np.arange(T)).astype(np.float64))
    return out


def gradient_flow(
    norms,
    tokens: Sequence[str] | None = None,
    *,
    factor: float | None = None,
    title: str = "Gradient reaching each step",
    runs: Mapping[str, np.ndarray] | None = None,
) -> go.Figure:
    """How much gradient reaches the hidden state of each step: ‖∂L/∂h_t‖ against t.

    norms: (T,) for t = 0..T−1 (the loss is read at the last step), or None when ``runs``
    is given: trace "‖∂L/∂h_t‖", blue lines+markers, log y ("‖∂L/∂h_t‖ (log scale)"). x =
    0..T−1 (int32); tokens: T strings shown as tick labels (a token axis, as on the Explore
    page). factor: the fitted factor per step back; adds the dashed trace
    "fit: ×0.62 per step back" with y = :func:`fit_line` (norms[-1]·factor^(T−1−t)); ignored
    without ``norms``. runs: name -> (T_i,) norms drawn as one line each (Okabe–Ito colours,
    after the main line's blue), e.g. RNN vs GRU vs LSTM. Non-finite and ≤ 0 values are gaps.
    """
    traces = []
    lengths = []
    main = None
    if norms is not None:
        main = _norms(norms, "norms")
        lengths.append(main.size)
    series = {str(k): _norms(v, f"runs[{k!r}]") for k, v in (runs or {}).items()}
    lengths += [v.size for v in series.values()]
    if not lengths:
        raise ValueError("gradient_flow needs norms or runs")
    T = main.size if main is not None else max(lengths)
    axes, x_title = _time_axis(
        T, tokens, "timestep t (the loss is read at the last)", "token read at step t"
    )
    step_hover = "step %{x:d} · '%{x}'" if tokens is not None else "step %{x:d}"
    hover = f"%{{fullData.name}}<br>{step_hover}: %{{y:.4g}}<extra></extra>"

    def line(y, name, colour, dash=None, markers=True):
        style = {"color": colour, "width": 2.0}
        if dash:
            style["dash"] = dash
        return go.Scatter(
            x=np.arange(y.size, dtype=np.int32),
            y=y,
            mode="lines+markers" if markers else "lines",
            name=esc(name),
            line=style,
            marker={"size": 6 if y.size <= 60 else 3, "color": colour},
            hovertemplate=hover,
        )

    if main is not None:
        traces.append(line(main, "‖∂L/∂h_t‖", LINE_COLOUR))
        f = finite_or_none(factor)
        if f is not None and f > 0:
            fit = as_values(fit_line(norms, f), log=True)
            traces.append(
                line(fit, f"fit: ×{f:.2f} per step back", FIT_COLOUR, "dash", markers=False)
            )
    first = 1 if main is not None else 0
    for i, (name, y) in enumerate(series.items()):
        traces.append(line(y, name, CLASS_COLOURS[(first + i) % len(CLASS_COLOURS)]))
    fig = figure(
        traces,
        title=title,
        height=HEIGHT,
        x_title=x_title,
        y_title=FLOW_Y_TITLE,
        yaxis=dict(LOG_AXIS),
        axes=axes,
        legend=legend_for(len(traces)),
        uirevision="keep",
    )
    shown = list(tokens) if tokens is not None else None
    return describe(fig, summaries.flow(main, shown, series))


# ----------------------------------------------------------------------------- 2. over training


def flow_over_training(
    steps, norms, *, title: str = "Gradient through time over training"
) -> go.Figure:
    """The gradient flow of every logged training step, as one heatmap.

    steps: (S,) training steps; norms: (S, T) ‖∂L/∂h_t‖ with NaN where a batch was shorter.
    One ``go.Heatmap``: z (S, T) float32 = log10(norms) (non-finite and ≤ 0 as NaN, not
    drawn), x = timestep 0..T−1, y = the steps; viridis, so vanishing is dark and an
    explosion bright; zmin/zmax span the finite values. Colour bar "log₁₀ ‖∂L/∂h_t‖"; hover
    "training step 1,200 / timestep 7 / ‖∂L/∂h_t‖ 10^-3.21".
    """
    y = as_steps(steps)
    v = as_values(norms, y.size, what="norms", log=True)
    if v.ndim == 1:
        v = v.reshape(y.size, -1)
    if v.ndim != 2:
        raise ValueError(f"norms must be (S, T); got shape {v.shape}")
    with np.errstate(divide="ignore", invalid="ignore"):
        z = f32(np.log10(v))
    finite = z[np.isfinite(z)]
    zmin = zmax = None
    if finite.size:
        zmin, zmax = float(finite.min()), float(finite.max())
        if zmax - zmin < 1e-6:
            zmin, zmax = zmin - 0.5, zmax + 0.5
    T = z.shape[1]
    heat = go.Heatmap(
        z=z,
        x=np.arange(T, dtype=np.int32),
        y=y,
        zmin=zmin,
        zmax=zmax,
        colorscale=plotly_colorscale(0.0, 1.0),  # viridis: small (vanishing) is dark
        hoverongaps=False,
        hovertemplate=(
            "training step %{y:,}<br>timestep %{x}<br>‖∂L/∂h_t‖ 10^%{z:.2f}<extra></extra>"
        ),
        colorbar={
            "title": {"text": "log₁₀ ‖∂L/∂h_t‖", "side": "right"},
            "thickness": 14,
            "outlinewidth": 0,
        },
    )
    fig = figure(
        [heat],
        title=title,
        height=HEIGHT,
        x_title="timestep t (the loss is read at the last)",
        y_title="training step",
        xaxis={"range": [-0.5, max(T, 1) - 0.5], "showgrid": False, "zeroline": False},
        yaxis={"showgrid": False, "zeroline": False},
        uirevision="keep",
    )
    return describe(fig, summaries.flow_training(y, v))


# ----------------------------------------------------------------------------- 3. eigenvalues


def _gate_label(key: str, i: int, gate_names) -> str:
    if isinstance(gate_names, Mapping):
        return str(gate_names.get(key, GATE_NAMES.get(key, key)))
    if gate_names is not None and i < len(gate_names):
        return str(gate_names[i])
    return GATE_NAMES.get(key, key)


def spectral_radius(eigenvalues) -> float:
    """max |λ| over the finite eigenvalues; NaN if there are none."""
    lam = np.asarray(eigenvalues, dtype=np.complex128).reshape(-1)
    mag = np.abs(lam[np.isfinite(lam)])
    return float(mag.max()) if mag.size else float("nan")


def eigen_plane(
    eigenvalues,
    *,
    title: str = "Eigenvalues of W_hh",
    radius: float | None = None,
    gate_names: Mapping[str, str] | Sequence[str] | None = None,
) -> go.Figure:
    """The eigenvalues of the recurrent matrix in the complex plane, with the unit circle.

    eigenvalues: complex (H,), or a mapping gate -> (H,) complex (one per recurrent block of
    a GRU / LSTM: one colour each). Trace 0 is "unit circle |λ| = 1" (a grey line); then one
    markers trace per block, x = Re λ, y = Im λ (float32, NaN not drawn), named "W_hh" / the
    gate ("forget f", … or ``gate_names``: a mapping key -> name, or names in order) with its
    own radius "(ρ 0.97)" when there are several. The spectral radius ρ (``radius``, else
    max |λ| over all blocks) is stated in the title: "Eigenvalues of W_hh · ρ = 0.970".
    Equal aspect (``yaxis.scaleanchor = "x"``), both axes symmetric around 0 and showing the
    whole circle. Hover "W_hh / λ = 0.812 −0.120i / |λ| 0.821".
    """
    if isinstance(eigenvalues, Mapping):
        blocks = {str(k): v for k, v in eigenvalues.items()}
        many = len(blocks) > 1
    else:
        blocks = {"h": eigenvalues}
        many = False
    theta = np.linspace(0.0, 2.0 * np.pi, CIRCLE_POINTS)
    theta[-1] = 0.0  # closed exactly
    traces = [
        go.Scatter(
            x=f32(np.cos(theta)),
            y=f32(np.sin(theta)),
            mode="lines",
            name="unit circle |λ| = 1",
            line={"color": "#999999", "width": 1.5, "dash": "dash"},
            hoverinfo="skip",
        )
    ]
    extent = 1.0
    radii = []
    labels = {key: _gate_label(key, i, gate_names) for i, key in enumerate(blocks)}
    for i, (key, values) in enumerate(blocks.items()):
        lam = np.asarray(values, dtype=np.complex128).reshape(-1)
        ok = np.isfinite(lam)
        re = np.where(ok, lam.real, np.nan)
        im = np.where(ok, lam.imag, np.nan)
        mag = np.where(ok, np.abs(lam), np.nan)
        rho = spectral_radius(lam)
        radii.append(rho)
        if np.isfinite(rho):
            extent = max(extent, float(np.nanmax(np.abs(np.r_[re, im]))), rho)
        name = _gate_label(key, i, gate_names)
        if many:
            name = f"{name} (ρ {_fmt(rho, '.2f')})"
        colour = CLASS_COLOURS[i % len(CLASS_COLOURS)]
        traces.append(
            go.Scatter(
                x=as_values(re),
                y=as_values(im),
                mode="markers",
                name=esc(name),
                customdata=as_values(mag),
                marker={"size": 8, "color": colour, "opacity": 0.8, "line": {"width": 0}},
                hovertemplate=(
                    "%{fullData.name}<br>λ = %{x:.3f} %{y:+.3f}i<br>|λ| %{customdata:.3f}"
                    "<extra></extra>"
                ),
            )
        )
    rho = finite_or_none(radius)
    if rho is None:
        finite = [r for r in radii if np.isfinite(r)]
        rho = max(finite) if finite else None
    shown = f"{title} · ρ = {rho:.3f}" if rho is not None else f"{title} · ρ not finite"
    fig = complex_plane(
        traces, title=shown, extent=extent, legend="top" if len(traces) <= 3 else "side"
    )
    return describe(fig, summaries.eigenvalues(blocks, labels))


# ----------------------------------------------------------------------------- 4. spectrum


def spectrum_over_training(
    steps,
    radius,
    sigma=None,
    *,
    gamma: float = 1.0,
    title: str = "Spectral radius ρ and σ_max of W_hh",
) -> go.Figure:
    """ρ(W_hh) and σ_max(W_hh) at each logged step.

    steps, radius, sigma: (n,). Traces "ρ (spectral radius)" (solid blue) and "σ_max" (dotted
    vermillion, when given); ρ ≤ σ_max always. A dashed horizontal line at 1/γ (γ the
    activation's largest slope, 1 for tanh) labelled "1/γ (σ_max below this ⇒ gradients
    must vanish)"; none when γ is not finite and > 0. Step axis, ``uirevision="keep"``.
    """
    x = as_steps(steps)
    traces = [
        step_line(
            x,
            as_values(radius, x.size, what="radius").reshape(-1),
            "ρ (spectral radius)",
            "%{y:.4g}",
            colour=CLASS_COLOURS[0],
        )
    ]
    if sigma is not None:
        traces.append(
            step_line(
                x,
                as_values(sigma, x.size, what="sigma").reshape(-1),
                "σ_max",
                "%{y:.4g}",
                colour=CLASS_COLOURS[1],
                dash="dot",
            )
        )
    shapes = []
    g = finite_or_none(gamma)
    if g is not None and g > 0:
        shapes.append(hline(1.0 / g, "1/γ (σ_max below this ⇒ gradients must vanish)"))
    fig = step_chart(
        traces,
        title=title,
        y_title="magnitude (ρ, σ_max)",
        height=HEIGHT,
        yaxis={"rangemode": "tozero"},
        shapes=shapes,
    )
    level = 1.0 / g if g is not None and g > 0 else None
    return describe(fig, summaries.spectrum(x, radius, sigma, level))


# ----------------------------------------------------------------------------- 5. jacobian


def jacobian_chart(
    norms,
    saturation=None,
    tokens: Sequence[str] | None = None,
    *,
    title: str = "How far back the state still matters",
) -> go.Figure:
    """‖∂h_{T−1}/∂h_k‖ against k, on a log axis, with the saturated units beside it.

    norms: (T,) (the last entry is 1); trace "‖∂h_{T−1}/∂h_k‖", blue lines+markers, log y.
    saturation: (T,) fraction of units with |h| > 0.95 after each step: trace "saturated
    units", faint orange bars on a secondary y axis "saturated units" (right, 0–100%,
    ``yaxis2``), drawn first so the line stays on top. tokens: T strings as tick labels.
    """
    y = _norms(norms, "norms")
    T = y.size
    axes, x_title = _time_axis(T, tokens, "step k", "token read at step k")
    step_hover = "step %{x:d} · '%{x}'" if tokens is not None else "step %{x:d}"
    traces = []
    margin = None
    if saturation is not None:
        sat = as_values(saturation, what="saturation").reshape(-1)
        if sat.size != T:
            raise ValueError(f"saturation has {sat.size} values for {T} steps")
        traces.append(
            go.Bar(
                x=np.arange(T, dtype=np.int32),
                y=np.clip(sat, 0.0, 1.0),
                name="saturated units",
                yaxis="y2",
                marker={"color": SATURATION_COLOUR, "line": {"width": 0}},
                opacity=0.35,
                hovertemplate=f"{step_hover}: %{{y:.0%}} of units saturated<extra></extra>",
            )
        )
        axes["yaxis2"] = {
            "title": {"text": "saturated units"},
            "overlaying": "y",
            "side": "right",
            "range": [0.0, 1.0],
            "tickmode": "array",  # not synced to the log axis' gridlines
            "tickvals": np.array([0.0, 0.25, 0.5, 0.75, 1.0]),
            "tickformat": ".0%",
            "showgrid": False,
            "zeroline": False,
        }
        margin = {"r": 70}
    traces.append(
        go.Scatter(
            x=np.arange(T, dtype=np.int32),
            y=y,
            mode="lines+markers",
            name="‖∂h_{T−1}/∂h_k‖",
            line={"color": LINE_COLOUR, "width": 2.0},
            marker={"size": 6 if T <= 60 else 3, "color": LINE_COLOUR},
            hovertemplate=f"{step_hover}: ‖∂h_{{T−1}}/∂h_k‖ %{{y:.4g}}<extra></extra>",
        )
    )
    fig = figure(
        traces,
        title=title,
        height=HEIGHT,
        x_title=x_title,
        y_title="‖∂h_{T−1}/∂h_k‖ (log scale)",
        yaxis=dict(LOG_AXIS),
        axes=axes,
        legend=legend_for(len(traces)),
        margin=margin,
    )
    shown = list(tokens) if tokens is not None else None
    return describe(fig, summaries.jacobian(y, saturation, shown))


# ----------------------------------------------------------------------------- 6. clipping


def clipping_bars(
    norm_none: float,
    norm_global: float,
    norm_value: float,
    cos_global: float,
    cos_value: float,
    *,
    threshold: float,
    title: str = "One batch, three ways to clip",
) -> go.Figure:
    """The norm of one batch's update without clipping, with global-norm clipping and with
    per-element clipping, each labelled with its cosine to the unclipped gradient.

    One ``go.Bar``: x = "none", "global norm (keeps direction)", "per element (experiment)";
    y (3,) float32 (non-finite: no bar); ``text`` = "cos 1.000", "cos 0.998", "cos 0.830"
    (the unclipped gradient's cosine with itself is 1; "cos n/a" when not finite), drawn
    above each bar. A dashed line "threshold 1" at ``threshold`` (when finite and > 0).
    The y axis turns logarithmic when the finite positive norms span more than 30×.
    """
    values = np.array([norm_none, norm_global, norm_value], dtype=np.float64)
    cosines = np.array([1.0, cos_global, cos_value], dtype=np.float64)
    positive = values[np.isfinite(values) & (values > 0)]
    log = positive.size > 1 and positive.max() > 30.0 * positive.min()
    y = as_values(values, log=log)
    text = [f"cos {_fmt(c)}" for c in cosines]
    bar = go.Bar(
        x=list(CLIP_LABELS),
        y=y,
        text=text,
        textposition="outside",
        cliponaxis=False,
        marker={"color": list(CLIP_COLOURS), "line": {"width": 0}},
        hovertemplate=(
            "%{x}<br>update norm %{y:.4g}<br>%{text} with the unclipped gradient<extra></extra>"
        ),
    )
    shapes = []
    limit = finite_or_none(threshold)
    if limit is not None and limit > 0:
        shapes.append(hline(limit, f"threshold {limit:g}"))
    yaxis = dict(LOG_AXIS) if log else {"rangemode": "tozero"}
    finite = y[np.isfinite(y)]
    if not log and finite.size:  # room for the labels above the tallest bar
        top = max(float(finite.max()), limit or 0.0)
        yaxis["range"] = [0.0, 1.18 * top if top > 0 else 1.0]
    fig = figure(
        [bar],
        title=title,
        height=HEIGHT,
        x_title="clipping",
        y_title="‖update‖₂ (log scale)" if log else "‖update‖₂",
        yaxis=yaxis,
        shapes=shapes,
    )
    text = summaries.clipping(*values, cos_global, cos_value, threshold)
    return describe(fig, text)


# ----------------------------------------------------------------------------- 7. cliff


def cliff_chart(
    alphas,
    losses,
    *,
    marks: Sequence[tuple[float, str]] | None = None,
    x_title: str = "scale of W_hh (1 = now)",
    title: str = "The cliff: loss along one direction",
) -> go.Figure:
    """The loss along one line through parameter space, on a log axis.

    alphas, losses: (n,); trace "loss", blue lines+markers, x float32, y float32 with inf,
    NaN and ≤ 0 as gaps. marks: (alpha, label) pairs, each a dotted vertical layout shape at
    x = alpha over the plot's height, labelled at its top (non-finite alphas skipped).
    """
    x = as_values(alphas, what="alphas").reshape(-1)
    y = as_values(losses, x.size, what="losses", log=True).reshape(-1)
    trace = go.Scatter(
        x=x,
        y=y,
        mode="lines+markers",
        name="loss",
        line={"color": LINE_COLOUR, "width": 2.0},
        marker={"size": 5 if x.size <= 80 else 3, "color": LINE_COLOUR},
        hovertemplate="at %{x:.4g}: loss %{y:.5g}<extra></extra>",
    )
    shapes = []
    for alpha, label in marks or ():
        a = finite_or_none(alpha)
        if a is not None:
            mark = vline(a, str(label), dash="dot", colour=TARGET_COLOUR)
            mark["layer"] = "above"  # not hidden by a gridline at the same x (1 = now)
            shapes.append(mark)
    fig = figure(
        [trace],
        title=title,
        height=HEIGHT,
        x_title=x_title,
        y_title="loss (log scale)",
        xaxis={"zeroline": False},
        yaxis=dict(LOG_AXIS),
        shapes=shapes,
    )
    return describe(fig, summaries.cliff(alphas, losses, x_title))


# ----------------------------------------------------------------------------- 8. overlay


def runs_overlay(
    series: Mapping[str, tuple[np.ndarray, np.ndarray]],
    *,
    y_title: str,
    log_y: bool = False,
    title: str,
    target: float | None = None,
    target_label: str | None = None,
) -> go.Figure:
    """Several runs of one experiment on one step axis: one line per run.

    series: name -> (steps (n_i,), values (n_i,)), in order; colours follow the Okabe–Ito
    palette (the same run gets the same colour in every overlay built from the same mapping
    order). log_y: a log y axis (≤ 0 not drawn). x "training step"; ``uirevision="keep"``.
    A short series is drawn with markers too (:func:`ui.views.figure_kit.step_line`): a run
    that died after a few evaluations (or one) still shows them — a line needs two points.
    target: a dashed horizontal line there (a layout shape), labelled ``target_label`` or
    "target ≤ 1.708", when given, finite (and > 0 on a log axis).
    """
    traces = []
    for i, (name, (steps, values)) in enumerate(series.items()):
        x = as_steps(steps)
        y = as_values(values, x.size, what=f"series[{name!r}]", log=log_y).reshape(-1)
        traces.append(
            step_line(x, y, str(name), "%{y:.5g}", colour=CLASS_COLOURS[i % len(CLASS_COLOURS)])
        )
    shapes = []
    goal = None if target is None else float(target)
    if goal is not None and np.isfinite(goal) and (goal > 0 or not log_y):
        # under the line when no data lies above it (the line tops the range: a label above
        # it is cut off)
        above = any(np.any(np.asarray(t.y, dtype=np.float64) > goal) for t in traces)
        shapes.append(hline(goal, target_label or f"target ≤ {goal:.4g}", below=not above))
    fig = step_chart(
        traces,
        title=title,
        y_title=y_title,
        height=HEIGHT,
        yaxis=dict(LOG_AXIS) if log_y else None,
        shapes=shapes,
    )
    return describe(fig, summaries.overlay(series))


# ----------------------------------------------------------------------------- 9. gradcheck


def gradcheck_verdict(rel_error: float) -> str:
    """The verdict on a relative error: "ok" below 1e-5, "check" below 1e-3, else "WRONG"
    (also for NaN)."""
    r = float(rel_error)
    if r < VERDICT_OK:
        return "ok"
    if r < VERDICT_CHECK:
        return "check"
    return "WRONG"


def gradcheck_frame(report: Mapping[str, object]) -> pd.DataFrame:
    """A gradient check as a table: one row per parameter, in the report's order.

    report: name -> an object with ``rel_error``, ``analytic_norm``, ``numeric_norm`` (and
    ``n_checked``), like ``rnn_core.gradcheck.GradCheck``. Columns "parameter", "analytic
    norm", "numeric norm", "relative error" (floats) and "verdict" (:func:`gradcheck_verdict`).
    """
    rows = [
        {
            "parameter": str(name),
            "analytic norm": float(check.analytic_norm),
            "numeric norm": float(check.numeric_norm),
            "relative error": float(check.rel_error),
            "verdict": gradcheck_verdict(check.rel_error),
        }
        for name, check in report.items()
    ]
    columns = ["parameter", "analytic norm", "numeric norm", "relative error", "verdict"]
    return pd.DataFrame(rows, columns=columns)


OVERLAYS = ("loss", "test", "grad", "rho")  # the figures of run_overlays, in order


TEST_LOSS_TITLE = "Test loss, same seed and data"  # the runs' test MSE (regression tasks)
LM_TEST_TITLE = "Test loss per token"  # a language model's runs: cross-entropy in nats


def run_overlays(
    views: Mapping[str, object],
    classifier: bool,
    only: Sequence[str] = OVERLAYS,
    loss_goal: float | None = None,
) -> dict[str, go.Figure]:
    """Several runs' curves on shared axes, from their :class:`ui.services.run.RunView` s: "loss"
    (batch loss), "test" (test accuracy, or test MSE for regression), "grad" (gradient norm
    before clipping) and "rho" (ρ(W_hh) of layer 1) — or only the ones named in ``only``
    (a page redrawing two of them live builds just those two). ``loss_goal`` (a language
    model: its target test loss in nats per token): "test" is then the test loss, with the
    target and its perplexity as a dashed line, not the accuracy."""
    unknown = sorted(set(only) - set(OVERLAYS))
    if unknown:
        raise ValueError(f"unknown overlays {unknown}; have {OVERLAYS}")
    evals = {n: v.evals for n, v in views.items()}
    cols = {n: v.columns for n, v in views.items()}

    def test() -> go.Figure:
        if classifier and loss_goal is not None:
            return runs_overlay(
                {n: (e["step"], e["test_loss"]) for n, e in evals.items()},
                y_title="test loss (nats per token, log scale)",
                log_y=True,
                title=LM_TEST_TITLE,
                target=loss_goal,
                target_label=f"target ≤ {loss_goal:.4g} (perplexity {np.exp(loss_goal):.3g})",
            )
        if classifier:
            return runs_overlay(
                {n: (e["step"], e["test_acc"]) for n, e in evals.items()},
                y_title="test accuracy",
                title="Test accuracy",
            )
        return runs_overlay(
            {n: (e["step"], e["test_loss"]) for n, e in evals.items()},
            y_title="test MSE (log scale)",
            log_y=True,
            title=TEST_LOSS_TITLE,
        )

    def column(name: str, y_title: str, title: str, log_y: bool = True) -> go.Figure:
        return runs_overlay(
            {n: (c["step"], c[name]) for n, c in cols.items()},
            y_title=y_title,
            log_y=log_y,
            title=title,
        )

    builders = {
        "loss": lambda: column("loss", "batch loss (log scale)", "Loss"),
        "test": test,
        "grad": lambda: column("grad_norm", "‖∇‖₂ before clipping (log scale)", "Gradient norm"),
        "rho": lambda: column("rho0", "ρ(W_hh), layer 1", "Spectral radius", log_y=False),
    }
    return {name: builders[name]() for name in OVERLAYS if name in only}
