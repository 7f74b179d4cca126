"""Gradient lab: make vanishing and exploding gradients visible, then fix them."""

from __future__ import annotations

import contextlib
import time

import numpy as np
import streamlit as st
from streamlit.errors import StreamlitAPIException

from rnn_core import lab, probes
from rnn_core.gradcheck import check_model_gradients
from rnn_core.model import recurrent_blocks
from ui.glue import state
from ui.glue.layout import how_to_read
from ui.glue.models import SessionModel
from ui.glue.share import share_box
from ui.glue.sidebar import model_summary
from ui.glue.state import current_task, get_task, session_model
from ui.services.experiments import EXPERIMENTS, Experiment, lab_run
from ui.services.fairshare import shared_gate
from ui.services.limits import Limits
from ui.services.run import TrainingRun
from ui.views import charts_lab

LIMITS, _ = Limits.from_env()
BATCH = 32  # sequences in the batch the static views measure
# widget keys, which are also the URL keys (bind="query-params"): ?inspect=GRU&measure=batch
INSPECT, MEASURE = "inspect", "measure"
MEASURES = ("batch", "one sequence")  # short labels: a bound widget writes its label to the URL


def start_experiment(key: str) -> None:
    exp = EXPERIMENTS[key]
    built = get_task(exp.task)
    probe = built.data.test.inputs[0][built.data.test.mask[0]]
    runs = {name: lab_run(built, cfg, probe, LIMITS) for name, cfg in exp.runs.items()}
    for run in runs.values():
        run.start()
    state.LAB.set({"key": key, "runs": runs})
    st.query_params["experiment"] = key


def pick_experiment(key: str) -> None:
    """An experiment button: start it, inspecting its first run."""
    start_experiment(key)
    state.seed(INSPECT, next(iter(EXPERIMENTS[key].runs)), overwrite=True)


def stop_experiment() -> None:
    state.LAB.pop()
    st.query_params.pop("experiment", None)


def test_batch(built, n: int = BATCH):
    """The first n test sequences, cut to their longest: what the static views measure."""
    per_step = built.data.output == "many_to_many"
    inputs, targets, mask = built.data.test.batch(np.arange(min(n, len(built.data.test))), per_step)
    width = int(mask.sum(axis=1).max())
    targets = targets[:, :width] if per_step else targets
    return inputs[:, :width], targets, mask[:, :width]


def trend(s: dict) -> str:
    """What a gradient-flow curve's fit says (growth_summary's "trend"), without a verdict."""
    f, left, k = s["factor"], s["left_after"], s["horizon"]
    if s["trend"] == "unknown":
        return "not enough finite gradient values to fit a rate"
    if s["trend"] == "vanishing":
        left = f"{100 * left:.2g}%"
        return f"×{f:.2f} per step back — after {k} steps only {left} of the signal is left"
    if s["trend"] == "exploding":
        return f"×{f:.2f} per step back — {left:,.3g}× larger after {k} steps"
    return f"×{f:.2f} per step back — the gradient reaches far back in time"


def verdict(norms: np.ndarray, diverged: bool = False, on: str = "this curve") -> str:
    """The verdict on a gradient-flow curve in words. A curve that overflowed, or one of a run
    that diverged, is exploding whatever its fit says (lab.growth_summary): zeros next to a
    blow-up are saturated states, not a signal fading with distance. ``on``: what the curve
    was measured on, for a blown-up run's sentence about the fit."""
    s = lab.growth_summary(norms, diverged=diverged)
    if not (s["overflow"] or s["diverged"]):
        if s["kind"] == "unknown":
            return "Not enough finite gradient values to fit a rate."
        return f"**{s['kind'].capitalize()}**: {trend(s)}."
    said = []
    if s["overflow"]:
        peak = s["peak"]
        largest = f" (its largest finite value: {peak:.3g})" if peak > 0 else ""
        said.append(f"the gradient overflowed to inf{largest}.")
    if s["diverged"]:
        said.append("the run blew up, and the NaN guard stopped it.")
    zeros = bool((np.asarray(norms, np.float64) == 0).any())
    if zeros and (s["overflow"] or s["trend"] in ("vanishing", "unknown")):
        said.append(
            "further back the gradient is 0: blown-up states are saturated, where tanh and "
            "the gates are flat, and pass nothing back — not a signal fading with distance."
        )
    elif s["trend"] != "unknown":
        said.append(f"on {on}: {trend(s)}.")
    said = [said[0], *(t[0].upper() + t[1:] for t in said[1:])]  # sentences after the first
    return "**Exploding**: " + " ".join(said)


# ----------------------------------------------------------------------------- page

