"""Compare: two configurations trained side by side, same seed, same data order."""

from __future__ import annotations

import dataclasses
import math

import streamlit as st

from ui.glue import state
from ui.glue.charts import show_chart
from ui.glue.controls import (
    compare_settings,
    seed_compare,
    seed_widgets,
    setting_widget,
    task_picker,
    valid_task,
)
from ui.glue.exercise import blocked
from ui.glue.layout import fit_narrow_screens, how_to_read
from ui.glue.share import share_box
from ui.glue.state import get_task
from ui.services.fairshare import shared_gate
from ui.services.limits import Limits
from ui.services.run import RunView, TrainingRun
from ui.services.samples import is_language_model
from ui.services.settings import BY_KEY, read_settings, snap
from ui.views import charts_explore, charts_lab
from ui.views.inputs import read_example, read_text

PAIR = state.COMPARE  # {"task", "configs": (A, B), "runs": {"A": run, "B": run}}
SHARED = ("steps", "seed")  # settings both sides share, unprefixed in the URL
LIMITS, _ = Limits.from_env()
PRESETS = {  # TrainConfig field changes for A and B
    "RNN vs LSTM": ({"cell": "rnn"}, {"cell": "lstm"}),
    "clipping on / off": ({"clip": "norm"}, {"clip": "none"}),
    "two learning rates": ({"lr": 0.01}, {"lr": 0.001}),
}


def preset_locks(name: str) -> list[str]:
    """The URL keys a preset would set that the exercise link locks."""
    a, b = PRESETS[name]
    return blocked([f"a_{k}" for k in snap(a)] + [f"b_{k}" for k in snap(b)])


def apply_preset(name: str) -> None:
    a, b = PRESETS[name]
    for side, changes in (("a", a), ("b", b)):
        for key, value in snap(changes).items():
            state.seed(f"{side}_{key}", value, overwrite=True)
    PAIR.pop()


def on_task_change() -> None:
    built = get_task(valid_task())
    for side in ("a", "b"):
        seed_compare(side, built.default_config, LIMITS, overwrite=True)
    PAIR.pop()


def differences(a, b) -> list[str]:
    names = {
        "cell": "cell",
        "hidden_size": "hidden units",
        "optimizer": "optimizer",
        "lr": "learning rate",
        "clip": "clipping",
        "clip_value": "clipping threshold",
        "spectral_radius": "ρ(W_hh) at init",
        "truncate": "BPTT truncation",
    }
    return [
        f"{label}: {getattr(a, f)} vs {getattr(b, f)}"
        for f, label in names.items()
        if getattr(a, f) != getattr(b, f)
    ]


def outcome(name: str, v: RunView, metric: str, unit: str | None = None) -> str:
    """One run's line, from the same view as its charts (taken under the run's lock).
    ``unit`` (a language model's "nats/char"): the test loss with its unit and perplexity."""
    column = v.evals.get(metric, ())
    value = float(column[-1]) if len(column) else math.nan
    text = f"**{name}**: {v.steps:,} steps"
    if math.isfinite(value) and unit is not None:
        text += f", test loss {value:.3f} {unit} (perplexity {math.exp(min(value, 700)):.2f})"
    elif math.isfinite(value):
        text += f", {metric.replace('_', ' ')} {value:.4g}"
    if v.state == "diverged":
        text += " — **diverged**"
    return text


fit_narrow_screens()  # projectors: the sidebar folds, narrow chart rows stack
st.title("Compare")
st.caption(
    "Two configurations of the same task, trained with the same seed and the same order of "
    "the data, on synchronised axes: change one thing and see what it does. The settings "
    "are in the link (`a_…` and `b_…`), so a workshop can hand out one URL."
)

share = share_box()
task_notes = st.container()  # the task picker's notes, full width
top = st.columns([1, 2])
with top[0]:
    task_name = task_picker(on_change=on_task_change, notes=task_notes)
built = get_task(task_name)
notes = [n for side in ("a", "b") for n in seed_compare(side, built.default_config, LIMITS)]
shared_base = dataclasses.replace(
    built.default_config, steps=min(built.default_config.steps, 1000), seed=0
)
notes += seed_widgets(shared_base, limits=LIMITS, keys=SHARED)
if notes:
    st.info(f"The link's value for {', '.join(notes)} cannot be used here; the task's value is.")
with top[1]:
    st.markdown("Presets")
    # a row that wraps, each button as wide as its label: equal columns cut the labels short
    # in a narrow window
    with st.container(horizontal=True):
        for name in PRESETS:
            held = preset_locks(name)
            st.button(
                f"🔒 {name}" if held else name,
                on_click=apply_preset,
                args=(name,),
                disabled=bool(held),
                help=f"This exercise link locks {', '.join(held)}." if held else None,
            )

