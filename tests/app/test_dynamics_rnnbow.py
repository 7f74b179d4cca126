"""The Dynamics lab's section 2, "Where the gradient comes from" (RNNbow), through AppTest."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from rnn_core.dynamics_grads import rnnbow_split
from rnn_core.model import RNNModel
from tests.app.conftest import no_exceptions, open_page, run_app, titled
from tests.app.test_hostile_urls import NASTY, messages
from tests.plotly_spec import decode
from ui.glue.dynamics_rnnbow import EXAMPLE, LAYER, SEQUENCE, SEQUENCES, TRUNCATE
from ui.glue.models import SessionModel, task
from ui.services.settings import TRUNCATIONS, url_number_ok
from ui.views.html import visible_token

TITLE = "Where each step's gradient comes from"


def bow_chart(at) -> dict:
    (fig,) = titled(at, TITLE)
    return fig


def bands(fig) -> list[dict]:
    return [t for t in fig["data"] if t["type"] == "bar"]


def stacked(fig) -> np.ndarray:
    """What the drawn bands add up to at each step."""
    T = len(fig["layout"]["xaxis"]["ticktext"]) if "ticktext" in fig["layout"]["xaxis"] else 0
    T = max(T, max(int(decode(b["x"]).max()) + 1 for b in bands(fig)))
    out = np.zeros(T)
    for b in bands(fig):
        np.add.at(out, decode(b["x"]).astype(int), decode(b["y"]).astype(np.float64))
    return out


def total_ticks(fig) -> np.ndarray:
    (tick,) = [t for t in fig["data"] if t.get("name", "").startswith("‖∂L/∂h_t‖")]
    return decode(tick["y"]).astype(np.float64)


def said(at) -> str:
    return " ".join(m.value for m in (*at.markdown, *at.info, *at.caption))


def test_chars_default_splits_the_explore_sentence_by_source():
    at = open_page("dynamics", task="chars")
    fig = bow_chart(at)
    example = task("chars").example
    # the model reads every character but the last and is scored on the next one
    assert fig["layout"]["xaxis"]["ticktext"] == ["␣" if ch == " " else ch for ch in example[:-1]]
    T = len(example) - 1
    assert len(bands(fig)) == T  # one band per source step
    np.testing.assert_allclose(stacked(fig), total_ticks(fig), rtol=1e-4)
    names = [b["name"] for b in bands(fig)]
    # what the loss at step 0 scores is the next character, whitespace made visible
    assert names[0] == f"from the loss at step 0, predicting '{visible_token(example[1])}'"
    assert "your sentence" in fig["layout"]["title"]["text"]
    text = said(at)
    assert "of the gradient comes from the losses at steps t to t +" in text
    assert "contribute less than 1% at every step" in text
    assert at.segmented_control(key=SEQUENCE).value == SEQUENCES[0]


def test_the_bands_sum_to_the_total_the_gradient_lab_shows_for_the_same_sequence():
    dyn = open_page("dynamics", task="chars", **{SEQUENCE: SEQUENCES[1], EXAMPLE: "0"})
    fig = bow_chart(dyn)
    assert "test sequence 0" in fig["layout"]["title"]["text"]
    lab = open_page("gradients", session={"current_task": "chars"}, measure="one sequence")
    (flow,) = titled(lab, "‖∂L/∂h_t‖ on the first test sequence")
    lab_total = decode(flow["data"][0]["y"]).astype(np.float64)
    assert lab_total.size == len(bands(fig)) == 64
    np.testing.assert_allclose(stacked(fig), lab_total, rtol=1e-4)
    np.testing.assert_allclose(total_ticks(fig), lab_total, rtol=1e-5)


def test_another_test_sequence_is_another_split():
    first = bow_chart(open_page("dynamics", task="copy"))
    other = bow_chart(open_page("dynamics", task="copy", **{EXAMPLE: "3"}))
    assert "test sequence 3" in other["layout"]["title"]["text"]
    assert not np.allclose(total_ticks(first), total_ticks(other))


def test_truncation_cuts_every_loss_off_k_steps_back():
    at = open_page("dynamics", task="chars", **{TRUNCATE: "2"})
    fig = bow_chart(at)
    for band in bands(fig):
        s = int(band["name"].split("step ")[1].split(",")[0])
        x, y = decode(band["x"]).astype(int), decode(band["y"])
        assert np.all(y[x < s - 2] == 0.0), band["name"]
        assert np.any(y[x >= s - 2] != 0.0), band["name"]
    np.testing.assert_allclose(stacked(fig), total_ticks(fig), rtol=1e-4)
    assert "each loss reaches back 2 steps" in said(at)


def test_sentiment_has_one_source_and_says_so():
    at = open_page("dynamics", task="sentiment")
    fig = bow_chart(at)
    (band,) = bands(fig)
    T = decode(band["x"]).size
    assert band["name"].startswith(f"from the loss at step {T - 1}, predicting '")
    (note,) = [i.value for i in at.info if "scored once" in i.value]
    assert "single band" in note and "pick *chars*, *words* or *copy* under Task" in note
    np.testing.assert_allclose(stacked(fig), total_ticks(fig), rtol=1e-5)


def test_hostile_link_values_get_a_note_and_the_defaults():
    at = open_page(
        "dynamics",
        task="copy",
        **{SEQUENCE: "<script>", EXAMPLE: "1e309", TRUNCATE: "🙂" * 9, LAYER: "7"},
    )
    notes = [i.value for i in at.info if "cannot be used" in i.value]
    assert len(notes) == 1
    for key in (SEQUENCE, EXAMPLE, TRUNCATE, LAYER):
        assert key in notes[0]
    assert "<script>" not in notes[0] and "🙂" not in notes[0]
    fig = bow_chart(at)
    assert "test sequence 0" in fig["layout"]["title"]["text"]
    assert at.number_input(key=EXAMPLE).value == 0
    assert at.selectbox(key=TRUNCATE).value == "full"


@pytest.mark.parametrize("name", ["chars", "copy"])
@pytest.mark.parametrize("value", NASTY)
def test_every_nasty_link_value_draws_the_section(name, value):
    """The hostile-URL table (tests/app/test_hostile_urls.py) in every key of the section,
    and in the sentence it reads: a chart, a note naming the keys, never the value."""
    keys = (SEQUENCE, EXAMPLE, TRUNCATE, LAYER)
    at = open_page("dynamics", task=name, sentence=value, **dict.fromkeys(keys, value))
    fig = bow_chart(at)
    np.testing.assert_allclose(stacked(fig), total_ticks(fig), rtol=1e-4, atol=1e-7)
    (note,) = [i.value for i in at.info if "cannot be used" in i.value]
    bad = [SEQUENCE, TRUNCATE, LAYER]
    last = len(task(name).data.test) - 1
    if name == "copy" and not url_number_ok(value, int, 0, last):  # "１２" is 12: usable
        bad.append(EXAMPLE)  # (chars reads the sentence: its test sequence is not drawn)
    assert sorted(bad) == sorted(note.split("for ")[1].split(" cannot")[0].split(", ")), note
    if len(value) > 3:
        assert value not in " ".join(m for m in messages(at)), value


def two_layer_chars() -> SessionModel:
    built = task("chars")
    cfg = dataclasses.replace(
        built.default_config.model_config(built.data), hidden_size=12, num_layers=2
    )
    model = RNNModel.create(cfg, np.random.default_rng(3))
    return SessionModel("chars", model, built.default_config, "trained here", 0, {})


def layer_norms(sm: SessionModel, layer: int) -> np.ndarray:
    """‖∂L/∂h_t‖ of one layer on test sequence 0, as the trainer reports it."""
    test = task("chars").data.test
    x, y = test.inputs[:1], test.targets[:1]
    _, _, info = sm.model.copy(np.float64).loss_and_grads(x, y, test.mask[:1])
    return np.asarray(info.dh_norm[layer][0], np.float64)


@pytest.mark.parametrize(("asked", "shown"), [(None, 2), ("1", 1), ("2", 2), ("3", 2)])
def test_a_two_layer_model_splits_the_layer_asked_for(asked, shown):
    sm = two_layer_chars()
    query = {"task": "chars", SEQUENCE: SEQUENCES[1]} | ({LAYER: asked} if asked else {})
    at = open_page("dynamics", session={"models": {"chars": sm}}, **query)
    assert at.segmented_control(key=LAYER).value == shown
    fig = bow_chart(at)
    np.testing.assert_allclose(total_ticks(fig), layer_norms(sm, shown - 1), rtol=1e-5)
    np.testing.assert_allclose(stacked(fig), total_ticks(fig), rtol=1e-4, atol=1e-7)
    noted = any(LAYER in i.value and "cannot be used" in i.value for i in at.info)
    assert noted == (asked == "3")


def test_the_split_is_computed_once_per_sequence_and_setting(monkeypatch):
    from ui.glue import dynamics_rnnbow as section

    calls = []

    def counted(*args, **kwargs):
        calls.append(kwargs.get("truncate"))
        return rnnbow_split(*args, **kwargs)

    monkeypatch.setattr(section, "rnnbow_split", counted)
    at = open_page("dynamics", task="chars")
    at.run()  # a rerun that changes nothing
    assert calls == [None]
    at.selectbox(key=TRUNCATE).set_value("5").run()
    assert calls == [None, 5]
    at.selectbox(key=TRUNCATE).set_value("full").run()  # seen before: from the cache
    assert calls == [None, 5]
    # at most KEEP splits are kept: after KEEP others, the first is computed again
    for k in [t for t in TRUNCATIONS if t not in ("full", "5")]:
        at.selectbox(key=TRUNCATE).set_value(k).run()
    at.segmented_control(key=SEQUENCE).set_value(SEQUENCES[1]).run()
    assert len(calls) == 2 + len(TRUNCATIONS) - 2 + 1 == section.KEEP + 1
    at.segmented_control(key=SEQUENCE).set_value(SEQUENCES[0]).run()
    at.selectbox(key=TRUNCATE).set_value("full").run()
    assert len(calls) == section.KEEP + 2 and calls[-1] is None


def test_the_sentence_typed_on_explore_is_the_one_split_here():
    at = run_app(task="chars")
    at.text_input(key="sentence").set_value("Juliet sleeps.").run()
    at.switch_page("app_pages/dynamics.py").run()
    no_exceptions(at)
    fig = bow_chart(at)
    assert fig["layout"]["xaxis"]["ticktext"] == list("Juliet␣sleeps")
    assert bands(fig)[-1]["name"] == "from the loss at step 12, predicting '.'"
    assert any("14 tokens" in c.value for c in at.caption)
