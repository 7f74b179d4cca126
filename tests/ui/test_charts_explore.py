"""The Explore page's pure chart builders (ui/views/charts_explore.py) and the HTML builders
(ui/views/html.py) that share their colour scales.

Figures are checked as data: which arrays went into which trace, what the tick labels and
hover templates say, and that the big arrays leave as base64 binary, decoded the way the
browser does (tests/plotly_spec.py; docs/DEVELOPING.md, "Browser tests").
"""

from __future__ import annotations

import ast
import html as std_html
import json
import re
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import pytest

from tests.plotly_spec import decode
from ui.views import charts_explore as ce
from ui.views.analysis import changing_units
from ui.views.figure_kit import COLUMN_MIN_PX, data_traces, is_ruler, label_px
from ui.views.html import (
    NEGATIVE_COLOUR,
    NEUTRAL_COLOUR,
    POSITIVE_COLOUR,
    display_token,
    diverging_rgb,
    neuron_text_html,
    plotly_colorscale,
    rgb_array,
    scale_rgb,
    sequential_rgb,
    text_colour,
    token_chips_html,
    visible_token,
)

NASTY = ["bad", "<script>alert(1)</script>", "🎬", "bad", " ", "a&b", '"q"', "\n", "<b>x</b>"]


def rng(seed=0):
    return np.random.default_rng(seed)


def as_json(fig: go.Figure) -> dict:
    return json.loads(pio.to_json(fig, engine="orjson"))


def numeric_lists(obj, path="") -> list[str]:
    """Paths of JSON lists of more than 2 plain numbers (arrays that did not go out binary)."""
    found = []
    if isinstance(obj, dict):
        for key, value in obj.items():
            found += numeric_lists(value, f"{path}.{key}")
    elif isinstance(obj, list):
        flat = np.asarray(obj, dtype=object).ravel() if obj else []
        if len(obj) > 2 and all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in flat
        ):
            found.append(path)
        else:
            for i, value in enumerate(obj):
                found += numeric_lists(value, f"{path}[{i}]")
    return found


def parse_rgb(text: str) -> np.ndarray:
    return np.array([int(c) for c in re.fullmatch(r"rgb\((\d+),(\d+),(\d+)\)", text).groups()])


def colorscale_at(scale, pos: float) -> np.ndarray:
    """What plotly does with a colorscale: linear RGB interpolation between stops."""
    positions = np.array([p for p, _ in scale])
    colours = np.array([parse_rgb(c) for _, c in scale], dtype=float)
    return np.array([np.interp(pos, positions, colours[:, c]) for c in range(3)])


# ----------------------------------------------------------------------------- tokens


def test_display_token_escapes_and_shows_whitespace():
    assert display_token("bad") == "bad"
    assert display_token("<script>") == "&lt;script&gt;"
    assert display_token("a&b") == "a&amp;b"
    assert display_token('"q"') == '"q"'  # plotly does not decode &quot;: keep quotes as is
    assert display_token('"q"', quote=True) == "&quot;q&quot;"
    assert display_token(" ") == "␣"
    assert display_token("\n") == "↵"
    assert display_token("\t") == "⇥"
    assert display_token("  ") == "␣␣"
    assert display_token("\r\n") == "␍↵"
    assert display_token("") == "∅"
    assert display_token("\u200b") == "U+200B"
    assert display_token("🎬") == "🎬"
    family = "👨\u200d👩\u200d👧"  # zero-width joiners inside a visible token: left alone
    assert display_token(family) == family
    assert display_token("don't") == "don't"
    assert visible_token("<b>") == "<b>"  # unescaped variant
    assert display_token(7) == "7"


# ----------------------------------------------------------------------------- heatmap


def test_hidden_heatmap_z_is_states_transposed():
    states = rng().uniform(-1, 1, size=(7, 5))
    fig = ce.hidden_heatmap(states, [f"t{i}" for i in range(7)])
    assert len(data_traces(fig)) == 1 and is_ruler(fig.data[-1])  # + the token axis' ruler
    heat = fig.data[0]
    assert isinstance(heat, go.Heatmap)
    z = np.asarray(heat.z)
    assert z.shape == (5, 7)
    assert z.dtype == np.float32
    np.testing.assert_allclose(z, states.T, rtol=1e-6)
    np.testing.assert_array_equal(heat.x, np.arange(7))
    np.testing.assert_array_equal(heat.y, np.arange(5))
    np.testing.assert_array_equal(heat.customdata, np.repeat(np.arange(5)[:, None], 7, axis=1))
    assert list(fig.layout.yaxis.ticktext) == ["u0", "u1", "u2", "u3", "u4"]
    assert fig.layout.yaxis.autorange == "reversed"


