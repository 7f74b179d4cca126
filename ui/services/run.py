"""A session's training run: a Trainer advanced in time slices, with bounded memory.

Pure (no streamlit): the Train page keeps one :class:`TrainingRun` in session state and calls
:meth:`TrainingRun.advance` between redraws. Everything the page draws comes from here:

    run.log        MetricsLog: per-step scalars and evaluations, thinned to a fixed size
    run.snapshots  Snapshots: the probe sentence's hidden states and prediction over training
                   (and, for a language model, a short sample of what it writes: see
                   ui/services/samples.py)
    run.state      "ready" | "running" | "paused" | "done" | "diverged" (derived: see below)

One state machine: ``run.state`` is DERIVED from the trainer's status, the limits and one
flag of the run's own (whether the user wants it running), never stored separately:

    trainer.status == "diverged"                      -> "diverged"
    steps ≥ budget, or the run's time limit is spent  -> "done"
    the user pressed Start (and nothing above holds)  -> "running"
    no step taken and never started                   -> "ready"
    otherwise                                         -> "paused"

So a retune that raises the budget reopens a "done" run, a resume after a divergence leaves
it "paused", and a divergence or the budget stops a "running" one, with nothing to keep in
sync. ``run.reason`` is derived the same way.

Slicing (:func:`slice_seconds`): the browser asks for a frame every redraw period; the page
draws, then trains for what is left of the period. What the user sees while a slice trains is
the frame drawn before it, so Pause comes back to that frame (:meth:`TrainingRun.pause` with
``back_to``, from the bookmarks :meth:`TrainingRun.mark_shown` keeps): the slice's length
decides how much of the wall time trains, not where a Pause lands. A browser busy drawing
asks late: given ``asked`` (has the browser asked for anything yet?), a slice goes on past
its length until the browser's next request is waiting (at most ``limits.slice_seconds``),
so the server trains instead of idling, and a click ends it at the next chunk.

Memory stays bounded however long a session trains: when a log or the snapshot list is full,
every other row is dropped and only every 2nd (4th, 8th…) step is recorded from then on.
"""

from __future__ import annotations

import collections
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np

from rnn_core.model import RNNModel, Trace
from rnn_core.tasks import Task
from rnn_core.train import SCORE_KEYS, TrainConfig, Trainer
from ui.services.fairshare import FairGate, shared_gate
from ui.services.limits import Limits
from ui.services.runtime import note_training
from ui.services.samples import probe_prime, snapshot_sample

STATES = ("ready", "running", "paused", "done", "diverged")
CHUNK_SECONDS = 0.05  # the longest a Pause waits for training to stop
SLICE_MIN = 0.1  # seconds: the shortest slice, however slow the redraw
ROUND_TRIP = 0.05  # seconds: a frame's trip to the browser and the next request's back


def slice_seconds(draw_seconds: float, limits: Limits, period: float | None = None) -> float:
    """How long the live fragment trains after drawing a frame: what is left of the redraw
    ``period`` (default ``limits.redraw_seconds``) after the drawing and a round trip,
    between SLICE_MIN and ``limits.slice_seconds``. Non-finite or negative ``draw_seconds``
    count as 0.

    With the defaults (a frame every 0.5 s, slices of at most 0.4 s) a redraw that takes
    0.05 s leaves a 0.4 s slice. The Train page asks for a frame every
    ``limits.train_redraw_seconds`` (0.25 s) and lets a slice run on until the browser asks
    for the next one (:meth:`TrainingRun.advance` with ``asked``)."""
    draw = float(draw_seconds)
    draw = draw if math.isfinite(draw) and draw > 0 else 0.0
    period = limits.redraw_seconds if period is None else period
    ceiling = max(limits.slice_seconds, SLICE_MIN)
    return min(max(period - draw - ROUND_TRIP, SLICE_MIN), ceiling)


SHOWN_FRAMES = 8  # frames a Pause can come back to (a busy browser lags one or two)


