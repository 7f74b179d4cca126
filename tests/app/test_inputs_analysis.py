"""ui.views.inputs, ui.views.analysis and ui.glue.models without a page:
input reading, views, default models."""

from __future__ import annotations

import numpy as np
import pytest

from rnn_core.model import ModelConfig, RNNModel
from rnn_core.tasks import UNK_ID, load_task, train_to_goal
from ui.glue.models import DefaultModels, Trained, last_scores
from ui.views import analysis
from ui.views.inputs import MAX_CHARS, MAX_TOKENS, feature_labels, read_example, read_text


@pytest.fixture(scope="module")
def tiny():
    return load_task("sentiment-tiny")


def test_read_text_marks_unknown_tokens(tiny):
    r = read_text(tiny, "the food is not zzz 😀")
    assert r.tokens == ["the", "food", "is", "not", "zzz", "😀"]
    assert r.unknown == [False, False, False, False, True, True]
    assert r.seq[-1] == UNK_ID and r.seq.dtype == np.int64
    assert r.cut == 0 and not r.empty and not r.all_unknown


def test_read_text_empty_only_unknown_and_long(tiny):
    assert read_text(tiny, "").empty and read_text(tiny, None).empty
    assert read_text(tiny, "   \n\t ").empty
    r = read_text(tiny, "qwerty asdf")
    assert r.all_unknown and (r.seq == UNK_ID).all()
    long = read_text(tiny, "good " * 250)
    assert len(long.tokens) == MAX_TOKENS and long.cut == 50 and long.seq.shape == (MAX_TOKENS,)
    huge = read_text(tiny, "a" * (MAX_CHARS * 5))  # one giant "word": tokenised within the cap
    assert huge.tokens == ["a" * MAX_CHARS]


def test_read_text_keeps_markup_as_literal_tokens(tiny):
    r = read_text(tiny, "<script>alert(1)</script>")
    assert "<" in r.tokens and "script" in r.tokens and "alert" in r.tokens


def test_read_text_refuses_dense_tasks():
    with pytest.raises(ValueError, match="numbers"):
        read_text(load_task("sine"), "hello")


def test_read_example_dense_tasks():
    adding = load_task("adding")
    r = read_example(adding, 3)
    test = adding.data.test
    T = int(test.mask[3].sum())
    assert r.seq.shape == (T, 2) and len(r.tokens) == T
    assert r.truth == pytest.approx(float(test.targets[3][0]))
    marked = [t for t in r.tokens if t.endswith("◆")]
    assert len(marked) == 2  # exactly two marked numbers
    assert r.truth == pytest.approx(sum(float(t[:-1]) for t in marked), abs=0.011)
    sine = load_task("sine")
    s = read_example(sine, 10**9)  # out of range: clamped to the last sequence
    assert s.truth.shape == (len(s.tokens),)
    np.testing.assert_array_equal(s.seq, sine.data.test.inputs[-1][sine.data.test.mask[-1]])


def test_feature_labels():
    seq = np.array([[0.5, 0.0], [0.25, 1.0]])
    assert feature_labels(seq) == ["0.50", "0.25◆"]
    assert feature_labels(np.array([[0.123], [-1.0]])) == ["0.12", "-1.00"]


# ----------------------------------------------------------------------------- analysis


def _model(cell, activation="tanh", layers=1):
    cfg = ModelConfig(
        cell=cell,
        activation=activation,
        hidden_size=6,
        num_layers=layers,
        input_size=5,
        output_size=2,
    )
    return RNNModel.create(cfg, np.random.default_rng(0))


@pytest.mark.parametrize(
    ("cell", "names"),
    [("rnn", ["h"]), ("gru", ["h", "r", "z", "n"]), ("lstm", ["h", "c", "i", "f", "g", "o"])],
)
def test_state_views_per_cell(cell, names):
    model = _model(cell, layers=2)
    trace = model.trace(np.array([1, 2, 3, 4]))
    for layer in (0, 1):
        views = analysis.state_views(model.config, trace, layer)
        assert list(views) == names
        for name, (values, (lo, hi)) in views.items():
            assert values.shape == (4, 6)
            assert lo <= values.min() and values.max() <= hi
            if name in ("i", "f", "o", "r", "z"):
                assert (lo, hi) == (0.0, 1.0)
        np.testing.assert_array_equal(views["h"][0], trace.hs[layer])


def test_relu_range_covers_the_values():
    model = _model("rnn", "relu")
    model.params["l0.W_xh"][:] = 3.0
    trace = model.trace(np.array([1, 2, 3]))
    lo, hi = analysis.activation_range(model.config, trace)
    assert lo == 0.0 and hi >= trace.hs[0].max() and hi > 1.0