def test_hidden_heatmap_rows_follow_order():
    states = rng(1).uniform(-1, 1, size=(4, 6))
    order = np.array([3, 0, 5, 1, 4, 2])
    fig = ce.hidden_heatmap(states, list("abcd"), order=order)
    heat = fig.data[0]
    np.testing.assert_allclose(np.asarray(heat.z), states.T[order], rtol=1e-6)
    # row r shows unit order[r]: in the labels and in every cell's hover unit
    assert list(fig.layout.yaxis.ticktext) == [f"u{u}" for u in order]
    np.testing.assert_array_equal(heat.customdata, np.repeat(order[:, None], 4, axis=1))
    # a subset of units is allowed too
    sub = ce.hidden_heatmap(states, list("abcd"), order=[5, 1])
    np.testing.assert_allclose(np.asarray(sub.data[0].z), states.T[[5, 1]], rtol=1e-6)
    with pytest.raises(ValueError):
        ce.hidden_heatmap(states, list("abcd"), order=[0, 6])


def test_hidden_heatmap_tick_labels_are_the_tokens_exactly():
    T = len(NASTY)
    fig = ce.hidden_heatmap(rng().uniform(-1, 1, (T, 3)), NASTY)
    ax = fig.layout.xaxis
    assert ax.tickmode == "array"
    np.testing.assert_array_equal(ax.tickvals, np.arange(T))
    assert list(ax.ticktext) == [display_token(t) for t in NASTY]
    assert ax.ticktext[1] == std_html.escape("<script>alert(1)</script>")
    assert ax.ticktext[0] == ax.ticktext[3] == "bad"  # repeated tokens keep their place
    assert ax.ticktext[2] == "🎬" and ax.ticktext[4] == "␣" and ax.ticktext[7] == "↵"
    text = pio.to_json(fig, engine="orjson")
    assert "<script" not in text and "<b>" not in text


def test_hidden_heatmap_hover_maps_each_cell_to_its_token_and_unit():
    tokens = ["not", "bad", "not", "good", "<i>"]
    states = rng(2).uniform(-1, 1, size=(5, 4))
    order = np.array([2, 0, 3, 1])
    fig = ce.hidden_heatmap(states, tokens, order=order, value_name="activation")
    heat, ax = fig.data[0], fig.layout.xaxis
    template = heat.hovertemplate
    # step number, the column's token (plotly.js shows the ticktext at x for an unformatted
    # %{x} on an array-tick axis), the unit from customdata, then the value
    assert template.startswith("step %{x:d} · token '%{x}'<br>unit %{customdata}<br>")
    assert "activation %{z:.3f}" in template
    ticks = dict(zip(list(ax.tickvals), list(ax.ticktext), strict=True))
    z, x, cd = np.asarray(heat.z), np.asarray(heat.x), np.asarray(heat.customdata)
    for r in range(4):
        for t in range(5):
            assert ticks[x[t]] == display_token(tokens[t])  # the token under the column
            assert cd[r, t] == order[r]  # the unit of the row
            assert z[r, t] == pytest.approx(states[t, order[r]], rel=1e-6)


def test_hidden_heatmap_colour_range():
    states = rng().uniform(-1, 1, (3, 2))
    fig = ce.hidden_heatmap(states, list("abc"), zrange=(-1.0, 1.0), value_name="h")
    heat = fig.data[0]
    assert (heat.zmin, heat.zmax, heat.zmid) == (-1.0, 1.0, 0.0)
    assert heat.colorbar.title.text == "h"
    assert heat.colorscale[0][1] == "rgb(5,48,97)"  # blue at the bottom
    assert heat.colorscale[-1][1] == "rgb(103,0,31)"  # red at the top
    gates = ce.hidden_heatmap(states, list("abc"), zrange=(0.0, 1.0), value_name="z")
    g = gates.data[0]
    assert (g.zmin, g.zmax, g.zmid) == (0.0, 1.0, None)
    assert g.colorscale[0][1] == "rgb(68,1,84)"  # viridis: sequential
    with pytest.raises(ValueError):
        ce.hidden_heatmap(states, list("abc"), zrange=(1.0, 1.0))


def test_lopsided_range_keeps_white_at_zero():
    fig = ce.hidden_heatmap(rng().uniform(-0.5, 2, (3, 2)), list("abc"), zrange=(-0.5, 2.0))
    scale = fig.data[0].colorscale
    white = [p for p, c in scale if c == "rgb(247,247,247)"]
    assert white == [pytest.approx(0.2)]  # (0 − (−0.5)) / 2.5
    assert scale[0] == (0.0, "rgb(5,48,97)") and scale[-1] == (1.0, "rgb(103,0,31)")


