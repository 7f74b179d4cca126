"""Why a run went wrong, in plain words, and what to change: pure (no streamlit).

    d = diagnose(run.view(), task)      # a Diagnosis, or None when the run is healthy
    d.headline                          # "Training diverged: …" / "Training blew up: …"
    for cause in d.causes:              # why, in plain words, each with its fixes
        cause.why
        for fix in cause.fixes:         # fix.label ≤ 32 characters (a button)
            fix.changes                 # {TrainConfig field: value}, e.g. {"lr": 0.5}
            fix.continues               # True: retune + resume; False: needs a new run
    d.cannot_continue                   # None, or why continuing cannot work: then offer
    d.reset                             # "Reset with these settings" (every fix combined)

Two kinds of trouble, one diagnosis:

- **diverged**: the trainer met a NaN/inf, stopped and returned the model to an earlier step
  (``view.state == "diverged"``);
- **broken**: the run goes on with finite numbers but has blown up (:func:`health`): the batch
  loss far above where it started, or σ_max(W_hh) exploded — e.g. GRU + Adam + lr 500
  without clipping sits at loss ~1e3, 50% accuracy and σ_max 150,000.

Continuing cannot work — and ``cannot_continue`` says why — when the current weights are
themselves blown up (a broken run, or a divergence that returned to a broken state), or when
the last divergence came right after a fix that changed the same setting that is suggested
again. The "rare bad batch" line is only used when no setting stands out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from rnn_core.tasks import Task
from rnn_core.train import TrainConfig
from ui.services.run import RunView
from ui.services.settings import snapped_config

LABEL_MAX = 32  # a fix's button label: longer ones are cut on a narrow column
# learning rates at or above these are high for the optimizer; a fix goes to at most SAFE_LR
HIGH_LR = {"sgd": 1.0, "momentum": 1.0, "adam": 0.1, "rmsprop": 0.1}
SAFE_LR = {"sgd": 0.5, "momentum": 0.05, "adam": 0.01, "rmsprop": 0.005}
LOSS_UP = 3.0  # broken: the recent batch loss is above this × the run's first losses
SIGMA_LIMIT = 50.0  # broken: σ_max(W_hh) above this and SIGMA_GROWTH × its first value…
SIGMA_GROWTH = 10.0
SIGMA_HUGE = 1000.0  # …or above this at all (no working recurrent layer has such a W_hh)
CLIP_WHY = {  # clipping modes that let a huge gradient through, and why
    "none": "Clipping is off, so one exploding gradient (the cliff of Pascanu et al.) throws "
    "the weights away.",
    "value": "Per-element clipping does not bound the size of the update: a huge gradient "
    "still moves every weight by the limit.",
}
RADIUS_LIMIT = 1.2  # an initial spectral radius above this makes the state grow
EDGE = 10  # rows compared at each end of the run (first / last), at most a quarter each
CHANCE_BAND = 0.1  # "at chance": the test accuracy within this of 1/classes
RETRY_STEPS = 10  # a divergence within this many steps of the resume: the fix did not help


@dataclass(frozen=True)
class Fix:
    label: str  # ≤ LABEL_MAX characters, e.g. "Learning rate → 0.5"
    changes: dict = field(default_factory=dict)  # TrainConfig field -> value
    continues: bool = True  # True: retune the run and go on; False: a new run (Reset)


@dataclass(frozen=True)
class Cause:
    why: str  # one or two plain sentences
    fixes: tuple[Fix, ...] = ()


@dataclass(frozen=True)
class Health:
    """What :func:`health` measured: ``broken`` and the symptoms in words."""

    broken: bool
    symptoms: tuple[str, ...] = ()
    first_loss: float = math.nan  # median batch loss of the first rows
    recent_loss: float = math.nan  # median batch loss of the last rows
    sigma: float = math.nan  # the latest σ_max(W_hh), largest over layers
    at_chance: bool = False  # the latest test accuracy is within 5 points of chance


@dataclass(frozen=True)
class Diagnosis:
    kind: str  # "diverged" or "broken"
    headline: str
    causes: tuple[Cause, ...]
    cannot_continue: str | None = None  # why continuing cannot work (then offer ``reset``)
    reset: Fix | None = None  # every fix's changes together, as a new run

    @property
    def fixes(self) -> tuple[Fix, ...]:
        """Every fix of every cause, in order, without repeats."""
        out: list[Fix] = []
        for cause in self.causes:
            out += [f for f in cause.fixes if f not in out]
        return tuple(out)


def health(view: RunView, task: Task) -> Health:
    """Whether a run with finite numbers has blown up, from its logged columns and evaluations.

    Broken when, with at least 4 logged steps, either
    - the median batch loss of the last rows is above LOSS_UP (3) × the lowest of the first
      rows (rows: min(10, a quarter of the log) at each end; the lowest, because a blow-up
      can start at step 2), or a recent loss is not finite; or
    - the latest σ_max(W_hh) (any layer) is above SIGMA_HUGE (1000), or above SIGMA_LIMIT
      (50) and SIGMA_GROWTH (10) × its first logged value.
    ``at_chance`` (the latest test accuracy within CHANCE_BAND, 0.1, of 1/classes) is reported as a
    symptom of a broken run, never on its own (early training is at chance too).
    """
    cols = view.columns
    loss = np.asarray(cols.get("loss", np.zeros(0)), dtype=float)
    n = loss.size
    if n < 4:
        return Health(False)
    k = max(1, min(EDGE, n // 4))
    start = loss[:k][np.isfinite(loss[:k])]
    first = float(start.min()) if start.size else math.nan  # min: a blow-up can be at step 2
    recent_rows = loss[-k:]
    recent = float(np.median(recent_rows)) if np.isfinite(recent_rows).all() else math.inf
    symptoms = []
    if not math.isfinite(recent) or (math.isfinite(first) and recent > LOSS_UP * first):
        symptoms.append(f"the batch loss is {recent:.3g}, up from {first:.3g} at the start")
    sigma = first_sigma = math.nan
    sig_cols = [np.asarray(cols[f"sigma{i}"], float) for i in range(view.layers)]
    if sig_cols and n:
        sigma = float(max(c[-1] for c in sig_cols))
        first_sigma = float(max(c[0] for c in sig_cols))
        if (
            not math.isfinite(sigma)
            or sigma > SIGMA_HUGE
            or (sigma > SIGMA_LIMIT and sigma > SIGMA_GROWTH * max(first_sigma, 1e-12))
        ):
            shown = f"{sigma:,.0f}" if sigma < 1e7 else f"{sigma:.3g}"
            symptoms.append(
                f"the recurrent matrix's largest singular value σ_max is {shown} "
                f"({first_sigma:,.3g} at the first logged step)"
            )
    at_chance = False
    test_acc = np.asarray(view.evals.get("test_acc", np.zeros(0)), dtype=float)
    if task.output_kind.startswith("class") and test_acc.size and math.isfinite(test_acc[-1]):
        chance = 1.0 / max(task.data.output_size, 2)
        at_chance = abs(float(test_acc[-1]) - chance) <= CHANCE_BAND
    if symptoms and at_chance:
        symptoms.append(f"the test accuracy is {test_acc[-1]:.0%}, about chance")
    return Health(bool(symptoms), tuple(symptoms), first, recent, sigma, at_chance)


def _on_grid(config: TrainConfig, lr: float) -> float:
    """``lr`` as the learning-rate slider will show it: a fix sets only values its control
    accepts, and its label names that value."""
    return snapped_config(config, {"lr": lr}).lr


def _label(text: str) -> str:
    return text if len(text) <= LABEL_MAX else text[: LABEL_MAX - 1] + "…"


def _setting_causes(config: TrainConfig, what: str) -> list[Cause]:
    """The settings that stand out, each with its fix. ``what``: "diverge" or "blow up"."""
    causes = []
    high = HIGH_LR.get(config.optimizer, 1.0)
    if config.lr >= high:
        lower = _on_grid(config, min(config.lr / 10, SAFE_LR.get(config.optimizer, config.lr / 10)))
        causes.append(
            Cause(
                f"The learning rate {config.lr:g} is high for {config.optimizer} (from about "
                f"{high:g} up, one step can jump far past the valley and make the run {what}).",
                (Fix(_label(f"Learning rate → {lower:g}"), {"lr": lower}),),
            )
        )
    if config.clip in CLIP_WHY:
        causes.append(
            Cause(
                CLIP_WHY[config.clip],
                (Fix("Clip the gradient norm at 5", {"clip": "norm", "clip_value": 5.0}),),
            )
        )
    if config.spectral_radius is not None and config.spectral_radius > RADIUS_LIMIT:
        causes.append(
            Cause(
                f"W_hh starts with spectral radius {config.spectral_radius:g} > 1: the state and "
                "the gradient grow step after step.",
                (Fix("Reset with spectral radius 0.9", {"spectral_radius": 0.9}, False),),
            )
        )
    return causes


def _retried(view: RunView) -> tuple[set[str], str] | None:
    """(the fields changed, in words) when the last divergence came within RETRY_STEPS of
    resuming after a fix, i.e. the fix did not help."""
    if len(view.divergences) < 2:
        return None
    before, last = view.divergences[-2], view.divergences[-1]
    a, b = before["config"], last["config"]
    changed = {f for f in a.to_dict() if getattr(a, f) != getattr(b, f)}
    if not changed or last["step"] - before["returned_to"] > RETRY_STEPS:
        return None
    words = ", ".join(f"{f} {getattr(a, f)} → {getattr(b, f)}" for f in sorted(changed))
    return changed, words


def diagnose(view: RunView, task: Task) -> Diagnosis | None:
    """The diagnosis of a diverged or broken run (see the module docstring); None when the
    run is neither."""
    state = health(view, task)
    diverged = view.state == "diverged"
    if not diverged and not state.broken:
        return None
    config = view.config
    what = "diverge" if diverged else "blow up"
    causes = _setting_causes(config, what)
    cannot = None
    if diverged:
        last = view.divergences[-1] if view.divergences else None
        headline = f"Training diverged: {view.reason}."
        retry = _retried(view)
        suggested = {f for c in causes for fix in c.fixes for f in fix.changes}
        if retry is not None and retry[0] & suggested:
            cannot = (
                f"The run diverged again right after the last fix ({retry[1]}): continuing "
                "from here is unlikely to work. Start afresh with all the fixes."
            )
        if state.broken and last is not None:
            cannot = (
                f"The state it returned to (step {last['returned_to']}) is already blown up — "
                + "; ".join(state.symptoms)
                + ". No setting can continue from it: start afresh."
            )
    else:
        headline = "Training blew up: " + "; ".join(state.symptoms) + "."
        cannot = (
            "The weights themselves are blown up: a gentler setting from here cannot bring "
            "them back. Start afresh with the fixes."
        )
    if not causes:
        half, tenth = _on_grid(config, config.lr / 2), _on_grid(config, config.lr / 10)
        if diverged and not state.broken:
            causes.append(
                Cause(
                    "No setting stands out; the run may have hit a rare bad batch.",
                    (Fix(_label(f"Learning rate → {half:g}"), {"lr": half}),),
                )
            )
        else:
            causes.append(
                Cause(
                    "No setting stands out as too aggressive, yet the weights grew out of "
                    "range: a lower learning rate and clipping usually hold them.",
                    (
                        Fix(_label(f"Learning rate → {tenth:g}"), {"lr": tenth}),
                        Fix("Clip the gradient norm at 5", {"clip": "norm", "clip_value": 5.0}),
                    ),
                )
            )
    changes: dict = {}
    for cause in causes:
        for fix in cause.fixes:
            changes.update(fix.changes)
    reset = Fix("Reset with these settings", changes, continues=False)
    if cannot is not None:  # every fix needs a new run now
        causes = [
            Cause(c.why, tuple(Fix(f.label, f.changes, False) for f in c.fixes)) for c in causes
        ]
    return Diagnosis("diverged" if diverged else "broken", headline, tuple(causes), cannot, reset)
