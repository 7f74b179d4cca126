"""Explore: type a sentence, watch the network think.

Top to bottom: the task and the input, what the network read, then its views: the hidden
state, the prediction, for language models the text it writes from a prime, one neuron, the
path through state space, which tokens mattered, with a second sentence the two side by side
and, for classifiers and language models, one unit steered (held at a value or ablated:
ui/glue/steer.py). The figures are assembled in ui/views/explore_figures.py and the words are
in ui/views/explore_text.py.
"""

from __future__ import annotations

import streamlit as st

from rnn_core import probes
from ui.glue.charts import show_chart
from ui.glue.controls import sentence_input, task_picker, url_bind
from ui.glue.display import html_view
from ui.glue.explore_panels import forget_stale, note_unusable_links, reading_notes
from ui.glue.layout import fit_narrow_screens, how_to_read, page_link
from ui.glue.sidebar import model_summary
from ui.glue.state import carry, forget, get_task, seed, session_model, widget_value
from ui.glue.steer import steer_section
from ui.glue.vocabulary import vocabulary_panel
from ui.glue.write_panel import write_section
from ui.services.settings import url_number_ok
from ui.views import analysis, charts_explore, explore_figures, html
from ui.views import explore_text as text
from ui.views.inputs import (
    MAX_TOKENS,
    compare_placeholder,
    compare_tip,
    hints,
    read_example,
    read_text,
)


def on_task_change() -> None:
    """A new task starts from its own example sentence, its hidden state and its busiest
    unit (another task's model may have another cell and size)."""
    example = get_task(widget_value("task")).example
    seed("sentence", example or "", overwrite=True)
    seed("sentence_b", "", overwrite=True)
    forget("state", "unit")


# ----------------------------------------------------------------------------- inputs

fit_narrow_screens()  # projectors: the sidebar folds, narrow chart rows stack
st.title("Explore")
st.caption(text.INTRO)

task_notes = st.container()  # the task picker's notes, full width
top = st.columns([3, 4, 4])  # the task picker wide enough for "sentiment" at 1024 px
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
        sentence = sentence_input(
            "Sentence",
            f"Press Enter to run. Up to {MAX_TOKENS} tokens are read.",
            placeholder="Type a sentence and press Enter",
        )
    with top[2]:
        sentence_b = st.text_input(
            "Compare with (optional)",
            key="sentence_b",
            bind="query-params",
            placeholder=compare_placeholder(built),
            help="A second sentence to see side by side and on the same state-space map.",
        )
    reading = read_text(built, sentence)
    if sentence_b and sentence_b.strip():
        reading_b = read_text(built, sentence_b)
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
    st.info(text.EMPTY)
    st.code(built.example or "", language=None)
    share.refresh()
    st.stop()

reading_notes(built, reading, reading_b)
vocabulary_panel(built, sm, reading, reading_b)  # unknown words' nearest known ones; the list
trace = model.trace(reading.seq)
tokens = reading.tokens
trace_b = model.trace(reading_b.seq) if reading_b is not None else None
hint = hints(built)

views = analysis.state_views(cfg, trace, 0)  # the same states for every layer
h_last = trace.hs[-1]
H = h_last.shape[1]
# Bound choices: a link's value that is not an option falls back to the default, with a note.
note_unusable_links(
    {
        "order": probes.UNIT_ORDERS,
        "state": [text.STATE_WORDS[k] for k in views],
        "unit": [str(u) for u in range(H)],
        "saliency": list(text.SALIENCY),
    }
)
forget_stale({"state": list(views), "unit": list(range(H))})

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
            probes.UNIT_ORDERS,
            default="index",
            key="order",
            bind="query-params",
            help=text.ORDER_HELP,
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
                format_func=text.STATE_WORDS.get,
                key="state",
                bind="query-params",
                help=text.show_help(views),
            )
            or "h"
        )
    heatmaps = explore_figures.state_heatmaps(cfg, trace, shown, order_key, tokens)
    for layer, fig in enumerate(heatmaps):
        show_chart(fig, key=f"heatmap_{layer}")
    how_to_read(text.HEATMAP_NOTE)

# ----------------------------------------------------------------------------- 2. prediction

with right:
    st.subheader("Prediction as it reads")
    show_chart(explore_figures.prediction_figure(built, trace, reading), key="prediction")
    if kind == "class_per_sequence":
        st.markdown(text.final_answer(built.class_names, trace.probs[-1]))
    how_to_read(text.prediction_note(kind, hint))

# ----------------------------------------------------------------------------- write (LMs)

write_section(built, sm, shown, order_key)  # language models only: prime → generated text

# ----------------------------------------------------------------------------- 3. neuron view

left, right = st.columns([3, 2], gap="large")
with left:
    st.subheader("One neuron")
    busiest = analysis.changing_units(h_last, top=min(10, H))
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
    html_view(html.neuron_text_html(tokens, h_last[:, unit], vmin=lo, vmax=hi, level=level))
    how_to_read(text.neuron_note(hint))
with right:
    show_chart(charts_explore.unit_change_bar(h_last, top=min(10, H)), key="unit_change")

# ----------------------------------------------------------------------------- 4. trajectory

left, right = st.columns([3, 2], gap="large")
with left:
    st.subheader("The path through state space")
    state_map = sm.cached("state_map", lambda: analysis.fit_state_map(model, built))
    sentences = [(trace, tokens)]
    if trace_b is not None:
        sentences.append((trace_b, reading_b.tokens))
    show_chart(
        explore_figures.state_map_figure(model, built, state_map, sentences), key="trajectory"
    )
    how_to_read(text.trajectory_note(state_map.pca.explained_variance_ratio.sum()))
    # the same map, with where the state stands still (same session, same sentence)
    page_link("app_pages/dynamics.py", text.DYNAMICS_LINK, "🧭", task=task_name)

# ----------------------------------------------------------------------------- 5. saliency

with right:
    st.subheader("Which tokens mattered")
    method = st.segmented_control(
        "Method",
        list(text.SALIENCY),
        default="grad × input",
        key="saliency",
        bind="query-params",
    )
    method = text.SALIENCY.get(method, "grad_x_input")
    scores = probes.saliency(model, reading.seq, method=method)
    show_chart(
        charts_explore.saliency_bars(scores, tokens, signed=method != "grad_norm"),
        key="saliency_chart",
    )
    how_to_read(text.SALIENCY_NOTE)

# ----------------------------------------------------------------------------- 6. compare

if trace_b is not None:
    st.subheader("Two sentences side by side")
    both = explore_figures.comparison(cfg, order_key, (trace, tokens), (trace_b, reading_b.tokens))
    for col, fig, key in zip(st.columns(2), both.heatmaps, ("a", "b"), strict=True):
        show_chart(fig, key=f"compare_{key}", container=col)
    show_chart(both.difference, key="compare_diff")
    how_to_read(text.compare_note(both.gaps))
elif built.encoder is not None:
    st.caption(compare_tip(built))

# ----------------------------------------------------------------------------- 7. steer

steer_section(built, sm, reading)  # classifiers and language models: hold a unit, see the change
share.refresh()  # last: every widget above has put its value in the URL
