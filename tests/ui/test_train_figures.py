"""ui.views.train_figures: the Train page's figures of a run view (pure), for each kind of
task, and the progress bar's text."""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pytest

from rnn_core.tasks import load_task
from tests.plotly_spec import decode, sent
from ui.services.limits import Limits
from ui.services.run import RunView, TrainingRun
from ui.views.inputs import read_example, read_text
from ui.views.train_figures import (
    DETAIL,
    FAST,
    detail_figures,
    fast_figures,
    figures,
    pick_snapshot,
    progress_bar,
)


def trained(name: str, steps: int = 25, **changes):
    """(task, probe reading, view) of a run on task ``name`` after ``steps`` steps."""
    task = load_task(name)
    config = dataclasses.replace(task.default_config, hidden_size=8, **changes)
    probe = read_example(task, 0) if task.encoder is None else read_text(task, task.example)
    run = TrainingRun(task, config, probe.seq, Limits())
    run.advance(0.0, max_steps=steps)
    return task, probe, run.view()


def title(fig) -> str:
    return sent(fig)["layout"]["title"]["text"]


def y_title(fig) -> str:
    return sent(fig)["layout"]["yaxis"]["title"]["text"]


def test_a_sentence_classifier_gets_every_fast_chart_in_order():
    task, _, view = trained("sentiment-tiny")
    figs = fast_figures(view, task)
    assert list(figs) == list(FAST)
    assert y_title(figs["loss"]) == "loss (nats, log scale)"
    loss = sent(figs["loss"])["data"][0]
    np.testing.assert_array_equal(decode(loss["x"]), view.columns["step"])  # (N,) steps
    np.testing.assert_allclose(decode(loss["y"]), view.columns["loss"], rtol=1e-6)
    assert list(FAST) == ["loss", "grad"]  # two charts a frame: the browser keeps up


def test_the_spectrum_names_tanh_for_a_tanh_or_gated_cell():
    task, probe, view = trained("sentiment-tiny")
    spectrum = sent(detail_figures(view, task, probe, view.snapshots[-1])["spectrum"])
    assert view.config.cell != "rnn" or view.config.activation == "tanh"
    assert "1/γ = 1 (tanh)" in json_text(spectrum) and "relu" not in json_text(spectrum)


def json_text(spec: dict) -> str:
    return json.dumps(spec, ensure_ascii=False)


def test_a_language_model_has_no_accuracy_chart_and_a_regression_plots_mse():
    chars, probe, view = trained("chars", steps=3)
    assert "accuracy" not in detail_figures(view, chars, probe, view.snapshots[-1])
    sine, probe, view = trained("sine", steps=3)
    figs = fast_figures(view, sine)
    assert list(figs) == ["loss", "grad"]
    assert y_title(figs["loss"]) == "MSE (log scale)"
    slow = detail_figures(view, sine, probe, view.snapshots[-1])
    assert list(slow) == ["spectrum", "param_grads", "probe", "probe_hidden_state"]


def test_the_spectrum_threshold_names_relu_and_each_layer_is_drawn():
    task, probe, view = trained(
        "sentiment-tiny", steps=3, cell="rnn", activation="relu", num_layers=2
    )
    spectrum = sent(detail_figures(view, task, probe, view.snapshots[-1])["spectrum"])
    assert "relu: slope 1" in json_text(spectrum)
    assert view.layers == 2 and len(spectrum["data"]) >= 2 * view.layers  # ρ and σ per layer


def test_settings_events_and_clipping_reach_the_charts():
    task = load_task("sentiment-tiny")
    config = dataclasses.replace(task.default_config, hidden_size=8, clip="norm")
    run = TrainingRun(task, config, read_text(task, task.example).seq, Limits())
    run.advance(0.0, max_steps=5)
    run.retune(lr=config.lr / 2)
    run.advance(0.0, max_steps=5)
    figs = fast_figures(run.view(), task)
    for name in ("loss", "grad"):
        shapes = sent(figs[name])["layout"].get("shapes", [])
        assert any(s.get("x0") == 5 for s in shapes), name  # the event at step 5
    assert any(
        s.get("y0") == config.clip_value for s in sent(figs["grad"])["layout"]["shapes"]
    )  # the clipping threshold


