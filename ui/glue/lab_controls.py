"""The Gradient lab's choices and the link that carries them: which experiment runs
(?experiment=, its row of buttons and their callbacks), what the learner predicts before
pressing one, which of its runs the sections measure (?inspect=) and what section 1 measures
on (?measure=). A link's value the lab does not have falls back, with a note saying so.

    lab_state = experiment_from_link(limits)   # None: the session's own model
    experiment_buttons(lab_state, limits)      # the predictions, then the buttons
    chosen = run_to_inspect(list(runs))         # None when there are no runs
    on = measure_picker()                       # one of MEASURES
"""

from __future__ import annotations

import contextlib

import streamlit as st
from streamlit.errors import StreamlitAPIException

from ui.glue import state
from ui.glue.state import get_task
from ui.services.experiments import EXPERIMENTS, start_runs
from ui.services.limits import Limits

EXPERIMENT = "experiment"  # the URL key of the running experiment: ?experiment=gates
# widget keys, which are also the URL keys (bind="query-params"): ?inspect=GRU&measure=batch
INSPECT, MEASURE = "inspect", "measure"
MEASURES = ("batch", "one sequence")  # short labels: a bound widget writes its label to the URL
SKIP = "just run it"  # the prediction that predicts nothing: the default, never forced


def predict_key(key: str) -> str:
    """The widget key of experiment ``key``'s "What do you predict?" choice. Not bound to the
    URL: a prediction is the learner's own guess, not part of the view a link shares — and a
    link with ?experiment= runs at once, so a guess it carried would be someone else's."""
    return f"predict_{key}"


def start_experiment(key: str, limits: Limits, prediction: str | None = None) -> None:
    """Start every run of experiment ``key`` side by side (experiments.start_runs) and put
    the experiment in the session, with the learner's ``prediction`` (None: none), and in
    the link."""
    exp = EXPERIMENTS[key]
    runs = start_runs(exp, get_task(exp.task), limits)
    state.LAB.set({"key": key, "runs": runs, "prediction": prediction})
    st.query_params[EXPERIMENT] = key


def pick_experiment(key: str, limits: Limits) -> None:
    """An experiment button: start it, inspecting its first run, with the prediction picked
    above it frozen: changing the choice afterwards does not change what is judged."""
    asked = state.widget_value(predict_key(key))
    start_experiment(key, limits, None if asked in (None, SKIP) else asked)
    state.seed(INSPECT, next(iter(EXPERIMENTS[key].runs)), overwrite=True)


def stop_experiment() -> None:
    """The "Your model" button: back to the session's own model."""
    state.LAB.pop()
    st.query_params.pop(EXPERIMENT, None)


def experiment_from_link(limits: Limits) -> dict | None:
    """The session's experiment ({"key", "runs"}, None: the session's own model), after
    starting the one the link asks for unless it already runs. A key the lab does not have
    is explained, and changes nothing."""
    asked = st.query_params.get(EXPERIMENT)
    lab_state = state.LAB.get()
    if asked is not None:
        if asked not in EXPERIMENTS:
            have = ", ".join(EXPERIMENTS)
            st.info(f"The link asked for an experiment this lab does not have: {have}.")
        elif lab_state is None or lab_state["key"] != asked:
            start_experiment(asked, limits)
            lab_state = state.LAB.get()
    return lab_state


def experiment_buttons(lab_state: dict | None, limits: Limits) -> None:
    """The "What do you predict?" choices (:func:`predictions`), then one button per
    experiment and "Your model", the one shown highlighted."""
    predictions()
    cols = st.columns(len(EXPERIMENTS) + 1)
    for col, exp in zip(cols, EXPERIMENTS.values(), strict=False):
        col.button(
            exp.title,
            key=f"exp_{exp.key}",
            on_click=pick_experiment,
            args=(exp.key, limits),
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


def predictions() -> None:
    """Predict, then run: above each experiment's button, its question with its choices and
    :data:`SKIP` (the default). The button freezes the choice (:func:`pick_experiment`)."""
    st.caption(
        "**Predict, then run** (if you like): pick what you expect, then press the "
        "experiment's button. When its runs end, the lab says whether you were right, and why."
    )
    cols = st.columns(len(EXPERIMENTS) + 1)
    for col, exp in zip(cols, EXPERIMENTS.values(), strict=False):
        if exp.question is not None:
            options = [c.label for c in exp.question.choices] + [SKIP]
            col.radio(ask_label(exp), options, index=len(options) - 1, key=predict_key(exp.key))


def ask_label(exp) -> str:
    """The choice's label: the experiment's title, then its question ("**Vanishing** · Back in
    time, the gradient will…"), so that two experiments asking the same question have
    different names for a screen reader, and each says which button it goes with."""
    return f"**{exp.title}** · {exp.question.ask}"


def run_to_inspect(names: list[str]) -> str | None:
    """The run the sections measure: picked with :func:`run_picker` when there is a choice,
    else the only run (None without runs) — and a link's ?inspect= means nothing then."""
    if len(names) > 1:
        return run_picker(names)
    with contextlib.suppress(StreamlitAPIException):  # still bound: Streamlit drops it
        st.query_params.pop(INSPECT, None)
    return names[0] if names else None


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


def measure_picker() -> str:
    """The "Measure on" control of section 1, bound to the URL (?measure=one+sequence): a
    link's value that is not one of MEASURES falls back to the batch, with a note."""
    if state.widget_value(MEASURE) not in MEASURES:  # a new session: the link's, or the default
        if st.query_params.get(MEASURE, MEASURES[0]) not in MEASURES:
            st.info(
                f"The link's “Measure on” is not one of {', '.join(MEASURES)}; measuring on "
                "the batch."
            )
            state.seed(MEASURE, MEASURES[0], overwrite=True)
        else:
            state.seed(MEASURE, MEASURES[0])
    return st.segmented_control(
        "Measure on", MEASURES, required=True, key=MEASURE, bind="query-params"
    )
