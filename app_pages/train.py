"""Train: live training you can steer while it learns."""

from __future__ import annotations

import math
import time

import numpy as np
import streamlit as st

from ui.glue import state
from ui.glue.controls import seed_widgets, task_picker, train_settings, valid_task
from ui.glue.layout import how_to_read
from ui.glue.share import current_link
from ui.glue.sidebar import model_summary
from ui.glue.state import get_task, publish_run, session_model
from ui.services.fairshare import shared_gate
from ui.services.limits import Limits
from ui.services.run import RunView, TrainingRun, slice_seconds
from ui.services.settings import LIVE_KEYS, TRAIN_KEYS, read_settings, snap, widget_values
from ui.services.transfer import (
    UploadError,
    checkpoint_bytes,
    config_for,
    metrics_csv,
    read_checkpoint,
    read_csv_task,
)
from ui.views import charts, charts_train
from ui.views.bundle import bundle_filename, export_bundle
from ui.views.diagnosis import Diagnosis, diagnose
from ui.views.inputs import read_example, read_text

RUN = state.TRAIN_RUN  # the session's one TrainingRun
FOLLOW = "snapshot_follow"  # widget key: the replay follows the newest snapshot
FAST = ("loss", "accuracy", "grad", "spectrum")  # charts redrawn with every slice
SHOWN = "train_shown_step"  # widget key (hidden): the step of the frame the browser shows
LIMITS, LIMIT_NOTES = Limits.from_env()


def on_task_change() -> None:
    """A new task: its recommended settings and example, and a fresh run."""
    built = get_task(valid_task())
    seed_widgets(built.default_config, overwrite=True)
    state.seed("sentence", built.example or "", overwrite=True)
    RUN.pop()
    state.TRAIN_URL_NOTES.pop()


def new_run(built, config, probe) -> TrainingRun:
    return TrainingRun(built, config, probe, LIMITS)


def probe_reading(built):
    if built.encoder is None:
        return read_example(built, 0)
    reading = read_text(built, state.widget_value("sentence") or built.example or "")
    return reading if not reading.empty else read_text(built, built.example or "x")


def apply_fix(changes: dict, continues: bool) -> None:
    """A one-click fix (TrainConfig field changes): set the widgets, on their grid. A fix
    that continues retunes the run and trains on at once; any other starts a fresh run
    with the new settings (Reset), which then trains."""
    values = snap(changes)
    for key, value in values.items():
        state.seed(key, value, overwrite=True)
    state.TRAIN_FULL_RERUN.set(True)  # the settings column shows the new values
    run: TrainingRun | None = RUN.get()
    if run is None:
        return
    if not continues or any(key not in LIVE_KEYS for key in values):
        RUN.pop()  # a fresh run on the next rerun, started at once
        state.TRAIN_START.set(True)
        return
    config = read_settings(run.config, values)  # the fix as the widgets now show it
    run.retune(**{TRAIN_KEYS[k]: getattr(config, TRAIN_KEYS[k]) for k in values})
    run.resume_after_divergence()
    run.start()


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
st.html("<style>.st-key-shown_step { display: none; }</style>")  # see draw()
st.caption(
    "Train a recurrent network live and steer it while it learns: change the learning rate "
    "or clipping mid-run and watch the loss, the gradient norm and the recurrent matrix "
    "respond. The model you train here is what Explore shows."
)
for note in LIMIT_NOTES:
    st.warning(note)

pending_task, pending_config = state.TRAIN_PENDING.pop((None, None))
if pending_task is not None:
    state.seed("task", pending_task, overwrite=True)
if pending_config is not None:
    seed_widgets(pending_config, overwrite=True)
# Notes go in one container that every run draws, so the columns below keep their place
# (a note that came and went shifted them, and the browser briefly showed two task pickers)
task_notes = st.container()
notice = state.TRAIN_NOTICE.pop()
if notice:
    task_notes.success(notice)
