"""Steering a neuron: a unit of a layer clamped to a value (ablated at 0) at every step.

The contract (issue 19): clamping a unit to its own trace value changes nothing; ablating it
gives the predictions of a model whose outgoing weights for that unit are zeroed. For every
cell type, both layers of a two-layer model, every input kind, and the step-by-step runner
the samplers use.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from rnn_core.model import Clamp, ModelConfig, RNNModel, ablate, clamp_plans
from rnn_core.tasks import text as T
from rnn_core.tasks.base import Encoder

CELLS = [("rnn", "tanh"), ("rnn", "relu"), ("gru", "tanh"), ("lstm", "tanh")]
H, V, D, STEPS = 5, 7, 4, 9
CASES = [
    (cell, act, layers, layer, kind)
    for (cell, act), (layers, layer), kind in itertools.product(
        CELLS, [(1, 0), (2, 0), (2, 1)], ["onehot", "embedding", "dense"]
    )
]


def make_model(cell, act, layers, kind, output="many_to_many", dtype=np.float64, seed=0):
    rng = np.random.default_rng(seed)
    cfg = ModelConfig(
        cell=cell,
        activation=act,
        hidden_size=H,
        num_layers=layers,
        input_kind=kind,
        input_size=D if kind == "dense" else V,
        embed_size=3,
        output_size=V if output == "many_to_many" else 3,
        output=output,
    )
    model = RNNModel.create(cfg, rng, dtype=dtype)
    for p in model.params.values():  # away from zero biases: every unit busy, relu alive
        p += rng.normal(scale=0.4, size=p.shape).astype(dtype)
    return model


def make_seq(model, rng, steps=STEPS):
    if model.config.input_kind == "dense":
        return rng.normal(size=(steps, D))
    return rng.integers(2, V, size=steps)


def busiest_unit(trace, layer):
    """The unit of ``layer`` whose value moves most: clamping it matters most."""
    return int(np.ptp(trace.hs[layer], axis=0).argmax())


def zero_outgoing(model: RNNModel, layer: int, unit: int) -> RNNModel:
    """A copy whose weights reading ``unit`` of ``layer`` are zero: its own layer's recurrent
    row (every gate), the next layer's input row, or the readout's row."""
    out = model.copy()
    L = model.config.num_layers
    recurrent = "W_hh" if model.config.cell == "rnn" else "W_h"
    out.params[f"l{layer}.{recurrent}"][unit, :] = 0.0
    if layer + 1 < L:
        inputs = "W_xh" if model.config.cell == "rnn" else "W_x"
        out.params[f"l{layer + 1}.{inputs}"][unit, :] = 0.0
    else:
        out.params["W_hy"][unit, :] = 0.0
    return out


@pytest.mark.parametrize(("cell", "act", "layers", "layer", "kind"), CASES)
def test_clamping_a_unit_to_its_own_trace_changes_nothing(cell, act, layers, layer, kind):
    model = make_model(cell, act, layers, kind)
    seq = make_seq(model, np.random.default_rng(1))
    plain = model.trace(seq)
    unit = busiest_unit(plain, layer)
    held = model.trace(seq, clamp=Clamp(layer, unit, plain.hs[layer][:, unit]))
    for a, b in zip(plain.hs, held.hs, strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(plain.outputs, held.outputs)
    if cell == "lstm":
        for a, b in zip(plain.cs, held.cs, strict=True):
            np.testing.assert_array_equal(a, b)
    # ... while another value at the same unit does change the prediction (the check can fail)
    moved = model.trace(seq, clamp=Clamp(layer, unit, plain.hs[layer][:, unit] + 0.5))
    assert np.abs(moved.outputs - plain.outputs).max() > 1e-3


@pytest.mark.parametrize(("cell", "act", "layers", "layer", "kind"), CASES)
def test_ablating_a_unit_matches_zeroing_its_outgoing_weights(cell, act, layers, layer, kind):
    model = make_model(cell, act, layers, kind)
    seq = make_seq(model, np.random.default_rng(2))
    unit = busiest_unit(model.trace(seq), layer)
    ablated = model.trace(seq, clamp=ablate(layer, unit))
    zeroed = zero_outgoing(model, layer, unit).trace(seq)
    np.testing.assert_allclose(ablated.probs, zeroed.probs, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ablated.outputs, zeroed.outputs, rtol=1e-10, atol=1e-12)
    assert np.all(ablated.hs[layer][:, unit] == 0.0)  # held at 0 at every step
    others = np.arange(H) != unit  # every other unit of every layer computes the same
    for l_, (a, z) in enumerate(zip(ablated.hs, zeroed.hs, strict=True)):
        cols = others if l_ == layer else slice(None)
        np.testing.assert_allclose(a[:, cols], z[:, cols], rtol=1e-10, atol=1e-12)
    # and it is not the plain model's prediction: the unit mattered
    assert np.abs(model.trace(seq).outputs - ablated.outputs).max() > 1e-3


@pytest.mark.parametrize(("cell", "act"), CELLS)
def test_a_batch_with_padding_is_steered_like_each_sequence_alone(cell, act):
    model = make_model(cell, act, 2, "onehot", output="many_to_one")
    rng = np.random.default_rng(3)
    lengths = [STEPS, 4, 6]
    batch = rng.integers(2, V, size=(3, STEPS))
    mask = np.arange(STEPS)[None] < np.array(lengths)[:, None]
    clamp = [Clamp(0, 1, 0.7), ablate(-1, 3)]
    probs = model.predict_proba(batch, mask, clamp=clamp)
    for b, n in enumerate(lengths):
        alone = model.trace(batch[b, :n], clamp=clamp).probs[-1]
        np.testing.assert_allclose(probs[b], alone, rtol=1e-10, atol=1e-12)
    assert np.abs(probs - model.predict_proba(batch, mask)).max() > 1e-4


@pytest.mark.parametrize(("cell", "act"), CELLS)
@pytest.mark.parametrize("layer", [0, 1])
def test_the_step_runner_keeps_the_unit_held_across_feeds(cell, act, layer):
    model = make_model(cell, act, 2, "embedding", dtype=np.float32)
    seq = make_seq(model, np.random.default_rng(4))
    clamp = Clamp(layer, 2, -0.6)
    whole = model.trace(seq, clamp=clamp).probs
    runner = T.StepRunner(model, clamp=clamp)
    got = [runner.feed(seq[:4])]
    got += [runner.feed([i]) for i in seq[4:]]
    np.testing.assert_allclose(np.stack(got), whole[3:], rtol=1e-5, atol=1e-6)
    plain = T.StepRunner(model).feed(seq)
    assert np.abs(plain - whole[-1]).max() > 1e-4


def test_sample_with_an_ablated_unit_is_the_zeroed_models_sample():
    model = make_model("gru", "tanh", 1, "onehot", dtype=np.float64)
    enc = Encoder(("<pad>", "<unk>", "a", "b", "c", "d", " "), level="char")
    kw = {"temperature": 1.0}
    ablated = T.sample(
        model, enc, "abc", 60, rng=np.random.default_rng(5), clamp=ablate(0, 0), **kw
    )
    zeroed = T.sample(
        zero_outgoing(model, 0, 0), enc, "abc", 60, rng=np.random.default_rng(5), **kw
    )
    plain = T.sample(model, enc, "abc", 60, rng=np.random.default_rng(5), **kw)
    assert len(ablated) == 60
    assert ablated == zeroed
    assert ablated != plain


def test_a_clamped_forward_refuses_a_backward():
    model = make_model("lstm", "tanh", 1, "onehot")
    seq = make_seq(model, np.random.default_rng(6))[None]
    fw = model.forward(seq, clamp=ablate(0, 0))
    with pytest.raises(ValueError, match="no backward"):
        model.backward(fw, np.zeros((STEPS, V)))


@pytest.mark.parametrize(
    ("clamp", "message"),
    [
        (Clamp(2, 0, 0.0), "layer 2 does not exist"),
        (Clamp(-3, 0, 0.0), "layer -3 does not exist"),
        (Clamp(0, H, 0.0), f"unit {H} does not exist"),
        (Clamp(0, -1, 0.0), "unit -1 does not exist"),
        (Clamp(0, 0, (0.1, 0.2)), f"{STEPS} needed, 2 given"),
        ([ablate(0, 1), Clamp(-2, 1, 0.5)], "clamped twice"),
        (["not a clamp"], "Clamp objects"),
    ],
)
def test_bad_clamps_are_clear_errors(clamp, message):
    model = make_model("gru", "tanh", 2, "onehot")
    with pytest.raises(ValueError, match=message):
        model.trace(make_seq(model, np.random.default_rng(7)), clamp=clamp)


@pytest.mark.parametrize(
    "value", [float("nan"), float("inf"), "0.5", True, (), (0.0, float("nan")), None]
)
def test_a_clamp_value_is_a_finite_number_or_one_per_step(value):
    with pytest.raises(ValueError):
        Clamp(0, 0, value)


def test_clamps_are_hashable_values_and_a_runner_refuses_per_step_values():
    assert Clamp(0, 1, np.array([0.5, 1.0])) == Clamp(0, 1, (0.5, 1.0))
    assert len({Clamp(0, 1, 0.0), ablate(0, 1)}) == 1
    units, values = clamp_plans(
        make_model("rnn", "tanh", 1, "onehot").config, Clamp(0, 3, 0.25), 4, np.float32
    )[0]
    assert units.tolist() == [3] and values.shape == (4, 1) and values.dtype == np.float32
    model = make_model("rnn", "tanh", 1, "onehot")
    with pytest.raises(ValueError, match="not per step"):
        T.StepRunner(model, clamp=Clamp(0, 0, (0.1, 0.2)))
    with pytest.raises(ValueError, match="unit 99 does not exist"):
        T.StepRunner(model, clamp=ablate(0, 99))
