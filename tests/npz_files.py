"""Checkpoint files taken apart and put back together, for tests that damage one entry.

The test side may trust its own files, so ``npz_entries`` reads without the core's checks
(pickles still refused)."""

from __future__ import annotations

import io

import numpy as np


def npz_entries(data: bytes) -> dict[str, np.ndarray]:
    """Every array of an ``.npz`` file, by entry name."""
    with np.load(io.BytesIO(data), allow_pickle=False) as npz:
        return {name: npz[name] for name in npz.files}


def npz_pack(arrays: dict[str, np.ndarray], compress: bool = False) -> bytes:
    """Arrays by entry name as ``.npz`` bytes (deflated with ``compress``)."""
    buf = io.BytesIO()
    (np.savez_compressed if compress else np.savez)(buf, **arrays)
    return buf.getvalue()
