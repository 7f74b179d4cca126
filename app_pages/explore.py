"""Explore: type a sentence, watch the network think."""

from __future__ import annotations

import streamlit as st

from rnn_core import probes
from ui.glue.controls import task_picker, url_bind
from ui.glue.layout import how_to_read
from ui.glue.sidebar import model_summary
from ui.glue.state import carry, forget, get_task, seed, session_model, widget_value
from ui.services.settings import url_number_ok
from ui.views import analysis, charts, html
from ui.views.inputs import (
    MAX_CHARS,
    MAX_TOKENS,
    compare_placeholder,
    compare_tip,
    hints,
    read_example,
    read_text,
)

# Bound widgets put their displayed option in the URL, so options are short words.
ORDERS = ("index", "final", "clustered")  # probes.unit_order methods
SALIENCY = {"grad × input": "grad_x_input", "occlusion": "occlusion", "grad size": "grad_norm"}
STATE_NAMES = {
    "h": "h · hidden state",
    "c": "c · cell state",
    "i": "i · input gate",
    "f": "f · forget gate",
    "g": "g · candidate",
    "o": "o · output gate",
    "r": "r · reset gate",
    "z": "z · update gate",
    "n": "n · candidate",
}
# What the "Show" control (URL key ``state``) displays, and so what a link says: one word each.
STATE_WORDS = {
    "h": "hidden",
    "c": "cell",
    "i": "input",
    "f": "forget",
    "g": "candidate",
    "o": "output",
    "r": "reset",
    "z": "update",
    "n": "candidate",
}


def on_task_change() -> None:
    """A new task starts from its own example sentence, its hidden state and its busiest
    unit (another task's model may have another cell and size)."""
    example = get_task(widget_value("task")).example
    seed("sentence", example or "", overwrite=True)
    seed("sentence_b", "", overwrite=True)
    forget("state", "unit")


def link_value(key: str) -> str | None:
    """The link's raw value for ``key`` (None when the URL does not set it)."""
    return st.query_params.get(key)


def unusable_link_keys(checks: dict) -> list[str]:
    """The URL keys whose value fails its check (key -> check(raw) -> bool)."""
    return [k for k, ok in checks.items() if link_value(k) is not None and not ok(link_value(k))]


def note_unusable(keys: list[str]) -> None:
    """Say which link values could not be used (never echoing them)."""
    if keys:
        st.info(
            f"The link's value for {', '.join(keys)} cannot be used here; showing the "
            "default instead."
        )


def short(tokens: list[str], limit: int = 32) -> str:
    text = " ".join(tokens)
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ----------------------------------------------------------------------------- inputs

st.title("Explore")
st.caption(
    "Type a sentence and watch a trained recurrent network read it one token at a time: what "
    "it keeps in memory (the hidden state), what it would answer after each word, and which "
    "words moved it."
)

task_notes = st.container()  # the task picker's notes, full width
top = st.columns([1, 2, 2])
with top[0]:
    task_name = task_picker(on_change=on_task_change, notes=task_notes)
built = get_task(task_name)
sm = session_model(task_name)
share = model_summary(sm, built)
model, cfg = sm.model, sm.model.config

reading_b = None
if built.encoder is not None:
    carry("sentence", built.example or "")  # the default sentence survives a page change too
    carry("sentence_b", "")
    with top[1]:
        text = st.text_input(
            "Sentence",
            key="sentence",
            bind="query-params",
            placeholder="Type a sentence and press Enter",
            help=f"Press Enter to run. Up to {MAX_TOKENS} tokens are read.",
        )
    with top[2]:
        text_b = st.text_input(
            "Compare with (optional)",
            key="sentence_b",
            bind="query-params",
            placeholder=compare_placeholder(built),
            help="A second sentence to see side by side and on the same state-space map.",
        )
    reading = read_text(built, text)
    if text_b and text_b.strip():
        reading_b = read_text(built, text_b)
        reading_b = None if reading_b.empty else reading_b
