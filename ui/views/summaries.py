"""Every chart in words: one or two plain sentences computed from the arrays a chart draws.

Pure functions, arrays in, a string out (no plotly, no streamlit). Each chart builder in
``charts_explore``, ``charts_train`` and ``charts_lab`` calls one of these and attaches the
text to its figure (:func:`ui.views.figure_kit.describe`); the page shows it under the chart,
where screen readers read it. Every function here is O(data) — no fitting beyond the
gradient's one least-squares line (:func:`rnn_core.probes.growth_factor`, the number the lab
verdicts state) — because the Train page redraws its charts several times a second.

The sentences name numbers with their units, the direction of change and where something
notable happens (the token, the step). Numbers are written by :func:`num` (3 significant
digits), tokens by :func:`tok` (quoted, whitespace made visible).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from rnn_core.probes import growth_factor
from ui.views.html import visible_token

FLIPS_LISTED = 3  # at most this many changes of the leading class are named


# ----------------------------------------------------------------------------- words


def num(x: float) -> str:
    """A number as the summaries write it: 3 significant digits, thousands separated
    (12,300), scientific below 0.001 (2.5e-05); "n/a" when not finite."""
    x = float(x)
    if not math.isfinite(x):
        return "n/a"
    if x == 0:
        return "0"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    if abs(x) < 1e-3:
        return f"{x:.2g}"
    return f"{x:.3g}"


def pct(x: float) -> str:
    """A fraction as a percentage, whole numbers (0.9731 -> "97%"); "n/a" when not finite."""
    x = float(x)
    return f"{100 * x:.0f}%" if math.isfinite(x) else "n/a"


def tok(token) -> str:
    """A token quoted for a sentence: 'bad', '␣' (whitespace made visible)."""
    return f"'{visible_token(token)}'"


def tok_at(tokens: Sequence, t: int) -> str:
    """A token and its step (tokens repeat): "'bad' at step 3"."""
    return f"{tok(tokens[t])} at step {t}"


def plural(n: int, word: str) -> str:
    """ "1 token", "3 tokens"."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _finite(values) -> np.ndarray:
    v = np.asarray(values, dtype=np.float64).reshape(-1)
    return v[np.isfinite(v)]


