"""The Dynamics lab's fixed and slow points as pictures and words: the points on Explore's
state map (same PCA basis) with their slow directions, their eigenvalues in the complex plane,
and a verdict computed from the numbers (:func:`line_numbers`, :func:`verdict`).

Pure (no streamlit): a :class:`ui.services.fixed_points.PointSet` in, figures and text out.
Each figure carries its plain-text summary (``figure_kit.describe``), written here from the
arrays it draws.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go

from rnn_core.model import RNNModel, Trace
from rnn_core.tasks import Task
from ui.services.fixed_points import (
    FIXED_SPEED,
    NEAR_ONE,
    NO_INPUT,
    SLOW_SPEED,
    SLOW_STEPS,
    PointSet,
)
from ui.views import analysis, charts_explore
from ui.views.explore_text import short
from ui.views.figure_kit import complex_plane, describe, f32, summary_of
from ui.views.html import plotly_colorscale, visible_token
from ui.views.summaries import num, pct, plural

LINE_SHARE = 0.9  # the points "lie along a line" when the first PC holds this much of their spread
SPREAD_SHARE = 0.6  # below this, they are "scattered"
ALIGNED = 0.8  # |cos| with the readout direction at least this: "along" it
ASKEW = 0.3  # below this: "nearly at right angles"
SEGMENT = 0.06  # a slow-direction segment's half-length, as a share of the map's extent
FIXED_COLOUR = "#111111"
# Okabe–Ito bluish green: clear of the path's black, of the class colours (blue, vermillion)
# and of every signed colour map's ends (red-blue, purple-orange, blue-yellow)
SLOW_COLOUR = "#009E73"
SEGMENT_COLOUR = "#009E73"
CIRCLE_POINTS = 181
MAP_HEIGHT = 600


# ----------------------------------------------------------------------------- the input


def input_options(task: Task) -> tuple[str, ...]:
    """What the input select shows: NO_INPUT, then the task's tokens, most frequent first
    (<pad> and <unk> left out; each as ``visible_token`` shows it, so a space is "␣"). A
    dense task has only NO_INPUT."""
    if task.encoder is None:
        return (NO_INPUT,)
    seen = {NO_INPUT}
    out = [NO_INPUT]
    for token in task.encoder.vocab[2:]:
        label = visible_token(token)
        if label not in seen:
            seen.add(label)
            out.append(label)
    return tuple(out)


def input_id(task: Task, label: str) -> int | None:
    """The token id a select label stands for; None for NO_INPUT or a label the task does
    not have."""
    if label == NO_INPUT or task.encoder is None:
        return None
    for i, token in enumerate(task.encoder.vocab):
        if i >= 2 and visible_token(token) == label:
            return i
    return None


# ----------------------------------------------------------------------------- numbers


def readout_direction(model: RNNModel) -> np.ndarray:
    """The direction of h (H,) unit length that the readout reads most: for two classes
    W_hy[:, 1] − W_hy[:, 0] (moving along it changes P(class 1) fastest), otherwise the
    first left singular vector of W_hy (H, O)."""
    W = np.asarray(model.params["W_hy"], np.float64)
    if W.shape[1] == 2 and model.config.loss == "xent":
        d = W[:, 1] - W[:, 0]
    else:
        d = np.linalg.svd(W, full_matrices=False)[0][:, 0]
    return d / max(float(np.linalg.norm(d)), 1e-300)


@dataclass(frozen=True)
class LineNumbers:
    """What the verdict says, measured on a PointSet."""

    input: str  # NO_INPUT or the token
    kind: str  # "slow points" or "fixed points"
    starts: int
    searched: int  # starts the fixed-point search ran from
    n_fixed: int
    n_stable: int  # stable fixed points
    n_slow: int
    pc1_share: float | None  # share of the points' variance on their first PC (≥ 3 points)
    pc2_share: float | None  # ... and on their second
    slow_along: float | None  # median |cos| between each point's slow direction and that PC
    fixed_place: float | None  # where the slowest stable fixed point sits along that PC:
    #                            0 at one end of the points' range, 0.5 in the middle
    cos_readout: float | None  # |cos| between that PC (or the slowest point's slow direction)
    cos_of: str  # ... "line" or "slow direction"
    near_one: int  # eigenvalues ≈ 1, median over the points
    top_abs: float | None  # the largest |λ|, median over the points
    fixed_top_abs: float | None  # the largest |λ| at the slowest stable fixed point

    @property
    def shape(self) -> str | None:
        """ "line" (the first PC holds LINE_SHARE), "bent" (the first SPREAD_SHARE and the
        first two LINE_SHARE), "spread", "scattered", or None (fewer than 3 points)."""
        if self.pc1_share is None:
            return None
        if self.pc1_share >= LINE_SHARE:
            return "line"
        if self.pc1_share >= SPREAD_SHARE:
            return "bent" if self.pc1_share + (self.pc2_share or 0) >= LINE_SHARE else "spread"
        return "scattered"


def _cos(v: np.ndarray, unit: np.ndarray) -> float:
    return float(abs(v @ unit) / max(float(np.linalg.norm(v)), 1e-300))


def line_numbers(points: PointSet, model: RNNModel) -> LineNumbers:
    """The numbers behind :func:`verdict`: how many points of each kind, whether they lie
    along a line (the shares of their variance on their first two principal components, in
    the full state), whether each point's slow direction runs along it, its |cos| with the
    readout direction (h part), the eigenvalues ≈ 1."""
    H = model.config.hidden_size
    K = len(points)
    pc1 = pc2 = along = place = cos = None
    cos_of = "line"
    readout = readout_direction(model)
    stable_fixed = np.flatnonzero(points.fixed & points.stable)
    if K >= 3:
        centred = points.points - points.points.mean(axis=0)
        _, sv, vt = np.linalg.svd(centred, full_matrices=False)
        var = sv**2
        if var.sum() > 0:
            pc1 = float(var[0] / var.sum())
            pc2 = float(var[1] / var.sum()) if len(var) > 1 else 0.0
            along = float(np.median(np.abs(points.slow_direction @ vt[0])))
            cos = _cos(vt[0, :H], readout)
            if len(stable_fixed):
                proj = centred @ vt[0]
                lo, hi = float(proj.min()), float(proj.max())
                at = (proj[stable_fixed[0]] - lo) / max(hi - lo, 1e-300)
                place = float(min(at, 1.0 - at))
    elif K >= 1:
        cos_of = "slow direction"
        cos = _cos(points.slow_direction[0, :H], readout)
    top = np.abs(points.eigenvalues[:, 0]) if K else np.zeros(0)
    return LineNumbers(
        input=points.input,
        kind=points.kind,
        starts=points.starts,
        searched=points.searched,
        n_fixed=points.n_fixed,
        n_stable=len(stable_fixed),
        n_slow=K - points.n_fixed,
        pc1_share=pc1,
        pc2_share=pc2,
        slow_along=along,
        fixed_place=place,
        cos_readout=cos,
        cos_of=cos_of,
        near_one=int(np.median(points.near_one)) if K else 0,
        top_abs=float(np.median(top)) if K else None,
        fixed_top_abs=float(top[stable_fixed[0]]) if len(stable_fixed) else None,
    )


def half_life(abs_lambda: float) -> float:
    """Steps for a push along an eigenvector with this |λ| to fade by half (inf at |λ| ≥ 1)."""
    if abs_lambda >= 1:
        return math.inf
    if abs_lambda <= 0:
        return 0.0
    return math.log(0.5) / math.log(abs_lambda)


_MARKDOWN = re.compile(r"([\\`*_\[\]<>#|~$])")


def md(text: str) -> str:
    """A token as Markdown that shows exactly its text (a token "*" must not turn italic)."""
    return _MARKDOWN.sub(r"\\\1", text)


def push_words(abs_lambda: float) -> str:
    """What happens to a small push along an eigenvector with this |λ|, for a hover: "fades
    by half in 22.5 steps", "stays" (|λ| = 1) or "grows ×1.07 per step"."""
    if abs_lambda > 1:
        return f"grows ×{abs_lambda:.3g} per step"
    t = half_life(abs_lambda)
    return "stays" if math.isinf(t) else f"fades by half in {num(t)} steps"


