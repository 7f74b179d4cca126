"""Explore's "Steer a neuron" through AppTest: what it shows is what the model does with the
unit held, the URL drives it, bad links fall back with a note."""

from __future__ import annotations

import numpy as np
import pytest

from rnn_core.model import Clamp, ablate
from rnn_core.tasks import load_task
from rnn_core.tasks.text import detokenize, sample
from tests.app.conftest import no_exceptions, open_page, run_app, titled
from tests.app.test_hostile_urls import NASTY, assert_not_echoed, noted, short
from tests.plotly_spec import decode
from ui.services.limits import Limits
from ui.services.steer import STEER_BY_KEY, STEER_SETTINGS, track_row, unit_row
from ui.views import steer as S

SENTENCE = "this movie is not bad at all"


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def model_of(at, task: str):
    return at.session_state["models"][task].model


def test_auto_picks_the_sentiment_neuron_and_shows_the_prediction_with_and_without():
    at = run_app()
    no_exceptions(at)
    assert "Steer a neuron" in [s.value for s in at.subheader]
    model, task = model_of(at, "sentiment"), load_task("sentiment")
    pick = S.pick_unit(model, task, "prediction")
    said = " ".join(m.value for m in at.markdown)
    assert f"**Unit {pick.unit}** follows the predicted probability of “positive”" in said
    seq = task.encoder.encode(SENTENCE)
    plain = model.trace(seq).probs
    held = model.trace(seq, clamp=Clamp(-1, pick.unit, 1.0)).probs  # the default: clamp at 1
    shown = metrics(at)
    c = int(plain[-1].argmax())
    assert shown["As trained"] == f"{task.class_names[c]} {plain[-1, c]:.0%}"
    c = int(held[-1].argmax())
    assert shown[f"Unit {pick.unit} held at 1"] == f"{task.class_names[c]} {held[-1, c]:.0%}"
    (fig,) = titled(at, "as it reads, with and without")
    lines = {tr["name"]: decode(tr["y"]) for tr in fig["data"] if tr.get("name")}
    np.testing.assert_allclose(lines["as trained"], plain[:, 1], rtol=1e-6)
    np.testing.assert_allclose(lines[f"unit {pick.unit} held at 1"], held[:, 1], rtol=1e-6)
    assert np.abs(plain[:, 1] - held[:, 1]).max() > 0.05  # the default steer shows a change


def test_the_link_picks_the_unit_and_ablates_it():
    sentence = "the food is not awful"
    model, task = model_of(run_app(sentence=sentence), "sentiment"), load_task("sentiment")
    seq = task.encoder.encode(sentence)
    plain = model.trace(seq).probs[:, 1]
    effect = [np.abs(model.trace(seq, clamp=ablate(-1, u)).probs[:, 1] - plain).max() for u in
              range(model.config.hidden_size)]  # fmt: skip
    unit = int(np.argmax(effect))  # the unit whose ablation this sentence feels most
    assert effect[unit] > 0.05
    at = run_app(sentence=sentence, steer_unit=str(unit), steer_mode="ablate")
    no_exceptions(at)
    assert at.selectbox(key="steer_unit").value == str(unit)
    assert at.selectbox(key="steer_track").disabled  # no auto: nothing to track
    assert at.select_slider(key="steer_value").disabled  # ablation holds at 0
    probs = model.trace(seq, clamp=ablate(-1, unit)).probs
    c = int(probs[-1].argmax())
    assert metrics(at)[f"Unit {unit} ablated"] == f"{task.class_names[c]} {probs[-1, c]:.0%}"
    (fig,) = titled(at, "as it reads, with and without")
    lines = {tr["name"]: decode(tr["y"]) for tr in fig["data"] if tr.get("name")}
    np.testing.assert_allclose(lines[f"unit {unit} ablated"], probs[:, 1], rtol=1e-6)
    np.testing.assert_allclose(lines["as trained"], plain, rtol=1e-6)


@pytest.mark.parametrize(
    "query",
    [
        {"steer_unit": "999", "steer_value": "0.3", "steer_mode": "zap", "steer_track": "x"},
        {"steer_unit": "-1", "steer_seed": "1e999", "steer_len": "NaN", "steer_temp": "inf"},
    ],
)
def test_unusable_link_values_fall_back_with_a_note(query):
    at = run_app(**query)
    no_exceptions(at)
    notes = " ".join(i.value for i in at.info)
    for key in query:
        if key in ("steer_seed", "steer_len", "steer_temp"):  # language models only
            continue
        assert key in notes
    for raw in query.values():
        assert raw not in notes  # the link's value is never echoed
    assert at.selectbox(key="steer_unit").value == "auto"
    assert at.segmented_control(key="steer_mode").value == "clamp"


def test_a_character_model_writes_two_samples_with_the_same_seed():
    at = run_app(task="chars", steer_mode="clamp", steer_value="-1", steer_len="100", timeout=200)
    no_exceptions(at)
    model, task = model_of(at, "chars"), load_task("chars")
    pick = S.pick_unit(model, task, "line length")
    prime = at.text_input(key="sentence").value
    clamp = Clamp(-1, pick.unit, -1.0)
    kw = {"temperature": 0.7}
    plain = sample(model, task.encoder, prime, 100, rng=np.random.default_rng(0), **kw)
    held = sample(model, task.encoder, prime, 100, rng=np.random.default_rng(0), clamp=clamp, **kw)
    assert plain != held
    shown = [m.value for m in at.markdown]
    assert S.plain_text_html(task.encoder.tokens(held), "char") in shown
    captions = [c.value for c in at.caption]
    assert S.text_stats(list(plain), "line length") in captions
    assert S.text_stats(list(held), "line length") in captions
    assert f"**Unit {pick.unit} held at -1**" in shown
    assert detokenize(task.encoder.tokens(plain), "char") == plain


def test_tasks_without_a_prediction_to_steer_have_no_section():
    at = run_app(task="sine")
    no_exceptions(at)
    assert "Steer a neuron" not in [s.value for s in at.subheader]


@pytest.mark.parametrize("value", NASTY, ids=short)
def test_nasty_link_values_in_every_steer_key(value):
    keys = [s.key for s in STEER_SETTINGS if s.key not in ("steer_len", "steer_temp", "steer_seed")]
    at = open_page("explore", **dict.fromkeys(keys, value))
    rows = {**STEER_BY_KEY, "steer_unit": unit_row(32), "steer_track": track_row(("prediction",))}
    bad = {k for k in keys if not rows[k].url_ok(value, Limits())}
    assert noted(at, r"The link's value for (.*) cannot be used") == bad
    assert "Steer a neuron" in [s.value for s in at.subheader]
    assert_not_echoed(at, value)


def test_nasty_link_values_for_a_language_model():
    keys = [s.key for s in STEER_SETTINGS]
    at = open_page("explore", task="chars", **dict.fromkeys(keys, "1e309"))
    assert noted(at, r"The link's value for (.*) cannot be used") == set(keys)
    assert at.number_input(key="steer_seed").value == 0
    assert at.select_slider(key="steer_len").value == 200
    assert [m for m in at.markdown if "rnnx-steered" in m.value]  # it still writes
