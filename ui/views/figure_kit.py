"""The chart kit: what every chart module (charts_explore, charts_train, charts_lab) draws with.

Pure (no streamlit). The house rules, held by every figure built with :func:`figure`:

- numbers go to plotly as numpy arrays (float32 for the big ones, :func:`f32`), so plotly 7
  sends them as base64 binary ("bdata"), never as JSON lists; only strings (labels) travel as
  lists;
- every token is shown through :func:`ui.views.html.display_token` (escaped for plotly's
  pseudo-HTML, whitespace made visible: :func:`token_labels`); other user strings (titles,
  names) go through :func:`esc`;
- template "plotly_white", compact margins, a title, axis titles that say what and in which
  unit, hover text that says what a value is;
- user strings (class names, sentences) reach hovers as data (``%{fullData.name}``,
  ``customdata``), never pasted into a template where "%{…}" would be evaluated;
- one pair of colour scales, shared with the HTML views (``ui.views.html``): diverging
  ColorBrewer RdBu for signed values (blue negative, white 0, red positive), viridis for
  non-negative ones (gates, probabilities). Class colours come from the Okabe–Ito palette
  (:data:`CLASS_COLOURS`).

Two kinds of x axis recur: a token axis (one column per step of a sentence, every token's
label drawn and readable at any length, :func:`token_axis`) and a training-step axis
(:func:`step_chart` and the helpers beside it).
"""

from __future__ import annotations

import html
import unicodedata
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio

from rnn_core.tasks.base import graphemes
from ui.views.html import display_token

# ----------------------------------------------------------------------------- the look

TEMPLATE = "plotly_white"
# plotly's toolbar (≈ 28 px, shown on hover) keeps the top band of every chart to itself: the
# title starts under it. In the title's row it covered the title of any chart narrower than
# ≈ 450 px; as a column down the right edge, legends and colour-bar titles (issue 18).
TOOLBAR_BAND = 32
MARGIN = {"l": 60, "r": 20, "t": 50 + TOOLBAR_BAND - 12, "b": 60}
FONT_SIZE = 13
TITLE_SIZE = 16
# Okabe–Ito: colour-blind safe. Class 0 blue, class 1 vermillion (the diverging scale's ends).
CLASS_COLOURS = (
    "#0072B2",
    "#D55E00",
    "#009E73",
    "#E69F00",
    "#CC79A7",
    "#56B4E9",
    "#F0E442",
    "#000000",
)
LINE_COLOUR = "#0072B2"  # a single series
TARGET_COLOUR = "#444444"  # targets, fits and reference lines
BATCH_COLOUR = "#7f7f7f"  # the noisy per-batch curve: grey and thin, behind the evaluations
LOG_AXIS = {"type": "log", "exponentformat": "power"}
PROB_AXIS = {"range": [-0.03, 1.03], "tickvals": np.array([0.0, 0.25, 0.5, 0.75, 1.0])}


def esc(text) -> str:
    """A non-token string (title, class name, label) made safe for plotly's pseudo-HTML."""
    return html.escape(str(text), quote=False)


def f32(a) -> np.ndarray:
    """``a`` as a contiguous float32 array: what plotly 7 sends as binary."""
    return np.ascontiguousarray(a, dtype=np.float32)


def clamp(value: float, lo: float, hi: float) -> int:
    """``value`` clamped to lo…hi, as a whole number of pixels."""
    return int(min(max(value, lo), hi))


def heatmap_height(rows: int) -> int:
    """Height of a heatmap with one row per unit: 14 px per row plus room for title and
    ticks, clamped to 260…700 px."""
    return clamp(130 + 14 * rows, 260, 700)


# ----------------------------------------------------------------------------- token axis

