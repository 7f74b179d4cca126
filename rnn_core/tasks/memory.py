"""Memory tasks for the gradient lab: parity, the adding problem and delayed copy.

Each task has a knob for how far back the network must reach — ``length`` for parity, ``lag``
for adding and copy — so the gradient lab can stretch the distance until a cell gives up.

parity (token inputs "0"/"1", many-to-one, classes "even"/"odd")
    Is the number of 1s in a bit string even or odd? The answer depends on every bit, so the
    network must carry one bit of state (a flip-flop) through the whole string.

adding (dense inputs (T, 2), many-to-one regression; Hochreiter & Schmidhuber 1997,
Le et al. 2015)
    Each step reads ``(value, marker)``: a random number in [0, 1] and a 0/1 marker. Exactly
    two steps are marked; the target is the sum of their numbers. Layout, with ``window`` w
    (default ``min(10, lag)``): ``T = lag + w`` steps; the first mark falls uniformly in
    steps [0, w), the second in the last w steps [lag, lag + w). So the first number must
    be held for at least ``lag`` steps (from its step to the readout after step T − 1)
    while the second is at most w − 1 steps old. The test MSE shows three levels of skill:

        1/6  ≈ 0.167   always answering the mean sum, 1.0: no memory at all
        1/12 ≈ 0.083   the recent second number plus the first one's mean, 0.5
        0              both numbers remembered

copy (token inputs, many-to-many; the copy memory problem of Arjovsky et al. 2016)
    Read ``length`` symbols, then ``lag`` blanks, then a go marker; in the ``length`` steps
    after the marker, write the symbols back in order. Every other step's target is the
    class "blank". The trainer's loss and accuracy average over every real step (its mask
    is the input padding mask, and every step here is real input), so the easy blanks fill
    most of them: each task states the memoryless score (blanks right, symbols guessed) in
    its description, its goal is set to mean ≥ 95% of the recalled symbols right, and
    :func:`recall_accuracy` scores the recall steps alone.

Training and test splits come from two independent generators spawned from
``np.random.default_rng(seed)``. For the token tasks the splits are also disjoint as
sequences: a fixed hash of each sequence assigns it to one split only (about 1 in 5 to
test), so test accuracy is measured on sequences the network never trained on.

The regime: gates help where a vanilla RNN's gradient vanishes
-----------------------------------------------------------------
This is what the gradient lab shows: "Gates help" trains :data:`ADDING_CONFIG` (the adding
task's default) on ``make_adding(lag=50)``, "Vanishing" trains :data:`VANISHING_CONFIG`,
the same run with only the cell changed to a tanh RNN. Measured on this project's 2-core
machine (seed s means ``make_adding(seed=s)`` and ``TrainConfig(seed=s)``):

- The GRU — 32 units, Adam at lr 0.01, batch 32, global-norm clipping at 5, Xavier init —
  reaches a test MSE ≤ 0.01 after 200, 300 and 300 steps for seeds 0, 1, 2 (1–4 s,
  depending on the machine's load) and after 250–750 steps for seeds 3–7, all within the
  1000-step budget. An LSTM with the same settings: 350–400 steps for seeds 0–2.
- The RNN, after the same settings' 2000 steps, is at 0.16, 0.14 and 0.10 (seeds 0–2;
  lowest evaluation 0.083): it never gets clearly below the 1/12 level, i.e. it never uses
  the first number.
- Its gradient shows why. The mean ‖∂L/∂h_t‖ over the first 10 steps (where the first mark
  falls), divided by its value at the last step (``metrics["dh_norm"]``), is between 1e-3
  and 1e-20 during training, mostly below 1e-4; the trained GRU's is 0.5–0.7 and the
  trained LSTM's 0.1–0.3. The GRU's update ``h' = (1 − z) ⊙ n + z ⊙ h`` gives the gradient
  a path back in time whose factor per step is the gate z itself, which training opens
  (z → 1) for the units holding the number; the RNN's only path back goes through ``W_hh``
  and tanh' at every step, and shrinks geometrically once its units saturate.

Measured caveats, so the lab does not overclaim:

- At initialisation the gated cells' gradients vanish too (z ≈ 0.5 and f ≈ 0.73 per step:
  ratios of about 3e-8 for the GRU and 6e-4 for the LSTM at lag 50), while the Xavier
  RNN's is about 0.1. The gap opens during training, as the gates learn to hold.
- lr 0.01 is the gated cells' rate and is high for the RNN. Given 60 s (15000 steps) at lr
  0.01, seed 0 stays at 0.15–0.17 while seeds 1 and 2 creep, noisily, down to about 0.04
  (the first number partly used), never 0.01. With lr 0.003 or 0.001 and 4000 steps it
  solves lag 50 for seed 0 (0.005–0.008) but not seeds 1 and 2 (0.05–0.09). Lag 50 is
  where the vanilla RNN starts to fail, not a wall.
- Longer lags are hard for the gates too: at lag 100 this GRU config solved it for 1 of 3
  seeds within 1000 steps (3 of 3 within 1500 steps at lr 0.02); at lag 150, 0 of 3 within
  1500 steps.

``tests/core/test_task_memory.py`` checks a reduced version of this contrast (lag 30, 300
steps each: the GRU ends at 0.0012–0.0019 and the RNN at ≥ 0.127 for seeds 0–4) and the
gradient ratios.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable
from dataclasses import replace

import numpy as np

from rnn_core.checks import check_count, is_int, whole_in_range
from rnn_core.data import Dataset, SequenceData
from rnn_core.tasks.base import PAD, UNK, Encoder, Goal, Task
from rnn_core.train import TrainConfig

# --------------------------------------------------------------------------------------
# Default configs (each reaches its task's goal; numbers measured on the 2-core machine)
# --------------------------------------------------------------------------------------

PARITY_CONFIG = TrainConfig(
    cell="gru",  # an LSTM takes 300–400 steps at length 20, a tanh RNN 550–1100
    hidden_size=16,  # one bit of state needs few units
    lr=0.01,  # Adam
    batch_size=32,
    steps=1500,  # 99% after 250–300 steps at length 20 (seeds 0–2, < 1 s); the rest is margin
    eval_every=50,
    seed=0,
)

ADDING_CONFIG = TrainConfig(
    cell="gru",  # the gates give the gradient an additive path back to the first mark
    hidden_size=32,
    lr=0.01,  # Adam
    batch_size=32,
    clip="norm",
    clip_value=5.0,
    init="xavier",
    steps=1000,  # MSE ≤ 0.01 after 200–750 steps at lag 50 (seeds 0–7); the rest is margin
    eval_every=50,
    seed=0,
)
# The same run with only the cell changed: the vanilla RNN whose gradient vanishes before it
# reaches the first mark (see the module docstring for what it does and doesn't show).
VANISHING_CONFIG = replace(ADDING_CONFIG, cell="rnn")

COPY_CONFIG = TrainConfig(
    cell="gru",  # seed 0 in 2500 steps: a tanh RNN stays at the memoryless score, an LSTM 96.6%
    hidden_size=64,  # room for length · log2(n_symbols) ≈ 15 bits
    lr=0.01,  # Adam
    batch_size=32,
    steps=3000,  # the goal after 1100–1300 steps at lag 10 (seeds 0–2, 3–4 s); the rest is margin
    eval_every=100,
    seed=0,
)

HOLDOUT = 5  # one token sequence in HOLDOUT (by hash) belongs to the test split


# --------------------------------------------------------------------------------------
# Shared helpers
# --------------------------------------------------------------------------------------


def _streams(seed: int) -> tuple[np.random.Generator, np.random.Generator]:
    """Two independent generators, for the training and the test split."""
    if not is_int(seed):
        raise ValueError(f"seed must be a whole number; got {seed!r}")
    train_rng, test_rng = np.random.default_rng(seed).spawn(2)
    return train_rng, test_rng


def is_test_sequence(ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """(N,) bool: which token sequences belong to the test split, by a fixed hash (CRC-32)
    of their real ids. A sequence always lands in the same split, whatever the seed."""
    return np.array(
        [zlib.crc32(row[m].tobytes()) % HOLDOUT == 0 for row, m in zip(ids, mask, strict=True)],
        dtype=bool,
    )


def _draw_split(
    draw: Callable[[np.random.Generator, int], SequenceData],
    rng: np.random.Generator,
    n: int,
    test: bool,
) -> SequenceData:
    """``n`` sequences from ``draw`` that belong to the test split (``test``) or to the
    training split (not ``test``), drawn in rounds and kept in the order drawn."""
    parts, have = [], 0
    for _ in range(100):
        batch = draw(rng, 2 * n if test else n + n // 2)
        keep = np.flatnonzero(is_test_sequence(batch.inputs, batch.mask) == test)[: n - have]
        parts.append(batch.subset(keep))
        have += len(keep)
        if have == n:
            return SequenceData(
                np.concatenate([p.inputs for p in parts]),
                np.concatenate([p.targets for p in parts]),
                np.concatenate([p.mask for p in parts]),
            )
    raise ValueError(
        "too few distinct sequences to fill disjoint training and test splits; "
        "make the sequences longer"
    )


def _token_splits(draw, seed: int, n_train: int, n_test: int) -> tuple[SequenceData, ...]:
    train_rng, test_rng = _streams(seed)
    return _draw_split(draw, train_rng, n_train, False), _draw_split(draw, test_rng, n_test, True)


# --------------------------------------------------------------------------------------
# Parity
# --------------------------------------------------------------------------------------

PARITY_ENCODER = Encoder((PAD, UNK, "0", "1"), level="char")
PARITY_CLASSES = ("even", "odd")


def parity_data(rng: np.random.Generator, n: int, min_length: int, length: int) -> SequenceData:
    """``n`` random bit strings, lengths uniform in [min_length, length], and their parity.

    inputs: (n, length) ids of "0" and "1" (2 and 3), padded with 0; mask: (n, length);
    targets: (n,) 1 ("odd") if the string holds an odd number of 1s, else 0 ("even").
    """
    lengths = rng.integers(min_length, length + 1, size=n)
    bits = rng.integers(0, 2, size=(n, length))
    mask = np.arange(length)[None, :] < lengths[:, None]
    ids = np.where(mask, bits + PARITY_ENCODER.encode(["0"])[0], 0)
    return SequenceData(ids, (bits * mask).sum(axis=1) % 2, mask)


def make_parity(
    seed: int = 0,
    length: int = 20,
    min_length: int = 1,
    n_train: int = 4000,
    n_test: int = 1000,
) -> Task:
    """Parity of a bit string: is the number of 1s even or odd?

    Options:
        length: the longest string (default 20, 2..200): how far the network must carry
            its one bit of state.
        min_length: the shortest string (default 1, 1..length). Lengths are uniform in
            [min_length, length]; the short strings are a built-in curriculum. With
            ``min_length = length`` every string is equally long and the task is much
            harder to learn from scratch (a GRU stayed at chance at length 10 over
            1000 steps).
        n_train, n_test: sequences per split (>= 1).

    Inputs are the characters "0" and "1" through :data:`PARITY_ENCODER` (the Explore page
    reads a typed "0110" character by character); any other character becomes <unk>.
    """
    length = whole_in_range("length", length, 2, 200)
    min_length = whole_in_range("min_length", min_length, 1, length)
    check_count("n_train", n_train)
    check_count("n_test", n_test)
    train, test = _token_splits(
        lambda rng, n: parity_data(rng, n, min_length, length), seed, n_train, n_test
    )
    return Task(
        name="parity",
        title="Parity (XOR of a bit string)",
        description=(
            "Read a string of 0s and 1s and say whether it holds an even or an odd number "
            "of 1s. Flipping any one bit flips the answer, so no bit can be ignored and "
            "there is no partial credit: the network must keep one bit of state, 'odd so "
            "far', toggle it at every 1 and carry it to the end of the string. Strings here "
            f"have {min_length} to {length} bits. Guessing scores 50%. A GRU learns the toggle "
            "in a few hundred steps; a vanilla RNN takes longer, and over 50 bits it often "
            "never finds it."
        ),
        data=Dataset(train, test, input_size=len(PARITY_ENCODER), output_size=2),
        output_kind="class_per_sequence",
        default_config=PARITY_CONFIG,
        target="≥ 99% test accuracy in ≤ 20 s of training",
        goal=Goal("test_acc", 0.99, 20.0),
        encoder=PARITY_ENCODER,
        class_names=PARITY_CLASSES,
        example="1101001",
    )


# --------------------------------------------------------------------------------------
# Adding
# --------------------------------------------------------------------------------------


def adding_data(rng: np.random.Generator, n: int, lag: int, window: int) -> SequenceData:
    """``n`` adding-problem sequences of ``T = lag + window`` steps.

    inputs: (n, T, 2): feature 0 a number uniform in [0, 1], feature 1 the 0/1 marker, set
    at one step in [0, window) and one in [lag, lag + window); targets: (n, 1) the sum of
    the two marked numbers; mask: (n, T) all True.
    """
    T = lag + window
    x = np.zeros((n, T, 2))
    x[:, :, 0] = rng.uniform(0.0, 1.0, size=(n, T))
    rows = np.arange(n)
    first = rng.integers(0, window, size=n)
    second = rng.integers(lag, lag + window, size=n)
    x[rows, first, 1] = 1.0
    x[rows, second, 1] = 1.0
    y = x[rows, first, 0] + x[rows, second, 0]
    return SequenceData(x, y[:, None], np.ones((n, T), bool))


def make_adding(
    seed: int = 0,
    lag: int = 50,
    window: int | None = None,
    n_train: int = 10000,
    n_test: int = 1000,
) -> Task:
    """The adding problem: output the sum of the two marked numbers of a sequence.

    Options:
        lag: the least number of steps the first marked number must be held (default 50,
            1..1000): the first mark falls in the first ``window`` steps, the readout comes
            after step ``T − 1 = lag + window − 1``.
        window: where the marks may fall (default ``min(10, lag)``, 1..lag): the first in
            steps [0, window), the second in the last ``window`` steps.
        n_train, n_test: sequences per split (>= 1).

    The default config is the GRU run that solves lag 50; :data:`VANISHING_CONFIG` is the
    same run with a tanh RNN, which fails (module docstring).
    """
    lag = whole_in_range("lag", lag, 1, 1000)
    window = min(10, lag) if window is None else whole_in_range("window", window, 1, lag)
    check_count("n_train", n_train)
    check_count("n_test", n_test)
    train_rng, test_rng = _streams(seed)
    data = Dataset(
        adding_data(train_rng, n_train, lag, window),
        adding_data(test_rng, n_test, lag, window),
        input_size=2,
        output_size=1,
        loss="mse",
        dense=True,
    )
    return Task(
        name="adding",
        title=f"Adding problem (lag {lag})",
        description=(
            "Each step shows a random number between 0 and 1 and a marker. Exactly two "
            "steps are marked; at the end, output the sum of their two numbers. The first "
            f"mark comes in the first {window} steps and the second in the last {window} of "
            f"{lag + window}, so the first number must be held for at least {lag} steps. "
            "Always answering 1.0 scores a mean squared error of 1/6 ≈ 0.167; adding only "
            "the recent number scores 1/12 ≈ 0.083. Over a long wait a vanilla RNN's "
            "gradient fades before it reaches the first mark, so it stalls at or above "
            "0.083 (at lag 50 it does); a GRU or LSTM learns to hold the number and gets "
            "close to 0."
        ),
        data=data,
        output_kind="value_per_sequence",
        default_config=ADDING_CONFIG,
        target="test MSE ≤ 0.01 (always answering 1.0 scores 0.167) in ≤ 30 s of training",
        goal=Goal("test_loss", 0.01, 30.0),
    )


# --------------------------------------------------------------------------------------
# Copy
# --------------------------------------------------------------------------------------

BLANK, GO = "-", ":"
SYMBOLS = "abcdefghijklmnopqrstuvwxyz"


def copy_encoder(n_symbols: int) -> Encoder:
    """<pad>, <unk>, the symbols "a", "b", …, the blank "-" and the go marker ":"."""
    return Encoder((PAD, UNK, *SYMBOLS[:n_symbols], BLANK, GO), level="char")


def copy_data(
    rng: np.random.Generator, n: int, length: int, lag: int, n_symbols: int
) -> SequenceData:
    """``n`` copy sequences of ``T = 2·length + lag + 1`` steps.

    inputs: (n, T) ids of ``length`` symbols, ``lag`` blanks, the go marker and ``length``
    blanks (see :func:`copy_encoder`); targets: (n, T) classes, 0 ("blank") except in the
    last ``length`` steps, which hold the symbols' classes 1..n_symbols in order;
    mask: (n, T) all True.
    """
    first_symbol, blank, go = copy_encoder(n_symbols).encode(["a", BLANK, GO])
    T = 2 * length + lag + 1
    symbols = rng.integers(0, n_symbols, size=(n, length))
    ids = np.full((n, T), blank, np.int64)
    ids[:, :length] = symbols + first_symbol
    ids[:, length + lag] = go
    targets = np.zeros((n, T), np.int64)
    targets[:, T - length :] = symbols + 1
    return SequenceData(ids, targets, np.ones((n, T), bool))


def recall_accuracy(model, split: SequenceData) -> float:
    """The fraction of recall steps (targets other than "blank") that ``model`` gets right:
    the copy task's honest score, which the blanks cannot inflate."""
    predictions = model.predict(split.inputs, split.mask)
    recall = (split.targets != 0) & split.mask
    return float((predictions[recall] == split.targets[recall]).mean())


