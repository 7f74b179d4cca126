"""Explore's "Write" section for language models (chars, words): a prime, a length, a
temperature and a seed — URL-bound rows of the settings table (``WRITE_SETTINGS``) — and a
Generate button; then the written text coloured by the probability the model gave each token
(top guesses on hover) and the hidden-state heatmap of prime + written text.

One call from ``app_pages/explore.py``: :func:`write_section`. What Generate asked for is
kept per task in ``state.WRITE``; the text itself is remade from it whenever the model
changes (same seed, same text for the same weights). The first visit, or a link that carries
Write values, shows its text straight away, without a click.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import streamlit as st

from rnn_core.model import Trace
from rnn_core.tasks import Task
from rnn_core.tasks.text import Generation, generate
from ui.glue import state
from ui.glue.charts import show_chart
from ui.glue.controls import setting_widget
from ui.glue.display import html_view
from ui.glue.layout import how_to_read
from ui.glue.models import SessionModel
from ui.services.settings import (
    WRITE_BY_KEY,
    WRITE_DEFAULTS,
    WRITE_SETTINGS,
    WriteRequest,
    write_request,
)
from ui.views import explore_text, write_view

TOP_K = 5  # alternatives shown on hover
INTRO = (
    "Give the model a beginning (the prime) and let it continue, one token at a time: each "
    "token is drawn from what the model predicts after everything before it, then fed back."
)
HEATMAP_NOTE = (
    "The same heatmap as above, for the prime (left of the dashed line) and the text the model "
    "wrote. While it writes, the state is all it remembers of the past: look for units that "
    "switch at spaces, line breaks or the start of a speech."
)


@dataclass(frozen=True)
class Written:
    """One generation and what the page draws of it."""

    gen: Generation
    trace: Trace  # of prime + written text
    seconds: float  # server time of generate() alone


def write_section(built: Task, sm: SessionModel, shown: str, order_key: str) -> None:
    """The whole section, for a language-model task (nothing for other tasks). ``shown`` and
    ``order_key`` are the page's heatmap choices (Show, Order units by)."""
    if not write_view.writes(built):
        return
    st.subheader("Write")
    st.caption(INTRO)
    bad = _take_link_values()
    if bad:
        st.info(explore_text.unusable_links(bad))
    values = {}
    for col, s in zip(st.columns([5, 2, 4, 2]), WRITE_SETTINGS, strict=True):
        values[s.key] = setting_widget(s, None, col)
    now = write_request(values)
    go, again, _ = st.columns([2, 2, 5])
    go.button(
        "Generate",
        key="write_generate",
        type="primary",
        on_click=_ask,
        args=(built.name, False),
        width="stretch",
    )
    again.button(
        "Another (next seed)",
        key="write_again",
        on_click=_ask,
        args=(built.name, True),
        width="stretch",
        help="Add 1 to the seed and generate: another text from the same prime.",
    )
    slot = state.WRITE.get() or {"asked": {}, "link_read": False, "shown": None}
    if not slot["link_read"]:  # a link with Write values shows their text straight away
        slot["link_read"] = True
        if any(key in st.query_params for key in WRITE_BY_KEY):
            slot["asked"][built.name] = now
    state.WRITE.set(slot)
    # the first visit writes from the defaults at once: the model writing is the point
    asked = slot["asked"].setdefault(built.name, now)
    try:
        written = _written(slot, built, sm, asked)
    except ValueError as exc:  # e.g. an uploaded model whose vocabulary is not the task's
        st.warning(f"This model cannot write with this task's vocabulary: {exc}")
        return
    if asked != now:
        st.caption("The settings above have changed since: press **Generate** to write again.")
    _show(built, sm, written, shown, order_key)


def _take_link_values() -> list[str]:
    """Give each Write widget its value: the one it had on this page before, else the link's,
    else the default. A link's unusable value is replaced by the default (the widget takes it
    out of the link: ``url_bind``); the keys of those are returned, for a note."""
    bad = []
    for s in WRITE_SETTINGS:
        raw = st.query_params.get(s.key)
        if raw is not None and not s.url_ok(raw, None):  # the widget leaves it (url_bind)
            bad.append(s.key)
            state.seed(s.key, WRITE_DEFAULTS[s.key], overwrite=True)
        state.carry(s.key, WRITE_DEFAULTS[s.key])
    return bad


def _ask(task_name: str, next_seed: bool) -> None:
    """Generate (or "Another"): remember what the widgets ask for now, for this task."""
    if next_seed:
        seed = state.widget_value("write_seed")
        seed = 0 if not isinstance(seed, int) else (seed + 1) % 2**31
        state.seed("write_seed", seed, overwrite=True)
    values = {s.key: state.widget_value(s.key) for s in WRITE_SETTINGS}
    slot = state.WRITE.get() or {"asked": {}, "link_read": True, "shown": None}
    slot["asked"][task_name] = write_request(values)
    state.WRITE.set(slot)


def _written(slot: dict, built: Task, sm: SessionModel, asked: WriteRequest) -> Written:
    """The text for ``asked`` from the session's model as it is now: kept while neither
    changes, made again (deterministically) when one does."""
    key = (built.name, id(sm.model), sm.version, asked)
    shown = slot.get("shown")
    if shown is not None and shown[0] == key:
        return shown[1]
    rng = np.random.default_rng(asked.seed)
    start = time.perf_counter()
    gen = generate(sm.model, built.encoder, asked.prime, asked.n, asked.temperature, rng, TOP_K)
    seconds = time.perf_counter() - start
    written = Written(gen, sm.model.trace(gen.all_ids), seconds)
    slot["shown"] = (key, written)
    return written


def _show(built: Task, sm: SessionModel, written: Written, shown: str, order_key: str) -> None:
    enc, gen = built.encoder, written.gen
    level = enc.level
    prime = enc.decode(gen.prime_ids)
    tokens = enc.decode(gen.ids)
    top = [enc.decode(row) for row in gen.top_ids]
    html_view(write_view.written_html(prime, tokens, gen.probs, top, gen.top_probs, level))
    html_view(write_view.legend_html())
    unit = "character" if level == "char" else "token"
    st.caption(write_view.written_words(gen, unit, written.seconds))
    figs = write_view.write_heatmaps(
        sm.model.config, written.trace, shown, order_key, prime + tokens, len(prime)
    )
    for layer, fig in enumerate(figs):
        show_chart(fig, key=f"write_heatmap_{layer}")
    how_to_read(HEATMAP_NOTE)
