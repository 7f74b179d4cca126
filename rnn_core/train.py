"""A step-able trainer that reports through data.

    trainer = Trainer(TrainConfig(cell="gru", lr=0.01), dataset)
    for m in trainer.step(100):          # advance 100 steps, get their metrics
        ...
    trainer.status, trainer.reason       # "ok", "done" (budget spent) or "diverged"

Nothing here prints or plots: the metrics are plain dicts of numbers and arrays that the UI
draws, a test reads and a notebook plots.
"""

from __future__ import annotations

import copy
import math
import time
from dataclasses import asdict, dataclass, replace

import numpy as np

from rnn_core.checks import check_count, is_int
from rnn_core.data import Dataset
from rnn_core.init import INITIALISERS, largest_singular_value, spectral_radius
from rnn_core.model import ModelConfig, RNNModel, recurrent_blocks
from rnn_core.optim import (
    OPTIMIZERS,
    clip_by_global_norm,
    clip_by_value,
    make_optimizer,
    param_norms,
)

CLIPS = ("norm", "value", "none")
# A divergence returns the model to its ROLLBACK POINT: the latest state whose loss and
# gradient norm were "in line" with the run so far (see Trainer._in_line), or the start.
IN_LINE_LOSS = 4.0  # loss ≤ this × max(the trainer's first loss, median of the recent losses)
IN_LINE_GRAD = 100.0  # gradient norm ≤ this × the median of the recent gradient norms
IN_LINE_WINDOW = 50  # "recent": the last this many steps (discarded steps included)
# Settings that may change between steps without resetting the model and optimizer state.
SCORE_KEYS = ("train_loss", "train_acc", "test_loss", "test_acc")  # Trainer.evaluate's keys
LIVE_SETTINGS = frozenset({"lr", "clip", "clip_value", "truncate", "batch_size", "steps"})


@dataclass(frozen=True)
class TrainConfig:
    """Everything that defines a training run. Frozen and hashable: a cache key."""

    cell: str = "gru"  # "rnn", "gru" or "lstm"
    activation: str = "tanh"  # vanilla RNN only: "tanh" or "relu"
    hidden_size: int = 32  # units per recurrent layer
    num_layers: int = 1  # 1 or 2
    input_kind: str = "onehot"  # "onehot" or "embedding" for token tasks (dense tasks ignore it)
    embed_size: int = 16  # embedding width, for input_kind "embedding"
    init: str = "xavier"  # recurrent initialiser: xavier, orthogonal, identity, small_random
    spectral_radius: float | None = None  # rescale every recurrent block to this radius
    optimizer: str = "adam"  # sgd, momentum, adam, rmsprop
    lr: float = 0.01  # learning rate
    batch_size: int = 32  # sequences per step
    clip: str = "norm"  # "norm": global-norm clipping; "value": per element (experiment); "none"
    clip_value: float = 5.0  # the norm threshold, or the per-element limit
    truncate: int | None = None  # BPTT truncation: each loss reaches back at most k steps
    steps: int = 1000  # step budget of the run
    eval_every: int = 50  # evaluate train and test loss/accuracy every this many steps
    eval_size: int = 512  # at most this many sequences per evaluation (a fixed subset)
    spectrum_every: int = 10  # recompute W_hh's spectral radius / top singular value this often
    seed: int = 0  # one seed for initialisation and data order
    dtype: str = "float32"  # parameter dtype: float32 (fast) or float64 (reference)

    def __post_init__(self):
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {OPTIMIZERS}; got {self.optimizer!r}")
        if self.init not in INITIALISERS:
            raise ValueError(f"init must be one of {INITIALISERS}; got {self.init!r}")
        if self.clip not in CLIPS:
            raise ValueError(f"clip must be one of {CLIPS}; got {self.clip!r}")
        if not (math.isfinite(self.lr) and self.lr > 0):
            raise ValueError(f"lr must be a positive number; got {self.lr}")
        if not (math.isfinite(self.clip_value) and self.clip_value > 0):
            raise ValueError(f"clip_value must be a positive number; got {self.clip_value}")
        for name in (
            "hidden_size",
            "num_layers",
            "embed_size",
            "batch_size",
            "eval_every",
            "eval_size",
            "spectrum_every",
        ):
            check_count(name, getattr(self, name))
        if not is_int(self.seed) or self.seed < 0:
            raise ValueError(f"seed must be a whole number >= 0; got {self.seed!r}")
        if not is_int(self.steps) or self.steps < 0:
            raise ValueError(f"steps must be a whole number >= 0; got {self.steps!r}")
        if self.truncate is not None and (not is_int(self.truncate) or self.truncate < 0):
            raise ValueError(f"truncate must be None or a whole number >= 0; got {self.truncate!r}")
        if self.dtype not in ("float32", "float64"):
            raise ValueError(f"dtype must be float32 or float64; got {self.dtype!r}")
        if self.spectral_radius is not None and not self.spectral_radius > 0:
            raise ValueError(f"spectral_radius must be positive; got {self.spectral_radius}")

    def model_config(self, data: Dataset) -> ModelConfig:
        return ModelConfig(
            cell=self.cell,
            activation=self.activation,
            hidden_size=self.hidden_size,
            num_layers=self.num_layers,
            input_kind="dense" if data.dense else self.input_kind,
            input_size=data.input_size,
            embed_size=self.embed_size,
            output_size=data.output_size,
            output=data.output,
            loss=data.loss,
        )

    def to_dict(self) -> dict:
        return asdict(self)


