"""The Train page's pure chart builders (ui/views/charts_train.py).

Figures are checked as the browser gets them: serialised the way Streamlit does
(``pio.to_json(fig, validate=False)``), with the binary arrays decoded back to numpy.
"""

from __future__ import annotations

import ast
import json
import warnings
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import pytest

from tests.plotly_spec import decode, sent
from ui.views import charts_train as ct


def traces(fig: go.Figure) -> dict[str, dict]:
    """name -> {"x", "y", "trace"} of each trace as sent, arrays decoded."""
    out = {}
    for t in sent(fig)["data"]:
        out[t["name"]] = {"x": decode(t["x"]), "y": decode(t["y"]), "trace": t}
    return out


def same(a, b) -> None:
    """Equal as float32, NaN where NaN."""
    np.testing.assert_array_equal(np.asarray(a, np.float32), np.asarray(b, np.float32))


def diverged(n: int = 12) -> tuple[np.ndarray, np.ndarray]:
    """steps 0..n-1 as floats (as the run's log holds them) and a loss that blows up."""
    loss = np.linspace(2.0, 0.5, n)
    loss[n - 4] = np.inf
    loss[n - 3] = -np.inf
    loss[n - 2 :] = np.nan
    return np.arange(n, dtype=np.float64), loss


def shapes(fig: go.Figure) -> list[dict]:
    return sent(fig)["layout"].get("shapes", [])


# ----------------------------------------------------------------------------- loss


def test_loss_chart_traces_values_and_names():
    steps, loss = diverged()
    ev = np.array([0.0, 4.0, 8.0])
    train, test = np.array([2.1, 1.2, 0.8]), np.array([2.2, 1.4, np.inf])
    fig = ct.loss_chart(steps, loss, ev, train, test)
    got = traces(fig)
    assert list(got) == ["batch loss", "train (eval)", "test (eval)"]
    batch = got["batch loss"]
    assert batch["trace"]["x"]["dtype"] == "i4"  # whole steps go out as int32
    np.testing.assert_array_equal(batch["x"], np.arange(12))
    expected = loss.copy()
    expected[~np.isfinite(expected)] = np.nan  # ±inf are not drawn
    same(batch["y"], expected)
    assert batch["trace"]["y"]["dtype"] == "f4"
    assert batch["trace"]["line"]["width"] <= 1
    assert batch["trace"]["mode"] == "lines+markers"  # 12 points ≤ FEW_POINTS: dots too
    same(got["train (eval)"]["x"], ev)
    same(got["train (eval)"]["y"], train)
    same(got["test (eval)"]["y"], [2.2, 1.4, np.nan])
    assert got["train (eval)"]["trace"]["mode"] == "lines+markers"
    assert got["test (eval)"]["trace"]["line"]["dash"] == "dash"
    colours = {t["trace"]["line"]["color"] for t in got.values()}
    assert len(colours) == 3
    layout = fig.layout
    assert layout.showlegend is True
    assert layout.xaxis.title.text == "training step"
    assert layout.yaxis.title.text == "loss (nats)"
    assert layout.yaxis.type is None  # linear unless asked
    hover = batch["trace"]["hovertemplate"]
    assert "%{x:,}" in hover and "%{y:.5g}" in hover


def test_loss_chart_alone_log_and_regression_title():
    steps, loss = diverged()
    loss[0] = 0.0  # cannot sit on a log axis
    fig = ct.loss_chart(steps, loss, log_y=True, y_title="MSE", height=250)
    assert len(fig.data) == 1 and fig.layout.showlegend is False
    assert fig.layout.yaxis.type == "log"
    assert fig.layout.yaxis.title.text == "MSE"
    assert fig.layout.height == 250
    y = traces(fig)["batch loss"]["y"]
    assert np.isnan(y[0]) and y[1] == np.float32(loss[1])


def test_loss_chart_rejects_mismatched_lengths():
    with pytest.raises(ValueError):
        ct.loss_chart(np.arange(3), np.arange(4.0))
    with pytest.raises(ValueError):
        ct.loss_chart(np.arange(3), np.arange(3.0), np.arange(2), np.arange(3.0))
    with pytest.raises(ValueError):
        ct.loss_chart(np.arange(3), np.arange(3.0), None, np.arange(3.0))


# ----------------------------------------------------------------------------- accuracy


