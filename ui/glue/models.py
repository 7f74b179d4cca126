"""The models a session works on: built-in tasks, trained defaults, the session's own copies.

Shared between sessions (``st.cache_resource``) are only immutable things: the built-in tasks
(their arrays made read-only) and each task's default model, stored as read-only arrays. A
session never touches a shared array: :meth:`Trained.session_copy` gives it its own
:class:`SessionModel`.

A default model is made once per server process, the same weights on every server:

- the slow language-model tasks (chars, words) load the trained checkpoint shipped in the
  repository (:mod:`rnn_core.tasks.defaults`: chars trained to ≈ 1.7 nats/char, which no
  visitor would wait for), checked as a hostile file and against the task;
- every other task — and chars or words when the shipped file is missing or no longer fits
  the task (a changed vocabulary or config; the reason is logged as a warning) — is trained
  by :func:`rnn_core.tasks.train_to_goal`, deterministic.

The default models are cached in a small locked store rather than ``st.cache_data`` so that
the first user of a task that trains sees a progress bar, and a room of people opening the
app at once makes each default only once.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import streamlit as st

from rnn_core.checkpoint import Checkpoint, load_checkpoint
from rnn_core.model import RNNModel
from rnn_core.tasks import TASKS, Task, load_task, train_to_goal
from rnn_core.tasks.defaults import SHIPPED, check_shipped, shipped_path
from rnn_core.train import SCORE_KEYS, TrainConfig, Trainer

ORIGINS = ("default", "trained here", "uploaded")
log = logging.getLogger(__name__)


@st.cache_resource(show_spinner=False)
def task(name: str, seed: int = 0) -> Task:
    """A built-in task, shared read-only by every session."""
    built = load_task(name, seed=seed)
    for split in (built.data.train, built.data.test):
        for array in (split.inputs, split.targets, split.mask):
            array.setflags(write=False)
    return built


@dataclass(frozen=True, eq=False)
class Trained:
    """An immutable trained model: read-only weights plus how they were made."""

    task_name: str
    config: TrainConfig
    params: dict[str, np.ndarray]  # read-only arrays
    model: RNNModel  # wraps ``params``: for reading only
    steps: int
    scores: dict[str, float]
    seconds: float  # time it took to make: training, or loading the shipped file
    source: str = "trained"  # "trained" here, or "shipped" (loaded from the repository's file)

    @classmethod
    def from_trainer(cls, task_name: str, trainer: Trainer, seconds: float) -> Trained:
        params = _read_only(trainer.model.params)
        return cls(
            task_name,
            trainer.config,
            params,
            RNNModel(trainer.model.config, params),
            trainer.step_count,
            last_scores(trainer.history),
            seconds,
        )

    @classmethod
    def from_checkpoint(
        cls, task_name: str, ckpt: Checkpoint, scores: dict[str, float], seconds: float
    ) -> Trained:
        params = _read_only(ckpt.model.params)
        return cls(
            task_name,
            ckpt.train_config,
            params,
            RNNModel(ckpt.model.config, params),
            ckpt.step,
            dict(scores),
            seconds,
            "shipped",
        )

    def session_copy(self, origin: str = "default") -> SessionModel:
        return SessionModel(
            self.task_name, self.model.copy(), self.config, origin, self.steps, dict(self.scores)
        )


def _read_only(params: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Read-only copies of ``params``: a shared default that no session can change."""
    copies = {k: v.copy() for k, v in params.items()}
    for v in copies.values():
        v.setflags(write=False)
    return copies


def last_scores(history: list[dict]) -> dict[str, float]:
    """The latest evaluation's train/test loss and accuracy (nan where never evaluated)."""
    for metrics in reversed(history):
        if "test_loss" in metrics:
            return {k: float(metrics[k]) for k in SCORE_KEYS}
    return dict.fromkeys(SCORE_KEYS, float("nan"))


class DefaultModels:
    """Each task's default model, loaded or trained on first use, then shared (read-only)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._key_locks: dict[tuple, threading.Lock] = {}
        self._done: dict[tuple, Trained] = {}

    def ready(self, task_name: str, seed: int = 0) -> bool:
        return (task_name, seed) in self._done

    def get(
        self, task_name: str, seed: int = 0, progress: Callable[[float], None] | None = None
    ) -> Trained:
        """The default model of a task; loads its shipped file or trains it (reporting 0…1 to
        ``progress``) if needed. Concurrent callers for the same task wait for the first."""
        key = (task_name, seed)
        if key in self._done:
            return self._done[key]
        with self._lock:
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:
            if key not in self._done:
                self._done[key] = _make_default(task_name, seed, progress)
        return self._done[key]


def ships_default(task_name: str, seed: int = 0) -> bool:
    """Whether the repository ships this task's default model (it may still not fit)."""
    return seed == 0 and task_name in SHIPPED and shipped_path(task_name).is_file()


def _make_default(task_name: str, seed: int, progress) -> Trained:
    """The shipped default model if there is one and it fits the task; else trained here."""
    if seed == 0 and task_name in SHIPPED:
        start = time.perf_counter()
        built = task(task_name, seed)
        try:
            ckpt = load_checkpoint(shipped_path(task_name))  # every check of an upload
            scores = check_shipped(ckpt, built)  # and it still fits the task
        except (OSError, ValueError) as e:  # missing, not a valid checkpoint, or a mismatch
            log.warning(
                "default model of task %r: not using the shipped file %s (%s); training it "
                "instead (python -m rnn_core.tasks.defaults --rebuild remakes the file)",
                task_name,
                shipped_path(task_name),
                e,
            )
        else:
            return Trained.from_checkpoint(task_name, ckpt, scores, time.perf_counter() - start)
    return _train_default(task_name, seed, progress)


def _train_default(task_name: str, seed: int, progress) -> Trained:
    built = task(task_name, seed)
    budget = built.default_config.steps

    def report(trainer: Trainer) -> None:
        if progress is not None:
            progress(min(1.0, trainer.step_count / budget))

    start = time.perf_counter()
    trainer = train_to_goal(built, callback=report)
    return Trained.from_trainer(task_name, trainer, time.perf_counter() - start)


@st.cache_resource(show_spinner=False)
def default_models() -> DefaultModels:
    """The process's one store of default models."""
    return DefaultModels()


@dataclass
class SessionModel:
    """A session's own model for one task: free to train, replace or export."""

    task_name: str
    model: RNNModel
    config: TrainConfig
    origin: str  # one of ORIGINS
    steps: int  # training steps behind these weights
    scores: dict[str, float]  # the latest evaluation (SCORE_KEYS)
    version: int = 0  # bump whenever the weights change: derived views re-compute
    derived: dict = field(default_factory=dict)  # cached per version (PCA of training states…)

    def cached(self, name: str, make: Callable[[], object]):
        """``make()`` once per weights version (e.g. the PCA fitted on training states)."""
        key = (name, self.version)
        if key not in self.derived:
            self.derived = {k: v for k, v in self.derived.items() if k[1] == self.version}
            self.derived[key] = make()
        return self.derived[key]


def task_names() -> list[str]:
    return list(TASKS)
