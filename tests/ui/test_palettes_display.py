"""The display a session chose: palettes and projector/dark (ui.views.palettes, .display)."""

from __future__ import annotations

import copy
import itertools

import numpy as np
import pytest

from ui.views import charts_explore
from ui.views.display import (
    FONT_SCALE,
    LINE_SCALE,
    MIN_OPACITY,
    Display,
    restyle,
)
from ui.views.html import (
    DIVERGING_STOPS,
    NEGATIVE_COLOUR,
    POSITIVE_COLOUR,
    neuron_text_html,
    plotly_colorscale,
)
from ui.views.palettes import (
    CIVIDIS_STOPS,
    DIVERGING,
    PUOR_STOPS,
    SEQUENTIAL,
    Palette,
    locate,
    recolour,
    recolour_colour,
    recolour_html,
)

CIVIDIS = Palette("blue-yellow", "cividis")
PUOR = Palette("purple-orange", "viridis")


def _rgb(text: str) -> tuple[int, ...]:
    return tuple(int(v) for v in text[text.index("(") + 1 : text.index(")")].split(","))


# ----------------------------------------------------------------------------- palettes


def test_house_colours_are_located_on_their_scale():
    assert locate(5, 48, 97) == ("diverging", 0.0)
    assert locate(247, 247, 247) == ("diverging", 0.5)
    assert locate(103, 0, 31) == ("diverging", 1.0)
    assert locate(68, 1, 84) == ("sequential", 0.0)
    assert locate(253, 231, 37) == ("sequential", 1.0)
    for okabe_ito in ((0, 114, 178), (213, 94, 0), (0, 158, 115), (0, 0, 0)):
        assert locate(*okabe_ito) is None


def test_a_colour_keeps_its_place_on_the_chosen_map():
    assert _rgb(recolour_colour("rgb(5,48,97)", PUOR)) == tuple(PUOR_STOPS[0].astype(int))
    assert _rgb(recolour_colour("rgb(247,247,247)", PUOR)) == (247, 247, 247)
    assert _rgb(recolour_colour("rgb(103,0,31)", CIVIDIS)) == tuple(CIVIDIS_STOPS[-1].astype(int))
    assert _rgb(recolour_colour("#440154", CIVIDIS)) == tuple(CIVIDIS_STOPS[0].astype(int))
    # the bars' "positive" and "negative" move with the map; other colours stay
    assert recolour_colour(POSITIVE_COLOUR, PUOR) != POSITIVE_COLOUR
    assert recolour_colour(NEGATIVE_COLOUR, PUOR) != NEGATIVE_COLOUR
    assert recolour_colour("#0072B2", PUOR) == "#0072B2"
    assert recolour_colour("rgba(178,24,43,0.5)", PUOR).endswith(",0.5)")
    assert recolour_colour("not a colour", PUOR) == "not a colour"


def test_a_lopsided_heatmap_keeps_zero_in_the_middle_of_any_map():
    scale = plotly_colorscale(-0.5, 2.0)
    spec = recolour({"data": [{"type": "heatmap", "colorscale": scale}]}, CIVIDIS)
    out = spec["data"][0]["colorscale"]
    assert [p for p, _ in out] == [p for p, _ in scale]  # positions unchanged
    zero_at = 0.5 / 2.5
    mid = CIVIDIS.colour_at("diverging", 0.5)
    (at_zero,) = [c for p, c in out if abs(p - zero_at) < 1e-9]
    assert _rgb(at_zero) == mid


def _luminance(rgb) -> float:
    c = np.asarray(rgb, dtype=np.float64) / 255.0
    lin = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    return float(0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2])


# Machado, Oliveira & Fernandes (2009), deuteranomaly at severity 1.0, on linear RGB.
DEUTERANOPIA = np.array(
    [
        [0.367322, 0.860646, -0.227968],
        [0.280085, 0.672501, 0.047413],
        [-0.011820, 0.042940, 0.968881],
    ]
)


def _deuteranope(rgb) -> np.ndarray:
    c = np.asarray(rgb, dtype=np.float64) / 255.0
    lin = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    return np.clip(DEUTERANOPIA @ lin, 0, 1)


def test_cividis_tells_signs_apart_in_greyscale_and_for_deuteranopes():
    """The alternative signed map survives both: −v and +v differ in luminance (greyscale)
    and in a simulated deuteranope's colours, at every |v| from 0.1 to 1."""
    for v in np.linspace(0.1, 1.0, 10):
        neg = CIVIDIS.colour_at("diverging", 0.5 - v / 2)
        pos = CIVIDIS.colour_at("diverging", 0.5 + v / 2)
        assert _luminance(pos) - _luminance(neg) > 0.01
        assert np.linalg.norm(_deuteranope(pos) - _deuteranope(neg)) > 0.02
    lum = [_luminance(CIVIDIS.colour_at("diverging", p)) for p in np.linspace(0, 1, 21)]
    assert all(b > a for a, b in itertools.pairwise(lum))  # monotone: a greyscale ramp