def test_accuracy_chart_percent_axis_and_target():
    steps = np.arange(5.0)
    acc = np.array([0.5, 0.6, np.nan, 0.8, np.inf])
    fig = ct.accuracy_chart(steps, acc, np.array([0, 4]), np.array([0.5, 0.9]), None, target=0.97)
    got = traces(fig)
    assert list(got) == ["batch accuracy", "train (eval)"]
    same(got["batch accuracy"]["y"], [0.5, 0.6, np.nan, 0.8, np.nan])
    assert fig.layout.yaxis.tickformat == ".0%"
    assert tuple(fig.layout.yaxis.range) == (-0.03, 1.03)
    assert "%{y:.2%}" in got["train (eval)"]["trace"]["hovertemplate"]
    (line,) = shapes(fig)
    assert line["y0"] == line["y1"] == pytest.approx(0.97)
    assert (line["xref"], line["x0"], line["x1"]) == ("paper", 0.0, 1.0)
    assert line["line"]["dash"] == "dash"
    assert line["label"]["text"] == "target 97%"
    assert line["label"]["yanchor"] == "top"  # under the line: above 97% the plot ends
    assert ct.accuracy_chart(steps, acc, target=0.975).layout.shapes[0].label.text == (
        "target 97.5%"
    )
    assert ct.accuracy_chart(steps, acc, target=2 / 3).layout.shapes[0].label.text == (
        "target 66.7%"
    )
    assert shapes(ct.accuracy_chart(steps, acc)) == []
    assert shapes(ct.accuracy_chart(steps, acc, target=float("nan"))) == []


def test_accuracy_chart_baseline_is_a_flat_named_trace_across_the_steps():
    steps = np.array([10.0, 20.0, 30.0])
    acc = np.array([0.5, 0.6, 0.7])
    fig = ct.accuracy_chart(
        steps, acc, np.array([10, 30]), None, np.array([0.6, 0.8]), baseline=0.762
    )
    got = traces(fig)
    assert list(got) == ["batch accuracy", "test (eval)", "bag of words (test)"]
    same(got["bag of words (test)"]["x"], [10.0, 30.0])
    same(got["bag of words (test)"]["y"], [0.762, 0.762])
    line = got["bag of words (test)"]["trace"]
    assert line["line"]["dash"] == "dashdot"
    assert line["line"]["color"] == ct.BASELINE_COLOUR != ct.TEST_COLOUR
    assert "%{y:.1%}" in line["hovertemplate"]
    assert shapes(fig) == []  # a trace, not a shape: it has a legend entry and a hover
    for missing in (None, float("nan"), float("inf")):
        assert "bag of words (test)" not in traces(ct.accuracy_chart(steps, acc, baseline=missing))


# ----------------------------------------------------------------------------- gradients


def test_grad_norm_chart_log_axis_clipped_markers_and_threshold():
    steps = np.arange(10.0) * 5
    norms = np.array([1.0, 2.0, 8.0, 0.0, -1.0, np.inf, 3.0, 9.0, np.nan, 4.0])
    clipped = np.array([0, 0, 1, 0, 0, 1, 0, 1, 0, 0], dtype=bool)
    fig = ct.grad_norm_chart(steps, norms, clipped, threshold=5.0)
    assert fig.layout.yaxis.type == "log"
    assert fig.layout.yaxis.title.text == "‖∇‖₂ (global, before clipping)"
    line, marks = fig.data
    got = traces(fig)
    y = got[line.name]["y"]
    assert np.isnan(y[[3, 4, 5, 8]]).all()  # ≤ 0 and non-finite: not drawn on a log axis
    same(y[[0, 1, 2, 6, 7, 9]], [1, 2, 8, 3, 9, 4])
    assert marks.name == "clipped" and marks.marker.symbol == "x"
    np.testing.assert_array_equal(got["clipped"]["x"], [10, 25, 35])  # exactly the clipped steps
    same(got["clipped"]["y"], [8.0, np.nan, 9.0])  # the inf norm has no place on the axis
    (thr,) = shapes(fig)
    assert thr["y0"] == thr["y1"] == 5.0  # shapes take data values, also on a log axis
    assert thr["label"]["text"] == "clip threshold 5"
    assert thr["line"]["dash"] == "dash"
    assert fig.layout.showlegend is True


