"""Learn: the equations of the current cell, then its forward pass and BPTT, step by step,
with the live model's own numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from ui.inputs import read_example, read_text
from ui.learn import backward_table, forward_table
from ui.sidebar import model_summary
from ui.state import current_task, get_task, session_model

K = 4  # units shown in the tables

EQUATIONS = {
    "rnn": [
        r"a_t = x_t W_{xh} + h_{t-1} W_{hh} + b_h",
        r"h_t = \tanh(a_t) \quad (\mathrm{relu}(a_t)\ \text{for a relu RNN})",
        r"y_t = h_t W_{hy} + b_y, \qquad p_t = \mathrm{softmax}(y_t)",
    ],
    "gru": [
        r"r_t = \sigma(x_t W_{xr} + h_{t-1} W_{hr} + b_r), \quad "
        r"z_t = \sigma(x_t W_{xz} + h_{t-1} W_{hz} + b_z)",
        r"n_t = \tanh\big(x_t W_{xn} + b_{xn} + r_t \odot (h_{t-1} W_{hn} + b_{hn})\big)",
        r"h_t = (1 - z_t) \odot n_t + z_t \odot h_{t-1}",
        r"y_t = h_t W_{hy} + b_y, \qquad p_t = \mathrm{softmax}(y_t)",
    ],
    "lstm": [
        r"i_t, f_t, o_t = \sigma(\cdot), \quad g_t = \tanh(\cdot) "
        r"\quad \text{each of } x_t W_{x\cdot} + h_{t-1} W_{h\cdot} + b_\cdot",
        r"c_t = f_t \odot c_{t-1} + i_t \odot g_t",
        r"h_t = o_t \odot \tanh(c_t)",
        r"y_t = h_t W_{hy} + b_y, \qquad p_t = \mathrm{softmax}(y_t)",
    ],
}
BPTT = [
    r"\frac{\partial L}{\partial h_t} = "
    r"\underbrace{\frac{\partial L}{\partial y_t} W_{hy}^\top}_{\text{from the output}} + "
    r"\underbrace{\frac{\partial L}{\partial a_{t+1}} W_{hh}^\top}_{\text{from the future}}",
    r"\frac{\partial L}{\partial a_t} = \frac{\partial L}{\partial h_t} \odot (1 - h_t^2)"
    r"\qquad \frac{\partial L}{\partial W_{hh}} = \sum_t h_{t-1}^\top "
    r"\frac{\partial L}{\partial a_t}",
]


def table(columns: dict[str, np.ndarray], units: np.ndarray) -> pd.DataFrame:
    frame = pd.DataFrame({name: np.asarray(v, float) for name, v in columns.items()})
    frame.insert(0, "unit", [f"unit {u}" for u in units])
    return frame


st.title("Learn")
st.caption(
    "What a recurrent cell computes, with the numbers the current model really produces for "
    "your sentence: first forward, one step at a time, then backpropagation through time, "
    "backwards. The notation is the tutorials' (W_xh, W_hh, W_hy; row vectors, weights "
    "multiplied from the right)."
)

task_name = current_task()
built = get_task(task_name)
sm = session_model(task_name)
model_summary(sm, built)
cfg = sm.model.config

if built.encoder is not None:
    if "sentence" not in st.session_state and "sentence" not in st.query_params:
        st.session_state["sentence"] = built.example or ""
    text = st.text_input("Sentence", key="sentence", bind="query-params")
    reading = read_text(built, text)
    if reading.empty:
        st.info("The sentence is empty: type one above and press Enter.")
        st.stop()
    if len(reading.tokens) > 40:
        reading = read_text(built, " ".join(reading.tokens[:40]))
        st.caption("Showing the first 40 tokens.")
else:
    reading = read_example(built, 0)
tokens, seq = reading.tokens, reading.seq
T, H = len(tokens), cfg.hidden_size

st.subheader(f"1 · The equations of this {cfg.cell.upper()}")
for line in EQUATIONS[cfg.cell]:
    st.latex(line)
st.caption(
    f"Here x_t is the {'one-hot vector' if cfg.input_kind == 'onehot' else 'input vector'} of "
    f"token t, h_t has {H} units, and the readout W_hy maps it to {cfg.output_size} outputs."
    + (" The model has 2 layers: the tables show layer 1." if cfg.num_layers > 1 else "")
)

units = np.arange(min(K, H))
chosen = st.multiselect(
    "Units to follow", list(range(H)), default=list(units), max_selections=6, key="units"
)
units = np.array(sorted(chosen) if chosen else list(units))
if T > 1:
    t = st.slider("Step t", 1, T, T, key="t", help="Which token to look at (1 = the first).")
else:  # a slider needs two ends: a one-token sentence has one step to look at
    t = 1
    st.caption("Step t = 1: the sentence has one token.")
i = t - 1

fwd = forward_table(sm.model, seq, units)
st.subheader(f"2 · Forward: step {t}, reading “{tokens[i]}”")
if cfg.cell == "rnn":
    cols = {"h_{t−1}": fwd.h_prev[i], **{k: v[i] for k, v in fwd.parts.items()}, "h_t": fwd.h[i]}
    st.markdown(
        "Each row is one unit: the three terms of the pre-activation a_t add up, then "
        f"{cfg.activation} squashes it into h_t."
    )
else:
    cols = {"h_{t−1}": fwd.h_prev[i], **{k: v[i] for k, v in fwd.gates.items()}, "h_t": fwd.h[i]}
    st.markdown("Each row is one unit: its gates at this step, then the new state h_t.")
st.dataframe(table(cols, units), hide_index=True, key="forward_table")
if fwd.probs is not None:
    names = built.class_names
    best = int(np.argmax(fwd.probs[i]))
    st.markdown(
        f"Readout after “{tokens[i]}”: y_t = h_t W_hy + b_y → p = softmax(y_t): "
        f"**{names[best]}** with {100 * fwd.probs[i, best]:.1f}%."
    )
with st.expander("How to read this"):
    st.markdown(
        "Follow a unit across steps with the slider: the h_{t−1} column at step t is the h_t "
        "column of step t − 1. For a vanilla RNN the last columns add up exactly: "
        "a_t = x_t W_xh + h_{t−1} W_hh + b_h and h_t = tanh(a_t)."
    )

bwd = backward_table(sm.model, seq, units)
st.subheader("3 · Backward: the gradient arrives at h_t")
for line in BPTT:
    st.latex(line)
if cfg.cell != "rnn":
    st.caption(
        f"These are the vanilla RNN's equations. In a {cfg.cell.upper()} the gradient from "
        "the future also flows through the gates — "
        + (
            "z_t ⊙ ∂L/∂h_{t+1} passes straight back"
            if cfg.cell == "gru"
            else "f_t ⊙ ∂L/∂c_{t+1} passes back along the cell state"
        )
        + " — which is why it vanishes less. The numbers below are this cell's own."
    )
what = f"−log p({built.class_names[bwd.target]})" if cfg.loss == "xent" else "the squared error"
st.markdown(
    f"L = {what} = {bwd.loss:.4g} for the prediction after the last token. Going backwards "
    f"from step {T}: the output sends its gradient in at the last step"
    + (" (and, for this many-to-many model, at every step)" if cfg.output != "many_to_one" else "")
    + "; every earlier step only hears what comes back from the future through W_hh."
)
cols = {
    "from the output": bwd.from_output[i],
    "from the future": bwd.from_future[i],
    "∂L/∂h_t": bwd.total[i],
}
st.dataframe(table(cols, units), hide_index=True, key="backward_table")
st.markdown(
    "‖∂L/∂h_t‖ over all units, step by step: "
    + " · ".join(f"{tok} {n:.2g}" for tok, n in zip(tokens, bwd.norms, strict=True))
)
with st.expander("How to read this"):
    st.markdown(
        "At the last step the whole gradient comes from the output. At every earlier step it "
        "comes only from the future, multiplied by one more Jacobian per step — which is why "
        "it shrinks (vanishes) or grows (explodes) as it travels back. The Gradient lab shows "
        "this over training."
    )
