"""Real text: the CSV task's default config against a bag-of-words baseline, on human-labelled
movie-review sentences.

    python -m benchmarks.real_text                  # movie sentences, seeds 0-2, 60 s each
    python -m benchmarks.real_text --corpus tweets  # another of the four corpora
    python -m benchmarks.real_text --seeds 1 --seconds 20 --markdown

The data. The source distribution of ``vaderSentiment`` 3.3.2 on PyPI (MIT licence, © C.J.
Hutto) ships ``additional_resources/hutto_ICWSM_2014.tar.gz``: the ground truth of Hutto &
Gilbert, "VADER: A Parsimonious Rule-based Model for Sentiment Analysis of Social Media
Text", ICWSM 2014. Each of its four corpora is sentences with the mean sentiment rating
(−4 … +4) of at least 20 human raters. The default one, ``movies``, is 10,605 sentence-level
snippets of Rotten Tomatoes reviews (the texts of Pang & Lee's movie-review data, ACL 2004/2005);
``tweets`` is 4,200 tweet-like texts, ``nyt`` 5,190 sentences of New York Times opinion pieces,
``amazon`` 3,708 sentences of product reviews (Hu & Liu, KDD 2004); ``all`` pools the four.
A text is labelled ``positive`` when its mean rating is above 0 and ``negative`` when below;
the few rated exactly 0 are left out. The package is not a dependency: the sdist is fetched
on demand with ``pip download --no-deps --no-binary :all: vaderSentiment==3.3.2`` into
``~/.cache/rnnx-bench`` (``RNNX_BENCH_CACHE`` to move it), checked against its SHA-256, and
read without installing it. Without the registry the benchmark says so and exits 0.

What it does, as the app does with an upload: the texts become a ``text,label`` CSV file,
:func:`rnn_core.tasks.csv_import.import_csv` (split seed 0, 20% of every class held out)
makes the task, and the task's ``default_config`` trains with the bare Trainer, one BLAS
thread as on the server, for at most ``--seconds`` of wall clock (evaluations included) or
until its step budget ends, whichever comes first; once per training seed. Reported per seed:
the test accuracy of the final model on the WHOLE test split, and that of the model at the
evaluation that scored best on the trainer's 512-text test subset (chosen on test data, so
optimistic: an upper bound on what stopping early could give). The baseline is
:func:`rnn_core.baseline.task_baseline` (TF-IDF of word 1-2-grams and logistic regression on
the same tokens and split).
The machine's load average is printed too: the machine is shared, and seconds grow with it.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import datetime
import hashlib
import io
import os
import statistics
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from benchmarks.machine import loadavg
from rnn_core.baseline import task_baseline
from rnn_core.tasks.csv_import import import_csv
from rnn_core.train import Trainer, evaluate

PACKAGE, VERSION = "vaderSentiment", "3.3.2"
SDIST = f"{PACKAGE}-{VERSION}.tar.gz"
SDIST_SHA256 = "5d7c06e027fc8b99238edb0d53d970cf97066ef97654009890b83703849632f9"
INNER = f"{PACKAGE}-{VERSION}/additional_resources/hutto_ICWSM_2014.tar.gz"
CORPORA = {  # name -> (file inside INNER, what it is)
    "movies": ("movieReviewSnippets_GroundTruth.txt", "movie-review sentences (Pang & Lee)"),
    "tweets": ("tweets_GroundTruth.txt", "tweet-like texts"),
    "nyt": ("nytEditorialSnippets_GroundTruth.txt", "New York Times opinion sentences"),
    "amazon": ("amazonReviewSnippets_GroundTruth.txt", "product-review sentences (Hu & Liu)"),
}
ALL = "all"  # the four corpora pooled: 23,703 texts of mixed kinds
SPLIT_SEED = 0  # the test split, the same for every training seed and for the baseline
PIP_TIMEOUT = 300  # seconds for pip to fetch the sdist
CHUNK = 10  # steps between wall-clock checks


class Unavailable(RuntimeError):
    """The data cannot be had here (no registry, a changed file): the benchmark is skipped."""


def cache_dir() -> Path:
    return Path(os.environ.get("RNNX_BENCH_CACHE") or Path.home() / ".cache" / "rnnx-bench")


def fetch_sdist(cache: Path) -> Path:
    """The vaderSentiment sdist in ``cache``, downloaded with pip if it is not there yet."""
    path = cache / SDIST
    if not path.exists():
        cache.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:"]
        command += ["--disable-pip-version-check", "-d", str(cache), f"{PACKAGE}=={VERSION}"]
        print(f"  fetching {PACKAGE} {VERSION} (sdist) with pip into {cache}", file=sys.stderr)
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=PIP_TIMEOUT)
        except (OSError, subprocess.TimeoutExpired) as e:
            raise Unavailable(f"pip download failed: {e}") from None
        if done.returncode != 0 or not path.exists():
            tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
            raise Unavailable(f"pip download {PACKAGE}=={VERSION} failed: {tail[0]}")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != SDIST_SHA256:
        raise Unavailable(f"{path} has SHA-256 {digest}, not the expected {SDIST_SHA256}")
    return path


def read_corpus(sdist: Path, corpus: str) -> list[tuple[str, float]]:
    """(text, mean human rating) for every line of one ground-truth file in the sdist (of
    every one, in the order of CORPORA, for ``"all"``)."""
    names = [CORPORA[c][0] for c in CORPORA] if corpus == ALL else [CORPORA[corpus][0]]
    with tarfile.open(sdist) as outer:
        inner_bytes = outer.extractfile(INNER).read()
    rows = []
    with tarfile.open(fileobj=io.BytesIO(inner_bytes)) as inner:
        for name in names:
            raw = inner.extractfile(f"hutto_ICWSM_2014/{name}").read()
            for line in raw.decode("utf-8").splitlines():
                _, rating, text = line.split("\t")  # ID, MEAN-SENTIMENT-RATING, TEXT
                rows.append((text.strip(), float(rating)))
    return rows


def to_csv(rows: list[tuple[str, float]]) -> str:
    """A ``text,label`` file: positive above a mean rating of 0, negative below, 0 left out."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("text", "label"))
    for text, rating in rows:
        if rating != 0 and text:
            writer.writerow((text, "positive" if rating > 0 else "negative"))
    return out.getvalue()