settings_col, main = st.columns([4, 9], gap="large")
with settings_col:
    task_name = task_picker(on_change=on_task_change, notes=task_notes)
    built = get_task(task_name)
    unusable = seed_widgets(built.default_config, limits=LIMITS)
    if unusable:  # kept: Streamlit drops the bad values from the URL on the next run
        state.TRAIN_URL_NOTES.set(unusable)
    unusable = state.TRAIN_URL_NOTES.get([])
    if unusable:
        st.info(
            f"The link's value for {', '.join(unusable)} cannot be used here (out of range "
            "or not an option); the task's recommended value is used instead."
        )
    if built.encoder is not None:
        state.carry("sentence", built.example or "")
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
    RUN.set(loaded)
    publish_run(built.name, loaded).origin = "uploaded"
    state.TRAIN_PENDING.set((None, loaded.config))  # the widgets show its settings next run
    state.TRAIN_NOTICE.set(f"Loaded a model trained for {ckpt.step:,} steps: press Resume.")
    st.rerun()


def load_csv_upload(upload) -> None:
    """A CSV upload becomes this session's "csv" task; a bad file changes nothing."""
    try:
        csv_task = read_csv_task(upload.getvalue(), upload.name)
    except UploadError as e:
        st.error(str(e), icon="🚫")
        return
    state.set_csv_task(csv_task)
    RUN.pop()
    state.TRAIN_PENDING.set(("csv", csv_task.default_config))
    state.TRAIN_NOTICE.set(f"{csv_task.title}: {csv_task.description}")
    st.rerun()


def step_once(task_name: str) -> None:
    run: TrainingRun | None = RUN.get()
    if run is not None and run.state in ("ready", "paused"):
        run.advance(0.0, max_steps=1)
        publish_run(task_name, run)


def prepare_bundle(saved: TrainingRun, built, link: str) -> None:
    """Build the export zip now (a click), for a download button with the bytes themselves."""
    figs = figures(saved.view(), saved.snapshots.items[-1])
    data = export_bundle(saved, built, figs, page="train", link=link)
    key = (id(saved), saved.version, saved.steps)
    state.TRAIN_BUNDLE.set((key, bundle_filename(saved, built), data))


with settings_col, st.expander("Load a model or your own data"):
    model_file = st.file_uploader(
        "Load a model (.npz)", type=["npz"], key="model_upload", max_upload_size=20
    )
    if model_file is not None and state.new_upload("model_upload", model_file.file_id):
        load_model_upload(model_file, built)
    csv_file = st.file_uploader(
        "Train on your own CSV (text,label)",
        type=["csv", "txt", "tsv"],
        key="csv_upload",
        max_upload_size=5,
        help="One text and one label per row; at least 2 classes with 2 examples each.",
    )
    if csv_file is not None and state.new_upload("csv_upload", csv_file.file_id):
        load_csv_upload(csv_file)

probe = probe_reading(built)
run: TrainingRun | None = RUN.get()
if run is not None and run.task.name != task_name:
    run = None
if run is None and wanted is not None:
    run = new_run(built, wanted, probe.seq)
    RUN.set(run)
    if state.TRAIN_START.pop(False):  # "Reset with these settings": trains at once
        run.start()
        publish_run(task_name, run)
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
    run.set_probe(probe.seq)


with main:
    buttons = st.columns(3)
    if run.state == "running":
        if buttons[0].button("⏸ Pause", type="primary", width="stretch"):
            # back to the frame the browser showed at the click: nobody saw the steps after
            shown = state.widget_value(SHOWN)
            run.pause(back_to=run.steps if shown is None else int(shown))
            publish_run(task_name, run)
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
        RUN.pop()
        st.rerun()
    if pending:
        st.warning(
            f"Changed: {', '.join(pending)}. These change the model itself — press "
            "**Reset** to start a new run with them (the current run keeps its settings)."
        )


def figures(v: RunView, snap) -> dict[str, object]:
    """Every live chart of a run view (and the probe at snapshot ``snap``), by name: what the
    export bundle saves."""
    return fast_figures(v) | detail_figures(v, snap)


