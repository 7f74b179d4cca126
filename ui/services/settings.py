"""The training settings, in one table: every page's widgets, URL parsing, fallback notes,
Compare's ``a_*``/``b_*`` keys, the live/model split and the values a one-click fix may set.

In the spirit of TensorFlow Playground's ``State.PROPS``: one row per setting, with its URL
key (which is also its widget key), the :class:`~rnn_core.train.TrainConfig` field it sets,
its widget and what that widget can show (options from ``rnn_core``'s own constants, or a
numeric range), and whether it may change mid-run. Everything else is derived from the
table; nothing here imports streamlit (``ui/glue/controls.py`` draws the widgets).

Widget values are what the widget holds (and what a bound widget writes into the link):
select boxes and sliders show strings or small ints, so the URL says ``lr=0.01``,
``init_scale=off``, ``truncate=full``. :func:`widget_values` maps a config onto them,
snapping to the grid (a value the app sets itself is always one its control accepts), and
:func:`read_settings` maps them back.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass

from rnn_core.cells import ACTIVATIONS, CELLS
from rnn_core.init import INITIALISERS
from rnn_core.optim import OPTIMIZERS
from rnn_core.train import CLIPS, LIVE_SETTINGS, TrainConfig

LR_GRID = tuple(m * 10.0**e for e in range(-5, 3) for m in (1, 2, 5))  # 1e-5 … 500
BATCHES = (1, 2, 4, 8, 16, 32, 64, 128, 256)
RADII = ("off", "0.25", "0.5", "0.8", "0.9", "1.0", "1.1", "1.25", "1.5", "2.0", "3.0")
TRUNCATIONS = ("full", "1", "2", "3", "5", "10", "20", "50")


def _nearest_lr(lr: float) -> str:
    return f"{min(LR_GRID, key=lambda v: abs(math.log(v) - math.log(lr))):g}"


def _radius_label(radius: float | None) -> str:
    if radius is None:
        return "off"
    return min(RADII[1:], key=lambda r: abs(float(r) - radius))


def _truncate_label(k: int | None) -> str:
    if k is None or str(k) not in TRUNCATIONS:
        return "full"
    return str(k)


def _same(x):
    return x


@dataclass(frozen=True)
class Setting:
    """One training setting: its URL/widget key, its TrainConfig field and its widget."""

    key: str  # URL key and widget key ("embed_size", not "embed": Streamlit reserves that)
    field: str  # the TrainConfig field it sets
    label: str
    widget: str  # "segmented", "select", "slider" (select_slider), "number" or "text"
    options: tuple = ()  # what a choice widget shows, in the widget's own type
    number: type | None = None  # int or float, for number inputs
    lo: float = 0
    hi: float | str = 0  # a number, or the name of the Limits field that caps it (text: chars)
    step: float | None = None  # number inputs' +/- step
    compare: bool = False  # one of the settings Compare's A and B columns show
    help: str = ""
    to_field: Callable = _same  # widget value -> TrainConfig value
    to_widget: Callable = _same  # TrainConfig value -> widget value (on the grid)

    @property
    def live(self) -> bool:
        """Whether it may change while a run is paused (the optimizer state is kept)."""
        return self.field in LIVE_SETTINGS

    def bounds(self, limits) -> tuple[float, float]:
        hi = getattr(limits, self.hi) if isinstance(self.hi, str) else self.hi
        return self.lo, hi

    def url_ok(self, raw: str, limits) -> bool:
        """Whether a link's value can be shown by this setting's widget."""
        if self.widget == "text":
            return len(raw) <= self.bounds(limits)[1] and raw.isprintable()
        if self.widget != "number":
            return raw in {str(o) for o in self.options}
        return url_number_ok(raw, self.number, *self.bounds(limits))

    def from_url(self, raw: str, limits):
        """The widget value a link's ``raw`` value stands for, or None if the widget cannot
        show it (what a bound widget would take, for a control that is not drawn)."""
        if not self.url_ok(raw, limits):
            return None
        if self.widget == "number":
            return self.number(float(raw))
        if self.widget == "text":
            return raw
        return next(o for o in self.options if str(o) == raw)


SETTINGS: tuple[Setting, ...] = (
    Setting("cell", "cell", "Cell", "segmented", CELLS, compare=True,
            help="Vanilla RNN, GRU or LSTM."),
    Setting("activation", "activation", "Activation (RNN)", "segmented", ACTIVATIONS,
            help="Only the vanilla RNN has a choice; gated cells use their own."),
    Setting("hidden", "hidden_size", "Hidden units", "number", number=int, lo=2,
            hi="max_hidden", step=1, compare=True, to_field=int, to_widget=int),
    Setting("layers", "num_layers", "Layers", "segmented", (1, 2), to_field=int,
            to_widget=int),
    Setting("input", "input_kind", "Input", "segmented", ("onehot", "embedding"),
            help="Tokens as one-hot vectors or as a learned embedding (numeric tasks read "
            "numbers)."),
    Setting("embed_size", "embed_size", "Embedding size", "number", number=int, lo=2, hi=256,
            step=1, to_field=int, to_widget=int),
    Setting("init", "init", "W_hh initialiser", "select", INITIALISERS,
            help="small_random is the tutorials' randn/1000: ρ(W_hh) ≈ 0.01, a dead "
            "recurrence."),
    Setting("init_scale", "spectral_radius", "ρ(W_hh) at init", "slider", RADII, compare=True,
            help="Rescale every recurrent block so its largest |eigenvalue| is this. Above 1 "
            "gradients tend to explode; well below 1 they vanish.",
            to_field=lambda r: None if r in (None, "off") else float(r),
            to_widget=_radius_label),
    Setting("optimizer", "optimizer", "Optimizer", "select", OPTIMIZERS, compare=True),
    Setting("lr", "lr", "Learning rate (log scale)", "slider",
            tuple(f"{v:g}" for v in LR_GRID), compare=True, help="Steps of ×2 and ×2.5.",
            to_field=float, to_widget=_nearest_lr),
    Setting("batch", "batch_size", "Batch size", "slider", BATCHES, to_field=int,
            to_widget=lambda b: min(BATCHES, key=lambda x: abs(x - b))),
    Setting("clip", "clip", "Clipping", "segmented", CLIPS, compare=True,
            help="norm: rescale the whole gradient when its norm exceeds the threshold "
            "(keeps its direction). value: clip each element — an experiment, it turns the "
            "update. none: let it explode."),
    Setting("clip_value", "clip_value", "Clipping threshold", "number", number=float,
            lo=0.001, hi=1000.0, compare=True, to_field=float, to_widget=float),
    Setting("truncate", "truncate", "BPTT truncation", "slider", TRUNCATIONS, compare=True,
            help="full: backpropagate through the whole sequence; k: each loss reaches back "
            "k steps.",
            to_field=lambda t: None if t in (None, "full") else int(t),
            to_widget=_truncate_label),
    Setting("steps", "steps", "Step budget", "number", number=int, lo=1, hi="max_steps",
            step=100, to_field=int, to_widget=int),
    Setting("seed", "seed", "Seed", "number", number=int, lo=0, hi=2**31 - 1, step=1,
            help="One seed for the initial weights and the order of the data.",
            to_field=int, to_widget=int),
)  # fmt: skip
BY_KEY = {s.key: s for s in SETTINGS}
BY_FIELD = {s.field: s for s in SETTINGS}
TRAIN_KEYS = {s.key: s.field for s in SETTINGS}  # URL key -> TrainConfig field
LIVE_KEYS = tuple(s.key for s in SETTINGS if s.live)
COMPARE_KEYS = tuple(s.key for s in SETTINGS if s.compare)


def url_number_ok(raw: str, kind: type, lo: float, hi: float) -> bool:
    """Whether a URL value is a number a ``kind`` (int or float) number input from ``lo`` to
    ``hi`` can show."""
    try:
        value = float(raw)
    except ValueError:
        return False
    if not math.isfinite(value) or (kind is int and value != int(value)):
        return False
    return lo <= value <= hi


def url_value_ok(key: str, raw: str, limits) -> bool:
    """Whether a URL value can be shown by the training widget ``key``."""
    return BY_KEY[key].url_ok(raw, limits)


def widget_values(config: TrainConfig) -> dict[str, object]:
    """What each training widget shows for a config (the inverse of :func:`read_settings`),
    snapped to what the widget can show."""
    return {s.key: s.to_widget(getattr(config, s.field)) for s in SETTINGS}


def read_settings(base: TrainConfig, values: dict) -> TrainConfig:
    """A TrainConfig from widget values, on top of ``base`` (eval cadence, dtype…); a key
    missing from ``values`` (or None) keeps ``base``'s value. Raises ValueError for a
    combination the core refuses."""
    changes = {
        s.field: s.to_field(values[s.key]) for s in SETTINGS if values.get(s.key) is not None
    }
    return dataclasses.replace(base, **changes)


def snap(changes: dict[str, object]) -> dict[str, object]:
    """TrainConfig field changes (a one-click fix) as widget values on the grid: the value
    the app sets is one its control accepts (``lr`` 0.0025 becomes "0.002")."""
    return {BY_FIELD[f].key: BY_FIELD[f].to_widget(v) for f, v in changes.items()}


def snapped_config(config: TrainConfig, changes: dict[str, object]) -> TrainConfig:
    """``config`` with field ``changes`` applied as the widgets will show them."""
    return read_settings(config, snap(changes))


# ----------------------------------------------------------------------------- write (Explore)

# Explore's "Write" for language models: the same kind of rows, for the keywords of
# rnn_core.tasks.text.generate (``field``) instead of TrainConfig fields.
TEMPERATURES = ("0", "0.1", "0.2", "0.3", "0.5", "0.7", "1", "1.4", "2", "3", "5", "10")
# log-spaced and symmetric about 1 (0.5 ↔ 2, 0.2 ↔ 5), plus 0 = argmax
MAX_PRIME = 200  # characters of prime
MAX_LENGTH = 500  # tokens written

WRITE_SETTINGS: tuple[Setting, ...] = (
    Setting("prime", "prime", "Prime", "text", hi=MAX_PRIME,
            help="The text the model reads first and then continues. Empty: it starts a "
            "speech (characters) or a sentence (words)."),
    Setting("length", "n", "Length (tokens)", "number", number=int, lo=1, hi=MAX_LENGTH,
            step=50, help="How many tokens to write: characters or words.",
            to_field=int, to_widget=int),
    Setting("temperature", "temperature", "Temperature (log scale; 0 = argmax)", "slider",
            TEMPERATURES,
            help="Each token is drawn from the model's probabilities sharpened (below 1) or "
            "flattened (above 1). 0 always takes the most probable token; 1 draws from the "
            "model's own probabilities.",
            to_field=float,
            to_widget=lambda t: min(TEMPERATURES, key=lambda o: abs(float(o) - t))),
    Setting("write_seed", "seed", "Seed", "number", number=int, lo=0, hi=2**31 - 1, step=1,
            help="The same seed, prime and temperature write the same text.",
            to_field=int, to_widget=int),
)  # fmt: skip
WRITE_BY_KEY = {s.key: s for s in WRITE_SETTINGS}
WRITE_DEFAULTS = {"prime": "Romeo.", "length": 200, "temperature": "0.7", "write_seed": 0}


@dataclass(frozen=True)
class WriteRequest:
    """What Write is asked to generate: the keywords of ``generate`` and the seed of its rng."""

    prime: str
    n: int
    temperature: float
    seed: int


def write_request(values: dict) -> WriteRequest:
    """A WriteRequest from the Write widgets' values (a missing or unusable one: its default)."""
    out = {}
    for s in WRITE_SETTINGS:
        value = values.get(s.key)
        if value is None or not s.url_ok(str(value), None):
            value = WRITE_DEFAULTS[s.key]
        out[s.field] = s.to_field(value)
    return WriteRequest(**out)