def test_grad_norm_chart_threshold_only_when_asked():
    steps, norms = np.arange(4.0), np.array([1.0, 2.0, 3.0, 4.0])
    none = np.zeros(4, dtype=bool)
    assert shapes(ct.grad_norm_chart(steps, norms, none)) == []
    assert shapes(ct.grad_norm_chart(steps, norms, none, threshold=5, clip_mode="none")) == []
    value = ct.grad_norm_chart(steps, norms, none, threshold=0.5, clip_mode="value")
    (line,) = shapes(value)
    assert line["label"]["text"] == "per-element limit (experiment)" and line["y0"] == 0.5
    # clipping off and nothing clipped: no "clipped" trace, no legend
    off = ct.grad_norm_chart(steps, norms, none, clip_mode="none")
    assert [t.name for t in off.data] == ["‖∇‖₂"] and off.layout.showlegend is False
    # clipping on but nothing clipped yet: an empty "clipped" trace keeps the figure's shape
    on = ct.grad_norm_chart(steps, norms, none, threshold=5)
    assert on.data[1].name == "clipped" and traces(on)["clipped"]["x"].size == 0
    # the log's 0/1 floats work as well as bools
    floats = ct.grad_norm_chart(steps, norms, np.array([0.0, 1.0, np.nan, 1.0]))
    np.testing.assert_array_equal(traces(floats)["clipped"]["x"], [1, 3])


def test_reference_labels_stay_inside_the_plot():
    """A label above a line that tops every value would sit above the autorange, where the
    plot area cuts it (the clip threshold at 1024 px): it goes under the line then."""
    steps, none = np.arange(4.0), np.zeros(4, dtype=bool)
    (over,) = shapes(ct.grad_norm_chart(steps, np.array([1.0, 2.0, 3.0, 4.0]), none, threshold=5))
    assert over["label"]["yanchor"] == "top"
    spiky = np.array([1.0, 9.0, 3.0, np.inf])
    (under,) = shapes(ct.grad_norm_chart(steps, spiky, none, threshold=5))
    assert under["label"]["yanchor"] == "bottom"
    (low,) = shapes(ct.loss_chart(steps, np.array([0.9, 0.5, 0.3, 0.2]), target=0.1))
    assert low["label"]["yanchor"] == "bottom"  # the loss lies above its target
    (met,) = shapes(ct.loss_chart(steps, np.array([0.5, 0.3, 0.2, 0.1]), target=0.6))
    assert met["label"]["yanchor"] == "top"
    _, value_target = shapes(ct.probe_value_chart(steps, np.zeros(4), 1.5, mark_step=1))
    assert value_target["label"]["yanchor"] == "top"


def test_param_grad_chart_one_log_line_per_parameter():
    steps = np.arange(6.0)
    norms = {
        "l0.W_hh": np.geomspace(1e-3, 1.0, 6),
        "W_hy": np.array([1.0, 2.0, np.inf, 0.0, 5.0, 6.0]),
        "<embed>": np.ones(6),
    }
    fig = ct.param_grad_chart(steps, norms)
    assert fig.layout.yaxis.type == "log" and fig.layout.showlegend is True
    got = traces(fig)
    assert list(got) == ["l0.W_hh", "W_hy", "&lt;embed&gt;"]  # escaped for plotly's HTML
    same(got["l0.W_hh"]["y"], norms["l0.W_hh"])
    same(got["W_hy"]["y"], [1.0, 2.0, np.nan, np.nan, 5.0, 6.0])
    assert len({t.line.color for t in fig.data}) == 3
    assert "%{fullData.name}" in fig.data[0].hovertemplate


def test_many_traces_put_the_legend_beside_the_plot():
    steps = np.arange(4.0)
    two = ct.param_grad_chart(steps, {f"p{i}": np.ones(4) for i in range(2)})
    assert two.layout.legend.orientation == "h" and two.layout.legend.y > 1  # a row on top
    few = ct.param_grad_chart(steps, {f"p{i}": np.ones(4) for i in range(4)})
    legend = few.layout.legend
    assert legend.orientation == "h" and legend.yref == "container" and legend.y == 0  # foot
    many = ct.param_grad_chart(steps, {f"p{i}": np.ones(4) for i in range(9)})
    assert many.layout.showlegend is True and many.layout.uirevision == "keep"
    assert many.layout.legend.orientation == "v" and many.layout.legend.x > 1
    assert many.layout.margin.t == 70  # no room kept on top for a legend row


# ----------------------------------------------------------------------------- spectrum


