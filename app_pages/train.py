"""Train: live training you can steer while it learns.

Top to bottom: the settings column (task, probe sentence, training settings, uploads); the
session's run, made or kept and steered by the live settings; its buttons; then, while it
trains, two fragments on timers — the live frame (progress, diagnosis, downloads, the fast
charts, then a slice of training) and the slower charts — and the sidebar's summary.
"""

from __future__ import annotations

import time

import streamlit as st

from rnn_core.tasks import Task
from ui.glue import state
from ui.glue.controls import HIDDEN_STYLE, KEYS, hidden_number
from ui.glue.layout import fit_narrow_screens, how_to_read
from ui.glue.share import current_link
from ui.glue.sidebar import model_summary
from ui.glue.state import publish_run, session_model
from ui.glue.train_charts import details_panel, place
from ui.glue.train_diagnosis import show_diagnosis
from ui.glue.train_saves import save_buttons
from ui.glue.train_setup import settings_panel, take_pending
from ui.glue.train_uploads import csv_preview, upload_panel
from ui.services.fairshare import shared_gate
from ui.services.limits import Limits
from ui.services.run import RunView, TrainingRun, slice_seconds
from ui.services.samples import is_language_model
from ui.services.steering import frozen_changes, live_changes
from ui.views.baseline_words import baseline_words
from ui.views.diagnosis import diagnose
from ui.views.inputs import Reading
from ui.views.train_figures import FAST, fast_figures, progress_bar

RUN = state.TRAIN_RUN  # the session's one TrainingRun
SHOWN = "train_shown_step"  # widget key (hidden): the step of the frame the browser shows
# widget key (hidden, drawn outside the fragments): the step the run was at when the page was
# last drawn whole. A reconnecting page resends it too, and unlike SHOWN it survives a timer's
# fragment run that reaches the new session first (the browser then drops the fragment's
# widgets, SHOWN with them, before it asks for the whole page).
RUN_STEP = "train_run_step"
LIMITS, LIMIT_NOTES = Limits.from_env()
LOST_RUN = (
    "This page was training on a server process that is not there any more (it restarted, "
    "or you were moved to another one). Your settings came back with the address; the run, "
    "its charts and any upload did not. Press **Start** to train again."
)


def step_once(task_name: str) -> None:
    run: TrainingRun | None = RUN.get()
    if run is not None and run.state in ("ready", "paused"):
        run.advance(0.0, max_steps=1)
        publish_run(task_name, run)


def draw(v: RunView, run: TrainingRun, built: Task, probe: Reading, link: str) -> None:
    """Progress, the diagnosis, the save buttons and the charts that move fastest (loss
    and gradient norm), from a consistent view of the run."""
    fill, text = progress_bar(v)
    st.progress(fill, text=text)
    # The frame's step in a hidden widget: the browser sends back the value it holds with
    # the Pause click, i.e. the step of the frame on its screen (a busy browser draws a
    # frame or two behind the server), and Pause comes back to that frame.
    hidden_number(SHOWN, "Step on screen", v.steps)
    trouble = diagnose(v, built)
    if trouble is not None:
        show_diagnosis(trouble)
    if v.state == "done":
        st.success(f"Finished: {v.reason}. Raise the step budget to go on.")
    if not len(v.columns["step"]):
        if v.state in ("ready", "paused"):
            st.info("Press **Start** to train, or **Step** for one step at a time.")
            if built.baseline is not None:
                st.markdown(baseline_words(built.baseline.test_acc, split=built.test_split))
        return
    save_buttons(run, built, link, probe)
    figs = fast_figures(v, built)
    place(figs, [n for n in FAST if n in figs])


# ----------------------------------------------------------------------------- page

fit_narrow_screens()  # projectors: the sidebar folds, narrow chart rows stack
st.title("Train")
st.html(HIDDEN_STYLE)  # the hidden steps: see draw() and RUN_STEP
st.caption(
    "Train a recurrent network live and steer it while it learns: change the learning rate "
    "or clipping mid-run and watch the loss, the gradient norm and the recurrent matrix "
    "respond. The model you train here is what Explore shows."
)
for note in LIMIT_NOTES:
    st.warning(note)

take_pending()  # an upload's task and settings, before the widgets draw
# Notes go in one container that every run draws, so the columns below keep their place
# (a note that came and went shifted them, and the browser briefly showed two task pickers)
task_notes = st.container()
notice = state.TRAIN_NOTICE.pop()
if notice:
    task_notes.success(notice)