@pytest.mark.parametrize("zrange", [(-1.0, 1.0), (-0.5, 2.0), (-3.0, 0.5), (-2.0, -0.5)])
def test_heatmap_scale_agrees_with_diverging_rgb(zrange):
    lo, hi = zrange
    scale = plotly_colorscale(lo, hi)
    for v in np.linspace(lo, hi, 23):
        expected = parse_rgb(diverging_rgb(v, lo, hi))
        got = colorscale_at(scale, (v - lo) / (hi - lo))
        np.testing.assert_allclose(got, expected, atol=1.01)


def test_sequential_scale_agrees_with_sequential_rgb():
    scale = plotly_colorscale(0.0, 4.0)
    for v in np.linspace(0.0, 4.0, 17):
        expected = parse_rgb(sequential_rgb(v, 0.0, 4.0))
        np.testing.assert_allclose(colorscale_at(scale, v / 4.0), expected, atol=1.01)


@pytest.mark.parametrize(("H", "height"), [(1, 260), (8, 260), (20, 410), (40, 690), (64, 700)])
def test_heatmap_height_scales_with_units_and_is_clamped(H, height):
    fig = ce.hidden_heatmap(np.zeros((3, H)), list("abc"))
    assert fig.layout.height == height


def test_many_units_label_every_kth_row_but_hover_names_every_unit():
    H = 128
    order = rng().permutation(H)
    fig = ce.hidden_heatmap(np.zeros((4, H)), list("abcd"), order=order)
    y = fig.layout.yaxis
    step = int(np.ceil(H / 48))
    np.testing.assert_array_equal(y.tickvals, np.arange(0, H, step))
    assert list(y.ticktext) == [f"u{u}" for u in order[::step]]
    np.testing.assert_array_equal(np.asarray(fig.data[0].customdata)[:, 0], order)


def column_px(fig: go.Figure) -> float:
    """The px per step plotly gives the figure's token axis (see tests/ui/test_figure_kit.py)."""
    layout = fig.layout
    plot_px = layout.height - layout.margin.t - layout.margin.b
    return layout.xaxis.scaleratio * plot_px


CHAR_TEXT = "O Romeo, Romeo! wherefore art thou Romeo?\nDeny thy father\tand refuse thy name; "
WORD_TEXT = [
    "this",
    "movie",
    "is",
    "not",
    "bad",
    "at",
    "all",
    "but",
    "the",
    "ending",
    "felt",
    "rather",
    "long",
    "and",
    "slow",
]


def long_tokens(kind: str, T: int) -> list[str]:
    pool = list(CHAR_TEXT) if kind == "chars" else WORD_TEXT
    return [pool[t % len(pool)] for t in range(T)]


def token_charts(tokens: list[str]) -> dict[str, go.Figure]:
    """Every Explore chart with a token axis, for a sentence of ``tokens``."""
    T = len(tokens)
    vocab = sorted(set(tokens))
    probs = rng().dirichlet(np.ones(len(vocab)), T)
    return {
        "heatmap": ce.hidden_heatmap(rng().uniform(-1, 1, (T, 64)), tokens),
        "prediction": ce.prediction_lines(rng().dirichlet([1, 1], T), tokens, ["neg", "pos"]),
        "top_next": ce.top_next_tokens(probs, tokens, vocab),
        "regression": ce.regression_trace(np.linspace(0, 1, T), 0.5, tokens),
        "difference": ce.state_difference(np.zeros((T, 3)), np.ones((T, 3)), tokens, tokens),
        "saliency": ce.saliency_bars(rng().normal(size=T), tokens),
    }


@pytest.mark.parametrize("kind", ["words", "chars"])
@pytest.mark.parametrize("T", [50, 100, 200])
def test_long_sentences_label_every_token_readably_on_every_chart(kind, T):
    tokens = long_tokens(kind, T)
    for name, fig in token_charts(tokens).items():
        x = fig.layout.xaxis
        assert len(x.ticktext) == T and x.showticklabels is not False, name
        np.testing.assert_array_equal(x.tickvals, np.arange(T))
        assert not fig.layout.annotations, name  # no thinned copies: the ticks are drawn
        assert is_ruler(fig.data[-1]) and fig.layout.dragmode == "pan", name
        column = column_px(fig)
        assert column >= COLUMN_MIN_PX, name
        if kind == "chars" and name != "difference":  # its "a / a" pairs are words
            assert x.tickangle == 0, name
            assert "␣" in x.ticktext and "↵" in x.ticktext, name
            widest = max(label_px(label, x.tickfont.size) for label in x.ticktext)
            assert column >= widest + 4, name
        else:
            assert x.tickangle is None and list(x.autotickangles) == [0, -90], name
            assert column >= 1.2 * x.tickfont.size + 4, name
        assert x.title.text.endswith("<br>↔ drag for more"), name


def test_an_annotated_guess_chart_has_room_for_its_text():
    tokens = long_tokens("chars", 40)
    vocab = sorted(set(tokens))
    fig = ce.top_next_tokens(rng().dirichlet(np.ones(len(vocab)), 40), tokens, vocab)
    assert fig.data[0].texttemplate and column_px(fig) >= ce.GUESS_COLUMN_PX
    assert label_px("100%", fig.data[0].textfont.size) + 4 <= ce.GUESS_COLUMN_PX


