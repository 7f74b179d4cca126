"""The Gradient lab's pure chart builders (ui/views/charts_lab.py).

Figures are checked as the browser gets them: serialised the way Streamlit does
(``pio.to_json(fig, validate=False)``), with plotly 7's binary arrays decoded back to numpy.
"""

from __future__ import annotations

import ast
import dataclasses
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
import pytest

from rnn_core.tasks import load_task
from tests.plotly_spec import decode, sent
from ui.services.limits import Limits
from ui.services.run import RunView, TrainingRun
from ui.views import charts_lab as cl
from ui.views.html import display_token


def traces(fig: go.Figure) -> dict[str, dict]:
    """name -> the trace as sent, with "x", "y" (and "z", "customdata") decoded."""
    out = {}
    for t in sent(fig)["data"]:
        t = dict(t)
        for key in ("x", "y", "z", "customdata"):
            if isinstance(t.get(key), dict):
                t[key] = decode(t[key])
        out[t.get("name", t["type"])] = t
    return out


def same(a, b) -> None:
    """Equal as float32, NaN where NaN."""
    np.testing.assert_array_equal(np.asarray(a, np.float32), np.asarray(b, np.float32))


def shapes(fig: go.Figure) -> list[dict]:
    return sent(fig)["layout"].get("shapes", [])


def valid(fig: go.Figure) -> None:
    """Everything set without validation is valid, and it serialises."""
    go.Figure(fig.to_dict())
    sent(fig)


# ----------------------------------------------------------------------------- 1. flow


def test_gradient_flow_values_log_axis_and_fit_line():
    T = 12
    norms = 0.8 * 0.62 ** (T - 1 - np.arange(T))
    fig = cl.gradient_flow(norms, factor=0.62)
    got = traces(fig)
    assert list(got) == ["‖∂L/∂h_t‖", "fit: ×0.62 per step back"]
    main, fit = got["‖∂L/∂h_t‖"], got["fit: ×0.62 per step back"]
    assert main["y"].dtype == np.float32 and main["x"].dtype == np.int32
    np.testing.assert_array_equal(main["x"], np.arange(T))
    same(main["y"], norms)
    expected = norms[-1] * 0.62 ** (T - 1 - np.arange(T))  # norms[-1]·factor^(steps back)
    np.testing.assert_allclose(fit["y"], expected, rtol=1e-6)
    assert fit["y"][-1] == np.float32(norms[-1])
    assert fit["line"]["dash"] == "dash" and fit["mode"] == "lines"
    layout = fig.layout
    assert layout.yaxis.type == "log"
    assert layout.yaxis.title.text == "‖∂L/∂h_t‖ (log scale)"
    assert "timestep" in layout.xaxis.title.text
    assert layout.showlegend is True and layout.uirevision == "keep"
    assert layout.template.layout.plot_bgcolor == "white"
    assert "%{fullData.name}" in main["hovertemplate"] and "%{y:.4g}" in main["hovertemplate"]


def test_fit_line_is_anchored_at_the_last_usable_step():
    # ×0.5 per step back: each step further from the loss gets half
    np.testing.assert_allclose(cl.fit_line([9.0, 9.0, 1.0], 0.5), [0.25, 0.5, 1.0])
    np.testing.assert_allclose(cl.fit_line([9.0, 9.0, 3.0], 2.0), [12.0, 6.0, 3.0])
    # the last step unusable: anchored at the last finite positive one
    np.testing.assert_allclose(cl.fit_line([9.0, 2.0, np.nan], 0.5), [1.0, 2.0, 4.0])
    assert np.isnan(cl.fit_line([0.0, np.inf, np.nan], 0.5)).all()
    assert np.isnan(cl.fit_line([1.0, 1.0], np.nan)).all()
    assert np.isnan(cl.fit_line([1.0, 1.0], 0.0)).all()


