"""The Dynamics lab's memory section in words, computed from the measured numbers.

Pure (no streamlit, no plotly). :func:`memory_sentence` says, for one model, how far back its
gradient reaches and at which lags it solves the task; :func:`tau_sentence` what its gates'
time constants did over training. The notes ("How to read this") are constants here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from ui.views.summaries import num

MEAN_MSE = 1 / 6  # adding: always answering the mean sum
NEAR_MEAN = 0.25  # a median MSE within ±25 % of MEAN_MSE is "about what the mean scores"


def pct1(x: float) -> str:
    """A recall accuracy with one decimal (94.5%: the 95% goal must not look met)."""
    return f"{100 * float(x):.1f}%" if math.isfinite(float(x)) else "n/a"


def possessive(name: str) -> str:
    """ "the GRU's", "your model's"."""
    return f"{name}'s" if name.startswith("your ") else f"the {name}'s"


def capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def lag_ranges(chosen: Sequence[int], grid: Sequence[int]) -> str:
    """Lags of ``grid`` named as runs of neighbours on the grid: [40, 50, 60, 70] of
    (…, 30, 40, 50, 60, 70, 80) -> "40–70"; [5, 50] -> "5 and 50"; [1, 2, 5] of (1, 2, 3, 5)
    -> "1, 2 and 5"."""
    index = {lag: i for i, lag in enumerate(grid)}
    picked = sorted(int(x) for x in chosen)
    runs: list[list[int]] = []
    for lag in picked:
        if runs and index[lag] == index[runs[-1][-1]] + 1:
            runs[-1].append(lag)
        else:
            runs.append([lag])
    parts = [f"{r[0]}–{r[-1]}" if len(r) > 2 else ", ".join(map(str, r)) for r in runs]
    text = ", ".join(parts)
    if len(runs) > 1 or (len(runs) == 1 and len(runs[0]) == 2):
        head, _, tail = text.rpartition(", ")
        text = f"{head} and {tail}"
    return text


SUPERSCRIPTS = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def level_text(level: float) -> str:
    """A level as the chart writes it: a power of ten as 10⁻³, anything else as a number."""
    exponent = math.log10(level) if level > 0 else math.nan
    if math.isfinite(exponent) and exponent == round(exponent):
        return "10" + str(int(exponent)).translate(SUPERSCRIPTS)
    return num(level)


def gradient_words(name: str, ratios: np.ndarray, falls_below_at: int | None, level: float) -> str:
    """How far back one model's gradient reaches, as a clause."""
    who = possessive(name)
    if ratios.size == 0 or not np.isfinite(ratios[0]):
        return f"{who} gradient is zero at the output: nothing flows back"
    if falls_below_at is None:
        k = ratios.size - 1
        return (
            f"{who} gradient never falls below {level_text(level)} of its size at the output "
            f"in the {k} steps measured ({k} steps back it is {num(ratios[-1])} times that)"
        )
    return (
        f"{who} gradient falls below {level_text(level)} of its size at the output "
        f"{falls_below_at} steps back"
    )


def memory_words(lags, scores, ok, metric: str, chance: float | None = None) -> str:
    """At which lags one model solves the task, as a clause ("it solves …")."""
    lags = np.asarray(lags).tolist()
    scores = np.asarray(scores, np.float64)
    ok = np.asarray(ok, bool)
    mse = metric == "mse"
    solved = "MSE ≤ 0.01" if mse else "recall ≥ 95%"
    fmt = num if mse else pct1
    score_name = "MSE" if mse else "recall accuracy"
    if not ok.any():
        text = (
            f"it solves the task ({solved}) at no lag from {lags[0]} to {lags[-1]}: "
            f"its {score_name} is {fmt(scores.min())}–{fmt(scores.max())}"
        )
        if mse:
            median = float(np.median(scores))
            if abs(median - MEAN_MSE) <= NEAR_MEAN * MEAN_MSE:
                text += f", about what always predicting the mean scores ({num(MEAN_MSE)})"
            elif median < MEAN_MSE:
                text += f", better than always predicting the mean ({num(MEAN_MSE)})"
        elif chance is not None:
            text += f" (guessing scores {pct1(chance)})"
        return text
    good = [lag for lag, o in zip(lags, ok, strict=True) if o]
    horizon = max(good)
    text = f"it solves the task ({solved}) at lag {lag_ranges(good, lags)}"
    missed = [i for i, (lag, o) in enumerate(zip(lags, ok, strict=True)) if lag < horizon and not o]
    if missed:
        worst = scores[missed].max() if mse else scores[missed].min()
        text += (
            f" but not at lag {lag_ranges([lags[i] for i in missed], lags)} "
            f"({score_name} {'up to' if mse else 'down to'} {fmt(worst)})"
        )
    after = [i for i, lag in enumerate(lags) if lag > horizon]
    if after:
        text += f"; at lag {lags[after[0]]} its {score_name} is {fmt(scores[after[0]])}"
    return text


