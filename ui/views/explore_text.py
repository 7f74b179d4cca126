"""What the Explore page says: its names for states and methods, its notes and notices.

Pure (no streamlit): strings and small tables, so app_pages/explore.py holds only the page's
flow. Bound widgets put their displayed option in the URL, so options are short words.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ui.views.inputs import MAX_CHARS, MAX_TOKENS, Hints

INTRO = (
    "Type a sentence and watch a trained recurrent network read it one token at a time: what "
    "it keeps in memory (the hidden state), what it would answer after each word, and which "
    "words moved it."
)

# ----------------------------------------------------------------------------- names

# The "Method" control (URL key ``saliency``): what it shows -> the probes.saliency method.
SALIENCY = {"grad × input": "grad_x_input", "occlusion": "occlusion", "grad size": "grad_norm"}
# The heatmap's title for each state a cell shows (analysis.state_views' keys).
STATE_NAMES = {
    "h": "h · hidden state",
    "c": "c · cell state",
    "i": "i · input gate",
    "f": "f · forget gate",
    "g": "g · candidate",
    "o": "o · output gate",
    "r": "r · reset gate",
    "z": "z · update gate",
    "n": "n · candidate",
}
# What the "Show" control (URL key ``state``) displays, and so what a link says: one word each.
STATE_WORDS = {
    "h": "hidden",
    "c": "cell",
    "i": "input",
    "f": "forget",
    "g": "candidate",
    "o": "output",
    "r": "reset",
    "z": "update",
    "n": "candidate",
}


def short(tokens: Sequence[str], limit: int = 32) -> str:
    """A sentence's tokens as one line of at most ``limit`` characters (cut with "…"): a
    legend entry or a title."""
    text = " ".join(tokens)
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ----------------------------------------------------------------------------- the input

EMPTY = "The sentence is empty. Type one above and press Enter, for example:"
ALL_UNKNOWN = (
    "None of these words is in the task's vocabulary, so the network reads each of them as "
    "the same placeholder `<unk>`. It still runs — what you see is how it treats words it has "
    "never seen. Try words from the example."
)


def some_unknown(n_unknown: int, vocabulary: int) -> str:
    """The caption under the token chips when some (not all) tokens are unknown."""
    return (
        f"{n_unknown} token(s) with a dashed border are not in the task's vocabulary "
        f"({vocabulary:,} tokens): the network reads them as `<unk>`."
    )


def cut_notice(which: str, unread: bool, cut: int) -> str | None:
    """The warning for a reading that was cut (``which``: "The sentence" …), or None."""
    if unread:  # not even tokenised: how much was cut is not known
        return (
            f"{which} is very long: only its first {MAX_CHARS:,} characters are looked at "
            f"and only its first {MAX_TOKENS} tokens are read; the rest was cut."
        )
    if cut:
        return (
            f"{which} is long: only its first {MAX_TOKENS} tokens are read ({cut:,} more were cut)."
        )
    return None


def unusable_links(keys: Sequence[str]) -> str:
    """The note for link values that cannot be used (never echoing them)."""
    return (
        f"The link's value for {', '.join(keys)} cannot be used here; showing the default instead."
    )


# ----------------------------------------------------------------------------- the views

ORDER_HELP = (
    "index: unit 0 first; final: by the value after the last token; clustered: units "
    "that move together side by side. Sorting changes nothing in the network."
)


def show_help(views: Sequence[str]) -> str:
    """The "Show" control's help, for a cell whose states are ``views``."""
    return (
        "hidden: h_t, what the cell passes on. "
        + ("cell: c_t, the LSTM's long-term memory. " if "c" in views else "")
        + "The gates run from 0 (closed) to 1 (open); candidate: the new content "
        "the cell proposes (−1…1)."
    )


HEATMAP_NOTE = (
    "Each **column** is one step: the network has just read that token. Each **row** is "
    "one hidden unit. The colour is the unit's value — red positive, blue negative, white "
    "near zero (tanh keeps it within −1…1). A unit that changes colour at a word reacts "
    "to it; a unit that keeps its colour over many steps is *remembering* something. "
    "Gated cells can **Show** more: their gates (0 = closed, 1 = open) decide what is "
    "written, kept and shown."
)


def final_answer(class_names: Sequence[str], final: np.ndarray) -> str:
    """The classifier's answer after the last token, with its probability."""
    best = int(final.argmax())
    return f"After the last token: **{class_names[best]}** ({100 * final[best]:.1f}%)."


def prediction_note(output_kind: str, hint: Hints) -> str:
    """How to read the prediction view of a task with this output kind."""
    if output_kind == "class_per_sequence":
        return (
            "The network's answer if the input ended at each token. Watch where a line "
            f"jumps: {hint.jump}. Only the last point is the real prediction."
        )
    if output_kind == "class_per_step":
        return (
            "Column *t* lists the five outputs the network finds most likely after reading "
            "token *t*, best first, with their probabilities. For a language model that is "
            "its guess at the **next** token."
        )
    return (
        "The network's output after each step against the truth. In the adding problem "
        "only the final value counts: the sum of the two numbers marked ◆. For the sine, "
        "the output at step *t* is the forecast of step *t + 1*."
    )


def neuron_note(hint: Hints) -> str:
    """How to read the one-neuron view."""
    return (
        "The text coloured by one unit's value after each token (hover a token for the "
        "number): red positive, blue negative. Karpathy found single units in character "
        f"models that track quotes or line length this way. Here, look for {hint.unit}. "
        "The chart on the right "
        "lists the units that change most across this sentence — good ones to pick."
    )


def trajectory_note(variance: float) -> str:
    """How to read the state-space map; ``variance``: the two components' share, 0…1."""
    return (
        "The hidden state has many dimensions; this is its shadow on the two directions along "
        "which it varies most over the task's training sentences (principal components, "
        f"together {100 * variance:.0f}% of the variance), so every sentence lands in "
        "the same picture. The path starts at ○ and ends at ★; faint dots are where "
        "training sentences end. Where shown, the shading is what the readout would answer "
        "at each point of this plane — a hint of the class regions, not the exact boundary."
    )


SALIENCY_NOTE = (
    "How much each token pushed the final answer (for classifiers, the log-probability "
    "of the class it chose; for language models, its last prediction). **grad × "
    "input**: a first-order estimate. **occlusion**: the change when that token is "
    "deleted. **grad size**: how sensitive the answer is to the token, unsigned. "
    "The methods can disagree — that is part of the lesson."
)


def compare_note(gaps: int) -> str:
    """How to read the two-sentence comparison; ``gaps``: tokens only one sentence has."""
    return (
        "Both heatmaps use the same unit order, so rows line up. The third chart is the "
        "second sentence's state minus the first's after each token, with the two sentences "
        "lined up word for word (the fewest insertions, deletions and substitutions): "
        "white where they agree, colour where they part ways. A token only one sentence "
        "has is an empty column marked — on the other side"
        + (f" (here {gaps})" if gaps else "")
        + ". The trajectory map above draws both paths."
    )


DYNAMICS_LINK = "Where does the state stand still on this map? Its fixed and slow points"
