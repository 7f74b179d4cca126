"""Hostile input, part 3: every page opened with nasty values in every URL parameter.

Each page, for each value of a fixed table (wrong types, out of range, huge, emoji, NUL,
very long, unknown keys), must draw without an exception element, use what it can and say
in an info/warning which link values it could not use — never echoing them.
"""

from __future__ import annotations

import re

import pytest

from rnn_core.tasks import load_task
from tests.app.conftest import open_page
from ui.services.limits import Limits
from ui.services.settings import (
    COMPARE_KEYS,
    TRAIN_KEYS,
    read_settings,
    url_number_ok,
    url_value_ok,
    widget_values,
)

LIMITS = Limits()

NASTY = (
    "",
    "1e309",
    "nan",
    "9" * 400,
    "5.5",
    "１２",
    "🙂" * 50,
    "a\x00b",
    "x" * 5_000,
    "<script>alert(1)</script>",
    "\u202e\ufffd",
)
NUMBERS = ("-1", "1e309", "-inf", "nan", "9" * 400, "5.5", "1_0", "１２", "7", "[1, 2]")


def short(value: str) -> str:
    return repr(value[:12]) + (f"…{len(value)}" if len(value) > 12 else "")


UNKNOWN = {"zzz": "1", "embed_size_": "x", "🙂": "🙂", "a\x00": "\x00"}


def messages(at) -> list[str]:
    return [m.value for m in (*at.info, *at.warning, *at.error)]


def noted(at, pattern: str) -> set[str]:
    """The keys a 'The link's value for a, b cannot be used' note names."""
    for text in messages(at):
        m = re.search(pattern, text)
        if m:
            return set(m.group(1).split(", "))
    return set()


def assert_not_echoed(at, value: str) -> None:
    if len(value) >= 4:
        assert all(value not in text for text in messages(at)), value


@pytest.mark.parametrize("value", NASTY, ids=short)
def test_train(value):
    at = open_page("train", task="sentiment-tiny", **dict.fromkeys(TRAIN_KEYS, value), **UNKNOWN)
    run = at.session_state["run"]
    bad = {k for k in TRAIN_KEYS if not url_value_ok(k, value, LIMITS)}
    assert noted(at, r"The link's value for (.*) cannot be used") == bad
    base = run.task.default_config
    defaults = read_settings(base, widget_values(base))  # the task's values, on the widgets' grid
    for key, field in TRAIN_KEYS.items():
        if key in bad:  # the task's own value instead
            assert getattr(run.config, field) == getattr(defaults, field), key
    assert run.state == "ready" and at.title[0].value == "Train"
    assert_not_echoed(at, value)


@pytest.mark.parametrize("value", NASTY, ids=short)
def test_compare(value):
    keys = [f"{s}_{k}" for s in "ab" for k in COMPARE_KEYS]
    at = open_page("compare", **dict.fromkeys([*keys, "task", "steps", "seed"], value), **UNKNOWN)
    bad = {f"{s}_{k}" for s in "ab" for k in COMPARE_KEYS if not url_value_ok(k, value, LIMITS)}
    bad |= {"steps"} if not url_number_ok(value, int, 1, LIMITS.max_steps) else set()
    bad |= {"seed"} if not url_number_ok(value, int, 0, 2**31 - 1) else set()
    assert noted(at, r"The link's value for (.*) cannot be used") == bad
    assert any("task this app does not have" in m for m in messages(at))
    assert any(b.label == "▶ Train both" for b in at.button)  # the page got to its end
    assert 1 <= at.number_input(key="steps").value <= LIMITS.max_steps
    assert_not_echoed(at, value)


@pytest.mark.parametrize("value", NASTY, ids=short)
def test_explore_text_task(value):
    keys = ("task", "sentence", "sentence_b", "order", "saliency", "example", "unit")
    at = open_page("explore", **dict.fromkeys(keys, value), **UNKNOWN)
    assert any("task this app does not have" in m for m in messages(at))
    if value.strip():
        assert at.get("plotly_chart"), "the page draws for any sentence"
    else:
        assert any("The sentence is empty" in m for m in messages(at))


@pytest.mark.parametrize("value", NUMBERS, ids=short)
def test_explore_numeric_task(value):
    at = open_page("explore", task="adding", example=value, order=value, saliency=value)
    usable = url_number_ok(value, int, 0, len(load_task("adding").data.test) - 1)
    assert any("test sequence cannot be used" in m for m in messages(at)) == (not usable)
    assert at.get("plotly_chart")


@pytest.mark.parametrize("value", NASTY, ids=short)
def test_gradients(value):
    at = open_page("gradients", experiment=value, task=value, **UNKNOWN)
    assert any("experiment this lab does not have" in m for m in messages(at))
    assert at.get("plotly_chart") and "lab" not in at.session_state
    assert_not_echoed(at, value)


@pytest.mark.parametrize("value", NASTY, ids=short)
def test_learn(value):
    at = open_page("learn", sentence=value, task=value, t=value, units=value, **UNKNOWN)
    if value.strip():
        assert len(at.dataframe) == 2, "the forward and backward tables"
    else:
        assert any("The sentence is empty" in m for m in messages(at))


def test_learn_reads_a_one_token_sentence():
    """A one-token sentence has one step: no step slider (it would need two ends)."""
    at = open_page("learn", sentence="good")
    assert not at.slider and len(at.dataframe) == 2


def test_explore_says_a_pasted_book_was_cut_without_a_false_count():
    at = open_page("explore", sentence="good " * 30_000)
    (warning,) = [w.value for w in at.warning if "very long" in w.value]
    assert "20,000 characters" in warning and "more were cut" not in warning
    assert at.get("plotly_chart")
