"""The models a session works on: built-in tasks, trained defaults, the session's own copies.

Shared between sessions (``st.cache_resource``) are only immutable things: the built-in tasks
(their arrays made read-only) and each task's default model, trained once per server process
by :func:`rnn_core.tasks.train_to_goal` — deterministic, so every session and every restart
gets the same weights — and stored as read-only arrays. A session never touches a shared
array: :meth:`Trained.session_copy` gives it its own :class:`SessionModel`.

The default models are cached in a small locked store rather than ``st.cache_data`` so that
the first user of a slow task (chars ≈ 3 s, words ≈ 11 s) sees a progress bar, and a room of
people opening the app at once trains each default only once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import streamlit as st

from rnn_core.model import RNNModel
from rnn_core.tasks import TASKS, Task, load_task, train_to_goal
from rnn_core.train import SCORE_KEYS, TrainConfig, Trainer

ORIGINS = ("default", "trained here", "uploaded")


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
    seconds: float  # training time when it was made

    @classmethod
    def from_trainer(cls, task_name: str, trainer: Trainer, seconds: float) -> Trained:
        params = {k: v.copy() for k, v in trainer.model.params.items()}
        for v in params.values():
            v.setflags(write=False)
        return cls(
            task_name,
            trainer.config,
            params,
            RNNModel(trainer.model.config, params),
            trainer.step_count,
            last_scores(trainer.history),
            seconds,
        )

    def session_copy(self, origin: str = "default") -> SessionModel:
        return SessionModel(
            self.task_name, self.model.copy(), self.config, origin, self.steps, dict(self.scores)
        )


def last_scores(history: list[dict]) -> dict[str, float]:
    """The latest evaluation's train/test loss and accuracy (nan where never evaluated)."""
    for metrics in reversed(history):
        if "test_loss" in metrics:
            return {k: float(metrics[k]) for k in SCORE_KEYS}
    return dict.fromkeys(SCORE_KEYS, float("nan"))


class DefaultModels:
    """Each task's default model, trained on first use, then shared (read-only)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._key_locks: dict[tuple, threading.Lock] = {}
        self._done: dict[tuple, Trained] = {}

    def ready(self, task_name: str, seed: int = 0) -> bool:
        return (task_name, seed) in self._done

    def get(
        self, task_name: str, seed: int = 0, progress: Callable[[float], None] | None = None
    ) -> Trained:
        """The default model of a task; trains it (reporting 0…1 to ``progress``) if needed.
        Concurrent callers for the same task wait for the one that trains."""
        key = (task_name, seed)
        if key in self._done:
            return self._done[key]
        with self._lock:
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:
            if key not in self._done:
                self._done[key] = _train_default(task_name, seed, progress)
        return self._done[key]


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
