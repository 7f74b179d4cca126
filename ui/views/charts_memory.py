"""The Dynamics lab's memory charts: memory beside gradient horizon, and the gates' τ.

Pure (no streamlit). Arrays in (``ui.services.memory_lab``'s measures), plotly figures out,
each with its plain-text summary (``figure_kit.describe``):

    memory_chart     two panels on one lag axis: the score against the lag (top) and the
                     relative ‖∂L/∂h‖ k steps before the output (bottom, log), the 10⁻³ level
                     and each model's gradient horizon as a dashed line through both
    tau_histogram    τ per unit in bins, before training and after
    tau_heatmap      the same bins at every snapshot: x training step, y τ, colour units
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from ui.services.memory_lab import tau_counts, tau_labels
from ui.views.figure_kit import (
    CLASS_COLOURS,
    LOG_AXIS,
    TARGET_COLOUR,
    describe,
    esc,
    f32,
    figure,
    hline,
    legend_for,
)
from ui.views.memory_words import lag_ranges, level_text
from ui.views.summaries import num

COLOURS = {
    "tanh RNN": CLASS_COLOURS[1],  # vermillion
    "GRU": CLASS_COLOURS[0],  # blue
    "LSTM": CLASS_COLOURS[2],  # green
    "your model": CLASS_COLOURS[7],  # black
}
GRAD_FLOOR = 1e-9  # the bottom panel's lower edge: ratios below it leave the chart
TOP = (0.56, 1.0)  # the panels' shares of the plot's height
BOTTOM = (0.0, 0.42)


def colour(name: str, k: int = 0) -> str:
    return COLOURS.get(name, CLASS_COLOURS[(3 + k) % len(CLASS_COLOURS)])


def _ref(y: float, label: str, yref: str, dash: str, below: bool = False) -> dict:
    """A labelled horizontal line across one panel (data value y on axis ``yref``), under
    the data."""
    return hline(
        y, label, colour=TARGET_COLOUR, dash=dash, below=below, yref=yref, layer="below",
        width=1.2,
    )  # fmt: skip


def memory_chart(
    measures: Sequence, *, title: str, chance: float | None = None, height: int = 620
) -> go.Figure:
    """Score and gradient against the lag, for ``measures`` (MemoryMeasure: name, curve,
    gradient) of one task. adding: MSE on a log axis with the goal (0.01) and the
    predict-the-mean level (1/6); copy: recall accuracy with the goal (95 %) and
    ``chance``."""
    if not measures:
        raise ValueError("no models to draw")
    metric = measures[0].curve.metric
    mse = metric == "mse"
    traces, shapes, notes = [], [], []
    longest = 0
    for k, m in enumerate(measures):
        c, g = m.curve, m.gradient
        col = colour(m.name, k)
        hover = "MSE %{y:.3g}" if mse else "recall %{y:.0%}"
        traces.append(
            go.Scatter(
                x=c.lags.astype(np.int32),
                y=f32(c.scores),
                name=esc(m.name),
                legendgroup=esc(m.name),
                mode="lines+markers",
                line={"color": col, "width": 2},
                marker={"size": 6, "color": col},
                xaxis="x2",
                hovertemplate=f"%{{fullData.name}}<br>lag %{{x}}: {hover}<extra></extra>",
            )
        )
        ratios = np.where(np.isfinite(g.ratios), g.ratios, np.nan)
        ratios = np.where(ratios >= GRAD_FLOOR, ratios, np.nan)
        longest = max(longest, g.ratios.size - 1, int(c.lags.max()))
        traces.append(
            go.Scatter(
                x=np.arange(g.ratios.size, dtype=np.int32),
                y=f32(ratios),
                name=esc(m.name),
                legendgroup=esc(m.name),
                showlegend=False,
                mode="lines",
                line={"color": col, "width": 2},
                yaxis="y2",
                hovertemplate="%{fullData.name}<br>%{x} steps back: ‖∂L/∂h‖ × %{y:.2g}"
                "<extra></extra>",
            )
        )
        if g.falls_below_at is not None:
            shapes.append(
                {
                    "type": "line",
                    "xref": "x",
                    "x0": g.falls_below_at,
                    "x1": g.falls_below_at,
                    "yref": "paper",
                    "y0": 0.0,
                    "y1": 1.0,
                    "layer": "below",
                    "line": {"color": col, "width": 1.5, "dash": "dash"},
                }
            )
            notes.append(
                {
                    "x": g.falls_below_at,
                    "xref": "x",
                    "y": -5.0 - 1.2 * len(notes),  # log10 on the gradient's axis
                    "yref": "y2",
                    "text": esc(
                        f"{m.name}: gradient < {level_text(g.level)} at {g.falls_below_at}"
                    ),
                    "showarrow": False,
                    "xanchor": "left",
                    "xshift": 4,
                    "bgcolor": "rgba(255,255,255,0.85)",
                    "font": {"size": 11, "color": col},
                }
            )
    if mse:
        shapes.append(_ref(1 / 6, "predict the mean: 0.167", "y", "dash"))
        shapes.append(_ref(0.01, "solved: MSE 0.01", "y", "dot"))
        yaxis = {**LOG_AXIS, "domain": TOP, "title": {"text": "test MSE (log)"}}
    else:
        shapes.append(_ref(0.95, "solved: 95%", "y", "dot", below=True))
        if chance is not None:
            shapes.append(_ref(chance, f"guessing: {chance:.0%}", "y", "dash"))
        yaxis = {"domain": TOP, "range": [-0.03, 1.03], "tickformat": ".0%"}
    level = measures[0].gradient.level
    peak = max((float(np.nanmax(m.gradient.ratios)) for m in measures), default=1.0)
    top = max(0.3, float(np.log10(peak)) + 0.3) if np.isfinite(peak) and peak > 0 else 0.3
    shapes.append(_ref(level, f"{level_text(level)} of the output's gradient", "y2", "dot"))
    fig = figure(
        traces,
        title=title,
        height=height,
        x_title="steps back from the output",
        y_title="test MSE (log)" if mse else "recall accuracy",
        xaxis={"range": [-2, longest + 2], "zeroline": False, "anchor": "y2"},
        yaxis=yaxis,
        legend=legend_for(len(measures)),
        shapes=shapes,
        axes={
            "annotations": notes,
            "xaxis2": {
                "matches": "x",
                "anchor": "y",
                "zeroline": False,
                "title": {"text": "lag: steps the first item is held", "standoff": 4},
            },
            "yaxis2": {
                **LOG_AXIS,
                "domain": BOTTOM,
                "anchor": "x",
                "range": [np.log10(GRAD_FLOOR), top],
                "title": {"text": "gradient ÷ at output"},
            },
        },
    )
    return describe(fig, memory_summary(measures, chance))


def memory_summary(measures: Sequence, chance: float | None = None) -> str:
    """The chart in words, short (the page says each model's sentence beside it): per model,
    where its gradient falls below the level and which lags it solves."""
    level = level_text(measures[0].gradient.level)
    reach, solved = [], []
    for m in measures:
        g, c = m.gradient, m.curve
        if g.falls_below_at is None:
            reach.append(f"{m.name} never within {g.ratios.size - 1} steps")
        else:
            reach.append(f"{m.name} at {g.falls_below_at} steps back")
        good = c.lags[c.ok]
        solved.append(f"{m.name} {lag_ranges(good, c.lags) if good.size else 'none'}")
    goal = "MSE ≤ 0.01" if measures[0].curve.metric == "mse" else "recall ≥ 95%"
    text = (
        f"Score and gradient against the lag for {', '.join(m.name for m in measures)}. "
        f"The gradient falls below {level} of its size at the output: {'; '.join(reach)}. "
        f"Lags solved ({goal}): {'; '.join(solved)}."
    )
    if chance is not None:
        text += f" Guessing scores {chance:.0%}."
    return text


# ----------------------------------------------------------------------------- time constants


def _top(taus) -> str:
    top = float(np.max(taus))
    return num(top) if np.isfinite(top) else "∞"


def _tau_text(taus) -> str:
    return f"{num(np.min(taus))}–{_top(taus)} (median {num(np.median(taus))})"


def tau_histogram(name: str, steps, taus) -> go.Figure:
    """Units per τ bin (:data:`memory_lab.TAU_EDGES`) at the first snapshot (grey) and the
    last (the model's colour); taus (S, H) in steps, steps (S,)."""
    taus = np.asarray(taus, np.float64)
    labels = tau_labels()
    before, after = tau_counts(taus[0]), tau_counts(taus[-1])
    first, last = int(steps[0]), int(steps[-1])
    traces = [
        go.Bar(
            x=labels,
            y=counts.astype(np.int32),
            name=f"step {step}",
            marker={"color": bar},
            hovertemplate="τ %{x} steps: %{y} units at step " + str(step) + "<extra></extra>",
        )
        for counts, step, bar in ((before, first, "#bbbbbb"), (after, last, colour(name)))
    ]
    fig = figure(
        traces,
        title=f"{name}: time constants of its {taus.shape[1]} units",
        height=360,
        x_title="τ = −1/ln(mean keep gate), steps (log-spaced bins)",
        y_title="units",
        legend="top",
    )
    fig.update_layout(barmode="group", bargap=0.15)
    text = (
        f"{name}: τ per unit at step {first}: {_tau_text(taus[0])} steps; at step {last}: "
        f"{_tau_text(taus[-1])} steps. Most units at step {last}: τ "
        f"{labels[int(np.argmax(after))]} steps."
    )
    return describe(fig, text)


def tau_heatmap(name: str, steps, taus) -> go.Figure:
    """Units per τ bin (y, log-spaced bins) at each snapshot (x, training step); taus (S, H)."""
    taus = np.asarray(taus, np.float64)
    steps = np.asarray(steps, np.int32)
    counts = tau_counts(taus)  # (S, bins)
    heat = go.Heatmap(
        x=steps,
        y=tau_labels(),
        z=f32(counts.T),
        colorscale="Viridis",
        zmin=0,
        colorbar={"title": {"text": "units"}, "thickness": 14},
        hovertemplate="step %{x}<br>τ %{y} steps: %{z:.0f} units<extra></extra>",
    )
    fig = figure(
        [heat],
        title=f"{name}: time constants over training",
        height=360,
        x_title="training step",
        y_title="τ (steps, log-spaced bins)",
        yaxis={"type": "category"},
    )
    medians = np.median(taus, axis=1)
    k = int(np.argmax(medians))
    text = (
        f"{name}: units per time-constant bin at {len(steps)} training steps from "
        f"{int(steps[0])} to {int(steps[-1])}. The median τ goes from {num(medians[0])} to "
        f"{num(medians[-1])} steps (highest {num(medians[k])} at step {int(steps[k])}); the "
        f"longest from {_top(taus[0])} to {_top(taus[-1])} steps."
    )
    return describe(fig, text)