# --------------------------------------------------------------------------- the RNN


@dataclasses.dataclass
class RnnRun:
    seed: int
    steps: int
    seconds: float  # training wall clock, evaluations included
    stopped: str  # "budget" (the step budget ended) or "time" (the wall-clock cap)
    final_acc: float  # the final model, whole test split
    best_acc: float  # the model at the best evaluation (test subset), whole test split
    best_step: int


def train_rnn(task, seed: int, seconds: float) -> RnnRun:
    """Train ``task.default_config`` with this seed for at most ``seconds`` of wall clock."""
    config = dataclasses.replace(task.default_config, seed=seed)
    trainer = Trainer(config, task.data)
    params = trainer.model.params
    best, best_step, best_params = -1.0, 0, None
    elapsed = 0.0
    while trainer.status == "ok" and elapsed < seconds:
        start = time.perf_counter()
        metrics = trainer.step(CHUNK)
        elapsed += time.perf_counter() - start
        for m in metrics:
            if "test_acc" in m and m["test_acc"] > best:
                best, best_step = m["test_acc"], trainer.step_count
                best_params = {k: v.copy() for k, v in params.items()}
    stopped = "time" if trainer.status == "ok" else "budget"
    if trainer.status == "diverged":
        stopped = "diverged"
    test = task.data.test
    _, final_acc = evaluate(trainer.model, test, per_step=False)
    best_acc = final_acc
    if best_params is not None:
        for k, v in best_params.items():
            params[k][...] = v
        _, best_acc = evaluate(trainer.model, test, per_step=False)
    return RnnRun(seed, trainer.step_count, elapsed, stopped, final_acc, best_acc, best_step)


