"""The words a task's model knows: their training counts, a search, and the nearest known
words by spelling for a word it does not know.

Pure (numpy in, text and HTML out; no streamlit). :class:`Vocabulary` is built once per task
from its encoder and its training inputs; ``ui/glue/vocabulary.py`` places it on Explore.

Spelling distance is the optimal-string-alignment edit distance (insert, delete, substitute,
or swap two neighbouring letters: one edit each), computed against the whole vocabulary at
once: one numpy pass per letter of the typed word over a ``(words, letters)`` array of code
points. Against the 2,000 words of the words task that is 1.2 ms per unknown word (median;
0.2 ms against sentiment's 161), and a page asks for at most MAX_UNKNOWN_LINES of them.
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass, field

import numpy as np

from rnn_core.tasks import PAD, UNK, Task
from ui.views.html import display_token

MAX_SHOWN = 240  # at most this many rows in the table: a 2,000-word list is searched, not read
SUGGESTIONS = 3  # nearest known words suggested per unknown word
MAX_UNKNOWN_LINES = 8  # a pasted paragraph of unknown words gets this many lines, then a count


def max_edits(word: str) -> int:
    """How far a suggestion may be from ``word``: 1 edit for words of up to 3 letters, 2 up
    to 7, 3 beyond (a 3-letter word is 2 edits from most other 3-letter words)."""
    n = len(word)
    return 1 if n <= 3 else 2 if n <= 7 else 3


def is_word(token: str) -> bool:
    """A token with a letter in it: spelling suggestions make sense for it (not for "!")."""
    return any(ch.isalpha() for ch in token)


@dataclass(frozen=True)
class Suggestion:
    """A known word near an unknown one."""

    word: str
    edits: int  # edit distance from the unknown word
    count: int  # times the word was read in training


@dataclass(frozen=True)
class Matches:
    """What a search of the vocabulary found."""

    query: str  # the search as it was matched (normalised)
    rows: list[tuple[str, int]]  # (token, training count), at most MAX_SHOWN, best first
    total: int  # how many tokens matched in all
    nearest: list[Suggestion] = field(default_factory=list)  # none matched: close spellings


@dataclass(frozen=True, eq=False)
class Vocabulary:
    """A task's known tokens (without ``<pad>`` and ``<unk>``), most read in training first.

    tokens: N strings; counts: (N,) int64, how often each token was read in the training
    inputs (a token in two overlapping training windows is read twice); level: "word" or
    "char". Build it with :meth:`of`.
    """

    tokens: tuple[str, ...]
    counts: np.ndarray
    level: str
    codes: np.ndarray  # (N, L) int32 code points of each token, padded with -1
    lengths: np.ndarray  # (N,) int64 letters per token

    @classmethod
    def of(cls, task: Task) -> Vocabulary:
        """The vocabulary of a task with an encoder, counted over its training inputs."""
        encoder = task.encoder
        if encoder is None:
            raise ValueError(f"task {task.name!r} reads numbers, not tokens")
        train = task.data.train
        read = np.asarray(train.inputs)[np.asarray(train.mask, dtype=bool)]
        counts = np.bincount(read.astype(np.int64).ravel(), minlength=len(encoder))
        ids = [i for i, t in enumerate(encoder.vocab) if t not in (PAD, UNK)]
        ids.sort(key=lambda i: -counts[i])  # stable: ties keep the encoder's order
        tokens = tuple(encoder.vocab[i] for i in ids)
        lengths = np.array([len(t) for t in tokens], dtype=np.int64)
        codes = np.full((len(tokens), int(lengths.max(initial=1))), -1, dtype=np.int32)
        for row, token in enumerate(tokens):
            codes[row, : len(token)] = [ord(ch) for ch in token]
        return cls(tokens, counts[ids].astype(np.int64), encoder.level, codes, lengths)

    def __len__(self) -> int:
        return len(self.tokens)

    @property
    def noun(self) -> str:
        """What the tokens are called: "words" or "characters"."""
        return "characters" if self.level == "char" else "words"

    def count(self, token: str) -> int | None:
        """Times ``token`` was read in training; None when it is not in the vocabulary."""
        try:
            return int(self.counts[self.tokens.index(token)])
        except ValueError:
            return None

    def normalise(self, text: str) -> str:
        """A search as the tokenizer would see it: NFC, lower case (word level), trimmed."""
        text = unicodedata.normalize("NFC", text or "").replace("’", "'")
        if self.level == "char" and text.isspace():
            return text  # a search for the space or newline character
        text = text.strip()
        return text if self.level == "char" else text.lower()

    def search(self, query: str | None, limit: int = MAX_SHOWN) -> Matches:
        """The tokens containing ``query``: an exact match first, then the tokens starting
        with it, then the rest, each group most read first. An empty query matches every
        token. When nothing matches a word, the nearest known words by spelling come along."""
        q = self.normalise(query or "")
        if not q:
            rows = list(zip(self.tokens, self.counts.tolist(), strict=True))
            return Matches("", rows[:limit], len(rows))
        found = [i for i, t in enumerate(self.tokens) if q in t]
        found.sort(key=lambda i: (self.tokens[i] != q, not self.tokens[i].startswith(q)))
        rows = [(self.tokens[i], int(self.counts[i])) for i in found]
        nearest = [] if rows else self.nearest(q)
        return Matches(q, rows[:limit], len(rows), nearest)

    def nearest(self, word: str, k: int = SUGGESTIONS) -> list[Suggestion]:
        """The ``k`` known words closest to ``word`` by spelling, within :func:`max_edits`:
        fewest edits first, then the most read in training. None for a known word, for a
        token without letters (punctuation, emoji) and for character-level vocabularies."""
        word = self.normalise(word)
        if self.level != "word" or not is_word(word) or word in self.tokens:
            return []
        limit = max_edits(word)
        rows = np.flatnonzero(np.abs(self.lengths - len(word)) <= limit)  # others are too far
        if len(rows) == 0:
            return []
        dist = edit_distances(word, self.codes[rows], self.lengths[rows])
        close = dist <= limit
        rows, dist = rows[close], dist[close]
        best = np.lexsort((-self.counts[rows], dist))[:k]
        return [
            Suggestion(self.tokens[rows[b]], int(dist[b]), int(self.counts[rows[b]])) for b in best
        ]


def edit_distances(word: str, codes: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """(N,) edit distances from ``word`` to N tokens given as ``codes`` (N, L) code points
    padded with -1 and ``lengths`` (N,): optimal string alignment, where an insertion, a
    deletion, a substitution and a swap of two neighbouring letters cost 1 each.

    Row ``i`` of the dynamic programme is computed for all tokens and all columns at once:
    substitutions, deletions and swaps come from the rows before, and the insertions along
    the row are a running minimum, ``row[j] = j + min over k ≤ j of (base[k] − k)``."""
    n_tokens, width = codes.shape
    q = [ord(ch) for ch in word]
    cols = np.arange(width + 1)
    prev2 = None
    prev = np.broadcast_to(cols, (n_tokens, width + 1)).copy()  # row 0: j insertions
    for i, ch in enumerate(q, start=1):
        base = np.empty_like(prev)
        base[:, 0] = i  # i deletions
        differs = codes != ch  # (N, L): token letter j-1 against word letter i-1
        np.minimum(prev[:, :-1] + differs, prev[:, 1:] + 1, out=base[:, 1:])
        if prev2 is not None and width >= 2:  # a swap: word[i-2:i] == token[j-1] + token[j-2]
            swap = (codes[:, :-1] == ch) & (codes[:, 1:] == q[i - 2])
            np.minimum(base[:, 2:], np.where(swap, prev2[:, :-2] + 1, width + i), out=base[:, 2:])
        prev2, prev = prev, np.minimum.accumulate(base - cols, axis=1) + cols
    return prev[np.arange(n_tokens), lengths]


def replace_word(text: str, word: str, known: str) -> str | None:
    """``text`` with every whole-word ``word`` (any case) replaced by ``known``, or None when
    ``word`` is not in it as a word ("lovd" in "i lovd it", not in "unlovdly")."""
    text = unicodedata.normalize("NFC", text or "").replace("’", "'")
    pattern = rf"(?<![\w']){re.escape(word)}(?![\w'])"
    new, n = re.subn(pattern, lambda _: known, text, flags=re.IGNORECASE)
    return new if n else None


def fixes(vocab: Vocabulary, unknown: list[str]) -> list[tuple[str, str]]:
    """(unknown word, known word) pairs worth one click: for each of the first
    :data:`MAX_UNKNOWN_LINES` distinct unknown words, its nearest known words with the
    fewest edits (at most two)."""
    out = []
    words = [t for t in dict.fromkeys(unknown) if vocab.level == "word" and is_word(t)]
    for word in words[:MAX_UNKNOWN_LINES]:
        near = vocab.nearest(word)
        out += [(word, s.word) for s in near if s.edits == near[0].edits][:2]
    return out


# ----------------------------------------------------------------------------- words and HTML

_UNKNOWN = (
    "display:inline-block;padding:0 6px;border-radius:5px;border:1px dashed #888;"
    "font-style:italic;opacity:0.85;white-space:pre"
)
_KNOWN = "font-weight:600;white-space:pre"
_NOTE = "opacity:0.7;font-size:0.9em"


def _edits(n: int) -> str:
    return "1 edit" if n == 1 else f"{n} edits"


def _times(n: int) -> str:
    return "once" if n == 1 else f"{n:,}×"  # "57×", as in "57× in training"


def suggestion_text(s: Suggestion) -> str:
    """One suggestion in words, e.g. "loved (1 edit, 57× in training)"."""
    return f"{s.word} ({_edits(s.edits)}, {_times(s.count)} in training)"


def unknown_html(vocab: Vocabulary, unknown: list[str]) -> str:
    """The unknown tokens (dashed, as their chips above), each distinct word on its own line
    with the nearest known words by spelling or why there are none, at most
    :data:`MAX_UNKNOWN_LINES` of them; the tokens without letters (punctuation, emoji) share
    one line. One ``<div>``, no newlines."""
    distinct = list(dict.fromkeys(unknown))
    words = [t for t in distinct if vocab.level == "word" and is_word(t)]
    others = [t for t in distinct if t not in words]
    lines = [_unknown_line(vocab, t) for t in words[:MAX_UNKNOWN_LINES]]
    if len(words) > MAX_UNKNOWN_LINES:
        more = len(words) - MAX_UNKNOWN_LINES
        lines.append(f'<div style="{_NOTE}">… and {more:,} more unknown words</div>')
    if others:
        chips = " ".join(_chip(t) for t in others[: MAX_UNKNOWN_LINES * 3])
        why = (
            "characters this model never read in training"
            if vocab.level == "char"
            else "not words: no suggestions"
        )
        lines.append(
            f'<div class="rnnx-vocab-line" style="margin:2px 0">{chips} → '
            f'<span style="{_NOTE}">{why}</span></div>'
        )
    return (
        '<div class="rnnx-vocab-unknowns" style="margin:0 0 0.5rem 0">' + "".join(lines) + "</div>"
    )


def _chip(token: str) -> str:
    return (
        f'<span class="rnnx-vocab-unk" style="{_UNKNOWN}">{display_token(token, quote=True)}</span>'
    )


def _unknown_line(vocab: Vocabulary, word: str) -> str:
    near = vocab.nearest(word)
    if near:
        said = "nearest known: " + ", ".join(
            f'<span class="rnnx-vocab-near" style="{_KNOWN}"'
            f' title="{html.escape(suggestion_text(s), quote=True)}">'
            f"{display_token(s.word, quote=True)}</span>"
            f' <span style="{_NOTE}">({_edits(s.edits)})</span>'
            for s in near
        )
    else:
        limit = _edits(max_edits(vocab.normalise(word)))
        said = f'<span style="{_NOTE}">no known word within {limit}</span>'
    return f'<div class="rnnx-vocab-line" style="margin:2px 0">{_chip(word)} → {said}</div>'


def table_html(vocab: Vocabulary, matches: Matches) -> str:
    """The matching tokens as a table flowing in columns (as many as the width holds): each
    row the token and how often it was read in training (the exact match in bold). One
    ``<div>``, no newlines; the caption above (:func:`search_caption`) says what it lists."""
    rows = []
    for token, count in matches.rows:
        shown = display_token(token, quote=True)
        is_exact = matches.query != "" and token == matches.query
        weight = "font-weight:700;" if is_exact else ""
        rows.append(
            '<div class="rnnx-vocab-row" role="row" style="display:flex;justify-content:'
            "space-between;gap:1em;break-inside:avoid;padding:1px 0;"
            f'border-bottom:1px dotted rgba(128,128,128,0.35);{weight}">'
            f'<span role="cell" style="white-space:pre">{shown}</span>'
            f'<span role="cell" style="font-variant-numeric:tabular-nums">{count:,}</span></div>'
        )
    return (
        '<div class="rnnx-vocab-table" role="table" style="columns:11em auto;column-gap:2em;'
        'margin:0.25rem 0 0.5rem 0">' + "".join(rows) + "</div>"
    )


def search_caption(vocab: Vocabulary, matches: Matches) -> str:
    """The line above the table: what it lists, how many of how many. Plain text (it quotes
    the user's search): show it with :func:`caption_html`, never as markdown."""
    n, noun = len(vocab), vocab.noun
    if not matches.query:
        if matches.total <= len(matches.rows):
            return (
                f"All {n:,} {noun}, each with the times it was read in training (the "
                "vocabulary's two other tokens, <pad> and <unk>, stand for padding and for "
                "anything unknown)."
            )
        return (
            f"The {len(matches.rows):,} most frequent of {n:,} {noun}, each with the times it "
            "was read in training; search to find the others."
        )
    q = f"“{matches.query}”"
    if matches.total == 0:
        if matches.nearest:
            near = ", ".join(suggestion_text(s) for s in matches.nearest)
            return f"No known {noun[:-1]} contains {q}. Nearest by spelling: {near}."
        return f"No known {noun[:-1]} contains {q}."
    counts = "with the times each was read in training"
    starts = [t.startswith(matches.query) for t, _ in matches.rows]
    if any(starts) and not all(starts):
        counts = f"those starting with it first, {counts}"
    if matches.total > len(matches.rows):
        shown = len(matches.rows)
        return f"{matches.total:,} {noun} contain {q}; the first {shown:,}, {counts}:"
    if matches.total == 1:
        return f"1 {noun[:-1]} contains {q}, read {_times(matches.rows[0][1])} in training:"
    return f"{matches.total:,} {noun} contain {q}, {counts}:"


def caption_html(text: str) -> str:
    """A plain-text caption as one escaped, muted ``<div>`` (markdown would act on a search
    such as ``**x**`` or ``[a](b)``)."""
    escaped = html.escape(" ".join(text.split()), quote=True)
    return f'<div class="rnnx-vocab-caption" style="{_NOTE}">{escaped}</div>'
