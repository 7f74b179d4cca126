"""The sidebar every page shares: the current model in one glance, and where it came from."""

from __future__ import annotations

import math

import streamlit as st

from rnn_core.tasks import Task
from ui.models import SessionModel
from ui.share import share_box

CELL_NAMES = {"rnn": "vanilla RNN", "gru": "GRU", "lstm": "LSTM"}
ORIGIN_NOTES = {
    "default": "the task's default model, trained when the server first needed it",
    "trained here": "trained by you on the Train page",
    "uploaded": "loaded from a checkpoint you uploaded",
}


def model_summary(sm: SessionModel, task: Task) -> None:
    """Task, cell, size, parameters, scores, steps and origin, in the sidebar."""
    cfg = sm.model.config
    cell = CELL_NAMES[cfg.cell] + (f" ({cfg.activation})" if cfg.cell == "rnn" else "")
    layers = "1 layer" if cfg.num_layers == 1 else f"{cfg.num_layers} layers"
    with st.sidebar:
        st.subheader("Current model")
        st.markdown(
            f"**{task.title}**  \n{cell} · {cfg.hidden_size} units · {layers}  \n"
            f"{sm.model.n_params():,} parameters · {sm.steps:,} training steps"
        )
        scores = sm.scores
        left, right = st.columns(2)
        if task.output_kind.startswith("class"):
            left.metric("Train accuracy", _pct(scores.get("train_acc")))
            right.metric("Test accuracy", _pct(scores.get("test_acc")))
        else:
            left.metric("Train MSE", _num(scores.get("train_loss")))
            right.metric("Test MSE", _num(scores.get("test_loss")))
        st.caption(f"Origin: **{sm.origin}** — {ORIGIN_NOTES.get(sm.origin, '')}.")
        st.caption(f"Target for this task: {task.target}.")
    share_box()


def _pct(x: float | None) -> str:
    return "–" if x is None or not math.isfinite(x) else f"{100 * x:.1f}%"


def _num(x: float | None) -> str:
    return "–" if x is None or not math.isfinite(x) else f"{x:.4f}"
