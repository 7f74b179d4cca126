"""Train: live training you can steer while it learns."""

from __future__ import annotations

import math
import time

import numpy as np
import streamlit as st

from ui import charts, charts_train
from ui.bundle import bundle_filename, export_bundle
from ui.controls import (
    LIVE_KEYS,
    TRAIN_KEYS,
    read_settings,
    seed_widgets,
    task_picker,
    train_settings,
    widget_values,
)
from ui.fairshare import shared_gate
from ui.inputs import read_example, read_text
from ui.limits import Limits
from ui.models import SessionModel
from ui.run import RunView, TrainingRun
from ui.share import view_link
from ui.sidebar import model_summary
from ui.state import CSV_TASK, get_task, publish_run, session_model
from ui.transfer import (
    UploadError,
    checkpoint_bytes,
    config_for,
    metrics_csv,
    read_checkpoint,
    read_csv_task,
)

RUN = "run"  # session key: the session's one TrainingRun
CYCLE = "train_cycle"  # session key: the last redraw's duration and end time
FULL_RERUN = "train_full_rerun"  # session key: a callback inside the fragment needs the page
PENDING = "train_pending"  # session key: (task, config) for the widgets, set before they draw
NOTICE = "train_notice"  # session key: a message to show once after such a rerun
URL_NOTES = "train_url_notes"  # session key: URL settings that could not be used
PAGE_STATE = "train_page_state"  # session key: the run's state when the page was drawn
FOLLOW = "snapshot_follow"  # widget key: the replay follows the newest snapshot
SAVES = "train_saves"  # session key: ((run id, version, steps), metrics CSV, model .npz)
BUNDLE = "train_bundle"  # session key: ((run id, version, steps), file name, zip bytes)
LIMITS, LIMIT_NOTES = Limits.from_env()


def on_task_change() -> None:
    """A new task: its recommended settings and example, and a fresh run."""
    built = get_task(st.session_state["task"])
    seed_widgets(built.default_config, overwrite=True)
    st.session_state["sentence"] = built.example or ""
    st.session_state.pop(RUN, None)
    st.session_state.pop(URL_NOTES, None)


def new_run(built, config, probe) -> TrainingRun:
    return TrainingRun(built, config, probe, LIMITS)


def probe_reading(built):
    if built.encoder is None:
        return read_example(built, 0)
    reading = read_text(built, st.session_state.get("sentence") or built.example or "")
    return reading if not reading.empty else read_text(built, built.example or "x")


def diagnose(config) -> list[tuple[str, str, dict]]:
    """Likely causes of a divergence: (why, the fix in words, widget values for the fix)."""
    causes = []
    high = config.lr >= (0.1 if config.optimizer in ("adam", "rmsprop") else 1.0)
    if high:
        lower = f"{config.lr / 10:g}"
        causes.append(
            (
                f"The learning rate {config.lr:g} is high for {config.optimizer}: one step "
                "can jump far past the valley.",
                f"Learning rate ÷ 10 ({lower}) and continue",
                {"lr": lower},
            )
        )
    if config.clip == "none":
        causes.append(
            (
                "Clipping is off, so one exploding gradient (the cliff of Pascanu et al.) "
                "throws the weights away.",
                "Clip the gradient norm at 5 and continue",
                {"clip": "norm", "clip_value": 5.0},
            )
        )
    if config.spectral_radius is not None and config.spectral_radius > 1.2:
        causes.append(
            (
                f"W_hh starts with spectral radius {config.spectral_radius:g} > 1: the "
                "state and the gradient grow step after step.",
                "Reset with spectral radius 0.9",
                {"init_scale": "0.9"},
            )
        )
    if not causes:
        causes.append(
            (
                "No setting stands out; the run may have hit a rare bad batch.",
                "Learning rate ÷ 2 and continue",
                {"lr": f"{config.lr / 2:g}"},
            )
        )
    return causes


def apply_fix(values: dict) -> None:
    """A one-click fix: set the widgets; live changes continue the run, others reset it."""
    for key, value in values.items():
        st.session_state[key] = value
    st.session_state[FULL_RERUN] = True  # the settings column shows the new values
    run: TrainingRun | None = st.session_state.get(RUN)
    if run is None:
        return
    if any(key not in LIVE_KEYS for key in values):
        st.session_state.pop(RUN, None)  # architecture fix: a fresh run on the next rerun
        return
    config = read_settings(run.config, current_values(run.config))
    run.retune(**{f: getattr(config, f) for f in ("lr", "clip", "clip_value")})
    run.resume_after_divergence()


