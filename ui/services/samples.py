"""Samples while training: what a language model writes at each probe snapshot.

Pure (no streamlit). A :class:`~ui.services.run.TrainingRun` of a language-model task (chars,
words) asks :func:`snapshot_sample` for a short sample each time it snapshots the probe, and
keeps it with the snapshot, so the Train page can list them (gibberish, then spaces and short
words, then words) and replay them with the snapshot slider.

Every sample of a run continues the same prime — the probe sentence's known tokens — at the
same temperature from the same seed, so two samples differ only because the model did:

    prime  = probe_prime(task, probe)      # "O Romeo, Romeo! wherefore art thou"
    sample = snapshot_sample(task, model, prime)   # " he grown'd feremans thou Romeo…"

Cost: :data:`SAMPLE_TOKENS` steps of one sequence through the model (measured on the chars
default, a 128-unit GRU: about 3–6 ms for 60 characters, next to about 190 ms for the ten
training steps between two snapshots).
"""

from __future__ import annotations

import numpy as np

from rnn_core.model import RNNModel
from rnn_core.tasks import Task
from rnn_core.tasks.base import UNK_ID
from rnn_core.tasks.text import detokenize, sample

SAMPLE_TOKENS = {"char": 60, "word": 15}  # per sample: about 60 characters either way
SAMPLE_TEMPERATURE = 0.7  # below 1: words show up early; above 0: the sample is not a loop
SAMPLE_SEED = 0  # the same draws at every snapshot: only the model changes


def is_language_model(task: Task) -> bool:
    """Whether ``task`` predicts the next token of a text from that text (chars, words): a
    token-input, per-step classifier over its own vocabulary, with a goal stated as a loss."""
    data, encoder = task.data, task.encoder
    return (
        encoder is not None
        and task.output_kind == "class_per_step"
        and data.loss == "xent"
        and data.input_size == data.output_size == len(encoder)
        and task.goal.metric.endswith("loss")
    )


def probe_prime(task: Task, probe: np.ndarray) -> str:
    """The probe's (T,) ids back to text, without <pad> and <unk> (the prime :func:`sample`
    reads encodes to the same known tokens). "" when no token is known: the sample then
    starts from the text's separator."""
    ids = np.asarray(probe).reshape(-1)
    if task.encoder is None or ids.dtype.kind not in "iu":
        return ""
    known = [int(i) for i in ids if UNK_ID < i < len(task.encoder)]
    return detokenize(task.encoder.decode(known), task.encoder.level)


def snapshot_sample(task: Task, model: RNNModel, prime: str) -> str | None:
    """A short sample of ``model`` after ``prime`` (:data:`SAMPLE_TOKENS` tokens at
    :data:`SAMPLE_TEMPERATURE` from seed :data:`SAMPLE_SEED`), or None when it cannot write:
    not a language model, a model of another vocabulary, or probabilities that are not numbers
    (a model on its way to a divergence)."""
    if not is_language_model(task):
        return None
    n = SAMPLE_TOKENS[task.encoder.level]
    rng = np.random.default_rng(SAMPLE_SEED)
    try:
        with np.errstate(all="ignore"):
            return sample(model, task.encoder, prime, n, SAMPLE_TEMPERATURE, rng)
    except ValueError:  # a vocabulary mismatch, or NaN probabilities
        return None
