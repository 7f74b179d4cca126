"""The Explore page through AppTest: URL-driven, every view drawn, bad input handled."""

from __future__ import annotations

import numpy as np
import pytest

from rnn_core import probes
from rnn_core.model import ModelConfig, RNNModel
from rnn_core.tasks import TASKS, load_task, tokenize
from tests.app.conftest import figures, no_exceptions, run_app, titled
from tests.plotly_spec import decode
from ui.glue.models import SessionModel
from ui.views import analysis, explore_figures, explore_text
from ui.views.html import display_token
from ui.views.inputs import MAX_TOKENS

SENTENCE = "this movie is not bad at all"


def heatmap(at) -> dict:
    """The first hidden-state heatmap on the page."""
    figs = titled(at, "hidden state")
    assert figs, "no hidden-state heatmap"
    return figs[0]


def heat_z(fig) -> np.ndarray:
    return decode(fig["data"][0]["z"])


def ticks(fig) -> list[str]:
    return list(fig["layout"]["xaxis"]["ticktext"])


def test_the_app_opens_on_explore_with_a_trained_default_model():
    at = run_app()
    no_exceptions(at)
    assert at.title[0].value == "Explore"
    assert at.text_input(key="sentence").value == SENTENCE
    fig = heatmap(at)
    H = 32  # the default sentiment model's hidden size
    assert heat_z(fig).shape == (H, len(tokenize(SENTENCE)))
    assert ticks(fig) == tokenize(SENTENCE)
    sidebar = " ".join(m.value for m in at.sidebar.markdown)
    assert f"**{load_task('sentiment').title}**" in sidebar  # the sidebar names the task
    assert f"{H} units" in sidebar  # and describes its model
    accuracy = [m for m in at.sidebar.metric if m.label == "Test accuracy"]
    assert accuracy and float(accuracy[0].value.rstrip("%")) >= 97.0
    # Every view is drawn: heatmap, prediction, unit changes, trajectory, saliency.
    assert len(figures(at)) >= 5


def test_the_url_drives_the_page():
    at = run_app(sentence="this is not bad", task="sentiment")
    no_exceptions(at)
    fig = heatmap(at)
    assert ticks(fig) == ["this", "is", "not", "bad"]
    assert heat_z(fig).shape == (32, 4)
    assert at.selectbox(key="task").value == "sentiment"


def test_the_heatmap_is_the_models_hidden_state():
    at = run_app(sentence="the food is not awful", task="sentiment-tiny")
    no_exceptions(at)
    sm = at.session_state["models"]["sentiment-tiny"]
    task = load_task("sentiment-tiny")
    trace = sm.model.trace(task.encoder.encode("the food is not awful"))
    z = heat_z(heatmap(at))
    np.testing.assert_allclose(z, trace.hs[0].T, rtol=1e-6, atol=1e-6)
    # "not awful" reads as positive, and the page says so.
    said = " ".join(m.value for m in at.markdown)
    assert "**positive**" in said


def test_prediction_lines_follow_the_readout():
    at = run_app(sentence="this is not bad")
    (fig,) = titled(at, "Prediction")
    lines = [decode(tr["y"]) for tr in fig["data"] if tr.get("mode", "").startswith("lines")]
    assert len(lines) == 2  # negative, positive
    np.testing.assert_allclose(lines[0] + lines[1], 1.0, atol=1e-5)


def test_empty_sentence_gets_a_friendly_prompt_and_no_charts():
    at = run_app(sentence="", task="sentiment")
    no_exceptions(at)
    assert any("empty" in i.value for i in at.info)
    assert figures(at) == []


def test_whitespace_only_is_empty_too():
    at = run_app(sentence="   ")
    no_exceptions(at)
    assert any("empty" in i.value for i in at.info)


def test_long_input_is_cut_with_a_notice():
    at = run_app(sentence="good " * 260)
    no_exceptions(at)
    assert any(f"first {MAX_TOKENS} tokens" in w.value for w in at.warning)
    assert heat_z(heatmap(at)).shape == (32, MAX_TOKENS)


def test_unknown_words_and_emoji():
    at = run_app(sentence="qwerty 😀 zzz")
    no_exceptions(at)
    assert any("<unk>" in w.value for w in at.warning)  # only unknown words: said so
    assert ticks(heatmap(at)) == [display_token(t) for t in ["qwerty", "😀", "zzz"]]
    at = run_app(sentence="this movie is not bad 😀")
    no_exceptions(at)
    assert any("vocabulary" in c.value for c in at.caption)


def test_markup_is_shown_literally_never_executed():
    evil = '<script>alert("x")</script> <img src=x onerror=alert(1)> good'
    at = run_app(sentence=evil)
    no_exceptions(at)
    html_blocks = [m.value for m in at.markdown if "<span" in m.value or "<div" in m.value]
    assert html_blocks, "token chips and neuron text are rendered as HTML"
    for block in html_blocks:
        assert "<script" not in block and "<img" not in block
        assert "&lt;" in block  # the angle brackets are there, escaped
    assert "&lt;" in " ".join(ticks(heatmap(at)))  # tick text escaped too


