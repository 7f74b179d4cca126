"""Explore's Write (language models) through AppTest: Generate writes text from the prime, the
probabilities on screen are the model's, temperature 0 is argmax, a seed reproduces, the
settings come from the link (unusable ones noted, never echoed), other tasks have no Write."""

from __future__ import annotations

import html
import re

import numpy as np
import pytest

from rnn_core.tasks import PAD_ID, UNK_ID, load_task
from rnn_core.tasks.text import detokenize
from tests.app.conftest import no_exceptions, run_app, titled
from tests.plotly_spec import decode
from ui.views.html import visible_token

GEN = re.compile(r'<span class="rnnx-gen" data-p="([\d.]+)" style="[^"]*" title="([^"]*)">')


def written_block(at) -> str:
    blocks = [m.value for m in at.markdown if 'class="rnnx-written' in m.value]
    assert len(blocks) == 1, "one written text"
    return blocks[0]


def shown_probs(at) -> np.ndarray:
    return np.array([float(p) for p, _ in GEN.findall(written_block(at))])


def generation(at):
    return at.session_state["write"]["shown"][1].gen


def model(at, task: str):
    return at.session_state["models"][task].model


def test_generate_writes_text_from_the_prime_with_the_models_probabilities():
    at = run_app(task="chars")
    no_exceptions(at)
    assert at.text_input(key="prime").value == "Romeo."
    first = generation(at)  # written on the first visit, from the defaults, without a click
    np.testing.assert_array_equal(first.prime_ids, load_task("chars").encoder.encode("Romeo."))
    at.button(key="write_generate").click().run()
    no_exceptions(at)
    gen = generation(at)
    enc = load_task("chars").encoder
    np.testing.assert_array_equal(gen.prime_ids, enc.encode("Romeo."))
    assert len(gen.ids) == 200 == len(shown_probs(at))
    # what the page shows is what the model gives: a trace of the whole text, independently
    probs = model(at, "chars").trace(gen.all_ids).probs
    P = len(gen.prime_ids)
    expected = probs[np.arange(P - 1, P - 1 + len(gen.ids)), gen.ids]
    np.testing.assert_allclose(shown_probs(at), expected, atol=2e-6)
    # each token's hover names the model's top 5 at that step, most probable first
    titles = [html.unescape(t) for _, t in GEN.findall(written_block(at))]
    for i in (0, 57, 199):
        best = np.argsort(-probs[P - 1 + i])[:5]
        listed = re.findall(r"‘(.+?)’ ([\d.]+)", titles[i].split("\n", 1)[1])
        assert [a for a, _ in listed] == [visible_token(enc.vocab[j]) for j in best]
        np.testing.assert_allclose([float(q) for _, q in listed], probs[P - 1 + i, best], atol=6e-4)
    # the prime's characters are shown, unmarked by probability
    block = written_block(at)
    assert "".join(re.findall(r'<span class="rnnx-prime"[^>]*>(.*?)</span>', block)) == "Romeo."
    # the heatmap of prime + written text is the model's hidden state, every token a column
    (fig,) = titled(at, "Prime + written text")
    z = decode(fig["data"][0]["z"])
    np.testing.assert_allclose(z, model(at, "chars").trace(gen.all_ids).hs[0].T, atol=1e-6)
    assert len(fig["layout"]["xaxis"]["ticktext"]) == P + 200
    assert fig["layout"]["shapes"][0]["x0"] == P - 0.5  # the end of the prime, marked
    words = [c.value for c in at.caption if "characters written" in c.value]
    assert words and "200 characters written at temperature 0.7" in words[0]


