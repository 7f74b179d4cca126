"""The Dynamics lab's section 2, "Where the gradient comes from" (RNNbow): ∂L/∂h_t of one
sequence split by the output step whose loss sent it, drawn as stacked bars beside the same
in words (``ui.views.rnnbow``), measured by ``rnn_core.dynamics_grads.rnnbow_split``.

The sequence: for a language model, the session's Explore sentence (the carried ``sentence``
widget value; the targets are its next tokens) or a test sequence; for every other task a test
sequence (its own targets). Its controls are bound to the URL; their keys are below (this
module owns them, like ``lab_controls`` owns the lab's):

    bow_seq       "your sentence" | "a test sequence"   (language models only)
    bow_example   the test sequence, 0 … n − 1
    bow_layer     1 | 2                                  (two-layer models only; default the last)
    bow_truncate  BPTT truncation: full | 1 | 2 | …      (as on Train)

A link's value a control cannot take gives a note naming the key (never the value) and the
default. The split is computed once per (weights version, sequence, layer, truncation) and
kept with the session's model (``SessionModel.cached``; the last ``KEEP`` of them).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import streamlit as st

from rnn_core.dynamics_grads import rnnbow_split
from rnn_core.tasks import Task
from ui.glue import state
from ui.glue.charts import caption_text, show_chart
from ui.glue.controls import url_bind
from ui.glue.layout import how_to_read
from ui.glue.models import SessionModel
from ui.services.samples import is_language_model
from ui.services.settings import TRUNCATIONS, url_number_ok
from ui.views import rnnbow
from ui.views.explore_text import unusable_links
from ui.views.inputs import feature_labels, read_text
from ui.views.summaries import num

SEQUENCE, EXAMPLE, LAYER, TRUNCATE = "bow_seq", "bow_example", "bow_layer", "bow_truncate"
SEQUENCES = ("your sentence", "a test sequence")
KEEP = 8  # splits kept per session model (a 200-step one is 200 × 200 float64: 320 kB)

HOW_TO_READ = (
    "Backpropagation through time sends each step's loss back to every earlier state. Here "
    "the gradient reaching the state after each step t, ‖∂L/∂h_t‖ (the gradient lab's curve), "
    "is split by where it comes from: the loss at output step s ≥ t (RNNbow, Cashman et al. "
    "2018). Each bar is one step t; each coloured band in it is one source s, coloured by s "
    "along the scale on the right (dark: early steps, yellow: late ones). Hover a band for "
    "its source, what that loss was predicting and its share.\n\n"
    "The parts are vectors, and the lengths of vectors do not add up. So each band's height "
    "is its part's projection onto the direction of the total gradient: these add up exactly "
    "to ‖∂L/∂h_t‖, marked by the dark tick on each bar. A band below 0 points against the "
    "total: that loss pulls h_t the other way and cancels some of the others (the bars "
    "above 0 then reach a little past the tick). A band that is mostly the bar's own colour "
    "means the state is shaped by its own step's loss; colours from far to the right mean "
    "losses many steps later still reach it — the long memory gradients need. With more "
    f"than {rnnbow.MAX_BANDS} steps, neighbouring sources share a band."
)


@dataclass(frozen=True)
class Sequence1:
    """The one sequence the section measures."""

    seq: np.ndarray  # (T,) ids or (T, D) features
    targets: np.ndarray  # what RNNModel.loss takes for it, without the batch axis
    tokens: list[str]  # input label per step
    target_labels: list[str]  # what the loss at each step scores (many-to-one: the last only)
    what: str  # "your sentence" or "test sequence 4"


@dataclass(frozen=True)
class Measured:
    contrib: np.ndarray  # (S, T) projections onto the total's direction
    sources: np.ndarray  # (S,)
    total: np.ndarray  # (T,) ‖∂L/∂h_t‖


def rnnbow_section(built: Task, sm: SessionModel) -> None:
    model = sm.model
    cfg = model.config
    notes = st.container()
    bad: list[str] = []
    lm = is_language_model(built)
    use_sentence = False
    # a language model's sequence choice gets a row of its own, with the truncation on its
    # right: beside three more controls it was cut at 1024 px with the sidebar open
    first = st.columns([5, 2]) if lm else None
    if lm:
        with first[0]:
            choice = _segmented(SEQUENCE, SEQUENCES, "Sequence", SEQUENCES[0], bad)
        use_sentence = choice == SEQUENCES[0]
    elif SEQUENCE in st.query_params and st.query_params[SEQUENCE] not in SEQUENCES:
        bad.append(SEQUENCE)
    cols = st.columns([3, 2, 2, 2])
    slots = iter(cols[:-1])  # the controls drawn, left to right; truncation on the right
    index = None
    if not use_sentence:
        with next(slots):
            index = _example_input(built, bad)
    layer = cfg.num_layers - 1
    if cfg.num_layers > 1:
        with next(slots):
            picked = _segmented(
                LAYER, tuple(range(1, cfg.num_layers + 1)), "Layer", cfg.num_layers, bad
            )
            layer = int(picked) - 1
    elif LAYER in st.query_params and st.query_params[LAYER] != "1":
        bad.append(LAYER)
    with first[1] if lm else cols[-1]:
        truncate = _truncation(bad)
    if bad:
        notes.info(unusable_links(bad))

    one = None
    if use_sentence:
        one = _sentence(built, notes)
        if one is None:
            index = 0
    if one is None:
        one = _test_sequence(built, int(index or 0))

    measured = _measure(sm, one, layer, truncate)
    verb = "target" if built.output_kind.startswith("value") else "predicting"
    if cfg.output != "many_to_many":
        st.info(
            rnnbow.one_source_words(len(one.tokens), one.target_labels[-1])
            + " Try one: pick *chars*, *words* or *copy* under Task at the top of the page."
        )
    # the chart takes the whole width (a column per step, every token's label readable);
    # the words follow it directly
    show_chart(
        rnnbow.rnnbow_chart(
            measured.contrib,
            measured.sources,
            measured.total,
            one.tokens,
            one.target_labels,
            verb=verb,
            title=f"Where each step's gradient comes from ({one.what})",
        ),
        key="rnnbow",
    )
    if cfg.output == "many_to_many":
        st.markdown(
            caption_text(
                rnnbow.where_from_words(
                    measured.contrib,
                    measured.sources,
                    measured.total,
                    one.tokens,
                    one.target_labels,
                    verb=verb,
                )
            )
        )
    if truncate is not None:
        st.caption(f"Truncated backpropagation: each loss reaches back {truncate} steps.")
    how_to_read(HOW_TO_READ)


# ----------------------------------------------------------------------------- controls


def _segmented(key: str, options: tuple, label: str, default, bad: list[str]):
    """A URL-bound segmented control; a link's value it cannot show: noted, the default."""
    labels = [str(o) for o in options]
    if state.widget_value(key) not in options:
        raw = st.query_params.get(key)
        if raw is not None and raw not in labels:
            bad.append(key)
            state.seed(key, default, overwrite=True)
        elif raw is not None:
            state.seed(key, options[labels.index(raw)], overwrite=True)
        else:
            state.seed(key, default)
    return st.segmented_control(label, options, required=True, key=key, bind="query-params")