# --------------------------------------------------------------------------- the baseline


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", choices=[*CORPORA, ALL], default="movies")
    parser.add_argument("--seeds", type=int, default=3, help="training seeds 0..N-1 (default 3)")
    parser.add_argument("--seconds", type=float, default=60.0, help="wall-clock cap per seed")
    parser.add_argument("--markdown", action="store_true", help="print a markdown table row")
    args = parser.parse_args(argv)
    threadpool_limits(1, user_api="blas")  # as the server and the tests run
    try:
        sdist = fetch_sdist(cache_dir())
    except Unavailable as e:
        print(f"SKIPPED: the real-text data cannot be had here: {e}")
        return 0
    rows = read_corpus(sdist, args.corpus)
    task = import_csv(to_csv(rows), seed=SPLIT_SEED)
    data, cfg = task.data, task.default_config
    counts = np.bincount(np.concatenate([data.train.targets, data.test.targets]))
    classes = ", ".join(f"{c} {k}" for c, k in zip(task.class_names, counts, strict=True))
    file, what = CORPORA.get(args.corpus, ("all four *_GroundTruth.txt", "the four pooled"))
    print(
        f"data: {PACKAGE} {VERSION} sdist (MIT), {INNER.split('/', 1)[1]} :: {file} — {what}, "
        f"human-rated (Hutto & Gilbert, ICWSM 2014)\n"
        f"texts: {len(data.train) + len(data.test)} ({len(data.train)} train, "
        f"{len(data.test)} test); classes: {classes}; vocabulary {data.input_size}\n"
        f"default config: {cfg.cell.upper()} {cfg.hidden_size}, embed {cfg.embed_size}, "
        f"{cfg.optimizer} {cfg.lr:g}, batch {cfg.batch_size}, {cfg.steps} steps, eval every "
        f"{cfg.eval_every}; cap {args.seconds:g} s of training\n"
        f"load average before: {loadavg()}"
    )
    runs = []
    for seed in range(args.seeds):
        run = train_rnn(task, seed, args.seconds)
        runs.append(run)
        print(
            f"  seed {seed}: test acc {run.final_acc:.1%} final, {run.best_acc:.1%} at the best "
            f"evaluation (step {run.best_step}); {run.steps} steps in {run.seconds:.1f} s "
            f"(stopped by {run.stopped}); load {loadavg()}"
        )
    base = task_baseline(task)
    print(
        f"  baseline {base.name}: test acc {base.test_acc:.1%} (train {base.train_acc:.1%}), "
        f"{base.n_features} features, fit in {base.seconds:.1f} s"
    )
    final = statistics.median(r.final_acc for r in runs)
    best = statistics.median(r.best_acc for r in runs)
    seconds = statistics.median(r.seconds for r in runs)
    verdict = "MATCHES" if final >= base.test_acc else "BELOW"
    print(
        f"RNN median over {len(runs)} seeds: {final:.1%} final ({best:.1%} at the best "
        f"evaluation), {seconds:.1f} s; baseline {base.test_acc:.1%}, {base.seconds:.1f} s: "
        f"{verdict} (final {final - base.test_acc:+.1%})\nload average after: {loadavg()}"
    )
    if args.markdown:
        n = len(data.train) + len(data.test)
        today = datetime.date.today().isoformat()
        print(
            f"| {args.corpus} ({n:,} texts, {len(task.class_names)} classes) | "
            f"{', '.join(f'{r.final_acc:.1%}' for r in runs)} (median {final:.1%}) | "
            f"{best:.1%} | {seconds:.1f} s | {base.test_acc:.1%} | {base.seconds:.1f} s | "
            f"{loadavg()} | {today} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
