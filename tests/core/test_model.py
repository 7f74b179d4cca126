"""The model: every configuration's gradients against finite differences, padding, trace."""

from __future__ import annotations

import dataclasses
import itertools
import zlib

import numpy as np
import pytest

from rnn_core.gradcheck import check_model_gradients
from rnn_core.model import ModelConfig, RNNModel, param_shapes

CELLS = [("rnn", "tanh"), ("rnn", "relu"), ("gru", "tanh"), ("lstm", "tanh")]
CONFIGS = list(
    itertools.product(
        CELLS, [1, 2], ["many_to_one", "many_to_many"], ["onehot", "embedding", "dense"]
    )
)
B, T, V, D = 3, 5, 6, 4
LENGTHS = np.array([5, 2, 4])


def make_model(cell, act, layers, output, kind, loss="xent", rng=None, dtype=np.float64):
    rng = rng or np.random.default_rng(0)
    cfg = ModelConfig(
        cell=cell,
        activation=act,
        hidden_size=4,
        num_layers=layers,
        input_kind=kind,
        input_size=D if kind == "dense" else V,
        embed_size=3,
        output_size=3,
        output=output,
        loss=loss,
    )
    model = RNNModel.create(cfg, rng, dtype=dtype)
    for p in model.params.values():  # move away from zero biases (relu kinks at exactly 0)
        p += rng.normal(scale=0.3, size=p.shape).astype(dtype)
    return model


def make_batch(model, rng):
    cfg = model.config
    mask = np.arange(T)[None] < LENGTHS[:, None]
    if cfg.input_kind == "dense":
        inputs = rng.normal(size=(B, T, D))
    else:
        inputs = rng.integers(0, V, size=(B, T))
    O = cfg.output_size
    per_step = cfg.output == "many_to_many"
    if cfg.loss == "xent":
        targets = rng.integers(0, O, size=(B, T) if per_step else (B,))
    else:
        targets = rng.normal(size=(B, T, O) if per_step else (B, O))
    return inputs, targets, mask


@pytest.mark.parametrize("loss", ["xent", "mse"])
@pytest.mark.parametrize(("cell_act", "layers", "output", "kind"), CONFIGS)
def test_gradients_match_finite_differences(cell_act, layers, output, kind, loss):
    rng = np.random.default_rng(zlib.crc32(repr((cell_act, layers, output, kind, loss)).encode()))
    model = make_model(*cell_act, layers, output, kind, loss, rng)
    inputs, targets, mask = make_batch(model, rng)
    report = check_model_gradients(model, inputs, targets, mask)
    assert set(report) == set(param_shapes(model.config))
    worst = {k: v.rel_error for k, v in report.items() if v.rel_error >= 1e-6}
    assert not worst, worst
    if cell_act[1] == "tanh":  # (a relu unit may be dead on this batch)
        assert all(v.analytic_norm > 0 for v in report.values())  # every parameter learns


@pytest.mark.parametrize(("cell_act", "layers", "output", "kind"), CONFIGS[::5])
def test_padding_never_contributes_loss(cell_act, layers, output, kind):
    rng = np.random.default_rng(1)
    model = make_model(*cell_act, layers, output, kind, rng=rng)
    inputs, targets, mask = make_batch(model, rng)
    loss, grads, _ = model.loss_and_grads(inputs, targets, mask)
    # scramble what sits under the padding: inputs and per-step targets
    inputs2, targets2 = inputs.copy(), targets.copy()
    inputs2[~mask] = inputs2[~mask][::-1] * (2 if kind == "dense" else 1)
    if output == "many_to_many":
        targets2[~mask] = (targets2[~mask] + 1) % 3
    loss2, grads2, _ = model.loss_and_grads(inputs2, targets2, mask)
    assert loss == loss2
    for k in grads:
        np.testing.assert_array_equal(grads[k], grads2[k])


