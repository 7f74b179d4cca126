"""The Dynamics lab's fixed and slow points: its settings table and the search behind the view.

No streamlit here (``ui/glue/dynamics_points.py`` draws the controls and the view; the figures
and words are ``ui/views/fixed_points.py``). The search is ``rnn_core.dynamics``'s, run from
states the network really visits: :data:`N_STARTS` states drawn along the task's test
sequences (fewer for big models, :func:`starts_for`), under one constant input.

What counts, decided here once (the section's "How to read this" says it in words):

- a **fixed point** is where the full search (up to :data:`FIXED_STEPS` damped Gauss–Newton
  steps on q(h) = ½‖F(h, x) − h‖²) ends with q ≤ :data:`FIXED_SPEED` (1e-8: one step moves the
  state by at most 1.4e-4);
- a **slow point** is where the same search from a visited state has got to after only
  :data:`SLOW_STEPS` steps, when its speed is already q ≤ :data:`SLOW_SPEED` (1e-3: one step
  moves it by at most 0.045) — the slow valley the starts funnel through on their way to a
  fixed point (Sussillo & Barak 2013 keep such "slow points" too). "Slow points" shows the
  fixed points as well;
- an eigenvalue of the one-step Jacobian is **≈ 1** when |λ − 1| < :data:`NEAR_ONE` (0.05):
  along it a small push needs more than ≈ 14 steps to fade by half, longer than most
  sentences.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from rnn_core.dynamics import FixedPoints, find_fixed_points, sample_starts, state_size
from rnn_core.model import RNNModel
from rnn_core.tasks import Task
from ui.services.settings import Setting

NO_INPUT = "no input"  # the zero input vector: what the network gets when nothing is read
KINDS = ("slow points", "fixed points")
FIXED_SPEED = 1e-8  # a fixed point: the full search ends with q at most this
FIXED_STEPS = 100  # the full search's most steps (200 found the same points on every default
#                   model, in up to 3× the time: starts that never converge use them all)
FIXED_TOL = 1e-14  # a start whose q is this small stops: ‖F(h) − h‖ ≈ 1e-7, fixed for any eye
FIXED_DEDUP = 1e-3  # two fixed points closer than this (Euclidean) are one
SLOW_SPEED = 1e-3  # a slow point: q at most this ...
SLOW_STEPS = 3  # ... after this many steps of the search
SLOW_DEDUP = 1e-2  # two slow points closer than this are one
NEAR_ONE = 0.05  # |λ − 1| below this: an eigenvalue ≈ 1
N_STARTS = 128  # starting states for models with up to START_FULL state dimensions
START_FULL = 64  # above it, fewer starts (each Gauss–Newton step costs S³)
MIN_STARTS = 8
CHUNK = 16  # starts searched at once, between two progress reports (fewer for few starts:
#             at least 8 reports)
BUDGET_SECONDS = 5.0  # the fixed-point search stops taking new chunks after this
SEED = 0  # the starts are drawn with this seed: the same model gives the same points
ALL = "all points"  # the eigenvalue chart's choice: every point's eigenvalues at once
MAX_POINTS_LISTED = 400  # the eigenvalue chart's point choices go up to this number


@dataclass(frozen=True)
class Search:
    """What the section searches for: under which constant input, and what counts."""

    input: str = NO_INPUT  # NO_INPUT or a token of the vocabulary, as the select shows it
    kind: str = "slow points"  # one of KINDS
    eigen: str = ALL  # whose eigenvalues the complex-plane chart shows: ALL or "1", "2", …


POINTS_SETTINGS: tuple[Setting, ...] = (
    Setting("fp_input", "input", "Constant input", "select", (NO_INPUT,),
            help="The input held fixed while the state moves: nothing (a zero input), or one "
            "token read again and again."),
    Setting("fp_kind", "kind", "Show", "segmented", KINDS,
            help="fixed points: where the state does not move at all (q ≤ 1e-8). slow points: "
            "also where it barely moves (q ≤ 1e-3 after 3 steps of the search)."),
    Setting("fp_eigen", "eigen", "Eigenvalues of", "select",
            (ALL, *(str(k) for k in range(1, MAX_POINTS_LISTED + 1))),
            help="Every point's eigenvalues at once, or one point's (numbered slowest first, "
            "as on the map)."),
)  # fmt: skip
POINTS_BY_KEY = {s.key: s for s in POINTS_SETTINGS}


def input_row(options: tuple[str, ...]) -> Setting:
    """The input row with this task's options (``ui.views.fixed_points.input_options``)."""
    return dataclasses.replace(POINTS_BY_KEY["fp_input"], options=tuple(options))


def eigen_row(n_points: int) -> Setting:
    """The eigenvalue row with one choice per point found (up to MAX_POINTS_LISTED)."""
    k = min(n_points, MAX_POINTS_LISTED)
    return dataclasses.replace(
        POINTS_BY_KEY["fp_eigen"], options=(ALL, *(str(i) for i in range(1, k + 1)))
    )


def defaults() -> dict[str, object]:
    """Each control's value for the default :class:`Search`."""
    base = Search()
    return {s.key: s.to_widget(getattr(base, s.field)) for s in POINTS_SETTINGS}


def read_search(values: dict) -> Search:
    """A :class:`Search` from widget values keyed like the table; a missing (None) value or
    one the table cannot show keeps the default."""
    changes = {}
    for s in POINTS_SETTINGS:
        v = values.get(s.key)
        if v is not None and (s.key == "fp_input" or v in s.options):
            changes[s.field] = s.to_field(v)
    return dataclasses.replace(Search(), **changes)


# ----------------------------------------------------------------------------- the search