def _input_words(name: str) -> str:
    return "with no input" if name == NO_INPUT else f"reading “{md(name)}” again and again"


END = 0.2  # a fixed point this close to either end of the points' range (a share) ends them
ALONG = 0.7  # slow directions at least this |cos| with the first PC (median) run along it


def verdict(n: LineNumbers) -> str:
    """What was found, in words (Markdown), from the numbers alone: how many points, how many
    stable, whether they lie along a line and whether the state drifts along it, how the line
    sits against the readout, the eigenvalues ≈ 1. E.g. "… **1 fixed point** (stable) and
    **90 slow points**. The slow points lie along a line (98% of their spread on one
    direction) that ends in the stable fixed point. At each point the slow direction runs
    along the line (median |cos| 0.86): the state drifts along it, not across it, and slowly
    (1 eigenvalue ≈ 1 at a typical point) — the network counts evidence along it. …"."""
    where = _input_words(n.input)
    cut = (
        f" (the search ran from {n.searched} of {n.starts} visited states before its time ran out)"
        if n.searched < n.starts
        else ""
    )
    if n.n_fixed + n.n_slow == 0:
        what = (
            f"no fixed point (q ≤ {num(FIXED_SPEED)})"
            if n.kind == "fixed points"
            else f"no fixed point and no slow point (q ≤ {num(SLOW_SPEED)})"
        )
        tip = " Try **slow points**, or another input." if n.kind == "fixed points" else ""
        return (
            f"Started from {n.starts} states the network visits, {where}, the search found "
            f"{what}{cut}: wherever it starts, the state keeps moving.{tip}"
        )
    parts = []
    if n.n_fixed == 1:
        parts.append(f"**1 fixed point** ({'stable' if n.n_stable else 'unstable'})")
    elif n.n_fixed:
        unstable = n.n_fixed - n.n_stable
        parts.append(f"**{n.n_fixed} fixed points** ({n.n_stable} stable, {unstable} unstable)")
    else:
        parts.append("**no fixed point**")
    if n.kind == "slow points":
        parts.append(f"**{plural(n.n_slow, 'slow point')}**")
    said = [
        f"Started from {n.starts} states the network visits, {where}, the search found "
        f"{' and '.join(parts)}{cut}."
    ]
    near = plural(n.near_one, "eigenvalue")
    shape = n.shape
    who = "slow points" if n.n_slow >= 3 else "points"
    lineish = shape in ("line", "bent")
    if lineish:
        if shape == "line":
            share = pct(n.pc1_share)
            text = f"The {who} lie along a line ({share} of their spread on one direction)"
        else:
            text = (
                f"The {who} lie along one main direction ({pct(n.pc1_share)} of their spread), "
                f"bending into a second ({pct(n.pc2_share)})"
            )
        if n.n_slow >= 3 and n.n_stable == 1 and n.fixed_place is not None:
            text += (
                ": it ends in the stable fixed point"
                if n.fixed_place <= END
                else ", with the stable fixed point on it"
            )
        said.append(text + ".")
    elif shape == "spread":
        said.append(
            f"The {who} spread over more than a line: {pct(n.pc1_share)} of their spread is on "
            "the first direction."
        )
    elif shape == "scattered":
        said.append(
            f"The {who} are scattered: no single direction holds most of their spread "
            f"({pct(n.pc1_share)} on the first)."
        )
    if lineish and n.slow_along is not None and n.slow_along >= ALONG:
        text = (
            f"At each point the slow direction runs along the line (median |cos| "
            f"{n.slow_along:.2f}): the state drifts along it, not across it"
        )
        if n.near_one >= 1:
            text += (
                f", and slowly ({near} ≈ 1 at a typical point) — the network counts evidence "
                "along it."
            )
        said.append(text + ("" if n.near_one >= 1 else "."))
    elif n.near_one:
        dirs = "a direction" if n.near_one == 1 else "directions"
        said.append(f"At a typical point {near} ≈ 1: {dirs} the state barely moves in.")
    if n.fixed_top_abs is not None:
        t = half_life(n.fixed_top_abs)
        fade = "never fades" if math.isinf(t) else f"fades by half in ≈ {num(t)} steps"
        said.append(
            f"At the stable fixed point the slowest eigenvalue has |λ| = {n.fixed_top_abs:.3f}: "
            f"a push along it {fade}."
        )
    if n.cos_readout is not None:
        if n.cos_of != "line":
            what = "The slowest point's slow direction"
        elif lineish:
            what = "The line"
        else:
            what = "The points' main direction"
        c = f"|cos| {n.cos_readout:.2f}"
        if n.cos_readout >= ALIGNED:
            how = f"runs along the readout direction ({c}): moving along it changes the answer"
        elif n.cos_readout >= ASKEW:
            how = (
                f"is at {c} to the readout direction: moving along it changes the answer, "
                "but only partly"
            )
        else:
            how = (
                f"is nearly at right angles to the readout direction ({c}): moving along it "
                "barely changes the answer"
            )
        said.append(f"{what} {how}.")
    return " ".join(said)


