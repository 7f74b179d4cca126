"""ui.services.steering: which settings steer a run live, which wait for a Reset, and what
a one-click fix does to the run."""

from __future__ import annotations

import dataclasses

import pytest

from rnn_core.tasks import load_task
from ui.services.settings import LIVE_KEYS, TRAIN_KEYS, snap
from ui.services.steering import fix_retune, frozen_changes, live_changes


@pytest.fixture(scope="module")
def config():
    return load_task("sentiment-tiny").default_config


def test_the_same_settings_change_nothing(config):
    assert live_changes(config, config) == {}
    assert frozen_changes(config, config) == []


def test_live_settings_are_retuned_and_the_others_wait_for_a_reset(config):
    wanted = dataclasses.replace(
        config, lr=config.lr / 10, steps=config.steps + 100, hidden_size=config.hidden_size + 4
    )
    assert live_changes(config, wanted) == {"lr": config.lr / 10, "steps": config.steps + 100}
    assert frozen_changes(config, wanted) == ["hidden"]  # widget keys: what the note names
    other_cell = "gru" if config.cell != "gru" else "lstm"
    wanted = dataclasses.replace(wanted, cell=other_cell, seed=config.seed + 1)
    assert frozen_changes(config, wanted) == ["cell", "hidden", "seed"]  # the table's order
    assert set(live_changes(config, wanted)) == {"lr", "steps"}


def test_every_setting_is_either_live_or_frozen(config):
    """Each setting changed alone lands in exactly one of the two lists."""
    for key, field in TRAIN_KEYS.items():
        value = getattr(config, field)
        if isinstance(value, bool) or value is None:
            continue
        if isinstance(value, int | float):
            other = value + 1
        else:
            continue
        wanted = dataclasses.replace(config, **{field: other})
        live, frozen = live_changes(config, wanted), frozen_changes(config, wanted)
        if key in LIVE_KEYS:
            assert live == {field: other} and frozen == [], key
        else:
            assert live == {} and frozen == [key], key


def test_a_fix_that_continues_retunes_with_the_values_the_widgets_show(config):
    values = snap({"lr": 0.0025, "clip": "norm"})  # off the grid: the slider shows 0.002
    assert fix_retune(config, values, continues=True) == {"lr": 0.002, "clip": "norm"}


def test_a_fix_that_changes_the_model_or_does_not_continue_needs_a_fresh_run(config):
    assert fix_retune(config, snap({"lr": 0.001}), continues=False) is None
    assert fix_retune(config, snap({"lr": 0.001, "hidden_size": 16}), continues=True) is None
