"""The Dynamics lab's memory numbers: the gates experiment's three models trained once, with
weight snapshots along the way, and what each remembers.

Pure (no streamlit, no plotly). ``ui/glue/dynamics_memory.py`` keeps one :class:`GatesTrio`
per server (a :class:`TrioStore`, like the default models' store) and draws it.

- :func:`train_trio` trains the gradient lab's "gates" runs (``EXPERIMENTS["gates"]``: tanh
  RNN, GRU, LSTM on the adding task at lag 50, same seed, same data) for ``steps`` steps and
  keeps a read-only copy of the weights every ``every`` steps (step 0 included). The runs
  evaluate only at their last step: the trainer's evaluation draws from a generator of its
  own, so the weights are those the lab's runs reach at the same step, bit for bit.
- :func:`measure_memory` scores a model at each lag of :data:`LAGS` (MSE on fresh adding
  data, ``rnn_core.dynamics_grads.memory_curve``) and measures its gradient horizon on
  sequences of :data:`GRADIENT_LAG` + :data:`WINDOW` steps (``gradient_horizon``: where
  ‖∂L/∂h_{T−k}‖ falls below 10⁻³ of its value at the output). A copy model's gradient is
  followed back from its first recall step (:func:`copy_gradient_horizon`).
- :func:`tau_history` gives each gated model's time constants τ = −1/ln k̄ per unit at every
  snapshot (``gate_time_constants``: LSTM forget gate, GRU update gate as "keep"), and
  :func:`tau_counts` bins them (:data:`TAU_EDGES`).

Measured on the 2-core machine (benchmarks/memory_lab.py): training the three for 500 steps
with 11 snapshots takes ≈ 3.2 s, the measurements ≈ 0.6 s more.
"""

from __future__ import annotations

import inspect
import itertools
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from rnn_core.dynamics_grads import (
    GradientHorizon,
    MemoryCurve,
    gate_time_constants,
    gradient_horizon,
    memory_curve,
    rnnbow_split,
)
from rnn_core.model import RNNModel
from rnn_core.tasks import Task, load_task
from rnn_core.tasks.memory import adding_data, copy_data, make_adding
from rnn_core.train import Trainer
from ui.services.experiments import EXPERIMENTS
from ui.services.settings import Setting

EXPERIMENT = "gates"
TASK = EXPERIMENTS[EXPERIMENT].task  # "adding"
NAMES = tuple(EXPERIMENTS[EXPERIMENT].runs)  # ("tanh RNN", "GRU", "LSTM")
GATED = tuple(n for n in NAMES if EXPERIMENTS[EXPERIMENT].runs[n].cell in ("gru", "lstm"))
STEPS = EXPERIMENTS[EXPERIMENT].steps  # 500, as the lab trains them
TRAIN_LAG = inspect.signature(make_adding).parameters["lag"].default  # 50: the task's lag
SNAPSHOT_EVERY = 50  # 11 snapshots over 500 steps: enough to see the gates open

# The lags scored (steps the first number is held at least). Dense where the tanh RNN gives
# up, on to three times the training lag (50), where the gated models give up too.
LAGS = (1, 2, 3, 5, 7, 10, 15, 20, 25, 30, 40, 50, 60, 70, 80, 100, 120, 150)
COPY_LAGS = (0, 1, 2, 3, 5, 7, 10, 15, 20, 30, 40, 50)
SCORE_N = 500  # adding sequences per lag (MSE to about ±10 %)
COPY_SCORE_N = 200  # copy sequences per lag: 1000 recall steps, accuracy to about ±1.5 %
GRADIENT_LAG = 150  # the gradient is followed back through 160-step sequences …
WINDOW = 10  # … (the adding task's window: the first mark in the first 10 steps)
GRADIENT_N = 64  # sequences averaged for ‖∂L/∂h_t‖
COPY_GRADIENT_N = 16  # copy sequences (one backward of two rows each)
LEVEL = 1e-3  # the gradient horizon's level, relative to the output
TAU_N = 256  # test sequences whose gates give the mean keep value
MEAN_MSE = 1 / 6  # adding: always answering the mean sum, 1.0 (Var of the sum of two U[0,1])
RECENT_MSE = 1 / 12  # adding: the recent number plus the first one's mean, 0.5
GOAL_MSE = 0.01  # adding: solved (the task's goal, memory_curve's threshold)
GOAL_RECALL = 0.95  # copy: solved
# τ bins (steps): the first holds τ < 1 (a unit that forgets within a step), the last ≥ 100.
TAU_EDGES = (0.0, 1.0, 1.5, 2.0, 3.0, 5.0, 7.0, 10.0, 15.0, 20.0, 30.0, 50.0, 100.0, math.inf)


# ----------------------------------------------------------------------------- the trained trio


@dataclass(frozen=True, eq=False)
class Snapshot:
    step: int
    params: dict[str, np.ndarray]  # read-only copies