def test_heatmap_serialises_as_binary():
    states = rng().uniform(-1, 1, (16, 7))
    order = rng().permutation(7)
    fig = ce.hidden_heatmap(states, [f"t{i}" for i in range(16)], order=order)
    for text in (fig.to_json(), pio.to_json(fig, engine="orjson")):
        out = json.loads(text)
        trace = out["data"][0]
        assert set(trace["z"]) == {"dtype", "bdata", "shape"}
        assert trace["z"]["dtype"] == "f4"
        z = decode(trace["z"])
        assert z.shape == (7, 16)
        np.testing.assert_allclose(z, states.T[order], rtol=1e-6)
        np.testing.assert_array_equal(decode(trace["customdata"]), np.repeat(order[:, None], 16, 1))
        np.testing.assert_array_equal(decode(trace["x"]), np.arange(16))
        np.testing.assert_array_equal(decode(out["layout"]["xaxis"]["tickvals"]), np.arange(16))
        assert "text" not in trace  # no (H, T) array of strings
        assert numeric_lists(out["data"]) == []


def test_heatmap_rejects_bad_input():
    with pytest.raises(ValueError):
        ce.hidden_heatmap(np.zeros((3, 2)), ["a", "b"])  # one token short
    with pytest.raises(ValueError):
        ce.hidden_heatmap(np.zeros(3), ["a", "b", "c"])
    with pytest.raises(ValueError):
        ce.hidden_heatmap(np.zeros((0, 2)), [])


# ----------------------------------------------------------------------------- prediction


def test_prediction_lines():
    probs = np.array([[0.7, 0.3], [0.4, 0.6], [0.88, 0.12]])
    tokens = ["not", "bad", "<not>"]
    fig = ce.prediction_lines(probs, tokens, ["negative", "positive"])
    assert len(data_traces(fig)) == 2
    for c, name in enumerate(["negative", "positive"]):
        line = fig.data[c]
        assert line.name == name and line.mode == "lines+markers"
        np.testing.assert_allclose(line.y, probs[:, c])
        np.testing.assert_array_equal(line.x, np.arange(3))
        assert list(line.text) == ["not", "bad", "&lt;not&gt;"]
        # the class name comes from the trace name, never pasted into the template
        assert line.hovertemplate.startswith("after '%{text}': %{fullData.name} %{y:.2f}")
    assert fig.data[0].line.color != fig.data[1].line.color
    assert list(fig.layout.xaxis.ticktext) == [display_token(t) for t in tokens]
    assert fig.layout.yaxis.range[0] <= 0 and fig.layout.yaxis.range[1] >= 1
    assert fig.layout.yaxis.title.text == "probability"
    (shape,) = fig.layout.shapes
    assert shape.y0 == shape.y1 == 0.5 and shape.line.dash == "dash"
    three = ce.prediction_lines(np.full((2, 3), 1 / 3), ["a", "b"], ["x", "y"])
    assert len(data_traces(three)) == 3 and not three.layout.shapes
    assert three.data[2].name == "class 2"  # a missing name
    assert numeric_lists(as_json(fig)["data"]) == []


def test_top_next_tokens():
    vocab = ["<pad>", "<unk>", "the", "cat", "sat", " "]
    probs = np.array(
        [
            [0.0, 0.05, 0.1, 0.6, 0.2, 0.05],  # after "the": cat, sat, the
            [0.0, 0.0, 0.1, 0.1, 0.7, 0.1],  # after "cat": sat, then ties in index order
            [0.02, 0.5, 0.08, 0.1, 0.0, 0.3],  # after "sat": <unk>, " ", cat
        ]
    )
    tokens = ["the", "cat", "sat"]
    fig = ce.top_next_tokens(probs, tokens, vocab, k=3)
    heat = fig.data[0]
    z = np.asarray(heat.z)
    assert z.shape == (3, 3)
    np.testing.assert_allclose(z[:, 0], [0.6, 0.2, 0.1], rtol=1e-6)
    np.testing.assert_allclose(z[:, 1], [0.7, 0.1, 0.1], rtol=1e-6)
    text = np.asarray(heat.text)
    assert list(text[:, 0]) == ["cat", "sat", "the"]
    assert list(text[:, 1]) == ["sat", "the", "cat"]
    assert list(text[:, 2]) == ["&lt;unk&gt;", "␣", "cat"]
    assert heat.texttemplate == "%{text}<br>%{z:.0%}"
    assert list(fig.layout.yaxis.ticktext) == ["1st", "2nd", "3rd"]
    assert list(fig.layout.xaxis.ticktext) == tokens
    assert (heat.zmin, heat.zmax) == (0.0, 1.0)
    # the token that came next: "cat" was the 1st guess after "the", "sat" the 1st after "cat"
    marks = fig.data[1]
    np.testing.assert_allclose(marks.x, np.array([0, 1]) - 0.3)
    np.testing.assert_allclose(marks.y, np.array([0, 0]) - 0.28)
    assert list(marks.customdata) == ["cat", "sat"]
    # k larger than the vocabulary; default title names k
    small = ce.top_next_tokens(probs[:, :4], tokens, vocab[:4], k=9)
    assert np.asarray(small.data[0].z).shape == (4, 3)
    assert "Top-4" in small.layout.title.text
    with pytest.raises(ValueError):
        ce.top_next_tokens(probs, tokens, vocab[:5])