def test_rdbu_cannot_tell_signs_apart_in_greyscale():
    """Why a second map is offered: RdBu's two halves have (nearly) the same luminance."""
    neg, pos = DIVERGING_STOPS[2], DIVERGING_STOPS[-3]
    assert abs(_luminance(pos) - _luminance(neg)) < 0.06


def test_recoloured_html_chooses_its_text_colour_again():
    markup = neuron_text_html(["good", "bad"], [1.0, -1.0])
    out = recolour_html(markup, CIVIDIS)
    yellow = CIVIDIS.colour_at("diverging", 1.0)
    assert f"background:rgb({yellow[0]},{yellow[1]},{yellow[2]});color:#111111" in out
    assert "rgb(103,0,31)" in markup and "rgb(103,0,31)" not in out
    assert recolour_html(markup, Palette()) is markup


def test_the_maps_are_named_for_the_url():
    assert set(DIVERGING) == {"red-blue", "purple-orange", "blue-yellow"}
    assert set(SEQUENTIAL) == {"viridis", "cividis"}


# ----------------------------------------------------------------------------- restyle


def _heatmap_spec() -> dict:
    rng = np.random.default_rng(0)
    return charts_explore.hidden_heatmap(
        rng.uniform(-1, 1, (6, 8)), list("abcdef")
    ).to_plotly_json()


def test_the_default_display_changes_nothing():
    spec = _heatmap_spec()
    assert restyle(spec, Display()) is spec


def test_restyle_leaves_its_input_alone():
    spec = _heatmap_spec()
    before = copy.deepcopy(spec)
    restyle(spec, Display(projector=True, dark=True, palette=CIVIDIS))
    assert repr(spec) == repr(before)


def test_projector_enlarges_fonts_lines_and_markers():
    spec = {
        "data": [
            {"type": "scatter", "line": {"width": 2.0}, "marker": {"size": 6}, "opacity": 0.4},
            {"type": "scatter"},
        ],
        "layout": {"font": {"size": 13}, "title": {"font": {"size": 16}}, "height": 300,
                   "xaxis": {"tickfont": {"size": 10}}},
    }  # fmt: skip
    out = restyle(spec, Display(projector=True))
    assert out["layout"]["font"]["size"] == pytest.approx(13 * FONT_SCALE, abs=0.06)
    assert out["layout"]["title"]["font"]["size"] == pytest.approx(16 * FONT_SCALE, abs=0.06)
    assert out["layout"]["xaxis"]["tickfont"]["size"] == pytest.approx(10 * FONT_SCALE, abs=0.06)
    assert out["data"][0]["line"]["width"] == pytest.approx(2.0 * LINE_SCALE)
    assert out["data"][1]["line"]["width"] == pytest.approx(2.0 * LINE_SCALE)  # plotly's default
    assert out["data"][0]["marker"]["size"] > 6
    assert out["data"][0]["opacity"] == MIN_OPACITY
    assert out["layout"]["height"] > 300
    assert out["layout"]["font"]["color"] == "#111111"


def test_dark_uses_the_dark_template_and_mirrors_greys_but_not_heatmap_colours():
    spec = {
        "data": [
            {"type": "scatter", "line": {"color": "#111111"}},
            {"type": "heatmap", "colorscale": [[0, "rgb(5,48,97)"], [0.5, "rgb(247,247,247)"]]},
        ],
        "layout": {"shapes": [{"fillcolor": "#e6e6e6"}], "template": {"layout": {}}},
    }
    out = restyle(spec, Display(dark=True))
    assert out["data"][0]["line"]["color"] == "rgb(238,238,238)"
    assert out["layout"]["shapes"][0]["fillcolor"] == "rgb(25,25,25)"
    assert out["data"][1]["colorscale"][1][1] == "rgb(247,247,247)"
    assert out["layout"]["template"]["layout"]["paper_bgcolor"] == "rgb(17,17,17)"  # plotly_dark
    assert out["layout"]["paper_bgcolor"] == "rgba(0,0,0,0)"


def test_a_real_heatmap_restyled_for_a_projector_in_cividis():
    out = restyle(_heatmap_spec(), Display(projector=True, palette=CIVIDIS))
    first = out["data"][0]["colorscale"][0][1]
    assert _rgb(first) == tuple(CIVIDIS_STOPS[0].astype(int))
    assert out["layout"]["font"]["size"] > 13


def test_projector_widens_token_columns_with_their_labels():
    """A token axis' columns (scaleratio × plot height) grow by the font's factor, so the
    larger labels do not crowd; the plot's own height grows less."""
    spec = charts_explore.hidden_heatmap(np.zeros((60, 4)), [f"w{i}" for i in range(60)])
    before = spec.to_plotly_json()["layout"]
    out = restyle(spec.to_plotly_json(), Display(projector=True))["layout"]

    def column(layout):
        plot = layout["height"] - layout["margin"]["t"] - layout["margin"]["b"]
        return layout["xaxis"]["scaleratio"] * plot

    assert column(out) == pytest.approx(column(before) * FONT_SCALE)
