"""Explore's "See the vocabulary": the unknown words of the sentence with the nearest known
words by spelling (a click puts one in the sentence), and an expander listing the words the
model knows with their training counts, searchable. The page calls :func:`vocabulary_panel`
once, under the token chips; the words and HTML are in :mod:`ui.views.vocabulary`.

The list is drawn only while its expander is open (opening it reruns the page, as the
sidebar's "Share this view" does), and the search reruns only the list (a fragment), not the
page's charts.
"""

from __future__ import annotations

import streamlit as st

from rnn_core.tasks import Task
from ui.glue import exercise
from ui.glue.models import SessionModel
from ui.glue.state import VOCAB_FIX, VOCAB_OPEN, VOCAB_SEARCH, forget, seed, widget_value
from ui.views.inputs import Reading
from ui.views.vocabulary import (
    Vocabulary,
    caption_html,
    fixes,
    replace_word,
    search_caption,
    table_html,
    unknown_html,
)


def vocabulary_panel(
    task: Task, sm: SessionModel, reading: Reading, reading_b: Reading | None = None
) -> None:
    """The unknown tokens of both sentences with suggestions, then the vocabulary expander.
    Nothing for a task that reads numbers."""
    if task.encoder is None:
        return
    vocab: Vocabulary = sm.cached("vocabulary", lambda: Vocabulary.of(task))
    unknown = [
        token
        for r in (reading, reading_b)
        if r is not None
        for token, unk in zip(r.tokens, r.unknown, strict=True)
        if unk
    ]
    if unknown:
        st.markdown(unknown_html(vocab, unknown), unsafe_allow_html=True)
        offered = fixes(vocab, unknown)
        if offered and not exercise.locked("sentence"):
            st.pills(
                "Try it with a known word",
                range(len(offered)),
                format_func=lambda i: f"{offered[i][0]} → {offered[i][1]}",
                key=VOCAB_FIX,
                on_change=_use_known_word,
                args=(offered,),
                help="Puts the known word in place of the unknown one, in the sentence above.",
            )
    box = st.expander(
        f"See the vocabulary: the {vocab.noun} this model knows, and how often it read each",
        key=VOCAB_OPEN,
        on_change="rerun",
    )
    if box.open:
        with box:
            _vocabulary_list(vocab)


def _use_known_word(offered: list[tuple[str, str]]) -> None:
    """The pill's callback: the chosen known word replaces the unknown one in both
    sentences, then the pill is cleared (its words are gone from the sentence)."""
    chosen = widget_value(VOCAB_FIX)
    if chosen is None or not 0 <= chosen < len(offered):
        return
    word, known = offered[chosen]
    for key in ("sentence", "sentence_b"):
        new = replace_word(widget_value(key) or "", word, known)
        if new is not None:
            seed(key, new, overwrite=True)
    forget(VOCAB_FIX)


@st.fragment
def _vocabulary_list(vocab: Vocabulary) -> None:
    query = st.text_input(
        "Search the vocabulary",
        key=VOCAB_SEARCH,
        placeholder="e.g. lov",
        help=f"Shows the known {vocab.noun} that contain what you type.",
    )
    matches = vocab.search(query)
    st.markdown(caption_html(search_caption(vocab, matches)), unsafe_allow_html=True)
    if matches.rows:
        st.markdown(table_html(vocab, matches), unsafe_allow_html=True)
