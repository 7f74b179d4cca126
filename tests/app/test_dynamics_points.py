"""The Dynamics lab's fixed and slow points through AppTest: what the section draws and says is
what the search finds on the session's model, the URL drives it, bad links fall back with a
note, and models it cannot search get a word instead of a crash."""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pytest

from rnn_core.model import RNNModel
from rnn_core.tasks import load_task
from tests.app.conftest import open_page, titled
from tests.app.test_hostile_urls import assert_not_echoed, messages, short
from tests.plotly_spec import decode
from ui.glue.models import SessionModel
from ui.services.fixed_points import Search, find_points
from ui.views import analysis
from ui.views import fixed_points as V
from ui.views.inputs import read_example

MAP = "Fixed and slow points on the state map"
KEYS = ("fp_input", "fp_kind", "fp_eigen")


def _traces(fig) -> dict:
    return {t.get("name"): t for t in fig["data"]}


def _xy(trace) -> np.ndarray:
    return np.c_[decode(trace["x"]), decode(trace["y"])]


def all_noted(at) -> set[str]:
    """Every key the section's notes name ("The link's value for a, b cannot be used")."""
    keys = set()
    for text in messages(at):
        m = re.search(r"The link's value for (.*) cannot be used", text)
        if m:
            keys |= set(m.group(1).split(", "))
    return keys


def _said(at) -> str:
    return " ".join(m.value for m in at.markdown)


def test_the_default_sentiment_gru_shows_its_points_on_first_open():
    at = open_page("dynamics")
    model = at.session_state["models"]["sentiment"].model
    task = load_task("sentiment")
    assert model.config.cell == "gru"
    points = find_points(model, task, Search(), None)  # what the section should have found
    assert points.n_fixed >= 1 and len(points) - points.n_fixed >= 3
    assert V.verdict(V.line_numbers(points, model)) in _said(at)
    (fig,) = titled(at, MAP)
    by = _traces(fig)
    state_map = analysis.fit_state_map(model, task)
    H = model.config.hidden_size
    want = state_map.pca.transform(points.points[:, :H])
    np.testing.assert_allclose(_xy(by["slow points"]), want[~points.fixed], atol=1e-5)
    stable = points.fixed & points.stable
    np.testing.assert_allclose(_xy(by["fixed point, stable"]), want[stable], atol=1e-5)
    path = by[task.example]  # Explore's default sentence, the same PCA
    np.testing.assert_allclose(
        _xy(path), state_map.pca.transform(model.trace(task.encoder.encode(task.example)).hs[-1]),
        atol=1e-5,
    )  # fmt: skip
    (eig,) = titled(at, f"Eigenvalues at all {len(points)} points")
    slow = _traces(eig)["at slow points"]
    lam = points.eigenvalues[~points.fixed].reshape(-1)
    np.testing.assert_allclose(decode(slow["x"]), lam.real, atol=1e-5)
    assert at.selectbox(key="fp_input").value == "no input"
    assert at.segmented_control(key="fp_kind").value == "slow points"
    assert [t.value for t in at.table]  # the slowest points listed


def test_the_link_picks_the_input_what_counts_and_the_point_and_follows_the_sentence():
    sentence = "the food was good"
    at = open_page(
        "dynamics", fp_input="bad", fp_kind="fixed points", fp_eigen="1", sentence=sentence
    )
    assert at.selectbox(key="fp_input").value == "bad"
    assert at.segmented_control(key="fp_kind").value == "fixed points"
    assert at.selectbox(key="fp_eigen").value == "1"
    assert "reading “bad” again and again" in _said(at)
    model = at.session_state["models"]["sentiment"].model
    task = load_task("sentiment")
    points = find_points(
        model, task, Search(input="bad", kind="fixed points"), V.input_id(task, "bad")
    )
    assert points.fixed.all()
    (fig,) = titled(at, MAP)
    by = _traces(fig)
    assert "slow points" not in by
    assert sentence in by  # the path is the link's sentence
    assert "point 1 (eigenvalues shown)" in by
    (eig,) = titled(at, "Eigenvalues at point 1 (fixed)")
    drawn = decode(_traces(eig)["at fixed points"]["x"])
    np.testing.assert_allclose(drawn, points.eigenvalues[0].real, atol=1e-5)


@pytest.mark.parametrize(
    "value", ["", "9" * 400, "<script>alert(1)</script>", "nan", "🙂" * 50], ids=short
)
def test_unusable_link_values_fall_back_with_a_note_never_echoed(value):
    at = open_page("dynamics", **dict.fromkeys(KEYS, value))
    assert all_noted(at) == set(KEYS)
    assert_not_echoed(at, value)
    assert at.selectbox(key="fp_input").value == "no input"
    assert at.segmented_control(key="fp_kind").value == "slow points"
    assert at.selectbox(key="fp_eigen").value == "all points"
    assert titled(at, MAP)


def test_a_two_layer_model_gets_a_note_not_a_crash():
    task = load_task("sentiment")
    config = dataclasses.replace(task.default_config, num_layers=2)
    model = RNNModel.create(config.model_config(task.data), np.random.default_rng(0))
    sm = SessionModel("sentiment", model, config, "trained here", 0, {})
    at = open_page("dynamics", session={"models": {"sentiment": sm}})
    assert any("single-layer models only" in i.value for i in at.info)
    assert not titled(at, MAP)


def test_a_numeric_task_searches_with_no_input_and_draws_its_test_sequence():
    at = open_page("dynamics", task="sine", example="3")
    select = at.selectbox(key="fp_input")
    assert select.value == "no input" and select.disabled
    (fig,) = titled(at, MAP)
    task = load_task("sine")
    model = at.session_state["models"]["sine"].model
    path = next(t for t in fig["data"] if t.get("mode") == "lines+markers+text")
    want = analysis.fit_state_map(model, task).pca.transform(
        model.trace(read_example(task, 3).seq).hs[-1]
    )
    np.testing.assert_allclose(_xy(path), want, atol=1e-5)


def test_a_point_choice_that_no_longer_exists_goes_back_to_all_points_without_a_note():
    at = open_page("dynamics")
    at.selectbox(key="fp_eigen").set_value("5").run()
    assert titled(at, "Eigenvalues at point 5")
    at.query_params["fp_eigen"] = "5"  # what the browser's address says now
    at.segmented_control(key="fp_kind").set_value("fixed points").run()
    assert not all_noted(at)  # the session's own choice, not a bad link
    assert at.selectbox(key="fp_eigen").value == "all points"
    assert at.selectbox(key="fp_eigen").options == ["all points", "1"]


def test_a_sentence_the_task_cannot_read_gives_way_to_the_task_s_example():
    task = load_task("sentiment")
    at = open_page("dynamics", sentence="qqxzz wwvkj")  # not one known word
    (fig,) = titled(at, MAP)
    assert task.example in _traces(fig)
