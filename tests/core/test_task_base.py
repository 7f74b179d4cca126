"""The one text rule and the encoder every task shares."""

from __future__ import annotations

import unicodedata

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rnn_core.tasks.base import (
    PAD,
    UNK,
    UNK_ID,
    Encoder,
    Goal,
    char_tokenize,
    graphemes,
    tokenize,
)


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


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("great 👍🏽", ["great", "👍🏽"]),  # a skin tone stays with its hand
        ("👍🏽👍", ["👍🏽", "👍"]),
        ("love it 🇫🇷🇩🇪", ["love", "it", "🇫🇷", "🇩🇪"]),  # flags pair their indicators
        ("👩\u200d👩\u200d👧 family", ["👩\u200d👩\u200d👧", "family"]),  # a ZWJ sequence
        ("❤️!", ["❤️", "!"]),  # an emoji-presentation selector
        ("q\u0303 cafe\u0301", ["q\u0303", "café"]),  # a mark without a precomposed form
        (
            "🏴\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f",
            ["🏴\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f"],
        ),
    ],
)
def test_tokenize_never_splits_a_grapheme_cluster(text, tokens):
    assert tokenize(text) == tokens


def test_characters_are_grapheme_clusters():
    assert char_tokenize("a👍🏽 🇫🇷q\u0303\r\nb") == ["a", "👍🏽", " ", "🇫🇷", "q\u0303", "\r\n", "b"]
    assert graphemes("") == []


# Pieces that build and break clusters: letters, marks, skin tones, ZWJ, variation selectors,
# regional indicators, tags, emoji, spaces and punctuation.
PIECES = st.sampled_from(
    [
        "a",
        "Q",
        "é",
        "東",
        "\u0301",
        "\u0303",
        "\u093f",
        "👍",
        "👩",
        "\U0001f3fd",
        "\u200d",
        "\ufe0f",
        "\U0001f1eb",
        "\U0001f1f7",
        "\U000e0067",
        "\U000e007f",
        " ",
        "!",
        "'",
        "\r",
        "\n",
    ]
)
EXTENDS = {
    "\u0301",
    "\u0303",
    "\u093f",
    "\U0001f3fd",
    "\u200d",
    "\ufe0f",
    "\U000e0067",
    "\U000e007f",
}


def is_regional(ch: str) -> bool:
    return 0x1F1E6 <= ord(ch) <= 0x1F1FF


@settings(max_examples=400, deadline=None)
@given(st.lists(PIECES, max_size=30).map("".join))
def test_no_cluster_is_ever_split(text):
    clusters = graphemes(text)
    assert "".join(clusters) == text
    for i, cluster in enumerate(clusters):
        assert i == 0 or cluster[0] not in EXTENDS  # a mark or modifier never starts one
        # a ZWJ joins what follows, unless that is a space or a flag's half (UAX #29 GB11)
        after = clusters[i + 1][0] if i + 1 < len(clusters) else " "
        assert not cluster.endswith("\u200d") or after.isspace() or is_regional(after)
        flags = sum(is_regional(c) for c in cluster)
        assert flags <= 2
    assert char_tokenize(text) == graphemes(unicodedata.normalize("NFC", text))
    # a word token never starts with a character that belongs to the cluster before it
    tokens = tokenize(text)
    cleaned = unicodedata.normalize("NFC", text).lower()
    at = 0
    for token in tokens:
        at = cleaned.find(token, at)
        assert at >= 0
        if at > 0 and not cleaned[at - 1].isspace():
            assert token[0] not in EXTENDS, (text, tokens)
            assert cleaned[at - 1] != "\u200d" or is_regional(token[0]), (text, tokens)
        at += len(token)


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