# Every token's label is drawn, at any length (Explore reads up to 200 tokens). A token axis
# gives each column a fixed minimum width in pixels and shows as many columns as fit; the rest
# are a drag (pan) away. Plotly does the fitting in the browser, whatever the container's
# width: the x axis is tied (``scaleanchor``) to an invisible ruler axis RULER_AXIS spanning
# 0…1 over the plot's height, so 1 step = ``scaleratio`` × plot height px = the column width;
# the x range starts at the first token and plotly widens it to fill the plot
# (``constrain="range"``), never past the last token (``maxallowed``): a short sentence in a
# wide chart gets wider columns, a long one in a narrow column a window to pan.
CHAR_FONT = 13  # upright labels (characters, short symbols)
WORD_FONT = 11  # labels that may stand on end (words)
UPRIGHT_MAX_PX = 17  # labels up to this wide at CHAR_FONT (2 characters, an emoji) stand upright
COLUMN_MIN_PX = 16  # the narrowest column, upright labels (a character and its gaps)
WORD_COLUMN_PX = 18  # a column under a word turned -90°: the line height of WORD_FONT + a gap
LABEL_GAP_PX = 8  # room between two upright labels
PAN_HINT = "↔ drag for more"  # a second line of the x title when they may not all fit
PAN_HINT_MARGIN = 18  # ... and the room it takes
PAN_HINT_PX = 600  # ... which is when T columns need more than this
RULER_AXIS = "y9"  # the invisible axis the token axis measures its columns with
MAX_TICK_LABELS = 25  # up to this many steps the tick font is a step larger


def token_labels(tokens: Sequence, T: int, what: str = "tokens") -> list[str]:
    """display_token of each token; a ValueError unless there is one per step (T)."""
    labels = [display_token(t) for t in tokens]
    if len(labels) != T:
        raise ValueError(f"{len(labels)} {what} for {T} steps")
    return labels


def _text_px(text: str, size: float) -> float:
    """A rough rendered width of a label in px, one grapheme cluster at a time (a skin-toned
    emoji or a flag is one glyph): wide characters and emoji count about double."""
    return size * sum(1.15 if _wide(g) else 0.62 for g in graphemes(text))


def _wide(cluster: str) -> bool:
    return any(unicodedata.east_asian_width(ch) in "WF" or ord(ch) >= 0x1F000 for ch in cluster)


def label_px(label: str, size: float) -> float:
    """:func:`_text_px` of a display label as drawn: plotly shows "&lt;" as one "<"."""
    return _text_px(html.unescape(label), size)


def token_axis(labels: list[str], *, min_column_px: float = 0) -> dict:
    """Layout for a step axis labelled with (display) tokens, for :func:`figure`'s ``axes``:
    {"xaxis": …, "yaxis": {"fixedrange": True}, RULER_AXIS layout key: …, "column_px": …}
    plus "margin_b" when the labels stand on end and "pan_hint" when they may not all fit.

    ``xaxis`` always has one tick per step, ``tickvals`` 0..T-1 and ``ticktext`` = all the
    labels, every one drawn. That is the contract hovers rely on: in a hovertemplate
    plotly.js replaces an unformatted ``%{x}`` by the axis' hover label, which for an axis in
    tickmode "array" is the ticktext at that tick value (``Axes.tickText``), so a hover shows
    the very label under its column, right even when tokens repeat, with no array of per-cell
    strings sent (``%{x:d}`` is the step number).

    Columns are at least ``column_px`` wide (see the note above :data:`CHAR_FONT`; a chart
    whose cells hold text asks for more with ``min_column_px``): labels up to
    UPRIGHT_MAX_PX wide (characters, with "␣", "↵", "⇥" for whitespace) stand upright
    (``tickangle`` 0) in columns of their widest label plus LABEL_GAP_PX, at least
    COLUMN_MIN_PX; longer labels (words) get WORD_COLUMN_PX columns and are turned -90° when
    they do not fit side by side (``autotickangles`` [0, -90]), the bottom margin grown to
    hold the longest. The chart pans sideways (``dragmode`` "pan", the y axis fixed), within
    the sentence (``minallowed``/``maxallowed``).
    """
    T = len(labels)
    widest = max((label_px(label, CHAR_FONT) for label in labels), default=0.0)
    upright = widest <= UPRIGHT_MAX_PX
    xaxis = {
        "tickmode": "array",
        "tickvals": np.arange(T),
        "ticktext": list(labels),
        "range": [-0.5, 0.5],  # one step: plotly widens it to fill the plot
        "minallowed": -0.5,
        "maxallowed": T - 0.5,
        "scaleanchor": RULER_AXIS,
        "constrain": "range",
        "constraintoward": "left",
        "showgrid": False,
    }
    axes: dict = {"xaxis": xaxis, "yaxis": {"fixedrange": True}}
    if upright:
        column = max(COLUMN_MIN_PX, widest + LABEL_GAP_PX, min_column_px)
        xaxis.update(tickangle=0, tickfont={"size": CHAR_FONT})
    else:
        size = 12 if T <= MAX_TICK_LABELS else WORD_FONT
        column = max(WORD_COLUMN_PX, 1.2 * size + 5, min_column_px)  # a line and a gap
        longest = max(label_px(label, size) for label in labels)
        xaxis.update(autotickangles=[0, -90], tickfont={"size": size})  # tickangle: auto
        axes["margin_b"] = clamp(longest + 50, 60, 220)
    axes["column_px"] = float(column)
    # not fixedrange: a pan moves the axes tied together, and a fixed one would stop it
    axes[_layout_key(RULER_AXIS)] = {"overlaying": "y", "range": [0.0, 1.0], "visible": False}
    if T * column > PAN_HINT_PX:
        axes["pan_hint"] = True
    return axes


