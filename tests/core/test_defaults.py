"""The trained default models shipped in the repository (rnn_core/tasks/defaults.py).

Each shipped file loads through every check an uploaded checkpoint gets, fits its task as the
code builds it today and meets its target on the whole test split; a file that no longer fits
is refused with a reason. The recipe itself trains for a minute, so it is tested here on a
few steps only: same bytes every time, and nothing written that misses its target or that
the app would refuse.
"""

from __future__ import annotations

import dataclasses
import functools
import io
import zipfile

import pytest

from rnn_core.checkpoint import CheckpointError, load_checkpoint
from rnn_core.tasks import Encoder, load_task
from rnn_core.tasks import defaults as D
from rnn_core.train import SCORE_KEYS, evaluate


@functools.cache
def task(name: str, **options):
    return load_task(name, seed=0, **options)


@functools.cache
def shipped(name: str):
    return load_checkpoint(D.shipped_path(name))  # the hostile-file checks, all of them


@pytest.mark.parametrize("name", D.SHIPPED)
def test_each_shipped_file_loads_as_a_hostile_file_and_fits_its_task(name):
    ckpt = shipped(name)
    built = task(name)
    assert ckpt.task == name
    assert ckpt.vocab == built.encoder.vocab  # the task's vocabulary, token for token
    assert ckpt.train_config == built.default_config
    assert ckpt.model.config == built.default_config.model_config(built.data)
    assert ckpt.step == built.default_config.steps  # the whole budget, not the first goal
    assert str(ckpt.model.dtype) == "float32" and ckpt.optimizer_state is None
    scores = D.check_shipped(ckpt, built)
    assert list(scores) == list(SCORE_KEYS)


@pytest.mark.parametrize("name", D.SHIPPED)
def test_each_shipped_model_meets_its_target_on_the_whole_test_split(name):
    ckpt, built = shipped(name), task(name)
    test_loss, _ = evaluate(ckpt.model, built.data.test, per_step=True)
    assert test_loss <= D.shipped_target(built)
    # the scores the app shows are that model's (the evaluation subset is the whole test split)
    assert ckpt.extra["scores"]["test_loss"] == pytest.approx(test_loss, rel=1e-4)


def test_the_shipped_targets():
    assert D.shipped_target(task("chars")) == 1.8  # below the task's own goal: it can write
    assert task("chars").goal.threshold > 2.2
    words = task("words")
    assert D.shipped_target(words) == words.goal.threshold  # half the unigram perplexity
    with pytest.raises(ValueError, match="no loss target"):
        D.shipped_target(task("sentiment-tiny"))


@pytest.mark.parametrize("name", D.SHIPPED)
def test_each_shipped_file_is_a_few_hundred_kb_or_says_why_not(name):
    size = D.shipped_path(name).stat().st_size
    # chars: a few hundred KB; words: its 2 000-word embedding and readout are 0.38 M of its
    # 0.48 M float32 parameters (the module docstring says so)
    assert size <= {"chars": 400_000, "words": 2_000_000}[name]


# ----------------------------------------------------------------------------- mismatches


def test_a_changed_vocabulary_is_refused_with_its_reason():
    with pytest.raises(D.ShippedMismatch, match="vocabulary has 2000 tokens, the task's 1999"):
        D.check_shipped(shipped("words"), task("words", vocab_size=1999))
    chars = task("chars")
    vocab = list(chars.encoder.vocab)
    vocab[5], vocab[6] = vocab[6], vocab[5]
    swapped = dataclasses.replace(chars, encoder=Encoder(tuple(vocab), "char"))
    with pytest.raises(D.ShippedMismatch, match="differs from the task's at id 5"):
        D.check_shipped(shipped("chars"), swapped)


def test_a_changed_config_is_refused_naming_the_setting():
    chars = task("chars")
    changed = dataclasses.replace(
        chars, default_config=dataclasses.replace(chars.default_config, lr=0.002, steps=2000)
    )
    with pytest.raises(D.ShippedMismatch, match=r"lr 0\.005 \(task: 0\.002\), steps 1000"):
        D.check_shipped(shipped("chars"), changed)


def test_another_task_s_file_is_refused():
    with pytest.raises(D.ShippedMismatch, match="trained on task 'chars', not 'words'"):
        D.check_shipped(shipped("chars"), task("words"))


def test_a_file_without_its_scores_is_refused(tmp_path):
    ckpt = shipped("chars")
    bare = dataclasses.replace(ckpt, extra={})
    with pytest.raises(D.ShippedMismatch, match="lacks the scores"):
        D.check_shipped(bare, task("chars"))


def test_load_shipped_refuses_a_damaged_or_missing_file(tmp_path):
    data = D.shipped_path("chars").read_bytes()
    (tmp_path / "chars.npz").write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError):
        D.load_shipped(task("chars"), tmp_path)
    with pytest.raises(OSError):
        D.load_shipped(task("words"), tmp_path)
    (tmp_path / "chars.npz").write_bytes(data)
    assert D.load_shipped(task("chars"), tmp_path).step == 1000


# ----------------------------------------------------------------------------- the recipe


def test_the_recipe_gives_the_same_bytes_every_time():
    chars = task("chars")
    first = D.checkpoint_bytes(D.train_default(chars, steps=3), chars)
    second = D.checkpoint_bytes(D.train_default(chars, steps=3), chars)
    assert first == second
    with zipfile.ZipFile(io.BytesIO(first)) as z:
        assert {info.date_time for info in z.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    ckpt = load_checkpoint(first)
    assert ckpt.step == 3 and ckpt.vocab == chars.encoder.vocab
    with pytest.raises(D.ShippedMismatch, match=r"steps 3 \(task: 1000\)"):
        D.check_shipped(ckpt, chars)  # a 3-step model is not the default


def test_rebuild_writes_nothing_that_misses_its_target_or_would_be_refused(tmp_path, monkeypatch):
    real = D.train_default
    monkeypatch.setattr(D, "train_default", lambda t: real(t, steps=3))
    with pytest.raises(RuntimeError, match=r"over its target 1\.800: nothing written"):
        D.rebuild("chars", tmp_path)
    assert not list(tmp_path.iterdir())
    monkeypatch.setattr(D, "shipped_target", lambda t: 100.0)  # met, but the app would refuse
    with pytest.raises(D.ShippedMismatch, match="steps 3"):
        D.rebuild("chars", tmp_path)
    assert not list(tmp_path.iterdir())


def test_the_command_line_checks_the_shipped_files(capsys):
    assert D.main([]) == 0
    out = capsys.readouterr().out
    for name in D.SHIPPED:
        assert f"{name}: {name}.npz" in out
    assert out.count("PASS") == len(D.SHIPPED)
    with pytest.raises(SystemExit):
        D.main(["sentiment"])
    assert "no shipped default for sentiment" in capsys.readouterr().err
