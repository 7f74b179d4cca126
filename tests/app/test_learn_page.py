"""The Learn page through AppTest: the numbers on the page are the model's own."""

from __future__ import annotations

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from rnn_core.model import ModelConfig, RNNModel
from tests.app.conftest import APP, no_exceptions, open_page
from ui.glue.models import SessionModel


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
    if cell == "gru":  # the two shares of h_t add up to the model's h_t
        shares = forward[["(1−z)⊙n", "z⊙h_{t−1}"]].to_numpy().sum(axis=1)
        np.testing.assert_allclose(shares, trace.hs[0][T - 1, :4], atol=1e-12)
    if cell == "lstm":  # the cell state's two shares add up to the model's c_t
        shares = forward[["f⊙c_{t−1}", "i⊙g"]].to_numpy().sum(axis=1)
        np.testing.assert_allclose(shares, trace.cs[0][T - 1, :4], atol=1e-12)
        o, c = forward["o"].to_numpy(), forward["c_t"].to_numpy()
        np.testing.assert_allclose(o * np.tanh(c), forward["h_t"].to_numpy(), atol=1e-12)
    # step 2: h_{t−1} is step 1's h_t
    at.slider(key="t").set_value(2).run()
    forward = at.dataframe[0].value
    np.testing.assert_allclose(forward["h_{t−1}"].to_numpy(), trace.hs[0][0, :4], atol=1e-12)


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_backward_numbers_are_the_models_own(cell):
    from rnn_core.tasks import load_task

    task = load_task("sentiment-tiny")
    cfg = ModelConfig(cell=cell, hidden_size=6, input_size=len(task.encoder), output_size=2)
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


# ----------------------------------------------------------------------------- issue 13


def test_the_default_gru_gets_the_grus_backward_equations():
    """Issue 13 #18: Learn showed the vanilla RNN's BPTT (W_hh, 1 − h²) for the default GRU."""
    at = open_learn(task="sentiment")  # the default model: a GRU
    backward = " ".join(x.value for x in at.latex if "delta" in x.value)
    assert "z_{t+1}" in backward and "W_h^\\top" in backward and "\\delta a^r_t" in backward
    assert "W_{hh}" not in backward and "(1 - h_t^2)" not in backward
    assert any("GRU" in s.value for s in at.subheader if s.value.startswith("3"))


def test_an_lstm_gets_the_lstms_backward_equations():
    from rnn_core.tasks import load_task

    task = load_task("sentiment-tiny")
    cfg = ModelConfig(cell="lstm", hidden_size=6, input_size=len(task.encoder), output_size=2)
    at = open_learn(RNNModel.create(cfg, np.random.default_rng(1)), sentence="the food is good")
    backward = " ".join(x.value for x in at.latex if "delta" in x.value)
    assert "\\delta c_t" in backward and "f_{t+1}" in backward and "\\delta a^o_t" in backward
    assert "W_{hh}" not in backward


def sig(a):
    return 1.0 / (1.0 + np.exp(-a))


@pytest.mark.parametrize("cell", ["gru", "lstm"])
def test_the_backward_equations_shown_are_the_cells(cell):
    """The page's equations, computed by hand with the model's weights, give the model's own
    ∂L/∂h_t (its "from the future" column): the gate orders are rnn_core's (GRU r, z, n;
    LSTM i, f, g, o)."""
    from rnn_core.tasks import load_task

    task = load_task("sentiment-tiny")
    cfg = ModelConfig(cell=cell, hidden_size=5, input_size=len(task.encoder), output_size=2)
    model = RNNModel.create(cfg, np.random.default_rng(7), dtype=np.float64)
    ids = task.encoder.encode("the food is not awful")
    fw = model.forward(ids[None])
    target = int(np.argmax(fw.outputs[0]))
    _, dout, _, _ = model.loss(fw, np.array([target]))
    model.backward(fw, dout)
    dh = fw.caches[0].dh_total[:, 0]  # (T, H) the model's ∂L/∂h_t
    p = {k[3:]: v for k, v in model.params.items() if k.startswith("l0.")}
    H, T = 5, len(ids)
    trace = model.trace(ids)
    h = np.vstack([np.zeros((1, H)), trace.hs[0]])  # h[t] = h_{t−1} of step t
    g = trace.gates[0]
    dc_next = np.zeros(H)  # LSTM: δc_{t+1} ⊙ f_{t+1}, nothing after the last step
    for t in range(T - 1, 0, -1):  # what step t (0-based) sends back to h_{t−1}
        if cell == "gru":
            r, z, n = g["r"][t], g["z"][t], g["n"][t]
            dan = dh[t] * (1 - z) * (1 - n**2)
            daz = dh[t] * (h[t] - n) * z * (1 - z)
            ghn = h[t] @ p["W_h"][:, 2 * H :] + p["b_h"][2 * H :]
            dar = dan * ghn * r * (1 - r)
            future = dh[t] * z + np.concatenate([dar, daz, dan * r]) @ p["W_h"].T
        else:
            i_, f, gg, o = (g[k][t] for k in "ifgo")
            c, c_prev = trace.cs[0][t], trace.cs[0][t - 1]
            dc = dh[t] * o * (1 - np.tanh(c) ** 2) + dc_next
            da = np.concatenate(
                [
                    dc * gg * i_ * (1 - i_),
                    dc * c_prev * f * (1 - f),
                    dc * i_ * (1 - gg**2),
                    dh[t] * np.tanh(c) * o * (1 - o),
                ]
            )
            future = da @ p["W_h"].T
            dc_next = dc * f  # δc_t ⊙ f_t, for step t − 1
        np.testing.assert_allclose(future, dh[t - 1], atol=1e-10)  # many-to-one: all future


def test_a_link_sets_the_step_and_the_units():
    """Issue 13 #9: Learn's step and followed units are in the link (t=2, units=1&units=5)."""
    at = open_learn(sentence="the food is not awful", t="2", units=["1", "5"])
    assert at.slider(key="t").value == 2
    assert at.multiselect(key="units").value == [1, 5]
    assert list(at.dataframe[0].value["unit"]) == ["unit 1", "unit 5"]
    assert "“food”" in " ".join(s.value for s in at.subheader)
    assert not any("The link's value" in i.value for i in at.info)


@pytest.mark.parametrize(
    ("t", "units"), [("9", ["1"]), ("0", ["1"]), ("2", ["99"]), ("2", ["1"] * 7), ("x", ["-1"])]
)
def test_unusable_step_and_units_links_fall_back_with_a_note(t, units):
    at = open_learn(sentence="the food is not awful", t=t, units=units)
    T = 5
    t_ok = t.isdigit() and 1 <= int(t) <= T
    units_ok = units == ["1"]
    notes = [i.value for i in at.info if "The link's value for" in i.value]
    keys = [k for k, ok in (("units", units_ok), ("t", t_ok)) if not ok]
    assert len(notes) == 1 and f"for {', '.join(keys)} cannot" in notes[0]
    assert at.slider(key="t").value == (int(t) if t_ok else T)
    assert at.multiselect(key="units").value == ([1] if units_ok else [0, 1, 2, 3])
