"""The Learn page's numbers: one cell's forward pass and BPTT, step by step, from the live
model. Pure (numpy only, float64 copies): a test compares the page with the model itself.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnn_core.model import RNNModel


@dataclass(frozen=True)
class ForwardTable:
    """Layer 1 at every step, for the chosen units: (T, K) arrays.

    ``parts`` are the sums the cell adds up: a vanilla RNN's pre-activation a_t = x_t W_xh +
    h_{t−1} W_hh + b_h in its three terms; a GRU's h_t = (1 − z) ⊙ n + z ⊙ h_{t−1} in its two;
    an LSTM's c_t = f ⊙ c_{t−1} + i ⊙ g in its two (and c_t). Gated cells list their gates in
    ``gates`` (GRU r, z, n; LSTM i, f, g, o)."""

    units: np.ndarray  # (K,) unit indices
    h_prev: np.ndarray  # (T, K) h_{t−1} (zeros at t = 0)
    h: np.ndarray  # (T, K) h_t
    parts: dict[str, np.ndarray]  # rnn: "x_t W_xh", "h_{t−1} W_hh", "b_h", "a_t"; gru:
    # "(1−z)⊙n", "z⊙h_{t−1}"; lstm: "f⊙c_{t−1}", "i⊙g", "c_t"
    gates: dict[str, np.ndarray]  # gru: r, z, n; lstm: i, f, g, o
    outputs: np.ndarray  # (T, O) y_t = h_t W_hy + b_y (readout after every step)
    probs: np.ndarray | None  # (T, O) softmax(y_t) for classifiers


@dataclass(frozen=True)
class BackwardTable:
    """∂L/∂h_t of the last layer for the chosen units: (T, K) arrays, L the loss of the
    prediction ``target`` (the class the model picks, by default)."""

    units: np.ndarray
    loss: float
    target: int
    from_output: np.ndarray  # (T, K) the readout's share: ∂L/∂y_t · W_hyᵀ
    from_future: np.ndarray  # (T, K) what step t+1 sends back through W_hh (and the gates)
    total: np.ndarray  # (T, K) ∂L/∂h_t = from_output + from_future
    norms: np.ndarray  # (T,) ‖∂L/∂h_t‖ over all units


def forward_table(model: RNNModel, seq, units) -> ForwardTable:
    m = model.copy(np.float64)
    units = np.asarray(units, int)
    seq = np.asarray(seq)
    fw = m.forward(seq[None])
    trace = m.trace(seq)
    h = trace.hs[0]
    h_prev = np.vstack([np.zeros((1, h.shape[1])), h[:-1]])
    parts, gates = {}, {}
    cfg = m.config
    if cfg.cell == "rnn":
        x = fw.x[0]  # (T, D) what layer 1 read
        xw = x @ m.params["l0.W_xh"]
        hw = h_prev @ m.params["l0.W_hh"]
        b = np.broadcast_to(m.params["l0.b_h"], xw.shape)
        parts = {
            "x_t W_xh": xw[:, units],
            "h_{t−1} W_hh": hw[:, units],
            "b_h": b[:, units],
            "a_t": (xw + hw + b)[:, units],
        }
    else:
        g = trace.gates[0]
        gates = {name: v[:, units] for name, v in g.items()}
        if cfg.cell == "gru":  # h_t = (1 − z) ⊙ n + z ⊙ h_{t−1}
            parts = {
                "(1−z)⊙n": ((1.0 - g["z"]) * g["n"])[:, units],
                "z⊙h_{t−1}": (g["z"] * h_prev)[:, units],
            }
        else:  # c_t = f ⊙ c_{t−1} + i ⊙ g, h_t = o ⊙ tanh(c_t)
            c = trace.cs[0]
            c_prev = np.vstack([np.zeros((1, c.shape[1])), c[:-1]])
            parts = {
                "f⊙c_{t−1}": (g["f"] * c_prev)[:, units],
                "i⊙g": (g["i"] * g["g"])[:, units],
                "c_t": c[:, units],
            }
    return ForwardTable(
        units, h_prev[:, units], h[:, units], parts, gates, trace.outputs, trace.probs
    )


def backward_table(model: RNNModel, seq, units, target: int | None = None) -> BackwardTable:
    m = model.copy(np.float64)
    units = np.asarray(units, int)
    seq = np.asarray(seq)
    fw = m.forward(seq[None])
    cfg = m.config
    T = seq.shape[0]
    if cfg.loss == "xent":
        last = fw.outputs[0] if cfg.output == "many_to_one" else fw.outputs[0, -1]
        target = int(np.argmax(last)) if target is None else int(target)
        targets = np.array([target]) if cfg.output == "many_to_one" else np.full((1, T), target)
    else:
        target = 0
        out = fw.outputs
        targets = np.zeros_like(out[:, :1] if cfg.output == "many_to_one" else out)
    loss, dout, _, _ = m.loss(fw, targets)
    m.backward(fw, dout)
    total = fw.caches[-1].dh_total[:, 0]  # (T, H)
    from_output = np.zeros_like(total)
    readout = dout @ m.params["W_hy"].T  # many-to-one (1, H); many-to-many time-major (T, H)
    if cfg.output == "many_to_one":
        from_output[-1] = readout[0]
    else:
        from_output[:] = readout
    return BackwardTable(
        units,
        float(loss),
        target,
        from_output[:, units],
        (total - from_output)[:, units],
        total[:, units],
        np.linalg.norm(total, axis=1),
    )