# ----------------------------------------------------------------------------- the map


def _project(state_map: analysis.StateMap, points: PointSet, H: int):
    """(K, 2) positions and (K, 2) slow directions in the map's plane (the h part of the
    state; the PCA's mean is not subtracted from a direction)."""
    pca = state_map.pca
    xy = pca.transform(points.points[:, :H]) if len(points) else np.zeros((0, 2))
    d = points.slow_direction[:, :H] @ pca.components.T if len(points) else np.zeros((0, 2))
    return xy, d


def _hover_rows(points: PointSet) -> np.ndarray:
    """Per point: [number, what it is, q, eigenvalues ≈ 1, largest |λ|] for the hovers."""
    rows = []
    for k in range(len(points)):
        if points.fixed[k]:
            what = "fixed point, " + ("stable" if points.stable[k] else "unstable")
        else:
            what = "slow point"
        top = float(np.abs(points.eigenvalues[k, 0]))
        rows.append([k + 1, what, f"{points.speeds[k]:.2g}", int(points.near_one[k]), f"{top:.3f}"])
    return np.array(rows, dtype=object).reshape(len(points), 5)


POINT_HOVER = (
    "point %{customdata[0]} · %{customdata[1]}<br>speed q = %{customdata[2]}<br>"
    "eigenvalues ≈ 1: %{customdata[3]} · largest |λ| %{customdata[4]}<extra></extra>"
)