def test_gradient_flow_tokens_are_tick_labels_all_drawn_when_many():
    toks = ["the", "<b>", " ", "end"]
    fig = cl.gradient_flow(np.ones(4), toks)
    assert list(fig.layout.xaxis.ticktext) == [display_token(t) for t in toks]
    assert list(fig.layout.xaxis.ticktext)[1] == "&lt;b&gt;"
    assert "'%{x}'" in fig.data[0].hovertemplate  # the column's token in the hover
    assert fig.layout.showlegend is False  # one trace, no legend
    many = cl.gradient_flow(np.ones(100), [f"w{i}" for i in range(100)])
    assert len(many.layout.xaxis.ticktext) == 100  # every label drawn, a pan away
    assert many.layout.xaxis.showticklabels is not False and not many.layout.annotations
    assert many.layout.xaxis.scaleanchor == "y9" and many.layout.dragmode == "pan"
    with pytest.raises(ValueError):
        cl.gradient_flow(np.ones(4), ["a", "b"])


def test_gradient_flow_runs_overlay_in_distinct_colours():
    runs = {
        "RNN": np.geomspace(1e-6, 1.0, 20),
        "GRU": np.geomspace(1e-2, 1.0, 20),
        "LSTM": np.r_[0.0, -1.0, np.inf, np.nan, np.ones(16)],
    }
    fig = cl.gradient_flow(None, runs=runs, factor=0.5)  # no norms: the factor has no anchor
    got = traces(fig)
    assert list(got) == ["RNN", "GRU", "LSTM"]
    same(got["RNN"]["y"], runs["RNN"])
    assert np.isnan(got["LSTM"]["y"][:4]).all()  # ≤ 0 and non-finite: gaps on the log axis
    same(got["LSTM"]["y"][4:], np.ones(16))
    assert len({t["line"]["color"] for t in got.values()}) == 3
    assert fig.layout.showlegend is True and fig.layout.yaxis.type == "log"
    both = cl.gradient_flow(np.ones(20), runs={"GRU": np.ones(20)})
    assert [t.name for t in both.data] == ["‖∂L/∂h_t‖", "GRU"]
    assert both.data[0].line.color != both.data[1].line.color
    with pytest.raises(ValueError):
        cl.gradient_flow(None)


def test_gradient_flow_never_crashes_on_bad_values():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for norms in (np.zeros(5), np.full(5, np.nan), np.array([np.inf, 0, -1, 1e300, 1])):
            for factor in (None, 0.5, np.nan, np.inf, 0.0, 1e10):
                fig = cl.gradient_flow(norms, factor=factor)
                valid(fig)
        fig = cl.gradient_flow(np.array([1.0, 1.0, 1.0, 0.0]), factor=1e-30)
        fit = traces(fig)["fit: ×0.00 per step back"]["y"]
        assert np.isnan(fit[0])  # 1e-60 underflows float32 to 0: not drawn on the log axis
        assert fit[1] == np.float32(1e-30) and fit[2] == 1.0 and fit[3] == 1e30


# ----------------------------------------------------------------------------- 2. over training


def test_flow_over_training_heatmap_of_log10_norms():
    steps = np.array([0, 10, 20])
    norms = np.array(
        [
            [1e-3, 1e-2, 1e-1, 1.0],
            [1e-4, 1e-2, 1.0, np.nan],  # a shorter batch
            [0.0, np.inf, 10.0, 100.0],
        ]
    )
    fig = cl.flow_over_training(steps, norms)
    (heat,) = sent(fig)["data"]
    assert heat["type"] == "heatmap"
    z = decode(heat["z"])
    assert z.dtype == np.float32 and z.shape == (3, 4)
    expected = np.log10(np.where(np.isfinite(norms) & (norms > 0), norms, np.nan))
    np.testing.assert_allclose(z, expected, rtol=1e-6)
    np.testing.assert_array_equal(decode(heat["x"]), np.arange(4))
    np.testing.assert_array_equal(decode(heat["y"]), steps)
    assert heat["zmin"] == pytest.approx(-4.0) and heat["zmax"] == pytest.approx(2.0)
    assert heat["colorbar"]["title"]["text"] == "log₁₀ ‖∂L/∂h_t‖"
    # sequential scale, vanishing = dark (viridis starts dark purple)
    assert heat["colorscale"][0][1] == "rgb(68,1,84)"
    assert heat["colorscale"][-1][1] == "rgb(253,231,37)"
    hover = heat["hovertemplate"]
    assert "%{y:,}" in hover and "%{x}" in hover and "%{z:.2f}" in hover
    assert fig.layout.yaxis.title.text == "training step"
    assert "timestep" in fig.layout.xaxis.title.text
    assert fig.layout.uirevision == "keep"