def test_spectrum_chart_per_layer_lines():
    steps = np.arange(5.0)
    radius = np.array([[0.9, 0.5], [1.0, 0.6], [1.1, np.inf], [1.2, 0.8], [1.3, 0.9]])
    sigma = radius * 1.5
    fig = ct.spectrum_chart(steps, radius, sigma, threshold_label="1/γ = 1 (tanh)")
    got = traces(fig)
    assert list(got) == ["ρ layer 1", "σ_max layer 1", "ρ layer 2", "σ_max layer 2"]
    same(got["ρ layer 1"]["y"], radius[:, 0])
    same(got["ρ layer 2"]["y"], [0.5, 0.6, np.nan, 0.8, 0.9])
    same(got["σ_max layer 2"]["y"], [0.75, 0.9, np.nan, 1.2, 1.35])
    r1, s1, r2, _ = fig.data
    assert s1.line.dash == "dot" and r1.line.dash is None
    assert s1.line.color == r1.line.color != r2.line.color
    assert fig.layout.yaxis.title.text == "magnitude"
    (line,) = shapes(fig)
    assert line["y0"] == 1.0 and line["label"]["text"] == "1/γ = 1 (tanh)"


def test_spectrum_chart_one_layer_and_no_threshold():
    fig = ct.spectrum_chart(np.arange(3), np.array([0.5, 0.6, 0.7]), None, threshold=None)
    assert [t.name for t in fig.data] == ["ρ layer 1"]
    assert shapes(fig) == []
    with pytest.raises(ValueError):
        ct.spectrum_chart(np.arange(3), np.ones((3, 2)), np.ones((3, 1)))


# ----------------------------------------------------------------------------- probe


def test_probe_chart_lines_sum_to_one_and_mark_step():
    snaps = np.array([0, 100, 200, 300])
    probs = np.random.default_rng(0).dirichlet(np.ones(3), size=4)
    fig = ct.probe_chart(snaps, probs, ["neg", "<pos>"], mark_step=200)
    got = traces(fig)
    assert list(got) == ["neg", "&lt;pos&gt;", "class 2"]
    total = sum(t["y"].astype(np.float64) for t in got.values())
    np.testing.assert_allclose(total, 1.0, rtol=1e-6)
    np.testing.assert_array_equal(got["neg"]["x"], snaps)
    assert tuple(fig.layout.yaxis.range) == (-0.03, 1.03)
    (mark,) = shapes(fig)
    assert mark["x0"] == mark["x1"] == 200 and mark["yref"] == "paper"
    assert mark["line"]["dash"] == "dash" and mark["label"]["text"] == "step 200"
    assert shapes(ct.probe_chart(snaps, probs, ["a", "b", "c"])) == []
    # the label goes on the side with room: left of the newest snapshot, right of the first
    sides = {
        step: shapes(ct.probe_chart(snaps, probs, ["a"], mark_step=step))[0]["label"]["xanchor"]
        for step in (0, 100, 200, 300)
    }
    assert sides == {0: "left", 100: "left", 200: "right", 300: "right"}


def test_probe_value_chart():
    fig = ct.probe_value_chart(
        np.array([0, 10, 20]), np.array([0.1, np.inf, 0.9]), 1.5, mark_step=10
    )
    got = traces(fig)
    same(got["prediction"]["y"], [0.1, np.nan, 0.9])
    mark, target = shapes(fig)
    assert mark["x0"] == 10
    assert target["y0"] == 1.5 and target["label"]["text"] == "target 1.5"
    assert shapes(ct.probe_value_chart(np.arange(2), np.zeros(2))) == []


# ----------------------------------------------------------------------------- events


def test_mark_events_adds_lines_and_labels_at_the_steps():
    steps, loss = diverged()
    fig = ct.grad_norm_chart(steps, loss, loss > 1.5, threshold=5)
    out = ct.mark_events(fig, [(3, "lr 0.01→0.001"), (7.0, "clip <norm>"), (np.nan, "skip")])
    assert out is fig
    lines = shapes(fig)
    assert len(lines) == 3 and lines[0]["label"]["text"] == "clip threshold 5"  # kept
    assert [(s["x0"], s["x1"]) for s in lines[1:]] == [(3, 3), (7, 7)]
    assert all(s["line"]["dash"] == "dot" and s["yref"] == "paper" for s in lines[1:])
    notes = sent(fig)["layout"]["annotations"]
    assert [n["x"] for n in notes] == [3, 7]
    assert [n["text"] for n in notes] == ["lr 0.01→0.001", "clip &lt;norm&gt;"]
    assert all(n["yref"] == "paper" and n["y"] <= 1 and n["font"]["size"] <= 10 for n in notes)
    # the objects plotly rebuilds from them are valid
    assert [s.x0 for s in fig.layout.shapes] == [0.0, 3, 7]
    assert fig.layout.annotations[1].text == "clip &lt;norm&gt;"
    go.Figure(fig.to_dict())
    # a second call adds to the first; a long text is cut, whole in the hover
    ct.mark_events(fig, [(9, "x" * 60)])
    assert len(fig.layout.shapes) == 4 and len(fig.layout.annotations) == 3
    assert len(fig.layout.annotations[2].text) == 28
    assert fig.layout.annotations[2].hovertext == "x" * 60
    assert ct.mark_events(fig, []) is fig and len(fig.layout.shapes) == 4


