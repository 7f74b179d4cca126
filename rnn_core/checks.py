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


def whole_in_range(name: str, value, low: int, high: int) -> int:
    """A whole number in [low, high], returned as an int."""
    if not is_int(value) or not low <= value <= high:
        raise ValueError(f"{name} must be a whole number in [{low}, {high}]; got {value!r}")
    return int(value)


def number_in_range(name: str, value, low: float, high: float) -> float:
    """A finite real number (not a bool or string) in [low, high], returned as a float."""
    if is_int(value) or isinstance(value, (float, np.floating)):
        number = float(value)
        if np.isfinite(number) and low <= number <= high:
            return number
    raise ValueError(f"{name} must be a number in [{low}, {high}]; got {value!r}")