def test_top_next_tokens_without_hits_has_one_trace():
    probs = np.array([[0.9, 0.1], [0.9, 0.1]])
    fig = ce.top_next_tokens(probs, ["b", "b"], ["a", "b"], k=1)
    assert len(data_traces(fig)) == 1 and fig.layout.showlegend is False


def test_regression_trace():
    pred = np.array([0.1, 0.5, 0.9, 1.2])
    only = ce.regression_trace(pred)
    assert len(only.data) == 1
    np.testing.assert_allclose(only.data[0].y, pred)
    assert only.layout.xaxis.title.text == "step"
    assert only.layout.xaxis.ticktext is None

    scalar = ce.regression_trace(pred, truth=1.0, tokens=["0.5", "◆0.3", "0.1", "<x>"])
    target = scalar.data[1]
    assert target.name == "target" and target.line.dash == "dash"
    np.testing.assert_allclose(target.y, [1.0, 1.0])
    np.testing.assert_allclose(target.x, [-0.5, 3.5])
    assert list(scalar.layout.xaxis.ticktext) == ["0.5", "◆0.3", "0.1", "&lt;x&gt;"]

    truth = np.array([0.0, 0.4, 0.8, 1.2])
    series = ce.regression_trace(pred, truth=truth, y_title="sum")
    np.testing.assert_allclose(series.data[1].y, truth)
    assert series.data[1].name == "target"
    assert series.layout.yaxis.title.text == "sum"
    with pytest.raises(ValueError):
        ce.regression_trace(pred, truth=truth[:3])


# ----------------------------------------------------------------------------- units


def test_unit_change_bar():
    states = rng(4).uniform(-1, 1, (9, 12))
    fig = ce.unit_change_bar(states, top=5)
    units = changing_units(states, 5)
    bar = fig.data[0]
    assert bar.orientation == "h"
    ranges = states.max(axis=0) - states.min(axis=0)
    np.testing.assert_allclose(bar.x, ranges[units])
    assert np.all(np.diff(np.asarray(bar.x)) <= 0)  # sorted descending
    assert list(fig.layout.yaxis.ticktext) == [f"u{u}" for u in units]
    assert fig.layout.yaxis.autorange == "reversed"  # largest on top
    cd = np.asarray(bar.customdata)
    np.testing.assert_array_equal(cd[:, 0], units)
    np.testing.assert_allclose(cd[:, 1], states.min(axis=0)[units])
    np.testing.assert_allclose(cd[:, 2], states.max(axis=0)[units])
    assert "min %{customdata[1]" in bar.hovertemplate and "max %{customdata[2]" in bar.hovertemplate


# ----------------------------------------------------------------------------- trajectory


def test_trajectory_one_path():
    path = np.array([[0.0, 0.0], [1.0, 0.5], [2.0, -0.5]])
    tokens = ["not", "<b>", " "]
    fig = ce.trajectory([path], ["not bad"], [tokens])
    assert len(fig.data) == 3  # path, start, end
    line, start, end = fig.data
    np.testing.assert_allclose(line.x, path[:, 0])
    np.testing.assert_allclose(line.y, path[:, 1])
    assert "text" in line.mode and list(line.text) == ["not", "&lt;b&gt;", "␣"]
    assert line.name == "not bad"
    assert start.marker.symbol == "circle-open" and end.marker.symbol == "star"
    np.testing.assert_allclose([start.x[0], start.y[0]], path[0])
    np.testing.assert_allclose([end.x[0], end.y[0]], path[-1])
    assert fig.layout.xaxis.title.text == "PC 1" and fig.layout.yaxis.title.text == "PC 2"
    assert fig.layout.yaxis.scaleanchor == "x"


