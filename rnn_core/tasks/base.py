"""What every task provides, and the one text rule every task and the app share.

A task is what the app trains on and what the Explore page encodes a typed sentence with:
train/test splits (a :class:`~rnn_core.data.Dataset`), an :class:`Encoder` for token tasks,
the output kind, class names, a paragraph for the UI and a default ``TrainConfig`` that
reaches the task's stated target.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

from rnn_core.data import Dataset
from rnn_core.train import TrainConfig, Trainer

if TYPE_CHECKING:
    from rnn_core.baseline import BaselineScore

PAD, UNK = "<pad>", "<unk>"
PAD_ID, UNK_ID = 0, 1
OUTPUT_KINDS = ("class_per_sequence", "class_per_step", "value_per_sequence", "value_per_step")

# A word: letters/digits, optionally joined by apostrophes inside (don't, o'clock, rock'n'roll).
# Anything else that is not a space is a token of its own (punctuation, emoji, symbols).
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*|\S", re.UNICODE)


def tokenize(text: str) -> list[str]:
    """The one text rule: NFC-normalise, lowercase, split punctuation from words, keep
    apostrophes inside contractions ("don't" is one token; curly ’ becomes '), and treat any
    other non-space character — punctuation, an emoji, a symbol — as a token of its own.
    Whitespace of any kind separates tokens. A grapheme cluster is never split
    (:func:`graphemes`): a skin-toned or ZWJ emoji, a flag, a letter with a combining accent
    that has no precomposed form is one token. Never raises for any ``str``.

    >>> tokenize("This movie is NOT bad, isn't it?! 🎬 👍🏽")
    ['this', 'movie', 'is', 'not', 'bad', ',', "isn't", 'it', '?', '!', '🎬', '👍🏽']
    """
    text = unicodedata.normalize("NFC", text).lower().replace("’", "'")
    starts = _cluster_starts(text)
    tokens: list[str] = []
    end = -1
    for m in _WORD.finditer(text):
        if tokens and m.start() == end and m.start() not in starts:
            tokens[-1] += m.group()  # the match begins inside the previous one's cluster
        else:
            tokens.append(m.group())
        end = m.end()
    return tokens


def char_tokenize(text: str) -> list[str]:
    """Character-level rule: NFC-normalised grapheme clusters (:func:`graphemes`), case
    kept, whitespace runs kept as is."""
    return graphemes(unicodedata.normalize("NFC", text))


# Grapheme clusters, after Unicode's extended grapheme cluster rules (UAX #29) as far as the
# standard library's character data reaches: marks and the characters that extend an emoji
# join the character before them, a zero-width joiner joins the next one, CR LF is one, and
# regional indicators pair up into flags. (Prepend characters and Hangul jamo sequences,
# which NFC composes, are not treated.)
_ZWJ = 0x200D


def _extends(ch: str) -> bool:
    """Whether ``ch`` continues the cluster before it (UAX #29 GB9, GB9a)."""
    cp = ord(ch)
    return (
        unicodedata.category(ch) in ("Mn", "Me", "Mc")  # combining and spacing marks
        or cp == _ZWJ
        or 0xFE00 <= cp <= 0xFE0F  # variation selectors (emoji / text presentation)
        or 0x1F3FB <= cp <= 0x1F3FF  # emoji skin-tone modifiers
        or 0xE0020 <= cp <= 0xE007F  # tags (subdivision flags)
        or 0xE0100 <= cp <= 0xE01EF  # variation selectors supplement
    )


def _is_regional(ch: str) -> bool:
    return 0x1F1E6 <= ord(ch) <= 0x1F1FF


def _cluster_starts(text: str) -> set[int]:
    """The indices of ``text`` at which a grapheme cluster begins."""
    starts: set[int] = set()
    regional = 0  # regional indicators in a row so far
    for i, ch in enumerate(text):
        prev = text[i - 1] if i else ""
        joins = bool(prev) and (
            _extends(ch)
            or (ord(prev) == _ZWJ and not ch.isspace() and not _is_regional(ch))  # GB11
            or (prev == "\r" and ch == "\n")
            or (_is_regional(ch) and regional % 2 == 1)  # the second half of a flag
        )
        regional = regional + 1 if _is_regional(ch) else 0
        if not joins:
            starts.add(i)
    return starts


def graphemes(text: str) -> list[str]:
    """``text`` cut into grapheme clusters: what a reader sees as one character.

    >>> graphemes("a👍🏽🇫🇷q\u0303")
    ['a', '👍🏽', '🇫🇷', 'q̃']
    """
    if not text:
        return []
    starts = sorted(_cluster_starts(text))  # starts[0] == 0
    return [text[a:b] for a, b in zip(starts, [*starts[1:], len(text)], strict=True)]


@dataclass(frozen=True)
class Encoder:
    """Tokens <-> ids. ``vocab[0]`` is ``<pad>`` and ``vocab[1]`` is ``<unk>``."""

    vocab: tuple[str, ...]
    level: str = "word"  # "word" (tokenize) or "char" (char_tokenize)

    def __post_init__(self):
        if self.vocab[:2] != (PAD, UNK):
            raise ValueError("an encoder's vocabulary starts with <pad>, <unk>")
        if len(set(self.vocab)) != len(self.vocab):
            raise ValueError("an encoder's vocabulary has duplicates")
        object.__setattr__(self, "_index", {t: i for i, t in enumerate(self.vocab)})

    @classmethod
    def build(
        cls,
        texts: Iterable[str],
        level: str = "word",
        min_count: int = 1,
        max_size: int | None = None,
    ) -> Encoder:
        """The vocabulary of ``texts``: tokens seen at least ``min_count`` times, most frequent
        first (ties alphabetical), capped at ``max_size`` entries including <pad> and <unk>."""
        split = tokenize if level == "word" else char_tokenize
        counts = Counter(t for text in texts for t in split(text))
        ranked = sorted(
            (t for t, c in counts.items() if c >= min_count), key=lambda t: (-counts[t], t)
        )
        if max_size is not None:
            ranked = ranked[: max(0, max_size - 2)]
        return cls((PAD, UNK, *ranked), level)

    def __len__(self) -> int:
        return len(self.vocab)

    def tokens(self, text: str) -> list[str]:
        return tokenize(text) if self.level == "word" else char_tokenize(text)

    def encode(self, text_or_tokens: str | Sequence[str]) -> np.ndarray:
        """(T,) int64 ids; unknown tokens become ``UNK_ID``."""
        toks = self.tokens(text_or_tokens) if isinstance(text_or_tokens, str) else text_or_tokens
        index = self._index  # type: ignore[attr-defined]
        return np.array([index.get(t, UNK_ID) for t in toks], dtype=np.int64)

    def decode(self, ids: Iterable[int]) -> list[str]:
        return [self.vocab[int(i)] for i in ids]

    def unknown(self, text_or_tokens: str | Sequence[str]) -> list[str]:
        """The tokens this encoder does not know (in order, repeats kept), for the UI to flag."""
        toks = self.tokens(text_or_tokens) if isinstance(text_or_tokens, str) else text_or_tokens
        return [t for t in toks if t not in self._index]  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Goal:
    """A machine-checkable target: ``metric`` (a Trainer evaluation key such as "test_acc" or
    "test_loss") reaches ``threshold`` within ``seconds`` of training (None: no time limit)."""

    metric: str
    threshold: float
    seconds: float | None = None

    def met(self, value: float) -> bool:
        """Accuracies must reach the threshold from below, losses from above."""
        return value >= self.threshold if self.metric.endswith("acc") else value <= self.threshold


@dataclass(frozen=True)
class Task:
    """A built-in or imported task, ready to train on."""

    name: str  # registry key, e.g. "sentiment"
    title: str  # for the UI, e.g. "Compositional sentiment"
    description: str  # one paragraph for the UI: what the network must learn and why it's hard
    data: Dataset
    output_kind: str  # one of OUTPUT_KINDS
    default_config: TrainConfig  # reaches ``target`` on this machine
    target: str  # the stated target in words, e.g. "≥ 97% test accuracy in ≤ 20 s of training"
    goal: Goal  # the same target, checkable: benchmarks/tasks.py measures time-to-goal
    encoder: Encoder | None = None  # None for dense (numeric) inputs
    class_names: tuple[str, ...] = ()  # classifiers: one name per class id
    example: str | None = None  # a good default input for the Explore page
    test_split: str = "the test split"  # what the test split is, in words ("… scores 76% on it")

    def __post_init__(self):
        if self.output_kind not in OUTPUT_KINDS:
            raise ValueError(f"output_kind must be one of {OUTPUT_KINDS}; got {self.output_kind!r}")
        classifier = self.output_kind.startswith("class")
        if classifier and len(self.class_names) != self.data.output_size:
            raise ValueError("a classifier task names every class")
        if (self.encoder is None) != self.data.dense:
            raise ValueError("token tasks have an encoder, dense tasks none")

    @cached_property
    def baseline(self) -> BaselineScore | None:
        """A bag of words fitted on this task's training split and scored on its test split
        (:func:`rnn_core.baseline.task_baseline`): the score a model that ignores word order
        reaches, for every token classifier; None for other tasks. Fitted on first use
        (≤ 2 s for 30 000 texts), then kept with the task."""
        from rnn_core.baseline import task_baseline  # the baseline module reads Task itself

        return task_baseline(self)


def train_to_goal(task: Task, config: TrainConfig | None = None, callback=None):
    """Train ``config`` (default: the task's ``default_config``) on the task until the first
    evaluation that meets ``task.goal`` or the step budget runs out, whichever comes first.

    Deterministic: it stops at a step count, not a time, so the same config gives the same
    model. ``callback(trainer)``, if given, runs after every evaluation slice (for a progress
    bar). Returns the :class:`~rnn_core.train.Trainer`; ``trainer.history[-1]`` holds the
    last evaluation's train/test scores.
    """
    config = task.default_config if config is None else config
    trainer = Trainer(config, task.data)
    while trainer.status == "ok":
        metrics = trainer.step(config.eval_every)
        if callback is not None:
            callback(trainer)
        scores = [m[task.goal.metric] for m in metrics if task.goal.metric in m]
        if scores and task.goal.met(scores[-1]):
            break
    return trainer