def points_map(
    model: RNNModel,
    task: Task,
    state_map: analysis.StateMap,
    trace: Trace,
    tokens: Sequence[str],
    points: PointSet,
    chosen: int | None = None,
) -> go.Figure:
    """Explore's state map (the same PCA of the training states, ``analysis.fit_state_map``)
    with one sentence's path, and the points over it: stable fixed points as filled
    diamonds, unstable ones open, slow points as small green dots, each point's slow
    direction as a short segment (its projection on the plane: short when it points out of
    the plane). ``chosen``: a point (0-based) ringed, the one whose eigenvalues are shown."""
    H = model.config.hidden_size
    path = state_map.pca.transform(trace.hs[-1])
    xy, d = _project(state_map, points, H)
    ratio = state_map.pca.explained_variance_ratio
    ends = state_map.ends
    cloud = (ends, state_map.end_labels) if state_map.end_labels is not None else ends
    fig = charts_explore.trajectory(
        [path],
        [short(tokens)],
        [tokens],
        background=analysis.readout_background(model, state_map, [path, xy]),
        cloud=cloud,
        class_names=task.class_names,
        title="Fixed and slow points on the state map",
        axis_titles=(
            f"PC 1 ({100 * ratio[0]:.0f}% of variance)",
            f"PC 2 ({100 * ratio[1]:.0f}% of variance)",
        ),
    )
    base = summary_of(fig)
    fig.update_layout(height=MAP_HEIGHT)  # room for the points' legend entries
    if len(points):
        everything = np.concatenate([path, xy, ends])
        everything = everything[np.isfinite(everything).all(axis=1)]
        span = float(np.ptp(everything, axis=0).max()) if len(everything) else 1.0
        half = SEGMENT * max(span, 1e-6)
        seg = np.full((3 * len(points), 2), np.nan)
        seg[0::3] = xy - half * d
        seg[1::3] = xy + half * d
        fig.add_trace(
            go.Scatter(
                x=f32(seg[:, 0]),
                y=f32(seg[:, 1]),
                mode="lines",
                name="slow direction",
                line={"color": SEGMENT_COLOUR, "width": 2},
                opacity=0.7,
                hoverinfo="skip",
            )
        )
        hover = _hover_rows(points)
        groups = (
            ("slow points", ~points.fixed, "circle", 7, SLOW_COLOUR),
            ("fixed point, stable", points.fixed & points.stable, "diamond", 14, FIXED_COLOUR),
            ("fixed point, unstable", points.fixed & ~points.stable, "diamond-open", 14,
             FIXED_COLOUR),
        )  # fmt: skip
        for name, which, symbol, size, colour in groups:
            if not which.any():
                continue
            fig.add_trace(
                go.Scatter(
                    x=f32(xy[which, 0]),
                    y=f32(xy[which, 1]),
                    mode="markers",
                    name=name,
                    marker={
                        "symbol": symbol,
                        "size": size,
                        "color": colour,
                        "line": {"width": 2, "color": colour}
                        if symbol.endswith("open")
                        else {"width": 1, "color": "white"},
                    },
                    customdata=hover[which],
                    hovertemplate=POINT_HOVER,
                )
            )
        if chosen is not None and 0 <= chosen < len(points):
            fig.add_trace(
                go.Scatter(
                    x=f32(xy[chosen : chosen + 1, 0]),
                    y=f32(xy[chosen : chosen + 1, 1]),
                    mode="markers",
                    name=f"point {chosen + 1} (eigenvalues shown)",
                    marker={
                        "symbol": "circle-open",
                        "size": 24,
                        "color": "#E69F00",
                        "line": {"width": 3, "color": "#E69F00"},
                    },
                    customdata=hover[chosen : chosen + 1],
                    hovertemplate=POINT_HOVER,
                )
            )
    return describe(fig, f"{base} {map_summary(points, xy, d)}")