class Thinned:
    """Rows of floats, at most ``capacity``; beyond it every other row goes and the stride
    doubles, so a long run keeps an evenly spaced, bounded record."""

    def __init__(self, columns: tuple[str, ...], capacity: int):
        if capacity < 2:
            raise ValueError("capacity must be at least 2")
        self.columns = columns
        self.capacity = capacity
        self.stride = 1
        self._rows = np.full((capacity, len(columns)), np.nan)
        self._n = 0
        self._seen = 0

    def __len__(self) -> int:
        return self._n

    def add(self, values: list[float]) -> None:
        self._seen += 1
        if (self._seen - 1) % self.stride:
            return
        if self._n == self.capacity:
            kept = self._rows[: self._n : 2].copy()
            self._rows[:] = np.nan
            self._rows[: len(kept)] = kept
            self._n = len(kept)
            self.stride *= 2
            self._seen = 1  # this row starts the new stride
        self._rows[self._n] = values
        self._n += 1

    def column(self, name: str) -> np.ndarray:
        return self._rows[: self._n, self.columns.index(name)].copy()

    def drop_after(self, step: float) -> int:
        """Drop the rows whose first column (the step) is > ``step`` (a rollback); returns
        how many went."""
        keep = int(np.searchsorted(self._rows[: self._n, 0], step, side="right"))
        dropped = self._n - keep
        self._rows[keep : self._n] = np.nan
        self._n = keep
        return dropped

    @property
    def nbytes(self) -> int:
        return self._rows.nbytes


class MetricsLog:
    """The run's metrics, bounded: per step (loss, accuracy, gradient norms, clipping,
    spectral radius and top singular value per layer, per-parameter gradient norms) and per
    evaluation (train/test loss and accuracy). Settings changes are kept as events."""

    def __init__(self, param_names: list[str], layers: int, capacity: int, seq_len: int = 0):
        self.param_names = list(param_names)
        self.layers = layers
        self.seq_len = seq_len
        # ‖∂L/∂h_t‖ of the last layer per step (batch mean), padded with NaN to seq_len
        self.dh = Thinned(("step", *(f"t{i}" for i in range(seq_len))), min(capacity, 1000))
        spectral = tuple(f"rho{i}" for i in range(layers)) + tuple(
            f"sigma{i}" for i in range(layers)
        )
        grads = tuple(f"grad:{n}" for n in self.param_names)
        self.steps = Thinned(
            ("step", "loss", "accuracy", "grad_norm", "clipped", "lr", *spectral, *grads),
            capacity,
        )
        self.evals = Thinned(("step", *SCORE_KEYS), capacity)
        self.events: list[tuple[int, str]] = []  # (step, what changed), the last 50
        self.last: dict | None = None  # the latest step's metrics as the trainer gave them

    def add(self, m: dict) -> None:
        acc = m["accuracy"]
        row = [
            m["step"],
            m["loss"],
            math.nan if acc is None else acc,
            m["grad_norm"],
            float(m["clipped"]),
            m["lr"],
            *m["spectral_radius"],
            *m["max_singular"],
            *(m["param_grad_norms"][n] for n in self.param_names),
        ]
        self.steps.add(row)
        if self.seq_len:
            dh = np.full(self.seq_len, np.nan)
            last = np.asarray(m["dh_norm"][-1])[: self.seq_len]
            dh[: len(last)] = last
            self.dh.add([m["step"], *dh])
        if "test_loss" in m:
            self.evals.add([m["step"], *(m[k] for k in SCORE_KEYS)])
        self.last = m

    def rewind(self, step: int) -> None:
        """Forget the steps and evaluations after ``step``: a divergence returned the model
        there, and the next steps reuse those numbers (the page's reason and an event keep
        what happened)."""
        for rows in (self.steps, self.evals, self.dh):
            rows.drop_after(step)

    def event(self, step: int, text: str) -> None:
        self.events = [*self.events, (step, text)][-50:]

    def latest_eval(self) -> dict[str, float]:
        if not len(self.evals):
            return dict.fromkeys(SCORE_KEYS, math.nan)
        return {k: float(self.evals.column(k)[-1]) for k in SCORE_KEYS}

    def table(self) -> dict[str, np.ndarray]:
        """Every kept step and every kept evaluation, one row per step (in step order), for
        export: step columns are NaN on evaluation-only rows and vice versa (the two logs
        are thinned independently)."""
        step_rows, eval_rows = self.steps.column("step"), self.evals.column("step")
        steps = np.union1d(step_rows, eval_rows)
        out = {"step": steps}
        at_step = np.searchsorted(steps, step_rows)
        for c in self.steps.columns[1:]:
            out[c] = np.full(len(steps), np.nan)
            out[c][at_step] = self.steps.column(c)
        at_eval = np.searchsorted(steps, eval_rows)
        for k in SCORE_KEYS:
            out[k] = np.full(len(steps), np.nan)
            out[k][at_eval] = self.evals.column(k)
        return out

    @property
    def nbytes(self) -> int:
        return self.steps.nbytes + self.evals.nbytes + self.dh.nbytes

    def dh_matrix(self) -> tuple[np.ndarray, np.ndarray]:
        """(steps (S,), norms (S, seq_len)) of the kept ‖∂L/∂h_t‖ rows."""
        if not self.seq_len:
            return np.zeros(0), np.zeros((0, 0))
        cols = [self.dh.column(f"t{i}") for i in range(self.seq_len)]
        return self.dh.column("step"), np.stack(cols, axis=1)


