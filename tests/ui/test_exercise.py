"""Exercise links parsed (ui/services/exercise.py): the lock set is exactly the known names in
the link, whatever else the link says (Hypothesis over arbitrary lock=/hide= values)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ui.services.exercise import LABELS, LOCKABLE, MAX_VALUE, Exercise, parse_exercise
from ui.services.limits import Limits
from ui.services.settings import BY_KEY, COMPARE_KEYS, SETTINGS, WRITE_SETTINGS


def test_the_lockable_controls_are_the_url_keys_of_the_settings_task_and_sentence():
    assert set(LOCKABLE) == {"task", "sentence"} | {s.key for s in SETTINGS} | {
        f"{side}_{k}" for side in "ab" for k in COMPARE_KEYS
    } | {s.key for s in WRITE_SETTINGS}
    assert len(LOCKABLE) == len(set(LOCKABLE))
    assert set(LABELS) == set(LOCKABLE) and all(LABELS.values())


def test_a_link_locks_what_it_names():
    ex = parse_exercise(["cell,hidden"])
    assert ex.locked == {"cell", "hidden"} and not ex.hidden and ex.ignored == 0
    assert ex.is_locked("cell") and not ex.is_locked("lr") and not ex.is_hidden("cell")
    assert ex.note() is None
    assert ex.summary() == "🔒 An exercise link: Cell and Hidden units are locked."
    assert parse_exercise(["lr"], ["clip,seed"]).summary() == (
        "🔒 An exercise link: Learning rate (log scale) is locked; Clipping and Seed are hidden "
        "(the link sets them)."
    )


def test_spaces_case_duplicates_and_empty_items_do_not_matter():
    ex = parse_exercise([" Cell , HIDDEN,cell,, ,"])
    assert ex == parse_exercise(["cell,hidden"])


def test_a_hidden_control_is_locked_too():
    ex = parse_exercise(["cell"], ["clip"])
    assert ex.locked == {"cell", "clip"} and ex.hidden == {"clip"}
    assert ex.query() == {"lock": "cell", "hide": "clip"}


def test_repeated_keys_add_up():
    assert parse_exercise(["cell", "hidden"]).locked == {"cell", "hidden"}


@pytest.mark.parametrize(
    "value",
    ["all", "*", "cell;hidden", "cell hidden", "x" * 5000, "tas\u212a", "ｃｅｌｌ", "a_*", "%2A"],
)
def test_junk_locks_nothing_and_is_counted(value):
    ex = parse_exercise([value], [value])
    assert not ex and ex.locked == frozenset() and ex.hidden == frozenset()
    assert ex.ignored == 2
    assert value not in ex.note()  # the note never echoes the link


def test_an_over_long_value_is_ignored_whole_even_with_good_names():
    long = ",".join(["cell"] * (MAX_VALUE // 5 + 1))
    assert len(long) > MAX_VALUE
    assert parse_exercise([long, "hidden"]).locked == {"hidden"}


def test_the_link_of_an_exercise_gives_the_same_exercise():
    ex = parse_exercise(["lr, cell, a_clip"], ["seed,clip"])
    q = ex.query()
    assert q == {"lock": "cell,lr,a_clip", "hide": "clip,seed"}
    assert parse_exercise([q["lock"]], [q["hide"]]) == ex


def test_with_more_never_takes_a_lock_off():
    ex = parse_exercise(["cell"], ["clip"])
    more = ex.with_more(["lr", "nonsense"], ["seed"])
    assert more.locked == {"cell", "clip", "lr", "seed"} and more.hidden == {"clip", "seed"}
    assert ex.with_more() == ex
    assert Exercise().with_more() == Exercise() and not Exercise()


def test_a_setting_reads_a_link_value_as_its_widget_would():
    limits = Limits()
    assert BY_KEY["hidden"].from_url("8", limits) == 8
    assert isinstance(BY_KEY["hidden"].from_url("8", limits), int)
    assert BY_KEY["layers"].from_url("2", limits) == 2  # an option that is an int
    assert BY_KEY["clip"].from_url("none", limits) == "none"
    assert BY_KEY["clip_value"].from_url("2.5", limits) == 2.5
    for key, raw in (("hidden", "inf"), ("hidden", "1e999"), ("cell", "GRU"), ("lr", "7")):
        assert BY_KEY[key].from_url(raw, limits) is None


# ----------------------------------------------------------------------------- Hypothesis


def is_name(piece: str) -> bool:
    return piece.strip().isascii() and piece.strip().lower() in LOCKABLE


names = st.sampled_from(LOCKABLE)
# text none of whose comma-separated pieces is a control's name
junk = st.text(max_size=30).filter(lambda t: not any(is_name(p) for p in t.split(",")))
# (the name it spells, or None for junk; the text)
items = st.one_of(
    names.map(lambda n: (n, n)),
    names.map(lambda n: (n, f"  {n.upper()} ")),
    junk.map(lambda j: (None, j)),
)
values = st.lists(items, max_size=8).map(
    lambda its: ({n for n, _ in its if n}, ",".join(t for _, t in its))
)


@settings(max_examples=300, deadline=None)
@given(lock=st.lists(st.text(), max_size=4), hide=st.lists(st.text(), max_size=4))
def test_any_strings_parse_to_known_names_only(lock, hide):
    ex = parse_exercise(lock, hide)
    assert ex.locked <= set(LOCKABLE)
    assert ex.hidden <= ex.locked
    # every locked name is an item the link spelled out (in some case, with some spaces)
    spelled = {i.strip().lower() for v in lock + hide if len(v) <= MAX_VALUE for i in v.split(",")}
    assert ex.locked <= spelled
    assert ex.hidden <= {i.strip().lower() for v in hide for i in v.split(",")}


@settings(max_examples=300, deadline=None)
@given(lock=st.lists(values, max_size=3), hide=st.lists(values, max_size=3))
def test_the_lock_set_is_exactly_the_names_in_the_link(lock, hide):
    """Junk between the names never locks or unlocks anything: the lock set is the names the
    link was built from, however the rest of it is garbled, and it survives its own link."""
    ex = parse_exercise([v for _, v in lock], [v for _, v in hide])
    hidden = set().union(*(n for n, _ in hide))
    assert ex.hidden == hidden
    assert ex.locked == set().union(*(n for n, _ in lock)) | hidden
    q = ex.query()
    assert parse_exercise([q.get("lock", "")], [q.get("hide", "")]) == Exercise(
        ex.locked, ex.hidden, 0
    )


@settings(max_examples=200, deadline=None)
@given(base=values, extra=st.lists(junk, min_size=1, max_size=5))
def test_adding_junk_to_a_link_changes_no_lock(base, extra):
    before = parse_exercise([base[1]])
    after = parse_exercise([",".join([base[1], *extra]), *extra])
    assert after.locked == before.locked == base[0] and after.hidden == before.hidden