EVAL_OUTPUTS = 1 << 21  # most output values (rows × steps × classes) one evaluation batch holds


def evaluate(model: RNNModel, split, per_step: bool, batch_size: int = 256) -> tuple[float, float]:
    """Mean loss and accuracy (nan for regression) of ``model`` on a SequenceData split.

    Batches of at most ``batch_size`` sequences, fewer where the outputs are large: a batch's
    outputs (logits, probabilities, their gradient) stay under ``EVAL_OUTPUTS`` values each
    (8 MiB in float32), so a word-level language model (2,000 classes at each of 32 steps)
    evaluates 32 sequences at a time instead of 256, in 50 MiB instead of 450 MiB."""
    per_row = model.config.output_size * (split.inputs.shape[1] if per_step else 1)
    batch_size = max(1, min(batch_size, EVAL_OUTPUTS // max(per_row, 1)))
    total_loss = total_hits = total_n = 0.0
    for start in range(0, len(split), batch_size):
        idx = np.arange(start, min(start + batch_size, len(split)))
        inputs, targets, mask = split.batch(idx, per_step)
        loss, _, acc, n = model.loss(model.forward(inputs, mask), targets)
        total_loss += loss * n
        total_hits += (math.nan if acc is None else acc) * n
        total_n += n
    n = max(total_n, 1.0)
    return total_loss / n, total_hits / n


class Trainer:
    """Trains an :class:`RNNModel` on a :class:`Dataset`, one step at a time.

    Deterministic for a seed: the same config and data give the same metrics, bit for bit.
    When the loss, a gradient or a parameter becomes NaN/inf, it stops with status
    "diverged" and a reason; parameters, optimizer state and the step count go back to the
    ROLLBACK POINT, and the history (every step taken, the discarded ones too) is kept.

    The rollback point is the latest state that can go on, not merely the last finite one: a
    blow-up usually takes a step or two of huge but finite values (a loss of 1e16) before the
    NaN, and the states in between cannot be rescued by any setting. The state after step j
    becomes the rollback point when step j+1, which measures the loss and gradient AT that
    state, finds them IN LINE with the run so far (:meth:`_in_line`):

    - the loss is finite and ≤ ``IN_LINE_LOSS`` (4) × max(the first loss this trainer
      measured, the median loss of the last ``IN_LINE_WINDOW`` (50) steps), and
    - the gradient norm (before clipping) is finite and ≤ ``IN_LINE_GRAD`` (100) × the median
      gradient norm of the last 50 steps (any norm passes on the first step).

    The start (a new model, or the state given to :meth:`restore`) is always a rollback point.
    ``divergence`` describes the last divergence: ``{"step": the step that failed,
    "returned_to": the step returned to, "why": …, "peak_loss", "peak_grad_norm": the largest
    finite values of the discarded steps}``. The data order is not rewound.
    """

    def __init__(self, config: TrainConfig, data: Dataset, model: RNNModel | None = None):
        self.config = config
        self.data = data
        self.rng = np.random.default_rng(config.seed)
        if model is None:
            model = RNNModel.create(
                config.model_config(data),
                self.rng,
                config.init,
                config.spectral_radius,
                config.dtype,
            )
        elif model.config != config.model_config(data):
            raise ValueError("the model's shape does not fit this config and dataset")
        self.model = model
        self.optimizer = make_optimizer(config.optimizer, config.lr)
        self.step_count = 0
        self.epoch = 0
        self.status = "ok"
        self.reason: str | None = None
        self.history: list[dict] = []
        self._order = self.rng.permutation(len(data.train))
        self._pos = 0
        eval_rng = np.random.default_rng([config.seed, 1])  # evaluation subsets: fixed per seed
        self._eval_idx = {
            name: np.sort(eval_rng.permutation(len(split))[: config.eval_size])
            for name, split in (("train", data.train), ("test", data.test))
        }
        self._spectrum: dict[str, list[float]] = {}
        self.divergence: dict | None = None
        self._first_loss: float | None = None
        self._recent = np.full((IN_LINE_WINDOW, 2), np.nan)  # (loss, grad norm) ring buffer
        self._n_recent = 0
        self._peak = [math.nan, math.nan]  # largest (loss, norm) out of line since the point
        self._n_at_point = 0  # measurements remembered up to the rollback point
        self._rollback = self._candidate = self._snapshot()

    def restore(self, optimizer_state: dict[str, np.ndarray] | None, step: int) -> None:
        """Continue a run saved in a checkpoint: load the optimizer state and the step count.

        (The model is passed to the constructor; the data order starts afresh.)
        """
        if optimizer_state is not None:
            self.optimizer.load_state_dict(optimizer_state)
        self.step_count = int(step)
        # a divergence now rolls back to (at worst) the restored state
        self._rollback = self._candidate = self._snapshot()

    def bookmark(self) -> dict:
        """Everything that decides the steps to come, copied: the parameters, the optimizer
        state, the step count, the data order and the random generator, the rollback point.
        :meth:`rewind` to it and the trainer goes on exactly as it would have from here.

        A bookmark is as small as that allows (a Pause keeps several): the rollback
        snapshots are kept by reference (they are replaced, never changed in place), and so
        is the snapshot of the current state every step takes, when the parameters still
        are what it holds; otherwise the parameters and the optimizer's own state
        (:meth:`Optimizer.state_dict`, not its scratch buffers) are copied."""
        kept = {k: v for k, v in vars(self).items() if k not in _NOT_BOOKMARKED}
        mark = copy.deepcopy({k: v for k, v in kept.items() if k not in _SHARED})
        mark.update({k: kept[k] for k in _SHARED})
        now = self._candidate
        params = self.model.params
        if now["step"] == self.step_count and all(
            np.array_equal(now["params"][k], v) for k, v in params.items()
        ):
            mark["params"], mark["optimizer"] = now["params"], now["opt"]
        else:
            mark["params"] = {k: v.copy() for k, v in params.items()}
            mark["optimizer"] = self.optimizer.state_dict()
        return mark

    def rewind(self, mark: dict) -> None:
        """Go back to a :meth:`bookmark` taken earlier by this trainer (the history of the
        steps since stays; the caller decides what to forget). The settings stay the current
        ones: a retune after the bookmark is the user's choice, not part of the path."""
        config = self.config
        self._restore({"params": mark["params"], "opt": mark["optimizer"]})
        rest = {k: v for k, v in mark.items() if k not in ("params", "optimizer", *_SHARED)}
        for k, v in copy.deepcopy(rest).items():
            setattr(self, k, v)
        for k in _SHARED:
            setattr(self, k, mark[k])
        self.config = config
        self.optimizer.lr = config.lr

    # --------------------------------------------------------------------- settings

    def retune(self, **changes) -> None:
        """Change live settings (lr, clipping, truncation, batch size, budget) from the next
        step on; the model and optimizer state are kept. Architecture changes need a new
        Trainer."""
        frozen = set(changes) - LIVE_SETTINGS
        if frozen:
            raise ValueError(f"{sorted(frozen)} change the model: start a new run instead")
        self.config = replace(self.config, **changes)
        self.optimizer.lr = self.config.lr
        if self.status == "done" and self.step_count < self.config.steps:
            self.status = "ok"

    def resume(self) -> None:
        """Continue after a divergence (typically after :meth:`retune` lowered the learning
        rate or turned clipping on): the parameters and optimizer state are already those of
        the rollback point (see the class docstring). The history keeps the divergence's
        record."""
        if self.status == "diverged":
            self.status, self.reason = "ok", None

    # --------------------------------------------------------------------- stepping

    def step(self, n: int = 1) -> list[dict]:
        """Advance up to ``n`` steps; return the metrics of the steps taken.

        Stops early when the budget is spent (status "done") or on divergence ("diverged").
        """
        out = []
        for _ in range(n):
            if self.status != "ok":
                break
            if self.step_count >= self.config.steps:
                self.status, self.reason = "done", f"step budget of {self.config.steps} reached"
                break
            metrics = self._one_step()
            if metrics is not None:
                out.append(metrics)
        return out

    def _next_batch(self) -> np.ndarray:
        cfg, n = self.config, len(self.data.train)
        size = min(cfg.batch_size, n)
        if self._pos + size > n:  # start a new epoch with a fresh order
            self._order = self.rng.permutation(n)
            self._pos = 0
            self.epoch += 1
        idx = self._order[self._pos : self._pos + size]
        self._pos += size
        return idx

    def _one_step(self) -> dict | None:
        cfg, model = self.config, self.model
        t0 = time.perf_counter()
        per_step = self.data.output == "many_to_many"
        inputs, targets, mask = self.data.train.batch(self._next_batch(), per_step)
        with np.errstate(all="ignore"):  # non-finite values are detected below, not warned
            loss, grads, info = model.loss_and_grads(inputs, targets, mask, truncate=cfg.truncate)
            norms = param_norms(grads)  # once: reported, and the global norm derives from it
            norm, clipped = math.sqrt(sum(v * v for v in norms.values())), False
            if cfg.clip == "norm":
                _, clipped = clip_by_global_norm(grads, cfg.clip_value, norm)
            elif cfg.clip == "value":
                _, clipped = clip_by_value(grads, cfg.clip_value, norm)
            if not (math.isfinite(loss) and math.isfinite(norm)):
                what = "loss" if not math.isfinite(loss) else "gradient norm"
                return self._diverge(f"the {what} became {loss if what == 'loss' else norm}")
            in_line = self._in_line(loss, norm)
            if not in_line:  # the largest values measured since the rollback point
                self._peak = [
                    float(np.fmax(p, v)) for p, v in zip(self._peak, (loss, norm), strict=True)
                ]
            self._remember(loss, norm)
            if in_line:  # the state this step starts from can go on
                self._rollback, self._n_at_point = self._candidate, self._n_recent
                self._peak = [math.nan, math.nan]
            self.optimizer.update(model.params, grads)
            bad = [k for k, p in model.params.items() if not np.isfinite(p).all()]
        if bad:
            return self._diverge(f"parameter {bad[0]} overflowed to inf/NaN after the update")
        self.step_count += 1
        self._candidate = self._snapshot()
        dh_mean = [masked_step_mean(d, mask) for d in info.dh_norm]
        metrics = {
            "step": self.step_count,
            "epoch": self.epoch,
            "loss": loss,
            "accuracy": info.accuracy,
            "grad_norm": norm,
            "clipped": bool(clipped),
            "param_grad_norms": norms,
            "dh_norm": dh_mean,  # per layer: (T,) mean ‖∂L/∂h_t‖ over the batch's real rows
            "lr": cfg.lr,
            **self._spectrum_metrics(),
            "seconds": time.perf_counter() - t0,
        }
        if self.step_count % cfg.eval_every == 0 or self.step_count == cfg.steps:
            metrics.update(self.evaluate())
        self.history.append(metrics)
        return metrics

    def _in_line(self, loss: float, norm: float) -> bool:
        """Whether a (finite) loss and gradient norm measured at the current state are in line
        with the run so far: loss ≤ IN_LINE_LOSS × max(first loss, recent median loss) and
        norm ≤ IN_LINE_GRAD × recent median norm (see the class docstring)."""
        if self._first_loss is None:
            return True  # the first measurement defines the scale
        median_loss, median_norm = np.median(self._recent[: min(self._n_recent, IN_LINE_WINDOW)], 0)
        return (
            loss <= IN_LINE_LOSS * max(self._first_loss, median_loss)
            and norm <= IN_LINE_GRAD * median_norm
        )

    def _remember(self, loss: float, norm: float) -> None:
        if self._first_loss is None:
            self._first_loss = float(loss)
        self._recent[self._n_recent % IN_LINE_WINDOW] = (loss, norm)
        self._n_recent += 1

    def _diverge(self, why: str) -> None:
        failed = self.step_count + 1
        target = self._rollback
        self._restore(target)
        self.step_count = target["step"]
        self._candidate = target
        self._n_recent = self._n_at_point  # forget the blown-up measurements
        self.status = "diverged"
        self.divergence = {
            "step": failed,
            "returned_to": self.step_count,
            "why": why,
            "peak_loss": self._peak[0],
            "peak_grad_norm": self._peak[1],
        }
        self.reason = f"{why} at step {failed}; the model was returned to step {self.step_count}"
        if self.step_count < failed - 1:
            skipped = failed - 1 - self.step_count
            self.reason += (
                ", the last state whose loss and gradient norm were in line with the run (the "
                f"{skipped} step{'s' if skipped > 1 else ''} after it had already blown up"
            )
            if math.isfinite(self._peak[0]):
                self.reason += f": loss up to {self._peak[0]:.3g}"
            self.reason += ")"
        else:
            self.reason += ", its last state"
        self._peak = [math.nan, math.nan]
        return None

    def _spectrum_metrics(self) -> dict:
        """Spectral radius and top singular value of every layer's recurrent matrices (the max
        over gate blocks for gated cells), refreshed every ``spectrum_every`` steps."""
        cfg = self.config
        if not self._spectrum or self.step_count % cfg.spectrum_every == 0:
            radius, sigma = [], []
            for layer in range(self.model.config.num_layers):
                blocks = recurrent_blocks(self.model.params, self.model.config.cell, layer)
                radius.append(max(spectral_radius(b) for b in blocks.values()))
                sigma.append(max(largest_singular_value(b) for b in blocks.values()))
            self._spectrum = {"spectral_radius": radius, "max_singular": sigma}
        return {k: list(v) for k, v in self._spectrum.items()}

    def evaluate(self) -> dict:
        """Train and test loss/accuracy on fixed subsets (at most ``eval_size`` sequences),
        keyed as :data:`SCORE_KEYS`."""
        per_step = self.data.output == "many_to_many"
        out = {}
        for name, split in (("train", self.data.train), ("test", self.data.test)):
            loss, acc = evaluate(self.model, split.subset(self._eval_idx[name]), per_step)
            out[f"{name}_loss"], out[f"{name}_acc"] = loss, acc
        return out

    # --------------------------------------------------------------------- state

    def _snapshot(self) -> dict:
        return {
            "params": {k: v.copy() for k, v in self.model.params.items()},
            "opt": self.optimizer.state_dict(),  # already a copy
            "step": self.step_count,
        }

    def _restore(self, snap: dict) -> None:
        """Parameters and the WHOLE optimizer state (buffers and step count) as in ``snap``.

        The state is loaded into a fresh optimizer, so a snapshot taken before the optimizer's
        first update (no buffers yet, only its step count: SGD's state is always just that)
        replaces buffers made since instead of being refused."""
        for k, v in snap["params"].items():
            np.copyto(self.model.params[k], v)
        optimizer = make_optimizer(self.config.optimizer, self.config.lr)
        optimizer.load_state_dict(snap["opt"])
        self.optimizer = optimizer


# shared, immutable or reported rather than state: never copied into a bookmark
_NOT_BOOKMARKED = frozenset({"data", "model", "history", "_eval_idx", "optimizer"})
# snapshots that are replaced, never changed in place: a bookmark keeps them by reference
_SHARED = ("_rollback", "_candidate")


def masked_step_mean(values, mask=None) -> np.ndarray:
    """(B, T) values -> (T,) their mean at each step over the sequences that are real there
    (mask (B, T); None: every entry is real). A step no sequence reaches is 0, and padded
    entries never count, even non-finite ones. The trainer's ``metrics["dh_norm"]`` and
    :func:`rnn_core.lab.dh_profile` are this mean of the per-sequence ‖∂L/∂h_t‖."""
    values = np.asarray(values)
    real = np.ones(values.shape, bool) if mask is None else np.asarray(mask, bool)
    counts = np.maximum(real.sum(axis=0), 1)
    return np.where(real, values, 0.0).sum(axis=0) / counts
