"""The one text rule and the encoder every task shares."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rnn_core.tasks.base import PAD, UNK, UNK_ID, Encoder, Goal, char_tokenize, tokenize


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("This movie is NOT bad.", ["this", "movie", "is", "not", "bad", "."]),
        ("isn't it?!", ["isn't", "it", "?", "!"]),
        ("I don’t know", ["i", "don't", "know"]),  # curly apostrophe normalised
        ("  spaced\tout\n\nwords  ", ["spaced", "out", "words"]),
        ("great!!🎬🍿", ["great", "!", "!", "🎬", "🍿"]),
        ("très bien, 東京", ["très", "bien", ",", "東京"]),
        ("'quoted'", ["'", "quoted", "'"]),  # apostrophes only survive inside words
        ("", []),
    ],
)
def test_tokenize(text, tokens):
    assert tokenize(text) == tokens


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_tokenize_never_fails_and_drops_only_whitespace(text):
    tokens = tokenize(text)
    assert all(t and not t.isspace() for t in tokens)
    assert tokenize(" ".join(tokens)) == tokens  # idempotent on its own output


@settings(max_examples=200, deadline=None)
@given(st.binary())
def test_random_bytes_decoded_leniently_never_crash(raw):
    text = raw.decode("utf-8", errors="replace")
    enc = Encoder.build(["a b c"])
    ids = enc.encode(text)
    assert ids.dtype == np.int64 and len(ids) == len(tokenize(text))


def test_encoder_round_trip_and_unknown_words():
    enc = Encoder.build(["this is good", "this is not good", "bad"])
    assert enc.vocab[:2] == (PAD, UNK)
    assert enc.vocab[2:4] == ("good", "is")  # most frequent first, ties alphabetical
    ids = enc.encode("this is not good")
    assert enc.decode(ids) == ["this", "is", "not", "good"]
    assert list(enc.encode("this is great 🎬")[-2:]) == [UNK_ID, UNK_ID]
    assert enc.unknown("This is GREAT 🎬") == ["great", "🎬"]


def test_encoder_caps_and_min_count():
    enc = Encoder.build(["a a a b b c"], max_size=4)
    assert enc.vocab == (PAD, UNK, "a", "b")
    assert Encoder.build(["a a b"], min_count=2).vocab == (PAD, UNK, "a")


def test_char_encoder():
    enc = Encoder.build(["hello"], level="char")
    assert enc.decode(enc.encode("hell")) == ["h", "e", "l", "l"]
    assert char_tokenize("Ab c") == ["A", "b", " ", "c"]


def test_encoder_rejects_a_malformed_vocabulary():
    with pytest.raises(ValueError, match="starts with"):
        Encoder(("a", "b"))
    with pytest.raises(ValueError, match="duplicates"):
        Encoder((PAD, UNK, "a", "a"))


def test_goal_direction():
    assert Goal("test_acc", 0.97).met(0.98) and not Goal("test_acc", 0.97).met(0.9)
    assert Goal("test_loss", 0.5).met(0.4) and not Goal("test_loss", 0.5).met(0.6)