st.title("Gradient lab")
st.caption(
    "Backpropagation through time multiplies one Jacobian per step. When those factors are "
    "below 1 the gradient from the loss vanishes before it reaches the early steps; above 1 "
    "it explodes (Pascanu, Mikolov & Bengio, 2013). See it happen, then fix it: clip the "
    "norm, or use gates."
)

asked = st.query_params.get("experiment")
lab_state = state.LAB.get()
if asked is not None:
    if asked not in EXPERIMENTS:
        st.info(
            f"The link asked for an experiment this lab does not have: {', '.join(EXPERIMENTS)}."
        )
    elif lab_state is None or lab_state["key"] != asked:
        start_experiment(asked)
        lab_state = state.LAB.get()

cols = st.columns(len(EXPERIMENTS) + 1)
for col, exp in zip(cols, EXPERIMENTS.values(), strict=False):
    col.button(
        exp.title,
        key=f"exp_{exp.key}",
        on_click=pick_experiment,
        args=(exp.key,),
        width="stretch",
        type="primary" if lab_state and lab_state["key"] == exp.key else "secondary",
    )
cols[-1].button(
    "Your model",
    on_click=stop_experiment,
    width="stretch",
    help="Back to the session's own model (from Explore or Train).",
    type="primary" if lab_state is None else "secondary",
)

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
    exp: Experiment | None = None
    runs: dict[str, TrainingRun] = {}
else:
    exp = EXPERIMENTS[lab_state["key"]]
    runs = lab_state["runs"]
    built = get_task(exp.task)
    share = share_box()
    st.markdown(f"**{exp.title}.** {exp.what}")
    st.info(f"What to notice: {exp.notice}")

running = any(r.state == "running" for r in runs.values())


def run_views(runs: dict[str, TrainingRun]) -> dict[str, object]:
    return {name: r.view() for name, r in runs.items()}


def draw_experiment(views: dict) -> None:
    """Synchronised curves of every run, then the selected run's gradient over training."""
    parts = []
    for name, v in views.items():
        done = f"{v.steps:,}/{v.budget:,} steps"
        parts.append(f"{name}: {done}" + (f" — **{v.state}**" if v.state != "running" else ""))
    total = sum(v.steps for v in views.values()) / max(1, sum(v.budget for v in views.values()))
    st.progress(min(1.0, total), text=" · ".join(parts))
    for name, v in views.items():
        if v.state == "diverged":
            st.error(f"{name} diverged: {v.reason}.")
    figs = charts_lab.run_overlays(views, built.output_kind.startswith("class"))
    for col, name in zip(st.columns(2), ("test", "grad"), strict=True):
        col.plotly_chart(figs[name], key=f"overlay_{name}", width="stretch")
    last = {n: flow_row(v) for n, v in views.items() if len(v.dh)}
    if last:
        st.plotly_chart(
            charts_lab.gradient_flow(
                None,
                runs={n: norms for n, (norms, _) in last.items()},
                title="Gradient reaching each step, last batch",
            ),
            key="flow_runs",
            width="stretch",
        )
        for n, (norms, step) in last.items():
            when = "" if step is None else f" (step {step:,}, its last batch before the blow-up)"
            on = "this batch" if step is None else f"step {step:,}'s batch"
            st.markdown(f"{n}{when}: {verdict(norms, views[n].state == 'diverged', on)}")


def flow_row(v) -> tuple[np.ndarray, int | None]:
    """A run's gradient through time to draw: its last batch's, or — when that blew up (the
    run diverged, or the curve overflowed) — the last intact one before it and its step."""
    last = v.dh[-1]
    if v.state != "diverged" and np.isfinite(last[~np.isnan(last)]).all():
        return last, None
    i = lab.last_intact(v.dh)
    if i is None or i == len(v.dh) - 1:
        return last, None
    return v.dh[i], int(v.dh_steps[i])


def draw_flow_over_training(v, key: str = "flow_training") -> None:
    if len(v.dh):
        dh = v.dh.copy()
        positive = dh[np.isfinite(dh) & (dh > 0)]
        if positive.size:  # a gradient flushed to exactly 0 shows as the darkest colour
            dh[np.isfinite(dh) & (dh <= 0)] = positive.min()
        st.plotly_chart(charts_lab.flow_over_training(v.dh_steps, dh), key=key, width="stretch")
        how_to_read(
            "Each row is one training step, each column a timestep of the batch; colour is "
            "log₁₀ ‖∂L/∂h_t‖. The loss is read at the right edge; moving left is going back "
            "in time. A dark left side is vanishing: the early steps get no learning signal. "
            "A bright band that spreads is an explosion."
        )