def current_values(base) -> dict:
    defaults = widget_values(base)
    return {k: st.session_state.get(k, defaults[k]) or defaults[k] for k in TRAIN_KEYS}


def live_changes(run: TrainingRun, wanted) -> dict:
    return {
        TRAIN_KEYS[k]: getattr(wanted, TRAIN_KEYS[k])
        for k in LIVE_KEYS
        if getattr(wanted, TRAIN_KEYS[k]) != getattr(run.config, TRAIN_KEYS[k])
    }


def frozen_changes(run: TrainingRun, wanted) -> list[str]:
    return [
        k
        for k, f in TRAIN_KEYS.items()
        if k not in LIVE_KEYS and getattr(wanted, f) != getattr(run.config, f)
    ]


# ----------------------------------------------------------------------------- page

st.title("Train")
st.caption(
    "Train a recurrent network live and steer it while it learns: change the learning rate "
    "or clipping mid-run and watch the loss, the gradient norm and the recurrent matrix "
    "respond. The model you train here is what Explore shows."
)
for note in LIMIT_NOTES:
    st.warning(note)

pending_task, pending_config = st.session_state.pop(PENDING, (None, None))
if pending_task is not None:
    st.session_state["task"] = pending_task
if pending_config is not None:
    seed_widgets(pending_config, overwrite=True)
if NOTICE in st.session_state:
    st.success(st.session_state.pop(NOTICE))

settings_col, main = st.columns([4, 9], gap="large")
with settings_col:
    task_name = task_picker(on_change=on_task_change)
    built = get_task(task_name)
    unusable = seed_widgets(built.default_config, limits=LIMITS)
    if unusable:  # kept: Streamlit drops the bad values from the URL on the next run
        st.session_state[URL_NOTES] = unusable
    unusable = st.session_state.get(URL_NOTES, [])
    if unusable:
        st.info(
            f"The link's value for {', '.join(unusable)} cannot be used here (out of range "
            "or not an option); the task's recommended value is used instead."
        )
    if built.encoder is not None:
        st.session_state.setdefault("sentence", built.example or "")
        st.text_input(
            "Probe sentence",
            key="sentence",
            bind="query-params",
            help="Read by the model at snapshots during training: its prediction over "
            "training and its hidden state at any snapshot.",
        )
    values = train_settings(built, LIMITS)
    defaults = widget_values(built.default_config)
    values = {k: (defaults[k] if v is None else v) for k, v in values.items()}
    try:
        wanted = read_settings(built.default_config, values)
    except ValueError as e:  # a combination the core refuses: keep the last good run
        st.error(f"These settings cannot be used: {e}")
        wanted = None
    st.button(
        "Recommended settings for this task",
        on_click=seed_widgets,
        args=(built.default_config, True),
        help=f"The task's default config: {built.target}.",
    )


def load_model_upload(upload, built) -> None:
    """A checkpoint upload becomes a new (paused) run; a bad file changes nothing."""
    try:
        ckpt = read_checkpoint(upload.getvalue(), built, LIMITS)
    except UploadError as e:
        st.error(str(e), icon="🚫")
        return
    config = config_for(ckpt, built)
    model = ckpt.model.copy(np.float32) if config.dtype == "float32" else ckpt.model
    probe = probe_reading(built)
    loaded = TrainingRun(
        built,
        config,
        probe.seq,
        LIMITS,
        model=model,
        optimizer_state=ckpt.optimizer_state,
        start_step=ckpt.step,
    )
    loaded.state = "paused"
    st.session_state[RUN] = loaded
    publish_run(built.name, loaded).origin = "uploaded"
    st.session_state[PENDING] = (None, config)  # the widgets show its settings next run
    st.session_state[NOTICE] = f"Loaded a model trained for {ckpt.step:,} steps: press Resume."
    st.rerun()


def load_csv_upload(upload) -> None:
    """A CSV upload becomes this session's "csv" task; a bad file changes nothing."""
    try:
        csv_task = read_csv_task(upload.getvalue(), upload.name)
    except UploadError as e:
        st.error(str(e), icon="🚫")
        return
    st.session_state[CSV_TASK] = csv_task
    st.session_state.get("models", {}).pop("csv", None)
    st.session_state.pop(RUN, None)
    st.session_state[PENDING] = ("csv", csv_task.default_config)
    st.session_state[NOTICE] = f"{csv_task.title}: {csv_task.description}"
    st.rerun()