def fast_figures(v: RunView) -> dict[str, object]:
    """The charts redrawn with every frame (FAST), by name."""
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
                **(
                    {"y_title": "loss (nats, log scale)" if classifier else "MSE (log scale)"}
                    | charts_train.loss_target(
                        built.output_kind, built.goal.metric, built.goal.threshold
                    )
                ),
            ),
            v.events,
        )
    }
    if classifier and not built.goal.metric.endswith("loss"):  # language models: loss target
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
    relu = v.config.cell == "rnn" and v.config.activation == "relu"
    figs["spectrum"] = charts_train.spectrum_chart(
        steps,
        np.stack([cols[f"rho{i}"] for i in range(v.layers)], axis=1),
        np.stack([cols[f"sigma{i}"] for i in range(v.layers)], axis=1),
        threshold=1.0,
        threshold_label="1/γ = 1 (relu: slope 1)" if relu else "1/γ = 1 (tanh)",
    )
    return figs


def detail_figures(v: RunView, snap) -> dict[str, object]:
    """The slower charts (per-parameter gradients, the probe over training and its hidden
    state at snapshot ``snap``), by name."""
    cols = v.columns
    figs = {
        "param_grads": charts_train.param_grad_chart(
            cols["step"], {n: cols[f"grad:{n}"] for n in v.param_names}
        )
    }
    snap_steps = np.array([s.step for s in v.snapshots])
    if built.output_kind == "class_per_sequence":
        probs = np.stack([s.outputs[-1] for s in v.snapshots])
        figs["probe"] = charts_train.probe_chart(
            snap_steps, probs, built.class_names, mark_step=snap.step
        )
    elif not built.output_kind.startswith("class"):
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
    """Progress, the diagnosis, the save buttons and the charts that move fastest (loss,
    accuracy, gradient norm, spectrum), from a consistent view of the run."""
    left = (v.budget - v.steps) / v.rate if v.rate and math.isfinite(v.rate) else math.nan
    text = f"step {v.steps:,} of {v.budget:,}"
    if math.isfinite(v.rate):
        text += f" · {v.rate:,.0f} steps/s"
    if math.isfinite(left) and v.state == "running":
        text += f" · about {left:,.0f} s left"
    st.progress(min(1.0, v.steps / max(v.budget, 1)), text=text)
    # The frame's step in a hidden widget: the browser sends back the value it holds with
    # the Pause click, i.e. the step of the frame on its screen (a busy browser draws a
    # frame or two behind the server), and Pause comes back to that frame.
    state.seed(SHOWN, v.steps, overwrite=True)
    with st.container(key="shown_step"):
        st.number_input("Step on screen", step=1, key=SHOWN, label_visibility="collapsed")
    trouble = diagnose(v, built)
    if trouble is not None:
        show_diagnosis(trouble)
    if v.state == "done":
        st.success(f"Finished: {v.reason}. Raise the step budget to go on.")
    if not len(v.columns["step"]):
        if v.state in ("ready", "paused"):
            st.info("Press **Start** to train, or **Step** for one step at a time.")
        return
    save_buttons(saved, LINK)
    figs = fast_figures(v)
    place(figs, [n for n in FAST if n in figs])


def draw_details(v: RunView) -> None:
    """The slower charts (per-parameter gradients, the probe over training and its hidden
    state at a snapshot): a redraw costs the browser about 50 ms of drawing per chart, so
    these follow the run about once a second while the fast ones follow every redraw."""
    if not len(v.columns["step"]):
        return
    snaps = v.snapshots
    snap_steps = [s.step for s in snaps]
    # the replay follows the newest snapshot unless the user turns "follow" off and picks one
    # (a flag of its own: the slider's options grow at every redraw, so its own events are
    # not a reliable sign that the user moved it)
    follow = state.widget_value(FOLLOW, True)
    chosen = None if follow else state.widget_value("snapshot")
    snap = snaps[snap_steps.index(chosen)] if chosen in snap_steps else snaps[-1]
    figs = detail_figures(v, snap)
    right_col = place(figs, ["param_grads"])[1]
    with right_col:
        if len(snaps) > 1:
            state.seed("snapshot", snap.step, overwrite=True)  # before the widget is drawn
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


