"""The one owner of the session's state: every session key, and the session's models.

Pages never touch ``st.session_state``: they read and write through this module. Each
non-widget value has a :class:`Slot` declared here (its key, what it holds, who writes it),
so a reader finds every piece of session state in one place.

    models        task name -> SessionModel: every task the user has visited keeps its
                  model, so switching tasks loses nothing
    current_task  the task the pages show; widgets keyed "task" set it
    kept          widget values that must survive a page change (see :func:`carry`)

A session starts with each task's default model (trained once per server; see ui.glue.models)
and owns its copy: training here or uploading replaces the session's copy only.

When a session ends its state goes too (:func:`track_session`, :func:`sweep_sessions`).
Streamlit 1.67 has no hook for the end of a session: a closed tab's session is kept for
``server.disconnectedSessionTTL`` seconds (120 by default) so that a dropped connection can
resume it, and after that it is dropped only when another session disconnects — on an idle
server never, with every run and model copy it holds. So each session that stores a model or
a run is tracked here, and the process's janitor (``ui.services.runtime``) clears the state of
any session that has not been connected for longer than that TTL (it can no longer resume).

Widget keys are URL keys (``bind="query-params"``): Streamlit forgets a widget's value
when a script run does not draw that widget (another page), so values that must survive
navigation (the sentence, the task) are also kept under a non-widget key and seed the
widget on each page (:func:`carry`).
"""

from __future__ import annotations

import contextlib
import gc
import threading
import time
from dataclasses import dataclass

import numpy as np
import streamlit as st
from streamlit.runtime import Runtime
from streamlit.runtime.scriptrunner import get_script_run_ctx

from rnn_core.model import RNNModel
from rnn_core.tasks import Task
from ui.glue.models import SessionModel, Trained, default_models, ships_default, task, task_names
from ui.services.run import TrainingRun
from ui.services.runtime import janitor

SHARE_OPEN = "share_open"  # widget key: the sidebar's "Share this view" is open
SHARE_DARK = "share_dark"  # widget key: the shared link opens in the dark theme
# Widget keys (and URL keys) of the sidebar's Display: projector mode and the two colour maps.
DISPLAY = "display"
DIVERGING = "diverging"
SEQUENTIAL = "sequential"
SHARE_LOCK = "share_lock"  # widget keys (not in the URL): what a shared link locks ...
SHARE_HIDE = "share_hide"  # ... and hides, for an exercise
CSV_TASK = "csv_task"  # session key: the Task made from the user's uploaded CSV, if any
VOCAB_OPEN = "vocab_open"  # widget key (not in the URL): Explore's "See the vocabulary" is open
VOCAB_SEARCH = "vocab_search"  # widget key (not in the URL): its search box
VOCAB_FIX = "vocab_fix"  # widget key (not in the URL): the known word picked for an unknown one

MODELS = "models"
CURRENT_TASK = "current_task"
KEPT = "kept"  # widget key -> its last value, for widgets whose value survives page changes
DEFAULT_TASK = "sentiment"


@dataclass(frozen=True)
class Slot:
    """One non-widget session value, declared once in this module."""

    key: str
    about: str  # what it holds and who writes it

    def get(self, default=None):
        return st.session_state.get(self.key, default)

    def set(self, value) -> None:
        track_session()
        st.session_state[self.key] = value

    def pop(self, default=None):
        return st.session_state.pop(self.key, default)


# ----------------------------------------------------------------------------- widgets


def sent_by_browser(key: str):
    """The value the browser sent for widget ``key`` when this session has never drawn it,
    else None. A page that reconnects to a new session (its server restarted, its replica
    died, or the tab slept past the reconnect time) resends every widget it shows, and until
    a widget is drawn its value is kept only under Streamlit's widget id, which ends in the
    key (Streamlit 1.67's ``SessionState._new_widget_state``; None if that changes)."""
    ctx = get_script_run_ctx()
    try:
        widgets = object.__getattribute__(ctx.session_state, "_state")._new_widget_state
        for widget_id, item in list(widgets.states.items()):
            if widget_id.endswith(f"-{key}") and widget_id not in widgets.widget_metadata:
                field = item.value.WhichOneof("value")
                return getattr(item.value, field) if field else None
    except AttributeError:
        return None
    return None