def test_flow_over_training_degenerate_inputs():
    valid(cl.flow_over_training(np.arange(0), np.zeros((0, 5))))
    valid(cl.flow_over_training(np.arange(3), np.zeros((3, 5))))  # all zeros: nothing drawn
    flat = cl.flow_over_training(np.arange(2), np.ones((2, 3)))
    assert flat.data[0].zmin < flat.data[0].zmax  # a constant still gets a colour range
    with pytest.raises(ValueError):
        cl.flow_over_training(np.arange(3), np.ones((2, 4)))


# ----------------------------------------------------------------------------- 3. eigenvalues


def test_eigen_plane_points_unit_circle_aspect_and_radius():
    lam = np.array([0.5 + 0.5j, 0.5 - 0.5j, -1.3 + 0j, 0.1 + 0j])
    fig = cl.eigen_plane(lam)
    got = traces(fig)
    circle = got["unit circle |λ| = 1"]
    np.testing.assert_allclose(np.hypot(circle["x"], circle["y"]), 1.0, atol=1e-6)
    assert circle["mode"] == "lines"
    assert circle["x"][0] == circle["x"][-1] and circle["y"][0] == circle["y"][-1]
    pts = got["W_hh"]
    same(pts["x"], lam.real)
    same(pts["y"], lam.imag)
    same(pts["customdata"], np.abs(lam))
    layout = fig.layout
    assert layout.yaxis.scaleanchor == "x" and layout.yaxis.scaleratio == 1
    assert layout.xaxis.title.text == "Re λ" and layout.yaxis.title.text == "Im λ"
    assert layout.title.text == "Eigenvalues of W_hh · ρ = 1.300"
    # the axes show the whole circle and every eigenvalue, symmetric around 0
    lo, hi = layout.xaxis.range
    assert lo == -hi and hi > 1.3 and tuple(layout.yaxis.range) == (lo, hi)
    assert cl.eigen_plane(lam, radius=0.97).layout.title.text.endswith("ρ = 0.970")
    small = cl.eigen_plane(np.array([0.1, 0.2]))
    assert small.layout.xaxis.range[1] > 1.0  # the circle still fits


def test_eigen_plane_one_colour_per_gate_and_bad_values():
    eigs = {"r": np.array([0.2, 0.3j]), "z": np.array([0.9, -0.4]), "n": np.array([1.1, 0.0])}
    fig = cl.eigen_plane(eigs)
    names = [t.name for t in fig.data]
    assert names[0] == "unit circle |λ| = 1"
    assert names[1:] == ["reset r (ρ 0.30)", "update z (ρ 0.90)", "candidate n (ρ 1.10)"]
    assert len({t.marker.color for t in fig.data[1:]}) == 3
    assert "ρ = 1.100" in fig.layout.title.text
    named = cl.eigen_plane(eigs, gate_names={"r": "<reset>"})
    assert named.data[1].name.startswith("&lt;reset&gt;")
    ordered = cl.eigen_plane(eigs, gate_names=["A", "B", "C"])
    assert [t.name.split()[0] for t in ordered.data[1:]] == ["A", "B", "C"]
    bad = cl.eigen_plane(np.array([np.nan + 0j, complex(np.inf, 0), 0.5]))
    pts = traces(bad)["W_hh"]
    assert np.isnan(pts["x"][:2]).all() and pts["x"][2] == np.float32(0.5)
    assert bad.layout.title.text.endswith("ρ = 0.500")
    nothing = cl.eigen_plane(np.full(3, complex(np.nan, np.nan)))
    assert "not finite" in nothing.layout.title.text
    for each in (fig, bad, nothing, cl.eigen_plane(np.zeros(0, complex))):
        valid(each)


# ----------------------------------------------------------------------------- 4. spectrum