def test_many_to_one_reads_the_state_after_the_last_real_token():
    rng = np.random.default_rng(2)
    model = make_model("gru", "tanh", 1, "many_to_one", "onehot", rng=rng)
    inputs, _, mask = make_batch(model, rng)
    padded = model.predict_proba(inputs, mask)
    for b, n in enumerate(LENGTHS):
        alone = model.predict_proba(inputs[b : b + 1, :n])
        np.testing.assert_allclose(padded[b], alone[0], rtol=1e-12)


def test_accuracy_per_step_without_padding_is_a_fraction_of_every_step():
    """Many-to-many with every step real: hits over T·B predictions, not over B sequences
    (a language model once reported a "test accuracy" of 9.75)."""
    rng = np.random.default_rng(4)
    model = make_model("gru", "tanh", 1, "many_to_many", "onehot", rng=rng)
    inputs, _, _ = make_batch(model, rng)
    full = np.ones(inputs.shape[:2], bool)
    pred = model.predict(inputs, full)
    targets = pred.copy()
    targets[:, ::2] = (pred[:, ::2] + 1) % 3  # wrong on every other step
    _, _, info = model.loss_and_grads(inputs, targets, full)
    assert info.n_predictions == full.size
    assert info.accuracy == np.count_nonzero(targets == pred) / full.size


def test_accuracy_counts_only_real_steps():
    rng = np.random.default_rng(3)
    model = make_model("rnn", "tanh", 1, "many_to_many", "onehot", rng=rng)
    inputs, _, mask = make_batch(model, rng)
    pred = model.predict(inputs, mask)
    targets = np.where(mask, pred, (pred + 1) % 3)  # right on every real step, wrong on padding
    _, _, info = model.loss_and_grads(inputs, targets, mask)
    assert info.accuracy == 1.0
    assert info.n_predictions == LENGTHS.sum()


def test_loss_and_grads_returns_its_info_whole_and_frozen():
    """The info is built once from what the loss and the backward computed, not patched
    afterwards: backward's own info has no accuracy to fill in later."""
    rng = np.random.default_rng(4)
    model = make_model("gru", "tanh", 2, "many_to_one", "onehot", rng=rng)
    inputs, targets, mask = make_batch(model, rng)
    _, _, info = model.loss_and_grads(inputs, targets, mask, input_grad=True)
    assert len(info.dh_norm) == 2 and info.dh_norm[0].shape == mask.shape
    assert info.input_grad.shape[:2] == mask.shape  # (B, T, D): dL/dx of the one-hot inputs
    with pytest.raises(dataclasses.FrozenInstanceError):
        info.accuracy = 0.5
    fw = model.forward(inputs, mask)
    _, dout, _, _ = model.loss(fw, targets)
    _, back = model.backward(fw, dout)
    assert not hasattr(back, "accuracy") and back.input_grad is None


def test_trace_returns_states_gates_and_per_step_probabilities():
    rng = np.random.default_rng(4)
    model = make_model("lstm", "tanh", 2, "many_to_one", "embedding", rng=rng)
    tokens = np.array([1, 4, 2, 5])
    tr = model.trace(tokens)
    assert [h.shape for h in tr.hs] == [(4, 4), (4, 4)]
    assert [c.shape for c in tr.cs] == [(4, 4), (4, 4)]
    assert set(tr.gates[0]) == {"i", "f", "g", "o"}
    # c_t = f ⊙ c_{t−1} + i ⊙ g, h_t = o ⊙ tanh(c_t): the trace is self-consistent
    g = tr.gates[1]
    c_prev = np.vstack([np.zeros((1, 4)), tr.cs[1][:-1]])
    np.testing.assert_allclose(tr.cs[1], g["f"] * c_prev + g["i"] * g["g"], rtol=1e-12)
    np.testing.assert_allclose(tr.hs[1], g["o"] * np.tanh(tr.cs[1]), rtol=1e-12)
    # the last row of the per-step probabilities is the model's prediction
    np.testing.assert_allclose(tr.probs[-1], model.predict_proba(tokens[None])[0], rtol=1e-12)
    np.testing.assert_allclose(tr.probs.sum(axis=1), 1.0)
    # prefixes: the probabilities after step t are the prediction for the first t+1 tokens
    np.testing.assert_allclose(tr.probs[1], model.predict_proba(tokens[None, :2])[0], rtol=1e-12)


