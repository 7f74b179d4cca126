"""Where the gradient comes from (RNNbow, Cashman et al. 2018): ∂L/∂h_t split by the output step
whose loss sent it, as stacked bars, and the same in words. Pure: arrays in, a figure or text
out (no streamlit).

    c = projections(bow.parts, bow.total)            # (S, T): each source's share, summing
    fig = rnnbow_chart(c, bow.sources, ‖total‖, …)   #   exactly to ‖∂L/∂h_t‖
    text = where_from_words(c, bow.sources, ‖total‖, tokens, targets)

The split is of vectors: the part of ∂L/∂h_t sent by the loss at step s is a vector, and the
norms of the parts do not add up to the norm of their sum. What is stacked is each part's
projection onto the direction of the total, ⟨part_s, total⟩ / ‖total‖: these add up exactly to
‖total‖ = ‖∂L/∂h_t‖, the number the gradient lab draws. A part that points against the total
has a negative projection (a band below 0): that loss pushes the state the other way and
cancels some of the others.

When a sequence has more than :data:`MAX_BANDS` source steps, neighbouring sources are
summed into one band (contiguous groups of equal size), so every band stays wide enough to
see; the words are computed from every source on its own.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from ui.views.figure_kit import (
    TARGET_COLOUR,
    describe,
    esc,
    f32,
    figure,
    token_axis,
    token_labels,
)
from ui.views.html import plotly_colorscale, sequential_rgb
from ui.views.summaries import num, pct, tok

MAX_BANDS = 64  # more source steps than this: neighbours are summed into one band
HEIGHT = 420
LEVEL = 0.8  # "most of the gradient": this share of it
SMALL = 0.01  # "contributes less than 1%"
PUSH_BACK = 0.05  # a loss taking away more than this share of a step's gradient is named
Y_TITLE = "‖∂L/∂h_t‖ split by source (loss per unit of state)"
TOTAL_NAME = "‖∂L/∂h_t‖, the total (the gradient lab's curve)"


# ----------------------------------------------------------------------------- numbers


def projections(parts, total) -> np.ndarray:
    """Each part's projection onto the direction of the total, ⟨parts[s, t], total[t]⟩ /
    ‖total[t]‖: (S, T) float64 from parts (S, T, H) and total (T, H). Where the parts sum to
    the total, the projections sum to ‖total[t]‖ exactly (column t). A step whose total is 0
    (or not finite) gets 0 for every source."""
    p = np.asarray(parts, dtype=np.float64)
    g = np.asarray(total, dtype=np.float64)
    if p.ndim != 3 or g.ndim != 2 or p.shape[1:] != g.shape:
        raise ValueError(f"parts {p.shape} and total {g.shape}: expected (S, T, H) and (T, H)")
    norm = np.linalg.norm(g, axis=1)
    ok = np.isfinite(norm) & (norm > 0)
    unit = np.zeros_like(g)
    unit[ok] = g[ok] / norm[ok, None]
    with np.errstate(all="ignore"):
        out = np.einsum("sth,th->st", p, unit)
    out[:, ~ok] = 0.0
    return out


def source_groups(sources, max_bands: int = MAX_BANDS) -> list[np.ndarray]:
    """The source steps of each band: every source on its own up to ``max_bands`` of them,
    else ``max_bands`` contiguous groups whose sizes differ by at most one."""
    s = np.sort(np.asarray(sources, dtype=np.int64).reshape(-1))
    if s.size == 0:
        raise ValueError("no source steps")
    return [g for g in np.array_split(s, min(s.size, max(1, int(max_bands)))) if g.size]


def shares(contrib, total) -> np.ndarray:
    """contrib (S, T) / total (T,): each source's share of ‖∂L/∂h_t‖ (0 where the total is 0
    or not finite)."""
    c = np.asarray(contrib, dtype=np.float64)
    n = np.asarray(total, dtype=np.float64).reshape(-1)
    ok = np.isfinite(n) & (n > 0)
    out = np.zeros_like(c)
    out[:, ok] = c[:, ok] / n[ok]
    return out


def step_reach(contrib, sources, total, level: float = LEVEL) -> np.ndarray:
    """For each step t, how many steps ahead the losses reach that send ``level`` of its
    gradient: the least d such that the sources t … t + d hold ≥ ``level`` of ‖∂L/∂h_t‖
    (their shares summed, in order of s). (T,) ints; −1 where the total is 0. When negative
    shares keep the sum below ``level``, d is the distance to the last source."""
    sh = shares(contrib, total)
    src = np.asarray(sources, dtype=np.int64)
    n = np.asarray(total, dtype=np.float64).reshape(-1)
    T = n.size
    order = np.argsort(src)
    src, sh = src[order], sh[order]
    out = np.full(T, -1, dtype=np.int64)
    for t in range(T):
        if not (np.isfinite(n[t]) and n[t] > 0):
            continue
        ahead = src >= t
        if not ahead.any():
            continue
        cum = np.cumsum(sh[ahead, t])
        hit = np.flatnonzero(cum >= level - 1e-12)
        last = src[ahead][hit[0]] if hit.size else src[ahead][-1]
        out[t] = int(last) - t
    return out


def far_share(contrib, sources, total, beyond: int) -> np.ndarray:
    """(T,) Σ |share| of the losses more than ``beyond`` steps after t, at each step t: how
    much of ‖∂L/∂h_t‖ comes from far ahead (absolute values: a far loss that pushes back
    counts too)."""
    sh = np.abs(shares(contrib, total))
    src = np.asarray(sources, dtype=np.int64)
    T = sh.shape[1]
    far = src[:, None] > np.arange(T)[None, :] + beyond  # (S, T)
    return (sh * far).sum(axis=0)


def quiet_beyond(contrib, sources, total, small: float = SMALL) -> int:
    """The least D such that at every step, the losses more than D steps later send less than
    ``small`` of its gradient (:func:`far_share`). 0: only each step's own loss matters."""
    T = np.asarray(total).reshape(-1).size
    for D in range(max(T, 1)):
        if far_share(contrib, sources, total, D).max(initial=0.0) < small:
            return D
    return T