def browser_asked() -> str | None:
    """What the browser has asked for while this script run goes on: "app" (a click or a
    change: the whole page reruns next), "fragment" (only a fragment's timer: the next frame)
    or None. Reads Streamlit's pending request (1.67's ``ScriptRequests``, private, pinned by
    requirements.txt); None where that is missing."""
    ctx = get_script_run_ctx()
    try:
        requests = ctx.script_requests
        if requests._state.name != "RERUN":
            return None
        data = requests._rerun_data
    except AttributeError:
        return None
    scoped = data.fragment_id_queue or data.fragment_id or data.is_fragment_scoped_rerun
    return "fragment" if scoped else "app"


def widget_value(key: str, default=None):
    """The current value of widget ``key`` (its state before it is drawn this run)."""
    return st.session_state.get(key, default)


def seed(key: str, value, overwrite: bool = False) -> None:
    """Put ``value`` into widget ``key``'s state before the widget is drawn: when it has none
    and the URL does not set it, or always with ``overwrite`` (a task change, a one-click
    fix, "recommended settings"). A control an exercise link locks keeps its value: nothing
    seeds it once it has been drawn (``EXERCISE_PINS``)."""
    if key in EXERCISE_PINS.get({}):
        return
    if overwrite or (key not in st.session_state and key not in st.query_params):
        st.session_state[key] = value  # a carried widget keeps it too (carry reads it here)


def carry(key: str, default) -> None:
    """Before drawing widget ``key`` whose value must survive a page change (the sentence,
    the task): give it the value it had on the page before.

    Streamlit keys a widget's value by the widget's identity, which differs between pages
    (labels, help): on the first run of another page the old value is still in session
    state but the new widget does not take it, and once a run draws no such widget the
    value is gone. So the value is re-assigned on every run (which makes the new widget take
    it) and kept under a non-widget key. A link's value wins on the first run of a session
    (the bound widget takes it from the URL)."""
    kept: dict = st.session_state.setdefault(KEPT, {})
    if key in st.session_state:
        kept[key] = st.session_state[key]
    elif key in st.query_params:
        return
    st.session_state[key] = kept.get(key, default)


def forget(*keys: str) -> None:
    """Drop widgets' values (and their kept copies), so they start from their defaults; not
    those of controls an exercise link locks."""
    kept: dict = st.session_state.setdefault(KEPT, {})
    pins = EXERCISE_PINS.get({})
    for key in keys:
        if key in pins:
            continue
        st.session_state.pop(key, None)
        kept.pop(key, None)


def held_value(key: str):
    """Widget ``key``'s value before it is drawn this run: its state, else the value kept
    for it by :func:`carry` on another page, else the link's, else None."""
    if key in st.session_state:
        return st.session_state[key]
    kept = st.session_state.get(KEPT, {})
    if key in kept:
        return kept[key]
    return st.query_params.get(key)


def hold(key: str, value) -> None:
    """Give widget ``key`` this value before it is drawn, whatever set it before (a locked
    control's pinned value: ``ui/glue/exercise.py``)."""
    st.session_state[key] = value


# ----------------------------------------------------------------------------- exercise links

EXERCISE = Slot(
    "exercise",
    "exercise.Exercise: the controls this session's link locks and hides (kept across pages)",
)
EXERCISE_PINS = Slot(
    "exercise_pins",
    "URL key -> the value a locked control was first drawn with; it keeps it for the session",
)


def get_task(name: str) -> Task:
    """A built-in task, or this session's own CSV task ("csv")."""
    if name == "csv" and CSV_TASK in st.session_state:
        return st.session_state[CSV_TASK]
    return task(name)


def available_tasks() -> list[str]:
    """The task names this session can pick: the built-ins, plus "csv" once uploaded."""
    return task_names() + (["csv"] if CSV_TASK in st.session_state else [])


def current_task() -> str:
    return st.session_state.get(CURRENT_TASK, DEFAULT_TASK)


def set_current_task(name: str) -> None:
    st.session_state[CURRENT_TASK] = name