@dataclass
class Snapshot:
    step: int
    hs: list[np.ndarray]  # per layer (T, H) the probe's states
    outputs: np.ndarray  # (T, O) probabilities (classifiers) or values after each step
    sample: str | None = None  # a language model's text after the probe (None: other tasks)


@dataclass
class Snapshots:
    """The probe sequence read by the model every ``every`` steps, at most ``capacity`` kept."""

    capacity: int
    every: int = 10
    items: list[Snapshot] = field(default_factory=list)

    def due(self, step: int) -> bool:
        return step % self.every == 0

    def add(self, step: int, trace: Trace, sample: str | None = None) -> None:
        outputs = trace.probs if trace.probs is not None else trace.outputs
        self.items.append(Snapshot(step, [h.copy() for h in trace.hs], outputs.copy(), sample))
        if len(self.items) > self.capacity:
            self.items = self.items[::2]
            self.every *= 2


@dataclass(frozen=True)
class RunView:
    """What the Train page draws, copied at one moment (see :meth:`TrainingRun.view`)."""

    state: str
    reason: str | None
    steps: int
    budget: int
    rate: float  # steps per second of training time
    config: TrainConfig
    columns: dict[str, np.ndarray]  # step series (thinned for drawing)
    evals: dict[str, np.ndarray]  # evaluation series
    events: list[tuple[int, str]]
    param_names: list[str]
    layers: int
    snapshots: list[Snapshot]
    dh_steps: np.ndarray  # (S,) steps of the kept ‖∂L/∂h_t‖ rows
    dh: np.ndarray  # (S, T) ‖∂L/∂h_t‖ of the last layer, batch mean, NaN past the batch
    # every divergence of this run, oldest first: the trainer's record ("step", "returned_to",
    # "why", "peak_loss", "peak_grad_norm") plus "config", the TrainConfig it diverged with
    divergences: tuple[dict, ...] = ()
    start_step: int = 0  # the step a loaded model started this run at
    prime: str = ""  # the text a language model's samples continue (the probe's known tokens)


