"""Language modelling on a bundled play: predict the next character ("chars") or word ("words").

The text is Shakespeare's *Romeo and Juliet* (public domain; see ``data/README.md``). Both
tasks cut it into the same two CONTIGUOUS regions — the first 90% (by default) for training,
the rest (the end of Act V) for testing — so the test text is never seen in training, not even
as part of a window. Each region is then cut into fixed-length windows whose targets are the
inputs shifted by one token:

    text      T w o _ h o u s e h o l d s
    inputs    T w o _ h o u s e h o        (seq_len tokens)
    targets   w o _ h o u s e h o l        (the same window, one token later)

The yardstick for both is the **unigram entropy** of the training tokens,
``H = −Σ_k p_k ln p_k`` (nats) with ``p_k`` the frequency of token k in the training region:
the test loss of the best model that ignores context altogether. A network that has learnt
anything about spelling, words or grammar gets below it.

:func:`generate` writes text with a trained model, carrying every layer's state from one
token to the next (the prime is read once, then each new token costs one step), and keeps the
probability the model gave each token it wrote and its top alternatives; :func:`sample` is the
text alone.
"""

from __future__ import annotations

import functools
import math
import numbers
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rnn_core import cells as C
from rnn_core.checks import is_int, number_in_range, whole_in_range
from rnn_core.data import Dataset, SequenceData
from rnn_core.losses import softmax
from rnn_core.model import Clamp, RNNModel, clamp_plans
from rnn_core.tasks.base import PAD_ID, UNK_ID, Encoder, Goal, Task
from rnn_core.train import TrainConfig

CORPUS_PATH = Path(__file__).parent / "data" / "romeo_and_juliet.txt"

# What an empty prime stands for: the separator the text is made of (a line break between
# speeches for characters, the end of a sentence for words).
EMPTY_PRIME = {"char": "\n", "word": "."}

# Words: no space before closing punctuation, none after opening brackets, none around hyphens
# (so "by - and - by" comes back as "by-and-by").
_NO_SPACE_BEFORE = frozenset(".,;:!?)]}-")
_NO_SPACE_AFTER = frozenset("([{-")

CHARS_TIME_LIMIT = 60.0  # seconds of training for the chars target
CHARS_RATIO = 0.7  # chars target: test loss ≤ this × the unigram entropy
WORDS_TIME_LIMIT = 60.0  # seconds of training for the words target
WORDS_MARGIN = math.log(2)  # words target: test loss ≤ unigram entropy − ln 2 nats, i.e. a
# test perplexity at most half the unigram model's


@functools.cache
def load_corpus() -> str:
    """The bundled play as one string (about 142 000 characters of plain ASCII)."""
    return CORPUS_PATH.read_text(encoding="utf-8")


def split_text(text: str, test_fraction: float) -> tuple[str, str]:
    """(train, test): two contiguous regions, the test region the last ``test_fraction`` of the
    text, starting at the beginning of a line (so it opens on a speaker's name or a verse)."""
    cut = int(len(text) * (1.0 - test_fraction))
    newline = text.find("\n", cut)
    cut = newline + 1 if newline != -1 else cut
    return text[:cut], text[cut:]


def unigram_entropy(tokens: Sequence) -> float:
    """Entropy in nats of the tokens' frequency distribution: ``−Σ_k p_k ln p_k``.

    The loss per token of a model that always predicts these frequencies, whatever came
    before. ``unigram_entropy("aab") = −(2/3 ln 2/3 + 1/3 ln 1/3) ≈ 0.6365``.
    """
    counts = np.array(list(Counter(tokens).values()), dtype=np.float64)
    if counts.size == 0:
        raise ValueError("no tokens to measure")
    p = counts / counts.sum()
    return float(-(p * np.log(p)).sum())


