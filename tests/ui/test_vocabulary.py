"""ui.views.vocabulary: training counts, the search, and the nearest known words by spelling."""

from __future__ import annotations

import itertools
from collections import Counter

import numpy as np
import pytest

from rnn_core.tasks import PAD, UNK, load_task
from ui.views.vocabulary import (
    MAX_SHOWN,
    Vocabulary,
    caption_html,
    edit_distances,
    fixes,
    max_edits,
    replace_word,
    search_caption,
    table_html,
    unknown_html,
)


@pytest.fixture(scope="module")
def tiny():
    return load_task("sentiment-tiny")


@pytest.fixture(scope="module")
def vocab(tiny):
    return Vocabulary.of(tiny)


def osa(a: str, b: str) -> int:
    """Optimal string alignment distance, the textbook way (one cell at a time)."""
    d = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a) + 1):
        d[i][0] = i
    for j in range(len(b) + 1):
        d[0][j] = j
    for i, j in itertools.product(range(1, len(a) + 1), range(1, len(b) + 1)):
        d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] != b[j - 1]))
        if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
            d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[len(a)][len(b)]


def as_codes(words: list[str]) -> tuple[np.ndarray, np.ndarray]:
    lengths = np.array([len(w) for w in words])
    codes = np.full((len(words), max(lengths.max(), 1)), -1, dtype=np.int32)
    for r, w in enumerate(words):
        codes[r, : len(w)] = [ord(c) for c in w]
    return codes, lengths


def test_edit_distances_match_the_textbook_table():
    rng = np.random.default_rng(0)
    letters = list("abcde")  # few letters: many swaps, repeats and near misses
    words = ["".join(rng.choice(letters, rng.integers(0, 7))) for _ in range(300)]
    codes, lengths = as_codes(words)
    for query in ["", "a", "ab", "ba", "abcde", "edcba", "aabbcc", *words[:40]]:
        got = edit_distances(query, codes, lengths)
        want = [osa(query, w) for w in words]
        np.testing.assert_array_equal(got, want, err_msg=query)


def test_edit_distance_counts_one_edit_each():
    codes, lengths = as_codes(["loved", "the", "terrible", "service"])
    assert list(edit_distances("lovd", codes[:1], lengths[:1])) == [1]  # a deletion
    assert list(edit_distances("teh", codes[1:2], lengths[1:2])) == [1]  # a swap
    assert list(edit_distances("terible", codes[2:3], lengths[2:3])) == [1]
    assert list(edit_distances("servise", codes[3:], lengths[3:])) == [1]  # a substitution


def test_counts_are_the_tokens_read_in_training(tiny, vocab):
    train = tiny.data.train
    read = Counter(tiny.encoder.decode(train.inputs[train.mask]))
    assert len(vocab) == len(tiny.encoder) - 2  # all but <pad> and <unk>
    assert PAD not in vocab.tokens and UNK not in vocab.tokens
    assert dict(zip(vocab.tokens, vocab.counts.tolist(), strict=True)) == {
        t: read[t] for t in vocab.tokens
    }
    assert list(vocab.counts) == sorted(vocab.counts, reverse=True)  # most read first
    assert vocab.count("not") == read["not"] and vocab.count("zzz") is None
    assert vocab.noun == "words"


def test_nearest_known_words_by_spelling(vocab):
    near = vocab.nearest("bda")
    assert near[0].word == "bad" and near[0].edits == 1 and near[0].count == vocab.count("bad")
    # fewest edits first, then the most read in training
    keys = [(s.edits, -s.count) for s in vocab.nearest("god")]
    assert keys == sorted(keys) and len(keys) <= 3
    assert all(s.edits <= max_edits("god") for s in vocab.nearest("god"))
    assert vocab.nearest("FOOD ") == []  # a known word (as the tokenizer reads it)
    assert vocab.nearest("!") == [] and vocab.nearest("😀") == []  # not words
    assert vocab.nearest("qqqqqqqqqqqqqqqqqq") == []  # nothing within reach


def test_nearest_is_empty_for_characters():
    chars = Vocabulary.of(load_task("chars"))
    assert chars.noun == "characters" and chars.nearest("é") == []
    assert chars.search(" ").rows[0][0] == " "  # the space character can be searched