@st.fragment(run_every=LIMITS.redraw_seconds if running else None)
def live(runs: dict[str, TrainingRun], chosen: str) -> None:
    """The experiment, redrawn while it trains. Its only control, the run to inspect, is
    drawn outside (it changes the sections below too): a change reruns the whole page."""
    # drawing is heavy pure Python: it takes its turn with the training chunks of every
    # session, so the server's event loop never competes with ten busy threads
    with shared_gate(LIMITS.train_slots).hold():
        views = run_views(runs)
        draw_experiment(views)
        draw_flow_over_training(views[chosen])
    active = [r for r in runs.values() if r.state == "running"]
    if active:
        turn = max(0.15, 0.6 / len(active))
        for r in active:
            r.advance(turn)
        if not any(r.state == "running" for r in runs.values()):
            st.rerun(scope="app")  # the views below measure the finished models


def run_picker(names: list[str]) -> str:
    """The "Run to inspect" control, bound to the URL (?inspect=GRU): a link's value that is
    not one of the experiment's runs falls back to the first run, with a note."""
    asked_run = st.query_params.get(INSPECT)
    if state.widget_value(INSPECT) not in names:  # a new session, or another experiment's
        if asked_run is not None and asked_run not in names:
            st.info(
                "The link's run to inspect is not one of this experiment's runs "
                f"({', '.join(names)}); showing *{names[0]}*."
            )
        if asked_run not in names:
            state.seed(INSPECT, names[0], overwrite=True)
    picked = st.segmented_control(
        "Run to inspect",
        names,
        required=True,
        key=INSPECT,
        bind="query-params",
        help="The run whose gradient over training is drawn below, and whose model the "
        "sections 1–6 measure.",
    )
    return picked if picked in names else names[0]


names = list(runs)
inspect_name = names[0] if names else None
if len(names) > 1:
    inspect_name = run_picker(names)
else:  # nothing to pick: a link's ?inspect= means nothing here
    with contextlib.suppress(StreamlitAPIException):  # still bound: Streamlit drops it
        st.query_params.pop(INSPECT, None)
if runs:
    live(runs, inspect_name)

# ----------------------------------------------------------------------------- the model's views

if runs:
    subject = runs[inspect_name]
    with subject.lock:  # a consistent copy, even while the experiment trains
        model, config = subject.model.copy(), subject.config
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
        draw_flow_over_training(subject_view, key="flow_training_train")

inputs, targets, mask = test_batch(built)
example = inputs[0][mask[0]]
tokens = built.encoder.decode(example) if built.encoder is not None else None
cfg = model.config

st.subheader("1 · Gradient flow through time")
c1, c2 = st.columns([3, 2], gap="large")
with c1:
    if state.widget_value(MEASURE) not in MEASURES:  # a new session: the link's, or the default
        if st.query_params.get(MEASURE, MEASURES[0]) not in MEASURES:
            st.info(
                f"The link's “Measure on” is not one of {', '.join(MEASURES)}; measuring on "
                "the batch."
            )
            state.seed(MEASURE, MEASURES[0], overwrite=True)
        else:
            state.seed(MEASURE, MEASURES[0])
    on = st.segmented_control(
        "Measure on", MEASURES, required=True, key=MEASURE, bind="query-params"
    )
    if on == "one sequence":
        norms = lab.dh_profile(model, inputs[:1], targets[:1], mask[:1])[: len(example)]
        where, axis_tokens = "the first test sequence", tokens
    else:
        norms = lab.dh_profile(model, inputs, targets, mask)
        where, axis_tokens = f"{len(inputs)} test sequences (mean)", None
    diverged = subject_view is not None and subject_view.state == "diverged"
    summary = lab.growth_summary(norms, diverged=diverged)
    factor = summary["factor"]
    if summary["overflow"] or (diverged and summary["trend"] == "vanishing"):
        factor = None  # the fit of a blown-up curve (×0.00 past saturated states): no line
    st.plotly_chart(
        charts_lab.gradient_flow(
            norms,
            axis_tokens,
            factor=None if factor is None or not np.isfinite(factor) else factor,
            title=f"‖∂L/∂h_t‖ on {where}",
        ),
        key="flow",
        width="stretch",
    )
with c2:
    st.markdown(verdict(norms, diverged, "the model it was returned to" if diverged else ""))
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
    blocks = recurrent_blocks(model.params, cfg.cell, 0)
    eigs = {name: probes.spectrum(W).eigenvalues for name, W in blocks.items()}
    st.plotly_chart(
        charts_lab.eigen_plane(eigs if len(eigs) > 1 else next(iter(eigs.values()))),
        key="eigs",
        width="stretch",
    )
