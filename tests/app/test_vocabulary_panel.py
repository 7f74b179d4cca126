"""Explore's "See the vocabulary" through AppTest: unknown words with the nearest known ones,
the list of known words with their training counts, its search."""

from __future__ import annotations

import re

from rnn_core.tasks import load_task
from tests.app.conftest import no_exceptions, run_app
from ui.glue.state import VOCAB_FIX, VOCAB_OPEN, VOCAB_SEARCH
from ui.views.vocabulary import Vocabulary

TINY = "sentiment-tiny"


def html_blocks(at, css_class: str) -> list[str]:
    return [m.value for m in at.markdown if f'class="{css_class}"' in m.value]


def table_rows(at) -> list[tuple[str, int]]:
    """(word, count) of every row of the vocabulary table on the page."""
    (table,) = html_blocks(at, "rnnx-vocab-table")
    cells = re.findall(r'<span role="cell"[^>]*>([^<]*)</span>', table)
    return [(w, int(n.replace(",", ""))) for w, n in zip(cells[::2], cells[1::2], strict=True)]


def vocab_expander(at):
    (box,) = [e for e in at.expander if e.label.startswith("See the vocabulary")]
    return box


def test_unknown_words_are_marked_with_the_nearest_known_words():
    at = run_app(task=TINY, sentence="the fod is not bda 😀")
    no_exceptions(at)
    (block,) = html_blocks(at, "rnnx-vocab-unknowns")
    lines = block.split('class="rnnx-vocab-line"')[1:]
    assert len(lines) == 3  # fod, bda, then the emoji
    assert ">fod</span>" in lines[0] and ">food</span>" in lines[0]
    assert ">bda</span>" in lines[1] and ">bad</span>" in lines[1] and "(1 edit)" in lines[1]
    assert "😀" in lines[2] and "not words" in lines[2]


def test_no_suggestions_when_every_word_is_known():
    at = run_app(task=TINY, sentence="the food is not bad")
    no_exceptions(at)
    assert html_blocks(at, "rnnx-vocab-unknowns") == []
    assert vocab_expander(at).label.startswith("See the vocabulary")  # still there, closed
    assert html_blocks(at, "rnnx-vocab-table") == []  # and not drawn until opened


def test_the_list_shows_every_known_word_with_its_training_count():
    task = load_task(TINY)
    vocab = Vocabulary.of(task)
    at = run_app(task=TINY, sentence="the food is not bad")
    assert "the words this model knows" in vocab_expander(at).label
    at.session_state[VOCAB_OPEN] = True  # as a click on the expander does
    at.run()
    no_exceptions(at)
    (caption,) = html_blocks(at, "rnnx-vocab-caption")
    assert f"All {len(vocab)} words, each with the times it was read in training" in caption
    rows = table_rows(at)
    assert rows == list(zip(vocab.tokens, vocab.counts.tolist(), strict=True))
    train = task.data.train
    not_id = task.encoder.encode(["not"])[0]
    assert dict(rows)["not"] == int((train.inputs[train.mask] == not_id).sum())


def test_the_search_narrows_the_list_and_suggests_spellings():
    at = run_app(task=TINY, sentence="the food is not bad")
    at.session_state[VOCAB_OPEN] = True
    at.run()
    at.text_input(key=VOCAB_SEARCH).input("BO").run()
    no_exceptions(at)
    words = [w for w, _ in table_rows(at)]
    assert words and all("bo" in w for w in words) and "boring" in words
    at.text_input(key=VOCAB_SEARCH).input("bda").run()
    assert html_blocks(at, "rnnx-vocab-table") == []
    (caption,) = html_blocks(at, "rnnx-vocab-caption")
    assert "No known word contains “bda”" in caption and "bad (1 edit" in caption
    at.text_input(key=VOCAB_SEARCH).input("<b>**x**</b>").run()
    no_exceptions(at)
    (caption,) = html_blocks(at, "rnnx-vocab-caption")
    assert "&lt;b&gt;**x**&lt;/b&gt;" in caption  # shown as typed, never as markup


def test_character_tasks_list_characters_and_number_tasks_none():
    at = run_app(task="chars", sentence="O Romeo")
    no_exceptions(at)
    assert "characters this model knows" in vocab_expander(at).label
    at = run_app(task="adding")
    no_exceptions(at)
    assert [e for e in at.expander if e.label.startswith("See the vocabulary")] == []


def test_a_click_puts_the_known_word_in_the_sentence():
    at = run_app(task=TINY, sentence="The fod is not BDA bda", sentence_b="the fod is good")
    pills = at.button_group(key=VOCAB_FIX)
    labels = list(pills.options)
    assert labels == ["fod → food", "bda → bad"]
    pills.set_value(1).run()
    no_exceptions(at)
    assert at.text_input(key="sentence").value == "The fod is not bad bad"  # every "bda"
    assert at.text_input(key="sentence_b").value == "the fod is good"  # it had none
    assert at.button_group(key=VOCAB_FIX).value is None  # ready for the next click
    at.button_group(key=VOCAB_FIX).set_value(0).run()
    assert at.text_input(key="sentence").value == "The food is not bad bad"
    assert at.text_input(key="sentence_b").value == "the food is good"
    assert html_blocks(at, "rnnx-vocab-unknowns") == []  # nothing unknown is left


def test_a_locked_sentence_gets_no_replacements():
    at = run_app(task=TINY, sentence="the fod is not bad", lock="sentence")
    no_exceptions(at)
    assert html_blocks(at, "rnnx-vocab-unknowns")  # the suggestions are still shown
    assert [b for b in at.button_group if b.key == VOCAB_FIX] == []
