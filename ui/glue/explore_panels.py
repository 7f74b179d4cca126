"""Streamlit pieces of the Explore page that are not its flow: the notes under the input and
the checks of a link's bound choices. The page (app_pages/explore.py) calls them in order;
the words are in :mod:`ui.views.explore_text`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import streamlit as st

from rnn_core.tasks import Task
from ui.glue.state import forget, widget_value
from ui.views import explore_text as text
from ui.views import html
from ui.views.inputs import Reading


def reading_notes(task: Task, reading: Reading, reading_b: Reading | None) -> None:
    """What the network read: the token chips (unknown tokens dashed) with a word on unknown
    tokens, then a warning for each input that was cut."""
    if task.encoder is not None:
        st.markdown(html.token_chips_html(reading.tokens, reading.unknown), unsafe_allow_html=True)
        n_unknown = sum(reading.unknown)
        if reading.all_unknown:
            st.warning(text.ALL_UNKNOWN)
        elif n_unknown:
            st.caption(text.some_unknown(n_unknown, len(task.encoder)))
    for r, which in ((reading, "The sentence"), (reading_b, "The second sentence")):
        notice = None if r is None else text.cut_notice(which, r.unread, r.cut)
        if notice:
            st.warning(notice)


def note_unusable_links(options: Mapping[str, Sequence[str]]) -> None:
    """Say which of the link's values (URL key -> the values it may take) cannot be used
    here, never echoing them; the bound widgets fall back to their defaults."""
    bad = [
        key
        for key, allowed in options.items()
        if st.query_params.get(key) is not None and st.query_params.get(key) not in allowed
    ]
    if bad:
        st.info(text.unusable_links(bad))


def forget_stale(options: Mapping[str, Sequence]) -> None:
    """Forget each widget's choice (widget key -> its options now) that is no longer an
    option: it was made for another model (another cell, another size)."""
    for key, allowed in options.items():
        if widget_value(key) is not None and widget_value(key) not in allowed:
            forget(key)