def map_summary(points: PointSet, xy: np.ndarray, d: np.ndarray) -> str:
    """The points drawn over the map: "Over it: 1 fixed point (stable) and 90 slow points,
    from (−2.1, 0.3) to (1.8, −0.2); their slow directions keep 95% of their length in this
    plane (median).\""""
    K = len(points)
    if K == 0:
        return "No fixed or slow point to draw over it."
    n_fixed = points.n_fixed
    stable = int((points.fixed & points.stable).sum())
    text = f"Over it: {plural(n_fixed, 'fixed point')} ({stable} stable)"
    if points.kind == "slow points":
        text += f" and {plural(K - n_fixed, 'slow point')}"
    if K >= 2:
        lo, hi = xy[np.argmin(xy[:, 0])], xy[np.argmax(xy[:, 0])]
        text += f", from ({num(lo[0])}, {num(lo[1])}) to ({num(hi[0])}, {num(hi[1])}) on PC 1"
    else:
        text += f", at ({num(xy[0, 0])}, {num(xy[0, 1])})"
    kept = float(np.median(np.linalg.norm(d, axis=1)))
    return text + f"; their slow directions keep {pct(kept)} of their length in this plane."


# ----------------------------------------------------------------------------- eigenvalues


def points_eigenvalues(
    points: PointSet, colour: np.ndarray | None = None, chosen: int | None = None
) -> go.Figure:
    """The eigenvalues of the one-step Jacobian at the points, in the complex plane with the
    unit circle (|λ| = 1) and a small circle of radius NEAR_ONE around 1 (what counts as
    ≈ 1). All points at once, each point's eigenvalues coloured by ``colour`` (K,) (e.g. its
    place on the map's PC 1), fixed points' as diamonds; or only point ``chosen`` (0-based).
    Hover: the point, λ, |λ| and the half-life of a push along it."""
    theta = np.linspace(0.0, 2.0 * np.pi, CIRCLE_POINTS)
    theta[-1] = 0.0
    traces = [
        go.Scatter(
            x=f32(np.cos(theta)),
            y=f32(np.sin(theta)),
            mode="lines",
            name="unit circle |λ| = 1",
            line={"color": "#999999", "width": 1.5, "dash": "dash"},
            hoverinfo="skip",
        ),
        go.Scatter(
            x=f32(1 + NEAR_ONE * np.cos(theta)),
            y=f32(NEAR_ONE * np.sin(theta)),
            mode="lines",
            name=f"≈ 1 (|λ − 1| < {num(NEAR_ONE)})",
            line={"color": "#E69F00", "width": 1.5},
            hoverinfo="skip",
        ),
    ]
    K = len(points)
    which = np.arange(K) if chosen is None else np.array([chosen], int)
    which = which[(which >= 0) & (which < K)]
    extent = 1.0
    if len(which):
        lam = points.eigenvalues[which]  # (k, S)
        S = lam.shape[1]
        owner = np.repeat(which, S)
        flat = lam.reshape(-1)
        ok = np.isfinite(flat)
        owner, flat = owner[ok], flat[ok]
        mag = np.abs(flat)
        extent = max(extent, float(np.abs(flat.real).max()), float(np.abs(flat.imag).max()))
        hl = np.array([push_words(m) for m in mag], dtype=object)
        kinds = np.where(points.fixed[owner], "fixed", "slow")
        custom = np.stack([owner + 1, kinds, np.char.mod("%.3f", mag), hl], axis=1).astype(object)
        fixed_mask = points.fixed[owner]
        for name, sel, symbol, size in (
            ("at slow points", ~fixed_mask, "circle", 6),
            ("at fixed points", fixed_mask, "diamond", 10),
        ):
            if not sel.any():
                continue
            marker = {"symbol": symbol, "size": size, "opacity": 0.85, "line": {"width": 0}}
            if name == "at fixed points":  # open, on top: the slow points' show through
                marker.update(symbol="diamond-open", color=FIXED_COLOUR, line={"width": 1.5})
            elif chosen is None and colour is not None and K > 1:
                c = np.asarray(colour, np.float64)
                marker.update(
                    color=f32(c[owner[sel]]),
                    colorscale=plotly_colorscale(0.0, 1.0),  # the house viridis
                    cmin=float(np.nanmin(c)),
                    cmax=float(np.nanmax(c)),
                    colorbar={
                        "title": {"text": "point's PC 1", "side": "right"},
                        "thickness": 10,
                        "len": 0.6,
                        "outlinewidth": 0,
                    },
                    showscale=True,
                )
            else:
                marker["color"] = SLOW_COLOUR
            traces.append(
                go.Scatter(
                    x=f32(flat.real[sel]),
                    y=f32(flat.imag[sel]),
                    mode="markers",
                    name=name,
                    marker=marker,
                    customdata=custom[sel],
                    hovertemplate=(
                        "point %{customdata[0]} (%{customdata[1]})<br>λ = %{x:.3f} %{y:+.3f}i"
                        "<br>|λ| %{customdata[2]} · a push %{customdata[3]}<extra></extra>"
                    ),
                )
            )
    if K == 0:
        title = "Eigenvalues: no point was found"
    elif chosen is None:
        only = "fixed" if points.fixed[0] else "slow"
        title = f"Eigenvalues at all {K} points" if K != 1 else f"Eigenvalues at point 1 ({only})"
    else:
        what = "fixed" if points.fixed[chosen] else "slow"
        title = f"Eigenvalues at point {chosen + 1} ({what})"
    fig = complex_plane(traces, title=title, extent=extent, legend="foot")
    return describe(fig, eigen_summary(points, which))


