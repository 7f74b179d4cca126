"""The Train page's downloads: the metrics, the model, and everything in one zip.

Drawn by the live fragment, so they follow the run even when a busy server's full rerun is
late. Every file is made once per run version (``ui.services.transfer.run_files``,
``ui.views.bundle.make_bundle``) and handed to its button as bytes: Streamlit 1.67 deletes a
lazily made download (``data=callable``) once two script runs end anywhere on the server,
so on a busy server the browser's fetch of it was "canceled"."""

from __future__ import annotations

import streamlit as st

from rnn_core.tasks import Task
from ui.glue import state
from ui.services.run import TrainingRun
from ui.services.transfer import run_files
from ui.views.bundle import current_bundle, make_bundle
from ui.views.inputs import Reading
from ui.views.train_figures import figures


def prepare_bundle(run: TrainingRun, built: Task, probe: Reading, link: str) -> None:
    """Build the export zip now (a click), for a download button with the bytes themselves:
    every chart of one view of the run, the probe at its newest snapshot."""
    view = run.view()
    charts = figures(view, built, probe, view.snapshots[-1])
    state.TRAIN_BUNDLE.set(make_bundle(run, built, charts, page="train", link=link))


def save_buttons(run: TrainingRun, built: Task, link: str, probe: Reading) -> None:
    """Metrics, model and everything, for the run as it is now on task ``built`` (while it
    trains: a note to pause first); the bundle's charts read ``probe``, its link is ``link``."""
    if run.state == "running":
        st.caption("Pause to save the metrics, the model or everything.")
        return
    files = run_files(run, built, cached=state.TRAIN_SAVES.get())
    state.TRAIN_SAVES.set(files)
    c1, c2, c3 = st.columns(3)
    c1.download_button(
        "Metrics (CSV)",
        data=files.metrics,
        file_name=f"rnn-explorer-{built.name}-metrics.csv",
        mime="text/csv",
        on_click="ignore",
        width="stretch",
    )
    c2.download_button(
        "Model (.npz)",
        data=files.model,
        file_name=f"rnn-explorer-{built.name}-step{run.steps}.npz",
        mime="application/octet-stream",
        on_click="ignore",
        width="stretch",
        help="Weights, optimizer state, settings and vocabulary: load it here to go on.",
    )
    bundle = current_bundle(state.TRAIN_BUNDLE.get(), run)
    if bundle is None:
        state.TRAIN_BUNDLE.pop()  # none yet, or the run moved on: make it again
        c3.button(
            "Prepare all (.zip)",
            on_click=prepare_bundle,
            args=(run, built, probe, link),
            width="stretch",
            help="The model, the metrics, the settings and every chart as a standalone "
            "HTML file that works offline (a few seconds to make).",
        )
    else:
        c3.download_button(
            "Everything (.zip)",
            data=bundle.data,
            file_name=bundle.name,
            mime="application/zip",
            on_click="ignore",
            width="stretch",
        )