settings_col, main = st.columns([4, 9], gap="large")
with settings_col:
    task_name, built, wanted, probe = settings_panel(LIMITS, task_notes)
    upload_panel(built, probe.seq, LIMITS)  # a file read here reruns the page
with main:
    csv_preview(LIMITS, task_name)  # the uploaded CSV's first rows and columns

run: TrainingRun | None = RUN.get()
resent = max(state.sent_by_browser(SHOWN) or 0, state.sent_by_browser(RUN_STEP) or 0)
if run is None and not state.TRAIN_HAD_RUN.get(False) and resent > 0:
    # the browser sent the step of a run this session never had: the page reconnected to a
    # new session (its server restarted or died, or the tab slept past the reconnect time)
    task_notes.info(LOST_RUN)
if run is not None and run.task.name != task_name:
    run = None
if run is None and wanted is not None:
    run = TrainingRun(built, wanted, probe.seq, LIMITS)
    RUN.set(run)
    state.TRAIN_HAD_RUN.set(True)
    if state.TRAIN_START.pop(False):  # "Reset with these settings": trains at once
        run.start()
        publish_run(task_name, run)
if run is None:
    st.stop()
hidden_number(RUN_STEP, "Run's step", max(run.steps, 1))

# Live settings apply from the next step; the others need a reset.
pending = []
if wanted is not None:
    changed = live_changes(run.config, wanted)
    if changed and run.state != "diverged":
        run.retune(**changed)
    pending = frozen_changes(run.config, wanted)
run.use_probe(probe.seq)  # another probe sentence: its snapshots start again

with main:
    buttons = st.columns(3)
    if run.state == "running":
        if buttons[0].button(
            "⏸ Pause", type="primary", width="stretch", shortcut=KEYS["start_pause"]
        ):
            # back to the frame the browser showed at the click: nobody saw the steps after
            shown = state.widget_value(SHOWN)
            run.pause(back_to=run.steps if shown is None else int(shown))
            publish_run(task_name, run)
            st.rerun()
    elif run.state in ("ready", "paused"):
        label = "▶ Start" if run.state == "ready" else "▶ Resume"
        if buttons[0].button(label, type="primary", width="stretch", shortcut=KEYS["start_pause"]):
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
        shortcut=KEYS["step"],
        on_click=step_once,  # before the page draws: the sidebar and the saves see the step
        args=(task_name,),
    )
    if buttons[2].button(
        "↺ Reset",
        width="stretch",
        help="A fresh model with these settings",
        shortcut=KEYS["reset"],
    ):
        RUN.pop()
        st.rerun()
    if pending:
        st.warning(
            f"Changed: {', '.join(pending)}. These change the model itself — press "
            "**Reset** to start a new run with them (the current run keeps its settings)."
        )

running = run.state == "running"
state.TRAIN_PAGE_STATE.set(run.state)
LINK = current_link()  # read in the script run


@st.fragment(run_every=LIMITS.train_redraw_seconds if running else None)
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
        draw(current.view(), current, built, probe, LINK)
    drawn = time.perf_counter() - began
    if current.state == "running":
        current.mark_shown()  # a Pause comes back to this frame
        # past its length, the slice goes on until the browser asks for the next frame: a
        # browser busy drawing asks late, and the server trains meanwhile instead of idling
        seconds = slice_seconds(drawn, LIMITS, LIMITS.train_redraw_seconds)
        current.advance(seconds, asked=state.browser_asked)
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
            details_panel(current.view(), built, probe)


with main:
    live()
    details()
# after the live fragment's first slice, so a full run shows the steps it just took; while
# training, the summary follows the run on its own timer
explore_model = session_model(task_name)  # this run's model once it has trained
model_summary(explore_model, built, follow=2 * LIMITS.redraw_seconds if running else None)

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
        + (
            " **What it writes** (language models): at each snapshot the model continues the "
            "probe sentence, always from the same random seed and at the same temperature, so "
            "the text changes only because the model did — letters at random, then spaces and "
            "short words, then words. The headline is the test loss in nats per token and "
            "its perplexity e^loss (as unsure as a fair choice among that many tokens)."
            if is_language_model(built)
            else ""
        )
    )
    if explore_model.model is run.model:
        st.caption("Explore now shows this model: open Explore to read sentences with it.")
    else:
        st.caption(
            f"Explore still shows the {explore_model.origin} model "
            f"({explore_model.steps:,} steps); this run takes its place when you press "
            "**Start** or **Step**."
        )