class TrainingRun:
    """One run: config, trainer, state, bounded history and probe snapshots.

    A run built from a loaded model (``start_step`` > 0) has its own budget rule: when
    ``start_step`` ≥ ``config.steps`` (a model trained to 2,000/2,000), the config's budget
    becomes ``start_step + config.steps`` so it can go on for the same number of steps again;
    and it is evaluated once at construction, so its train/test scores show right away. Any
    run trains at most ``limits.max_steps`` steps of its own: its budget is
    min(config.steps, start_step + limits.max_steps).
    """

    def __init__(
        self,
        task: Task,
        config: TrainConfig,
        probe: np.ndarray,
        limits: Limits,
        model: RNNModel | None = None,
        optimizer_state: dict | None = None,
        start_step: int = 0,
        gate: FairGate | None = None,
        keep_diverged_steps: bool = False,
        snapshot_every: int = 10,
    ):
        self.task = task
        self.limits = limits
        # on a divergence the model goes back to a sound step; the log forgets the steps
        # after it (a resumed run retakes them) unless the explosion itself is the thing to
        # see and the run is never resumed (the gradient lab's experiments)
        self.keep_diverged_steps = keep_diverged_steps
        # shared by every session of the process: training takes turns in bounded chunks
        self.gate = gate if gate is not None else shared_gate(limits.train_slots)
        self.start_step = int(start_step)
        if self.start_step and self.start_step >= config.steps:
            config = replace(config, steps=self.start_step + config.steps)
        self.trainer = Trainer(config, task.data, model)
        if optimizer_state is not None or start_step:
            self.trainer.restore(optimizer_state, start_step)
        self.probe = np.asarray(probe)
        self.prime = probe_prime(task, self.probe)  # what a language model's samples continue
        params = list(self.trainer.model.params)
        self.log = MetricsLog(
            params,
            self.trainer.model.config.num_layers,
            limits.history_rows,
            seq_len=int(task.data.train.inputs.shape[1]),
        )
        # the probe is traced every ``snapshot_every`` steps (and chunks end there)
        self.snapshots = Snapshots(limits.snapshots, every=max(1, int(snapshot_every)))
        self.divergences: list[dict] = []
        self.seconds = 0.0  # training time of this run (the trainer's steps only)
        self.run_steps = 0  # steps taken by this run (a restored run starts at start_step)
        self.version = 0  # bumps whenever the weights change
        self._step_time = 0.01  # running estimate of one step, to size the chunks
        self._running = False  # the user's wish: Start sets it, Pause and any stop clear it
        self._touched = False  # started or stepped at least once (or loaded): not "ready"
        # (step, trainer bookmark) of the last SHOWN_FRAMES frames the page drew
        self._shown: collections.deque[tuple[int, dict]] = collections.deque(maxlen=SHOWN_FRAMES)
        self.lock = threading.RLock()  # one chunk of training, or one read of the log
        if self.start_step:
            scores = self.trainer.evaluate()
            self.log.evals.add([self.start_step, *(scores[k] for k in SCORE_KEYS)])
            self._touched = True  # a loaded model is "paused": Resume goes on
        self._snap()

    # ----------------------------------------------------------------- state

    @property
    def state(self) -> str:
        """ "ready" | "running" | "paused" | "done" | "diverged", derived (module docstring)."""
        if self.trainer.status == "diverged":
            return "diverged"
        if self.steps >= self.budget or self.seconds >= self.limits.max_seconds:
            return "done"
        if self._running:
            return "running"
        return "paused" if self._touched else "ready"

    @property
    def reason(self) -> str | None:
        state = self.state
        if state == "diverged":
            return self.trainer.reason
        if state == "done":
            if self.steps >= self.budget:
                return f"the step budget of {self.budget:,} steps is spent"
            return f"this server's limit of {self.limits.max_seconds:g} s per run"
        return None

    # ----------------------------------------------------------------- reading

    @property
    def model(self) -> RNNModel:
        return self.trainer.model

    @property
    def config(self) -> TrainConfig:
        return self.trainer.config

    @property
    def steps(self) -> int:
        return self.trainer.step_count

    @property
    def budget(self) -> int:
        """min(config.steps, start_step + limits.max_steps): see the class docstring."""
        return min(self.config.steps, self.start_step + self.limits.max_steps)

    def steps_per_second(self) -> float:
        """Training throughput of this run so far (the trainer's time only)."""
        return self.run_steps / self.seconds if self.seconds > 0 else math.nan

    def view(self, max_points: int = 800) -> RunView:
        """A consistent copy of what the page draws, taken under the lock, with the step
        series thinned to at most ``max_points`` (each point is the last step of its bucket;
        "clipped" is whether any step of the bucket was clipped)."""
        with self.lock:
            n = len(self.log.steps)
            k = max(1, math.ceil(n / max_points))
            pick = np.arange(n)[::-1][::k][::-1]  # always keeps the latest row
            cols = {}
            for c in self.log.steps.columns:
                full = self.log.steps.column(c)
                if c == "clipped" and k > 1:
                    buckets = np.maximum.reduceat(full[::-1], np.arange(0, n, k))[::-1]
                    cols[c] = buckets[-len(pick) :]
                else:
                    cols[c] = full[pick]
            evals = {c: self.log.evals.column(c) for c in self.log.evals.columns}
            dh_steps, dh = self.log.dh_matrix()
            return RunView(
                state=self.state,
                reason=self.reason,
                steps=self.steps,
                budget=self.budget,
                rate=self.steps_per_second(),
                config=self.config,
                columns=cols,
                evals=evals,
                events=list(self.log.events),
                param_names=list(self.log.param_names),
                layers=self.log.layers,
                snapshots=list(self.snapshots.items),
                dh_steps=dh_steps,
                dh=dh,
                divergences=tuple(dict(d) for d in self.divergences),
                start_step=self.start_step,
                prime=self.prime,
            )

    # ----------------------------------------------------------------- control

    def start(self) -> None:
        if self.state in ("ready", "paused"):
            self._running = self._touched = True

    def mark_shown(self) -> None:
        """The page has just drawn the run as it is now: remember this state (a trainer
        bookmark, a few parameter-sized copies) so that a Pause can come back to it. The
        last ``SHOWN_FRAMES`` frames are kept: a busy browser shows a frame or two behind."""
        with self.lock:
            if self.state == "done":
                return  # nothing to pause (see _settle)
            if not self._shown or self._shown[-1][0] != self.steps:
                self._shown.append((self.steps, self.trainer.bookmark()))

    def pause(self, back_to: int | None = None) -> int:
        """Stop training: a slice in progress (another script run) stops at its next chunk.

        With ``back_to`` (the step the browser was showing when Pause was clicked), the run
        also goes back to the latest frame drawn at or before that step (:meth:`mark_shown`;
        the oldest kept if none is): the steps trained since, which the user never saw, are
        undone — the model, the optimizer, the data order and the log — so the step on screen
        at the click and the model's step agree. Training on retakes those steps exactly
        (the trainer's random generator is part of the bookmark). Returns the number of
        steps undone."""
        self._running = False
        if back_to is None:
            return 0
        with self.lock:  # waits for a chunk in progress (at most CHUNK_SECONDS)
            if not self._shown or self.trainer.status != "ok":
                return 0
            seen = [f for f in self._shown if f[0] <= back_to]
            step, mark = seen[-1] if seen else self._shown[0]
            undone = self.steps - step
            if undone <= 0:
                return 0
            self.trainer.rewind(mark)
            self._forget_after(step)
            return undone

    def set_probe(self, probe: np.ndarray) -> None:
        """A new probe sequence: its snapshots start again from the current step (under the
        lock, so a slice training in another script run never snapshots half of it)."""
        with self.lock:
            self.probe = np.asarray(probe)
            self.prime = probe_prime(self.task, self.probe)
            self.snapshots.items.clear()
            self._snap()

    def use_probe(self, probe: np.ndarray) -> bool:
        """The probe the page reads now: when it differs from the run's (another sentence),
        it becomes the run's probe and its snapshots start again (:meth:`set_probe`); the
        same probe changes nothing. Compared and replaced under one hold of the lock, so a
        slice training in another script run sees either probe whole. Returns whether it
        changed."""
        probe = np.asarray(probe)
        with self.lock:
            if probe.shape == self.probe.shape and np.array_equal(probe, self.probe):
                return False
            self.set_probe(probe)
            return True

    def model_copy(self) -> tuple[RNNModel, TrainConfig]:
        """A copy of the model and its config, taken together under the lock: one moment of
        a run that may be training in another script run."""
        with self.lock:
            return self.model.copy(), self.config

    def retune(self, **changes) -> list[str]:
        """Apply live settings from the next step; returns what changed, for the log."""
        with self.lock:
            return self._retune(changes)

    def _retune(self, changes: dict) -> list[str]:
        old = self.config
        changes = {k: v for k, v in changes.items() if getattr(old, k) != v}
        if not changes:
            return []
        self.trainer.retune(**changes)
        said = [f"{k} {getattr(old, k)} → {v}" for k, v in changes.items()]
        self.log.event(self.steps, ", ".join(said))
        return said  # a "done" run whose budget was raised is "paused" again (derived)

    def resume_after_divergence(self) -> None:
        """Continue from the state the divergence returned to (after a fix such as a lower
        learning rate): the run is "paused" again, ready for Resume."""
        with self.lock:
            if self.trainer.status == "diverged":
                self.trainer.resume()
                self._running = False

    def advance(
        self,
        seconds: float,
        max_steps: int | None = None,
        asked: Callable[[], str | None] | None = None,
    ) -> int:
        """Train for about ``seconds`` while the state is "running" (or exactly ``max_steps``
        steps, for Step), in chunks of at most ``CHUNK_SECONDS``; record metrics and
        snapshots. Returns the number of steps taken.

        ``asked`` (a timed advance only) says what the browser has asked for since this
        script run began: "app" (a click: the whole page), "fragment" (the next frame) or
        None. A click ends the slice at the next chunk; past ``seconds`` the slice goes on
        until the next frame is asked for, but never past ``limits.slice_seconds``.

        Streamlit may start a new script run (a click) while a live-update run is still in
        here: each chunk holds ``self.lock``, and a timed advance stops at the next chunk once
        the state is no longer "running" (Pause), so two runs never train at once. Each chunk
        also waits its turn at the process's :class:`~ui.services.fairshare.FairGate`
        (the wait counts against the slice), so many sessions training share the CPU in turn."""
        if self.state not in ("running", "ready", "paused"):
            return 0
        if max_steps is not None:
            self._touched = True
        done, start = 0, time.perf_counter()
        longest = max(seconds, self.limits.slice_seconds) if asked is not None else seconds
        while True:
            if max_steps is None and (
                self.state != "running" or self._slice_over(start, seconds, longest, asked)
            ):
                break  # (checked before queueing at the gate as well as after)
            with self.gate.hold(), self.lock:
                if max_steps is None and self.state != "running":
                    break
                taken, more = self._chunk(longest, max_steps, done, start)
            done += taken
            if not more:
                break
        with self.lock:
            self._settle()
        return done

    @staticmethod
    def _slice_over(start: float, seconds: float, longest: float, asked) -> bool:
        """Whether a timed slice that began at ``start`` should end now (see :meth:`advance`)."""
        spent = time.perf_counter() - start
        if asked is None:
            return spent >= seconds
        wanted = asked()
        if wanted == "app":
            return True  # a click waits for this script run: let it in
        return spent >= longest or (spent >= seconds and wanted is not None)

    def _chunk(self, seconds, max_steps, done, start) -> tuple[int, bool]:
        """One chunk of training: (steps taken, whether the slice goes on)."""
        left_steps = self.budget - self.steps
        if max_steps is not None:
            left_steps = min(left_steps, max_steps - done)
        spent = time.perf_counter() - start
        if left_steps <= 0 or (max_steps is None and spent >= seconds):
            return 0, False
        # A whole chunk even near the slice's end (it may overrun by one chunk): time spent
        # queueing at the gate must not shrink a session's turn, or busy servers starve it.
        chunk = 1 if max_steps is not None else int(min(seconds, CHUNK_SECONDS) / self._step_time)
        # chunks end on snapshot steps, so each snapshot sees exactly its step's weights
        to_snapshot = self.snapshots.every - self.steps % self.snapshots.every
        chunk = max(1, min(chunk, left_steps, to_snapshot))
        t0 = time.perf_counter()
        metrics = self.trainer.step(chunk)
        elapsed = time.perf_counter() - t0
        note_training()  # the janitor leaves the heap alone while sessions train
        self.seconds += elapsed
        if metrics:
            self._step_time = 0.7 * self._step_time + 0.3 * elapsed / len(metrics)
            self.version += 1
        for m in metrics:
            self.log.add(m)
        if self.trainer.status == "diverged":
            self._diverged()  # rewinds the log and the snapshots to the step returned to
        elif metrics and self.snapshots.due(self.steps):
            self._snap()
        self.trainer.history.clear()  # the log keeps a bounded copy
        self.run_steps += len(metrics)
        stopped = self.trainer.status != "ok" or len(metrics) < chunk
        return len(metrics), not stopped and self.seconds < self.limits.max_seconds

    def _diverged(self) -> None:
        """The trainer returned the model to an earlier step: the log and the snapshots
        forget the steps after it (they are retaken), an event and ``divergences`` keep what
        happened."""
        record = {**self.trainer.divergence, "config": self.config}
        self.divergences.append(record)
        back = record["returned_to"]
        self._forget_after(back, keep_log=self.keep_diverged_steps)
        self.log.event(back, f"diverged at step {record['step']}; back to step {back}")

    def _forget_after(self, step: int, keep_log: bool = False) -> None:
        """The model went back to ``step`` (a Pause, a divergence): the frames a Pause could
        return to, the snapshots and (unless ``keep_log``) the log forget the steps after it."""
        while self._shown and self._shown[-1][0] > step:
            self._shown.pop()
        if not keep_log:
            self.log.rewind(step)
        self.snapshots.items = [s for s in self.snapshots.items if s.step <= step]
        if not self.snapshots.items or self.snapshots.items[-1].step != step:
            self._snap()
        self.version += 1

    def _settle(self) -> None:
        """A stopped run (diverged, budget or time spent) no longer wants to run: Resume is
        a new decision. (The state itself is derived.) A finished run lets go of its Pause
        bookmarks (a trainer's state each): there is nothing to pause; a retune that reopens
        it marks new frames as the page draws them."""
        state = self.state
        if state in ("done", "diverged"):
            self._running = False
        if state == "done":
            self._shown.clear()

    def _snap(self) -> None:
        """The probe read by the model as it is now, and (language models) what it writes
        after the probe: a few ms for 60 characters (ui/services/samples.py)."""
        written = snapshot_sample(self.task, self.model, self.prime)
        self.snapshots.add(self.steps, self.model.trace(self.probe), written)

    @property
    def nbytes(self) -> int:
        """Memory held by the history and snapshots (the model and data not counted)."""
        snaps = sum(
            sum(h.nbytes for h in s.hs) + s.outputs.nbytes + len((s.sample or "").encode())
            for s in self.snapshots.items
        )
        return self.log.nbytes + snaps
