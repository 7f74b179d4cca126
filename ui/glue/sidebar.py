"""The sidebar every page shares: the current model in one glance, and where it came from."""

from __future__ import annotations

import math

import streamlit as st

from rnn_core.tasks import Task
from ui.glue.models import SessionModel
from ui.glue.share import ShareBox, share_box
from ui.glue.state import session_model
from ui.services.samples import is_language_model

CELL_NAMES = {"rnn": "vanilla RNN", "gru": "GRU", "lstm": "LSTM"}
ORIGIN_NOTES = {
    "default": "the task's default model, the same for every visitor (chars and words ship "
    "trained; the others train when the server first needs them)",
    "trained here": "trained by you on the Train page",
    "uploaded": "loaded from a checkpoint you uploaded",
}


def model_summary(sm: SessionModel, task: Task, follow: float | None = None) -> ShareBox:
    """Task, cell, size, parameters, scores, steps and origin, in the sidebar; then the
    share box. With ``follow`` (seconds), the summary redraws itself that often from the
    session's model, so it keeps up with a run training on the page. Returns the share box,
    which the page refreshes as its last step."""
    if follow is None:
        with st.sidebar:
            _summary(sm, task)
    else:

        @st.fragment(run_every=follow)
        def live_summary() -> None:
            _summary(session_model(task.name), task)

        with st.sidebar:
            live_summary()
    return share_box()


def _summary(sm: SessionModel, task: Task) -> None:
    cfg = sm.model.config
    cell = CELL_NAMES[cfg.cell] + (f" ({cfg.activation})" if cfg.cell == "rnn" else "")
    layers = "1 layer" if cfg.num_layers == 1 else f"{cfg.num_layers} layers"
    st.subheader("Current model")
    st.markdown(
        f"**{task.title}**  \n{cell} · {cfg.hidden_size} units · {layers}  \n"
        f"{sm.model.n_params():,} parameters · {sm.steps:,} training steps"
    )
    scores = sm.scores
    left, right = st.columns(2)
    if is_language_model(task):
        # a language model: its target is stated in nats per token, not in accuracy
        test = scores.get("test_loss")
        left.metric(  # "(nats/token)" in the label was cut at the sidebar's width
            "Test loss",
            _num(test),
            help="Cross-entropy on the test text, in nats per token: lower is better.",
        )
        right.metric("Perplexity", _num(math.exp(test) if _finite(test) else None, 2))
    elif task.output_kind.startswith("class"):
        left.metric("Train accuracy", _pct(scores.get("train_acc")))
        right.metric("Test accuracy", _pct(scores.get("test_acc")))
    else:
        left.metric("Train MSE", _num(scores.get("train_loss")))
        right.metric("Test MSE", _num(scores.get("test_loss")))
    st.caption(f"Origin: **{sm.origin}** — {ORIGIN_NOTES.get(sm.origin, '')}.")
    st.caption(f"Target for this task: {task.target}.")


def _finite(x: float | None) -> bool:
    return x is not None and math.isfinite(x)


def _pct(x: float | None) -> str:
    return f"{100 * x:.1f}%" if _finite(x) else "–"


def _num(x: float | None, digits: int = 4) -> str:
    return f"{x:.{digits}f}" if _finite(x) else "–"