def test_trajectory_two_paths_cloud_and_background():
    g = rng(5)
    paths = [g.normal(size=(4, 2)), g.normal(size=(3, 2))]
    tokens = [["a", "b", "c", "d"], ["a", "b", "c"]]
    points, ids = g.normal(size=(50, 2)), np.repeat([0, 1], 25)
    xs, ys = np.linspace(-3, 3, 11), np.linspace(-2, 2, 7)
    p = 1 / (1 + np.exp(-xs[None, :] - 0 * ys[:, None]))
    fig = ce.trajectory(
        paths,
        ["A <1>", "B"],
        tokens,
        background=(xs, ys, p),
        cloud=(points, ids),
        class_names=("negative", "positive"),
    )
    assert len(fig.data) == 1 + 2 + 2 * 3
    bg = fig.data[0]
    assert isinstance(bg, go.Contour)
    assert np.asarray(bg.z).shape == (7, 11)
    assert bg.colorbar.title.text == "readout's P(positive)"
    assert bg.contours.start == bg.contours.end == 0.5  # the 0.5 boundary
    assert [t.name for t in fig.data[1:3]] == [
        "training ends: negative",
        "training ends: positive",
    ]
    np.testing.assert_allclose(fig.data[1].x, points[:25, 0], rtol=1e-6)
    assert fig.data[3].name == "A &lt;1&gt;"
    ends = [t for t in fig.data if t.name == "end"]
    assert len(ends) == 2 and [t.showlegend for t in ends] == [True, False]
    np.testing.assert_allclose([ends[1].x[0], ends[1].y[0]], paths[1][-1])
    assert fig.data[3].line.color != fig.data[6].line.color
    assert numeric_lists(as_json(fig)["data"]) == []


def test_trajectory_cloud_without_ids_and_a_big_cloud():
    path = np.zeros((2, 2))
    plain = ce.trajectory([path], ["s"], [["a", "b"]], cloud=np.ones((10, 2)))
    assert len(plain.data) == 4 and isinstance(plain.data[0], go.Scatter)
    big = ce.trajectory([path], ["s"], [["a", "b"]], cloud=np.ones((5000, 2)))
    assert isinstance(big.data[0], go.Scattergl)
    with pytest.raises(ValueError):
        ce.trajectory([path], ["s"], [["a"]])


# ----------------------------------------------------------------------------- difference


def test_state_difference():
    g = rng(6)
    a, b = g.uniform(-1, 1, (5, 4)), g.uniform(-1, 1, (3, 4))
    order = np.array([1, 3, 0, 2])
    pairs = [(0, 0), (1, 1), (2, 2)]
    fig = ce.state_difference(a, b, list("abcde"), ["x", "<y>", " "], pairs=pairs, order=order)
    heat = fig.data[0]
    diff = b[:3] - a[:3]
    np.testing.assert_allclose(np.asarray(heat.z), diff.T[order], rtol=1e-6)
    m = np.abs(diff).max()
    assert heat.zmin == pytest.approx(-m) and heat.zmax == pytest.approx(m)
    assert list(fig.layout.xaxis.ticktext) == ["a / x", "b / &lt;y&gt;", "c / ␣"]
    assert "%{x}" in heat.hovertemplate and "B − A %{z:.3f}" in heat.hovertemplate
    np.testing.assert_array_equal(np.asarray(heat.customdata)[:, 0], order)
    same = ce.state_difference(a, a, list("abcde"), list("abcde"))
    assert (same.data[0].zmin, same.data[0].zmax) == (-1e-6, 1e-6)
    with pytest.raises(ValueError):
        ce.state_difference(a, np.zeros((3, 5)), list("abcde"), list("xyz"))


def test_state_difference_shows_gaps_and_drops_no_token():
    """Issue 13 #16: aligned pairs with gaps; without pairs, every token of both is kept."""
    g = rng(8)
    a, b = g.uniform(-1, 1, (3, 4)), g.uniform(-1, 1, (4, 4))
    pairs = [(0, 0), (1, 1), (None, 2), (2, 3)]
    fig = ce.state_difference(
        a, b, ["this", "is", "good"], ["this", "is", "not", "good"], pairs=pairs
    )
    z = np.asarray(fig.data[0].z, dtype=float)
    assert z.shape == (4, 4)
    assert np.isnan(z[:, 2]).all()
    np.testing.assert_allclose(z[:, 3], b[3] - a[2], rtol=1e-6)
    assert list(fig.layout.xaxis.ticktext) == ["this / this", "is / is", "— / not", "good / good"]
    assert [(r.x0, r.x1) for r in fig.layout.shapes] == [(1.5, 2.5)]  # grey behind the gap
    plain = ce.state_difference(a, b, list("abc"), list("wxyz"))
    assert list(plain.layout.xaxis.ticktext) == ["a / w", "b / x", "c / y", "— / z"]
    assert np.isnan(np.asarray(plain.data[0].z, dtype=float)[:, 3]).all()
    with pytest.raises(ValueError):
        ce.state_difference(a, b, list("abc"), list("wxyz"), pairs=[(None, None)])
    with pytest.raises(ValueError):
        ce.state_difference(a, b, list("abc"), list("wxyz"), pairs=[(3, 0)])


