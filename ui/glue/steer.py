"""Explore's "Steer a neuron" section: hold one unit of the last layer at a value (or ablate
it) while the model reads the sentence — a classifier's prediction with and without, side by
side — or reads it as a prime and writes on — a language model's two samples, same seed.

One call from app_pages/explore.py (:func:`steer_section`). The controls are the rows of
``ui.services.steer.STEER_SETTINGS``, drawn by ``controls.setting_widget`` and bound to the
URL; the numbers and words come from ``ui.views.steer``.
"""

from __future__ import annotations

import streamlit as st

from rnn_core.model import Clamp
from rnn_core.tasks import Task
from rnn_core.tasks.text import detokenize
from ui.glue import state
from ui.glue.charts import caption_text, show_chart
from ui.glue.controls import setting_widget
from ui.glue.display import html_view
from ui.glue.layout import how_to_read
from ui.glue.models import SessionModel
from ui.services.limits import Limits
from ui.services.settings import Setting
from ui.services.steer import STEER_BY_KEY, defaults, read_steer, track_row, unit_row
from ui.views import explore_text, html
from ui.views import steer as S
from ui.views.inputs import Reading

LIMITS = Limits()  # the steer rows' bounds are their own; no row reads a limit

INTRO = (
    "Hold one unit of the last layer at a value at every step — or **ablate** it (hold it at "
    "0) — and see what the network does without its usual say. Pick the unit yourself, or "
    "let the app pick the one whose value best follows {what}."
)


def _prepare(rows: list[Setting]) -> None:
    """Give each control its default before it is drawn; a link's value it cannot show,
    or a value kept from another model (another size, another task), falls back to the
    default, with a note for the link's (never echoing it)."""
    base = defaults()
    bad = []
    for row in rows:
        raw = st.query_params.get(row.key)
        unusable = raw is not None and not row.url_ok(raw, LIMITS)
        held = state.widget_value(row.key)
        stale = held is not None and row.widget != "number" and held not in row.options
        if unusable:
            bad.append(row.key)
        if stale and not unusable:
            state.forget(row.key)
        default = base[row.key]
        if row.options and default not in row.options:
            default = row.options[0]
        state.seed(row.key, default, overwrite=unusable or stale)
    if bad:
        st.info(explore_text.unusable_links(bad))


def steer_section(task: Task, sm: SessionModel, reading: Reading) -> None:
    """The section, for classifiers of token sequences and language models (nothing for the
    other tasks: steering needs a prediction to change or a text to write)."""
    kind = S.kind_of(task)
    if kind is None:
        return
    model = sm.model
    H = model.config.hidden_size
    tracks = S.trackers_for(task)
    rows = [unit_row(H), track_row(tracks), STEER_BY_KEY["steer_mode"], STEER_BY_KEY["steer_value"]]
    if kind == "write":
        rows += [STEER_BY_KEY[k] for k in ("steer_len", "steer_temp", "steer_seed")]

    st.subheader("Steer a neuron")
    what = "the prediction" if kind == "classify" else "a feature of the text"
    st.caption(INTRO.format(what=what))
    _prepare(rows)
    values = {}
    # two controls a row: at 1024 px with the sidebar open a row of four cut "ablate" off
    cols = st.columns(2)
    values["steer_unit"] = setting_widget(rows[0], LIMITS, cols[0])
    values["steer_track"] = setting_widget(
        rows[1], LIMITS, cols[1], disabled=values["steer_unit"] != "auto"
    )
    cols = st.columns(2)
    values["steer_mode"] = setting_widget(rows[2], LIMITS, cols[0], required=True)
    values["steer_value"] = setting_widget(
        rows[3], LIMITS, cols[1], disabled=values["steer_mode"] == "ablate"
    )
    if kind == "write":
        noun = "characters" if task.encoder.level == "char" else "words"
        cols = st.columns(3)
        values["steer_len"] = setting_widget(
            rows[4], LIMITS, cols[0], label=f"{noun.title()} to write"
        )
        values["steer_temp"] = setting_widget(rows[5], LIMITS, cols[1])
        values["steer_seed"] = setting_widget(rows[6], LIMITS, cols[2])
    steer = read_steer(values)
    track = steer.track if steer.track in tracks else tracks[0]

    pick = None
    if steer.unit == "auto":
        pick = sm.cached(f"steer_pick:{track}", lambda: S.pick_unit(model, task, track))
        with st.container(border=True):  # why this unit: one box, apart from the results
            st.markdown(S.pick_note(pick, task.class_names))
            if pick.passage:
                _passage(pick, task.encoder.level)
    unit = S.chosen_unit(steer, pick)
    clamp = Clamp(-1, unit, steer.held_at)
    held = S.held_words(unit, steer)

    if kind == "classify":
        _classify(task, sm, reading, clamp, held, pick)
        how_to_read(S.CLASSIFY_NOTE)
    else:
        prime = detokenize(reading.tokens, task.encoder.level)  # what was read: cut at 200
        _write(task, sm, prime, clamp, held, steer, track)
        how_to_read(S.write_note(task.encoder.level))


