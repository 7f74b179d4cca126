"""Predict, then run: an experiment's question judged against what its runs did. Pure (no
streamlit): ``ui/glue/lab_panels.py`` draws the text these return.

    measures = run_measures(views)                     # name -> RunMeasures, from RunViews
    predict_feedback(exp, "vanish", measures)          # "✅ **Right.** You predicted …"
    judge(exp, "vanish", measures).kind                # "right", "wrong", "open", "pending", ""

The right choice is never written down: it is the :class:`~ui.services.experiments.Choice`
whose outcome the runs measured — the same numbers as the verdicts under the lab's charts
(the gradient-flow verdict of :func:`rnn_core.lab.growth_summary` on the curve
:func:`~ui.views.lab_curves.flow_row` picks, the runs' states, their last test loss). A run
that surprises (a seed where the LSTM beats the GRU) is judged by what it did.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from rnn_core import lab
from ui.services.experiments import Choice, Experiment
from ui.services.run import RunView
from ui.views.charts_lab import TEST_LOSS_TITLE
from ui.views.lab_curves import flow_row
from ui.views.lab_frame import FLOW_RUNS_TITLE
from ui.views.lab_verdicts import trend_words

# the chart that shows each measure, by its title on the page
CHARTS = {"flow": FLOW_RUNS_TITLE, "diverged": TEST_LOSS_TITLE, "best": TEST_LOSS_TITLE}
ENDED = ("done", "diverged")  # run states after which an experiment's run trains no more
HORIZON = 10  # steps back the flow's words count (as the verdicts do)


@dataclass(frozen=True)
class RunMeasures:
    """What one experiment run measured, as the verdicts read it."""

    state: str  # the run's state: "running", "done", "diverged", …
    steps: int  # steps trained (a diverged run: the step it was returned to)
    flow: str  # the verdict on its last readable ‖∂L/∂h_t‖ curve: "vanishing", "steady",
    #            "exploding" (always, once the run blew up) or "unknown"
    factor: float  # that curve's fitted factor per step back (NaN: none)
    test_loss: float  # its test loss at the last evaluation (NaN: none yet; inf: blew up)


@dataclass(frozen=True)
class Feedback:
    kind: str  # "": no judgement (no prediction), "pending", "right", "wrong", "open"
    mark: str  # MARKS[kind]: ✅, ❌, ❔, 🔮 ("" with kind "")
    body: str  # Markdown after the mark ("" with kind "")

    @property
    def text(self) -> str:
        return f"{self.mark} {self.body}" if self.kind else ""


MARKS = {"pending": "🔮", "right": "✅", "wrong": "❌", "open": "❔"}


def _feedback(kind: str, body: str) -> Feedback:
    return Feedback(kind, MARKS[kind], body)


def run_measures(views: Mapping[str, RunView]) -> dict[str, RunMeasures]:
    """Each run's measures from its view (``TrainingRun.view``): the flow verdict on the curve
    the runs' flow chart draws (its line under the chart says the same), and the last test
    loss of the test-loss chart."""
    out = {}
    for name, v in views.items():
        diverged = v.state == "diverged"
        flow, factor = "unknown", math.nan
        if len(v.dh):
            norms, _ = flow_row(v.dh, v.dh_steps, diverged)
            summary = lab.growth_summary(norms, diverged=diverged)
            flow, factor = summary["kind"], float(summary["factor"])
        elif diverged:
            flow = "exploding"
        losses = np.asarray(v.evals.get("test_loss", ()), np.float64)
        out[name] = RunMeasures(
            state=v.state,
            steps=int(v.steps),
            flow=flow,
            factor=factor,
            test_loss=float(losses[-1]) if losses.size else math.nan,
        )
    return out


def outcome(exp: Experiment, measures: Mapping[str, RunMeasures]):
    """What the runs measured for ``exp``'s question, as a Choice.outcome is written: a flow
    kind, the frozenset of runs that blew up, or the best run's name (None: the runs cannot
    tell — no finite curve, no finite test loss)."""
    measure = exp.question.measure
    if measure == "flow":
        kind = measures[next(iter(exp.runs))].flow
        return None if kind == "unknown" else kind
    if measure == "diverged":
        return frozenset(n for n, m in measures.items() if m.state == "diverged")
    if measure == "best":
        finite = {n: m.test_loss for n, m in measures.items() if math.isfinite(m.test_loss)}
        return min(finite, key=finite.get) if finite else None
    raise ValueError(f"unknown measure {measure!r}")


def judge(exp: Experiment, prediction: str | None, measures: Mapping[str, RunMeasures]) -> Feedback:
    """The learner's ``prediction`` (a choice's label; None: they just ran it) against what
    the runs measured, once every run has ended: right, wrong, or "open" when none of the
    choices happened; "pending" while a run trains. No prediction, or one that is not a
    choice of this experiment's question, gets no judgement."""
    question = exp.question
    labels = [c.label for c in question.choices] if question is not None else []
    if prediction not in labels:
        return Feedback("", "", "")
    if any(m.state not in ENDED for m in measures.values()):
        return _feedback(
            "pending", f"You predicted *{prediction}*. The verdict comes when the runs end."
        )
    measured = outcome(exp, measures)
    happened: Choice | None = next((c for c in question.choices if c.outcome == measured), None)
    what = _what_happened(exp, measures)
    see = f"See the chart “{CHARTS[question.measure]}”."
    if happened is None:
        return _feedback(
            "open",
            f"**None of the choices happened.** You predicted *{prediction}*; {what}.\n\n{see}",
        )
    why = f"**Why:** {happened.because}. {see}"
    if happened.label == prediction:
        return _feedback("right", f"**Right.** You predicted *{prediction}*: {what}.\n\n{why}")
    return _feedback(
        "wrong", f"**Not this time.** You predicted *{prediction}*, but {what}.\n\n{why}"
    )