def test_search_puts_the_exact_word_first_then_prefixes(vocab):
    found = vocab.search("  Good ")
    assert found.query == "good" and found.rows[0] == ("good", vocab.count("good"))
    assert all("good" in t for t, _ in found.rows)
    prefix = [t.startswith("goo") for t, _ in vocab.search("goo").rows]
    assert prefix == sorted(prefix, reverse=True)
    everything = vocab.search("")
    assert everything.total == len(vocab) and len(everything.rows) == min(len(vocab), MAX_SHOWN)
    assert vocab.search("", limit=5).rows == everything.rows[:5]
    missing = vocab.search("bda")
    assert missing.total == 0 and missing.nearest[0].word == "bad"


def test_words_say_what_is_shown(vocab):
    assert "All" in search_caption(vocab, vocab.search(""))
    few = vocab.search("", limit=3)
    assert f"3 most frequent of {len(vocab)}" in search_caption(vocab, few)
    assert "Nearest by spelling: bad (1 edit" in search_caption(vocab, vocab.search("bda"))
    assert "1 word contains “fun”" in search_caption(vocab, vocab.search("fun"))


def test_unknown_words_get_suggestions_and_punctuation_shares_a_line(vocab):
    html = unknown_html(vocab, ["bda", "xqzxqzxqz", "!", "bda", "😀"])
    lines = html.split('class="rnnx-vocab-line"')[1:]
    assert len(lines) == 3  # bda, the far-off word, then "!" and the emoji together
    assert "bda" in lines[0] and ">bad</span>" in lines[0] and "(1 edit)" in lines[0]
    assert "no known word within 3 edits" in lines[1]
    assert "!" in lines[2] and "😀" in lines[2] and "not words" in lines[2]
    many = unknown_html(vocab, [f"zz{i}x" for i in range(20)])
    assert "… and 12 more unknown words" in many
    assert "\n" not in html


def test_markup_is_escaped_everywhere(vocab):
    evil = "<img src=x onerror=alert(1)>"
    assert "<img" not in unknown_html(vocab, [evil])
    assert "<img" not in caption_html(search_caption(vocab, vocab.search(evil)))
    assert "**" in caption_html("a **b** [c](d)")  # shown as typed, not as markdown
    table = table_html(vocab, vocab.search("good"))
    assert table.count('class="rnnx-vocab-row"') == vocab.search("good").total
    assert f">{vocab.count('good'):,}</span>" in table


def made(counts: dict[str, int]) -> Vocabulary:
    """A vocabulary of these words and counts (most read first), without a task."""
    words = sorted(counts, key=lambda w: -counts[w])
    codes, lengths = as_codes(words)
    return Vocabulary(tuple(words), np.array([counts[w] for w in words]), "word", codes, lengths)


def test_the_order_of_searches_and_suggestions():
    v = made({"notbad": 50, "badly": 20, "bad": 5, "xbadx": 1})
    assert [t for t, _ in v.search("bad").rows] == ["bad", "badly", "notbad", "xbadx"]
    assert "those starting with it first" in search_caption(v, v.search("bad"))
    assert "starting" not in search_caption(v, v.search("bad", limit=2))  # both start with it
    v = made({"cat": 100, "bar": 5, "barn": 1})
    assert [(s.word, s.edits) for s in v.nearest("bart")] == [("bar", 1), ("barn", 1), ("cat", 2)]
    assert [s.word for s in v.nearest("bart", k=1)] == ["bar"]


def test_replace_word_takes_whole_words_in_any_case():
    assert replace_word("I Lovd it, LOVD!", "lovd", "loved") == "I loved it, loved!"
    assert replace_word("unlovdly", "lovd", "loved") is None  # not a whole word
    assert replace_word("don't", "don", "do") is None  # part of a contraction
    assert replace_word("a.b (x) a", "a.b", "c") == "c (x) a"  # literal, not a pattern
    assert replace_word("", "x", "y") is None


def test_fixes_offer_the_closest_words_only(vocab):
    v = made({"cat": 100, "bar": 5, "barn": 1, "bart": 1})
    assert fixes(v, ["bsrt", "!", "bsrt", "zzzzzzzz"]) == [("bsrt", "bart")]
    assert fixes(v, ["bax"]) == [("bax", "bar")]  # 1 edit; "cat" is 2
    many = [f"ba{c}" for c in "xyzwvuqpo"]
    assert [w for w, _ in fixes(v, many)] == many[:8]  # one line each, MAX_UNKNOWN_LINES