def make_copy(
    seed: int = 0,
    lag: int = 10,
    length: int = 5,
    n_symbols: int = 8,
    n_train: int = 5000,
    n_test: int = 1000,
) -> Task:
    """Delayed copy: read symbols, wait ``lag`` blanks and a go marker, write them back.

    Options:
        lag: blanks between the last symbol and the go marker (default 10, 0..500). Every
            symbol is recalled exactly ``length + lag + 1`` steps after it was read.
        length: symbols to remember (default 5, 1..20).
        n_symbols: alphabet size (default 8, 2..26): the letters "a", "b", ….
        n_train, n_test: sequences per split (>= 1).

    Classes: 0 "blank", then one per symbol. The goal's accuracy threshold means at least
    95% of the recalled symbols right (if every blank is right, which is the easy part).
    """
    lag = whole_in_range("lag", lag, 0, 500)
    length = whole_in_range("length", length, 1, 20)
    n_symbols = whole_in_range("n_symbols", n_symbols, 2, 26)
    check_count("n_train", n_train)
    check_count("n_test", n_test)
    train, test = _token_splits(
        lambda rng, n: copy_data(rng, n, length, lag, n_symbols), seed, n_train, n_test
    )
    encoder = copy_encoder(n_symbols)
    recall = length / (2 * length + lag + 1)  # the fraction of steps that are recall steps
    memoryless_acc = 1 - recall + recall / n_symbols  # blanks right, symbols guessed
    memoryless_loss = recall * math.log(n_symbols)  # the same in cross-entropy
    goal_acc = math.ceil((1 - 0.05 * recall) * 10000) / 10000  # ≥ 95% of symbols right
    example = "".join(SYMBOLS[(5 * i + 2) % n_symbols] for i in range(length))
    return Task(
        name="copy",
        title=f"Delayed copy (lag {lag})",
        description=(
            f"Read {length} symbols, then {lag} blanks, then a go marker ':'; after the "
            f"marker, write the {length} symbols back in order. Each symbol must be held for "
            f"{length + lag + 1} steps, in order, so the network needs a memory of about "
            f"{length * math.log2(n_symbols):.0f} bits that survives the wait. Every other "
            "step's answer is 'blank': easy, and most of the steps. Answering blanks and "
            f"guessing the symbols already scores {memoryless_acc:.1%} accuracy (loss "
            f"{memoryless_loss:.3f}); the target, {goal_acc:.2%}, means at least 95% of the "
            "recalled symbols right."
        ),
        data=Dataset(
            train, test, input_size=len(encoder), output_size=n_symbols + 1, output="many_to_many"
        ),
        output_kind="class_per_step",
        default_config=COPY_CONFIG,
        target=f"≥ {goal_acc:.2%} test accuracy (≥ 95% of recalled symbols) in ≤ 30 s",
        goal=Goal("test_acc", goal_acc, 30.0),
        encoder=encoder,
        class_names=("blank", *SYMBOLS[:n_symbols]),
        example=example + BLANK * lag + GO + BLANK * length,
    )
