"""Limits for a shared (hosted) server, in one place, each overridable by an environment
variable: ``RNNX_MAX_HIDDEN=128 streamlit run app.py``.

A session has at most one training run; a run stops at ``max_steps`` or after ``max_seconds``
of training, and its memory is bounded by ``history_rows`` and ``snapshots`` however long it
trains (older rows are thinned out, not dropped wholesale). Across sessions, at most
``train_slots`` training chunks run at once, served in turn (``ui.services.fairshare``).
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, fields


@dataclass(frozen=True)
class Limits:
    max_hidden: int = 256  # RNNX_MAX_HIDDEN: largest hidden size a user may pick
    max_steps: int = 20_000  # RNNX_MAX_STEPS: step budget ceiling of one run
    max_seconds: float = 600.0  # RNNX_MAX_SECONDS: training seconds of one run
    slice_seconds: float = 0.4  # RNNX_SLICE_SECONDS: longest training slice between redraws
    redraw_seconds: float = 0.5  # RNNX_REDRAW_SECONDS: fragment period (≤ 2 redraws/s)
    history_rows: int = 4000  # RNNX_HISTORY_ROWS: metric rows kept per run (thinned beyond)
    snapshots: int = 40  # RNNX_SNAPSHOTS: probe snapshots kept per run (thinned beyond)
    train_slots: int = 1  # RNNX_TRAIN_SLOTS: training chunks running at once, all sessions

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> tuple[Limits, list[str]]:
        """Defaults overridden by ``RNNX_<FIELD>`` variables; returns the limits and a note
        for every variable that was not a usable positive number (its default is kept)."""
        environ = os.environ if environ is None else environ
        values, notes = {}, []
        for f in fields(cls):
            name = f"RNNX_{f.name.upper()}"
            raw = environ.get(name)
            if raw is None:
                continue
            kind = int if f.type in ("int", int) else float
            try:
                value = kind(raw.strip())
            except ValueError:
                what = "a whole number" if kind is int else "a number"
                notes.append(f"{name}={raw!r} is not {what}; using {f.default}")
                continue
            try:
                finite = math.isfinite(value)
            except OverflowError:  # a whole number beyond any float
                finite = False
            if not (finite and value > 0):
                notes.append(f"{name}={_cut(raw)!r} must be positive and finite; using {f.default}")
                continue
            values[f.name] = value
        return cls(**values), notes


def _cut(raw: str, limit: int = 40) -> str:
    return raw if len(raw) <= limit else raw[:limit] + "…"