def _passage(pick, level: str) -> None:
    """The picked unit over a stretch of held-out text, as colour: what it follows."""
    span = max(float(abs(pick.values).max()), 1e-6)
    st.caption(f"Unit {pick.unit} over a stretch of the held-out text (its value as colour):")
    html_view(html.neuron_text_html(pick.passage, pick.values, vmin=-span, vmax=span, level=level))


def _classify(task: Task, sm: SessionModel, reading: Reading, clamp: Clamp, held: str, pick):
    readings = S.read_both(sm.model, reading.seq, clamp)
    names = task.class_names
    values = sm.model.trace(reading.seq).hs[-1][:, clamp.unit]
    span = max(float(abs(values).max()), 1e-6)
    st.caption(
        f"Unit {clamp.unit} as the model reads your sentence, untouched (its value as colour):"
    )
    html_view(
        html.neuron_text_html(
            reading.tokens, values, vmin=-span, vmax=span, level=task.encoder.level
        )
    )
    if pick is not None and pick.klass is not None:
        klass = pick.klass  # the class whose probability the picked unit follows
    elif readings.plain.shape[1] == 2:
        klass = 1  # the second class ("positive")
    else:
        klass = int(readings.plain[-1].argmax())  # the answer as trained
    a, b = st.columns(2)
    for col, probs, title in ((a, readings.plain, "As trained"), (b, readings.steered, held)):
        c = int(probs[-1].argmax())
        col.metric(title.capitalize(), f"{S.class_name(names, c)} {probs[-1, c]:.0%}")
    st.markdown(S.verdict(names, readings, held))
    fig = S.steer_lines(readings, reading.tokens, klass, S.class_name(names, klass), held)
    show_chart(fig, key="steer_lines")


def _write(task: Task, sm: SessionModel, prime: str, clamp: Clamp, held: str, steer, track):
    asked = (sm.task_name, sm.version, prime, clamp, steer)
    last = state.STEER_SAMPLES.get()
    if last is not None and last[0] == asked:
        samples = last[1]
    else:
        samples = S.write_both(sm.model, task, prime, clamp, steer)
        state.STEER_SAMPLES.set((asked, samples))
    level = task.encoder.level
    written = S.plural_tokens(len(samples.plain_tokens), level)
    st.caption(f"Both continue “{caption_text(samples.prime)}” ({written} each):")
    a, b = st.columns(2)
    with a:
        st.markdown("**As trained**")
        values = samples.plain_values
        span = max(float(abs(values).max()) if values.size else 1.0, 1e-6)
        html_view(
            html.neuron_text_html(samples.plain_tokens, values, vmin=-span, vmax=span, level=level)
        )
        st.caption(S.text_stats(samples.plain_tokens, track))
    with b:
        st.markdown(f"**{held.capitalize()}**")
        html_view(S.plain_text_html(samples.steered_tokens, level))
        st.caption(S.text_stats(samples.steered_tokens, track))
    st.caption(S.sample_note(samples, level))
