"""Padded sequence data: what the trainer consumes and what a task provides.

Sequences are left-aligned and padded to a common length T; ``mask`` marks the real steps.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


def pad_sequences(
    sequences: Sequence[Sequence[int]], pad_id: int = 0, max_len: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Token-id lists -> (ids (N, T) int64, mask (N, T) bool), left-aligned.

    T is the longest length (or ``max_len``; longer sequences keep their first max_len ids).
    Empty sequences are rejected: every sequence needs at least one real step.
    """
    lengths = [len(s) for s in sequences]
    if not lengths:
        raise ValueError("no sequences to pad")
    if min(lengths) == 0:
        raise ValueError(f"sequence {lengths.index(0)} is empty")
    T = max(lengths) if max_len is None else int(max_len)
    ids = np.full((len(sequences), T), pad_id, np.int64)
    mask = np.zeros((len(sequences), T), bool)
    for row, seq in enumerate(sequences):
        n = min(len(seq), T)
        ids[row, :n] = seq[:n]
        mask[row, :n] = True
    return ids, mask


@dataclass(frozen=True)
class SequenceData:
    """N padded sequences with their targets.

    inputs: (N, T) int ids or (N, T, D) features; mask: (N, T) bool;
    targets: (N,) or (N, O) for many-to-one, (N, T) or (N, T, O) for many-to-many.
    """

    inputs: np.ndarray
    targets: np.ndarray
    mask: np.ndarray

    def __post_init__(self):
        N = self.mask.shape[0]
        if self.inputs.shape[0] != N or self.targets.shape[0] != N:
            raise ValueError(
                f"inputs, targets and mask disagree on N: "
                f"{self.inputs.shape[0]}, {self.targets.shape[0]}, {N}"
            )
        if self.inputs.shape[:2] != self.mask.shape:
            raise ValueError(f"inputs {self.inputs.shape} and mask {self.mask.shape} disagree")

    def __len__(self) -> int:
        return int(self.mask.shape[0])

    def subset(self, idx: np.ndarray) -> SequenceData:
        """The rows ``idx`` as a new SequenceData."""
        return SequenceData(self.inputs[idx], self.targets[idx], self.mask[idx])

    def batch(
        self, idx: np.ndarray, per_step: bool = False
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Rows ``idx`` as (inputs, targets, mask), cut to the batch's longest sequence.

        ``per_step``: the targets are per step (many-to-many) and are cut too.
        """
        mask = self.mask[idx]
        T = int(mask.sum(axis=1).max())
        targets = self.targets[idx]
        if per_step:
            targets = targets[:, :T]
        return self.inputs[idx][:, :T], targets, mask[:, :T]


@dataclass(frozen=True)
class Dataset:
    """A train/test pair and what a model needs to know to fit it."""

    train: SequenceData
    test: SequenceData
    input_size: int  # vocabulary size, or features per step for dense inputs
    output_size: int  # classes, or values per prediction
    output: str = "many_to_one"  # or "many_to_many"
    loss: str = "xent"  # or "mse"
    dense: bool = False  # True: inputs are float features, not token ids