def test_unknown_task_in_the_url_falls_back_with_a_note():
    at = run_app(task="no-such-task", sentence="this is good")
    no_exceptions(at)
    assert at.selectbox(key="task").value == "sentiment"
    assert any("does not have" in i.value for i in at.info)


@pytest.mark.parametrize("name", [n for n in TASKS if n != "sentiment"])
def test_every_task_explores(name):
    at = run_app(task=name)
    no_exceptions(at)
    task = load_task(name)
    figs = figures(at)
    assert len(figs) >= 5
    fig = heatmap(at)
    if task.encoder is not None:
        assert ticks(fig) == [display_token(t) for t in task.encoder.tokens(task.example)]
    else:  # dense tasks pick a test sequence
        assert at.number_input(key="example").value == 0
        T = int(task.data.test.mask[0].sum())
        assert heat_z(fig).shape[1] == T


def test_an_lstm_with_two_layers_shows_each_state_per_layer():
    """A session's own model (as the Train page will make): h, c and gates for each layer."""
    task = load_task("sentiment-tiny")
    cfg = ModelConfig(
        cell="lstm", hidden_size=8, num_layers=2, input_size=len(task.encoder), output_size=2
    )
    model = RNNModel.create(cfg, np.random.default_rng(0))
    from streamlit.testing.v1 import AppTest

    from tests.app.conftest import APP

    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["task"] = "sentiment-tiny"
    at.session_state["models"] = {
        "sentiment-tiny": SessionModel(
            "sentiment-tiny", model, task.default_config, "trained here", 0, {}
        )
    }
    at.run()
    no_exceptions(at)
    (show,) = [b for b in at.get("button_group") if b.label == "Show"]
    assert list(show.proto.options) and show.value == "h"
    assert [o.content for o in show.proto.options] == [
        "hidden",
        "cell",
        "input",
        "forget",
        "candidate",
        "output",
    ]
    assert len(titled(at, "h · hidden state")) == 2  # one heatmap per layer
    layer2 = titled(at, "Layer 2 · h")
    assert layer2 and heat_z(layer2[0]).shape == (8, len(task.encoder.tokens(task.example)))
    show.set_value("f").run()
    no_exceptions(at)
    assert [f["layout"]["title"]["text"] for f in titled(at, "forget gate")] == [
        "Layer 1 · f · forget gate",
        "Layer 2 · f · forget gate",
    ]
    assert any("trained here" in c.value for c in at.sidebar.caption)


def test_compare_two_sentences():
    """Issue 13 #16: the difference view lines the sentences up word for word ("not" is a
    gap, "good" meets "good"), where it used to compare "not" with "good" and drop a token."""
    at = run_app(sentence="this is good", sentence_b="this is not good")
    no_exceptions(at)
    diff = titled(at, "Difference of hidden states (B − A)")
    assert len(diff) == 1, "one difference heatmap"
    sm = at.session_state["models"]["sentiment"]
    task = load_task("sentiment")
    a = sm.model.trace(task.encoder.encode("this is good")).hs[-1]
    b = sm.model.trace(task.encoder.encode("this is not good")).hs[-1]
    assert ticks(diff[0]) == ["this / this", "is / is", "— / not", "good / good"]
    z = decode(diff[0]["data"][0]["z"])
    assert z.shape == (32, 4)
    assert np.isnan(z[:, 2]).all()  # the gap: only B read "not"
    want = (b[[0, 1, 3]] - a[[0, 1, 2]]).T  # good (A's 3rd) against good (B's 4th)
    # rows follow the page's unit order; compare as sets of rows via sorting each column
    np.testing.assert_allclose(np.sort(z[:, [0, 1, 3]], axis=0), np.sort(want, axis=0), atol=1e-5)
    (traj,) = titled(at, "PCA of the training states")
    ends = [tr for tr in traj["data"] if tr.get("marker", {}).get("symbol") == "star"]
    assert len(ends) == 2  # both sentences drawn, each ending in a star


def test_reruns_keep_the_session_model():
    at = run_app(sentence="this is good")
    first = at.session_state["models"]["sentiment"]
    at.text_input(key="sentence").set_value("this is not good").run()
    no_exceptions(at)
    assert at.session_state["models"]["sentiment"] is first
    assert ticks(heatmap(at)) == ["this", "is", "not", "good"]


# ----------------------------------------------------------------------------- issue 13


def test_the_default_sentence_survives_explore_learn_explore():
    """Issue 13 #1: the untouched default sentence used to vanish on a page change (Learn
    said the sentence is empty, and back on Explore both boxes were empty)."""
    at = run_app()
    assert at.text_input(key="sentence").value == SENTENCE
    at.switch_page("app_pages/learn.py").run()
    no_exceptions(at)
    assert at.title[0].value == "Learn"
    assert at.text_input(key="sentence").value == SENTENCE
    assert not any("empty" in i.value for i in at.info)
    at.switch_page("app_pages/explore.py").run()
    no_exceptions(at)
    assert at.text_input(key="sentence").value == SENTENCE
    assert ticks(heatmap(at)) == tokenize(SENTENCE)