def test_state_map_and_readout_background(tiny):
    trainer = train_to_goal(tiny)
    state_map = analysis.fit_state_map(trainer.model, tiny)
    n = len(tiny.data.train)
    assert state_map.ends.shape == (n, 2) and state_map.end_labels.shape == (n,)
    # The ends are the projections of each sequence's last state.
    i = 7
    seq = tiny.data.train.inputs[i][tiny.data.train.mask[i]]
    last = trainer.model.trace(seq).hs[-1][-1]
    np.testing.assert_allclose(state_map.ends[i], state_map.pca.transform(last), atol=1e-5)
    path = state_map.pca.transform(trainer.model.trace(seq).hs[-1])
    xs, ys, p = analysis.readout_background(trainer.model, state_map, [path])
    assert p.shape == (len(ys), len(xs)) and ((p >= 0) & (p <= 1)).all()
    assert xs.min() <= path[:, 0].min() and xs.max() >= path[:, 0].max()
    # Regression or many-to-many models get no background.
    sine = load_task("sine")
    sine_model = RNNModel.create(
        sine.default_config.model_config(sine.data), np.random.default_rng(0)
    )
    assert analysis.readout_background(sine_model, state_map, [path]) is None


def test_changing_units_orders_by_range_then_index():
    states = np.array(
        [
            [0.0, 0.0, 0.5, -1.0, 0.2],
            [0.5, 1.0, 0.5, 1.0, 0.7],
            [0.2, -0.0, 0.0, 0.0, 0.3],
        ]
    )  # ranges: 0.5, 1.0, 0.5, 2.0, 0.5
    np.testing.assert_array_equal(analysis.changing_units(states, 5), [3, 1, 0, 2, 4])
    np.testing.assert_array_equal(analysis.changing_units(states, 2), [3, 1])
    np.testing.assert_array_equal(analysis.changing_units(states, 99), [3, 1, 0, 2, 4])
    assert analysis.changing_units(states, 0).size == 0
    with_nan = states.copy()
    with_nan[:, 3] = np.nan  # a unit with no finite value sorts last
    with_nan[0, 1] = np.nan  # NaNs are ignored: unit 1 now spans 1.0 − 0.0
    np.testing.assert_array_equal(analysis.changing_units(with_nan, 5), [1, 0, 2, 4, 3])


def test_unit_ranges_ignore_non_finite_values():
    states = np.array([[0.0, np.nan, np.inf], [2.0, np.nan, 1.0], [-1.0, np.nan, 3.0]])
    lo, hi, rng = analysis.unit_ranges(states)
    np.testing.assert_array_equal(lo[[0, 2]], [-1.0, 1.0])
    np.testing.assert_array_equal(hi[[0, 2]], [2.0, 3.0])
    np.testing.assert_array_equal(rng[[0, 2]], [3.0, 2.0])
    assert np.isnan(lo[1]) and np.isnan(hi[1]) and rng[1] == -np.inf  # no finite value
    with pytest.raises(ValueError):
        analysis.unit_ranges(np.zeros(3))


def test_top_k_picks_the_largest_ties_to_lower_index():
    probs = np.array([[0.1, 0.4, 0.2, 0.3], [0.25, 0.25, 0.4, 0.1]])
    idx, val = analysis.top_k(probs, 3)
    np.testing.assert_array_equal(idx, [[1, 3, 2], [2, 0, 1]])
    np.testing.assert_allclose(val, [[0.4, 0.3, 0.2], [0.4, 0.25, 0.25]])
    # the partition path (large vocabularies) agrees with a stable sort, ties included
    g = np.random.default_rng(3)
    for _ in range(30):
        p = g.integers(0, 4, size=(int(g.integers(1, 9)), int(g.integers(65, 400)))) / 4.0
        k = int(g.integers(1, 12))
        expected = np.argsort(-p, axis=1, kind="stable")[:, :k]
        np.testing.assert_array_equal(analysis.top_k(p, k)[0], expected)


# ----------------------------------------------------------------------------- default models


def test_default_models_are_trained_once_and_read_only():
    store = DefaultModels()
    seen = []
    a = store.get("sentiment-tiny", progress=seen.append)
    assert store.ready("sentiment-tiny") and seen and seen[-1] <= 1.0
    b = store.get("sentiment-tiny", progress=seen.append)
    assert a is b  # cached: the second call trains nothing
    assert all(not v.flags.writeable for v in a.params.values())
    assert a.scores["test_acc"] == 1.0 and a.steps > 0
    copy = a.session_copy()
    copy.model.params["W_hy"][:] = 0.0  # a session's copy is its own
    assert np.abs(a.params["W_hy"]).sum() > 0
    assert copy.origin == "default" and copy.steps == a.steps


