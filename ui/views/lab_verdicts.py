"""The gradient lab in words: the verdict on a gradient-flow curve (‖∂L/∂h_t‖ through time),
on the recurrent Jacobian bound and on clipping, and an experiment's progress line. Pure (no
streamlit): app_pages/gradients.py and ui/glue/lab_panels.py draw the Markdown these return.

    flow_verdict(norms, diverged)               # "**Vanishing**: ×0.62 per step back — …"
    run_flow_line(name, norms, step, diverged)  # a run's line under the runs' flow chart
    bound_verdict(recurrent_jacobian_bound(m))  # σ_max(W_hh) against 1/γ, in a sentence
    clipping_verdict(cmp, threshold)            # the same gradient clipped two ways
    progress_line(views)                        # (fraction done, "name: 120/600 steps · …")
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from rnn_core import lab
from rnn_core.lab import ClipComparison, JacobianBound
from ui.services.run import RunView


def trend_words(summary: dict) -> str:
    """What a gradient-flow curve's fit says (:func:`rnn_core.lab.growth_summary`'s "trend"),
    without a verdict."""
    f, left, k = summary["factor"], summary["left_after"], summary["horizon"]
    if summary["trend"] == "unknown":
        return "not enough finite gradient values to fit a rate"
    if summary["trend"] == "vanishing":
        left = f"{100 * left:.2g}%"
        return f"×{f:.2f} per step back — after {k} steps only {left} of the signal is left"
    if summary["trend"] == "exploding":
        return f"×{f:.2f} per step back — {left:,.3g}× larger after {k} steps"
    return f"×{f:.2f} per step back — the gradient reaches far back in time"


def flow_verdict(norms, diverged: bool = False, on: str = "this curve") -> str:
    """The verdict on a gradient-flow curve norms (T,) in words. A curve that overflowed, or
    one of a run that diverged, is exploding whatever its fit says (lab.growth_summary):
    zeros next to a blow-up are saturated states, not a signal fading with distance. ``on``:
    what the curve was measured on, for a blown-up run's sentence about the fit."""
    s = lab.growth_summary(norms, diverged=diverged)
    if not (s["overflow"] or s["diverged"]):
        if s["kind"] == "unknown":
            return "Not enough finite gradient values to fit a rate."
        return f"**{s['kind'].capitalize()}**: {trend_words(s)}."
    said = []
    if s["overflow"]:
        peak = s["peak"]
        largest = f" (its largest finite value: {peak:.3g})" if peak > 0 else ""
        said.append(f"the gradient overflowed to inf{largest}.")
    if s["diverged"]:
        said.append("the run blew up, and the NaN guard stopped it.")
    zeros = bool((np.asarray(norms, np.float64) == 0).any())
    if zeros and (s["overflow"] or s["trend"] in ("vanishing", "unknown")):
        said.append(
            "further back the gradient is 0: blown-up states are saturated, where tanh and "
            "the gates are flat, and pass nothing back — not a signal fading with distance."
        )
    elif s["trend"] != "unknown":
        said.append(f"on {on}: {trend_words(s)}.")
    said = [said[0], *(t[0].upper() + t[1:] for t in said[1:])]  # sentences after the first
    return "**Exploding**: " + " ".join(said)


def run_flow_line(name: str, norms, step: int | None, diverged: bool) -> str:
    """An experiment run's line under the runs' gradient-flow chart: its name, the step of
    the curve when it is not the last batch's (``step``, see lab_curves.flow_row), and the
    verdict on that curve."""
    when = "" if step is None else f" (step {step:,}, its last batch before the blow-up)"
    on = "this batch" if step is None else f"step {step:,}'s batch"
    return f"{name}{when}: {flow_verdict(norms, diverged, on)}"


def bound_verdict(bound: JacobianBound) -> str:
    """What the recurrent Jacobian bound says about vanishing, in a sentence."""
    if bound.verdict == "must vanish":
        return (
            f"σ_max(W_hh) = {bound.sigma_max:.3f} < 1/γ = {1 / bound.gamma:.0f}: "
            "every Jacobian shrinks the gradient, so it **must** vanish through time."
        )
    if bound.verdict == "not guaranteed":
        return (
            f"σ_max(W_hh) = {bound.sigma_max:.3f} ≥ 1/γ: vanishing is not guaranteed — "
            "the gradient can survive, or explode, depending on the states."
        )
    return "Gated cells have no such simple bound: their gates scale each path."


def clipping_verdict(cmp: ClipComparison, threshold: float) -> str:
    """One batch's gradient clipped by its global norm and per element at ``threshold``:
    what each does to its length and direction."""
    return (
        f"On this batch the gradient's norm is {cmp.norm_none:.3g}. Global-norm clipping at "
        f"{threshold:g} {'shrinks it' if cmp.clipped_global else 'leaves it alone'} and keeps "
        f"its direction (cos {cmp.cos_global:.3f}); clipping each element at ±{threshold:g} "
        f"changes {100 * cmp.fraction_clipped:.1f}% of the entries and turns the update "
        f"(cos {cmp.cos_value:.3f})."
    )


def progress_line(views: Mapping[str, RunView]) -> tuple[float, str]:
    """An experiment's progress: the share of all its runs' steps taken (at most 1), and a
    line with each run's steps and, unless it is running, its state."""
    parts = []
    for name, v in views.items():
        done = f"{v.steps:,}/{v.budget:,} steps"
        parts.append(f"{name}: {done}" + (f" — **{v.state}**" if v.state != "running" else ""))
    total = sum(v.steps for v in views.values()) / max(1, sum(v.budget for v in views.values()))
    return min(1.0, total), " · ".join(parts)