def test_spectrum_over_training_lines_and_threshold():
    steps = np.arange(5) * 100
    rho = np.array([0.9, 1.0, np.inf, 1.2, 1.3])
    sigma = np.array([1.1, 1.2, 1.3, np.nan, 1.5])
    fig = cl.spectrum_over_training(steps, rho, sigma, gamma=1.0)
    got = traces(fig)
    assert list(got) == ["ρ (spectral radius)", "σ_max"]
    same(got["ρ (spectral radius)"]["y"], [0.9, 1.0, np.nan, 1.2, 1.3])
    same(got["σ_max"]["y"], [1.1, 1.2, 1.3, np.nan, 1.5])
    np.testing.assert_array_equal(got["σ_max"]["x"], steps)
    (line,) = shapes(fig)
    assert line["y0"] == line["y1"] == 1.0 and line["line"]["dash"] == "dash"
    assert line["label"]["text"] == "1/γ (σ_max below this ⇒ gradients must vanish)"
    assert fig.layout.xaxis.title.text == "training step" and fig.layout.uirevision == "keep"
    assert shapes(cl.spectrum_over_training(steps, rho, sigma, gamma=4.0))[0]["y0"] == 0.25
    assert shapes(cl.spectrum_over_training(steps, rho, sigma, gamma=0.0)) == []
    assert shapes(cl.spectrum_over_training(steps, rho, sigma, gamma=np.nan)) == []
    valid(cl.spectrum_over_training(np.arange(0), np.zeros(0), np.zeros(0)))


# ----------------------------------------------------------------------------- 5. jacobian


def test_jacobian_chart_log_norms_and_saturation_axis():
    norms = np.array([1e-5, 1e-3, 0.0, 0.1, 1.0])
    sat = np.array([0.5, 0.25, np.nan, 0.0, 1.0])
    fig = cl.jacobian_chart(norms, sat, ["a", "<b>", "c", "d", "e"])
    got = traces(fig)
    line = got["‖∂h_{T−1}/∂h_k‖"]
    same(line["y"], [1e-5, 1e-3, np.nan, 0.1, 1.0])
    bars = got["saturated units"]
    assert bars["type"] == "bar" and bars["yaxis"] == "y2"
    same(bars["y"], [0.5, 0.25, np.nan, 0.0, 1.0])
    layout = fig.layout
    assert layout.yaxis.type == "log"
    assert layout.yaxis2.overlaying == "y" and layout.yaxis2.side == "right"
    assert tuple(layout.yaxis2.range) == (0.0, 1.0)
    assert list(layout.yaxis2.tickvals) == [0.0, 0.25, 0.5, 0.75, 1.0]  # not synced to log ticks
    assert layout.yaxis2.title.text == "saturated units"
    assert list(layout.xaxis.ticktext)[1] == "&lt;b&gt;"
    alone = cl.jacobian_chart(norms)
    assert [t.name for t in alone.data] == ["‖∂h_{T−1}/∂h_k‖"]
    assert "yaxis2" not in sent(alone)["layout"]
    with pytest.raises(ValueError):
        cl.jacobian_chart(norms, np.ones(3))
    valid(cl.jacobian_chart(np.full(4, np.nan), np.full(4, np.nan)))


# ----------------------------------------------------------------------------- 6. clipping


def test_clipping_bars_norms_cosines_and_threshold():
    fig = cl.clipping_bars(8.0, 5.0, 6.0, 1.0, 0.83, threshold=5.0)
    (bar,) = sent(fig)["data"]
    assert bar["x"] == ["none", "global norm (keeps direction)", "per element (experiment)"]
    same(decode(bar["y"]), [8.0, 5.0, 6.0])
    assert bar["text"] == ["cos 1.000", "cos 1.000", "cos 0.830"]
    assert len(set(bar["marker"]["color"])) == 3
    (line,) = shapes(fig)
    assert line["y0"] == line["y1"] == 5.0 and line["line"]["dash"] == "dash"
    assert line["label"]["text"] == "threshold 5"
    assert fig.layout.yaxis.type != "log"
    assert fig.layout.yaxis.range[1] > 8.0  # room for the labels


