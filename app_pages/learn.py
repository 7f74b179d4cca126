"""Learn: the equations of the current cell, then its forward pass and BPTT, step by step,
with the live model's own numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from ui.glue import exercise
from ui.glue.controls import sentence_input, step_buttons, url_bind
from ui.glue.layout import fit_narrow_screens, how_to_read
from ui.glue.sidebar import model_summary
from ui.glue.state import carry, current_task, forget, get_task, session_model, widget_value
from ui.services.settings import url_number_ok
from ui.views.inputs import read_example, read_text
from ui.views.learn import backward_table, forward_table

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
FROM_OUTPUT = (
    r"\delta h_t \equiv \frac{\partial L}{\partial h_t} = "
    r"\underbrace{\frac{\partial L}{\partial y_t} W_{hy}^\top}_{\text{from the output}} + "
    r"\underbrace{\delta h^{\leftarrow}_t}_{\text{from the future}}"
)
# The backward pass of each cell, in the gate orders of rnn_core/cells.py (GRU r, z, n as in
# PyTorch; LSTM i, f, g, o). δx = ∂L/∂x; a^r, a^z, … are the gates' pre-activations. One short
# line each: a projector at 1024 px shows them whole.
BPTT = {
    "rnn": [
        FROM_OUTPUT,
        r"\delta h^{\leftarrow}_t = \delta a_{t+1} W_{hh}^\top",
        r"\delta a_t = \delta h_t \odot (1 - h_t^2) \quad "
        r"(\delta h_t \odot [a_t > 0]\ \text{for relu})",
        r"\frac{\partial L}{\partial W_{hh}} = \sum_t h_{t-1}^\top \delta a_t",
    ],
    "gru": [
        FROM_OUTPUT,
        r"\delta h^{\leftarrow}_t = \delta h_{t+1} \odot z_{t+1} + \big[\delta a^r_{t+1}\;\; "
        r"\delta a^z_{t+1}\;\; \delta a^n_{t+1} \odot r_{t+1}\big]\, W_h^\top",
        r"\delta a^n_t = \delta h_t \odot (1 - z_t) \odot (1 - n_t^2)",
        r"\delta a^z_t = \delta h_t \odot (h_{t-1} - n_t) \odot z_t (1 - z_t)",
        r"\delta a^r_t = \delta a^n_t \odot (h_{t-1} W_{hn} + b_{hn}) \odot r_t (1 - r_t)",
        r"\frac{\partial L}{\partial W_h} = \sum_t h_{t-1}^\top \big[\delta a^r_t\;\; "
        r"\delta a^z_t\;\; \delta a^n_t \odot r_t\big], \quad "
        r"W_h = [W_{hr}\; W_{hz}\; W_{hn}]",
    ],
    "lstm": [
        FROM_OUTPUT,
        r"\delta h^{\leftarrow}_t = \big[\delta a^i_{t+1}\;\; \delta a^f_{t+1}\;\; "
        r"\delta a^g_{t+1}\;\; \delta a^o_{t+1}\big]\, W_h^\top",
        r"\delta c_t = \delta h_t \odot o_t \odot (1 - \tanh^2 c_t) + "
        r"\delta c_{t+1} \odot f_{t+1}",
        r"\delta a^i_t = \delta c_t \odot g_t \odot i_t (1 - i_t), \quad "
        r"\delta a^f_t = \delta c_t \odot c_{t-1} \odot f_t (1 - f_t)",
        r"\delta a^g_t = \delta c_t \odot i_t \odot (1 - g_t^2), \quad "
        r"\delta a^o_t = \delta h_t \odot \tanh(c_t) \odot o_t (1 - o_t)",
        r"\frac{\partial L}{\partial W_h} = \sum_t h_{t-1}^\top \big[\delta a^i_t\;\; "
        r"\delta a^f_t\;\; \delta a^g_t\;\; \delta a^o_t\big]",
        r"W_h = [W_{hi}\;\; W_{hf}\;\; W_{hg}\;\; W_{ho}]",
    ],
}
FUTURE_PATH = {  # how the gradient reaches step t from step t + 1, in words
    "rnn": "through W_hh and the activation's slope",
    "gru": "directly through the update gate (δh_{t+1} ⊙ z_{t+1}, the GRU's shortcut) and "
    "through W_h behind the gates",
    "lstm": "through W_h behind the four gates, and along the cell state (δc_{t+1} ⊙ f_{t+1}, "
    "the LSTM's shortcut) into δc_t",
}


def table(columns: dict[str, np.ndarray], units: np.ndarray) -> pd.DataFrame:
    frame = pd.DataFrame({name: np.asarray(v, float) for name, v in columns.items()})
    frame.insert(0, "unit", [f"unit {u}" for u in units])
    return frame


fit_narrow_screens()  # projectors: the sidebar folds, narrow chart rows stack
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
share = model_summary(sm, built)
cfg = sm.model.config

exercise.notes()  # what an exercise link locks (Learn has no task picker to show it)
if built.encoder is not None:
    carry("sentence", built.example or "")  # the default sentence survives a page change too
    text = sentence_input("Sentence")
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

# Bound to the URL (units=0&units=5, t=3): a link's value that cannot be used falls back to
# the default with a note naming the key, never the value.
MAX_UNITS = 6
units = np.arange(min(K, H))
asked_units = st.query_params.get_all("units")
units_ok = len(asked_units) <= MAX_UNITS and all(
    u in {str(h) for h in range(H)} for u in asked_units
)
step_bind = url_bind("t", lambda raw: url_number_ok(raw, int, 1, T)) if T > 1 else {}
unusable = [k for k, bad in (("units", not units_ok), ("t", T > 1 and not step_bind)) if bad]
if unusable:
    st.info(
        f"The link's value for {', '.join(unusable)} cannot be used here; showing the "
        "default instead."
    )
if not units_ok or any(u not in range(H) for u in widget_value("units") or []):
    forget("units")  # a bad link, or another model (size) than when they were chosen
if not 1 <= (widget_value("t") or 1) <= T:
    forget("t")  # the sentence got shorter
chosen = st.multiselect(
    "Units to follow",
    list(range(H)),
    default=list(units),
    max_selections=MAX_UNITS,
    key="units",
    **({"bind": "query-params"} if units_ok else {}),
)
units = np.array(sorted(chosen) if chosen else list(units))
if T > 1:
    t = st.slider(
        "Step t",
        1,
        T,
        T,
        key="t",
        **step_bind,
        help="Which token to look at (1 = the first). Keys: B and N step back and on.",
    )
    step_buttons("t", 1, T)
else:  # a slider needs two ends: a one-token sentence has one step to look at
    t = 1
    st.caption("Step t = 1: the sentence has one token.")
i = t - 1

fwd = forward_table(sm.model, seq, units)
st.subheader(f"2 · Forward: step {t}, reading “{tokens[i]}”")
cols = {
    "h_{t−1}": fwd.h_prev[i],
    **{k: v[i] for k, v in fwd.gates.items()},
    **{k: v[i] for k, v in fwd.parts.items()},
    "h_t": fwd.h[i],
}
if cfg.cell == "rnn":
    st.markdown(
        "Each row is one unit: the three terms of the pre-activation a_t add up, then "
        f"{cfg.activation} squashes it into h_t."
    )
elif cfg.cell == "gru":
    st.markdown(
        "Each row is one unit: the GRU's gates at this step, then the two shares of the new "
        "state, which add up to h_t: (1 − z) ⊙ n, the new candidate, and z ⊙ h_{t−1}, what "
        "the update gate keeps."
    )
else:
    st.markdown(
        "Each row is one unit: the LSTM's gates at this step, then the cell state's two "
        "shares, which add up to c_t: f ⊙ c_{t−1}, what the forget gate keeps, and i ⊙ g, "
        "what the input gate writes; h_t = o ⊙ tanh(c_t)."
    )
st.dataframe(table(cols, units), hide_index=True, key="forward_table")
if fwd.probs is not None:
    names = built.class_names
    best = int(np.argmax(fwd.probs[i]))
    st.markdown(
        f"Readout after “{tokens[i]}”: y_t = h_t W_hy + b_y → p = softmax(y_t): "
        f"**{names[best]}** with {100 * fwd.probs[i, best]:.1f}%."
    )
how_to_read(
    "Follow a unit across steps with the slider: the h_{t−1} column at step t is the h_t "
    "column of step t − 1. The columns add up exactly, with this model's numbers: "
    + {
        "rnn": f"a_t = x_t W_xh + h_{{t−1}} W_hh + b_h and h_t = {cfg.activation}(a_t).",
        "gru": "h_t = (1 − z) ⊙ n + z ⊙ h_{t−1}.",
        "lstm": "c_t = f ⊙ c_{t−1} + i ⊙ g and h_t = o ⊙ tanh(c_t).",
    }[cfg.cell]
)

bwd = backward_table(sm.model, seq, units)
st.subheader(f"3 · Backward: the gradient arrives at h_t ({cfg.cell.upper()})")
for line in BPTT[cfg.cell]:
    st.latex(line)
st.caption(
    f"The backward pass of this {cfg.cell.upper()} (δx = ∂L/∂x; a^r, a^z, … are the gates' "
    "pre-activations, before σ or tanh). The table below is ∂L/∂h_t itself, from the "
    "model's own backward pass: the output's share and what step t + 1 sends back, "
    f"{FUTURE_PATH[cfg.cell]}."
    + (
        " Gated paths like this are why a gated cell's gradient vanishes less."
        if cfg.cell != "rnn"
        else ""
    )
)
what = f"−log p({built.class_names[bwd.target]})" if cfg.loss == "xent" else "the squared error"
st.markdown(
    f"L = {what} = {bwd.loss:.4g} for the prediction after the last token. Going backwards "
    f"from step {T}: the output sends its gradient in at the last step"
    + (" (and, for this many-to-many model, at every step)" if cfg.output != "many_to_one" else "")
    + f"; every earlier step only hears what comes back from the future, {FUTURE_PATH[cfg.cell]}."
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
how_to_read(
    "At the last step the whole gradient comes from the output. At every earlier step it "
    "comes only from the future, multiplied by one more Jacobian per step — which is why "
    "it shrinks (vanishes) or grows (explodes) as it travels back. The Gradient lab shows "
    "this over training."
)
share.refresh()  # last: every widget above has put its value in the URL
