"""Samples while training (issue 19): a language model's run keeps, with each probe snapshot,
a short sample from a fixed prime and seed; the Train page lists them up to the snapshot the
replay slider shows, and leads with the model's test loss in nats per token, its perplexity
and the target."""

from __future__ import annotations

import dataclasses
import html
import math
import re

import numpy as np
import pytest

from rnn_core.tasks import load_task
from rnn_core.tasks.text import sample
from tests.app.conftest import no_exceptions, open_page
from ui.services.limits import Limits
from ui.services.run import Snapshot, TrainingRun
from ui.services.samples import (
    SAMPLE_SEED,
    SAMPLE_TEMPERATURE,
    SAMPLE_TOKENS,
    is_language_model,
    probe_prime,
    snapshot_sample,
)
from ui.views.train_samples import lm_headline, sample_rows, samples_html


@pytest.fixture(scope="module")
def chars():
    return load_task("chars")


def chars_run(task, limits=None, **changes) -> TrainingRun:
    config = dataclasses.replace(task.default_config, hidden_size=16, **changes)
    return TrainingRun(task, config, task.encoder.encode(task.example), limits or Limits())


# ----------------------------------------------------------------------------- the service


def test_each_snapshot_keeps_the_sample_its_own_model_writes(chars):
    run = chars_run(chars)
    run.advance(0, max_steps=30)
    snaps = run.snapshots.items
    assert [s.step for s in snaps] == [0, 10, 20, 30]
    assert all(len(s.sample) == SAMPLE_TOKENS["char"] for s in snaps)
    assert run.prime == chars.example  # every character of the probe is known
    # a fixed prime, temperature and seed: the sample at step 20 is what the model of step 20
    # writes (a second run retaking the same 20 steps), so the samples differ only because
    # the model did
    replay = chars_run(chars)
    replay.advance(0, max_steps=20)
    expected = sample(
        replay.model,
        chars.encoder,
        chars.example,
        SAMPLE_TOKENS["char"],
        SAMPLE_TEMPERATURE,
        np.random.default_rng(SAMPLE_SEED),
    )
    assert snaps[2].sample == expected
    assert len({s.sample for s in snaps}) == len(snaps)  # the model changed, so did its text


def test_a_new_probe_is_a_new_prime_and_its_samples_start_again(chars):
    run = chars_run(chars)
    run.advance(0, max_steps=20)
    run.use_probe(chars.encoder.encode("JULIET:\n"))
    assert run.prime == "JULIET:\n"
    assert [s.step for s in run.snapshots.items] == [20]
    assert run.snapshots.items[0].sample == snapshot_sample(chars, run.model, "JULIET:\n")


def test_the_prime_leaves_out_unknown_tokens(chars):
    probe = chars.encoder.encode("Romeo ☃ wherefore")  # the snowman is not in the play
    assert 1 in probe.tolist()  # <unk>
    assert probe_prime(chars, probe) == "Romeo  wherefore"
    words = load_task("words")
    assert (
        probe_prime(words, words.encoder.encode("O Romeo, xyzzy Romeo!")) == "o romeo, romeo!"
    )  # words are lower case


def test_only_language_models_write(chars):
    assert is_language_model(chars) and is_language_model(load_task("words"))
    for name in ("sentiment-tiny", "copy", "adding", "sine"):
        task = load_task(name)
        assert not is_language_model(task), name
    tiny = load_task("sentiment-tiny")
    run = TrainingRun(tiny, tiny.default_config, tiny.encoder.encode(tiny.example), Limits())
    run.advance(0, max_steps=10)
    assert [s.sample for s in run.snapshots.items] == [None, None]


def test_a_model_that_gives_no_numbers_writes_nothing_instead_of_failing(chars):
    run = chars_run(chars)
    broken = run.model.copy()
    broken.params["W_hy"][:] = np.nan
    assert snapshot_sample(chars, broken, chars.example) is None
    assert snapshot_sample(chars, run.model, chars.example) is not None


def test_samples_stay_bounded_with_the_snapshots(chars):
    run = chars_run(chars, limits=Limits(snapshots=4))
    run.advance(0, max_steps=160)
    snaps = run.snapshots.items
    assert len(snaps) <= 5 and run.snapshots.every > 10  # thinned
    assert all(s.sample is not None and len(s.sample) == 60 for s in snaps)
    kept = [s.step for s in snaps]
    assert kept == sorted(kept) and kept[-1] == 160


# ----------------------------------------------------------------------------- the views


def snap(step: int, text: str | None) -> Snapshot:
    return Snapshot(step, [np.zeros((1, 1))], np.zeros((1, 1)), text)


