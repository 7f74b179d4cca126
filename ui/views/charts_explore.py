"""The Explore page's charts: numpy arrays in, ``plotly.graph_objects.Figure`` out.

No streamlit here, and no state: a page computes arrays with ``rnn_core`` (and
:mod:`ui.views.analysis`) and hands them over. Built with :mod:`ui.views.figure_kit` and its
house rules; most charts have one column per token read (:func:`ui.views.figure_kit.token_axis`).

Shapes: T steps, H hidden units, C classes, V vocabulary entries.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from ui.views import summaries
from ui.views.analysis import changing_units, top_k, unit_ranges
from ui.views.figure_kit import (
    CLASS_COLOURS,
    LINE_COLOUR,
    PROB_AXIS,
    TARGET_COLOUR,
    clamp,
    decision_line,
    describe,
    esc,
    f32,
    figure,
    heatmap_height,
    token_axis,
    token_labels,
)
from ui.views.html import (
    NEGATIVE_COLOUR,
    NEUTRAL_COLOUR,
    POSITIVE_COLOUR,
    display_token,
    is_diverging,
    plotly_colorscale,
    visible_token,
)

PATH_COLOURS = ("#111111", "#009E73")  # sentence A, sentence B: clear of the blue/red regions
UNSIGNED_COLOUR = "rgb(49,104,142)"  # a viridis blue-green: magnitudes, not signs
SCATTERGL_ABOVE = 3000  # more cloud points than this: WebGL
GAP_COLOUR = "#e6e6e6"  # behind a token only one of two compared sentences has
GUESS_COLUMN_PX = 38  # top_next_tokens: a column wide enough for "guess" over "42%"


# ----------------------------------------------------------------------------- helpers


def _unit_rows(order, H: int) -> np.ndarray:
    """The unit index shown in each row: ``order`` (any 1-D selection of units, usually a
    permutation) or 0..H-1."""
    if order is None:
        return np.arange(H)
    rows = np.asarray(order).reshape(-1)
    if rows.size and not np.issubdtype(rows.dtype, np.integer):
        raise ValueError("order must hold integer unit indices")
    rows = rows.astype(np.int64)
    if rows.size and (rows.min() < 0 or rows.max() >= H):
        raise ValueError(f"order holds unit indices outside 0..{H - 1}")
    return rows


def _unit_heatmap(
    values: np.ndarray,
    ticktext: list[str],
    *,
    order,
    zmin: float,
    zmax: float,
    title: str,
    value_name: str,
    unit_labels,
    x_title: str,
    hover_step: str,
) -> go.Figure:
    """values (T, H) -> units × steps: the one heatmap layout of :func:`hidden_heatmap` and
    :func:`state_difference`.

    The single trace is a ``go.Heatmap`` with ``z`` (R, T) float32 = ``values.T[order]``
    (R rows, :func:`_unit_rows`), ``x`` = 0..T-1, ``y`` = 0..R-1 (reversed axis: the first
    row on top). x: a token axis of ``ticktext`` (:func:`ui.views.figure_kit.token_axis`).
    y ticks "u12" (or ``unit_labels[u]``), every row up to 48 rows, then every k-th. Colours:
    diverging RdBu with white at 0 (zmid 0) when zmin < 0, viridis when zmin ≥ 0 (gates).
    Height: :func:`ui.views.figure_kit.heatmap_height` of R.

    Hover "step 3 · <hover_step> / unit 12 / <value_name> 0.734": the step is ``%{x:d}``, the
    column's label ``%{x}`` (the token axis' contract: no (R, T) array of strings, which
    would double the payload and take ≈ 10 ms to serialise for 64 × 200), the unit
    ``customdata`` (R, T) int, the unit index of each cell (numeric: it travels as binary).
    """
    T, H = values.shape
    rows = _unit_rows(order, H)
    R = rows.size
    z = f32(values[:, rows].T)  # (R, T)
    customdata = np.repeat(rows[:, None], T, axis=1)  # (R, T) unit index of each cell
    if unit_labels is None:
        names = [f"u{u}" for u in rows]
    else:
        unit_labels = list(unit_labels)
        if len(unit_labels) != H:
            raise ValueError(f"{len(unit_labels)} unit labels for {H} units")
        names = [esc(unit_labels[u]) for u in rows]
    diverging = is_diverging(zmin, zmax)
    heat = go.Heatmap(
        z=z,
        x=np.arange(T),
        y=np.arange(R),
        zmin=zmin,
        zmax=zmax,
        zmid=0.0 if diverging and zmax > 0 else None,
        colorscale=plotly_colorscale(zmin, zmax),
        customdata=customdata,
        hovertemplate=(
            f"step %{{x:d}} · {hover_step}<br>unit %{{customdata}}<br>"
            f"{esc(value_name)} %{{z:.3f}}<extra></extra>"
        ),
        xgap=1,  # columns are COLUMN_MIN_PX wide or more at any T (token_axis)
        ygap=1 if R <= 48 else 0,
        colorbar={"title": {"text": esc(value_name)}, "thickness": 14, "outlinewidth": 0},
    )
    # every row labelled up to 48 rows; beyond that every k-th (hover names each cell's unit)
    step = max(1, int(np.ceil(R / 48)))
    yaxis = {
        "tickmode": "array",
        "tickvals": np.arange(0, R, step),
        "ticktext": names[::step],
        "tickfont": {"size": 11 if R <= 32 else 9},
        "autorange": "reversed",
        "showgrid": False,
    }
    return figure(
        [heat],
        title=title,
        height=heatmap_height(R),
        x_title=x_title,
        y_title="hidden unit",
        axes=token_axis(ticktext),
        yaxis=yaxis,
    )


# ----------------------------------------------------------------------------- 1. heatmap


def hidden_heatmap(
    states,
    tokens: Sequence[str],
    *,
    order=None,
    zrange: tuple[float, float] = (-1.0, 1.0),
    title: str = "Hidden state h_t",
    value_name: str = "activation",
    unit_labels: Sequence[str] | None = None,
    x_title: str = "token just read (step →)",
) -> go.Figure:
    """The hidden state (or a gate) after every step: units × steps, laid out, coloured and
    hovered as :func:`_unit_heatmap` says, one column per token.

    states: (T, H) floats, row t = the state after reading tokens[t]. tokens: T strings (the
    x tick labels, display_token each). order: (R,) unit indices, the unit shown in each row
    top to bottom (usually a permutation of 0..H-1, e.g. ``probes.unit_order``); None =
    0..H-1. zrange = (zmin, zmax), zmin < zmax: the colour range. Hover "step 3 · token
    'bad' / unit 12 / activation 0.734" (``value_name``).
    """
    states = np.asarray(states)
    if states.ndim != 2:
        raise ValueError(f"states must be (T, H); got shape {states.shape}")
    T = states.shape[0]
    if T == 0:
        raise ValueError("no steps to draw")
    zmin, zmax = float(zrange[0]), float(zrange[1])
    if not zmin < zmax:
        raise ValueError(f"zrange must be (low, high) with low < high; got {zrange}")
    fig = _unit_heatmap(
        states,
        token_labels(tokens, T),
        order=order,
        zmin=zmin,
        zmax=zmax,
        title=title,
        value_name=value_name,
        unit_labels=unit_labels,
        x_title=x_title,
        hover_step="token '%{x}'",
    )
    return describe(fig, summaries.heatmap(states, list(tokens), value_name))


# ----------------------------------------------------------------------------- 2. prediction


def prediction_lines(
    probs,
    tokens: Sequence[str],
    class_names: Sequence[str],
    *,
    title: str = "Prediction after each token",
) -> go.Figure:
    """The classifier's answer if the sentence ended at each token.

    probs: (T, C) class probabilities after each step; tokens: T strings; class_names: C
    names (missing ones become "class c"). One ``go.Scatter`` (lines+markers) per class, in
    class order, ``y`` = probs[:, c], ``x`` = 0..T-1 with the display tokens as tick labels;
    y fixed to 0…1. For C == 2 a dashed line at 0.5 (a layout shape). Hover:
    "after 'not': positive 0.12".
    """
    probs = np.asarray(probs, dtype=np.float64)
    if probs.ndim != 2:
        raise ValueError(f"probs must be (T, C); got shape {probs.shape}")
    T, C = probs.shape
    if T == 0:
        raise ValueError("no steps to draw")
    labels = token_labels(tokens, T)
    names = [str(n) for n in class_names][:C]
    names += [f"class {c}" for c in range(len(names), C)]
    text = np.asarray(labels, dtype=object)
    steps = np.arange(T)
    traces = []
    for c in range(C):
        name = esc(names[c])
        traces.append(
            go.Scatter(
                x=steps,
                y=np.ascontiguousarray(probs[:, c]),
                mode="lines+markers",
                name=name,
                text=text,
                line={"color": CLASS_COLOURS[c % len(CLASS_COLOURS)], "width": 3},
                marker={"size": 7},
                hovertemplate="after '%{text}': %{fullData.name} %{y:.2f}<extra></extra>",
            )
        )
    shapes = []
    if C == 2:  # the decision threshold
        shapes.append(decision_line())
    fig = figure(
        traces,
        title=title,
        height=360,
        x_title="after reading this token",
        y_title="probability",
        axes=token_axis(labels),
        yaxis=PROB_AXIS,
        legend="top",
        shapes=shapes,
    )
    return describe(fig, summaries.prediction(probs, list(tokens), names))


def _ordinal(n: int) -> str:
    if 10 <= n % 100 <= 20:
        suffix = "th"
    else:
        suffix = {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def top_next_tokens(
    probs,
    tokens: Sequence[str],
    vocab: Sequence[str],
    *,
    k: int = 5,
    title: str | None = None,
    annotate_up_to: int = 60,
) -> go.Figure:
    """A language model's best guesses for the next token after each step.

    probs: (T, V) next-token probabilities; tokens: the T input tokens (x tick labels);
    vocab: V strings. Trace 0 is a ``go.Heatmap`` with ``z`` (k, T) float32 = the top-k
    probabilities (row r = the (r+1)-th best guess, labelled "1st".."kth", best on top),
    ``text`` (k, T) = display_token of the guessed tokens, drawn in each cell with its
    percentage (texttemplate, in columns of at least GUESS_COLUMN_PX; only while T ≤
    annotate_up_to, beyond that the guesses are in the hover). Viridis, 0…1. Hover "after
    'the' · 1st guess 'cat' / probability 42.0%".

    Trace 1 (when any): markers "◆ came next" on the cells whose guess is the token that
    actually followed (tokens[t + 1], looked up in vocab by its text).
    """
    probs = np.asarray(probs, dtype=np.float64)
    if probs.ndim != 2:
        raise ValueError(f"probs must be (T, V); got shape {probs.shape}")
    T, V = probs.shape
    if T == 0:
        raise ValueError("no steps to draw")
    vocab = [str(v) for v in vocab]
    if len(vocab) != V:
        raise ValueError(f"{len(vocab)} vocabulary entries for {V} probabilities")
    labels = token_labels(tokens, T)
    idx, top = top_k(probs, k)  # (T, k)
    k = idx.shape[1]
    uniq, inverse = np.unique(idx, return_inverse=True)
    guess = np.asarray([display_token(vocab[i]) for i in uniq], dtype=object)[inverse]
    guess = guess.reshape(idx.shape).T  # (k, T)

    # the token that actually came next, as a vocabulary index (-1: none / not in vocab)
    index = {v: i for i, v in enumerate(vocab)}
    actual = np.array([index.get(str(t), -1) for t in list(tokens)[1:]] + [-1], dtype=np.int64)
    hits = (idx == actual[:, None]) & (actual[:, None] >= 0)  # (T, k)
    next_shown = np.asarray([*labels[1:], "(end)"], dtype=object)
    ranks = [_ordinal(r + 1) for r in range(k)]
    annotate = annotate_up_to >= T
    heat = go.Heatmap(
        z=f32(top.T),
        x=np.arange(T),
        y=np.arange(k),
        zmin=0.0,
        zmax=1.0,
        colorscale=plotly_colorscale(0.0, 1.0),
        text=guess,
        texttemplate="%{text}<br>%{z:.0%}" if annotate else None,
        textfont={"size": 11},  # in columns of GUESS_COLUMN_PX (see token_axis)
        # %{x} and %{y} are the tick labels under/beside the cell (see token_axis)
        hovertemplate=(
            "after '%{x}' · %{y} guess '%{text}'<br>probability %{z:.1%}<extra></extra>"
        ),
        xgap=1,
        ygap=1,
        colorbar={
            "title": {"text": "probability"},
            "thickness": 14,
            "outlinewidth": 0,
            "tickformat": ".0%",
        },
    )
    traces = [heat]
    t_hit, r_hit = np.nonzero(hits)
    if t_hit.size:
        traces.append(
            go.Scatter(
                x=t_hit - 0.3,
                y=r_hit - 0.28,
                mode="markers",
                name="the token that came next",
                marker={
                    "symbol": "diamond",
                    "size": 9,
                    "color": "#E69F00",
                    "line": {"color": "#111111", "width": 1},
                },
                customdata=next_shown[t_hit],
                hovertemplate="'%{customdata}' came next<extra></extra>",
            )
        )
    yaxis = {
        "tickmode": "array",
        "tickvals": np.arange(k),
        "ticktext": ranks,
        "autorange": "reversed",
        "showgrid": False,
    }
    fig = figure(
        traces,
        title=title or f"Top-{k} guesses for the next token",
        height=clamp(130 + 48 * k, 260, 700),
        x_title="after reading this token",
        y_title="guess",
        axes=token_axis(labels, min_column_px=GUESS_COLUMN_PX if annotate else 0),
        yaxis=yaxis,
        legend="top" if t_hit.size else None,
    )
    guessed = np.asarray(vocab, dtype=object)[idx]  # (T, k) the guessed tokens, raw
    return describe(fig, summaries.next_tokens(top, guessed, hits, list(tokens)))


def regression_trace(
    pred,
    truth=None,
    tokens: Sequence[str] | None = None,
    *,
    title: str = "Prediction after each step",
    y_title: str = "value",
) -> go.Figure:
    """A regression readout after each step, against the truth.

    pred: (T,) the output after each step. truth: None; a scalar (a dashed horizontal line,
    trace named "target", x from -0.5 to T-0.5); or (T,) aligned values (a dashed line with
    markers named "target"). tokens: T labels for the x ticks (display_token), else step
    numbers. Trace 0 is the prediction.
    """
    pred = np.asarray(pred, dtype=np.float64).reshape(-1)
    T = pred.shape[0]
    if T == 0:
        raise ValueError("no steps to draw")
    steps = np.arange(T)
    labels = token_labels(tokens, T) if tokens is not None else None
    line = {"color": LINE_COLOUR, "width": 3}
    marker = {"size": 6 if T <= 60 or labels is not None else 3}  # a token column is wide
    if labels is not None:
        pred_trace = go.Scatter(
            x=steps,
            y=pred,
            mode="lines+markers",
            name="prediction",
            text=np.asarray(labels, dtype=object),
            line=line,
            marker=marker,
            hovertemplate="after '%{text}' (step %{x:d}): prediction %{y:.3f}<extra></extra>",
        )
    else:
        pred_trace = go.Scatter(
            x=steps,
            y=pred,
            mode="lines+markers",
            name="prediction",
            line=line,
            marker=marker,
            hovertemplate="step %{x:d}: prediction %{y:.3f}<extra></extra>",
        )
    traces = [pred_trace]
    if truth is not None:
        truth_arr = np.asarray(truth, dtype=np.float64)
        dashed = {"color": TARGET_COLOUR, "width": 2, "dash": "dash"}
        if truth_arr.ndim == 0 or (truth_arr.size == 1 and T != 1):
            traces.append(
                go.Scatter(
                    x=np.array([-0.5, T - 0.5]),
                    y=np.full(2, float(truth_arr.reshape(-1)[0])),
                    mode="lines",
                    name="target",
                    line=dashed,
                    hovertemplate="target %{y:.3f}<extra></extra>",
                )
            )
        else:
            truth_arr = truth_arr.reshape(-1)
            if truth_arr.shape[0] != T:
                raise ValueError(f"truth has {truth_arr.shape[0]} values for {T} steps")
            traces.append(
                go.Scatter(
                    x=steps,
                    y=truth_arr,
                    mode="lines+markers",
                    name="target",
                    line=dashed,
                    marker={"size": 5 if marker["size"] == 6 else 2, "symbol": "circle-open"},
                    hovertemplate="step %{x:d}: target %{y:.3f}<extra></extra>",
                )
            )
    fig = figure(
        traces,
        title=title,
        height=340,
        x_title="after reading this input" if labels is not None else "step",
        y_title=y_title,
        xaxis=None if labels is not None else {"range": [-0.5, T - 0.5]},
        axes=token_axis(labels) if labels is not None else None,
        legend="top" if truth is not None else None,
    )
    return describe(
        fig, summaries.regression(pred, truth, list(tokens) if tokens is not None else None)
    )


# ----------------------------------------------------------------------------- 5. units


def unit_change_bar(
    states, *, top: int = 10, title: str = "Units that change the most"
) -> go.Figure:
    """Horizontal bars: the ``top`` units with the largest range (max − min) over time.

    states: (T, H). One ``go.Bar`` (orientation "h"): ``x`` = the ranges, ``y`` = 0..n-1 with
    tick labels "u12", largest on top (in :func:`changing_units` order); ``customdata``
    (n, 3) = (unit, min, max) for the hover.
    """
    units = changing_units(states, top)
    lo, hi, rng = unit_ranges(states)
    n = units.size
    ranges = np.where(np.isfinite(rng[units]), rng[units], np.nan)
    customdata = np.stack([units.astype(np.float64), lo[units], hi[units]], axis=1)
    bar = go.Bar(
        x=ranges,
        y=np.arange(n),
        orientation="h",
        marker={"color": UNSIGNED_COLOUR},
        customdata=customdata,
        texttemplate="%{x:.2f}",
        textposition="outside",
        cliponaxis=False,
        hovertemplate=(
            "unit %{customdata[0]:.0f}<br>range %{x:.3f}<br>"
            "min %{customdata[1]:.3f} · max %{customdata[2]:.3f}<extra></extra>"
        ),
    )
    finite = ranges[np.isfinite(ranges)]
    top_x = float(finite.max()) if finite.size else 1.0
    yaxis = {
        "tickmode": "array",
        "tickvals": np.arange(n),
        "ticktext": [f"u{u}" for u in units],
        "autorange": "reversed",
    }
    fig = figure(
        [bar],
        title=title,
        xaxis={"range": [0.0, 1.18 * max(top_x, 1e-6)]},
        yaxis=yaxis,
        height=clamp(110 + 26 * n, 240, 600),
        x_title="range over the sentence (max − min)",
        y_title="hidden unit",
        margin={"r": 30},
    )
    return describe(fig, summaries.unit_ranges(units, ranges, lo[units], hi[units]))


# ----------------------------------------------------------------------------- 6. trajectory


def trajectory(
    paths: Sequence,
    labels: Sequence[str],
    tokens_list: Sequence[Sequence[str]],
    *,
    background=None,
    cloud=None,
    class_names: Sequence[str] = (),
    title: str = "Path of the hidden state",
    axis_titles: tuple[str, str] = ("PC 1", "PC 2"),
    background_title: str | None = None,
    equal_aspect: bool = True,
) -> go.Figure:
    """Sentences as paths through a 2-D view of the state space.

    paths: 1 or 2 arrays (T_i, 2), the state after each token projected (e.g. on 2 PCs);
    labels: a legend name per path; tokens_list: per path its T_i tokens.

    Traces, back to front:
    - background (optional) ``(xs (gx,), ys (gy,), p (gy, gx))``: what the readout says over
      the plane, a probability in 0…1 (P(class 1) for two classes): a faint ``go.Contour``,
      diverging around 0.5, with a dashed line at 0.5; its colour bar titled
      ``background_title`` (default "readout's P(<class_names[1]>)").
    - cloud (optional): (N, 2) points, or ``(points, ids)`` with (N,) int class ids: faint
      dots, one trace per class (named "training ends: <class>"); ``go.Scattergl`` above
      3000 points.
    - per path, three traces: the path (lines+markers+text, each token written next to its
      point), its start (one "circle-open" marker) and its end (one "star" marker).
    """
    paths = [np.asarray(p, dtype=np.float64) for p in paths]
    if not paths:
        raise ValueError("no path to draw")
    if not len(paths) == len(labels) == len(tokens_list):
        raise ValueError("paths, labels and tokens_list must have the same length")
    names = [str(c) for c in class_names]
    traces = []

    if background is not None:
        xs, ys, p = background
        xs, ys, p = np.asarray(xs, np.float64), np.asarray(ys, np.float64), f32(p)
        if p.shape != (ys.shape[0], xs.shape[0]):
            raise ValueError(f"background p must be (gy, gx) = {(ys.size, xs.size)}")
        if background_title is None:
            target = names[1] if len(names) > 1 else "class 1"
            background_title = f"readout's P({target})"
        bt = esc(background_title)
        traces.append(
            go.Contour(
                x=xs,
                y=ys,
                z=p,
                zmin=0.0,
                zmax=1.0,
                colorscale=plotly_colorscale(-1.0, 1.0),  # symmetric: white at 0.5
                contours={
                    "coloring": "heatmap",
                    "start": 0.5,
                    "end": 0.5,
                    "size": 0.5,
                    "showlines": True,
                },
                line={"color": "#555555", "width": 2, "dash": "dash"},
                opacity=0.4,
                name=bt,
                colorbar={
                    "title": {"text": bt, "side": "right"},
                    "thickness": 10,
                    "len": 0.7,
                    "outlinewidth": 0,
                    "tickvals": np.array([0.0, 0.5, 1.0]),
                },
                hovertemplate="%{fullData.name} %{z:.2f}<extra></extra>",
            )
        )

    if cloud is not None:
        if isinstance(cloud, tuple):
            points, ids = cloud
            ids = None if ids is None else np.asarray(ids).reshape(-1)
        else:
            points, ids = cloud, None
        points = f32(points)
        if points.ndim != 2 or points.shape[1] != 2:
            raise ValueError(f"cloud points must be (N, 2); got shape {points.shape}")
        if ids is not None and ids.shape[0] != points.shape[0]:
            raise ValueError("cloud ids must have one entry per point")
        kind = go.Scattergl if points.shape[0] > SCATTERGL_ABOVE else go.Scatter
        groups = (
            [(None, points)] if ids is None else [(c, points[ids == c]) for c in np.unique(ids)]
        )
        for c, pts in groups:
            if c is None:
                name, colour = "training sentences end here", "#888888"
            else:
                c = int(c)
                cname = names[c] if 0 <= c < len(names) else f"class {c}"
                name, colour = f"training ends: {esc(cname)}", CLASS_COLOURS[c % 8]
            traces.append(
                kind(
                    x=pts[:, 0],
                    y=pts[:, 1],
                    mode="markers",
                    name=name,
                    marker={"size": 5, "color": colour, "opacity": 0.35},
                    hoverinfo="skip",
                )
            )

    for i, (path, label, toks) in enumerate(zip(paths, labels, tokens_list, strict=True)):
        if path.ndim != 2 or path.shape[1] != 2:
            raise ValueError(f"path {i} must be (T, 2); got shape {path.shape}")
        T = path.shape[0]
        if T == 0:
            continue
        shown = np.asarray(token_labels(toks, T), dtype=object)
        colour = PATH_COLOURS[i % len(PATH_COLOURS)]
        name = esc(label)
        traces.append(
            go.Scatter(
                x=path[:, 0],
                y=path[:, 1],
                mode="lines+markers+text",
                name=name,
                legendgroup=f"path{i}",
                text=shown,
                textposition="top center" if i % 2 == 0 else "bottom center",
                textfont={"size": 12, "color": colour},
                customdata=np.arange(T),
                line={"color": colour, "width": 2.5},
                marker={"size": 7, "color": colour},
                hovertemplate=(
                    "%{fullData.name}<br>step %{customdata}: after '%{text}'<br>"
                    "(%{x:.2f}, %{y:.2f})<extra></extra>"
                ),
            )
        )
        for where, at, symbol, size in (
            ("start", 0, "circle-open", 16),
            ("end", T - 1, "star", 20),
        ):
            traces.append(
                go.Scatter(
                    x=path[at : at + 1, 0],
                    y=path[at : at + 1, 1],
                    mode="markers",
                    name=where,
                    legendgroup=where,
                    showlegend=i == 0,
                    marker={
                        "symbol": symbol,
                        "size": size,
                        "color": colour,
                        "line": {"width": 3 if symbol == "circle-open" else 1, "color": colour},
                    },
                    customdata=np.array([[name, shown[at]]], dtype=object),
                    hovertemplate=(
                        f"%{{customdata[0]}}<br>{where}: after '%{{customdata[1]}}'<extra></extra>"
                    ),
                )
            )
    yaxis = {"zeroline": False}
    if equal_aspect:
        yaxis.update(scaleanchor="x", scaleratio=1)
    fig = figure(
        traces,
        title=title,
        xaxis={"zeroline": False},
        yaxis=yaxis,
        height=500,
        x_title=axis_titles[0],
        y_title=axis_titles[1],
        legend="bottom",
        margin={"b": 70},
    )
    return describe(fig, summaries.paths(paths, [str(x) for x in labels], tokens_list))


# ----------------------------------------------------------------------------- 7. difference


def state_difference(
    a,
    b,
    tokens_a: Sequence[str],
    tokens_b: Sequence[str],
    *,
    pairs: Sequence[tuple[int | None, int | None]] | None = None,
    order=None,
    title: str = "Difference of hidden states (B − A)",
    unit_labels: Sequence[str] | None = None,
) -> go.Figure:
    """How the second sentence's state differs from the first's, token pair by token pair.

    a: (Ta, H), b: (Tb, H) states of sentences A and B. ``pairs``: the columns, (i, j) =
    A's step i against B's step j, in reading order (``analysis.align_tokens``); (i, None)
    or (None, j) is a gap, a token only one sentence has. None = position by position,
    (k, k), with the longer sentence's extra tokens as gaps at the end: no token is dropped.

    A :func:`_unit_heatmap` with one column per pair, n = len(pairs): column k is
    ``b[j] − a[i]``, NaN (drawn empty, on a light grey band) for a gap; diverging and
    symmetric: zmin = −m, zmax = m, m = max |b − a| over the pairs (at least 1e-6). x tick
    labels "tokA / tokB" (display_token each), "—" on a gap's missing side; hover "step 3 ·
    tokens (A / B) good / bad / unit 12 / B − A 0.412".
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1]:
        raise ValueError(f"a and b must be (T, H) with the same H; got {a.shape}, {b.shape}")
    la = token_labels(tokens_a, a.shape[0], "tokens_a")
    lb = token_labels(tokens_b, b.shape[0], "tokens_b")
    Ta, Tb = a.shape[0], b.shape[0]
    if pairs is None:
        pairs = [(k if k < Ta else None, k if k < Tb else None) for k in range(max(Ta, Tb))]
    pairs = list(pairs)
    for i, j in pairs:
        ok_i, ok_j = i is None or 0 <= i < Ta, j is None or 0 <= j < Tb
        if (i is None and j is None) or not (ok_i and ok_j):
            raise ValueError(f"bad pair ({i}, {j}) for {Ta} and {Tb} steps")
    if not pairs:
        raise ValueError("no steps to compare")
    diff = np.full((len(pairs), a.shape[1]), np.nan)
    for k, (i, j) in enumerate(pairs):
        if i is not None and j is not None:
            diff[k] = b[j] - a[i]
    finite = np.abs(diff[np.isfinite(diff)])
    m = max(float(finite.max()) if finite.size else 0.0, 1e-6)
    ticks = [f"{'—' if i is None else la[i]} / {'—' if j is None else lb[j]}" for i, j in pairs]
    fig = _unit_heatmap(
        diff,
        ticks,
        order=order,
        zmin=-m,
        zmax=m,
        title=title,
        value_name="B − A",
        unit_labels=unit_labels,
        x_title="tokens just read (A / B; — : only the other sentence has this token)",
        hover_step="tokens (A / B) %{x}",
    )
    for k, (i, j) in enumerate(pairs):  # a gap: its empty (NaN) column in light grey
        if i is None or j is None:
            fig.add_vrect(x0=k - 0.5, x1=k + 0.5, fillcolor=GAP_COLOUR, line_width=0, layer="above")
    plain = [
        f"{'—' if i is None else visible_token(tokens_a[i])} / "
        f"{'—' if j is None else visible_token(tokens_b[j])}"
        for i, j in pairs
    ]
    gaps = sum(i is None or j is None for i, j in pairs)
    return describe(fig, summaries.difference(diff, plain, gaps))