def step_once(task_name: str) -> None:
    run: TrainingRun | None = st.session_state.get(RUN)
    if run is not None and run.state in ("ready", "paused"):
        run.advance(0.0, max_steps=1)
        publish_run(task_name, run)


def prepare_bundle(saved: TrainingRun, built, link: str) -> None:
    """Build the export zip now (a click), for a download button with the bytes themselves."""
    figs = figures(saved.view(), saved.snapshots.items[-1])
    data = export_bundle(saved, built, figs, page="train", link=link)
    key = (id(saved), saved.version, saved.steps)
    st.session_state[BUNDLE] = (key, bundle_filename(saved, built), data)


with settings_col, st.expander("Load a model or your own data"):
    model_file = st.file_uploader(
        "Load a model (.npz)", type=["npz"], key="model_upload", max_upload_size=20
    )
    if model_file is not None and st.session_state.get("_loaded_model") != model_file.file_id:
        st.session_state["_loaded_model"] = model_file.file_id
        load_model_upload(model_file, built)
    csv_file = st.file_uploader(
        "Train on your own CSV (text,label)",
        type=["csv", "txt", "tsv"],
        key="csv_upload",
        max_upload_size=5,
        help="One text and one label per row; at least 2 classes with 2 examples each.",
    )
    if csv_file is not None and st.session_state.get("_loaded_csv") != csv_file.file_id:
        st.session_state["_loaded_csv"] = csv_file.file_id
        load_csv_upload(csv_file)

probe = probe_reading(built)
run: TrainingRun | None = st.session_state.get(RUN)
if run is not None and run.task.name != task_name:
    run = None
if run is None and wanted is not None:
    run = st.session_state[RUN] = new_run(built, wanted, probe.seq)
if run is None:
    st.stop()

# Live settings apply from the next step; the others need a reset.
pending = []
if wanted is not None:
    changed = live_changes(run, wanted)
    if changed and run.state != "diverged":
        run.retune(**changed)
    pending = frozen_changes(run, wanted)
if probe.seq.shape != run.probe.shape or not np.array_equal(probe.seq, run.probe):
    run.probe = probe.seq
    run.snapshots.items.clear()
    run._snap()

sm = session_model(task_name)
model_summary(sm, built)

with main:
    buttons = st.columns([1.4, 1, 1.2, 3])
    if run.state == "running":
        if buttons[0].button("⏸ Pause", type="primary", width="stretch"):
            run.pause()
            st.rerun()
    elif run.state in ("ready", "paused"):
        label = "▶ Start" if run.state == "ready" else "▶ Resume"
        if buttons[0].button(label, type="primary", width="stretch"):
            run.start()
            publish_run(task_name, run)
            st.rerun()
    else:
        buttons[0].button("▶ Start", disabled=True, width="stretch")
    buttons[1].button(
        "Step",
        width="stretch",
        disabled=run.state not in ("ready", "paused"),
        help="One step",
        on_click=step_once,  # before the page draws: the sidebar and the saves see the step
        args=(task_name,),
    )
    if buttons[2].button("↺ Reset", width="stretch", help="A fresh model with these settings"):
        st.session_state.pop(RUN, None)
        st.rerun()
    if pending:
        st.warning(
            f"Changed: {', '.join(pending)}. These change the model itself — press "
            "**Reset** to start a new run with them (the current run keeps its settings)."
        )


