"""How the Train page's settings steer a run that already exists (pure: no streamlit).

The settings table (``ui/services/settings.py``) splits the settings in two: the live ones
(learning rate, clipping, truncation, batch size, step budget) apply to a run from its next
step; every other one changes the model itself and needs a new run (Reset). These functions
make that decision from two TrainConfigs — the run's and the one the widgets ask for — or
from a one-click fix's widget values:

    live_changes(run.config, wanted)    -> {"lr": 0.001}: TrainConfig fields to retune
    frozen_changes(run.config, wanted)  -> ["hidden"]: widget keys that need a Reset
    fix_retune(run.config, values, continues) -> fields to retune, or None: a fresh run
"""

from __future__ import annotations

from rnn_core.train import TrainConfig
from ui.services.settings import LIVE_KEYS, TRAIN_KEYS, read_settings


def live_changes(current: TrainConfig, wanted: TrainConfig) -> dict[str, object]:
    """The live settings in which ``wanted`` differs from ``current``, as TrainConfig
    field -> ``wanted``'s value (what :meth:`~ui.services.run.TrainingRun.retune` takes)."""
    return {
        TRAIN_KEYS[k]: getattr(wanted, TRAIN_KEYS[k])
        for k in LIVE_KEYS
        if getattr(wanted, TRAIN_KEYS[k]) != getattr(current, TRAIN_KEYS[k])
    }


def frozen_changes(current: TrainConfig, wanted: TrainConfig) -> list[str]:
    """The widget keys of the settings that are not live in which ``wanted`` differs from
    ``current``, in the settings table's order: they wait for a Reset."""
    return [
        k
        for k, f in TRAIN_KEYS.items()
        if k not in LIVE_KEYS and getattr(wanted, f) != getattr(current, f)
    ]


def fix_retune(
    current: TrainConfig, values: dict[str, object], continues: bool
) -> dict[str, object] | None:
    """What a one-click fix does to a run configured as ``current``. ``values`` are the
    fix's widget values, already on the widgets' grid (:func:`~ui.services.settings.snap`).

    A fix that continues and changes only live settings retunes the run: the TrainConfig
    field -> value changes, read as the widgets show them. Any other fix (one that does not
    continue, or that changes the model) needs a fresh run with the new settings: None."""
    if not continues or any(key not in LIVE_KEYS for key in values):
        return None
    config = read_settings(current, values)  # the fix as the widgets now show it
    return {TRAIN_KEYS[k]: getattr(config, TRAIN_KEYS[k]) for k in values}
