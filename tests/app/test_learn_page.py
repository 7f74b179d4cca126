"""The Learn page through AppTest: the numbers on the page are the model's own."""

from __future__ import annotations

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from rnn_core.model import ModelConfig, RNNModel
from tests.app.conftest import APP, no_exceptions, open_page
from ui.models import SessionModel


def open_learn(model=None, task="sentiment-tiny", **query) -> AppTest:
    session = {"current_task": task}
    if model is not None:
        from rnn_core.tasks import load_task

        t = load_task(task)
        session["models"] = {
            task: SessionModel(task, model, t.default_config, "trained here", 0, {})
        }
    return open_page("learn", session=session, **query)


def test_the_router_serves_learn():
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.switch_page("app_pages/learn.py").run()
    no_exceptions(at)
    assert at.title[0].value == "Learn"


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_forward_numbers_are_the_models_own(cell):
    from rnn_core.tasks import load_task

    task = load_task("sentiment-tiny")
    cfg = ModelConfig(cell=cell, hidden_size=6, input_size=len(task.encoder), output_size=2)
    model = RNNModel.create(cfg, np.random.default_rng(3), dtype=np.float64)
    at = open_learn(model, sentence="the food is not awful")
    assert len(at.latex) >= 3  # the cell's equations
    ids = task.encoder.encode("the food is not awful")
    trace = model.trace(ids)
    forward = at.dataframe[0].value
    T = len(ids)
    np.testing.assert_allclose(forward["h_t"].to_numpy(), trace.hs[0][T - 1, :4], atol=1e-12)
    if cell == "rnn":
        parts = forward[["x_t W_xh", "h_{t−1} W_hh", "b_h"]].to_numpy().sum(axis=1)
        np.testing.assert_allclose(parts, forward["a_t"].to_numpy(), atol=1e-12)
        np.testing.assert_allclose(np.tanh(forward["a_t"].to_numpy()), forward["h_t"], atol=1e-12)
    else:
        gate = "z" if cell == "gru" else "f"
        np.testing.assert_allclose(forward[gate].to_numpy(), trace.gates[0][gate][T - 1, :4])
    # step 2: h_{t−1} is step 1's h_t
    at.slider(key="t").set_value(2).run()
    forward = at.dataframe[0].value
    np.testing.assert_allclose(forward["h_{t−1}"].to_numpy(), trace.hs[0][0, :4], atol=1e-12)


def test_backward_numbers_are_the_models_own():
    from rnn_core.tasks import load_task

    task = load_task("sentiment-tiny")
    cfg = ModelConfig(cell="rnn", hidden_size=6, input_size=len(task.encoder), output_size=2)
    model = RNNModel.create(cfg, np.random.default_rng(4), dtype=np.float64)
    at = open_learn(model, sentence="the food is good")
    ids = task.encoder.encode("the food is good")
    fw = model.forward(ids[None])
    target = int(np.argmax(fw.outputs[0]))
    _, dout, _, _ = model.loss(fw, np.array([target]))
    model.backward(fw, dout)
    dh = fw.caches[0].dh_total[:, 0]
    backward = at.dataframe[1].value
    T = len(ids)
    np.testing.assert_allclose(backward["∂L/∂h_t"].to_numpy(), dh[T - 1, :4], atol=1e-12)
    np.testing.assert_allclose(backward["from the future"].to_numpy(), 0.0, atol=1e-15)
    at.slider(key="t").set_value(2).run()
    backward = at.dataframe[1].value
    np.testing.assert_allclose(backward["from the output"].to_numpy(), 0.0, atol=1e-15)
    np.testing.assert_allclose(backward["from the future"].to_numpy(), dh[1, :4], atol=1e-12)


def test_numeric_tasks_and_empty_text():
    at = open_learn(task="sine")
    assert at.dataframe
    at = open_learn(sentence="")
    assert any("empty" in i.value for i in at.info)