# ----------------------------------------------------------------------------- all figures


def all_figures(n: int = 12) -> dict[str, go.Figure]:
    steps, loss = diverged(n)
    ev = steps[::4]
    probs = np.full((3, 2), 0.5)
    return {
        "loss": ct.loss_chart(steps, loss, ev, loss[::4], loss[::4] + 0.1),
        "loss_log": ct.loss_chart(steps, loss, log_y=True),
        "accuracy": ct.accuracy_chart(steps, loss / 3, ev, loss[::4] / 3, None, target=0.9),
        "grad": ct.mark_events(
            ct.grad_norm_chart(steps, loss, loss > 1, threshold=5.0), [(2, "lr 0.1→0.01")]
        ),
        "params": ct.param_grad_chart(steps, {"W_xh": loss, "W_hh": loss * 2}),
        "spectrum": ct.spectrum_chart(steps, np.c_[loss, loss], np.c_[loss, loss] * 2),
        "probe": ct.probe_chart(np.arange(3), probs, ["a", "b"], mark_step=1),
        "probe_value": ct.probe_value_chart(np.arange(3), np.ones(3), 1.0, mark_step=2),
    }


@pytest.mark.parametrize("name", list(all_figures()))
def test_every_figure_has_the_house_look(name):
    fig = all_figures()[name]
    layout = fig.layout
    assert layout.uirevision == "keep"
    assert layout.template.layout.plot_bgcolor == "white"  # plotly_white
    assert layout.title.text and layout.xaxis.title.text == "training step"
    assert layout.yaxis.title.text
    assert layout.height == 300
    assert layout.showlegend is (len(fig.data) > 1)
    for trace in fig.data:
        assert trace.hovertemplate and "step %{x:,}" in trace.hovertemplate
    go.Figure(fig.to_dict())  # everything set without validation is valid
    out = sent(fig)
    for trace in out["data"]:  # numbers go out as binary
        assert isinstance(trace["x"], dict) and isinstance(trace["y"], dict)
        assert trace["y"]["dtype"] == "f4"


def test_empty_inputs_give_valid_empty_figures():
    e, none = np.array([]), np.array([], dtype=bool)
    figs = [
        ct.loss_chart(e, e, e, e, e, log_y=True),
        ct.accuracy_chart(e, e, target=0.9),
        ct.grad_norm_chart(e, e, none, threshold=5),
        ct.param_grad_chart(e, {"W_hh": e}),
        ct.param_grad_chart(e, {}),
        ct.spectrum_chart(e, np.zeros((0, 2)), np.zeros((0, 2))),
        ct.probe_chart(e, e, ["neg", "pos"]),
        ct.probe_value_chart(e, e, 1.0),
        ct.mark_events(ct.loss_chart(e, e), [(5, "lr 1→2")]),
    ]
    for fig in figs:
        out = sent(fig)
        go.Figure(fig.to_dict())
        for trace in out["data"]:
            assert decode(trace["x"]).size == 0 and decode(trace["y"]).size == 0
    assert [t.name for t in figs[5].data] == [
        "ρ layer 1",
        "σ_max layer 1",
        "ρ layer 2",
        "σ_max layer 2",
    ]


def test_all_non_finite_is_not_an_error():
    steps = np.arange(50.0)
    bad = np.full(50, np.inf)
    bad[::2] = np.nan
    fig = ct.grad_norm_chart(steps, bad, np.ones(50, dtype=bool), threshold=5)
    assert np.isnan(traces(fig)["clipped"]["y"]).all()
    assert np.isnan(traces(ct.loss_chart(steps, -bad, log_y=True))["batch loss"]["y"]).all()
    huge = np.full(50, 1e300)  # beyond float32: not drawn, and no overflow warning
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isnan(traces(ct.loss_chart(steps, huge))["batch loss"]["y"]).all()


