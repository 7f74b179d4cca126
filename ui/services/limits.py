"""Limits for a shared (hosted) server, in one place, each overridable by an environment
variable: ``RNNX_MAX_HIDDEN=128 streamlit run app.py``.

A session has at most one training run; a run stops at ``max_steps`` or after ``max_seconds``
of training, and its memory is bounded by ``history_rows`` and ``snapshots`` however long it
trains (older rows are thinned out, not dropped wholesale). Across sessions, at most
``train_slots`` training chunks run at once, served in turn (``ui.services.fairshare``).

Uploads: a model file is refused above ``max_checkpoint_mb`` MB and a CSV file above
``max_csv_mb`` MB (never above the CSV importer's own ceiling, ``csv_import.MAX_BYTES``); the
Train page's upload widgets and ``ui.services.transfer`` both take their sizes from here.
Streamlit's ``server.maxUploadSize`` (``.streamlit/config.toml``) is the server's cap on any
upload, checked before the app sees the file; it equals :func:`upload_mb` of the largest
default (tests/app/test_limits.py), so a server that raises ``RNNX_MAX_CHECKPOINT_MB`` above
it raises ``STREAMLIT_SERVER_MAX_UPLOAD_SIZE`` too.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, fields

from rnn_core.tasks.csv_import import MAX_BYTES as CSV_IMPORT_MAX_BYTES

MB = 1_000_000  # upload limits are decimal megabytes: a message says "the limit is 20 MB"


@dataclass(frozen=True)
class Limits:
    max_hidden: int = 256  # RNNX_MAX_HIDDEN: largest hidden size a user may pick
    max_steps: int = 20_000  # RNNX_MAX_STEPS: step budget ceiling of one run
    max_seconds: float = 600.0  # RNNX_MAX_SECONDS: training seconds of one run
    slice_seconds: float = 0.4  # RNNX_SLICE_SECONDS: longest training slice between redraws
    redraw_seconds: float = 0.5  # RNNX_REDRAW_SECONDS: fragment period (≤ 2 redraws/s)
    train_redraw_seconds: float = 0.25  # RNNX_TRAIN_REDRAW_SECONDS: Train's live frame period
    history_rows: int = 4000  # RNNX_HISTORY_ROWS: metric rows kept per run (thinned beyond)
    snapshots: int = 40  # RNNX_SNAPSHOTS: probe snapshots kept per run (thinned beyond)
    train_slots: int = 1  # RNNX_TRAIN_SLOTS: training chunks running at once, all sessions
    max_checkpoint_mb: int = 20  # RNNX_MAX_CHECKPOINT_MB: largest model file a user may load
    max_csv_mb: int = 5  # RNNX_MAX_CSV_MB: largest CSV a user may train on (at most 5)

    @property
    def checkpoint_bytes(self) -> int:
        """The largest model file (.npz) accepted, in bytes."""
        return self.max_checkpoint_mb * MB

    @property
    def csv_bytes(self) -> int:
        """The largest CSV file accepted, in bytes: ``max_csv_mb``, but never more than the
        CSV importer reads (``rnn_core.tasks.csv_import.MAX_BYTES``)."""
        return min(self.max_csv_mb * MB, CSV_IMPORT_MAX_BYTES)

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


def upload_mb(nbytes: int) -> int:
    """A file uploader's ``max_upload_size`` (and ``server.maxUploadSize``) for a limit of
    ``nbytes`` bytes: whole megabytes, at least 1, never below the limit. (Streamlit's
    megabytes are MiB: the widget lets a file slightly over the limit through, and the app's
    own check refuses it naming the exact limit.)"""
    return max(1, math.ceil(nbytes / MB))


def _cut(raw: str, limit: int = 40) -> str:
    return raw if len(raw) <= limit else raw[:limit] + "…"