def test_detail_figures_of_a_sentence_classifier():
    task, probe, view = trained("sentiment-tiny", steps=40)
    snap = view.snapshots[1]
    figs = detail_figures(view, task, probe, snap)
    assert list(figs) == list(DETAIL)
    acc = sent(figs["accuracy"])["data"][0]
    np.testing.assert_allclose(decode(acc["y"]), view.columns["accuracy"], rtol=1e-6)
    probe_spec = sent(figs["probe"])
    assert [t["name"] for t in probe_spec["data"]] == list(task.class_names)  # (S, C)
    assert len(decode(probe_spec["data"][0]["x"])) == len(view.snapshots)
    heat = sent(figs["probe_hidden_state"])
    assert heat["layout"]["title"]["text"].startswith(f"Probe's hidden state at step {snap.step:,}")
    z = decode(heat["data"][0]["z"])
    assert z.shape == snap.hs[-1].T.shape  # (T, H) states drawn as units × steps
    params = [t["name"] for t in sent(figs["param_grads"])["data"]]
    assert set(view.param_names) <= set(params)


def test_the_probe_chart_follows_the_kind_of_task():
    adding, probe, view = trained("adding", steps=3)
    figs = detail_figures(view, adding, probe, view.snapshots[-1])
    assert isinstance(probe.truth, float)
    assert f"target {probe.truth:.4g}" in json_text(sent(figs["probe"]))
    sine, probe, view = trained("sine", steps=3)
    figs = detail_figures(view, sine, probe, view.snapshots[-1])
    assert "target" not in json_text(sent(figs["probe"]))  # a (T,) truth is not one line
    copy, probe, view = trained("copy", steps=3)
    assert "probe" not in detail_figures(view, copy, probe, view.snapshots[-1])


def test_figures_are_what_the_export_bundle_saves():
    task, probe, view = trained("sentiment-tiny")
    both = figures(view, task, probe, view.snapshots[-1])
    assert list(both) == [*FAST, *DETAIL]


def test_the_replay_follows_the_newest_snapshot_unless_one_is_picked():
    _, _, view = trained("sentiment-tiny", steps=40)
    snaps = view.snapshots
    assert len(snaps) >= 3
    assert pick_snapshot(snaps, True, snaps[1].step) is snaps[-1]
    assert pick_snapshot(snaps, False, snaps[1].step) is snaps[1]
    assert pick_snapshot(snaps, False, None) is snaps[-1]
    assert pick_snapshot(snaps, False, 10**9) is snaps[-1]  # thinned away: the newest


def view_at(view: RunView, **changes) -> RunView:
    return dataclasses.replace(view, **changes)


@pytest.mark.parametrize(
    ("changes", "fill", "text"),
    [
        ({"steps": 0, "budget": 100, "rate": math.nan}, 0.0, "step 0 of 100"),
        (
            {"steps": 1200, "budget": 2000, "rate": 400.0, "state": "running"},
            0.6,
            "step 1,200 of 2,000 · 400 steps/s · about 2 s left",
        ),
        (
            {"steps": 1200, "budget": 2000, "rate": 400.0, "state": "paused"},
            0.6,
            "step 1,200 of 2,000 · 400 steps/s",
        ),
        (
            {"steps": 30, "budget": 20, "rate": 0.0, "state": "done"},
            1.0,
            "step 30 of 20 · 0 steps/s",
        ),
    ],
)
def test_the_progress_bar(changes, fill, text):
    _, _, view = trained("sentiment-tiny", steps=1)
    got_fill, got_text = progress_bar(view_at(view, **changes))
    assert got_fill == pytest.approx(fill)
    assert got_text == text