def predict_feedback(
    exp: Experiment, prediction: str | None, measures: Mapping[str, RunMeasures]
) -> str:
    """:func:`judge`'s text: "" when there is nothing to judge."""
    return judge(exp, prediction, measures).text


def _what_happened(exp: Experiment, measures: Mapping[str, RunMeasures]) -> str:
    """What the runs did, for the question's measure: a clause without a capital or stop."""
    measure = exp.question.measure
    if measure == "flow":
        name = next(iter(exp.runs))
        return _flow_words(measures[name])
    if measure == "diverged":
        blown = [n for n, m in measures.items() if m.state == "diverged"]
        kept = [n for n in measures if n not in blown]
        if not blown:
            return "no run blew up"
        if not kept:
            return "every run blew up (the NaN guard stopped them)"
        lived = ", ".join(
            f"*{n}* trained {measures[n].steps:,} steps (test MSE {_loss(measures[n])})"
            for n in kept
        )
        them = "it" if len(blown) == 1 else "them"
        return f"only {_names(blown)} blew up (the NaN guard stopped {them}); {lived}"
    ranked = sorted(measures, key=lambda n: _rank(measures[n]))
    best = ranked[0]
    if not math.isfinite(measures[best].test_loss):
        return "no run has a finite test MSE to compare"
    losses = ", ".join(f"{n} {_loss(measures[n])}" for n in ranked)
    factors = ", ".join(
        f"{n} ×{measures[n].factor:.2f}" for n in ranked if math.isfinite(measures[n].factor)
    )
    back = f"; the gradient per step back on the last batch: {factors}" if factors else ""
    return f"*{best}* reached the lowest test MSE (last evaluation: {losses}){back}"


def _flow_words(m: RunMeasures) -> str:
    f = m.factor
    trend = "unknown"
    if math.isfinite(f):
        trend = "vanishing" if f < lab.VANISHING else "exploding" if f > lab.EXPLODING else "steady"
    with np.errstate(over="ignore"):
        left = float(np.float64(f) ** HORIZON)
    words = trend_words({"trend": trend, "factor": f, "left_after": left, "horizon": HORIZON})
    if m.flow == "exploding" and m.state == "diverged":
        last = f" (its last readable batch: ×{f:.2f} per step back)" if trend != "unknown" else ""
        return f"the gradient exploded — the run blew up, and the NaN guard stopped it{last}"
    if m.flow == "unknown":
        return f"the run could not tell: {words}"
    said = {"vanishing": "vanished", "exploding": "exploded", "steady": "stayed level"}[m.flow]
    return f"the gradient {said} ({words})"


def _rank(m: RunMeasures) -> float:
    return m.test_loss if math.isfinite(m.test_loss) else math.inf


def _loss(m: RunMeasures) -> str:
    return f"{m.test_loss:.2g}" if math.isfinite(m.test_loss) else "blew up"


def _names(names: list[str]) -> str:
    return " and ".join(f"*{n}*" for n in names)
