"""Write's pure views (ui/views/write_view.py) and its settings rows: the coloured text is
escaped, one line, coloured by probability on the house scale (so palettes recolour it), its
hovers list the top guesses; words are spaced as detokenize spaces them."""

from __future__ import annotations

import html
import re

import numpy as np
import pytest

from rnn_core.tasks.text import detokenize
from ui.services.settings import WRITE_BY_KEY, WRITE_DEFAULTS, WriteRequest, write_request
from ui.views import write_view
from ui.views.html import sequential_rgb
from ui.views.palettes import Palette, recolour_html

SPAN = re.compile(r'<span class="rnnx-(gen|prime)"([^>]*)>(.*?)</span>')


def chars_html(tokens, probs, prime=("A", "b")):
    top = [[t, "x", "y"] for t in tokens]
    top_p = np.tile([0.5, 0.3, 0.2], (len(tokens), 1))
    return write_view.written_html(list(prime), tokens, probs, top, top_p, "char")


def test_tokens_are_escaped_and_the_markup_is_one_line():
    out = chars_html(["<", "s", ">", "\n", " ", '"'], [0.1, 0.2, 0.3, 0.4, 0.5, 0.6])
    assert "\n" not in out and "<s>" not in out
    spans = SPAN.findall(out)
    assert [text for kind, _, text in spans if kind == "gen"] == [
        "&lt;",
        "s",
        "&gt;",
        "↵",
        " ",
        "&quot;",
    ]
    assert "↵</span><br>" in out  # a written line break breaks the line too
    assert [text for kind, _, text in spans if kind == "prime"] == ["A", "b"]


def test_each_written_token_is_coloured_by_its_probability_with_its_top_guesses():
    probs = [0.05, 0.5, 0.97]
    out = chars_html(["e", "t", "a"], probs)
    gens = [attrs for kind, attrs, _ in SPAN.findall(out) if kind == "gen"]
    for attrs, p in zip(gens, probs, strict=True):
        assert f'data-p="{p:.6f}"' in attrs
        assert f"background:{sequential_rgb(p, 0.0, 1.0)}" in attrs.replace(", ", ",")
    title = html.unescape(re.search(r'title="([^"]*)"', gens[1])[1])
    assert title.splitlines() == [
        "wrote ‘t’: p = 0.500",
        "the model's top guesses:",
        "  ‘t’ 0.500 ◀",
        "  ‘x’ 0.300",
        "  ‘y’ 0.200",
    ]
    # the session's palette recolours the written tokens like every HTML view
    cividis = recolour_html(out, Palette(sequential="cividis"))
    assert cividis != out and cividis.count("rnnx-gen") == 3


def test_words_are_spaced_as_detokenize_spaces_them():
    prime, tokens = ["o", "romeo"], [",", "romeo", "!", "(", "aside", ")", "by", "-", "and"]
    top = [[t] for t in tokens]
    out = write_view.written_html(
        prime, tokens, np.full(len(tokens), 0.5), top, np.full((len(tokens), 1), 0.5), "word"
    )
    text = html.unescape(re.sub(r"<[^>]+>", "", out))
    assert text == detokenize(prime + tokens, "word") == "o romeo, romeo! (aside) by-and"


def test_mismatched_lengths_and_levels_are_refused():
    with pytest.raises(ValueError, match="one entry per written token"):
        write_view.written_html([], ["a", "b"], [0.5], [["a"], ["b"]], [[0.5], [0.5]], "char")
    with pytest.raises(ValueError, match="level"):
        write_view.written_html([], [], [], [], np.zeros((0, 1)), "sentence")


def test_write_settings_read_the_widgets_or_fall_back_to_defaults():
    assert write_request({}) == WriteRequest("Romeo.", 200, 0.7, 0)
    values = {"prime": "Nurse.", "length": 50, "temperature": "0", "write_seed": 9}
    assert write_request(values) == WriteRequest("Nurse.", 50, 0.0, 9)
    assert write_request({"length": 501, "prime": "x" * 201}) == write_request({})
    temps = [float(t) for t in WRITE_BY_KEY["temperature"].options]
    assert temps[0] == 0 and 1.0 in temps
    logs = np.log(temps[1:])  # a log scale symmetric about 1 (0.1 ↔ 10, 0.5 ↔ 2)
    np.testing.assert_allclose(logs, -logs[::-1], atol=0.2)
    assert WRITE_BY_KEY["temperature"].to_widget(0.75) == "0.7"
    assert set(WRITE_DEFAULTS) == set(WRITE_BY_KEY)
