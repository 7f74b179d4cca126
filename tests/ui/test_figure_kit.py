"""The chart kit (ui/views/figure_kit.py): the house look, the token and step axes, legend
placement and reference lines that every chart module builds on.

Figures are checked as the browser gets them (``tests.plotly_spec.sent``), and everything
the kit sets without plotly's validation is re-validated here.
"""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import pytest

from tests.plotly_spec import sent
from ui.views import figure_kit as fk
from ui.views.html import display_token

ROOT = Path(__file__).resolve().parents[2]
CHART_MODULES = ("charts_explore", "charts_train", "charts_lab")


def valid(fig: go.Figure) -> dict:
    """The figure is valid as plotly checks it, and serialises: what the browser gets."""
    go.Figure(fig.to_dict())
    return sent(fig)


def line(n: int = 3) -> go.Scatter:
    return go.Scatter(x=np.arange(n), y=np.ones(n), name="s")


def simple(**kwargs) -> go.Figure:
    args = {"title": "t", "height": 300, "x_title": "x", "y_title": "y"} | kwargs
    return fk.figure([line()], **args)


# ----------------------------------------------------------------------------- strings


def test_esc_escapes_markup_but_not_quotes():
    assert fk.esc("<b>a & b</b>") == "&lt;b&gt;a &amp; b&lt;/b&gt;"
    assert fk.esc('"q" it\'s') == '"q" it\'s'  # plotly does not decode &quot;
    assert fk.esc(7) == "7"


def test_f32_is_contiguous_float32():
    a = fk.f32(np.arange(12.0).reshape(3, 4).T)
    assert a.dtype == np.float32 and a.flags.c_contiguous


def test_token_labels_are_display_tokens_one_per_step():
    tokens = ["a", "<b>", " ", "\n", ""]
    assert fk.token_labels(tokens, 5) == [display_token(t) for t in tokens]
    with pytest.raises(ValueError, match="4 tokens_b for 5 steps"):
        fk.token_labels(tokens[:4], 5, "tokens_b")


# ----------------------------------------------------------------------------- token axis


# Long sentences read: at 50, 100 and 200 tokens every label is drawn, upright for characters,
# in a column at least as wide as the label needs (issue 18). The column width is what plotly
# makes of the layout: the x axis is tied to the ruler axis (range 0…1 over the plot's
# height), so one step spans scaleratio × plot height px.

WORDS = ("the", "film", "was", "not", "bad", "and", "wherefore", "actors", "<b>", "naïve")
CHARS = ("O", " ", "R", "o", "m", "e", "\n", "!", "\t", "W", "<", "👍🏽", "é")


def sentence(kind: str, T: int) -> list[str]:
    pool = WORDS if kind == "words" else CHARS
    return [pool[t % len(pool)] for t in range(T)]


def column_px(layout: dict) -> float:
    """The px per step plotly gives a token axis in the sent ``layout``."""
    plot_px = layout["height"] - layout["margin"]["t"] - layout["margin"]["b"]
    return layout["xaxis"]["scaleratio"] * plot_px


def test_token_axis_keeps_the_hover_contract_and_draws_every_label():
    labels = [f"t{i}" for i in range(30)]
    axes = fk.token_axis(labels)
    x = axes["xaxis"]
    assert x["tickmode"] == "array" and x["ticktext"] == labels
    np.testing.assert_array_equal(x["tickvals"], np.arange(len(labels)))
    assert "showticklabels" not in x and "annotations" not in axes
    # the sentence's bounds, opened one column wide for plotly to widen
    assert (x["minallowed"], x["maxallowed"]) == (-0.5, 29.5)
    assert x["range"] == [-0.5, 0.5]
    assert (x["scaleanchor"], x["constrain"], x["constraintoward"]) == ("y9", "range", "left")
    ruler = axes["yaxis9"]
    assert ruler["range"] == [0.0, 1.0] and ruler["visible"] is False and "domain" not in ruler
    assert "fixedrange" not in ruler  # a fixed ruler would stop the pan (seen in Chromium)