def test_user_strings_are_shown_not_evaluated():
    sneaky = "%{y} <b>"
    figs = [
        ct.param_grad_chart(np.arange(2), {sneaky: np.ones(2)}),
        ct.probe_chart(np.arange(2), np.full((2, 2), 0.5), [sneaky, "b"]),
        ct.mark_events(ct.loss_chart(np.arange(2), np.ones(2)), [(1, sneaky)]),
        ct.spectrum_chart(np.arange(2), np.ones(2), threshold_label=sneaky),
    ]
    for fig in figs:
        for trace in fig.data:
            assert "%{y} " not in trace.hovertemplate
        assert "<b>" not in pio.to_json(fig, validate=False)


def test_long_runs_go_out_as_binary_arrays():
    """What keeps a 5000-step redraw cheap: every series is sent as base64 binary, never as a
    JSON list of numbers (speed itself is measured in benchmarks, not asserted here)."""
    n = 5000
    g = np.random.default_rng(1)
    steps = np.arange(n, dtype=np.float64)
    loss = g.random(n)
    loss[4000:] = np.inf
    ev = steps[::50]
    figs = [
        ct.loss_chart(steps, loss, ev, loss[::50], loss[::50]),
        ct.grad_norm_chart(steps, loss, loss > 0.9, threshold=0.5),
        ct.spectrum_chart(steps, np.c_[loss, loss], np.c_[loss, loss]),
    ]
    for fig in figs:
        spec = json.loads(pio.to_json(fig, validate=False, engine="orjson"))
        for trace in spec["data"]:
            for axis in ("x", "y"):
                value = trace.get(axis)
                if value is not None and not isinstance(value, dict):
                    assert len(value) <= 2, (trace.get("name"), axis)  # only tiny lists
        assert len(json.dumps(spec)) < 400_000  # 4 bytes a value, base64


def test_module_never_imports_streamlit():
    source = Path(ct.__file__).read_text(encoding="utf-8")
    imported = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add((node.module or "").split(".")[0])
    assert "streamlit" not in imported and "pandas" not in imported


# ----------------------------------------------------------------------------- issue 13


@pytest.mark.parametrize(
    "build",
    [
        lambda s, v: ct.loss_chart(s, v),
        lambda s, v: ct.accuracy_chart(s, v),
        lambda s, v: ct.grad_norm_chart(s, v, clip_mode="none"),
        lambda s, v: ct.param_grad_chart(s, {"W": v}),
        lambda s, v: ct.spectrum_chart(s, v, v),
    ],
)
def test_one_step_is_drawn_as_a_visible_point(build):
    """Break 13: after one Step every series has one point; a line alone draws nothing."""
    fig = build(np.array([1]), np.array([0.5]))
    for t in sent(fig)["data"]:
        assert "markers" in t["mode"], t["name"]
        assert t["marker"]["size"] >= 4
    many = build(np.arange(1, 201), np.full(200, 0.5))
    assert sent(many)["data"][0]["mode"] == "lines"  # long runs: the line only


# ----------------------------------------------------------------------------- issue 17


def test_loss_chart_draws_a_loss_target_with_perplexity():
    steps = np.arange(1, 31)
    loss = np.linspace(4.2, 1.9, 30)
    fig = ct.loss_chart(
        steps, loss, log_y=True, **ct.loss_target("class_per_step", "test_loss", 1.708)
    )
    (line,) = shapes(fig)
    assert line["y0"] == line["y1"] == pytest.approx(1.708)
    assert "1.708" in line["label"]["text"] and "perplexity 5.52" in line["label"]["text"]
    batch = sent(fig)["data"][0]
    assert "perplexity" in batch["hovertemplate"]
    np.testing.assert_allclose(decode(batch["customdata"]), np.exp(loss), rtol=1e-5)
    assert "nats per token" in sent(fig)["layout"]["yaxis"]["title"]["text"]
    # a regression goal (sine: test MSE) gets the line, not the perplexity
    mse = ct.loss_chart(steps, loss, **ct.loss_target("value_per_step", "test_loss", 0.01))
    assert shapes(mse)[0]["y0"] == pytest.approx(0.01)
    assert "perplexity" not in sent(mse)["data"][0]["hovertemplate"]
    # an accuracy goal draws no line on the loss chart
    assert ct.loss_target("class_per_sequence", "test_acc", 0.97) == {}
    assert shapes(ct.loss_chart(steps, loss)) == []
