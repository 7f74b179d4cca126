"""The numbers, chart and words of Explore's "Steer a neuron" section. Pure: no streamlit.

Steering holds one unit of the last layer at a value (or at 0: ablation) at every step while
the model reads the sentence (a classifier: its prediction with and without) or reads the
prime and writes on (a language model: two samples with the same seed, with and without).
The core does the holding (``rnn_core.model.Clamp``); this module picks the unit the app
suggests, runs both versions and says what changed.

The suggested unit is the one whose value best follows a signal over many steps
(``probes.unit_correlations``): for a classifier the probability of a class as it reads
(the "sentiment neuron"), for a character model the position in the line or being inside a
stage direction ``[...]``, for a word model the position in the sentence.
"""

from __future__ import annotations

import html as html_lib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go

from rnn_core import probes
from rnn_core.losses import softmax
from rnn_core.model import Clamp, RNNModel
from rnn_core.tasks import Task
from rnn_core.tasks.text import detokenize, sample
from ui.services.steer import Steer
from ui.views import summaries
from ui.views.figure_kit import (
    PROB_AXIS,
    decision_line,
    describe,
    esc,
    figure,
    token_axis,
    token_labels,
)

PICK_SENTENCES = 300  # a classifier's unit is picked over this many training sentences
PICK_TOKENS = 3000  # a language model's over this many tokens of held-out text
PASSAGE_TOKENS = {"char": 240, "word": 80}  # shown coloured by the picked unit: why it
SENTENCE_END = frozenset({".", "!", "?"})

# What "auto" looks for: (what the signal is, in words for "its value follows …")
TRACKERS = {
    "prediction": "the predicted probability of {cls}",
    "line length": "how far into its line the text is (characters since the last line break)",
    "sentence length": "how far into its sentence the text is (words since the last . ! ?)",
    "stage direction": "being inside a stage direction, between [ and ]",
}
PLAIN = "#888888"  # the model as trained
STEERED = "#d62728"  # the model with the unit held


def kind_of(task: Task) -> str | None:
    """ "classify" (a classifier of whole token sequences), "write" (a language model: it
    predicts its own next token) or None (steering is not shown for this task)."""
    if task.encoder is None:
        return None
    if task.output_kind == "class_per_sequence":
        return "classify"
    if task.output_kind == "class_per_step" and len(task.class_names) == len(task.encoder):
        return "write"
    return None


def trackers_for(task: Task) -> tuple[str, ...]:
    """The trackers that fit a task, the first one the default."""
    kind = kind_of(task)
    if kind == "classify":
        return ("prediction",)
    if kind == "write":
        first = "line length" if task.encoder.level == "char" else "sentence length"
        return (first, "stage direction")
    return ()


# ----------------------------------------------------------------------------- signals


def line_position(tokens: Sequence[str]) -> np.ndarray:
    """Characters since the last line break, after reading each token (0 right after one)."""
    out, n = np.zeros(len(tokens)), 0
    for t, tok in enumerate(tokens):
        n = 0 if tok == "\n" else n + 1
        out[t] = n
    return out


def sentence_position(tokens: Sequence[str]) -> np.ndarray:
    """Tokens since the last sentence end (. ! ?), after reading each token."""
    out, n = np.zeros(len(tokens)), 0
    for t, tok in enumerate(tokens):
        n = 0 if tok in SENTENCE_END else n + 1
        out[t] = n
    return out


def in_brackets(tokens: Sequence[str]) -> np.ndarray:
    """1 after reading "[" and until "]" is read (a stage direction), else 0."""
    out, inside = np.zeros(len(tokens)), False
    for t, tok in enumerate(tokens):
        if tok == "[":
            inside = True
        elif tok == "]":
            inside = False
        out[t] = float(inside)
    return out


SIGNALS = {
    "line length": line_position,
    "sentence length": sentence_position,
    "stage direction": in_brackets,
}


# ----------------------------------------------------------------------------- the pick


@dataclass(frozen=True, eq=False)
class UnitPick:
    """The unit of the last layer that best follows a tracker's signal."""

    track: str
    unit: int
    r: float  # its correlation with the signal, −1 … 1
    rs: np.ndarray  # (H,) every unit's correlation
    steps: int  # how many steps the correlation is over
    sequences: int  # over how many sentences (classifiers) or 1 (one passage of text)
    what: str  # the signal in words
    passage: list[str]  # language models: text shown coloured by the unit
    values: np.ndarray  # (len(passage),) the unit's value over it
    klass: int | None = None  # classifiers: the class whose probability it follows


