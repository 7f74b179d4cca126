"""Hosted limits: one place, overridable by environment variables, bad values reported."""

from __future__ import annotations

from ui.services.limits import Limits


def test_defaults_without_environment():
    limits, notes = Limits.from_env({})
    assert limits == Limits() and notes == []


def test_environment_overrides_and_bad_values_keep_defaults():
    env = {
        "RNNX_MAX_HIDDEN": "64",
        "RNNX_MAX_SECONDS": "30.5",
        "RNNX_MAX_STEPS": "-3",
        "RNNX_SNAPSHOTS": "many",
        "RNNX_HISTORY_ROWS": "nan",
        "UNRELATED": "1",
    }
    limits, notes = Limits.from_env(env)
    assert limits.max_hidden == 64 and limits.max_seconds == 30.5
    assert limits.max_steps == Limits().max_steps
    assert limits.snapshots == Limits().snapshots
    assert limits.history_rows == Limits().history_rows
    assert len(notes) == 3
    assert any("RNNX_SNAPSHOTS" in n and "whole number" in n for n in notes)