# ----------------------------------------------------------------------------- the chart


def band_names(groups: Sequence[np.ndarray], targets: Sequence[str] | None, verb: str) -> list[str]:
    """What each band is, for its hover: "from the loss at step 7, predicting 'e'" (one
    source, ``targets[s]`` being what the loss at step s scores), "from the losses at steps
    12–14" (a group). ``verb``: "predicting" (classes) or "target" (values). Plain text."""
    names = []
    for g in groups:
        a, b = int(g[0]), int(g[-1])
        if a == b:
            what = f", {verb} {tok(targets[a])}" if targets is not None else ""
            names.append(f"from the loss at step {a}{what}")
        else:
            names.append(f"from the losses at steps {a}–{b}")
    return names


def rnnbow_chart(
    contrib,
    sources,
    total,
    tokens: Sequence[str] | None = None,
    targets: Sequence[str] | None = None,
    *,
    verb: str = "predicting",
    title: str = "Where the gradient reaching each step comes from",
    max_bands: int = MAX_BANDS,
) -> go.Figure:
    """‖∂L/∂h_t‖ at each step as stacked bars, one band per source output step s (or group
    of neighbouring sources, :func:`source_groups`), coloured along the sequential scale by s
    (a colour bar names it), plus the total as a dark tick on each bar.

    contrib: (S, T) :func:`projections` (they sum to ``total`` over s); sources: (S,) the
    output step of each row; total: (T,) ‖∂L/∂h_t‖. tokens: T input labels (a token axis);
    targets: one label per step, what the loss at that step scores (the next token, a
    class, a value), named in the hovers. Bars ``barmode="relative"``: a negative projection
    is drawn below 0. Each band's hover names its source(s), the step and its token, the
    value and its share of the total (``customdata``).
    """
    c = np.asarray(contrib, dtype=np.float64)
    n = np.asarray(total, dtype=np.float64).reshape(-1)
    src = np.asarray(sources, dtype=np.int64).reshape(-1)
    T = n.size
    if c.shape != (src.size, T):
        raise ValueError(f"contrib {c.shape}: expected ({src.size}, {T})")
    if targets is not None and len(targets) != T:
        raise ValueError(f"{len(targets)} targets for {T} steps")
    order = np.argsort(src)
    src, c = src[order], c[order]
    groups = source_groups(src, max_bands)
    names = band_names(groups, targets, verb)
    sh = shares(c, n)
    row = {int(s): i for i, s in enumerate(src)}
    steps = np.arange(T)
    if tokens is not None:
        axes, x_title = token_axis(token_labels(tokens, T)), "token read at step t"
        where = "step %{x:d} · '%{x}'"
    else:
        axes, x_title = {"xaxis": {"range": [-0.5, T - 0.5]}}, "timestep t"
        where = "step %{x:d}"
    hover = (
        f"{where}<br>%{{fullData.name}}<br>%{{y:.3g}}: %{{customdata:.0%}} of ‖∂L/∂h_t‖"
        "<extra></extra>"
    )
    top = max(T - 1, 1)
    traces = []
    for g, name in zip(groups, names, strict=True):
        rows = [row[int(s)] for s in g]
        y = c[rows].sum(axis=0)
        share = sh[rows].sum(axis=0)
        reach = steps <= int(g[-1])  # a loss never reaches a later step: nothing to draw
        traces.append(
            go.Bar(
                x=steps[reach].astype(np.int32),
                y=f32(y[reach]),
                customdata=f32(share[reach]),
                name=esc(name),
                marker={"color": sequential_rgb(float(g.mean()), 0.0, top), "line": {"width": 0}},
                hovertemplate=hover,
                showlegend=False,
            )
        )
    traces.append(
        go.Scatter(
            x=steps.astype(np.int32),
            y=f32(n),
            mode="markers",
            name=esc(TOTAL_NAME),
            marker={
                "symbol": "line-ew",
                "size": 14 if T <= 80 else 8,
                "line": {"width": 2.5, "color": TARGET_COLOUR},
                "color": TARGET_COLOUR,
            },
            hovertemplate=f"{where}<br>‖∂L/∂h_t‖ = %{{y:.3g}}<extra></extra>",
        )
    )
    if len(groups) > 1:  # one band (a many-to-one task): its hover names it, no key needed
        traces.append(_colour_key(top))
    fig = figure(
        traces,
        title=title,
        height=HEIGHT,
        x_title=x_title,
        y_title=Y_TITLE,
        yaxis={"zeroline": True, "zerolinecolor": "#999999"},
        axes=axes,
        legend="top",
        margin={"r": 90},
    )
    fig.update_layout(barmode="relative", bargap=0.15)
    return describe(fig, chart_summary(c, src, n, tokens, len(groups)))