@dataclass(frozen=True, eq=False)
class PointSet:
    """The points found, fixed points first, then slow points, each group slowest first.

    points (K, S), speeds (K,) q, eigenvalues (K, S) complex sorted by |λ| descending,
    near_one (K,) how many |λ − 1| < NEAR_ONE, slow_direction (K, S) unit, stable (K,),
    fixed (K,) bool (False: a slow point). S = H, or 2H for the LSTM ((h, c), h first)."""

    points: np.ndarray
    speeds: np.ndarray
    eigenvalues: np.ndarray
    near_one: np.ndarray
    slow_direction: np.ndarray
    stable: np.ndarray
    fixed: np.ndarray
    starts: int  # starting states drawn
    searched: int  # of which the fixed-point search ran from (fewer: the time ran out)
    seconds: float  # server time the search took
    kind: str  # what was asked for (one of KINDS)
    input: str  # under which input (NO_INPUT or a token's label)

    def __len__(self) -> int:
        return len(self.points)

    @property
    def n_fixed(self) -> int:
        return int(self.fixed.sum())


def starts_for(state_dim: int) -> int:
    """How many starts for a state of this size: N_STARTS up to START_FULL dimensions, then
    fewer as the cost of a step (S³) grows, at least MIN_STARTS: 16 for the 128-unit GRU of
    chars, 8 for the 128-unit LSTM of words (S = 256)."""
    if state_dim <= START_FULL:
        return N_STARTS
    return max(MIN_STARTS, int(N_STARTS * (START_FULL / state_dim) ** 3))


def _merge(parts: list[FixedPoints], dedup: float) -> FixedPoints | None:
    """Several searches' points as one: sorted by speed, two closer than ``dedup`` once."""
    parts = [p for p in parts if len(p.points)]
    if not parts:
        return None
    cat = {f: np.concatenate([getattr(p, f) for p in parts]) for f in _FIELDS}
    order = np.argsort(cat["speeds"], kind="stable")
    chosen: list[int] = []
    for k in order:
        if all(np.linalg.norm(cat["points"][k] - cat["points"][j]) >= dedup for j in chosen):
            chosen.append(int(k))
    n = sum(p.n_starts for p in parts)
    return FixedPoints(**{f: cat[f][chosen] for f in _FIELDS}, n_starts=n)


_FIELDS = ("points", "speeds", "eigenvalues", "near_one", "slow_direction", "stable")


def find_points(
    model: RNNModel,
    task: Task,
    search: Search,
    token: int | None,
    progress: Callable[[float], None] | None = None,
    budget: float = BUDGET_SECONDS,
    n_starts: int | None = None,
) -> PointSet:
    """The fixed (and, for "slow points", slow) points of the model's recurrent layer under
    the search's constant input (``token``: its id, None for NO_INPUT), from states along the
    task's test sequences.

    The fixed-point search runs CHUNK starts at a time, calling ``progress(fraction)`` after
    each, and takes no new chunk once ``budget`` seconds have gone (``searched`` says how
    many starts it ran from). Raises ValueError for a model with more than one layer."""
    t0 = time.perf_counter()
    if model.config.num_layers != 1:
        raise ValueError("fixed points are found for single-layer models only")
    x = token
    test = task.data.test
    S = state_size(model)
    n = n_starts if n_starts is not None else starts_for(S)
    starts = sample_starts(model, test.inputs, n, np.random.default_rng(SEED), mask=test.mask)
    fixed_parts, searched = [], 0
    size = max(1, min(CHUNK, n // 8))
    for lo in range(0, n, size):
        if lo and time.perf_counter() - t0 > budget:
            break
        chunk = starts[lo : lo + size]
        fixed_parts.append(
            find_fixed_points(
                model, x, chunk, max_speed=FIXED_SPEED, iters=FIXED_STEPS, tol=FIXED_TOL,
                dedup=FIXED_DEDUP, tol_one=NEAR_ONE,
            )
        )  # fmt: skip
        searched += len(chunk)
        if progress is not None:
            progress(searched / n)
    fixed = _merge(fixed_parts, FIXED_DEDUP)
    slow = None
    if search.kind == "slow points":
        sp = find_fixed_points(
            model, x, starts, max_speed=SLOW_SPEED, iters=SLOW_STEPS, dedup=SLOW_DEDUP,
            tol_one=NEAR_ONE,
        )  # fmt: skip
        # a start already at a fixed point, or within SLOW_DEDUP of one, is that fixed point
        keep = np.ones(len(sp.points), bool)
        if fixed is not None:
            gap = np.linalg.norm(sp.points[:, None, :] - fixed.points[None, :, :], axis=2)
            keep &= (gap >= SLOW_DEDUP).all(axis=1)
        slow = FixedPoints(**{f: getattr(sp, f)[keep] for f in _FIELDS}, n_starts=sp.n_starts)
    groups = [(g, is_fixed) for g, is_fixed in ((fixed, True), (slow, False)) if g is not None]
    if groups:
        cat = {f: np.concatenate([getattr(g, f) for g, _ in groups]) for f in _FIELDS}
        flags = np.concatenate([np.full(len(g.points), is_fixed) for g, is_fixed in groups])
    else:
        cat = {
            "points": np.zeros((0, S)),
            "speeds": np.zeros(0),
            "eigenvalues": np.zeros((0, S), complex),
            "near_one": np.zeros(0, int),
            "slow_direction": np.zeros((0, S)),
            "stable": np.zeros(0, bool),
        }
        flags = np.zeros(0, bool)
    return PointSet(
        **cat,
        fixed=flags,
        starts=n,
        searched=searched,
        seconds=time.perf_counter() - t0,
        kind=search.kind,
        input=search.input,
    )