def test_default_model_is_deterministic():
    first = DefaultModels().get("sentiment-tiny")
    second = DefaultModels().get("sentiment-tiny")
    for k in first.params:
        np.testing.assert_array_equal(first.params[k], second.params[k])


def test_session_model_cache_follows_the_version():
    trained = DefaultModels().get("sentiment-tiny")
    sm = trained.session_copy()
    calls = []
    assert sm.cached("x", lambda: calls.append(1) or len(calls)) == 1
    assert sm.cached("x", lambda: calls.append(1) or len(calls)) == 1
    sm.version += 1
    assert sm.cached("x", lambda: calls.append(1) or len(calls)) == 2
    assert len(sm.derived) == 1  # stale versions are dropped


def test_last_scores():
    assert np.isnan(last_scores([{"loss": 1.0}])["test_acc"])
    hist = [{"train_loss": 1, "train_acc": 0.5, "test_loss": 2, "test_acc": 0.25}, {"loss": 3}]
    assert last_scores(hist) == {
        "train_loss": 1,
        "train_acc": 0.5,
        "test_loss": 2,
        "test_acc": 0.25,
    }


def test_trained_from_trainer_copies(tiny):
    trainer = train_to_goal(tiny)
    t = Trained.from_trainer("sentiment-tiny", trainer, 0.1)
    trainer.model.params["W_hy"][:] = 7.0
    assert not (t.params["W_hy"] == 7.0).all()


# ----------------------------------------------------------------------------- issue 13


def words(text: str) -> list[str]:
    return text.split()


@pytest.mark.parametrize(
    ("a", "b", "pairs"),
    [
        ("this is good", "this is not good", [(0, 0), (1, 1), (None, 2), (2, 3)]),
        ("this is not good", "this is good", [(0, 0), (1, 1), (2, None), (3, 2)]),
        ("this is good", "this is bad", [(0, 0), (1, 1), (2, 2)]),  # a substitution
        ("this is good", "is good today", [(0, None), (1, 0), (2, 1), (None, 2)]),
        ("not bad at all", "bad", [(0, None), (1, 0), (2, None), (3, None)]),
        ("", "a b", [(None, 0), (None, 1)]),
        ("a", "", [(0, None)]),
        ("", "", []),
    ],
)
def test_align_tokens(a, b, pairs):
    """Issue 13 #16: the compare view pairs tokens by an edit-distance alignment."""
    assert analysis.align_tokens(words(a), words(b)) == pairs


def test_align_tokens_keeps_every_token_once_and_is_minimal():
    g = np.random.default_rng(0)
    for _ in range(200):
        a = list(g.choice(list("abc"), g.integers(0, 7)))
        b = list(g.choice(list("abc"), g.integers(0, 7)))
        pairs = analysis.align_tokens(a, b)
        assert [i for i, _ in pairs if i is not None] == list(range(len(a)))
        assert [j for _, j in pairs if j is not None] == list(range(len(b)))
        edits = sum(i is None or j is None or a[i] != b[j] for i, j in pairs)
        assert edits == levenshtein(a, b)


def levenshtein(a, b) -> int:
    row = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, y in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (x != y))
    return row[-1]


def test_every_hint_pair_is_in_its_tasks_vocabulary():
    """Issue 13 #15: the compare hints are words (or characters) the task's model knows."""
    from ui.views.inputs import HINTS

    for name, hint in HINTS.items():
        task = load_task(name)
        for text in hint.compare:
            r = read_text(task, text)
            assert not r.empty and not any(r.unknown), (name, text)
        assert hint.compare[0] != hint.compare[1]


def test_tasks_without_hints_get_neutral_words():
    from ui.views.inputs import GENERIC_HINTS, compare_placeholder, compare_tip, hints

    task = load_task("sentiment")
    other = type("T", (), {"name": "csv"})()  # a CSV upload: not in the table
    assert hints(other) is GENERIC_HINTS
    for text in (
        compare_placeholder(other),
        compare_tip(other),
        GENERIC_HINTS.jump,
        GENERIC_HINTS.unit,
    ):
        assert "not" not in text.split() and "good" not in text and "sentiment" not in text
    assert "this is not good" in compare_placeholder(task)