def _example_input(built: Task, bad: list[str]) -> int:
    last = len(built.data.test) - 1
    bind = url_bind(EXAMPLE, lambda raw: url_number_ok(raw, int, 0, last))
    if not bind:
        bad.append(EXAMPLE)
    return int(
        st.number_input(
            "Test sequence",
            min_value=0,
            max_value=last,
            value=0,
            step=1,
            key=EXAMPLE,
            **bind,
            help=f"One of the task's {last + 1:,} test sequences, with its own targets.",
        )
    )


def _truncation(bad: list[str]) -> int | None:
    raw = st.query_params.get(TRUNCATE)
    if state.widget_value(TRUNCATE) not in TRUNCATIONS:
        if raw is not None and raw not in TRUNCATIONS:
            bad.append(TRUNCATE)
            state.seed(TRUNCATE, "full", overwrite=True)
        else:
            state.seed(TRUNCATE, "full")
    picked = st.selectbox(
        "BPTT truncation",
        TRUNCATIONS,
        key=TRUNCATE,
        bind="query-params",
        help="full: every loss reaches back to the first step. k: each loss reaches back k "
        "steps only, as when training with truncated backpropagation.",
    )
    return None if picked in (None, "full") else int(picked)


# ----------------------------------------------------------------------------- the sequence


