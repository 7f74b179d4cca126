"""The colour maps a learner can choose, and how a drawn figure or HTML view changes to them.

Every view draws with the house scales of :mod:`ui.views.html`: ColorBrewer RdBu for signed
values (blue negative, white 0, red positive) and viridis for magnitudes. A session may pick
another map for either (the sidebar's Display, URL keys ``diverging`` and ``sequential``). The
views stay as they are; :func:`recolour` maps a finished figure's colours instead: every colour
that lies on a house scale (a colorscale stop, a bar's "positive" red, a viridis marker) is
found on it — its position 0…1 — and replaced by the chosen map's colour at that position. So
a value keeps its place on the scale (0 stays in the middle) whatever the map, and no view has
to thread a palette argument through.

The choices:

- signed values: ``red-blue`` (ColorBrewer RdBu, the default), ``purple-orange`` (ColorBrewer
  PuOr: safe for deuteranopia and protanopia) and ``blue-yellow`` (cividis: luminance rising
  monotonically from negative to positive: it reads in greyscale and for every common colour
  vision deficiency; 0 is mid-grey, not white);
- magnitudes: ``viridis`` (the default) and ``cividis`` (Nuñez, Anderton & Renslow 2018:
  optimised for deuteranopia, perceptually uniform).

Line colours already come from the Okabe–Ito set (``figure_kit.CLASS_COLOURS``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ui.views.html import DIVERGING_STOPS, SEQUENTIAL_STOPS, text_colour


def _stops(colours: list[str]) -> np.ndarray:
    return np.array([parse_colour(c)[:3] for c in colours], dtype=np.float64)


def parse_colour(colour: str) -> tuple[float, float, float, str] | None:
    """(r, g, b, alpha text) of "rgb(…)", "rgba(…)" or "#rrggbb"; None for anything else."""
    text = colour.strip().lower()
    if text.startswith("#") and len(text) == 7:
        try:
            return (int(text[1:3], 16), int(text[3:5], 16), int(text[5:7], 16), "")
        except ValueError:
            return None
    m = re.fullmatch(
        r"rgba?\(\s*([\d.]+)\s*,\s*([\d.]+)\s*,\s*([\d.]+)\s*(?:,\s*([\d.]+)\s*)?\)", text
    )
    if m is None:
        return None
    return (float(m[1]), float(m[2]), float(m[3]), m[4] or "")


# ColorBrewer PuOr from its negative (purple) end to its positive (orange) end.
PUOR_STOPS = _stops(
    ["#2d004b", "#542788", "#8073ac", "#b2abd2", "#d8daeb", "#f7f7f7",
     "#fee0b6", "#fdb863", "#e08214", "#b35806", "#7f3b08"]
)  # fmt: skip
CIVIDIS_STOPS = _stops(
    ["#00224e", "#123570", "#3b496c", "#575d6d", "#707173", "#8a8678",
     "#a59c74", "#c3b369", "#e1cc55", "#fee838"]
)  # fmt: skip


@dataclass(frozen=True)
class ColourMap:
    name: str  # the URL value
    label: str  # what the picker shows
    stops: np.ndarray  # (n, 3) RGB from the low end to the high end, evenly spaced


DIVERGING = {
    m.name: m
    for m in (
        ColourMap(
            "red-blue", "ColorBrewer RdBu: blue negative, white 0, red positive", DIVERGING_STOPS
        ),
        ColourMap(
            "purple-orange", "ColorBrewer PuOr: safe for red–green colour blindness", PUOR_STOPS
        ),
        ColourMap(
            "blue-yellow",
            "cividis: dark blue to yellow through grey, reads in greyscale too",
            CIVIDIS_STOPS,
        ),
    )
}
SEQUENTIAL = {
    m.name: m
    for m in (
        ColourMap("viridis", "viridis: perceptually uniform", SEQUENTIAL_STOPS),
        ColourMap("cividis", "cividis: optimised for red–green colour blindness", CIVIDIS_STOPS),
    )
}
DEFAULT_DIVERGING = "red-blue"
DEFAULT_SEQUENTIAL = "viridis"

_SAMPLES = 1001  # positions 0, 0.001, …, 1 on each house scale
_ON_SCALE = 2.5  # RGB distance within which a colour counts as lying on a house scale


def _sample(stops: np.ndarray) -> np.ndarray:
    grid = np.linspace(0.0, 1.0, len(stops))
    pos = np.linspace(0.0, 1.0, _SAMPLES)
    return np.stack([np.interp(pos, grid, stops[:, c]) for c in range(3)], axis=-1)


_HOUSE = {"diverging": _sample(DIVERGING_STOPS), "sequential": _sample(SEQUENTIAL_STOPS)}


def locate(r: float, g: float, b: float) -> tuple[str, float] | None:
    """Which house scale a colour lies on ("diverging" or "sequential") and where (0…1), or
    None for a colour on neither (Okabe–Ito lines, greys, …)."""
    best = None
    for kind, samples in _HOUSE.items():
        d = np.sqrt(((samples - (r, g, b)) ** 2).sum(axis=1))
        i = int(np.argmin(d))
        if d[i] <= _ON_SCALE and (best is None or d[i] < best[2]):
            best = (kind, i / (_SAMPLES - 1), float(d[i]))
    return None if best is None else best[:2]


@dataclass(frozen=True)
class Palette:
    """The maps a session draws with (URL values of DIVERGING and SEQUENTIAL)."""

    diverging: str = DEFAULT_DIVERGING
    sequential: str = DEFAULT_SEQUENTIAL

    @property
    def is_default(self) -> bool:
        return (self.diverging, self.sequential) == (DEFAULT_DIVERGING, DEFAULT_SEQUENTIAL)

    def colour_at(self, kind: str, pos: float) -> tuple[int, int, int]:
        stops = (DIVERGING if kind == "diverging" else SEQUENTIAL)[
            self.diverging if kind == "diverging" else self.sequential
        ].stops
        grid = np.linspace(0.0, 1.0, len(stops))
        return tuple(round(float(np.interp(pos, grid, stops[:, c]))) for c in range(3))


@lru_cache(maxsize=4096)
def _recolour_one(colour: str, palette: Palette) -> str:
    parsed = parse_colour(colour)
    if parsed is None:
        return colour
    r, g, b, alpha = parsed
    where = locate(r, g, b)
    if where is None:
        return colour
    nr, ng, nb = palette.colour_at(*where)
    return f"rgba({nr},{ng},{nb},{alpha})" if alpha else f"rgb({nr},{ng},{nb})"


def recolour_colour(colour, palette: Palette):
    """One colour (any plotly colour string) in ``palette``: a house-scale colour moved to the
    same position on the chosen map; anything else unchanged."""
    if not isinstance(colour, str) or palette.is_default:
        return colour
    return _recolour_one(colour, palette)


_COLOUR_KEYS = ("color", "bgcolor", "fillcolor", "bordercolor")


def recolour(spec, palette: Palette):
    """A figure spec (plotly's ``fig.to_plotly_json()`` dict, or any part of one) with every
    house-scale colour in ``palette``: colorscales, marker, line, bar, shape and annotation
    colours. Returns a new structure; numeric arrays are shared, not copied."""
    if palette.is_default:
        return spec
    return _walk(spec, palette)


def _walk(node, palette: Palette, key: str = ""):
    if isinstance(node, dict):
        return {k: _walk(v, palette, k) for k, v in node.items()}
    if key == "colorscale" and isinstance(node, list | tuple):
        return [
            [s[0], recolour_colour(s[1], palette)] if isinstance(s, list | tuple) else s
            for s in node
        ]
    if key in _COLOUR_KEYS:
        if isinstance(node, str):
            return recolour_colour(node, palette)
        if isinstance(node, list | tuple) and node and isinstance(node[0], str):
            return [recolour_colour(c, palette) for c in node]
        return node
    if isinstance(node, list | tuple) and node and isinstance(node[0], dict | list | tuple):
        return [_walk(v, palette) for v in node]
    return node


_HTML_CELL = re.compile(r"background:rgb\((\d+),(\d+),(\d+)\);color:#[0-9a-fA-F]{6}")


def recolour_html(markup: str, palette: Palette) -> str:
    """An HTML view (``ui.views.html``: ``background:rgb(…);color:#…`` per token) in
    ``palette``, each text colour chosen again for contrast with its new background."""
    if palette.is_default:
        return markup

    def swap(m: re.Match) -> str:
        where = locate(float(m[1]), float(m[2]), float(m[3]))
        if where is None:
            return m[0]
        rgb = palette.colour_at(*where)
        return f"background:rgb({rgb[0]},{rgb[1]},{rgb[2]});color:{text_colour(rgb)}"

    return _HTML_CELL.sub(swap, markup)