left, right = st.columns(2, gap="large")
with left:
    st.subheader("A")
    values_a = compare_settings("a", LIMITS)
with right:
    st.subheader("B")
    values_b = compare_settings("b", LIMITS)

c1, c2 = st.columns(2)
steps = setting_widget(BY_KEY["steps"], LIMITS, c1, label="Steps for both")
seed = setting_widget(BY_KEY["seed"], LIMITS, c2, label="Seed for both")
try:
    base = built.default_config
    config_a = read_settings(base, values_a)
    config_b = read_settings(base, values_b)
    config_a = dataclasses.replace(config_a, steps=int(steps), seed=int(seed))
    config_b = dataclasses.replace(config_b, steps=int(steps), seed=int(seed))
except ValueError as e:
    st.error(f"These settings cannot be used: {e}")
    share.refresh()
    st.stop()

diff = differences(config_a, config_b)
st.markdown(
    "**What differs:** "
    + (
        "; ".join(diff)
        if diff
        else "nothing — A and B are the same run, so their curves must coincide exactly."
    )
)

probe_reading = (
    read_text(built, built.example or "") if built.encoder is not None else read_example(built, 0)
)
pair = PAIR.get()
if pair is None or pair["task"] != task_name or pair["configs"] != (config_a, config_b):
    buttons = st.columns([1, 4])
    if buttons[0].button("▶ Train both", type="primary", width="stretch"):
        runs = {
            "A": TrainingRun(built, config_a, probe_reading.seq, LIMITS),
            "B": TrainingRun(built, config_b, probe_reading.seq, LIMITS),
        }
        for run in runs.values():
            run.start()
        PAIR.set({"task": task_name, "configs": (config_a, config_b), "runs": runs})
        st.rerun()
    if pair is not None:
        st.caption("The settings changed since the last comparison: train both again.")
    share.refresh()
    st.stop()

runs: dict[str, TrainingRun] = pair["runs"]
running = any(r.state == "running" for r in runs.values())
if running and st.button("⏸ Pause both"):
    for run in runs.values():
        run.pause()
    st.rerun()
paused = not running and any(r.state == "paused" for r in runs.values())
if paused and st.button("▶ Resume both", type="primary"):
    for run in runs.values():
        run.start()
    st.rerun()


@st.fragment(run_every=LIMITS.redraw_seconds if running else None)
def live() -> None:
    current = PAIR.get()
    if current is None:
        return
    runs = current["runs"]
    # drawing is heavy pure Python: it takes its turn with the training chunks of every
    # session, so the server's event loop never competes with ten busy threads
    with shared_gate(LIMITS.train_slots).hold():
        views = {n: r.view() for n, r in runs.items()}
        classifier = built.output_kind.startswith("class")
        # a language model's target is a test loss in nats per token, not an accuracy
        lm = is_language_model(built)
        metric = "test_acc" if classifier and not lm else "test_loss"
        unit = f"nats/{built.encoder.level}" if lm else None
        line = " · ".join(outcome(n, v, metric, unit) for n, v in views.items())
        if lm:
            goal = built.goal.threshold
            line += f" — target ≤ {goal:.3f} {unit} (perplexity {math.exp(goal):.2f})"
        st.markdown(line)
        total = sum(v.steps for v in views.values()) / max(1, sum(v.budget for v in views.values()))
        st.progress(min(1.0, total))
        figs = charts_lab.run_overlays(
            views, classifier, loss_goal=built.goal.threshold if lm else None
        )
        for row in (("loss", "test"), ("grad", "rho")):
            for col, name in zip(st.columns(2), row, strict=True):
                show_chart(figs[name], key=f"cmp_{name}", container=col)
        c1, c2 = st.columns(2)
        for col, (name, v) in zip((c1, c2), views.items(), strict=True):
            snap = v.snapshots[-1]
            show_chart(
                charts_explore.hidden_heatmap(
                    snap.hs[-1], probe_reading.tokens, title=f"{name}: probe at step {snap.step:,}"
                ),
                key=f"cmp_heat_{name}",
                container=col,
            )
        for name, v in views.items():
            if v.state == "diverged":
                st.error(f"{name} diverged: {v.reason}.")
    active = [r for r in runs.values() if r.state == "running"]
    if active:
        for r in active:
            r.advance(max(0.15, 0.5 / len(active)))
        if not any(r.state == "running" for r in runs.values()):
            st.rerun()


live()
how_to_read(
    "Both runs start from the same seed — the same initial weights when the shapes "
    "match — and see the same batches in the same order, so any gap between the curves "
    "comes from the settings listed under *What differs*. The probe heatmaps show the "
    "same sentence read by each model at its latest snapshot."
)
share.refresh()  # last: every widget above has put its value in the URL
