"""Speed of the bag-of-words baseline (rnn_core/baseline.py): one fit on 30 000 texts.

    python -m benchmarks.baseline            # 30 000 texts, median of 7 fits
    python -m benchmarks.baseline --quick    # smoke test: 3 000 texts, 2 fits
    python -m benchmarks.baseline --texts 60000 --repeats 3

The texts are synthetic, in the shape of a small review corpus: a vocabulary of 30 000
words drawn with Zipf frequencies (p ∝ 1 / rank^1.05), 8 to 26 tokens per text (17 on
average), two classes decided by the sum of 2 000 opinion words' random polarities (plus
noise; ``--classes K``: K polarities per word, the class is the largest sum). The tokens
are strings, as a user's texts are. The fit is ``fit_bag_of_words`` with its defaults
(1–2-grams, bigrams seen twice, 50 000 features, TF-IDF, l2 = 1, ≤ 100 L-BFGS iterations)
on the training texts; 5 000 more texts are held out for an accuracy, printed as a check
that the baseline learned something, not as a target.

Times are the median, the quartiles and the range over the fits — wall clock, and the
process's CPU time beside it (on a busy machine the wall clock waits for a core; the CPU
time is what the fit costs) — with the vectoriser's share (``fit_vectorizer`` alone, timed
separately). One BLAS thread, as the server and the tests run (the fit makes no BLAS call
anyway). The machine's load average is printed beside them: the machine is shared, and
every number here grows with it.

Measured on the project's 2-core Intel Xeon VM (2026-12-06, load average 2.5–3.0 from
other work, two runs of 7 fits): the fit takes a median 0.69 s (IQR 0.684–0.702; CPU time
the same), 0.12–0.13 s of it vectorising; 50 000 features, 69 L-BFGS iterations, held-out
accuracy 0.827. With ``--classes 5``: 4.6 s of CPU (100 iterations, the budget), as the
multinomial fit does one product per class.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from benchmarks.machine import hardware, loadavg
from rnn_core.baseline import fit_bag_of_words, fit_vectorizer

try:
    from threadpoolctl import threadpool_limits
except ImportError:  # optional: without it numpy's BLAS keeps its own thread count
    threadpool_limits = None

VOCAB = 30_000
OPINION_WORDS = 2_000
LENGTHS = (8, 26)  # inclusive: 17 tokens on average
HELD_OUT = 5_000
SEED = 0


def synthetic_texts(
    n: int, rng: np.random.Generator, classes: int = 2
) -> tuple[list[list[str]], np.ndarray]:
    """``n`` texts (token lists) and their (n,) class ids (see the module docstring)."""
    words = np.array([f"w{i}" for i in range(VOCAB)], dtype=object)
    p = 1.0 / np.arange(1, VOCAB + 1) ** 1.05
    p /= p.sum()
    polarity = np.zeros((VOCAB, 1 if classes == 2 else classes))
    opinion = rng.choice(np.arange(50, VOCAB), OPINION_WORDS, replace=False)
    polarity[opinion] = rng.normal(size=(OPINION_WORDS, polarity.shape[1]))
    lengths = rng.integers(LENGTHS[0], LENGTHS[1] + 1, n)
    ids = rng.choice(VOCAB, size=int(lengths.sum()), p=p)
    # Opinion words are rare under Zipf: put one in every text so each has a signal.
    starts = np.cumsum(lengths) - lengths
    ids[starts + rng.integers(0, lengths)] = rng.choice(opinion, n)
    docs = [words[ids[s : s + k]].tolist() for s, k in zip(starts, lengths, strict=True)]
    score = np.add.reduceat(polarity[ids], starts) + 0.3 * rng.normal(size=(n, polarity.shape[1]))
    if classes == 2:
        return docs, (score[:, 0] > 0).astype(np.int64)
    return docs, score.argmax(axis=1).astype(np.int64)


def stats(seconds: list[float]) -> str:
    v = sorted(seconds)
    q1, q3 = np.percentile(v, [25, 75])
    return (
        f"median {statistics.median(v):.3f} s, IQR {q1:.3f}–{q3:.3f}, "
        f"min {v[0]:.3f}, max {v[-1]:.3f} (n={len(v)})"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=30_000, help="training texts")
    parser.add_argument("--repeats", type=int, default=7, help="fits to time")
    parser.add_argument("--classes", type=int, default=2, help="classes (cost grows with it)")
    parser.add_argument("--quick", action="store_true", help="3 000 texts, 2 fits")
    args = parser.parse_args(argv)
    n, repeats = (3_000, 2) if args.quick else (args.texts, args.repeats)
    if threadpool_limits is not None:
        threadpool_limits(1, user_api="blas")

    rng = np.random.default_rng(SEED)
    docs, y = synthetic_texts(n + HELD_OUT, rng, args.classes)
    train, test = docs[:n], docs[n:]
    y_train, y_test = y[:n], y[n:]
    tokens = sum(map(len, train))
    print(f"Hardware: {hardware()}; 1 BLAS thread; load average before: {loadavg()}", flush=True)
    print(
        f"{n} training texts, {tokens / n:.1f} tokens on average, "
        f"{len({t for d in train for t in d})} distinct words, {args.classes} classes; "
        f"{HELD_OUT} held out"
    )

    fits, cpu, vectorising = [], [], []
    model = None
    for _ in range(repeats):
        start = time.perf_counter()
        fit_vectorizer(train)
        vectorising.append(time.perf_counter() - start)
        start, start_cpu = time.perf_counter(), time.process_time()
        model = fit_bag_of_words(train, y_train, args.classes)
        fits.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    assert model is not None
    print(f"fit_bag_of_words: {stats(fits)}")
    print(f"  its CPU time (this process): {stats(cpu)}")
    print(f"  of which the vectoriser (fit_vectorizer alone): {stats(vectorising)}")
    print(
        f"  {model.n_features} features, {model.iterations} L-BFGS iterations, "
        f"train accuracy {model.accuracy(train, y_train):.3f}, "
        f"held-out accuracy {model.accuracy(test, y_test):.3f}"
    )
    print(f"Load average after: {loadavg()}")


if __name__ == "__main__":
    main()
