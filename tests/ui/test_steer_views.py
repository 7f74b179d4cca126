"""Steer a neuron, the pure parts: the signals a unit is picked by, the correlation, the pick,
the two versions the section shows and its settings table."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from rnn_core import probes
from rnn_core.model import Clamp, ModelConfig, RNNModel
from rnn_core.tasks import load_task
from rnn_core.tasks.text import sample
from ui.services import steer as settings
from ui.services.limits import Limits
from ui.views import steer as S


def test_signals_of_known_texts():
    chars = list("ab\ncde\n[x]y")
    np.testing.assert_array_equal(S.line_position(chars), [1, 2, 0, 1, 2, 3, 0, 1, 2, 3, 4])
    np.testing.assert_array_equal(S.in_brackets(chars), [0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0])
    words = ["romeo", ".", "i", "go", "!", "now"]
    np.testing.assert_array_equal(S.sentence_position(words), [1, 0, 1, 2, 0, 1])


def test_unit_correlations_find_the_unit_that_follows_the_signal():
    rng = np.random.default_rng(0)
    signal = rng.normal(size=500)
    states = rng.normal(size=(500, 4))
    states[:, 1] = 3.0 * signal + 1.0  # follows it exactly
    states[:, 2] = -0.5 * signal + 0.1 * rng.normal(size=500)  # against it, noisily
    states[:, 3] = 0.25  # never moves
    r = probes.unit_correlations(states, signal)
    assert r[1] == pytest.approx(1.0)
    assert -1.0 < r[2] < -0.95
    assert r[3] == 0.0
    assert abs(r[0]) < 0.15
    assert probes.unit_correlations(states, np.ones(500)).tolist() == [0.0] * 4
    with pytest.raises(ValueError, match="states must be"):
        probes.unit_correlations(states[:10], signal)


def _lm(task, seed=0):
    cfg = ModelConfig(
        cell="gru",
        hidden_size=8,
        input_size=len(task.encoder),
        output_size=len(task.encoder),
        output="many_to_many",
    )
    return RNNModel.create(cfg, np.random.default_rng(seed))


@pytest.fixture(scope="module")
def chars():
    return load_task("chars")


def test_the_pick_is_the_unit_with_the_largest_correlation_over_held_out_text(chars):
    model = _lm(chars)
    pick = S.pick_unit(model, chars, "line length")
    ids = S._held_out_tokens(chars, S.PICK_TOKENS)
    tokens = chars.encoder.decode(ids)
    rs = probes.unit_correlations(model.trace(ids).hs[-1], S.line_position(tokens))
    np.testing.assert_allclose(pick.rs, rs)
    assert pick.unit == int(np.abs(rs).argmax()) and pick.r == pytest.approx(rs[pick.unit])
    assert "".join(tokens[:40]) == "".join(chars.encoder.decode(chars.data.test.inputs[0]))[:40]
    assert len(pick.passage) == S.PASSAGE_TOKENS["char"] == len(pick.values)
    # a stage-direction passage shows a bracket
    assert "[" in S.pick_unit(model, chars, "stage direction").passage
    with pytest.raises(ValueError, match="not a tracker"):
        S.pick_unit(model, chars, "prediction")


def test_write_both_is_two_samples_with_the_same_seed(chars):
    model = _lm(chars, seed=1)
    steer = settings.Steer(mode="clamp", value=1.0, length=80, temperature=0.7, seed=3)
    clamp = Clamp(-1, 2, 1.0)
    got = S.write_both(model, chars, "ROMEO:", clamp, steer)
    kw = {"temperature": 0.7}
    assert got.plain == sample(
        model, chars.encoder, "ROMEO:", 80, rng=np.random.default_rng(3), **kw
    )
    assert got.steered == sample(
        model, chars.encoder, "ROMEO:", 80, rng=np.random.default_rng(3), clamp=clamp, **kw
    )
    assert got.plain != got.steered
    assert "".join(got.plain_tokens) == got.plain
    prefix = 0
    while got.plain[prefix] == got.steered[prefix]:
        prefix += 1
    assert got.same == prefix
    # the colours of the as-trained sample are the unit's values while it wrote it
    whole = model.trace(chars.encoder.encode("ROMEO:" + got.plain)).hs[-1][:, 2]
    np.testing.assert_allclose(got.plain_values, whole[len("ROMEO:") :], rtol=1e-5, atol=1e-6)


def test_text_stats_count_what_the_tracker_is_about():
    assert S.text_stats(list("abcd\nab\nxy"), "line length") == (
        "lines of 3 characters on average (2 line breaks)"
    )
    assert S.text_stats(list("a[bc]d"), "stage direction") == "50% of it inside [ ] (1 opened)"
    assert S.text_stats(["a", ".", "b", "!"], "sentence length") == "2 sentence ends in 4 words"


def test_kinds_and_trackers_follow_the_task():
    assert S.kind_of(load_task("sentiment")) == "classify"
    assert S.trackers_for(load_task("sentiment")) == ("prediction",)
    assert S.kind_of(load_task("sine")) is None and S.trackers_for(load_task("sine")) == ()
    assert S.trackers_for(load_task("words")) == ("sentence length", "stage direction")


def test_the_steer_table_reads_back_its_own_defaults_and_checks_links():
    assert settings.read_steer(settings.defaults()) == settings.Steer()
    assert settings.read_steer({"steer_mode": "ablate", "steer_value": "-0.5"}).held_at == 0.0
    assert settings.read_steer({"steer_value": "-0.5"}).held_at == -0.5
    limits = Limits()
    unit = settings.unit_row(32)
    assert unit.url_ok("auto", limits) and unit.url_ok("31", limits)
    assert not unit.url_ok("32", limits) and not unit.url_ok("-1", limits)
    assert not settings.STEER_BY_KEY["steer_value"].url_ok("0.3", limits)
    seed = settings.STEER_BY_KEY["steer_seed"]
    assert seed.url_ok("7", limits) and not seed.url_ok("1e999", limits)
    assert not seed.url_ok("nan", limits)
    for row in settings.STEER_SETTINGS:  # every default is a value its control can show
        value = settings.defaults()[row.key]
        assert row.widget == "number" or value in row.options, row.key
    assert dataclasses.astuple(settings.Steer()) == (
        "auto",
        "clamp",
        1.0,
        "prediction",
        200,
        0.7,
        0,
    )