def session_model(task_name: str) -> SessionModel:
    """The session's model for a task, starting from the task's default model. The first
    session to need a default loads (chars, words) or trains it, with a progress bar."""
    track_session()
    models: dict[str, SessionModel] = st.session_state.setdefault(MODELS, {})
    if task_name not in models and task_name == "csv":  # the user's data: not trained yet
        built = get_task("csv")
        model = RNNModel.create(
            built.default_config.model_config(built.data), np.random.default_rng(0)
        )
        models["csv"] = SessionModel("csv", model, built.default_config, "trained here", 0, {})
    if task_name not in models:
        store = default_models()
        if store.ready(task_name):
            trained = store.get(task_name)
        else:
            title = get_task(task_name).title
            verb = "Loading the trained" if ships_default(task_name) else "Training the"
            text = f"{verb} default model for *{title}* (once per server)…"
            bar = st.progress(0.0, text=text)
            trained = store.get(task_name, progress=lambda f: bar.progress(f, text=text))
            bar.empty()
        models[task_name] = trained.session_copy()
    return models[task_name]


def replace_session_model(model: SessionModel) -> None:
    """Make ``model`` the session's model for its task (after training or an upload)."""
    track_session()
    st.session_state.setdefault(MODELS, {})[model.task_name] = model


def publish_run(task_name: str, run) -> SessionModel:
    """Make a training run's (live) model the session's model for its task, so Explore and
    the sidebar show it: origin "trained here", with the run's steps and latest scores."""
    models: dict[str, SessionModel] = st.session_state.setdefault(MODELS, {})
    sm = models.get(task_name)
    if sm is None or sm.model is not run.model:
        sm = SessionModel(task_name, run.model, run.config, "trained here", 0, {})
        models[task_name] = sm
    with run.lock:  # one moment of a run that may be training in another script run
        sm.config, sm.steps, sm.version = run.config, run.steps, run.version
        sm.scores = run.log.latest_eval()
    return sm


# ----------------------------------------------------------------------------- runs

TRAIN_RUN = Slot("run", "the Train page's TrainingRun (one per session); the lab reads it")
TRAIN_HAD_RUN = Slot(
    "train_had_run",
    "True once this session has had a Train run: a page showing a step without one has "
    "reconnected to a new session (its server restarted, or it was moved to another replica)",
)
LAB = Slot(
    "lab",
    "the Gradient lab's experiment: {'key': experiment key, 'runs': {name: run}, "
    "'prediction': the learner's choice, frozen when Run was pressed (None: no prediction)}",
)


# ----------------------------------------------------------------------------- train page

TRAIN_FULL_RERUN = Slot("train_full_rerun", "a callback inside the live fragment needs the page")
TRAIN_PENDING = Slot("train_pending", "(task, config) for the widgets, set before they draw")
TRAIN_NOTICE = Slot("train_notice", "a message the Train page shows once after a rerun")
TRAIN_URL_NOTES = Slot("train_url_notes", "the link's training settings that could not be used")
TRAIN_PAGE_STATE = Slot("train_page_state", "the run's state when the Train page was drawn")
TRAIN_SAVES = Slot("train_saves", "transfer.RunFiles: (run key, metrics CSV, model .npz)")
TRAIN_BUNDLE = Slot("train_bundle", "bundle.BundleFile: (run key, file name, zip bytes)")
TRAIN_START = Slot("train_start", "a one-click reset asks the Train page to start its new run")
LOADED_UPLOADS = Slot("loaded_uploads", "upload widget key -> the file id already read")
CSV_SOURCE = Slot("csv_source", "train_uploads.CsvSource: the uploaded CSV, for its preview")
CSV_ERROR = Slot("csv_error", "why the columns picked for the uploaded CSV cannot be used")


def set_csv_task(built: Task) -> None:
    """The user's uploaded CSV becomes this session's "csv" task, with a fresh model."""
    track_session()
    st.session_state[CSV_TASK] = built
    st.session_state.setdefault(MODELS, {}).pop("csv", None)


def new_upload(key: str, file_id: str) -> bool:
    """Whether the file in upload widget ``key`` has not been read yet (and mark it read):
    an uploader keeps its file across reruns, and each must be read once."""
    seen: dict = st.session_state.setdefault(LOADED_UPLOADS.key, {})
    if seen.get(key) == file_id:
        return False
    seen[key] = file_id
    return True