# ----------------------------------------------------------------------------- saliency


def test_saliency_bars_colour_by_sign():
    scores = np.array([0.5, -0.25, 0.0, 1e-3])
    tokens = ["not", "bad", "<br>", "!"]
    fig = ce.saliency_bars(scores, tokens)
    bar = fig.data[0]
    np.testing.assert_allclose(bar.y, scores)
    colours = list(bar.marker.color)
    assert colours[0] == colours[3] == POSITIVE_COLOUR
    assert colours[1] == NEGATIVE_COLOUR
    assert colours[2] == NEUTRAL_COLOUR
    assert list(bar.customdata) == ["not", "bad", "&lt;br&gt;", "!"]
    assert "%{y:.4g}" in bar.hovertemplate
    assert list(fig.layout.xaxis.ticktext) == [display_token(t) for t in tokens]
    unsigned = ce.saliency_bars(np.abs(scores), tokens, signed=False, value_title="size")
    assert isinstance(unsigned.data[0].marker.color, str)
    assert unsigned.layout.yaxis.title.text == "size"


# ----------------------------------------------------------------------------- all figures


def all_figures() -> dict[str, go.Figure]:
    g = rng(7)
    T, H = 6, 5
    toks = ["a", "b", "a", "<c>", " ", "🎬"]
    states = g.uniform(-1, 1, (T, H))
    probs = g.dirichlet(np.ones(3), size=T)
    return {
        "heatmap": ce.hidden_heatmap(states, toks),
        "prediction": ce.prediction_lines(probs, toks, ["x", "y", "z"]),
        "top_next": ce.top_next_tokens(probs, toks, ["a", "b", "<c>"], k=2),
        "regression": ce.regression_trace(states[:, 0], states[:, 1], toks),
        "units": ce.unit_change_bar(states, top=3),
        "trajectory": ce.trajectory(
            [states[:, :2]],
            ["s"],
            [toks],
            cloud=(g.normal(size=(20, 2)), g.integers(0, 2, 20)),
            background=(np.arange(3.0), np.arange(2.0), np.full((2, 3), 0.5)),
        ),
        "difference": ce.state_difference(states, states[::-1], toks, toks),
        "saliency": ce.saliency_bars(states[:, 0], toks),
    }


@pytest.mark.parametrize("name", list(all_figures()))
def test_every_figure_has_the_house_look(name):
    fig = all_figures()[name]
    layout = fig.layout
    assert layout.template.layout.plot_bgcolor == "white"  # plotly_white
    assert layout.title.text
    assert layout.xaxis.title.text and layout.yaxis.title.text
    assert 200 <= layout.height <= 700
    assert layout.margin.l == 60 and layout.margin.t >= 50
    out = as_json(fig)
    assert numeric_lists(out["data"]) == []  # numbers go out as binary
    # the summary (layout.meta) is plain text for the caption under the chart, which
    # Streamlit shows as text; plotly never renders it
    assert out["layout"].pop("meta")["summary"]
    assert "<script" not in json.dumps(out) and "<c>" not in json.dumps(out)
    for trace in fig.data:
        if trace.hoverinfo != "skip" and not isinstance(trace, go.Scattergl):
            assert trace.hovertemplate, f"{name}: a trace without hover text"


def test_charts_explore_module_never_imports_streamlit():
    source = Path(ce.__file__).read_text(encoding="utf-8")
    imported = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add((node.module or "").split(".")[0])
    assert "streamlit" not in imported and "pandas" not in imported


# ----------------------------------------------------------------------------- HTML


def test_token_chips_escape_and_mark_unknown_tokens():
    tokens = ["<script>alert(1)</script>", "a&b", 'say "hi"', "it's", " ", "good"]
    unknown = [True, False, False, True, False, False]
    out = token_chips_html(tokens, unknown)
    assert "<script" not in out
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out
    assert "a&amp;b" in out and "say &quot;hi&quot;" in out and "it&#x27;s" in out
    assert out.count('class="rnnx-chip rnnx-unk"') == 2
    assert out.count('class="rnnx-chip"') == 4
    assert out.count('data-unknown="true"') == 2
    assert "not in the task&#x27;s vocabulary: read as &lt;unk&gt;" in out
    assert ">␣</span>" in out  # a whitespace token shows
    assert "dashed" in out
    assert "\n" not in out
    with pytest.raises(ValueError):
        token_chips_html(["a"], [True, False])


def spans(out: str) -> list[tuple[str, str, str]]:
    """(background, title, content) of each coloured span."""
    return re.findall(
        r'<span style="background:(rgb\([^)]*\));[^"]*" title="([^"]*)">(.*?)</span>', out
    )


