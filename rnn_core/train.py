"""A step-able trainer that reports through data.

    trainer = Trainer(TrainConfig(cell="gru", lr=0.01), dataset)
    for m in trainer.step(100):          # advance 100 steps, get their metrics
        ...
    trainer.status, trainer.reason       # "ok", "done" (budget spent) or "diverged"

Nothing here prints or plots: the metrics are plain dicts of numbers and arrays that the UI
draws, a test reads and a notebook plots.
"""

from __future__ import annotations

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
# Settings that may change between steps without resetting the model and optimizer state.
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


def evaluate(model: RNNModel, split, per_step: bool, batch_size: int = 256) -> tuple[float, float]:
    """Mean loss and accuracy (nan for regression) of ``model`` on a SequenceData split."""
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
    "diverged" and a reason; parameters and optimizer state go back to the last finite step,
    and the history is kept.
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
        self._backup = self._snapshot()

    def restore(self, optimizer_state: dict[str, np.ndarray] | None, step: int) -> None:
        """Continue a run saved in a checkpoint: load the optimizer state and the step count.

        (The model is passed to the constructor; the data order starts afresh.)
        """
        if optimizer_state is not None:
            self.optimizer.load_state_dict(optimizer_state)
        self.step_count = int(step)
        self._backup = self._snapshot()  # a divergence now rolls back to the restored state

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
        the last finite step. The history keeps the divergence's record."""
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
            self.optimizer.update(model.params, grads)
            bad = [k for k, p in model.params.items() if not np.isfinite(p).all()]
        if bad:
            return self._diverge(f"parameter {bad[0]} overflowed to inf/NaN after the update")
        self._backup = self._snapshot()
        self.step_count += 1
        dh_mean = [_masked_mean(d, mask) for d in info.dh_norm]
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

    def _diverge(self, why: str) -> None:
        self._restore(self._backup)
        self.status = "diverged"
        self.reason = (
            f"{why} at step {self.step_count + 1}; the model was returned to its last finite "
            f"state (step {self.step_count})"
        )
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
        """Train and test loss/accuracy on fixed subsets (at most ``eval_size`` sequences)."""
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
        }

    def _restore(self, snap: dict) -> None:
        for k, v in snap["params"].items():
            np.copyto(self.model.params[k], v)
        if len(snap["opt"]) > 1:
            self.optimizer.load_state_dict(snap["opt"])
        else:  # diverged on the very first step: the optimizer had no state yet
            self.optimizer = make_optimizer(self.config.optimizer, self.config.lr)


def _masked_mean(dh_norm: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """(B, T) norms -> (T,) mean over the sequences that are real at each step."""
    counts = np.maximum(mask.sum(axis=0), 1)
    return (dh_norm * mask).sum(axis=0) / counts