@pytest.mark.parametrize("kind", ["words", "chars"])
@pytest.mark.parametrize("T", [50, 100, 200])
def test_long_sentences_show_every_label_in_a_column_wide_enough(kind, T):
    tokens = sentence(kind, T)
    labels = fk.token_labels(tokens, T)
    fig = simple(axes=fk.token_axis(labels), height=400)
    layout = valid(fig)["layout"]
    x = layout["xaxis"]
    assert x["ticktext"] == labels and len(x["tickvals"]["bdata"]) > 0
    assert x.get("showticklabels", True) is True and "annotations" not in layout
    assert x["tickmode"] == "array" and x["scaleanchor"] == "y9"
    # the ruler axis is laid out: a trace uses it, and it shows nothing
    rulers = [t for t in layout_traces(fig) if t.get("yaxis") == "y9"]
    assert len(rulers) == 1 and rulers[0]["hoverinfo"] == "skip"
    assert rulers[0]["showlegend"] is False and rulers[0]["marker"]["opacity"] == 0
    assert [fk.is_ruler(t) for t in fig.data] == [False, True]
    assert fk.data_traces(fig) == [fig.data[0]]
    assert layout["dragmode"] == "pan" and layout["yaxis"]["fixedrange"] is True
    assert set(layout["modebar"]["remove"]) == {"autoScale2d", "zoomOut2d"}  # no squeezing
    size = x["tickfont"]["size"]
    column = column_px(layout)
    if kind == "chars":
        assert x["tickangle"] == 0  # characters stand upright
        assert "␣" in labels and "↵" in labels and "⇥" in labels  # whitespace made visible
        widest = max(fk.label_px(label, size) for label in labels)
        assert column >= widest + 4  # side by side with a gap
    else:
        assert "tickangle" not in x and x["autotickangles"] == [0, -90]
        assert column >= 1.2 * size + 4  # on end: a line of text and a gap
        longest = max(fk.label_px(label, size) for label in labels)
        assert layout["margin"]["b"] >= longest + 40  # the longest word and the title fit
    assert column >= fk.COLUMN_MIN_PX
    assert layout["xaxis"]["title"]["text"] == f"x<br>{fk.PAN_HINT}"  # the rest is a pan away


def layout_traces(fig) -> list[dict]:
    return valid(fig)["data"]


def test_a_space_token_shows_as_its_visible_symbol_on_the_axis():
    axes = fk.token_axis(fk.token_labels(["a", " ", "\n", "<"], 4))
    assert axes["xaxis"]["ticktext"] == ["a", "␣", "↵", "&lt;"]
    assert axes["xaxis"]["tickangle"] == 0
    assert fk.label_px("&lt;", 13) == fk.label_px("<", 13)  # measured as drawn


def test_a_short_sentence_has_no_pan_hint_but_the_same_columns():
    axes = fk.token_axis(["good", "film"])
    layout = valid(simple(axes=axes))["layout"]
    assert layout["xaxis"]["title"]["text"] == "x"
    assert column_px(layout) == pytest.approx(axes["column_px"])  # plotly gets the width
    assert axes["column_px"] >= fk.WORD_COLUMN_PX
    assert layout["xaxis"]["maxallowed"] == 1.5  # a wide chart widens the columns instead


def test_cells_with_text_ask_for_wider_columns():
    axes = fk.token_axis(list("abc"), min_column_px=38)
    assert axes["column_px"] == 38


def test_very_long_labels_clamp_the_bottom_margin():
    axes = fk.token_axis(["x" * 200] * 30)
    assert axes["margin_b"] == 220


# ----------------------------------------------------------------------------- the figure