def test_clipping_bars_explosion_goes_log_and_bad_values_survive():
    fig = cl.clipping_bars(5e4, 1.0, 30.0, 1.0, 0.41234, threshold=1.0)
    assert fig.layout.yaxis.type == "log"
    assert sent(fig)["data"][0]["text"][2] == "cos 0.412"
    bad = cl.clipping_bars(np.inf, np.nan, 0.0, np.nan, -0.5, threshold=np.nan)
    (bar,) = sent(bad)["data"]
    assert bar["text"] == ["cos 1.000", "cos n/a", "cos -0.500"]
    assert np.isnan(decode(bar["y"])[:2]).all()
    assert shapes(bad) == []
    valid(bad)


# ----------------------------------------------------------------------------- 7. cliff


def test_cliff_chart_gaps_log_axis_and_marks():
    alphas = np.linspace(0.0, 2.0, 9)
    losses = np.array([0.5, 0.4, 0.3, 0.2, 0.25, 3.0, np.inf, np.nan, 1e3])
    fig = cl.cliff_chart(alphas, losses, marks=[(1.0, "now"), (1.75, "<last>"), (np.nan, "x")])
    got = traces(fig)["loss"]
    same(got["x"], alphas)
    same(got["y"], [0.5, 0.4, 0.3, 0.2, 0.25, 3.0, np.nan, np.nan, 1e3])
    assert got.get("connectgaps") in (None, False)
    assert fig.layout.yaxis.type == "log"
    assert fig.layout.xaxis.title.text == "scale of W_hh (1 = now)"
    marks = shapes(fig)
    assert [(m["x0"], m["x1"]) for m in marks] == [(1.0, 1.0), (1.75, 1.75)]
    assert [m["label"]["text"] for m in marks] == ["now", "&lt;last&gt;"]
    assert all(m["line"]["dash"] == "dot" and m["yref"] == "paper" for m in marks)
    assert all(m["layer"] == "above" for m in marks)  # a gridline at x = 1 does not hide "now"
    custom = cl.cliff_chart(alphas, losses, x_title="steps along g", title="T")
    assert custom.layout.xaxis.title.text == "steps along g" and shapes(custom) == []
    valid(cl.cliff_chart(alphas, np.zeros(9)))
    valid(cl.cliff_chart(np.zeros(0), np.zeros(0), marks=[(0.0, "now")]))


# ----------------------------------------------------------------------------- 8. overlay


def test_runs_overlay_one_line_per_run_on_a_step_axis():
    series = {
        "tanh RNN": (np.arange(5) * 25, np.array([0.2, 0.18, 0.17, np.inf, 0.17])),
        "GRU": (np.arange(3) * 25, np.array([0.2, 0.05, 0.0])),
        "LSTM": (np.arange(4) * 25, np.array([0.2, 0.1, 0.03, 0.01])),
    }
    fig = cl.runs_overlay(series, y_title="test MSE (log scale)", log_y=True, title="Test")
    got = traces(fig)
    assert list(got) == ["tanh RNN", "GRU", "LSTM"]
    np.testing.assert_array_equal(got["GRU"]["x"], [0, 25, 50])
    same(got["tanh RNN"]["y"], [0.2, 0.18, 0.17, np.nan, 0.17])
    same(got["GRU"]["y"], [0.2, 0.05, np.nan])  # 0 cannot sit on a log axis
    assert len({t["line"]["color"] for t in got.values()}) == 3
    layout = fig.layout
    assert layout.yaxis.type == "log" and layout.yaxis.title.text == "test MSE (log scale)"
    assert layout.xaxis.title.text == "training step" and layout.uirevision == "keep"
    linear = cl.runs_overlay({"a": (np.arange(2), np.zeros(2))}, y_title="MSE", title="T")
    assert linear.layout.yaxis.type is None
    same(traces(linear)["a"]["y"], [0.0, 0.0])
    valid(cl.runs_overlay({}, y_title="MSE", title="T"))


# ----------------------------------------------------------------------------- 9. gradcheck


@dataclass(frozen=True)
class Check:
    rel_error: float
    analytic_norm: float
    numeric_norm: float
    n_checked: int


