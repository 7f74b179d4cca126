"""Trained default models shipped in the repository, for the tasks too slow to train at first use.

The app's default model of a task is the task's ``default_config`` trained on its data, the
same weights on every server. Most tasks train theirs in well under a second when a visitor
first needs it (:func:`rnn_core.tasks.train_to_goal`). The language models are slower, and a
default that can *write* must train far past the task's goal (chars meets its goal at the
first evaluation, 100 steps, 2.2 nats/char: gibberish). So their trained defaults ship as
checkpoints in this repository, in the project's own format (:mod:`rnn_core.checkpoint`:
float32 weights, the task's vocabulary and config, no optimizer state):

    rnn_core/tasks/data/defaults/chars.npz   GRU 128, 1000 steps   ≈ 0.32 MB
    rnn_core/tasks/data/defaults/words.npz   LSTM 128, 500 steps   ≈ 1.8 MB

The words file is larger than chars because 2 000 words are both the model's inputs (a
64-wide embedding) and its outputs (a 128 × 2 000 readout): 0.38 M of its 0.48 M parameters.
A smaller vocabulary or model would change the task or its default config.

The recipe, deterministic (one BLAS thread; the same numpy gives the same bytes, zip entries
dated 1980-01-01):

    python -m rnn_core.tasks.defaults --rebuild          # retrain and rewrite both files
    python -m rnn_core.tasks.defaults --rebuild chars    # one of them
    python -m rnn_core.tasks.defaults                    # check the shipped files

For each task: ``load_task(name, seed=0)``; a :class:`~rnn_core.train.Trainer` on its
``default_config``, stepped for the config's whole step budget (``steps``: 1000 for chars,
500 for words, where each task's test loss is about lowest) — a fixed step count, not a time
and not the first evaluation that meets the goal; then the loss on the whole test split is
measured, and nothing is written unless it meets :func:`shipped_target` (chars ≤ 1.8
nats/char; words the task's own goal, at most half the unigram perplexity). The rebuild took
35 s in all (training: chars 15.5 s to 1.716 nats/char, words 19.1 s to 4.586 nats/word, on
the whole test splits) on an idle 2-core Intel Xeon VM.

The app (``ui/glue/models.py``) loads a shipped file with :func:`load_shipped`, which puts it
through every check :func:`~rnn_core.checkpoint.load_checkpoint` makes of an uploaded file and
then checks that it still fits the task as the code builds it today (:func:`check_shipped`:
task name, vocabulary, training config, model shape, stored scores). A file that does not fit
raises :class:`ShippedMismatch` saying what differs; the app then trains the default instead.
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import math
import sys
import time
import zipfile
from pathlib import Path

from rnn_core.checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from rnn_core.tasks import load_task
from rnn_core.tasks.base import Task
from rnn_core.train import SCORE_KEYS, Trainer, evaluate

SHIPPED = ("chars", "words")  # the tasks whose default model ships trained (seed 0)
DEFAULTS_DIR = Path(__file__).parent / "data" / "defaults"
CHARS_TARGET = 1.8  # nats/char on the whole test split: a chars default that can write
RECIPE = "python -m rnn_core.tasks.defaults --rebuild"
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # every entry's timestamp: the same bytes on every rebuild


class ShippedMismatch(ValueError):
    """A shipped default model that no longer fits its task (the message says what differs)."""


def shipped_path(name: str, directory: Path | None = None) -> Path:
    """Where the shipped default model of task ``name`` lives."""
    return (DEFAULTS_DIR if directory is None else directory) / f"{name}.npz"


def shipped_target(task: Task) -> float:
    """The test loss (whole test split) a shipped default must reach: chars ≤ 1.8 nats/char,
    any other task its own goal's threshold (words: at most half the unigram perplexity)."""
    if task.name == "chars":
        return CHARS_TARGET
    if task.goal.metric != "test_loss":
        raise ValueError(f"task {task.name!r} has no loss target to ship a model against")
    return task.goal.threshold


