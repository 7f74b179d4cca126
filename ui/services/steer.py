"""Explore's "Steer a neuron" settings, in one table like the training settings
(:mod:`ui.services.settings`): one :class:`~ui.services.settings.Setting` row per control, with
its URL key (also its widget key), the :class:`Steer` field it sets, its widget and what that
widget can show. ``ui/glue/steer.py`` draws them with the same ``setting_widget`` as Train's.

No streamlit here. The unit's options depend on the model (``auto`` and 0 … H − 1):
:func:`unit_options` gives them, and the row's static options cover every hidden size a
session may pick (``Limits.max_hidden``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from ui.services.limits import Limits
from ui.services.settings import Setting

AUTO = "auto"  # the unit that best tracks what the task's tracker names
MODES = ("ablate", "clamp")
VALUES = ("-2", "-1.5", "-1", "-0.75", "-0.5", "-0.25", "0", "0.25", "0.5", "0.75", "1", "1.5", "2")
LENGTHS = (50, 100, 200, 300, 400)
TEMPERATURES = ("0", "0.3", "0.5", "0.7", "1", "1.5")
# What the app may look for when it picks the unit (``ui.views.steer.TRACKERS`` computes
# each); a task offers the ones that fit it (``ui.views.steer.trackers_for``).
TRACKS = ("prediction", "line length", "sentence length", "stage direction")


@dataclass(frozen=True)
class Steer:
    """What the Steer section does: which unit, held how, and how the model writes."""

    unit: str = AUTO  # "auto" or a unit of the last layer, as the select shows it
    mode: str = "clamp"  # "ablate" (held at 0) or "clamp" (held at ``value``)
    value: float = 1.0  # the clamped value
    track: str = "prediction"  # what "auto" looks for
    length: int = 200  # tokens a language model writes
    temperature: float = 0.7  # 0: always the likeliest token
    seed: int = 0  # the same seed for both samples: only the clamp differs

    @property
    def held_at(self) -> float:
        return 0.0 if self.mode == "ablate" else self.value


STEER_SETTINGS: tuple[Setting, ...] = (
    Setting("steer_unit", "unit", "Unit (last layer)", "select",
            (AUTO, *(str(u) for u in range(Limits().max_hidden))),
            help="auto: the unit whose value best follows what the tracker names."),
    Setting("steer_track", "track", "Pick the unit that tracks", "select", TRACKS,
            help="What the app looks for when the unit is auto."),
    Setting("steer_mode", "mode", "Do", "segmented", MODES,
            help="ablate: hold the unit at 0 at every step. clamp: hold it at a value."),
    Setting("steer_value", "value", "Hold it at", "slider", VALUES, to_field=float,
            to_widget=lambda v: min(VALUES, key=lambda o: abs(float(o) - v)),
            help="tanh and gated units live between −1 and 1; beyond that is a push."),
    Setting("steer_len", "length", "Tokens to write", "slider", LENGTHS, to_field=int,
            to_widget=lambda n: min(LENGTHS, key=lambda o: abs(o - n))),
    Setting("steer_temp", "temperature", "Temperature", "slider", TEMPERATURES,
            to_field=float, to_widget=lambda t: min(TEMPERATURES, key=lambda o: abs(float(o) - t)),
            help="0: always the likeliest token. Higher: more surprising choices."),
    Setting("steer_seed", "seed", "Seed", "number", number=int, lo=0, hi=2**31 - 1, step=1,
            to_field=int, to_widget=int,
            help="Both samples draw with this seed: only the held unit differs."),
)  # fmt: skip
STEER_BY_KEY = {s.key: s for s in STEER_SETTINGS}


def unit_options(hidden_size: int) -> tuple[str, ...]:
    """What the unit select shows for a model with ``hidden_size`` units per layer."""
    return (AUTO, *(str(u) for u in range(hidden_size)))


def unit_row(hidden_size: int) -> Setting:
    """The unit row with this model's options."""
    return dataclasses.replace(STEER_BY_KEY["steer_unit"], options=unit_options(hidden_size))


def track_row(tracks: tuple[str, ...]) -> Setting:
    """The tracker row with the trackers that fit this task."""
    return dataclasses.replace(STEER_BY_KEY["steer_track"], options=tracks)


def defaults() -> dict[str, object]:
    """Each steer widget's value for the default :class:`Steer`."""
    base = Steer()
    return {s.key: s.to_widget(getattr(base, s.field)) for s in STEER_SETTINGS}


def read_steer(values: dict) -> Steer:
    """A :class:`Steer` from widget values keyed like the table; a missing (or None) value
    keeps the default."""
    changes = {
        s.field: s.to_field(values[s.key]) for s in STEER_SETTINGS if values.get(s.key) is not None
    }
    return dataclasses.replace(Steer(), **changes)