def _layout_key(axis: str) -> str:
    """ "y9" -> "yaxis9": the layout key of an axis a trace names."""
    return f"{axis[0]}axis{axis[1:]}"


def _ruler() -> go.Scatter:
    """The trace on RULER_AXIS, last in a token chart's data: plotly lays out (and
    constrains) only axes a trace uses. One transparent point, below the ruler's range, no
    hover, no legend (:func:`is_ruler`)."""
    return go.Scatter(
        x=np.zeros(1, dtype=np.int32),
        y=np.full(1, -1.0, dtype=np.float32),
        yaxis=RULER_AXIS,
        mode="markers",
        marker={"opacity": 0},
        name=RULER_NAME,
        showlegend=False,
        hoverinfo="skip",
    )


RULER_NAME = "token-axis ruler"


def is_ruler(trace) -> bool:
    """Whether ``trace`` is a token axis' ruler (no data: skip it when reading a chart)."""
    return getattr(trace, "yaxis", None) == RULER_AXIS and trace.name == RULER_NAME


def data_traces(fig: go.Figure) -> list:
    """The traces of ``fig`` that show data: all but a token axis' ruler."""
    return [t for t in fig.data if not is_ruler(t)]


# ----------------------------------------------------------------------------- the figure

LEGENDS = {  # placement -> plotly legend layout (see figure)
    "top": {"orientation": "h", "x": 0.0, "xanchor": "left", "y": 1.01, "yanchor": "bottom"},
    "bottom": {"orientation": "h", "x": 0.0, "xanchor": "left", "y": -0.16, "yanchor": "top"},
    "foot": {
        "orientation": "h",
        "x": 0.0,
        "xanchor": "left",
        "y": 0.0,
        "yanchor": "bottom",
        "yref": "container",
    },
    "side": {
        "orientation": "v",
        "x": 1.02,
        "xanchor": "left",
        "y": 1.0,
        "yanchor": "top",
        "font": {"size": 11},
    },
}
TOP_LEGEND_MAX = 2  # legend_for: a row on top up to this many entries; at the foot up to 4


def legend_for(entries: int) -> str | None:
    """The legend placement for a figure with this many legend entries: none for one, a row
    on top up to TOP_LEGEND_MAX (2: a third entry wraps onto the title in a half-width
    column), a row at the foot for up to 4, else a column right of the plot."""
    if entries <= 1:
        return None
    if entries <= TOP_LEGEND_MAX:
        return "top"
    return "foot" if entries <= 4 else "side"