def test_gradcheck_frame_verdicts_by_threshold():
    report = {
        "W_xh": Check(1e-8, 1.0, 1.0, 10),
        "W_hh": Check(9.99e-6, 2.0, 2.0, 10),
        "b_h": Check(1e-5, 0.5, 0.5, 4),
        "W_hy": Check(9.9e-4, 3.0, 3.0, 6),
        "b_y": Check(1e-3, 0.1, 0.2, 2),
        "embed": Check(float("nan"), 0.0, 0.0, 0),
    }
    frame = cl.gradcheck_frame(report)
    assert isinstance(frame, pd.DataFrame)
    assert list(frame.columns) == [
        "parameter",
        "analytic norm",
        "numeric norm",
        "relative error",
        "verdict",
    ]
    assert list(frame["parameter"]) == list(report)
    assert list(frame["verdict"]) == ["ok", "ok", "check", "check", "WRONG", "WRONG"]
    assert frame["numeric norm"].iloc[4] == pytest.approx(0.2)
    assert frame["relative error"].iloc[1] == pytest.approx(9.99e-6)
    empty = cl.gradcheck_frame({})
    assert empty.empty and list(empty.columns) == list(frame.columns)


def test_gradcheck_frame_reads_the_core_report_type():
    from rnn_core.gradcheck import GradCheck

    frame = cl.gradcheck_frame({"l0.W_hh": GradCheck(2e-7, 1.5, 1.5, 100)})
    assert frame.loc[0, "verdict"] == "ok" and frame.loc[0, "analytic norm"] == 1.5


# ----------------------------------------------------------------------------- all figures


def all_figures() -> dict[str, go.Figure]:
    n = np.geomspace(1e-3, 1.0, 8)
    return {
        "flow": cl.gradient_flow(n, list("abcdefgh"), factor=0.4),
        "flow_runs": cl.gradient_flow(None, runs={"a": n, "b": n, "c": n, "d": n, "e": n}),
        "over_training": cl.flow_over_training(np.arange(3), np.tile(n, (3, 1))),
        "eigen": cl.eigen_plane({g: n.astype(complex) for g in "ifgo"}),
        "spectrum": cl.spectrum_over_training(np.arange(8), n, n * 2, gamma=1.0),
        "jacobian": cl.jacobian_chart(n, n, list("abcdefgh")),
        "clipping": cl.clipping_bars(3.0, 1.0, 2.0, 1.0, 0.9, threshold=1.0),
        "cliff": cl.cliff_chart(n, n, marks=[(0.5, "now")]),
        "overlay": cl.runs_overlay({"a": (np.arange(8), n)}, y_title="MSE", title="T"),
    }


@pytest.mark.parametrize("name", list(all_figures()))
def test_every_figure_has_the_house_look(name):
    fig = all_figures()[name]
    layout = fig.layout
    assert layout.template.layout.plot_bgcolor == "white"  # plotly_white
    assert layout.title.text and layout.xaxis.title.text and layout.yaxis.title.text
    for trace in fig.data:
        assert trace.hovertemplate or trace.hoverinfo == "skip"
    valid(fig)
    for trace in sent(fig)["data"]:  # numbers go out as binary, never as JSON lists
        for key in ("x", "y", "z", "customdata"):
            value = trace.get(key)
            if value is not None and not (trace["type"] == "bar" and key == "x"):
                assert isinstance(value, dict), (name, key)
                assert value["dtype"] in ("f4", "i4"), (name, key)


def test_live_charts_keep_the_view():
    figs = all_figures()
    for name in ("flow", "flow_runs", "over_training", "spectrum", "overlay"):
        assert figs[name].layout.uirevision == "keep", name


def test_user_strings_are_shown_not_evaluated():
    sneaky = "%{y} <b>"
    figs = [
        cl.gradient_flow(None, runs={sneaky: np.ones(3)}),
        cl.runs_overlay({sneaky: (np.arange(2), np.ones(2))}, y_title=sneaky, title=sneaky),
        cl.cliff_chart(np.arange(2.0), np.ones(2), marks=[(1, sneaky)], x_title=sneaky),
        cl.eigen_plane({"h": np.ones(2)}, gate_names={"h": sneaky}, title=sneaky),
    ]
    for fig in figs:
        for trace in fig.data:
            assert "%{y} " not in (trace.hovertemplate or "")
        assert "<b>" not in pio.to_json(fig, validate=False)


