"""Samples while training, on the Train page (language-model tasks): the model's target
metric as the headline (:func:`headline`), and what it writes at each snapshot, listed up to
the snapshot the replay slider shows (:func:`samples_list`). The words come from
``ui.views.train_samples``; the samples from the run's snapshots (``ui.services.samples``)."""

from __future__ import annotations

import streamlit as st

from rnn_core.tasks import Task
from ui.glue.display import html_view
from ui.services.run import RunView, Snapshot
from ui.services.samples import SAMPLE_SEED, SAMPLE_TEMPERATURE
from ui.views.train_samples import lm_headline, sample_rows, samples_html


def headline(view: RunView, built: Task) -> None:
    """The latest test loss in nats per token and its perplexity, against the target."""
    st.markdown(lm_headline(view.evals, built))


def samples_list(view: RunView, built: Task, prime: str, snap: Snapshot) -> None:
    """What the model wrote after the probe at the first snapshots up to ``snap`` (the one
    the slider shows, marked)."""
    rows = sample_rows(view.snapshots, snap.step)
    st.markdown(
        f"**What it writes** after the probe at each snapshot (temperature "
        f"{SAMPLE_TEMPERATURE:g}, seed {SAMPLE_SEED}: only the model changes)"
    )
    if not rows:
        st.caption("No sample yet.")
        return
    html_view(samples_html(rows, prime, snap.step))