def figure(
    traces: list,
    *,
    title: str,
    height: float,
    x_title: str,
    y_title: str,
    xaxis: dict | None = None,
    yaxis: dict | None = None,
    legend: str | None = None,
    margin: dict | None = None,
    shapes: list | None = None,
    axes: dict | None = None,
    uirevision: str | None = None,
) -> go.Figure:
    """The house look, built in one go (one validation pass, ≈ 3× faster than updates):
    template, title, fonts, margins, axis titles, legend placement.

    legend, one of :data:`LEGENDS` or None (hidden): "top" (one row under the title, the top
    margin grown to 80 px), "bottom" (one row just under the x axis), "foot" (one row at the
    figure's foot, under the axis title; the bottom margin grown by 40 px, to at least 100)
    or "side" (a column right of the plot); :func:`legend_for` picks one by the number of
    entries. axes: layout axes merged over ``xaxis`` and ``yaxis``, as :func:`token_axis`
    returns them, with its extras: "margin_b" (the least bottom margin), "pan_hint" (a
    second x title line, PAN_HINT), "column_px" (the token axis' column width: sets its
    ``scaleratio`` from the final height and margins, ``dragmode`` "pan", and appends the
    ruler trace, :func:`is_ruler`); "annotations" too. uirevision: e.g. "keep", so a zoom or
    a legend click survives the redraws of a live chart."""
    m = dict(MARGIN)
    m.update(margin or {})
    layout = {
        "title": {
            "text": esc(title),
            "x": 0.0,
            "xref": "paper",
            "xanchor": "left",
            "y": 1.0,
            "yref": "container",
            "yanchor": "top",
            "pad": {"t": TOOLBAR_BAND},
            "font": {"size": TITLE_SIZE},
        },
        "height": int(height),
        "margin": m,
        "font": {"size": FONT_SIZE},
        "hoverlabel": {"font": {"size": FONT_SIZE}},
        "showlegend": legend is not None,
        "xaxis": dict(xaxis or {}),
        "yaxis": {**(yaxis or {}), "title": {"text": esc(y_title)}},
    }
    axes = dict(axes or {})
    annotations = axes.pop("annotations", None)
    margin_b = axes.pop("margin_b", None)
    column_px = axes.pop("column_px", None)
    pan_hint = axes.pop("pan_hint", False)
    for name, axis in axes.items():
        layout[name] = {**layout.get(name, {}), **axis}
    standoff = layout["xaxis"].pop("title_standoff", None)
    layout["xaxis"]["title"] = {"text": esc(x_title) + (f"<br>{PAN_HINT}" if pan_hint else "")}
    if standoff is not None:
        layout["xaxis"]["title"]["standoff"] = standoff
    if annotations:
        layout["annotations"] = annotations
    if margin_b is not None:
        m["b"] = max(m["b"], margin_b)
    if pan_hint:
        m["b"] += PAN_HINT_MARGIN
    if legend is not None:
        layout["legend"] = dict(LEGENDS[legend])
    if legend == "top":
        m["t"] = max(m["t"], 80 + TOOLBAR_BAND - 12)
    elif legend == "foot":
        m["b"] = max(m["b"] + 40, 100)
    if shapes:
        layout["shapes"] = shapes
    if uirevision is not None:
        layout["uirevision"] = uirevision
    if column_px is not None:  # a token axis: 1 step = column_px px of the plot's height
        plot_px = max(int(height) - m["t"] - m["b"], 1)
        layout["xaxis"]["scaleratio"] = column_px / plot_px
        layout["dragmode"] = "pan"
        # autoscale and zoom out would squeeze every column into view, the labels on top
        # of each other; "reset axes" and a double click come back to the readable view
        layout["modebar"] = {"remove": ["autoScale2d", "zoomOut2d"]}
        traces = [*traces, _ruler()]
    fig = go.Figure(data=traces, layout=layout)
    _set_unvalidated(fig, "template", pio.templates[TEMPLATE])
    return fig


