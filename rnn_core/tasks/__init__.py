"""Built-in tasks: what the app trains on and what Explore encodes a typed sentence with.

    from rnn_core.tasks import TASKS, load_task
    task = load_task("sentiment", seed=0)
    trainer = Trainer(task.default_config, task.data)

Every task is built by ``make_<name>(seed=0, **options)`` in its own module and is
deterministic for a seed. Modules are imported on first use, so ``import rnn_core`` stays fast.
A user's own CSV file becomes a task through :func:`rnn_core.tasks.csv_import.import_csv`.
"""

from __future__ import annotations

import importlib

from rnn_core.tasks.base import (
    PAD,
    PAD_ID,
    UNK,
    UNK_ID,
    Encoder,
    Goal,
    Task,
    tokenize,
    train_to_goal,
)

# name -> (module, builder): the order is the order the app lists them in.
TASKS: dict[str, tuple[str, str]] = {
    "sentiment": ("rnn_core.tasks.sentiment", "make_sentiment"),
    "sentiment-tiny": ("rnn_core.tasks.sentiment", "make_sentiment_tiny"),
    "chars": ("rnn_core.tasks.text", "make_chars"),
    "words": ("rnn_core.tasks.text", "make_words"),
    "parity": ("rnn_core.tasks.memory", "make_parity"),
    "adding": ("rnn_core.tasks.memory", "make_adding"),
    "copy": ("rnn_core.tasks.memory", "make_copy"),
    "sine": ("rnn_core.tasks.sine", "make_sine"),
}


def load_task(name: str, seed: int = 0, **options) -> Task:
    """Build the task called ``name`` (one of :data:`TASKS`); options go to its builder."""
    if name not in TASKS:
        raise ValueError(f"unknown task {name!r}; choose one of {', '.join(TASKS)}")
    module, builder = TASKS[name]
    return getattr(importlib.import_module(module), builder)(seed=seed, **options)


__all__ = [
    "PAD",
    "PAD_ID",
    "TASKS",
    "UNK",
    "UNK_ID",
    "Encoder",
    "Goal",
    "Task",
    "load_task",
    "tokenize",
    "train_to_goal",
]