def _colour_key(top: int) -> go.Scatter:
    """An invisible point whose colour bar is the key of the bands' colours: the source step
    s, 0 … T−1, on the sequential scale."""
    return go.Scatter(
        x=np.zeros(1, dtype=np.int32),
        y=np.zeros(1, dtype=np.float32),
        mode="markers",
        name="source step",
        showlegend=False,
        hoverinfo="skip",
        marker={
            "opacity": 0,
            "color": np.zeros(1, dtype=np.float32),
            "cmin": 0,
            "cmax": top,
            "colorscale": plotly_colorscale(0.0, 1.0),
            "showscale": True,
            "colorbar": {"title": {"text": "loss at<br>step s", "side": "top"}, "thickness": 12},
        },
    )


# ----------------------------------------------------------------------------- words


def _step(t: int, tokens: Sequence[str] | None) -> str:
    return f"step {t} ({tok(tokens[t])})" if tokens is not None else f"step {t}"


def _span(a: int, b: int) -> str:
    return f"step {a}" if a == b else f"steps {a}–{b}"


def chart_summary(contrib, sources, total, tokens=None, bands: int | None = None) -> str:
    """The chart in one or two sentences: what is stacked, into how many bands, the largest
    total and where, and how far ahead most of the gradient comes from."""
    n = np.asarray(total, dtype=np.float64).reshape(-1)
    T = n.size
    src = np.asarray(sources, dtype=np.int64)
    bands = src.size if bands is None else bands
    ok = np.isfinite(n)
    text = (
        f"Stacked bars: ‖∂L/∂h_t‖ at each of {T} steps, split into {bands} "
        f"band{'s' if bands != 1 else ''} by the output step whose loss sent it; the bands add "
        "up to the total"
    )
    if ok.any() and n[ok].max() > 0:
        t = int(np.flatnonzero(ok)[np.argmax(n[ok])])
        text += f", largest {num(n[t])} at {_step(t, tokens)}"
    text += "."
    reach = step_reach(contrib, src, n)
    valid = reach[reach >= 0]
    if src.size > 1 and valid.size:
        d = int(np.sort(valid)[(valid.size - 1) // 2])
        if d == 0:
            text += f" At a typical step, {pct(LEVEL)} of it comes from that step's own loss."
        else:
            text += (
                f" At a typical step, {pct(LEVEL)} of it comes from the losses at most {d} "
                f"step{'s' if d != 1 else ''} later."
            )
    return text


def where_from_words(
    contrib,
    sources,
    total,
    tokens: Sequence[str] | None = None,
    targets: Sequence[str] | None = None,
    *,
    verb: str = "predicting",
    level: float = LEVEL,
    small: float = SMALL,
) -> str:
    """What the split says, in Markdown sentences computed from it: how far ahead most of the
    gradient at a typical step comes from, the step whose gradient comes from farthest, the
    distance beyond which losses send less than ``small`` at every step, and a loss that
    pushes back (a negative share beyond :data:`PUSH_BACK`), if any.

    contrib (S, T), sources (S,), total (T,) as for :func:`rnnbow_chart`."""
    n = np.asarray(total, dtype=np.float64).reshape(-1)
    src = np.asarray(sources, dtype=np.int64).reshape(-1)
    c = np.asarray(contrib, dtype=np.float64)
    T = n.size
    reach = step_reach(c, src, n, level)
    valid = np.flatnonzero(reach >= 0)
    if valid.size == 0:
        return "No gradient reaches any step of this sequence: the loss is 0 (or not finite)."
    said = []
    d = reach[valid]
    median = int(np.sort(d)[(d.size - 1) // 2])
    if median == 0:
        said.append(
            f"At a typical step, most of the gradient ({pct(level)} or more) comes from the "
            f"loss at that very step: the loss of step t mostly shapes h_t itself."
        )
    else:
        said.append(
            f"At a typical step t, {pct(level)} of the gradient comes from the losses at steps "
            f"t to t + {median} (the median over {valid.size} steps)."
        )
    t_far = int(valid[np.argmax(d)])  # the first step whose gradient comes from farthest
    sh = shares(c, n)
    if reach[t_far] > median:
        row = {int(s): i for i, s in enumerate(src)}
        ahead = [s for s in sorted(row) if s >= t_far]
        best = max(ahead, key=lambda s: sh[row[s], t_far])
        what = f", {verb} {tok(targets[best])}" if targets is not None else ""
        said.append(
            f"It comes from farthest at {_step(t_far, tokens)}: {pct(level)} of its gradient "
            f"needs the losses at {_span(t_far, t_far + int(reach[t_far]))}; the largest "
            f"single part, {pct(sh[row[best], t_far])}, from the loss at step {best}{what}."
        )
    D = quiet_beyond(c, src, n, small)
    if D == 0:
        said.append(f"Later losses each send less than {pct(small)} to any step.")
    elif D < T - 1:
        said.append(
            f"Losses more than {D} step{'s' if D != 1 else ''} later contribute less than "
            f"{pct(small)} at every step: the gradient forgets beyond that."
        )
    else:
        far = far_share(c, src, n, max(1, T // 4))
        t = int(np.argmax(far))
        if far[t] >= small:
            said.append(
                f"Even losses far ahead still matter: at {_step(t, tokens)}, {pct(far[t])} of "
                f"the gradient comes from losses more than {max(1, T // 4)} steps later."
            )
    low = np.unravel_index(int(np.argmin(sh)), sh.shape) if sh.size else None
    if low is not None and sh[low] < -PUSH_BACK:
        s, t = int(src[low[0]]), int(low[1])
        said.append(
            f"Some losses push the other way (bands below 0): at {_step(t, tokens)} the loss at "
            f"step {s} takes back {pct(-sh[low])} of what the others send."
        )
    return " ".join(said)


def one_source_words(T: int, target: str | None = None) -> str:
    """The words for a many-to-one task: its loss is read at the last step only."""
    what = f", the answer {tok(target)}" if target is not None else ""
    return (
        f"This task is scored once, at its last step (step {T - 1}{what}): all of ‖∂L/∂h_t‖ "
        "comes from that one loss, so there is a single band — the gradient lab's curve. A "
        "split by source needs a task scored at every step."
    )