def _set_unvalidated(fig: go.Figure, name: str, value) -> None:
    """``fig.layout[name] = value`` without plotly's validation (and deep copy): ≈ 13 ms for
    the registered template, ≈ 0.2 ms a shape or annotation. The values are built here and
    checked by the tests, which re-validate every figure; plotly rebuilds (and validates) the
    objects if ``fig.layout[name]`` is read."""
    layout = fig.layout
    previous = getattr(layout, "_validate", None)
    if previous is None:  # a plotly without this switch: the slow, validated way
        fig.update_layout({name: value})
        return
    try:
        layout._validate = False
        layout[name] = value
    finally:
        layout._validate = previous


def extend_layout(fig: go.Figure, name: str, items: list[dict]) -> None:
    """Append plain dicts to ``fig.layout[name]`` (a list of shapes or annotations), in
    place and without per-object validation (20 ms saved for 50 events)."""
    merged = [item.to_plotly_json() for item in fig.layout[name]] + items
    _set_unvalidated(fig, name, merged)


# ----------------------------------------------------------------------------- step axis

STEP_TITLE = "training step"
STEP_MARGIN = {"b": 45}  # compact: the step axis needs only its ticks and one title line
HOVER_STEP = "step %{x:,}"
FEW_POINTS = 20  # series with at most this many points get markers (one step is visible)


def as_values(values, n: int | None = None, *, what: str = "values", log: bool = False):
    """values as a contiguous float32 array with ±inf (and, for a log axis, values ≤ 0) set to
    NaN, so plotly leaves them out, a gap in the line (as do float64 values beyond float32's
    range, silently). ``n``: the expected length of the first axis (a ValueError otherwise)."""
    with np.errstate(over="ignore", invalid="ignore"):
        v = f32(values)
    if n is not None and (v.ndim == 0 or v.shape[0] != n):
        raise ValueError(f"{what} has shape {v.shape}; expected {n} rows, one per step")
    bad = ~np.isfinite(v)
    if log:
        bad |= v <= 0
    if bad.any():
        v = v.copy()
        v[bad] = np.nan
    return v


def as_steps(steps) -> np.ndarray:
    """The step axis, 1-D: int32 when every value is a whole number that fits (exact in the
    hover), else float32 (non-finite values become NaN)."""
    s = np.asarray(steps).reshape(-1)
    if s.dtype.kind in "iub" and (s.size == 0 or (s.min() >= -(2**31) and s.max() < 2**31)):
        return np.ascontiguousarray(s, dtype=np.int32)
    f = np.asarray(s, dtype=np.float64)
    if np.isfinite(f).all() and (f == np.round(f)).all() and (np.abs(f) < 2**31).all():
        return f.astype(np.int32)
    return as_values(f)


def finite_or_none(x) -> float | None:
    """x as a float, or None when it is None or not finite."""
    if x is None:
        return None
    x = float(x)
    return x if np.isfinite(x) else None


def step_line(
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
    """One series over training steps. The hover names the series (``fullData.name``: never
    evaluated), the step and the value formatted by ``hover_value`` (e.g. "%{y:.5g}").
    ``markers``: None draws them when the series has at most FEW_POINTS points, so a single
    step is a visible dot (a line needs two points)."""
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
        name=esc(name),
        line=line,
        opacity=opacity,
        hovertemplate=f"%{{fullData.name}}<br>{HOVER_STEP}: {hover_value}<extra></extra>",
        customdata=customdata,
        **kwargs,
    )


def decision_line() -> dict:
    """The two-class decision threshold, P = 0.5: a grey dashed line behind the data, across
    the plot (a layout shape), unlabelled."""
    return {
        "type": "line",
        "xref": "paper",
        "x0": 0.0,
        "x1": 1.0,
        "yref": "y",
        "y0": 0.5,
        "y1": 0.5,
        "layer": "below",
        "line": {"dash": "dash", "color": "#888888", "width": 1.5},
    }