def make_windows(ids: np.ndarray, seq_len: int, stride: int, offset: int = 0) -> SequenceData:
    """Windows of ``seq_len`` ids starting every ``stride`` ids from ``offset``, each with the
    window one id later as its targets: inputs[i] = ids[s:s+T], targets[i] = ids[s+1:s+T+1].

    ids: (L,) -> inputs, targets, mask: (N, T). Every window is full: no padding.
    """
    starts = np.arange(offset, len(ids) - seq_len, stride)
    if starts.size == 0:
        raise ValueError(f"a text of {len(ids)} tokens is too short for windows of {seq_len}")
    steps = starts[:, None] + np.arange(seq_len)[None, :]
    return SequenceData(ids[steps], ids[steps + 1], np.ones(steps.shape, bool))


def _is_real(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def _check_options(seq_len, stride, test_fraction) -> int:
    seq_len = whole_in_range("seq_len", seq_len, 2, 512)
    stride = seq_len if stride is None else stride
    if not is_int(stride) or not 1 <= stride <= seq_len:
        raise ValueError(f"stride must be a whole number in [1, seq_len={seq_len}]; got {stride!r}")
    number_in_range("test_fraction", test_fraction, 0.05, 0.5)
    return int(stride)


def _language_model_data(
    encoder: Encoder, train_text: str, test_text: str, seq_len: int, stride: int, offset: int
) -> Dataset:
    train_ids, test_ids = encoder.encode(train_text), encoder.encode(test_text)
    V = len(encoder)
    return Dataset(
        train=make_windows(train_ids, seq_len, stride, offset),
        test=make_windows(test_ids, seq_len, seq_len),  # fixed, non-overlapping: comparable
        input_size=V,
        output_size=V,
        output="many_to_many",
        loss="xent",
    )


# ----------------------------------------------------------------------------- characters


def make_chars(
    seed: int = 0, seq_len: int = 64, stride: int | None = None, test_fraction: float = 0.1
) -> Task:
    """Next-character language model on *Romeo and Juliet*.

    Options:
        seq_len: characters per window (2..512, default 64): how far back BPTT reaches.
        stride: characters between the starts of consecutive training windows (1..seq_len,
            default seq_len: non-overlapping). Test windows never overlap.
        test_fraction: the share of the text, taken from its end, held out for testing
            (0.05..0.5, default 0.1).

    The seed picks where the first training window starts (within one stride) and seeds the
    default config. The vocabulary is every character of the training region (case and
    whitespace kept); characters seen only in the test region become <unk>.
    """
    stride = _check_options(seq_len, stride, test_fraction)
    rng = np.random.default_rng(seed)
    train_text, test_text = split_text(load_corpus(), test_fraction)
    encoder = Encoder.build([train_text], level="char")
    offset = int(rng.integers(stride))
    data = _language_model_data(encoder, train_text, test_text, seq_len, stride, offset)
    entropy = unigram_entropy(encoder.tokens(train_text))
    threshold = CHARS_RATIO * entropy
    return Task(
        name="chars",
        title="Next character (Romeo and Juliet)",
        description=(
            "A character-level language model: after every character of a Shakespeare play the "
            "network guesses the next one. Guessing from letter frequencies alone costs "
            f"{entropy:.2f} nats per character; to do better it must learn spelling, then "
            "words, then the play's layout (a speaker's name on its own line, verse starting "
            "with a capital). The state has to carry everything about the past that matters, "
            "one character at a time — and sampling from the trained model shows what it "
            "learnt. Tested on the end of the play, which it never sees in training."
        ),
        data=data,
        output_kind="class_per_step",
        default_config=TrainConfig(
            cell="gru",
            hidden_size=128,
            input_kind="onehot",  # 71 characters: a row gather, cheaper than an embedding
            optimizer="adam",
            lr=0.005,
            batch_size=32,
            clip="norm",
            clip_value=5.0,
            steps=1000,  # the test loss is lowest about here (≈ 1.70); later it memorises
            eval_every=100,
            seed=seed,
        ),
        target=(
            f"test loss ≤ {threshold:.3f} nats/char — {CHARS_RATIO} × the {entropy:.3f}-nat "
            f"unigram entropy of the training characters — within {CHARS_TIME_LIMIT:.0f} s "
            "of training"
        ),
        goal=Goal("test_loss", threshold, CHARS_TIME_LIMIT),
        encoder=encoder,
        class_names=encoder.vocab,
        example="O Romeo, Romeo! wherefore art thou",
    )


# ----------------------------------------------------------------------------- words


def make_words(
    seed: int = 0,
    seq_len: int = 32,
    stride: int | None = None,
    test_fraction: float = 0.1,
    vocab_size: int = 2000,
) -> Task:
    """Next-word language model on *Romeo and Juliet*, words as :func:`tokenize` splits them.

    Options:
        seq_len: tokens per window (2..512, default 32).
        stride: tokens between the starts of consecutive training windows (1..seq_len,
            default seq_len). Test windows never overlap.
        test_fraction: the share of the text, taken from its end, held out (0.05..0.5,
            default 0.1).
        vocab_size: vocabulary cap including <pad> and <unk> (10..20000, default 2000): the
            most frequent training words; rarer ones (and unseen ones) become <unk>.
    """
    stride = _check_options(seq_len, stride, test_fraction)
    whole_in_range("vocab_size", vocab_size, 10, 20000)
    rng = np.random.default_rng(seed)
    train_text, test_text = split_text(load_corpus(), test_fraction)
    encoder = Encoder.build([train_text], level="word", max_size=vocab_size)
    offset = int(rng.integers(stride))
    data = _language_model_data(encoder, train_text, test_text, seq_len, stride, offset)
    entropy = unigram_entropy(encoder.encode(train_text).tolist())  # rare words count as <unk>
    threshold = entropy - WORDS_MARGIN
    return Task(
        name="words",
        title="Next word (Romeo and Juliet)",
        description=(
            "A word-level language model: after every word (or punctuation mark) of a "
            f"Shakespeare play the network guesses the next, from a vocabulary of the "
            f"{len(encoder) - 2} most frequent training words (the rest are <unk>). Word "
            f"frequencies alone cost {entropy:.2f} nats per word. With only about "
            f"{round(len(encoder.tokens(train_text)), -3):,} training tokens, the network must "
            "generalise from little data: it quickly "
            "learns that a speaker's name is followed by a full stop and that 'thou' goes "
            "with 'art'; beyond that it starts to memorise the training text, and the gap "
            "between train and test loss shows it."
        ),
        data=data,
        output_kind="class_per_step",
        default_config=TrainConfig(
            cell="lstm",
            hidden_size=128,
            input_kind="embedding",
            embed_size=64,
            optimizer="adam",
            lr=0.003,
            batch_size=32,
            clip="norm",
            clip_value=5.0,
            steps=500,  # the test loss is lowest about here; later the model memorises
            eval_every=50,
            seed=seed,
        ),
        target=(
            f"test loss ≤ {threshold:.3f} nats/word — ln 2 below the {entropy:.3f}-nat "
            "unigram entropy of the training words, i.e. at most half the unigram model's "
            f"perplexity — within {WORDS_TIME_LIMIT:.0f} s of training"
        ),
        goal=Goal("test_loss", threshold, WORDS_TIME_LIMIT),
        encoder=encoder,
        class_names=encoder.vocab,
        example="O Romeo, Romeo! wherefore art thou",
    )


# ----------------------------------------------------------------------------- sampling


class StepRunner:
    """Runs a trained language model forward a few tokens at a time, carrying every layer's
    state (h, and c for an LSTM) from one call to the next — no prefix is ever re-read.

        runner = StepRunner(model)
        p = runner.feed(ids)       # (O,) next-token probabilities after the last id

    ``feed`` gives the same probabilities as ``model.trace(all ids so far).probs[-1]``; with
    ``clamp`` (a :class:`~rnn_core.model.Clamp` or several, one value each for every step) as
    ``model.trace(all ids so far, clamp=clamp).probs[-1]``: the units stay held while it reads
    and writes.
    """

    def __init__(self, model: RNNModel, clamp: Clamp | Sequence[Clamp] | None = None):
        cfg = model.config
        if cfg.input_kind == "dense" or cfg.loss != "xent" or cfg.output != "many_to_many":
            raise ValueError(
                "sampling needs a token-input, many-to-many classifier (a language model)"
            )
        clamps = [] if clamp is None else [clamp] if isinstance(clamp, Clamp) else list(clamp)
        if any(isinstance(c, Clamp) and c.per_step for c in clamps):
            raise ValueError("a runner holds a unit at one value for every step, not per step")
        clamp_plans(cfg, clamps, 1, model.dtype)  # checked now, not at the first feed
        self.model = model
        self.clamp = clamps or None
        self.state: list = [None] * cfg.num_layers  # per layer: h (1, H), or (h, c) for LSTM

    def feed(self, ids: Sequence[int] | np.ndarray) -> np.ndarray:
        """Read ``ids`` (T ≥ 1 token ids); return the (O,) next-token probabilities."""
        model, cfg = self.model, self.model.config
        ids = np.asarray(ids, dtype=np.int64).reshape(1, -1)  # (1, T)
        if ids.shape[1] == 0:
            raise ValueError("feed needs at least one token")
        if ids.min() < 0 or ids.max() >= cfg.input_size:
            raise ValueError(f"token ids must lie in [0, {cfg.input_size})")
        # one-hot: the cell gathers rows of W_x from the (1, T) ids; embedding: (1, T, E) rows
        x = model.params["embed"][ids] if cfg.input_kind == "embedding" else ids
        plans = clamp_plans(cfg, self.clamp, ids.shape[1], model.dtype)
        for layer in range(cfg.num_layers):
            hs, cache = C.cell_forward(
                cfg.cell,
                x,
                self.state[layer],
                model.layer_params(layer),
                None,
                cfg.activation,
                plans[layer],
            )
            h = hs[:, -1].copy()  # (1, H): the state after the last token
            self.state[layer] = (h, cache.saved["C"][-1].copy()) if cfg.cell == "lstm" else h
            x = hs  # (1, T, H): what the next layer reads
        logits = self.state[-1][0] if cfg.cell == "lstm" else self.state[-1]
        return softmax(logits @ model.params["W_hy"] + model.params["b_y"])[0]


def detokenize(tokens: Sequence[str], level: str) -> str:
    """Tokens back to text: characters are concatenated; words are joined by spaces, with none
    before closing punctuation, none after an opening bracket and none around a hyphen."""
    if level == "char":
        return "".join(tokens)
    out: list[str] = []
    for tok in tokens:
        if out and tok not in _NO_SPACE_BEFORE and out[-1] not in _NO_SPACE_AFTER:
            out.append(" ")
        out.append(tok)
    return "".join(out)


@dataclass(frozen=True)
class Generation:
    """What :func:`generate` wrote, and what the model thought at each step.

    prime_ids: (P,) the ids read first (the separator for an empty prime).
    ids: (n,) the generated ids, never <pad> or <unk>.
    probs: (n,) the probability the MODEL gave each generated id: its softmax output at that
        step, before the temperature and before <pad>/<unk> are removed — the same number as
        ``model.trace(all_ids).probs[P - 1 + i, ids[i]]``.
    top_ids, top_probs: (n, k) the k most probable next ids at each step by the same
        probabilities, most probable first (they may include <unk>: the model's own view).
    """

    prime_ids: np.ndarray
    ids: np.ndarray
    probs: np.ndarray
    top_ids: np.ndarray
    top_probs: np.ndarray
    temperature: float

    @property
    def all_ids(self) -> np.ndarray:
        """(P + n,) the prime then the generated ids: what a trace of the whole text reads."""
        return np.concatenate([self.prime_ids, self.ids])


def generate(
    model: RNNModel,
    encoder: Encoder,
    prime: str,
    n: int,
    temperature: float = 1.0,
    rng: np.random.Generator | None = None,
    top_k: int = 5,
    clamp: Clamp | Sequence[Clamp] | None = None,
) -> Generation:
    """Generate ``n`` tokens after ``prime``, keeping what the model thought at each step.

    The prime is encoded with ``encoder`` (unknown tokens become <unk>) and read in one pass;
    then each token is drawn from softmax(logits / temperature), fed back, and the state carried
    on (:class:`StepRunner`: one step per new token). ``temperature ≤ 0`` means argmax (greedy,
    deterministic); small temperatures approach it, large ones approach uniform. <pad> and
    <unk> are never drawn (their probability is set to 0 and the rest renormalised). An empty
    prime starts from the text's separator: a line break for characters (the start of a
    speech), a full stop for words (the start of a sentence). ``rng`` defaults to
    ``np.random.default_rng(0)``: the same call gives the same text. ``top_k`` (1..vocabulary
    size) alternatives are kept per step; ``clamp`` holds units while the model reads and
    writes (:class:`StepRunner`). Returns a :class:`Generation`.
    """
    if not is_int(n) or n < 0:
        raise ValueError(f"n must be a whole number >= 0; got {n!r}")
    if not (_is_real(temperature) and math.isfinite(temperature)):
        raise ValueError(f"temperature must be a finite number; got {temperature!r}")
    if model.config.input_size != len(encoder) or model.config.output_size != len(encoder):
        raise ValueError(
            f"the model reads {model.config.input_size} and predicts {model.config.output_size} "
            f"tokens, but the encoder has {len(encoder)}"
        )
    k = whole_in_range("top_k", top_k, 1, len(encoder))
    rng = np.random.default_rng(0) if rng is None else rng
    prime_ids = encoder.encode(prime)
    if prime_ids.size == 0:  # empty prime (or one that encodes to nothing: spaces for words)
        prime_ids = encoder.encode([EMPTY_PRIME[encoder.level]])
    runner = StepRunner(model, clamp)  # refuses a model that is not a language model
    ids = np.zeros(n, np.int64)
    chosen = np.zeros(n, np.float64)
    top_ids = np.zeros((n, k), np.int64)
    top_probs = np.zeros((n, k), np.float64)
    if n:
        probs = runner.feed(prime_ids)  # the prime in one pass
    for i in range(n):
        best = np.argpartition(-probs, k - 1)[:k] if k < probs.size else np.arange(probs.size)
        best = best[np.argsort(-probs[best], kind="stable")]
        top_ids[i], top_probs[i] = best, probs[best]
        ids[i] = _draw(probs, temperature, rng)
        chosen[i] = probs[ids[i]]
        if i + 1 < n:
            probs = runner.feed(ids[i : i + 1])
    return Generation(prime_ids, ids, chosen, top_ids, top_probs, float(temperature))


def sample(
    model: RNNModel,
    encoder: Encoder,
    prime: str,
    n: int,
    temperature: float = 1.0,
    rng: np.random.Generator | None = None,
    clamp: Clamp | Sequence[Clamp] | None = None,
) -> str:
    """Generate ``n`` tokens after ``prime`` and return them as text (the continuation only:
    characters concatenated; words joined by spaces, no space before punctuation).

    :func:`generate` with the text alone (see there for the prime, the temperature and the
    ``rng``); a character sample is exactly ``n`` characters long. ``clamp`` (a
    :class:`~rnn_core.model.Clamp` or several) holds units while the model reads the prime and
    writes (see :class:`StepRunner`).
    """
    gen = generate(model, encoder, prime, n, temperature, rng, top_k=1, clamp=clamp)
    return detokenize(encoder.decode(gen.ids), encoder.level)


def _draw(probs: np.ndarray, temperature: float, rng: np.random.Generator) -> int:
    """One token id from next-token probabilities at ``temperature``; never <pad> or <unk>."""
    p = probs.astype(np.float64)
    p[[PAD_ID, UNK_ID]] = 0.0
    if temperature <= 0 or not p.any():
        return int(np.argmax(p))
    logp = np.log(np.maximum(p, 1e-300)) / temperature  # p^(1/T): softmax(logits / T)
    logp[p == 0.0] = -np.inf
    w = np.exp(logp - logp.max())
    return int(rng.choice(len(w), p=w / w.sum()))