# ----------------------------------------------------------------------------- loading


def load_shipped(task: Task, directory: Path | None = None) -> Checkpoint:
    """The shipped default model of ``task``, loaded as a hostile file and checked against
    the task. Raises ``OSError`` if there is no file, :class:`~rnn_core.checkpoint.
    CheckpointError` if it is not a valid checkpoint, :class:`ShippedMismatch` if it no
    longer fits the task (all but the first are ``ValueError``)."""
    ckpt = load_checkpoint(shipped_path(task.name, directory))
    check_shipped(ckpt, task)
    return ckpt


def check_shipped(ckpt: Checkpoint, task: Task) -> dict[str, float]:
    """Raise :class:`ShippedMismatch` unless ``ckpt`` is ``task``'s default model as the
    code builds the task today; return its stored scores (``SCORE_KEYS``)."""
    if ckpt.task != task.name:
        raise ShippedMismatch(f"it was trained on task {ckpt.task!r}, not {task.name!r}")
    expected_vocab = None if task.encoder is None else task.encoder.vocab
    if ckpt.vocab != expected_vocab:
        raise ShippedMismatch(_vocab_difference(ckpt.vocab, expected_vocab))
    config = task.default_config
    if ckpt.train_config != config:
        have = {} if ckpt.train_config is None else dataclasses.asdict(ckpt.train_config)
        differ = [
            f"{k} {have.get(k)!r} (task: {v!r})"
            for k, v in dataclasses.asdict(config).items()
            if have.get(k) != v
        ]
        raise ShippedMismatch(f"its training config differs from the task's: {', '.join(differ)}")
    if ckpt.model.config != config.model_config(task.data):
        raise ShippedMismatch(
            f"its model {ckpt.model.config} does not fit the task's data "
            f"({config.model_config(task.data)})"
        )
    if str(ckpt.model.dtype) != config.dtype:
        raise ShippedMismatch(f"its weights are {ckpt.model.dtype}, the config says {config.dtype}")
    scores = ckpt.extra.get("scores")
    if not (
        isinstance(scores, dict)
        and set(scores) == set(SCORE_KEYS)
        and all(isinstance(v, float) and math.isfinite(v) for v in scores.values())
    ):
        raise ShippedMismatch("its metadata lacks the scores of its last evaluation")
    return {k: scores[k] for k in SCORE_KEYS}


def _vocab_difference(have, want) -> str:
    if have is None or want is None:
        return f"its vocabulary is {'missing' if have is None else 'unexpected'}"
    if len(have) != len(want):
        return f"its vocabulary has {len(have)} tokens, the task's {len(want)}"
    i = next(i for i, (a, b) in enumerate(zip(have, want, strict=True)) if a != b)
    return f"its vocabulary differs from the task's at id {i}: {have[i]!r}, the task {want[i]!r}"


# ----------------------------------------------------------------------------- the recipe


def train_default(task: Task, steps: int | None = None) -> Trainer:
    """The recipe's training: ``task.default_config`` for its whole step budget (or ``steps``,
    for a quick test of the recipe), evaluating every ``eval_every`` steps as it goes."""
    config = task.default_config
    if steps is not None:
        config = dataclasses.replace(config, steps=steps)
    trainer = Trainer(config, task.data)
    while trainer.status == "ok" and trainer.step_count < config.steps:
        trainer.step(min(config.eval_every, config.steps - trainer.step_count))
    if trainer.status == "diverged":
        raise RuntimeError(f"training the {task.name} default stopped: {trainer.reason}")
    return trainer


def last_evaluation(trainer: Trainer) -> dict[str, float]:
    """The scores of the trainer's latest evaluation (on its fixed evaluation subsets)."""
    for metrics in reversed(trainer.history):
        if "test_loss" in metrics:
            return {k: float(metrics[k]) for k in SCORE_KEYS}
    raise ValueError("the trainer has not evaluated yet")


