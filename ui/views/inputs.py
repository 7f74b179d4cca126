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


# ----------------------------------------------------------------------------- hints


@dataclass(frozen=True)
class Hints:
    """What the Explore page suggests for a task: never sentiment words on a parity task."""

    compare: tuple[str, str] | None  # two inputs worth comparing (both in the vocabulary)
    jump: str  # the prediction view: what to look for where a line jumps
    unit: str  # the neuron view: what kind of unit to look for


GENERIC_HINTS = Hints(
    None,
    "that token changed its mind",
    "a unit that reacts to one kind of token, or one that keeps its value over many steps",
)
_SENTIMENT = (
    "that token changed its mind — “not” flipping “bad” is the classic",
    "a unit that flips at a negation, or one that follows the sentiment words",
)
HINTS = {  # task name -> Hints; tasks not listed (a CSV upload) get GENERIC_HINTS
    "sentiment": Hints(("this is good", "this is not good"), *_SENTIMENT),
    "sentiment-tiny": Hints(("the food is good", "the food is not good"), *_SENTIMENT),
    "parity": Hints(
        ("1101001", "1101000"),
        "that bit changed the answer — every 1 should flip it, every 0 leave it",
        "a unit that flips at every 1: the running parity itself",
    ),
    "chars": Hints(
        ("O Romeo, Romeo!", "O Juliet, Juliet!"),
        "that character changed its guess",
        "a unit that fires on spaces, or one that tracks the position inside a word",
    ),
    "words": Hints(
        ("O Romeo, Romeo! wherefore art thou", "O Romeo, Romeo! where art thou"),
        "that word changed its guess",
        "a unit that reacts to punctuation, or one that keeps its value through a line",
    ),
    "copy": Hints(
        ("chebg----------:-----", "chebd----------:-----"),
        "that symbol changed its answer",
        "a unit that keeps its value through the blanks: a memory of one symbol",
    ),
}


def hints(task: Task) -> Hints:
    return HINTS.get(task.name, GENERIC_HINTS)


def compare_placeholder(task: Task) -> str:
    """The placeholder of the second-sentence box."""
    pair = hints(task).compare
    if pair is None:
        return "e.g. the first one with one token changed"
    return f"e.g. {pair[1]}"


def compare_tip(task: Task) -> str:
    """The tip under the page when there is no second sentence."""
    pair = hints(task).compare
    example = " — for instance the first one with one token changed."
    if pair is not None:
        example = f" — “{pair[0]}” against “{pair[1]}”."
    return "Tip: type a second input in **Compare with** to see both side by side" + example
