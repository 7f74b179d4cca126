"""The network against a bag of words, in plain words: pure (no streamlit).

    baseline_words(0.762, test_acc=0.81, n_eval=512)
    # "A bag of words — word and word-pair counts, no order — scores 76.2% on the test
    #  split. Your network scores 81.0% (its latest evaluation, 512 test texts): word order
    #  is worth about +4.8 points here."

The first question to ask of a classifier on one's own data is whether reading in order
beat a model that ignores order. The bag of words is fitted once per task on the training
split (``rnn_core.baseline``) and scored on the whole test split; the network's figure is its
latest evaluation, on a fixed subset of at most ``eval_size`` test texts, so a difference of a
point or two can be the subset's luck — the words say "about", and call a lead within
:data:`TIE_POINTS` a tie.
"""

from __future__ import annotations

import math

TIE_POINTS = 1.0  # a lead of at most this many percentage points is called a tie


def baseline_words(
    baseline: float,
    test_acc: float | None = None,
    n_eval: int = 0,
    split: str = "the test split",
) -> str:
    """One or two sentences comparing the network's latest test accuracy (a fraction, or
    None/NaN before its first evaluation) with the bag of words' (a fraction); ``n_eval``:
    how many test texts that evaluation read (0: not said); ``split``: the test split in
    words (``Task.test_split``)."""
    intro = (
        f"A bag of words — word and word-pair counts, no order — scores **{baseline:.1%}** on "
        f"{split}."
    )
    if test_acc is None or not math.isfinite(test_acc):
        return f"{intro} That is the score to beat: word order has to earn its keep."
    read = f" ({n_eval:,} test texts)" if n_eval > 0 else ""
    points = round(100.0 * (test_acc - baseline), 1)  # as shown: the verdict matches the figure
    mine = f"Your network scores **{test_acc:.1%}** at its latest evaluation{read}"
    if points > TIE_POINTS:
        return f"{intro} {mine}: word order is worth about **+{points:.1f} points** here."
    if points >= -TIE_POINTS:
        return (
            f"{intro} {mine}: a tie so far — reading in order has not yet added anything "
            f"that word counts do not already give."
        )
    return (
        f"{intro} {mine}: it has **not yet beaten** a model that ignores word order "
        f"({points:+.1f} points)."
    )