def figures(v: RunView, snap) -> dict[str, object]:
    """Every live chart of a run view (and the probe at snapshot ``snap``), by name: what the
    page draws and what the export bundle saves."""
    cols, evals = v.columns, v.evals
    steps = cols["step"]
    classifier = built.output_kind.startswith("class")
    ev = evals["step"] if len(evals["step"]) else None
    figs = {
        "loss": charts_train.mark_events(
            charts_train.loss_chart(
                steps,
                cols["loss"],
                ev,
                evals["train_loss"] if ev is not None else None,
                evals["test_loss"] if ev is not None else None,
                log_y=True,
                y_title="loss (nats, log scale)" if classifier else "MSE (log scale)",
            ),
            v.events,
        )
    }
    if classifier:
        figs["accuracy"] = charts_train.accuracy_chart(
            steps,
            cols["accuracy"],
            ev,
            evals["train_acc"] if ev is not None else None,
            evals["test_acc"] if ev is not None else None,
            target=built.goal.threshold if built.goal.metric.endswith("acc") else None,
        )
    figs["grad"] = charts_train.mark_events(
        charts_train.grad_norm_chart(
            steps,
            cols["grad_norm"],
            cols["clipped"] > 0,
            threshold=v.config.clip_value if v.config.clip != "none" else None,
            clip_mode=v.config.clip,
        ),
        v.events,
    )
    figs["param_grads"] = charts_train.param_grad_chart(
        steps, {n: cols[f"grad:{n}"] for n in v.param_names}
    )
    relu = v.config.cell == "rnn" and v.config.activation == "relu"
    figs["spectrum"] = charts_train.spectrum_chart(
        steps,
        np.stack([cols[f"rho{i}"] for i in range(v.layers)], axis=1),
        np.stack([cols[f"sigma{i}"] for i in range(v.layers)], axis=1),
        threshold=1.0,
        threshold_label="1/γ = 1 (relu: slope 1)" if relu else "1/γ = 1 (tanh)",
    )
    snap_steps = np.array([s.step for s in v.snapshots])
    if built.output_kind == "class_per_sequence":
        probs = np.stack([s.outputs[-1] for s in v.snapshots])
        figs["probe"] = charts_train.probe_chart(
            snap_steps, probs, built.class_names, mark_step=snap.step
        )
    elif not classifier:
        values = np.array([float(s.outputs[-1, 0]) for s in v.snapshots])
        truth = probe.truth if isinstance(probe.truth, float) else None
        figs["probe"] = charts_train.probe_value_chart(
            snap_steps, values, truth, mark_step=snap.step
        )
    figs["probe_hidden_state"] = charts.hidden_heatmap(
        snap.hs[-1], probe.tokens, title=f"Probe's hidden state at step {snap.step:,}"
    )
    return figs


def draw(v: RunView, saved: TrainingRun) -> None:
    """Progress, the save buttons and every live chart, from a consistent view of the run."""
    left = (v.budget - v.steps) / v.rate if v.rate and math.isfinite(v.rate) else math.nan
    text = f"step {v.steps:,} of {v.budget:,}"
    if math.isfinite(v.rate):
        text += f" · {v.rate:,.0f} steps/s"
    if math.isfinite(left) and v.state == "running":
        text += f" · about {left:,.0f} s left"
    st.progress(min(1.0, v.steps / max(v.budget, 1)), text=text)
    if v.state == "diverged":
        st.error(f"Training diverged: {v.reason}.")
        for i, (why, fix, fix_values) in enumerate(diagnose(v.config)):
            c1, c2 = st.columns([3, 2])
            c1.markdown(f"- {why}")
            c2.button(fix, key=f"fix_{i}", on_click=apply_fix, args=(fix_values,))
    elif v.state == "done":
        st.success(f"Finished: {v.reason}. Raise the step budget to go on.")
    if not len(v.columns["step"]):
        st.info("Press **Start** to train, or **Step** for one step at a time.")
        return
    save_buttons(saved, LINK)
    snaps = v.snapshots
    snap_steps = [s.step for s in snaps]
    # the replay follows the newest snapshot unless the user turns "follow" off and picks one
    # (a flag of its own: the slider's options grow at every redraw, so its own events are
    # not a reliable sign that the user moved it)
    follow = st.session_state.get(FOLLOW, True)
    chosen = None if follow else st.session_state.get("snapshot")
    snap = snaps[snap_steps.index(chosen)] if chosen in snap_steps else snaps[-1]
    figs = figures(v, snap)
    left_col, right_col = st.columns(2)
    present = [n for n in ("loss", "accuracy", "grad", "param_grads", "spectrum") if n in figs]
    for j, name in enumerate(present):
        (left_col, right_col)[j % 2].plotly_chart(figs[name], key=name, width="stretch")
    with right_col:
        if len(snaps) > 1:
            st.session_state["snapshot"] = snap.step  # set before the widget is drawn
            st.select_slider(
                "Replay the probe at training step",
                snap_steps,
                key="snapshot",
                format_func=lambda s: f"{s:,}",
                disabled=follow,
            )
            st.toggle(
                "Follow the newest snapshot",
                value=True,
                key=FOLLOW,
                help="Turn off to replay the probe's hidden state at an earlier step.",
            )
        if "probe" in figs:
            st.plotly_chart(figs["probe"], key="probe", width="stretch")
    st.plotly_chart(figs["probe_hidden_state"], key="snapshot_heatmap", width="stretch")