else:
    last = len(built.data.test) - 1
    bind = url_bind("example", lambda raw: url_number_ok(raw, int, 0, last))
    if not bind:
        st.info(f"The link's test sequence cannot be used here (0 to {last:,}); showing 0.")
    with top[1]:
        index = st.number_input(
            "Test sequence",
            min_value=0,
            max_value=last,
            value=0,
            step=1,
            key="example",
            **bind,
            help="This task reads numbers, not words: pick one of its test sequences.",
        )
    reading = read_example(built, int(index))

with st.expander(f"About this task: {built.title}"):
    st.markdown(built.description)

if reading.empty:
    st.info("The sentence is empty. Type one above and press Enter, for example:")
    st.code(built.example or "", language=None)
    share.refresh()
    st.stop()

if built.encoder is not None:
    st.markdown(html.token_chips_html(reading.tokens, reading.unknown), unsafe_allow_html=True)
    n_unknown = sum(reading.unknown)
    if reading.all_unknown:
        st.warning(
            "None of these words is in the task's vocabulary, so the network reads each of "
            "them as the same placeholder `<unk>`. It still runs — what you see is how it "
            "treats words it has never seen. Try words from the example."
        )
    elif n_unknown:
        st.caption(
            f"{n_unknown} token(s) with a dashed border are not in the task's vocabulary "
            f"({len(built.encoder):,} tokens): the network reads them as `<unk>`."
        )
for r, which in ((reading, "The sentence"), (reading_b, "The second sentence")):
    if r is not None and r.unread:  # not even tokenised: how much was cut is not known
        st.warning(
            f"{which} is very long: only its first {MAX_CHARS:,} characters are looked at "
            f"and only its first {MAX_TOKENS} tokens are read; the rest was cut."
        )
    elif r is not None and r.cut:
        st.warning(
            f"{which} is long: only its first {MAX_TOKENS} tokens are read "
            f"({r.cut:,} more were cut)."
        )

trace = model.trace(reading.seq)
tokens = reading.tokens
trace_b = model.trace(reading_b.seq) if reading_b is not None else None
hint = hints(built)

# Bound choices: a link's value that is not an option falls back to the default, with a note.
views = analysis.state_views(cfg, trace, 0)  # the same states for every layer
h_last = trace.hs[-1]
H = h_last.shape[1]
unit_labels = [str(u) for u in range(H)]
shown_states = [STATE_WORDS[k] for k in views]
note_unusable(
    unusable_link_keys(
        {
            "order": lambda raw: raw in ORDERS,
            "state": lambda raw: raw in shown_states,
            "unit": lambda raw: raw in unit_labels,
            "saliency": lambda raw: raw in SALIENCY,
        }
    )
)
for key, options in (("state", list(views)), ("unit", list(range(H)))):
    if widget_value(key) is not None and widget_value(key) not in options:
        forget(key)  # another model (cell, size) than when it was chosen

# ----------------------------------------------------------------------------- 1. heatmap

kind = built.output_kind
if kind == "class_per_step":  # top-5 per token needs the page's whole width
    left, right = st.container(), st.container()
else:
    left, right = st.columns([3, 2], gap="large")
