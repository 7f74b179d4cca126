"""How a session wants its charts drawn: projector mode, the dark theme and the palette.

Pure (no streamlit). The chart builders draw one house look (``ui.views.figure_kit``); a
:class:`Display` other than the default is applied to the finished figure's spec by
:func:`restyle`, in one place (``ui.glue.charts.show_chart``), so every chart on every page
follows it and no builder takes display arguments:

- **projector** (URL ``display=projector``): fonts and tick labels ×1.35, lines ×1.75 as
  thick, markers ×1.4, darker grid lines, faint series made stronger, a little more height;
  pages also put fewer charts side by side (``ui.glue.display``);
- **dark** (Streamlit's own theme, which the browser picks: the system setting, or
  ``embed_options=dark_theme`` in the link): plotly's dark template on a transparent
  background, and every grey of the house look mirrored (near-black reference lines become
  near-white, light-grey bands dark grey), so nothing drawn in black disappears;
- **palette** (URL ``diverging=``, ``sequential=``): see :mod:`ui.views.palettes`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import plotly.io as pio

from ui.views.palettes import Palette, parse_colour, recolour

DISPLAYS = ("screen", "projector")  # the URL values of ``display``
FONT_SCALE = 1.35
LINE_SCALE = 1.75
MARKER_SCALE = 1.4
HEIGHT_SCALE = 1.15
BASE_FONT = 13  # figure_kit.FONT_SIZE: the size a figure without one is drawn at
BASE_LINE = 2.0  # plotly's default scatter line width
MIN_OPACITY = 0.8  # projector: faint series (per-batch curves, other runs) at least this
PROJECTOR_TEXT = {False: "#111111", True: "#ffffff"}  # plotly's text (#2a3f5f) is too pale
PROJECTOR_GRID = "#c4c4c4"  # plotly_white's grid (#EBF0F8) washes out on a projector
DARK_BACKGROUND = "rgba(0,0,0,0)"  # the chart shows Streamlit's own dark background


@dataclass(frozen=True)
class Display:
    projector: bool = False
    dark: bool = False
    palette: Palette = field(default_factory=Palette)

    @property
    def is_default(self) -> bool:
        return not self.projector and not self.dark and self.palette.is_default


def restyle(spec: dict, display: Display) -> dict:
    """A figure spec (``fig.to_plotly_json()``) drawn for ``display``: a new dict (the input
    is not changed; numeric arrays are shared). The default display returns ``spec`` itself."""
    if display.is_default:
        return spec
    spec = recolour(spec, display.palette) if not display.palette.is_default else _copy(spec)
    layout = spec.setdefault("layout", {})
    data = spec.setdefault("data", [])
    if display.dark:
        _darken(spec)
    if display.projector:
        _enlarge(layout, data, display.dark)
    return spec


def _copy(node):
    """Dicts and lists copied, leaves (arrays, strings, numbers) shared."""
    if isinstance(node, dict):
        return {k: _copy(v) for k, v in node.items()}
    if isinstance(node, list) and node and isinstance(node[0], dict | list):
        return [_copy(v) for v in node]
    return node


# ----------------------------------------------------------------------------- projector


def _scale_fonts(node, scale: float, inside_font: bool = False) -> None:
    """Every ``size`` of every font dict (font, tickfont, title.font, legend.font, …) × scale."""
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "template":  # replaced or left as is, never scaled (it may be shared)
                continue
            if inside_font and k == "size" and isinstance(v, int | float):
                node[k] = round(v * scale, 1)
            elif isinstance(v, dict | list):
                _scale_fonts(v, scale, k in ("font", "tickfont", "textfont"))
    elif isinstance(node, list):
        for v in node:
            if isinstance(v, dict):
                _scale_fonts(v, scale)


def _enlarge(layout: dict, data: list, dark: bool) -> None:
    _scale_fonts(layout, FONT_SCALE)
    font = layout.setdefault("font", {})
    font.setdefault("size", round(BASE_FONT * FONT_SCALE, 1))
    font["color"] = PROJECTOR_TEXT[dark]  # every label and tick: full contrast
    hover = layout.setdefault("hoverlabel", {}).setdefault("font", {})
    hover.setdefault("size", round(BASE_FONT * FONT_SCALE, 1))
    margin = layout.get("margin") if isinstance(layout.get("margin"), dict) else {}
    old_plot = _plot_px(layout, margin)
    if isinstance(layout.get("height"), int | float):
        layout["height"] = int(layout["height"] * HEIGHT_SCALE)
    for side in ("l", "b", "t"):
        if isinstance(margin.get(side), int | float):
            margin[side] = int(margin[side] * 1.2)
    xaxis = layout.get("xaxis")
    if isinstance(xaxis, dict) and "scaleratio" in xaxis and old_plot and _plot_px(layout, margin):
        # a token axis (figure_kit.token_axis): its columns are a fraction of the plot's
        # height; they widen with the labels' font, not with the height
        columns = xaxis["scaleratio"] * old_plot * FONT_SCALE
        xaxis["scaleratio"] = columns / _plot_px(layout, margin)
    for name, axis in list(layout.items()):
        if (name.startswith("xaxis") or name.startswith("yaxis")) and isinstance(axis, dict):
            if not dark:
                axis.setdefault("gridcolor", PROJECTOR_GRID)
            axis.setdefault("tickfont", {}).setdefault("size", round(BASE_FONT * FONT_SCALE, 1))
    for trace in data:
        _scale_fonts(trace, FONT_SCALE)
        kind = trace.get("type", "scatter")
        if kind in ("scatter", "scattergl"):
            line = trace.setdefault("line", {})
            line["width"] = round(float(line.get("width", BASE_LINE)) * LINE_SCALE, 2)
        marker = trace.get("marker")
        if isinstance(marker, dict) and isinstance(marker.get("size"), int | float):
            marker["size"] = round(marker["size"] * MARKER_SCALE, 1)
        opacity = trace.get("opacity")
        if isinstance(opacity, int | float) and opacity < MIN_OPACITY:
            trace["opacity"] = MIN_OPACITY


def _plot_px(layout: dict, margin: dict) -> float | None:
    """The plot area's height in px (the figure's height less its top and bottom margins)."""
    height = layout.get("height")
    if not isinstance(height, int | float):
        return None
    return max(height - margin.get("t", 0) - margin.get("b", 0), 1)


# ----------------------------------------------------------------------------- dark


@lru_cache(maxsize=1)
def _dark_template() -> dict:
    return pio.templates["plotly_dark"].to_plotly_json()


def _mirror_grey(colour):
    """A grey (r ≈ g ≈ b) mirrored in lightness (#111111 → #eeeeee, #e6e6e6 → #191919), with
    its alpha; any other colour unchanged."""
    if not isinstance(colour, str):
        return colour
    parsed = parse_colour(colour)
    if parsed is None:
        return colour
    r, g, b, alpha = parsed
    if max(r, g, b) - min(r, g, b) > 12:
        return colour
    r, g, b = (round(255 - v) for v in (r, g, b))
    return f"rgba({r},{g},{b},{alpha})" if alpha else f"rgb({r},{g},{b})"


def _darken(spec: dict) -> None:
    layout = spec["layout"]
    for key in ("color", "bgcolor", "fillcolor", "bordercolor", "gridcolor", "linecolor",
                "zerolinecolor", "tickcolor"):  # fmt: skip
        _map_key(layout, key)
    for trace in spec["data"]:
        for key in ("color", "fillcolor", "bordercolor"):
            _map_key(trace, key)
    layout["template"] = _dark_template()
    layout["paper_bgcolor"] = DARK_BACKGROUND
    layout["plot_bgcolor"] = DARK_BACKGROUND


def _map_key(node, key: str) -> None:
    """Mirror the greys under ``key`` anywhere in ``node``, except inside colorscales and the
    template (heatmaps keep their map; the template is replaced)."""
    if isinstance(node, dict):
        for k, v in node.items():
            if k in ("colorscale", "template"):
                continue
            if k == key:
                if isinstance(v, str):
                    node[k] = _mirror_grey(v)
                elif isinstance(v, list) and v and isinstance(v[0], str):
                    node[k] = [_mirror_grey(c) for c in v]
            elif isinstance(v, dict | list):
                _map_key(v, key)
    elif isinstance(node, list):
        for v in node:
            if isinstance(v, dict):
                _map_key(v, key)