def pick_unit(model: RNNModel, task: Task, track: str) -> UnitPick:
    """The unit of the last layer whose value best follows ``track``'s signal (largest |r|)."""
    if track not in trackers_for(task):
        raise ValueError(f"{track!r} is not a tracker of task {task.name!r}")
    if track == "prediction":
        return _pick_for_prediction(model, task)
    return _pick_for_text(model, task, track)


def _pick_for_prediction(model: RNNModel, task: Task) -> UnitPick:
    train = task.data.train
    n = min(PICK_SENTENCES, len(train))
    idx = np.unique(np.linspace(0, len(train) - 1, n).astype(int))
    states = probes.hidden_states(model, train.inputs[idx], train.mask[idx])  # (N, H)
    probs = softmax(states @ model.params["W_hy"] + model.params["b_y"])  # (N, C) as it reads
    C = probs.shape[1]
    classes = range(1, C) if C == 2 else range(C)  # P(class 0) = 1 − P(class 1): no news
    best = None
    for c in classes:
        rs = probes.unit_correlations(states, probs[:, c])
        unit = int(np.abs(rs).argmax())
        if best is None or abs(rs[unit]) > abs(best[2][best[1]]):
            best = (c, unit, rs)
    c, unit, rs = best
    name = class_name(task.class_names, c)
    return UnitPick(
        track="prediction",
        unit=unit,
        r=float(rs[unit]),
        rs=rs,
        steps=len(states),
        sequences=len(idx),
        what=TRACKERS["prediction"].format(cls=f"“{name}”"),
        passage=[],
        values=np.zeros(0),
        klass=c,
    )


def _held_out_tokens(task: Task, n: int) -> np.ndarray:
    """The first ``n`` ids of the held-out text: its windows tile it, in order."""
    test = task.data.test
    ids = np.asarray(test.inputs)[test.mask].reshape(-1)
    return ids[:n]


def _pick_for_text(model: RNNModel, task: Task, track: str) -> UnitPick:
    ids = _held_out_tokens(task, PICK_TOKENS)
    tokens = task.encoder.decode(ids)
    trace = model.trace(ids)
    states = trace.hs[-1]
    signal = SIGNALS[track](tokens)
    rs = probes.unit_correlations(states, signal)
    unit = int(np.abs(rs).argmax())
    show = _passage_span(tokens, PASSAGE_TOKENS[task.encoder.level], track)
    return UnitPick(
        track=track,
        unit=unit,
        r=float(rs[unit]),
        rs=rs,
        steps=len(ids),
        sequences=1,
        what=TRACKERS[track],
        passage=list(tokens[show]),
        values=states[show, unit].astype(np.float64),
    )