with c2:
    bound = lab.recurrent_jacobian_bound(model, 0)
    if subject_view is not None and len(subject_view.columns["step"]):
        st.plotly_chart(
            charts_lab.spectrum_over_training(
                subject_view.columns["step"],
                subject_view.columns["rho0"],
                subject_view.columns["sigma0"],
                gamma=lab.ACTIVATION_SLOPE.get(cfg.activation, 1.0),
            ),
            key="spectrum_training",
            width="stretch",
        )
    if bound.get("vanishing_guaranteed") is True:
        st.markdown(
            f"σ_max(W_hh) = {bound['sigma_max']:.3f} < 1/γ = {1 / bound['gamma']:.0f}: "
            "every Jacobian shrinks the gradient, so it **must** vanish through time."
        )
    elif bound.get("vanishing_guaranteed") is False:
        st.markdown(
            f"σ_max(W_hh) = {bound['sigma_max']:.3f} ≥ 1/γ: vanishing is not guaranteed — "
            "the gradient can survive, or explode, depending on the states."
        )
    else:
        st.markdown("Gated cells have no such simple bound: their gates scale each path.")
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
    jac = probes.jacobian_norms(model, example)
    sat = probes.saturation(model.trace(example).hs[0])
    st.plotly_chart(charts_lab.jacobian_chart(jac, sat, tokens), key="jacobian", width="stretch")
with c2:
    how_to_read(
        "‖∂h_T/∂h_k‖: how much the last state still depends on the state after step k, for "
        "one test sequence (the product of the Jacobians in between). The bars are the "
        "fraction of units pinned near ±1 (|h| > 0.95) — saturated units pass almost no "
        "gradient, one reason products shrink."
    )

st.subheader("4 · Clipping, as an experiment")
c1, c2 = st.columns([3, 2], gap="large")
grads = model.copy(np.float64).loss_and_grads(inputs, targets, mask)[1]
threshold = config.clip_value
cmp = lab.compare_clipping(grads, threshold)
with c1:
    st.plotly_chart(
        charts_lab.clipping_bars(
            cmp.norm_none,
            cmp.norm_global,
            cmp.norm_value,
            cmp.cos_global,
            cmp.cos_value,
            threshold=threshold,
        ),
        key="clipping",
        width="stretch",
    )
with c2:
    st.markdown(
        f"On this batch the gradient's norm is {cmp.norm_none:.3g}. Global-norm clipping at "
        f"{threshold:g} {'shrinks it' if cmp.clipped_global else 'leaves it alone'} and keeps "
        f"its direction (cos {cmp.cos_global:.3f}); clipping each element at ±{threshold:g} "
        f"changes {100 * cmp.fraction_clipped:.1f}% of the entries and turns the update "
        f"(cos {cmp.cos_value:.3f})."
    )
    how_to_read(
        "The same gradient three ways. Global-norm clipping rescales the whole vector when "
        "its length exceeds the threshold: the step is shorter but points the same way. "
        "Per-element clipping cuts each entry on its own: the big entries lose more, so the "
        "step points somewhere else (cosine below 1). That is why the core clips by norm by "
        "default and labels per-element clipping an experiment."
    )

st.subheader("5 · The cliff")
alphas = np.linspace(0.0, 3.0, 61)
scale_losses = lab.loss_slice(model, inputs, targets, mask, alphas)
direction = lab.update_direction(model, inputs, targets, mask, lr=max(config.lr, 0.01), clip="none")
steps_along = np.linspace(-1.0, 4.0, 51)
step_losses = lab.loss_slice(model, inputs, targets, mask, steps_along, direction=direction)
c1, c2 = st.columns(2, gap="large")
c1.plotly_chart(
    charts_lab.cliff_chart(alphas, scale_losses, marks=[(1.0, "now")]),
    key="cliff_scale",
    width="stretch",
)
c2.plotly_chart(
    charts_lab.cliff_chart(
        steps_along,
        step_losses,
        marks=[(0.0, "now"), (1.0, "one unclipped SGD step")],
        x_title="steps along the current gradient (1 = one SGD step)",
        title="Loss along the update direction",
    ),
    key="cliff_step",
    width="stretch",
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
        report = check_model_gradients(
            model,
            inputs[:1],
            targets[:1],
            mask[:1],
            max_entries=200,
            rng=np.random.default_rng(0),
        )
        took = time.perf_counter() - t0
    st.dataframe(charts_lab.gradcheck_frame(report), hide_index=True)
    st.caption(f"Took {took:.1f} s.")
share.refresh()  # last: every widget above has put its value in the URL