def eigen_summary(points: PointSet, which: np.ndarray) -> str:
    """ "32 eigenvalues at each of 91 points: 0 outside the unit circle, 1 per point ≈ 1
    (median); the largest |λ| is 0.981 (point 7).\""""
    if len(which) == 0:
        return "No point, so no eigenvalues to draw."
    lam = points.eigenvalues[which]
    mag = np.abs(lam)
    S = lam.shape[1]
    outside = int((mag > 1).sum())
    k, j = np.unravel_index(int(np.nanargmax(mag)), mag.shape)
    near = np.median(points.near_one[which])
    where = f"point {int(which[0]) + 1}" if len(which) == 1 else f"each of {len(which)} points"
    return (
        f"{S} eigenvalues at {where}: {outside} outside the unit circle, "
        f"{num(near)}{' per point' if len(which) > 1 else ''} within {num(NEAR_ONE)} of 1"
        f"{' (median)' if len(which) > 1 else ''}; the largest |λ| is {mag[k, j]:.3f} "
        f"(point {int(which[k]) + 1})."
    )


TABLE_ROWS = 8


def points_table(points: PointSet, rows: int = TABLE_ROWS) -> dict[str, list]:
    """The first ``rows`` points (fixed points first, then slow ones, each slowest first) as
    columns for a table: number, what it is, speed q, eigenvalues ≈ 1, largest |λ| and the
    half-life of a push along its slowest direction."""
    out: dict[str, list] = {
        "point": [],
        "what": [],
        "speed q": [],
        "λ ≈ 1": [],
        "largest |λ|": [],
        "half-life (steps)": [],
    }
    for k in range(min(rows, len(points))):
        top = float(np.abs(points.eigenvalues[k, 0]))
        t = half_life(top)
        if points.fixed[k]:
            what = "fixed, " + ("stable" if points.stable[k] else "unstable")
        else:
            what = "slow"
        out["point"].append(str(k + 1))
        out["what"].append(what)
        out["speed q"].append(f"{points.speeds[k]:.1e}")
        out["λ ≈ 1"].append(str(int(points.near_one[k])))
        out["largest |λ|"].append(f"{top:.3f}")
        if top > 1:
            out["half-life (steps)"].append("grows")
        else:
            out["half-life (steps)"].append("never fades" if math.isinf(t) else num(t))
    return out