def _sentence(built: Task, notes) -> Sequence1 | None:
    """The Explore sentence read by a language model: inputs all tokens but the last,
    targets all but the first (the next token). None (with a note) below two tokens."""
    text = state.held_value("sentence")
    text = text if isinstance(text, str) and text.strip() else (built.example or "")
    reading = read_text(built, text)
    if len(reading.tokens) < 2:
        notes.info("Your sentence has fewer than two tokens: nothing to predict. Showing test "
                   "sequence 0.")  # fmt: skip
        return None
    # no link to Explore here: a link opens a new session (the trained model would be gone);
    # the sidebar's navigation keeps it, and Explore shows the same sentence
    st.caption(
        f"Your sentence (the one above, as on Explore), {len(reading.tokens)} tokens"
        + (" (cut)" if reading.cut else "")
        + ": the model reads each token and is scored on the next."
    )
    return Sequence1(
        reading.seq[:-1],
        reading.seq[1:],
        list(reading.tokens[:-1]),
        list(reading.tokens[1:]),
        "your sentence",
    )


def _test_sequence(built: Task, index: int) -> Sequence1:
    test = built.data.test
    index = int(np.clip(index, 0, len(test) - 1))
    real = test.mask[index]
    seq = np.asarray(test.inputs[index][real])
    target = np.asarray(test.targets[index])
    T = int(real.sum())
    tokens = built.encoder.decode(seq) if built.encoder is not None else feature_labels(seq)
    if built.data.output == "many_to_many":
        target = target[real]
        labels = [_label(built, v) for v in target]
    else:
        labels = [""] * (T - 1) + [_label(built, target)]
    return Sequence1(seq, target, tokens, labels, f"test sequence {index}")


def _label(built: Task, value) -> str:
    """What the loss at one step scores: the class name (a language model's: the token), or
    the value."""
    v = np.asarray(value).reshape(-1)
    if built.output_kind.startswith("class"):
        c = int(v[0])
        names = built.class_names
        if names and 0 <= c < len(names):
            return str(names[c])
        if built.encoder is not None and 0 <= c < len(built.encoder):
            return built.encoder.vocab[c]
        return str(c)
    return num(float(v[0]))


# ----------------------------------------------------------------------------- measuring


def _measure(sm: SessionModel, one: Sequence1, layer: int, truncate: int | None) -> Measured:
    h = hashlib.blake2b(digest_size=16)
    for a in (one.seq, one.targets):
        a = np.ascontiguousarray(a)
        h.update(f"{a.dtype.str}|{a.shape}|".encode())
        h.update(a.data if a.size else b"")
    name = f"rnnbow|{layer}|{truncate}|{h.hexdigest()}"

    def make() -> Measured:
        # ≈ 0.02 s for the chars example sentence, ≈ 1 s for 200 characters (benchmarks.rnnbow)
        with st.spinner("Splitting the gradient by source…"):
            bow = rnnbow_split(sm.model, one.seq, one.targets, layer=layer, truncate=truncate)
            contrib = rnnbow.projections(bow.parts, bow.total)
        return Measured(contrib, bow.sources, np.linalg.norm(bow.total, axis=1))

    kept: dict = sm.cached("rnnbow", dict)  # this weights version's splits, newest last
    if name not in kept:
        while len(kept) >= KEEP:
            kept.pop(next(iter(kept)))
        kept[name] = make()
    return kept[name]