# ----------------------------------------------------------------------------- 8. saliency


def saliency_bars(
    scores,
    tokens: Sequence[str],
    *,
    title: str = "Which tokens mattered",
    signed: bool = True,
    value_title: str = "saliency",
) -> go.Figure:
    """One bar per token: how much it mattered to the final prediction.

    scores: (T,) floats; tokens: T strings (x tick labels, display_token). A single
    ``go.Bar`` with ``y`` = scores; signed: ``marker.color`` per bar, red (POSITIVE_COLOUR)
    for > 0, blue (NEGATIVE_COLOUR) for < 0, grey for 0 — the diverging scale's ends;
    unsigned: one colour. ``customdata`` holds the tokens for the hover "'bad': 0.1234".
    """
    scores = np.asarray(scores, dtype=np.float64).reshape(-1)
    T = scores.shape[0]
    if T == 0:
        raise ValueError("no steps to draw")
    labels = token_labels(tokens, T)
    if signed:
        colours = np.where(
            scores > 0, POSITIVE_COLOUR, np.where(scores < 0, NEGATIVE_COLOUR, NEUTRAL_COLOUR)
        ).tolist()
    else:
        colours = UNSIGNED_COLOUR
    bar = go.Bar(
        x=np.arange(T),
        y=scores,
        marker={"color": colours},
        customdata=np.asarray(labels, dtype=object),
        hovertemplate=f"'%{{customdata}}': {esc(value_title)} %{{y:.4g}}<extra></extra>",
    )
    fig = figure(
        [bar],
        title=title,
        height=340,
        x_title="token",
        y_title=value_title,
        axes=token_axis(labels),
        yaxis={"zeroline": True, "zerolinecolor": "#888888", "zerolinewidth": 1.5},
    )
    return describe(fig, summaries.saliency(scores, list(tokens), signed, value_title))