# ----------------------------------------------------------------------------- explore: write

WRITE = Slot(
    "write",
    "Explore's Write (ui/glue/write_panel.py): {'asked': {task: WriteRequest Generate asked "
    "for}, 'link_read': whether a link's Write values were taken, 'shown': (key, Written)}",
)


# ----------------------------------------------------------------------------- compare page

COMPARE = Slot("compare", "Compare's pair: {'task', 'configs': (A, B), 'runs': {'A', 'B'}}")


# ----------------------------------------------------------------------------- explore: steer

STEER_SAMPLES = Slot(
    "steer_samples",
    "Explore's Steer a neuron: (what was asked, ui.views.steer.Samples) of the last two "
    "samples written, so a rerun that changes nothing there writes nothing again",
)


# ----------------------------------------------------------------------------- ended sessions

_TRACKED_LOCK = threading.Lock()
# session id -> [(the session's thread-safe state, its fragment storage), monotonic time it
# was first seen disconnected, or None while connected]
_TRACKED: dict[str, list] = {}


def track_session() -> None:
    """Note that this session holds models or runs, so that :func:`sweep_sessions` frees
    them once the session has ended (module docstring). Cheap after the first call; nothing
    happens outside a served app (AppTest, scripts)."""
    ctx = get_script_run_ctx()
    if ctx is None or ctx.session_id in _TRACKED or not Runtime.exists():
        return
    with _TRACKED_LOCK:
        _TRACKED.setdefault(ctx.session_id, [(ctx.session_state, ctx.fragment_storage), None])
    jan = janitor()
    jan.add("sessions", sweep_sessions)
    jan.start()


def sweep_sessions(debug: bool = False) -> dict[str, int]:
    """Clear the state of every tracked session that has been disconnected for longer than
    ``server.disconnectedSessionTTL`` (it can no longer resume) and stop tracking it. Returns
    counts for the janitor's log: "freed" sessions, "tracked" ones left and, with ``debug``,
    the TrainingRun and RNNModel objects alive in the process ("models" counts the shared
    default models too: "defaults" of them)."""
    if not Runtime.exists():
        return {}
    runtime = Runtime.instance()
    ttl = float(st.get_option("server.disconnectedSessionTTL"))
    now = time.monotonic()
    ended = []
    with _TRACKED_LOCK:
        for session_id, entry in list(_TRACKED.items()):
            if runtime.is_active_session(session_id):
                entry[1] = None
            elif entry[1] is None:
                entry[1] = now
            elif now - entry[1] > ttl:
                ended.append(_TRACKED.pop(session_id)[0])
        tracked = len(_TRACKED)
    for state, fragments in ended:
        _clear(state)
        fragments.clear()  # the page's fragments: their globals hold the page's run
    counts = {"freed": len(ended), "tracked": tracked}
    if ended:
        gc.collect()  # a session's objects hold one another (page functions, widgets)
    if debug:
        gc.collect()
        live = gc.get_objects()
        counts["runs"] = sum(isinstance(o, TrainingRun) for o in live)
        counts["models"] = sum(isinstance(o, RNNModel) for o in live)
        counts["defaults"] = sum(isinstance(o, Trained) for o in live)
        del live
    return counts


def _clear(state) -> None:
    """Empty an ended session's state: values, widget values and the widgets' metadata (whose
    callbacks are the page's functions, whose globals hold the page's run: Streamlit keeps an
    expired session's AppSession, with its state, until another session disconnects).
    Streamlit 1.67's ``SafeSessionState`` wraps a ``SessionState`` with ``clear()``, which
    keeps the widgets' metadata; failing that, the values go one by one."""
    try:
        inner, lock = object.__getattribute__(state, "_state"), state._lock
    except AttributeError:
        for key in list(state.filtered_state):
            with contextlib.suppress(KeyError):
                del state[key]
        return
    with lock:
        inner.clear()
        widgets = getattr(inner, "_new_widget_state", None)  # WStates: clear() keeps these
        with contextlib.suppress(AttributeError):
            widgets.widget_metadata.clear()