@dataclass(frozen=True, eq=False)
class TrainedRun:
    """One of the three: its config, the weights at every snapshot, its last test MSE."""

    name: str
    cell: str
    model_config: object  # rnn_core.model.ModelConfig
    snapshots: tuple[Snapshot, ...]
    test_mse: float

    def model_at(self, i: int = -1) -> RNNModel:
        """The model at snapshot ``i`` (default the last): read-only weights, for reading."""
        return RNNModel(self.model_config, self.snapshots[i].params)

    @property
    def steps(self) -> np.ndarray:
        return np.array([s.step for s in self.snapshots])


def _read_only(params: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    out = {k: v.copy() for k, v in params.items()}
    for v in out.values():
        v.setflags(write=False)
    return out


def train_trio(
    task: Task | None = None,
    steps: int = STEPS,
    every: int = SNAPSHOT_EVERY,
    progress: Callable[[float], None] | None = None,
) -> dict[str, TrainedRun]:
    """The gates experiment's runs trained for ``steps`` steps each, snapshots every ``every``
    steps (and at step 0 and the last). ``progress`` gets the fraction done, 0 … 1."""
    if task is None:
        task = load_task(TASK)
    if steps < 1 or every < 1:
        raise ValueError(f"steps and every must be at least 1; got {steps}, {every}")
    runs = {}
    for k, (name, cfg) in enumerate(EXPERIMENTS[EXPERIMENT].runs.items()):
        trainer = Trainer(replace(cfg, steps=steps, eval_every=steps), task.data)
        snaps = [Snapshot(0, _read_only(trainer.model.params))]
        while trainer.step_count < steps and trainer.status == "ok":
            trainer.step(min(every, steps - trainer.step_count))
            snaps.append(Snapshot(trainer.step_count, _read_only(trainer.model.params)))
            if progress is not None:
                progress((k + trainer.step_count / steps) / len(NAMES))
        last = next((m for m in reversed(trainer.history) if "test_loss" in m), {})
        runs[name] = TrainedRun(
            name,
            cfg.cell,
            trainer.model.config,
            tuple(snaps),
            float(last.get("test_loss", math.nan)),
        )
    return runs


# ----------------------------------------------------------------------------- measurements


@dataclass(frozen=True, eq=False)
class MemoryMeasure:
    """What one model remembers: its score against the lag and how far back its gradient
    reaches (``gradient.ratios[k]``: ‖∂L/∂h‖ k steps before the output, over its value at the
    output; for copy, k steps before the first recall step)."""

    name: str
    curve: MemoryCurve
    gradient: GradientHorizon


def adding_gradient_data(seed: int = 0):
    """The sequences the adding gradient horizon is measured on: GRADIENT_N sequences of
    GRADIENT_LAG + WINDOW steps (inputs (N, T, 2), targets (N, 1))."""
    rng = np.random.default_rng([seed, GRADIENT_LAG, 1])
    return adding_data(rng, GRADIENT_N, GRADIENT_LAG, WINDOW)


def _horizon_of(norms: np.ndarray, level: float) -> GradientHorizon:
    """rnn_core's GradientHorizon rule on norms already ordered steps-back-first."""
    if not norms[0] > 0:
        return GradientHorizon(norms, np.full(norms.size, math.nan), level, -1, None)
    ratios = norms / norms[0]
    below = np.flatnonzero(~(ratios >= level))
    if below.size == 0:
        return GradientHorizon(norms, ratios, level, norms.size - 1, None)
    return GradientHorizon(norms, ratios, level, int(below[0]) - 1, int(below[0]))


def copy_gradient_horizon(
    model: RNNModel, lag: int, length: int = 5, n: int = COPY_GRADIENT_N, seed: int = 0
) -> GradientHorizon:
    """A copy model's gradient followed back from its first recall step s = length + lag + 1
    (the step that writes the first symbol, read at step 0): the mean over ``n`` sequences of
    ‖∂L_s/∂h_{s−k}‖ (that step's loss alone, ``rnnbow_split``), k = 0 … s; the horizon by the
    same rule as ``gradient_horizon``."""
    n_symbols = model.config.input_size - 4
    d = copy_data(np.random.default_rng([seed, lag, 1]), n, length, lag, n_symbols)
    s = length + lag + 1
    norms = np.zeros(s + 1)
    for tokens, targets in zip(d.inputs, d.targets, strict=True):
        norms += rnnbow_split(model, tokens, targets, sources=[s]).norms[0, s::-1]
    return _horizon_of(norms / n, LEVEL)


def measure_memory(name: str, model: RNNModel, task: str = TASK, seed: int = 0) -> MemoryMeasure:
    """``model``'s memory curve on ``task`` ("adding": MSE at :data:`LAGS`; "copy": recall
    accuracy at :data:`COPY_LAGS`) and its gradient horizon (level :data:`LEVEL`)."""
    if task == "adding":
        curve = memory_curve(model, "adding", LAGS, n=SCORE_N, seed=seed, threshold=GOAL_MSE)
        d = adding_gradient_data(seed)
        grad = gradient_horizon(model, d.inputs, d.targets, level=LEVEL)
    elif task == "copy":
        curve = memory_curve(
            model, "copy", COPY_LAGS, n=COPY_SCORE_N, seed=seed, threshold=GOAL_RECALL
        )
        grad = copy_gradient_horizon(model, max(COPY_LAGS), seed=seed)
    else:
        raise ValueError(f"memory is measured on adding or copy; got {task!r}")
    return MemoryMeasure(name, curve, grad)


@dataclass(frozen=True, eq=False)
class TauHistory:
    """One gated model's time constants over training: gate ("f" or "z"), steps (S,) of the
    snapshots, taus (S, H) τ per unit at each, in steps."""

    name: str
    gate: str
    steps: np.ndarray
    taus: np.ndarray


def tau_history(run: TrainedRun, inputs) -> TauHistory:
    """τ per unit at each snapshot of a gated run, on ``inputs`` (N, T, 2) (all steps real)."""
    taus, gate = [], ""
    for i in range(len(run.snapshots)):
        g = gate_time_constants(run.model_at(i), inputs)
        taus.append(g.tau)
        gate = g.gate
    return TauHistory(run.name, gate, run.steps, np.array(taus))


def tau_counts(taus) -> np.ndarray:
    """How many units fall in each :data:`TAU_EDGES` bin: (..., H) τ → (..., bins) counts
    (NaN τ counted nowhere; τ = inf in the last bin)."""
    t = np.asarray(taus, np.float64)
    edges = np.asarray(TAU_EDGES)
    idx = np.searchsorted(edges, t, side="right") - 1  # bin i holds edges[i] ≤ τ < edges[i+1]
    idx = np.where(np.isinf(t), edges.size - 2, idx)
    bins = edges.size - 1
    ok = np.isfinite(t) | np.isinf(t)
    flat_idx = np.where(ok, idx, bins).reshape(-1, t.shape[-1])
    counts = np.stack([np.bincount(r, minlength=bins + 1)[:bins] for r in flat_idx])
    return counts.reshape(*t.shape[:-1], bins)


def tau_labels() -> list[str]:
    """The bins' names, as the axis shows them ("< 1", "1–1.5", …, "≥ 100")."""
    e = TAU_EDGES
    out = [f"< {e[1]:g}"]
    out += [f"{a:g}–{b:g}" for a, b in itertools.pairwise(e[1:-1])]
    return [*out, f"≥ {e[-2]:g}"]


# ----------------------------------------------------------------------------- once per server


@dataclass(frozen=True, eq=False)
class GatesTrio:
    """Everything the memory section draws for the three models."""

    runs: dict[str, TrainedRun]
    measures: dict[str, MemoryMeasure]  # of each final model
    taus: dict[str, TauHistory]  # the gated ones
    seconds: float  # training
    measure_seconds: float


TRAIN_SHARE = 0.85  # of the progress bar: training; the rest, the measurements (≈ 1/5 the time)


def build_trio(
    steps: int = STEPS,
    every: int = SNAPSHOT_EVERY,
    progress: Callable[[float], None] | None = None,
    task: Task | None = None,
) -> GatesTrio:
    """Train the three (:func:`train_trio`), then measure each (:func:`measure_memory`, τ
    over training on the task's first :data:`TAU_N` test sequences)."""
    task = load_task(TASK) if task is None else task
    report = progress if progress is not None else (lambda f: None)
    start = time.perf_counter()
    runs = train_trio(task, steps, every, lambda f: report(TRAIN_SHARE * f))
    trained = time.perf_counter() - start
    measures = {}
    for k, (n, r) in enumerate(runs.items()):
        measures[n] = measure_memory(n, r.model_at())
        report(TRAIN_SHARE + (1 - TRAIN_SHARE) * (k + 1) / len(runs))
    inputs = task.data.test.inputs[:TAU_N]
    taus = {n: tau_history(runs[n], inputs) for n in GATED}
    return GatesTrio(runs, measures, taus, trained, time.perf_counter() - start - trained)


class TrioStore:
    """One :class:`GatesTrio` per (steps, every), made on first use; concurrent callers for
    the same key wait for the first (a room opening the page trains it once)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._key_locks: dict[tuple, threading.Lock] = {}
        self._done: dict[tuple, GatesTrio] = {}

    def ready(self, steps: int = STEPS, every: int = SNAPSHOT_EVERY) -> bool:
        return (steps, every) in self._done

    def get(
        self,
        steps: int = STEPS,
        every: int = SNAPSHOT_EVERY,
        progress: Callable[[float], None] | None = None,
    ) -> GatesTrio:
        key = (steps, every)
        if key in self._done:
            return self._done[key]
        with self._lock:
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:
            if key not in self._done:
                self._done[key] = build_trio(steps, every, progress)
        return self._done[key]


# ----------------------------------------------------------------------------- the control

MEMORY_SETTINGS: tuple[Setting, ...] = (
    Setting("mem_tau", "tau_model", "Time constants of", "segmented", GATED,
            help="The gated models: the LSTM's forget gate, the GRU's update gate."),
)  # fmt: skip
MEMORY_BY_KEY = {s.key: s for s in MEMORY_SETTINGS}
DEFAULT_TAU_MODEL = "GRU"  # its update gates open furthest: τ up to ≈ 30 steps after 500