with left:
    st.subheader("Hidden state, step by step")
    order_key = (
        st.segmented_control(
            "Order units by",
            ORDERS,
            default="index",
            key="order",
            bind="query-params",
            help="index: unit 0 first; final: by the value after the last token; clustered: units "
            "that move together side by side. Sorting changes nothing in the network.",
        )
        or "index"
    )
    shown = "h"
    if len(views) > 1:  # gated cells: the state, the LSTM's cell state, the gates
        shown = (
            st.segmented_control(
                "Show",
                list(views),
                default="h",
                required=True,
                format_func=STATE_WORDS.get,
                key="state",
                bind="query-params",
                help="hidden: h_t, what the cell passes on. "
                + ("cell: c_t, the LSTM's long-term memory. " if "c" in views else "")
                + "The gates run from 0 (closed) to 1 (open); candidate: the new content "
                "the cell proposes (−1…1).",
            )
            or "h"
        )
    for layer in range(cfg.num_layers):
        values, zrange = analysis.state_views(cfg, trace, layer)[shown]
        order = probes.unit_order(trace.hs[layer], order_key)
        prefix = f"Layer {layer + 1} · " if cfg.num_layers > 1 else ""
        fig = charts.hidden_heatmap(
            values,
            tokens,
            order=order,
            zrange=zrange,
            title=f"{prefix}{STATE_NAMES[shown]}",
            value_name=shown,
        )
        st.plotly_chart(fig, width="stretch", key=f"heatmap_{layer}")
    how_to_read(
        "Each **column** is one step: the network has just read that token. Each **row** is "
        "one hidden unit. The colour is the unit's value — red positive, blue negative, white "
        "near zero (tanh keeps it within −1…1). A unit that changes colour at a word reacts "
        "to it; a unit that keeps its colour over many steps is *remembering* something. "
        "Gated cells can **Show** more: their gates (0 = closed, 1 = open) decide what is "
        "written, kept and shown."
    )

# ----------------------------------------------------------------------------- 2. prediction

with right:
    st.subheader("Prediction as it reads")
    if kind == "class_per_sequence":
        st.plotly_chart(
            charts.prediction_lines(trace.probs, tokens, built.class_names),
            width="stretch",
            key="prediction",
        )
        final = trace.probs[-1]
        best = int(final.argmax())
        st.markdown(
            f"After the last token: **{built.class_names[best]}** ({100 * final[best]:.1f}%)."
        )
        how_to_read(
            "The network's answer if the input ended at each token. Watch where a line "
            f"jumps: {hint.jump}. Only the last point is the real prediction."
        )
    elif kind == "class_per_step":
        st.plotly_chart(
            charts.top_next_tokens(trace.probs, tokens, list(built.class_names), k=5),
            width="stretch",
            key="prediction",
        )
        how_to_read(
            "Column *t* lists the five outputs the network finds most likely after reading "
            "token *t*, best first, with their probabilities. For a language model that is "
            "its guess at the **next** token."
        )
    else:
        st.plotly_chart(
            charts.regression_trace(trace.outputs[:, 0], reading.truth, tokens),
            width="stretch",
            key="prediction",
        )
        how_to_read(
            "The network's output after each step against the truth. In the adding problem "
            "only the final value counts: the sum of the two numbers marked ◆. For the sine, "
            "the output at step *t* is the forecast of step *t + 1*."
        )

# ----------------------------------------------------------------------------- 3. neuron view

left, right = st.columns([3, 2], gap="large")
with left:
    st.subheader("One neuron")
    busiest = charts.changing_units(h_last, top=min(10, H))
    unit = st.selectbox(
        "Unit (last layer)",
        list(range(H)),
        index=int(busiest[0]),
        key="unit",
        bind="query-params",
        help="Starts at the unit whose value changes most across this sentence.",
    )
    lo, hi = analysis.activation_range(cfg, trace)
    level = built.encoder.level if built.encoder is not None else "word"
    st.markdown(
        html.neuron_text_html(tokens, h_last[:, unit], vmin=lo, vmax=hi, level=level),
        unsafe_allow_html=True,
    )
    how_to_read(
        "The text coloured by one unit's value after each token (hover a token for the "
        "number): red positive, blue negative. Karpathy found single units in character "
        f"models that track quotes or line length this way. Here, look for {hint.unit}. "
        "The chart on the right "
        "lists the units that change most across this sentence — good ones to pick."
    )
with right:
    st.plotly_chart(
        charts.unit_change_bar(h_last, top=min(10, H)), width="stretch", key="unit_change"
    )

# ----------------------------------------------------------------------------- 4. trajectory

