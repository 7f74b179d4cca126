"""ui.views.diagnosis: why a run diverged or blew up, in plain words, with fixes
that fit a button."""

from __future__ import annotations

import dataclasses

import pytest

from rnn_core.tasks import load_task
from ui.services.limits import Limits
from ui.services.run import TrainingRun
from ui.views.diagnosis import LABEL_MAX, diagnose, health

BLOWUP_SGD = {"cell": "rnn", "activation": "relu", "optimizer": "sgd", "lr": 500.0, "clip": "none"}
BLOWUP_GRU = {"cell": "gru", "optimizer": "adam", "lr": 500.0, "clip": "none", "eval_size": 256}


@pytest.fixture(scope="module")
def sentiment():
    return load_task("sentiment")


def make_run(task, **changes) -> TrainingRun:
    config = dataclasses.replace(task.default_config, **changes)
    return TrainingRun(task, config, task.encoder.encode(task.example), Limits())


def labels_fit(d) -> None:
    for fix in (*d.fixes, d.reset):
        assert len(fix.label) <= LABEL_MAX, fix.label


def test_the_sentiment_divergence_names_its_settings_and_the_fix_rescues_it(sentiment):
    """Break 2: /train?cell=rnn&activation=relu&optimizer=sgd&lr=500&clip=none."""
    run = make_run(sentiment, **BLOWUP_SGD)
    run.start()
    run.advance(5.0)
    d = diagnose(run.view(), sentiment)
    assert d.kind == "diverged" and "returned to step 0" in d.headline
    whys = " ".join(c.why for c in d.causes)
    assert "learning rate 500" in whys and "Clipping is off" in whys
    assert "rare bad batch" not in whys  # settings obviously stand out
    assert d.cannot_continue is None  # the state returned to can go on
    labels_fit(d)
    lr_fix = next(f for f in d.fixes if "lr" in f.changes)
    assert lr_fix.continues and lr_fix.changes == {"lr": 0.5}
    assert d.reset.changes == {"lr": 0.5, "clip": "norm", "clip_value": 5.0}
    assert not d.reset.continues
    run.retune(**lr_fix.changes)  # what the page does with a continuing fix
    run.resume_after_divergence()
    run.advance(0, max_steps=300)
    assert run.state == "paused" and run.steps == 300
    assert diagnose(run.view(), sentiment) is None  # healthy again


def test_a_fix_that_rediverges_at_once_asks_for_a_reset(sentiment):
    run = make_run(sentiment, **BLOWUP_SGD)
    run.start()
    run.advance(5.0)
    run.retune(lr=50.0)  # ÷ 10: still far too high for SGD here
    run.resume_after_divergence()
    run.start()
    run.advance(5.0)
    assert run.state == "diverged"
    d = diagnose(run.view(), sentiment)
    assert d.cannot_continue is not None and "lr 500.0 → 50.0" in d.cannot_continue
    assert all(not f.continues for f in d.fixes)  # every offer is a reset now
    assert d.reset.changes["lr"] == 0.5
    labels_fit(d)


@pytest.fixture(scope="module")
def gru_blowup(sentiment):
    """Break 14: GRU + Adam + lr 500 + no clipping, trained with the core for 100 steps."""
    run = make_run(sentiment, **BLOWUP_GRU)
    run.advance(0, max_steps=100)
    return run


def test_a_finite_blow_up_is_diagnosed_like_a_nan(gru_blowup, sentiment):
    view = gru_blowup.view()
    assert view.state == "paused"  # no NaN: the trainer never stopped it
    h = health(view, sentiment)
    assert h.broken and h.recent_loss > 100 * h.first_loss and h.sigma > 1e4 and h.at_chance
    d = diagnose(view, sentiment)
    assert d.kind == "broken"
    assert "σ_max" in d.headline and "chance" in d.headline
    whys = " ".join(c.why for c in d.causes)
    assert "learning rate 500" in whys and "Clipping is off" in whys
    assert "rare bad batch" not in whys
    assert d.cannot_continue is not None  # its weights are blown up: only a reset helps
    assert d.reset.changes == {"lr": 0.01, "clip": "norm", "clip_value": 5.0}
    labels_fit(d)


def test_a_healthy_run_has_no_diagnosis(sentiment):
    run = make_run(sentiment, eval_size=256)
    run.advance(0, max_steps=150)
    assert not health(run.view(), sentiment).broken
    assert diagnose(run.view(), sentiment) is None


def test_no_standout_setting_falls_back_to_a_bad_batch(sentiment):
    run = make_run(sentiment, eval_size=256)
    run.advance(0, max_steps=20)
    run.trainer.status, run.trainer.reason = "diverged", "the loss became nan at step 21"
    d = diagnose(run.view(), sentiment)
    assert [c.why for c in d.causes] == [
        "No setting stands out; the run may have hit a rare bad batch."
    ]
    assert d.fixes[0].changes == {"lr": 0.005} and d.fixes[0].continues