def place(figs: dict, names: list[str]):
    """Charts ``names`` two to a row; returns the last row's columns."""
    cols = st.columns(2)
    for j, name in enumerate(names):
        if j and j % 2 == 0:
            cols = st.columns(2)
        cols[j % 2].plotly_chart(figs[name], key=name, width="stretch")
    return cols


def show_diagnosis(d: Diagnosis) -> None:
    """What went wrong in plain words, each cause with its one-click fixes; when going on
    from here cannot work, say so and offer the reset that does."""
    (st.error if d.kind == "diverged" else st.warning)(d.headline)
    for i, cause in enumerate(d.causes):
        st.markdown(f"- {cause.why}")
        row = st.container(horizontal=True)
        for j, fix in enumerate(cause.fixes):
            verb = "the run continues from here" if fix.continues else "a fresh run starts"
            row.button(
                fix.label,
                key=f"fix_{i}_{j}",
                on_click=apply_fix,
                args=(fix.changes, fix.continues),
                help=f"{fix.label}: {verb}.",
                width="content",
            )
    if d.cannot_continue:
        st.info(d.cannot_continue)
        st.button(
            d.reset.label,
            key="fix_reset",
            type="primary",
            on_click=apply_fix,
            args=(d.reset.changes, False),
            help="A fresh model with every fix above, trained from step 0.",
        )


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
    files = state.TRAIN_SAVES.get()
    if files is None or files[0] != key:
        files = (key, metrics_csv(saved.log), checkpoint_bytes(saved, built))
        state.TRAIN_SAVES.set(files)
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
    bundle = state.TRAIN_BUNDLE.get()
    if bundle is not None and bundle[0] != key:
        bundle = None  # the run moved on: make it again
        state.TRAIN_BUNDLE.pop()
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
state.TRAIN_PAGE_STATE.set(run.state)
LINK = current_link()  # read in the script run


@st.fragment(run_every=LIMITS.redraw_seconds if running else None)
def live() -> None:
    if state.TRAIN_FULL_RERUN.pop(False):
        st.rerun()  # a one-click fix changed settings drawn outside this fragment
    current: TrainingRun | None = RUN.get()
    if current is None:
        return
    # Draw what there is first (charts never sit faded while the slice trains), then train
    # for what is left of the redraw period (ui.services.run.slice_seconds).
    began = time.perf_counter()
    # drawing is heavy pure Python: it takes its turn with the training chunks of every
    # session (ui/services/fairshare.py), so the server's event loop never competes with ten busy
    # threads for the GIL (measured: health checks took up to 3 s with ten sessions drawing)
    with shared_gate(LIMITS.train_slots).hold():
        draw(current.view(), current)
    drawn = time.perf_counter() - began
    if current.state == "running":
        current.mark_shown()  # a Pause comes back to this frame
        current.advance(slice_seconds(drawn, LIMITS))
        publish_run(task_name, current)
    if current.state != state.TRAIN_PAGE_STATE.get():
        # The run stopped (done, diverged) since the page was drawn: draw it again, to stop
        # the timer and show the outcome with the page's buttons. Checked on every cycle,
        # not only when this cycle stopped it: on a busy server that one full rerun can be
        # superseded by a timer's fragment run, which left the page drawn as "running".
        st.rerun()


@st.fragment(run_every=2 * LIMITS.redraw_seconds if running else None)
def details() -> None:
    current: TrainingRun | None = RUN.get()
    if current is not None:
        with shared_gate(LIMITS.train_slots).hold():
            draw_details(current.view())


with main:
    live()
    details()
# after the live fragment's first slice, so a full run shows the steps it just took; while
# training, the summary follows the run on its own timer
model_summary(
    session_model(task_name), built, follow=2 * LIMITS.redraw_seconds if running else None
)

with main:
    how_to_read(
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
    if session_model(task_name).model is run.model:
        st.caption("Explore now shows this model: open Explore to read sentences with it.")
    else:
        shown = session_model(task_name)
        st.caption(
            f"Explore still shows the {shown.origin} model ({shown.steps:,} steps); this run "
            "takes its place when you press **Start** or **Step**."
        )
