"""ui.glue.models.DefaultModels: the slow language models load their shipped files instead of
training; quick tasks train at first use; a shipped file that does not fit its task any more
falls back to training, with the reason logged."""

from __future__ import annotations

import dataclasses
import logging

import numpy as np
import pytest

import ui.glue.models as models
from rnn_core.tasks import load_task
from rnn_core.tasks.defaults import CHARS_TARGET, SHIPPED
from ui.glue.models import DefaultModels

TRAINED = object()  # what the stand-in for training returns


@pytest.fixture
def training(monkeypatch):
    """Replace training with a stand-in that records which defaults were trained."""
    calls = []

    def fake(task_name, seed, progress):
        calls.append(task_name)
        return TRAINED

    monkeypatch.setattr(models, "_train_default", fake)
    return calls


@pytest.mark.parametrize("name", SHIPPED)
def test_the_language_models_load_their_shipped_files_without_training(name, training, caplog):
    with caplog.at_level(logging.WARNING, logger="ui.glue.models"):
        trained = DefaultModels().get(name)
    assert training == [] and not caplog.records
    built = load_task(name)
    assert trained.source == "shipped" and trained.task_name == name
    assert trained.config == built.default_config and trained.steps == built.default_config.steps
    assert all(not v.flags.writeable for v in trained.params.values())
    assert trained.model.config.input_size == len(built.encoder)
    limit = CHARS_TARGET if name == "chars" else built.goal.threshold
    assert trained.scores["test_loss"] <= limit
    copy = trained.session_copy()  # a session's copy is its own, as for a trained default
    copy.model.params["W_hy"][:] = 0.0
    assert np.abs(trained.params["W_hy"]).sum() > 0
    assert copy.origin == "default" and copy.steps == trained.steps
    assert models.ships_default(name) and not models.ships_default(name, seed=1)


def test_quick_tasks_still_train_at_first_use(training):
    assert DefaultModels().get("sentiment-tiny") is TRAINED
    assert DefaultModels().get("chars", seed=1) is TRAINED  # only seed 0 is shipped
    assert training == ["sentiment-tiny", "chars"]
    assert not models.ships_default("sentiment-tiny")


def test_a_changed_vocabulary_falls_back_to_training_with_the_reason_logged(
    training, caplog, monkeypatch
):
    changed = load_task("words", vocab_size=1999)  # as if the task's vocabulary had changed
    monkeypatch.setattr(models, "task", lambda name, seed=0: changed)
    with caplog.at_level(logging.WARNING, logger="ui.glue.models"):
        assert DefaultModels().get("words") is TRAINED
    assert training == ["words"]
    (record,) = caplog.records
    message = record.getMessage()
    assert "'words'" in message and "words.npz" in message
    assert "vocabulary has 2000 tokens, the task's 1999" in message
    assert "training it instead" in message


def test_a_changed_config_falls_back_to_training(training, caplog, monkeypatch):
    chars = load_task("chars")
    changed = dataclasses.replace(
        chars, default_config=dataclasses.replace(chars.default_config, hidden_size=64)
    )
    monkeypatch.setattr(models, "task", lambda name, seed=0: changed)
    with caplog.at_level(logging.WARNING, logger="ui.glue.models"):
        assert DefaultModels().get("chars") is TRAINED
    assert "hidden_size 128 (task: 64)" in caplog.records[0].getMessage()


def test_a_damaged_or_missing_file_falls_back_to_training(training, caplog, monkeypatch, tmp_path):
    (tmp_path / "chars.npz").write_bytes(b"PK\x03\x04 not really a zip")
    monkeypatch.setattr(models, "shipped_path", lambda name: tmp_path / f"{name}.npz")
    with caplog.at_level(logging.WARNING, logger="ui.glue.models"):
        assert DefaultModels().get("chars") is TRAINED
        assert DefaultModels().get("words") is TRAINED
    assert training == ["chars", "words"]
    chars, words = (r.getMessage() for r in caplog.records)
    assert "not a checkpoint" in chars
    assert "No such file" in words