def _passage_span(tokens: Sequence[str], length: int, track: str) -> slice:
    """A stretch of ``length`` tokens that shows the signal: for a stage direction one that
    holds a ``[``, else the start of the text."""
    start = 0
    if track == "stage direction":
        opens = [t for t, tok in enumerate(tokens) if tok == "["]
        if opens:
            start = max(0, opens[0] - length // 3)
    return slice(start, min(len(tokens), start + length))


def chosen_unit(steer: Steer, pick: UnitPick | None) -> int | None:
    """The unit the section steers: the picked one for "auto", else the chosen one."""
    if steer.unit == "auto":
        return None if pick is None else pick.unit
    return int(steer.unit)


# ----------------------------------------------------------------------------- both versions


@dataclass(frozen=True, eq=False)
class Readings:
    """A classifier's reading of one sentence, as trained and with the unit held."""

    plain: np.ndarray  # (T, C) probabilities after each token
    steered: np.ndarray  # (T, C)


def read_both(model: RNNModel, seq, clamp: Clamp) -> Readings:
    return Readings(model.trace(seq).probs, model.trace(seq, clamp=clamp).probs)


@dataclass(frozen=True, eq=False)
class Samples:
    """A language model's two continuations of one prime, same seed, with and without."""

    prime: str
    plain: str
    steered: str
    plain_tokens: list[str]  # what the model wrote, token by token
    steered_tokens: list[str]
    plain_values: np.ndarray  # the unit's value after each written token (free, as trained)
    same: int  # how many leading tokens the two samples share


def write_both(model: RNNModel, task: Task, prime: str, clamp: Clamp, steer: Steer) -> Samples:
    """Two samples after ``prime`` with the same seed and temperature: as trained, and with
    ``clamp`` held while it reads the prime and writes."""
    enc = task.encoder
    kw = {"temperature": steer.temperature}
    plain = sample(model, enc, prime, steer.length, rng=np.random.default_rng(steer.seed), **kw)
    steered = sample(
        model, enc, prime, steer.length, rng=np.random.default_rng(steer.seed), clamp=clamp, **kw
    )
    plain_tokens, steered_tokens = enc.tokens(plain), enc.tokens(steered)
    prime_ids = enc.encode(prime)
    ids = np.concatenate([prime_ids, enc.encode(plain_tokens)])
    values = np.zeros(len(plain_tokens))
    if len(plain_tokens) and len(ids):
        values = model.trace(ids).hs[-1][len(prime_ids) :, clamp.unit].astype(np.float64)
        values = values[: len(plain_tokens)]
    same = 0
    for a, b in zip(plain_tokens, steered_tokens, strict=False):
        if a != b:
            break
        same += 1
    return Samples(prime, plain, steered, plain_tokens, steered_tokens, values, same)


# ----------------------------------------------------------------------------- what changed


def text_stats(tokens: Sequence[str], track: str) -> str:
    """One number that says what a sample does with the tracker's signal, in words."""
    if track == "line length":
        lines = "".join(tokens).split("\n")
        full = [len(s) for s in lines[:-1]] or [len(lines[0])]
        return f"lines of {np.mean(full):.0f} characters on average ({len(lines) - 1} line breaks)"
    if track == "sentence length":
        ends = sum(tok in SENTENCE_END for tok in tokens)
        return f"{ends} sentence ends in {len(tokens)} words"
    inside = in_brackets(tokens)
    return f"{inside.mean():.0%} of it inside [ ] ({sum(t == '[' for t in tokens)} opened)"


def steer_lines(
    readings: Readings, tokens: Sequence[str], klass: int, class_name: str, held: str
) -> go.Figure:
    """P(``class_name``) after each token: the model as trained (grey) and with the unit
    held (red), on one probability axis; a dashed line at 0.5 for two classes."""
    plain = np.ascontiguousarray(readings.plain[:, klass], dtype=np.float64)
    steered = np.ascontiguousarray(readings.steered[:, klass], dtype=np.float64)
    T = len(plain)
    labels = token_labels(tokens, T)
    text = np.asarray(labels, dtype=object)
    steps = np.arange(T)
    traces = [
        go.Scatter(
            x=steps,
            y=y,
            mode="lines+markers",
            name=esc(name),
            text=text,
            line={"color": colour, "width": 3, "dash": dash},
            marker={"size": 7},
            hovertemplate="after '%{text}': %{y:.2f}<extra>%{fullData.name}</extra>",
        )
        for y, name, colour, dash in (
            (plain, "as trained", PLAIN, "solid"),
            (steered, held, STEERED, "solid"),
        )
    ]
    shapes = []
    if readings.plain.shape[1] == 2:
        shapes.append(decision_line())
    fig = figure(
        traces,
        title=f"P({class_name}) as it reads, with and without",
        height=340,
        x_title="after reading this token",
        y_title=f"P({class_name})",
        axes=token_axis(labels),
        yaxis=PROB_AXIS,
        legend="top",
        shapes=shapes,
    )
    end_plain, end_steered = float(plain[-1]), float(steered[-1])
    gap = int(np.abs(plain - steered).argmax())
    words = (
        f"P({class_name}) after the last token: {summaries.num(end_plain)} as trained, "
        f"{summaries.num(end_steered)} {held}. The two differ most after "
        f"{summaries.tok_at(list(tokens), gap)} ({summaries.num(plain[gap])} against "
        f"{summaries.num(steered[gap])})."
    )
    return describe(fig, words)


def plain_text_html(tokens: Sequence[str], level: str) -> str:
    """A sample as the neuron view lays text out (monospace characters, line breaks shown as
    "↵"), without colours: the held unit has one value throughout. One ``<div>``, no newline
    characters."""
    text = html_lib.escape(detokenize(list(tokens), level), quote=True)
    font = "inherit"
    if level == "char":
        text = text.replace("\n", "↵<br>")
        font = "ui-monospace,SFMono-Regular,Menlo,Consolas,monospace"
    return (
        f'<div class="rnnx-steered rnnx-{level}" style="line-height:1.9;font-family:{font};'
        f'white-space:pre-wrap;word-break:break-word">{text}</div>'
    )


def held_words(unit: int, steer: Steer) -> str:
    """ "unit 17 ablated" or "unit 17 held at 1" — the steered version's name."""
    if steer.mode == "ablate":
        return f"unit {unit} ablated"
    return f"unit {unit} held at {steer.value:g}"


def pick_note(pick: UnitPick, class_names: Sequence[str] = ()) -> str:
    """What the app picked and why, with the correlation's sign in words (and, for a
    classifier, which way to hold it to push the answer)."""
    over = (
        f"{pick.steps:,} steps of {pick.sequences:,} training sentences"
        if pick.sequences > 1
        else f"{pick.steps:,} tokens of the held-out text"
    )
    sign = "rises" if pick.r > 0 else "falls"
    note = (
        f"**Unit {pick.unit}** follows {pick.what} most closely: r = {pick.r:+.2f} over "
        f"{over} — its value {sign} with it (the runner-up reaches |r| = "
        f"{_runner_up(pick):.2f})."
    )
    if pick.klass is not None and pick.klass < len(class_names):
        up, down = ("high", "low") if pick.r > 0 else ("low", "high")
        note += (
            f" Hold it {up} to push towards **{class_names[pick.klass]}**, {down} to push "
            "away from it."
        )
    return note


def _runner_up(pick: UnitPick) -> float:
    rs = np.abs(pick.rs)
    return float(np.sort(rs)[-2]) if rs.size > 1 else 0.0


def class_name(class_names: Sequence[str], c: int) -> str:
    return str(class_names[c]) if c < len(class_names) else f"class {c}"


def verdict(class_names: Sequence[str], readings: Readings, held: str) -> str:
    """Whether holding the unit changed the answer, in one sentence."""
    a, b = int(readings.plain[-1].argmax()), int(readings.steered[-1].argmax())

    def name(c: int) -> str:
        return class_name(class_names, c)

    if a == b:
        return (
            f"The answer stays **{name(a)}** with {held} "
            f"({readings.plain[-1, a]:.0%} → {readings.steered[-1, b]:.0%})."
        )
    return f"With {held} the answer flips from **{name(a)}** to **{name(b)}**."


def plural_tokens(n: int, level: str) -> str:
    return summaries.plural(n, "character" if level == "char" else "word")


def sample_note(samples: Samples, level: str) -> str:
    unit = "characters" if level == "char" else "words"
    if samples.same == len(samples.plain_tokens) == len(samples.steered_tokens):
        return "The two samples are identical: holding this unit changed nothing the model wrote."
    if samples.same == 0:
        return (
            f"Same seed, same temperature, and yet the samples differ from the first {unit[:-1]}"
            ": the held unit changed the model's reading of your sentence already."
        )
    return (
        f"Same seed, same temperature: the samples share their first {samples.same} {unit}, "
        "then part ways — from there on every difference comes from the held unit."
    )


CLASSIFY_NOTE = (
    "The grey line is the model as trained; the red line is the same model reading the same "
    "sentence with one unit of its last layer **held** at a value at every step (or at 0: "
    "**ablated**, as if its outgoing weights were cut). If the unit carries the sentiment, "
    "holding it high or low pushes the answer one way whatever the words say; ablating it "
    "shows how much the prediction leans on it. A unit picked by *auto* is the one whose "
    "value rose and fell most in step with the prediction over many training sentences — a "
    "correlation, not proof: steering is the experiment that tests it."
)


def write_note(level: str) -> str:
    unit = "character" if level == "char" else "word"
    return (
        f"Both samples start from your sentence and draw each {unit} with the same seed and "
        "temperature, so they match until the held unit first tips a choice; from there on "
        "every difference comes from that unit. **Left**: the model as trained, each token "
        "coloured by the unit's own value as the model wrote it (the heatmap's colours) — "
        "what the unit tracks. **Right**: the same model with the unit held at one value (or "
        "at 0, **ablated**) while it reads the prime and writes. The line under each sample "
        "counts what the tracker is about (line length, sentence ends, text inside [ ]): a "
        "unit the model really uses for it changes that count when held, a unit that only "
        "correlates may not. *auto* picks the unit whose value follows the tracker most "
        "closely over the held-out end of the play; one sample is one draw — try other seeds "
        "before you believe a difference."
    )
