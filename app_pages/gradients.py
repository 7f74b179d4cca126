"""Gradient lab: make vanishing and exploding gradients visible, then fix them."""

from __future__ import annotations

import time

import numpy as np
import streamlit as st

from rnn_core import lab
from rnn_core.gradcheck import check_model_gradients
from ui.glue import lab_controls, lab_measures, lab_panels, state
from ui.glue.charts import show_chart
from ui.glue.layout import fit_narrow_screens, how_to_read
from ui.glue.models import SessionModel
from ui.glue.share import share_box
from ui.glue.sidebar import model_summary
from ui.glue.state import current_task, get_task, session_model
from ui.services.experiments import EXPERIMENTS, Experiment, train_turn
from ui.services.fairshare import shared_gate
from ui.services.limits import Limits
from ui.services.run import TrainingRun
from ui.views import charts_lab
from ui.views.lab_curves import fit_factor
from ui.views.lab_frame import experiment_frame
from ui.views.lab_predict import judge, run_measures
from ui.views.lab_verdicts import bound_verdict, clipping_verdict, flow_verdict

LIMITS, _ = Limits.from_env()
BATCH = 32  # sequences in the batch the static views measure

fit_narrow_screens()  # projectors: the sidebar folds, narrow chart rows stack
st.title("Gradient lab")
st.caption(
    "Backpropagation through time multiplies one Jacobian per step. When those factors are "
    "below 1 the gradient from the loss vanishes before it reaches the early steps; above 1 "
    "it explodes (Pascanu, Mikolov & Bengio, 2013). See it happen, then fix it: clip the "
    "norm, or use gates."
)

lab_state = lab_controls.experiment_from_link(LIMITS)
lab_controls.experiment_buttons(lab_state, LIMITS)

if lab_state is None:
    task_name = current_task()
    built = get_task(task_name)
    sm: SessionModel = session_model(task_name)
    share = model_summary(sm, built)
    st.markdown(
        f"Measuring **your model** for *{built.title}*: {sm.model.config.cell.upper()}, "
        f"{sm.model.config.hidden_size} units, {sm.steps:,} training steps "
        f"(change it on the Train page, or run an experiment above)."
    )
    runs: dict[str, TrainingRun] = {}
else:
    exp = EXPERIMENTS[lab_state["key"]]
    runs = lab_state["runs"]
    built = get_task(exp.task)
    share = share_box()
    st.markdown(f"**{exp.title}.** {exp.what}")
    st.info(f"What to notice: {exp.notice}")

running = any(r.state == "running" for r in runs.values())


@st.fragment(run_every=LIMITS.redraw_seconds if running else None)
def live(
    runs: dict[str, TrainingRun], chosen: str, classify: bool, exp: Experiment, predicted
) -> None:
    """The experiment, redrawn while it trains; ``predicted``, the learner's prediction
    frozen when it started (None: none), is judged once it ends. Its only control, the run
    to inspect, is drawn outside (it changes the sections below too): a change reruns the
    whole page."""
    # drawing is heavy pure Python: it takes its turn with the training chunks of every
    # session, so the server's event loop never competes with ten busy threads
    with shared_gate(LIMITS.train_slots).hold():
        views = {name: r.view() for name, r in runs.items()}
        feedback = judge(exp, predicted, run_measures(views))
        lab_panels.draw_experiment(experiment_frame(views, classify, chosen), feedback)
    if any(r.state == "running" for r in runs.values()) and not train_turn(runs):
        st.rerun(scope="app")  # the views below measure the finished models


inspect_name = lab_controls.run_to_inspect(list(runs))
if runs:
    classify = built.output_kind.startswith("class")
    live(runs, inspect_name, classify, exp, lab_state.get("prediction"))

# ----------------------------------------------------------------------------- the model's views

if runs:
    subject = runs[inspect_name]
    model, config = subject.model_copy()  # one moment, even while the experiment trains
    subject_view = subject.view()
    if running:
        st.caption(
            "The views below measure the selected run's model as it was when the page was "
            "drawn; they refresh when the experiment ends."
        )
else:
    model, config, subject_view = sm.model, sm.config, None
    train_run = state.TRAIN_RUN.get()  # the Train page's run, if it is this model
    if train_run is not None and train_run.model is sm.model:
        subject_view = train_run.view()
        st.caption(
            f"Your model is the Train page's run ({subject_view.steps:,} steps, "
            f"{subject_view.state}): its history is drawn too."
        )
        lab_panels.draw_flow_over_training(subject_view, key="flow_training_train")

batch = lab.measure_batch(built.data, BATCH)
inputs, targets, mask = batch
first = (inputs[:1], targets[:1], mask[:1])  # the first test sequence, a batch of one
example = inputs[0][mask[0]]
tokens = built.encoder.decode(example) if built.encoder is not None else None
cfg = model.config
measured = lab_measures.measurements(model, config, batch)  # once per model, then cached