def test_module_never_imports_streamlit():
    source = Path(cl.__file__).read_text(encoding="utf-8")
    imported = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add((node.module or "").split(".")[0])
    assert "streamlit" not in imported


def run_views() -> dict[str, RunView]:
    """Two short real runs (20 steps, evaluated every 10) as the Compare page draws them:
    their :class:`ui.services.run.RunView` s, so a renamed series breaks the test."""
    task = load_task("sentiment-tiny")
    views = {}
    for name, lr in (("A", 0.05), ("B", 0.01)):
        config = dataclasses.replace(task.default_config, steps=20, eval_every=10, lr=lr)
        run = TrainingRun(task, config, task.encoder.encode(task.example), Limits())
        run.advance(0, max_steps=20)
        views[name] = run.view()
    return views


def test_run_overlays_draw_every_run_on_shared_axes():
    views = run_views()
    figs = cl.run_overlays(views, classifier=True)
    assert set(figs) == {"loss", "test", "grad", "rho"}
    series = {
        "loss": lambda v: (v.columns["step"], v.columns["loss"]),
        "test": lambda v: (v.evals["step"], v.evals["test_acc"]),
        "grad": lambda v: (v.columns["step"], v.columns["grad_norm"]),
        "rho": lambda v: (v.columns["step"], v.columns["rho0"]),
    }
    for name, fig in figs.items():
        got = traces(fig)
        assert list(got) == ["A", "B"], name
        for run, view in views.items():
            x, y = series[name](view)
            assert x.size and np.isfinite(y).all(), (name, run)
            np.testing.assert_array_equal(got[run]["x"], x)
            same(got[run]["y"], y)
    assert figs["test"].layout.yaxis.title.text == "test accuracy"
    regression = cl.run_overlays(views, classifier=False)
    assert regression["test"].layout.yaxis.type == "log"
    for run, view in views.items():
        same(traces(regression["test"])[run]["y"], view.evals["test_loss"])


def test_run_overlays_builds_only_the_figures_asked_for():
    """The lab redraws two of the four overlays on every frame: it builds just those two,
    the same figures as when all four are built."""
    views = run_views()
    every = cl.run_overlays(views, classifier=False)
    two = cl.run_overlays(views, classifier=False, only=("test", "grad"))
    assert list(two) == ["test", "grad"]
    for name, fig in two.items():
        assert fig.to_plotly_json() == every[name].to_plotly_json(), name
    with pytest.raises(ValueError, match="unknown overlays"):
        cl.run_overlays(views, classifier=False, only=("test", "accuracy"))


def test_runs_overlay_marks_a_short_series_so_a_lone_point_shows():
    """Issue 13: a run that died after one evaluation drew an empty chart (a line needs two
    points). A short series gets markers; a long one stays a plain line."""
    fig = cl.runs_overlay(
        {
            "died": (np.array([25]), np.array([3.65e33])),
            "long": (np.arange(200), np.linspace(1.0, 0.1, 200)),
        },
        y_title="test MSE (log scale)",
        log_y=True,
        title="Test loss",
    )
    got = traces(fig)
    assert got["died"]["mode"] == "lines+markers"
    same(got["died"]["y"], [3.65e33])
    assert got["long"]["mode"] == "lines"  # (a long one: markers would hide the line)


def test_an_overlay_target_line_keeps_its_label_inside_the_plot():
    """A language model's test-loss overlay on Compare: the target line, labelled, and the
    label under the line when every run is below it (the line is then the top of the range,
    where a label above it was cut off)."""
    steps = np.array([100, 200])
    below = cl.runs_overlay(
        {"A": (steps, np.array([2.2, 2.0]))}, y_title="x", log_y=True, title="t", target=2.267
    )
    (line,) = below.layout.shapes
    assert line.y0 == line.y1 == 2.267 and line.label.text == "target ≤ 2.267"
    assert line.label.yanchor == "top"
    above = cl.runs_overlay(
        {"A": (steps, np.array([2.5, 2.0]))}, y_title="x", log_y=True, title="t", target=2.267
    )
    assert above.layout.shapes[0].label.yanchor == "bottom"
    none = cl.runs_overlay({"A": (steps, np.array([2.5, 2.0]))}, y_title="x", title="t")
    assert not none.layout.shapes