def test_figure_has_the_house_look():
    fig = simple(title="<b>%{y}</b>", x_title="a & b", y_title="<i>")
    out = valid(fig)["layout"]
    assert fig.layout.template.layout.plot_bgcolor == "white"  # plotly_white, set unvalidated
    assert out["title"]["text"] == "&lt;b&gt;%{y}&lt;/b&gt;"
    assert out["xaxis"]["title"]["text"] == "a &amp; b"
    assert out["yaxis"]["title"]["text"] == "&lt;i&gt;"
    assert out["margin"] == fk.MARGIN
    assert out["font"]["size"] == fk.FONT_SIZE and out["height"] == 300
    assert out["showlegend"] is False and "legend" not in out
    assert "uirevision" not in out


def test_figure_merges_axes_margins_shapes_and_uirevision():
    shape = fk.hline(0.5, "half")
    fig = simple(
        xaxis={"zeroline": False},
        yaxis={"range": [0, 1]},
        margin={"r": 30},
        shapes=[shape],
        uirevision="keep",
    )
    out = valid(fig)["layout"]
    assert out["xaxis"]["zeroline"] is False and out["yaxis"]["range"] == [0, 1]
    assert out["margin"] == {**fk.MARGIN, "r": 30}
    assert out["shapes"][0]["label"]["text"] == "half"
    assert out["uirevision"] == "keep"


@pytest.mark.parametrize(
    ("placement", "top", "bottom"),
    [("top", 100, 60), ("bottom", 70, 60), ("foot", 70, 100), ("side", 70, 60)],
)
def test_each_legend_placement(placement, top, bottom):
    out = valid(simple(legend=placement))["layout"]
    assert out["showlegend"] is True
    for key, value in fk.LEGENDS[placement].items():
        assert out["legend"][key] == value
    assert (out["margin"]["t"], out["margin"]["b"]) == (top, bottom)


def test_a_foot_legend_sits_under_a_long_token_axis():
    axes = fk.token_axis([f"word{i}" for i in range(60)])
    out = valid(simple(legend="foot", axes=axes))["layout"]
    assert out["margin"]["b"] == axes["margin_b"] + fk.PAN_HINT_MARGIN + 40
    assert out["legend"]["yref"] == "container" and out["legend"]["y"] == 0.0


@pytest.mark.parametrize(
    ("entries", "placement"),
    [(0, None), (1, None), (2, "top"), (3, "foot"), (4, "foot"), (5, "side"), (12, "side")],
)
def test_legend_for_picks_the_placement_by_the_number_of_entries(entries, placement):
    assert fk.legend_for(entries) == placement


@pytest.mark.parametrize(("rows", "height"), [(0, 260), (9, 260), (20, 410), (41, 700), (99, 700)])
def test_heatmap_height_is_14_px_a_row_clamped(rows, height):
    assert fk.heatmap_height(rows) == height
    assert fk.clamp(5.7, 0, 10) == 5 and fk.clamp(-3, 0, 10) == 0 and fk.clamp(99, 0, 10) == 10


def test_extend_layout_appends_valid_shapes_and_annotations():
    fig = simple(shapes=[fk.hline(1.0, "one")])
    fk.extend_layout(fig, "shapes", [fk.vline(2.0, "two"), fk.vline(3.0)])
    fk.extend_layout(fig, "annotations", [{"x": 2, "y": 1, "text": "a", "showarrow": False}])
    out = valid(fig)["layout"]
    assert [s["type"] for s in out["shapes"]] == ["line"] * 3
    assert [s.get("label", {}).get("text") for s in out["shapes"]] == ["one", "two", None]
    assert out["annotations"][0]["text"] == "a"


# ----------------------------------------------------------------------------- step axis


def test_as_steps_is_int32_when_whole_else_float32():
    assert fk.as_steps(np.array([1, 2, 3])).dtype == np.int32
    assert fk.as_steps([1.0, 2.0]).dtype == np.int32
    half = fk.as_steps([1.5, np.inf])
    assert half.dtype == np.float32 and np.isnan(half[1])
    assert fk.as_steps(np.array([2**40])).dtype == np.float32  # does not fit in int32
    assert fk.as_steps(np.zeros((2, 2), dtype=int)).shape == (4,)