left, right = st.columns([3, 2], gap="large")
with left:
    st.subheader("The path through state space")
    state_map = sm.cached("state_map", lambda: analysis.fit_state_map(model, built))
    paths = [state_map.pca.transform(trace.hs[-1])]
    names, token_lists = [short(tokens)], [tokens]
    if trace_b is not None:
        paths.append(state_map.pca.transform(trace_b.hs[-1]))
        names.append(short(reading_b.tokens))
        token_lists.append(reading_b.tokens)
    background = analysis.readout_background(model, state_map, paths)
    ratio = state_map.pca.explained_variance_ratio
    cloud = (
        (state_map.ends, state_map.end_labels)
        if state_map.end_labels is not None
        else (state_map.ends)
    )
    st.plotly_chart(
        charts.trajectory(
            paths,
            names,
            token_lists,
            background=background,
            cloud=cloud,
            class_names=built.class_names,
            title="Path of the hidden state (PCA of the training states)",
            axis_titles=(
                f"PC 1 ({100 * ratio[0]:.0f}% of variance)",
                f"PC 2 ({100 * ratio[1]:.0f}% of variance)",
            ),
        ),
        width="stretch",
        key="trajectory",
    )
    how_to_read(
        "The hidden state has many dimensions; this is its shadow on the two directions along "
        "which it varies most over the task's training sentences (principal components, "
        f"together {100 * ratio.sum():.0f}% of the variance), so every sentence lands in "
        "the same picture. The path starts at ○ and ends at ★; faint dots are where "
        "training sentences end. Where shown, the shading is what the readout would answer "
        "at each point of this plane — a hint of the class regions, not the exact boundary."
    )

# ----------------------------------------------------------------------------- 5. saliency

with right:
    st.subheader("Which tokens mattered")
    method = st.segmented_control(
        "Method",
        list(SALIENCY),
        default="grad × input",
        key="saliency",
        bind="query-params",
    )
    method = SALIENCY.get(method, "grad_x_input")
    scores = probes.saliency(model, reading.seq, method=method)
    st.plotly_chart(
        charts.saliency_bars(scores, tokens, signed=method != "grad_norm"),
        width="stretch",
        key="saliency_chart",
    )
    how_to_read(
        "How much each token pushed the final answer (for classifiers, the log-probability "
        "of the class it chose; for language models, its last prediction). **grad × "
        "input**: a first-order estimate. **occlusion**: the change when that token is "
        "deleted. **grad size**: how sensitive the answer is to the token, unsigned. "
        "The methods can disagree — that is part of the lesson."
    )

# ----------------------------------------------------------------------------- 6. compare

if trace_b is not None:
    st.subheader("Two sentences side by side")
    order = probes.unit_order(trace.hs[-1], order_key)
    a_col, b_col = st.columns(2)
    zrange = analysis.activation_range(cfg, trace)
    for col, tr, toks, key in (
        (a_col, trace, tokens, "a"),
        (b_col, trace_b, reading_b.tokens, "b"),
    ):
        col.plotly_chart(
            charts.hidden_heatmap(
                tr.hs[-1], toks, order=order, zrange=zrange, title=f"h_t · “{short(toks)}”"
            ),
            width="stretch",
            key=f"compare_{key}",
        )
    pairs = analysis.align_tokens(tokens, reading_b.tokens)
    st.plotly_chart(
        charts.state_difference(
            trace.hs[-1], trace_b.hs[-1], tokens, reading_b.tokens, pairs=pairs, order=order
        ),
        width="stretch",
        key="compare_diff",
    )
    gaps = sum(i is None or j is None for i, j in pairs)
    how_to_read(
        "Both heatmaps use the same unit order, so rows line up. The third chart is the "
        "second sentence's state minus the first's after each token, with the two sentences "
        "lined up word for word (the fewest insertions, deletions and substitutions): "
        "white where they agree, colour where they part ways. A token only one sentence "
        "has is an empty column marked — on the other side"
        + (f" (here {gaps})" if gaps else "")
        + ". The trajectory map above draws both paths."
    )
elif built.encoder is not None:
    st.caption(compare_tip(built))
share.refresh()  # last: every widget above has put its value in the URL