def memory_sentence(measure, chance: float | None = None) -> str:
    """One model's sentence: its gradient horizon, then the lags it solves."""
    g, c = measure.gradient, measure.curve
    first = gradient_words(measure.name, g.ratios, g.falls_below_at, g.level)
    return capital(f"{first}; {memory_words(c.lags, c.scores, c.ok, c.metric, chance)}.")


def _names(names: Sequence[str]) -> str:
    named = [n if n.startswith("your ") else f"the {n}" for n in names]
    return named[0] if len(named) == 1 else ", ".join(named[:-1]) + " and " + named[-1]


def headline(measures: Sequence, lag: int) -> str:
    """The section's lead, from the numbers: which models' gradients reach back ``lag`` steps
    (the training lag) and which of them solve it there. One sentence per group found."""
    groups: dict[tuple[bool, bool], list] = {}
    for m in measures:
        g, c = m.gradient, m.curve
        reaches = g.falls_below_at is None or g.falls_below_at > lag
        at = c.lags == lag
        solved = bool(at.any() and c.ok[at].all())
        groups.setdefault((reaches, solved), []).append(m)
    out = []
    for (reaches, solved), ms in groups.items():
        who = _names([m.name for m in ms])
        one = len(ms) == 1
        if reaches:
            grad = f"{who}: the gradient still reaches {lag} steps back"
        else:
            died = ", ".join(str(m.gradient.falls_below_at) for m in ms)
            grad = (
                f"{who}: the gradient is below {level_text(ms[0].gradient.level)} of its size "
                f"at the output after {died} steps"
            )
        if solved and reaches:
            out.append(f"{grad}, and {'it solves' if one else 'they solve'} lag {lag}.")
        elif solved:
            out.append(f"{grad}, yet {'it solves' if one else 'they solve'} lag {lag}.")
        elif reaches:
            out.append(
                f"{grad}, yet {'it does' if one else 'they do'} not solve lag {lag}: a "
                "gradient that reaches is needed to learn a lag, not enough."
            )
        else:
            out.append(f"{grad}, and {'it' if one else 'they'} never learned lag {lag}.")
    return " ".join(capital(t) for t in out)


def tau_sentence(name: str, gate: str, steps, taus) -> str:
    """What one gated model's time constants did over training (taus (S, H) in steps)."""
    taus = np.asarray(taus, np.float64)
    first, last = taus[0], taus[-1]
    gate_name = "forget gate f" if gate == "f" else "update gate z"
    med0, med1 = float(np.median(first)), float(np.median(last))
    top0, top1 = float(np.max(first)), float(np.max(last))
    long1 = int(np.sum(last >= 10))
    text = (
        f"{capital(possessive(name))} {gate_name}: at step {int(steps[0])} its units' τ are "
        f"{num(np.min(first))}–{num(top0)} steps (median {num(med0)}); after {int(steps[-1])} "
        f"steps {num(np.min(last))}–{num(top1) if math.isfinite(top1) else '∞'} "
        f"(median {num(med1)})"
    )
    if long1:
        text += f", and {long1} of its {last.size} units keep their state for 10 steps or more"
    else:
        text += ", no unit keeps its state for 10 steps or more"
    return text + "."


MEMORY_NOTE = """\
**Top panel:** the test MSE of each trained model on fresh adding sequences, against the
**lag** — how many steps the first marked number must be held before the answer is read.
Lower is better. The grey lines: dotted, the task's goal (MSE 0.01: solved); dashed, what
always answering the mean sum scores (0.167: no memory at all). The log scale spreads out
the small errors.

**Bottom panel:** the gradient ‖∂L/∂h‖ reaching the state *k* steps before the output,
divided by its value at the output (log scale), on 160-step sequences. Below the dotted
10⁻³ line the gradient is too small to teach that step anything; a dashed vertical line in
a model's colour marks where its gradient falls below it (none for a model whose gradient
never does).

Both panels share the x axis: a model can only learn to bridge a lag its gradient reaches.
The models were trained at lag 50 only (60-step sequences), so their curves are not
smooth: a lag far from 50 makes sequences of a length they never saw, and some fail at
shorter lags than the ones they solve. That is why the chart shows the whole curve, not
just the longest lag solved.
"""

TAU_NOTE = """\
A gated unit keeps a share *k* of its old state at every step (the LSTM's forget gate *f*,
the GRU's update gate *z*; averaged over 256 test sequences). Kept by *k* per step, a value
fades as *k*ˢ = e^(−s/τ): its **time constant** τ = −1/ln *k* is how many steps it takes to
fall to 37 %. τ = 1.4 is a gate half open (*k* = 0.5); τ = 10 needs *k* = 0.90; τ = 100
needs *k* = 0.99.

**Histogram:** how many units have each τ, before training (grey) and after. **Heatmap:**
the same count at every 50th training step (brighter: more units). Units that hold the
first number for 50 steps need long time constants — or a gate that closes only when the
number arrives, which a mean over all steps does not show. A tanh RNN has no gate, so no τ.
"""