def _edge_means(values, positive: bool = False) -> tuple[float, float, int]:
    """(mean of the first k finite values, mean of the last k, k): k = 10, or a fifth of the
    values when there are fewer than 50 (at least 1). NaN, NaN, 0 when none is finite (or
    > 0 with ``positive``)."""
    v = _finite(values)
    if positive:
        v = v[v > 0]
    if v.size == 0:
        return math.nan, math.nan, 0
    k = max(1, min(10, v.size // 5))
    return float(v[:k].mean()), float(v[-k:].mean()), k


def _change(a: float, b: float, rel: float = 0.05) -> str:
    """ "fell" / "rose" / "stayed near" from a to b (within ``rel`` of each other: stayed)."""
    if not (math.isfinite(a) and math.isfinite(b)):
        return "went"
    if abs(b - a) <= rel * max(abs(a), abs(b)):
        return "stayed near"
    return "fell" if b < a else "rose"


def _from_to(a: float, b: float, fmt=None, rel: float = 0.05) -> str:
    """ "fell from 0.69 to 0.12", "rose from …", or "stayed near 0.5" (within ``rel``)."""
    fmt = fmt or num
    change = _change(a, b, rel)
    if change == "stayed near":
        return f"stayed near {fmt(b)}"
    return f"{change} from {fmt(a)} to {fmt(b)}"


def _last_finite(steps, values) -> tuple[float, float] | None:
    """(step, value) of the last finite value; None with none."""
    v = np.asarray(values, dtype=np.float64).reshape(-1)
    ok = np.flatnonzero(np.isfinite(v))
    if ok.size == 0:
        return None
    i = int(ok[-1])
    return float(np.asarray(steps).reshape(-1)[i]), float(v[i])


def step_words(step: float) -> str:
    """ "step 1,200"."""
    step = float(step)
    return f"step {step:,.0f}" if step == round(step) else f"step {step:,g}"


def _span(steps) -> str:
    """ "steps 1–400", "step 3" or "no steps"."""
    s = np.asarray(steps, dtype=np.float64).reshape(-1)
    s = s[np.isfinite(s)]
    if s.size == 0:
        return "no steps"
    if s.size == 1 or s.min() == s.max():
        return step_words(s[0])
    return f"steps {s.min():,.0f}–{s.max():,.0f}"


# ----------------------------------------------------------------------------- explore


def heatmap(states, tokens: Sequence, value_name: str = "activation", what: str = "") -> str:
    """The hidden state (or a gate) heatmap: (T, H) values after each of T tokens.

    "16 units × 7 tokens, activation from −0.93 to 0.88; the strongest is unit 5 after
    'not' (−0.93). The state changes most on reading 'bad' (mean |change| 0.41 per unit)."
    """
    s = np.asarray(states, dtype=np.float64)
    T, H = s.shape
    label = what or value_name
    finite = np.isfinite(s)
    if not finite.any():
        return f"{plural(H, 'unit')} × {plural(T, 'token')}; no finite {label} values."
    a = np.where(finite, np.abs(s), -1.0)
    t, u = np.unravel_index(int(np.argmax(a)), s.shape)
    lo, hi = (
        float(np.nanmin(np.where(finite, s, np.nan))),
        float(np.nanmax(np.where(finite, s, np.nan))),
    )
    text = (
        f"{plural(H, 'unit')} × {plural(T, 'token')}, {label} from {num(lo)} to {num(hi)}; "
        f"the strongest is unit "
        f"{u} after {tok_at(tokens, t)}: {num(s[t, u])}."
    )
    if T >= 2:
        change = np.abs(np.diff(s, axis=0))  # (T-1, H), NaN next to a missing value
        seen = np.isfinite(change)
        with np.errstate(invalid="ignore"):
            step = np.where(seen, change, 0.0).sum(axis=1) / seen.sum(axis=1)  # NaN: none
        if np.isfinite(step).any():
            k = int(np.nanargmax(step)) + 1
            text += (
                f" It changes most on reading {tok_at(tokens, k)} "
                f"(mean |change| {num(step[k - 1])} per unit)."
            )
    return text


def difference(diff, columns: Sequence[str], gaps: int) -> str:
    """The difference heatmap: (n, H) B − A per token pair (NaN for a gap); ``columns`` the
    n pair labels "a / b". "Largest difference B − A: 0.82 at unit 3, tokens good / bad;
    mean |B − A| 0.21. 2 tokens only one sentence has.\""""
    d = np.asarray(diff, dtype=np.float64)
    finite = np.isfinite(d)
    tail = f" {gaps} token{'s' if gaps != 1 else ''} only one sentence has." if gaps else ""
    if not finite.any():
        return "No token pairs to compare." + tail
    a = np.where(finite, np.abs(d), -1.0)
    k, u = np.unravel_index(int(np.argmax(a)), d.shape)
    mean = float(np.abs(d[finite]).mean())
    return (
        f"Largest difference B − A: {num(d[k, u])} at unit {u}, tokens {columns[k]}; "
        f"mean |B − A| {num(mean)}." + tail
    )


def prediction(probs, tokens: Sequence, class_names: Sequence[str]) -> str:
    """Class probabilities after each token (T, C): the final answer and where the leading
    class changes. "Ends at negative 0.91 after 'movie'. The prediction flips to positive at
    'good', to negative at 'not'.\""""
    p = np.asarray(probs, dtype=np.float64)
    C = p.shape[1]
    names = list(class_names)[:C] + [f"class {c}" for c in range(len(class_names), C)]
    if not np.isfinite(p).any():
        return "No finite probabilities."
    lead = np.argmax(np.where(np.isfinite(p), p, -1.0), axis=1)
    last = int(lead[-1])
    text = f"Ends at {names[last]} {num(p[-1, last])} after {tok(tokens[-1])}."
    flips = np.flatnonzero(lead[1:] != lead[:-1]) + 1
    if flips.size == 0:
        return f"{names[last].capitalize()} leads after every token. " + text
    said = [f"to {names[int(lead[t])]} on {tok_at(tokens, t)}" for t in flips[:FLIPS_LISTED]]
    more = flips.size - FLIPS_LISTED
    extra = f" and {more} more time{'s' if more > 1 else ''}" if more > 0 else ""
    first = f"Starts at {names[int(lead[0])]} {num(p[0, lead[0]])} after {tok(tokens[0])}; "
    return first + f"the prediction flips {', '.join(said)}{extra}. " + text


def next_tokens(top_probs, top_tokens, hits, tokens: Sequence) -> str:
    """A language model's top-k guesses: top_probs (T, k), top_tokens (T, k) the guessed
    tokens, hits (T, k) bool (the guess is the token that came next).
    "After 'the' the top guess is 'cat' (42%). The token that came next was the top guess
    at 4 of 8 steps, in the top 5 at 6.\""""
    top = np.asarray(top_probs, dtype=np.float64)
    h = np.asarray(hits, dtype=bool)
    T, k = top.shape
    text = f"After {tok(tokens[-1])} the top guess is {tok(top_tokens[-1][0])} ({pct(top[-1, 0])})."
    if T >= 2:
        first, anywhere = int(h[:-1, 0].sum()), int(h[:-1].any(axis=1).sum())
        text += (
            f" The token that came next was the top guess at {first} of {T - 1} steps, "
            f"in the top {k} at {anywhere}."
        )
    return text


def regression(pred, truth=None, tokens: Sequence | None = None) -> str:
    """A regression output after each step (T,) against the truth (None, a number, or (T,)).
    "The prediction after the last step is 1.23 (target 1.5, off by 0.27); it ranges
    from 0.1 to 1.3.\""""
    y = np.asarray(pred, dtype=np.float64).reshape(-1)
    T = y.size
    where = f"after {tok(tokens[-1])}" if tokens is not None else f"at step {T - 1}"
    text = f"The prediction {where} is {num(y[-1])}"
    if truth is not None:
        t = np.asarray(truth, dtype=np.float64).reshape(-1)
        if t.size == 1:
            text += f" (target {num(t[0])}, off by {num(abs(y[-1] - t[0]))})"
        else:
            err = np.abs(y - t)
            ok = np.isfinite(err)
            if ok.any():
                i = int(np.nanargmax(np.where(ok, err, np.nan)))
                text += (
                    f"; mean absolute error {num(err[ok].mean())} over {T} steps, largest "
                    f"{num(err[i])} at step {i}"
                )
    f = _finite(y)
    if f.size > 1:
        text += f"; over the sequence it ranges from {num(f.min())} to {num(f.max())}"
    return text + "."


def unit_ranges(units, ranges, lows, highs) -> str:
    """The units that change the most: units (n,), their ranges, minima and maxima, largest
    first. "Unit 12 changes most: range 1.73, from −0.91 to 0.82. The 10 units shown span
    0.35 to 1.73.\""""
    units = np.asarray(units).reshape(-1)
    if units.size == 0:
        return "No units to show."
    r = np.asarray(ranges, dtype=np.float64)
    text = (
        f"Unit {int(units[0])} changes most: range {num(r[0])}, from {num(lows[0])} "
        f"to {num(highs[0])}."
    )
    f = _finite(r)
    if units.size > 1 and f.size:
        text += f" The {units.size} units shown have ranges {num(f.min())} to {num(f.max())}."
    return text


def paths(paths_2d: Sequence, labels: Sequence[str], tokens_list: Sequence[Sequence]) -> str:
    """Sentences as paths in a 2-D view (T_i, 2) each: where each one moves most, and how
    far apart two sentences end. "'the movie was bad' (5 tokens) moves most on reading 'bad'
    (1.85) and ends at (2.1, 0.4).\""""
    said = []
    ends = []
    for p, label, toks in zip(paths_2d, labels, tokens_list, strict=True):
        p = np.asarray(p, dtype=np.float64)
        if p.shape[0] == 0:
            continue
        ends.append(p[-1])
        text = f"“{label}” ({plural(p.shape[0], 'token')})"
        if p.shape[0] >= 2:
            moves = np.linalg.norm(np.diff(p, axis=0), axis=1)
            if np.isfinite(moves).any():
                k = int(np.nanargmax(moves)) + 1
                text += f" moves most on reading {tok_at(toks, k)}, by {num(moves[k - 1])},"
        said.append(f"{text} and ends at ({num(p[-1, 0])}, {num(p[-1, 1])})")
    if not said:
        return "No path to draw."
    out = "; ".join(said) + "."
    if len(ends) == 2:
        out += f" The two ends are {num(np.linalg.norm(ends[1] - ends[0]))} apart."
    return out[0].upper() + out[1:] if out[0] != "“" else out


def saliency(scores, tokens: Sequence, signed: bool = True, value_title: str = "saliency") -> str:
    """One score per token. "'bad' mattered most (saliency −0.42), then 'not' (0.31); 3
    tokens push up, 4 down.\""""
    s = np.asarray(scores, dtype=np.float64).reshape(-1)
    ok = np.isfinite(s)
    if not ok.any():
        return f"No finite {value_title} values."
    if not s[ok].any():
        return f"Every token's {value_title} is 0."
    order = np.argsort(-np.where(ok, np.abs(s), -1.0), kind="stable")
    i = int(order[0])
    text = f"{tok_at(tokens, i)} mattered most ({value_title} {num(s[i])})"
    if ok.sum() > 1:
        j = int(order[1])
        text += f", then {tok_at(tokens, j)} ({num(s[j])})"
    text += "."
    if signed:
        text += (
            f" {int((s > 0).sum())} of {s.size} tokens score above 0, {int((s < 0).sum())} below."
        )
    return text


# ----------------------------------------------------------------------------- training


def curve(
    steps,
    values,
    name: str,
    unit: str = "",
    percent: bool = False,
    positive: bool = False,
    over: bool = True,
) -> str:
    """A noisy per-step series, its first and last k values averaged (:func:`_edge_means`):
    "batch loss fell from 0.69 to 0.12 nats over steps 1–400 (first and last 10 averaged)";
    ``over=False`` leaves the steps out."""
    s = np.asarray(steps).reshape(-1)
    a, b, k = _edge_means(values, positive)
    if k == 0:
        return f"no finite {name} yet"
    fmt = pct if percent else num
    u = f" {unit}" if unit and not percent else ""
    span = _span(s)
    if k == len(_finite(values)) or s.size < 2:
        return f"{name} {fmt(b)}{u} at {span}"
    avg = f" (means of first/last {k})" if k > 1 else ""
    return f"{name} {_from_to(a, b, fmt)}{u}" + (f" over {span}" if over else "") + avg


def events(marked: Sequence[tuple[float, str]]) -> str:
    """Settings changes marked on a step chart, (step, text) each: "Marked: lr 0.01→0.001 at
    step 1,200." / "3 settings changes marked; the last: clip none at step 900.\""""
    if not marked:
        return ""
    if len(marked) == 1:
        step, text = marked[0]
        return f"Marked: {text} at {step_words(step)}."
    step, text = marked[-1]
    return f"{len(marked)} settings changes marked; the last: {text} at {step_words(step)}."


def _at_last_eval(eval_steps, values, name: str, fmt) -> str | None:
    if eval_steps is None or values is None:
        return None
    last = _last_finite(eval_steps, values)
    if last is None:
        return None
    return f"{name} {fmt(last[1])} at {step_words(last[0])}"


def loss(
    steps, batch, eval_steps=None, train=None, test=None, unit: str = "nats", target=None
) -> str:
    """The loss chart: "Batch loss fell from 0.69 to 0.12 nats over steps 1–400 (means of
    the first and last 10). Test loss 0.15 at step 400 (target ≤ 0.3: met).\""""
    first = curve(steps, batch, "batch loss", unit, positive=True)
    text = first[0].upper() + first[1:] + "."
    for name, values in (("test loss", test), ("train loss", train)):
        said = _at_last_eval(eval_steps, values, name, num)
        if said:
            text += f" {said[0].upper() + said[1:]}"
            if target is not None and math.isfinite(float(target)):
                last = _last_finite(eval_steps, values)
                met = "met" if last[1] <= float(target) else "not yet"
                text += f" (target ≤ {num(target)}: {met})"
            text += "."
            break
    return text


def accuracy(
    steps, batch, eval_steps=None, train=None, test=None, target=None, baseline=None
) -> str:
    """The accuracy chart: "Test accuracy 97% at step 400 (target 95%: met; bag of words
    85%). Batch accuracy rose from 50% to 98% over steps 1–400 (…).\""""
    text = ""
    for name, values in (("test accuracy", test), ("train accuracy", train)):
        said = _at_last_eval(eval_steps, values, name, pct)
        if said:
            notes = []
            last = _last_finite(eval_steps, values)[1]
            if target is not None and math.isfinite(float(target)):
                notes.append(
                    f"target {pct(target)}: {'met' if last >= float(target) else 'not yet'}"
                )
            if baseline is not None and math.isfinite(float(baseline)):
                notes.append(f"bag of words {pct(baseline)}")
            text = said[0].upper() + said[1:] + (f" ({'; '.join(notes)})" if notes else "") + ". "
            break
    first = curve(steps, batch, "batch accuracy", percent=True, over=False)
    return text + first[0].upper() + first[1:] + "."


def grad_norm(steps, norms, clipped=None, threshold=None, clip_mode: str = "norm") -> str:
    """The gradient norm chart: "Gradient norm 0.52 at step 400 (median 0.8; largest 12 at
    step 37). 5 of 400 steps clipped at 5.\""""
    s = np.asarray(steps).reshape(-1)
    v = np.asarray(norms, dtype=np.float64).reshape(-1)
    last = _last_finite(s, v)
    if last is None:
        return "No finite gradient norm yet."
    f = _finite(v)
    i = int(np.nanargmax(np.where(np.isfinite(v), v, np.nan)))
    text = f"Gradient norm {num(last[1])} at {step_words(last[0])}"
    if f.size > 1:
        text += f" (median {num(np.median(f))}, peak {num(v[i])} at {step_words(s[i])})"
    if clipped is not None and clip_mode != "none":
        n = int(np.asarray(clipped, dtype=bool).sum())
        at = f"threshold {num(threshold)}" if threshold is not None and clip_mode == "norm" else ""
        said = f"{n} of {s.size} steps clipped" if n else "none clipped"
        text += f"; {said}" + (f" ({at})" if at else "")
    text += "."
    return text


def param_grads(steps, norms: Mapping[str, np.ndarray]) -> str:
    """The per-parameter gradient norms at the last step, largest and smallest: "At step
    400 the largest gradient is l0.W_hh's (0.012), the smallest W_hy's (0.0003).\""""
    s = np.asarray(steps).reshape(-1)
    if s.size == 0 or not norms:
        return "No gradients yet."
    last = {n: float(np.asarray(v, dtype=np.float64).reshape(-1)[-1]) for n, v in norms.items()}
    last = {n: v for n, v in last.items() if math.isfinite(v)}
    if not last:
        return f"No finite gradient norm at {step_words(s[-1])}."
    hi = max(last, key=last.get)
    lo = min(last, key=last.get)
    text = f"At {step_words(s[-1])} the largest gradient is {hi}'s ({num(last[hi])})"
    if lo != hi:
        text += f", the smallest {lo}'s ({num(last[lo])})"
    return text + "."


def spectrum(steps, radius, sigma=None, threshold=1.0) -> str:
    """ρ and σ_max of W_hh per layer over training, (n,) or (n, L): "Layer 1: ρ(W_hh) rose
    from 0.9 to 0.95 and σ_max from 1.1 to 1.3 (steps 1–400); ρ is below 1.\""""
    rho = np.asarray(radius, dtype=np.float64)
    if rho.size == 0:
        return "No steps yet."
    rho = rho.reshape(rho.shape[0], -1)
    sig = None if sigma is None else np.asarray(sigma, dtype=np.float64).reshape(rho.shape)
    s = np.asarray(steps).reshape(-1)
    said = []
    for layer in range(rho.shape[1]):
        r = _finite(rho[:, layer])
        if r.size == 0:
            said.append(f"layer {layer + 1}: no finite ρ yet")
            continue
        text = f"ρ {_from_to(r[0], r[-1], rel=0.01)}"
        if threshold is not None and math.isfinite(float(threshold)):
            side = "above" if r[-1] > threshold else "at or below"
            text += f" ({side} the line at {num(threshold)})"
        if sig is not None:
            g = _finite(sig[:, layer])
            if g.size:
                text += f", σ_max now {num(g[-1])}"
        said.append((f"layer {layer + 1}: " if rho.shape[1] > 1 else "") + text)
    span = _span(s)
    out = "; ".join(said)
    return f"W_hh over {span}: {out}."


def probe_classes(snap_steps, probs, class_names: Sequence[str]) -> str:
    """The probe sentence's class probabilities at each snapshot (S, C): "At step 400 the
    probe reads positive (0.91); it has led since step 120.\""""
    p = np.asarray(probs, dtype=np.float64)
    s = np.asarray(snap_steps).reshape(-1)
    if p.size == 0:
        return "No snapshot yet."
    C = p.shape[1]
    names = list(class_names)[:C] + [f"class {c}" for c in range(len(class_names), C)]
    if not np.isfinite(p).any():
        return "No finite probabilities yet."
    lead = np.argmax(np.where(np.isfinite(p), p, -1.0), axis=1)
    last = int(lead[-1])
    text = f"At {step_words(s[-1])} the probe reads {names[last]} ({num(p[-1, last])})"
    changed = np.flatnonzero(lead != last)
    if s.size > 1:
        if changed.size == 0:
            text += f", as at every snapshot since {step_words(s[0])}"
        else:
            text += f"; it has read {names[last]} since {step_words(s[int(changed[-1]) + 1])}"
    return text + "."


def probe_value(snap_steps, values, truth=None) -> str:
    """The probe's regression output at each snapshot: "At step 400 the probe's prediction
    is 1.23 (target 1.5, off by 0.27); at step 1 it was 0.02.\""""
    s = np.asarray(snap_steps).reshape(-1)
    last = _last_finite(s, values)
    if last is None:
        return "No finite prediction yet."
    text = f"At {step_words(last[0])} the probe's prediction is {num(last[1])}"
    if truth is not None and math.isfinite(float(truth)):
        text += f" (target {num(truth)}, off by {num(abs(last[1] - float(truth)))})"
    v = np.asarray(values, dtype=np.float64).reshape(-1)
    if s.size > 1 and math.isfinite(v[0]):
        text += f"; at {step_words(s[0])} it was {num(v[0])}"
    return text + "."


# ----------------------------------------------------------------------------- lab


def factor_words(factor: float) -> str:
    """ "shrinks ×0.46 per step back" / "grows ×1.3 per step back" / "stays level (×1.02
    per step back)"."""
    if not math.isfinite(factor):
        return "has too few finite values for a rate"
    if factor < 0.9:
        return f"shrinks ×{factor:.2f} per step back"
    if factor > 1.1:
        return f"grows ×{factor:.2f} per step back"
    return f"stays level (×{factor:.2f} per step back)"


def flow(norms=None, tokens: Sequence | None = None, runs: Mapping | None = None) -> str:
    """The gradient reaching each step, ‖∂L/∂h_t‖ (T,) with the loss at the last step, and/or
    several runs' curves. The rate is :func:`rnn_core.probes.growth_factor`, as the lab's
    verdicts state it. "The gradient shrinks ×0.46 per step back: 1.2 at the last step
    ('.'), 3e-05 at the first ('the')." / "Per step back: RNN ×0.46, LSTM ×0.98.\""""
    said = []
    if norms is not None:
        n = np.asarray(norms, dtype=np.float64).reshape(-1)
        ok = np.flatnonzero(np.isfinite(n) & (n > 0))
        text = f"The gradient {factor_words(growth_factor(n))}"
        if np.isinf(n).any():
            text = f"The gradient overflowed at {plural(int(np.isinf(n).sum()), 'step')}"
        elif ok.size == 0 and (n == 0).any():
            text = "The gradient is 0 at every step drawn"
        if ok.size >= 2:
            i, j = int(ok[0]), int(ok[-1])
            at = (lambda t: f" ({tok(tokens[t])})") if tokens is not None else (lambda t: "")
            text += f": {num(n[j])} at step {j}{at(j)}, {num(n[i])} at step {i}{at(i)}"
        said.append(text + ".")
    if runs:
        parts = [f"{name} ×{growth_factor(v):.2f}" for name, v in runs.items()]
        said.append("Fitted change of the gradient per step back: " + ", ".join(parts) + ".")
    return " ".join(said).replace("×nan", "n/a")


def flow_training(steps, norms) -> str:
    """‖∂L/∂h_t‖ over training (S, T): the first and last rows' ends in powers of ten.
    "At training step 400 the gradient is 10^-4.1 at timestep 0 and 10^-0.3 at timestep 19
    (the last); at step 1: 10^-2.0 and 10^-0.5.\""""
    s = np.asarray(steps).reshape(-1)
    v = np.asarray(norms, dtype=np.float64)
    if s.size == 0 or v.size == 0:
        return "No training steps yet."
    v = v.reshape(s.size, -1)

    def ends(row):
        ok = np.flatnonzero(np.isfinite(row) & (row > 0))
        if ok.size == 0:
            return None
        i, j = int(ok[0]), int(ok[-1])
        return i, math.log10(row[i]), j, math.log10(row[j])

    last = ends(v[-1]) if s.size else None
    if last is None:
        return "No finite gradient yet."
    i, a, j, b = last
    text = (
        f"At training step {s[-1]:,} the gradient is 10^{a:.1f} at timestep {i} and "
        f"10^{b:.1f} at timestep {j}"
    )
    first = ends(v[0]) if s.size > 1 else None
    if first is not None:
        text += f"; at step {s[0]:,}: 10^{first[1]:.1f} and 10^{first[3]:.1f}"
    return text + "."


def eigenvalues(blocks: Mapping[str, np.ndarray], names: Mapping[str, str]) -> str:
    """The eigenvalues of each recurrent block, how many lie outside the unit circle
    (|λ| > 1): "2 of 16 eigenvalues of W_hh outside the unit circle; ρ = 1.070." / for GRU
    and LSTM "Outside the unit circle: reset r 16 of 32 (ρ = 1.791), update z …"."""
    said = []
    for key, values in blocks.items():
        lam = np.asarray(values, dtype=np.complex128).reshape(-1)
        mag = np.abs(lam[np.isfinite(lam)])
        if mag.size == 0:
            said.append((names[key], "no finite eigenvalues"))
            continue
        out = int((mag > 1).sum())
        said.append((names[key], f"{out} of {mag.size}", f"ρ = {mag.max():.3f}"))
    if len(said) == 1:
        name, *rest = said[0]
        if len(rest) == 1:
            return f"{name}: {rest[0]}."
        return f"{rest[0]} eigenvalues of {name} outside the unit circle; {rest[1]}."
    parts = [f"{n} {r[0]}" + (f" ({r[1]})" if len(r) > 1 else "") for n, *r in said]
    return "Outside the unit circle: " + ", ".join(parts) + "."


def jacobian(norms, saturation=None, tokens: Sequence | None = None) -> str:
    """‖∂h_{T−1}/∂h_k‖ (T,) and the saturated share of units (T,): "The state's influence
    shrinks ×0.5 per step back, to 1e-04 at step 0. Up to 40% of units saturated (at
    'bad').\""""
    n = np.asarray(norms, dtype=np.float64).reshape(-1)
    text = f"The state's influence {factor_words(growth_factor(n))}"
    ok = np.flatnonzero(np.isfinite(n) & (n > 0))
    if ok.size:
        i = int(ok[0])
        text += f", down to {num(n[i])} at step {i}" if n[i] < 1 else f", {num(n[i])} at step {i}"
    text += "."
    if saturation is not None:
        sat = np.asarray(saturation, dtype=np.float64).reshape(-1)
        if np.isfinite(sat).any():
            k = int(np.nanargmax(sat))
            where = f"after {tok_at(tokens, k)}" if tokens is not None else f"at step {k}"
            if sat[k] > 0:
                text += f" At most {pct(sat[k])} of units saturated ({where})."
            else:
                text += " No unit saturated."
    return text


def clipping(norm_none, norm_global, norm_value, cos_global, cos_value, threshold) -> str:
    """One batch clipped three ways: "Unclipped update norm 12.3. Global-norm clipping: 1
    (direction kept, cos 1.000); per element: 0.8 (cos 0.830).\""""
    return (
        f"Unclipped update norm {num(norm_none)}; clipping at {num(threshold)} by the global "
        f"norm gives {num(norm_global)} (cos {cos_global:.3f} with the unclipped direction), "
        f"per element {num(norm_value)} (cos {cos_value:.3f})."
    ).replace("cos nan", "cos n/a")


def cliff(alphas, losses, x_title: str = "scale") -> str:
    """The loss along one line, x being ``x_title`` without its parenthesis: "The loss is
    lowest, 0.3, at scale of W_hh = 0.9 and highest, 1,200, at scale of W_hh = 2 (4,000×
    the lowest).\""""
    x = np.asarray(alphas, dtype=np.float64).reshape(-1)
    y = np.asarray(losses, dtype=np.float64).reshape(-1)
    name = x_title.split(" (")[0]
    ok = np.isfinite(x) & np.isfinite(y) & (y > 0)
    if not ok.any():
        return "No finite loss along this line."
    yy = np.where(ok, y, np.nan)
    i, j = int(np.nanargmin(yy)), int(np.nanargmax(yy))
    text = (
        f"The loss is lowest, {num(y[i])}, at {name} = {num(x[i])} and highest, "
        f"{num(y[j])}, at {name} = {num(x[j])}"
    )
    if y[j] / y[i] >= 10:
        text += f" ({num(y[j] / y[i])}× the lowest)"
    bad = int((~np.isfinite(y)).sum())
    if bad:
        text += f"; {bad} point{'s' if bad > 1 else ''} overflowed"
    return text + "."


def overlay(series: Mapping[str, tuple]) -> str:
    """Several runs on one axis, each by its last finite value: "Last values: RNN 0.52
    (step 600), LSTM 0.97 (step 600); LSTM is highest, RNN lowest.\""""
    last = {}
    for name, (steps, values) in series.items():
        got = _last_finite(steps, values)
        if got is not None:
            last[name] = got
    if not last:
        return "No finite values yet."
    parts = [f"{n} {num(v)} ({step_words(s)})" for n, (s, v) in last.items()]
    text = ("Last values: " if len(parts) > 1 else "Last value: ") + ", ".join(parts)
    if len(last) > 1:
        values = {n: v for n, (_, v) in last.items()}
        hi, lo = max(values, key=values.get), min(values, key=values.get)
        if num(values[hi]) == num(values[lo]):
            text += "; the same to 3 digits"
        else:
            text += f"; {hi} is highest, {lo} lowest"
    return text + "."