def checkpoint_bytes(trainer: Trainer, task: Task) -> bytes:
    """The shipped file for a trained default: a checkpoint (model, task, vocabulary, training
    config, step count, last scores; no optimizer state) whose zip entries all carry the same
    date, so the same weights always give the same bytes."""
    buf = io.BytesIO()
    save_checkpoint(
        buf,
        trainer.model,
        task=task.name,
        vocab=None if task.encoder is None else task.encoder.vocab,
        train_config=trainer.config,
        step=trainer.step_count,
        extra={"scores": last_evaluation(trainer), "recipe": RECIPE},
    )
    return _fixed_dates(buf.getvalue())


def _fixed_dates(data: bytes) -> bytes:
    """The same zip with every entry dated ``_ZIP_DATE`` (np.savez stamps the current time)."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for info in src.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=_ZIP_DATE)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            dst.writestr(entry, src.read(info))
    return out.getvalue()


@dataclasses.dataclass
class Built:
    """What one rebuild made and measured."""

    name: str
    path: Path
    steps: int
    seconds: float  # training time (evaluations included)
    test_loss: float  # on the whole test split
    target: float
    size: int  # bytes written


def rebuild(name: str, directory: Path | None = None) -> Built:
    """Train task ``name``'s default by the recipe and write its shipped file; raises (and
    writes nothing) if the model misses :func:`shipped_target` on the whole test split."""
    task = load_task(name, seed=0)
    start = time.perf_counter()
    trainer = train_default(task)
    seconds = time.perf_counter() - start
    test_loss, _ = evaluate(trainer.model, task.data.test, per_step=True)
    target = shipped_target(task)
    if not test_loss <= target:
        raise RuntimeError(
            f"the {name} default reaches {test_loss:.3f} on the whole test split, over its "
            f"target {target:.3f}: nothing written"
        )
    data = checkpoint_bytes(trainer, task)
    check_shipped(load_checkpoint(data), task)  # what the app will check
    path = shipped_path(name, directory)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return Built(name, path, trainer.step_count, seconds, test_loss, target, len(data))


def check(name: str, directory: Path | None = None) -> Built:
    """Load task ``name``'s shipped file as the app does and measure it on the whole test
    split (raises like :func:`load_shipped`)."""
    task = load_task(name, seed=0)
    path = shipped_path(name, directory)
    ckpt = load_shipped(task, directory)
    test_loss, _ = evaluate(ckpt.model, task.data.test, per_step=True)
    return Built(name, path, ckpt.step, 0.0, test_loss, shipped_target(task), path.stat().st_size)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m rnn_core.tasks.defaults",
        description="Check (or, with --rebuild, retrain and rewrite) the shipped default models.",
    )
    parser.add_argument("tasks", nargs="*", help=f"some of {', '.join(SHIPPED)} (default: all)")
    parser.add_argument("--rebuild", action="store_true", help="retrain and rewrite the files")
    args = parser.parse_args(argv)
    unknown = [t for t in args.tasks if t not in SHIPPED]
    if unknown:
        parser.error(f"no shipped default for {', '.join(unknown)}; choose from {SHIPPED}")
    _one_blas_thread()
    failed = 0
    for name in args.tasks or SHIPPED:
        try:
            built = rebuild(name) if args.rebuild else check(name)
        except (OSError, ValueError, RuntimeError) as e:
            print(f"{name}: FAILED: {e}", file=sys.stderr)
            failed += 1
            continue
        took = f", trained in {built.seconds:.1f} s" if args.rebuild else ""
        print(
            f"{name}: {built.path.name} {built.size / 1e6:.2f} MB, {built.steps} steps{took}; "
            f"test loss {built.test_loss:.3f} (whole split; target ≤ {built.target:.3f}) "
            f"{'PASS' if built.test_loss <= built.target else 'MISS'}"
        )
    return 1 if failed else 0


def _one_blas_thread() -> None:
    """One BLAS thread, as the app and the tests run (and for the same bytes on a rebuild)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return
    threadpool_limits(1, user_api="blas")


if __name__ == "__main__":
    raise SystemExit(main())