def test_gru_trace_gates():
    model = make_model("gru", "tanh", 1, "many_to_one", "onehot")
    tr = model.trace(np.array([0, 1, 2]))
    g = tr.gates[0]
    assert set(g) == {"r", "z", "n"}
    h_prev = np.vstack([np.zeros((1, 4)), tr.hs[0][:-1]])
    np.testing.assert_allclose(tr.hs[0], (1 - g["z"]) * g["n"] + g["z"] * h_prev, rtol=1e-12)
    assert tr.cs is None


def test_dtype_follows_parameters_in_training_and_inference():
    rng = np.random.default_rng(5)
    model = make_model("gru", "tanh", 2, "many_to_many", "embedding", rng=rng, dtype=np.float32)
    inputs, targets, mask = make_batch(model, rng)
    _, grads, info = model.loss_and_grads(inputs, targets, mask)
    assert all(g.dtype == np.float32 for g in grads.values())
    assert model.predict_proba(inputs, mask).dtype == np.float32
    assert info.dh_norm[0].dtype == np.float32
    assert model.copy(np.float64).dtype == np.float64


def test_init_schemes_and_spectral_radius():
    rng = np.random.default_rng(6)
    for cell in ("rnn", "gru", "lstm"):
        cfg = ModelConfig(cell=cell, hidden_size=16, input_size=5)
        for init in ("xavier", "orthogonal", "identity", "small_random"):
            model = RNNModel.create(cfg, rng, init=init, spectral_radius=1.3)
            W = model.params["l0.W_hh" if cell == "rnn" else "l0.W_h"]
            for k in range(W.shape[1] // 16):
                block = W[:, 16 * k : 16 * (k + 1)].astype(np.float64)
                assert np.abs(np.linalg.eigvals(block)).max() == pytest.approx(1.3, rel=1e-5)
    lstm = RNNModel.create(ModelConfig(cell="lstm", hidden_size=3), rng)
    np.testing.assert_array_equal(lstm.params["l0.b"][3:6], 1.0)  # forget gate remembers
    ident = RNNModel.create(ModelConfig(cell="rnn", hidden_size=4), rng, init="identity")
    np.testing.assert_array_equal(ident.params["l0.W_hh"], np.eye(4))


def test_bad_inputs_raise_clear_errors():
    model = make_model("rnn", "tanh", 1, "many_to_one", "onehot")
    with pytest.raises(ValueError, match="token ids"):
        model.predict(np.array([[0, V]]))
    with pytest.raises(ValueError, match="integer"):
        model.predict(np.array([[0.5, 1.0]]))
    with pytest.raises(ValueError, match="at least one real step"):
        model.predict(np.array([[0, 1]]), mask=np.array([[False, False]]))
    with pytest.raises(ValueError, match="targets"):
        model.loss_and_grads(np.array([[0, 1]]), np.array([[0, 1]]))
    with pytest.raises(ValueError, match="cell"):
        ModelConfig(cell="transformer")
    with pytest.raises(ValueError, match="parameters do not fit"):
        RNNModel(model.config, {"W_hy": model.params["W_hy"]})


@pytest.mark.parametrize("bad", ["32", 2.5, True, 0, -3])
def test_sizes_must_be_whole_numbers(bad):
    with pytest.raises(ValueError, match="hidden_size must be a whole number"):
        ModelConfig(hidden_size=bad)


def test_class_ids_out_of_range_are_refused_on_real_steps_only():
    model = make_model("gru", "tanh", 1, "many_to_many", "onehot")
    ids = np.array([[1, 2, 3], [1, 2, 0]])
    mask = np.array([[True, True, True], [True, True, False]])
    with pytest.raises(ValueError, match="class ids"):
        model.loss_and_grads(ids, np.array([[0, 1, 7], [0, 1, 2]]), mask)
    loss, _, _ = model.loss_and_grads(ids, np.array([[0, 1, 2], [0, 1, -1]]), mask)  # padding
    assert np.isfinite(loss)
