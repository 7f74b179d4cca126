"""Small argument checks shared by the config dataclasses, each raising a clear ValueError."""

from __future__ import annotations

import numpy as np


def is_int(value) -> bool:
    """A whole number: Python or numpy int, but not a bool."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def check_count(name: str, value) -> None:
    """A size must be a whole number >= 1 (not a bool, float or string)."""
    if not is_int(value) or value < 1:
        raise ValueError(f"{name} must be a whole number >= 1; got {value!r}")


def check_choice(name: str, value, choices) -> None:
    if value not in choices:
        raise ValueError(f"{name} must be one of {choices}; got {value!r}")
