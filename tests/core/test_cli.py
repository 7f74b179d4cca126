"""``python -m rnn_core`` end to end: each test runs the command line in a subprocess."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from rnn_core.checkpoint import load_checkpoint, save_checkpoint
from rnn_core.tasks import TASKS, load_task
from rnn_core.train import evaluate

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "rnn_core", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
    )


def assert_usage_error(out: subprocess.CompletedProcess, *words: str) -> None:
    assert out.returncode == 2, out.stderr
    assert "Traceback" not in out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert "error" in lines[0]
    for word in words:
        assert word in lines[0]


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    """sentiment-tiny trained to its goal, with a checkpoint and a metrics CSV."""
    folder = tmp_path_factory.mktemp("cli") / "out"  # does not exist yet: the CLI creates it
    model, metrics = folder / "model.npz", folder / "m.csv"
    out = run(
        "train",
        "sentiment-tiny",
        "--until-goal",
        "--save",
        str(model),
        "--metrics",
        str(metrics),
        "--json",
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout), model, metrics


def test_tasks_lists_every_task():
    out = run("tasks")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].split() == ["name", "title", "target"]
    assert [line.split()[0] for line in lines[1:]] == list(TASKS)
    assert "Tiny sentiment" in out.stdout


def test_train_until_goal_reports_saves_and_writes_metrics(tiny_run):
    result, model, metrics = tiny_run
    assert result["status"] == "goal" and result["goal"]["met"]
    assert result["test_acc"] == 1.0
    steps = result["step"]
    assert 0 < steps < load_task("sentiment-tiny").default_config.steps
    assert steps % result["config"]["eval_every"] == 0  # stopped at an evaluation
    assert result["seconds"] > 0

    ckpt = load_checkpoint(model)
    task = load_task("sentiment-tiny")
    assert ckpt.task == "sentiment-tiny" and ckpt.step == steps
    assert ckpt.vocab == task.encoder.vocab
    assert ckpt.optimizer_name == "adam" and ckpt.optimizer_state is not None
    _, acc = evaluate(ckpt.model, task.data.test, per_step=False)
    assert acc == result["test_acc"]

    with open(metrics, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == [
        "step",
        "loss",
        "accuracy",
        "grad_norm",
        "clipped",
        "lr",
        "train_loss",
        "train_acc",
        "test_loss",
        "test_acc",
    ]
    assert [int(r["step"]) for r in rows] == list(range(1, steps + 1))
    evals = [r for r in rows if r["test_acc"]]
    assert len(evals) == steps // result["config"]["eval_every"]
    assert float(evals[-1]["test_acc"]) == 1.0
    assert rows[0]["train_loss"] == "" and float(rows[0]["loss"]) > 0


def test_eval_matches_the_training_run(tiny_run):
    result, model, _ = tiny_run
    out = run("eval", str(model), "--json")
    assert out.returncode == 0, out.stderr
    scores = json.loads(out.stdout)
    assert scores["step"] == result["step"]
    for key in ("train_loss", "train_acc", "test_loss", "test_acc"):
        assert scores[key] == result[key]
    table = run("eval", str(model))
    assert table.returncode == 0 and "test_acc" in table.stdout


def test_eval_refuses_a_foreign_checkpoint(tiny_run, tmp_path):
    ckpt = load_checkpoint(tiny_run[1])
    for name, task in (("other-task.npz", "my-csv"), ("other-vocab.npz", "sentiment")):
        path = tmp_path / name
        save_checkpoint(path, ckpt.model, task=task, vocab=ckpt.vocab)
        assert_usage_error(run("eval", str(path)), task)
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    assert_usage_error(run("eval", str(tmp_path / "junk.npz")), "not a valid checkpoint")


def test_set_overrides_are_honoured(tmp_path):
    model = tmp_path / "lstm.npz"
    out = run(
        "train",
        "sentiment-tiny",
        "--set",
        "hidden_size=8",
        "--set",
        "cell=lstm",
        "--set",
        "truncate=none",
        "--set",
        "lr=0.02",
        "--steps",
        "5",
        "--seed",
        "3",
        "--save",
        str(model),
    )
    assert out.returncode == 0, out.stderr
    assert "done" in out.stdout and "step budget of 5 reached" in out.stdout
    ckpt = load_checkpoint(model)
    config = ckpt.train_config
    assert (config.cell, config.hidden_size, config.truncate) == ("lstm", 8, None)
    assert (config.lr, config.steps, config.seed) == (0.02, 5, 3)
    assert ckpt.model.config.cell == "lstm" and ckpt.step == 5


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--set", "nope=1"], ["nope"]),
        (["--set", "lr=abc"], ["lr", "abc"]),
        (["--set", "lr=-1"], ["lr"]),
        (["--set", "hidden_size=2.5"], ["hidden_size"]),
        (["--set", "cell=transformer"], ["cell"]),
        (["--set", "lr"], ["KEY=VALUE"]),
    ],
)
def test_bad_settings_exit_2_in_one_line(args, words):
    assert_usage_error(run("train", "sentiment-tiny", "--quiet", *args), *words)


def test_unknown_task_exits_2_in_one_line():
    assert_usage_error(run("train", "no-such-task"), "no-such-task", "sentiment-tiny")


def test_divergence_exits_3_and_saves_the_last_finite_model(tmp_path):
    model = tmp_path / "diverged.npz"
    out = run(
        "train",
        "adding",
        "--set",
        "lr=100",
        "--set",
        "clip=none",
        "--set",
        "optimizer=sgd",
        "--steps",
        "200",
        "--json",
        "--save",
        str(model),
    )
    assert out.returncode == 3, out.stderr
    assert "Traceback" not in out.stderr
    result = json.loads(out.stdout)
    assert result["status"] == "diverged" and "diverged" in out.stderr
    assert result["step"] < 200
    assert load_checkpoint(model).step == result["step"]  # the last finite state, saved


def test_progress_prints_one_line_per_evaluation():
    out = run("train", "sentiment-tiny", "--steps", "10", "--progress")
    assert out.returncode == 0, out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 2  # eval_every is 5
    assert lines[0].startswith("step 5/10") and "test_acc" in lines[0]
    assert "\r" not in out.stderr
    assert run("train", "sentiment-tiny", "--steps", "10").stderr == ""  # not a terminal


def test_help_works_for_every_command():
    for args in ([], ["train"], ["eval"], ["tasks"]):
        out = run(*args, "--help")
        assert out.returncode == 0, out.stderr
        assert out.stdout.startswith("usage: python -m rnn_core")
    assert "--until-goal" in run("train", "--help").stdout
    assert run().returncode == 2  # no command: the help, on stderr