# ----------------------------------------------------------------------------- notes

MAP_NOTE = (
    "The same picture as Explore's *path through state space*: the network's state after "
    "each token, flattened onto the two directions along which the training states vary most "
    "(PCA). Over it, the places where the state **stands still** under a constant input:\n\n"
    f"- ◆ a **fixed point**: one step leaves the state where it is (speed q = ½‖F(h) − h‖² ≤ "
    f"{num(FIXED_SPEED)}). Filled: **stable**, every eigenvalue inside the unit circle, so "
    "states nearby fall into it; open: **unstable**, states nearby are pushed away.\n"
    f"- ● a **slow point**: where the search for fixed points, started from states the network "
    f"really visits, has got to after {SLOW_STEPS} steps, if one step there moves the state "
    f"only a little (q ≤ {num(SLOW_SPEED)}). Many slow points in a row make a *slow valley* "
    "the state drifts along.\n"
    "- the short segment through each point is its **slow direction** (the eigenvector whose "
    "eigenvalue is closest to 1), flattened onto the picture: a short segment points mostly "
    "out of the picture.\n\n"
    "Hover a point for its speed and its eigenvalues ≈ 1. The picture is a flattening: two "
    "points that look close may be far apart in the other directions. For an LSTM the map "
    "shows h, the first half of its state (h, c)."
)
EIGEN_NOTE = (
    "Each dot is an eigenvalue λ of the one-step Jacobian ∂F/∂h at a point: how a small push "
    "away from the point changes in one step, along one direction. |λ| < 1 (inside the dashed "
    "unit circle): the push shrinks; |λ| > 1: it grows (the point is unstable). An eigenvalue "
    f"close to 1 (inside the small orange circle, |λ − 1| < {num(NEAR_ONE)}) is a direction "
    "the state barely moves in: a push along it stays for many steps — the network's memory. "
    "A line attractor has exactly one such eigenvalue at each of its points. Complex pairs "
    "(above and below the axis) rotate as they shrink."
)
VERDICT_NOTE = (
    "Measured on your model as it is now (Explore and Train change it), from states along the "
    "task's test sequences. A **line** of slow points with one eigenvalue ≈ 1 is what "
    "Maheswaranathan et al. (2019) found in trained sentiment networks: each word pushes the "
    "state along the line, towards positive or negative, and the state stays where it was "
    "pushed — it counts the evidence. The |cos| compares the line with the readout direction, "
    "the direction of the state the output layer reads most (for two classes, the one that "
    "changes P(positive) fastest): 1 means the same direction, 0 at right angles."
)


def no_layers_note(layers: int) -> str:
    """Why a multi-layer model has no points here."""
    return (
        f"Fixed points are found for single-layer models only, and this model has {layers} "
        "layers. Train a one-layer model on the Train page (Layers: 1) to see its points."
    )


def label_input(name: str) -> str:
    """The input as a caption says it."""
    return "no input (a zero input vector)" if name == NO_INPUT else f"the token “{md(name)}”"