def test_neuron_text_colours_follow_the_diverging_scale():
    tokens = ["zero", "top", "bottom", "above", "below", "<b>&"]
    values = [0.0, 1.0, -1.0, 3.0, -7.0, 0.7341]
    out = neuron_text_html(tokens, values)
    got = spans(out)
    assert [g[0] for g in got[:5]] == [
        "rgb(247,247,247)",  # 0: white-ish
        "rgb(103,0,31)",  # vmax: the positive end
        "rgb(5,48,97)",  # vmin: the negative end
        "rgb(103,0,31)",  # clipped
        "rgb(5,48,97)",  # clipped
    ]
    assert [g[1] for g in got] == ["0.000", "1.000", "-1.000", "3.000", "-7.000", "0.734"]
    assert got[5][2] == "&lt;b&gt;&amp;" and "<b>" not in out
    assert got[5][0] == diverging_rgb(0.7341, -1, 1)
    assert " ".join(g[2] for g in got) == "zero top bottom above below &lt;b&gt;&amp;"
    # readable text: white on the dark ends, dark on white
    colour = dict(
        re.findall(r'color:(#[0-9a-f]{6});[^"]*" title="([^"]*)"', out)[i][::-1] for i in range(6)
    )
    assert colour["1.000"] == colour["-1.000"] == "#ffffff"
    assert colour["0.000"] == "#111111"
    with pytest.raises(ValueError):
        neuron_text_html(["a"], [0.1, 0.2])


def test_neuron_text_sequential_and_lopsided_ranges():
    seq = spans(neuron_text_html(["a", "b"], [0.0, 1.0], vmin=0.0, vmax=1.0))
    assert [g[0] for g in seq] == ["rgb(68,1,84)", "rgb(253,231,37)"]  # viridis ends
    lop = spans(neuron_text_html(["a", "b", "c"], [0.0, 4.0, -0.5], vmin=-0.5, vmax=4.0))
    assert [g[0] for g in lop] == ["rgb(247,247,247)", "rgb(103,0,31)", "rgb(5,48,97)"]


def test_neuron_text_char_level_keeps_whitespace():
    text = "a  b\n<c>"
    out = neuron_text_html(list(text), np.linspace(-1, 1, len(text)), level="char")
    got = spans(out)
    assert [g[2] for g in got] == ["a", " ", " ", "b", "↵", "&lt;", "c", "&gt;"]
    assert "white-space:pre-wrap" in out
    assert "↵</span><br>" in out  # the newline is a line break
    assert "\n" not in out  # safe inside st.markdown's HTML block
    with pytest.raises(ValueError):
        neuron_text_html(["a"], [0.0], level="word piece")


def test_colour_helpers():
    assert diverging_rgb(0.0) == "rgb(247,247,247)"
    assert diverging_rgb(1.0) == diverging_rgb(5.0) == "rgb(103,0,31)"
    assert diverging_rgb(-1.0) == diverging_rgb(-5.0) == "rgb(5,48,97)"
    assert diverging_rgb(0.0, -0.2, 3.0) == "rgb(247,247,247)"  # lopsided: 0 stays white
    assert diverging_rgb(-0.2, -0.2, 3.0) == "rgb(5,48,97)"
    assert diverging_rgb(float("nan")) == "rgb(150,150,150)"
    assert sequential_rgb(0.5, 0, 1) == scale_rgb(0.5, 0, 1)
    assert scale_rgb(-0.5, -1, 1) == diverging_rgb(-0.5, -1, 1)
    colours = rgb_array(np.array([[-1.0, 0.0], [1.0, np.nan]]), -1, 1)
    assert colours.shape == (2, 2, 3) and colours.dtype == np.uint8
    assert colours[1, 1].tolist() == [150, 150, 150]
    assert text_colour((5, 48, 97)) == "#ffffff" and text_colour((247, 247, 247)) == "#111111"
    # symmetric and monotone: blue fades to white, then red deepens
    reds = np.array([parse_rgb(diverging_rgb(v)) for v in np.linspace(0, 1, 11)])
    assert np.all(np.diff(reds[:, 2]) <= 0)


def test_user_strings_never_become_hover_templates():
    """A class name or sentence like "%{y}" must be shown, not evaluated by plotly."""
    sneaky = "%{y} <b>"
    figs = [
        ce.prediction_lines(np.full((2, 2), 0.5), ["a", "b"], [sneaky, "pos"]),
        ce.trajectory(
            [np.zeros((2, 2))],
            [sneaky],
            [["a", "b"]],
            background=(np.arange(2.0), np.arange(2.0), np.zeros((2, 2))),
            background_title=sneaky,
        ),
    ]
    for fig in figs:
        for trace in fig.data:
            assert "%{y} " not in (trace.hovertemplate or "")
        assert "<b>" not in pio.to_json(fig, engine="orjson")
    assert figs[0].data[0].name == "%{y} &lt;b&gt;"
