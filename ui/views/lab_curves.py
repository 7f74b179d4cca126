"""Which gradient-flow curves (‖∂L/∂h_t‖ through time) the gradient lab draws, made ready to
draw: a run's last readable curve, the factor of a curve's fit line, and a run's rows for a
log colour scale. Pure (no streamlit).

    norms, step = flow_row(view.dh, view.dh_steps, view.state == "diverged")
    factor = fit_factor(lab.growth_summary(norms, diverged=...))   # None: draw no fit line
    rows = for_log_colour(view.dh)                                 # 0 -> the smallest > 0
"""

from __future__ import annotations

import math

import numpy as np

from rnn_core import lab


def flow_row(dh, dh_steps, diverged: bool) -> tuple[np.ndarray, int | None]:
    """A run's gradient through time to draw, from its rows dh (S, T) (NaN past a shorter
    batch, S ≥ 1) at steps dh_steps (S,): the last row with None, or — when that blew up
    (the run diverged, or the row overflowed) — the last intact row before it and its step
    (:func:`rnn_core.lab.last_intact`). With no such earlier row, the last row and None."""
    last = dh[-1]
    if not diverged and np.isfinite(last[~np.isnan(last)]).all():
        return last, None
    i = lab.last_intact(dh)
    if i is None or i == len(dh) - 1:
        return last, None
    return dh[i], int(dh_steps[i])


def fit_factor(summary: dict) -> float | None:
    """The factor per step of a curve's fit line (:func:`rnn_core.lab.growth_summary`), or
    None when there is none to draw: no finite fit, or the curve blew up — it overflowed, or
    its run diverged and the fit says vanishing (×0.00 past saturated states)."""
    factor = summary["factor"]
    if summary["overflow"] or (summary["diverged"] and summary["trend"] == "vanishing"):
        return None
    return factor if math.isfinite(factor) else None


def for_log_colour(dh) -> np.ndarray:
    """A copy of the rows dh (S, T) for a log colour scale: a gradient flushed to exactly 0
    (or below) takes the smallest finite positive value, so it shows as the darkest colour
    instead of a hole. NaN and ±inf are kept; with no positive value nothing changes."""
    dh = np.array(dh, copy=True)
    finite = np.isfinite(dh)
    positive = dh[finite & (dh > 0)]
    if positive.size:
        dh[finite & (dh <= 0)] = positive.min()
    return dh