def test_the_list_runs_from_the_first_sample_to_the_chosen_one():
    snaps = [snap(10 * i, f"s{i}") for i in range(30)]
    rows = sample_rows(snaps, chosen=120, rows=5)
    assert [r.step for r in rows] == [0, 30, 60, 90, 120]
    assert [r.step for r in sample_rows(snaps, chosen=20)] == [0, 10, 20]
    assert [r.step for r in sample_rows([snap(0, None), snap(10, "x")], chosen=10)] == [10]


def test_the_html_marks_the_chosen_row_and_escapes_the_text():
    rows = [snap(0, "<b>&\nx"), snap(10, " thee")]
    prime = "O Romeo, Romeo! wherefore art thou, my dear Romeo? Deny thy father"
    out = samples_html(rows, prime, chosen=10)
    assert "\n" not in out
    assert re.findall(r'data-step="(\d+)"', out) == ["0", "10"]
    assert re.findall(r'data-step="(\d+)" data-chosen', out) == ["10"]
    assert "&lt;b&gt;&amp;" in out and "<b>" not in out
    assert "↵" in out  # the line break is shown, on the row's own line
    # the probe once, above the samples: its last 60 characters, cut after a space
    assert ">…Romeo! wherefore art thou, my dear Romeo? Deny thy father<" in out
    assert "O Romeo," not in out and out.count("Deny thy father") == 1
    assert "&lt;i&gt;" in samples_html(rows, "<i>", chosen=0)  # the probe is escaped too


def test_the_headline_states_loss_perplexity_and_the_target(chars):
    goal = chars.goal.threshold
    none = lm_headline({"step": np.zeros(0), "test_loss": np.zeros(0)}, chars)
    assert f"target ≤ {goal:.3f} nats/char (perplexity {math.exp(goal):.2f})" in none
    above = lm_headline({"step": np.array([100.0]), "test_loss": np.array([goal + 0.5])}, chars)
    assert f"**{goal + 0.5:.3f}** nats/char" in above
    assert f"(perplexity **{math.exp(goal + 0.5):.2f}**) at step 100" in above
    assert "not met yet" in above
    below = lm_headline({"step": np.array([900.0]), "test_loss": np.array([goal - 0.1])}, chars)
    assert "**met**" in below and "not met" not in below
    words = load_task("words")
    assert "nats/word" in lm_headline({"step": [1], "test_loss": [5.0]}, words)


# ----------------------------------------------------------------------------- the page


def samples_markup(at) -> str:
    (found,) = [m.value for m in at.markdown if "rnnx-samples" in m.value]
    return found


def test_the_train_page_lists_samples_and_replays_them_with_the_slider():
    at = open_page("train", timeout=60, task="chars", hidden="16")
    run = at.session_state["run"]
    run.advance(0.0, max_steps=100)  # past the first evaluation (every 100 steps)
    at.run()
    no_exceptions(at)
    markup = samples_markup(at)
    steps = [int(s) for s in re.findall(r'data-step="(\d+)"', markup)]
    assert steps[0] == 0 and steps[-1] == 100 and len(steps) == 8  # the first, …, the newest
    assert re.findall(r'data-step="(\d+)" data-chosen', markup) == ["100"]
    newest = run.snapshots.items[-1]
    assert html.escape(newest.sample).replace("\n", "") in markup.replace(
        '<span style="opacity:0.5">↵</span>', ""
    )
    # the headline: the test loss in nats per character, its perplexity and the target
    test_loss = float(run.log.evals.column("test_loss")[-1])
    (head,) = [m.value for m in at.markdown if m.value.startswith("Test loss")]
    assert f"**{test_loss:.3f}** nats/char (perplexity **{math.exp(test_loss):.2f}**)" in head
    assert f"target ≤ {run.task.goal.threshold:.3f} nats/char" in head
    # replay: back to step 30, the list is what it was then
    (follow,) = [t for t in at.toggle if t.key == "snapshot_follow"]
    follow.set_value(False).run()
    (replay,) = [s for s in at.select_slider if s.key == "snapshot"]
    replay.set_value(30).run()
    no_exceptions(at)
    markup = samples_markup(at)
    assert re.findall(r'data-step="(\d+)"', markup) == ["0", "10", "20", "30"]
    assert re.findall(r'data-step="(\d+)" data-chosen', markup) == ["30"]
    assert html.escape(run.snapshots.items[3].sample.replace("\n", "")) in markup.replace(
        '<span style="opacity:0.5">↵</span>', ""
    )


def test_a_classifier_gets_no_samples():
    at = open_page("train", timeout=60, task="sentiment-tiny")
    at.session_state["run"].advance(0.0, max_steps=20)
    at.run()
    no_exceptions(at)
    assert not [m for m in at.markdown if "rnnx-samples" in m.value]
    assert not [m for m in at.markdown if m.value.startswith("Test loss")]