def test_as_values_leaves_out_what_cannot_be_drawn():
    v = fk.as_values([1.0, np.inf, -np.inf, np.nan, 0.0, -2.0, 1e300])
    assert v.dtype == np.float32
    np.testing.assert_array_equal(np.isnan(v), [False, True, True, True, False, False, True])
    log = fk.as_values([1.0, 0.0, -2.0], log=True)
    np.testing.assert_array_equal(np.isnan(log), [False, True, True])
    with pytest.raises(ValueError, match="loss has shape"):
        fk.as_values([1.0, 2.0], 3, what="loss")


def test_finite_or_none():
    assert fk.finite_or_none(None) is None and fk.finite_or_none(np.nan) is None
    assert fk.finite_or_none(np.inf) is None and fk.finite_or_none(np.float32(2)) == 2.0


def test_step_line_names_the_series_and_marks_short_ones():
    x = fk.as_steps(np.arange(fk.FEW_POINTS))
    short = fk.step_line(x, fk.as_values(np.ones(x.size)), "<b>run</b>", "%{y:.3f}", colour="red")
    assert short.mode == "lines+markers" and short.name == "&lt;b&gt;run&lt;/b&gt;"
    assert (
        short.hovertemplate == f"%{{fullData.name}}<br>{fk.HOVER_STEP}: %{{y:.3f}}<extra></extra>"
    )
    x = fk.as_steps(np.arange(fk.FEW_POINTS + 1))
    long = fk.step_line(x, fk.as_values(np.ones(x.size)), "run", "%{y}", colour="red", dash="dot")
    assert long.mode == "lines" and long.line.dash == "dot"


def test_reference_lines_span_the_plot_and_escape_their_labels():
    h = fk.hline(2.0, "<target>", below=True)
    assert (h["xref"], h["x0"], h["x1"], h["y0"], h["y1"]) == ("paper", 0.0, 1.0, 2.0, 2.0)
    assert h["label"]["text"] == "&lt;target&gt;" and h["label"]["yanchor"] == "top"
    v = fk.vline(5.0, "<now>")
    assert (v["yref"], v["y0"], v["y1"], v["x0"]) == ("paper", 0.0, 1.0, 5.0)
    assert v["label"]["text"] == "&lt;now&gt;"
    assert "label" not in fk.vline(5.0)


@pytest.mark.parametrize(("n", "placement"), [(1, None), (2, "top"), (4, "foot"), (6, "side")])
def test_step_chart_is_a_live_chart_over_training_steps(n, placement):
    x = fk.as_steps(np.arange(30))
    traces = [
        fk.step_line(x, fk.as_values(np.ones(30)), f"s{i}", "%{y}", colour="blue") for i in range(n)
    ]
    fig = fk.step_chart(traces, title="t", y_title="y", height=300)
    out = valid(fig)["layout"]
    assert out["xaxis"]["title"]["text"] == fk.STEP_TITLE
    assert out["uirevision"] == "keep"
    assert out["showlegend"] is (placement is not None)
    if placement:
        assert out["legend"]["orientation"] == fk.LEGENDS[placement]["orientation"]
    assert out["margin"]["b"] == (100 if placement == "foot" else fk.STEP_MARGIN["b"])


# ----------------------------------------------------------------------------- modules


def imports(module: str) -> list[tuple[str, str]]:
    """(module, name) of every ``from … import name`` in ui/views/<module>.py."""
    tree = ast.parse((ROOT / "ui" / "views" / f"{module}.py").read_text(encoding="utf-8"))
    return [
        (node.module or "", alias.name)
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    ]


def test_the_kit_never_imports_streamlit_or_pandas():
    roots = {module.split(".")[0] for module, _ in imports("figure_kit")}
    assert not roots & {"streamlit", "pandas"}


@pytest.mark.parametrize("module", CHART_MODULES)
def test_chart_modules_import_only_public_names_of_the_app(module):
    """The kit is public: no chart module reaches into another's private helpers."""
    private = [(m, n) for m, n in imports(module) if m.startswith("ui.") and n.startswith("_")]
    assert not private, private