def test_a_link_opens_a_gate():
    """Issue 13 #9: the state shown (h or a gate) is in the link: ?state=update."""
    at = run_app(state="update")
    no_exceptions(at)
    (show,) = [b for b in at.get("button_group") if b.label == "Show"]
    assert show.value == "z"
    assert titled(at, "·")[0]["layout"]["title"]["text"] == "z · update gate"
    assert titled(at, "h · hidden state") == []


def test_a_link_picks_the_unit():
    """Issue 13 #9: the followed unit is in the link: ?unit=5 (not the busiest unit)."""
    at = run_app()
    busiest = at.selectbox(key="unit").value
    other = 5 if busiest != 5 else 6
    at = run_app(unit=str(other))
    no_exceptions(at)
    assert at.selectbox(key="unit").value == other


@pytest.mark.parametrize("value", ["hidden state", "g", "99", "-1", "<b>x</b>"])
def test_unusable_state_and_unit_links_fall_back_with_a_note(value):
    at = run_app(state=value, unit=value)
    no_exceptions(at)
    notes = [i.value for i in at.info if "The link's value for" in i.value]
    assert len(notes) == 1 and "state, unit" in notes[0]
    if len(value) >= 4:  # shorter values turn up inside ordinary words
        assert value not in notes[0]
    (show,) = [b for b in at.get("button_group") if b.label == "Show"]
    assert show.value == "h"
    assert titled(at, "h · hidden state")


@pytest.mark.parametrize("name", ["chars", "parity", "copy", "words"])
def test_hints_come_from_the_task(name):
    """Issue 13 #15: no sentiment words ("not", "this is good") on other tasks."""
    at = run_app(task=name)
    no_exceptions(at)
    placeholder = at.text_input(key="sentence_b").placeholder
    tip = [c.value for c in at.caption if c.value.startswith("Tip:")]
    assert len(tip) == 1
    texts = [placeholder, tip[0], *(m.value for m in at.markdown)]
    for text in texts:
        for word in ("“not”", "this is good", "sentiment words", "negation"):
            assert word not in text, (name, word, text)
    from ui.views.inputs import HINTS

    a, b = HINTS[name].compare
    assert b in placeholder and f"“{a}” against “{b}”" in tip[0]


def test_sentiment_keeps_its_hints():
    at = run_app()
    assert "this is not good" in at.text_input(key="sentence_b").placeholder
    assert any("“this is good” against “this is not good”" in c.value for c in at.caption)


# ----------------------------------------------------------------------------- pure parts


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_every_state_a_cell_shows_has_a_title_and_a_link_word(cell):
    """The heatmaps of ui/views/explore_figures.py: one per layer, titled from the words of
    ui/views/explore_text.py, for every state the "Show" control offers."""
    task = load_task("sentiment-tiny")
    cfg = ModelConfig(
        cell=cell, hidden_size=4, num_layers=2, input_size=len(task.encoder), output_size=2
    )
    model = RNNModel.create(cfg, np.random.default_rng(0))
    tokens = task.encoder.tokens("the food is good")
    trace = model.trace(task.encoder.encode(tokens))
    views = analysis.state_views(cfg, trace, 0)
    assert set(views) <= set(explore_text.STATE_NAMES)
    assert set(views) <= set(explore_text.STATE_WORDS)
    for shown in views:
        figs = explore_figures.state_heatmaps(cfg, trace, shown, "final", tokens)
        titles = [f.layout.title.text for f in figs]
        assert titles == [f"Layer {i} · {explore_text.STATE_NAMES[shown]}" for i in (1, 2)]
        values, _ = analysis.state_views(cfg, trace, 1)[shown]  # layer 2, rows in its order
        order = probes.unit_order(trace.hs[1], "final")
        np.testing.assert_allclose(np.asarray(figs[1].data[0].z), values.T[order], rtol=1e-6)


def test_short_cuts_a_sentence_to_one_line():
    assert explore_text.short(["not", "bad"]) == "not bad"
    cut = explore_text.short(["word"] * 20)
    assert len(cut) == 32 and cut.endswith("…") and cut.startswith("word word")


def test_comparison_lines_the_sentences_up_in_one_unit_order():
    task = load_task("sentiment-tiny")
    cfg = ModelConfig(cell="gru", hidden_size=6, input_size=len(task.encoder), output_size=2)
    model = RNNModel.create(cfg, np.random.default_rng(1))
    a, b = ["the", "food", "is", "good"], ["the", "food", "is", "not", "good"]
    ta, tb = (model.trace(task.encoder.encode(t)) for t in (a, b))
    both = explore_figures.comparison(cfg, "final", (ta, a), (tb, b))
    assert both.gaps == 1
    rows = [list(h.layout.yaxis.ticktext) for h in both.heatmaps]
    assert rows[0] == rows[1] == list(both.difference.layout.yaxis.ticktext)
    assert [h.layout.title.text for h in both.heatmaps] == [
        "h_t · “the food is good”",
        "h_t · “the food is not good”",
    ]
    assert list(both.difference.layout.xaxis.ticktext)[3] == "— / not"