st.subheader("1 · Gradient flow through time")
c1, c2 = st.columns([3, 2], gap="large")
with c1:
    if lab_controls.measure_picker() == "one sequence":
        norms = measured.profile_one
        where, axis_tokens = "the first test sequence", tokens
    else:
        norms = measured.profile_batch
        where, axis_tokens = f"{len(inputs)} test sequences (mean)", None
    diverged = subject_view is not None and subject_view.state == "diverged"
    show_chart(
        charts_lab.gradient_flow(
            norms,
            axis_tokens,
            factor=fit_factor(lab.growth_summary(norms, diverged=diverged)),
            title=f"‖∂L/∂h_t‖ on {where}",
        ),
        key="flow",
    )
with c2:
    st.markdown(flow_verdict(norms, diverged, "the model it was returned to" if diverged else ""))
    how_to_read(
        "The size of the gradient arriving at the hidden state of each step, averaged over a "
        "batch. The loss is read at the end (right); the gradient travels right to left, "
        "multiplied at every step by the Jacobian ∂h_t/∂h_{t−1}. The dashed line is a "
        "geometric fit: its factor per step is the verdict. Below 1 the early steps hear "
        "almost nothing — they cannot learn from the loss."
    )

st.subheader("2 · The recurrent matrix")
c1, c2 = st.columns(2, gap="large")
with c1:
    eigs = measured.eigenvalues
    show_chart(
        charts_lab.eigen_plane(eigs if len(eigs) > 1 else next(iter(eigs.values()))), key="eigs"
    )
with c2:
    if subject_view is not None and len(subject_view.columns["step"]):
        show_chart(
            charts_lab.spectrum_over_training(
                subject_view.columns["step"],
                subject_view.columns["rho0"],
                subject_view.columns["sigma0"],
                gamma=lab.ACTIVATION_SLOPE.get(cfg.activation, 1.0),
            ),
            key="spectrum_training",
        )
    st.markdown(bound_verdict(measured.bound))
how_to_read(
    "Eigenvalues of W_hh in the complex plane with the unit circle. For a vanilla RNN, "
    "‖∂h_t/∂h_{t−1}‖ ≤ σ_max(W_hh)·γ, with γ the activation's largest slope (1 for tanh): "
    "if the largest singular value stays below 1/γ, gradients through time must vanish; "
    "well above it they can explode (Pascanu et al., 2013). For gated cells each gate block "
    "is drawn in its own colour."
)

st.subheader("3 · How far back the state still matters")
c1, c2 = st.columns([3, 2], gap="large")
with c1:
    show_chart(
        charts_lab.jacobian_chart(measured.jacobian, measured.saturation, tokens), key="jacobian"
    )
with c2:
    how_to_read(
        "‖∂h_T/∂h_k‖: how much the last state still depends on the state after step k, for "
        "one test sequence (the product of the Jacobians in between). The bars are the "
        "fraction of units pinned near ±1 (|h| > 0.95) — saturated units pass almost no "
        "gradient, one reason products shrink."
    )

st.subheader("4 · Clipping, as an experiment")
c1, c2 = st.columns([3, 2], gap="large")
threshold, cmp = measured.threshold, measured.clipping
with c1:
    show_chart(
        charts_lab.clipping_bars(
            cmp.norm_none,
            cmp.norm_global,
            cmp.norm_value,
            cmp.cos_global,
            cmp.cos_value,
            threshold=threshold,
        ),
        key="clipping",
    )
with c2:
    st.markdown(clipping_verdict(cmp, threshold))
    how_to_read(
        "The same gradient three ways. Global-norm clipping rescales the whole vector when "
        "its length exceeds the threshold: the step is shorter but points the same way. "
        "Per-element clipping cuts each entry on its own: the big entries lose more, so the "
        "step points somewhere else (cosine below 1). That is why the core clips by norm by "
        "default and labels per-element clipping an experiment."
    )

st.subheader("5 · The cliff")
c1, c2 = st.columns(2, gap="large")
show_chart(
    charts_lab.cliff_chart(measured.scales, measured.scale_losses, marks=[(1.0, "now")]),
    key="cliff_scale",
    container=c1,
)
show_chart(
    charts_lab.cliff_chart(
        measured.steps_along,
        measured.step_losses,
        marks=[(0.0, "now"), (1.0, "one unclipped SGD step")],
        x_title="steps along the current gradient (1 = one SGD step)",
        title="Loss along the update direction",
    ),
    key="cliff_step",
    container=c2,
)
how_to_read(
    "Left: the loss on the test batch if W_hh were scaled by a factor (1 is the model as it "
    "is). For recurrent networks it can be flat, then rise like a wall — Pascanu et al.'s "
    "cliff: a gradient step that lands on the wall is huge and throws the weights away, "
    "which is what norm clipping prevents. Right: the loss along the current (unclipped) "
    "gradient step."
)

st.subheader("6 · Gradient check")
st.caption(
    "Compares the analytic gradient (backpropagation through time) with finite differences "
    "of the loss, in float64, on one test sequence."
)
if st.button("Check the gradients of this model"):
    with st.spinner("Finite differences on every parameter (sampled)…"):
        t0 = time.perf_counter()
        report = check_model_gradients(model, *first, max_entries=200, rng=np.random.default_rng(0))
        took = time.perf_counter() - t0
    st.dataframe(charts_lab.gradcheck_frame(report), hide_index=True)
    st.caption(f"Took {took:.1f} s.")
share.refresh()  # last: every widget above has put its value in the URL
