"""What the user typed (or picked) -> one sequence for the model, with everything the page
must say about it: unknown words, a cut, an empty input. Pure: no streamlit here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnn_core.tasks import UNK_ID, Task

MAX_TOKENS = 200  # longer inputs are cut (with a visible notice): heatmaps stay readable
MAX_CHARS = 20_000  # only this much text is even tokenised: a pasted book stays fast


@dataclass(frozen=True)
class Reading:
    """One input sequence ready for ``model.trace``."""

    tokens: list[str]  # what each step read, for labels (token tasks: the tokens)
    seq: np.ndarray  # (T,) token ids, or (T, D) features for dense tasks
    unknown: list[bool]  # per step: the token is not in the vocabulary (read as <unk>)
    cut: int  # tokens dropped beyond MAX_TOKENS (0: none)
    truth: float | np.ndarray | None = None  # dense tasks: the target (scalar or (T,))
    unread: bool = False  # the text was longer than MAX_CHARS: its rest was not even read

    @property
    def empty(self) -> bool:
        return len(self.tokens) == 0

    @property
    def all_unknown(self) -> bool:
        return bool(self.unknown) and all(self.unknown)


def read_text(task: Task, text: str | None) -> Reading:
    """Tokenise ``text`` with the task's encoder; cut to :data:`MAX_TOKENS`."""
    encoder = task.encoder
    if encoder is None:
        raise ValueError(f"task {task.name!r} reads numbers, not text")
    text = text or ""
    unread = len(text) > MAX_CHARS  # then ``cut`` counts only the tokens that were read
    tokens = encoder.tokens(text[:MAX_CHARS])
    cut = max(0, len(tokens) - MAX_TOKENS)
    tokens = tokens[:MAX_TOKENS]
    ids = encoder.encode(tokens)
    return Reading(tokens, ids, [bool(i == UNK_ID) for i in ids], cut, unread=unread)


def read_example(task: Task, index: int) -> Reading:
    """Test sequence ``index`` of a dense (numeric) task, labelled with its values."""
    test = task.data.test
    index = int(np.clip(index, 0, len(test) - 1))
    real = test.mask[index]
    seq = np.asarray(test.inputs[index][real])
    target = np.asarray(test.targets[index])
    if task.output_kind == "value_per_step":
        truth = target[real].reshape(int(real.sum()), -1)[:, 0]
    else:
        truth = float(target.reshape(-1)[0])
    return Reading(feature_labels(seq), seq, [False] * len(seq), 0, truth)


def feature_labels(seq: np.ndarray) -> list[str]:
    """A short label per step of a dense sequence: the first feature's value, with a "◆" when
    a second 0/1 feature marks the step (the adding problem's marker)."""
    labels = [f"{v:.2f}" for v in seq[:, 0]]
    if seq.shape[1] >= 2 and np.isin(seq[:, 1], (0.0, 1.0)).all():
        labels = [lab + ("◆" if m == 1.0 else "") for lab, m in zip(labels, seq[:, 1], strict=True)]
    return labels