def test_temperature_zero_is_argmax_and_a_seed_reproduces():
    link = {"task": "chars", "prime": "Juliet.", "length": "80", "temperature": "0"}
    at = run_app(**link)  # a link with Write values shows its text without a click
    no_exceptions(at)
    gen = generation(at)
    probs = model(at, "chars").trace(gen.all_ids).probs[len(gen.prime_ids) - 1 : -1]
    probs[:, [PAD_ID, UNK_ID]] = 0.0
    np.testing.assert_array_equal(gen.ids, probs.argmax(axis=1))
    assert at.select_slider(key="temperature").value == "0"
    assert any("at temperature 0 (always" in c.value for c in at.caption)

    sampled = {**link, "temperature": "1", "write_seed": "42"}
    a, b = run_app(**sampled), run_app(**sampled)
    assert written_block(a) == written_block(b)  # same link, same text, same colours
    assert not np.array_equal(generation(a).ids, gen.ids)
    c = run_app(**{**sampled, "write_seed": "43"})
    assert written_block(c) != written_block(a)
    # "Another" takes the next seed: the text a link with that seed gives
    a.button(key="write_again").click().run()
    no_exceptions(a)
    assert a.number_input(key="write_seed").value == 43
    np.testing.assert_array_equal(generation(a).ids, generation(c).ids)


def test_words_are_written_with_spaces_and_a_changed_setting_asks_for_generate():
    at = run_app(task="words", prime="o romeo", length="30", write_seed="3")
    no_exceptions(at)
    gen = generation(at)
    enc = load_task("words").encoder
    assert len(gen.ids) == 30 == len(shown_probs(at))
    spans = re.findall(r'class="rnnx-(?:gen|prime)"[^>]*>(.*?)</span>', written_block(at))
    assert spans[:2] == ["o", "romeo"] and len(spans) == 32
    text = re.sub(r"<[^>]+>", "", written_block(at))
    assert html.unescape(text) == detokenize(enc.decode(gen.all_ids), "word")
    at.select_slider(key="temperature").set_value("2").run()
    assert any("changed since" in c.value for c in at.caption)  # still the old text
    np.testing.assert_array_equal(generation(at).ids, gen.ids)


@pytest.mark.parametrize("value", ["", "-3", "1e309", "9" * 400, "x" * 300, "a\x00b", "🙂"])
def test_unusable_write_links_fall_back_with_a_note(value):
    keys = ("prime", "length", "temperature", "write_seed")
    at = run_app(task="chars", **dict.fromkeys(keys, value))
    no_exceptions(at)
    notes = [i.value for i in at.info if "The link's value for" in i.value]
    prime_ok = len(value) <= 200 and value.isprintable()
    bad = {"length", "temperature", "write_seed"} | (set() if prime_ok else {"prime"})
    assert len(notes) == 1 and set(re.search(r"for (.*) cannot", notes[0])[1].split(", ")) == bad
    if len(value) >= 4:
        assert value not in notes[0]
    assert at.number_input(key="length").value == 200
    assert at.select_slider(key="temperature").value == "0.7"
    assert at.number_input(key="write_seed").value == 0
    assert at.text_input(key="prime").value == (value if prime_ok else "Romeo.")


def test_tasks_that_are_not_language_models_have_no_write():
    at = run_app(task="sentiment", prime="Romeo.", temperature="0")
    no_exceptions(at)
    assert "Write" not in [h.value for h in at.subheader]
    assert not [b for b in at.button if b.key == "write_generate"]


def test_an_exercise_link_locks_the_temperature_and_hides_the_prime():
    """A teacher's link: the class writes at temperature 0 from a prime it cannot see."""
    at = run_app(task="chars", temperature="0", prime="Nurse.", lock="temperature", hide="prime")
    no_exceptions(at)
    slider = at.select_slider(key="temperature")
    assert slider.disabled and slider.value == "0" and slider.label.startswith("🔒")
    assert not [t for t in at.text_input if t.key == "prime"]  # hidden
    gen = generation(at)
    np.testing.assert_array_equal(gen.prime_ids, load_task("chars").encoder.encode("Nurse."))
    assert gen.temperature == 0.0
    at.button(key="write_again").click().run()  # another seed: still argmax, still "Nurse."
    no_exceptions(at)
    assert generation(at).temperature == 0.0
    np.testing.assert_array_equal(generation(at).prime_ids, gen.prime_ids)