def save_buttons(saved: TrainingRun, link: str) -> None:
    """Metrics, model and everything, for the run as it is now. Drawn by the live fragment,
    so they follow the run even when a busy server's full rerun is late. The files are made
    once per run version and handed to the buttons as bytes: Streamlit 1.67 deletes a lazily
    made download (data=callable) once two script runs end anywhere on the server, so on a
    busy server the browser's fetch of it was "canceled"."""
    if saved.state == "running":
        st.caption("Pause to save the metrics, the model or everything.")
        return
    key = (id(saved), saved.version, saved.steps)
    files = st.session_state.get(SAVES)
    if files is None or files[0] != key:
        files = (key, metrics_csv(saved.log), checkpoint_bytes(saved, built))
        st.session_state[SAVES] = files
    c1, c2, c3 = st.columns(3)
    c1.download_button(
        "Metrics (CSV)",
        data=files[1],
        file_name=f"rnn-explorer-{task_name}-metrics.csv",
        mime="text/csv",
        on_click="ignore",
        width="stretch",
    )
    c2.download_button(
        "Model (.npz)",
        data=files[2],
        file_name=f"rnn-explorer-{task_name}-step{saved.steps}.npz",
        mime="application/octet-stream",
        on_click="ignore",
        width="stretch",
        help="Weights, optimizer state, settings and vocabulary: load it here to go on.",
    )
    bundle = st.session_state.get(BUNDLE)
    if bundle is not None and bundle[0] != key:
        bundle = st.session_state[BUNDLE] = None  # the run moved on: make it again
    if bundle is None:
        c3.button(
            "Prepare everything (.zip)",
            on_click=prepare_bundle,
            args=(saved, built, link),
            width="stretch",
            help="The model, the metrics, the settings and every chart as a standalone "
            "HTML file that works offline (a few seconds to make).",
        )
    else:
        c3.download_button(
            "Everything (.zip)",
            data=bundle[2],
            file_name=bundle[1],
            mime="application/zip",
            on_click="ignore",
            width="stretch",
        )


running = run.state == "running"
st.session_state[PAGE_STATE] = run.state
LINK = view_link(st.context.url, st.query_params.to_dict())  # read in the script run


@st.fragment(run_every=LIMITS.redraw_seconds if running else None)
def live() -> None:
    if st.session_state.pop(FULL_RERUN, False):
        st.rerun()  # a one-click fix changed settings drawn outside this fragment
    current: TrainingRun | None = st.session_state.get(RUN)
    if current is None:
        return
    # Draw what there is first (charts never sit faded while the slice trains), then train
    # for about 4× the cost of a cycle — the redraw plus the round trip to the browser — so
    # at least 80% of the wall time trains, within RNNX_SLICE_SECONDS…1.5 s.
    began = time.perf_counter()
    last = st.session_state.get(CYCLE, {"draw": 0.05, "end": None})
    # drawing is heavy pure Python: it takes its turn with the training chunks of every
    # session (ui/fairshare.py), so the server's event loop never competes with ten busy
    # threads for the GIL (measured: health checks took up to 3 s with ten sessions drawing)
    with shared_gate(LIMITS.train_slots).hold():
        draw(current.view(), current)
    drawn = time.perf_counter() - began
    if current.state == "running":
        gap = began - last["end"] if last["end"] is not None else 0.05
        overhead = min(drawn + min(gap, 1.0), 0.4)
        current.advance(min(1.5, max(LIMITS.slice_seconds, 4 * overhead)))
        publish_run(task_name, current)
    st.session_state[CYCLE] = {"draw": drawn, "end": time.perf_counter()}
    if current.state != st.session_state.get(PAGE_STATE):
        # The run stopped (done, diverged) since the page was drawn: draw it again, to stop
        # the timer and show the outcome with the page's buttons. Checked on every cycle,
        # not only when this cycle stopped it: on a busy server that one full rerun can be
        # superseded by a timer's fragment run, which left the page drawn as "running".
        st.rerun()


with main:
    live()

with main:
    with st.expander("How to read this"):
        st.markdown(
            "**Loss**: the batch loss each step (faint) and the loss on fixed train/test "
            "subsets at each evaluation. A widening gap is overfitting. **Gradient norm**: "
            "the size of the whole gradient before clipping, on a log scale; ✕ marks the "
            "steps that were clipped. Spikes are the cliffs of Pascanu et al. (2013). "
            "**Per parameter**: which weights get the gradient. **W_hh**: its spectral "
            "radius ρ and largest singular value σ; while σ < 1/γ (γ the activation's "
            "largest slope) gradients through time must vanish. **Probe**: the probe "
            "sentence's prediction at each snapshot; drag the slider to replay its hidden "
            "state at an earlier step. Dotted vertical lines mark settings you changed."
        )
    if isinstance(sm, SessionModel) and sm.origin == "trained here":
        st.caption("Explore now shows this model: open Explore to read sentences with it.")
