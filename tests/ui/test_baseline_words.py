"""The network against a bag of words, in words: the three verdicts and the first look."""

from __future__ import annotations

import math

import pytest

from ui.views.baseline_words import TIE_POINTS, baseline_words


def test_before_the_first_evaluation_it_names_the_score_to_beat():
    for missing in (None, math.nan):
        words = baseline_words(0.762, missing)
        assert "scores **76.2%** on the test split" in words
        assert "score to beat" in words
        assert "Your network" not in words


def test_a_network_ahead_is_credited_with_the_points_word_order_is_worth():
    words = baseline_words(0.762, 0.81, n_eval=512)
    assert "Your network scores **81.0%** at its latest evaluation (512 test texts)" in words
    assert "word order is worth about **+4.8 points** here" in words


def test_a_network_behind_has_not_yet_beaten_the_bag_of_words():
    words = baseline_words(0.762, 0.732)
    assert "**not yet beaten** a model that ignores word order (-3.0 points)" in words
    assert "test texts" not in words  # n_eval not given: not said


@pytest.mark.parametrize("lead", [0.0, TIE_POINTS, -TIE_POINTS, 0.5])
def test_a_lead_within_the_subsets_luck_is_a_tie(lead):
    words = baseline_words(0.70, 0.70 + lead / 100)
    assert "a tie so far" in words
    assert "worth about" not in words
    assert "not yet beaten" not in words


def test_just_past_the_tie_band_the_verdict_changes():
    assert "worth about **+1.2 points**" in baseline_words(0.70, 0.712)
    assert "not yet beaten" in baseline_words(0.70, 0.688)


def test_the_split_is_named_as_the_task_names_it():
    words = baseline_words(0.193, 0.986, 1200, split="the held-out combinations")
    assert "scores **19.3%** on the held-out combinations." in words
    assert "word order is worth about **+79.3 points**" in words