def complex_plane(traces: list, *, title: str, extent: float, legend: str) -> go.Figure:
    """A figure of eigenvalues: Re λ against Im λ on equal, square axes reaching 1.12 ×
    ``extent`` (the unit circle and the points drawn by the caller, in ``traces``)."""
    lim = 1.12 * extent
    axis = {"range": [-lim, lim], "zeroline": True, "zerolinecolor": "#cccccc"}
    return figure(
        traces,
        title=title,
        height=440,
        x_title="Re λ",
        y_title="Im λ",
        xaxis={**axis, "constrain": "domain"},
        yaxis={**axis, "scaleanchor": "x", "scaleratio": 1, "constrain": "domain"},
        legend=legend,
    )


def hline(
    y: float,
    label: str,
    *,
    colour: str = TARGET_COLOUR,
    dash: str = "dash",
    below: bool = False,
    yref: str = "y",
    layer: str = "above",
    width: float = 1.5,
) -> dict:
    """A horizontal reference line (a layout shape) across the whole plot at data value ``y``
    (also on a log axis: shapes take data values), so it stays put under zoom and never
    stretches the data's autorange; drawn over the data (``layer="below"``: under it),
    labelled at its right end above the line (below it with ``below=True``, for a line near
    the top of a fixed range). ``yref`` names the panel's axis in a chart of several."""
    return {
        "type": "line",
        "xref": "paper",
        "x0": 0.0,
        "x1": 1.0,
        "yref": yref,
        "y0": y,
        "y1": y,
        "layer": layer,
        "line": {"color": colour, "width": width, "dash": dash},
        "label": {
            "text": esc(label),
            "textposition": "end",
            "xanchor": "right",
            "yanchor": "top" if below else "bottom",
            "font": {"size": 11, "color": colour},
        },
    }


def vline(
    x: float,
    label: str | None = None,
    *,
    dash: str = "dash",
    colour: str = TARGET_COLOUR,
    width: float = 1.5,
    label_left: bool = False,
) -> dict:
    """A vertical reference line (a layout shape) at ``x`` over the plot's full height, below
    the data, optionally labelled at its top: right of the line, or left of it with
    ``label_left`` (for a line near the right end of the axis, where the plot area would
    cut the label)."""
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
            "text": esc(label),
            "textposition": "end",
            "textangle": 0,
            "xanchor": "right" if label_left else "left",
            "yanchor": "top",
            "padding": 4,
            "font": {"size": 10, "color": colour},
        }
    return shape


def step_chart(
    traces: list,
    *,
    title: str,
    y_title: str,
    height: float,
    yaxis: dict | None = None,
    shapes: list | None = None,
) -> go.Figure:
    """A chart over training steps, as the live charts draw it: :func:`figure` with the x
    axis titled STEP_TITLE, compact STEP_MARGIN, the legend by :func:`legend_for` and
    ``uirevision="keep"``."""
    return figure(
        traces,
        title=title,
        height=height,
        x_title=STEP_TITLE,
        y_title=y_title,
        xaxis={"zeroline": False},
        yaxis=yaxis,
        legend=legend_for(len(traces)),
        margin=STEP_MARGIN,
        shapes=shapes,
        uirevision="keep",
    )


# ----------------------------------------------------------------------------- summaries


def describe(fig: go.Figure, text: str) -> go.Figure:
    """Attach a plain-text summary of what ``fig`` shows (computed from its data, see
    :mod:`ui.views.summaries`) as ``fig.layout.meta = {"summary": text}``; returns ``fig``.

    ``layout.meta`` holds arbitrary data and travels with the figure (JSON, the export
    bundle); the page shows it under the chart (``ui.glue.charts.show_chart``), where screen
    readers read it."""
    _set_unvalidated(fig, "meta", {"summary": str(text)})
    return fig


def summary_of(fig) -> str:
    """The summary :func:`describe` attached to ``fig`` (a figure or its JSON dict); "" if
    none."""
    layout = fig.get("layout", {}) if isinstance(fig, dict) else fig.layout
    meta = layout.get("meta") if isinstance(layout, dict) else layout.meta
    if isinstance(meta, dict):
        return str(meta.get("summary", ""))
    return ""
