"""Compositional sentiment: sentences from a small grammar of our own, labelled by rules.

Two tasks live here:

``make_sentiment`` ("sentiment", the app's default task) generates thousands of sentences::

    this movie is not bad at all          -> positive   (negation flips "bad")
    the food is not very good             -> negative   (negation flips "very good")
    it was never boring                   -> positive   ("never" negates too)
    i was happy earlier but not now       -> negative   (the "now" clause decides)
    the food was good but the service was awful -> negative (the clause after "but" decides)
    now we are glad but at first we were upset  -> positive ("now" outranks "at first")
    i didn't like it at all               -> negative   (negation flips "like")

A clause is ``[time] subject verb [negation] [intensifier] adjective [at all] [time]`` or, for
people, ``[time] subject [negation] [really|truly] verb-of-liking object [at all] [time]``
("i really loved it", "we did not enjoy the food"), and "it"/"this" may take an article
and a noun ("it was not a good movie"). A sentence is one clause, or two joined by "but"
(sometimes ", but"), or two that agree joined by "and", or a clause followed by an
elliptical "but not now" / "but it is now" ("but i do now" after a verb of liking),
sometimes ending in "." or "!". The words a clause may use depend on its subject (things
are "boring", people are "upset"); verbs agree with the subject and time words with the
tense.

The vocabulary is that of ordinary short reviews ("the service was terrible", "the food was
delicious, but the waiter was rude", "i loved it!"): 39 subjects, 70 adjectives and five
verbs of liking, 17 nouns, about 160 tokens (80 before it grew). A core of ten positive and ten
negative adjectives (``CORE_POSITIVE``, ``CORE_NEGATIVE``) makes up most clauses
(``CORE_SHARE``) and is the one the test split holds out combinations of.

The labeller (:func:`judge`, :func:`label_sentence`) composes four rules:

1. an adjective or a verb of liking has a polarity (``POLARITY``); an intensifier (very,
   really, so, quite, truly, extremely) does not change it;
2. a negation flips it: "not" in all its forms (is not, isn't, does not seem, didn't feel, not
   at all, not … at all, didn't like), "never" and "hardly". One negation per clause; "not"
   followed by an intensifier and a *negative* word ("not very bad", "didn't really hate")
   is litotes, whose polarity is unclear, so it is outside the grammar; "not very good" is
   plainly negative and inside;
3. contrast: in "A but B" the clause after "but" decides; in "A and B" both must say the
   same (in the same tense, without time words), or the sentence is outside the grammar;
4. time: when both clauses carry a time word, the present one (now, today) outranks the
   past one (earlier, yesterday, before, at first), whichever side of "but" it is on. When
   the rules disagree and only one clause carries a time word ("it is good now but it was
   bad"), the sentence is ambiguous: outside the grammar. Two untimed clauses must share a
   tense. "but not now/today/anymore" flips a past, un-negated first clause; "but it is now"
   (with the pronoun of the first clause's subject) restores a past, negated first clause.

Anything else — unknown words, a second "but" or "and", a missing adjective — is outside the
grammar and :func:`label_sentence` returns None. Punctuation "," "." "!" is ignored.

How the test split holds out combinations
-----------------------------------------
A seed picks held-out combinations (:func:`held_out_combinations`):

* six (negation, core adjective) pairs, e.g. ("never", "boring"): three positive and three
  negative adjectives, each of the negation kinds "not" (every form: not, isn't, wasn't, don't, …),
  "never" and "hardly" used twice, and
* three (negation "not", intensifier, positive core adjective) triples, e.g. ("not", "so",
  "great"), whose adjective is not in a held-out pair.

They are drawn from the core adjectives only, so each seed holds out the same combinations
as before the vocabulary grew (the tests pin seeds 0 to 4).

A training sentence never contains the words of a held-out combination together — not even
in different clauses — while every word does appear in training, and every held-out
adjective is negated by the other negation kinds there. Every test sentence is built around
one held-out combination in the clause that decides its label ("the food was never boring
but the service is awful" is not a test sentence; "the service is awful but the food was
never boring" is, for ("never", "boring")). So a network that scores well on the test split
has learned to *compose* negation, intensifiers and adjectives, not to remember phrases.
The split is disjoint by construction and the tests check it.

``make_sentiment_tiny`` ("sentiment-tiny") is about 80 hand-written sentences in the same
spirit, small enough to watch every update. Its default config takes the whole training set
per step (Adam, lr 0.05) and reaches 100% test accuracy in 15-20 steps for every seed tried;
one sentence at a time (``batch_size=1``, lr 0.01) gets there too, in about 250-350 steps.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnn_core.checks import is_int
from rnn_core.data import Dataset, SequenceData, pad_sequences
from rnn_core.tasks.base import Encoder, Goal, Task, tokenize
from rnn_core.train import TrainConfig

CLASS_NAMES = ("negative", "positive")
NEG, POS = 0, 1

# ----------------------------------------------------------------------------- the words

# Subjects and the agreement group that picks their verbs and adjectives. The first fourteen
# things (CORE_THINGS) were the whole list once; the rest make ordinary reviews readable.
CORE_THINGS = (
    "this movie", "the movie", "this film", "the film", "the food", "the service",
    "the music", "this book", "the show", "the weather", "this place", "the hotel", "it", "this",
)  # fmt: skip
THINGS = (
    *CORE_THINGS,
    "the acting", "the plot", "the story", "the ending", "the staff", "the room", "the meal",
    "the restaurant", "the waiter", "the pizza", "the coffee", "the view", "the game",
    "the song", "the album", "the product", "the experience", "the trip", "the book",
    "the place", "this restaurant", "this game", "this show", "this hotel", "this album",
)  # fmt: skip
PEOPLE = {"i": "i", "we": "plural", "they": "plural"}
SUBJECTS: dict[tuple[str, ...], str] = {
    **{tuple(s.split()): "thing" for s in THINGS},
    **{(s,): group for s, group in PEOPLE.items()},
}
PRONOUN = {"thing": ("it",), "i": ("i",), "plural": None}  # plural: the subject itself
THING_TUPLES = frozenset(tuple(s.split()) for s in THINGS)  # what a verb of liking takes
# What "it"/"this" may be with an article: "it was a great movie", "this is not a good place".
NOUNS = (
    "movie", "film", "show", "book", "place", "hotel", "restaurant", "meal", "game", "song",
    "album", "product", "experience", "trip", "story", "pizza", "view",
)  # fmt: skip

# Adjectives: polarity, and which subjects they fit. The core adjectives (the first ten of
# each polarity) are the ones the test split holds out combinations of (see
# held_out_combinations) and make up most clauses; the others grow the vocabulary.
CORE_POSITIVE = {
    "good": "any", "great": "any", "wonderful": "any",
    "excellent": "thing", "amazing": "thing", "fun": "thing", "brilliant": "thing",
    "happy": "person", "glad": "person", "cheerful": "person",
}  # fmt: skip
CORE_NEGATIVE = {
    "bad": "any", "awful": "any", "terrible": "any",
    "boring": "thing", "dull": "thing", "horrible": "thing", "disappointing": "thing",
    "sad": "person", "upset": "person", "miserable": "person",
}  # fmt: skip
POSITIVE = CORE_POSITIVE | {
    "nice": "any", "fantastic": "any", "awesome": "any", "perfect": "any", "lovely": "any",
    "delicious": "thing", "tasty": "thing", "fresh": "thing", "friendly": "thing",
    "helpful": "thing", "beautiful": "thing", "interesting": "thing", "enjoyable": "thing",
    "funny": "thing", "clean": "thing", "pleasant": "thing", "superb": "thing",
    "impressive": "thing", "fast": "thing",
    "pleased": "person", "satisfied": "person", "impressed": "person", "excited": "person",
    "delighted": "person", "thrilled": "person",
}  # fmt: skip
NEGATIVE = CORE_NEGATIVE | {
    "poor": "thing", "mediocre": "thing", "nasty": "thing",
    "slow": "thing", "rude": "thing", "dirty": "thing", "bland": "thing", "cold": "thing",
    "disgusting": "thing", "annoying": "thing", "stupid": "thing", "weak": "thing",
    "noisy": "thing", "ugly": "thing", "overpriced": "thing", "expensive": "thing",
    "predictable": "thing", "confusing": "thing", "unpleasant": "thing",
    "disappointed": "person", "angry": "person", "bored": "person", "annoyed": "person",
    "unhappy": "person", "frustrated": "person",
}  # fmt: skip
# Verbs of liking, for people only ("i loved it", "we didn't enjoy the food"): the bare and
# the past form, and their polarity, which a negation flips as it flips an adjective's.
ATTITUDES = {
    "love": ("loved", POS), "like": ("liked", POS), "enjoy": ("enjoyed", POS),
    "hate": ("hated", NEG), "dislike": ("disliked", NEG),
}  # fmt: skip
ATTITUDE_FORMS = {
    form: (bare, polarity) for bare, (past, polarity) in ATTITUDES.items() for form in (bare, past)
}  # a form of a verb of liking -> (its bare form, polarity)
POLARITY = {
    **{a: POS for a in POSITIVE},
    **{a: NEG for a in NEGATIVE},
    **{form: polarity for form, (_, polarity) in ATTITUDE_FORMS.items()},
}  # every word that carries a polarity: adjectives and the forms of the verbs of liking
INTENSIFIERS = ("very", "really", "so", "quite", "truly", "extremely")
VERB_INTENSIFIERS = ("really", "truly")  # "i really loved it"; not "i very loved it"
NEGATIONS = ("not", "never", "hardly")  # the three negation kinds
NOT_WORDS = frozenset(
    {"not", "isn't", "wasn't", "aren't", "weren't", "doesn't", "didn't", "don't"}
)  # every token that is a form of the negation kind "not"

# Time words: class ("past"/"present") and where in a clause they may stand.
TIMES = {
    ("earlier",): ("past", "both"),
    ("yesterday",): ("past", "both"),
    ("before",): ("past", "end"),
    ("at", "first"): ("past", "both"),
    ("now",): ("present", "both"),
    ("today",): ("present", "both"),
}
ELLIPSIS_TIMES = {"now": "present", "today": "present", "anymore": "present"}

# Verbs by agreement group: the copula (present, past, negative contractions) and linking verbs
# (present, past, bare form for "does not seem").
COPULA = {
    "thing": ("is", "was", "isn't", "wasn't"),
    "i": ("am", "was", None, "wasn't"),
    "plural": ("are", "were", "aren't", "weren't"),
}
LINKING = {
    "thing": (("seems", "seemed", "seem"), ("looks", "looked", "look")),
    "i": (("feel", "felt", "feel"), ("seem", "seemed", "seem")),
    "plural": (("feel", "felt", "feel"), ("seem", "seemed", "seem")),
}
DO = {"thing": ("does", "doesn't"), "i": ("do", "don't"), "plural": ("do", "don't")}


def _fits(adjective: str, group: str) -> bool:
    where = POSITIVE.get(adjective) or NEGATIVE.get(adjective)
    return where == "any" or where == ("thing" if group == "thing" else "person")


def adjectives_for(group: str) -> list[str]:
    """The adjectives a subject of this agreement group can take."""
    return [a for a in POSITIVE | NEGATIVE if _fits(a, group)]


def verb_phrases(group: str) -> dict[tuple[str, ...], tuple[str, str | None, str]]:
    """Every verb phrase of an agreement group: tokens -> (tense, negation kind or None, kind),
    kind "copula" or "linking"."""
    out: dict[tuple[str, ...], tuple[str, str | None, str]] = {}
    present, past, present_nt, past_nt = COPULA[group]
    for tense, verb, contraction in (("present", present, present_nt), ("past", past, past_nt)):
        out[(verb,)] = (tense, None, "copula")
        out[(verb, "not")] = (tense, "not", "copula")
        if contraction:
            out[(contraction,)] = (tense, "not", "copula")
        out[(verb, "never")] = (tense, "never", "copula")
        out[(verb, "hardly")] = (tense, "hardly", "copula")
    do, do_nt = DO[group]
    for pres, past_form, bare in LINKING[group]:
        for tense, verb, aux, aux_nt in (
            ("present", pres, do, do_nt),
            ("past", past_form, "did", "didn't"),
        ):
            out[(verb,)] = (tense, None, "linking")
            out[(aux, "not", bare)] = (tense, "not", "linking")
            out[(aux_nt, bare)] = (tense, "not", "linking")
            out[("never", verb)] = (tense, "never", "linking")
            out[("hardly", verb)] = (tense, "hardly", "linking")
    return out


VERB_PHRASES = {group: verb_phrases(group) for group in COPULA}

# ----------------------------------------------------------------------------- the labeller


@dataclass(frozen=True)
class Clause:
    """One parsed clause: ``[time] subject verb [negation] [intensifier] adjective [time]``,
    or for people ``[time] subject [negation] [intensifier] verb-of-liking object [time]``
    ("i really loved it": ``adjective`` is then the verb's form, "loved")."""

    subject: tuple[str, ...]
    group: str  # agreement group: "thing", "i" or "plural"
    tense: str  # "present" or "past"
    negation: str | None  # "not", "never", "hardly" or None
    intensifier: str | None
    adjective: str  # the word that carries the polarity: an adjective or a verb of liking
    time: str | None  # "present", "past", or None when the clause has no time word
    kind: str = "copula"  # "copula" or "linking" (a verb and an adjective), or "attitude"

    @property
    def polarity(self) -> int | None:
        """NEG or POS; None for litotes ("not very bad"), whose polarity is unclear."""
        base = POLARITY[self.adjective]
        if self.negation is None:
            return base
        if self.intensifier is not None and base == NEG:
            return None
        return 1 - base


def _strip_time(tokens: list[str], where: str) -> tuple[list[str], str | None]:
    """Remove a time word from the start or end of a clause; return (rest, its class)."""
    for words, (cls, allowed) in TIMES.items():
        n = len(words)
        if where == "start" and allowed in ("start", "both") and tuple(tokens[:n]) == words:
            return tokens[n:], cls
        if where == "end" and allowed in ("end", "both") and tuple(tokens[-n:]) == words:
            return tokens[:-n], cls
    return tokens, None


def parse_clause(tokens: list[str]) -> Clause | None:
    """A clause of the grammar, or None when ``tokens`` is not one."""
    rest, time = _strip_time(tokens, "start")
    if time is None:
        rest, time = _strip_time(rest, "end")
    for n in (2, 1):  # the longest subject first ("this movie" before "this")
        if tuple(rest[:n]) in SUBJECTS:
            subject, rest = tuple(rest[:n]), rest[n:]
            break
    else:
        return None
    group = SUBJECTS[subject]
    if group != "thing" and any(t in ATTITUDE_FORMS for t in rest):
        return _attitude(subject, group, rest, time)
    for n in (3, 2, 1):  # the longest verb phrase first ("is not" before "is")
        if tuple(rest[:n]) in VERB_PHRASES[group]:
            tense, negation, kind = VERB_PHRASES[group][tuple(rest[:n])]
            rest = rest[n:]
            break
    else:
        return None
    if time is not None and time != tense:
        return None  # "it is good yesterday"
    at_all = False
    if negation == "not" and rest[:2] == ["at", "all"]:  # "is not at all good"
        at_all, rest = True, rest[2:]
    if negation == "not" and not at_all and rest[-2:] == ["at", "all"]:  # "not good at all"
        at_all, rest = True, rest[:-2]
    if kind == "copula" and group == "thing" and len(rest) >= 3 and rest[0] == "a":
        if rest[-1] not in NOUNS:
            return None
        rest = rest[1:-1]  # "it was a great movie": the article and the noun add nothing
    intensifier = None
    if len(rest) == 2 and rest[0] in INTENSIFIERS and negation in (None, "not") and not at_all:
        intensifier, rest = rest[0], rest[1:]
    if len(rest) != 1 or rest[0] not in POLARITY or not _fits(rest[0], group):
        return None
    return Clause(subject, group, tense, negation, intensifier, rest[0], time, kind)


# How a clause with a verb of liking may start after its subject: tokens -> (tense or None
# when the verb's form decides it, negation kind or None, whether the verb is bare).
ATTITUDE_NEGATIONS = {
    ("do", "not"): ("present", "not", True),
    ("don't",): ("present", "not", True),
    ("did", "not"): ("past", "not", True),
    ("didn't",): ("past", "not", True),
    ("never",): (None, "never", False),
    ("hardly",): (None, "hardly", False),
    (): (None, None, False),
}


def _attitude(
    subject: tuple[str, ...], group: str, rest: list[str], time: str | None
) -> Clause | None:
    """A person's clause with a verb of liking: ``[negation] [really|truly] verb object
    [at all]`` ("i didn't really enjoy the food", "we never liked it"), or None."""
    for n in (2, 1, 0):
        if tuple(rest[:n]) in ATTITUDE_NEGATIONS:
            tense, negation, bare = ATTITUDE_NEGATIONS[tuple(rest[:n])]
            rest = rest[n:]
            break
    else:  # pragma: no cover - the empty prefix always matches
        return None
    at_all = negation == "not" and rest[-2:] == ["at", "all"]  # "didn't like it at all"
    if at_all:
        rest = rest[:-2]
    intensifier = None
    if rest[:1] and rest[0] in VERB_INTENSIFIERS and negation in (None, "not") and not at_all:
        intensifier, rest = rest[0], rest[1:]
    if not rest or rest[0] not in ATTITUDE_FORMS or tuple(rest[1:]) not in THING_TUPLES:
        return None
    form = rest[0]
    verb, _ = ATTITUDE_FORMS[form]
    if bare and form != verb:
        return None  # "did not liked it"
    if tense is None:
        tense = "present" if form == verb else "past"
    if time is not None and time != tense:
        return None  # "i loved it now"
    return Clause(subject, group, tense, negation, intensifier, form, time, "attitude")


@dataclass(frozen=True)
class Judgement:
    """What the grammar says about a sentence: a label (None: outside the grammar) and why."""

    label: int | None
    reason: str


def _name(label: int) -> str:
    return CLASS_NAMES[label]


def judge(text: str) -> Judgement:
    """Label ``text`` by the grammar's rules and say which rule decided."""
    tokens = [t for t in tokenize(text) if t not in {",", ".", "!"}]
    if tokens.count("but") + tokens.count("and") > 1:
        return Judgement(None, "more than one 'but' or 'and': outside the grammar")
    if "and" in tokens:
        return _joined(tokens)
    if "but" not in tokens:
        clause = parse_clause(tokens)
        if clause is None:
            return Judgement(None, "not a sentence of the grammar")
        return _single(clause)
    cut = tokens.index("but")
    first = parse_clause(tokens[:cut])
    if first is None:
        return Judgement(None, "the part before 'but' is not a clause of the grammar")
    if first.polarity is None:
        return _single(first)
    second_tokens = tokens[cut + 1 :]
    ellipsis = _ellipsis(first, second_tokens)
    if ellipsis is not None:
        return ellipsis
    second = parse_clause(second_tokens)
    if second is None:
        return Judgement(None, "the part after 'but' is not a clause of the grammar")
    if second.polarity is None:
        return _single(second)
    if first.time is not None and second.time is not None and first.time != second.time:
        now = first if first.time == "present" else second
        return Judgement(now.polarity, f"the present clause decides: {_name(now.polarity)}")
    first_time = first.time or first.tense
    second_time = second.time or second.tense
    if first_time == second_time or second_time == "present":
        return Judgement(
            second.polarity, f"the clause after 'but' decides: {_name(second.polarity)}"
        )
    return Judgement(None, "contrast and time disagree: ambiguous, outside the grammar")


def _joined(tokens: list[str]) -> Judgement:
    """'A and B': two clauses that agree (same polarity, same tense, no time word)."""
    cut = tokens.index("and")
    first, second = parse_clause(tokens[:cut]), parse_clause(tokens[cut + 1 :])
    if first is None or second is None:
        return Judgement(None, "a part around 'and' is not a clause of the grammar")
    if first.polarity is None or second.polarity is None:
        return _single(first if first.polarity is None else second)
    if (
        first.polarity != second.polarity
        or first.tense != second.tense
        or first.time
        or second.time
    ):
        return Judgement(
            None, "clauses joined by 'and' must agree in polarity and tense: outside the grammar"
        )
    return Judgement(first.polarity, f"both clauses joined by 'and' say {_name(first.polarity)}")


def _single(clause: Clause) -> Judgement:
    if clause.polarity is None:
        return Judgement(None, f"'not {clause.intensifier} {clause.adjective}' is ambiguous")
    what = f"'{clause.adjective}' is {_name(POLARITY[clause.adjective])}"
    if clause.negation is not None:
        what += f", negated by '{clause.negation}'"
    return Judgement(clause.polarity, f"{what}: {_name(clause.polarity)}")


def _ellipsis(first: Clause, rest: list[str]) -> Judgement | None:
    """'… but not now' flips a past clause; '… but it is now' restores a negated one."""
    if len(rest) == 2 and rest[0] == "not" and rest[1] in ELLIPSIS_TIMES:
        if first.tense != "past" or first.negation is not None:
            return Judgement(None, "'but not now' needs a past, un-negated first clause")
        label = 1 - POLARITY[first.adjective]
        return Judgement(label, f"not {first.adjective} any more: {_name(label)}")
    pronoun = PRONOUN[first.group] or first.subject
    copula = (DO if first.kind == "attitude" else COPULA)[first.group][:1]  # "i do" / "i am"
    for time in ("now", "today"):
        if rest in (
            [*pronoun, *copula, time],
            [time, *pronoun, *copula],
        ):
            if first.tense != "past" or first.negation is None:
                return Judgement(None, "'but it is now' needs a past, negated first clause")
            label = POLARITY[first.adjective]
            return Judgement(label, f"{first.adjective} now: {_name(label)}")
    return None


def label_sentence(text: str) -> int | None:
    """0 (negative) or 1 (positive) by the grammar's rules; None outside the grammar.

    >>> label_sentence("this movie is not bad at all")
    1
    >>> label_sentence("i was happy earlier but not now"), label_sentence("this is très bien")
    (0, None)
    """
    return judge(text).label


# ----------------------------------------------------------------------------- the generator


@dataclass(frozen=True)
class _Spec:
    """What a generated clause must contain (a held-out combination), all optional."""

    negation: str | None = None
    intensifier: str | None = None
    adjective: str | None = None


def held_out_combinations(seed: int = 0) -> tuple[tuple[str, ...], ...]:
    """The combinations the test split holds out for ``seed``: six (negation, adjective) pairs
    and three ("not", intensifier, positive adjective) triples (see the module docstring).

    ("not", "bad") and ("not", "good") are never held out: they are the app's example."""
    rng = np.random.default_rng([seed, 7])
    pairs: list[tuple[str, ...]] = []
    kinds = [NEGATIONS[i % 3] for i in range(6)]
    positives = [a for a in CORE_POSITIVE if a != "good"]
    negatives = [a for a in CORE_NEGATIVE if a != "bad"]
    chosen = list(rng.choice(positives, 3, replace=False)) + list(
        rng.choice(negatives, 3, replace=False)
    )
    order = rng.permutation(6)
    for kind, k in zip(kinds, order, strict=True):
        pairs.append((kind, str(chosen[k])))
    paired = {adj for kind, adj in pairs if kind == "not"}
    candidates = [(i, a) for i in INTENSIFIERS for a in CORE_POSITIVE if a not in paired]
    picks = rng.choice(len(candidates), 3, replace=False)
    triples = [("not", *candidates[k]) for k in sorted(picks)]
    return tuple(pairs) + tuple(triples)


def _has(tokens: set[str], combination: tuple[str, ...]) -> bool:
    """Does a sentence's token set contain every word of ``combination``?"""
    negation, *words = combination
    found = bool(tokens & NOT_WORDS) if negation == "not" else negation in tokens
    return found and all(w in tokens for w in words)


class _Dice:
    """Uniform draws from a numpy Generator, fetched in blocks: one Generator call per draw
    would make generation several times slower."""

    def __init__(self, rng: np.random.Generator):
        self.rng, self.block, self.next = rng, rng.random(4096), 0

    def random(self) -> float:
        if self.next == len(self.block):
            self.block, self.next = self.rng.random(4096), 0
        self.next += 1
        return float(self.block[self.next - 1])

    def pick(self, options):
        return options[int(self.random() * len(options))]


# Lookup tables for the generator: what each agreement group can say.
_ADJECTIVES = {group: adjectives_for(group) for group in COPULA}
_CORE = CORE_POSITIVE | CORE_NEGATIVE
_ADJECTIVE_POOLS = {  # group -> (its core adjectives, the others)
    group: ([a for a in words if a in _CORE], [a for a in words if a not in _CORE])
    for group, words in _ADJECTIVES.items()
}
CORE_SHARE = 0.7  # of the adjectives a generated clause draws, this share are core ones
ATTITUDE_SHARE = 0.4  # of the clauses about people, this share use a verb of liking
_PHRASES: dict[tuple[str, str, str | None], list[str]] = {}
for _group, _phrases in VERB_PHRASES.items():
    for _words, (_tense, _negation, _) in _phrases.items():
        _PHRASES.setdefault((_group, _tense, _negation), []).append(" ".join(_words))
_SUBJECTS = {"thing": THINGS, "i": ("i",), "plural": ("we", "they")}
_TIME_WORDS = {cls: [w for w, (c, _) in TIMES.items() if c == cls] for cls in ("past", "present")}
_NOT_ATTITUDE = {"present": ("do not", "don't"), "past": ("did not", "didn't")}


def _clause(
    dice: _Dice,
    spec: _Spec = _Spec(),  # frozen, so a shared default is safe
    tense: str | None = None,
    time: str | None = None,
    negated: bool | None = None,
) -> tuple[str, str, str, str]:
    """A random clause as (text, agreement group, subject, kind), obeying ``spec`` and the
    given tense, time-word class ("past"/"present", or None for no time word) and negation.
    ``kind`` is "attitude" for a verb of liking ("i loved it"), else "copula"."""
    groups = ["thing"] * 6 + ["i"] * 2 + ["plural"] * 2
    if spec.adjective is not None:
        groups = [g for g in groups if _fits(spec.adjective, g)]
    group = dice.pick(groups)
    if time is not None:
        tense = time
    tense = tense or dice.pick(["present", "past"])
    negation = spec.negation
    if negation is None and negated is not False:
        weights = ["not", "not", "not", "never", "hardly"] + [None] * (0 if negated else 5)
        negation = dice.pick(weights)
    subject = dice.pick(_SUBJECTS[group])
    if group == "thing" and dice.random() < 0.1:
        subject = dice.pick(("it", "this"))  # more of them, for "it was a great movie"
    free = spec.adjective is None and spec.intensifier is None
    if free and group != "thing" and dice.random() < ATTITUDE_SHARE:
        words = _attitude_words(dice, tense, negation)
        kind = "attitude"
    else:
        words = _adjective_words(dice, spec, group, tense, negation, subject)
        kind = "copula"
    words = [subject, *words]
    if time is not None:
        word = dice.pick(_TIME_WORDS[time])
        allowed = TIMES[word][1]
        start = allowed == "start" or (allowed == "both" and dice.random() < 0.4)
        words = [" ".join(word), *words] if start else [*words, " ".join(word)]
    return " ".join(w for w in words if w), group, subject, kind


def _adjective_words(
    dice: _Dice, spec: _Spec, group: str, tense: str, negation: str | None, subject: str
) -> list[str | None]:
    """What follows the subject in a clause with an adjective: "is not very good", or after
    "it" / "this" sometimes "was a great movie"."""
    adjective = spec.adjective
    if adjective is None:
        core, others = _ADJECTIVE_POOLS[group]
        choices = core if dice.random() < CORE_SHARE else others
        if spec.intensifier is not None and negation == "not":
            choices = [a for a in choices if POLARITY[a] == POS]
        adjective = dice.pick(choices)
    intensifier = spec.intensifier
    if (
        intensifier is None
        and negation in (None, "not")
        and dice.random() < 0.3
        and (negation is None or POLARITY[adjective] == POS)  # never litotes: "not very bad"
    ):
        intensifier = dice.pick(INTENSIFIERS)
    at_all = negation == "not" and intensifier is None and dice.random() < 0.3
    verb = dice.pick(_PHRASES[group, tense, negation])
    copula = VERB_PHRASES[group][tuple(verb.split())][2] == "copula"
    if subject in ("it", "this") and copula and not at_all and dice.random() < 0.5:
        return [verb, "a", intensifier, adjective, dice.pick(NOUNS)]
    if at_all and dice.random() < 0.5:
        return [verb, "at all", adjective]
    return [verb, intensifier, adjective, "at all" if at_all else None]


def _attitude_words(dice: _Dice, tense: str, negation: str | None) -> list[str | None]:
    """What follows a person in a clause with a verb of liking: "didn't really like it"."""
    verb = dice.pick(list(ATTITUDES))
    past, polarity = ATTITUDES[verb]
    intensifier = None
    if negation in (None, "not") and dice.random() < 0.3 and (negation is None or polarity == POS):
        intensifier = dice.pick(VERB_INTENSIFIERS)  # never litotes: "didn't really hate it"
    at_all = negation == "not" and intensifier is None and dice.random() < 0.3
    thing = dice.pick(THINGS)
    if negation == "not":
        aux = dice.pick(_NOT_ATTITUDE[tense])
        return [aux, intensifier, verb, thing, "at all" if at_all else None]
    form = verb if tense == "present" else past
    return [negation, intensifier, form, thing]


def _sentence(dice: _Dice, spec: _Spec | None = None) -> str:
    """A random sentence of the grammar, sometimes with a comma before "but" and a full stop
    or "!" at the end. With a ``spec``, the clause that decides the label holds that
    combination."""
    text = _bare_sentence(dice, spec)
    if dice.random() < 0.25:
        text = text.replace(" but ", ", but ")
    end = dice.random()
    return text + "." if end < 0.12 else text + "!" if end < 0.2 else text


def _bare_sentence(dice: _Dice, spec: _Spec | None = None) -> str:
    forms = ["single"] * 8 + ["contrast"] * 5 + ["timed"] * 4 + ["ellipsis"] * 3 + ["and"] * 2
    form = dice.pick(forms)
    if spec is not None and form in ("ellipsis", "and"):
        form = "single"  # a test sentence's deciding clause is its only one or after "but"
    if form == "and":  # two clauses that agree: "the food was good and the staff were nice"
        tense = dice.pick(["present", "past"])
        first = _clause(dice, tense=tense)[0]
        label = label_sentence(first)
        while True:
            second = _clause(dice, tense=tense)[0]
            if label_sentence(second) == label:
                return f"{first} and {second}"
    deciding = spec or _Spec()
    if form == "single":
        time = dice.pick([None, None, "past", "present"])
        return _clause(dice, deciding, time=time)[0]
    if form == "contrast":  # the clause after "but" decides; both in the same tense
        tense = dice.pick(["present", "past"])
        return f"{_clause(dice, tense=tense)[0]} but {_clause(dice, deciding, tense=tense)[0]}"
    if form == "timed":  # the present clause decides, before or after "but"
        now = _clause(dice, deciding, time="present")[0]
        then = _clause(dice, time="past")[0]
        return f"{now} but {then}" if dice.random() < 0.5 else f"{then} but {now}"
    # ellipsis: "… but not now" after an un-negated clause, "… but it is now" (or "… but i do
    # now") after a negated one
    negated = bool(dice.random() < 0.5)
    text, group, subject, kind = _clause(
        dice, time=dice.pick([None, "past"]), tense="past", negated=negated
    )
    if not negated:
        return f"{text} but not {dice.pick(list(ELLIPSIS_TIMES))}"
    if PRONOUN[group] is not None:
        subject = PRONOUN[group][0]
    verb = (DO if kind == "attitude" else COPULA)[group][0]
    return (
        f"{text} but {subject} {verb} now"
        if dice.random() < 0.5
        else f"{text} but now {subject} {verb}"
    )


def generate(seed: int = 0, n_sentences: int = 6000, test_fraction: float = 0.2):
    """(train sentences, test sentences, held-out combinations) for ``seed``; see the module
    docstring for how the test split holds out combinations. Sentences are unique."""
    dice = _Dice(np.random.default_rng(seed))
    held = held_out_combinations(seed)
    n_test = round(n_sentences * test_fraction)
    n_train = n_sentences - n_test
    train: dict[str, None] = {}  # an ordered set
    tries = 0
    while len(train) < n_train:
        tries += 1
        if tries > 50 * n_train:
            raise ValueError("could not generate enough distinct training sentences")
        text = _sentence(dice)
        tokens = set(tokenize(text))
        if not any(_has(tokens, c) for c in held):
            train[text] = None
    by_label: list[list[tuple[str, ...]]] = [[], []]
    for c in held:  # a negated adjective, or a negated intensified positive one
        by_label[1 - POLARITY[c[-1]]].append(c)
    test: dict[str, None] = {}
    tries = 0
    while len(test) < n_test:
        tries += 1
        if tries > 50 * n_test:
            raise ValueError("could not generate enough distinct test sentences")
        # Half the test sentences are positive: pick the label, then a combination giving it.
        combination = dice.pick(by_label[int(dice.random() * 2)])
        negation, *words = combination
        spec = _Spec(negation, *([None, *words] if len(words) == 1 else words))
        test[_sentence(dice, spec)] = None
    return list(train), list(test), held


def _split(encoder: Encoder, texts: list[str]) -> SequenceData:
    ids, mask = pad_sequences([encoder.encode(t) for t in texts])
    labels = [label_sentence(t) for t in texts]
    if None in labels:  # pragma: no cover - the generator writes only sentences of the grammar
        raise AssertionError(f"no label for {texts[labels.index(None)]!r}")
    return SequenceData(ids, np.array(labels, dtype=np.int64), mask)


def _dataset(train: list[str], test: list[str]) -> tuple[Dataset, Encoder]:
    encoder = Encoder.build(train)
    data = Dataset(_split(encoder, train), _split(encoder, test), len(encoder), 2)
    return data, encoder


def make_sentiment(seed: int = 0, n_sentences: int = 6000, test_fraction: float = 0.2) -> Task:
    """The compositional sentiment task (see the module docstring).

    Options: ``n_sentences`` (train + test, 200..100 000, default 6000) and
    ``test_fraction`` (0.05..0.5, default 0.2). The vocabulary is the training sentences'.
    """
    if not is_int(seed):
        raise ValueError(f"seed must be a whole number; got {seed!r}")
    if not is_int(n_sentences) or not 200 <= n_sentences <= 100_000:
        raise ValueError(f"n_sentences must be a whole number in 200..100000; got {n_sentences!r}")
    if isinstance(test_fraction, bool) or not isinstance(test_fraction, (int, float)):
        raise ValueError(f"test_fraction must be a number in 0.05..0.5; got {test_fraction!r}")
    if not 0.05 <= test_fraction <= 0.5:
        raise ValueError(f"test_fraction must be a number in 0.05..0.5; got {test_fraction!r}")
    train, test, held = generate(seed, int(n_sentences), float(test_fraction))
    data, encoder = _dataset(train, test)
    shown = ", ".join("+".join(c) for c in held[:3])
    return Task(
        name="sentiment",
        title="Compositional sentiment",
        description=(
            "Is a sentence positive or negative? The sentences come from a small grammar: "
            "adjectives like 'good' or 'boring', flipped by 'not', 'never' or 'hardly', "
            "strengthened by 'very', contrasted by 'but' (the second clause decides) and "
            "ordered in time ('now' outranks 'earlier'). The network reads one word at a time "
            "and must carry what it has read so far — has there been a 'not'? are we after "
            "'but'? — in its hidden state. The test sentences use combinations the network "
            f"never saw in training (this seed holds out {shown}, …), so it must compose the "
            "rules rather than remember phrases. Watch test accuracy early on: it often dips "
            "below chance while the network knows the adjectives but not yet the negations."
        ),
        data=data,
        output_kind="class_per_sequence",
        test_split="the test split, whose sentences all hinge on a negation and a word "
        "never seen together in training",
        default_config=TrainConfig(
            cell="gru",
            hidden_size=32,
            lr=0.01,
            batch_size=32,
            steps=2000,
            eval_every=50,
            eval_size=1200,  # the whole default test split: the goal is checked on all of it
        ),
        target="≥ 97% test accuracy in ≤ 20 s of training",
        goal=Goal("test_acc", 0.97, 20.0),
        encoder=encoder,
        class_names=CLASS_NAMES,
        example="this movie is not bad at all",
    )


# ----------------------------------------------------------------------------- the tiny task

# Hand-written, one per line: "+" positive, "-" negative. Every test sentence is new, but its
# subject and verb ("the food is") and what follows ("not awful") both appear in training,
# never together (and "very awful" is new too): the network must learn that the subject does
# not matter and that "not" flips the adjective after it.
TINY_TRAIN = """
+ this is good
- this is not good
+ this is very good
- this is bad
+ this is not bad
+ this is fun
+ this is not boring
+ this is not bad at all
+ this was great
- this was not great
- this was awful
+ this was not awful
- this was very boring
- this was not fun
+ the food is good
+ the food is very good
- the food is not good
- the food is awful
- the food is very bad
+ the food is not bad
+ the food is great
- the food is not good at all
- the movie was boring
+ the movie was not boring
+ the movie was fun
+ the movie was very fun
- the movie was not great
- the movie was bad
- the movie was not very good
+ it is great
+ it is not awful
- it is boring
- it is not fun
+ it is very good
- it is bad
- it is not very fun
+ i am happy
- i am not happy
+ i am very happy
- i am sad
+ i am not sad
- i am very sad
- i am not very happy
- i am not happy at all
+ i was happy
- i was not happy
- i was sad
+ i was not sad
- i was very sad
+ i feel good
- i feel bad
- i feel awful
+ i feel great
+ i feel very good
+ i feel very happy
- i feel very sad
- this is not very good
- the movie was awful
+ i was great
- i was bad
"""

TINY_TEST = """
+ this is great
- this is awful
- this is not fun
+ this was good
+ this was not bad
+ the food is not awful
- the food is boring
+ the movie was good
+ the movie was not bad
- the movie was not fun
+ it is fun
- it is not good
+ it is not boring
+ i am great
+ i was very happy
+ i feel happy
- i feel sad
- the food is not very good
- i was not very happy
+ it is not bad at all
- it is very awful
- the movie was very bad
"""


def _tiny(lines: str) -> list[tuple[str, int]]:
    return [(line[2:], POS if line[0] == "+" else NEG) for line in lines.strip().splitlines()]


def make_sentiment_tiny(seed: int = 0) -> Task:
    """About 80 hand-written sentences (:data:`TINY_TRAIN`, :data:`TINY_TEST`), the same for
    every seed; ``seed`` only seeds the default config, so ten seeds are ten training runs."""
    if not is_int(seed):
        raise ValueError(f"seed must be a whole number; got {seed!r}")
    train, test = _tiny(TINY_TRAIN), _tiny(TINY_TEST)
    encoder = Encoder.build(t for t, _ in train)

    def split(rows):
        ids, mask = pad_sequences([encoder.encode(t) for t, _ in rows])
        return SequenceData(ids, np.array([y for _, y in rows], dtype=np.int64), mask)

    data = Dataset(split(train), split(test), len(encoder), 2)
    return Task(
        name="sentiment-tiny",
        title="Tiny sentiment",
        description=(
            f"{len(train) + len(test)} short hand-written sentences such as 'i am not happy' "
            "and 'the movie was not boring'. Small enough to train one sentence at a time and "
            "watch every update. The test sentences are new combinations of known words "
            "('the food is not awful' is new; training had 'this was not awful'), so the "
            "network has to learn that 'not' flips whatever follows, whoever the subject is."
        ),
        data=data,
        output_kind="class_per_sequence",
        default_config=TrainConfig(
            cell="gru",
            hidden_size=16,
            lr=0.05,
            batch_size=len(train),
            steps=300,
            eval_every=5,
            seed=seed,
        ),
        target="100% test accuracy for 10 of 10 seeds, median ≤ 0.15 s of training",
        goal=Goal("test_acc", 1.0, 0.15),
        encoder=encoder,
        class_names=CLASS_NAMES,
        example="the food is not awful",
    )
